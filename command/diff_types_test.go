package command_test

// typeScripts are the differential scripts of bitmaps, OBJECT, sets and
// lists.
var typeScripts = map[string]string{
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
}
