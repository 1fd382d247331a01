// Package bitmap is the arithmetic of Redis's bit commands on a string's
// bytes (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD), with Redis
// 7.0's rules for ranges, offsets and overflow. Bit 0 is the most
// significant bit of byte 0. It keeps no state and touches no store: the
// store applies it under its lock, the command layer parses arguments.
package bitmap

import (
	"math"
	"math/bits"
)

// Bit returns the bit at offset of p, 0 past its end.
func Bit(p []byte, offset uint64) int64 {
	i := offset >> 3
	if i >= uint64(len(p)) {
		return 0
	}
	return int64(p[i]>>(7-offset&7)) & 1
}

// SetBit sets the bit at offset of p, which must reach it, and returns the
// old one.
func SetBit(p []byte, offset uint64, on bool) int64 {
	old := Bit(p, offset)
	mask := byte(1) << (7 - offset&7)
	if on {
		p[offset>>3] |= mask
	} else {
		p[offset>>3] &^= mask
	}
	return old
}

// Range is BITCOUNT's and BITPOS's optional start and end, in bytes or,
// with InBits, in bits; negative values count from the end.
type Range struct {
	Start, End int64
	EndGiven   bool // BITPOS: an explicit end (BITCOUNT always has one)
	InBits     bool
}

// span resolves r against a string of n bytes as Redis does: the first and
// last byte, and masks of the bits of those two bytes that lie outside the
// range. ok is false for an empty range.
func (r Range) span(n int64) (first, last int64, firstMask, lastMask byte, ok bool) {
	total := n
	if r.InBits {
		total <<= 3
	}
	start, end := r.Start, r.End
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start, end = max(start, 0), max(end, 0)
	end = min(end, total-1)
	if start > end {
		return 0, 0, 0, 0, false
	}
	if r.InBits {
		firstMask = ^byte(0xff >> (start & 7))
		lastMask = byte(1<<(7-end&7)) - 1
		start, end = start>>3, end>>3
	}
	return start, end, firstMask, lastMask, true
}

// Count is BITCOUNT of p over r (nil: the whole string).
func Count(p []byte, r *Range) int64 {
	if r == nil {
		return popcount(p)
	}
	if r.Start < 0 && r.End < 0 && r.Start > r.End {
		return 0
	}
	first, last, fm, lm, ok := r.span(int64(len(p)))
	if !ok {
		return 0
	}
	n := popcount(p[first : last+1])
	n -= int64(bits.OnesCount8(p[first]&fm) + bits.OnesCount8(p[last]&lm))
	return n
}

func popcount(p []byte) int64 {
	var n int
	for len(p) >= 8 {
		n += bits.OnesCount64(uint64(p[0])<<56 | uint64(p[1])<<48 | uint64(p[2])<<40 | uint64(p[3])<<32 |
			uint64(p[4])<<24 | uint64(p[5])<<16 | uint64(p[6])<<8 | uint64(p[7]))
		p = p[8:]
	}
	for _, b := range p {
		n += bits.OnesCount8(b)
	}
	return int64(n)
}

// Pos is BITPOS of bit (0 or 1) in p over r (nil: the whole string): the
// first position holding it, or -1. Looking for a 0 with no explicit end,
// the string counts as padded with zeros on the right.
func Pos(p []byte, bit int, r *Range) int64 {
	var first, last int64
	var fm, lm byte
	endGiven := false
	if r == nil {
		first, last = 0, int64(len(p))-1
		if last < first {
			return -1 // an empty range holds neither bit
		}
	} else {
		rr := *r
		if !rr.EndGiven {
			rr.End = int64(len(p)) - 1
			if rr.InBits {
				rr.End = int64(len(p))<<3 + 7
			}
		}
		endGiven = rr.EndGiven
		var ok bool
		if first, last, fm, lm, ok = rr.span(int64(len(p))); !ok {
			return -1
		}
	}
	// The range's bytes, with the bits outside it set to what is not
	// looked for.
	at := func(i int64) byte {
		b := p[i]
		var out byte
		if i == first {
			out |= fm
		}
		if i == last {
			out |= lm
		}
		if bit == 1 {
			return b &^ out
		}
		return b | out
	}
	for i := first; i <= last; i++ {
		b := at(i)
		if bit == 0 {
			b = ^b
		}
		if b != 0 {
			return i<<3 + int64(bits.LeadingZeros8(b))
		}
	}
	// Not found. For a 0 with no explicit end, the first bit past the
	// string is one.
	if bit == 0 && !endGiven {
		return (last + 1) << 3
	}
	return -1
}

// Op is a BITOP operation.
type Op int

const (
	And Op = iota
	Or
	Xor
	Not
)

// Apply computes op over srcs (one only for Not), each zero-padded to the
// longest: the result has the longest's length.
func Apply(op Op, srcs [][]byte) []byte {
	n := 0
	for _, s := range srcs {
		n = max(n, len(s))
	}
	out := make([]byte, n)
	at := func(s []byte, i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	for i := range out {
		b := at(srcs[0], i)
		switch op {
		case Not:
			b = ^b
		case And:
			for _, s := range srcs[1:] {
				b &= at(s, i)
			}
		case Or:
			for _, s := range srcs[1:] {
				b |= at(s, i)
			}
		case Xor:
			for _, s := range srcs[1:] {
				b ^= at(s, i)
			}
		}
		out[i] = b
	}
	return out
}

// Overflow is BITFIELD's OVERFLOW behaviour.
type Overflow int

const (
	Wrap Overflow = iota
	Sat
	Fail
)

// Field is a BITFIELD integer type: Bits wide (1-64 signed, 1-63
// unsigned), at a bit offset.
type Field struct {
	Signed bool
	Bits   uint
	Offset uint64
}

// Get reads f from p, zero past its end.
func (f Field) Get(p []byte) int64 {
	var v uint64
	for i := uint64(0); i < uint64(f.Bits); i++ {
		v = v<<1 | uint64(Bit(p, f.Offset+i))
	}
	if f.Signed && f.Bits < 64 && v&(1<<(f.Bits-1)) != 0 {
		v |= math.MaxUint64 << f.Bits // sign extension
	}
	return int64(v)
}

// Set writes the low Bits bits of v into p, which must reach them.
func (f Field) Set(p []byte, v int64) {
	for i := uint64(0); i < uint64(f.Bits); i++ {
		SetBit(p, f.Offset+i, uint64(v)>>(uint64(f.Bits)-1-i)&1 == 1)
	}
}

// Add returns value+incr (incr 0: value stored as is) as f holds it under
// ow, and whether it overflowed. Under Fail the value is not to be written.
func (f Field) Add(value, incr int64, ow Overflow) (int64, bool) {
	if f.Signed {
		return f.addSigned(value, incr, ow)
	}
	return f.addUnsigned(uint64(value), incr, ow)
}

func (f Field) addUnsigned(value uint64, incr int64, ow Overflow) (int64, bool) {
	maxv := uint64(1)<<f.Bits - 1
	maxincr := int64(maxv - value)
	minincr := -int64(value)
	var high bool
	switch {
	case value > maxv || incr > 0 && incr > maxincr:
		high = true
	case incr < 0 && incr < minincr:
	default:
		return int64(value + uint64(incr)), false
	}
	switch ow {
	case Sat:
		if high {
			return int64(maxv), true
		}
		return 0, true
	case Wrap:
		return int64((value + uint64(incr)) & maxv), true
	}
	return 0, true
}

func (f Field) addSigned(value, incr int64, ow Overflow) (int64, bool) {
	maxv := int64(math.MaxInt64)
	if f.Bits < 64 {
		maxv = 1<<(f.Bits-1) - 1
	}
	minv := -maxv - 1
	maxincr := int64(uint64(maxv) - uint64(value))
	minincr := minv - value
	var high bool
	switch {
	case value > maxv || f.Bits != 64 && incr > maxincr || value >= 0 && incr > 0 && incr > maxincr:
		high = true
	case value < minv || f.Bits != 64 && incr < minincr || value < 0 && incr < 0 && incr < minincr:
	default:
		return value + incr, false
	}
	switch ow {
	case Sat:
		if high {
			return maxv, true
		}
		return minv, true
	case Wrap:
		c := uint64(value) + uint64(incr)
		if f.Bits < 64 {
			mask := uint64(math.MaxUint64) << f.Bits
			if c&(1<<(f.Bits-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		return int64(c), true
	}
	return 0, true
}
