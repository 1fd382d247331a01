package store

import (
	"fmt"
	"testing"
	"time"
)

// TestSubscribeSnapshot takes a snapshot while keys of both types exist,
// then writes more: the snapshot shows exactly the state at its offset, and
// the subscription delivers exactly the writes after it, starting at that
// offset.
func TestSubscribeSnapshot(t *testing.T) {
	db := openMem(t, nil)
	db.Set([]byte("s"), []byte("v1"))
	db.HSet([]byte("h"), []byte("f1"), []byte("a"), []byte("f2"), []byte(""))
	db.Set([]byte("ttl"), []byte("x"))
	at := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	db.ExpireAt([]byte("ttl"), at, ExpireAlways)

	// Each change's offset, and where its commands say it should end
	// (Commands are valid only during the callback).
	var offsets, lengths []uint64
	snap, cancel, err := db.SubscribeSnapshot(func(c Change) {
		offsets = append(offsets, c.Offset)
		var n uint64
		for _, cmd := range c.Commands {
			n += respLen(cmd)
		}
		lengths = append(lengths, n)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	defer cancel()
	if snap.Offset != db.Offset() || snap.ReplicationID != db.ReplicationID() {
		t.Fatalf("snapshot at %d/%s, store at %d/%s", snap.Offset, snap.ReplicationID, db.Offset(), db.ReplicationID())
	}
	db.Set([]byte("s"), []byte("v2"))
	db.Del([]byte("h"))
	db.Set([]byte("new"), []byte("n"))

	got := map[string]string{}
	if err := snap.Each(func(r *Record) error {
		fields := map[string]string{} // a hash's fields come in no set order
		for i := 0; i+1 < len(r.Fields); i += 2 {
			fields[string(r.Fields[i])] = string(r.Fields[i+1])
		}
		got[string(r.Key)] = fmt.Sprintf("%v %q %v %d", r.Type, r.Value, fields, r.ExpireMs)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"s":   fmt.Sprintf("%v %q map[] 0", TypeString, "v1"),
		"h":   fmt.Sprintf("%v \"\" map[f1:a f2:] 0", TypeHash),
		"ttl": fmt.Sprintf("%v %q map[] %d", TypeString, "x", at.UnixMilli()),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("snapshot records:\n got %v\nwant %v", got, want)
	}
	if len(offsets) != 3 {
		t.Fatalf("%d changes after the snapshot, want 3", len(offsets))
	}
	// Offsets count RESP bytes on from the snapshot's offset: no gap, no
	// overlap.
	off := snap.Offset
	for i := range offsets {
		off += lengths[i]
		if offsets[i] != off {
			t.Fatalf("change %d ends at offset %d, want %d", i, offsets[i], off)
		}
	}
	if err := snap.Close(); err != nil {
		t.Fatal(err)
	}
	if err := snap.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotEachInSlots: EachInSlots walks the keys of a slot range and
// no other, the first and last slot included.
func TestSnapshotEachInSlots(t *testing.T) {
	db := openMem(t, nil)
	want := map[string]bool{}
	for i := range 3000 {
		k := fmt.Sprintf("k%d", i)
		db.Set([]byte(k), []byte("v"))
		if s := Slot([]byte(k)); s >= 100 && s <= 5000 {
			want[k] = true
		}
	}
	snap, cancel, err := db.SubscribeSnapshot(func(Change) {})
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	defer cancel()
	got := map[string]bool{}
	if err := snap.EachInSlots(100, 5000, func(r *Record) error {
		got[string(r.Key)] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(want) == 0 {
		t.Fatalf("got %d keys, want %d", len(got), len(want))
	}
	n := 0
	if err := snap.EachInSlots(SlotCount-1, SlotCount-1, func(*Record) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	for k := range 3000 {
		if Slot(fmt.Appendf(nil, "k%d", k)) == SlotCount-1 {
			n--
		}
	}
	if n != 0 {
		t.Fatalf("the last slot: %d keys off", n)
	}
}
