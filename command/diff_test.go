package command_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/store"
)

// The differential tests send the same commands to a stock redis-server and
// to Shingle's command table and require the same replies: same type, same
// text, errors word for word. They are the reference for "Redis 7 semantics".

// words splits a script line like a shell: spaces separate, double quotes
// group, and \x inside quotes escapes x. "" is an empty argument.
func words(line string) []string {
	var out []string
	var cur strings.Builder
	in, any := false, false
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case in && ch == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case ch == '"':
			in, any = !in, true
		case !in && ch == ' ':
			if any || cur.Len() > 0 {
				out = append(out, cur.String())
			}
			cur.Reset()
			any = false
		default:
			cur.WriteByte(ch)
		}
	}
	if any || cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// normalize makes replies that Redis leaves unordered comparable.
func normalize(cmd string, r command.Reply) command.Reply {
	switch strings.ToLower(cmd) {
	case "zscan":
		if len(r.Elems) == 2 {
			r.Elems[1].Elems = sortedPairs(r.Elems[1].Elems)
		}
	case "sscan":
		if len(r.Elems) == 2 {
			slices.SortFunc(r.Elems[1].Elems, func(a, b command.Reply) int { return strings.Compare(string(a.Str), string(b.Str)) })
		}
	case "keys", "hkeys", "hvals", "smembers", "sinter", "sunion", "sdiff":
		slices.SortFunc(r.Elems, func(a, b command.Reply) int { return strings.Compare(string(a.Str), string(b.Str)) })
	case "hgetall":
		r.Elems = sortedPairs(r.Elems)
		r.Kind = command.KindArray // RESP2 carries maps as arrays
	}
	return r
}

// sortedPairs returns a flat list of pairs (field, value) ordered by field.
func sortedPairs(elems []command.Reply) []command.Reply {
	type pair struct{ f, v command.Reply }
	var ps []pair
	for i := 0; i+1 < len(elems); i += 2 {
		ps = append(ps, pair{elems[i], elems[i+1]})
	}
	slices.SortFunc(ps, func(a, b pair) int { return strings.Compare(string(a.f.Str), string(b.f.Str)) })
	out := make([]command.Reply, 0, len(elems))
	for _, p := range ps {
		out = append(out, p.f, p.v)
	}
	return out
}

// tolerance is how far two integer replies of time-dependent commands may
// differ: the two servers run the command a few milliseconds apart.
func tolerance(cmd string) int64 {
	switch strings.ToLower(cmd) {
	case "ttl", "expiretime":
		return 1
	case "pttl", "pexpiretime":
		return 250
	}
	return 0
}

func sameReply(cmd string, want, got command.Reply) bool {
	want, got = normalize(cmd, want), normalize(cmd, got)
	if t := tolerance(cmd); t > 0 && want.Kind == command.KindInt && got.Kind == command.KindInt && want.Int >= 0 && got.Int >= 0 {
		d := want.Int - got.Int
		return -t <= d && d <= t
	}
	if strings.EqualFold(cmd, "randomkey") || strings.EqualFold(cmd, "hrandfield") || strings.EqualFold(cmd, "time") ||
		strings.EqualFold(cmd, "spop") || strings.EqualFold(cmd, "srandmember") || strings.EqualFold(cmd, "zrandmember") {
		return want.Kind == got.Kind && len(want.Elems) == len(got.Elems)
	}
	return want.String() == got.String()
}

type differ struct {
	t     *testing.T
	redis *testutil.Client
	db    *store.DB
}

func newDiffer(t *testing.T) *differ {
	return &differ{t: t, redis: startDiffRedis(t).Dial(t)}
}

// startDiffRedis starts the redis-server the differential tests compare
// with, its sorted sets kept as Shingle keeps them
// (zset-max-listpack-entries 0: the skiplist encoding, whose ZSCAN pages
// and whose scores keep the sign of a zero).
func startDiffRedis(t *testing.T, args ...string) *testutil.Redis {
	return testutil.StartRedis(t, append([]string{"--enable-debug-command", "yes", "--zset-max-listpack-entries", "0"}, args...)...)
}

// reset empties both sides.
func (d *differ) reset() {
	d.t.Helper()
	if _, err := d.redis.Do("FLUSHALL"); err != nil {
		d.t.Fatal(err)
	}
	if d.db != nil {
		d.db.Close()
	}
	db, err := store.Open("", &store.Options{InMemory: true})
	if err != nil {
		d.t.Fatal(err)
	}
	d.db = db
	d.t.Cleanup(func() { db.Close() })
}

// run sends one command to both sides and reports a difference.
func (d *differ) run(where string, args ...string) bool {
	d.t.Helper()
	want, err := d.redis.Do(args...)
	if err != nil {
		d.t.Fatalf("%s: redis: %v", where, err)
	}
	got := command.Do(d.db, args...)
	if !sameReply(args[0], want, got) {
		d.t.Errorf("%s: %q\n  redis:   %v\n  shingle: %v", where, args, want, got)
		return false
	}
	return true
}

// checkDigest compares DEBUG DIGEST: the datasets must be equal.
func (d *differ) checkDigest(where string) {
	d.t.Helper()
	d.run(where+" (digest)", "DEBUG", "DIGEST")
}

// scripts are the differential scripts, by name: each runs on empty
// servers, line by line, replies compared.
var scripts = joinScripts(coreScripts, typeScripts, zsetScripts, hllScripts, geoScripts, sortScripts, blockingScripts)

func joinScripts(sets ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, s := range sets {
		maps.Copy(out, s)
	}
	return out
}

func TestDifferentialScripts(t *testing.T) {
	d := newDiffer(t)
	names := make([]string, 0, len(scripts))
	for name := range scripts {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			d.t = t
			d.reset()
			for i, line := range strings.Split(scripts[name], "\n") {
				if args := words(line); len(args) > 0 {
					d.run(fmt.Sprintf("line %d", i), args...)
				}
			}
			d.checkDigest(name)
		})
	}
}

// TestDifferentialScan iterates SCAN and HSCAN to the end on both servers and
// compares what they return as sets: the order and batching differ by
// design, the contents may not.
func TestDifferentialScan(t *testing.T) {
	d := newDiffer(t)
	d.reset()
	for i := range 300 {
		k := fmt.Sprintf("key:%d", i)
		d.run("setup", "SET", k, "v")
		if i%3 == 0 {
			d.run("setup", "HSET", "hash", k, strconv.Itoa(i))
		}
		if i%7 == 0 {
			d.run("setup", "HSET", fmt.Sprintf("h:%d", i), "f", "v")
		}
	}
	collect := func(do func(args ...string) command.Reply, args ...string) []string {
		var out []string
		cursor := "0"
		for {
			a := append(append([]string{args[0]}, args[1:len(args)]...), "")
			copy(a[len(a)-1:], []string{cursor})
			a = append(slices.Clone(args[:cursorPos(args[0])]), cursor)
			a = append(a, args[cursorPos(args[0]):]...)
			r := do(a...)
			if r.Kind != command.KindArray || len(r.Elems) != 2 {
				t.Fatalf("%q: %v", a, r)
			}
			for _, e := range r.Elems[1].Elems {
				out = append(out, string(e.Str))
			}
			cursor = string(r.Elems[0].Str)
			if cursor == "0" {
				break
			}
		}
		slices.Sort(out)
		return out
	}
	redisDo := func(args ...string) command.Reply {
		r, err := d.redis.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	shingleDo := func(args ...string) command.Reply { return command.Do(d.db, args...) }
	for _, args := range [][]string{
		{"SCAN"},
		{"SCAN", "COUNT", "7"},
		{"SCAN", "MATCH", "key:1*"},
		{"SCAN", "MATCH", "h:*", "COUNT", "100"},
		{"SCAN", "TYPE", "hash"},
		{"SCAN", "TYPE", "string", "MATCH", "*9"},
		{"SCAN", "TYPE", "nosuchtype"},
		{"HSCAN", "hash"},
		{"HSCAN", "hash", "COUNT", "3"},
		{"HSCAN", "hash", "MATCH", "key:2*"},
	} {
		want, got := collect(redisDo, args...), collect(shingleDo, args...)
		if !slices.Equal(want, got) {
			t.Errorf("%q: redis returned %d items, shingle %d\n%v\n%v", args, len(want), len(got), want, got)
		}
	}
}

// cursorPos is where the cursor goes among the arguments.
func cursorPos(cmd string) int {
	if strings.EqualFold(cmd, "SCAN") {
		return 1
	}
	return 2
}

// TestDifferentialRandom runs a long random stream of commands, valid and
// not, over a handful of keys, comparing every reply and then the digests.
func TestDifferentialRandom(t *testing.T) {
	d := newDiffer(t)
	d.reset()
	seed := testutil.Seed(t)
	rng := rand.New(rand.NewPCG(seed, 0))
	n := 4000
	if testing.Short() {
		n = 1000
	}
	for i := range n {
		args := randomCommand(rng)
		if !d.run(fmt.Sprintf("step %d", i), args...) {
			break
		}
	}
	d.checkDigest("end")
}

func randomCommand(r *rand.Rand) []string {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	key := func() string { return pick("a", "b", "c", "h1", "h2", "{t}x", "{t}y") }
	field := func() string { return pick("f1", "f2", "f3", "", "n") }
	num := func() string {
		return pick("0", "1", "-1", "7", "100", "-100", "9223372036854775807", "-9223372036854775808", "abc", "1.5", "")
	}
	val := func() string { return pick("v", "", "10", "-3", "1.25", "0.1", "abc", "9223372036854775806", "x y") }
	float := func() string { return pick("0.1", "-0.25", "1e2", "3", "abc", "inf", "1.5e-3", "-1") }
	score := func() string { return pick("0", "1", "2", "-1", "0.5", "inf", "-inf", "abc", "1e300") }
	sbound := func() string { return pick("0", "(1", "2", "-inf", "+inf", "(0.5", "x") }
	lonlat := func() string { return pick("13.36", "38.11", "15.08", "-0.5", "0", "85.1", "abc") }
	lbound := func() string { return pick("-", "+", "[f1", "(f2", "[", "(f3", "x") }
	// Far longer than a run, in seconds and in milliseconds alike: a key
	// that expired in the middle of the run would expire on one side a
	// moment before the other (each side sets its deadline when the
	// command reaches it), and the two would drift apart.
	ttl := func() string { return pick("100000", "200000", "0", "-1", "abc", "1000000") }
	cmds := [][]string{
		{"GET", key()},
		{"SET", key(), val()},
		{"SET", key(), val(), pick("NX", "XX", "GET", "KEEPTTL")},
		{"SET", key(), val(), pick("EX", "PX"), ttl()},
		{"SET", key(), val(), "GET", pick("NX", "XX")},
		{"SETNX", key(), val()},
		{"SETEX", key(), ttl(), val()},
		{"GETSET", key(), val()},
		{"GETDEL", key()},
		{"GETEX", key(), pick("PERSIST", "EX", "PX"), ttl()},
		{"MGET", key(), key(), key()},
		{"MSET", key(), val(), key(), val()},
		{"MSETNX", key(), val(), key(), val()},
		{"APPEND", key(), val()},
		{"STRLEN", key()},
		{"INCR", key()},
		{"DECR", key()},
		{"INCRBY", key(), num()},
		{"DECRBY", key(), num()},
		{"INCRBYFLOAT", key(), float()},
		{"GETRANGE", key(), num(), num()},
		{"SETRANGE", key(), pick("0", "1", "5", "-1"), val()},
		{"DEL", key(), key()},
		{"EXISTS", key(), key()},
		{"TYPE", key()},
		{"RENAME", key(), key()},
		{"RENAMENX", key(), key()},
		{"COPY", key(), key(), pick("REPLACE", "DB", "")},
		{"KEYS", pick("*", "h*", "?", "{t}*", "[ab]")},
		{"DBSIZE"},
		{"EXPIRE", key(), ttl(), pick("NX", "XX", "GT", "LT", "")},
		{"PEXPIRE", key(), ttl()},
		{"EXPIREAT", key(), pick("4102444800", "1", "0")},
		{"TTL", key()},
		{"PTTL", key()},
		{"EXPIRETIME", key()},
		{"PERSIST", key()},
		{"HSET", key(), field(), val()},
		{"HSET", key(), field(), val(), field(), val()},
		{"HSETNX", key(), field(), val()},
		{"HGET", key(), field()},
		{"HMGET", key(), field(), field()},
		{"HGETALL", key()},
		{"HDEL", key(), field(), field()},
		{"HLEN", key()},
		{"HEXISTS", key(), field()},
		{"HKEYS", key()},
		{"HVALS", key()},
		{"HINCRBY", key(), field(), num()},
		{"HINCRBYFLOAT", key(), field(), float()},
		{"HSTRLEN", key(), field()},
		{"RANDOMKEY"},
		{"SETBIT", key(), pick("0", "7", "13", "64", "-1"), pick("0", "1", "2")},
		{"GETBIT", key(), pick("0", "7", "13", "64", "-1")},
		{"BITCOUNT", key(), num(), num(), pick("BIT", "BYTE", "")},
		{"BITPOS", key(), pick("0", "1"), num(), num(), pick("BIT", "BYTE", "")},
		{"BITOP", pick("AND", "OR", "XOR", "NOT"), key(), key(), key()},
		{"BITOP", "NOT", key(), key()},
		{"BITFIELD", key(), pick("GET", "SET", "INCRBY"), pick("u4", "i8", "i64", "u63", "u1"), pick("0", "3", "#2", "17"), num()},
		{"BITFIELD", key(), "OVERFLOW", pick("WRAP", "SAT", "FAIL"), "INCRBY", pick("u4", "i8", "i5"), pick("0", "3", "#2"), num()},
		{"BITFIELD_RO", key(), "GET", pick("u4", "i8", "i64"), pick("0", "3", "#2", "17")},
		{"LCS", key(), key(), pick("LEN", "IDX", "")},
		{"SADD", key(), field(), field()},
		{"SREM", key(), field(), field()},
		{"SCARD", key()},
		{"SISMEMBER", key(), field()},
		{"SMISMEMBER", key(), field(), field()},
		{"SMEMBERS", key()},
		{"SMOVE", key(), key(), field()},
		{pick("SINTER", "SUNION", "SDIFF"), key(), key(), key()},
		{pick("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"), key(), key(), key()},
		{"SINTERCARD", pick("1", "2", "3", "0", "-1", "x"), key(), key(), pick("LIMIT", "")},
		{"SPOP", key(), pick("0", "-1", "abc", "100")}, // a random choice only when it takes all: the two sides must stay equal
		{"SRANDMEMBER", key(), pick("0", "-1", "abc", "1", "10", "-10")},
		{pick("LPUSH", "RPUSH", "LPUSHX", "RPUSHX"), key(), val(), val()},
		{pick("LPOP", "RPOP"), key(), pick("0", "1", "2", "-1", "abc", "")},
		{"LRANGE", key(), num(), num()},
		{"LINDEX", key(), num()},
		{"LSET", key(), pick("0", "1", "-1", "5"), val()},
		{"LINSERT", key(), pick("BEFORE", "AFTER"), val(), val()},
		{"LREM", key(), pick("0", "1", "-1", "2"), val()},
		{"LTRIM", key(), num(), num()},
		{"LPOS", key(), val(), pick("RANK", "COUNT", "MAXLEN"), pick("1", "-1", "0", "2")},
		{"LMOVE", key(), key(), pick("LEFT", "RIGHT"), pick("LEFT", "RIGHT")},
		{"RPOPLPUSH", key(), key()},
		{"LMPOP", pick("1", "2"), key(), key(), pick("LEFT", "RIGHT")},
		{"LLEN", key()},
		{"ZADD", key(), pick("NX", "XX", "GT", "LT", "CH", "INCR", "1"), score(), field(), score(), field()},
		{"ZADD", key(), score(), field()},
		{"ZINCRBY", key(), score(), field()},
		{"ZREM", key(), field(), field()},
		{"ZSCORE", key(), field()},
		{"ZMSCORE", key(), field(), field()},
		{"ZCARD", key()},
		{pick("ZRANK", "ZREVRANK"), key(), field()},
		{"ZCOUNT", key(), sbound(), sbound()},
		{"ZLEXCOUNT", key(), lbound(), lbound()},
		{"ZRANGE", key(), num(), num(), pick("REV", "WITHSCORES", "")},
		{"ZRANGE", key(), sbound(), sbound(), "BYSCORE", pick("REV", "WITHSCORES", "LIMIT"), pick("1", "0", "-1"), pick("2", "-1", "0")},
		{"ZRANGE", key(), lbound(), lbound(), "BYLEX", pick("REV", "LIMIT"), pick("1", "0", "-1"), pick("2", "-1", "0")},
		{pick("ZRANGEBYSCORE", "ZREVRANGEBYSCORE"), key(), sbound(), sbound(), pick("WITHSCORES", "")},
		{pick("ZRANGEBYLEX", "ZREVRANGEBYLEX"), key(), lbound(), lbound()},
		{"ZREVRANGE", key(), num(), num(), pick("WITHSCORES", "")},
		{"ZRANGESTORE", key(), key(), num(), num()},
		{pick("ZPOPMIN", "ZPOPMAX"), key(), pick("0", "1", "2", "-1", "abc", "")},
		{"ZMPOP", pick("1", "2"), key(), key(), pick("MIN", "MAX"), "COUNT", pick("1", "3")},
		{pick("ZUNION", "ZINTER", "ZDIFF"), "2", key(), key(), pick("WITHSCORES", "")},
		{pick("ZUNIONSTORE", "ZINTERSTORE"), key(), "2", key(), key(), "AGGREGATE", pick("SUM", "MIN", "MAX")},
		{"ZDIFFSTORE", key(), "2", key(), key()},
		{"ZINTERCARD", "2", key(), key()},
		{"PFADD", key(), field(), field()},
		{"PFCOUNT", key(), pick(key(), "")},
		{"PFMERGE", key(), key(), key()},
		{pick("SORT", "SORT_RO"), key(), pick("ALPHA", "DESC", "LIMIT"), pick("0", "1", "-1"), pick("2", "-1", "ALPHA")},
		{"SORT", key(), "BY", pick("nosort", "h1*", "*->f1"), "GET", pick("#", "*", "h*->f2"), pick("STORE", "ALPHA"), key()},
		{"GEOADD", key(), pick("NX", "XX", "CH", "13.36"), lonlat(), lonlat(), field()},
		{pick("GEOPOS", "GEOHASH"), key(), field(), field()},
		{"GEODIST", key(), field(), field(), pick("m", "km", "mi", "ft", "x")},
		{"GEOSEARCH", key(), "FROMLONLAT", lonlat(), lonlat(), "BYRADIUS", pick("100", "1000", "-1"), "km", pick("ASC", "DESC", "WITHDIST", "WITHCOORD")},
		{"GEOSEARCH", key(), "FROMMEMBER", field(), "BYBOX", pick("100", "5000"), pick("100", "x"), "km", "WITHHASH"},
		{"GEOSEARCHSTORE", key(), key(), "FROMLONLAT", lonlat(), lonlat(), "BYRADIUS", "2000", "km", pick("STOREDIST", "ASC")},
		{pick("ZREMRANGEBYSCORE", "ZREMRANGEBYLEX", "ZREMRANGEBYRANK"), key(), pick(sbound(), lbound(), num()), pick(sbound(), lbound(), num())},
	}
	c := cmds[r.IntN(len(cmds))]
	if c[len(c)-1] == "" && (c[0] == "EXPIRE" || c[0] == "COPY" || c[0] == "BITCOUNT" || c[0] == "BITPOS" || c[0] == "LCS" || c[0] == "SINTERCARD" || c[0] == "LPOP" || c[0] == "RPOP" ||
		c[0] == "ZRANGE" || c[0] == "ZPOPMIN" || c[0] == "ZPOPMAX" || c[0] == "ZRANGEBYSCORE" || c[0] == "ZREVRANGEBYSCORE" ||
		c[0] == "ZUNION" || c[0] == "ZINTER" || c[0] == "ZDIFF" || c[0] == "ZREVRANGE" || c[0] == "PFCOUNT") {
		c = c[:len(c)-1]
	}
	if r.IntN(200) == 0 {
		return []string{"FLUSHALL"}
	}
	return c
}
