package store

// WATCH: optimistic locking for transactions. A Watch notes keys; any
// write that changes one of them afterwards, from anywhere (a client on
// any transport, an embedded call, a replica's stream, active or lazy
// expiry, FLUSHALL, a full sync's switch), marks the Watch dirty, and a
// transaction run with UpdateWatched then does not run. This is the one
// place that sees every write: the writer notes each key whose meta record
// or elements it changes (writer.touch), and the commit marks the watches
// on them, under the write lock, before any other writer can run.
//
// Redis 7's rules for expiry: a key that expires between WATCH and EXEC
// makes EXEC fail, checked at EXEC; a key already expired at WATCH time
// does not, and neither does its deletion by expiry, but any other write
// to it does.

// A Watch is the set of keys one client watches (WATCH ... UNWATCH). It is
// not safe for concurrent use; the store reads and marks it under its
// lock.
type Watch struct {
	db    *DB
	keys  map[string]*watchedKey // by meta key
	dirty bool                   // guarded by db.mu
	// notify, when set, is called each time a write marks the Watch, by
	// the committing writer under the store's lock: it must return at
	// once and must not call the store.
	notify func()
}

type watchedKey struct {
	expired bool // already expired when watched
}

// NewWatch returns an empty Watch on db.
func (db *DB) NewWatch() *Watch { return &Watch{db: db, keys: map[string]*watchedKey{}} }

// NewNotifyWatch returns an empty Watch on db that calls notify each time
// a write changes one of its keys (what wakes a client blocked on a list
// or a sorted set, whoever writes). notify runs inside the write's commit,
// under the store's lock: it must return at once and must not call the
// store.
func (db *DB) NewNotifyWatch(notify func()) *Watch {
	w := db.NewWatch()
	w.notify = notify
	return w
}

// mark marks w dirty and notifies whoever asked. Called with mu held.
func (w *Watch) mark() {
	w.dirty = true
	if w.notify != nil {
		w.notify()
	}
}

// Add watches keys too (WATCH). Errors: ErrClosed.
func (w *Watch) Add(keys ...[]byte) error {
	db := w.db
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return ErrClosed
	}
	v := db.view()
	for _, k := range keys {
		e, err := v.lookup(k)
		if err != nil {
			return err
		}
		mk := string(e.mk)
		if _, ok := w.keys[mk]; ok {
			continue
		}
		w.keys[mk] = &watchedKey{expired: e.state == expired}
		if db.watches == nil {
			db.watches = map[string]map[*Watch]struct{}{}
		}
		ws := db.watches[mk]
		if ws == nil {
			ws = map[*Watch]struct{}{}
			db.watches[mk] = ws
		}
		ws[w] = struct{}{}
	}
	return nil
}

// Reset forgets every key and the dirty mark (UNWATCH, and after EXEC or
// DISCARD). A Watch no longer used must be Reset, or the store keeps it.
func (w *Watch) Reset() {
	db := w.db
	db.mu.Lock()
	defer db.mu.Unlock()
	w.unregister()
	w.dirty = false
}

// unregister removes w from the store's index. Called with mu held.
func (w *Watch) unregister() {
	for mk := range w.keys {
		if ws := w.db.watches[mk]; ws != nil {
			delete(ws, w)
			if len(ws) == 0 {
				delete(w.db.watches, mk)
			}
		}
	}
	clear(w.keys)
}

// Watching reports whether w watches any key.
func (w *Watch) Watching() bool { return len(w.keys) > 0 }

// UpdateWatched is Update, run only if no key of w changed or expired
// since it was watched: otherwise it returns ErrAborted without running
// fn, as EXEC answers a null array. Either way w is Reset, as EXEC
// unwatches.
func (db *DB) UpdateWatched(w *Watch, fn func(tx *Tx) error) error {
	defer w.Reset()
	return db.Update(func(tx *Tx) error {
		if w.changed(tx) {
			return ErrAborted
		}
		return fn(tx)
	})
}

// changed reports whether w is dirty, or one of its keys, not expired when
// watched, has expired since. Called in a transaction, under the lock.
func (w *Watch) changed(tx *Tx) bool {
	if w.dirty {
		return true
	}
	for mk, wk := range w.keys {
		if wk.expired {
			continue
		}
		e, err := tx.w.lookup([]byte(mk[metaPrefixLen:]))
		if err != nil || e.state == expired {
			return true
		}
	}
	return false
}

// touch notes that the write changes the key of meta key mk (deleted: by
// removing it). Cheap: the marks are made at the commit, and only when
// someone watches.
func (w *writer) touch(mk []byte, deleted bool) {
	if len(w.db.watches) > 0 {
		w.touched = append(w.touched, touchedKey{mk, deleted})
	}
}

type touchedKey struct {
	mk      []byte
	deleted bool
}

// markWatches marks the watches on what w changed. Called by the commit,
// under the write lock.
func (db *DB) markWatches(w *writer) {
	if len(db.watches) == 0 {
		return
	}
	if w.touchAll {
		for _, ws := range db.watches {
			for wt := range ws {
				wt.mark()
			}
		}
		return
	}
	for _, t := range w.touched {
		for wt := range db.watches[string(t.mk)] {
			wk := wt.keys[string(t.mk)]
			if wk.expired && t.deleted {
				// An expired key deleted: nothing changed for WATCH.
				wk.expired = false
				continue
			}
			wt.mark()
		}
	}
}
