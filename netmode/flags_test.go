package netmode

import (
	"slices"
	"testing"

	"github.com/shinglekv/shingle/internal/testutil"
)

// TestCommandFlagsMatchRedis: COMMAND INFO gives every command in
// Shingle's table the flags redis-server 7 gives it, of those Shingle's
// table has names for (the checks before a command runs read them:
// loading, stale, write, no_auth, ...), but for the differences Shingle
// makes on purpose.
func TestCommandFlagsMatchRedis(t *testing.T) {
	rc := testutil.StartRedis(t).Dial(t)
	sh := startServer(t, nil)
	known := map[string]bool{}
	for _, cmd := range sh.srv.Table().Commands() {
		for _, f := range cmd.Flags.Names() {
			known[f] = true
		}
	}
	deliberate := map[string]string{
		// Redis flags the subcommands of a container, not the container.
		"acl": "", "client": "", "config": "", "object": "",
		// REPLICAOF runs while a full sync loads (the way out of an
		// incomplete data set) and not inside MULTI.
		"replicaof": "", "slaveof": "",
		// MIGRATE holds the session's write lock: not inside MULTI.
		"migrate": "",
	}
	for _, cmd := range sh.srv.Table().Commands() {
		if _, ok := deliberate[cmd.Name]; ok {
			continue
		}
		r, err := rc.Do("COMMAND", "INFO", cmd.Name)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Elems) == 0 || len(r.Elems[0].Elems) < 3 {
			continue // not a command of Redis 7.0
		}
		var want []string
		for _, f := range r.Elems[0].Elems[2].Elems {
			if known[string(f.Str)] {
				want = append(want, string(f.Str))
			}
		}
		got := cmd.Flags.Names()
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: shingle %v, redis %v", cmd.Name, got, want)
		}
	}
}
