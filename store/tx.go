package store

import "errors"

// Tx is a transaction: commands called on it see each other's writes, and
// commit together, atomically, as one entry of the change feed (wrapped in
// MULTI ... EXEC when there is more than one command). A Tx is valid only
// inside the function given to Update and is not safe for concurrent use.
type Tx struct {
	Ops
	w       *writer
	err     error // a storage error, which dooms the transaction
	done    bool
	writing bool // a command's write is in progress
}

var (
	errTxDone     = errors.New("store: transaction used after its function returned")
	errTxPanicked = errors.New("store: a command of the transaction panicked")
	errHeldUpdate = errors.New("store: a transaction in a session that holds the lock (Release first)")
)

// Update runs fn in a transaction and commits its writes when fn returns nil.
// When fn returns an error, nothing is written and Update returns that error.
//
// A command that fails with a Redis error (such as ErrWrongType) writes
// nothing and does not end the transaction: fn decides, as a client of
// MULTI/EXEC would. Storage errors doom the transaction.
//
// Update holds the store's write lock while fn runs: other writers wait, and
// fn must not call methods on the DB itself (only on tx).
//
// If fn panics, the transaction is rolled back (nothing of it is written or
// published), the lock is released, and the panic continues in Update's
// caller; tx is done, as after a return. A command of tx that panics dooms
// the transaction even if fn recovers: Update then writes nothing and
// returns an error.
func (db *DB) Update(fn func(tx *Tx) error) error { return db.update(fn, nil, nil) }

// update is Update, or with stream set, Replicate; in a session (not
// holding the lock), the wait for the log is left to Session.Wait.
func (db *DB) update(fn func(tx *Tx) error, stream []byte, sess *Session) error {
	if sess.isHolding() {
		return errHeldUpdate
	}
	w, err := db.beginWrite(sess)
	if err != nil {
		return err
	}
	defer db.abandon(w.seq, sess)
	w.replicated, w.raw = stream != nil, stream
	w.keepExpired = w.replicated
	w.b.Close()
	w.b = db.pdb.NewIndexedBatch()
	w.r = w.b
	// Reads see the transaction's own writes: through the batch, and for
	// meta records through txMetas first, as neither the cache nor the
	// key filter describe them until the commit.
	w.tx = &txMetas{m: map[string][]byte{}}
	tx := &Tx{w: w}
	tx.Ops = Ops{db: db, tx: tx}
	err = tx.run(fn)
	if err == nil {
		err = tx.err
	}
	if err == nil && len(w.cmds) > 1 && !w.replicated {
		cmds := make([][][]byte, 0, len(w.cmds)+2)
		cmds = append(cmds, [][]byte{cmdMulti})
		cmds = append(cmds, w.cmds...)
		w.cmds = append(cmds, [][]byte{cmdExec})
	}
	return db.endWrite(w, err, sess)
}

// run calls fn and marks the transaction done however fn ends, a panic
// included, so that a Tx kept past its function fails.
func (tx *Tx) run(fn func(tx *Tx) error) error {
	defer func() { tx.done = true }()
	return fn(tx)
}

// abandonCommand dooms the transaction if a command's write is in progress:
// a panic left it half done.
func (tx *Tx) abandonCommand() {
	if tx.writing {
		tx.writing = false
		if tx.err == nil {
			tx.err = errTxPanicked
		}
	}
}

func (tx *Tx) beginCommand() (*writer, error) {
	if tx.done {
		return nil, errTxDone
	}
	if tx.err != nil {
		return nil, tx.err
	}
	return tx.w, nil
}

func (tx *Tx) endCommand(err error) error {
	var re *Error
	if err != nil && !errors.As(err, &re) && !errors.Is(err, ErrNotFound) {
		tx.err = err
	}
	return err
}
