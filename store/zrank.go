package store

import (
	"bytes"
	"slices"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// The rank index: ZRANK, ZRANGE by rank and ZCOUNT on a large sorted set
// without walking it from an end.
//
// For a sorted set of zindexMinSize members or more, the first query by
// rank builds, in memory, a list of blocks over its score order: each
// block is the key (sortable score, member) where it starts and how many
// members it holds, about zblockSize. The rank of a key is the members of
// the blocks before its own (a sum over the blocks, a few thousand
// additions for a million members) plus a walk inside its block; a member
// at a given rank is found the same way. Costs: building, one walk of the
// set (about as long as a ZRANGE 0 -1 without the reply); each write to an
// indexed set, a binary search over its blocks at commit; memory, one key
// and one count per block (about 100 KB for a million members); a query,
// at most one block's walk (a block that grew past twice zblockSize is
// split, by a walk of it, by the next query that meets it). The index's
// lock covers finding the block; the walk inside it runs without.
//
// The index follows the sets' writes as the record cache does: the
// writer notes each member added or removed (zset, zdel) and the notes
// apply when the write commits, under the write lock, before any later
// reader can look; a reader holding the read lock then sees Pebble (once
// applied, see view.iter) and the index agree. A collection id is never
// reused, so an index outlives nothing: a deleted set's index is only
// garbage, dropped when zindexMaxSets are indexed. Transactions, held
// runs and snapshots read Pebble state the index may not describe, so
// they walk instead (view.zindexed).

var (
	zindexMinSize int64 = 1024 // smaller sets are walked
	zblockSize    int64 = 512
	zindexMaxSets       = 256
)

// zop is a note of one member added (delta 1) or removed (-1), by its
// score-order key without the collection prefix.
type zop struct {
	id    uint64
	key   []byte
	delta int64
}

type zindex struct {
	mu   sync.Mutex
	sets map[uint64]*zblocks
	ids  []uint64 // in the order they were indexed, for eviction
}

// zblocks is one set's index: block i holds the keys from firsts[i]
// (firsts[0] is nil: everything before firsts[1]) up to firsts[i+1].
type zblocks struct {
	firsts [][]byte
	counts []int64
}

// block returns the block that holds key.
func (z *zblocks) block(key []byte) int {
	i, found := slices.BinarySearchFunc(z.firsts, key, bytes.Compare)
	if !found {
		i--
	}
	return i
}

// apply brings the indexed sets in step with the notes of a committed
// write. Called with the store's write lock held.
func (x *zindex) apply(ops []zop) {
	if len(ops) == 0 {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, op := range ops {
		if z := x.sets[op.id]; z != nil {
			z.counts[z.block(op.key)] += op.delta
		}
	}
}

// clear forgets every index (FLUSHALL, a load, a failed apply).
func (x *zindex) clear() {
	x.mu.Lock()
	x.sets, x.ids = nil, nil
	x.mu.Unlock()
}

// zindexed reports whether v may use the rank index for the live sorted
// set e.
func (v *view) zindexed(e *entry) bool {
	return v.db != nil && v.tx == nil && !v.writes && e.meta.count >= zindexMinSize
}

// zblocksOf returns e's index, building it if needed. Called with x.mu
// held.
func (v *view) zblocksOf(e *entry) (*zblocks, error) {
	x := &v.db.zindex
	if z := x.sets[e.meta.id]; z != nil {
		return z, nil
	}
	prefix := e.zOrderPrefix()
	z, err := v.zbuild(prefix, nil, prefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	z.firsts[0] = nil
	if x.sets == nil {
		x.sets = map[uint64]*zblocks{}
	}
	if len(x.ids) >= zindexMaxSets {
		delete(x.sets, x.ids[0])
		x.ids = x.ids[1:]
	}
	x.sets[e.meta.id] = z
	x.ids = append(x.ids, e.meta.id)
	return z, nil
}

// zbuild walks the keys under prefix from lo (a key suffix, nil for the
// start) to hi (a whole key) and returns them cut in blocks.
func (v *view) zbuild(prefix, lo, hi []byte) (*zblocks, error) {
	it, err := v.iter(append(bytes.Clone(prefix), lo...), hi)
	if err != nil {
		return nil, err
	}
	z := &zblocks{}
	for it.First(); it.Valid(); it.Next() {
		if len(z.counts) == 0 || z.counts[len(z.counts)-1] == zblockSize {
			z.firsts = append(z.firsts, bytes.Clone(it.Key()[len(prefix):]))
			z.counts = append(z.counts, 0)
		}
		z.counts[len(z.counts)-1]++
	}
	if len(z.counts) == 0 {
		z.firsts, z.counts = [][]byte{lo}, []int64{0}
	}
	return z, it.Close()
}

// zsplit splits block i of z if it grew past twice zblockSize.
func (v *view) zsplit(z *zblocks, prefix []byte, i int) error {
	if z.counts[i] <= 2*zblockSize {
		return nil
	}
	hi := prefixEnd(prefix)
	if i+1 < len(z.firsts) {
		hi = append(bytes.Clone(prefix), z.firsts[i+1]...)
	}
	nz, err := v.zbuild(prefix, z.firsts[i], hi)
	if err != nil {
		return err
	}
	nz.firsts[0] = z.firsts[i] // nil for the first block
	z.firsts = slices.Replace(z.firsts, i, i+1, nz.firsts...)
	z.counts = slices.Replace(z.counts, i, i+1, nz.counts...)
	return nil
}

// zcountBelow returns how many members of the live, indexed sorted set e
// sort before key (a score-order key suffix).
func (v *view) zcountBelow(e *entry, key []byte) (int64, error) {
	prefix := e.zOrderPrefix()
	first, n, err := v.zblockAt(e, prefix, func(z *zblocks) (int, int64) {
		i := z.block(key)
		var before int64
		for _, c := range z.counts[:i] {
			before += c
		}
		return i, before
	})
	if err != nil {
		return 0, err
	}
	it, err := v.iter(append(bytes.Clone(prefix), first...), append(bytes.Clone(prefix), key...))
	if err != nil {
		return 0, err
	}
	for it.First(); it.Valid(); it.Next() {
		n++
	}
	return n, it.Close()
}

// zkeyAt returns the score-order key suffix of the member at rank r
// (0 <= r < count) of the live, indexed sorted set e.
func (v *view) zkeyAt(e *entry, r int64) ([]byte, error) {
	prefix := e.zOrderPrefix()
	first, before, err := v.zblockAt(e, prefix, func(z *zblocks) (int, int64) {
		var before int64
		for i, c := range z.counts {
			if r < before+c {
				return i, before
			}
			before += c
		}
		return -1, 0
	})
	if err != nil {
		return nil, err
	}
	it, err := v.iter(append(bytes.Clone(prefix), first...), prefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	it.First()
	for n := r - before; n > 0 && it.Valid(); n-- {
		it.Next()
	}
	if !it.Valid() {
		return nil, closeIter(it, errCorrupt)
	}
	key := bytes.Clone(it.Key()[len(prefix):])
	return key, it.Close()
}

// zblockAt finds, under the index's lock, the block of e's index that
// pick names (its index, and the members of the blocks before it),
// splitting it first if it grew too large, and returns its first key and
// that count. The walk inside the block is the caller's, without the
// lock: the caller's view holds the store's lock, so no write changes
// the set meanwhile, and many readers walk at once.
func (v *view) zblockAt(e *entry, prefix []byte, pick func(z *zblocks) (int, int64)) ([]byte, int64, error) {
	x := &v.db.zindex
	x.mu.Lock()
	defer x.mu.Unlock()
	z, err := v.zblocksOf(e)
	if err != nil {
		return nil, 0, err
	}
	for {
		i, before := pick(z)
		switch {
		case i < 0:
			return nil, 0, errCorrupt
		case z.counts[i] > 2*zblockSize:
			if err := v.zsplit(z, prefix, i); err != nil {
				return nil, 0, err
			}
			continue
		}
		return bytes.Clone(z.firsts[i]), before, nil
	}
}

// zseekRank positions it, over the whole score order of the live sorted
// set e, at rank pos: through the index when v may use it, else walking
// from the nearer end.
func (v *view) zseekRank(it *pebble.Iterator, e *entry, pos int64) error {
	if !v.zindexed(e) {
		zseek(it, pos, e.meta.count)
		return nil
	}
	key, err := v.zkeyAt(e, pos)
	if err != nil {
		return err
	}
	it.SeekGE(append(e.zOrderPrefix(), key...))
	return nil
}
