package hll

import (
	"bytes"
	"testing"
)

func TestDebug(t *testing.T) {
	sparse, _, _ := Add(nil, DefaultSparseMaxBytes, []byte("a"), []byte("foo"))
	_, sparse, _ = Count(sparse) // cache the count: the turn to dense keeps it
	orig := bytes.Clone(sparse)

	regs, dense, err := GetReg(sparse)
	if err != nil || dense == nil {
		t.Fatalf("GetReg(sparse): %v, %v", dense != nil, err)
	}
	for i, v := range regs {
		want := map[int]uint8{12711: 2, 7348: 5}[i]
		if v != want {
			t.Fatalf("register %d = %d, want %d", i, v, want)
		}
	}
	if !bytes.Equal(dense[:HeaderSize], append([]byte("HYLL\x00"), sparse[5:HeaderSize]...)) || len(dense) != DenseSize {
		t.Fatalf("dense header %q", dense[:HeaderSize])
	}
	if again, d2, err := GetReg(dense); err != nil || d2 != nil || !bytes.Equal(again, regs) {
		t.Fatalf("GetReg(dense): %v, %v", d2 != nil, err)
	}
	if d, err := ToDense(sparse); err != nil || !bytes.Equal(d, dense) {
		t.Fatalf("ToDense(sparse): %v", err)
	}
	if d, err := ToDense(dense); err != nil || d != nil {
		t.Fatalf("ToDense(dense): %v, %v", d != nil, err)
	}
	if !bytes.Equal(sparse, orig) {
		t.Fatal("the input changed")
	}
	for h, want := range map[*[]byte]string{&sparse: "sparse", &dense: "dense"} {
		if enc, err := Encoding(*h); enc != want || err != nil {
			t.Fatalf("Encoding = %q, %v; want %q", enc, err, want)
		}
	}

	// Errors: a missing key, a string that is not an HLL, corrupt
	// opcodes (which Encoding does not read).
	corrupt := sparseOf(t, "Z:100")
	if _, _, err := GetReg(corrupt); err != ErrCorrupt {
		t.Errorf("GetReg(corrupt): %v", err)
	}
	if _, err := ToDense(corrupt); err != ErrCorrupt {
		t.Errorf("ToDense(corrupt): %v", err)
	}
	if enc, err := Encoding(corrupt); enc != "sparse" || err != nil {
		t.Errorf("Encoding(corrupt): %q, %v", enc, err)
	}
	for _, c := range []struct {
		h   []byte
		err error
	}{{nil, ErrNoKey}, {[]byte{}, ErrNotHLL}, {[]byte("HYLLHYLLHYLLHYLL"), ErrNotHLL}} {
		if _, _, err := GetReg(c.h); err != c.err {
			t.Errorf("GetReg(%q): %v", c.h, err)
		}
		if _, err := ToDense(c.h); err != c.err {
			t.Errorf("ToDense(%q): %v", c.h, err)
		}
		if _, err := Encoding(c.h); err != c.err {
			t.Errorf("Encoding(%q): %v", c.h, err)
		}
		if _, err := Decode(c.h); err != c.err {
			t.Errorf("Decode(%q): %v", c.h, err)
		}
	}
}
