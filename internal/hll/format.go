package hll

import "encoding/binary"

// Layout of an HLL string, as Redis 7.0 stores it.
const (
	// P is the number of hash bits that pick a register.
	P = 14
	// Registers is the number of registers, 2^P.
	Registers = 1 << P
	// HeaderSize is the size of the header: the magic "HYLL", the
	// encoding byte, three unused bytes and the cached cardinality.
	HeaderSize = 16
	// DenseSize is the exact length of a dense HLL: the header and
	// Registers registers of 6 bits each.
	DenseSize = HeaderSize + (Registers*regBits+7)/8
	// DefaultSparseMaxBytes is the default of Redis's hll-sparse-max-bytes:
	// the largest a sparse HLL may grow (header included) before an
	// addition turns it dense.
	DefaultSparseMaxBytes = 3000

	regBits = 6
	regMax  = 1<<regBits - 1
	q       = 64 - P // hash bits left to count the zero run in

	// Values of the encoding byte. Raw (one byte per register) is internal
	// to Redis and never stored, so it has no value here.
	encDense  = 0
	encSparse = 1

	// Offsets inside the header.
	offEncoding = 4
	offCard     = 8
	offCardMSB  = 15
	cacheStale  = 0x80 // the bit of the card's top byte that marks it stale
)

// Validate reports whether h passes Redis's check for an HLL string
// (isHLLObjectOrReply): at least a header long, the "HYLL" magic, encoding
// dense or sparse, and exactly DenseSize bytes when dense. It does not look
// at sparse opcodes: Redis only finds those corrupt when it walks them, and
// then replies ErrCorrupt. It returns nil or ErrNotHLL.
//
// A key holding another type is the caller's to reject first, with the
// ordinary WRONGTYPE error, as Redis does before this check.
func Validate(h []byte) error {
	if len(h) < HeaderSize || string(h[:4]) != "HYLL" {
		return ErrNotHLL
	}
	switch h[offEncoding] {
	case encSparse:
		return nil
	case encDense:
		if len(h) == DenseSize {
			return nil
		}
	}
	return ErrNotHLL
}

// New returns a new empty HLL: sparse, its registers all covered by one
// XZERO opcode, its cached cardinality 0 and valid. This is Redis's
// createHLLObject; PFADD and PFMERGE then mark the cache stale, which Add and
// Merge do. The caller owns the returned slice.
func New() []byte {
	h := make([]byte, HeaderSize+2)
	copy(h, "HYLL")
	h[offEncoding] = encSparse
	// Registers fits one XZERO exactly, so the loop Redis runs to cover
	// them with as many XZEROs as needed writes just this one.
	putXZero(h[HeaderSize:], Registers)
	return h
}

// cachedCard returns the cached cardinality and whether it is valid.
func cachedCard(h []byte) (uint64, bool) {
	return binary.LittleEndian.Uint64(h[offCard:]), h[offCardMSB]&cacheStale == 0
}

// putCard caches card in the header; a card with its top bit set stays
// stale, as it does in Redis.
func putCard(h []byte, card uint64) { binary.LittleEndian.PutUint64(h[offCard:], card) }

// invalidate marks the cached cardinality stale.
func invalidate(h []byte) { h[offCardMSB] |= cacheStale }

// getReg returns register i of the dense registers r (DenseSize-HeaderSize
// bytes): 6 bits packed from the least significant bit up, the last
// register of every 3 bytes spilling into the next byte.
func getReg(r []byte, i int) uint8 {
	b := i * regBits / 8
	fb := uint(i*regBits) & 7
	v := uint(r[b]) >> fb
	if fb > 8-regBits {
		v |= uint(r[b+1]) << (8 - fb)
	}
	return uint8(v & regMax)
}

// setReg sets register i of the dense registers r to v (at most regMax).
func setReg(r []byte, i int, v uint8) {
	b := i * regBits / 8
	fb := uint(i*regBits) & 7
	r[b] = byte(uint(r[b])&^(regMax<<fb) | uint(v)<<fb)
	if fb > 8-regBits {
		r[b+1] = byte(uint(r[b+1])&^(regMax>>(8-fb)) | uint(v)>>(8-fb))
	}
}

// denseSet raises register i to v when it is lower, and reports whether it
// did (hllDenseSet).
func denseSet(r []byte, i int, v uint8) bool {
	if v <= getReg(r, i) {
		return false
	}
	setReg(r, i, v)
	return true
}

// work is an HLL being changed in place the way Redis changes its string:
// the value is mem[:n], and mem goes on past n because Redis's buffer does.
// Redis reads one byte past the string (the second byte of an XZERO cut
// short at the very end) and a sparse split can write past the string's
// new end: keeping that memory reproduces the bytes Redis ends up with.
// Bytes past n start as zero, as the terminator Redis keeps there does.
type work struct {
	mem []byte
	n   int
}

// slack is how far past n the sparse code may read or write: a split
// writes at most 4 bytes past the end and reads 1.
const slack = 8

func newWork(h []byte) *work {
	mem := make([]byte, len(h)+slack)
	copy(mem, h)
	return &work{mem: mem, n: len(h)}
}

// room makes sure mem extends slack bytes past n, keeping what lies
// beyond n (Redis's realloc keeps it too).
func (w *work) room() {
	if len(w.mem) >= w.n+slack {
		return
	}
	mem := make([]byte, 2*w.n+slack)
	copy(mem, w.mem)
	w.mem = mem
}

// bytes returns the value; the caller owns it.
func (w *work) bytes() []byte { return w.mem[:w.n:w.n] }

func (w *work) dense() bool { return w.mem[offEncoding] == encDense }
