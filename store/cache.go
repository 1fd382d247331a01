package store

import (
	"encoding/binary"
	"sync"
)

// recordCache keeps recently used key records in memory: the meta value of
// a key (its type, its expiry and, for a string, its value), by meta key.
// A hit spares a Pebble point lookup, which costs microseconds, for a GET
// and for the read every write makes of its key first.
//
// It is exact, never stale: the write path changes it only after its batch
// is applied, under the store's write lock, and readers fill it from
// committed state under the read lock, so no write can fall between a
// reader's lookup and its fill. Transactions and snapshots do not use it.
// Missing keys are not cached (the key filter answers for those).
//
// It is split in shards by the key's hash, each with its own lock and a
// CLOCK eviction ring, bounded in bytes.
type recordCache struct {
	shards [cacheShards]cacheShard
}

const (
	cacheShards    = 64
	cacheOverhead  = 64       // bytes counted per entry besides key and value
	cacheMaxRecord = 16 << 10 // larger records are not cached
)

type cacheShard struct {
	mu    sync.Mutex
	index map[uint64]int32 // key hash -> slot in ring
	ring  []cacheEntry
	free  []int32
	hand  int
	bytes int64
	limit int64
}

// cacheEntry holds a meta key and its record in one allocation (one cache
// line to fetch on a hit, beside the index). Two keys with the same 64-bit
// hash share a slot: the later put wins, and a get checks the key.
type cacheEntry struct {
	kv   []byte // meta key, then record; nil: a free slot
	klen int32
	used bool // CLOCK's reference bit
}

func newRecordCache(size int64) *recordCache {
	c := &recordCache{}
	for i := range c.shards {
		c.shards[i].index = map[uint64]int32{}
		c.shards[i].limit = size / cacheShards
	}
	return c
}

func cacheHash(mk []byte) uint64 { return binary.BigEndian.Uint64(mk[3:11]) }

func (c *recordCache) shard(h uint64) *cacheShard { return &c.shards[h%cacheShards] }

// get returns a copy of the cached record of mk.
func (c *recordCache) get(mk []byte) ([]byte, bool) {
	h := cacheHash(mk)
	s := c.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index[h]
	if !ok {
		return nil, false
	}
	e := &s.ring[i]
	if string(e.kv[:e.klen]) != string(mk) {
		return nil, false
	}
	e.used = true
	return append([]byte(nil), e.kv[e.klen:]...), true
}

// put caches a copy of val as the record of mk.
func (c *recordCache) put(mk, val []byte) {
	size := int64(len(mk) + len(val) + cacheOverhead)
	h := cacheHash(mk)
	s := c.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(val) > cacheMaxRecord || size > s.limit {
		s.remove(h)
		return
	}
	if i, ok := s.index[h]; ok {
		// An overwrite reuses the entry's buffer when the record fits:
		// gets copy what they return, so nothing else holds it.
		e := &s.ring[i]
		kv := e.kv[:0]
		if cap(kv) < len(mk)+len(val) {
			kv = make([]byte, 0, len(mk)+len(val))
		}
		kv = append(append(kv, mk...), val...)
		s.bytes += int64(len(kv) - len(e.kv))
		*e = cacheEntry{kv: kv, klen: int32(len(mk)), used: true}
	} else {
		kv := append(append(make([]byte, 0, len(mk)+len(val)), mk...), val...)
		s.bytes += size
		e := cacheEntry{kv: kv, klen: int32(len(mk))}
		if n := len(s.free); n > 0 {
			i := s.free[n-1]
			s.free = s.free[:n-1]
			s.ring[i] = e
			s.index[h] = i
		} else {
			s.index[h] = int32(len(s.ring))
			s.ring = append(s.ring, e)
		}
	}
	for s.bytes > s.limit {
		s.evict()
	}
}

// del forgets mk.
func (c *recordCache) del(mk []byte) {
	h := cacheHash(mk)
	s := c.shard(h)
	s.mu.Lock()
	s.remove(h)
	s.mu.Unlock()
}

// clear forgets everything.
func (c *recordCache) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.index, s.ring, s.free, s.hand, s.bytes = map[uint64]int32{}, nil, nil, 0, 0
		s.mu.Unlock()
	}
}

// remove forgets the entry of hash h, whichever key it holds.
func (s *cacheShard) remove(h uint64) {
	i, ok := s.index[h]
	if !ok {
		return
	}
	e := &s.ring[i]
	s.bytes -= int64(len(e.kv) + cacheOverhead)
	delete(s.index, h)
	*e = cacheEntry{}
	s.free = append(s.free, i)
}

// evict removes one entry: the first, from the hand on, not used since
// the hand last passed it.
func (s *cacheShard) evict() {
	for {
		if s.hand >= len(s.ring) {
			s.hand = 0
		}
		e := &s.ring[s.hand]
		s.hand++
		switch {
		case e.kv == nil: // a free slot
		case e.used:
			e.used = false
		default:
			s.remove(cacheHash(e.kv))
			return
		}
	}
}

// cacheOp is a change to the cache that a write makes once applied, in the
// write's order: a new record for mk, its removal when val is nil, or
// forgetting everything (FLUSHALL) when mk is nil.
type cacheOp struct {
	mk  []byte
	val []byte
}
