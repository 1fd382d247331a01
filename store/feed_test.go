package store

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder subscribes to a store's change feed and keeps what it sees.
type recorder struct {
	mu      sync.Mutex
	changes []Change
	cmds    []string
}

func record(t *testing.T, db *DB) (*recorder, uint64) {
	t.Helper()
	r := &recorder{}
	start, cancel, err := db.Subscribe(func(c Change) {
		r.mu.Lock()
		defer r.mu.Unlock()
		var cmds [][][]byte
		for _, cmd := range c.Commands {
			var args [][]byte
			var words []string
			for _, a := range cmd {
				args = append(args, append([]byte(nil), a...))
				words = append(words, string(a))
			}
			cmds = append(cmds, args)
			r.cmds = append(r.cmds, strings.Join(words, " "))
		}
		r.changes = append(r.changes, Change{Offset: c.Offset, Commands: cmds})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return r, start
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.cmds
	r.cmds = nil
	return out
}

func expectCmds(t *testing.T, r *recorder, want ...string) {
	t.Helper()
	got := r.take()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("feed:\n got %q\nwant %q", got, want)
	}
}

func TestFeedPropagationForms(t *testing.T) {
	clock := newTestClock()
	db := openMem(t, &Options{Now: clock.Now, ActiveExpireInterval: -1})
	r, _ := record(t, db)
	now := clock.Now().UnixMilli()
	k := []byte("k")

	db.SetWith(k, []byte("v"), SetOptions{TTL: 10 * time.Second})
	expectCmds(t, r, fmt.Sprintf("SET k v PXAT %d", now+10000))
	db.SetWith(k, []byte("w"), SetOptions{KeepTTL: true})
	expectCmds(t, r, fmt.Sprintf("SET k w PXAT %d", now+10000))
	db.SetWith(k, []byte("x"), SetOptions{NX: true}) // not written: nothing
	expectCmds(t, r)
	db.Set(k, []byte("1"))
	expectCmds(t, r, "SET k 1")
	db.IncrBy(k, 5)
	expectCmds(t, r, "INCRBY k 5")
	db.IncrByFloat(k, 0.5)
	expectCmds(t, r, "SET k 6.5")
	db.Expire(k, time.Minute, ExpireAlways)
	expectCmds(t, r, fmt.Sprintf("PEXPIREAT k %d", now+60000))
	db.Persist(k)
	expectCmds(t, r, "PERSIST k")
	db.Persist(k) // no expiry: nothing to propagate
	expectCmds(t, r)
	db.HSet([]byte("h"), []byte("f"), []byte("1"))
	db.HIncrByFloat([]byte("h"), []byte("f"), 1.5)
	db.HDel([]byte("h"), []byte("f"), []byte("nope"))
	expectCmds(t, r, "HSET h f 1", "HSET h f 2.5", "HDEL h f")
	db.Set(k, []byte("v"))
	db.Del(k, []byte("nope"))
	expectCmds(t, r, "SET k v", "DEL k")
	db.ExpireAt([]byte("nope"), clock.Now().Add(-time.Second), ExpireAlways)
	expectCmds(t, r)

	// Expiry: a key found expired by a write is deleted first, as DEL; one
	// reclaimed by active expiry is propagated as DEL too.
	db.SetWith([]byte("a"), []byte("1"), SetOptions{TTL: time.Second})
	db.SetWith([]byte("b"), []byte("1"), SetOptions{TTL: time.Second})
	r.take()
	clock.Advance(2 * time.Second)
	db.Append([]byte("a"), []byte("x"))
	expectCmds(t, r, "DEL a", "APPEND a x")
	if _, err := db.expireCycle(100); err != nil {
		t.Fatal(err)
	}
	expectCmds(t, r, "DEL b")
	// A time in the past deletes.
	db.Set(k, []byte("v"))
	r.take()
	db.ExpireAt(k, clock.Now().Add(-time.Second), ExpireAlways)
	expectCmds(t, r, "DEL k")
	db.FlushAll()
	expectCmds(t, r, "FLUSHALL")
}

func TestFeedOffsets(t *testing.T) {
	db := openMem(t, nil)
	db.Set([]byte("before"), []byte("x"))
	r, start := record(t, db)
	if start != db.Offset() || start == 0 {
		t.Fatalf("Subscribe offset %d, DB offset %d", start, db.Offset())
	}
	db.Set([]byte("k"), []byte("v"))
	db.MSet([]byte("a"), []byte("1"), []byte("b"), []byte("2"))
	db.Update(func(tx *Tx) error {
		tx.Set([]byte("x"), []byte("1"))
		tx.IncrBy([]byte("x"), 2)
		return nil
	})
	db.Update(func(tx *Tx) error { // one command: no MULTI wrapper
		tx.Set([]byte("y"), []byte("1"))
		return nil
	})
	r.mu.Lock()
	changes := r.changes
	r.mu.Unlock()
	if len(changes) != 4 {
		t.Fatalf("%d changes, want 4", len(changes))
	}
	// Offsets advance by the RESP length of each change's commands.
	off := start
	for _, c := range changes {
		for _, cmd := range c.Commands {
			// The RESP array of bulk strings, spelled out independently of
			// the store's own length arithmetic.
			resp := fmt.Sprintf("*%d\r\n", len(cmd))
			for _, a := range cmd {
				resp += fmt.Sprintf("$%d\r\n%s\r\n", len(a), a)
			}
			off += uint64(len(resp))
		}
		if c.Offset != off {
			t.Fatalf("change %q at offset %d, want %d", c.Commands, c.Offset, off)
		}
	}
	if off != db.Offset() {
		t.Fatalf("DB offset %d, feed ends at %d", db.Offset(), off)
	}
	want := "MULTI|SET x 1|INCRBY x 2|EXEC"
	var got []string
	for _, cmd := range changes[2].Commands {
		var w []string
		for _, a := range cmd {
			w = append(w, string(a))
		}
		got = append(got, strings.Join(w, " "))
	}
	if strings.Join(got, "|") != want {
		t.Fatalf("transaction propagated as %q, want %q", got, want)
	}
	if len(changes[3].Commands) != 1 {
		t.Fatalf("one-command transaction propagated as %q", changes[3].Commands)
	}
}

func TestFeedCancel(t *testing.T) {
	db := openMem(t, nil)
	var n int
	var cancel func()
	_, cancel, err := db.Subscribe(func(Change) {
		n++
		cancel() // safe from inside the callback
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Set([]byte("a"), nil)
	db.Set([]byte("b"), nil)
	cancel()
	if n != 1 {
		t.Fatalf("callback ran %d times after cancelling itself", n)
	}
}
