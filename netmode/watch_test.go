package netmode

import (
	"strings"
	"testing"

	"github.com/shinglekv/shingle/internal/testutil"
)

// TestWatchMatchesRedis runs WATCH scenarios on a stock redis-server and
// on Shingle, each with a second connection that writes between WATCH and
// EXEC, and requires the same replies: EXEC fails (a null array) when a
// watched key was written by another client (its value, its TTL, a hash
// field), deleted, flushed while present, or expired; it runs when the
// writes touched other keys, when FLUSHALL found the key absent, when a
// key already expired at WATCH was only deleted by its expiry, and after
// UNWATCH or DISCARD.
func TestWatchMatchesRedis(t *testing.T) {
	rd := testutil.StartRedis(t)
	sh := startServer(t, nil)
	type conns struct{ a, b *testutil.Client }
	sides := map[string]conns{"redis": {rd.Dial(t), rd.Dial(t)}, "shingle": {sh.raw(t), sh.raw(t)}}
	// Each step: which connection, and the command; "wait-expired k" polls
	// until k has expired on that side.
	scenarios := map[string][]string{
		"written by another":     {"a SET k 1", "a WATCH k", "b SET k 2", "a MULTI", "a GET k", "a EXEC", "a GET k"},
		"not written":            {"a SET k 1", "a WATCH k", "b SET other 2", "a MULTI", "a INCR k", "a EXEC"},
		"TTL changed":            {"a SET k 1", "a WATCH k", "b EXPIRE k 100", "a MULTI", "a PING", "a EXEC"},
		"hash field overwritten": {"a HSET h f 1", "a WATCH h", "b HSET h f 2", "a MULTI", "a HGET h f", "a EXEC"},
		"hash field incremented": {"a HSET h f 1", "a WATCH h", "b HINCRBY h f 2", "a MULTI", "a HGET h f", "a EXEC"},
		"deleted":                {"a SET k 1", "a WATCH k", "b DEL k", "a MULTI", "a PING", "a EXEC"},
		"flushed while present":  {"a SET k 1", "a WATCH k", "b FLUSHALL", "a MULTI", "a PING", "a EXEC"},
		"flushed while absent":   {"a WATCH k", "b SET x 1", "b FLUSHALL", "a MULTI", "a PING", "a EXEC"},
		"created":                {"a WATCH k", "b SET k 1", "a MULTI", "a PING", "a EXEC"},
		"expired after WATCH":    {"a SET k 1 PX 30", "a WATCH k", "b wait-expired k", "a MULTI", "a PING", "a EXEC"},
		"expired before WATCH":   {"a SET k 1 PX 1", "b wait-expired k", "a WATCH k", "b GET k", "a MULTI", "a PING", "a EXEC"},
		"expired, then set":      {"a SET k 1 PX 1", "b wait-expired k", "a WATCH k", "b SET k 2", "a MULTI", "a PING", "a EXEC"},
		"unwatched":              {"a SET k 1", "a WATCH k", "a UNWATCH", "b SET k 2", "a MULTI", "a PING", "a EXEC"},
		"discarded":              {"a WATCH k", "a MULTI", "a DISCARD", "b SET k 2", "a MULTI", "a PING", "a EXEC"},
		"watch in multi":         {"a MULTI", "a WATCH k", "a PING", "a EXEC"},
		"execabort unwatches":    {"a WATCH k", "a MULTI", "a NOSUCHCMD", "a EXEC", "b SET k 1", "a MULTI", "a PING", "a EXEC"},
		"unwatch queued":         {"a WATCH k", "a MULTI", "a UNWATCH", "a EXEC"},
		"own write":              {"a WATCH k", "a SET k 1", "a MULTI", "a PING", "a EXEC"},
		"arity":                  {"a WATCH", "a UNWATCH x"},
		"several keys":           {"a WATCH k1 k2 k3", "b SET k3 1", "a MULTI", "a PING", "a EXEC", "a WATCH k1 k1", "a MULTI", "a PING", "a EXEC"},
	}
	for name, steps := range scenarios {
		t.Run(name, func(t *testing.T) {
			replies := map[string][]string{}
			for side, c := range sides {
				mustDo(t, c.a, "FLUSHALL")
				for _, step := range steps {
					f := strings.Fields(step)
					conn := c.a
					if f[0] == "b" {
						conn = c.b
					}
					if f[1] == "wait-expired" {
						eventually(t, "the key to expire", func() bool { return mustDo(t, conn, "PTTL", f[2]) == "(integer) -2" })
						continue
					}
					replies[side] = append(replies[side], step+" -> "+mustDo(t, conn, f[1:]...))
				}
			}
			if got, want := strings.Join(replies["shingle"], "\n"), strings.Join(replies["redis"], "\n"); got != want {
				t.Errorf("shingle:\n%s\nredis:\n%s", got, want)
			}
		})
	}
}
