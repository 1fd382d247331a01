package command

import (
	"errors"
	"math"

	"github.com/shinglekv/shingle/store"
)

// The list commands that do not block. BLPOP, BRPOP, BLMOVE, BRPOPLPUSH
// and BLMPOP are not here yet.
var listCommands = []*Command{
	{Name: "lpush", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write list fast"), Run: push(true, false)},
	{Name: "rpush", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write list fast"), Run: push(false, false)},
	{Name: "lpushx", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write list fast"), Run: push(true, true)},
	{Name: "rpushx", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write list fast"), Run: push(false, true)},
	{Name: "lpop", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write list fast"), Run: pop(true)},
	{Name: "rpop", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write list fast"), Run: pop(false)},
	{Name: "llen", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read list fast"), Run: llen},
	{Name: "lrange", Arity: 4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read list slow"), Run: lrange},
	{Name: "lindex", Arity: 3, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read list slow"), Run: lindex},
	{Name: "lset", Arity: 4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write list slow"), Run: lset},
	{Name: "linsert", Arity: 5, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write list slow"), Run: linsert},
	{Name: "lrem", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write list slow"), Run: lrem},
	{Name: "ltrim", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write list slow"), Run: ltrim},
	{Name: "lpos", Arity: -3, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read list slow"), Run: lpos},
	{Name: "lmove", Arity: 5, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Categories: cats("write list slow"), Run: lmove},
	{Name: "rpoplpush", Arity: 3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Categories: cats("write list slow"), Run: lmove},
	{Name: "lmpop", Arity: -4, Flags: FlagWrite, MovableKeys: numKeys(1), Categories: cats("write list slow"), Run: lmpop},
}

func push(left, mustExist bool) func(c *Ctx, args [][]byte) Reply {
	return func(c *Ctx, args [][]byte) Reply {
		return intReply(c.Ops.Push(args[1], left, mustExist, args[2:]...))
	}
}

// LPOP/RPOP key [count]: one element or nil without a count; with one, an
// array, or a null array for a missing key.
func pop(left bool) func(c *Ctx, args [][]byte) Reply {
	return func(c *Ctx, args [][]byte) Reply {
		if len(args) > 3 {
			return WrongArgs(lower(args[0]))
		}
		count := int64(1)
		if len(args) == 3 {
			n, ok := parseInt(args[2])
			if !ok || n < 0 {
				return ErrReply(store.ErrValueOutOfRange)
			}
			count = n
		}
		els, err := c.Ops.Pop(args[1], left, count)
		switch {
		case err != nil:
			return ErrReply(err)
		case len(args) == 2 && len(els) == 0:
			return Null()
		case len(args) == 2:
			return Bulk(els[0])
		case els == nil:
			return Reply{Kind: KindNullArray}
		}
		return BulkArray(els)
	}
}

func llen(c *Ctx, args [][]byte) Reply { return intReply(c.Ops.LLen(args[1])) }

func lrange(c *Ctx, args [][]byte) Reply {
	start, ok1 := parseInt(args[2])
	stop, ok2 := parseInt(args[3])
	if !ok1 || !ok2 {
		return errNotInt
	}
	els, err := c.Ops.LRange(args[1], start, stop)
	if err != nil {
		return ErrReply(err)
	}
	return BulkArray(els)
}

// LINDEX key index: as in Redis, the key is looked up before the index
// is parsed.
func lindex(c *Ctx, args [][]byte) Reply {
	i, ok := parseInt(args[2])
	if !ok {
		if r, done := checkKeyType(c, args[1], store.TypeList, Null()); done {
			return r
		}
		return errNotInt
	}
	return valueReply(c.Ops.LIndex(args[1], i))
}

// LSET key index element: the key is looked up before the index is
// parsed, as in Redis.
func lset(c *Ctx, args [][]byte) Reply {
	i, ok := parseInt(args[2])
	if !ok {
		if r, done := checkKeyType(c, args[1], store.TypeList, ErrReply(store.ErrNoSuchKey)); done {
			return r
		}
		return errNotInt
	}
	return okReply(c.Ops.LSet(args[1], i, args[3]))
}

func linsert(c *Ctx, args [][]byte) Reply {
	var before bool
	switch {
	case is(args[2], "before"):
		before = true
	case is(args[2], "after"):
	default:
		return errSyntax
	}
	return intReply(c.Ops.LInsert(args[1], before, args[3], args[4]))
}

func lrem(c *Ctx, args [][]byte) Reply {
	n, ok := parseInt(args[2])
	if !ok {
		return errNotInt
	}
	return intReply(c.Ops.LRem(args[1], n, args[3]))
}

func ltrim(c *Ctx, args [][]byte) Reply {
	start, ok1 := parseInt(args[2])
	stop, ok2 := parseInt(args[3])
	if !ok1 || !ok2 {
		return errNotInt
	}
	return okReply(c.Ops.LTrim(args[1], start, stop))
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
func lpos(c *Ctx, args [][]byte) Reply {
	opt := store.LPosOptions{Rank: 1}
	withCount := false
	for j := 3; j < len(args); j += 2 {
		if j+1 >= len(args) {
			return errSyntax
		}
		n, ok := parseInt(args[j+1])
		switch {
		case is(args[j], "rank"):
			switch {
			case !ok:
				return errNotInt
			case n == math.MinInt64:
				n = -1 // as Redis 7.0 takes it: its negation overflows, and every match counts from the tail
			case n == 0:
				return ErrorReply("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
			}
			opt.Rank = n
		case is(args[j], "count"):
			if !ok || n < 0 { // Redis's message for a non-integer too
				return ErrorReply("ERR COUNT can't be negative")
			}
			opt.Count, withCount = n, true
		case is(args[j], "maxlen"):
			if !ok || n < 0 {
				return ErrorReply("ERR MAXLEN can't be negative")
			}
			opt.MaxLen = n
		default:
			return errSyntax
		}
	}
	if !withCount {
		opt.Count = 1
	}
	idx, err := c.Ops.LPos(args[1], args[2], opt)
	switch {
	case err != nil:
		return ErrReply(err)
	case !withCount && len(idx) == 0:
		return Null()
	case !withCount:
		return Int(idx[0])
	}
	out := make([]Reply, len(idx))
	for i, n := range idx {
		out[i] = Int(n)
	}
	return Array(out...)
}

// side parses LEFT or RIGHT.
func side(arg []byte) (left, ok bool) {
	switch {
	case is(arg, "left"):
		return true, true
	case is(arg, "right"):
		return false, true
	}
	return false, false
}

// LMOVE src dst LEFT|RIGHT LEFT|RIGHT, and RPOPLPUSH src dst.
func lmove(c *Ctx, args [][]byte) Reply {
	from, to := false, true // RPOPLPUSH
	if len(args) == 5 {
		var ok1, ok2 bool
		from, ok1 = side(args[3])
		to, ok2 = side(args[4])
		if !ok1 || !ok2 {
			return errSyntax
		}
	}
	el, err := c.Ops.LMove(args[1], args[2], from, to)
	if errors.Is(err, store.ErrNotFound) {
		return Null()
	}
	if err != nil {
		return ErrReply(err)
	}
	return Bulk(el)
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
func lmpop(c *Ctx, args [][]byte) Reply {
	keys, left, count, e := parseMPop(args[1:], side)
	if e != nil {
		return *e
	}
	return lmpopReply(c.Ops.LMPop(keys, left, count))
}

func lmpopReply(key []byte, els [][]byte, err error) Reply {
	switch {
	case err != nil:
		return ErrReply(err)
	case key == nil:
		return Reply{Kind: KindNullArray}
	}
	return Array(Bulk(key), BulkArray(els))
}

// parseMPop parses the arguments of LMPOP and ZMPOP from numkeys on:
// numkeys key [key ...] WHERE [COUNT count], WHERE read by where (LEFT or
// RIGHT, MIN or MAX), with Redis 7.0's checks in its order.
func parseMPop(args [][]byte, where func([]byte) (bool, bool)) ([][]byte, bool, int64, *Reply) {
	n, ok := parseInt(args[0])
	switch {
	case !ok || n <= 0:
		return nil, false, 0, &errNumKeysZero
	case n >= int64(len(args)-1): // no room for WHERE
		return nil, false, 0, &errSyntax
	}
	rest := args[1+n:]
	which, ok := where(rest[0])
	if !ok {
		return nil, false, 0, &errSyntax
	}
	count := int64(1)
	switch {
	case len(rest) == 3 && is(rest[1], "count"):
		m, ok := parseInt(rest[2])
		if !ok || m <= 0 {
			e := ErrorReply("ERR count should be greater than 0")
			return nil, false, 0, &e
		}
		count = m
	case len(rest) != 1:
		return nil, false, 0, &errSyntax
	}
	return args[1 : 1+n], which, count, nil
}
