package command

import (
	"math"

	"github.com/shinglekv/shingle/store"
)

var setCommands = []*Command{
	{Name: "sadd", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write set fast"), Run: sadd},
	{Name: "srem", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write set fast"), Run: srem},
	{Name: "smembers", Arity: 2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read set slow"), Run: smembers},
	{Name: "sismember", Arity: 3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read set fast"), Run: sismember},
	{Name: "smismember", Arity: -3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read set fast"), Run: smismember},
	{Name: "scard", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read set fast"), Run: scard},
	{Name: "spop", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write set fast"), Run: spop},
	{Name: "srandmember", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read set slow"), Run: srandmember},
	{Name: "smove", Arity: 4, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 2, Step: 1, Categories: cats("write set fast"), Run: smove},
	{Name: "sinter", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: -1, Step: 1, Categories: cats("read set slow"), Run: setRead(store.SetInter)},
	{Name: "sunion", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: -1, Step: 1, Categories: cats("read set slow"), Run: setRead(store.SetUnion)},
	{Name: "sdiff", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: -1, Step: 1, Categories: cats("read set slow"), Run: setRead(store.SetDiff)},
	{Name: "sinterstore", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Step: 1, Categories: cats("write set slow"), Run: setStore(store.SetInter)},
	{Name: "sunionstore", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Step: 1, Categories: cats("write set slow"), Run: setStore(store.SetUnion)},
	{Name: "sdiffstore", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Step: 1, Categories: cats("write set slow"), Run: setStore(store.SetDiff)},
	{Name: "sintercard", Arity: -3, Flags: FlagReadOnly, MovableKeys: numKeys(1), Categories: cats("read set slow"), Run: sintercard},
	{Name: "sscan", Arity: -3, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read set slow"), Run: sscan},
}

func sadd(c *Ctx, args [][]byte) Reply { return intReply(c.Ops.SAdd(args[1], args[2:]...)) }

func srem(c *Ctx, args [][]byte) Reply { return intReply(c.Ops.SRem(args[1], args[2:]...)) }

func smembers(c *Ctx, args [][]byte) Reply {
	ms, err := c.Ops.SMembers(args[1])
	if err != nil {
		return ErrReply(err)
	}
	return setReply(c, ms)
}

// setReply is a set's members: a RESP3 set, a RESP2 array.
func setReply(c *Ctx, ms [][]byte) Reply {
	r := BulkArray(ms)
	if c.Proto >= 3 {
		r.Kind = KindSet
	}
	return r
}

func sismember(c *Ctx, args [][]byte) Reply { return boolReply(c.Ops.SIsMember(args[1], args[2])) }

func smismember(c *Ctx, args [][]byte) Reply {
	in, err := c.Ops.SMIsMember(args[1], args[2:]...)
	if err != nil {
		return ErrReply(err)
	}
	out := make([]Reply, len(in))
	for i, b := range in {
		out[i] = Bool(b)
	}
	return Array(out...)
}

func scard(c *Ctx, args [][]byte) Reply { return intReply(c.Ops.SCard(args[1])) }

// SPOP key [count]: one member or nil without a count, an array with one.
func spop(c *Ctx, args [][]byte) Reply {
	if len(args) > 3 {
		return errSyntax
	}
	if len(args) == 2 {
		return oneMember(c.Ops.SPop(args[1], 1))
	}
	n, ok := parseInt(args[2])
	if !ok {
		return ErrReply(store.ErrValueOutOfRange)
	}
	ms, err := c.Ops.SPop(args[1], n)
	if err != nil {
		return ErrReply(err)
	}
	return setReply(c, ms)
}

// SRANDMEMBER key [count], as HRANDFIELD: a negative count past
// store.MaxRandomRepeats is "ERR value is out of range" when the set
// exists, where Redis would build a reply of any size.
func srandmember(c *Ctx, args [][]byte) Reply {
	if len(args) > 3 {
		return errSyntax
	}
	if len(args) == 2 {
		return oneMember(c.Ops.SRandMember(args[1], 1))
	}
	n, ok := parseInt(args[2])
	if !ok {
		return errNotInt
	}
	if n < -math.MaxInt64 {
		return ErrorReply("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
	}
	ms, err := c.Ops.SRandMember(args[1], n)
	if err != nil {
		return ErrReply(err)
	}
	return BulkArray(ms)
}

// oneMember is the reply to SPOP or SRANDMEMBER without a count: the
// member, or nil.
func oneMember(ms [][]byte, err error) Reply {
	if err != nil {
		return ErrReply(err)
	}
	if len(ms) == 0 {
		return Null()
	}
	return Bulk(ms[0])
}

func smove(c *Ctx, args [][]byte) Reply {
	return boolReply(c.Ops.SMove(args[1], args[2], args[3]))
}

func setRead(op store.SetOp) func(c *Ctx, args [][]byte) Reply {
	return func(c *Ctx, args [][]byte) Reply {
		ms, err := c.Ops.SetCompute(op, args[1:]...)
		if err != nil {
			return ErrReply(err)
		}
		return setReply(c, ms)
	}
}

func setStore(op store.SetOp) func(c *Ctx, args [][]byte) Reply {
	return func(c *Ctx, args [][]byte) Reply {
		return intReply(c.Ops.SetStore(op, args[1], args[2:]...))
	}
}

// numKeys finds the keys of a command whose argument at pos is their
// count, followed by them (SINTERCARD numkeys key ...).
func numKeys(pos int) func(args [][]byte) [][]byte {
	return func(args [][]byte) [][]byte {
		if pos >= len(args) {
			return nil
		}
		n, ok := parseInt(args[pos])
		if !ok || n <= 0 || n > int64(len(args)-pos-1) {
			return nil
		}
		return args[pos+1 : pos+1+int(n)]
	}
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]
func sintercard(c *Ctx, args [][]byte) Reply {
	n, ok := parseInt(args[1])
	switch {
	case !ok || n <= 0:
		return ErrorReply("ERR numkeys should be greater than 0")
	case n > int64(len(args)-2):
		return ErrorReply("ERR Number of keys can't be greater than number of args")
	}
	keys := args[2 : 2+n]
	var limit int64
	for j := 2 + int(n); j < len(args); j++ {
		if is(args[j], "limit") && j+1 < len(args) {
			l, ok := parseInt(args[j+1])
			if !ok {
				return errNotInt
			}
			if l < 0 {
				return ErrorReply("ERR LIMIT can't be negative")
			}
			limit = l
			j++
			continue
		}
		return errSyntax
	}
	return intReply(c.Ops.SInterCard(limit, keys...))
}

func sscan(c *Ctx, args [][]byte) Reply {
	cursor, opt, errr := parseScan(args, 2, false)
	if errr != nil {
		// Redis looks the key up between the cursor and the options.
		if _, ok := parseCursor(args[2]); ok {
			if r, done := checkKeyType(c, args[1], store.TypeSet, scanReply(0, nil)); done {
				return r
			}
		}
		return *errr
	}
	next, ms, err := c.Ops.SScan(args[1], cursor, opt)
	if err != nil {
		return ErrReply(err)
	}
	elems := make([]Reply, len(ms))
	for i, m := range ms {
		elems[i] = Bulk(m)
	}
	return scanReply(next, elems)
}
