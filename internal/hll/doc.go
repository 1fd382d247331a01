// Package hll implements Redis 7.0's HyperLogLog strings byte for byte:
// the values PFADD, PFCOUNT, PFMERGE and PFDEBUG read and write, so that a
// key Shingle wrote reads the same on redis-server (and back), and every
// reply, error text included, is the one redis-server sends.
//
// An HLL is an ordinary string: the 16-byte header ("HYLL", the encoding,
// three unused bytes, the cached cardinality, little-endian, its top bit
// set when stale), then 16384 registers of 6 bits, either dense (always
// DenseSize bytes) or sparse (a run-length code, see sparse.go). PFADD
// creates keys sparse; they turn dense for good when a register outgrows
// the sparse code or the string outgrows hll-sparse-max-bytes. Elements
// are hashed with Redis's MurmurHash64A, so an element lands in the same
// register with the same value on both servers, and the estimate is Redis
// 7's (Ertl's improved estimator), computed to the same last bit.
//
// It owns the format, the register arithmetic and the estimator, and the
// replies' texts as errors (*Error). Commands, argument parsing, key lookup,
// type checks, replication and keyspace events are the caller's: each
// function takes the key's value, nil for a missing key, and returns the
// value the key must hold afterwards, nil when it stays as it is, which the
// caller stores and propagates as Redis would.
//
// Where Redis's behaviour depends on its memory rather than the string
// (it reads one byte past a sparse string that ends in half an XZERO
// opcode), this package reads a zero, which is what Redis reads too unless
// an earlier command on the same key left something there; the bytes
// agree with redis-server's on every sequence the differential tests try,
// corrupt strings included.
//
// # Usage
//
//	v, changed, err := hll.Add(old, hll.DefaultSparseMaxBytes, elems...) // PFADD
//	if err != nil {
//		return reply(err) // the text is Redis's, e.g. "INVALIDOBJ ..."
//	}
//	if v != nil {
//		store(key, v) // and propagate
//	}
//	card, cached, err := hll.Count(v) // PFCOUNT key; store cached if not nil
//
// # What it must never do
//
// Panic, whatever the bytes: strings come from clients, RDB files and
// replication, so every length and offset is checked before use.
//
// Change a slice it is given: results are fresh slices the caller owns, so
// values may be shared between goroutines and snapshots.
//
// Let a number read from the input size an allocation: a call allocates at
// most a small multiple of the input's length and of DenseSize (and 16 KiB
// of registers for merges and GETREG).
//
// Keep state, do I/O or import other Shingle packages: it is a leaf of
// pure functions, safe for concurrent use.
package hll
