package store

import "time"

// Ops holds the typed commands, one method per Redis command (or family of
// commands). It is embedded in DB, where each call is one atomic write or
// one consistent read, and in Tx, where calls join the transaction.
//
// Keys, fields and values are byte slices. Arguments are not retained after
// a call returns, except by change feed callbacks during it. Returned slices
// are owned by the caller. A missing value is reported as ErrNotFound by
// single-value reads and as a nil element in lists, where an empty value is a
// non-nil empty slice.
type Ops struct {
	db   *DB
	tx   *Tx      // nil outside a transaction
	sess *Session // nil outside a session
}

// beginWrite starts a command's write: DB.beginWrite, or in a transaction
// the next command of it. As there, every successful call is followed at
// once by a deferred abandon and paired with endWrite.
func (o *Ops) beginWrite() (*writer, error) {
	if o.tx != nil {
		w, err := o.tx.beginCommand()
		o.tx.writing = err == nil
		return w, err
	}
	return o.db.beginWrite(o.sess)
}

func (o *Ops) endWrite(w *writer, err error) error {
	if o.tx != nil {
		o.tx.writing = false
		return o.tx.endCommand(err)
	}
	return o.db.endWrite(w, err, o.sess)
}

// write runs f as one command's write: beginWrite, a deferred abandon and
// endWrite, as every write method of Ops does.
func write[T any](o *Ops, f func(w *writer) (T, error)) (T, error) {
	w, err := o.beginWrite()
	if err != nil {
		var zero T
		return zero, err
	}
	defer o.abandon(w.seq)
	v, err := f(w)
	return v, o.endWrite(w, err)
}

// abandon is DB.abandon for a command: deferred right after beginWrite, it
// discards the write if a panic leaves the command before endWrite. In a
// transaction it dooms the transaction instead (the command may have
// written half of its changes to the batch, and fn may recover the panic
// and go on); Update's own abandon discards the batch if the panic leaves
// fn.
func (o *Ops) abandon(seq uint64) {
	if o.tx != nil {
		o.tx.abandonCommand()
		return
	}
	o.db.abandon(seq, o.sess)
}

func (o *Ops) beginRead() (view, error) {
	if o.tx != nil {
		w, err := o.tx.beginCommand()
		if err != nil {
			return view{}, err
		}
		return w.view, nil
	}
	if o.sess.isHolding() {
		return o.db.view(), nil
	}
	return o.db.beginRead()
}

// endRead ends a read of data begun with beginRead. Deferred with the
// read's error result: under the acknowledgement gate (DB.SetAckGate) a
// read outside a session waits for it, and gives up with
// ErrUnacknowledged; a session's Wait does that instead, and a
// transaction's commit.
func (o *Ops) endRead(err *error) {
	if o.tx != nil {
		return
	}
	o.runlock()
	if gate := o.db.revealedData(o.sess); gate != nil && *err == nil {
		*err = gate
	}
}

// rlock takes the read lock, unless the session holds the write lock.
func (o *Ops) rlock() {
	if !o.sess.isHolding() {
		o.db.mu.RLock()
	}
}

// runlock gives the read lock back, unless the session holds the write
// lock. What the caller read is revealed once it returns: outside a
// session it first waits until every commit it could have seen is
// durable; a session waits in Wait, before its replies go.
func (o *Ops) runlock() {
	seq := o.db.committed
	if !o.sess.isHolding() {
		o.db.mu.RUnlock()
	}
	o.db.revealed(o.sess, seq)
}

// Now returns the time on the store's clock (Options.Now). Inside a
// transaction it is the transaction's time, fixed for all its commands.
func (o *Ops) Now() time.Time {
	if o.tx != nil {
		return time.UnixMilli(o.tx.w.nowMs())
	}
	return o.db.opts.Now()
}

// DBSize returns the number of keys, as DBSIZE does: keys that have expired
// but are not yet deleted are counted, as in Redis. The first call scans the
// key space; later calls are O(1).
func (o *Ops) DBSize() (int64, error) {
	keys, _, err := o.KeyCounts()
	return keys, err
}

// KeyCounts returns the number of keys and how many of them have an expiry,
// the figures of INFO keyspace. In a transaction they include its writes.
func (o *Ops) KeyCounts() (keys, expires int64, err error) {
	if o.sess.isHolding() {
		c, err := o.db.countsLocked()
		o.db.revealed(o.sess, o.db.committed)
		return c.keys, c.expires, err
	}
	if o.tx == nil {
		c, seq, err := o.db.keyCounts()
		o.db.revealed(o.sess, seq)
		return c.keys, c.expires, err
	}
	w, err := o.tx.beginCommand()
	if err != nil {
		return 0, 0, err
	}
	var base keyCounts
	if !w.flushed {
		if base, err = o.db.countsLocked(); err != nil {
			return 0, 0, err
		}
	}
	return base.keys + w.keys, base.expires + w.expires, nil
}

// ReplicationID returns the replication id, 40 hex characters, created with
// the database and kept across clean restarts. After a crash a new one
// starts, continuing the old one at the exact offset recovered (History's
// ReplID2), so that a replica at that offset continues while a history
// that went on elsewhere is not taken for this one.
func (o *Ops) ReplicationID() string {
	if o.tx != nil {
		return o.db.replID // the transaction holds the write lock
	}
	o.rlock()
	defer o.runlock()
	return o.db.replID
}

// History returns where the store stands in its replication history, as
// DB.History does; inside a transaction, as of its start.
func (o *Ops) History() (History, error) {
	if o.tx != nil {
		return o.db.history(), nil // the transaction holds the write lock
	}
	o.rlock()
	defer o.runlock()
	if o.db.closed {
		return History{}, ErrClosed
	}
	return o.db.history(), nil
}

// InTransaction reports whether o is a transaction's (Update's, or a
// replica's Replicate): calls that wait, such as WAIT's, must not run
// there, as the transaction holds the write lock.
func (o *Ops) InTransaction() bool { return o.tx != nil }

// Offset returns the replication offset of the last committed write: the
// number of bytes of the RESP-encoded change feed so far. It survives a
// clean Close exactly; after a crash it resumes from its last save, at most
// about a second old, under a new ReplicationID. Inside a transaction it is
// the offset before the transaction.
func (o *Ops) Offset() uint64 {
	if o.tx != nil {
		return o.db.offset
	}
	o.rlock()
	defer o.runlock()
	return o.db.offset
}
