package command_test

// The differential scripts of HyperLogLogs, geo, SORT and the blocking
// pops.

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
