package store

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/shinglekv/shingle/internal/testutil"
)

// heldSyncFS holds every log file sync back while held, so that a test can
// look at the store between a commit and its fsync.
type heldSyncFS struct {
	vfs.FS
	mu      sync.Mutex
	gate    chan struct{} // nil: syncs pass; else closed to let them through
	entered chan struct{} // closed by the first sync that waits at the gate
}

func (fs *heldSyncFS) hold() (entered <-chan struct{}) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.gate, fs.entered = make(chan struct{}), make(chan struct{})
	return fs.entered
}

func (fs *heldSyncFS) release() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.gate != nil {
		close(fs.gate)
		fs.gate = nil
	}
}

func (fs *heldSyncFS) wait() {
	fs.mu.Lock()
	gate, entered := fs.gate, fs.entered
	if gate != nil {
		select {
		case <-entered:
		default:
			close(entered)
		}
	}
	fs.mu.Unlock()
	if gate != nil {
		<-gate
	}
}

func (fs *heldSyncFS) wrap(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return &heldSyncFile{File: f, fs: fs}, nil
}

func (fs *heldSyncFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, c)
	return fs.wrap(name, f, err)
}

func (fs *heldSyncFS) ReuseForWrite(old, name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(old, name, c)
	return fs.wrap(name, f, err)
}

type heldSyncFile struct {
	vfs.File
	fs *heldSyncFS
}

func (f *heldSyncFile) Sync() error     { f.fs.wait(); return f.File.Sync() }
func (f *heldSyncFile) SyncData() error { f.fs.wait(); return f.File.SyncData() }
func (f *heldSyncFile) SyncTo(n int64) (bool, error) {
	f.fs.wait()
	return f.File.SyncTo(n)
}

// TestReadsWaitForFsync: under appendfsync always, a write whose fsync is
// held back is revealed to no one until the fsync completes: not to a
// reader of the DB (its Get waits), not through a session's replies (its
// Wait waits), not to a replica link (WaitDurable waits). Redis's rule:
// no reply reveals a write before it is as durable as the policy says.
func TestReadsWaitForFsync(t *testing.T) {
	fs := &heldSyncFS{FS: vfs.Default}
	db, err := Open(t.TempDir(), &Options{AppendFsync: FsyncAlways, fs: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defer fs.release() // before Close, which waits for held writes, if the test fails
	k := []byte("k")
	if err := db.Set(k, []byte("old")); err != nil {
		t.Fatal(err)
	}
	durable := db.DurableOffset()

	entered := fs.hold()
	setDone := make(chan error, 1)
	go func() { setDone <- db.Set(k, []byte("new")) }()
	<-entered // committed, its fsync waiting

	got := make(chan string, 1)
	go func() {
		v, _ := db.Get(k)
		got <- string(v)
	}()
	sess := db.NewSession()
	if v, err := sess.Get(k); err != nil || string(v) != "new" {
		t.Fatalf("the session's read: %q %v", v, err)
	}
	waited := make(chan error, 1)
	go func() { waited <- sess.Wait() }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sent := make(chan error, 1)
	go func() { sent <- db.WaitDurable(ctx, db.Offset()) }()

	// The reader, the session and the replica link all wait.
	testutil.Eventually(t, 10*time.Second, "three waiters", func() bool {
		return db.durable.waiters.Load() >= 3 || len(got)+len(waited)+len(sent)+len(setDone) > 0
	})
	select {
	case v := <-got:
		t.Fatalf("Get returned %q before the fsync", v)
	case err := <-waited:
		t.Fatalf("the session's Wait returned (%v) before the fsync", err)
	case err := <-sent:
		t.Fatalf("WaitDurable returned (%v) before the fsync", err)
	case err := <-setDone:
		t.Fatalf("Set returned (%v) before its fsync", err)
	default:
	}
	if db.DurableOffset() != durable {
		t.Errorf("DurableOffset moved to %d before the fsync (was %d)", db.DurableOffset(), durable)
	}

	fs.release()
	if err := <-setDone; err != nil {
		t.Fatal(err)
	}
	if v := <-got; v != "new" {
		t.Errorf("Get after the fsync: %q", v)
	}
	if err := <-waited; err != nil {
		t.Error(err)
	}
	if err := <-sent; err != nil {
		t.Error(err)
	}
	if db.DurableOffset() != db.Offset() {
		t.Errorf("DurableOffset %d after the fsync, offset %d", db.DurableOffset(), db.Offset())
	}
	// A read of what is durable waits for nothing.
	if v := mustGet(t, db, "k"); v != "new" {
		t.Errorf("Get: %q", v)
	}
}
