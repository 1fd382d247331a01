package hll

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	dense := make([]byte, DenseSize)
	copy(dense, "HYLL")
	for _, c := range []struct {
		name string
		h    []byte
		err  error
	}{
		{"nil", nil, ErrNotHLL},
		{"empty", []byte{}, ErrNotHLL},
		{"header short by one", []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), ErrNotHLL},
		{"sparse header alone", []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), nil},
		{"sparse", New(), nil},
		{"sparse with garbage", append(New(), 0xde, 0xad), nil},
		{"unused bytes set", []byte("HYLL\x01\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff"), nil},
		{"lower-case magic", []byte("hyll\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"), ErrNotHLL},
		{"encoding 2", []byte("HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"), ErrNotHLL},
		{"raw encoding", []byte("HYLL\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"), ErrNotHLL},
		{"dense", dense, nil},
		{"dense short", dense[:DenseSize-1], ErrNotHLL},
		{"dense long", append(bytes.Clone(dense), 0), ErrNotHLL},
		{"dense header alone", dense[:HeaderSize], ErrNotHLL},
		{"sparse at dense size", append([]byte("HYLL\x01"), dense[5:]...), nil},
	} {
		if err := Validate(c.h); err != c.err {
			t.Errorf("%s: Validate = %v, want %v", c.name, err, c.err)
		}
	}
}

// TestNew checks the empty HLL against the one redis-server 7.0 creates,
// as GET shows it after PFADD of no element (which marks the cache stale).
func TestNew(t *testing.T) {
	h := New()
	if want := "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"; string(h) != want {
		t.Fatalf("New() = %q, want %q", h, want)
	}
	out, changed, err := Add(nil, DefaultSparseMaxBytes)
	if want := "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff"; err != nil || !changed || string(out) != want {
		t.Fatalf("Add(nil) = %q, %v, %v; want %q, true", out, changed, err, want)
	}
}

// TestRegisters sets every register of a dense HLL to random values and
// reads them back, as PFSELFTEST does: no register may disturb another.
func TestRegisters(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	regs := make([]byte, DenseSize-HeaderSize)
	want := make([]uint8, Registers)
	for range 5 {
		for i := range want {
			want[i] = uint8(r.IntN(regMax + 1))
			setReg(regs, i, want[i])
		}
		for i := range want {
			if got := getReg(regs, i); got != want[i] {
				t.Fatalf("register %d = %d, want %d", i, got, want[i])
			}
		}
	}
	// The layout: register 0 in the low 6 bits of byte 0, register 1 in
	// its top 2 bits and the low 4 of byte 1, and so on.
	clear(regs)
	setReg(regs, 1, 0x3f)
	if regs[0] != 0xc0 || regs[1] != 0x0f || regs[2] != 0 {
		t.Fatalf("register 1 at 63: % x", regs[:3])
	}
	setReg(regs, Registers-1, 0x3f)
	if regs[len(regs)-1] != 0xfc {
		t.Fatalf("last register at 63: last byte %#x", regs[len(regs)-1])
	}
}

func TestDecode(t *testing.T) {
	hdr := "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	for _, c := range []struct {
		payload, want string
	}{
		{"", ""},
		{"\x7f\xff", "Z:16384"},
		{"\x00", "z:1"},
		{"\x3f", "z:64"},
		{"\x40\x00", "Z:1"},
		{"\x80", "v:1,1"},
		{"\xff", "v:32,4"},
		{"\x85\x00\x7f\xfc", "v:2,2 z:1 Z:16381"},
		// An XZERO cut short reads a zero past the end, as Redis reads
		// its string's terminator.
		{"\x7f\xfe\x40", "Z:16383 Z:1"},
		{"\x7f\xfe\x41", "Z:16383 Z:257"},
	} {
		got, err := Decode([]byte(hdr + c.payload))
		if err != nil || got != c.want {
			t.Errorf("Decode(% x) = %q, %v; want %q", c.payload, got, err, c.want)
		}
	}
	if _, err := Decode(nil); err != ErrNoKey {
		t.Errorf("Decode(nil): %v", err)
	}
	if _, err := Decode([]byte("HYLL")); err != ErrNotHLL {
		t.Errorf("Decode(HYLL): %v", err)
	}
	dense, _ := ToDense(New())
	if _, err := Decode(dense); err != ErrNotSparse {
		t.Errorf("Decode(dense): %v", err)
	}
}

// sparseOf builds a sparse HLL, cache valid at 0, from opcodes written as
// Decode writes them.
func sparseOf(t testing.TB, ops string) []byte {
	t.Helper()
	h := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	for _, o := range strings.Fields(ops) {
		var n, v int
		switch {
		case scan(o, "z:%d", &n):
			h = append(h, zeroOp(n))
		case scan(o, "Z:%d", &n):
			h = append(h, 0, 0)
			putXZero(h[len(h)-2:], n)
		case scan(o, "v:%d,%d", &v, &n):
			h = append(h, valOp(v, n))
		default:
			t.Fatalf("sparseOf: bad opcode %q", o)
		}
	}
	if got, _ := Decode(h); got != ops {
		t.Fatalf("sparseOf(%q) decodes as %q", ops, got)
	}
	return h
}

func scan(s, format string, args ...any) bool {
	n, err := fmt.Sscanf(s, format, args...)
	return err == nil && n == len(args)
}
