package hll

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/shinglekv/shingle/internal/testutil"
)

// The tests in this file are differential: every command goes to a stock
// redis-server 7.0 and to a model served by this package (model_test.go),
// and the replies, error texts included, and the bytes each key holds
// afterwards must be the same.

// elems returns n random elements, some of them repeats of earlier ones
// (so that some additions change nothing), numbered from *next so that the
// others are new.
func elems(r *rand.Rand, n int, next *int, seen *[][]byte) [][]byte {
	out := make([][]byte, 0, n)
	for range n {
		if len(*seen) > 0 && r.IntN(10) == 0 {
			out = append(out, (*seen)[r.IntN(len(*seen))])
			continue
		}
		var e []byte
		switch r.IntN(3) {
		case 0:
			e = fmt.Appendf(nil, "element:%d", *next)
		case 1:
			e = fmt.Appendf(nil, "%d", *next)
		default:
			e = fmt.Appendf(nil, "%d:", *next)
			for range r.IntN(30) {
				e = append(e, byte(r.Uint32()))
			}
		}
		*next++
		out = append(out, e)
		*seen = append(*seen, e)
	}
	return out
}

func pfadd(key string, es [][]byte) [][]byte {
	return append([][]byte{[]byte("PFADD"), []byte(key)}, es...)
}

// checkCount sends PFCOUNT key to both, and also hands the string
// redis-server held before it to Count, which must reply the same and
// produce the string redis-server holds after it.
func (d *diff) checkCount(key string) {
	d.t.Helper()
	before := d.same(key)
	reply := d.runs("PFCOUNT", key)
	after := d.same(key, []byte("PFCOUNT"), []byte(key))
	card, updated, err := Count(before)
	if err != nil || card != reply.Int {
		d.t.Fatalf("Count(redis-server's %s) = %d, %v; PFCOUNT replied %s", key, card, err, reply)
	}
	if updated == nil {
		updated = before
	}
	if string(updated) != string(after) {
		d.t.Fatalf("Count(redis-server's %s) cached:\n%s", key, describeDiff(after, updated))
	}
}

// TestRedisAdd grows HLLs by PFADD from empty to far past the sparse limit,
// under several hll-sparse-max-bytes, comparing every reply and every
// string along the way, and PFCOUNT now and then.
func TestRedisAdd(t *testing.T) {
	d := startDiff(t)
	r := rand.New(rand.NewPCG(testutil.Seed(t), 1))
	for _, c := range []struct {
		sparseMax, total int
	}{
		{DefaultSparseMaxBytes, 20000},
		{0, 300},
		{1, 300},
		{17, 300},
		{300, 1500},
		{20000, 12000}, // sparse all the way
	} {
		d.setSparseMax(c.sparseMax)
		key := fmt.Sprintf("add:%d", c.sparseMax)
		d.runs("PFADD", key) // creates the key, empty
		d.same(key)
		d.runs("PFADD", key) // changes nothing
		d.same(key)
		var next int
		var seen [][]byte
		for next < c.total {
			size := 1 + r.IntN(8)
			if next > 3000 {
				size = 1 + r.IntN(600)
			}
			cmd := pfadd(key, elems(r, size, &next, &seen))
			d.run(cmd...)
			d.same(key, cmd...)
			if r.IntN(5) == 0 {
				d.checkCount(key)
			}
			if r.IntN(20) == 0 {
				cmd = pfadd(key, seen[:1+r.IntN(len(seen))])
				d.run(cmd...) // all seen before: replies 0
				d.same(key, cmd...)
			}
		}
		d.checkCount(key)
		d.checkCount(key) // cached now: nothing written
		want := "dense"
		if c.sparseMax == 20000 {
			want = "sparse"
		}
		if enc := d.runs("PFDEBUG", "ENCODING", key); string(enc.Str) != want {
			t.Fatalf("hll-sparse-max-bytes %d: %s after %d elements, want %s", c.sparseMax, enc, c.total, want)
		}
	}
}

// TestRedisStrings hands strings built here to redis-server, and strings
// redis-server built to this package, and carries on adding on both.
func TestRedisStrings(t *testing.T) {
	d := startDiff(t)
	r := rand.New(rand.NewPCG(testutil.Seed(t), 2))
	for _, n := range []int{0, 1, 10, 100, 1000, 5000} {
		var next int
		var seen [][]byte
		// Built here alone, then stored on both.
		local, _, err := Add(nil, DefaultSparseMaxBytes, elems(r, n, &next, &seen)...)
		if err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("local:%d", n)
		d.run([]byte("SET"), []byte(key), local)
		d.checkCount(key)
		cmd := pfadd(key, elems(r, 50, &next, &seen))
		d.run(cmd...)
		d.same(key, cmd...)
		d.checkCount(key)

		// Built by redis-server alone, then read here.
		key = fmt.Sprintf("remote:%d", n)
		d.redis(pfadd(key, elems(r, n, &next, &seen))...)
		remote := d.redis([]byte("GET"), []byte(key)).Str
		d.m.keys[key] = remote
		d.checkCount(key)
		cmd = pfadd(key, elems(r, 50, &next, &seen))
		d.run(cmd...)
		d.same(key, cmd...)
		d.runs("PFDEBUG", "GETREG", key)
		d.same(key)
	}
}

// TestRedisMerge merges sparse, dense and missing keys into missing,
// sparse and dense destinations, under sparse limits that make some merges
// turn dense half-way, and counts unions of several keys.
func TestRedisMerge(t *testing.T) {
	d := startDiff(t)
	r := rand.New(rand.NewPCG(testutil.Seed(t), 3))
	var next int
	var seen [][]byte
	sizes := map[string]int{"s1": 5, "s2": 60, "s3": 400, "s4": 1500, "dense": 20000}
	for _, key := range []string{"s1", "s2", "s3", "s4", "dense"} {
		for left := sizes[key]; left > 0; left -= 500 {
			d.run(pfadd(key, elems(r, min(left, 500), &next, &seen))...)
		}
		d.same(key)
	}
	d.runs("PFDEBUG", "TODENSE", "s3") // a dense HLL with few registers set
	d.same("s3")
	for _, sparseMax := range []int{DefaultSparseMaxBytes, 100, 20000} {
		d.setSparseMax(sparseMax)
		merges := [][]string{
			{"m", "s1"},
			{"m", "s1", "s2"},
			{"m", "s2", "s1", "nokey"},
			{"m", "s4", "s2"},
			{"m", "dense", "s1"},
			{"m", "s1", "s3"},
			{"m"},
			{"m", "nokey"},
		}
		for _, srcs := range merges {
			// Into a missing key.
			d.runs("DEL", "m")
			cmd := append([]string{"PFMERGE"}, srcs...)
			d.runs(cmd...)
			d.same("m")
			d.checkCount("m")
			// Into a key already holding an HLL (sparse, then dense).
			d.runs("DEL", "m")
			d.run(pfadd("m", elems(r, 30, &next, &seen))...)
			d.runs(cmd...)
			d.same("m")
			d.runs("PFDEBUG", "TODENSE", "m")
			d.runs(cmd...)
			d.same("m")
			d.checkCount("m")
		}
		// A key merged into itself only has its cache marked stale.
		for _, key := range []string{"s1", "s2", "s3"} {
			d.runs("PFCOUNT", key)
			d.runs("PFMERGE", key, key)
			d.same(key)
		}
		d.runs("PFCOUNT", "s1", "s2")
		d.runs("PFCOUNT", "s1", "s1")
		d.runs("PFCOUNT", "nokey", "nokey2")
		d.runs("PFCOUNT", "s1", "s2", "s3", "s4", "dense", "nokey")
	}
}

// TestRedisDebug compares the PFDEBUG subcommands, and what GETREG and
// TODENSE leave in the key.
func TestRedisDebug(t *testing.T) {
	d := startDiff(t)
	r := rand.New(rand.NewPCG(testutil.Seed(t), 4))
	var next int
	var seen [][]byte
	d.run(pfadd("sparse", elems(r, 200, &next, &seen))...)
	d.run(pfadd("sparse2", elems(r, 20, &next, &seen))...)
	d.run(pfadd("dense", elems(r, 20000, &next, &seen))...)
	d.runs("PFADD", "empty")
	for _, key := range []string{"sparse", "sparse2", "dense", "empty", "nokey"} {
		for _, sub := range []string{"ENCODING", "DECODE"} {
			d.runs("PFDEBUG", sub, key)
		}
	}
	d.runs("PFCOUNT", "sparse2") // GETREG keeps the cached count
	for _, key := range []string{"sparse", "sparse2", "dense", "empty", "nokey"} {
		d.runs("PFDEBUG", "GETREG", key)
		d.same(key)
		d.runs("PFDEBUG", "ENCODING", key)
	}
	d.run(pfadd("sparse", elems(r, 20, &next, &seen))...)
	d.run(pfadd("sparse3", elems(r, 20, &next, &seen))...)
	for _, key := range []string{"sparse3", "sparse3", "dense", "nokey"} {
		d.runs("PFDEBUG", "TODENSE", key)
		d.same(key)
	}
	d.runs("SET", "str", "hello")
	for _, sub := range []string{"GETREG", "DECODE", "ENCODING", "TODENSE"} {
		d.runs("PFDEBUG", sub, "str")
	}
}

// TestRedisCrafted stores strings no PFADD would write (not HLLs at all,
// corrupt sparse opcodes, opcodes that cover too few or too many
// registers, an XZERO cut short at the end, dense registers no hash gives)
// and runs every command on each, from a fresh copy each time.
func TestRedisCrafted(t *testing.T) {
	d := startDiff(t)
	r := rand.New(rand.NewPCG(testutil.Seed(t), 5))
	var next int
	var seen [][]byte
	d.run(pfadd("valid", elems(r, 100, &next, &seen))...)
	d.run(pfadd("validdense", elems(r, 5000, &next, &seen))...)
	d.setSparseMax(500)
	for i := range 250 {
		v := crafted(r)
		d.note = fmt.Sprintf("crafted string %d: %q", i, v)
		ops := [][][]byte{
			pfadd("k", elems(r, 1+r.IntN(3), &next, &seen)),
			pfadd("k", elems(r, 200, &next, &seen)),
			byteArgs([]string{"PFCOUNT", "k"}),
			byteArgs([]string{"PFCOUNT", "k", "valid"}),
			byteArgs([]string{"PFCOUNT", "validdense", "k"}),
			byteArgs([]string{"PFMERGE", "k", "valid"}),
			byteArgs([]string{"PFMERGE", "k"}),
			byteArgs([]string{"PFMERGE", "validdense", "k"}),
			byteArgs([]string{"PFDEBUG", "DECODE", "k"}),
			byteArgs([]string{"PFDEBUG", "ENCODING", "k"}),
			byteArgs([]string{"PFDEBUG", "GETREG", "k"}),
			byteArgs([]string{"PFDEBUG", "TODENSE", "k"}),
		}
		for _, cmd := range ops {
			d.run([]byte("SET"), []byte("k"), v)
			d.run(cmd...)
			d.same("k", cmd...)
			if string(cmd[1]) == "validdense" {
				d.same("validdense", cmd...)
				d.run(pfadd("validdense", elems(r, 1, &next, &seen))...)
			}
		}
		// Several commands in a row on the same string.
		d.run([]byte("SET"), []byte("k"), v)
		for range 3 {
			cmd := pfadd("k", elems(r, 1+r.IntN(50), &next, &seen))
			d.run(cmd...)
			d.same("k", cmd...)
			d.runs("PFCOUNT", "k")
			d.same("k")
		}
	}
}

// TestRedisHugeEstimate counts a dense HLL whose registers all hold 63, a
// value no hash gives: Redis's estimate overflows and it replies, and
// caches, 1<<63.
func TestRedisHugeEstimate(t *testing.T) {
	d := startDiff(t)
	h := make([]byte, DenseSize)
	copy(h, "HYLL")
	for i := HeaderSize; i < DenseSize; i++ {
		h[i] = 0xff
	}
	invalidate(h)
	d.run([]byte("SET"), []byte("k"), h)
	if got := d.runs("PFCOUNT", "k"); got.Int != -1<<63 {
		t.Fatalf("PFCOUNT = %s, want -9223372036854775808", got)
	}
	d.same("k")
	d.runs("PFCOUNT", "k")
	d.same("k")
	d.runs("PFCOUNT", "k", "k")
}

// crafted returns a string for PFADD and friends to choke on, or not.
func crafted(r *rand.Rand) []byte {
	hdr := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	if r.IntN(2) == 0 {
		for i := offCard; i < HeaderSize; i++ {
			hdr[i] = byte(r.Uint32())
		}
	}
	if r.IntN(2) == 0 {
		invalidate(hdr)
	}
	if r.IntN(8) == 0 {
		hdr[5], hdr[6], hdr[7] = byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())
	}
	switch r.IntN(12) {
	case 0: // random bytes, sometimes with the magic
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if r.IntN(2) == 0 && len(b) >= 4 {
			copy(b, "HYLL")
		}
		return b
	case 1: // an unknown encoding
		hdr[offEncoding] = byte(2 + r.IntN(254))
		return append(hdr, 0x7f, 0xff)
	case 2: // dense, a byte short or long
		hdr[offEncoding] = encDense
		return append(hdr, make([]byte, DenseSize-HeaderSize-1+2*r.IntN(2))...)
	case 3: // dense, with any register values
		hdr[offEncoding] = encDense
		regs := make([]byte, DenseSize-HeaderSize)
		top := 1 + r.IntN(regMax)
		for i := range Registers {
			if r.IntN(4) == 0 {
				setReg(regs, i, uint8(r.IntN(top+1)))
			}
		}
		return append(hdr, regs...)
	}
	// Sparse opcodes, covering exactly Registers or not.
	b := hdr
	want := Registers
	switch r.IntN(4) {
	case 0:
		want += 1 + r.IntN(100)
	case 1:
		want -= 1 + r.IntN(100)
	}
	for left := want; left > 0; {
		switch r.IntN(3) {
		case 0:
			n := min(left, 1+r.IntN(zeroMaxLen))
			b = append(b, zeroOp(n))
			left -= n
		case 1:
			n := min(left, 1+r.IntN(min(xzeroMax, 3000)))
			b = append(b, 0, 0)
			putXZero(b[len(b)-2:], n)
			left -= n
		default:
			n := min(left, 1+r.IntN(valMaxLen))
			b = append(b, valOp(1+r.IntN(valMax), n))
			left -= n
		}
	}
	switch r.IntN(6) {
	case 0: // an XZERO cut short at the very end
		b = append(b, 0x40|byte(r.IntN(64)))
	case 1: // a stray byte
		b = append(b, byte(r.Uint32()))
	case 2: // a byte less
		b = b[:len(b)-1]
	}
	return b
}
