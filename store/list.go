package store

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strconv"
)

// Lists: one meta record (type, expiry, collection id, length, head) and
// one Pebble key per element, at position head + index:
//
//	's' | slot | id | 'l' | position (8, big-endian) -> element
//
// A new list's head is in the middle of the position space, so that a push
// at either end is one write (the head moves left, or the length grows),
// a pop one deletion, LINDEX and LSET one point access, LRANGE one range
// scan and LTRIM two range deletions. LINSERT and LREM rewrite the
// elements between the change and the nearer end.

// listMidpoint is a new list's head.
const listMidpoint = 1 << 63

// ErrIndexRange is LSET's error for an index past either end.
var ErrIndexRange = newError("ERR index out of range")

// listItem returns the Pebble key of the element at position pos of the
// list e.
func (e *entry) listItem(pos uint64) []byte {
	return binary.BigEndian.AppendUint64(subPrefix(nil, e.slot(), e.meta.id, tagListItem), pos)
}

// Push pushes elems at the left (LPUSH: each in turn, so that the last
// ends first) or the right (RPUSH) of the list at key, creating it unless
// mustExist (LPUSHX, RPUSHX), and returns its length (0 when mustExist and
// it does not exist). Errors: ErrWrongType, ErrSyntax for no elements.
func (o *Ops) Push(key []byte, left, mustExist bool, elems ...[]byte) (int64, error) {
	if len(elems) == 0 {
		return 0, ErrSyntax
	}
	return write(o, func(w *writer) (int64, error) { return w.push(key, left, mustExist, elems) })
}

func (w *writer) push(key []byte, left, mustExist bool, elems [][]byte) (int64, error) {
	e, err := w.lookupWriteType(key, TypeList)
	if err != nil || mustExist && e.state != live {
		return 0, err
	}
	w.pushElems(&e, left, elems)
	name := "RPUSH"
	if left {
		name = "LPUSH"
	}
	if mustExist {
		name += "X"
	}
	w.propagate(append([][]byte{[]byte(name), key}, elems...)...)
	return e.meta.count, nil
}

// pushElems pushes elems onto the list e (found for writing; created when
// absent).
func (w *writer) pushElems(e *entry, left bool, elems [][]byte) {
	m := e.meta
	if e.state != live {
		m = w.newCollection(TypeList)
		m.head = listMidpoint
		e.meta.id = m.id // for listItem, until put
	}
	for _, el := range elems {
		if left {
			m.head--
			w.b.Set(e.listItem(m.head), el, nil)
		} else {
			w.b.Set(e.listItem(m.head+uint64(m.count)), el, nil)
		}
		m.count++
	}
	w.put(e, m)
}

// Pop removes and returns up to count elements from the left or right end
// of the list at key, deleting it when it empties; nil when the key does
// not exist. Errors: ErrWrongType, ErrValueOutOfRange for a negative count.
func (o *Ops) Pop(key []byte, left bool, count int64) ([][]byte, error) {
	if count < 0 {
		return nil, ErrValueOutOfRange
	}
	return write(o, func(w *writer) ([][]byte, error) {
		_, out, err := w.lmpop([][]byte{key}, left, count)
		return out, err
	})
}

// popElems removes up to count elements from one end of the live list e.
func (w *writer) popElems(e *entry, left bool, count int64) ([][]byte, error) {
	n := min(count, e.meta.count)
	out := make([][]byte, 0, n)
	m := e.meta
	for range n {
		pos := m.head + uint64(m.count) - 1
		if left {
			pos = m.head
		}
		v, _, err := w.get(e.listItem(pos))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		w.b.Delete(e.listItem(pos), nil)
		if left {
			m.head++
		}
		m.count--
	}
	if n > 0 {
		w.putOrDelete(e, m)
	}
	return out, nil
}

// LLen returns the length of the list at key. Errors: ErrWrongType.
func (o *Ops) LLen(key []byte) (int64, error) { return o.collectionLen(key, TypeList) }

// listIndex resolves index (negative from the end) in a list of n
// elements; ok is false past either end.
func listIndex(index, n int64) (int64, bool) {
	if index < 0 {
		index += n
	}
	return index, index >= 0 && index < n
}

// LIndex returns the element at index (negative from the end). Errors:
// ErrNotFound (no such key or index), ErrWrongType.
func (o *Ops) LIndex(key []byte, index int64) (_ []byte, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeList)
	if err != nil {
		return nil, err
	}
	i, ok := listIndex(index, e.meta.count)
	if e.state != live || !ok {
		return nil, ErrNotFound
	}
	val, _, err := v.get(e.listItem(e.meta.head + uint64(i)))
	return val, err
}

// LSet sets the element at index. Errors: ErrNoSuchKey, ErrIndexRange,
// ErrWrongType.
func (o *Ops) LSet(key []byte, index int64, value []byte) error {
	_, err := write(o, func(w *writer) (struct{}, error) { return struct{}{}, w.lset(key, index, value) })
	return err
}

func (w *writer) lset(key []byte, index int64, value []byte) error {
	e, err := w.lookupWriteType(key, TypeList)
	if err != nil {
		return err
	}
	if e.state != live {
		return ErrNoSuchKey
	}
	i, ok := listIndex(index, e.meta.count)
	if !ok {
		return ErrIndexRange
	}
	w.b.Set(e.listItem(e.meta.head+uint64(i)), value, nil)
	w.touch(e.mk, false)
	w.propagate([]byte("LSET"), key, strconv.AppendInt(nil, index, 10), value)
	return nil
}

// rankRange resolves a start and stop index (LRANGE, LTRIM, ZRANGE by
// rank), negative ones counting from the end, in a collection of n
// elements: the first and last index, ok false for an empty range.
func rankRange(start, stop, n int64) (int64, int64, bool) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	start = max(start, 0)
	if start > stop || start >= n {
		return 0, 0, false
	}
	return start, min(stop, n-1), true
}

// LRange returns the elements from start to stop, inclusive (negative
// from the end). Errors: ErrWrongType.
func (o *Ops) LRange(key []byte, start, stop int64) (_ [][]byte, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeList)
	if err != nil || e.state != live {
		return [][]byte{}, err
	}
	first, last, ok := rankRange(start, stop, e.meta.count)
	if !ok {
		return [][]byte{}, nil
	}
	return v.listElems(&e, first, last)
}

// listElems reads the elements first to last of the live list e.
func (v *view) listElems(e *entry, first, last int64) ([][]byte, error) {
	it, err := v.iter(e.listItem(e.meta.head+uint64(first)), e.listItem(e.meta.head+uint64(last)+1))
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, last-first+1)
	for it.First(); it.Valid(); it.Next() {
		val, err := it.ValueAndErr()
		if err != nil {
			return nil, closeIter(it, err)
		}
		out = append(out, bytes.Clone(val))
	}
	return out, it.Close()
}

// LTrim keeps the elements from start to stop (negative from the end),
// deleting the list when none is left. Errors: ErrWrongType.
func (o *Ops) LTrim(key []byte, start, stop int64) error {
	_, err := write(o, func(w *writer) (struct{}, error) { return struct{}{}, w.ltrim(key, start, stop) })
	return err
}

func (w *writer) ltrim(key []byte, start, stop int64) error {
	e, err := w.lookupWriteType(key, TypeList)
	if err != nil || e.state != live {
		return err
	}
	first, last, ok := rankRange(start, stop, e.meta.count)
	defer w.propagate([]byte("LTRIM"), key, strconv.AppendInt(nil, start, 10), strconv.AppendInt(nil, stop, 10))
	if !ok {
		w.deleteKey(&e)
		return nil
	}
	if first == 0 && last == e.meta.count-1 {
		return nil
	}
	m := e.meta
	w.b.DeleteRange(e.listItem(m.head), e.listItem(m.head+uint64(first)), nil)
	w.b.DeleteRange(e.listItem(m.head+uint64(last)+1), e.listItem(m.head+uint64(m.count)), nil)
	m.head += uint64(first)
	m.count = last - first + 1
	w.put(&e, m)
	return nil
}

// writeElems writes elems at positions pos, pos+1, ... of the list e.
func (w *writer) writeElems(e *entry, pos uint64, elems [][]byte) {
	for i, el := range elems {
		w.b.Set(e.listItem(pos+uint64(i)), el, nil)
	}
}

// LRem removes elements equal to value: the first count from the head
// (count > 0), the last -count from the tail (count < 0), or all (0), and
// returns how many. Errors: ErrWrongType.
func (o *Ops) LRem(key []byte, count int64, value []byte) (int64, error) {
	return write(o, func(w *writer) (int64, error) { return w.lrem(key, count, value) })
}

func (w *writer) lrem(key []byte, count int64, value []byte) (int64, error) {
	e, err := w.lookupWriteType(key, TypeList)
	if err != nil || e.state != live {
		return 0, err
	}
	old, err := w.listElems(&e, 0, e.meta.count-1)
	if err != nil {
		return 0, err
	}
	drop := make([]bool, len(old))
	var n int64
	for k := range old {
		i := k
		if count < 0 {
			i = len(old) - 1 - k
		}
		if bytes.Equal(old[i], value) && (count == 0 || n < max(count, -count)) {
			drop[i] = true
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	// The elements from the first removed one on move towards the head.
	first := slices.Index(drop, true)
	var kept [][]byte
	for i := first; i < len(old); i++ {
		if !drop[i] {
			kept = append(kept, old[i])
		}
	}
	m := e.meta
	w.writeElems(&e, m.head+uint64(first), kept)
	m.count -= n
	w.b.DeleteRange(e.listItem(m.head+uint64(m.count)), e.listItem(m.head+uint64(len(old))), nil)
	w.putOrDelete(&e, m)
	w.propagate([]byte("LREM"), key, strconv.AppendInt(nil, count, 10), value)
	return n, nil
}

// LInsert inserts value before or after the first element equal to pivot
// and returns the new length; -1 when pivot is not found, 0 when the key
// does not exist. Errors: ErrWrongType.
func (o *Ops) LInsert(key []byte, before bool, pivot, value []byte) (int64, error) {
	return write(o, func(w *writer) (int64, error) { return w.linsert(key, before, pivot, value) })
}

func (w *writer) linsert(key []byte, before bool, pivot, value []byte) (int64, error) {
	e, err := w.lookupWriteType(key, TypeList)
	if err != nil || e.state != live {
		return 0, err
	}
	old, err := w.listElems(&e, 0, e.meta.count-1)
	if err != nil {
		return 0, err
	}
	at := -1
	for i, el := range old {
		if bytes.Equal(el, pivot) {
			at = i
			break
		}
	}
	if at < 0 {
		return -1, nil
	}
	if !before {
		at++
	}
	m := e.meta
	if at < len(old)/2 {
		// Nearer the head: the head and the first at elements move left.
		m.head--
		w.writeElems(&e, m.head, append(slices.Clone(old[:at]), value))
	} else {
		w.writeElems(&e, m.head+uint64(at), append([][]byte{value}, old[at:]...))
	}
	m.count++
	w.put(&e, m)
	where := "AFTER"
	if before {
		where = "BEFORE"
	}
	w.propagate([]byte("LINSERT"), key, []byte(where), pivot, value)
	return m.count, nil
}

// LPosOptions are LPOS's options: Rank (non-zero; negative searches from
// the tail), Count (0: every match; ignored by the caller when not given)
// and MaxLen (0: the whole list).
type LPosOptions struct {
	Rank, Count, MaxLen int64
}

// LPos returns the indexes of the elements equal to elem, as LPOS.
// Errors: ErrWrongType.
func (o *Ops) LPos(key, elem []byte, opt LPosOptions) (_ []int64, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeList)
	if err != nil || e.state != live {
		return nil, err
	}
	all, err := v.listElems(&e, 0, e.meta.count-1)
	if err != nil {
		return nil, err
	}
	var out []int64
	skip := max(opt.Rank, -opt.Rank) - 1
	for k := range all {
		if opt.MaxLen > 0 && int64(k) >= opt.MaxLen {
			break
		}
		i := k
		if opt.Rank < 0 {
			i = len(all) - 1 - k
		}
		if !bytes.Equal(all[i], elem) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, int64(i))
		if opt.Count > 0 && int64(len(out)) == opt.Count {
			break
		}
	}
	return out, nil
}

// LMove pops an element from one end of the list at src and pushes it at
// one end of the list at dst (creating it), and returns it (LMOVE,
// RPOPLPUSH). Errors: ErrNotFound when src does not exist, ErrWrongType
// when src, or dst if it exists, holds another type.
func (o *Ops) LMove(src, dst []byte, fromLeft, toLeft bool) ([]byte, error) {
	return write(o, func(w *writer) ([]byte, error) { return w.lmove(src, dst, fromLeft, toLeft) })
}

func (w *writer) lmove(src, dst []byte, fromLeft, toLeft bool) ([]byte, error) {
	s, err := w.lookupWriteType(src, TypeList)
	if err != nil {
		return nil, err
	}
	if s.state != live {
		return nil, ErrNotFound
	}
	d := &s
	if !bytes.Equal(src, dst) {
		found, err := w.lookupWriteType(dst, TypeList)
		if err != nil {
			return nil, err
		}
		d = &found
	}
	var els [][]byte
	if d == &s && s.meta.count == 1 {
		// Rotating a list of one changes nothing; popping would empty it,
		// and the key would lose its TTL.
		if els, err = w.listElems(&s, 0, 0); err != nil {
			return nil, err
		}
		w.put(&s, s.meta) // a write all the same, for WATCH
	} else {
		if els, err = w.popElems(&s, fromLeft, 1); err != nil {
			return nil, err
		}
		w.pushElems(d, toLeft, els)
	}
	side := func(left bool) []byte {
		if left {
			return []byte("LEFT")
		}
		return []byte("RIGHT")
	}
	w.propagate([]byte("LMOVE"), src, dst, side(fromLeft), side(toLeft))
	return els[0], nil
}

// LMPop pops up to count elements from one end of the first non-empty list
// among keys, and returns its key with them; nil when all are empty.
// Errors: ErrWrongType (the first key of another type met before a list).
func (o *Ops) LMPop(keys [][]byte, left bool, count int64) ([]byte, [][]byte, error) {
	w, err := o.beginWrite()
	if err != nil {
		return nil, nil, err
	}
	defer o.abandon(w.seq)
	key, els, err := w.lmpop(keys, left, count)
	return key, els, o.endWrite(w, err)
}

func (w *writer) lmpop(keys [][]byte, left bool, count int64) ([]byte, [][]byte, error) {
	for _, k := range keys {
		e, err := w.lookupWriteType(k, TypeList)
		if err != nil {
			return nil, nil, err
		}
		if e.state != live {
			continue
		}
		els, err := w.popElems(&e, left, count)
		if err != nil {
			return nil, nil, err
		}
		if len(els) > 0 {
			name := "RPOP"
			if left {
				name = "LPOP"
			}
			w.propagate([]byte(name), k, strconv.AppendInt(nil, int64(len(els)), 10))
		}
		return k, els, nil
	}
	return nil, nil, nil
}
