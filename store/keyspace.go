package store

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"

	"github.com/shinglekv/shingle/internal/glob"
)

// ErrSameObject is COPY's error when source and destination are one key.
var ErrSameObject = newError("ERR source and destination objects are the same")

// uniqueKeys drops repeated keys, keeping the first of each, so that a
// command touching a key twice reads and writes it once.
func uniqueKeys(keys [][]byte) [][]byte {
	if len(keys) < 2 {
		return keys
	}
	seen := make(map[string]bool, len(keys))
	out := keys[:0:0]
	for _, k := range keys {
		if !seen[string(k)] {
			seen[string(k)] = true
			out = append(out, k)
		}
	}
	return out
}

// Del deletes keys and returns how many existed. A collection's elements go
// with one range deletion, however many there are.
func (o *Ops) Del(keys ...[]byte) (int64, error) {
	w, err := o.beginWrite()
	if err != nil {
		return 0, err
	}
	defer o.abandon(w.seq)
	var deleted [][]byte
	for _, k := range uniqueKeys(keys) {
		var e entry
		if e, err = w.lookupWrite(k); err != nil {
			break
		}
		if e.state == live {
			w.deleteKey(&e)
			deleted = append(deleted, k)
		}
	}
	if len(deleted) > 0 {
		w.propagate(append([][]byte{cmdDel}, deleted...)...)
	}
	return int64(len(deleted)), o.endWrite(w, err)
}

// Exists returns how many of keys exist; a key named twice counts twice.
func (o *Ops) Exists(keys ...[]byte) (_ int64, err error) {
	v, err := o.beginRead()
	if err != nil {
		return 0, err
	}
	defer o.endRead(&err)
	var n int64
	for _, k := range keys {
		e, err := v.lookup(k)
		if err != nil {
			return 0, err
		}
		if e.state == live {
			n++
		}
	}
	return n, nil
}

// Type returns the type of key, TypeNone when it does not exist.
func (o *Ops) Type(key []byte) (_ Type, err error) {
	v, err := o.beginRead()
	if err != nil {
		return TypeNone, err
	}
	defer o.endRead(&err)
	e, err := v.lookup(key)
	if err != nil || e.state != live {
		return TypeNone, err
	}
	return e.meta.typ, nil
}

// Rename renames src to dst, replacing dst, keeping the expiry. Errors:
// ErrNoSuchKey.
func (o *Ops) Rename(src, dst []byte) error {
	_, err := o.rename(src, dst, false)
	return err
}

// RenameNX renames src to dst only if dst does not exist, and reports whether
// it did. Errors: ErrNoSuchKey.
func (o *Ops) RenameNX(src, dst []byte) (bool, error) { return o.rename(src, dst, true) }

func (o *Ops) rename(src, dst []byte, nx bool) (bool, error) {
	w, err := o.beginWrite()
	if err != nil {
		return false, err
	}
	defer o.abandon(w.seq)
	ok, err := w.rename(src, dst, nx)
	return ok, o.endWrite(w, err)
}

func (w *writer) rename(src, dst []byte, nx bool) (bool, error) {
	se, err := w.lookupWrite(src)
	if err != nil {
		return false, err
	}
	if se.state != live {
		return false, ErrNoSuchKey
	}
	if bytes.Equal(src, dst) {
		return !nx, nil
	}
	de, err := w.lookupWrite(dst)
	if err != nil {
		return false, err
	}
	if nx && de.state == live {
		return false, nil
	}
	m := se.meta
	// Take the source's meta away without its elements, which move with it.
	w.dropMeta(se.mk)
	if m.expire != 0 {
		w.b.Delete(expireKey(nil, m.expire, se.mk), nil)
		w.expires--
	}
	w.keys--
	if m.typ != TypeString && se.slot() != de.slot() {
		if err := w.copyElements(se.slot(), m.id, de.slot(), m.id); err != nil {
			return false, err
		}
		w.deleteElements(&se)
	}
	w.put(&de, m)
	cmd := "RENAME"
	if nx {
		cmd = "RENAMENX"
	}
	w.propagate([]byte(cmd), src, dst)
	return true, nil
}

// copyElements writes every element of collection (slot, id) again under
// (toSlot, toID), reading committed (or transaction) state.
func (w *writer) copyElements(slot uint16, id uint64, toSlot uint16, toID uint64) error {
	lo, hi := subRange(slot, id)
	it, err := w.iter(lo, hi)
	if err != nil {
		return err
	}
	prefix := subPrefix(nil, toSlot, toID, 0)[:subPrefixLen-1]
	for it.First(); it.Valid(); it.Next() {
		k := append(prefix[:len(prefix):len(prefix)], it.Key()[len(prefix):]...)
		v, err := it.ValueAndErr()
		if err != nil {
			return closeIter(it, err)
		}
		w.b.Set(k, v, nil)
	}
	return it.Close()
}

// Copy copies the value of src (with its expiry) to dst and reports whether
// it did: not when src is missing, nor when dst exists and replace is false.
// Errors: ErrSameObject.
func (o *Ops) Copy(src, dst []byte, replace bool) (bool, error) {
	if bytes.Equal(src, dst) {
		return false, ErrSameObject
	}
	w, err := o.beginWrite()
	if err != nil {
		return false, err
	}
	defer o.abandon(w.seq)
	ok, err := w.copyKey(src, dst, replace)
	return ok, o.endWrite(w, err)
}

func (w *writer) copyKey(src, dst []byte, replace bool) (bool, error) {
	se, err := w.lookupWrite(src)
	if err != nil || se.state != live {
		return false, err
	}
	de, err := w.lookupWrite(dst)
	if err != nil {
		return false, err
	}
	if de.state == live && !replace {
		return false, nil
	}
	args := [][]byte{[]byte("COPY"), src, dst}
	if de.state == live {
		args = append(args, []byte("REPLACE"))
	}
	m := se.meta
	if m.typ != TypeString {
		m.id = w.db.allocID(w)
		if err := w.copyElements(se.slot(), se.meta.id, de.slot(), m.id); err != nil {
			return false, err
		}
	}
	w.put(&de, m)
	w.propagate(args...)
	return true, nil
}

// FlushAll deletes every key, with three range deletions whatever the size of
// the database.
func (o *Ops) FlushAll() error {
	w, err := o.beginWrite()
	if err != nil {
		return err
	}
	defer o.abandon(w.seq)
	w.flushAll()
	w.propagate(cmdFlushAll)
	return o.endWrite(w, nil)
}

// flushAll deletes every key in w's batch.
func (w *writer) flushAll() {
	// WATCH sees the keys that were there as written (deleted, for an
	// expired one); absent ones did not change.
	for mk := range w.db.watches {
		if e, err := w.lookup([]byte(mk[metaPrefixLen:])); err == nil && e.state != absent {
			w.touch(e.mk, e.state == expired)
		}
	}
	for _, ns := range []byte{nsKey, nsSub, nsExpire} {
		w.b.DeleteRange([]byte{ns}, []byte{ns + 1}, nil)
	}
	w.flushed = true
	w.keys, w.expires = 0, 0
	w.noteCache(cacheOp{})
}

// RandomKey returns a random existing key. Errors: ErrNotFound when there is
// none.
func (o *Ops) RandomKey() (_ []byte, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	start := metaSeekKey(uint16(rand.IntN(SlotCount)), rand.Uint64())
	// From a random position to the end, then from the beginning to it.
	for _, r := range [][2][]byte{{start, {nsKey + 1}}, {{nsKey}, start}} {
		k, err := v.firstLive(r[0], r[1])
		if k != nil || err != nil {
			return k, err
		}
	}
	return nil, ErrNotFound
}

// firstLive returns the first key in [lo, hi) that has not expired.
func (v *view) firstLive(lo, hi []byte) ([]byte, error) {
	it, err := v.iter(lo, hi)
	if err != nil {
		return nil, err
	}
	for it.First(); it.Valid(); it.Next() {
		ok, err := v.liveMeta(it)
		if err != nil {
			return nil, closeIter(it, err)
		}
		if ok {
			_, _, k, err := decodeMetaKey(it.Key())
			return bytes.Clone(k), closeIter(it, err)
		}
	}
	return nil, it.Close()
}

// liveMeta reports whether the meta record under the iterator has not
// expired, and decodes it.
func (v *view) liveMeta(it interface{ ValueAndErr() ([]byte, error) }) (bool, error) {
	m, err := v.metaAt(it)
	return err == nil && !v.isExpired(&m), err
}

func (v *view) metaAt(it interface{ ValueAndErr() ([]byte, error) }) (meta, error) {
	raw, err := it.ValueAndErr()
	if err != nil {
		return meta{}, err
	}
	return decodeMeta(raw)
}

// Keys returns every key matching the glob pattern (see package glob). It
// reads the whole key space: SCAN is the incremental alternative.
func (o *Ops) Keys(pattern []byte) ([][]byte, error) {
	var out [][]byte
	_, err := o.scanKeys(0, -1, ScanOptions{Match: pattern}, func(k []byte) { out = append(out, bytes.Clone(k)) })
	return out, err
}

// ScanOptions are SCAN's options.
type ScanOptions struct {
	Match []byte // glob pattern the keys must match; nil or "*" for all
	Count int    // how many keys to examine; default 10
	Type  string // type name ("string", "hash", ...) the keys must have; "" for all
}

// Scan returns some keys from position cursor on, and the cursor to continue
// from; 0 starts an iteration and ends it. Keys are visited in an order fixed
// by their slot and a hash of the key, not by time of insertion, so a key
// that exists during the whole iteration is returned exactly once however
// many keys come and go meanwhile, and the cursor stays valid across
// restarts. Every 64-bit value is a valid cursor.
func (o *Ops) Scan(cursor uint64, opt ScanOptions) (next uint64, keys [][]byte, err error) {
	next, err = o.scanKeys(cursor, opt.Count, opt, func(k []byte) { keys = append(keys, bytes.Clone(k)) })
	return next, keys, err
}

// A key-space cursor is the key's slot (14 bits) and the top 50 bits of its
// hash: every key sharing it is returned in the same call.
func keyCursor(slot uint16, hash uint64) uint64 { return uint64(slot)<<50 | hash>>14 }

// scanKeys calls fn for the matching live keys from cursor on, examining at
// least count keys (all when count < 0), and returns the next cursor.
func (o *Ops) scanKeys(cursor uint64, count int, opt ScanOptions, fn func(k []byte)) (_ uint64, err error) {
	if count == 0 {
		count = 10
	}
	v, err := o.beginRead()
	if err != nil {
		return 0, err
	}
	defer o.endRead(&err)
	it, err := v.iter(metaSeekKey(uint16(cursor>>50), cursor<<14), []byte{nsKey + 1})
	if err != nil {
		return 0, err
	}
	match := opt.Match
	if glob.IsAll(match) {
		match = nil
	}
	var seen int
	var last uint64
	for it.First(); it.Valid(); it.Next() {
		slot, hash, k, err := decodeMetaKey(it.Key())
		if err != nil {
			return 0, closeIter(it, err)
		}
		pos := keyCursor(slot, hash)
		if count > 0 && seen >= count && pos != last {
			return pos, it.Close()
		}
		seen++
		last = pos
		if match != nil && !glob.Match(match, k) {
			continue
		}
		m, err := v.metaAt(it)
		if err != nil {
			return 0, closeIter(it, err)
		}
		if v.isExpired(&m) || opt.Type != "" && !equalTypeName(opt.Type, m.typ) {
			continue
		}
		fn(k)
	}
	return 0, it.Close()
}

func equalTypeName(name string, t Type) bool {
	pt, ok := ParseType(name)
	return ok && pt == t
}

// SlotKeys calls fn for up to count live keys of one cluster slot (all when
// count < 0) and returns how many it visited: the keys of a slot are one
// contiguous range on disk. fn's argument is valid only during the call.
func (o *Ops) SlotKeys(slot uint16, count int, fn func(key []byte)) (_ int, err error) {
	if slot >= SlotCount {
		return 0, ErrSyntax
	}
	v, err := o.beginRead()
	if err != nil {
		return 0, err
	}
	defer o.endRead(&err)
	lo, hi := slotBounds(slot)
	it, err := v.iter(lo, hi)
	if err != nil {
		return 0, err
	}
	n := 0
	for it.First(); it.Valid() && (count < 0 || n < count); it.Next() {
		ok, err := v.liveMeta(it)
		if err != nil {
			return n, closeIter(it, err)
		}
		if ok {
			n++
			if fn != nil {
				fn(it.Key()[metaPrefixLen:])
			}
		}
	}
	return n, it.Close()
}

// SlotsWithKeys returns the slots that hold a key (expired ones
// included), in order: a seek per such slot, whatever their keys' number.
func (o *Ops) SlotsWithKeys() (_ []uint16, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	it, err := v.iter([]byte{nsKey}, []byte{nsKey + 1})
	if err != nil {
		return nil, err
	}
	var out []uint16
	for it.First(); it.Valid(); {
		slot := binary.BigEndian.Uint16(it.Key()[1:3])
		out = append(out, slot)
		if slot == SlotCount-1 {
			break
		}
		_, next := slotBounds(slot)
		it.SeekGE(next)
	}
	return out, it.Close()
}

// DeleteSlotKeys deletes up to count keys of slot, expired ones included,
// in the store's order from the key after (nil: from the first), as one
// write propagated as one DEL. It returns the last key it deleted, to pass
// as after to the next call, or nil once the slot has no key left past
// after. A slot's keys so go by a range scan, without a lookup each and
// without stepping again over those already deleted (a cluster node
// dropping the keys of a slot it no longer owns).
func (o *Ops) DeleteSlotKeys(slot uint16, after []byte, count int) (last []byte, err error) {
	if slot >= SlotCount || count <= 0 {
		return nil, ErrSyntax
	}
	w, err := o.beginWrite()
	if err != nil {
		return nil, err
	}
	defer o.abandon(w.seq)
	lo, hi := slotBounds(slot)
	if after != nil {
		lo = append(metaKey(nil, after), 0)
	}
	it, err := w.iter(lo, hi)
	if err != nil {
		return nil, o.endWrite(w, err)
	}
	deleted := [][]byte{cmdDel}
	for it.First(); it.Valid() && len(deleted) <= count; it.Next() {
		var m meta
		if m, err = w.metaAt(it); err != nil {
			break
		}
		e := entry{mk: bytes.Clone(it.Key()), meta: m, state: live}
		w.deleteKey(&e)
		deleted = append(deleted, e.mk[metaPrefixLen:])
	}
	err = closeIter(it, err)
	if len(deleted) > 1 {
		w.propagate(deleted...)
		last = bytes.Clone(deleted[len(deleted)-1])
	}
	return last, o.endWrite(w, err)
}

// CountKeysInSlot returns the number of live keys in slot, by a range scan of
// that slot alone.
func (o *Ops) CountKeysInSlot(slot uint16) (int64, error) {
	n, err := o.SlotKeys(slot, -1, nil)
	return int64(n), err
}

// Usage estimates the bytes key takes, as MEMORY USAGE does: its name,
// its record, and its elements as stored, of which a collection's first
// samples are read and the rest taken to be of their average size (0:
// read them all). ok is false for a missing key.
func (o *Ops) Usage(key []byte, samples int64) (n int64, ok bool, err error) {
	v, err := o.beginRead()
	if err != nil {
		return 0, false, err
	}
	defer o.endRead(&err)
	e, err := v.lookup(key)
	if err != nil || e.state != live {
		return 0, false, err
	}
	n = int64(len(e.mk)) + int64(len(e.meta.encode(nil)))
	if e.meta.typ == TypeString || e.meta.count == 0 {
		return n, true, nil
	}
	lo, hi := subRange(e.slot(), e.meta.id)
	it, err := v.iter(lo, hi)
	if err != nil {
		return 0, false, err
	}
	var read, bytes int64
	for it.First(); it.Valid() && (samples <= 0 || read < samples); it.Next() {
		bytes += int64(len(it.Key()) + len(it.Value()))
		read++
	}
	if err := it.Close(); err != nil {
		return 0, false, err
	}
	// A sorted set stores each member twice: its records come in pairs.
	elems := e.meta.count
	if e.meta.typ == TypeZSet {
		elems *= 2
	}
	if read > 0 {
		n += bytes * elems / read
	}
	return n, true, nil
}
