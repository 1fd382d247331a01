package netmode

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/store"
	"github.com/shinglekv/shingle/tlsconn"
)

// TestSyncReplicas: under cluster-sync-replicas 1 a primary refuses
// writes while no replica is online, and otherwise reveals a write to no
// client before its replica acknowledged it: whatever a client read from
// the primary, the replica holds already. A primary that loses its role
// while a write waits closes its writer and the readers of that write
// unanswered.
func TestSyncReplicas(t *testing.T) {
	primary := startServer(t, func(c *Config) { c.Cluster.SyncReplicas = 1 })
	pc := primary.raw(t)
	if got := mustDo(t, pc, "SET", "k", "v"); !strings.Contains(got, "NOREPLICAS Not enough good replicas to write.") {
		t.Fatalf("SET with no replica: %s", got)
	}

	// The replica's log syncs can be held back: its acknowledgements
	// then stop where its durable offset stands.
	fs := &testutil.HeldSyncFS{FS: vfs.Default}
	rdb, err := store.Open(t.TempDir(), &store.Options{AppendFsync: store.FsyncAlways, FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Port = 0
	replica, err := New(rdb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		fs.Release()
		replica.Close()
		rdb.Close()
	})
	ln, err := replica.Listen(tlsconn.TCP, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rc := testutil.MustDial(t, "tcp", ln.Addr().String())
	host, port, _ := net.SplitHostPort(primary.tcp)
	mustDo(t, rc, "REPLICAOF", host, port)
	eventually(t, "the replica to acknowledge", func() bool {
		return strings.HasPrefix(mustDo(t, pc, "SET", "k", "v"), `"OK`)
	})
	if got := mustDo(t, rc, "GET", "k"); got != `"v"` {
		t.Fatalf("the replica, once SET answered: %s", got)
	}

	// Writers increment a counter; a reader reads it from the primary,
	// then from the replica, which never holds less.
	var wg sync.WaitGroup
	for range 2 {
		c := primary.raw(t)
		wg.Go(func() {
			for range 200 {
				if r, err := c.Do("INCR", "n"); err != nil || r.Kind != resp.KindInt {
					t.Errorf("INCR: %v %v", r, err)
					return
				}
			}
		})
	}
	reader := primary.raw(t)
	for range 200 {
		p := counter(t, reader)
		r := counter(t, rc)
		if r < p {
			t.Fatalf("the primary answered %d, its replica holds %d", p, r)
		}
	}
	wg.Wait()

	// Hold the replica's log: a write is committed on the primary but
	// never acknowledged.
	entered := fs.Hold()
	writer, readerB := primary.raw(t), primary.raw(t)
	setDone := make(chan error, 1)
	go func() {
		_, err := writer.Do("SET", "k", "unacknowledged")
		setDone <- err
	}()
	<-entered // the replica applies the write: the primary committed it
	getDone := make(chan string, 1)
	go func() {
		r, err := readerB.Do("GET", "k")
		if err != nil {
			getDone <- "error: " + err.Error()
			return
		}
		getDone <- string(r.Str)
	}()
	// The primary now follows another server: what waits fails.
	other := startServer(t, nil)
	oh, op, _ := net.SplitHostPort(other.tcp)
	mustDo(t, primary.raw(t), "REPLICAOF", oh, op)
	if err := <-setDone; err == nil {
		t.Error("the writer of an unacknowledged write got a reply")
	}
	if got := <-getDone; got == "unacknowledged" {
		t.Error("a reader saw a write its replica never acknowledged")
	}
}

// counter reads the integer at n (0 while it does not exist).
func counter(t *testing.T, c *testutil.Client) int {
	t.Helper()
	r, err := c.Do("GET", "n")
	if err != nil {
		t.Fatal(err)
	}
	if r.Str == nil {
		return 0
	}
	n, err := strconv.Atoi(string(r.Str))
	if err != nil {
		t.Fatalf("GET n: %q", r.Str)
	}
	return n
}
