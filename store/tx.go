package store

import "errors"

// Tx is a transaction: commands called on it see each other's writes, and
// commit together, atomically, as one entry of the change feed (wrapped in
// MULTI ... EXEC when there is more than one command). A Tx is valid only
// inside the function given to Update and is not safe for concurrent use.
type Tx struct {
	Ops
	w    *writer
	err  error // a storage error, which dooms the transaction
	done bool
}

var errTxDone = errors.New("store: transaction used after its function returned")

// Update runs fn in a transaction and commits its writes when fn returns nil.
// When fn returns an error, nothing is written and Update returns that error.
//
// A command that fails with a Redis error (such as ErrWrongType) writes
// nothing and does not end the transaction: fn decides, as a client of
// MULTI/EXEC would. Storage errors doom the transaction.
//
// Update holds the store's write lock while fn runs: other writers wait, and
// fn must not call methods on the DB itself (only on tx).
func (db *DB) Update(fn func(tx *Tx) error) error { return db.update(fn, nil) }

// update is Update, or with stream set, Replicate.
func (db *DB) update(fn func(tx *Tx) error, stream []byte) error {
	w, err := db.beginWrite(nil)
	if err != nil {
		return err
	}
	w.replicated, w.raw = stream != nil, stream
	w.keepExpired = w.replicated
	w.b.Close()
	w.b = db.pdb.NewIndexedBatch()
	w.r = w.b
	// Reads see the transaction's own writes, which neither the cache nor
	// the key filter describe until the commit.
	w.cache, w.filterDB = nil, nil
	tx := &Tx{w: w}
	tx.Ops = Ops{db: db, tx: tx}
	err = fn(tx)
	tx.done = true
	if err == nil {
		err = tx.err
	}
	if err == nil && len(w.cmds) > 1 && !w.replicated {
		cmds := make([][][]byte, 0, len(w.cmds)+2)
		cmds = append(cmds, [][]byte{cmdMulti})
		cmds = append(cmds, w.cmds...)
		w.cmds = append(cmds, [][]byte{cmdExec})
	}
	return db.endWrite(w, err, nil)
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
