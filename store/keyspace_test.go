package store

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestScanStableUnderChurn: keys that exist for the whole iteration are each
// returned exactly once, however many others come and go meanwhile.
func TestScanStableUnderChurn(t *testing.T) {
	db := openMem(t, nil)
	stable := map[string]int{}
	for i := range 2000 {
		k := fmt.Sprintf("stable:%d", i)
		db.Set([]byte(k), nil)
		stable[k] = 0
	}
	var cursor uint64
	churn := 0
	for first := true; first || cursor != 0; first = false {
		next, keys, err := db.Scan(cursor, ScanOptions{Count: 37})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if _, ok := stable[string(k)]; ok {
				stable[string(k)]++
			}
		}
		// Add and remove other keys between calls.
		for range 20 {
			db.Set([]byte("churn:"+strconv.Itoa(churn)), nil)
			if churn%2 == 0 {
				db.Del([]byte("churn:" + strconv.Itoa(churn/2)))
			}
			churn++
		}
		cursor = next
	}
	for k, n := range stable {
		if n != 1 {
			t.Fatalf("%s returned %d times", k, n)
		}
	}
}

func TestScanSkipsExpiredAndFilters(t *testing.T) {
	clock := newTestClock()
	db := openMem(t, &Options{Now: clock.Now, ActiveExpireInterval: -1})
	db.Set([]byte("s:1"), nil)
	db.SetWith([]byte("s:2"), nil, SetOptions{TTL: time.Second})
	db.HSet([]byte("h:1"), []byte("f"), nil)
	clock.Advance(2 * time.Second)
	all, err := db.Keys([]byte("*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("KEYS * = %q", all)
	}
	_, hashes, _ := db.Scan(0, ScanOptions{Type: "hash", Count: 100})
	if len(hashes) != 1 || string(hashes[0]) != "h:1" {
		t.Fatalf("SCAN TYPE hash = %q", hashes)
	}
	_, ss, _ := db.Scan(0, ScanOptions{Match: []byte("s:*"), Count: 100})
	if len(ss) != 1 || string(ss[0]) != "s:1" {
		t.Fatalf("SCAN MATCH s:* = %q", ss)
	}
}

// TestSlotRanges checks that the keys of one slot are one range: listing
// and counting them touches only that slot.
func TestSlotRanges(t *testing.T) {
	db := openMem(t, nil)
	var want []string
	for i := range 50 {
		k := fmt.Sprintf("{user1000}.%d", i)
		want = append(want, k)
		db.Set([]byte(k), nil)
		db.Set([]byte(fmt.Sprintf("other%d", i)), nil)
	}
	slot := Slot([]byte("user1000"))
	n, err := db.CountKeysInSlot(slot)
	if err != nil || n != 50 {
		t.Fatalf("CountKeysInSlot = %d, %v", n, err)
	}
	var got []string
	db.SlotKeys(slot, -1, func(k []byte) { got = append(got, string(k)) })
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("SlotKeys = %q", got)
	}
	if n, _ := db.SlotKeys(slot, 5, nil); n != 5 {
		t.Fatalf("SlotKeys with count 5 visited %d", n)
	}
	if _, err := db.SlotKeys(SlotCount, -1, nil); err == nil {
		t.Fatal("SlotKeys accepted slot 16384")
	}
	// A hash in the slot has its elements in the slot's range too.
	db.HSet([]byte("{user1000}.h"), []byte("f"), []byte("v"))
	lo, hi := subRange(slot, 0)
	if lo[1] != byte(slot>>8) || lo[2] != byte(slot) || hi == nil {
		t.Fatal("element range does not start with the slot")
	}
}

// TestBigHashDeleteIsOneRangeDeletion: deleting a collection costs a fixed
// number of writes, however many elements it has.
func TestBigHashDeleteIsOneRangeDeletion(t *testing.T) {
	db := openMem(t, nil)
	var fv [][]byte
	for i := range 5000 {
		fv = append(fv, []byte("f"+strconv.Itoa(i)), []byte("v"))
	}
	db.HSet([]byte("big"), fv...)
	w, err := db.beginWrite(nil)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := w.lookupWrite([]byte("big"))
	w.deleteKey(&e)
	if n := w.b.Count(); n > 3 {
		t.Errorf("deleting a 5000-field hash wrote %d records", n)
	}
	if err := db.endWrite(w, nil, nil); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.Exists([]byte("big")); n != 0 {
		t.Fatal("big still exists")
	}
	// A new hash of the same name starts empty.
	db.HSet([]byte("big"), []byte("x"), []byte("y"))
	if n, _ := db.HLen([]byte("big")); n != 1 {
		t.Fatalf("HLen = %d", n)
	}
	if all, _ := db.HGetAll([]byte("big")); len(all) != 1 {
		t.Fatalf("HGETALL after re-creation shows %d fields", len(all))
	}
}

func TestRenameAcrossSlotsMovesElements(t *testing.T) {
	db := openMem(t, nil)
	db.HSet([]byte("{a}h"), []byte("f1"), []byte("1"), []byte("f2"), []byte("2"))
	if Slot([]byte("{a}h")) == Slot([]byte("{b}h")) {
		t.Fatal("test keys share a slot")
	}
	if err := db.Rename([]byte("{a}h"), []byte("{b}h")); err != nil {
		t.Fatal(err)
	}
	all, _ := db.HGetAll([]byte("{b}h"))
	if len(all) != 2 {
		t.Fatalf("renamed hash has %d fields", len(all))
	}
	lo, hi := subRange(Slot([]byte("{a}h")), 0)
	_ = hi
	if n, _ := countRange(db.pdb, lo[:3], prefixEnd(lo[:3])); n != 0 {
		t.Fatalf("%d elements left behind in the old slot", n)
	}
}

func TestDigestIndependentOfOrder(t *testing.T) {
	a, b := openMem(t, nil), openMem(t, nil)
	for i := range 100 {
		a.Set([]byte(strconv.Itoa(i)), []byte("v"))
		a.HSet([]byte("h"), []byte(strconv.Itoa(i)), []byte("x"))
	}
	for i := 99; i >= 0; i-- {
		b.HSet([]byte("h"), []byte(strconv.Itoa(i)), []byte("x"))
		b.Set([]byte(strconv.Itoa(i)), []byte("v"))
	}
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da != db {
		t.Fatalf("digests differ: %s %s", da, db)
	}
	b.Set([]byte("0"), []byte("w"))
	if db2, _ := b.Digest(); db2 == da {
		t.Fatal("digest did not change with a value")
	}
	empty := openMem(t, nil)
	if d, _ := empty.Digest(); d != "0000000000000000000000000000000000000000" {
		t.Fatalf("empty digest %s", d)
	}
}

// TestDeleteSlotKeys: DeleteSlotKeys removes the keys of one slot, count
// at a time, strings, hashes and keys with an expiry alike, with their
// elements and expiry entries, propagates them as DEL, and leaves every
// other slot alone.
func TestDeleteSlotKeys(t *testing.T) {
	db := openMem(t, nil)
	const slot = 7
	var in, out []string
	for i := 0; len(in) < 25 || len(out) < 5; i++ {
		k := fmt.Sprintf("k%d", i)
		if Slot([]byte(k)) == slot {
			in = append(in, k)
		} else if len(out) < 5 {
			out = append(out, k)
		} else {
			continue
		}
		switch i % 3 {
		case 0:
			db.Set([]byte(k), []byte("v"))
		case 1:
			db.HSet([]byte(k), []byte("f"), []byte("v"))
		default:
			db.Set([]byte(k), []byte("v"))
			db.Expire([]byte(k), time.Hour, ExpireAlways)
		}
	}
	var dels int
	_, cancel, err := db.Subscribe(func(c Change) {
		for _, cmd := range c.Commands {
			if string(cmd[0]) == "DEL" {
				dels += len(cmd) - 1
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	total := 0
	var after []byte
	for {
		before := dels
		last, err := db.DeleteSlotKeys(slot, after, 10)
		if err != nil {
			t.Fatal(err)
		}
		if n := dels - before; n > 10 || (n == 0) != (last == nil) {
			t.Fatalf("deleted %d (last %q), asked for 10", n, last)
		}
		if last == nil {
			break
		}
		total += dels - before
		after = last
	}
	if total != len(in) || dels != len(in) {
		t.Fatalf("deleted %d and propagated %d, the slot held %d", total, dels, len(in))
	}
	if n, _ := db.CountKeysInSlot(slot); n != 0 {
		t.Fatalf("%d keys left", n)
	}
	want := map[uint16]bool{}
	for _, k := range out {
		want[Slot([]byte(k))] = true
	}
	got, err := db.SlotsWithKeys()
	if err != nil || len(got) != len(want) || !slices.IsSorted(got) {
		t.Fatalf("SlotsWithKeys: %v %v, want the slots of %v", got, err, out)
	}
	for _, s := range got {
		if !want[s] {
			t.Fatalf("SlotsWithKeys: %v, want the slots of %v", got, out)
		}
	}
	keys, expires, err := db.KeyCounts()
	if err != nil || keys != int64(len(out)) {
		t.Fatalf("key counts %d %d %v, want %d keys", keys, expires, err, len(out))
	}
	for _, k := range out {
		if n, _ := db.Exists([]byte(k)); n != 1 {
			t.Fatalf("%s of another slot is gone", k)
		}
	}
}
