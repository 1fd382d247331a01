package hll

import (
	"bytes"
	"math"
	"testing"
)

// denseOf builds a dense HLL, cache stale, with register i at regs(i).
func denseOf(regs func(i int) uint8) []byte {
	h := make([]byte, DenseSize)
	copy(h, "HYLL")
	invalidate(h)
	for i := range Registers {
		setReg(h[HeaderSize:], i, regs(i))
	}
	return h
}

// TestEstimate checks the estimator against redis-server 7.0's PFCOUNT of
// the same dense registers, extremes included: values above q+1 are left
// out, and an estimate past int64 is 1<<63 (PFCOUNT's -9223372036854775808).
func TestEstimate(t *testing.T) {
	for _, c := range []struct {
		name string
		regs func(i int) uint8
		want int64
	}{
		{"empty", func(int) uint8 { return 0 }, 0},
		{"one register at 5", func(i int) uint8 { return map[bool]uint8{true: 5}[i == 0] }, 1},
		{"half at 1", func(i int) uint8 { return map[bool]uint8{true: 1}[i < Registers/2] }, 10360},
		{"all at 1", func(int) uint8 { return 1 }, 23637},
		{"all at 2", func(int) uint8 { return 2 }, 47274},
		{"all at 32", func(int) uint8 { return 32 }, 50760319129350},
		{"all at 40", func(int) uint8 { return 40 }, 12994641697113596},
		{"all at 45", func(int) uint8 { return 45 }, 415828534307635072},
		{"i mod 52", func(i int) uint8 { return uint8(i % 52) }, 303516},
		{"all at 50", func(int) uint8 { return 50 }, math.MinInt64},
		{"all at 51", func(int) uint8 { return 51 }, math.MinInt64},
		{"all at 52", func(int) uint8 { return 52 }, math.MinInt64},
		{"all at 63", func(int) uint8 { return 63 }, math.MinInt64},
	} {
		h := denseOf(c.regs)
		card, updated, err := Count(h)
		if err != nil || card != c.want {
			t.Errorf("%s: Count = %d, %v; redis-server: %d", c.name, card, err, c.want)
			continue
		}
		// Cached, the estimate reads back, unless it has the stale bit.
		again, _, _ := Count(updated)
		if c.want != math.MinInt64 && again != card {
			t.Errorf("%s: cached %d", c.name, again)
		}
		if merged, err := CountMerged(h, nil); err != nil || merged != c.want {
			t.Errorf("%s: CountMerged = %d, %v", c.name, merged, err)
		}
	}
}

func TestSigmaTau(t *testing.T) {
	if !math.IsInf(sigma(1), 1) || sigma(0) != 0 || tau(0) != 0 || tau(1) != 0 {
		t.Fatal("sigma or tau wrong at the ends")
	}
	// σ(x) = x + Σ x^(2^k)·2^(k-1); τ is positive inside (0,1).
	if s := sigma(0.5); math.Abs(s-(0.5+0.25+0.0625*2+0.00390625*4+1.52587890625e-05*8)) > 1e-8 {
		t.Fatalf("sigma(0.5) = %v", s)
	}
	if v := tau(0.5); !(v > 0 && v < 0.5) {
		t.Fatalf("tau(0.5) = %v", v)
	}
}

// TestCount checks when Count computes, when it writes the cache, and its
// errors.
func TestCount(t *testing.T) {
	abc, _, err := Add(nil, DefaultSparseMaxBytes, []byte("a"), []byte("b"), []byte("c"),
		[]byte("d"), []byte("e"), []byte("f"), []byte("g"))
	if err != nil {
		t.Fatal(err)
	}
	orig := bytes.Clone(abc)
	card, updated, err := Count(abc)
	if err != nil || card != 7 || updated == nil {
		t.Fatalf("Count = %d, %v, %v; redis-server: 7, written back", card, updated != nil, err)
	}
	if !bytes.Equal(abc, orig) {
		t.Fatal("Count changed its input")
	}
	if want := append(append(bytes.Clone(orig[:offCard]), 7, 0, 0, 0, 0, 0, 0, 0), orig[HeaderSize:]...); !bytes.Equal(updated, want) {
		t.Fatalf("written back %q, want %q", updated, want)
	}
	if card, again, err := Count(updated); card != 7 || again != nil || err != nil {
		t.Fatalf("Count of cached = %d, %v, %v", card, again != nil, err)
	}

	// A valid cache is trusted without reading the opcodes, corrupt or
	// not; a stale one is not.
	corrupt := sparseOf(t, "Z:16384 Z:16384")
	putCard(corrupt, 12345)
	if card, updated, err := Count(corrupt); card != 12345 || updated != nil || err != nil {
		t.Fatalf("Count(corrupt, cached) = %d, %v, %v", card, updated != nil, err)
	}
	invalidate(corrupt)
	if _, _, err := Count(corrupt); err != ErrCorrupt {
		t.Fatalf("Count(corrupt, stale) = %v", err)
	}

	if card, updated, err := Count(nil); card != 0 || updated != nil || err != nil {
		t.Fatalf("Count(nil) = %d, %v, %v", card, updated != nil, err)
	}
	if _, _, err := Count([]byte("HYLL")); err != ErrNotHLL {
		t.Fatalf("Count(HYLL) = %v", err)
	}
}

func TestCountMerged(t *testing.T) {
	a, _, _ := Add(nil, DefaultSparseMaxBytes, []byte("a"), []byte("b"))
	b, _, _ := Add(nil, DefaultSparseMaxBytes, []byte("b"), []byte("c"))
	if n, err := CountMerged(a, b, nil); n != 3 || err != nil {
		t.Fatalf("CountMerged = %d, %v", n, err)
	}
	if n, err := CountMerged(); n != 0 || err != nil {
		t.Fatalf("CountMerged() = %d, %v", n, err)
	}
	// The first key found invalid decides the error.
	corrupt := sparseOf(t, "Z:100")
	if _, err := CountMerged(a, corrupt, []byte("x")); err != ErrCorrupt {
		t.Fatalf("corrupt first: %v", err)
	}
	if _, err := CountMerged(a, []byte("x"), corrupt); err != ErrNotHLL {
		t.Fatalf("not an HLL first: %v", err)
	}
}
