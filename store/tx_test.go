package store

import (
	"errors"
	"testing"
)

func TestTxReadsOwnWritesAndCommitsAtomically(t *testing.T) {
	db := openMem(t, nil)
	r, _ := record(t, db)
	err := db.Update(func(tx *Tx) error {
		if err := tx.Set([]byte("a"), []byte("1")); err != nil {
			return err
		}
		if v, err := tx.Get([]byte("a")); err != nil || string(v) != "1" {
			t.Errorf("read own write: %q, %v", v, err)
		}
		if _, err := tx.HSet([]byte("h"), []byte("f"), []byte("v")); err != nil {
			return err
		}
		if n, _ := tx.HLen([]byte("h")); n != 1 {
			t.Errorf("HLen inside tx = %d", n)
		}
		// Not visible outside before commit.
		if _, _, err := db.pdb.Get(metaKey(nil, []byte("a"))); err == nil {
			t.Error("transaction write visible before commit")
		}
		return tx.Rename([]byte("a"), []byte("b"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, db, "b"); got != "1" {
		t.Fatalf("b = %q", got)
	}
	if len(r.changes) != 1 {
		t.Fatalf("transaction published as %d changes, want 1", len(r.changes))
	}
}

func TestTxErrorWritesNothing(t *testing.T) {
	db := openMem(t, nil)
	db.Set([]byte("keep"), []byte("1"))
	off := db.Offset()
	boom := errors.New("boom")
	err := db.Update(func(tx *Tx) error {
		tx.Set([]byte("keep"), []byte("2"))
		tx.HSet([]byte("h"), []byte("f"), []byte("v"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v", err)
	}
	if got := mustGet(t, db, "keep"); got != "1" {
		t.Fatalf("keep = %q after an aborted transaction", got)
	}
	if n, _ := db.Exists([]byte("h")); n != 0 {
		t.Fatal("aborted transaction created h")
	}
	if db.Offset() != off {
		t.Fatal("aborted transaction moved the offset")
	}
	// Ids handed out by an aborted transaction are not reused by later
	// writes in a way that could collide: create and check a new hash.
	db.HSet([]byte("h2"), []byte("f"), []byte("v"))
	if n, _ := db.HLen([]byte("h2")); n != 1 {
		t.Fatalf("HLen(h2) = %d", n)
	}
}

func TestTxRedisErrorDoesNotAbort(t *testing.T) {
	db := openMem(t, nil)
	db.HSet([]byte("h"), []byte("f"), []byte("v"))
	err := db.Update(func(tx *Tx) error {
		tx.Set([]byte("a"), []byte("1"))
		if _, err := tx.IncrBy([]byte("h"), 1); !errors.Is(err, ErrWrongType) {
			t.Errorf("IncrBy on a hash: %v", err)
		}
		tx.Set([]byte("b"), []byte("2"))
		return nil
	})
	if err != nil {
		t.Fatalf("a Redis error inside the transaction aborted it: %v", err)
	}
	if mustGet(t, db, "a") != "1" || mustGet(t, db, "b") != "2" {
		t.Fatal("writes around the failed command were lost")
	}
}

func TestTxUseAfterReturn(t *testing.T) {
	db := openMem(t, nil)
	var saved *Tx
	db.Update(func(tx *Tx) error { saved = tx; return nil })
	if err := saved.Set([]byte("a"), nil); err == nil {
		t.Fatal("a transaction accepted a write after Update returned")
	}
}
