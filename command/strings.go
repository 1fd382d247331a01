package command

import (
	"errors"
	"math"
	"time"

	"github.com/shinglekv/shingle/store"
)

var stringCommands = []*Command{
	{Name: "get", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read string fast"), Run: get},
	{Name: "set", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write string slow"), Run: set},
	{Name: "setnx", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write string fast"), Run: setnx},
	{Name: "setex", Arity: 4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write string slow"), Run: setex},
	{Name: "psetex", Arity: 4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write string slow"), Run: setex},
	{Name: "getset", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write string fast"), Run: getset},
	{Name: "getdel", Arity: 2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write string fast"), Run: getdel},
	{Name: "getex", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write string fast"), Run: getex},
	{Name: "mget", Arity: -2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: -1, Step: 1, Categories: cats("read string fast"), Run: mget},
	{Name: "mset", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Step: 2, Categories: cats("write string slow"), Run: mset},
	{Name: "msetnx", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Step: 2, Categories: cats("write string slow"), Run: mset},
	{Name: "append", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write string fast"), Run: appendCmd},
	{Name: "strlen", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read string fast"), Run: strlen},
	{Name: "incr", Arity: 2, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write string fast"), Run: incr},
	{Name: "decr", Arity: 2, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write string fast"), Run: incr},
	{Name: "incrby", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write string fast"), Run: incr},
	{Name: "decrby", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write string fast"), Run: incr},
	{Name: "incrbyfloat", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write string fast"), Run: incrbyfloat},
	{Name: "getrange", Arity: 4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read string slow"), Run: getrange},
	{Name: "substr", Arity: 4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read string slow"), Run: getrange},
	{Name: "setrange", Arity: 4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write string slow"), Run: setrange},
}

// cats expands "read string" to the ACL categories "@read", "@string".
func cats(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			out = append(out, "@"+s[start:i])
			start = i + 1
		}
	}
	return out
}

// valueReply is the reply to a command returning one value.
func valueReply(v []byte, err error) Reply {
	if errors.Is(err, store.ErrNotFound) {
		return Null()
	}
	if err != nil {
		return ErrReply(err)
	}
	return BulkOrNull(v)
}

func intReply(n int64, err error) Reply {
	if err != nil {
		return ErrReply(err)
	}
	return Int(n)
}

func boolReply(b bool, err error) Reply {
	if err != nil {
		return ErrReply(err)
	}
	return Bool(b)
}

func okReply(err error) Reply {
	if err != nil {
		return ErrReply(err)
	}
	return OK
}

func get(c *Ctx, args [][]byte) Reply { return valueReply(c.Ops.Get(args[1])) }

// set parses SET's options as Redis 7's parseExtendedStringArgumentsOrReply
// does: NX/XX exclude each other, one expiry option (a repeated one counts
// once, the last value winning) or KEEPTTL, GET anywhere.
func set(c *Ctx, args [][]byte) Reply {
	var opt store.SetOptions
	var exp *expireOption
	var expArg []byte
	for i := 3; i < len(args); i++ {
		a := args[i]
		switch {
		case is(a, "nx") && !opt.XX:
			opt.NX = true
		case is(a, "xx") && !opt.NX:
			opt.XX = true
		case is(a, "get"):
			opt.Get = true
		case is(a, "keepttl") && exp == nil:
			opt.KeepTTL = true
		default:
			o, ok := expireOptions[lower(a)]
			if !ok || opt.KeepTTL || exp != nil && *exp != o || i+1 >= len(args) {
				return errSyntax
			}
			exp, expArg = &o, args[i+1]
			i++
		}
	}
	if exp != nil {
		ms, errr := absoluteExpire(c, *exp, expArg, "set")
		if errr != nil {
			return *errr
		}
		opt.ExpireAt = time.UnixMilli(ms)
	}
	written, old, err := c.Ops.SetWith(args[1], args[2], opt)
	switch {
	case err != nil:
		return ErrReply(err)
	case opt.Get:
		return BulkOrNull(old)
	case !written:
		return Null()
	}
	return OK
}

// lower returns a short argument in lower case, for option lookups.
func lower(a []byte) string {
	if len(a) > 16 {
		return ""
	}
	b := make([]byte, len(a))
	for i, ch := range a {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		b[i] = ch
	}
	return string(b)
}

func setnx(c *Ctx, args [][]byte) Reply { return boolReply(c.Ops.SetNX(args[1], args[2])) }

// setex serves SETEX (seconds) and PSETEX (milliseconds).
func setex(c *Ctx, args [][]byte) Reply {
	opt := expireOption{relative: true, seconds: is(args[0], "setex")}
	ms, errr := absoluteExpire(c, opt, args[2], lower(args[0]))
	if errr != nil {
		return *errr
	}
	_, _, err := c.Ops.SetWith(args[1], args[3], store.SetOptions{ExpireAt: time.UnixMilli(ms)})
	return okReply(err)
}

func getset(c *Ctx, args [][]byte) Reply {
	old, err := c.Ops.GetSet(args[1], args[2])
	if err != nil {
		return ErrReply(err)
	}
	return BulkOrNull(old)
}

func getdel(c *Ctx, args [][]byte) Reply { return valueReply(c.Ops.GetDel(args[1])) }

func getex(c *Ctx, args [][]byte) Reply {
	var opt store.GetExOptions
	var exp *expireOption
	var expArg []byte
	for i := 2; i < len(args); i++ {
		a := args[i]
		if is(a, "persist") && exp == nil {
			opt.Persist = true
			continue
		}
		o, ok := expireOptions[lower(a)]
		if !ok || opt.Persist || exp != nil && *exp != o || i+1 >= len(args) {
			return errSyntax
		}
		exp, expArg = &o, args[i+1]
		i++
	}
	if exp != nil {
		ms, errr := absoluteExpire(c, *exp, expArg, "getex")
		if errr != nil {
			// Redis validates the time after looking the key up.
			if r, done := checkKeyType(c, args[1], store.TypeString, Null()); done {
				return r
			}
			return *errr
		}
		opt.ExpireAt = time.UnixMilli(ms)
	}
	return valueReply(c.Ops.GetEx(args[1], opt))
}

func mget(c *Ctx, args [][]byte) Reply {
	vals, err := c.Ops.MGet(args[1:]...)
	if err != nil {
		return ErrReply(err)
	}
	return BulkArray(vals)
}

// mset serves MSET and MSETNX.
func mset(c *Ctx, args [][]byte) Reply {
	if len(args)%2 == 0 {
		return WrongArgs(lower(args[0]))
	}
	if is(args[0], "msetnx") {
		return boolReply(c.Ops.MSetNX(args[1:]...))
	}
	return okReply(c.Ops.MSet(args[1:]...))
}

func appendCmd(c *Ctx, args [][]byte) Reply { return intReply(c.Ops.Append(args[1], args[2])) }

func strlen(c *Ctx, args [][]byte) Reply { return intReply(c.Ops.StrLen(args[1])) }

// incr serves INCR, DECR, INCRBY and DECRBY.
func incr(c *Ctx, args [][]byte) Reply {
	n := int64(1)
	if len(args) == 3 {
		var ok bool
		if n, ok = parseInt(args[2]); !ok {
			return errNotInt
		}
	}
	if is(args[0], "decr") || is(args[0], "decrby") {
		if n == math.MinInt64 {
			return ErrReply(store.ErrDecrOverflow)
		}
		n = -n
	}
	return intReply(c.Ops.IncrBy(args[1], n))
}

func incrbyfloat(c *Ctx, args [][]byte) Reply {
	v, err := c.Ops.IncrByFloatText(args[1], args[2])
	if err != nil {
		return ErrReply(err)
	}
	return Bulk(v)
}

func getrange(c *Ctx, args [][]byte) Reply {
	start, ok1 := parseInt(args[2])
	end, ok2 := parseInt(args[3])
	if !ok1 || !ok2 {
		return errNotInt
	}
	v, err := c.Ops.GetRange(args[1], start, end)
	if err != nil {
		return ErrReply(err)
	}
	return Bulk(v)
}

func setrange(c *Ctx, args [][]byte) Reply {
	off, ok := parseInt(args[2])
	if !ok {
		return errNotInt
	}
	return intReply(c.Ops.SetRange(args[1], off, args[3]))
}
