package store

import (
	"errors"
	"math"
	"testing"
	"time"
)

// The tests below keep the reproductions of crashes found by the boundary
// differential test and FuzzCommands (command package): numeric arguments at
// the edges of their range that once sized a slice or an allocation before
// they were checked. One such panic in a server is every client's outage.

// writeWithin fails the test unless a write from another goroutine completes
// within a deadline: a call that panicked or failed must not keep the write
// lock.
func writeWithin(t *testing.T, db *DB) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- db.Set([]byte("lock-probe"), []byte("x")) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("write after the call: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a write after the call did not complete in 10s: the write lock is held")
	}
}

func TestSetRangeOffsetBounds(t *testing.T) {
	db := openMem(t, nil) // ProtoMaxBulkLen at Redis's default, 512 MiB
	for _, present := range []bool{false, true} {
		if present {
			if err := db.Set([]byte("k"), []byte("10")); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			offset int64
			value  string
			want   error
		}{
			// SETRANGE k 9223372036854775807 x: offset+1 wrapped to a
			// negative total, passed the check, and sliced out of range.
			{math.MaxInt64, "x", ErrStringTooLong},
			{math.MaxInt64 - 1, "xy", ErrStringTooLong},
			{math.MaxInt64, "", nil}, // an empty value writes nothing: no check
			{1 << 31, "x", ErrStringTooLong},
			{DefaultProtoMaxBulkLen, "x", ErrStringTooLong},
			{DefaultProtoMaxBulkLen - 2, "xyz", ErrStringTooLong},
			{math.MinInt64, "x", ErrOffsetRange},
			{-1, "x", ErrOffsetRange},
		} {
			_, err := db.SetRange([]byte("k"), c.offset, []byte(c.value))
			if !errors.Is(err, c.want) {
				t.Errorf("present=%v: SetRange(k, %d, %q) = %v, want %v", present, c.offset, c.value, err, c.want)
			}
			// The same inside a transaction, which must go on after it.
			err = db.Update(func(tx *Tx) error {
				_, err := tx.SetRange([]byte("k"), c.offset, []byte(c.value))
				if !errors.Is(err, c.want) {
					t.Errorf("present=%v: tx.SetRange(k, %d, %q) = %v, want %v", present, c.offset, c.value, err, c.want)
				}
				return tx.Set([]byte("in-tx"), []byte("ok"))
			})
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			writeWithin(t, db)
		}
		want := ""
		if present {
			want = "10"
		}
		if v, err := db.Get([]byte("k")); present && (err != nil || string(v) != want) || !present && !errors.Is(err, ErrNotFound) {
			t.Errorf("present=%v: k = %q, %v after refused SETRANGEs, want %q", present, v, err, want)
		}
	}
	// The largest string allowed is allowed: offset+len == ProtoMaxBulkLen.
	small := openMem(t, &Options{ProtoMaxBulkLen: 16})
	if n, err := small.SetRange([]byte("k"), 15, []byte("x")); err != nil || n != 16 {
		t.Errorf("SetRange to exactly ProtoMaxBulkLen = %d, %v; want 16, nil", n, err)
	}
	if _, err := small.SetRange([]byte("k"), 16, []byte("x")); !errors.Is(err, ErrStringTooLong) {
		t.Errorf("SetRange past ProtoMaxBulkLen = %v, want ErrStringTooLong", err)
	}
}

func TestHRandFieldCountBounds(t *testing.T) {
	db := openMem(t, nil)
	if _, err := db.HSet([]byte("h"), []byte("f"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		count int64
		n     int
		err   error
	}{
		// HRANDFIELD h -9223372036854775807 made a slice of that capacity
		// (makeslice: cap out of range) before it picked a field.
		{-math.MaxInt64, 0, ErrRandomCountRange},
		{math.MinInt64, 0, ErrRandomCountRange},
		{-MaxRandomRepeats - 1, 0, ErrRandomCountRange},
		{-1 << 31, 0, ErrRandomCountRange},
		{-3, 3, nil},
		{math.MaxInt64, 1, nil},
	} {
		fvs, err := db.HRandField([]byte("h"), c.count)
		if !errors.Is(err, c.err) || len(fvs) != c.n {
			t.Errorf("HRandField(h, %d) = %d fields, %v; want %d, %v", c.count, len(fvs), err, c.n, c.err)
		}
		// A missing key is an empty reply whatever the count, as in Redis.
		if fvs, err := db.HRandField([]byte("nokey"), c.count); err != nil || len(fvs) != 0 {
			t.Errorf("HRandField(nokey, %d) = %d fields, %v", c.count, len(fvs), err)
		}
		writeWithin(t, db)
	}
}
