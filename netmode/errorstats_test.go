package netmode

import (
	"strconv"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/internal/testutil"
)

func TestErrorPrefix(t *testing.T) {
	for _, tc := range []struct{ msg, want string }{
		{"ERR syntax error", "ERR"},
		{"WRONGTYPE Operation against a key holding the wrong kind of value", "WRONGTYPE"},
		{"NOPERM this user has no permissions", "NOPERM"},
		{"NOPROTO", "ERR"}, // no space: Redis falls back to ERR
		{strings.Repeat("A", 30) + " x", strings.Repeat("A", 30)},
		{strings.Repeat("A", 31) + " x", "ERR"}, // the space is past Redis's 32 bytes with the "-"
		{"", "ERR"},
	} {
		if got := errorPrefix([]byte(tc.msg)); got != tc.want {
			t.Errorf("errorPrefix(%q) = %q, want %q", tc.msg, got, tc.want)
		}
	}
}

// TestErrorStatsOverflow: past 128 distinct prefixes, a new one counts
// under ERRORSTATS_OVERFLOW, while those already kept go on counting.
func TestErrorStatsOverflow(t *testing.T) {
	var st Stats
	for i := range maxErrorPrefixes {
		st.countError([]byte("E" + strconv.Itoa(i) + " x"))
	}
	st.countError([]byte("NEW x"))
	st.countError([]byte("OTHER x"))
	st.countError([]byte("E0 x"))
	got := st.ErrorCounts()
	if len(got) != maxErrorPrefixes+1 || got[errorStatsOverflow] != 2 || got["E0"] != 2 || got["NEW"] != 0 {
		t.Fatalf("after %d prefixes and two more: %d kept, overflow %d, E0 %d", maxErrorPrefixes,
			len(got), got[errorStatsOverflow], got["E0"])
	}
	if n := st.ErrorReplies.Load(); n != maxErrorPrefixes+3 {
		t.Fatalf("total_error_replies = %d", n)
	}
	st.reset()
	if got := st.ErrorCounts(); len(got) != 0 {
		t.Fatalf("after reset: %v", got)
	}
}

// TestErrorStatsLikeRedis sends the same failing commands to Shingle and to
// a stock redis-server: INFO errorstats is the same text on both, which
// sections INFO, INFO all and INFO everything include it is the same, and
// CONFIG RESETSTAT empties it on both.
func TestErrorStatsLikeRedis(t *testing.T) {
	rs := testutil.StartRedis(t)
	ts := startServer(t, nil)
	clients := map[string]*testutil.Client{"redis-server": rs.Dial(t), "shingle": ts.raw(t)}
	info := func(c *testutil.Client, args ...string) string {
		t.Helper()
		r, err := c.Do(append([]string{"INFO"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		return string(r.Str)
	}
	failing := [][]string{
		{"SET", "s", "v"},
		{"HSET", "s", "f", "v"},            // WRONGTYPE
		{"INCR", "s"},                      // ERR value is not an integer
		{"GET"},                            // ERR wrong number of arguments
		{"NOSUCHCOMMAND", "x"},             // ERR unknown command
		{"AUTH", "nobody", "wrong"},        // WRONGPASS
		{"MULTI"}, {"INCR", "s"}, {"EXEC"}, // an error inside EXEC
		{"MULTI"}, {"GET"}, {"EXEC"}, // EXECABORT
		{"EXEC"}, // ERR EXEC without MULTI
	}
	got := map[string]string{}
	for name, c := range clients {
		for _, args := range failing {
			if _, err := c.Do(args...); err != nil {
				t.Fatalf("%s: %q: %v", name, args, err)
			}
		}
		got[name] = info(c, "errorstats")
	}
	if got["shingle"] != got["redis-server"] {
		t.Fatalf("INFO errorstats:\nshingle:\n%s\nredis-server:\n%s", got["shingle"], got["redis-server"])
	}
	if !strings.Contains(got["shingle"], "errorstat_WRONGTYPE:count=1\r\n") {
		t.Fatalf("INFO errorstats lacks WRONGTYPE:\n%s", got["shingle"])
	}
	for _, args := range [][]string{nil, {"default"}, {"all"}, {"everything"}, {"stats", "errorstats"}} {
		if a, b := strings.Contains(info(clients["shingle"], args...), "# Errorstats\r\n"),
			strings.Contains(info(clients["redis-server"], args...), "# Errorstats\r\n"); a != b {
			t.Errorf("INFO %v: Errorstats section in shingle %v, in redis-server %v", args, a, b)
		}
	}
	for name, c := range clients {
		if r, err := c.Do("CONFIG", "RESETSTAT"); err != nil || r.String() != `"OK"` {
			t.Fatalf("%s: CONFIG RESETSTAT: %v %v", name, r, err)
		}
		if got := info(c, "errorstats"); got != "# Errorstats\r\n" {
			t.Errorf("%s: INFO errorstats after CONFIG RESETSTAT = %q", name, got)
		}
	}
}
