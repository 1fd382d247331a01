package store

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/shinglekv/shingle/internal/tick"
)

// ExpireCond is the condition of EXPIRE's NX, XX, GT and LT options, which
// combine as Redis allows (XX with GT or LT).
type ExpireCond int

const (
	ExpireNX ExpireCond = 1 << iota // only when the key has no expiry
	ExpireXX                        // only when the key has an expiry
	ExpireGT                        // only when the new expiry is later (no expiry counts as infinite)
	ExpireLT                        // only when the new expiry is earlier (no expiry counts as infinite)

	ExpireAlways ExpireCond = 0 // no condition
)

// Expire sets key to expire after ttl; see ExpireAt.
func (o *Ops) Expire(key []byte, ttl time.Duration, cond ExpireCond) (bool, error) {
	return o.ExpireAt(key, o.Now().Add(ttl), cond)
}

// ExpireAt sets key to expire at time at, if cond allows, and reports whether
// it did. A time not in the future deletes the key at once. It reports false
// for a missing key. Errors: ErrNXXXGTLT, ErrGTLT for conditions Redis does
// not allow together.
func (o *Ops) ExpireAt(key []byte, at time.Time, cond ExpireCond) (bool, error) {
	if cond&ExpireNX != 0 && cond&(ExpireXX|ExpireGT|ExpireLT) != 0 {
		return false, ErrNXXXGTLT
	}
	if cond&ExpireGT != 0 && cond&ExpireLT != 0 {
		return false, ErrGTLT
	}
	w, err := o.beginWrite()
	if err != nil {
		return false, err
	}
	defer o.abandon(w.seq)
	ok, err := w.expireAt(key, at.UnixMilli(), cond)
	return ok, o.endWrite(w, err)
}

func (w *writer) expireAt(key []byte, when int64, cond ExpireCond) (bool, error) {
	e, err := w.lookupWrite(key)
	if err != nil || e.state != live {
		return false, err
	}
	cur := e.meta.expire
	if cond&ExpireNX != 0 && cur != 0 ||
		cond&ExpireXX != 0 && cur == 0 ||
		cond&ExpireGT != 0 && (cur == 0 || when <= cur) ||
		cond&ExpireLT != 0 && cur != 0 && when >= cur {
		return false, nil
	}
	if w.pastTime(when) {
		w.deleteKey(&e)
		w.propagate(cmdDel, key)
		return true, nil
	}
	w.setExpire(&e, key, when)
	return true, nil
}

// setExpire sets the expiry of the live key e and propagates PEXPIREAT.
func (w *writer) setExpire(e *entry, key []byte, when int64) {
	m := e.meta
	m.expire = when
	w.put(e, m)
	w.propagate(cmdPExpireAt, key, strconv.AppendInt(nil, when, 10))
}

// persist removes the expiry of the live key e, if it has one.
func (w *writer) persist(e *entry, key []byte) bool {
	if e.meta.expire == 0 {
		return false
	}
	m := e.meta
	m.expire = 0
	w.put(e, m)
	w.propagate(cmdPersist, key)
	return true
}

// Persist removes the expiry of key and reports whether it had one.
func (o *Ops) Persist(key []byte) (bool, error) {
	w, err := o.beginWrite()
	if err != nil {
		return false, err
	}
	defer o.abandon(w.seq)
	e, err := w.lookupWrite(key)
	ok := err == nil && e.state == live && w.persist(&e, key)
	return ok, o.endWrite(w, err)
}

// ExpireTime returns when key expires, or the zero Time when it has no
// expiry. Errors: ErrNotFound.
func (o *Ops) ExpireTime(key []byte) (_ time.Time, err error) {
	v, err := o.beginRead()
	if err != nil {
		return time.Time{}, err
	}
	defer o.endRead(&err)
	e, err := v.lookup(key)
	if err != nil {
		return time.Time{}, err
	}
	if e.state != live {
		return time.Time{}, ErrNotFound
	}
	if e.meta.expire == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(e.meta.expire), nil
}

// NoExpiry is what TTL returns for a key without an expiry.
const NoExpiry time.Duration = -1

// TTL returns the time key has left to live (saturating at the largest
// Duration, about 292 years), or NoExpiry. Errors: ErrNotFound.
func (o *Ops) TTL(key []byte) (time.Duration, error) {
	at, err := o.ExpireTime(key)
	if err != nil || at.IsZero() {
		return NoExpiry, err
	}
	ms := at.UnixMilli() - o.Now().UnixMilli()
	if ms > math.MaxInt64/int64(time.Millisecond) {
		return math.MaxInt64, nil
	}
	return time.Duration(max(ms, 0)) * time.Millisecond, nil
}

// expireBatch bounds the keys one round of active expiry deletes under the
// write lock, so that writers wait for at most one short batch.
const expireBatch = 256

// activeExpire deletes expired keys in the background, in expiry order, by
// walking the expiry index: its cost follows the number of keys expiring,
// not the size of the key space.
func (db *DB) activeExpire() {
	tick.Every(db.stop, db.opts.ActiveExpireInterval, func(time.Time) bool {
		db.expireRound()
		return true
	})
}

// expireRound runs expiry cycles until no expired key is left. A change
// feed subscriber's panic during one, raised again here as a
// *SubscriberPanic, is logged: this goroutine has no caller to raise it to,
// and ending the process for a subscriber already cut off would take every
// client down with it. Any other panic goes on.
func (db *DB) expireRound() {
	defer func() {
		if v := recover(); v != nil {
			p, ok := v.(*SubscriberPanic)
			if !ok {
				panic(v)
			}
			db.log.Error("store: a change feed subscriber panicked during active expiry; it is unsubscribed",
				"panic", p.Value, "stack", string(p.Stack))
		}
	}()
	for {
		n, err := db.expireCycle(expireBatch)
		if err != nil {
			if err != ErrClosed {
				db.log.Error("store: active expiry failed", "err", err)
			}
			return
		}
		if n < expireBatch {
			return
		}
	}
}

// expireCycle deletes up to limit expired keys, each propagated as its own
// DEL, and returns how many index entries it consumed.
func (db *DB) expireCycle(limit int) (int, error) {
	w, err := db.beginWrite(nil)
	if err != nil {
		return 0, err
	}
	defer db.abandon(w.seq, nil)
	n, err := w.expireCycle(limit)
	return n, db.endWrite(w, err, nil)
}

func (w *writer) expireCycle(limit int) (int, error) {
	if w.db.following {
		return 0, nil // a replica waits for its primary's DEL
	}
	// Keys whose expiry is before now; a key expiring exactly now is still
	// alive (Redis's now > when).
	hi := binary.BigEndian.AppendUint64([]byte{nsExpire}, uint64(w.nowMs()))
	it, err := w.iter([]byte{nsExpire}, hi)
	if err != nil {
		return 0, err
	}
	n := 0
	for it.First(); it.Valid() && n < limit; it.Next() {
		n++
		ms, mk, err := decodeExpireKey(it.Key())
		if err != nil {
			return n, closeIter(it, err)
		}
		raw, ok, err := w.get(mk)
		if err != nil {
			return n, closeIter(it, err)
		}
		var m meta
		if ok {
			if m, err = decodeMeta(raw); err != nil {
				return n, closeIter(it, err)
			}
		}
		if !ok || m.expire != ms {
			// Not written by this code; drop it rather than loop on it.
			w.b.Delete(it.Key(), nil)
			continue
		}
		_, _, k, err := decodeMetaKey(mk)
		if err != nil {
			return n, closeIter(it, err)
		}
		e := entry{mk: mk, meta: m, state: expired}
		w.deleteKey(&e)
		w.propagate(cmdDel, k)
	}
	return n, it.Close()
}

func closeIter(it *pebble.Iterator, err error) error {
	it.Close()
	return err
}
