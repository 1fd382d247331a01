package store

import (
	"strconv"
	"testing"
)

func TestRecordCacheBounds(t *testing.T) {
	c := newRecordCache(cacheShards * 4096) // 4 KiB per shard
	mk := func(i int) []byte { return metaKey(nil, []byte(strconv.Itoa(i))) }
	for i := range 20000 {
		c.put(mk(i), make([]byte, 100))
	}
	var total int64
	for i := range c.shards {
		s := &c.shards[i]
		if s.bytes > s.limit {
			t.Fatalf("shard %d holds %d bytes over its %d limit", i, s.bytes, s.limit)
		}
		total += int64(len(s.index))
	}
	if total == 0 || total >= 20000 {
		t.Fatalf("%d entries kept of 20000 with a tiny limit", total)
	}
	// The last one put is there, the first long gone; del and clear forget.
	if _, ok := c.get(mk(19999)); !ok {
		t.Fatal("the newest entry was evicted")
	}
	if _, ok := c.get(mk(0)); ok {
		t.Fatal("the oldest entry survived")
	}
	c.del(mk(19999))
	if _, ok := c.get(mk(19999)); ok {
		t.Fatal("del did not forget")
	}
	c.put(mk(1), []byte("x"))
	c.clear()
	if _, ok := c.get(mk(1)); ok {
		t.Fatal("clear did not forget")
	}
	// Records above the size limit are not kept, and replace a smaller one.
	c.put(mk(2), []byte("small"))
	c.put(mk(2), make([]byte, cacheMaxRecord+1))
	if _, ok := c.get(mk(2)); ok {
		t.Fatal("an oversized record was cached")
	}
	// Keys whose hashes collide share a slot; a get checks the key.
	x := metaKey(nil, []byte("x"))
	y := append(x[:metaPrefixLen:metaPrefixLen], 'y')
	c.put(x, []byte("1"))
	c.put(y, []byte("2"))
	if v, ok := c.get(y); !ok || string(v) != "2" {
		t.Fatalf("get(y) = %q, %v", v, ok)
	}
	if v, ok := c.get(x); ok {
		t.Fatalf("get(x) = %q from y's slot", v)
	}
}

// TestRecordCacheFollowsWrites reads keys into the cache, then changes them
// every way a write can, in and out of transactions: reads must always see
// the store, never an old cached record.
func TestRecordCacheFollowsWrites(t *testing.T) {
	db := openMem(t, nil)
	get := func(k string) string {
		v, err := db.Get([]byte(k))
		if err != nil {
			return err.Error()
		}
		return string(v)
	}
	db.MSet([]byte("a"), []byte("1"), []byte("b"), []byte("2"))
	get("a") // cached
	get("b")
	db.Update(func(tx *Tx) error {
		tx.Set([]byte("a"), []byte("3"))
		tx.FlushAll()
		tx.Set([]byte("b"), []byte("4"))
		return nil
	})
	if got := get("a"); got != ErrNotFound.Error() {
		t.Fatalf("a = %q after SET then FLUSHALL in one transaction", got)
	}
	if got := get("b"); got != "4" {
		t.Fatalf("b = %q", got)
	}
	db.Rename([]byte("b"), []byte("c"))
	if got := get("b"); got != ErrNotFound.Error() {
		t.Fatalf("renamed-away b = %q", got)
	}
	db.HSet([]byte("c"), []byte("f"), []byte("v")) // WRONGTYPE: c is a string
	db.Del([]byte("c"))
	db.HSet([]byte("c"), []byte("f"), []byte("v"))
	if _, err := db.Get([]byte("c")); err != ErrWrongType {
		t.Fatalf("GET of a hash after DEL and HSET: %v", err)
	}
	db.Update(func(tx *Tx) error {
		tx.Del([]byte("c"))
		tx.Set([]byte("c"), []byte("5"))
		return ErrAborted // nothing happens
	})
	if _, err := db.Get([]byte("c")); err != ErrWrongType {
		t.Fatalf("an aborted transaction reached the cache: %v", err)
	}
}
