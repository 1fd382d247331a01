package netmode

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/testutil"
)

// TestPipelinesMatchRedis sends the same random pipelines, each in one
// write to the socket, to a stock redis-server and to Shingle, and requires
// the same replies, command by command, and the same data set at the end
// (DEBUG DIGEST). A pipeline's writes run as a held run, one Pebble batch
// that its later writes read back through; mixing in reads, which end a
// run, and keys of both types exercises the run's edges.
func TestPipelinesMatchRedis(t *testing.T) {
	redis := testutil.StartRedisDefaults(t, "--enable-debug-command", "yes").Dial(t)
	ts := startServer(t, nil)
	shingle := testutil.MustDial(t, "tcp", ts.tcp)
	seed := testutil.Seed(t)
	r := rand.New(rand.NewPCG(seed, 0))
	steps := 300
	if testing.Short() {
		steps = 100
	}
	for step := range steps {
		reqs := make([][]string, 1+r.IntN(32))
		for i := range reqs {
			reqs[i] = pipelineCommand(r)
		}
		want, err := redis.Pipeline(30*time.Second, reqs...)
		if err != nil {
			t.Fatalf("redis: %v", err)
		}
		got, err := shingle.Pipeline(30*time.Second, reqs...)
		if err != nil {
			t.Fatalf("shingle: %v", err)
		}
		for i := range reqs {
			if got[i].String() != want[i].String() {
				t.Fatalf("step %d, command %d of %d: %q\n  redis:   %v\n  shingle: %v", step, i+1, len(reqs), reqs[i], want[i], got[i])
			}
		}
	}
	want, err := redis.Do("DEBUG", "DIGEST")
	if err != nil {
		t.Fatal(err)
	}
	got, err := shingle.Do("DEBUG", "DIGEST")
	if err != nil || got.String() != want.String() || want.IsError() {
		t.Fatalf("DEBUG DIGEST: redis %v, shingle %v %v", want, got, err)
	}
}

// pipelineCommand is a random command whose reply does not depend on
// time or on the order of a hash's fields, mostly writes.
func pipelineCommand(r *rand.Rand) []string {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	key := func() string { return pick("a", "b", "c", "h", "{t}x", "{t}y") }
	field := func() string { return pick("f1", "f2", "n") }
	val := func() string { return pick("v", "", "10", "-3", "abc", "9223372036854775806") }
	cmds := [][]string{
		{"SET", key(), val()},
		{"SET", key(), val(), pick("NX", "XX", "GET")},
		{"GETSET", key(), val()},
		{"GETDEL", key()},
		{"MSET", key(), val(), key(), val()},
		{"APPEND", key(), val()},
		{"SETRANGE", key(), pick("0", "2"), val()},
		{"INCR", key()},
		{"INCRBY", key(), pick("1", "-5", "abc")},
		{"DEL", key(), key()},
		{"RENAME", key(), key()},
		{"COPY", key(), key(), "REPLACE"},
		{"HSET", key(), field(), val()},
		{"HINCRBY", key(), field(), pick("1", "-2")},
		{"HDEL", key(), field()},
		{"GET", key()},
		{"MGET", key(), key()},
		{"STRLEN", key()},
		{"EXISTS", key(), key()},
		{"TYPE", key()},
		{"HGET", key(), field()},
		{"HLEN", key()},
		{"DBSIZE"},
	}
	// Writes three times as often as reads: long held runs.
	if r.IntN(4) > 0 {
		return cmds[r.IntN(15)]
	}
	return cmds[15+r.IntN(len(cmds)-15)]
}
