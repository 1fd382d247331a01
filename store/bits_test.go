package store

import (
	"errors"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/bitmap"
)

// TestBits runs the embedded bit API: SETBIT grows and keeps the TTL,
// offsets at proto-max-bulk-len are refused before any allocation, BITOP
// stores and deletes, BITFIELD reads, writes and fails under OVERFLOW
// FAIL without writing.
func TestBits(t *testing.T) {
	db := openMem(t, &Options{ProtoMaxBulkLen: 1 << 20})
	k := []byte("k")
	if old, err := db.SetBit(k, 9, true); err != nil || old != 0 {
		t.Fatalf("SetBit: %d %v", old, err)
	}
	db.Expire(k, time.Hour, ExpireAlways)
	if old, err := db.SetBit(k, 9, false); err != nil || old != 1 {
		t.Fatalf("SetBit again: %d %v", old, err)
	}
	if v, _ := db.Get(k); len(v) != 2 {
		t.Fatalf("value %q after SETBIT 9", v)
	}
	if ttl, _ := db.TTL(k); ttl <= 0 {
		t.Fatalf("SETBIT dropped the TTL: %v", ttl)
	}
	for _, off := range []int64{-1, 8 << 20, 1 << 62} {
		if _, err := db.SetBit(k, off, true); !errors.Is(err, ErrBitOffset) {
			t.Fatalf("SetBit at %d: %v", off, err)
		}
		if _, err := db.BitField(k, []BitFieldOp{{Kind: BitFieldSet, Field: bitmap.Field{Bits: 8, Offset: uint64(off)}}}); !errors.Is(err, ErrBitOffset) {
			t.Fatalf("BitField at %d: %v", off, err)
		}
	}

	db.Set([]byte("a"), []byte{0x0f})
	if n, err := db.BitOp(bitmap.Or, []byte("d"), []byte("a"), []byte("missing")); err != nil || n != 1 {
		t.Fatalf("BitOp: %d %v", n, err)
	}
	if n, err := db.BitOp(bitmap.And, []byte("d"), []byte("missing")); err != nil || n != 0 {
		t.Fatalf("BitOp of nothing: %d %v", n, err)
	}
	if n, _ := db.Exists([]byte("d")); n != 0 {
		t.Fatal("an empty BITOP result left its destination")
	}
	if _, err := db.BitOp(bitmap.Not, []byte("d"), []byte("a"), []byte("a")); !errors.Is(err, ErrSyntax) {
		t.Fatalf("BitOp NOT of two keys: %v", err)
	}

	f := bitmap.Field{Bits: 4, Offset: 0}
	res, err := db.BitField([]byte("f"), []BitFieldOp{
		{Kind: BitFieldSet, Field: f, Value: 15},
		{Kind: BitFieldIncrBy, Field: f, Value: 1, Overflow: bitmap.Fail},
		{Kind: BitFieldIncrBy, Field: f, Value: 1, Overflow: bitmap.Sat},
		{Kind: BitFieldIncrBy, Field: f, Value: 1},
		{Kind: BitFieldGet, Field: bitmap.Field{Signed: true, Bits: 4}},
	})
	want := []BitFieldResult{{0, false}, {0, true}, {15, false}, {0, false}, {0, false}}
	if err != nil || len(res) != len(want) {
		t.Fatalf("BitField: %v %v", res, err)
	}
	for i := range want {
		if res[i] != want[i] {
			t.Fatalf("BitField result %d: %+v, want %+v", i, res[i], want[i])
		}
	}
}
