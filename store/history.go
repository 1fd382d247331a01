package store

import (
	"encoding/binary"
	"fmt"
	"github.com/cockroachdb/pebble/v2"
	"strconv"
)

// History is where the store stands in a replication history, in Redis's
// psync2 terms. A replica reconnecting with (ReplID, offset) can continue
// from the backlog of any instance whose History names that id, as its
// ReplID up to its Offset, or as its ReplID2 before its SecondOffset.
type History struct {
	// ReplID and Offset are the history and the offset just after the
	// last change (master_replid, master_repl_offset).
	ReplID string
	Offset uint64
	// ReplID2 is the history this one continues, after a promotion or a
	// primary's change of history; "" if none (master_replid2).
	// SecondOffset is the first offset not shared with it, -1 if none
	// (second_repl_offset).
	ReplID2      string
	SecondOffset int64
}

// History returns where the store stands.
func (db *DB) History() (History, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return History{}, ErrClosed
	}
	return db.history(), nil
}

func (db *DB) history() History {
	return History{ReplID: db.replID, Offset: db.offset, ReplID2: db.replID2, SecondOffset: db.offset2}
}

// ShiftHistory starts a new history, replID (random when empty), that
// continues the current one at the current offset: the current id becomes
// ReplID2, valid up to the offset. A replica promoted to primary does this
// (REPLICAOF NO ONE), and so does a replica whose primary continues under
// a new id (+CONTINUE <newid>), so that the replicas following either can
// still resume where they stand. It persists at once.
func (db *DB) ShiftHistory(replID string) error {
	if replID == "" {
		replID = newReplID()
	}
	if len(replID) != 40 {
		return fmt.Errorf("store: replication id %q is not 40 characters", replID)
	}
	w, err := db.beginWrite(nil)
	if err != nil {
		return err
	}
	defer db.abandon(w.seq, nil)
	db.shiftLocked(replID)
	w.setHistory(db.history())
	return db.endWrite(w, nil, nil)
}

// Promote leaves the replica's mode and starts a new history continuing
// the current one (SetFollowing(false) and ShiftHistory as one step, so
// that no write falls between them unpublished or under the old id): a
// replica becoming a primary. A data set left Incomplete by a full sync is
// emptied first, and the mark cleared: a primary with part of a snapshot
// would pass it off as whole.
func (db *DB) Promote() error {
	w, err := db.beginWrite(nil)
	if err != nil {
		return err
	}
	defer db.abandon(w.seq, nil)
	if db.incomplete.Load() {
		db.log.Warn("store: promoted with an incomplete full sync; the partial data set is emptied")
		w.flushAll()
		w.b.Delete(sysIncomplete, nil)
		db.incomplete.Store(false)
	}
	db.following = false
	db.shiftLocked(newReplID())
	w.setHistory(db.history())
	return db.endWrite(w, nil, nil)
}

// shiftLocked moves the history to replID, keeping the current one as
// ReplID2. Called with mu held.
func (db *DB) shiftLocked(replID string) {
	if replID != db.replID {
		db.replID2, db.offset2 = db.replID, int64(db.offset)+1
		db.replID = replID
		db.publish(Change{Offset: db.offset, NewHistory: true})
	}
}

// setHistory writes h to the batch: the ids and the offset of a history
// switch, which must survive a crash as they are.
func (w *writer) setHistory(h History) { writeHistory(w.b, h) }

func writeHistory(b *pebble.Batch, h History) {
	b.Set(sysReplID, []byte(h.ReplID), nil)
	b.Set(sysOffset, binary.BigEndian.AppendUint64(nil, h.Offset), nil)
	b.Set(sysReplID2, []byte(h.ReplID2), nil)
	b.Set(sysOffset2, []byte(strconv.FormatInt(h.SecondOffset, 10)), nil)
}

// loadHistory2 reads the secondary id of the history loadState resumed.
func (db *DB) loadHistory2(get func([]byte) ([]byte, error)) error {
	db.replID2, db.offset2 = "", -1
	id, err := get(sysReplID2)
	if err != nil || len(id) != 40 {
		return err
	}
	off, err := get(sysOffset2)
	if err != nil {
		return err
	}
	if n, err := strconv.ParseInt(string(off), 10, 64); err == nil {
		db.replID2, db.offset2 = string(id), n
	}
	return nil
}

// SetFollowing switches the store in and out of a replica's mode. While
// following, the change feed and the offset move only with Replicate (the
// primary's stream, byte for byte): the store's own writes (a writable
// replica's clients, an embedder's calls) apply but are not published, as
// a Redis replica does not propagate them, and active expiry stops, as
// keys expire on a replica only when the primary's DEL arrives (reads
// already treat an expired key as absent).
func (db *DB) SetFollowing(on bool) {
	db.mu.Lock()
	db.following = on
	db.mu.Unlock()
}

// Following reports whether the store is in a replica's mode.
func (db *DB) Following() bool {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.following
}

// Replicate applies stream, a run of a primary's replication stream, as
// one transaction: fn applies its commands through tx, and stream itself,
// not what those commands would propagate, is what the offset counts and
// subscribers receive, so that this store's replicas and backlog carry
// the primary's bytes unchanged (commands that write nothing, PING and
// SELECT, included). If fn returns an error, nothing is applied and the
// offset does not move.
func (db *DB) Replicate(stream []byte, fn func(tx *Tx) error) error {
	return db.update(fn, stream, nil)
}

// Replicate is DB.Replicate without waiting for the log: the session's
// Wait waits for it, with its other writes, so that a replica applies the
// next run of its primary's stream while the last one is on its way to
// the log. Not while the session holds the lock (Hold).
func (s *Session) Replicate(stream []byte, fn func(tx *Tx) error) error {
	return s.db.update(fn, stream, s)
}

// Publish appends a command that changes no data to the change feed, as a
// Redis primary feeds its replicas PING and REPLCONF GETACK: it counts in
// the offset and reaches every subscriber. While following it does
// nothing: a replica passes on its primary's instead.
func (db *DB) Publish(args ...[]byte) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return ErrClosed
	}
	if db.following {
		return nil
	}
	db.offset += respLen(args)
	// A commit with nothing to write: durable once those before it are.
	db.committed++
	db.durable.committed(db.committed, db.offset)
	db.publish(Change{Offset: db.offset, Commands: [][][]byte{args}})
	// A subscriber's panic goes on to the caller; the deferred Unlock
	// releases the lock before it leaves Publish.
	db.takeSubPanic().raise()
	return nil
}
