package store

import (
	"math"
	"strconv"
	"time"

	"github.com/shinglekv/shingle/internal/redisnum"
)

// SetOptions are SET's options. The zero value is a plain SET: write the
// value and clear any expiry.
type SetOptions struct {
	NX      bool // write only if the key does not exist
	XX      bool // write only if the key exists
	Get     bool // return the old value (the key must hold a string)
	KeepTTL bool // keep the key's expiry instead of clearing it
	// TTL, when positive, sets a relative expiry (EX, PX).
	TTL time.Duration
	// ExpireAt, when not zero, sets an absolute expiry (EXAT, PXAT).
	ExpireAt time.Time
}

// expiry returns the absolute expiry in unix ms asked for by ttl or at, 0 for
// none, or an error naming cmd when it is out of range.
func expiry(v *view, ttl time.Duration, at time.Time, cmd string) (int64, error) {
	switch {
	case !at.IsZero():
		ms := at.UnixMilli()
		if ms <= 0 {
			return 0, InvalidExpireError(cmd)
		}
		return ms, nil
	case ttl < 0:
		return 0, InvalidExpireError(cmd)
	case ttl > 0:
		ms, now := int64(ttl/time.Millisecond), v.nowMs()
		if ms > math.MaxInt64-now {
			return 0, InvalidExpireError(cmd)
		}
		return now + ms, nil
	}
	return 0, nil
}

// Get returns the value of key. Errors: ErrNotFound, ErrWrongType.
func (o *Ops) Get(key []byte) (_ []byte, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeString)
	if err != nil {
		return nil, err
	}
	if e.state != live {
		return nil, ErrNotFound
	}
	return e.meta.value, nil
}

// Set sets key to value, whatever it held, and clears its expiry.
func (o *Ops) Set(key, value []byte) error {
	_, _, err := o.SetWith(key, value, SetOptions{})
	return err
}

// SetWith is SET with options. It reports whether the value was written (NX
// and XX can prevent it) and, with opt.Get, the old value (nil when there was
// none). Errors: ErrSyntax for contradictory options, an invalid expire time
// error, ErrWrongType (with Get, when the key holds another type; nothing is
// written).
func (o *Ops) SetWith(key, value []byte, opt SetOptions) (written bool, old []byte, err error) {
	if opt.NX && opt.XX || opt.KeepTTL && (opt.TTL != 0 || !opt.ExpireAt.IsZero()) ||
		opt.TTL != 0 && !opt.ExpireAt.IsZero() {
		return false, nil, ErrSyntax
	}
	w, err := o.beginWrite()
	if err != nil {
		return false, nil, err
	}
	defer o.abandon(w.seq)
	written, old, err = w.set(key, value, opt)
	return written, old, o.endWrite(w, err)
}

func (w *writer) set(key, value []byte, opt SetOptions) (bool, []byte, error) {
	exp, err := expiry(&w.view, opt.TTL, opt.ExpireAt, "set")
	if err != nil {
		return false, nil, err
	}
	e, err := w.lookupWrite(key)
	if err != nil {
		return false, nil, err
	}
	var old []byte
	if opt.Get && e.state == live {
		if e.meta.typ != TypeString {
			return false, nil, ErrWrongType
		}
		old = e.meta.value
	}
	if opt.NX && e.state == live || opt.XX && e.state != live {
		return false, old, nil
	}
	if opt.KeepTTL && e.state == live {
		exp = e.meta.expire
	}
	w.putString(&e, key, value, exp)
	return true, old, nil
}

// putString writes a string value and propagates it as SET, with PXAT when
// it expires: exact on a replica whatever the command was.
func (w *writer) putString(e *entry, key, value []byte, expire int64) {
	w.put(e, meta{typ: TypeString, value: value, expire: expire})
	if expire != 0 {
		w.propagate(cmdSet, key, value, cmdPXAT, strconv.AppendInt(nil, expire, 10))
	} else {
		w.propagate(cmdSet, key, value)
	}
}

// SetNX sets key only if it does not exist, and reports whether it did.
func (o *Ops) SetNX(key, value []byte) (bool, error) {
	ok, _, err := o.SetWith(key, value, SetOptions{NX: true})
	return ok, err
}

// GetSet sets key and returns its old value (nil when there was none).
// Errors: ErrWrongType.
func (o *Ops) GetSet(key, value []byte) ([]byte, error) {
	_, old, err := o.SetWith(key, value, SetOptions{Get: true})
	return old, err
}

// GetDel returns the value of key and deletes it. Errors: ErrNotFound,
// ErrWrongType.
func (o *Ops) GetDel(key []byte) ([]byte, error) {
	w, err := o.beginWrite()
	if err != nil {
		return nil, err
	}
	defer o.abandon(w.seq)
	e, err := w.lookupWriteType(key, TypeString)
	if err == nil && e.state != live {
		err = ErrNotFound
	}
	val := e.meta.value
	if err == nil {
		w.deleteKey(&e)
		w.propagate(cmdDel, key)
	}
	return val, o.endWrite(w, err)
}

// GetExOptions are GETEX's options; the zero value changes nothing.
type GetExOptions struct {
	TTL      time.Duration // relative expiry (EX, PX), when positive
	ExpireAt time.Time     // absolute expiry (EXAT, PXAT), when not zero
	Persist  bool          // remove the expiry
}

// GetEx returns the value of key and changes its expiry as opt says. An
// absolute time already past deletes the key. Errors: ErrNotFound,
// ErrWrongType, ErrSyntax, an invalid expire time error.
func (o *Ops) GetEx(key []byte, opt GetExOptions) ([]byte, error) {
	n := 0
	for _, set := range []bool{opt.TTL != 0, !opt.ExpireAt.IsZero(), opt.Persist} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, ErrSyntax
	}
	if n == 0 {
		return o.Get(key)
	}
	w, err := o.beginWrite()
	if err != nil {
		return nil, err
	}
	defer o.abandon(w.seq)
	val, err := w.getEx(key, opt)
	return val, o.endWrite(w, err)
}

func (w *writer) getEx(key []byte, opt GetExOptions) ([]byte, error) {
	exp, err := expiry(&w.view, opt.TTL, opt.ExpireAt, "getex")
	if err != nil {
		return nil, err
	}
	e, err := w.lookupWriteType(key, TypeString)
	if err != nil {
		return nil, err
	}
	if e.state != live {
		return nil, ErrNotFound
	}
	val := e.meta.value
	switch {
	case opt.Persist:
		w.persist(&e, key)
	case !opt.ExpireAt.IsZero() && w.pastTime(exp):
		w.deleteKey(&e)
		w.propagate(cmdDel, key)
	default:
		w.setExpire(&e, key, exp)
	}
	return val, nil
}

// MGet returns the values of keys, nil for a key that is missing or holds
// another type.
func (o *Ops) MGet(keys ...[]byte) ([][]byte, error) { return o.strings(keys, false) }

// Strings returns the string values of keys, read at one instant: nil for
// a missing key. Errors: ErrWrongType if any key holds another type.
func (o *Ops) Strings(keys ...[]byte) ([][]byte, error) { return o.strings(keys, true) }

func (o *Ops) strings(keys [][]byte, strict bool) (_ [][]byte, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	out := make([][]byte, len(keys))
	for i, k := range keys {
		e, err := v.lookupType(k, TypeString)
		if err == ErrWrongType && !strict {
			continue
		}
		if err != nil {
			return nil, err
		}
		if e.state == live {
			out[i] = e.meta.value
		}
	}
	return out, nil
}

// MSet sets several keys at once, atomically; kv alternates keys and values.
// When a key appears twice, the last value wins. Errors: ErrSyntax for an odd
// number of arguments.
func (o *Ops) MSet(kv ...[]byte) error {
	_, err := o.mset(kv, false)
	return err
}

// MSetNX is MSet that writes nothing if any of the keys exists. It reports
// whether it wrote.
func (o *Ops) MSetNX(kv ...[]byte) (bool, error) { return o.mset(kv, true) }

func (o *Ops) mset(kv [][]byte, nx bool) (bool, error) {
	if len(kv) == 0 || len(kv)%2 != 0 {
		return false, ErrSyntax
	}
	w, err := o.beginWrite()
	if err != nil {
		return false, err
	}
	defer o.abandon(w.seq)
	ok, err := w.mset(kv, nx)
	return ok, o.endWrite(w, err)
}

func (w *writer) mset(kv [][]byte, nx bool) (bool, error) {
	pairs := lastPairs(kv)
	entries := make([]entry, len(pairs))
	for i, p := range pairs {
		e, err := w.lookupWrite(kv[p])
		if err != nil {
			return false, err
		}
		if nx && e.state == live {
			return false, nil
		}
		entries[i] = e
	}
	for i, p := range pairs {
		w.put(&entries[i], meta{typ: TypeString, value: kv[p+1]})
	}
	w.propagate(append([][]byte{cmdMSet}, kv...)...)
	return true, nil
}

// lastPairs returns the index in kv of each key's last occurrence, so that a
// command touching a key twice reads and writes it once.
func lastPairs(kv [][]byte) []int {
	if len(kv) == 2 {
		return []int{0}
	}
	seen := make(map[string]bool, len(kv)/2)
	var idx []int
	for i := len(kv) - 2; i >= 0; i -= 2 {
		if !seen[string(kv[i])] {
			seen[string(kv[i])] = true
			idx = append(idx, i)
		}
	}
	return idx
}

// Append appends value to the string at key (creating it) and returns the
// new length. Errors: ErrWrongType, ErrStringTooLong.
func (o *Ops) Append(key, value []byte) (int64, error) {
	w, err := o.beginWrite()
	if err != nil {
		return 0, err
	}
	defer o.abandon(w.seq)
	n, err := w.appendString(key, value)
	return n, o.endWrite(w, err)
}

func (w *writer) appendString(key, value []byte) (int64, error) {
	e, err := w.lookupWriteType(key, TypeString)
	if err != nil {
		return 0, err
	}
	var nv []byte
	if e.state == live {
		if int64(len(e.meta.value))+int64(len(value)) > w.db.opts.ProtoMaxBulkLen {
			return 0, ErrStringTooLong
		}
		nv = append(e.meta.value[:len(e.meta.value):len(e.meta.value)], value...)
	} else {
		nv = value
	}
	w.put(&e, meta{typ: TypeString, value: nv, expire: e.meta.expire})
	w.propagate([]byte("APPEND"), key, value)
	return int64(len(nv)), nil
}

// StrLen returns the length of the string at key, 0 if it is missing.
// Errors: ErrWrongType.
func (o *Ops) StrLen(key []byte) (_ int64, err error) {
	v, err := o.beginRead()
	if err != nil {
		return 0, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeString)
	return int64(len(e.meta.value)), err
}

// IncrBy adds n to the integer at key (a missing key counts as 0) and returns
// the result. Errors: ErrWrongType, ErrNotInteger, ErrOverflow.
func (o *Ops) IncrBy(key []byte, n int64) (int64, error) {
	w, err := o.beginWrite()
	if err != nil {
		return 0, err
	}
	defer o.abandon(w.seq)
	r, err := w.incrBy(key, n)
	return r, o.endWrite(w, err)
}

func (w *writer) incrBy(key []byte, n int64) (int64, error) {
	e, err := w.lookupWriteType(key, TypeString)
	if err != nil {
		return 0, err
	}
	var cur int64
	if e.state == live {
		var ok bool
		if cur, ok = redisnum.ParseInt(e.meta.value); !ok {
			return 0, ErrNotInteger
		}
	}
	r, ok := addInt(cur, n)
	if !ok {
		return 0, ErrOverflow
	}
	nb := redisnum.AppendInt(nil, n)
	w.put(&e, meta{typ: TypeString, value: redisnum.AppendInt(nil, r), expire: e.meta.expire})
	w.propagate([]byte("INCRBY"), key, nb)
	return r, nil
}

// addInt adds with Redis's overflow rule.
func addInt(a, b int64) (int64, bool) {
	if b < 0 && a < 0 && b < math.MinInt64-a || b > 0 && a > 0 && b > math.MaxInt64-a {
		return 0, false
	}
	return a + b, true
}

// IncrByFloat adds incr to the number at key and returns the result. The
// arithmetic is Redis's (see IncrByFloatText); incr is taken as its shortest
// decimal form, so 0.1 means 0.1. Errors: ErrWrongType, ErrNotFloat, ErrNaN.
func (o *Ops) IncrByFloat(key []byte, incr float64) (float64, error) {
	s, err := o.IncrByFloatText(key, strconv.AppendFloat(nil, incr, 'g', -1, 64))
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(string(s), 64)
}

// IncrByFloatText is INCRBYFLOAT with the increment and the result in the
// text form Redis uses: the sum is computed in 80-bit extended precision and
// printed with up to 17 decimals, exactly as a stock server does. Errors:
// ErrWrongType, ErrNotFloat (for the stored value or incr), ErrNaN.
func (o *Ops) IncrByFloatText(key, incr []byte) ([]byte, error) {
	w, err := o.beginWrite()
	if err != nil {
		return nil, err
	}
	defer o.abandon(w.seq)
	r, err := w.incrByFloat(key, incr)
	return r, o.endWrite(w, err)
}

func (w *writer) incrByFloat(key, incr []byte) ([]byte, error) {
	e, err := w.lookupWriteType(key, TypeString)
	if err != nil {
		return nil, err
	}
	var cur redisnum.LongDouble
	if e.state == live {
		var ok bool
		if cur, ok = redisnum.ParseLongDouble(e.meta.value); !ok {
			return nil, ErrNotFloat
		}
	}
	inc, ok := redisnum.ParseLongDouble(incr)
	if !ok {
		return nil, ErrNotFloat
	}
	sum, ok := redisnum.Add(cur, inc)
	if !ok {
		return nil, ErrNaN
	}
	nv := sum.AppendHuman(nil)
	w.putString(&e, key, nv, e.meta.expire)
	return nv, nil
}

// GetRange returns the bytes of the string at key from start to end
// inclusive; negative positions count from the end. A missing key gives an
// empty result. Errors: ErrWrongType.
func (o *Ops) GetRange(key []byte, start, end int64) (_ []byte, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeString)
	if err != nil {
		return nil, err
	}
	s := e.meta.value
	n := int64(len(s))
	if start < 0 && end < 0 && start > end {
		return []byte{}, nil
	}
	if start < 0 {
		start = max(n+start, 0)
	}
	if end < 0 {
		end = max(n+end, 0)
	}
	end = min(end, n-1)
	if start > end || n == 0 {
		return []byte{}, nil
	}
	return s[start : end+1], nil
}

// SetRange overwrites the string at key from offset on with value, padding
// with zero bytes, and returns the new length. Errors: ErrWrongType,
// ErrOffsetRange, ErrStringTooLong.
func (o *Ops) SetRange(key []byte, offset int64, value []byte) (int64, error) {
	if offset < 0 {
		return 0, ErrOffsetRange
	}
	w, err := o.beginWrite()
	if err != nil {
		return 0, err
	}
	defer o.abandon(w.seq)
	n, err := w.setRange(key, offset, value)
	return n, o.endWrite(w, err)
}

func (w *writer) setRange(key []byte, offset int64, value []byte) (int64, error) {
	e, err := w.lookupWriteType(key, TypeString)
	if err != nil {
		return 0, err
	}
	old := e.meta.value
	if len(value) == 0 {
		return int64(len(old)), nil
	}
	// Compared without adding, as Redis's checkStringLength guards its sum:
	// offset+len(value) overflows for an offset near MaxInt64, and the
	// wrapped sum would pass the check and slice out of range.
	if offset > w.db.opts.ProtoMaxBulkLen-int64(len(value)) {
		return 0, ErrStringTooLong
	}
	nv := make([]byte, max(int64(len(old)), offset+int64(len(value))))
	copy(nv, old)
	copy(nv[offset:], value)
	w.put(&e, meta{typ: TypeString, value: nv, expire: e.meta.expire})
	w.propagate([]byte("SETRANGE"), key, strconv.AppendInt(nil, offset, 10), value)
	return int64(len(nv)), nil
}
