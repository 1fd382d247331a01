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
	db *DB
	tx *Tx // nil outside a transaction
}

func (o *Ops) beginWrite() (*writer, error) {
	if o.tx != nil {
		return o.tx.beginCommand()
	}
	return o.db.beginWrite()
}

func (o *Ops) endWrite(w *writer, err error) error {
	if o.tx != nil {
		return o.tx.endCommand(err)
	}
	return o.db.endWrite(w, err)
}

func (o *Ops) beginRead() (view, error) {
	if o.tx != nil {
		w, err := o.tx.beginCommand()
		if err != nil {
			return view{}, err
		}
		return w.view, nil
	}
	return o.db.beginRead()
}

func (o *Ops) endRead() {
	if o.tx == nil {
		o.db.endRead()
	}
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
	if o.tx == nil {
		c, err := o.db.keyCounts()
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
