package netmode

import (
	"strconv"
	"testing"

	"github.com/shinglekv/shingle/internal/testutil"
)

// TestReplicaServeStaleData: a replica whose primary cannot be reached,
// under replica-serve-stale-data no, answers as redis-server 7 does:
// MASTERDOWN for commands not flagged stale, EXEC included when it would
// run one, the others as usual.
func TestReplicaServeStaleData(t *testing.T) {
	dead := strconv.Itoa(testutil.FreePort(t)) // nothing listens there
	rd := testutil.StartRedis(t, "--replicaof", "127.0.0.1", dead, "--replica-serve-stale-data", "no")
	sh := startServer(t, func(c *Config) {
		c.ReplicaOf = "127.0.0.1 " + dead
		c.ReplicaServeStaleData = false
	})
	rc, sc := rd.Dial(t), sh.raw(t)
	for _, cmd := range [][]string{
		{"GET", "k"}, {"SET", "k", "v"}, {"DBSIZE"}, {"PING"}, {"ECHO", "x"},
		{"CONFIG", "GET", "replica-serve-stale-data"},
		{"MULTI"}, {"PING"}, {"EXEC"},
		{"MULTI"}, {"GET", "k"}, {"EXEC"},
		{"CONFIG", "SET", "replica-serve-stale-data", "yes"},
		{"GET", "k"},
	} {
		if got, want := mustDo(t, sc, cmd...), mustDo(t, rc, cmd...); got != want {
			t.Errorf("%q:\n shingle %s\n redis   %s", cmd, got, want)
		}
	}
}
