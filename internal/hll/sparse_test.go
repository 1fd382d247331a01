package hll

import (
	"bytes"
	"testing"
)

// TestSparseSet sets one register of a sparse HLL and checks the opcodes
// that come out: each way Redis rewrites them in place, the merges of
// equal VALs after it, the turns to dense, and HLLs whose opcodes cover too
// few or too many registers (Redis writes those too, as long as it finds
// the register).
func TestSparseSet(t *testing.T) {
	for _, c := range []struct {
		name      string
		ops       string
		index     int
		count     uint8
		sparseMax int    // DefaultSparseMaxBytes when 0
		want      string // opcodes after, or "dense"
		changed   bool
		err       error
	}{
		{name: "first register", ops: "Z:16384", index: 0, count: 3,
			want: "v:3,1 Z:16383", changed: true},
		{name: "last register", ops: "Z:16384", index: 16383, count: 1,
			want: "Z:16383 v:1,1", changed: true},
		{name: "64 before fit a ZERO", ops: "Z:16384", index: 64, count: 1,
			want: "z:64 v:1,1 Z:16319", changed: true},
		{name: "65 before take an XZERO", ops: "Z:16384", index: 65, count: 1,
			want: "Z:65 v:1,1 Z:16318", changed: true},
		{name: "ZERO split", ops: "v:1,1 z:10 Z:16373", index: 5, count: 2,
			want: "v:1,1 z:4 v:2,1 z:5 Z:16373", changed: true},
		{name: "VAL already higher", ops: "z:5 v:2,1 Z:16378", index: 5, count: 1,
			want: "z:5 v:2,1 Z:16378"},
		{name: "VAL already equal", ops: "z:5 v:2,1 Z:16378", index: 5, count: 2,
			want: "z:5 v:2,1 Z:16378"},
		{name: "VAL of one raised", ops: "z:5 v:2,1 Z:16378", index: 5, count: 3,
			want: "z:5 v:3,1 Z:16378", changed: true},
		{name: "VAL of four split", ops: "z:5 v:2,4 Z:16375", index: 7, count: 4,
			want: "z:5 v:2,2 v:4,1 v:2,1 Z:16375", changed: true},
		{name: "VAL of four, first raised", ops: "v:2,4 Z:16380", index: 0, count: 9,
			want: "v:9,1 v:2,3 Z:16380", changed: true},
		{name: "ZERO of one filled, three VALs merge", ops: "z:5 v:2,1 z:1 v:2,1 Z:16376", index: 6, count: 2,
			want: "z:5 v:2,3 Z:16376", changed: true},
		{name: "merge stops at four", ops: "v:2,4 z:1 Z:16379", index: 4, count: 2,
			want: "v:2,4 v:2,1 Z:16379", changed: true},
		{name: "merge after a split", ops: "v:7,2 Z:16382", index: 2, count: 7,
			want: "v:7,3 Z:16381", changed: true},
		{name: "XZERO of one becomes a VAL, shrinking", ops: "v:1,1 Z:1 Z:16382", index: 1, count: 1,
			want: "v:1,2 Z:16382", changed: true},
		{name: "merge scans five opcodes from the one before", ops: "z:1 z:1 v:1,1 z:1 v:1,1 Z:16379", index: 3, count: 1,
			want: "z:1 z:1 v:1,3 Z:16379", changed: true},
		{name: "above 32 turns dense", ops: "Z:16384", index: 9, count: 33,
			want: "dense", changed: true},
		{name: "growing past the limit turns dense", ops: "Z:16384", index: 100, count: 1, sparseMax: 20,
			want: "dense", changed: true},
		{name: "growing to the limit stays sparse", ops: "Z:16384", index: 100, count: 1, sparseMax: 21,
			want: "Z:100 v:1,1 Z:16283", changed: true},
		{name: "not growing ignores the limit", ops: "z:5 v:2,1 Z:16378", index: 5, count: 3, sparseMax: 1,
			want: "z:5 v:3,1 Z:16378", changed: true},
		{name: "too few registers, found", ops: "Z:100", index: 50, count: 1,
			want: "z:50 v:1,1 z:49", changed: true},
		{name: "too few registers, not found", ops: "Z:100", index: 100, count: 1,
			want: "Z:100", err: ErrCorrupt},
		{name: "no opcodes", ops: "", index: 0, count: 1,
			want: "", err: ErrCorrupt},
		{name: "too many registers, found", ops: "Z:16384 Z:16384", index: 7, count: 2,
			want: "z:7 v:2,1 Z:16376 Z:16384", changed: true},
		{name: "too many registers, cannot turn dense", ops: "Z:16384 Z:16384", index: 7, count: 40,
			want: "Z:16384 Z:16384", err: ErrCorrupt},
	} {
		h := sparseOf(t, c.ops)
		orig := bytes.Clone(h)
		w := newWork(h)
		sparseMax := c.sparseMax
		if sparseMax == 0 {
			sparseMax = DefaultSparseMaxBytes
		}
		changed, err := w.sparseSet(c.index, c.count, sparseMax)
		if changed != c.changed || err != c.err {
			t.Errorf("%s: changed %v, err %v; want %v, %v", c.name, changed, err, c.changed, c.err)
		}
		got := w.bytes()
		if c.want == "dense" {
			regs, _, err := GetReg(got)
			if err != nil || !w.dense() || regs[c.index] != c.count {
				t.Errorf("%s: not dense with register %d at %d: %q, %v", c.name, c.index, c.count, got[:HeaderSize], err)
			}
			continue
		}
		dec, _ := Decode(got)
		if dec != c.want {
			t.Errorf("%s: %q, want %q", c.name, dec, c.want)
		}
		if stale := got[offCardMSB]&cacheStale != 0; stale != c.changed {
			t.Errorf("%s: cache stale %v", c.name, stale)
		}
		if !bytes.Equal(h, orig) {
			t.Errorf("%s: the input changed", c.name)
		}
	}
}

// TestSparseCutShort sets the register an XZERO cut short at the end of the
// string covers. Redis reads the missing byte as its terminator, zero, so
// the XZERO covers one register; replacing it by a VAL shrinks the string
// by the byte it never had, so the VAL lands past the end: the string
// loses its last opcode.
func TestSparseCutShort(t *testing.T) {
	h := append(sparseOf(t, "Z:16383"), 0x40)
	if dec, _ := Decode(h); dec != "Z:16383 Z:1" {
		t.Fatalf("Decode = %q", dec)
	}
	w := newWork(h)
	changed, err := w.sparseSet(16383, 1, DefaultSparseMaxBytes)
	if !changed || err != nil {
		t.Fatalf("sparseSet: %v, %v", changed, err)
	}
	if dec, _ := Decode(w.bytes()); dec != "Z:16383" {
		t.Fatalf("after: %q", dec)
	}
	// The VAL stayed in memory past the end, where a later read of the
	// missing byte finds it.
	if w.mem[w.n] != valOp(1, 1) {
		t.Fatalf("past the end: %#x", w.mem[w.n])
	}
}

// TestToDense checks the turn to dense: every register as the opcodes
// say, the header kept but for the encoding.
func TestToDense(t *testing.T) {
	h := sparseOf(t, "v:3,2 z:10 v:32,1 Z:16371")
	h[5], h[6], h[7] = 1, 2, 3
	putCard(h, 42)
	d, err := toDense(h, len(h))
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != DenseSize || d[offEncoding] != encDense || !bytes.Equal(d[5:HeaderSize], h[5:HeaderSize]) {
		t.Fatalf("header %q", d[:HeaderSize])
	}
	for i := range Registers {
		want := uint8(0)
		switch i {
		case 0, 1:
			want = 3
		case 12:
			want = 32
		}
		if got := getReg(d[HeaderSize:], i); got != want {
			t.Fatalf("register %d = %d, want %d", i, got, want)
		}
	}
	for _, ops := range []string{"Z:16383", "Z:16384 z:1", "Z:16383 v:1,2", "", "Z:16384 Z:16384"} {
		if _, err := toDense(sparseOf(t, ops), len(sparseOf(t, ops))); err != ErrCorrupt {
			t.Errorf("toDense(%q): %v", ops, err)
		}
	}
}
