package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/shinglekv/shingle/internal/testutil"
)

// openAlways opens a database on disk under appendfsync always whose log
// syncs the test can hold back and count. It is closed at the end of the
// test, after any sync still held is released.
func openAlways(t *testing.T) (*DB, *testutil.HeldSyncFS) {
	t.Helper()
	fs := &testutil.HeldSyncFS{FS: vfs.Default}
	db, err := Open(t.TempDir(), &Options{AppendFsync: FsyncAlways, FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		fs.Release() // Close waits for held writes
		db.Close()
	})
	return db, fs
}

// TestReadsWaitForFsync: under appendfsync always, a write whose fsync is
// held back is revealed to no one until the fsync completes: not to a
// reader of the DB (its Get waits), not through a session's replies (its
// Wait waits), not to a replica link (WaitDurable waits). Redis's rule:
// no reply reveals a write before it is as durable as the policy says.
// DBSize, which counts keys, waits too.
func TestReadsWaitForFsync(t *testing.T) {
	db, fs := openAlways(t)
	k := []byte("k")
	if err := db.Set(k, []byte("old")); err != nil {
		t.Fatal(err)
	}
	durable := db.DurableOffset()

	entered := fs.Hold()
	setDone := make(chan error, 1)
	go func() { setDone <- db.Set(k, []byte("new")) }()
	<-entered // committed, its fsync waiting

	got := make(chan string, 1)
	go func() {
		v, _ := db.Get(k)
		got <- string(v)
	}()
	counted := make(chan int64, 1)
	go func() {
		n, _ := db.DBSize()
		counted <- n
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

	// The readers, the session and the replica link all wait.
	testutil.Eventually(t, 10*time.Second, "four waiters", func() bool {
		return db.durable.waiters.Load() >= 4 || len(got)+len(counted)+len(waited)+len(sent)+len(setDone) > 0
	})
	select {
	case v := <-got:
		t.Fatalf("Get returned %q before the fsync", v)
	case n := <-counted:
		t.Fatalf("DBSize returned %d before the fsync", n)
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

	fs.Release()
	if err := <-setDone; err != nil {
		t.Fatal(err)
	}
	if v := <-got; v != "new" {
		t.Errorf("Get after the fsync: %q", v)
	}
	if n := <-counted; n != 1 {
		t.Errorf("DBSize after the fsync: %d", n)
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

// TestHeldRunIsOneCommit: the writes of a held run (Session.Hold) reach
// Pebble as one batch when the session releases the lock: one log record,
// one fsync under appendfsync always. Until then they are published on the
// feed, but a replica link waiting for one of them (WaitDurable) waits, and
// so does a reader.
func TestHeldRunIsOneCommit(t *testing.T) {
	db, fs := openAlways(t)
	offsets := make(chan uint64, 100)
	_, cancel, err := db.Subscribe(func(c Change) { offsets <- c.Offset })
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	const n = 10
	s := db.NewSession()
	before := fs.Syncs.Load()
	if err := s.Hold(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := s.Set([]byte{'k', byte(i)}, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	if len(offsets) != n {
		t.Fatalf("%d changes published for %d held writes", len(offsets), n)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	sent := make(chan error, 1)
	go func() { sent <- db.WaitDurable(ctx, <-offsets) }()
	got := make(chan string, 1)
	go func() {
		v, _ := db.Get([]byte{'k', 0})
		got <- string(v)
	}()
	testutil.Eventually(t, 10*time.Second, "the replica link waiting", func() bool {
		return db.durable.waiters.Load() >= 1 || len(sent) > 0
	})
	select {
	case err := <-sent:
		t.Fatalf("WaitDurable returned (%v) for a held write not yet applied", err)
	case v := <-got:
		t.Fatalf("Get returned %q during the held run", v)
	default:
	}
	s.Release()
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if v := <-got; v != "v" {
		t.Fatalf("Get after the run: %q", v)
	}
	if syncs := fs.Syncs.Load() - before; syncs != 1 {
		t.Fatalf("%d log syncs for a held run of %d writes, want 1", syncs, n)
	}
	if db.DurableOffset() != db.Offset() {
		t.Fatalf("DurableOffset %d after the run, offset %d", db.DurableOffset(), db.Offset())
	}
}

// TestSessionReplicateLeavesTheWait: a replica applying its primary's
// stream through a session goes on to the next run while the last one's
// log write (here its fsync, held back) is in flight; the run is revealed
// (DurableOffset) once the session's Wait has it durable.
func TestSessionReplicateLeavesTheWait(t *testing.T) {
	db, fs := openAlways(t)
	db.SetFollowing(true)
	durable := db.DurableOffset()
	stream := []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
	s := db.NewSession()
	entered := fs.Hold()
	for range 2 {
		if err := s.Replicate(stream, func(tx *Tx) error { return tx.Set([]byte("k"), []byte("v")) }); err != nil {
			t.Fatal(err)
		}
	}
	<-entered // the first run's fsync waits, and both Replicate calls returned
	if db.DurableOffset() != durable {
		t.Fatalf("DurableOffset moved to %d before the fsync", db.DurableOffset())
	}
	fs.Release()
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	if got, want := db.DurableOffset(), durable+2*uint64(len(stream)); got != want {
		t.Fatalf("DurableOffset %d after Wait, want %d", got, want)
	}
}

// TestAckGate: under the acknowledgement gate a write is revealed to no
// one (its writer, a reader, a session's replies) until AckReplicated
// covers its offset, while a replica link (WaitDurable) is not held back;
// AckWanted tells the feeder what to ask for; FailUnacked fails the
// waiters instead.
func TestAckGate(t *testing.T) {
	db := openMem(t, nil)
	k := []byte("k")
	db.SetAckGate(true)

	setDone := make(chan error, 1)
	go func() { setDone <- db.Set(k, []byte("v")) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	want, err := db.AckWanted(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want != db.Offset() {
		t.Fatalf("AckWanted %d, the write's offset %d", want, db.Offset())
	}
	if err := db.WaitDurable(ctx, want); err != nil {
		t.Fatalf("a replica link waited for the gate: %v", err)
	}
	type read struct {
		v   string
		err error
	}
	got := make(chan read, 1)
	go func() {
		v, err := db.Get(k)
		got <- read{string(v), err}
	}()
	sess := db.NewSession()
	if v, err := sess.Get(k); err != nil || string(v) != "v" {
		t.Fatalf("the session's read: %q %v", v, err)
	}
	waited := make(chan error, 1)
	go func() { waited <- sess.Wait() }()
	testutil.Eventually(t, 10*time.Second, "three waiters", func() bool {
		return db.durable.waiters.Load() >= 3 || len(got)+len(waited)+len(setDone) > 0
	})
	select {
	case r := <-got:
		t.Fatalf("Get returned %q %v before the acknowledgement", r.v, r.err)
	case err := <-waited:
		t.Fatalf("the session's Wait returned (%v) before the acknowledgement", err)
	case err := <-setDone:
		t.Fatalf("Set returned (%v) before the acknowledgement", err)
	default:
	}
	db.AckReplicated(want)
	if err := <-setDone; err != nil {
		t.Fatal(err)
	}
	if r := <-got; r.v != "v" || r.err != nil {
		t.Errorf("Get after the acknowledgement: %q %v", r.v, r.err)
	}
	if err := <-waited; err != nil {
		t.Error(err)
	}

	// A primary that loses its role fails what waits.
	go func() { setDone <- db.Set(k, []byte("lost")) }()
	if _, err := db.AckWanted(ctx); err != nil {
		t.Fatal(err)
	}
	go func() {
		v, err := db.Get(k)
		got <- read{string(v), err}
	}()
	testutil.Eventually(t, 10*time.Second, "two waiters", func() bool {
		return db.durable.waiters.Load() >= 2 || len(got)+len(setDone) > 0
	})
	db.FailUnacked()
	db.SetAckGate(false)
	if err := <-setDone; !errors.Is(err, ErrUnacknowledged) {
		t.Errorf("the unacknowledged Set: %v", err)
	}
	if r := <-got; !errors.Is(r.err, ErrUnacknowledged) {
		t.Errorf("the read of an unacknowledged write: %q %v", r.v, r.err)
	}
	// With the gate off, nothing waits.
	if v := mustGet(t, db, "k"); v != "lost" {
		t.Errorf("Get with the gate off: %q", v)
	}
}
