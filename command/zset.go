package command

import (
	"math"

	"github.com/shinglekv/shingle/internal/redisnum"
	"github.com/shinglekv/shingle/store"
)

// Sorted sets, with Redis 7.0's argument checks in its order: options and
// numbers are parsed before the key is looked up, except where Redis looks
// the keys up first (ZUNION, ZINTER, ZDIFF and their STORE forms).
var zsetCommands = []*Command{
	{Name: "zadd", Arity: -4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write sortedset fast"), Run: zadd},
	{Name: "zincrby", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write sortedset fast"), Run: zincrby},
	{Name: "zrem", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write sortedset fast"), Run: zrem},
	{Name: "zscore", Arity: 3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read sortedset fast"), Run: zscore},
	{Name: "zmscore", Arity: -3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read sortedset fast"), Run: zmscore},
	{Name: "zcard", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read sortedset fast"), Run: zcard},
	{Name: "zcount", Arity: 4, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read sortedset fast"), Run: zcount(store.ZByScore)},
	{Name: "zlexcount", Arity: 4, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read sortedset fast"), Run: zcount(store.ZByLex)},
	{Name: "zrange", Arity: -4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read sortedset slow"), Run: zrangeCmd(zrangeAuto, 0)},
	{Name: "zrangebyscore", Arity: -4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read sortedset slow"), Run: zrangeCmd(store.ZByScore, zForward)},
	{Name: "zrevrangebyscore", Arity: -4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read sortedset slow"), Run: zrangeCmd(store.ZByScore, zReverse)},
	{Name: "zrangebylex", Arity: -4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read sortedset slow"), Run: zrangeCmd(store.ZByLex, zForward)},
	{Name: "zrevrangebylex", Arity: -4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read sortedset slow"), Run: zrangeCmd(store.ZByLex, zReverse)},
	{Name: "zrevrange", Arity: -4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read sortedset slow"), Run: zrangeCmd(store.ZByRank, zReverse)},
	{Name: "zrangestore", Arity: -5, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Categories: cats("write sortedset slow"), Run: zrangeCmd(zrangeAuto, zStore)},
	{Name: "zrank", Arity: 3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read sortedset fast"), Run: zrank(false)},
	{Name: "zrevrank", Arity: 3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read sortedset fast"), Run: zrank(true)},
	{Name: "zpopmin", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write sortedset fast"), Run: zpop(false)},
	{Name: "zpopmax", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write sortedset fast"), Run: zpop(true)},
	{Name: "zmpop", Arity: -4, Flags: FlagWrite, MovableKeys: numKeys(1), Categories: cats("write sortedset slow"), Run: zmpop},
	{Name: "zrandmember", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read sortedset slow"), Run: zrandmember},
	{Name: "zunionstore", Arity: -4, Flags: FlagWrite | FlagDenyOOM, MovableKeys: storeKeys, Categories: cats("write sortedset slow"), Run: zcombine(store.ZUnion, zStore)},
	{Name: "zinterstore", Arity: -4, Flags: FlagWrite | FlagDenyOOM, MovableKeys: storeKeys, Categories: cats("write sortedset slow"), Run: zcombine(store.ZInter, zStore)},
	{Name: "zdiffstore", Arity: -4, Flags: FlagWrite | FlagDenyOOM, MovableKeys: storeKeys, Categories: cats("write sortedset slow"), Run: zcombine(store.ZDiff, zStore)},
	{Name: "zunion", Arity: -3, Flags: FlagReadOnly, MovableKeys: numKeys(1), Categories: cats("read sortedset slow"), Run: zcombine(store.ZUnion, 0)},
	{Name: "zinter", Arity: -3, Flags: FlagReadOnly, MovableKeys: numKeys(1), Categories: cats("read sortedset slow"), Run: zcombine(store.ZInter, 0)},
	{Name: "zdiff", Arity: -3, Flags: FlagReadOnly, MovableKeys: numKeys(1), Categories: cats("read sortedset slow"), Run: zcombine(store.ZDiff, 0)},
	{Name: "zintercard", Arity: -3, Flags: FlagReadOnly, MovableKeys: numKeys(1), Categories: cats("read sortedset slow"), Run: zcombine(store.ZInter, zCard)},
	{Name: "zremrangebyscore", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write sortedset slow"), Run: zremrange(store.ZByScore)},
	{Name: "zremrangebyrank", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write sortedset slow"), Run: zremrange(store.ZByRank)},
	{Name: "zremrangebylex", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write sortedset slow"), Run: zremrange(store.ZByLex)},
	{Name: "zscan", Arity: -3, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read sortedset slow"), Run: zscan},
}

var (
	errNotFloat    = ErrReply(store.ErrNotFloat)
	errScoreRange  = ErrorReply("ERR min or max is not a float")
	errLexRange    = ErrorReply("ERR min or max not valid string range item")
	errZPopCount   = ErrorReply("ERR value is out of range, must be positive")
	errNumKeysZero = ErrorReply("ERR numkeys should be greater than 0")
)

// doubleReply is a score as Redis 7.0 replies with one: a RESP3 double,
// a RESP2 bulk string, "%.17g".
func doubleReply(f float64) Reply { return Reply{Kind: KindDouble, Str: redisnum.AppendDouble(nil, f)} }

// scoreForm is how a reply shows members with scores.
type scoreForm int

const (
	membersOnly scoreForm = iota
	scoresAuto            // member, score flat on RESP2; [member, score] pairs on RESP3
	scorePairs            // pairs on both
	scoresFlat            // flat on both
)

// scoredReply is members, with their scores as form says.
func scoredReply(c *Ctx, sms []store.ScoredMember, form scoreForm) Reply {
	if form == scoresAuto {
		form = scoresFlat
		if c.Proto >= 3 {
			form = scorePairs
		}
	}
	out := make([]Reply, 0, len(sms)*2)
	for _, sm := range sms {
		switch form {
		case membersOnly:
			out = append(out, Bulk(sm.Member))
		case scorePairs:
			out = append(out, Array(Bulk(sm.Member), doubleReply(sm.Score)))
		default:
			out = append(out, Bulk(sm.Member), doubleReply(sm.Score))
		}
	}
	return Array(out...)
}

// withScores is the form of a reply with or without WITHSCORES.
func withScores(ws bool) scoreForm {
	if ws {
		return scoresAuto
	}
	return membersOnly
}

// zaddFlags reads the flags of ZADD (or, without all, those GEOADD takes:
// NX, XX, CH) after the key, and returns them and the arguments after
// them.
func zaddFlags(args [][]byte, all bool) (store.ZAddFlags, [][]byte) {
	var f store.ZAddFlags
	i := 2
	for ; i < len(args); i++ {
		switch a := lower(args[i]); {
		case a == "nx":
			f.NX = true
		case a == "xx":
			f.XX = true
		case a == "ch":
			f.CH = true
		case all && a == "gt":
			f.GT = true
		case all && a == "lt":
			f.LT = true
		case all && a == "incr":
			f.Incr = true
		default:
			return f, args[i:]
		}
	}
	return f, nil
}

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
func zadd(c *Ctx, args [][]byte) Reply {
	f, rest := zaddFlags(args, true)
	switch {
	case len(rest) == 0 || len(rest)%2 != 0:
		return errSyntax
	case f.NX && f.XX:
		return ErrorReply("ERR XX and NX options at the same time are not compatible")
	case f.GT && f.NX || f.LT && f.NX || f.GT && f.LT:
		return ErrorReply("ERR GT, LT, and/or NX options at the same time are not compatible")
	case f.Incr && len(rest) > 2:
		return ErrorReply("ERR INCR option supports a single increment-element pair")
	}
	elems := make([]store.ScoredMember, len(rest)/2)
	for j := range elems {
		s, ok := redisnum.ParseDouble(rest[2*j])
		if !ok {
			return errNotFloat
		}
		elems[j] = store.ScoredMember{Member: rest[2*j+1], Score: s}
	}
	r, err := c.Ops.ZAdd(args[1], f, elems...)
	switch {
	case err != nil:
		return ErrReply(err)
	case !f.Incr:
		return Int(r.Count)
	case !r.Done:
		return Null()
	}
	return doubleReply(r.Score)
}

func zincrby(c *Ctx, args [][]byte) Reply {
	incr, ok := redisnum.ParseDouble(args[2])
	if !ok {
		return errNotFloat
	}
	s, err := c.Ops.ZIncrBy(args[1], incr, args[3])
	if err != nil {
		return ErrReply(err)
	}
	return doubleReply(s)
}

func zrem(c *Ctx, args [][]byte) Reply { return intReply(c.Ops.ZRem(args[1], args[2:]...)) }

func zcard(c *Ctx, args [][]byte) Reply { return intReply(c.Ops.ZCard(args[1])) }

func zscore(c *Ctx, args [][]byte) Reply {
	s, found, err := c.Ops.ZMScore(args[1], args[2])
	switch {
	case err != nil:
		return ErrReply(err)
	case !found[0]:
		return Null()
	}
	return doubleReply(s[0])
}

func zmscore(c *Ctx, args [][]byte) Reply {
	s, found, err := c.Ops.ZMScore(args[1], args[2:]...)
	if err != nil {
		return ErrReply(err)
	}
	out := make([]Reply, len(s))
	for i := range s {
		out[i] = Null()
		if found[i] {
			out[i] = doubleReply(s[i])
		}
	}
	return Array(out...)
}

// parseScoreBound parses one end of a score range, as zslParseRange.
func parseScoreBound(b []byte) (store.ScoreBound, bool) {
	var sb store.ScoreBound
	if len(b) > 0 && b[0] == '(' {
		sb.Excl, b = true, b[1:]
	}
	var ok bool
	sb.Value, ok = redisnum.ParseRangeDouble(b)
	return sb, ok
}

// parseLexBound parses one end of a lex range, as zslParseLexRangeItem.
func parseLexBound(b []byte) (store.LexBound, bool) {
	switch {
	case len(b) == 0:
		return store.LexBound{}, false
	case b[0] == '+' || b[0] == '-':
		if len(b) != 1 {
			return store.LexBound{}, false
		}
		if b[0] == '+' {
			return store.LexBound{Inf: 1, Excl: true}, true
		}
		return store.LexBound{Inf: -1, Excl: true}, true
	case b[0] == '(' || b[0] == '[':
		return store.LexBound{Value: b[1:], Excl: b[0] == '('}, true
	}
	return store.LexBound{}, false
}

// parseBounds sets r's bounds from min and max, by score or lex, and
// returns the error reply for a bound that does not parse.
func parseBounds(r *store.ZRange, min, max []byte) *Reply {
	ok1, ok2 := true, true
	switch r.By {
	case store.ZByScore:
		r.Min, ok1 = parseScoreBound(min)
		r.Max, ok2 = parseScoreBound(max)
		if !ok1 || !ok2 {
			return &errScoreRange
		}
	case store.ZByLex:
		r.LexMin, ok1 = parseLexBound(min)
		r.LexMax, ok2 = parseLexBound(max)
		if !ok1 || !ok2 {
			return &errLexRange
		}
	default:
		r.Start, ok1 = parseInt(min)
		r.Stop, ok2 = parseInt(max)
		if !ok1 || !ok2 {
			return &errNotInt
		}
	}
	return nil
}

func zcount(by store.ZRangeBy) func(c *Ctx, args [][]byte) Reply {
	return func(c *Ctx, args [][]byte) Reply {
		r := store.ZRange{By: by}
		if e := parseBounds(&r, args[2], args[3]); e != nil {
			return *e
		}
		return intReply(c.Ops.ZCount(args[1], r))
	}
}

// zrangeAuto: ZRANGE and ZRANGESTORE take BYSCORE or BYLEX, rank by default.
const zrangeAuto store.ZRangeBy = 0xff

// The direction and form of a ZRANGE-family command.
const (
	zForward = 1 << iota // fixed forward: REV is a syntax error
	zReverse             // fixed reverse
	zStore               // ZRANGESTORE dst src ..., ZUNIONSTORE dst ...
	zCard                // ZINTERCARD: a count, with LIMIT
)

// zrangeCmd serves the ZRANGE family as Redis 7.0's zrangeGenericCommand:
// options first, then the range, then the key.
func zrangeCmd(by store.ZRangeBy, mode int) func(c *Ctx, args [][]byte) Reply {
	return func(c *Ctx, args [][]byte) Reply {
		from := 1
		if mode&zStore != 0 {
			from = 2
		}
		r := store.ZRange{By: by, Rev: mode&zReverse != 0}
		revFixed := mode&(zForward|zReverse) != 0
		ws := false
		for j := from + 3; j < len(args); j++ {
			switch {
			case mode&zStore == 0 && is(args[j], "withscores"):
				ws = true
			case is(args[j], "limit") && len(args)-j-1 >= 2:
				var ok1, ok2 bool
				r.Offset, ok1 = parseInt(args[j+1])
				r.Count, ok2 = parseInt(args[j+2])
				if !ok1 || !ok2 {
					return errNotInt
				}
				r.Limited = true
				j += 2
			case !revFixed && is(args[j], "rev"):
				r.Rev, revFixed = true, true
			case r.By == zrangeAuto && is(args[j], "bylex"):
				r.By = store.ZByLex
			case r.By == zrangeAuto && is(args[j], "byscore"):
				r.By = store.ZByScore
			default:
				return errSyntax
			}
		}
		if r.By == zrangeAuto {
			r.By = store.ZByRank
		}
		switch {
		case r.Limited && r.By == store.ZByRank && r.Count != -1:
			// A count of -1 is Redis's "no LIMIT given", accepted anywhere.
			return ErrorReply("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
		case ws && r.By == store.ZByLex:
			return ErrorReply("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
		}
		if r.By == store.ZByRank {
			r.Limited = false
		}
		lo, hi := args[from+1], args[from+2]
		if r.Rev && r.By != store.ZByRank {
			lo, hi = hi, lo // given as max, min
		}
		if e := parseBounds(&r, lo, hi); e != nil {
			return *e
		}
		if mode&zStore != 0 {
			return intReply(c.Ops.ZRangeStore(args[1], args[2], r))
		}
		sms, err := c.Ops.ZRange(args[1], r)
		if err != nil {
			return ErrReply(err)
		}
		return scoredReply(c, sms, withScores(ws))
	}
}

func zrank(rev bool) func(c *Ctx, args [][]byte) Reply {
	return func(c *Ctx, args [][]byte) Reply {
		n, ok, err := c.Ops.ZRank(args[1], args[2], rev)
		switch {
		case err != nil:
			return ErrReply(err)
		case !ok:
			return Null()
		}
		return Int(n)
	}
}

// ZPOPMIN/ZPOPMAX key [count]: without a count one [member, score] pair,
// flat even on RESP3; with one, pairs on RESP3.
func zpop(max bool) func(c *Ctx, args [][]byte) Reply {
	return func(c *Ctx, args [][]byte) Reply {
		if len(args) > 3 {
			return errSyntax
		}
		count := int64(1)
		if len(args) == 3 {
			n, ok := parseInt(args[2])
			if !ok || n < 0 {
				return errZPopCount
			}
			count = n
		}
		sms, err := c.Ops.ZPop(args[1], max, count)
		if err != nil {
			return ErrReply(err)
		}
		if len(args) == 2 {
			return scoredReply(c, sms, scoresFlat)
		}
		return scoredReply(c, sms, scoresAuto)
	}
}

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
func zmpop(c *Ctx, args [][]byte) Reply {
	keys, max, count, e := parseMPop(args[1:], minMax)
	if e != nil {
		return *e
	}
	key, sms, err := c.Ops.ZMPop(keys, max, count)
	return zmpopReply(c, key, sms, err)
}

func zmpopReply(c *Ctx, key []byte, sms []store.ScoredMember, err error) Reply {
	switch {
	case err != nil:
		return ErrReply(err)
	case key == nil:
		return Reply{Kind: KindNullArray}
	}
	return Array(Bulk(key), scoredReply(c, sms, scorePairs))
}

// minMax parses MIN or MAX, reporting true for MAX.
func minMax(arg []byte) (max, ok bool) {
	switch {
	case is(arg, "min"):
		return false, true
	case is(arg, "max"):
		return true, true
	}
	return false, false
}

// ZRANDMEMBER key [count [WITHSCORES]], as HRANDFIELD.
func zrandmember(c *Ctx, args [][]byte) Reply {
	if len(args) == 2 {
		sms, err := c.Ops.ZRandMember(args[1], 1)
		switch {
		case err != nil:
			return ErrReply(err)
		case len(sms) == 0:
			return Null()
		}
		return Bulk(sms[0].Member)
	}
	n, ok := parseInt(args[2])
	if !ok {
		return errNotInt
	}
	if n < -math.MaxInt64 {
		return ErrorReply("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
	}
	ws := false
	if len(args) > 4 || len(args) == 4 && !is(args[3], "withscores") {
		return errSyntax
	} else if len(args) == 4 {
		ws = true
		if n < -math.MaxInt64/2 || n > math.MaxInt64/2 {
			return ErrReply(store.ErrRandomCountRange)
		}
	}
	sms, err := c.Ops.ZRandMember(args[1], n)
	if err != nil {
		return ErrReply(err)
	}
	return scoredReply(c, sms, withScores(ws))
}

// storeKeys finds the keys of ZUNIONSTORE and its kin: the destination,
// then numkeys keys.
func storeKeys(args [][]byte) [][]byte {
	if len(args) < 2 {
		return nil
	}
	return append([][]byte{args[1]}, numKeys(2)(args)...)
}

// zcombine serves ZUNION, ZINTER, ZDIFF, their STORE forms (mode zStore)
// and ZINTERCARD (mode zCard) as Redis 7.0's zunionInterDiffGenericCommand:
// numkeys, then the keys' types, then the options.
func zcombine(op store.ZSetOp, mode int) func(c *Ctx, args [][]byte) Reply {
	return func(c *Ctx, args [][]byte) Reply {
		at := 1
		if mode == zStore {
			at = 2
		}
		n, ok := parseInt(args[at])
		switch {
		case !ok:
			return errNotInt
		case n < 1:
			return ErrorReply("ERR at least 1 input key is needed for '" + lower(args[0]) + "' command")
		case n > int64(len(args)-at-1):
			return errSyntax
		}
		keys := args[at+1 : at+1+int(n)]
		comb := store.ZCombine{Op: op}
		ws := false
		var limit int64
		// parse reads the options. Redis reads the keys' types before
		// them: a bad option loses to a key of another type, which the
		// store otherwise reports itself.
		parse := func() *Reply {
			for j := at + 1 + int(n); j < len(args); {
				left := len(args) - j
				switch {
				case mode == zCard && left >= 2 && is(args[j], "limit"):
					l, ok := parseInt(args[j+1])
					if !ok || l < 0 {
						e := ErrorReply("ERR LIMIT can't be negative")
						return &e
					}
					limit = l
					j += 2
				case mode != zCard && op != store.ZDiff && left >= int(n)+1 && is(args[j], "weights"):
					comb.Weights = make([]float64, n)
					for i := range comb.Weights {
						w, ok := redisnum.ParseDouble(args[j+1+i])
						if !ok {
							e := ErrorReply("ERR weight value is not a float")
							return &e
						}
						comb.Weights[i] = w
					}
					j += 1 + int(n)
				case mode != zCard && op != store.ZDiff && left >= 2 && is(args[j], "aggregate"):
					switch lower(args[j+1]) {
					case "sum":
						comb.Aggregate = store.ZSum
					case "min":
						comb.Aggregate = store.ZMin
					case "max":
						comb.Aggregate = store.ZMax
					default:
						return &errSyntax
					}
					j += 2
				case mode == 0 && is(args[j], "withscores"):
					ws = true
					j++
				default:
					return &errSyntax
				}
			}
			return nil
		}
		if e := parse(); e != nil {
			for _, k := range keys {
				t, err := c.Ops.Type(k)
				if err != nil {
					return ErrReply(err)
				}
				if t != store.TypeNone && t != store.TypeZSet && t != store.TypeSet {
					return ErrReply(store.ErrWrongType)
				}
			}
			return *e
		}
		switch mode {
		case zStore:
			return intReply(c.Ops.ZStore(comb, args[1], keys...))
		case zCard:
			return intReply(c.Ops.ZInterCard(limit, keys...))
		}
		sms, err := c.Ops.ZCompute(comb, keys...)
		if err != nil {
			return ErrReply(err)
		}
		return scoredReply(c, sms, withScores(ws))
	}
}

func zremrange(by store.ZRangeBy) func(c *Ctx, args [][]byte) Reply {
	return func(c *Ctx, args [][]byte) Reply {
		r := store.ZRange{By: by}
		if e := parseBounds(&r, args[2], args[3]); e != nil {
			return *e
		}
		return intReply(c.Ops.ZRemRange(args[1], r))
	}
}

func zscan(c *Ctx, args [][]byte) Reply {
	cursor, opt, errr := parseScan(args, 2, false)
	if errr != nil {
		if _, ok := parseCursor(args[2]); ok {
			if r, done := checkKeyType(c, args[1], store.TypeZSet, scanReply(0, nil)); done {
				return r
			}
		}
		return *errr
	}
	next, sms, err := c.Ops.ZScan(args[1], cursor, opt)
	if err != nil {
		return ErrReply(err)
	}
	elems := make([]Reply, 0, 2*len(sms))
	for _, sm := range sms {
		elems = append(elems, Bulk(sm.Member), Bulk(redisnum.AppendDouble(nil, sm.Score)))
	}
	return scanReply(next, elems)
}
