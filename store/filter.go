package store

import (
	"errors"
	"math"
	"math/bits"

	"github.com/cockroachdb/pebble/v2"
)

// existFilter is a Bloom filter over every key that may exist on disk. A
// write to a key the filter has never seen skips the read that Redis
// semantics otherwise need before a write (its type, its expiry, whether it
// exists, for DBSIZE): that read is a Pebble point lookup through every
// memtable and level, several times the cost of the write itself under a
// write-heavy load, while a key the filter rules out is certainly absent.
// A "maybe" costs the read, so the filter changes speed, never results.
//
// Keys are added when written and never removed (deleted keys only cost a
// read). It is built in the background after Open from a snapshot scan of
// the meta keys, and rebuilt the same way when the keys added outgrow its
// size; until the first build completes every lookup reads. It changes only
// under the store's write lock, and is read under the write or read lock.
type existFilter struct {
	words []uint64
	k     uint32 // probes per key
	added int64  // keys added since it was sized
	limit int64  // keys it was sized for
}

const (
	filterBitsPerKey = 10      // ~1% false positives
	filterMinKeys    = 1 << 20 // smallest capacity: 1.25 MiB
)

func newExistFilter(keys int64) *existFilter {
	limit := max(2*keys, filterMinKeys)
	n := (limit*filterBitsPerKey + 63) / 64
	return &existFilter{
		words: make([]uint64, n),
		k:     uint32(math.Round(filterBitsPerKey * math.Ln2)),
		limit: limit,
	}
}

// The probe positions come from the key's xxhash by double hashing, so
// adding and testing cost no further hashing.
func (f *existFilter) positions(h uint64) (h1, h2, n uint64) {
	return h, bits.RotateLeft64(h, 32) | 1, uint64(len(f.words)) * 64
}

func (f *existFilter) add(h uint64) {
	f.added++
	h1, h2, n := f.positions(h)
	for i := uint64(0); i < uint64(f.k); i++ {
		p := (h1 + i*h2) % n
		f.words[p/64] |= 1 << (p % 64)
	}
}

func (f *existFilter) mayContain(h uint64) bool {
	h1, h2, n := f.positions(h)
	for i := uint64(0); i < uint64(f.k); i++ {
		p := (h1 + i*h2) % n
		if f.words[p/64]&(1<<(p%64)) == 0 {
			return false
		}
	}
	return true
}

func (f *existFilter) full() bool { return f.added > f.limit }

// filterState is the DB's filter bookkeeping, guarded by db.mu.
type filterState struct {
	f        *existFilter // nil until built
	building bool         // a background build is running
	pending  []uint64     // hashes added while it runs
	rebuild  bool         // the filter is full: rebuild when the write ends
	epoch    uint64       // counts resetFilter's calls: a build started before one is void
}

// noteKey records that the key with hash h may now exist. Called with the
// write lock held, for every meta key a write creates. A rebuild it asks for
// starts only when the write has been applied (see endWrite): a snapshot
// taken now would miss this write's keys, and the new filter would deny
// them.
func (db *DB) noteKey(h uint64) {
	fs := &db.filter
	if fs.f != nil {
		fs.f.add(h)
		fs.rebuild = fs.rebuild || fs.f.full()
	}
	if fs.building {
		fs.pending = append(fs.pending, h)
	}
}

// keyMayExist reports whether the key with hash h may exist. Called with the
// write or the read lock held.
func (db *DB) keyMayExist(h uint64) bool {
	return db.filter.f == nil || db.filter.f.mayContain(h)
}

// startFilterBuild starts a background build. Called with the write lock
// held and no write in progress, so that the snapshot holds every key noted
// so far and pending recording starts at the same instant.
func (db *DB) startFilterBuild() {
	if db.filter.building || db.closed {
		return
	}
	db.filter.building, db.filter.rebuild = true, false
	db.filter.pending = nil
	epoch := db.filter.epoch
	db.waitApplied()
	snap := db.pdb.NewSnapshot()
	var hint int64
	if db.counts != nil {
		hint = db.counts.keys
	}
	if db.filter.f != nil {
		hint = max(hint, db.filter.f.added)
	}
	db.background(func() {
		f, err := buildFilter(snap, hint, db.stop)
		snap.Close()
		db.mu.Lock()
		defer db.mu.Unlock()
		if db.filter.epoch != epoch {
			return // resetFilter ran: its own build is on its way
		}
		db.filter.building = false
		if err != nil {
			db.filter.pending = nil
			if err != errStopped {
				db.log.Error("store: building the key filter failed", "err", err)
			}
			return
		}
		for _, h := range db.filter.pending {
			f.add(h)
		}
		db.filter.f, db.filter.pending = f, nil
	})
}

// resetFilter throws the filter away, and any build in progress, for a
// data set replaced under the write lock (LoadBeside) with keys it has
// never seen, and starts a build of a new one. Until it completes every
// lookup reads. Called with the write lock held; the new data set must be
// in Pebble already.
func (db *DB) resetFilter() {
	db.filter = filterState{epoch: db.filter.epoch + 1}
	db.startFilterBuild()
}

var errStopped = errors.New("store: stopped")

// buildFilter scans every meta key of snap into a new filter sized for
// sizeHint keys. If the scan finds more, the filter comes out full and the
// next write starts a rebuild sized by what this one counted.
func buildFilter(snap *pebble.Snapshot, sizeHint int64, stop <-chan struct{}) (*existFilter, error) {
	f := newExistFilter(sizeHint)
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: []byte{nsKey}, UpperBound: []byte{nsKey + 1}})
	if err != nil {
		return nil, err
	}
	for it.First(); it.Valid(); it.Next() {
		if f.added%4096 == 0 {
			select {
			case <-stop:
				it.Close()
				return nil, errStopped
			default:
			}
		}
		_, h, _, err := decodeMetaKey(it.Key())
		if err != nil {
			return nil, closeIter(it, err)
		}
		f.add(h)
	}
	return f, it.Close()
}
