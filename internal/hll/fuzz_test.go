package hll

import (
	"bytes"
	"testing"
)

// FuzzHLL hands arbitrary strings, as a client or an RDB file may store
// them, to every entry point: none may panic or change its input, and
// whatever they return must hold together. When the string is a sound HLL,
// adding must raise each register to the highest value offered it, and
// nothing else.
//
// A dense HLL is longer than the fuzzer likes its inputs (it slows to a
// halt on them), so when asDense is set the input is only the start of
// one, its registers the input's bytes over and over.
func FuzzHLL(f *testing.F) {
	sparse, _, _ := Add(nil, DefaultSparseMaxBytes, []byte("a"), []byte("b"), []byte("foo"))
	dense, _ := ToDense(sparse)
	for _, seed := range [][]byte{
		nil, {}, []byte("HYLL"), New(), sparse,
		[]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"),
		[]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe\x40"),
		[]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x7f\xff"),
		[]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x40\x00\x85\x00\x7f\xfb"),
		[]byte("HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff"),
	} {
		f.Add(seed, false, []byte("a"), []byte("ab"), 0)
		f.Add(seed, false, []byte("foo"), []byte("x"), DefaultSparseMaxBytes)
		f.Add(seed, false, []byte(""), []byte("0123456789abcdef"), 20)
	}
	f.Add(dense[:HeaderSize], true, []byte("a"), []byte("b"), 0)
	f.Add([]byte("HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\xff\x00"), true, []byte("a"), []byte("b"), 0)
	f.Add([]byte("HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"), true, []byte("a"), []byte("b"), 0)
	f.Fuzz(func(t *testing.T, h []byte, asDense bool, e1, e2 []byte, sparseMax int) {
		if asDense {
			h = denseFrom(h)
		}
		orig := bytes.Clone(h)
		defer func() {
			if !bytes.Equal(h, orig) {
				t.Fatal("an input changed")
			}
		}()
		valid := Validate(h) == nil
		sound := valid && (h[offEncoding] == encDense || sparseWalk(h, len(h), nil))

		card, updated, err := Count(h)
		if h != nil && !valid && err != ErrNotHLL {
			t.Fatalf("Count of an invalid string: %v", err)
		}
		if updated != nil {
			if len(updated) != len(h) || !bytes.Equal(updated[HeaderSize:], h[HeaderSize:]) {
				t.Fatal("Count changed more than the cache")
			}
			if again, _, err := Count(updated); err != nil || again != card {
				t.Fatalf("Count of the cached %d: %d, %v", card, again, err)
			}
		}
		merged, merr := CountMerged(h)
		if sound != (merr == nil) && h != nil {
			t.Fatalf("CountMerged: %v, sound %v", merr, sound)
		}

		out, changed, err := Add(h, sparseMax, e1, e2)
		switch {
		case !valid && h != nil:
			if err != ErrNotHLL || out != nil {
				t.Fatalf("Add of an invalid string: %v", err)
			}
		case err == nil && changed != (out != nil):
			t.Fatalf("Add: changed %v, out %v", changed, out != nil)
		case err != nil && (changed || err != ErrCorrupt):
			t.Fatalf("Add: %v, changed %v", err, changed)
		}
		if out != nil && Validate(out) != nil {
			t.Fatalf("Add returned an invalid HLL %q", out)
		}
		if sound && err == nil {
			after := h
			if out != nil {
				after = out
			}
			want := registersOf(t, h)
			for _, e := range [][]byte{e1, e2} {
				i, c := patLen(e)
				want[i] = max(want[i], c)
			}
			if !bytes.Equal(registersOf(t, after), want) {
				t.Fatal("Add: registers are not the highest offered")
			}
			if n, err := CountMerged(after, h); err != nil || n < merged && merged >= 0 {
				t.Fatalf("CountMerged after Add: %d, %v (before %d)", n, err, merged)
			}
		}

		m, err := Merge(sparseMax, h, out, h)
		if (err == nil) != (sound || h == nil) {
			t.Fatalf("Merge: %v, sound %v", err, sound)
		}
		if err == nil {
			if Validate(m) != nil || !sparseWalk(m, len(m), nil) && m[offEncoding] == encSparse {
				t.Fatalf("Merge returned an unsound HLL %q", m)
			}
		}
		if _, err := Merge(sparseMax, nil, h, sparse); (err == nil) != (sound || h == nil) {
			t.Fatalf("Merge into nothing: %v, sound %v", err, sound)
		}

		if _, err := Decode(h); err == nil && h[offEncoding] != encSparse {
			t.Fatal("Decode of a dense HLL")
		}
		regs, d, err := GetReg(h)
		if err == nil && (len(regs) != Registers || (d != nil) != (h[offEncoding] == encSparse)) {
			t.Fatal("GetReg")
		}
		if d != nil && (Validate(d) != nil || len(d) != DenseSize) {
			t.Fatal("GetReg: an invalid dense HLL")
		}
		if _, err := ToDense(h); (err == nil) != (sound || h == nil && false) {
			t.Fatalf("ToDense: %v, sound %v", err, sound)
		}
		if enc, err := Encoding(h); (err == nil) != valid || err == nil && enc != "dense" && enc != "sparse" {
			t.Fatalf("Encoding: %q, %v", enc, err)
		}
	})
}

// denseFrom returns a dense-sized string starting with the first
// HeaderSize bytes of b, the rest b's remaining bytes repeated (zeros when
// there are none).
func denseFrom(b []byte) []byte {
	h := make([]byte, DenseSize)
	n := copy(h, b[:min(len(b), HeaderSize)])
	if rest := b[n:]; len(rest) > 0 {
		for i := HeaderSize; i < DenseSize; i += len(rest) {
			copy(h[i:], rest)
		}
	}
	return h
}
