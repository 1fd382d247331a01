package store

import (
	"strconv"

	"github.com/shinglekv/shingle/internal/bitmap"
)

// ErrBitOffset is Redis's error for a bit offset that is negative or whose
// byte lies at or past proto-max-bulk-len: it is checked before anything is
// allocated.
var ErrBitOffset = newError("ERR bit offset is not an integer or out of range")

// ProtoMaxBulkLen is the longest string the store takes
// (Options.ProtoMaxBulkLen).
func (db *DB) ProtoMaxBulkLen() int64 { return db.opts.ProtoMaxBulkLen }

// checkBitOffset reports ErrBitOffset for an offset out of range.
func (db *DB) checkBitOffset(offset int64) error {
	if offset < 0 || offset>>3 >= db.opts.ProtoMaxBulkLen {
		return ErrBitOffset
	}
	return nil
}

// SetBit sets (on) or clears the bit at offset of key's string, creating
// it or padding it with zero bytes to reach the bit, and returns the old
// bit (SETBIT). The key's TTL is kept. Errors: ErrBitOffset, ErrWrongType.
func (o *Ops) SetBit(key []byte, offset int64, on bool) (int64, error) {
	if err := o.db.checkBitOffset(offset); err != nil {
		return 0, err
	}
	return write(o, func(w *writer) (int64, error) { return w.setBit(key, offset, on) })
}

func (w *writer) setBit(key []byte, offset int64, on bool) (int64, error) {
	e, err := w.lookupWriteType(key, TypeString)
	if err != nil {
		return 0, err
	}
	cur := e.meta.value
	old := bitmap.Bit(cur, uint64(offset))
	grow := e.state != live || offset>>3 >= int64(len(cur))
	if !grow && (old == 1) == on {
		return old, nil // nothing changes
	}
	w.editString(&e, offset>>3+1, func(v []byte) { bitmap.SetBit(v, uint64(offset), on) })
	bit := []byte("0")
	if on {
		bit = []byte("1")
	}
	w.propagate([]byte("SETBIT"), key, strconv.AppendInt(nil, offset, 10), bit)
	return old, nil
}

// BitOp is BITOP: it stores in dest the bitwise op of the strings at keys
// (missing keys are empty strings, shorter ones are padded with zeros),
// and returns the result's length. An empty result deletes dest. dest
// loses any TTL. Errors: ErrWrongType, ErrSyntax for Not with other than
// one key or no keys at all.
func (o *Ops) BitOp(op bitmap.Op, dest []byte, keys ...[]byte) (int64, error) {
	if len(keys) == 0 || op == bitmap.Not && len(keys) != 1 {
		return 0, ErrSyntax
	}
	return write(o, func(w *writer) (int64, error) { return w.bitOp(op, dest, keys) })
}

func (w *writer) bitOp(op bitmap.Op, dest []byte, keys [][]byte) (int64, error) {
	// A key named twice is looked up once: the writer does not read its
	// own batch, and an expired key's deletion must happen once.
	seen := map[string]*entry{}
	srcs := make([][]byte, len(keys))
	for i, k := range keys {
		e := seen[string(k)]
		if e == nil {
			found, err := w.lookupWriteType(k, TypeString)
			if err != nil {
				return 0, err
			}
			e = &found
			seen[string(k)] = e
		}
		srcs[i] = e.meta.value
	}
	res := bitmap.Apply(op, srcs)
	e := seen[string(dest)]
	if e == nil {
		found, err := w.lookupWrite(dest)
		if err != nil {
			return 0, err
		}
		e = &found
	}
	if len(res) == 0 {
		if e.state == live {
			w.deleteKey(e)
			w.propagate(cmdDel, dest)
		}
		return 0, nil
	}
	w.put(e, meta{typ: TypeString, value: res})
	w.propagate(cmdSet, dest, res)
	return int64(len(res)), nil
}

// BitFieldOp is one operation of BITFIELD: a GET, a SET (Value) or an
// INCRBY (Value) of Field, under Overflow.
type BitFieldOp struct {
	Kind     BitFieldKind
	Field    bitmap.Field
	Value    int64
	Overflow bitmap.Overflow
}

// BitFieldKind is a BITFIELD subcommand.
type BitFieldKind int

const (
	BitFieldGet BitFieldKind = iota
	BitFieldSet
	BitFieldIncrBy
)

// BitFieldResult is one reply of BITFIELD: a value, or none (Failed) where
// OVERFLOW FAIL stopped a write.
type BitFieldResult struct {
	Value  int64
	Failed bool
}

// BitField runs ops on key's string in order (BITFIELD), creating it or
// padding it with zero bytes to reach the farthest field written, and
// returns one result per op: GET the value, SET the old value, INCRBY the
// new one. The key's TTL is kept. Errors: ErrBitOffset, ErrWrongType.
func (o *Ops) BitField(key []byte, ops []BitFieldOp) ([]BitFieldResult, error) {
	var reach int64 = -1 // the farthest bit written
	for _, op := range ops {
		if op.Field.Offset>>3 >= uint64(o.db.opts.ProtoMaxBulkLen) {
			return nil, ErrBitOffset
		}
		if op.Kind != BitFieldGet {
			reach = max(reach, int64(op.Field.Offset)+int64(op.Field.Bits)-1)
		}
	}
	if reach < 0 { // reads only
		vals, err := o.Strings(key)
		if err != nil {
			return nil, err
		}
		out := make([]BitFieldResult, len(ops))
		for i, op := range ops {
			out[i].Value = op.Field.Get(vals[0])
		}
		return out, nil
	}
	return write(o, func(w *writer) ([]BitFieldResult, error) { return w.bitField(key, ops, reach) })
}

func (w *writer) bitField(key []byte, ops []BitFieldOp, reach int64) ([]BitFieldResult, error) {
	e, err := w.lookupWriteType(key, TypeString)
	if err != nil {
		return nil, err
	}
	cur := e.meta.value
	nv := cur
	if int64(len(cur)) <= reach>>3 {
		nv = make([]byte, reach>>3+1)
		copy(nv, cur)
	} else {
		nv = append([]byte(nil), cur...)
	}
	changed := e.state != live || len(nv) > len(cur)
	out := make([]BitFieldResult, len(ops))
	cmd := [][]byte{[]byte("BITFIELD"), key}
	for i, op := range ops {
		old := op.Field.Get(nv)
		if op.Kind == BitFieldGet {
			out[i].Value = old
			continue
		}
		var next int64
		var over bool
		if op.Kind == BitFieldIncrBy {
			next, over = op.Field.Add(old, op.Value, op.Overflow)
			out[i].Value = next
		} else {
			next, over = op.Field.Add(op.Value, 0, op.Overflow)
			out[i].Value = old
		}
		if over && op.Overflow == bitmap.Fail {
			out[i] = BitFieldResult{Failed: true}
			continue
		}
		op.Field.Set(nv, next)
		changed = changed || next != old
		// Replayed as a SET of the value written: the replica needs no
		// overflow rule, and reaches the same bits.
		cmd = append(cmd, []byte("SET"), fieldType(op.Field), strconv.AppendUint(nil, op.Field.Offset, 10),
			strconv.AppendInt(nil, next, 10))
	}
	if changed {
		w.put(&e, meta{typ: TypeString, value: nv, expire: e.meta.expire})
		if len(cmd) == 2 { // grown by writes that all failed: the padding alone
			cmd = append(cmd, []byte("SET"), []byte("u1"), strconv.AppendInt(nil, reach, 10),
				strconv.AppendInt(nil, bitmap.Bit(nv, uint64(reach)), 10))
		}
		w.propagate(cmd...)
	}
	return out, nil
}

// fieldType is f's BITFIELD type argument: i8, u16, ...
func fieldType(f bitmap.Field) []byte {
	t := []byte("u")
	if f.Signed {
		t = []byte("i")
	}
	return strconv.AppendUint(t, uint64(f.Bits), 10)
}
