package store

import (
	"bytes"
	"errors"
	"github.com/cockroachdb/pebble/v2"
	"io"
	"testing"
	"time"
)

// TestReplicateCountsTheStream: a replicated run moves the offset by its
// stream bytes and publishes them unchanged, whatever its commands would
// propagate and even when it writes nothing; a failed run applies nothing.
func TestReplicateCountsTheStream(t *testing.T) {
	db := openMem(t, nil)
	var got []Change
	start, cancel, err := db.Subscribe(func(c Change) {
		got = append(got, Change{Offset: c.Offset, Raw: bytes.Clone(c.Raw), Commands: c.Commands})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	stream := []byte("*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
	if err := db.Replicate(stream, func(tx *Tx) error { return tx.Set([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	ping := []byte("*1\r\n$4\r\nPING\r\n")
	if err := db.Replicate(ping, func(*Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := db.Replicate(stream, func(tx *Tx) error { tx.Set([]byte("x"), []byte("y")); return boom }); !errors.Is(err, boom) {
		t.Fatalf("failed run: %v", err)
	}
	want := start + uint64(len(stream)+len(ping))
	if off := db.Offset(); off != want {
		t.Fatalf("offset %d, want %d", off, want)
	}
	if len(got) != 2 || !bytes.Equal(got[0].Raw, stream) || !bytes.Equal(got[1].Raw, ping) || got[1].Offset != want || got[0].Commands != nil {
		t.Fatalf("published %+v", got)
	}
	if v := mustGet(t, db, "k"); v != "v" {
		t.Fatalf("k = %q", v)
	}
	if n, _ := db.Exists([]byte("x")); n != 0 {
		t.Fatal("the failed run wrote x")
	}
}

// TestFollowing: while following, the store's own writes apply but do not
// move the offset or the feed, Publish does nothing, and active expiry
// leaves expired keys for the primary's DEL.
func TestFollowing(t *testing.T) {
	clock := newTestClock()
	db := openMem(t, &Options{Now: clock.Now, ActiveExpireInterval: -1})
	var n int
	start, cancel, _ := db.Subscribe(func(Change) { n++ })
	defer cancel()
	db.SetFollowing(true)
	db.Set([]byte("local"), []byte("1"))
	db.Set([]byte("e"), []byte("1"))
	db.Expire([]byte("e"), time.Millisecond, ExpireAlways)
	db.Publish([]byte("PING"))
	clock.Advance(10 * time.Millisecond)
	if k, err := db.expireCycle(10); err != nil || k != 0 {
		t.Fatalf("active expiry while following: %d %v", k, err)
	}
	if off := db.Offset(); off != start || n != 0 {
		t.Fatalf("offset %d (from %d), %d changes published", off, start, n)
	}
	if mustGet(t, db, "local") != "1" {
		t.Fatal("the local write did not apply")
	}
	db.SetFollowing(false)
	if k, err := db.expireCycle(10); err != nil || k != 1 {
		t.Fatalf("active expiry of a primary: %d %v", k, err)
	}
	start = db.Offset()
	n = 0
	db.Publish([]byte("PING"))
	if off := db.Offset(); off != start+14 || n != 1 {
		t.Fatalf("after following: offset %d (from %d), %d changes", off, start, n)
	}
}

// TestShiftHistory: a promotion's new history names the old one as its
// ReplID2 up to the offset, survives a clean restart, and a full sync's
// Load clears it.
func TestShiftHistory(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Set([]byte("k"), []byte("v"))
	before, _ := db.History()
	if before.ReplID2 != "" || before.SecondOffset != -1 {
		t.Fatalf("a new store has a secondary history: %+v", before)
	}
	if err := db.ShiftHistory(""); err != nil {
		t.Fatal(err)
	}
	after, _ := db.History()
	if after.ReplID == before.ReplID || after.ReplID2 != before.ReplID || after.SecondOffset != int64(before.Offset)+1 || after.Offset != before.Offset {
		t.Fatalf("before %+v, after %+v", before, after)
	}
	db.Close()
	if db, err = Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if h, _ := db.History(); h != after {
		t.Fatalf("after a restart %+v, want %+v", h, after)
	}
	id := "0123456789012345678901234567890123456789"
	if err := db.Load(id, 77, func() (*Record, error) { return nil, io.EOF }); err != nil {
		t.Fatal(err)
	}
	if h, _ := db.History(); h != (History{ReplID: id, Offset: 77, SecondOffset: -1}) {
		t.Fatalf("after a load %+v", h)
	}
}

// TestReplicateKeepsExpiredKeys: the primary's commands apply to a key
// whose time has passed here as the primary saw it, still alive (it had
// not expired it yet); the key goes when the primary's DEL arrives.
func TestReplicateKeepsExpiredKeys(t *testing.T) {
	clock := newTestClock()
	db := openMem(t, &Options{Now: clock.Now, ActiveExpireInterval: -1})
	db.SetFollowing(true)
	db.Set([]byte("k"), []byte("1"))
	db.Expire([]byte("k"), 10*time.Millisecond, ExpireAlways)
	clock.Advance(20 * time.Millisecond)
	err := db.Replicate([]byte("*2\r\n$7\r\nPERSIST\r\n$1\r\nk\r\n"), func(tx *Tx) error {
		ok, err := tx.Persist([]byte("k"))
		if !ok {
			t.Error("PERSIST from the primary did not find the key")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := mustGet(t, db, "k"); v != "1" {
		t.Fatalf("after the primary's PERSIST, k = %q", v)
	}
	// A time that has passed here, sent by a primary that had not reached
	// it, sets the expiry rather than deleting the key.
	past := clock.Now().Add(-time.Second)
	err = db.Replicate([]byte("*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$1\r\n0\r\n"), func(tx *Tx) error {
		_, err := tx.ExpireAt([]byte("k"), past, ExpireAlways)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _, _ := db.KeyCounts(); n != 1 {
		t.Fatal("a replicated PEXPIREAT in the past deleted the key")
	}
}

// TestIncompleteLoad: a load that fails leaves the store Incomplete, after
// a restart too, until a load completes.
func TestIncompleteLoad(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := "0123456789012345678901234567890123456789"
	one := &Record{Key: []byte("k"), Type: TypeString, Value: []byte("v")}
	n := 0
	err = db.Load(id, 10, func() (*Record, error) {
		if n++; n > 1 {
			return nil, errors.New("link cut")
		}
		return one, nil
	})
	if err == nil || !db.Incomplete() {
		t.Fatalf("a failed load: %v, Incomplete %v", err, db.Incomplete())
	}
	db.Close()
	if db, err = Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	if !db.Incomplete() {
		t.Fatal("a restart forgot the load did not complete")
	}
	done := false
	err = db.Load(id, 10, func() (*Record, error) {
		if done {
			return nil, io.EOF
		}
		done = true
		return one, nil
	})
	if err != nil || db.Incomplete() {
		t.Fatalf("a complete load: %v, Incomplete %v", err, db.Incomplete())
	}
	db.Close()
	if db, err = Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Incomplete() {
		t.Fatal("Incomplete after a restart following a complete load")
	}
}

// TestHistoryAfterCrash: a crash starts a new history that continues the
// one in force (not the one before it) at the exact offset, kept by a
// clean restart after it; it continues none when the store's offsets were
// not exact (no mark from a build that writes them) or its data set is a
// load that did not complete.
func TestHistoryAfterCrash(t *testing.T) {
	for _, tc := range []struct {
		name      string
		spoil     func(db *DB) // before the crash
		continues bool
	}{
		{"exact", func(*DB) {}, true},
		{"from an older build", func(db *DB) { db.pdb.Delete(sysExactOffsets, pebble.NoSync); db.pdb.Flush() }, false},
		{"incomplete", func(db *DB) { db.pdb.Set(sysIncomplete, []byte("1"), pebble.NoSync); db.pdb.Flush() }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db, err := Open(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			db.Set([]byte("k"), []byte("v"))
			if err := db.ShiftHistory(""); err != nil {
				t.Fatal(err)
			}
			db.Set([]byte("k"), []byte("w"))
			before, _ := db.History()
			tc.spoil(db)
			closeUncleanly(t, db)
			for _, when := range []string{"after the crash", "after a clean restart"} {
				if db, err = Open(dir, nil); err != nil {
					t.Fatal(err)
				}
				h, _ := db.History()
				want := History{ReplID: h.ReplID, Offset: before.Offset, ReplID2: "", SecondOffset: -1}
				if tc.continues {
					want.ReplID2, want.SecondOffset = before.ReplID, int64(before.Offset)+1
				}
				if h != want || h.ReplID == before.ReplID {
					t.Fatalf("%s: history %+v, want a new id and %+v", when, h, want)
				}
				db.Close()
			}
		})
	}
}

// TestPromoteIncomplete: promoting a store whose full sync did not
// complete empties it rather than pass part of a snapshot off as whole.
func TestPromoteIncomplete(t *testing.T) {
	db := openMem(t, nil)
	db.SetFollowing(true)
	one := &Record{Key: []byte("k"), Type: TypeString, Value: []byte("v")}
	n := 0
	db.Load("0123456789012345678901234567890123456789", 10, func() (*Record, error) {
		if n++; n > 1 {
			return nil, errors.New("link cut")
		}
		return one, nil
	})
	if !db.Incomplete() {
		t.Fatal("the failed load left no mark")
	}
	if err := db.Promote(); err != nil {
		t.Fatal(err)
	}
	if keys, _, _ := db.KeyCounts(); keys != 0 || db.Incomplete() || db.Following() {
		t.Fatalf("after Promote: %d keys, Incomplete %v, Following %v", keys, db.Incomplete(), db.Following())
	}
}
