package command_test

import (
	"fmt"
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
	case "sscan":
		if len(r.Elems) == 2 {
			slices.SortFunc(r.Elems[1].Elems, func(a, b command.Reply) int { return strings.Compare(string(a.Str), string(b.Str)) })
		}
	case "keys", "hkeys", "hvals", "smembers", "sinter", "sunion", "sdiff":
		slices.SortFunc(r.Elems, func(a, b command.Reply) int { return strings.Compare(string(a.Str), string(b.Str)) })
	case "hgetall":
		type pair struct{ f, v command.Reply }
		var ps []pair
		for i := 0; i+1 < len(r.Elems); i += 2 {
			ps = append(ps, pair{r.Elems[i], r.Elems[i+1]})
		}
		slices.SortFunc(ps, func(a, b pair) int { return strings.Compare(string(a.f.Str), string(b.f.Str)) })
		r.Elems = r.Elems[:0]
		for _, p := range ps {
			r.Elems = append(r.Elems, p.f, p.v)
		}
		r.Kind = command.KindArray // RESP2 carries maps as arrays
	}
	return r
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
		strings.EqualFold(cmd, "spop") || strings.EqualFold(cmd, "srandmember") {
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
	rs := testutil.StartRedis(t, "--enable-debug-command", "yes")
	return &differ{t: t, redis: rs.Dial(t)}
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

var scripts = map[string]string{
	"get set": `
GET nokey
SET k v
GET k
SET k ""
GET k
STRLEN k
SET k v NX
SET k v2 XX
GET k
SET k v NX XX
SET k v XX NX
SET newk v XX
GET newk
SET k v GET
SET k2 v GET
SET k v NX GET
SET k v EX
SET k v EX 0
SET k v EX -1
SET k v PX 0
SET k v EX abc
SET k v EX 10 PX 10
SET k v EX 10 EX 20
TTL k
SET k v KEEPTTL EX 10
SET k v EX 10 KEEPTTL
SET k v KEEPTTL
TTL k
SET k v
TTL k
SET k v EX 9223372036854775807
SET k v EX 9223372036854775
SET k v PX 9223372036854775807
SET k v EXAT 0
SET k v PXAT 4102444800000
PEXPIRETIME k
SET k v EXAT 4102444800
EXPIRETIME k
SET k v BOGUS
set k v nx
SET k
SET
GETSET k new
GETSET nokey2 v
GETSET k
`,
	"set wrongtype": `
HSET h f v
GET h
SET h v GET
TYPE h
SET h v
TYPE h
GET h
HSET h f v
GETSET h x
APPEND h x
STRLEN h
INCR h
INCRBYFLOAT h 1
GETRANGE h 0 1
SETRANGE h 0 x
GETDEL h
GETEX h
MGET h nokey
SETNX h v
`,
	"setnx setex": `
SETNX k v
SETNX k v2
GET k
SETEX k 10 v
TTL k
SETEX k 0 v
SETEX k -5 v
SETEX k abc v
SETEX k 9223372036854775807 v
PSETEX k 10000 v
PTTL k
PSETEX k 0 v
SETEX k 10
`,
	"getdel getex": `
SET k v
GETDEL k
GETDEL k
EXISTS k
SET k v
GETEX k
GETEX k EX 100
TTL k
GETEX k PERSIST
TTL k
GETEX k PX 5000
PTTL k
GETEX k EXAT 4102444800
EXPIRETIME k
GETEX k PXAT 4102444800123
PEXPIRETIME k
GETEX k EX 10 PX 10
GETEX k EX 0
GETEX k EX -1
GETEX k PERSIST EX 10
GETEX k EX 10 PERSIST
GETEX k NX
GETEX k KEEPTTL
GETEX nokey EX 10
GETEX k EXAT 1
EXISTS k
`,
	"mget mset": `
MSET a 1 b 2 c 3
MGET a b c d
MSET a 1 b
MSET a
MSET a 1 a 2
GET a
MSETNX a 1 x 2
MGET x
MSETNX x 1 y 2
MGET x y
MSETNX z 1 z 2
GET z
MSETNX p 1 q
`,
	"append strlen getrange setrange": `
APPEND k hello
APPEND k " world"
GET k
STRLEN k
STRLEN nokey
GETRANGE k 0 4
GETRANGE k -5 -1
GETRANGE k 5 2
GETRANGE k -1 -5
GETRANGE k 0 -1
GETRANGE k 0 100
GETRANGE k -100 2
GETRANGE k 20 30
GETRANGE nokey 0 10
GETRANGE k a b
GETRANGE k 0 -100
SUBSTR k 0 2
SETRANGE k 6 there
GET k
SETRANGE k 20 x
GET k
STRLEN k
SETRANGE k -1 x
SETRANGE new 0 ""
EXISTS new
SETRANGE new 3 abc
GET new
SETRANGE k 0 ""
SETRANGE k 536870912 x
SETRANGE k 536870000 ""
SETRANGE k a x
APPEND k ""
`,
	"incr decr": `
INCR n
INCR n
DECR n
INCRBY n 10
DECRBY n 5
INCRBY n -3
DECRBY n -3
GET n
INCRBY n abc
INCRBY n 1.5
SET n 9223372036854775807
INCR n
INCRBY n 0
SET n -9223372036854775808
DECR n
DECRBY n 9223372036854775807
SET n 5
DECRBY n -9223372036854775808
INCRBY n -9223372036854775808
SET n 010
INCR n
SET n " 1"
INCR n
SET n +1
INCR n
SET n -0
INCR n
SET n 1e3
INCR n
SET n ""
INCR n
SET n 12345678901234567890
INCR n
SET n 7
EXPIRE n 100
INCR n
TTL n
`,
	"incrbyfloat": `
INCRBYFLOAT f 0.1
INCRBYFLOAT f 0.1
INCRBYFLOAT f 0.1
INCRBYFLOAT f 10.5
INCRBYFLOAT f -20
INCRBYFLOAT f 1e3
INCRBYFLOAT f 5.0e3
INCRBYFLOAT f 0x10
INCRBYFLOAT f abc
INCRBYFLOAT f ""
INCRBYFLOAT f " 1"
INCRBYFLOAT f "1 "
INCRBYFLOAT f inf
INCRBYFLOAT f -inf
INCRBYFLOAT f nan
INCRBYFLOAT f +1.5
INCRBYFLOAT f .5
INCRBYFLOAT f 5.
INCRBYFLOAT f 1e400
INCRBYFLOAT f 1e-400
SET f 3.0
INCRBYFLOAT f 0
SET f -0.5
INCRBYFLOAT f 0.5
SET f 1.7976931348623157e308
INCRBYFLOAT f 1.7976931348623157e308
SET f abc
INCRBYFLOAT f 1
SET f 10
INCRBYFLOAT f 1.123456789012345678901234567890
INCRBYFLOAT f 99999999999999999999
INCRBYFLOAT f 0.000000000000000001
SET f 1
EXPIRE f 100
INCRBYFLOAT f 1
TTL f
`,
	"keyspace": `
SET a 1
SET b 2
HSET h f v
DEL a b c
DEL a
EXISTS a b h h
UNLINK h
EXISTS h
SET a 1
TYPE a
TYPE nokey
DEL a a a
SET a 1
RENAME a b
GET b
EXISTS a
RENAME nokey b
RENAME b b
RENAMENX b b
RENAMENX nokey x
SET c 3
RENAMENX b c
RENAMENX b d
GET d
EXPIRE d 100
RENAME d e
TTL e
HSET h f1 v1 f2 v2
RENAME h hh
HGETALL hh
HGETALL h
RENAME hh "{x}other"
HGETALL "{x}other"
HLEN "{x}other"
SET s str
RENAME s "{x}other"
TYPE "{x}other"
DBSIZE
FLUSHDB
DBSIZE
FLUSHALL ASYNC
FLUSHALL SYNC
FLUSHALL BOGUS
FLUSHALL SYNC ASYNC
`,
	"copy": `
SET a 1
COPY a b
GET b
COPY a b
COPY a b REPLACE
COPY a a
COPY nokey b
EXPIRE a 100
COPY a c
TTL c
HSET h f1 v1 f2 v2
COPY h h2
HGETALL h2
HSET h2 f3 v3
HLEN h
HLEN h2
COPY h "{y}z"
HGETALL "{y}z"
COPY a h2 REPLACE
TYPE h2
COPY a d DB 0
COPY a e DB abc
COPY a e BOGUS
COPY a e REPLACE REPLACE
`,
	"keys": `
MSET hello 1 hallo 2 hxllo 3 hllo 4 heeeello 5 "h*llo" 6 "" 7 a 8 "a[b" 9
KEYS *
KEYS h?llo
KEYS h*llo
KEYS h[ae]llo
KEYS h[^e]llo
KEYS h[a-b]llo
KEYS h[b-a]llo
KEYS "h\\*llo"
KEYS h\*llo
KEYS "a["
KEYS "a[b"
KEYS "a\\[b"
KEYS **
KEYS ?
KEYS nothing
KEYS ""
KEYS "[a"
KEYS "*["
`,
	"expire": `
SET k v
EXPIRE k 100
TTL k
PTTL k
EXPIRETIME k
PEXPIRE k 100000
PTTL k
EXPIREAT k 4102444800
EXPIRETIME k
PEXPIREAT k 4102444800123
PEXPIRETIME k
EXPIRETIME k
PERSIST k
PERSIST k
TTL k
PTTL k
TTL nokey
PTTL nokey
EXPIRETIME nokey
PEXPIRETIME nokey
EXPIRE nokey 10
PERSIST nokey
EXPIRE k abc
EXPIRE k 10 bogus
EXPIRE k 10 NX XX
EXPIRE k 10 NX GT
EXPIRE k 10 GT LT
EXPIRE k 10 XX
EXPIRE k 10 NX
EXPIRE k 20 NX
TTL k
EXPIRE k 5 GT
EXPIRE k 50 GT
TTL k
EXPIRE k 500 LT
EXPIRE k 30 LT
TTL k
EXPIRE k 40 XX GT
TTL k
PERSIST k
EXPIRE k 40 GT
EXPIRE k 40 XX LT
EXPIRE k 40 LT
TTL k
EXPIRE k 9223372036854775807
EXPIRE k 9223372036854775
EXPIRE k -9223372036854775808
PEXPIRE k 9223372036854775807
EXPIREAT k 9223372036854775
PEXPIREAT k 9223372036854775807
PEXPIRETIME k
SET k v
EXPIRE k 0
EXISTS k
SET k v
EXPIRE k -10
EXISTS k
SET k v
PEXPIREAT k 1
EXISTS k
SET k v
EXPIREAT k 1 GT
EXPIREAT k 1 LT
EXISTS k
HSET h f v
EXPIRE h 100
TTL h
EXPIRE h -1
EXISTS h
HGET h f
EXPIRE
EXPIRE k
`,
	"hash": `
HSET h f1 v1
HSET h f1 v1 f2 v2 f3 v3
HSET h f4
HSET h
HGET h f1
HGET h nofield
HGET nokey f
HMGET h f1 nofield f2
HMGET nokey a b
HLEN h
HLEN nokey
HEXISTS h f1
HEXISTS h nofield
HEXISTS nokey f
HKEYS h
HVALS h
HGETALL h
HGETALL nokey
HKEYS nokey
HSTRLEN h f1
HSTRLEN h nofield
HSTRLEN nokey f
HSETNX h f1 x
HSETNX h f9 x
HGET h f9
HDEL h f1 f1 nofield
HDEL h f2 f3 f4 f9
EXISTS h
HDEL nokey f
HMSET h a 1 b 2
HMSET h a
HGETALL h
HSET h a 1 a 2
HGET h a
HLEN h
HSET h "" empty
HGET h ""
HSET h sp "a b"
HGETALL h
SET s v
HSET s f v
HGET s f
HGETALL s
HDEL s f
HLEN s
HSETNX s f v
HMGET s f
HKEYS s
HEXISTS s f
HSTRLEN s f
`,
	"hincr": `
HINCRBY h n 1
HINCRBY h n 10
HINCRBY h n -20
HINCRBY h n abc
HINCRBY h n 1.5
HSET h s hello
HINCRBY h s 1
HSET h big 9223372036854775807
HINCRBY h big 1
HSET h small -9223372036854775808
HINCRBY h small -1
HSET h z 010
HINCRBY h z 1
HINCRBYFLOAT h f 0.1
HINCRBYFLOAT h f 0.1
HINCRBYFLOAT h f 0.1
HINCRBYFLOAT h f abc
HINCRBYFLOAT h f inf
HINCRBYFLOAT h f -inf
HINCRBYFLOAT h s 1
HINCRBYFLOAT h n 1.5
HINCRBYFLOAT h f 1e400
HSET h huge 1.7976931348623157e308
HINCRBYFLOAT h huge 1.7976931348623157e308
HINCRBYFLOAT h huge2 1e3
HGETALL h
SET str v
HINCRBY str f 1
HINCRBYFLOAT str f 1
`,
	"hrandfield": `
HRANDFIELD nokey
HRANDFIELD nokey 5
HRANDFIELD nokey 5 WITHVALUES
HSET h a 1 b 2 c 3
HRANDFIELD h 0
HRANDFIELD h 3
HRANDFIELD h 10
HRANDFIELD h -10
HRANDFIELD h 2
HRANDFIELD h 2 WITHVALUES
HRANDFIELD h -5 WITHVALUES
HRANDFIELD h 10 WITHVALUES
HRANDFIELD h 2 BOGUS
HRANDFIELD h 2 WITHVALUES x
HRANDFIELD h abc
HRANDFIELD h -9223372036854775808
HRANDFIELD h 9223372036854775807 WITHVALUES
HRANDFIELD h -9223372036854775807 WITHVALUES
SET s v
HRANDFIELD s
HRANDFIELD s 1
`,
	"scan args": `
SCAN abc
SCAN -1 COUNT 0
SCAN 0 COUNT 0
SCAN 0 COUNT -1
SCAN 0 COUNT abc
SCAN 0 MATCH
SCAN 0 BOGUS x
SCAN 0 TYPE
HSCAN nokey 0
HSCAN nokey abc
HSCAN nokey 0 TYPE string
HSCAN nokey 0 COUNT 0
SET s v
HSCAN s 0
`,
	"bits": `
SETBIT b 7 1
SETBIT b 7 1
SETBIT b 7 0
GET b
SETBIT b 100 1
STRLEN b
GETBIT b 100
GETBIT b 101
GETBIT b 99999
GETBIT nokey 3
SETBIT b -1 1
SETBIT b abc 1
SETBIT b 4294967296 1
SETBIT b 4294967295 2
SETBIT b 1 2
SETBIT b 1 -1
SETBIT b 1 abc
GETBIT b -1
GETBIT b 4294967296
SETBIT nb 20 0
GET nb
HSET h f v
SETBIT h 1 1
GETBIT h 1
SET s foobar
BITCOUNT s
BITCOUNT s 0 0
BITCOUNT s 1 1
BITCOUNT s 1 1 BYTE
BITCOUNT s 5 30 BIT
BITCOUNT s -1 -2
BITCOUNT s -2 -1
BITCOUNT s -100 100
BITCOUNT s 0 -1 BIT
BITCOUNT s 7 2 BIT
BITCOUNT s 0
BITCOUNT s 0 1 BOGUS
BITCOUNT s 0 1 BIT x
BITCOUNT s a 1
BITCOUNT s -1 -2 BOGUS
BITCOUNT nokey
BITCOUNT nokey 0
BITCOUNT nokey 0 1 BOGUS
BITCOUNT h
SET z "\xff\xf0\x00"
BITPOS z 0
BITPOS z 1
BITPOS z 0 2
BITPOS z 0 0 0
BITPOS z 0 0 1
BITPOS z 1 1 -1
BITPOS z 0 8 -1 BIT
BITPOS z 1 12 15 BIT
BITPOS z 0 0 11 BIT
BITPOS z 0 0 12 BIT
BITPOS z 1 2 2
BITPOS z 1 3 1
BITPOS z 2
BITPOS z abc
BITPOS z 1 a
BITPOS z 1 0 a
BITPOS z 1 0 1 BOGUS
BITPOS z 1 0 1 BIT x
SET ones "\xff\xff"
BITPOS ones 0
BITPOS ones 0 0
BITPOS ones 0 0 -1
BITPOS ones 0 0 -1 BIT
SET empty ""
BITPOS empty 0
BITPOS empty 1
BITCOUNT empty
BITPOS nokey 0
BITPOS nokey 1
BITPOS nokey 2
BITPOS h 1
SET a1 "\x0f\xf0"
SET a2 "\xff"
BITOP AND dest a1 a2
GET dest
BITOP OR dest a1 a2 nokey
GET dest
BITOP XOR dest a1 a2 a2
GET dest
BITOP NOT dest a1
GET dest
BITOP NOT dest a1 a2
BITOP BOGUS dest a1
BITOP and dest nokey
EXISTS dest
BITOP AND dest h
BITOP OR h a1
TYPE h
SET withttl x EX 100
BITOP OR withttl a1
TTL withttl
BITFIELD bf SET u8 0 255 GET u8 0 GET i8 0
BITFIELD bf INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 5 OVERFLOW FAIL INCRBY u2 104 5
GET bf
BITFIELD bf GET i64 0 GET u63 1 GET i1 7
BITFIELD bf SET i8 #1 -128 INCRBY i8 #1 -1 OVERFLOW SAT INCRBY i8 #1 -1 OVERFLOW WRAP INCRBY i8 #1 300
BITFIELD bf SET i64 0 -1 INCRBY i64 0 9223372036854775807 OVERFLOW SAT INCRBY i64 0 -9223372036854775808
BITFIELD bf SET u8 0 -1 SET u8 0 256 OVERFLOW SAT SET u8 0 256 SET u8 0 -5 OVERFLOW FAIL SET u8 0 256
BITFIELD bf GET u64 0
BITFIELD bf GET i65 0
BITFIELD bf GET x8 0
BITFIELD bf GET u8 -1
BITFIELD bf GET u8 #-1
BITFIELD bf GET u8 abc
BITFIELD bf SET u8 0 abc
BITFIELD bf OVERFLOW BOGUS GET u8 0
BITFIELD bf BOGUS
BITFIELD bf GET u8
BITFIELD bf SET u8 4294967296 1
BITFIELD bf
BITFIELD nf OVERFLOW FAIL INCRBY u2 10 5
EXISTS nf
GET nf
BITFIELD h GET u8 0
BITFIELD_RO bf GET u8 0 GET i4 #3
BITFIELD_RO bf SET u8 0 1
BITFIELD_RO nokey GET u8 0
BITFIELD_RO h GET u8 0
SET l1 ohmytext
SET l2 mynewtext
LCS l1 l2
LCS l1 l2 LEN
LCS l1 l2 IDX
LCS l1 l2 IDX MINMATCHLEN 4
LCS l1 l2 IDX MINMATCHLEN 4 WITHMATCHLEN
LCS l1 l2 IDX WITHMATCHLEN MINMATCHLEN -3
LCS l1 l2 LEN IDX
LCS l1 l2 BOGUS
LCS l1 l2 MINMATCHLEN
LCS l1 l2 MINMATCHLEN abc
LCS l1 nokey
LCS nokey nokey2 IDX
LCS l1 h
LCS h l1 LEN
`,
	"object touch time": `
OBJECT HELP
OBJECT help
OBJECT HELP x
OBJECT FOO
OBJECT FOO k
OBJECT ENCODING
OBJECT ENCODING a b
OBJECT ENCODING nokey
OBJECT FREQ nokey
OBJECT IDLETIME nokey
OBJECT REFCOUNT nokey
SET k abc
HSET h f v
OBJECT FREQ k
OBJECT FREQ h
OBJECT IDLETIME k
TOUCH k nokey k h
TOUCH nokey
TIME
TIME x
`,
	"sets": `
SADD {k}s a b c a
SADD {k}s c d
SCARD {k}s
SMEMBERS {k}s
SISMEMBER {k}s a
SISMEMBER {k}s z
SISMEMBER {k}nokey a
SMISMEMBER {k}s a z b
SMISMEMBER {k}nokey a
SREM {k}s a z a
SREM {k}nokey a
SCARD {k}nokey
SMEMBERS {k}nokey
SADD {k}t c d e
SINTER {k}s {k}t
SINTER {k}s {k}t {k}nokey
SUNION {k}s {k}t {k}nokey
SDIFF {k}s {k}t
SDIFF {k}t {k}s
SDIFF {k}nokey {k}s
SINTERSTORE {k}dst {k}s {k}t
SMEMBERS {k}dst
SUNIONSTORE {k}dst {k}s {k}t
SCARD {k}dst
SDIFFSTORE {k}dst {k}s {k}t
SMEMBERS {k}dst
SINTERSTORE {k}dst {k}s {k}nokey
EXISTS {k}dst
SET {k}str x EX 100
SUNIONSTORE {k}str {k}s
TYPE {k}str
TTL {k}str
SINTERCARD 2 {k}s {k}t
SINTERCARD 2 {k}s {k}t LIMIT 1
SINTERCARD 2 {k}s {k}t LIMIT 0
SINTERCARD 1 {k}s LIMIT -1
SINTERCARD 0 {k}s
SINTERCARD 3 {k}s {k}t
SINTERCARD abc {k}s
SINTERCARD 2 {k}s {k}t BOGUS
SINTERCARD 2 {k}s {k}t LIMIT
SINTERCARD 1 {k}nokey
SMOVE {k}s {k}t b
SMOVE {k}s {k}t b
SMOVE {k}s {k}s c
SMOVE {k}s {k}s zz
SMOVE {k}nokey {k}t a
SMOVE {k}s {k}newset c
SMEMBERS {k}newset
EXISTS {k}s
SET {k}plain v
SMOVE {k}plain {k}t a
SMOVE {k}t {k}plain c
SADD {k}plain a
SREM {k}plain a
SMEMBERS {k}plain
SCARD {k}plain
SINTER {k}s {k}plain
SINTER {k}nokey {k}plain
SUNION {k}plain
SINTERSTORE {k}dst {k}plain
SPOP {k}nokey
SPOP {k}nokey 2
SPOP {k}t -1
SPOP {k}t abc
SPOP {k}t 0
SPOP {k}t 1 2
SPOP {k}plain
SRANDMEMBER {k}nokey
SRANDMEMBER {k}nokey 3
SRANDMEMBER {k}t abc
SRANDMEMBER {k}t 0
SRANDMEMBER {k}t 1 2
SRANDMEMBER {k}plain
SADD {k}one x
SPOP {k}one
EXISTS {k}one
SADD {k}one x
SRANDMEMBER {k}one
SRANDMEMBER {k}one 5
SRANDMEMBER {k}one -3
SPOP {k}one 5
EXISTS {k}one
SSCAN {k}s 0
SSCAN {k}nokey 0
SSCAN {k}plain 0
SSCAN {k}s 0 MATCH d*
SSCAN {k}s abc
SADD {k}ints 1 2 3 -5 100000
SADD {k}empty
`,
	"lists": `
RPUSH {l}a a b c
LPUSH {l}a x y
LRANGE {l}a 0 -1
LLEN {l}a
LPUSHX {l}nokey v
RPUSHX {l}nokey v
EXISTS {l}nokey
LPUSHX {l}a z
RPUSHX {l}a w
LRANGE {l}a 0 -1
LRANGE {l}a -3 -1
LRANGE {l}a 2 1
LRANGE {l}a -100 100
LRANGE {l}a 100 200
LRANGE {l}a 0 abc
LRANGE {l}nokey 0 -1
LINDEX {l}a 0
LINDEX {l}a -1
LINDEX {l}a 100
LINDEX {l}a -100
LINDEX {l}a x
LINDEX {l}nokey 0
LSET {l}a 1 Y
LSET {l}a -1 W
LSET {l}a 100 v
LSET {l}nokey 0 v
LSET {l}a x v
LRANGE {l}a 0 -1
LINSERT {l}a BEFORE b B
LINSERT {l}a AFTER b B2
LINSERT {l}a AFTER W end
LINSERT {l}a BEFORE z start
LINSERT {l}a BEFORE nope v
LINSERT {l}nokey BEFORE b v
LINSERT {l}a MIDDLE b v
LRANGE {l}a 0 -1
RPUSH {l}r x a x b x c x
LREM {l}r 2 x
LRANGE {l}r 0 -1
LREM {l}r -1 x
LRANGE {l}r 0 -1
LREM {l}r 0 x
LRANGE {l}r 0 -1
LREM {l}r 0 nope
LREM {l}r x a
LREM {l}nokey 0 a
LREM {l}r 0 a
LREM {l}r 0 b
LREM {l}r 0 c
EXISTS {l}r
RPUSH {l}t 0 1 2 3 4 5 6 7 8 9
LTRIM {l}t 2 -3
LRANGE {l}t 0 -1
LTRIM {l}t -100 100
LRANGE {l}t 0 -1
LTRIM {l}t 1 1
LRANGE {l}t 0 -1
LTRIM {l}t 5 1
EXISTS {l}t
LTRIM {l}nokey 0 1
LTRIM {l}t x 1
RPUSH {l}p a b c a b c a
LPOS {l}p a
LPOS {l}p a RANK 2
LPOS {l}p a RANK -1
LPOS {l}p a RANK -2 COUNT 2
LPOS {l}p a COUNT 0
LPOS {l}p a COUNT 0 MAXLEN 4
LPOS {l}p a RANK -1 MAXLEN 2
LPOS {l}p nope
LPOS {l}p nope COUNT 2
LPOS {l}p a RANK 0
LPOS {l}p a COUNT -1
LPOS {l}p a MAXLEN -1
LPOS {l}p a RANK x
LPOS {l}p a RANK -9223372036854775808
LPOS {l}p a BOGUS 1
LPOS {l}p a RANK
LPOS {l}nokey a
LPOS {l}nokey a COUNT 1
RPUSH {l}q 1 2 3 4 5
LPOP {l}q
RPOP {l}q
LPOP {l}q 2
RPOP {l}q 0
LPOP {l}q -1
LPOP {l}q x
LPOP {l}q 10
EXISTS {l}q
LPOP {l}nokey
LPOP {l}nokey 2
RPOP {l}nokey 0
LPOP {l}q 1 2
RPUSH {l}m1 a b c
LMOVE {l}m1 {l}m2 LEFT RIGHT
LMOVE {l}m1 {l}m2 RIGHT LEFT
LRANGE {l}m2 0 -1
LMOVE {l}m1 {l}m1 LEFT RIGHT
LMOVE {l}m1 {l}m2 UP LEFT
LMOVE {l}nokey {l}m2 LEFT LEFT
RPOPLPUSH {l}m2 {l}m2
RPOPLPUSH {l}m2 {l}m3
LRANGE {l}m3 0 -1
LRANGE {l}m2 0 -1
SET {l}str v
LMOVE {l}m2 {l}str LEFT LEFT
LMOVE {l}str {l}m2 LEFT LEFT
LRANGE {l}m2 0 -1
LPUSH {l}str v
LLEN {l}str
LRANGE {l}str 0 1
LPOP {l}str
RPUSH {l}mp a b c
LMPOP 2 {l}nokey {l}mp LEFT
LMPOP 2 {l}nokey {l}mp RIGHT COUNT 5
LMPOP 2 {l}nokey {l}mp RIGHT
LMPOP 1 {l}str LEFT
LMPOP 0 {l}mp LEFT
LMPOP 3 {l}mp LEFT
LMPOP 1 {l}mp MIDDLE
LMPOP 1 {l}mp LEFT COUNT 0
LMPOP 1 {l}mp LEFT COUNT x
LMPOP 1 {l}mp LEFT COUNT
LMPOP 1 {l}mp LEFT BOGUS 1
LMPOP abc {l}mp LEFT
RPUSH {l}one only
RPOPLPUSH {l}one {l}one
LRANGE {l}one 0 -1
LMOVE {l}one {l}one LEFT RIGHT
LRANGE {l}one 0 -1
`,
	"unknown and arity": `
NOSUCHCOMMAND
NOSUCHCOMMAND a b c
GET
GET a b
HSET h
HGETALL
DEL
EXISTS
TTL
INCRBY k
`,
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
	}
	c := cmds[r.IntN(len(cmds))]
	if c[len(c)-1] == "" && (c[0] == "EXPIRE" || c[0] == "COPY" || c[0] == "BITCOUNT" || c[0] == "BITPOS" || c[0] == "LCS" || c[0] == "SINTERCARD" || c[0] == "LPOP" || c[0] == "RPOP") {
		c = c[:len(c)-1]
	}
	if r.IntN(200) == 0 {
		return []string{"FLUSHALL"}
	}
	return c
}
