package store

import (
	"context"
	"sync"
	"sync/atomic"
)

// Visibility: a committed write is revealed (to a reader, in a reply, to a
// replica) only once it is as durable as the fsync policy promises, Redis's
// rule. Every commit takes the next number (DB.committed, under the write
// lock); durability's watermark is the number up to which every commit is
// durable. A write whose log record is still on its way waits in pending,
// in commit order, until someone waits for its log record (oplog.sync):
// the write's own caller, its session's Wait, or a reader that needs it,
// whichever comes first ("claims" it). A reader so waits for the log
// write, or fsync, already in flight, never for one of its own. The log
// is written and synced in commit order, so one record written means
// every earlier one is too: the watermark moves to the claimed write's
// number at once.
//
// The second condition, replica acknowledgements (SetAckGate): while the
// gate is on, a commit is revealed only once its offset is also at or
// below the offset enough replicas acknowledged (AckReplicated), which the
// caller feeding acknowledgements learns to ask for through AckWanted.
// Replica links are not held back by it: they carry the writes the
// replicas acknowledge. It is tracked by offset, not by commit number: a
// waiter waits for the newest commit's offset at the time it waits, which
// covers everything it could have seen.
//
// The lock (mu) is a leaf: taken under the store's write lock to append,
// never while taking another.
type durability struct {
	mu      sync.Mutex
	cond    sync.Cond
	pending []*logWait // commits not yet known durable, in commit order
	// seq: every commit numbered up to it is durable; offset: the
	// replication offset of that commit.
	seq, offset atomic.Uint64
	// waiters counts callers waiting for the watermark or the gate (tests
	// look).
	waiters atomic.Int64

	// The acknowledgement gate. latest: the offset of the newest commit;
	// acked: the offset enough replicas acknowledged; wanted: the largest
	// offset a waiter waits to see acknowledged; aborts counts
	// FailUnacked's calls (a waiter that sees it move gives up). latest
	// follows the commits that write data, not those that only publish
	// (a REPLCONF GETACK, which no replica's acknowledgement covers).
	gate                  atomic.Bool
	latest, acked, wanted atomic.Uint64
	aborts                atomic.Uint64
}

// logWait is a commit whose log record may not be written (or synced) yet.
type logWait struct {
	seq, offset uint64
	// first is the offset of the commit's first write: a held run (run.go)
	// is one commit of several writes, from first to offset. Guarded by
	// durability.mu, as are offset, b and open while the run is open.
	first   uint64
	logSeq  uint64      // its log record's number; 0: nothing to wait for once earlier ones are durable
	open    bool        // its batch not yet logged (a held run): nothing to wait for yet, but not durable either
	claimed atomic.Bool // someone took the record: it waits for it and counts it done
	err     error       // the log's error, set before the watermark passes seq
}

// blocks reports whether lw stops the watermark until it is finished.
// Called with durability.mu held.
func (lw *logWait) blocks() bool { return lw.logSeq != 0 || lw.open }

func (d *durability) init() { d.cond.L = &d.mu }

// committed records commit seq at offset, which writes nothing to the log
// (a replicated run that changed no data, a Publish). Called under the
// store's write lock, in commit order. It returns the commit's logWait, or
// nil when it is durable already: it is as soon as every commit before it
// is.
func (d *durability) committed(seq, offset uint64) *logWait {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.pending) == 0 {
		d.advanceLocked(seq, offset)
		return nil
	}
	lw := &logWait{seq: seq, offset: offset, first: offset}
	lw.claimed.Store(true)
	d.pending = append(d.pending, lw)
	return lw
}

// open records commit seq, whose batch (a write's, or a held run's whose
// first write is at offset) is still to be logged, as pending until
// logged says which log record it is. Called under the store's write
// lock, in commit order.
func (d *durability) open(seq, offset uint64) *logWait {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.latest.Store(offset)
	lw := &logWait{seq: seq, offset: offset, first: offset, open: true}
	d.pending = append(d.pending, lw)
	return lw
}

// extend adds a write at offset to the open run lw.
func (d *durability) extend(lw *logWait, offset uint64) {
	d.mu.Lock()
	lw.offset = offset
	d.latest.Store(offset)
	d.mu.Unlock()
}

// logged closes the open lw once its batch is in the log as record seq:
// it is then waited for, and claimed, as any commit's. Seq 0 (in memory)
// leaves nothing to wait for.
func (d *durability) logged(lw *logWait, seq uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	lw.open, lw.logSeq = false, seq
	if seq == 0 {
		lw.claimed.Store(true)
	}
	d.advanceLocked(0, 0)
}

// advanceLocked moves the watermark to seq (never back; the offset goes
// with it, and may go back after a Load), drops the pending
// commits it passed, and those without a batch that follow, and wakes the
// waiters.
func (d *durability) advanceLocked(seq, offset uint64) {
	if seq > d.seq.Load() {
		d.offset.Store(offset)
		d.seq.Store(seq)
	}
	i := 0
	for ; i < len(d.pending); i++ {
		lw := d.pending[i]
		if lw.seq > d.seq.Load() {
			if lw.blocks() {
				break
			}
			d.offset.Store(lw.offset)
			d.seq.Store(lw.seq)
		}
	}
	clear(d.pending[:i])
	d.pending = d.pending[i:]
	d.cond.Broadcast()
}

// finish waits for lw's log record and moves the watermark past it. Only the caller that claimed lw calls it.
func (db *DB) finish(lw *logWait) {
	err := db.oplog.sync(lw.logSeq)
	db.dirty.Store(true)
	d := &db.durable
	d.mu.Lock()
	lw.err = err
	d.advanceLocked(lw.seq, lw.offset)
	d.mu.Unlock()
	db.inflight.Done()
}

// waitOwn returns once the caller's own commit lw is durable, with its log
// error: once its batch is applied, it waits for the record itself unless
// a reader claimed it first. Every commit's owner calls it, so that each
// batch is closed and counted done, even one a reader's wait passed.
func (db *DB) waitOwn(lw *logWait) error {
	if lw == nil {
		return nil
	}
	d := &db.durable
	d.mu.Lock()
	for lw.open {
		d.cond.Wait()
	}
	d.mu.Unlock()
	if lw.claimed.CompareAndSwap(false, true) {
		db.finish(lw)
	} else {
		db.waitDurable(lw.seq)
	}
	d.mu.Lock()
	err := lw.err
	d.mu.Unlock()
	if err != nil {
		return err
	}
	return db.waitAcked(lw.offset)
}

// waitDurable returns once every commit numbered up to seq is durable. It
// waits for the newest pending commit up to seq, claiming it when no one
// has, or for whoever claimed it.
func (db *DB) waitDurable(seq uint64) { _ = db.waitDurableCtx(context.Background(), seq) }

// wakeWhenDone wakes the waiters on cond once ctx ends, until the
// returned stop is called.
func (d *durability) wakeWhenDone(ctx context.Context) (stop func()) {
	if ctx.Done() == nil {
		return func() {}
	}
	stopWake := context.AfterFunc(ctx, func() {
		d.mu.Lock()
		d.cond.Broadcast()
		d.mu.Unlock()
	})
	return func() { stopWake() }
}

// waitDurableCtx is waitDurable, giving up with ctx's error.
func (db *DB) waitDurableCtx(ctx context.Context, seq uint64) error {
	d := &db.durable
	if d.seq.Load() >= seq {
		return nil
	}
	d.waiters.Add(1)
	defer d.waiters.Add(-1)
	defer d.wakeWhenDone(ctx)()
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.seq.Load() < seq {
		if err := ctx.Err(); err != nil {
			return err
		}
		var newest *logWait
		for _, lw := range d.pending {
			if lw.seq > seq {
				break
			}
			if lw.logSeq != 0 {
				newest = lw
			}
		}
		if newest != nil && newest.claimed.CompareAndSwap(false, true) {
			d.mu.Unlock()
			db.finish(newest)
			d.mu.Lock()
			continue
		}
		d.cond.Wait()
	}
	return nil
}

// DurableOffset returns the replication offset of the newest commit up to
// which every write is as durable as Options.AppendFsync promises.
// Offsets grow with writes, except when a full sync loads a primary's
// data set (Load), which takes the primary's offset.
func (db *DB) DurableOffset() uint64 { return db.durable.offset.Load() }

// WaitDurable returns once every write up to offset is as durable as
// Options.AppendFsync promises, or with ctx's error. Whatever sends a
// change away (a replica link) sends it once WaitDurable returns for its
// offset. It waits for the log write or fsync in flight, never starts one
// of its own.
func (db *DB) WaitDurable(ctx context.Context, offset uint64) error {
	// The newest commit pending at or below offset; with none, every
	// commit up to offset is durable. (Offsets grow with commits, except
	// when a full sync loads a primary's: all are looked at.)
	d := &db.durable
	var seq uint64
	d.mu.Lock()
	for _, lw := range d.pending {
		if lw.first <= offset {
			seq = lw.seq
		}
	}
	d.mu.Unlock()
	if seq == 0 {
		return nil
	}
	return db.waitDurableCtx(ctx, seq)
}

// SetAckGate turns the second visibility condition on or off: while on,
// no write is revealed (to its writer, to a reader, in a reply; see
// Session.Wait) before AckReplicated has reported its offset acknowledged.
// A primary that must not lose what it revealed when it fails over turns
// it on (netmode's cluster-sync-replicas). Turning it off releases the
// waiters, as if everything were acknowledged; FailUnacked releases them
// with an error instead. The acknowledged offset starts over at 0 each
// time the gate turns on.
func (db *DB) SetAckGate(on bool) {
	d := &db.durable
	d.mu.Lock()
	if on && !d.gate.Load() {
		d.acked.Store(0)
		d.wanted.Store(0)
	}
	d.gate.Store(on)
	d.cond.Broadcast()
	d.mu.Unlock()
}

// AckReplicated reports that enough replicas acknowledged every write up to
// offset: what those writes wrote may be revealed (see SetAckGate).
func (db *DB) AckReplicated(offset uint64) {
	d := &db.durable
	if offset <= d.acked.Load() {
		return
	}
	d.mu.Lock()
	if offset > d.acked.Load() {
		d.acked.Store(offset)
		d.cond.Broadcast()
	}
	d.mu.Unlock()
}

// FailUnacked makes every call waiting for acknowledgements return
// ErrUnacknowledged (a primary that lost its role: what it did not get
// acknowledged may be gone from the cluster). Calls that start waiting
// afterwards wait as before.
func (db *DB) FailUnacked() {
	d := &db.durable
	d.mu.Lock()
	d.aborts.Add(1)
	d.cond.Broadcast()
	d.mu.Unlock()
}

// AckWanted returns, once a call waits for acknowledgements beyond the
// offset AckReplicated last reported, the offset it waits for, so that
// the caller feeding acknowledgements asks the replicas for them (WAIT's
// REPLCONF GETACK). It returns ctx's error when ctx ends first.
func (db *DB) AckWanted(ctx context.Context) (uint64, error) {
	d := &db.durable
	defer d.wakeWhenDone(ctx)()
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if w := d.wanted.Load(); d.gate.Load() && w > d.acked.Load() {
			return w, nil
		}
		d.cond.Wait()
	}
}

// waitAcked returns once offset is acknowledged, at once when the gate is
// off; ErrUnacknowledged if FailUnacked gives up meanwhile.
func (db *DB) waitAcked(offset uint64) error {
	d := &db.durable
	if !d.gate.Load() || d.acked.Load() >= offset {
		return nil
	}
	d.waiters.Add(1)
	defer d.waiters.Add(-1)
	d.mu.Lock()
	defer d.mu.Unlock()
	aborts := d.aborts.Load()
	if offset > d.wanted.Load() {
		d.wanted.Store(offset)
		d.cond.Broadcast() // AckWanted
	}
	for {
		// Aborts first: FailUnacked is followed by the gate turning off.
		if d.aborts.Load() != aborts {
			return ErrUnacknowledged
		}
		if !d.gate.Load() || d.acked.Load() >= offset {
			return nil
		}
		d.cond.Wait()
	}
}

// waitRevealed returns once what a reader could have seen so far may be
// revealed under the acknowledgement gate: every commit up to the newest.
func (db *DB) waitRevealed() error {
	if !db.durable.gate.Load() {
		return nil
	}
	return db.waitAcked(db.durable.latest.Load())
}
