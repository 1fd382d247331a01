package store

import (
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
// queues its batch (enqueue), logged already (oplog.go); the committer
// applies the queue in ticket order, so Pebble numbers the batches in
// commit order. What a commit wrote is visible at once through the record cache
// and the key filter, which it updated under the lock; a read that needs
// Pebble itself (a lookup the cache and the filter cannot answer, any
// iterator, a snapshot, the key count's scan) first waits until every
// ticket issued before it is applied (waitApplied). Those reads happen
// under the store's lock, which the committer never takes, so they never
// wait on themselves. A commit is durable once its log record is written
// (durable.go), whether the committer has applied its batch yet or not.
//
// applyMu guards the queue, stopping and idle; it is a leaf, as the
// durability watermark's lock is.

// commitBatch logs b, the batch of the commit lw, and hands it to Pebble:
// through the committer, so that neither the lock nor the writer's wait
// for its log record covers its memtable insert; or at once, under the
// lock, when a key filter rebuild is to start from a snapshot that must
// hold it. Called under the write lock.
func (db *DB) commitBatch(b *pebble.Batch, lw *logWait) {
	db.logCommit(b, lw)
	if db.filter.rebuild {
		db.applyNow(b, lw)
		return
	}
	db.enqueue(b, lw)
}

// maxQueued and maxQueuedBytes bound the committer's queue: a writer
// that finds it longer or larger waits, under the lock, until the
// committer has applied half of it. Writers wait for their log records, not for the
// memtable inserts, so nothing else keeps them from outrunning it.
const (
	maxQueued      = 8192
	maxQueuedBytes = 64 << 20
)

// queued is a commit waiting for the committer.
type queued struct {
	ticket uint64
	b      *pebble.Batch
	lw     *logWait
}

// enqueue queues b, the batch of the commit lw, for the committer. Called
// under the write lock, with lw logged; inflight counts it until it is
// applied.
func (db *DB) enqueue(b *pebble.Batch, lw *logWait) {
	if n := db.issued - db.applied.Load(); n >= maxQueued || db.queuedBytes.Load() >= maxQueuedBytes {
		db.waitAppliedTo(db.issued - n/2)
	}
	db.issued++
	db.inflight.Add(1)
	db.queuedBytes.Add(int64(len(b.Repr())))
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
		for (len(db.queue) == 0 || db.applying) && !db.stopping {
			db.idle = true
			db.applyCond.Wait()
		}
		db.idle = false
		if len(db.queue) == 0 && !db.applying {
			db.applyMu.Unlock()
			return
		}
		if db.applying { // stopping: the helper finishes its part
			db.appliedCond.Wait()
			db.applyMu.Unlock()
			continue
		}
		work = db.takeQueue(work)
		db.applyMu.Unlock()
		work = db.applyWork(work)
	}
}

// takeQueue takes the queued batches, to apply them: the caller becomes
// the one applier until applyWork. Called with applyMu held.
func (db *DB) takeQueue(work []queued) []queued {
	work, db.queue = db.queue, work[:0]
	db.applying = true
	return work
}

// applyWork applies work, taken by takeQueue, in ticket order, and gives
// up the applier's role; it returns work emptied, for reuse.
func (db *DB) applyWork(work []queued) []queued {
	for i, q := range work {
		size := int64(len(q.b.Repr()))
		db.applyBatch(q.b, q.lw, true)
		db.queuedBytes.Add(-size)
		db.applied.Store(q.ticket)
		if db.barrierWaiters.Load() > 0 {
			db.applyMu.Lock()
			db.appliedCond.Broadcast()
			db.applyMu.Unlock()
		}
		work[i] = queued{}
	}
	db.applyMu.Lock()
	db.applying = false
	db.appliedCond.Broadcast()
	db.applyMu.Unlock()
	db.applyCond.Signal() // the committer, if it waits for the role
	return work[:0]
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

// logCommit appends b, the batch of commit lw, to the log (oplog.go),
// which makes lw durable once the record is written: in memory, at once.
// The batch carries the commit's offset and its record's number
// (sysOffset), so that after a crash the offset is exactly that of the
// data recovered (loadState) and the replay knows where to start. Called
// under the write lock, in commit order.
func (db *DB) logCommit(b *pebble.Batch, lw *logWait) {
	if db.oplog == nil {
		db.durable.logged(lw, 0)
		return
	}
	seq := db.oplog.next()
	b.Set(sysOffset, offsetValue(lw.offset, seq), nil)
	db.oplog.append(seq, b.Repr())
	db.inflight.Add(1) // until the record is waited for (finish)
	db.durable.logged(lw, seq)
}

// applyBatch inserts b, the batch of commit lw, logged already, into
// Pebble's memtable. counted says inflight counted the apply (enqueue).
// Should Pebble refuse the batch (it is closed), the writes, already
// published and in the record cache, are not applied: the record cache
// is cleared so that reads go back to Pebble; the log holds them, for the
// next Open.
func (db *DB) applyBatch(b *pebble.Batch, lw *logWait, counted bool) {
	if err := db.pdb.Apply(b, pebble.NoSync); err != nil {
		if db.cache != nil {
			db.cache.clear()
		}
		db.zindex.clear()
		db.log.Error("store: a committed write could not be applied", "err", err)
	} else if lw.logSeq != 0 {
		db.appliedLog.Store(lw.logSeq)
	}
	b.Close()
	if counted {
		db.inflight.Done()
	}
}

// waitApplied returns once every ticket issued so far is applied: a read
// of Pebble itself then sees every commit before it. Called under the
// store's lock (shared or exclusive), which keeps new tickets from being
// issued meanwhile.
func (db *DB) waitApplied() { db.waitAppliedTo(db.issued) }

// waitAppliedTo returns once every ticket up to t is applied. Called
// under the store's lock. When the committer has not taken the queue yet
// (it is waking up), the caller applies the queue itself rather than wait
// for the wake-up: a read with no record cache to answer it waits for the
// write just before it, every time.
func (db *DB) waitAppliedTo(t uint64) {
	if db.applied.Load() >= t {
		return
	}
	db.barrierWaiters.Add(1)
	db.applyMu.Lock()
	for db.applied.Load() < t {
		if !db.applying && len(db.queue) > 0 {
			work := db.takeQueue(nil)
			db.applyMu.Unlock()
			db.applyWork(work)
			db.applyMu.Lock()
			continue
		}
		db.appliedCond.Wait()
	}
	db.applyMu.Unlock()
	db.barrierWaiters.Add(-1)
}
