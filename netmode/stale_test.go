package netmode

import (
	"strconv"
	"strings"
	"testing"
	"time"

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

// TestReplicaServesDuringFullSync stalls a full sync's RDB half way
// through a proxy. Under repl-diskless-load swapdb (the default) the
// replica answers from its old data throughout (async_loading:1, no
// -LOADING), -MASTERDOWN under replica-serve-stale-data no, and holds the
// primary's data alone once the sync completes. Under on-empty-db an
// empty replica answers -LOADING instead, as Redis does.
func TestReplicaServesDuringFullSync(t *testing.T) {
	p := testutil.NewPKI(t, "Replication Test CA")
	primary := startNode(t, p, nil)
	fill(t, primary.db, "new:", 20_000) // about 600 KB of RDB
	proxy := testutil.StartProxy(t, primary.tcp)
	stalled := func(n *node) {
		t.Helper()
		eventuallyWithin(t, time.Minute, "the full sync to stall half way", func() bool {
			read, _ := strconv.Atoi(n.info("master_sync_read_bytes"))
			return read >= 150_000
		})
	}

	replica := startNode(t, p, nil)
	fill(t, replica.db, "old:", 100)
	release := proxy.HoldAfter(200_000)
	replica.replicaOf(proxy.Addr)
	stalled(replica)
	c := replica.client()
	for _, check := range [][2]string{
		{"GET old:8", `"8"`}, {"GET new:8", "(nil)"}, {"DBSIZE", "(integer) 100"},
		{"CONFIG SET replica-serve-stale-data no", `"OK"`},
		{"GET old:8", "(error) MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."},
		{"CONFIG SET replica-serve-stale-data yes", `"OK"`},
		{"GET old:8", `"8"`},
	} {
		if got := mustDo(t, c, strings.Fields(check[0])...); got != check[1] {
			t.Fatalf("%s during the full sync: %s, want %s", check[0], got, check[1])
		}
	}
	if replica.info("async_loading") != "1" || replica.info("loading") != "0" || replica.info("master_sync_in_progress") != "1" {
		t.Fatalf("async_loading:%s loading:%s master_sync_in_progress:%s during a swapdb full sync",
			replica.info("async_loading"), replica.info("loading"), replica.info("master_sync_in_progress"))
	}
	release()
	waitInSync(t, primary, replica)
	if got := mustDo(t, c, "DBSIZE"); got != "(integer) 20000" {
		t.Fatalf("DBSIZE %s after the sync", got)
	}
	if got := mustDo(t, c, "GET", "old:8"); got != "(nil)" {
		t.Fatalf("an old key after the sync: %s", got)
	}

	empty := startNode(t, p, func(c *Config) { c.ReplDisklessLoad = "on-empty-db" })
	release = proxy.HoldAfter(200_000)
	empty.replicaOf(proxy.Addr)
	stalled(empty)
	if got := mustDo(t, empty.client(), "GET", "new:7"); !strings.HasPrefix(got, "(error) LOADING") {
		t.Fatalf("GET on an empty replica loading on-empty-db: %s", got)
	}
	if empty.info("loading") != "1" {
		t.Fatalf("loading:%s during an on-empty-db full sync", empty.info("loading"))
	}
	release()
	waitInSync(t, primary, empty)
}
