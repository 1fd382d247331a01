package store

import (
	"errors"
	"fmt"
	"testing"
)

// TestRestore: RESTORE's store side writes a string or a whole hash,
// refuses an existing key without replace, and propagates commands a
// replica applies to the same state; Dump reads it back.
func TestRestore(t *testing.T) {
	clock := newTestClock()
	db := openMem(t, &Options{Now: clock.Now, ActiveExpireInterval: -1})
	r, _ := record(t, db)
	exp := clock.Now().UnixMilli() + 5000
	k, h := []byte("k"), []byte("h")

	if err := db.Restore(k, &Record{Type: TypeString, Value: []byte("v"), ExpireMs: exp}, false); err != nil {
		t.Fatal(err)
	}
	expectCmds(t, r, fmt.Sprintf("SET k v PXAT %d", exp))
	if err := db.Restore(k, &Record{Type: TypeString, Value: []byte("w")}, false); !errors.Is(err, ErrBusyKey) {
		t.Fatalf("an existing key without replace: %v", err)
	}
	db.HSet(h, []byte("old"), []byte("1"))
	expectCmds(t, r, "HSET h old 1")
	fields := [][]byte{[]byte("a"), []byte("1"), []byte("b"), []byte("2")}
	if err := db.Restore(h, &Record{Type: TypeHash, Fields: fields, ExpireMs: exp}, true); err != nil {
		t.Fatal(err)
	}
	expectCmds(t, r, "MULTI", "DEL h", "HSET h a 1 b 2", fmt.Sprintf("PEXPIREAT h %d", exp), "EXEC")
	got, err := db.Dump(h)
	if err != nil || got.Type != TypeHash || len(got.Fields) != 4 || got.ExpireMs != exp {
		t.Fatalf("Dump after the restore: %+v %v", got, err)
	}
	if n, _ := db.HLen(h); n != 2 {
		t.Fatalf("the old field survived the replace: HLEN %d", n)
	}
	if _, err := db.Dump([]byte("none")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Dump of a missing key: %v", err)
	}
	if err := db.Restore(h, &Record{Type: TypeHash}, true); !errors.Is(err, ErrSyntax) {
		t.Fatalf("an empty hash: %v", err)
	}
}
