package netmode

import (
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/testutil"
)

// syncStats returns INFO stats' sync_full and sync_partial_ok of n.
func syncStats(t *testing.T, n *node) (full, partial int) {
	t.Helper()
	r, err := n.client().Do("INFO", "stats")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(r.Str), "\r\n") {
		if v, ok := strings.CutPrefix(line, "sync_full:"); ok {
			full, _ = strconv.Atoi(v)
		}
		if v, ok := strings.CutPrefix(line, "sync_partial_ok:"); ok {
			partial, _ = strconv.Atoi(v)
		}
	}
	return full, partial
}

// TestLinkCuts cuts a replica's link through a proxy during the
// handshake, in the middle of the full sync's snapshot and in the middle
// of the stream: each time the replica connects again and ends with the
// primary's data, resuming the stream with a partial resync.
func TestLinkCuts(t *testing.T) {
	p := testutil.NewPKI(t, "Replication Test CA")
	primary := startNode(t, p, nil)
	fill(t, primary.db, "k:", 20_000)
	proxy := testutil.StartProxy(t, primary.tcp)
	replica := startNode(t, p, nil)

	// The first connection is cut inside the handshake, the second in the
	// middle of the snapshot (about 600 KB).
	proxy.CutAfter(int64(len("+PONG\r\n+OK\r\n")), 200_000)
	replica.replicaOf(proxy.Addr)
	eventuallyWithin(t, time.Minute, "a third connection", func() bool { return proxy.Accepted() >= 3 })
	waitInSync(t, primary, replica)
	if full, _ := syncStats(t, primary); full < 2 {
		t.Fatalf("sync_full:%d: the snapshot was not cut", full)
	}
	if got := replica.info("master_full_syncs"); got != "1" {
		t.Fatalf("master_full_syncs:%s, want the one that completed", got)
	}

	// Mid-stream: cut while writes flow; the replica resumes from its
	// offset with +CONTINUE.
	c := primary.client()
	for round := range 3 {
		for i := range 200 {
			mustDo(t, c, "SET", "stream:"+strconv.Itoa(round)+":"+strconv.Itoa(i), "v")
			if i == 100 {
				proxy.Cut()
			}
		}
		waitInSync(t, primary, replica)
	}
	if _, partial := syncStats(t, primary); partial < 3 {
		t.Fatalf("sync_partial_ok:%d after 3 cuts in the stream", partial)
	}
}

// TestWaitAcknowledgedSurvivesCuts: every write that WAIT reported as
// acknowledged by the replica is there after the link was cut repeatedly
// and healed.
func TestWaitAcknowledgedSurvivesCuts(t *testing.T) {
	p := testutil.NewPKI(t, "Replication Test CA")
	primary := startNode(t, p, nil)
	proxy := testutil.StartProxy(t, primary.tcp)
	replica := startNode(t, p, nil)
	replica.replicaOf(proxy.Addr)
	waitInSync(t, primary, replica)

	c := primary.client()
	var acked []string
	for i := range 300 {
		k := "acked:" + strconv.Itoa(i)
		mustDo(t, c, "SET", k, strconv.Itoa(i))
		if i%50 == 25 {
			proxy.Cut()
		}
		if mustDo(t, c, "WAIT", "1", "3000") == "(integer) 1" {
			acked = append(acked, k)
		}
	}
	if len(acked) == 0 {
		t.Fatal("WAIT never saw an acknowledgement")
	}
	waitInSync(t, primary, replica)
	rc := replica.client()
	for _, k := range acked {
		if got := mustDo(t, rc, "GET", k); got != strconv.Quote(strings.TrimPrefix(k, "acked:")) {
			t.Fatalf("acknowledged %s is %s on the replica", k, got)
		}
	}
}

// TestFragmentedSlowLink: a link that delivers a few bytes at a time, each
// after a delay, carries the handshake, the full sync and the stream.
func TestFragmentedSlowLink(t *testing.T) {
	p := testutil.NewPKI(t, "Replication Test CA")
	primary := startNode(t, p, nil)
	fill(t, primary.db, "k:", 300)
	proxy := testutil.StartProxy(t, primary.tcp)
	proxy.Shape(7, 100*time.Microsecond)
	replica := startNode(t, p, nil)
	replica.replicaOf(proxy.Addr)
	waitInSync(t, primary, replica)
	c := primary.client()
	mustDo(t, c, "MULTI")
	mustDo(t, c, "SET", "a", "1")
	mustDo(t, c, "HSET", "h", "f", "v")
	mustDo(t, c, "EXEC")
	waitInSync(t, primary, replica)
	if proxy.Accepted() != 1 {
		t.Fatalf("the slow link was reconnected %d times", proxy.Accepted()-1)
	}
}

// TestLoadingDuringFullSync: while a slow full sync loads straight into
// an empty replica (repl-diskless-load on-empty-db), the replica answers
// -LOADING to data commands, INFO and ROLE still work, and INFO shows the
// sync's progress.
func TestLoadingDuringFullSync(t *testing.T) {
	p := testutil.NewPKI(t, "Replication Test CA")
	primary := startNode(t, p, nil)
	fill(t, primary.db, "k:", 20_000)
	proxy := testutil.StartProxy(t, primary.tcp)
	proxy.Shape(4096, time.Millisecond)
	replica := startNode(t, p, func(c *Config) { c.ReplDisklessLoad = "on-empty-db" })
	replica.replicaOf(proxy.Addr)
	eventually(t, "the full sync to start loading", func() bool {
		n, _ := strconv.Atoi(replica.info("master_sync_read_bytes"))
		return replica.info("master_sync_in_progress") == "1" && n > 0
	})
	c := replica.client()
	if r := mustDo(t, c, "GET", "k:0"); !strings.Contains(r, "LOADING") {
		t.Fatalf("GET during the load: %s", r)
	}
	if r := mustDo(t, c, "ROLE"); !strings.Contains(r, `"sync"`) {
		t.Fatalf("ROLE during the load: %s", r)
	}
	if got := replica.info("master_sync_total_bytes"); got != "-1" {
		t.Fatalf("master_sync_total_bytes:%s for a diskless sync", got)
	}
	waitInSync(t, primary, replica)
}

// TestSilentReplicaDropped: a replica that stops acknowledging is dropped
// after repl-timeout, as Redis drops it.
func TestSilentReplicaDropped(t *testing.T) {
	p := testutil.NewPKI(t, "Replication Test CA")
	primary := startNode(t, p, func(cfg *Config) { cfg.ReplTimeout = time.Second })
	conn, err := net.Dial("tcp", primary.tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "PSYNC ? -1\r\n"); err != nil { // and never a REPLCONF ACK
		t.Fatal(err)
	}
	eventually(t, "the replica link", func() bool { return primary.info("connected_slaves") == "1" })
	eventually(t, "the silent replica to be dropped", func() bool { return primary.info("connected_slaves") == "0" })
}

// TestReplicaOutputLimit: a replica that falls behind by more than the
// replica class of client-output-buffer-limit is dropped, counted, and
// syncs again.
func TestReplicaOutputLimit(t *testing.T) {
	p := testutil.NewPKI(t, "Replication Test CA")
	primary := startNode(t, p, nil)
	c := primary.client()
	if r := mustDo(t, c, "CONFIG", "SET", "client-output-buffer-limit", "replica 256kb 0 0"); r != `"OK"` {
		t.Fatalf("CONFIG SET client-output-buffer-limit: %s", r)
	}
	if r := mustDo(t, c, "CONFIG", "GET", "client-output-buffer-limit"); r != `["client-output-buffer-limit" "normal 0 0 0 slave 262144 0 0 pubsub 33554432 8388608 60"]` {
		t.Fatalf("CONFIG GET client-output-buffer-limit: %s", r)
	}
	proxy := testutil.StartProxy(t, primary.tcp)
	proxy.Shape(1024, time.Millisecond) // about 1 MB/s
	replica := startNode(t, p, nil)
	replica.replicaOf(proxy.Addr)
	eventually(t, "the link", func() bool { return replica.info("master_link_status") == "up" })
	big := strings.Repeat("x", 100<<10)
	dropped := func() bool {
		st, _ := c.Do("INFO", "stats")
		return !strings.Contains(string(st.Str), "client_output_buffer_limit_disconnections:0\r\n")
	}
	for i := 0; !dropped(); i++ {
		if i == 1000 {
			t.Fatal("100 MB written and the slow replica was never dropped")
		}
		mustDo(t, c, "SET", "big:"+strconv.Itoa(i%50), big)
	}
	proxy.Shape(0, 0)
	waitInSync(t, primary, replica)
}
