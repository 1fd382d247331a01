package store

import (
	"bytes"
	"math/rand/v2"
	"strconv"

	"github.com/shinglekv/shingle/internal/glob"
	"github.com/shinglekv/shingle/internal/redisnum"
)

// FieldValue is one field of a hash and its value.
type FieldValue struct {
	Field, Value []byte
}

// hashField returns the Pebble key of field in the hash e.
func (e *entry) hashField(field []byte) []byte {
	return hashedSubKey(nil, e.slot(), e.meta.id, tagHashField, field)
}

// HSet sets fields of the hash at key (creating it) and returns how many of
// them are new; fv alternates fields and values, and when a field appears
// twice the last value wins. Errors: ErrWrongType, ErrSyntax for an odd or
// zero number of arguments.
func (o *Ops) HSet(key []byte, fv ...[]byte) (int64, error) {
	if len(fv) == 0 || len(fv)%2 != 0 {
		return 0, ErrSyntax
	}
	w, err := o.beginWrite()
	if err != nil {
		return 0, err
	}
	defer o.abandon(w.seq)
	n, err := w.hset(key, fv, false)
	return n, o.endWrite(w, err)
}

// HSetNX sets field only if it does not exist, and reports whether it did.
// Errors: ErrWrongType.
func (o *Ops) HSetNX(key, field, value []byte) (bool, error) {
	w, err := o.beginWrite()
	if err != nil {
		return false, err
	}
	defer o.abandon(w.seq)
	n, err := w.hset(key, [][]byte{field, value}, true)
	return n == 1, o.endWrite(w, err)
}

func (w *writer) hset(key []byte, fv [][]byte, nx bool) (int64, error) {
	e, err := w.lookupWriteType(key, TypeHash)
	if err != nil {
		return 0, err
	}
	m := e.meta
	if e.state != live {
		m = w.newCollection(TypeHash)
	}
	var added int64
	for _, i := range lastPairs(fv) {
		fk := hashedSubKey(nil, e.slot(), m.id, tagHashField, fv[i])
		exists := false
		if e.state == live {
			if _, exists, err = w.get(fk); err != nil {
				return 0, err
			}
		}
		if nx && exists {
			return 0, nil
		}
		if !exists {
			added++
		}
		w.b.Set(fk, fv[i+1], nil)
	}
	if added > 0 || e.state != live {
		m.count += added
		w.put(&e, m)
	} else {
		w.touch(e.mk, false) // fields changed, the record not
	}
	w.propagate(append([][]byte{cmdHSet, key}, fv...)...)
	return added, nil
}

// HGet returns the value of field in the hash at key. Errors: ErrNotFound,
// ErrWrongType.
func (o *Ops) HGet(key, field []byte) ([]byte, error) {
	vals, err := o.HMGet(key, field)
	if err != nil {
		return nil, err
	}
	if vals[0] == nil {
		return nil, ErrNotFound
	}
	return vals[0], nil
}

// HMGet returns the values of fields, nil for each one missing. Errors:
// ErrWrongType.
func (o *Ops) HMGet(key []byte, fields ...[]byte) (_ [][]byte, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeHash)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(fields))
	if e.state != live {
		return out, nil
	}
	for i, f := range fields {
		if out[i], _, err = v.get(e.hashField(f)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// HExists reports whether field exists in the hash at key. Errors:
// ErrWrongType.
func (o *Ops) HExists(key, field []byte) (bool, error) {
	vals, err := o.HMGet(key, field)
	return err == nil && vals[0] != nil, err
}

// HStrLen returns the length of the value of field, 0 if it is missing.
// Errors: ErrWrongType.
func (o *Ops) HStrLen(key, field []byte) (int64, error) {
	vals, err := o.HMGet(key, field)
	if err != nil {
		return 0, err
	}
	return int64(len(vals[0])), nil
}

// HLen returns the number of fields in the hash at key. Errors: ErrWrongType.
func (o *Ops) HLen(key []byte) (int64, error) { return o.collectionLen(key, TypeHash) }

// HGetAll returns every field of the hash at key with its value, in no
// particular order. Errors: ErrWrongType.
func (o *Ops) HGetAll(key []byte) ([]FieldValue, error) {
	var out []FieldValue
	_, err := o.hscan(key, 0, -1, nil, func(f, v []byte) {
		out = append(out, FieldValue{bytes.Clone(f), bytes.Clone(v)})
	})
	return out, err
}

// HKeys returns the fields of the hash at key. Errors: ErrWrongType.
func (o *Ops) HKeys(key []byte) ([][]byte, error) {
	var out [][]byte
	_, err := o.hscan(key, 0, -1, nil, func(f, _ []byte) { out = append(out, bytes.Clone(f)) })
	return out, err
}

// HVals returns the values of the hash at key. Errors: ErrWrongType.
func (o *Ops) HVals(key []byte) ([][]byte, error) {
	var out [][]byte
	_, err := o.hscan(key, 0, -1, nil, func(_, v []byte) { out = append(out, bytes.Clone(v)) })
	return out, err
}

// HScan is SCAN over the fields of the hash at key (Count and Match apply to
// fields; Type is ignored). Its cursor has the same guarantees as Scan's.
// Errors: ErrWrongType.
func (o *Ops) HScan(key []byte, cursor uint64, opt ScanOptions) (next uint64, fields []FieldValue, err error) {
	count, match := opt.elems()
	next, err = o.hscan(key, cursor, count, match, func(f, v []byte) {
		fields = append(fields, FieldValue{bytes.Clone(f), bytes.Clone(v)})
	})
	return next, fields, err
}

// elems returns the count and the pattern (nil for every element) of an
// HSCAN, SSCAN or ZSCAN.
func (opt *ScanOptions) elems() (int, []byte) {
	count := opt.Count
	if count <= 0 {
		count = 10
	}
	if glob.IsAll(opt.Match) {
		return count, nil
	}
	return count, opt.Match
}

// An element cursor is 1 + the top 63 bits of the element's hash, so that a
// position is never 0, which ends an iteration.
func elemCursor(hash uint64) uint64 { return hash>>1 + 1 }

// hscan calls fn for the fields of the hash from cursor on, examining at
// least count of them (all when count < 0), and returns the next cursor.
func (o *Ops) hscan(key []byte, cursor uint64, count int, match []byte, fn func(f, v []byte)) (_ uint64, err error) {
	v, err := o.beginRead()
	if err != nil {
		return 0, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeHash)
	if err != nil || e.state != live {
		return 0, err
	}
	return v.scanElems(subPrefix(nil, e.slot(), e.meta.id, tagHashField), cursor, count, match, fn)
}

// scanElems calls fn for the hashed elements under prefix (hash fields,
// set members) from cursor on, examining at least count of them (all when
// count < 0), and returns the next cursor.
func (v *view) scanElems(prefix []byte, cursor uint64, count int, match []byte, fn func(elem, val []byte)) (uint64, error) {
	lo := prefix
	if cursor > 0 {
		lo = append(bytes.Clone(prefix), make([]byte, 8)...)
		putUint64(lo[len(prefix):], (cursor-1)<<1)
	}
	it, err := v.iter(lo, prefixEnd(prefix))
	if err != nil {
		return 0, err
	}
	seen := 0
	var last uint64
	for it.First(); it.Valid(); it.Next() {
		hash, f, err := decodeHashedSubKey(it.Key())
		if err != nil {
			return 0, closeIter(it, err)
		}
		pos := elemCursor(hash)
		if count > 0 && seen >= count && pos != last {
			return pos, it.Close()
		}
		seen++
		last = pos
		if match != nil && !glob.Match(match, f) {
			continue
		}
		val, err := it.ValueAndErr()
		if err != nil {
			return 0, closeIter(it, err)
		}
		fn(f, val)
	}
	return 0, it.Close()
}

// HDel deletes fields from the hash at key and returns how many existed.
// Deleting the last field deletes the key. Errors: ErrWrongType.
func (o *Ops) HDel(key []byte, fields ...[]byte) (int64, error) {
	w, err := o.beginWrite()
	if err != nil {
		return 0, err
	}
	defer o.abandon(w.seq)
	n, err := w.hdel(key, fields)
	return n, o.endWrite(w, err)
}

func (w *writer) hdel(key []byte, fields [][]byte) (int64, error) {
	e, err := w.lookupWriteType(key, TypeHash)
	if err != nil || e.state != live {
		return 0, err
	}
	var deleted [][]byte
	for _, f := range uniqueKeys(fields) {
		fk := e.hashField(f)
		_, ok, err := w.get(fk)
		if err != nil {
			return 0, err
		}
		if ok {
			w.b.Delete(fk, nil)
			deleted = append(deleted, f)
		}
	}
	if len(deleted) == 0 {
		return 0, nil
	}
	m := e.meta
	m.count -= int64(len(deleted))
	w.putOrDelete(&e, m)
	w.propagate(append([][]byte{cmdHDel, key}, deleted...)...)
	return int64(len(deleted)), nil
}

// HIncrBy adds n to the integer in field (a missing field counts as 0) and
// returns the result. Errors: ErrWrongType, ErrHashNotInteger, ErrOverflow.
func (o *Ops) HIncrBy(key, field []byte, n int64) (int64, error) {
	w, err := o.beginWrite()
	if err != nil {
		return 0, err
	}
	defer o.abandon(w.seq)
	var r int64
	err = w.hupdate(key, field, func(cur []byte, exists bool) ([]byte, error) {
		var c int64
		if exists {
			var ok bool
			if c, ok = redisnum.ParseInt(cur); !ok {
				return nil, ErrHashNotInteger
			}
		}
		var ok bool
		if r, ok = addInt(c, n); !ok {
			return nil, ErrOverflow
		}
		return redisnum.AppendInt(nil, r), nil
	})
	return r, o.endWrite(w, err)
}

// HIncrByFloat adds incr to the number in field and returns the result,
// with Redis's arithmetic (see IncrByFloatText). Errors: ErrWrongType,
// ErrHashNotFloat, ErrNaN.
func (o *Ops) HIncrByFloat(key, field []byte, incr float64) (float64, error) {
	s, err := o.HIncrByFloatText(key, field, strconv.AppendFloat(nil, incr, 'g', -1, 64))
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(string(s), 64)
}

// ErrNaNIncrement is HINCRBYFLOAT's error for an infinite increment.
var ErrNaNIncrement = newError("ERR value is NaN or Infinity")

// HIncrByFloatText is HINCRBYFLOAT with the increment and result as text, as
// IncrByFloatText. Errors: ErrNotFloat (incr), ErrNaNIncrement,
// ErrWrongType, ErrHashNotFloat, ErrNaN.
func (o *Ops) HIncrByFloatText(key, field, incr []byte) ([]byte, error) {
	inc, ok := redisnum.ParseLongDouble(incr)
	if !ok {
		return nil, ErrNotFloat
	}
	if inc.IsInf() {
		return nil, ErrNaNIncrement
	}
	w, err := o.beginWrite()
	if err != nil {
		return nil, err
	}
	defer o.abandon(w.seq)
	var r []byte
	err = w.hupdate(key, field, func(cur []byte, exists bool) ([]byte, error) {
		var c redisnum.LongDouble
		if exists {
			var ok bool
			if c, ok = redisnum.ParseLongDouble(cur); !ok {
				return nil, ErrHashNotFloat
			}
		}
		sum, ok := redisnum.Add(c, inc)
		if !ok {
			return nil, ErrNaN
		}
		r = sum.AppendHuman(nil)
		return r, nil
	})
	return r, o.endWrite(w, err)
}

// hupdate replaces the value of one field with what f computes from the
// current one, and propagates the result as HSET.
func (w *writer) hupdate(key, field []byte, f func(cur []byte, exists bool) ([]byte, error)) error {
	e, err := w.lookupWriteType(key, TypeHash)
	if err != nil {
		return err
	}
	var cur []byte
	exists := false
	if e.state == live {
		if cur, exists, err = w.get(e.hashField(field)); err != nil {
			return err
		}
	}
	nv, err := f(cur, exists)
	if err != nil {
		return err
	}
	m := e.meta
	if e.state != live {
		m = w.newCollection(TypeHash)
	}
	w.b.Set(hashedSubKey(nil, e.slot(), m.id, tagHashField, field), nv, nil)
	if !exists {
		m.count++
		w.put(&e, m)
	} else {
		w.touch(e.mk, false)
	}
	w.propagate(cmdHSet, key, field, nv)
	return nil
}

// MaxRandomRepeats is the largest -count HRandField serves with a negative
// count: such a reply repeats fields, so its size is set by the count, not
// by the hash, and it is built whole in memory. Redis has no such bound and
// would build a reply of any size (a count of -2^63+1 exhausts its memory).
const MaxRandomRepeats = 1 << 20

// HRandField returns random fields of the hash at key, with their values:
// with count > 0, that many distinct fields (all of them if the hash is not
// larger); with count < 0, -count fields that may repeat. Errors:
// ErrWrongType, ErrRandomCountRange (count < -MaxRandomRepeats and the key
// holds a hash).
func (o *Ops) HRandField(key []byte, count int64) (_ []FieldValue, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeHash)
	if err != nil || e.state != live || count == 0 {
		return []FieldValue{}, err
	}
	if count < -MaxRandomRepeats {
		return nil, ErrRandomCountRange
	}
	return v.randomElems(subPrefix(nil, e.slot(), e.meta.id, tagHashField), e.meta.count, count)
}

// randomElems returns random elements (with their values) of the
// collection of size elements under prefix, as HRandField's count asks.
func (v *view) randomElems(prefix []byte, size, count int64) ([]FieldValue, error) {
	if count >= size || count > 0 && count*3 > size {
		// Most or all of the hash: read it whole and pick from it.
		all, err := v.allFields(prefix)
		if err != nil {
			return nil, err
		}
		rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		return all[:min(count, int64(len(all)))], nil
	}
	it, err := v.iter(prefix, prefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	unique := count > 0
	n := count
	if !unique {
		n = -count
	}
	out := make([]FieldValue, 0, n)
	seen := map[string]bool{}
	for int64(len(out)) < n {
		// A random position in hash order; the field at or after it.
		pos := append(bytes.Clone(prefix), make([]byte, 8)...)
		putUint64(pos[len(prefix):], rand.Uint64())
		if !it.SeekGE(pos) && !it.First() {
			break
		}
		_, f, err := decodeHashedSubKey(it.Key())
		if err != nil {
			return nil, err
		}
		if unique && seen[string(f)] {
			continue
		}
		seen[string(f)] = true
		val, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		out = append(out, FieldValue{bytes.Clone(f), bytes.Clone(val)})
	}
	return out, nil
}

func (v *view) allFields(prefix []byte) ([]FieldValue, error) {
	it, err := v.iter(prefix, prefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	var out []FieldValue
	for it.First(); it.Valid(); it.Next() {
		_, f, err := decodeHashedSubKey(it.Key())
		if err != nil {
			return nil, closeIter(it, err)
		}
		val, err := it.ValueAndErr()
		if err != nil {
			return nil, closeIter(it, err)
		}
		out = append(out, FieldValue{bytes.Clone(f), bytes.Clone(val)})
	}
	return out, it.Close()
}
