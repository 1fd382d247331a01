package store

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

// The Set and Get benchmarks put Shingle's typed API beside the same
// operation on raw Pebble opened with the very same options (as Open builds
// them, default appendfsync everysec) and committing the way Shingle commits
// under them: a sync commit whose log fsync is deferred, so that the write
// reaches the operating system before it returns. 16-byte values, 1M keys
// visited in one random order on both sides, as a Redis workload visits
// them. The difference is the cost of Redis semantics: the existence and
// type check before a write (skipped for keys never seen), the expiry check
// on every read, the change feed.

const (
	benchKeys     = 1 << 20
	benchValueLen = 16
)

// benchKeys returns the key space in a random order.
func shuffledKeys() [][]byte {
	keys := make([][]byte, benchKeys)
	for i, j := range rand.New(rand.NewPCG(1, 1)).Perm(benchKeys) {
		keys[i] = fmt.Appendf(nil, "key:%08d", j)
	}
	return keys
}

var benchValue = make([]byte, benchValueLen)

// -recordcache sets Options.RecordCacheSize on the Shingle side (0: the
// default; negative: no record cache, every read a Pebble point read).
var benchRecordCache = flag.Int64("recordcache", 0, "Options.RecordCacheSize for the Shingle side of the benchmarks")

// openBench opens both sides in the same kind of directory.
func openBench(b *testing.B) (*DB, *pebble.DB) {
	db, err := Open(b.TempDir(), &Options{RecordCacheSize: *benchRecordCache})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	opts, _ := (*Options)(nil).withDefaults()
	popts := opts.pebbleOptions()
	popts.DisableWAL = false // Pebble's own log, fsynced once a second
	popts.FS = newWALFS(popts.FS, true)
	pdb, err := pebble.Open(b.TempDir(), popts)
	popts.Cache.Unref()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pdb.Close() })
	return db, pdb
}

// settle writes back the dirty pages earlier runs left, so that a sub-run
// does not pay for its predecessor's writes.
func settle() { syscall.Sync() }

// openLoaded is openBench with every key of the key space set on both sides.
func openLoaded(b *testing.B) (*DB, *pebble.DB) {
	db, pdb := openBench(b)
	for _, k := range shuffledKeys() {
		if err := db.Set(k, benchValue); err != nil {
			b.Fatal(err)
		}
		if err := pdb.Set(k, benchValue, pebble.Sync); err != nil {
			b.Fatal(err)
		}
	}
	return db, pdb
}

func BenchmarkSet(b *testing.B) {
	db, pdb := openBench(b)
	benchSets(b, db, pdb, shuffledKeys())
}

// benchSets times Set of keys, in order, on each side in turn.
func benchSets(b *testing.B, db *DB, pdb *pebble.DB, keys [][]byte) {
	for _, side := range []struct {
		name string
		set  func(k, v []byte) error
	}{
		{"shingle", db.Set},
		{"pebble", func(k, v []byte) error { return pdb.Set(k, v, pebble.Sync) }},
	} {
		settle()
		b.Run(side.name, func(b *testing.B) {
			b.SetBytes(benchValueLen)
			for i := 0; b.Loop(); i++ {
				binary.BigEndian.PutUint64(benchValue, uint64(i))
				if err := side.set(keys[i%benchKeys], benchValue); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	db, pdb := openLoaded(b)
	// Measure reads of a settled database: everything flushed and
	// compacted, on both sides.
	for _, p := range []*pebble.DB{db.pdb, pdb} {
		if err := p.Compact(context.Background(), []byte{0}, []byte{0xff}, true); err != nil {
			b.Fatal(err)
		}
	}
	order := shuffledKeys()
	settle()
	b.Run("shingle", func(b *testing.B) {
		b.SetBytes(benchValueLen)
		for i := 0; b.Loop(); i++ {
			if _, err := db.Get(order[i%benchKeys]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pebble", func(b *testing.B) {
		b.SetBytes(benchValueLen)
		for i := 0; b.Loop(); i++ {
			v, c, err := pdb.Get(order[i%benchKeys])
			if err != nil {
				b.Fatal(err)
			}
			_ = append([]byte(nil), v...)
			c.Close()
		}
	})
}

// BenchmarkOverwrite is Set on keys that all exist already: here Shingle
// cannot skip the read before the write (the key filter only rules out keys
// never seen), so this is the price of Redis semantics in full.
func BenchmarkOverwrite(b *testing.B) {
	db, pdb := openLoaded(b)
	benchSets(b, db, pdb, shuffledKeys())
}
