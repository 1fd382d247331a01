package store

import (
	"github.com/cockroachdb/pebble/v2"
)

// writer is one write in progress: a command, a transaction, or a round of
// active expiry. Reads go through its view; writes go to its batch and are
// invisible until the batch commits. A command must therefore read a key
// before it writes it, and never read back what it wrote (transactions read
// through an indexed batch and may).
//
// A command that fails with a Redis error (an *Error) must do so before its
// first write, so that inside a transaction a failed command leaves no trace,
// as in Redis's MULTI/EXEC.
type writer struct {
	view
	db   *DB
	b    *pebble.Batch
	cmds [][][]byte // commands to propagate, in order
	// replicated: a Replicate, whose stream raw is published instead of
	// cmds, even when it writes nothing.
	replicated bool
	raw        []byte

	keys, expires     int64 // changes to the key counts (since flushed, if set)
	flushed           bool  // FLUSHALL ran: the counts start again from zero
	cacheOps          []cacheOp
	zops              []zop        // members added to and removed from sorted sets, for the rank index
	touched           []touchedKey // keys changed, for WATCH (watch.go)
	touchAll          bool         // every key may have changed (a full sync's switch)
	savedID, savedLim uint64       // id allocator state to restore if discarded
	seq               uint64       // the write's number, for abandon
}

// propagate records a command for the change feed. The arguments are not
// copied: they must stay unchanged until the write commits.
func (w *writer) propagate(args ...[]byte) { w.cmds = append(w.cmds, args) }

// lookupWrite finds k for writing. An expired key is deleted first (and the
// deletion propagated as DEL, as Redis does), so that the caller sees it as
// absent.
func (w *writer) lookupWrite(k []byte) (entry, error) {
	e, err := w.lookup(k)
	if err != nil || e.state != expired {
		return e, err
	}
	w.deleteKey(&e)
	w.propagate(cmdDel, k)
	return e, nil
}

// lookupWriteType is lookupWrite with a type check, as lookupType.
func (w *writer) lookupWriteType(k []byte, t Type) (entry, error) {
	e, err := w.lookupWrite(k)
	if err == nil && e.state == live && e.meta.typ != t {
		err = ErrWrongType
	}
	return e, err
}

// put writes e.meta as the new state of the key that lookupWrite found,
// keeping the expiry index, the key counts and the elements of a replaced
// collection in step.
func (w *writer) put(e *entry, m meta) {
	if h := w.db.testHookMeta; h != nil {
		h(e.mk[metaPrefixLen:])
	}
	old := &e.meta
	existed := e.state == live
	if existed && old.expire != m.expire && old.expire != 0 {
		w.b.Delete(expireKey(nil, old.expire, e.mk), nil)
		w.expires--
	}
	if m.expire != 0 && (!existed || old.expire != m.expire) {
		w.b.Set(expireKey(nil, m.expire, e.mk), nil, nil)
		w.expires++
	}
	if !existed {
		w.keys++
		w.db.noteKey(e.hash())
	} else if old.typ != TypeString && (m.typ != old.typ || m.id != old.id) {
		w.deleteElements(e)
	}
	enc := m.encoded
	if enc == nil {
		enc = m.encode(nil)
	}
	w.touch(e.mk, false)
	w.b.Set(e.mk, enc, nil)
	w.noteCache(cacheOp{mk: e.mk, val: enc})
	*old = m
	e.state = live
}

// editString writes the string key e anew, keeping its expiry: its value
// padded with zero bytes to size (never shortened), then changed in place
// by edit. The record is built in one allocation, which matters for the
// largest strings (a SETBIT near proto-max-bulk-len).
func (w *writer) editString(e *entry, size int64, edit func(v []byte)) {
	cur := e.meta.value
	m := meta{typ: TypeString, expire: e.meta.expire}
	n := max(size, int64(len(cur)))
	enc := m.encode(make([]byte, 0, 9+n))
	hdr := len(enc)
	enc = append(enc, cur...)
	enc = enc[:hdr+int(n)] // make zeroed the padding
	m.value = enc[hdr:]
	edit(m.value)
	m.encoded = enc
	w.put(e, m)
}

// noteCache records a change to the record cache, made once the write
// commits, and in a transaction what its own lookups read from now on.
func (w *writer) noteCache(op cacheOp) {
	w.cacheOps = append(w.cacheOps, op)
	if w.tx != nil {
		w.tx.note(op)
	}
}

// dropMeta deletes the meta record mk.
func (w *writer) dropMeta(mk []byte) {
	if h := w.db.testHookMeta; h != nil {
		h(mk[metaPrefixLen:])
	}
	w.touch(mk, true)
	w.b.Delete(mk, nil)
	w.noteCache(cacheOp{mk: mk})
}

// deleteKey removes the key e (live or expired) with everything it owns.
// A collection's elements go with one range deletion, whatever their number.
func (w *writer) deleteKey(e *entry) {
	w.dropMeta(e.mk)
	if e.meta.expire != 0 {
		w.b.Delete(expireKey(nil, e.meta.expire, e.mk), nil)
		w.expires--
	}
	if e.meta.typ != TypeString {
		w.deleteElements(e)
	}
	w.keys--
	e.state, e.meta = absent, meta{}
}

func (w *writer) deleteElements(e *entry) {
	lo, hi := subRange(e.slot(), e.meta.id)
	w.b.DeleteRange(lo, hi, nil)
}

// clearKey finds k for writing and deletes what it holds, propagating
// DEL: the destination of a STORE, replaced whole, TTL included.
func (w *writer) clearKey(k []byte) (entry, error) {
	e, err := w.lookupWrite(k)
	if err == nil && e.state == live {
		w.deleteKey(&e)
		w.propagate(cmdDel, k)
	}
	return e, err
}

// putOrDelete writes m as the new meta of the collection e, or deletes
// the key when m holds no element (Redis has no empty collections).
func (w *writer) putOrDelete(e *entry, m meta) {
	if m.count <= 0 {
		w.deleteKey(e)
		return
	}
	w.put(e, m)
}

// newCollection returns the meta of a new, empty collection of type t.
func (w *writer) newCollection(t Type) meta {
	return meta{typ: t, id: w.db.allocID(w)}
}

// Command names used in propagation, shared to avoid an allocation each.
var (
	cmdDel       = []byte("DEL")
	cmdSet       = []byte("SET")
	cmdMSet      = []byte("MSET")
	cmdPXAT      = []byte("PXAT")
	cmdKeepTTL   = []byte("KEEPTTL")
	cmdPExpireAt = []byte("PEXPIREAT")
	cmdPersist   = []byte("PERSIST")
	cmdHSet      = []byte("HSET")
	cmdHDel      = []byte("HDEL")
	cmdMulti     = []byte("MULTI")
	cmdExec      = []byte("EXEC")
	cmdFlushAll  = []byte("FLUSHALL")
)
