package store

import (
	"errors"
	"io"
	"strconv"
	"testing"
	"time"
)

// TestLoad copies a store through its snapshot into another, as a full
// sync does: the same digest, key counts and TTLs, the primary's history
// taken as the replica's own and kept across a restart, and nothing
// published to the replica's subscribers but the one Reset.
func TestLoad(t *testing.T) {
	src, snap, records := loadSource(t)

	dir := t.TempDir()
	dst, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	dst.Set([]byte("old"), []byte("gone after the load"))
	published, resets := 0, 0
	_, cancelDst, err := dst.Subscribe(func(c Change) {
		if c.Reset {
			resets++
		} else {
			published++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cancelDst()

	// A failing source stops the load, leaving the data set under a new
	// history of its own.
	id := dst.ReplicationID()
	boom := errors.New("link cut")
	n := 0
	if err := dst.Load(snap.ReplicationID, snap.Offset, func() (*Record, error) {
		if n++; n > 10 {
			return nil, boom
		}
		return records[n-1], nil
	}); !errors.Is(err, boom) {
		t.Fatalf("Load with a failing source: %v", err)
	}
	if got := dst.ReplicationID(); got == id || got == snap.ReplicationID {
		t.Fatal("a failed load left the data set in a history a primary could continue")
	}

	i := 0
	if err := dst.Load(snap.ReplicationID, snap.Offset, func() (*Record, error) {
		if i == len(records) {
			return nil, io.EOF
		}
		i++
		return records[i-1], nil
	}); err != nil {
		t.Fatal(err)
	}
	if published != 0 || resets != 1 {
		t.Fatalf("the load published %d changes and %d resets, want 0 and 1", published, resets)
	}
	want, _ := src.Digest()
	check := func(db *DB, when string) {
		t.Helper()
		if got, err := db.Digest(); err != nil || got != want {
			t.Fatalf("%s: digest %s, %v; want %s", when, got, err, want)
		}
		if db.ReplicationID() != snap.ReplicationID || db.Offset() != snap.Offset {
			t.Fatalf("%s: history %s@%d, want %s@%d", when, db.ReplicationID(), db.Offset(), snap.ReplicationID, snap.Offset)
		}
		keys, expires, err := db.KeyCounts()
		if err != nil || keys != 3000 || expires != 1000 {
			t.Fatalf("%s: %d keys, %d with expiry, %v", when, keys, expires, err)
		}
	}
	check(dst, "after Load")
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	if dst, err = Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	check(dst, "after reopening")
}

// loadSource returns a store of 3000 keys (strings, hashes, strings with
// a TTL), a snapshot of it and the snapshot's records.
func loadSource(t *testing.T) (*DB, *Snapshot, []*Record) {
	t.Helper()
	src := openMem(t, nil)
	for i := range 3000 {
		k := []byte("k" + strconv.Itoa(i))
		switch i % 3 {
		case 0:
			src.Set(k, []byte(strconv.Itoa(i)))
		case 1:
			src.HSet(k, []byte("a"), []byte("1"), []byte("b"), []byte(strconv.Itoa(i)))
		case 2:
			src.Set(k, []byte("t"))
			src.Expire(k, time.Hour, ExpireAlways)
		}
	}
	snap, cancel, err := src.SubscribeSnapshot(func(Change) {})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	t.Cleanup(func() { snap.Close() })
	var records []*Record
	if err := snap.Each(func(r *Record) error { records = append(records, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return src, snap, records
}
