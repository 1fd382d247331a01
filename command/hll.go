package command

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/shinglekv/shingle/internal/hll"
	"github.com/shinglekv/shingle/store"
)

// HyperLogLogs, in Redis 7.0's string encoding (internal/hll).
var hllCommands = []*Command{
	{Name: "pfadd", Arity: -2, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write hyperloglog fast"), Run: pfadd},
	{Name: "pfcount", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: -1, Step: 1, Categories: cats("read hyperloglog slow"), Run: pfcount},
	{Name: "pfmerge", Arity: -2, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Step: 1, Categories: cats("write hyperloglog slow"), Run: pfmerge},
	{Name: "pfdebug", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagAdmin, FirstKey: 2, LastKey: 2, Step: 1, Categories: cats("write hyperloglog admin slow dangerous"), Run: pfdebug},
	{Name: "pfselftest", Arity: 1, Flags: FlagAdmin, Categories: cats("hyperloglog admin slow dangerous"), Run: pfselftest},
}

// sparseMax is hll-sparse-max-bytes for c.
func sparseMax(c *Ctx) int {
	switch n := c.HLLSparseMaxBytes; {
	case n == 0:
		return store.DefaultHLLSparseMaxBytes
	case n < 0:
		return 0
	default:
		return int(min(n, 1<<31-1))
	}
}

func pfadd(c *Ctx, args [][]byte) Reply {
	return boolReply(c.Ops.PFAdd(args[1], sparseMax(c), args[2:]...))
}

func pfcount(c *Ctx, args [][]byte) Reply { return intReply(c.Ops.PFCount(args[1:]...)) }

func pfmerge(c *Ctx, args [][]byte) Reply {
	if err := c.Ops.PFMerge(sparseMax(c), args[1], args[2:]...); err != nil {
		return ErrReply(err)
	}
	return OK
}

// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key: the key is checked before the
// subcommand, as in Redis.
func pfdebug(c *Ctx, args [][]byte) Reply {
	sub := lower(args[1])
	r, err := c.Ops.PFDebug(args[1], args[2], func(h []byte) (any, []byte, error) {
		if h == nil {
			return nil, nil, hll.ErrNoKey
		}
		if err := hll.Validate(h); err != nil {
			return nil, nil, err
		}
		switch sub {
		case "getreg":
			regs, dense, err := hll.GetReg(h)
			out := make([]Reply, len(regs))
			for i, r := range regs {
				out[i] = Int(int64(r))
			}
			return Array(out...), dense, err
		case "decode":
			s, err := hll.Decode(h)
			return Status(s), nil, err
		case "encoding":
			s, err := hll.Encoding(h)
			return Status(s), nil, err
		case "todense":
			dense, err := hll.ToDense(h)
			return Bool(dense != nil), dense, err
		}
		return nil, nil, errors.New("Unknown PFDEBUG subcommand '" + string(args[1]) + "'")
	})
	if err != nil {
		return ErrReply(err)
	}
	return r.(Reply)
}

// PFSELFTEST checks the HyperLogLog code against itself, as Redis's does
// in its own way: a set of distinct elements added one by one and all at
// once must give the same string, and its estimate must be within the
// standard error's bounds.
func pfselftest(c *Ctx, args [][]byte) Reply {
	const n = 20000
	one, all := hll.New(), hll.New()
	elems := make([][]byte, n)
	for i := range elems {
		elems[i] = strconv.AppendInt([]byte("selftest:"), int64(i), 10)
		if v, _, err := hll.Add(one, hll.DefaultSparseMaxBytes, elems[i]); err != nil {
			return ErrorReply("ERR TESTFAILED " + err.Error())
		} else if v != nil {
			one = v
		}
	}
	if v, _, err := hll.Add(all, hll.DefaultSparseMaxBytes, elems...); err != nil {
		return ErrorReply("ERR TESTFAILED " + err.Error())
	} else if v != nil {
		all = v
	}
	a, _, err1 := hll.Count(one)
	b, _, err2 := hll.Count(all)
	switch {
	case err1 != nil || err2 != nil || a != b:
		return ErrorReply("ERR TESTFAILED adding one by one and all at once differ")
	case a < n*97/100 || a > n*103/100: // 0.81% standard error: 3% is over 3.5 sigma
		return ErrorReply(fmt.Sprintf("ERR TESTFAILED estimate %d for %d elements", a, n))
	}
	return OK
}
