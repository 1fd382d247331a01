package command

import (
	"math"
	"strings"

	"github.com/shinglekv/shingle/internal/redisnum"
	"github.com/shinglekv/shingle/store"
)

// Replies shared by many commands.
var (
	errSyntax = ErrReply(store.ErrSyntax)
	errNotInt = ErrReply(store.ErrNotInteger)
)

// is reports whether arg equals word, ignoring ASCII case.
func is(arg []byte, word string) bool {
	return len(arg) == len(word) && strings.EqualFold(string(arg), word)
}

// parseInt parses an integer argument with Redis's rules.
func parseInt(arg []byte) (int64, bool) { return redisnum.ParseInt(arg) }

// expireOption is one of the expiry options of SET and GETEX.
type expireOption struct {
	seconds  bool // EX, EXAT: the argument is in seconds
	relative bool // EX, PX: the argument is a duration
}

var expireOptions = map[string]expireOption{
	"ex":   {seconds: true, relative: true},
	"px":   {relative: true},
	"exat": {seconds: true},
	"pxat": {},
}

// absoluteExpire turns an expiry option's argument into unix milliseconds,
// with the checks and error texts of Redis's getExpireMillisecondsOrReply.
func absoluteExpire(c *Ctx, opt expireOption, arg []byte, cmd string) (int64, *Reply) {
	n, ok := parseInt(arg)
	if !ok {
		return 0, &errNotInt
	}
	invalid := ErrReply(store.InvalidExpireError(cmd))
	if n <= 0 || opt.seconds && n > math.MaxInt64/1000 {
		return 0, &invalid
	}
	if opt.seconds {
		n *= 1000
	}
	if opt.relative {
		now := c.Ops.Now().UnixMilli()
		if n > math.MaxInt64-now {
			return 0, &invalid
		}
		n += now
	}
	return n, nil
}

// parseCursor parses a SCAN cursor as Redis does, with strtoul: an unsigned
// decimal, where a leading '-' wraps around.
func parseCursor(arg []byte) (uint64, bool) {
	s := arg
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var u uint64
	for _, ch := range s {
		if ch < '0' || ch > '9' || u > (math.MaxUint64-uint64(ch-'0'))/10 {
			return 0, false
		}
		u = u*10 + uint64(ch-'0')
	}
	if len(s) == 0 && len(arg) > 0 {
		return 0, false
	}
	if neg {
		u = -u
	}
	return u, true
}

// checkKeyType is for errors Redis reports only after looking the key up:
// when key is missing it answers ifMissing, when it holds another type than
// t it answers WRONGTYPE, and in both cases done is true.
func checkKeyType(c *Ctx, key []byte, t store.Type, ifMissing Reply) (r Reply, done bool) {
	kt, err := c.Ops.Type(key)
	switch {
	case err != nil:
		return ErrReply(err), true
	case kt == store.TypeNone:
		return ifMissing, true
	case kt != t:
		return ErrReply(store.ErrWrongType), true
	}
	return Reply{}, false
}
