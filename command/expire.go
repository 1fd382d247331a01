package command

import (
	"errors"
	"math"
	"time"

	"github.com/shinglekv/shingle/store"
)

var expireCommands = []*Command{
	{Name: "expire", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("keyspace write fast"), Run: expire},
	{Name: "pexpire", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("keyspace write fast"), Run: expire},
	{Name: "expireat", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("keyspace write fast"), Run: expire},
	{Name: "pexpireat", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("keyspace write fast"), Run: expire},
	{Name: "ttl", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("keyspace read fast"), Run: ttl},
	{Name: "pttl", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("keyspace read fast"), Run: ttl},
	{Name: "expiretime", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("keyspace read fast"), Run: ttl},
	{Name: "pexpiretime", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("keyspace read fast"), Run: ttl},
	{Name: "persist", Arity: 2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("keyspace write fast"), Run: persist},
}

// expire serves EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT with the argument
// checks of Redis's expireGenericCommand: options first, then the number,
// then overflow of the unit conversion and of the addition of now.
func expire(c *Ctx, args [][]byte) Reply {
	name := lower(args[0])
	var cond store.ExpireCond
	for _, a := range args[3:] {
		switch {
		case is(a, "nx"):
			cond |= store.ExpireNX
		case is(a, "xx"):
			cond |= store.ExpireXX
		case is(a, "gt"):
			cond |= store.ExpireGT
		case is(a, "lt"):
			cond |= store.ExpireLT
		default:
			return ErrorReply("ERR Unsupported option " + string(a))
		}
	}
	if cond&store.ExpireNX != 0 && cond != store.ExpireNX {
		return ErrReply(store.ErrNXXXGTLT)
	}
	if cond&store.ExpireGT != 0 && cond&store.ExpireLT != 0 {
		return ErrReply(store.ErrGTLT)
	}
	when, ok := parseInt(args[2])
	if !ok {
		return errNotInt
	}
	invalid := ErrReply(store.InvalidExpireError(name))
	if name == "expire" || name == "expireat" {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			return invalid
		}
		when *= 1000
	}
	if name == "expire" || name == "pexpire" {
		now := c.Ops.Now().UnixMilli()
		if when > math.MaxInt64-now {
			return invalid
		}
		when += now
	}
	return boolReply(c.Ops.ExpireAt(args[1], time.UnixMilli(when), cond))
}

// ttl serves TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a missing key, -1
// for no expiry; seconds are rounded to the nearest, as Redis rounds them.
func ttl(c *Ctx, args [][]byte) Reply {
	name := lower(args[0])
	at, err := c.Ops.ExpireTime(args[1])
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Int(-2)
	case err != nil:
		return ErrReply(err)
	case at.IsZero():
		return Int(-1)
	}
	v := at.UnixMilli()
	if name == "ttl" || name == "pttl" {
		v = max(v-c.Ops.Now().UnixMilli(), 0)
	}
	if name == "ttl" || name == "expiretime" {
		v = (v + 500) / 1000
	}
	return Int(v)
}

func persist(c *Ctx, args [][]byte) Reply { return boolReply(c.Ops.Persist(args[1])) }
