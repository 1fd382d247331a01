package store

import (
	"errors"

	"github.com/shinglekv/shingle/internal/hll"
)

// HyperLogLogs are strings in Redis 7.0's own encoding (internal/hll), so
// that GET, DUMP, SET and replication carry them between Shingle and
// redis-server unchanged. The functions here read the string, let package
// hll compute the new value and write it back, keeping the key's TTL, and
// propagate the command itself: a replica computes the same bytes.

// DefaultHLLSparseMaxBytes is Redis's default hll-sparse-max-bytes: a
// sparse HyperLogLog longer than this turns dense.
const DefaultHLLSparseMaxBytes = hll.DefaultSparseMaxBytes

// hllError turns package hll's errors, which carry Redis's reply text,
// into the store's.
func hllError(err error) error {
	var he *hll.Error
	if errors.As(err, &he) {
		return newError(he.Error())
	}
	return err
}

// readHLLs returns the strings at keys for package hll (nil for a missing
// key), up to the first key of another type, and that key's index (-1 if
// none). Redis checks and merges the keys one at a time, so an error the
// strings before that key cause (a corrupt one) comes before its
// WRONGTYPE: the caller runs package hll on them first.
func (v *view) readHLLs(keys [][]byte) ([][]byte, int, error) {
	hs := make([][]byte, 0, len(keys))
	for i, k := range keys {
		e, err := v.lookupType(k, TypeString)
		if errors.Is(err, ErrWrongType) {
			return hs, i, nil
		}
		if err != nil {
			return nil, 0, err
		}
		hs = append(hs, hllValue(&e))
	}
	return hs, -1, nil
}

// hllValue returns the string at e for package hll: nil when missing.
func hllValue(e *entry) []byte {
	if e.state != live {
		return nil
	}
	if e.meta.value == nil {
		return []byte{}
	}
	return e.meta.value
}

// putHLL writes v at the key e, keeping its TTL, and propagates cmd.
func (w *writer) putHLL(e *entry, v []byte, cmd ...[]byte) {
	w.put(e, meta{typ: TypeString, value: v, expire: e.meta.expire})
	w.propagate(cmd...)
}

// PFAdd adds elems to the HyperLogLog at key, creating it, as PFADD does
// with hll-sparse-max-bytes sparseMax, and reports whether it changed
// (the reply 1). A key created without elements counts as a change.
// Errors: ErrWrongType, and Redis's errors for a string that is not a
// valid HyperLogLog (WRONGTYPE ...) or a corrupt one (INVALIDOBJ ...),
// after which nothing is written.
func (o *Ops) PFAdd(key []byte, sparseMax int, elems ...[]byte) (bool, error) {
	return write(o, func(w *writer) (bool, error) {
		e, err := w.lookupWriteType(key, TypeString)
		if err != nil {
			return false, err
		}
		v, changed, err := hll.Add(hllValue(&e), sparseMax, elems...)
		if err != nil {
			return false, hllError(err)
		}
		if v != nil {
			w.putHLL(&e, v, append([][]byte{[]byte("PFADD"), key}, elems...)...)
		}
		return changed, nil
	})
}

// PFCount returns the estimated cardinality of the union of the
// HyperLogLogs at keys, as PFCOUNT does. With one key whose cached
// estimate is stale it writes the estimate into the key, as Redis does,
// propagating PFCOUNT. Errors: as PFAdd.
func (o *Ops) PFCount(keys ...[]byte) (int64, error) {
	// A read first: only a stale cache makes it a write, and most counts
	// find the one the last count wrote.
	n, stale, err := o.pfcountRead(keys)
	if err != nil || !stale {
		return n, err
	}
	return write(o, func(w *writer) (int64, error) {
		n, v, err := w.pfcount(keys)
		if err != nil || v == nil {
			return n, err
		}
		e, err := w.lookupWrite(keys[0])
		if err != nil {
			return 0, err
		}
		w.putHLL(&e, v, []byte("PFCOUNT"), keys[0])
		return n, nil
	})
}

func (o *Ops) pfcountRead(keys [][]byte) (_ int64, stale bool, err error) {
	v, err := o.beginRead()
	if err != nil {
		return 0, false, err
	}
	defer o.endRead(&err)
	n, updated, err := v.pfcount(keys)
	return n, updated != nil, err
}

// pfcount counts the HyperLogLogs at keys and returns, for one key whose
// cached count was stale, its string with the count cached.
func (v *view) pfcount(keys [][]byte) (int64, []byte, error) {
	hs, wrong, err := v.readHLLs(keys)
	if err != nil {
		return 0, nil, err
	}
	if len(keys) > 1 {
		n, err := hll.CountMerged(hs...)
		if err == nil && wrong >= 0 {
			err = ErrWrongType
		}
		return n, nil, hllError(err)
	}
	if wrong >= 0 {
		return 0, nil, ErrWrongType
	}
	n, updated, err := hll.Count(hs[0])
	return n, updated, hllError(err)
}

// PFMerge merges the HyperLogLogs at srcs into the one at dst (creating
// it, and taking part in the merge if it exists), as PFMERGE does with
// hll-sparse-max-bytes sparseMax. Errors: as PFAdd.
func (o *Ops) PFMerge(sparseMax int, dst []byte, srcs ...[]byte) error {
	_, err := write(o, func(w *writer) (struct{}, error) {
		// The destination is checked first, as Redis checks it.
		hs, wrong, err := w.readHLLs(append([][]byte{dst}, srcs...))
		switch {
		case err != nil:
			return struct{}{}, err
		case wrong == 0:
			return struct{}{}, ErrWrongType
		}
		v, err := hll.Merge(sparseMax, hs[0], hs[1:]...)
		if err == nil && wrong > 0 {
			err = ErrWrongType
		}
		if err != nil {
			return struct{}{}, hllError(err)
		}
		d, err := w.lookupWrite(dst)
		if err != nil {
			return struct{}{}, err
		}
		w.putHLL(&d, v, append([][]byte{[]byte("PFMERGE"), dst}, srcs...)...)
		return struct{}{}, nil
	})
	return err
}

// PFDebug runs a PFDEBUG subcommand: f gets the string at key (nil when
// missing) and returns its reply and the value the key must hold
// afterwards, nil for none; a new value is written and PFDEBUG sub key
// propagated. Errors: ErrWrongType, and f's, as Redis's texts.
func (o *Ops) PFDebug(sub, key []byte, f func(h []byte) (reply any, nv []byte, err error)) (any, error) {
	return write(o, func(w *writer) (any, error) {
		e, err := w.lookupWriteType(key, TypeString)
		if err != nil {
			return nil, err
		}
		r, v, err := f(hllValue(&e))
		if err != nil {
			return nil, hllError(err)
		}
		if v != nil {
			w.putHLL(&e, v, []byte("PFDEBUG"), sub, key)
		}
		return r, nil
	})
}
