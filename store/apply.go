package store

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// The committer: a commit hands its batch to one goroutine that applies
// the batches to Pebble in commit order after the write lock is released,
// so that Pebble's memtable insert, the largest part of a small write's
// cost, no longer runs under the lock: the next writer runs its command
// while the committer inserts the last one's keys. (redis-benchmark SET
// -P 16 over plain TCP, three alternating runs: +25%.)
//
// A commit takes the next ticket under the write lock, in commit order, and
// queues its batch (enqueue); the committer applies the queue in ticket
// order, so Pebble numbers the batches, and its log holds them, in commit
// order. What a commit wrote is visible at once through the record cache
// and the key filter, which it updated under the lock; a read that needs
// Pebble itself (a lookup the cache and the filter cannot answer, any
// iterator, a snapshot, the key count's scan) first waits until every
// ticket issued before it is applied (waitApplied). Those reads happen
// under the store's lock, which the committer never takes, so they never
// wait on themselves. A commit's logWait is open until its batch is
// applied (durable.go): no one waits for a log record not yet on its way.
//
// applyMu guards the queue, stopping and idle; it is a leaf, as the
// durability watermark's lock is.

// commitBatch hands b, the batch of the commit lw, to Pebble: through the
// committer, so that the lock does not cover its memtable insert; or at
// once, under the lock, when a key filter rebuild is to start from a
// snapshot that must hold it, or when alone says its writer waits for it
// alone (a call outside a session) and the committer has nothing queued:
// the writer would otherwise wait for the committer's wake-up for nothing.
// (A session's writes, a server's connections, always go through the
// committer: under load its queue empties and fills by the microsecond.)
// Called under the write lock.
func (db *DB) commitBatch(b *pebble.Batch, lw *logWait, alone bool) {
	if db.filter.rebuild || alone && db.applied.Load() == db.issued {
		db.applyNow(b, lw)
		return
	}
	db.enqueue(b, lw)
}

// queued is a commit waiting for the committer.
type queued struct {
	ticket uint64
	b      *pebble.Batch
	lw     *logWait
}

// enqueue queues b, the batch of the commit lw, for the committer. Called
// under the write lock, with lw open; inflight counts it until it is
// applied (and, on disk, its log write waited for).
func (db *DB) enqueue(b *pebble.Batch, lw *logWait) {
	db.issued++
	db.inflight.Add(1)
	db.applyMu.Lock()
	db.queue = append(db.queue, queued{db.issued, b, lw})
	wake := db.idle
	db.applyMu.Unlock()
	if wake {
		db.applyCond.Signal()
	}
}

// committer applies the queued batches in ticket order, until
// stopCommitter and an empty queue. Close stops it once no commit can be
// queued any more.
func (db *DB) committer() {
	var work []queued
	for {
		db.applyMu.Lock()
		for len(db.queue) == 0 && !db.stopping {
			db.idle = true
			db.applyCond.Wait()
		}
		db.idle = false
		if len(db.queue) == 0 {
			db.applyMu.Unlock()
			return
		}
		work, db.queue = db.queue, work[:0]
		db.applyMu.Unlock()
		for i, q := range work {
			db.applyBatch(q.b, q.lw, true)
			db.applied.Store(q.ticket)
			if db.barrierWaiters.Load() > 0 {
				db.applyMu.Lock()
				db.appliedCond.Broadcast()
				db.applyMu.Unlock()
			}
			work[i] = queued{}
		}
	}
}

// stopCommitter ends the committer once its queue is empty.
func (db *DB) stopCommitter() {
	db.applyMu.Lock()
	db.stopping = true
	db.applyMu.Unlock()
	db.applyCond.Broadcast()
}

// applyNow applies b, the batch of commit lw, at once: under the write
// lock, once every ticket issued before is applied. It is for the writes
// that cannot release the lock first (a held run grown past its bound, a
// session's Wait while holding, a read of Pebble by a holding session) or
// must be in Pebble before they release it (a key filter rebuild's
// snapshot).
func (db *DB) applyNow(b *pebble.Batch, lw *logWait) {
	db.waitApplied()
	db.applyBatch(b, lw, false)
}

// applyBatch hands b to Pebble and closes lw: its log record on its way,
// or, in memory, durable at once. counted says inflight counted the apply
// (enqueue). Should Pebble refuse the batch (it is closed, or the batch
// too large), the writes, already published and in the record cache, are
// not applied: the record cache is cleared so that reads go back to
// Pebble, and the error reaches whoever waits for lw.
func (db *DB) applyBatch(b *pebble.Batch, lw *logWait, counted bool) {
	var err error
	if db.opts.InMemory {
		err = db.pdb.Apply(b, pebble.NoSync)
	} else {
		// The commit's offset goes with its writes, so that after a crash
		// the offset is exactly that of the data Pebble recovered
		// (loadState). One small key per commit: about 1% of a lone SET.
		var off [8]byte
		binary.BigEndian.PutUint64(off[:], lw.offset)
		b.Set(sysOffset, off[:], nil)
		err = db.pdb.ApplyNoSyncWait(b, pebble.Sync)
	}
	switch {
	case err != nil:
		b.Close()
		if db.cache != nil {
			db.cache.clear()
		}
		db.zindex.clear()
		db.log.Error("store: a committed write could not be applied", "err", err)
		db.durable.applied(lw, nil, fmt.Errorf("store: commit: %w", err))
	case db.opts.InMemory:
		b.Close()
		db.durable.applied(lw, nil, nil)
	default:
		if !counted {
			db.inflight.Add(1) // until the log write is waited for (finish)
		}
		db.durable.applied(lw, b, nil)
		return
	}
	if counted {
		db.inflight.Done()
	}
}

// waitApplied returns once every ticket issued so far is applied: a read
// of Pebble itself then sees every commit before it. Called under the
// store's lock (shared or exclusive), which keeps new tickets from being
// issued meanwhile.
func (db *DB) waitApplied() {
	t := db.issued
	if db.applied.Load() >= t {
		return
	}
	db.barrierWaiters.Add(1)
	db.applyMu.Lock()
	for db.applied.Load() < t {
		db.appliedCond.Wait()
	}
	db.applyMu.Unlock()
	db.barrierWaiters.Add(-1)
}
