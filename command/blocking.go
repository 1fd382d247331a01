package command

import (
	"errors"
	"math"
	"time"

	"github.com/shinglekv/shingle/internal/redisnum"
	"github.com/shinglekv/shingle/store"
)

// The blocking pops: each tries its non-blocking form, and when that finds
// nothing waits through Ctx.Block for a write to one of its keys, then
// tries again, until the timeout.
var blockingCommands = []*Command{
	{Name: "blpop", Arity: -3, Flags: FlagWrite | FlagNoScript | FlagBlocking, FirstKey: 1, LastKey: -2, Step: 1, Categories: cats("write list slow blocking"), Run: bpop(true)},
	{Name: "brpop", Arity: -3, Flags: FlagWrite | FlagNoScript | FlagBlocking, FirstKey: 1, LastKey: -2, Step: 1, Categories: cats("write list slow blocking"), Run: bpop(false)},
	{Name: "blmove", Arity: 6, Flags: FlagWrite | FlagDenyOOM | FlagNoScript | FlagBlocking, FirstKey: 1, LastKey: 2, Step: 1, Categories: cats("write list slow blocking"), Run: blmove},
	{Name: "brpoplpush", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagNoScript | FlagBlocking, FirstKey: 1, LastKey: 2, Step: 1, Categories: cats("write list slow blocking"), Run: blmove},
	{Name: "blmpop", Arity: -5, Flags: FlagWrite | FlagBlocking, MovableKeys: numKeys(2), Categories: cats("write list slow blocking"), Run: blmpop},
	{Name: "bzpopmin", Arity: -3, Flags: FlagWrite | FlagNoScript | FlagFast | FlagBlocking, FirstKey: 1, LastKey: -2, Step: 1, Categories: cats("write sortedset fast blocking"), Run: bzpop(false)},
	{Name: "bzpopmax", Arity: -3, Flags: FlagWrite | FlagNoScript | FlagFast | FlagBlocking, FirstKey: 1, LastKey: -2, Step: 1, Categories: cats("write sortedset fast blocking"), Run: bzpop(true)},
	{Name: "bzmpop", Arity: -5, Flags: FlagWrite | FlagBlocking, MovableKeys: numKeys(2), Categories: cats("write sortedset slow blocking"), Run: bzmpop},
}

// parseTimeout parses a blocking command's timeout in seconds, as Redis
// 7.0's getTimeoutFromObjectOrReply (a long double): 0 waits for ever.
func parseTimeout(arg []byte) (time.Duration, *Reply) {
	ld, ok := redisnum.ParseLongDouble(arg)
	if !ok {
		e := ErrorReply("ERR timeout is not a float or out of range")
		return 0, &e
	}
	ms := ld.Float64() * 1000
	// C converts a double past the range of a long long to its least
	// value: negative.
	if ms < 0 || ms >= math.MaxInt64 || math.IsNaN(ms) {
		e := ErrorReply("ERR timeout is negative")
		if ms >= 0 && ms < math.MaxInt64 {
			e = ErrorReply("ERR timeout is out of range")
		}
		return 0, &e
	}
	if int64(ms) > math.MaxInt64-time.Now().UnixMilli() {
		e := ErrorReply("ERR timeout is out of range")
		return 0, &e
	}
	return time.Duration(int64(ms)) * time.Millisecond, nil
}

// block runs try, and while it finds nothing waits for a write to one of
// keys (through c.Block) and tries again; timedOut is the reply when the
// wait ends without one.
func block(c *Ctx, keys [][]byte, timeout time.Duration, timedOut Reply, try func() (Reply, bool)) Reply {
	if r, done := try(); done {
		return r
	}
	if c.Block == nil {
		return timedOut
	}
	if r, done := c.Block(keys, timeout, try); done {
		return r
	}
	return timedOut
}

var nullArray = Reply{Kind: KindNullArray}

// blockingPopOne serves key [key ...] timeout, the form of BLPOP, BRPOP,
// BZPOPMIN and BZPOPMAX: pop takes one element from the first of keys that
// has one, and returns nil for none.
func blockingPopOne(c *Ctx, args [][]byte, pop func(keys [][]byte) ([]byte, []Reply, error)) Reply {
	timeout, e := parseTimeout(args[len(args)-1])
	if e != nil {
		return *e
	}
	keys := args[1 : len(args)-1]
	return block(c, keys, timeout, nullArray, func() (Reply, bool) {
		key, elem, err := pop(keys)
		switch {
		case err != nil:
			return ErrReply(err), true
		case key == nil:
			return Reply{}, false
		}
		return Array(append([]Reply{Bulk(key)}, elem...)...), true
	})
}

// BLPOP/BRPOP key [key ...] timeout: [key, element].
func bpop(left bool) func(c *Ctx, args [][]byte) Reply {
	return func(c *Ctx, args [][]byte) Reply {
		return blockingPopOne(c, args, func(keys [][]byte) ([]byte, []Reply, error) {
			key, els, err := c.Ops.LMPop(keys, left, 1)
			if key == nil || err != nil {
				return nil, nil, err
			}
			return key, []Reply{Bulk(els[0])}, nil
		})
	}
}

// BLMOVE src dst LEFT|RIGHT LEFT|RIGHT timeout, BRPOPLPUSH src dst timeout
func blmove(c *Ctx, args [][]byte) Reply {
	from, to := false, true // BRPOPLPUSH
	if len(args) == 6 {
		var ok1, ok2 bool
		from, ok1 = side(args[3])
		to, ok2 = side(args[4])
		if !ok1 || !ok2 {
			return errSyntax
		}
	}
	timeout, e := parseTimeout(args[len(args)-1])
	if e != nil {
		return *e
	}
	return block(c, args[1:2], timeout, Null(), func() (Reply, bool) {
		el, err := c.Ops.LMove(args[1], args[2], from, to)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return Reply{}, false
		case err != nil:
			return ErrReply(err), true
		}
		return Bulk(el), true
	})
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
func blmpop(c *Ctx, args [][]byte) Reply {
	return blockingMPop(c, args, side, func(keys [][]byte, left bool, count int64) (Reply, bool) {
		key, els, err := c.Ops.LMPop(keys, left, count)
		return lmpopReply(key, els, err), err != nil || key != nil
	})
}

// blockingMPop is BLMPOP's and BZMPOP's: the timeout, then LMPOP's or
// ZMPOP's arguments, where names the end to pop from; pop pops, and
// reports whether it found something (or failed).
func blockingMPop(c *Ctx, args [][]byte, where func([]byte) (bool, bool), pop func(keys [][]byte, end bool, count int64) (Reply, bool)) Reply {
	keys, end, count, e := parseMPop(args[2:], where)
	if e != nil {
		return *e
	}
	timeout, e := parseTimeout(args[1])
	if e != nil {
		return *e
	}
	return block(c, keys, timeout, nullArray, func() (Reply, bool) { return pop(keys, end, count) })
}

// BZPOPMIN/BZPOPMAX key [key ...] timeout: [key, member, score], flat.
func bzpop(max bool) func(c *Ctx, args [][]byte) Reply {
	return func(c *Ctx, args [][]byte) Reply {
		return blockingPopOne(c, args, func(keys [][]byte) ([]byte, []Reply, error) {
			key, sms, err := c.Ops.ZMPop(keys, max, 1)
			if key == nil || err != nil {
				return nil, nil, err
			}
			return key, []Reply{Bulk(sms[0].Member), doubleReply(sms[0].Score)}, nil
		})
	}
}

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
func bzmpop(c *Ctx, args [][]byte) Reply {
	return blockingMPop(c, args, minMax, func(keys [][]byte, max bool, count int64) (Reply, bool) {
		key, sms, err := c.Ops.ZMPop(keys, max, count)
		return zmpopReply(c, key, sms, err), err != nil || key != nil
	})
}
