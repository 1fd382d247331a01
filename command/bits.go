package command

import (
	"errors"

	"github.com/shinglekv/shingle/internal/bitmap"
	"github.com/shinglekv/shingle/store"
)

var bitCommands = []*Command{
	{Name: "setbit", Arity: 4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write bitmap slow"), Run: setbit},
	{Name: "getbit", Arity: 3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read bitmap fast"), Run: getbit},
	{Name: "bitcount", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read bitmap slow"), Run: bitcount},
	{Name: "bitpos", Arity: -3, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read bitmap slow"), Run: bitpos},
	{Name: "bitop", Arity: -4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 2, LastKey: -1, Step: 1, Categories: cats("write bitmap slow"), Run: bitop},
	{Name: "bitfield", Arity: -2, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write bitmap slow"), Run: bitfield},
	{Name: "bitfield_ro", Arity: -2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read bitmap fast"), Run: bitfield},
	{Name: "lcs", Arity: -3, Flags: FlagReadOnly, FirstKey: 1, LastKey: 2, Step: 1, Categories: cats("read string slow"), Run: lcs},
}

var (
	errBitOffset = ErrReply(store.ErrBitOffset)
	errBitValue  = ErrorReply("ERR bit is not an integer or out of range")
	errBitArg    = ErrorReply("ERR The bit argument must be 1 or 0.")
)

// bitOffset parses a bit offset as Redis's getBitOffsetFromArgument: with
// hash, "#n" means n fields of width bits.
func bitOffset(c *Ctx, arg []byte, hash bool, width uint) (uint64, bool) {
	h := hash && len(arg) > 0 && arg[0] == '#'
	if h {
		arg = arg[1:]
	}
	n, ok := parseInt(arg)
	if !ok {
		return 0, false
	}
	if h {
		n *= int64(width) // wraps as Redis's does, and is then refused below
	}
	if n < 0 || n>>3 >= c.DB.ProtoMaxBulkLen() {
		return 0, false
	}
	return uint64(n), true
}

func setbit(c *Ctx, args [][]byte) Reply {
	off, ok := bitOffset(c, args[2], false, 0)
	if !ok {
		return errBitOffset
	}
	on, ok := parseInt(args[3])
	if !ok || on&^1 != 0 {
		return errBitValue
	}
	return intReply(c.Ops.SetBit(args[1], int64(off), on == 1))
}

// stringOf reads one key's string: nil and false when it is missing.
func stringOf(c *Ctx, key []byte) ([]byte, bool, error) {
	v, err := c.Ops.Get(key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	return v, err == nil, err
}

func getbit(c *Ctx, args [][]byte) Reply {
	off, ok := bitOffset(c, args[2], false, 0)
	if !ok {
		return errBitOffset
	}
	v, _, err := stringOf(c, args[1])
	if err != nil {
		return ErrReply(err)
	}
	return Int(bitmap.Bit(v, off))
}

// bitRange parses BITCOUNT's and BITPOS's [start [end [BYTE|BIT]]] in
// args (start, end when given, unit when given).
func bitRange(args [][]byte) (*bitmap.Range, *Reply) {
	if len(args) == 0 {
		return nil, nil
	}
	r := &bitmap.Range{}
	var ok bool
	if r.Start, ok = parseInt(args[0]); !ok {
		return nil, &errNotInt
	}
	if len(args) == 3 {
		switch {
		case is(args[2], "bit"):
			r.InBits = true
		case is(args[2], "byte"):
		default:
			return nil, &errSyntax
		}
	}
	if len(args) >= 2 {
		if r.End, ok = parseInt(args[1]); !ok {
			return nil, &errNotInt
		}
		r.EndGiven = true
	}
	return r, nil
}

// BITCOUNT key [start end [BYTE|BIT]]. As in Redis 7.0 the key is read
// first: a missing key counts 0 whatever the arguments.
func bitcount(c *Ctx, args [][]byte) Reply {
	v, ok, err := stringOf(c, args[1])
	switch {
	case err != nil:
		return ErrReply(err)
	case !ok:
		return Int(0)
	case len(args) == 3 || len(args) > 5:
		return errSyntax
	}
	var r *bitmap.Range
	if len(args) > 2 {
		// Both integers first, then the empty negative range, then the
		// unit, in Redis's order.
		start, ok1 := parseInt(args[2])
		end, ok2 := parseInt(args[3])
		if !ok1 || !ok2 {
			return errNotInt
		}
		if start < 0 && end < 0 && start > end {
			return Int(0)
		}
		var e *Reply
		if r, e = bitRange(args[2:]); e != nil {
			return *e
		}
	}
	return Int(bitmap.Count(v, r))
}

// BITPOS key bit [start [end [BYTE|BIT]]]. A missing key is all zeros.
func bitpos(c *Ctx, args [][]byte) Reply {
	bit, ok := parseInt(args[2])
	if !ok {
		return errNotInt
	}
	if bit != 0 && bit != 1 {
		return errBitArg
	}
	v, ok, err := stringOf(c, args[1])
	switch {
	case err != nil:
		return ErrReply(err)
	case !ok && bit == 1:
		return Int(-1)
	case !ok:
		return Int(0)
	case len(args) > 6:
		return errSyntax
	}
	r, e := bitRange(args[3:])
	if e != nil {
		return *e
	}
	return Int(bitmap.Pos(v, int(bit), r))
}

var bitOps = map[string]bitmap.Op{"and": bitmap.And, "or": bitmap.Or, "xor": bitmap.Xor, "not": bitmap.Not}

// BITOP op destkey key [key ...]
func bitop(c *Ctx, args [][]byte) Reply {
	op, ok := bitOps[lower(args[1])]
	if !ok {
		return errSyntax
	}
	if op == bitmap.Not && len(args) != 4 {
		return ErrorReply("ERR BITOP NOT must be called with a single source key.")
	}
	return intReply(c.Ops.BitOp(op, args[2], args[3:]...))
}

var errBitFieldType = ErrorReply("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")

// bitFieldType parses a BITFIELD type: i1-i64, u1-u63.
func bitFieldType(arg []byte) (bitmap.Field, bool) {
	if len(arg) == 0 || arg[0] != 'i' && arg[0] != 'u' {
		return bitmap.Field{}, false
	}
	f := bitmap.Field{Signed: arg[0] == 'i'}
	n, ok := parseInt(arg[1:])
	if !ok || n < 1 || f.Signed && n > 64 || !f.Signed && n > 63 {
		return bitmap.Field{}, false
	}
	f.Bits = uint(n)
	return f, true
}

// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type
// offset increment] [OVERFLOW WRAP|SAT|FAIL] ..., and BITFIELD_RO (GET
// only).
func bitfield(c *Ctx, args [][]byte) Reply {
	var ops []store.BitFieldOp
	ow := bitmap.Wrap
	readOnly := true
	for j := 2; j < len(args); j++ {
		rem := len(args) - j - 1
		var op store.BitFieldOp
		switch {
		case is(args[j], "get") && rem >= 2:
			op.Kind = store.BitFieldGet
		case is(args[j], "set") && rem >= 3:
			op.Kind = store.BitFieldSet
		case is(args[j], "incrby") && rem >= 3:
			op.Kind = store.BitFieldIncrBy
		case is(args[j], "overflow") && rem >= 1:
			j++
			switch {
			case is(args[j], "wrap"):
				ow = bitmap.Wrap
			case is(args[j], "sat"):
				ow = bitmap.Sat
			case is(args[j], "fail"):
				ow = bitmap.Fail
			default:
				return ErrorReply("ERR Invalid OVERFLOW type specified")
			}
			continue
		default:
			return errSyntax
		}
		f, ok := bitFieldType(args[j+1])
		if !ok {
			return errBitFieldType
		}
		if f.Offset, ok = bitOffset(c, args[j+2], true, f.Bits); !ok {
			return errBitOffset
		}
		op.Field, op.Overflow = f, ow
		if op.Kind != store.BitFieldGet {
			readOnly = false
			if op.Value, ok = parseInt(args[j+3]); !ok {
				return errNotInt
			}
			j++
		}
		j += 2
		ops = append(ops, op)
	}
	if !readOnly && is(args[0], "bitfield_ro") {
		return ErrorReply("ERR BITFIELD_RO only supports the GET subcommand")
	}
	res, err := c.Ops.BitField(args[1], ops)
	if err != nil {
		return ErrReply(err)
	}
	out := make([]Reply, len(res))
	for i, r := range res {
		if r.Failed {
			out[i] = Null()
		} else {
			out[i] = Int(r.Value)
		}
	}
	return Array(out...)
}

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
func lcs(c *Ctx, args [][]byte) Reply {
	vals, err := c.Ops.Strings(args[1], args[2])
	if errors.Is(err, store.ErrWrongType) {
		return ErrorReply("ERR The specified keys must contain string values")
	}
	if err != nil {
		return ErrReply(err)
	}
	var getLen, getIdx, withLen bool
	var minLen int64
	for j := 3; j < len(args); j++ {
		more := j+1 < len(args)
		switch {
		case is(args[j], "idx"):
			getIdx = true
		case is(args[j], "len"):
			getLen = true
		case is(args[j], "withmatchlen"):
			withLen = true
		case is(args[j], "minmatchlen") && more:
			n, ok := parseInt(args[j+1])
			if !ok {
				return errNotInt
			}
			minLen = max(n, 0)
			j++
		default:
			return errSyntax
		}
	}
	if getLen && getIdx {
		return ErrorReply("ERR If you want both the length and indexes, please just use IDX.")
	}
	a, b := vals[0], vals[1]
	if (int64(len(a))+1)*(int64(len(b))+1)*4 > c.DB.ProtoMaxBulkLen() {
		return ErrorReply("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
	}
	m := lcsMatch(a, b, getIdx, withLen, minLen)
	switch {
	case getIdx:
		return Map(BulkString("matches"), Array(m.ranges...), BulkString("len"), Int(m.length))
	case getLen:
		return Int(m.length)
	}
	return Bulk(m.text)
}

type lcsResult struct {
	length int64
	text   []byte
	ranges []Reply
}

// lcsMatch computes the longest common subsequence of a and b by Redis's
// table and walk back from the end, which decides which of several equal
// answers is given, and the ranges IDX reports, last first.
func lcsMatch(a, b []byte, idx, withLen bool, minLen int64) lcsResult {
	w := len(b) + 1
	dp := make([]uint32, (len(a)+1)*w)
	at := func(i, j int) uint32 { return dp[j+i*w] }
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			switch {
			case a[i-1] == b[j-1]:
				dp[j+i*w] = at(i-1, j-1) + 1
			default:
				dp[j+i*w] = max(at(i-1, j), at(i, j-1))
			}
		}
	}
	n := at(len(a), len(b))
	res := lcsResult{length: int64(n), text: make([]byte, n)}
	k := n
	aStart, aEnd, bStart, bEnd := len(a), 0, 0, 0 // aStart == len(a): no range open
	for i, j := len(a), len(b); i > 0 && j > 0; {
		emit := false
		if a[i-1] == b[j-1] {
			res.text[k-1] = a[i-1]
			if aStart == len(a) {
				aStart, aEnd, bStart, bEnd = i-1, i-1, j-1, j-1
			} else if aStart == i && bStart == j {
				aStart--
				bStart--
			} else {
				emit = true
			}
			if aStart == 0 || bStart == 0 {
				emit = true
			}
			k, i, j = k-1, i-1, j-1
		} else {
			if at(i-1, j) > at(i, j-1) {
				i--
			} else {
				j--
			}
			emit = aStart != len(a)
		}
		if emit {
			matchLen := int64(aEnd - aStart + 1)
			if idx && (minLen == 0 || matchLen >= minLen) {
				r := []Reply{
					Array(Int(int64(aStart)), Int(int64(aEnd))),
					Array(Int(int64(bStart)), Int(int64(bEnd))),
				}
				if withLen {
					r = append(r, Int(matchLen))
				}
				res.ranges = append(res.ranges, Array(r...))
			}
			aStart = len(a)
		}
	}
	return res
}
