package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// view reads committed state (or, in a transaction, the transaction's own
// state) at one instant of the store's clock.
type view struct {
	r     pebble.Reader
	cache *recordCache // nil: do not use (transactions, snapshots)
	// db, for a view of the live database (not of a snapshot): a lookup
	// asks its key filter first (the filter describes what is committed,
	// and a transaction's or a held run's writes as they are made), and a
	// read of Pebble first waits until every commit before it is applied
	// (apply.go).
	db    *DB
	clock func() time.Time
	now   int64 // unix ms, read from clock on first use, then fixed for the whole command
	// keepExpired sees keys whose time has passed as live: a replica
	// applying its primary's stream, where keys expire only when the
	// primary's DEL arrives (the primary, which had not expired the key
	// yet, ran the command on it as it was).
	keepExpired bool
	// tx, in a transaction, is what it wrote to meta records so far, read
	// before the cache and the filter, which describe committed state only.
	tx *txMetas
	// writes is set on a writer's view: lookups ask the key filter before
	// the record cache.
	writes bool
}

// txMetas is what a transaction wrote to meta records, for its own
// lookups: a record by meta key (nil: deleted); with cleared (FLUSHALL
// ran in it) a key not in m is absent. A key not written by the
// transaction reads as committed, through the cache and the key filter,
// so that a replica's run of the stream or an EXEC costs no more per
// command than the same commands one by one.
type txMetas struct {
	m       map[string][]byte
	cleared bool
}

// note records a transaction's change to a meta record, as a cacheOp.
func (t *txMetas) note(op cacheOp) {
	if op.mk == nil {
		clear(t.m)
		t.cleared = true
		return
	}
	t.m[string(op.mk)] = op.val
}

// nowMs returns the command's time. The clock is read only when a command
// needs it (most reads of keys without an expiry do not), and once.
func (v *view) nowMs() int64 {
	if v.now == 0 {
		v.now = v.clock().UnixMilli()
	}
	return v.now
}

// keyState is what a lookup found.
type keyState int

const (
	absent  keyState = iota
	live             // present and not expired
	expired          // present on disk, but its expiry time has passed
)

// entry is a key found by a lookup.
type entry struct {
	mk    []byte // the Pebble meta key
	meta  meta
	state keyState
}

func (e *entry) slot() uint16 { return binary.BigEndian.Uint16(e.mk[1:3]) }

func (e *entry) hash() uint64 { return binary.BigEndian.Uint64(e.mk[3:11]) }

// isExpired is Redis's rule: a key is expired once the clock has passed its
// expiry time (now > when), not when it reaches it.
func (v *view) isExpired(m *meta) bool {
	return m.expire != 0 && !v.keepExpired && v.nowMs() > m.expire
}

// pastTime reports whether an expiry time given to a command has passed,
// so that the command deletes the key rather than set it; on a replica
// applying its primary's stream it sets it, as Redis's replicas do.
func (v *view) pastTime(when int64) bool { return !v.keepExpired && when <= v.nowMs() }

// get returns a copy of the value stored under Pebble key k, or nil, false.
func (v *view) get(k []byte) ([]byte, bool, error) {
	if v.db != nil {
		v.db.waitApplied()
	}
	val, c, err := v.r.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := make([]byte, len(val))
	copy(out, val)
	return out, true, c.Close()
}

// lookup finds user key k. The returned meta's string value is owned by the
// caller.
func (v *view) lookup(k []byte) (entry, error) {
	e := entry{mk: metaKey(make([]byte, 0, metaPrefixLen+len(k)), k)}
	raw, ok := []byte(nil), false
	if v.tx != nil {
		if raw, ok = v.tx.m[string(e.mk)]; ok || v.tx.cleared {
			if raw == nil {
				return e, nil
			}
			raw = bytes.Clone(raw)
		}
	}
	// Every cached key passes the filter, so either may answer first: a
	// read asks the cache first (the keys read mostly exist), a write the
	// filter (a Set of a key never seen then skips the cache probe).
	if !ok && v.cache != nil && !v.writes {
		raw, ok = v.cache.get(e.mk)
	}
	if !ok {
		if v.db != nil && !v.db.keyMayExist(e.hash()) {
			return e, nil
		}
		if v.cache != nil && v.writes {
			raw, ok = v.cache.get(e.mk)
		}
	}
	if !ok {
		var err error
		if raw, ok, err = v.get(e.mk); err != nil || !ok {
			return e, err
		}
		if v.cache != nil {
			v.cache.put(e.mk, raw)
		}
	}
	var err error
	if e.meta, err = decodeMeta(raw); err != nil {
		return e, err
	}
	e.state = live
	if v.isExpired(&e.meta) {
		e.state = expired
	}
	return e, nil
}

// lookupType finds k and checks that it holds type t. A missing or expired
// key gives a zero entry and no error; another type gives ErrWrongType.
func (v *view) lookupType(k []byte, t Type) (entry, error) {
	e, err := v.lookup(k)
	if err != nil {
		return e, err
	}
	if e.state != live {
		e.state, e.meta = absent, meta{}
		return e, nil
	}
	if e.meta.typ != t {
		return e, ErrWrongType
	}
	return e, nil
}

// iter opens an iterator over [lo, hi).
func (v *view) iter(lo, hi []byte) (*pebble.Iterator, error) {
	if v.db != nil {
		v.db.waitApplied()
	}
	return v.r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
}
