package hll

import (
	"bytes"
	"fmt"
	"testing"
)

// registersOf returns the registers of a valid HLL.
func registersOf(t testing.TB, h []byte) []uint8 {
	t.Helper()
	if h[offEncoding] == encDense {
		regs, _, err := GetReg(h)
		if err != nil {
			t.Fatal(err)
		}
		return regs
	}
	d, err := ToDense(h)
	if err != nil {
		t.Fatal(err)
	}
	regs, _, _ := GetReg(d)
	return regs
}

// TestAddRegisters adds elements one PFADD at a time under several sparse
// limits and checks that every register holds the highest value an
// element offered it, whichever way the HLL is encoded.
func TestAddRegisters(t *testing.T) {
	for _, sparseMax := range []int{-1, 0, 100, DefaultSparseMaxBytes, 1 << 20} {
		want := make([]uint8, Registers)
		var h []byte
		for i := range 6000 {
			e := fmt.Appendf(nil, "e%d", i)
			index, count := patLen(e)
			raised := count > want[index]
			want[index] = max(want[index], count)
			out, changed, err := Add(h, sparseMax, e)
			if err != nil || changed != (raised || h == nil) || (out != nil) != changed {
				t.Fatalf("sparseMax %d, element %d: out %v, changed %v, err %v", sparseMax, i, out != nil, changed, err)
			}
			if out != nil {
				h = out
			}
			if h[offEncoding] == encSparse && len(h) > max(sparseMax, 0) && len(h) > 18 {
				t.Fatalf("sparseMax %d: sparse at %d bytes", sparseMax, len(h))
			}
		}
		if got := registersOf(t, h); !bytes.Equal(got, want) {
			t.Fatalf("sparseMax %d: registers differ", sparseMax)
		}
		enc, _ := Encoding(h)
		t.Logf("sparseMax %d: %s, %d bytes", sparseMax, enc, len(h))
	}
}

func TestAdd(t *testing.T) {
	h, _, _ := Add(nil, DefaultSparseMaxBytes, []byte("a"), []byte("b"))
	orig := bytes.Clone(h)
	if out, changed, err := Add(h, DefaultSparseMaxBytes, []byte("b"), []byte("a")); out != nil || changed || err != nil {
		t.Fatalf("adding again: %q, %v, %v", out, changed, err)
	}
	if out, changed, err := Add(h, DefaultSparseMaxBytes); out != nil || changed || err != nil {
		t.Fatalf("adding nothing: %q, %v, %v", out, changed, err)
	}
	if out, changed, err := Add(h, DefaultSparseMaxBytes, []byte("c")); out == nil || !changed || err != nil {
		t.Fatalf("adding c: %q, %v, %v", out, changed, err)
	}
	if !bytes.Equal(h, orig) {
		t.Fatal("Add changed its input")
	}
	if out, changed, err := Add([]byte("not an hll"), DefaultSparseMaxBytes, []byte("a")); out != nil || changed || err != ErrNotHLL {
		t.Fatalf("not an HLL: %q, %v, %v", out, changed, err)
	}
}

// TestAddCorrupt adds to an HLL whose opcodes stop at register 8000:
// "ab" goes to register 719, "a" to 12711. Redis keeps what it added
// before the error.
func TestAddCorrupt(t *testing.T) {
	h := sparseOf(t, "Z:8000")
	out, changed, err := Add(h, DefaultSparseMaxBytes, []byte("a"))
	if out != nil || changed || err != ErrCorrupt {
		t.Fatalf("a alone: %q, %v, %v", out, changed, err)
	}
	out, changed, err = Add(h, DefaultSparseMaxBytes, []byte("ab"), []byte("a"), []byte("b"))
	if changed || err != ErrCorrupt {
		t.Fatalf("ab, a, b: %v, %v", changed, err)
	}
	if dec, _ := Decode(out); dec != "Z:719 v:1,1 Z:7280" || out[offCardMSB]&cacheStale == 0 {
		t.Fatalf("ab, a, b left %q, header %q", dec, out[:HeaderSize])
	}
}

func TestMerge(t *testing.T) {
	a, _, _ := Add(nil, DefaultSparseMaxBytes, []byte("a"), []byte("foo"))
	b, _, _ := Add(nil, DefaultSparseMaxBytes, []byte("b"), []byte("foo"))
	dense, _ := ToDense(a)
	origA, origB := bytes.Clone(a), bytes.Clone(b)

	// Nothing to merge: a new empty HLL, cache stale.
	out, err := Merge(DefaultSparseMaxBytes, nil)
	if want := "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff"; err != nil || string(out) != want {
		t.Fatalf("Merge(nil) = %q, %v", out, err)
	}

	// Sparse into missing: sparse, the registers of both.
	out, err = Merge(DefaultSparseMaxBytes, nil, a, nil, b)
	if err != nil {
		t.Fatal(err)
	}
	if dec, _ := Decode(out); dec != "Z:7348 v:5,1 Z:5362 v:2,1 Z:3068 v:1,1 Z:603" {
		t.Fatalf("a+b = %q", dec)
	}
	if !bytes.Equal(a, origA) || !bytes.Equal(b, origB) {
		t.Fatal("Merge changed its input")
	}

	// A dense source makes the result dense; so does a small limit.
	for _, c := range []struct {
		sparseMax  int
		dest, src  []byte
		wantSparse bool
	}{
		{DefaultSparseMaxBytes, b, dense, false},
		{DefaultSparseMaxBytes, dense, b, false},
		{DefaultSparseMaxBytes, b, a, true},
		{20, b, a, false},
	} {
		out, err := Merge(c.sparseMax, c.dest, c.src)
		if err != nil {
			t.Fatal(err)
		}
		if (out[offEncoding] == encSparse) != c.wantSparse {
			t.Errorf("merge into %s: encoding %d", out[:HeaderSize], out[offEncoding])
		}
		if !bytes.Equal(registersOf(t, out), registersOf(t, mustMerge(t, nil, a, b))) {
			t.Errorf("merge into %s: registers differ", out[:HeaderSize])
		}
	}

	// Merging a key into itself only marks its cache stale.
	_, cached, _ := Count(a)
	out, err = Merge(DefaultSparseMaxBytes, cached, cached)
	if err != nil || !bytes.Equal(out[HeaderSize:], cached[HeaderSize:]) || out[offCardMSB]&cacheStale == 0 {
		t.Fatalf("a into a: %q, %v", out, err)
	}

	// Errors: dest first, then the sources in order.
	corrupt := sparseOf(t, "Z:100")
	for _, c := range []struct {
		dest []byte
		srcs [][]byte
		err  error
	}{
		{corrupt, [][]byte{[]byte("x")}, ErrCorrupt},
		{[]byte("x"), [][]byte{corrupt}, ErrNotHLL},
		{a, [][]byte{nil, corrupt, []byte("x")}, ErrCorrupt},
		{a, [][]byte{[]byte("x"), corrupt}, ErrNotHLL},
	} {
		if out, err := Merge(DefaultSparseMaxBytes, c.dest, c.srcs...); out != nil || err != c.err {
			t.Errorf("Merge(%q, %q) = %v, want %v", c.dest, c.srcs, err, c.err)
		}
	}
}

func mustMerge(t *testing.T, dest []byte, srcs ...[]byte) []byte {
	t.Helper()
	out, err := Merge(DefaultSparseMaxBytes, dest, srcs...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
