package geo

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestInterleave(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 10000 {
		x, y := r.Uint32(), r.Uint32()
		v := interleave(x, y)
		for i := range 32 {
			if v>>(2*i)&1 != uint64(x>>i&1) || v>>(2*i+1)&1 != uint64(y>>i&1) {
				t.Fatalf("interleave(%x, %x) = %x", x, y, v)
			}
		}
		if d := deinterleave(v); uint32(d) != x || uint32(d>>32) != y {
			t.Fatalf("deinterleave(%x) = %x, want %x %x", v, d, y, x)
		}
	}
}

// scoreBits follows the x86-64 code gcc emits for (uint64_t)score.
func TestScoreBits(t *testing.T) {
	for _, c := range []struct {
		score float64
		want  uint64
	}{
		{0, 0},
		{1.5, 1},
		{-1, math.MaxUint64},
		{-0.5, 0},
		{1e19, 10000000000000000000},
		{1 << 63, 1 << 63},
		{1 << 64, 0},
		{-(1 << 63), 1 << 63},
		{-1e30, 1 << 63},
		{math.Inf(1), 0},
		{math.Inf(-1), 1 << 63},
		{math.NaN(), 1 << 63},
	} {
		if got := scoreBits(c.score); got != c.want {
			t.Errorf("scoreBits(%v) = %#x, want %#x", c.score, got, c.want)
		}
	}
}

// Moving a cell and back returns it; four moves one way wrap around a
// step-2 grid.
func TestNeighbors(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 10000 {
		step := uint(1 + r.IntN(26))
		h := hashBits{r.Uint64() & (1<<(2*step) - 1), step}
		if moveX(moveX(h, 1), -1) != h || moveY(moveY(h, -1), 1) != h {
			t.Fatalf("moves of %+v do not cancel", h)
		}
		e := moveX(h, 1)
		if e.bits&0x5555555555555555 != h.bits&0x5555555555555555 {
			t.Fatalf("moveX(%+v) changed the latitude: %+v", h, e)
		}
	}
	h := hashBits{0b0110, 2}
	w := h
	for range 4 {
		w = moveX(w, 1)
	}
	if w != h {
		t.Fatalf("four moves east of %+v give %+v", h, w)
	}
}
