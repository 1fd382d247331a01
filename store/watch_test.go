package store

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestWatch: a watched key written through the embedded API, by a
// replica's stream, or deleted by active expiry makes UpdateWatched
// abort without running its function; a key already expired when
// watched and then deleted by expiry does not; a Watch is reset after
// each UpdateWatched, and the store forgets a reset Watch.
func TestWatch(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Now().UnixMilli())
	db := openMem(t, &Options{Now: func() time.Time { return time.UnixMilli(now.Load()) }})
	k := []byte("k")
	ran := false
	update := func(w *Watch) error {
		ran = false
		return db.UpdateWatched(w, func(tx *Tx) error { ran = true; return tx.Set(k, []byte("mine")) })
	}
	check := func(what string, w *Watch, write func(), wantAbort bool) {
		t.Helper()
		write()
		err := update(w)
		if aborted := errors.Is(err, ErrAborted); aborted != wantAbort || ran == aborted || err != nil && !aborted {
			t.Fatalf("%s: UpdateWatched %v (ran %v), want aborted %v", what, err, ran, wantAbort)
		}
		if w.Watching() {
			t.Fatalf("%s: the Watch still watches after UpdateWatched", what)
		}
	}
	watch := func() *Watch {
		w := db.NewWatch()
		if err := w.Add(k); err != nil {
			t.Fatal(err)
		}
		return w
	}

	check("an embedded write", watch(), func() { db.Set(k, []byte("theirs")) }, true)
	check("another key written", watch(), func() { db.Set([]byte("other"), []byte("x")) }, false)

	w := watch()
	db.SetFollowing(true)
	check("a replicated write", w, func() {
		raw := []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nr\r\n")
		if err := db.NewSession().Replicate(raw, func(tx *Tx) error { return tx.Set(k, []byte("r")) }); err != nil {
			t.Fatal(err)
		}
	}, true)
	db.SetFollowing(false)

	db.Set(k, []byte("v"))
	db.Expire(k, time.Second, ExpireAlways)
	w = watch()
	check("deleted by active expiry", w, func() {
		now.Add(2000)
		db.expireRound()
	}, true)

	db.Set(k, []byte("v"))
	db.Expire(k, time.Second, ExpireAlways)
	now.Add(2000)
	w = watch() // already expired
	check("already expired, then deleted by expiry", w, func() { db.expireRound() }, false)

	db.mu.RLock()
	left := len(db.watches)
	db.mu.RUnlock()
	if left != 0 {
		t.Fatalf("%d keys still watched after every Watch was reset", left)
	}
}
