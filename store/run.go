package store

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// A held run (Session.Hold) commits its writes into one Pebble batch, the
// run, applied when the session gives the lock back (or the run grows past
// maxRunBytes), so that a pipeline of N writes pays for one Pebble commit
// and one log record rather than N.
//
// Each write still builds its own batch, so that a write that fails or
// panics half way is dropped whole; at its end the batch is copied into
// the run, and the write is committed as any other: it takes its offset, is
// published on the feed, and updates the record cache, the key filter and
// the key counts. What is in the run but not yet in Pebble is read through
// the run itself, an indexed batch: while the run is open only its session
// holds the lock, and every view it takes (DB.view) reads through the run.
// Once the session releases the lock, the run goes to the committer as any
// commit's batch does, and others read it as any queued batch (apply.go).
//
// The run is one commit for visibility (durable.go): it takes one commit
// number, and its logWait is open, unclaimable, until the run is applied:
// by the committer (apply.go) once the session gives the lock back, or at
// once (applyRunNow) when the session needs it in Pebble while holding.
// A replica link waiting for one of the run's offsets (WaitDurable) so
// waits for the run's log record like anyone else's.

// maxRunBytes bounds a run's batch: a write that would take it past this
// size applies the run first, so that a run of large values stays far from
// Pebble's 4 GB batch limit and its memory stays bounded.
const maxRunBytes = 4 << 20

// commitToRun copies the held write w's batch into the session's run, and
// registers the write with the run's commit. Called under the write lock,
// which the session holds, in place of applying w's batch to Pebble.
func (db *DB) commitToRun(w *writer, sess *Session, offset uint64) error {
	if db.run != nil && db.run.Len()+w.b.Len() > maxRunBytes {
		db.applyRunNow()
	}
	if db.run == nil {
		db.run = db.pdb.NewIndexedBatch()
	}
	if err := db.run.Apply(w.b, nil); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	w.b.Close()
	if db.runWait == nil {
		db.committed++
		db.runWait = db.durable.open(db.committed, offset)
		sess.pending = append(sess.pending, db.runWait)
	} else {
		db.durable.extend(db.runWait, offset)
	}
	return nil
}

// takeRun detaches the open run, if any, and its commit. Called under the
// write lock.
func (db *DB) takeRun() (*pebble.Batch, *logWait) {
	run, lw := db.run, db.runWait
	db.run, db.runWait = nil, nil
	if run != nil && lw == nil { // no write made it into the run (its copy failed)
		run.Close()
		run = nil
	}
	return run, lw
}

// applyRunNow applies the open run, if any, before the lock is released
// (applyNow): for a session that goes on holding, or reads Pebble itself.
func (db *DB) applyRunNow() {
	if run, lw := db.takeRun(); run != nil {
		db.logCommit(run, lw)
		db.applyNow(run, lw)
	}
}
