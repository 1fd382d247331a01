package netmode

import (
	"slices"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/internal/testutil"
)

// laterCommands are Redis 7.0's commands that a later issue brings:
// scripting, functions, pub/sub, streams, modules and numbered databases
// beyond SELECT 0.
var laterCommands = strings.Fields(`
	eval eval_ro evalsha evalsha_ro script fcall fcall_ro function
	psubscribe publish pubsub punsubscribe spublish ssubscribe subscribe sunsubscribe unsubscribe
	xack xadd xautoclaim xclaim xdel xgroup xinfo xlen xpending xrange xread xreadgroup xrevrange xsetid xtrim
	module move swapdb`)

// TestRedisCommandList compares the top-level commands of Debian's
// redis-server (COMMAND LIST) with the table of a cluster-enabled Shingle
// node: every one of them is served, or listed above for a later issue.
func TestRedisCommandList(t *testing.T) {
	rc := testutil.StartRedis(t).Dial(t)
	r, err := rc.Do("COMMAND", "LIST")
	if err != nil {
		t.Fatal(err)
	}
	node := startClusterNode(t, testutil.NewPKI(t, "Command List CA"), nil)
	table := node.srv.Table()
	var redis, missing, served []string
	for _, e := range r.Elems {
		name := string(e.Str)
		if strings.Contains(name, "|") {
			continue // a subcommand
		}
		redis = append(redis, name)
		if table.Lookup([]byte(name)) == nil {
			missing = append(missing, name)
		} else if slices.Contains(laterCommands, name) {
			served = append(served, name)
		}
	}
	if len(redis) < 200 {
		t.Fatalf("COMMAND LIST gave %d top-level commands: not redis-server 7.0's list", len(redis))
	}
	var unexpected []string
	for _, name := range missing {
		if !slices.Contains(laterCommands, name) {
			unexpected = append(unexpected, name)
		}
	}
	slices.Sort(unexpected)
	slices.Sort(served)
	if len(unexpected) > 0 {
		t.Errorf("Redis 7.0 commands Shingle does not serve and no list names: %s", strings.Join(unexpected, " "))
	}
	if len(served) > 0 {
		t.Errorf("served now, take them off laterCommands: %s", strings.Join(served, " "))
	}
	t.Logf("%d of Redis 7.0's %d top-level commands served; %d for a later issue",
		len(redis)-len(missing), len(redis), len(laterCommands))
}
