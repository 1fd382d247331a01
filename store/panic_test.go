package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testPanic is the value the tests' panics carry, compared by identity.
type testPanic struct{ what string }

// catch runs f and returns what it panicked with, nil if it returned.
func catch(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

// within runs f on another goroutine and fails the test unless it returns
// within a few seconds: a store whose lock a panic left held never would.
// The failure is also written to stderr at once: the test's cleanup (Close)
// then waits for the lock too, until the run times out, and the test's own
// output may never be printed.
func within(t *testing.T, what string, f func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(5 * time.Second):
		msg := fmt.Sprintf("%s did not complete in 5s: the store's lock is still held", what)
		fmt.Fprintf(os.Stderr, "%s: %s\n", t.Name(), msg)
		t.Fatal(msg)
	}
}

// panicOn makes every write of key's meta record in db panic with p.
func panicOn(db *DB, key string, p *testPanic) {
	db.testHookMeta = func(k []byte) {
		if string(k) == key {
			panic(p)
		}
	}
}

func seedPanicTest(t *testing.T, db *DB) {
	t.Helper()
	b := func(s string) []byte { return []byte(s) }
	if err := db.MSet(b("k"), b("old"), b("a"), b("A"), b("n"), b("5")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.HSet(b("h"), b("f"), b("v")); err != nil {
		t.Fatal(err)
	}
}

// idState is the collection id allocator's state.
func idState(db *DB) [2]uint64 {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return [2]uint64{db.nextID, db.idLimit}
}

// TestWritePanicLeavesNoTrace panics in the middle of writes of every
// shape, on their own, in a session, and in a session holding the lock: the
// panic must reach the caller unchanged, and the store must be as if the
// command had never run (same data, digest, offset, feed, id allocator) and
// free for the next writer.
func TestWritePanicLeavesNoTrace(t *testing.T) {
	b := func(s string) []byte { return []byte(s) }
	commands := []struct {
		name   string
		target string // the key whose write panics
		run    func(o *Ops)
	}{
		{"SET", "k", func(o *Ops) { o.Set(b("k"), b("new")) }},
		{"MSET, after writing its first key", "k", func(o *Ops) { o.MSet(b("a"), b("1"), b("k"), b("2")) }},
		{"DEL, after deleting its first key", "k", func(o *Ops) { o.Del(b("a"), b("k")) }},
		{"INCRBY", "n", func(o *Ops) { o.IncrBy(b("n"), 1) }},
		{"EXPIRE", "k", func(o *Ops) { o.Expire(b("k"), time.Hour, ExpireAlways) }},
		{"RENAME", "k", func(o *Ops) { o.Rename(b("a"), b("k")) }},
		{"HSET of a new hash, after its id and fields", "k2", func(o *Ops) { o.HSet(b("k2"), b("f"), b("v"), b("g"), b("w")) }},
		{"HSET of an existing hash, after its new field", "h", func(o *Ops) { o.HSet(b("h"), b("g"), b("new")) }},
	}
	modes := []struct {
		name string
		ops  func(t *testing.T, db *DB) (*Ops, *Session)
	}{
		{"db", func(t *testing.T, db *DB) (*Ops, *Session) { return &db.Ops, nil }},
		{"session", func(t *testing.T, db *DB) (*Ops, *Session) { s := db.NewSession(); return &s.Ops, s }},
		{"held session", func(t *testing.T, db *DB) (*Ops, *Session) {
			s := db.NewSession()
			if err := s.Hold(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Release) // before Close, should the test fail holding
			return &s.Ops, s
		}},
	}
	for _, cmd := range commands {
		for _, mode := range modes {
			t.Run(cmd.name+"/"+mode.name, func(t *testing.T) {
				db, ref := openMem(t, nil), openMem(t, nil)
				seedPanicTest(t, db)
				seedPanicTest(t, ref)
				r, _ := record(t, db)
				ids := idState(db)

				p := &testPanic{cmd.name}
				panicOn(db, cmd.target, p)
				o, s := mode.ops(t, db)
				if v := catch(func() { cmd.run(o) }); v != p {
					t.Fatalf("the caller got panic %v, want %v", v, p)
				}
				if s != nil {
					if s.holding {
						t.Fatal("the session still holds the lock after its write panicked")
					}
					s.Release() // must do nothing now
					if err := s.Wait(); err != nil {
						t.Fatal(err)
					}
				}
				db.testHookMeta = nil

				within(t, "a write from another goroutine", func() error { return db.Set(b("other"), b("x")) })
				if err := ref.Set(b("other"), b("x")); err != nil {
					t.Fatal(err)
				}
				expectCmds(t, r, "SET other x")
				for _, k := range []string{"k", "a", "n"} {
					if got, want := mustGet(t, db, k), mustGet(t, ref, k); got != want {
						t.Errorf("%s = %q after the panic, want %q", k, got, want)
					}
				}
				for _, k := range []string{"h", "k2"} {
					got, err := db.HGetAll(b(k))
					want, _ := ref.HGetAll(b(k))
					if err != nil || len(got) != len(want) || len(got) > 0 && string(got[0].Value) != string(want[0].Value) {
						t.Errorf("hash %s = %q, %v after the panic, want %q", k, got, err, want)
					}
				}
				if got, want := db.Offset(), ref.Offset(); got != want {
					t.Errorf("offset %d, want %d", got, want)
				}
				if got := idState(db); got != ids {
					t.Errorf("id allocator %v after the panic, want %v restored", got, ids)
				}
				n, m := dbSize(t, db), dbSize(t, ref)
				if n != m {
					t.Errorf("DBSIZE %d, want %d", n, m)
				}
				if got, want := digest(t, db), digest(t, ref); got != want {
					t.Errorf("digest %s, want %s (a store that never saw the command)", got, want)
				}
			})
		}
	}
}

func dbSize(t *testing.T, db *DB) int64 {
	t.Helper()
	n, err := db.DBSize()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func digest(t *testing.T, db *DB) string {
	t.Helper()
	d, err := db.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestExpireCyclePanic panics while the expiry cycle deletes a key: the
// deletion is dropped, unpublished, and the next cycle makes it.
func TestExpireCyclePanic(t *testing.T) {
	clock := newTestClock()
	db := openMem(t, &Options{Now: clock.Now, ActiveExpireInterval: -1})
	if _, _, err := db.SetWith([]byte("k"), []byte("v"), SetOptions{TTL: time.Second}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Second)
	r, _ := record(t, db)
	p := &testPanic{"expire"}
	panicOn(db, "k", p)
	if v := catch(func() { db.expireCycle(10) }); v != p {
		t.Fatalf("expireCycle panicked with %v, want %v", v, p)
	}
	db.testHookMeta = nil
	within(t, "a write after the panic", func() error { return db.Set([]byte("other"), []byte("x")) })
	expectCmds(t, r, "SET other x")
	if n := dbSize(t, db); n != 2 {
		t.Fatalf("DBSIZE %d after the panicking cycle, want 2 (k not deleted)", n)
	}
	if _, err := db.expireCycle(10); err != nil {
		t.Fatal(err)
	}
	expectCmds(t, r, "DEL k")
}

// TestLoadPanic panics while Load writes a batch: the lock is free, and the
// data set stays marked incomplete.
func TestLoadPanic(t *testing.T) {
	db := openMem(t, nil)
	p := &testPanic{"load"}
	panicOn(db, "b", p)
	recs := []*Record{{Key: []byte("a"), Type: TypeString, Value: []byte("1")}, {Key: []byte("b"), Type: TypeString, Value: []byte("2")}}
	v := catch(func() {
		db.Load(strings.Repeat("e", 40), 100, func() (*Record, error) {
			if len(recs) == 0 {
				return nil, io.EOF
			}
			r := recs[0]
			recs = recs[1:]
			return r, nil
		})
	})
	if v != p {
		t.Fatalf("Load panicked with %v, want %v", v, p)
	}
	db.testHookMeta = nil
	within(t, "a write after the panic", func() error { return db.Set([]byte("other"), []byte("x")) })
	if !db.Incomplete() {
		t.Fatal("a Load that panicked half way is not marked incomplete")
	}
	if _, err := db.Get([]byte("a")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a record of the panicking batch was written: %v", err)
	}
}

// TestUpdatePanicRollsBack panics in Update's function after two writes:
// nothing of it is visible or published, the lock is free, and the Tx is
// done.
func TestUpdatePanicRollsBack(t *testing.T) {
	b := func(s string) []byte { return []byte(s) }
	db, ref := openMem(t, nil), openMem(t, nil)
	r, _ := record(t, db)
	p := &testPanic{"update"}
	var kept *Tx
	v := catch(func() {
		db.Update(func(tx *Tx) error {
			kept = tx
			if err := tx.Set(b("a"), b("1")); err != nil {
				t.Error(err)
			}
			if _, err := tx.HSet(b("h"), b("f"), b("v")); err != nil {
				t.Error(err)
			}
			panic(p)
		})
	})
	if v != p {
		t.Fatalf("the caller got panic %v, want %v", v, p)
	}
	within(t, "a write after the panic", func() error { return db.Set(b("other"), b("x")) })
	if err := ref.Set(b("other"), b("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Get(b("a")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a = %v after the rolled back transaction", err)
	}
	if _, err := db.HGet(b("h"), b("f")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("h.f = %v after the rolled back transaction", err)
	}
	expectCmds(t, r, "SET other x")
	if db.Offset() != ref.Offset() || digest(t, db) != digest(t, ref) || idState(db) != idState(ref) {
		t.Fatal("the store differs from one that never ran the transaction")
	}
	if err := kept.Set(b("a"), b("2")); !errors.Is(err, errTxDone) {
		t.Fatalf("the Tx of a panicked Update accepted a write: %v", err)
	}
}

// TestTxCommandPanicDooms has a command panic inside a transaction whose
// function recovers and returns nil: the half written command must not
// commit, nor anything else of the transaction.
func TestTxCommandPanicDooms(t *testing.T) {
	b := func(s string) []byte { return []byte(s) }
	db := openMem(t, nil)
	r, _ := record(t, db)
	p := &testPanic{"tx command"}
	panicOn(db, "k", p)
	err := db.Update(func(tx *Tx) error {
		tx.Set(b("a"), b("1"))
		if v := catch(func() { tx.MSet(b("c"), b("1"), b("k"), b("2")) }); v != p {
			t.Errorf("the command panicked with %v, want %v", v, p)
		}
		return nil
	})
	if !errors.Is(err, errTxPanicked) {
		t.Fatalf("Update = %v, want the transaction doomed", err)
	}
	for _, k := range []string{"a", "c", "k"} {
		if _, err := db.Get(b(k)); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s = %v after the doomed transaction", k, err)
		}
	}
	expectCmds(t, r)
}

// panickingSubscriber returns a feed callback that counts its calls and
// panics with p; its name is what the stack of a SubscriberPanic must show.
func panickingSubscriber(calls *atomic.Int32, p *testPanic) func(Change) {
	return func(Change) {
		calls.Add(1)
		panic(p)
	}
}

// TestSubscriberPanic has a feed callback panic during every kind of
// write: the write stays committed, the other subscribers get it, the
// panicking one is cut off, and the writer gets the panic, wrapped with the
// callback's stack, once the lock is free.
func TestSubscriberPanic(t *testing.T) {
	b := func(s string) []byte { return []byte(s) }
	cases := []struct {
		name  string
		write func(db *DB)
		want  []string // what the other subscribers see
		check func(t *testing.T, db *DB)
	}{
		{"Set", func(db *DB) { db.Set(b("k"), b("v")) }, []string{"SET k v"}, func(t *testing.T, db *DB) {
			if got := mustGet(t, db, "k"); got != "v" {
				t.Fatalf("k = %q: the write was not committed", got)
			}
		}},
		{"held session", func(db *DB) {
			s := db.NewSession()
			s.Hold()
			defer s.Wait()
			v := catch(func() { s.Set(b("k"), b("v")) })
			if s.holding {
				t.Error("the session still holds the lock")
			}
			s.Release()
			panic(v)
		}, []string{"SET k v"}, func(t *testing.T, db *DB) { mustGet(t, db, "k") }},
		{"Update", func(db *DB) {
			db.Update(func(tx *Tx) error {
				tx.Set(b("k"), b("v"))
				return tx.Set(b("k2"), b("v"))
			})
		}, []string{"MULTI", "SET k v", "SET k2 v", "EXEC"}, func(t *testing.T, db *DB) { mustGet(t, db, "k2") }},
		{"Publish", func(db *DB) { db.Publish(b("PING")) }, []string{"PING"}, nil},
		{"ShiftHistory", func(db *DB) { db.ShiftHistory("") }, nil, func(t *testing.T, db *DB) {
			if h, _ := db.History(); h.ReplID2 == "" {
				t.Fatal("the history was not shifted")
			}
		}},
		{"Load", func(db *DB) {
			db.Load(strings.Repeat("f", 40), 1000, func() (*Record, error) { return nil, io.EOF })
		}, nil, func(t *testing.T, db *DB) {
			if db.Incomplete() || db.Offset() != 1000 {
				t.Fatalf("Load did not complete: incomplete %v, offset %d", db.Incomplete(), db.Offset())
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := openMem(t, nil)
			before, _ := record(t, db)
			var calls atomic.Int32
			p := &testPanic{tc.name}
			if _, _, err := db.Subscribe(panickingSubscriber(&calls, p)); err != nil {
				t.Fatal(err)
			}
			after, _ := record(t, db)

			v := catch(func() { tc.write(db) })
			sp, ok := v.(*SubscriberPanic)
			if !ok {
				t.Fatalf("the writer got panic %#v, want a *SubscriberPanic", v)
			}
			if sp.Value != p {
				t.Fatalf("SubscriberPanic.Value = %v, want %v", sp.Value, p)
			}
			if !bytes.Contains(sp.Stack, []byte("panickingSubscriber")) {
				t.Fatalf("the stack does not show the callback:\n%s", sp.Stack)
			}
			if !strings.Contains(sp.Error(), "panickingSubscriber") || !strings.Contains(sp.Error(), "panic_test.go:") {
				t.Fatalf("the error %q does not say where the callback panicked", sp.Error())
			}
			expectCmds(t, before, tc.want...)
			expectCmds(t, after, tc.want...)
			if tc.check != nil {
				tc.check(t, db)
			}

			within(t, "the next write", func() error { return db.Set(b("next"), b("1")) })
			expectCmds(t, before, "SET next 1")
			expectCmds(t, after, "SET next 1")
			if n := calls.Load(); n != 1 {
				t.Fatalf("the panicking subscriber was called %d times, want once", n)
			}
			after.mu.Lock()
			last := after.changes[len(after.changes)-1].Offset
			after.mu.Unlock()
			if last != db.Offset() {
				t.Fatalf("the feed's offset %d and the store's %d disagree", last, db.Offset())
			}
		})
	}
}

// TestSubscriberRuntimeError has a feed callback fail with a runtime
// error: the SubscriberPanic names the callback (not the runtime's panic
// machinery) and unwraps to the runtime.Error.
func TestSubscriberRuntimeError(t *testing.T) {
	db := openMem(t, nil)
	if _, _, err := db.Subscribe(nilMapSubscriber); err != nil {
		t.Fatal(err)
	}
	sp, ok := catch(func() { db.Set([]byte("k"), []byte("v")) }).(*SubscriberPanic)
	if !ok {
		t.Fatal("the writer did not get a *SubscriberPanic")
	}
	var re runtime.Error
	if !errors.As(sp, &re) {
		t.Fatalf("%v does not unwrap to a runtime.Error", sp)
	}
	if !strings.Contains(sp.Error(), "nilMapSubscriber at ") {
		t.Fatalf("the error %q does not name the callback", sp.Error())
	}
}

func nilMapSubscriber(c Change) {
	var m map[string]int
	m[string(c.Commands[0][1])]++
}

// TestSubscriberPanicInActiveExpiry has a feed callback panic on the DEL of
// the background expiry: with no caller to raise it to, the store logs it,
// the key is deleted all the same, and the store goes on.
func TestSubscriberPanicInActiveExpiry(t *testing.T) {
	var logMu sync.Mutex
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(lockedWriter{&logMu, &log}, nil))
	clock := newTestClock()
	db := openMem(t, &Options{Now: clock.Now, ActiveExpireInterval: time.Millisecond, Logger: logger})
	var dels atomic.Int32
	onDel := panickingSubscriber(&dels, &testPanic{"expiry"})
	if _, _, err := db.Subscribe(func(c Change) {
		if len(c.Commands) > 0 && string(c.Commands[0][0]) == "DEL" {
			onDel(c)
		}
	}); err != nil {
		t.Fatal(err)
	}
	other, _ := record(t, db)
	if _, _, err := db.SetWith([]byte("k"), []byte("v"), SetOptions{TTL: time.Second}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Second)
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		logMu.Lock()
		logged := strings.Contains(log.String(), "panicked during active expiry") &&
			strings.Contains(log.String(), "panickingSubscriber")
		logMu.Unlock()
		if logged {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the subscriber's panic during active expiry was not logged")
		}
	}
	within(t, "a write after the panic", func() error { return db.Set([]byte("next"), []byte("1")) })
	expectCmds(t, other, "SET k v PXAT "+strconv.FormatInt(clock.Now().Add(-time.Second).UnixMilli(), 10), "DEL k", "SET next 1")
	if n := dels.Load(); n != 1 {
		t.Fatalf("the panicking subscriber got %d DELs, want 1", n)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
