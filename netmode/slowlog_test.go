package netmode

import (
	"strings"
	"testing"

	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/testutil"
)

// TestSlowlogLikeRedis runs the same commands on redis-server and on
// Shingle with every command logged, and compares what SLOWLOG keeps of
// them (arguments cut and redacted, client name, order, LEN, RESET,
// errors); ids, times, durations and addresses are each server's own.
func TestSlowlogLikeRedis(t *testing.T) {
	rc := testutil.StartRedis(t).Dial(t)
	sc := startServer(t, nil).raw(t)
	long := strings.Repeat("x", 200)
	many := []string{"DEL"}
	for range 40 {
		many = append(many, "k")
	}
	script := [][]string{
		{"CONFIG", "SET", "slowlog-log-slower-than", "0"},
		{"CONFIG", "SET", "slowlog-max-len", "5"},
		{"SLOWLOG", "RESET"},
		{"CLIENT", "SETNAME", "tester"},
		{"SET", "a", long},
		many,
		{"CONFIG", "SET", "masterauth", "secret"},
		{"AUTH", "nosuchuser", "pw"},
		{"SLOWLOG", "LEN"},
		{"SLOWLOG", "GET", "3"},
		{"SLOWLOG", "GET", "-1"},
		{"SLOWLOG", "GET", "-2"},
		{"SLOWLOG", "GET", "x"},
		{"SLOWLOG", "BOGUS"},
		{"SLOWLOG", "LEN", "x"},
		{"SLOWLOG", "HELP"},
		{"SLOWLOG", "RESET"},
		{"CONFIG", "SET", "slowlog-log-slower-than", "-1"},
		{"SET", "b", "c"},
		{"SLOWLOG", "GET"},
	}
	sameAsRedis(t, rc, sc, script, func(args []string, r resp.Reply) resp.Reply {
		if args[0] == "SLOWLOG" && args[1] == "GET" {
			return slowlogComparable(r)
		}
		return r
	})
}

// slowlogComparable keeps of SLOWLOG GET's entries what both servers must
// agree on: the arguments and the client name.
func slowlogComparable(r resp.Reply) resp.Reply {
	if r.IsError() {
		return r
	}
	out := make([]resp.Reply, len(r.Elems))
	for i, e := range r.Elems {
		if len(e.Elems) == 6 {
			out[i] = resp.Array(e.Elems[3], e.Elems[5])
		}
	}
	return resp.Array(out...)
}
