package store

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Benchmarks of the collection types on the Go API, the embedded side of
// bench/types.sh's redis-benchmark ratios: a push and a pop at a list's
// head, a set member added, a sorted set member added, the first 100
// members of a sorted set read, and the rank of a random member of a
// sorted set of a million.

func openTypesBench(b *testing.B) *DB {
	db, err := Open(b.TempDir(), &Options{RecordCacheSize: *benchRecordCache})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func BenchmarkLPush(b *testing.B) {
	db := openTypesBench(b)
	for b.Loop() {
		if _, err := db.Push([]byte("list"), true, false, benchValue); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLPop(b *testing.B) {
	db := openTypesBench(b)
	batch := make([][]byte, 100000)
	for i := range batch {
		batch[i] = benchValue
	}
	fill := func() {
		if _, err := db.Push([]byte("list"), true, false, batch...); err != nil {
			b.Fatal(err)
		}
	}
	fill()
	for b.Loop() {
		els, err := db.Pop([]byte("list"), true, 1)
		if err != nil {
			b.Fatal(err)
		}
		if len(els) == 0 { // emptied: fill again, untimed
			b.StopTimer()
			fill()
			b.StartTimer()
		}
	}
}

func BenchmarkSAdd(b *testing.B) {
	db := openTypesBench(b)
	for i := 0; b.Loop(); i++ {
		if _, err := db.SAdd([]byte("set"), fmt.Appendf(nil, "m:%d", i)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkZAdd(b *testing.B) {
	db := openTypesBench(b)
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; b.Loop(); i++ {
		if _, err := db.ZAdd([]byte("zset"), ZAddFlags{}, ScoredMember{fmt.Appendf(nil, "m:%d", i), r.Float64()}); err != nil {
			b.Fatal(err)
		}
	}
}

// loadZSet fills a sorted set of n members, m:0 to m:n-1, at random
// scores.
func loadZSet(b *testing.B, db *DB, key []byte, n int) {
	r := rand.New(rand.NewPCG(1, 1))
	batch := make([]ScoredMember, 0, 1000)
	for i := range n {
		batch = append(batch, ScoredMember{fmt.Appendf(nil, "m:%d", i), r.Float64()})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := db.ZAdd(key, ZAddFlags{}, batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

func BenchmarkZRange100(b *testing.B) {
	db := openTypesBench(b)
	loadZSet(b, db, []byte("zset"), 10000)
	for b.Loop() {
		if res, err := db.ZRange([]byte("zset"), ZRange{Start: 0, Stop: 99}); err != nil || len(res) != 100 {
			b.Fatal(len(res), err)
		}
	}
}

func BenchmarkZRank(b *testing.B) {
	const size = 1_000_000
	db := openTypesBench(b)
	loadZSet(b, db, []byte("zset"), size)
	r := rand.New(rand.NewPCG(2, 2))
	for b.Loop() {
		if _, ok, err := db.ZRank([]byte("zset"), fmt.Appendf(nil, "m:%d", r.IntN(size)), false); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
