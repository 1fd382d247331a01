package command_test

// zsetScripts are the differential scripts of sorted sets.
var zsetScripts = map[string]string{
	"zadd": `
ZADD z 1 a 2 b 3 c
ZADD z 1 a
ZADD z CH 5 a 2 b
ZADD z NX 10 a 4 d
ZADD z XX 20 a 30 e
ZADD z GT 1 a 40 b
ZADD z LT 1 a 50 c
ZADD z GT CH 100 a
ZADD z XX GT LT 1 a
ZADD z NX XX 1 a
ZADD z NX GT 1 a
ZADD z NX LT 1 a
ZADD z INCR 1 a 2 b
ZADD z INCR 5 a
ZADD z INCR NX 5 a
ZADD z INCR XX 5 new
ZADD z INCR GT -1 a
ZADD z INCR LT -1 a
ZADD z 1
ZADD z
ZADD z abc a
ZADD z nan a
ZADD z 1 a abc b
ZADD z inf i -inf j +inf k
ZADD z INCR -inf i
ZADD z 1e400 x
ZADD z 1e-400 x
ZADD z 0x10 hex 1.5e3 e 0.1 p -0 negzero
ZSCORE z negzero
ZADD z 0 negzero
ZSCORE z negzero
ZADD z CH 1 dup 2 dup
ZSCORE z dup
ZRANGE z 0 -1 WITHSCORES
ZADD z xx ch nx 1 a
ZADD newz XX 1 a
EXISTS newz
ZADD newz XX INCR 1 a
SET s v
ZADD s 1 a
ZADD s abc a
ZINCRBY z 2 a
ZINCRBY z abc a
ZINCRBY z 1 brandnew
ZINCRBY nz 1.5 m
ZINCRBY z -inf k
ZINCRBY s 1 a
ZCARD z
ZCARD nokey
ZCARD s
ZSCORE z a
ZSCORE z nomember
ZSCORE nokey a
ZSCORE s a
ZMSCORE z a nomember b
ZMSCORE nokey a b
ZMSCORE s a
ZREM z a nomember b b
ZREM z
ZREM nokey a
ZREM s a
ZADD one 1 x
ZREM one x
EXISTS one
TYPE z
`,
	"zrange": `
ZADD z 1 a 2 b 3 c 4 d 5 e 5 f 5 g -1 m 0 zero
ZRANGE z 0 -1
ZRANGE z 0 -1 WITHSCORES
ZRANGE z 2 4 WITHSCORES
ZRANGE z -3 -1
ZRANGE z -100 100
ZRANGE z 5 2
ZRANGE z 100 200
ZRANGE z 0 -1 REV
ZRANGE z 1 3 REV WITHSCORES
ZRANGE z a b
ZRANGE z 0 1 LIMIT 0 1
ZRANGE z 0 1 BYSCORE REV BYLEX
ZRANGE z 1 5 BYSCORE
ZRANGE z (1 5 BYSCORE WITHSCORES
ZRANGE z 1 (5 BYSCORE
ZRANGE z (1 (1 BYSCORE
ZRANGE z 1 1 BYSCORE
ZRANGE z -inf +inf BYSCORE LIMIT 2 3
ZRANGE z -inf +inf BYSCORE LIMIT 2 -1
ZRANGE z -inf +inf BYSCORE LIMIT -1 2
ZRANGE z -inf +inf BYSCORE LIMIT 0 0
ZRANGE z -inf +inf BYSCORE LIMIT 100 1
ZRANGE z 5 1 BYSCORE REV
ZRANGE z 5 (1 BYSCORE REV WITHSCORES LIMIT 1 2
ZRANGE z 1 5 BYSCORE REV
ZRANGE z abc 5 BYSCORE
ZRANGE z 1 nan BYSCORE
ZRANGE z "" 2 BYSCORE
ZRANGE z ( 2 BYSCORE
ZRANGE z 1 5 BYSCORE LIMIT 1
ZRANGE z 1 5 BYSCORE LIMIT a 1
ZRANGE z - + BYLEX
ZRANGE z - + BYLEX WITHSCORES
ZRANGE z 1 5 WITHSCORES BOGUS
ZRANGE nokey 0 -1
ZRANGE nokey 0 -1 BYSCORE REV
ZRANGEBYSCORE z 2 5
ZRANGEBYSCORE z 2 5 WITHSCORES LIMIT 1 2
ZRANGEBYSCORE z (2 +inf
ZRANGEBYSCORE z 2 5 REV
ZRANGEBYSCORE z 2 5 BYLEX
ZREVRANGEBYSCORE z 5 2
ZREVRANGEBYSCORE z 5 2 WITHSCORES LIMIT 0 2
ZREVRANGEBYSCORE z 2 5
ZREVRANGE z 0 2
ZREVRANGE z 0 2 WITHSCORES
ZREVRANGE z 0 2 LIMIT 0 1
ZREVRANGE z 0 2 BYSCORE
ZCOUNT z 2 5
ZCOUNT z (2 (5
ZCOUNT z -inf +inf
ZCOUNT z 5 2
ZCOUNT z a 2
ZCOUNT nokey 1 2
ZRANK z a
ZRANK z g
ZRANK z m
ZRANK z nomember
ZRANK nokey a
ZREVRANK z a
ZREVRANK z g
ZRANK z a extra
SET s v
ZRANGE s 0 -1
ZRANGE s a b
ZRANGEBYSCORE s 1 2
ZCOUNT s 1 2
ZRANK s a
`,
	"zlex": `
ZADD l 0 a 0 b 0 c 0 d 0 e 0 f 0 g 0 "" 0 "a b" 0 aa
ZRANGEBYLEX l - +
ZRANGEBYLEX l [b [e
ZRANGEBYLEX l (b (e
ZRANGEBYLEX l [aa +
ZRANGEBYLEX l - (c
ZRANGEBYLEX l [ [b
ZRANGEBYLEX l ( +
ZRANGEBYLEX l + -
ZRANGEBYLEX l - -
ZRANGEBYLEX l + +
ZRANGEBYLEX l [c [a
ZRANGEBYLEX l [c [c
ZRANGEBYLEX l (c [c
ZRANGEBYLEX l - + LIMIT 2 3
ZRANGEBYLEX l - + LIMIT 0 -1
ZRANGEBYLEX l a b
ZRANGEBYLEX l [a b
ZRANGEBYLEX l -x +
ZRANGEBYLEX l - + WITHSCORES
ZREVRANGEBYLEX l + -
ZREVRANGEBYLEX l [e [b
ZREVRANGEBYLEX l (e (b LIMIT 1 2
ZREVRANGEBYLEX l [b [e
ZRANGE l [b [e BYLEX
ZRANGE l [e [b BYLEX REV
ZRANGE l - + BYLEX LIMIT 1 1
ZLEXCOUNT l - +
ZLEXCOUNT l [b (e
ZLEXCOUNT l x y
ZLEXCOUNT nokey - +
ZREMRANGEBYLEX l [b [c
ZRANGEBYLEX l - +
ZREMRANGEBYLEX l x y
ZREMRANGEBYLEX nokey - +
ZREMRANGEBYLEX l - +
EXISTS l
`,
	"zremrange": `
ZADD z 1 a 2 b 3 c 4 d 5 e 6 f 7 g
ZREMRANGEBYRANK z 0 1
ZRANGE z 0 -1
ZREMRANGEBYRANK z -2 -1
ZRANGE z 0 -1
ZREMRANGEBYRANK z 5 10
ZREMRANGEBYRANK z a 1
ZREMRANGEBYSCORE z (3 4
ZRANGE z 0 -1 WITHSCORES
ZREMRANGEBYSCORE z 10 1
ZREMRANGEBYSCORE z x 1
ZREMRANGEBYSCORE z -inf +inf
EXISTS z
ZREMRANGEBYRANK nokey 0 -1
SET s v
ZREMRANGEBYRANK s 0 1
ZREMRANGEBYSCORE s 0 1
`,
	"zpop": `
ZADD z 1 a 2 b 3 c 4 d 5 e
ZPOPMIN z
ZPOPMAX z
ZPOPMIN z 2
ZPOPMIN z 0
ZPOPMIN z -1
ZPOPMIN z abc
ZPOPMIN z 1 2
ZPOPMAX z 10
EXISTS z
ZPOPMIN nokey
ZPOPMIN nokey 2
ZADD z 1 a 2 b 3 c
ZADD {t}y 10 x 20 y
ZMPOP 1 z MIN
ZMPOP 2 nokey z MAX COUNT 5
ZMPOP 2 nokey {t}y MIN COUNT 1
ZMPOP 1 nokey MIN
ZMPOP 0 z MIN
ZMPOP -1 z MIN
ZMPOP 1 z
ZMPOP 1 z MIDDLE
ZMPOP 1 {t}y MIN COUNT 0
ZMPOP 1 {t}y MIN COUNT a
ZMPOP 1 {t}y MIN COUNT 1 COUNT 1
ZMPOP 3 a b
SET s v
ZPOPMIN s
ZMPOP 1 s MAX
`,
	"zcombine": `
ZADD {t}a 1 x 2 y 3 z
ZADD {t}b 10 y 20 z 30 w
SADD {t}s y w q
ZUNION 2 {t}a {t}b
ZUNION 2 {t}a {t}b WITHSCORES
ZUNION 2 {t}a {t}b WEIGHTS 2 3 WITHSCORES
ZUNION 2 {t}a {t}b AGGREGATE MIN WITHSCORES
ZUNION 2 {t}a {t}b AGGREGATE MAX WITHSCORES
ZUNION 3 {t}a {t}b {t}s WITHSCORES
ZUNION 2 {t}a {t}nokey WITHSCORES
ZUNION 2 {t}a {t}b WEIGHTS 1 WITHSCORES
ZUNION 2 {t}a {t}b WEIGHTS 1 x
ZUNION 2 {t}a {t}b AGGREGATE avg
ZUNION 2 {t}a {t}b WEIGHTS inf -inf WITHSCORES
ZUNION 0 {t}a
ZUNION -1 {t}a
ZUNION x {t}a
ZUNION 3 {t}a {t}b
ZINTER 2 {t}a {t}b WITHSCORES
ZINTER 3 {t}a {t}b {t}s WITHSCORES
ZINTER 2 {t}a {t}b WEIGHTS 0 1 AGGREGATE MAX WITHSCORES
ZINTER 2 {t}a {t}nokey
ZDIFF 2 {t}a {t}b WITHSCORES
ZDIFF 2 {t}b {t}s WITHSCORES
ZDIFF 1 {t}a
ZDIFF 2 {t}a {t}b WEIGHTS 1 2
ZDIFF 2 {t}a {t}b AGGREGATE SUM
ZUNIONSTORE {t}d 2 {t}a {t}b
ZRANGE {t}d 0 -1 WITHSCORES
ZINTERSTORE {t}d 2 {t}a {t}b WEIGHTS 1 2
ZRANGE {t}d 0 -1 WITHSCORES
ZDIFFSTORE {t}d 2 {t}a {t}b
ZRANGE {t}d 0 -1 WITHSCORES
ZINTERSTORE {t}d 2 {t}a {t}nokey
EXISTS {t}d
ZUNIONSTORE {t}d 2 {t}a {t}b WITHSCORES
ZUNIONSTORE {t}d 0 {t}a
ZUNIONSTORE {t}a 2 {t}a {t}b
ZRANGE {t}a 0 -1 WITHSCORES
SET {t}str v
ZUNION 2 {t}a {t}str
ZUNION 2 {t}a {t}str BOGUS
ZUNIONSTORE {t}str 1 {t}b
TYPE {t}str
ZINTERCARD 2 {t}a {t}b
ZINTERCARD 2 {t}a {t}b LIMIT 1
ZINTERCARD 2 {t}a {t}b LIMIT 0
ZINTERCARD 2 {t}a {t}b LIMIT -1
ZINTERCARD 2 {t}a {t}b LIMIT x
ZINTERCARD 0 {t}a
ZINTERCARD 3 {t}a {t}b
ZINTERCARD 1 {t}str
ZRANGESTORE {t}r {t}b 0 1
ZRANGE {t}r 0 -1 WITHSCORES
ZRANGESTORE {t}r {t}b 15 +inf BYSCORE
ZRANGE {t}r 0 -1 WITHSCORES
ZRANGESTORE {t}r {t}b 100 200 BYSCORE
EXISTS {t}r
ZRANGESTORE {t}r {t}b 0 -1 WITHSCORES
ZRANGESTORE {t}r {t}nokey 0 -1
ZRANGESTORE {t}r {t}str 0 -1
`,
	"zmisc": `
ZADD z 1 a 2 b 3 c
ZRANDMEMBER z 3
ZRANDMEMBER z 0
ZRANDMEMBER z abc
ZRANDMEMBER z 1 WITHSCORES BOGUS
ZRANDMEMBER z 1 BOGUS
ZRANDMEMBER nokey
ZRANDMEMBER nokey 5
ZRANDMEMBER z -9223372036854775808
ZRANDMEMBER z -9223372036854775807 WITHSCORES
ZSCAN z 0
ZSCAN z 0 MATCH a*
ZSCAN z abc
ZSCAN nokey 0
SET s v
ZSCAN s 0
ZRANDMEMBER s
DEL z
ZADD z 1.5 a 0.1 b 1e20 c 123456789012345678 d -1e-5 e
ZRANGE z 0 -1 WITHSCORES
ZSCAN z 0
RENAME z z2
ZRANGE z2 0 -1 WITHSCORES
COPY z2 {x}z3
`,
}

// hllScripts are the differential scripts of HyperLogLogs: the strings
// must be Redis's to the byte (GET, and the digest at the end).
var hllScripts = map[string]string{
	"hll": `
PFADD h a b c
PFADD h a
PFADD h
PFADD new
GET new
PFCOUNT h
GET h
PFCOUNT h nokey
PFCOUNT nokey
PFADD h2 c d e f g h i j k l m n o p q r s t u v w x y z
PFMERGE h3 h h2
PFCOUNT h3
GET h3
PFMERGE h3
PFMERGE h4
GET h4
PFCOUNT h h2 h3
PFDEBUG ENCODING h
PFDEBUG DECODE h
PFDEBUG TODENSE h
PFDEBUG ENCODING h
PFDEBUG TODENSE h
PFDEBUG DECODE h
GET h
PFDEBUG GETREG nokey
PFDEBUG BOGUS h
PFDEBUG BOGUS nokey
SET s notanhll
PFADD s a
PFCOUNT s
PFMERGE s h
PFMERGE h s
PFDEBUG ENCODING s
PFDEBUG BOGUS s
HSET wt f v
PFADD wt a
PFCOUNT wt
PFMERGE h wt
SET bad "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f"
PFADD bad x
PFCOUNT bad
PFSELFTEST
`,
}

// geoScripts are the differential scripts of the geospatial commands.
var geoScripts = map[string]string{
	"geo": `
GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
GEOADD Sicily NX 13.361389 38.115556 Palermo 12.758489 38.788135 edge1
GEOADD Sicily XX CH 13.4 38.1 Palermo 1 1 nope
GEOADD Sicily NX XX 1 1 a
GEOADD Sicily 1 1
GEOADD Sicily 200 1 bad
GEOADD Sicily 1 86 bad
GEOADD Sicily x 1 bad
GEOADD Sicily GT 1 1 a
ZRANGE Sicily 0 -1 WITHSCORES
GEOPOS Sicily Palermo Catania nomember
GEOPOS nokey a
GEOHASH Sicily Palermo Catania nomember
GEOHASH nokey a
GEODIST Sicily Palermo Catania
GEODIST Sicily Palermo Catania km
GEODIST Sicily Palermo Catania MI
GEODIST Sicily Palermo Catania ft
GEODIST Sicily Palermo Catania parsecs
GEODIST Sicily Palermo nomember
GEODIST nokey a b
GEODIST Sicily a b km extra
GEORADIUS Sicily 15 37 200 km
GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH
GEORADIUS Sicily 15 37 200 km ASC WITHDIST
GEORADIUS Sicily 15 37 200 km DESC COUNT 1
GEORADIUS Sicily 15 37 200 km COUNT 1 ANY
GEORADIUS Sicily 15 37 200 km ANY
GEORADIUS Sicily 15 37 200 km COUNT 0
GEORADIUS Sicily 15 37 200 km COUNT x
GEORADIUS Sicily 15 37 -1 km
GEORADIUS Sicily 15 37 x km
GEORADIUS Sicily 15 37 200 parsecs
GEORADIUS Sicily 15 37 200 km BOGUS
GEORADIUS Sicily 15 37 200 km STORE {Sicily}dst WITHDIST
GEORADIUS Sicily 15 37 200 km STORE {Sicily}dst
ZRANGE {Sicily}dst 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km STOREDIST {Sicily}dst
ZRANGE {Sicily}dst 0 -1 WITHSCORES
GEORADIUS Sicily 0 0 1 m STORE {Sicily}dst
EXISTS {Sicily}dst
GEORADIUS_RO Sicily 15 37 200 km WITHDIST
GEORADIUS_RO Sicily 15 37 200 km STORE {Sicily}dst
GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST
GEORADIUSBYMEMBER Sicily nomember 200 km
GEORADIUSBYMEMBER nokey nomember 200 km
GEORADIUSBYMEMBER nokey nomember x km
GEORADIUSBYMEMBER_RO Sicily Catania 100 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 400 km ASC WITHDIST WITHCOORD
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 x km
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX -1 1 km
GEOSEARCH Sicily FROMMEMBER nomember BYRADIUS 1 km
GEOSEARCH Sicily BYRADIUS 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 COUNT 1
GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x
GEOSEARCH nokey FROMMEMBER x BYRADIUS 1 km
GEOSEARCHSTORE {Sicily}d2 Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
ZRANGE {Sicily}d2 0 -1 WITHSCORES
GEOSEARCHSTORE {Sicily}d2 Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST
GEOSEARCHSTORE {Sicily}d2 {Sicily}nokey FROMLONLAT 15 37 BYRADIUS 200 km
EXISTS {Sicily}d2
SET s v
GEOADD s 1 1 a
GEOPOS s a
GEODIST s a b
GEORADIUS s 1 1 1 km
GEOSEARCH s FROMLONLAT 1 1 BYRADIUS 1 km
`,
}

// sortScripts are the differential scripts of SORT and SORT_RO.
var sortScripts = map[string]string{
	"sort": `
RPUSH l 3 1 2 10 -5 1.5 0
SORT l
SORT l DESC
SORT l ALPHA
SORT l ALPHA DESC
SORT l LIMIT 1 3
SORT l LIMIT -1 2
SORT l LIMIT 2 -1
SORT l LIMIT 100 2
SORT l LIMIT 0 0
SORT l LIMIT a 1
SORT l LIMIT 1
SORT l BOGUS
SORT l BY nosort
SORT l BY nosort DESC
SORT l BY nosort LIMIT 1 2 DESC
SORT_RO l DESC
SORT_RO l STORE x
MSET w_3 30 w_1 10 w_2 -20 w_10 5 w_-5 7 w_1.5 6 w_0 100
SORT l BY w_*
SORT l BY w_* DESC GET # GET w_*
SORT l BY w_* GET nokey_* GET #
SORT l BY w_* GET nopattern
HSET h_3 f c HSET h_1 f a
HSET h_3 f c
HSET h_1 f a
HSET h_2 f b
SORT l BY h_*->f ALPHA GET h_*->f GET #
SORT l BY h_*->f ALPHA LIMIT 0 3
SORT l BY h_*-> GET h_*->
SORT l STORE dst
LRANGE dst 0 -1
SORT l BY w_* GET # GET nokey_* STORE dst
LRANGE dst 0 -1
SORT nokey STORE dst
EXISTS dst
SORT nokey
RPUSH bad 1 a 2
SORT bad
SORT bad ALPHA
RPUSH empty "" 1
SORT empty
SADD s 5 3 9 1
SORT s
SORT s DESC LIMIT 0 2
SORT s BY nosort STORE dst2
LRANGE dst2 0 -1
ZADD z 3 a 1 b 2 c
SORT z ALPHA
SORT z BY nosort
SORT z BY nosort DESC LIMIT 0 2
SORT z BY nosort LIMIT 1 5
SET str v
SORT str
HSET hh f v
SORT hh
RPUSH over 1e400 1
SORT over
`,
	// Redis checks errno after strtod without clearing it first, so that
	// once a value underflows (ERANGE) every later numeric SORT of the
	// process fails too: the underflow is left to a script of its own,
	// and to the unit test of the store.
	"sort-underflow": `
RPUSH under 1e-400 1
SORT under
`,
}

// blockingScripts are the differential scripts of the blocking pops where
// they answer without waiting: data at hand, errors, and timeouts of a
// few milliseconds (a Shingle without a server answers those at once).
var blockingScripts = map[string]string{
	"blocking": `
RPUSH {t}a 1 2 3
BLPOP {t}a 0
BRPOP {t}nokey {t}a 0
BLPOP {t}nokey 0.01
BLPOP {t}a -1
BLPOP {t}a abc
BLPOP {t}a 1e300
BLPOP {t}a inf
BRPOPLPUSH {t}a {t}b 0
BLMOVE {t}b {t}a RIGHT LEFT 0
BLMOVE {t}b {t}a UP LEFT 0
BLMOVE {t}b {t}a LEFT LEFT x
BLMOVE {t}nokey {t}a LEFT LEFT 0.01
BLMPOP 0 2 {t}nokey {t}a LEFT COUNT 5
BLMPOP 0.01 1 {t}a RIGHT
BLMPOP x 1 {t}a RIGHT
BLMPOP 0 0 {t}a RIGHT
BLMPOP 0 1 {t}a MIDDLE
BLMPOP 0 1 {t}a LEFT COUNT 0
ZADD {t}z 1 a 2 b 3 c
BZPOPMIN {t}z 0
BZPOPMAX {t}nokey {t}z 0
BZPOPMIN {t}nokey 0.01
BZPOPMIN {t}z x
BZMPOP 0 1 {t}z MIN COUNT 5
BZMPOP 0.01 1 {t}z MAX
BZMPOP 0 1 {t}z MIDDLE
SET {t}s v
BLPOP {t}s 0
BZPOPMIN {t}s 0
BLMOVE {t}s {t}a LEFT LEFT 0
`,
}
