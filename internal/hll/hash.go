package hll

import (
	"encoding/binary"
	"math/bits"
)

// hashSeed is the seed Redis passes to MurmurHash64A for HLL elements.
const hashSeed = 0xadc83b19

// murmur64A is MurmurHash64A (MurmurHash2, 64-bit) as Redis has it: words
// read little-endian whatever the machine, so that every server hashes an
// element the same way.
func murmur64A(key []byte, seed uint64) uint64 {
	const (
		m = 0xc6a4a7935bd1e995
		r = 47
	)
	h := seed ^ uint64(len(key))*m
	for len(key) >= 8 {
		k := binary.LittleEndian.Uint64(key)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		key = key[8:]
	}
	if len(key) > 0 {
		for i := len(key) - 1; i >= 0; i-- {
			h ^= uint64(key[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// patLen returns the register an element updates and the value it offers
// it (hllPatLen): the low P bits of the hash pick the register, and the
// value is one more than the number of zeros above them, counted from the
// least significant bit up; a bit set past the q hash bits left caps it at
// q+1.
func patLen(ele []byte) (index int, count uint8) {
	return patLenOf(murmur64A(ele, hashSeed))
}

// patLenOf is patLen given the element's hash.
func patLenOf(h uint64) (index int, count uint8) {
	index = int(h & (Registers - 1))
	h = h>>P | 1<<q
	return index, uint8(bits.TrailingZeros64(h) + 1)
}
