package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock for Options.Now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.UnixMilli(1_700_000_000_000)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openMem opens an in-memory store for a test.
func openMem(t testing.TB, o *Options) *DB {
	t.Helper()
	var opts Options
	if o != nil {
		opts = *o
	}
	opts.InMemory = true
	db, err := Open("", &opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustGet(t testing.TB, db *DB, key string) string {
	t.Helper()
	v, err := db.Get([]byte(key))
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return string(v)
}

func TestOpenCloseReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.HSet([]byte("h"), []byte("f"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	id, off := db.ReplicationID(), db.Offset()
	if len(id) != 40 || off == 0 {
		t.Fatalf("replication id %q offset %d", id, off)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := db.Get([]byte("k")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
	if err := db.Set([]byte("k"), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Set after Close: %v", err)
	}
	if err := db.Update(func(*Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Update after Close: %v", err)
	}
	if _, _, err := db.Subscribe(func(Change) {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Subscribe after Close: %v", err)
	}

	db, err = Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := mustGet(t, db, "k"); got != "v" {
		t.Fatalf("after reopen k = %q", got)
	}
	if v, err := db.HGet([]byte("h"), []byte("f")); err != nil || string(v) != "x" {
		t.Fatalf("after reopen h.f = %q, %v", v, err)
	}
	if db.ReplicationID() != id || db.Offset() != off {
		t.Fatalf("replication id/offset %s/%d after reopen, want %s/%d", db.ReplicationID(), db.Offset(), id, off)
	}
	// Collection ids keep growing across restarts: a new hash must not
	// reuse the id of the old one.
	if _, err := db.HSet([]byte("h2"), []byte("f"), []byte("y")); err != nil {
		t.Fatal(err)
	}
	if fvs, _ := db.HGetAll([]byte("h")); len(fvs) != 1 {
		t.Fatalf("h after creating h2: %v", fvs)
	}
}

func TestInMemoryWritesNothing(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, &Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("in-memory store wrote %d entries to %s", len(entries), dir)
	}
}

func TestOptions(t *testing.T) {
	for _, name := range []string{"always", "everysec", "no", "EVERYSEC"} {
		p, err := ParseFsyncPolicy(name)
		if err != nil || !bytes.EqualFold([]byte(p.String()), []byte(name)) {
			t.Errorf("ParseFsyncPolicy(%q) = %v, %v", name, p, err)
		}
	}
	if _, err := ParseFsyncPolicy("sometimes"); err == nil {
		t.Error("ParseFsyncPolicy accepted sometimes")
	}
	if _, err := Open("", &Options{InMemory: true, AppendFsync: FsyncPolicy(7)}); err == nil {
		t.Error("Open accepted an invalid AppendFsync")
	}
	if _, err := Open("", &Options{InMemory: true, CacheSize: -1}); err == nil {
		t.Error("Open accepted a negative CacheSize")
	}
	// Every policy works on disk, and writes are there after reopening.
	for _, p := range []FsyncPolicy{FsyncAlways, FsyncEverySec, FsyncNo} {
		dir := t.TempDir()
		db, err := Open(dir, &Options{AppendFsync: p})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Set([]byte("k"), []byte(p.String())); err != nil {
			t.Fatal(err)
		}
		db.Close()
		db, err = Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := mustGet(t, db, "k"); got != p.String() {
			t.Errorf("%v: got %q", p, got)
		}
		db.Close()
	}
}

// TestGroupCommit has many writers commit with FsyncAlways at once: each
// must succeed, and they must have needed fewer fsyncs than writes.
func TestGroupCommit(t *testing.T) {
	db, fs := openAlways(t)
	const writers, each = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := db.IncrBy([]byte("n"), 1); err != nil {
					errs <- err
					return
				}
				if err := db.Set([]byte{byte(w), byte(i)}, []byte("v")); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := mustGet(t, db, "n"); got != "800" {
		t.Fatalf("n = %s, want 800", got)
	}
	syncs := fs.Syncs.Load()
	if syncs == 0 || syncs >= 2*writers*each {
		t.Fatalf("%d WAL syncs for %d durable writes: no group commit", syncs, 2*writers*each)
	}
	t.Logf("%d writes, %d fsyncs", 2*writers*each, syncs)
}

// TestConcurrentReadModifyWrite checks that read-modify-write commands on
// one key from many goroutines lose no update.
func TestConcurrentReadModifyWrite(t *testing.T) {
	db := openMem(t, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				db.IncrBy([]byte("n"), 1)
				db.HIncrBy([]byte("h"), []byte("f"), 1)
				db.Append([]byte("s"), []byte("x"))
				db.Get([]byte("n"))
			}
		}()
	}
	wg.Wait()
	if got := mustGet(t, db, "n"); got != "1600" {
		t.Fatalf("n = %s", got)
	}
	if v, _ := db.HGet([]byte("h"), []byte("f")); string(v) != "1600" {
		t.Fatalf("h.f = %s", v)
	}
	if n, _ := db.StrLen([]byte("s")); n != 1600 {
		t.Fatalf("len(s) = %d", n)
	}
}

func TestDBSizeAndKeyCounts(t *testing.T) {
	clock := newTestClock()
	db := openMem(t, &Options{Now: clock.Now, ActiveExpireInterval: -1})
	db.Set([]byte("a"), []byte("1"))
	// Counts are computed on first use, then maintained by every write.
	if n, err := db.DBSize(); err != nil || n != 1 {
		t.Fatalf("DBSize = %d, %v", n, err)
	}
	db.MSet([]byte("b"), []byte("2"), []byte("c"), []byte("3"), []byte("b"), []byte("4"))
	db.HSet([]byte("h"), []byte("f"), []byte("v"), []byte("g"), []byte("w"))
	db.Expire([]byte("a"), time.Second, ExpireAlways)
	db.SetWith([]byte("d"), []byte("x"), SetOptions{TTL: time.Hour})
	keys, expires, _ := db.KeyCounts()
	if keys != 5 || expires != 2 {
		t.Fatalf("keys=%d expires=%d, want 5 and 2", keys, expires)
	}
	db.Set([]byte("d"), []byte("y")) // clears the expiry
	db.HDel([]byte("h"), []byte("f"), []byte("g"))
	db.Del([]byte("b"), []byte("b"), []byte("nope"))
	keys, expires, _ = db.KeyCounts()
	if keys != 3 || expires != 1 {
		t.Fatalf("keys=%d expires=%d, want 3 and 1", keys, expires)
	}
	// An expired key still counts until it is deleted, as in Redis.
	clock.Advance(2 * time.Second)
	if n, _ := db.DBSize(); n != 3 {
		t.Fatalf("DBSize with an expired key = %d, want 3", n)
	}
	if _, err := db.expireCycle(100); err != nil {
		t.Fatal(err)
	}
	keys, expires, _ = db.KeyCounts()
	if keys != 2 || expires != 0 {
		t.Fatalf("after active expiry keys=%d expires=%d, want 2 and 0", keys, expires)
	}
	db.FlushAll()
	if n, _ := db.DBSize(); n != 0 {
		t.Fatalf("DBSize after FLUSHALL = %d", n)
	}
	// The counts agree with a fresh scan.
	db.Set([]byte("z"), nil)
	db.Update(func(tx *Tx) error {
		tx.Set([]byte("y"), nil)
		n, _ := tx.DBSize()
		if n != 2 {
			t.Errorf("DBSize inside a transaction = %d, want 2", n)
		}
		return nil
	})
	db.mu.Lock()
	db.counts = nil
	db.mu.Unlock()
	if n, _ := db.DBSize(); n != 2 {
		t.Fatalf("rescanned DBSize = %d, want 2", n)
	}
}

// closeUncleanly stops db the way a crash would: Pebble's files are left as
// they are, without the offset save and the clean-shutdown marker of Close.
func closeUncleanly(t *testing.T, db *DB) {
	t.Helper()
	db.mu.Lock()
	db.closed = true
	db.mu.Unlock()
	db.stopBackground()
	if db.oplog != nil {
		db.oplog.close(false) // what Pebble holds in memory is lost; the log keeps it
	}
	if err := db.pdb.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReplicationIDAfterCrash(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, &Options{AppendFsync: FsyncAlways})
	if err != nil {
		t.Fatal(err)
	}
	db.Set([]byte("k"), []byte("v"))
	id := db.ReplicationID()
	closeUncleanly(t, db)

	db, err = Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, db, "k"); got != "v" {
		t.Fatalf("k = %q after the crash", got)
	}
	id2 := db.ReplicationID()
	if id2 == id {
		t.Fatal("replication id kept after an unclean shutdown")
	}
	// A clean Close, on the other hand, keeps id and offset exactly.
	db.Set([]byte("k2"), []byte("v"))
	off := db.Offset()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.ReplicationID() != id2 || db.Offset() != off {
		t.Fatalf("after a clean restart: %s/%d, want %s/%d", db.ReplicationID(), db.Offset(), id2, off)
	}
}

// TestExistenceFilter checks the read-skipping filter against the truth:
// a key it rules out is absent, and writes through it keep exact counts.
func TestExistenceFilter(t *testing.T) {
	f := newExistFilter(1000)
	for i := range 1000 {
		f.add(keyHash([]byte(strconv.Itoa(i))))
	}
	for i := range 1000 {
		if !f.mayContain(keyHash([]byte(strconv.Itoa(i)))) {
			t.Fatalf("filter lost key %d", i)
		}
	}
	fp := 0
	for i := 1000; i < 101000; i++ {
		if f.mayContain(keyHash([]byte(strconv.Itoa(i)))) {
			fp++
		}
	}
	if fp > 2000 { // ~1% expected; the filter is sized for 2M keys here
		t.Fatalf("%d false positives in 100000", fp)
	}

	// Reopen a store with keys on disk: until the background build is
	// done writes read, after it they skip reads for new keys; either way
	// the counts are exact.
	dir := t.TempDir()
	db, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		db.Set([]byte(strconv.Itoa(i)), []byte("v"))
	}
	db.Close()
	db, err = Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := 50; i < 150; i++ {
		db.Set([]byte(strconv.Itoa(i)), []byte("w"))
	}
	if n, _ := db.DBSize(); n != 150 {
		t.Fatalf("DBSize = %d, want 150", n)
	}
	db.mu.Lock()
	db.counts = nil
	db.mu.Unlock()
	if n, _ := db.DBSize(); n != 150 {
		t.Fatalf("rescanned DBSize = %d, want 150", n)
	}
}

// waitFilter waits until no key filter build is running and one is in use.
func waitFilter(t *testing.T, db *DB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		db.mu.Lock()
		ready := !db.filter.building && db.filter.f != nil
		db.mu.Unlock()
		if ready {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("key filter build did not finish")
		}
	}
}

// TestFilterRebuildKeepsKeys forces a rebuild of the key filter inside
// writes of every shape: the keys those writes create must stay known to the
// rebuilt filter, or later writes would take existing keys for new ones.
func TestFilterRebuildKeepsKeys(t *testing.T) {
	db, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitFilter(t, db)
	shrink := func() {
		db.mu.Lock()
		db.filter.f.limit = 0 // the next new key makes it full
		db.mu.Unlock()
	}
	var keys []string
	for i := range 20 {
		k := fmt.Sprintf("k%d", i)
		shrink()
		switch i % 3 {
		case 0:
			db.HSet([]byte(k), []byte("f"), []byte("v"))
			keys = append(keys, k)
		case 1:
			db.MSet([]byte(k+"a"), []byte("v"), []byte(k+"b"), []byte("v"))
			keys = append(keys, k+"a", k+"b")
		case 2:
			db.Update(func(tx *Tx) error {
				tx.Set([]byte(k+"x"), []byte("v"))
				tx.Set([]byte(k+"y"), []byte("v"))
				return nil
			})
			keys = append(keys, k+"x", k+"y")
		}
		waitFilter(t, db)
	}
	for _, k := range keys {
		if ok, err := db.SetNX([]byte(k), []byte("new")); ok || err != nil {
			t.Fatalf("SetNX(%s) = %v, %v on an existing key", k, ok, err)
		}
	}
	if n, _ := db.DBSize(); n != int64(len(keys)) {
		t.Fatalf("DBSize = %d, want %d", n, len(keys))
	}
	if n, _ := db.HSet([]byte("k0"), []byte("g"), []byte("v")); n != 1 {
		t.Fatalf("HSet of a new field = %d", n)
	}
	if n, _ := db.HLen([]byte("k0")); n != 2 {
		t.Fatalf("HLen(k0) = %d: the hash was taken for a new one", n)
	}
}

// TestCloseWhileBusy closes the DB while writers and digests are running:
// every call must either complete or report ErrClosed, never crash.
func TestCloseWhileBusy(t *testing.T) {
	for _, p := range []FsyncPolicy{FsyncAlways, FsyncEverySec} {
		db, err := Open(t.TempDir(), &Options{AppendFsync: p})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					err := db.Set([]byte(fmt.Sprintf("%d:%d", g, i)), []byte("v"))
					if g == 0 {
						_, err = db.Digest()
					}
					if errors.Is(err, ErrClosed) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		// Close once the writers are well under way.
		deadline := time.Now().Add(time.Minute)
		for n := int64(0); n == 0; n, _ = db.Exists([]byte("1:100")) {
			if time.Now().After(deadline) {
				t.Fatal("writers made no progress")
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
	}
}

// TestSession runs writes in a session: visible at once to other readers,
// durable after Wait.
func TestSession(t *testing.T) {
	for _, p := range []FsyncPolicy{FsyncAlways, FsyncEverySec} {
		dir := t.TempDir()
		db, err := Open(dir, &Options{AppendFsync: p})
		if err != nil {
			t.Fatal(err)
		}
		s := db.NewSession()
		for i := range 100 {
			if err := s.Set([]byte(strconv.Itoa(i)), []byte("v")); err != nil {
				t.Fatal(err)
			}
		}
		if got := mustGet(t, db, "99"); got != "v" {
			t.Fatalf("a session's write is not visible before Wait: %q", got)
		}
		if n := len(s.pending); n != 100 {
			t.Fatalf("%d writes pending, want 100", n)
		}
		if err := s.Wait(); err != nil {
			t.Fatal(err)
		}
		if len(s.pending) != 0 {
			t.Fatal("Wait left writes pending")
		}
		s.Set([]byte("late"), []byte("v"))
		if err := s.Wait(); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db, err = Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := mustGet(t, db, "late"); got != "v" {
			t.Fatalf("after reopening late = %q", got)
		}
		db.Close()
	}
}

// TestSessionHold runs pairs of writes under Hold while another goroutine
// reads both keys: it must never see one write of a pair without the other.
// The holder's own reads work while it holds the lock.
func TestSessionHold(t *testing.T) {
	db := openMem(t, nil)
	s := db.NewSession()
	done := make(chan struct{})
	torn := make(chan string, 1)
	go func() {
		defer close(torn)
		for {
			select {
			case <-done:
				return
			default:
			}
			vs, err := db.MGet([]byte("a"), []byte("b"))
			if err != nil || string(vs[0]) != string(vs[1]) {
				torn <- fmt.Sprintf("a=%q b=%q err=%v", vs[0], vs[1], err)
				return
			}
		}
	}()
	for i := range 300 {
		v := []byte(strconv.Itoa(i))
		if err := s.Hold(); err != nil {
			t.Fatal(err)
		}
		s.Hold() // a second Hold does nothing
		s.Set([]byte("a"), v)
		if got, err := s.Get([]byte("a")); err != nil || string(got) != string(v) {
			t.Fatalf("the holder reads a = %q, %v", got, err)
		}
		s.Set([]byte("b"), v)
		if i == 0 { // every session method works while holding
			if n, err := s.DBSize(); err != nil || n != 2 {
				t.Fatalf("DBSize under Hold = %d, %v", n, err)
			}
			if _, err := s.Digest(); err != nil {
				t.Fatal(err)
			}
			if s.Offset() == 0 || s.ReplicationID() == "" {
				t.Fatal("no offset or replication id under Hold")
			}
		}
		s.Release()
	}
	close(done)
	if msg, ok := <-torn; ok {
		t.Fatalf("a reader saw half of a held run: %s", msg)
	}
	s.Release() // without Hold: nothing
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, db, "b"); got != "299" {
		t.Fatalf("b = %q", got)
	}
}
