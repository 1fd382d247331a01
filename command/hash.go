package command

import (
	"math"

	"github.com/shinglekv/shingle/store"
)

var hashCommands = []*Command{
	{Name: "hset", Arity: -4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write hash fast"), Run: hset},
	{Name: "hmset", Arity: -4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write hash fast"), Run: hset},
	{Name: "hsetnx", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write hash fast"), Run: hsetnx},
	{Name: "hget", Arity: 3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read hash fast"), Run: hget},
	{Name: "hmget", Arity: -3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read hash fast"), Run: hmget},
	{Name: "hgetall", Arity: 2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read hash slow"), Run: hgetall},
	{Name: "hdel", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write hash fast"), Run: hdel},
	{Name: "hlen", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read hash fast"), Run: hlen},
	{Name: "hexists", Arity: 3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read hash fast"), Run: hexists},
	{Name: "hkeys", Arity: 2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read hash slow"), Run: hkeys},
	{Name: "hvals", Arity: 2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read hash slow"), Run: hvals},
	{Name: "hincrby", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write hash fast"), Run: hincrby},
	{Name: "hincrbyfloat", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write hash fast"), Run: hincrbyfloat},
	{Name: "hstrlen", Arity: 3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read hash fast"), Run: hstrlen},
	{Name: "hscan", Arity: -3, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read hash slow"), Run: hscan},
	{Name: "hrandfield", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read hash slow"), Run: hrandfield},
}

// hset serves HSET (the number of new fields) and HMSET (OK).
func hset(c *Ctx, args [][]byte) Reply {
	if len(args)%2 != 0 {
		return WrongArgs(lower(args[0]))
	}
	n, err := c.Ops.HSet(args[1], args[2:]...)
	if err != nil {
		return ErrReply(err)
	}
	if is(args[0], "hmset") {
		return OK
	}
	return Int(n)
}

func hsetnx(c *Ctx, args [][]byte) Reply {
	return boolReply(c.Ops.HSetNX(args[1], args[2], args[3]))
}

func hget(c *Ctx, args [][]byte) Reply { return valueReply(c.Ops.HGet(args[1], args[2])) }

func hmget(c *Ctx, args [][]byte) Reply {
	vals, err := c.Ops.HMGet(args[1], args[2:]...)
	if err != nil {
		return ErrReply(err)
	}
	return BulkArray(vals)
}

func hgetall(c *Ctx, args [][]byte) Reply {
	fvs, err := c.Ops.HGetAll(args[1])
	if err != nil {
		return ErrReply(err)
	}
	elems := make([]Reply, 0, 2*len(fvs))
	for _, fv := range fvs {
		elems = append(elems, Bulk(fv.Field), Bulk(fv.Value))
	}
	return Map(elems...)
}

func hdel(c *Ctx, args [][]byte) Reply { return intReply(c.Ops.HDel(args[1], args[2:]...)) }

func hlen(c *Ctx, args [][]byte) Reply { return intReply(c.Ops.HLen(args[1])) }

func hexists(c *Ctx, args [][]byte) Reply { return boolReply(c.Ops.HExists(args[1], args[2])) }

func hkeys(c *Ctx, args [][]byte) Reply {
	ks, err := c.Ops.HKeys(args[1])
	if err != nil {
		return ErrReply(err)
	}
	return BulkArray(ks)
}

func hvals(c *Ctx, args [][]byte) Reply {
	vs, err := c.Ops.HVals(args[1])
	if err != nil {
		return ErrReply(err)
	}
	return BulkArray(vs)
}

func hincrby(c *Ctx, args [][]byte) Reply {
	n, ok := parseInt(args[3])
	if !ok {
		return errNotInt
	}
	return intReply(c.Ops.HIncrBy(args[1], args[2], n))
}

func hincrbyfloat(c *Ctx, args [][]byte) Reply {
	v, err := c.Ops.HIncrByFloatText(args[1], args[2], args[3])
	if err != nil {
		return ErrReply(err)
	}
	return Bulk(v)
}

func hstrlen(c *Ctx, args [][]byte) Reply { return intReply(c.Ops.HStrLen(args[1], args[2])) }

func hscan(c *Ctx, args [][]byte) Reply {
	cursor, opt, errr := parseScan(args, 2, false)
	if errr != nil {
		// Redis looks the key up between the cursor and the options.
		if _, ok := parseCursor(args[2]); ok {
			if r, done := checkKeyType(c, args[1], store.TypeHash, scanReply(0, nil)); done {
				return r
			}
		}
		return *errr
	}
	next, fvs, err := c.Ops.HScan(args[1], cursor, opt)
	if err != nil {
		return ErrReply(err)
	}
	elems := make([]Reply, 0, 2*len(fvs))
	for _, fv := range fvs {
		elems = append(elems, Bulk(fv.Field), Bulk(fv.Value))
	}
	return scanReply(next, elems)
}

// hrandfield follows Redis's hrandfieldCommand: no count gives one field or
// nil; a count gives an array, of [field, value] pairs under RESP3 with
// WITHVALUES and flat under RESP2. One difference: a negative count past
// store.MaxRandomRepeats is "ERR value is out of range" when the hash exists,
// where Redis would build a reply of any size.
func hrandfield(c *Ctx, args [][]byte) Reply {
	if len(args) == 2 {
		fvs, err := c.Ops.HRandField(args[1], 1)
		if err != nil {
			return ErrReply(err)
		}
		if len(fvs) == 0 {
			return Null()
		}
		return Bulk(fvs[0].Field)
	}
	n, ok := parseInt(args[2])
	if !ok {
		return errNotInt
	}
	if n < -math.MaxInt64 {
		return ErrorReply("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
	}
	withValues := false
	if len(args) > 4 || len(args) == 4 && !is(args[3], "withvalues") {
		return errSyntax
	} else if len(args) == 4 {
		withValues = true
		if n < -math.MaxInt64/2 || n > math.MaxInt64/2 {
			return ErrReply(store.ErrRandomCountRange)
		}
	}
	fvs, err := c.Ops.HRandField(args[1], n)
	if err != nil {
		return ErrReply(err)
	}
	elems := make([]Reply, 0, len(fvs))
	for _, fv := range fvs {
		switch {
		case !withValues:
			elems = append(elems, Bulk(fv.Field))
		case c.Proto >= 3:
			elems = append(elems, Array(Bulk(fv.Field), Bulk(fv.Value)))
		default:
			elems = append(elems, Bulk(fv.Field), Bulk(fv.Value))
		}
	}
	return Array(elems...)
}
