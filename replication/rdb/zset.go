package rdb

import (
	"encoding/binary"
	"math"
)

// Sorted sets, as Redis 7.0's rdbLoadObject reads them (redis/src/rdb.c):
//
//   - RDB_TYPE_ZSET (3, RDB versions before 8): a length, then members
//     and scores, each score a length byte and that much ASCII text read
//     with sscanf("%lg") — strtod's syntax — or one of the special
//     lengths 253 (NaN), 254 (+inf) and 255 (-inf);
//   - RDB_TYPE_ZSET_2 (5): the same with each score an IEEE 754 binary64,
//     little endian;
//   - RDB_TYPE_ZSET_ZIPLIST (12) and RDB_TYPE_ZSET_LISTPACK (17): a
//     ziplist or listpack of member, score, member, score, ..., each score
//     a string entry read with strtod (its first 127 bytes) or an integer
//     entry converted to the nearest double, as zzlGetScore does.
//
// Redis rejects a sorted set with two equal members ("Duplicate zset
// fields detected"; in a listpack only when it sanitizes payloads deeply)
// and a NaN score in the first two encodings ("Zset with NAN score
// detected"); Reader rejects both in every encoding, since no sorted set
// can hold them. Members are returned in the order the RDB holds them:
// Redis writes listpacks from the lowest score to the highest and
// RDB_TYPE_ZSET_2 from the highest to the lowest.

// zsetMaxScoreText is how much of a listpack or ziplist string score
// zzlStrtod reads: its buffer holds 127 bytes and the NUL.
const zsetMaxScoreText = 127

// readZSet reads an RDB_TYPE_ZSET (text scores) or RDB_TYPE_ZSET_2 value.
func (r *Reader) readZSet(textScores bool) (members [][]byte, scores []float64, err error) {
	n, _, err := r.readLen()
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]struct{}{}
	for i := uint64(0); i < n; i++ { // slices grow as members arrive: n is not trusted
		m, err := r.readString()
		if err != nil {
			return nil, nil, err
		}
		var score float64
		if textScores {
			score, err = r.readTextDouble()
		} else {
			score, err = r.readBinaryDouble()
		}
		if err != nil {
			return nil, nil, err
		}
		if err := zsetAdd(seen, m, score); err != nil {
			return nil, nil, err
		}
		members = append(members, m)
		scores = append(scores, score)
	}
	return members, scores, nil
}

// readBinaryDouble reads a little-endian binary64 (rdbLoadBinaryDoubleValue).
func (r *Reader) readBinaryDouble() (float64, error) {
	b, err := r.readN(8)
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
}

// readTextDouble reads a length-prefixed text double (rdbLoadDoubleValue).
// Like sscanf("%lg"), it takes the longest prefix strtod reads and fails
// only when there is none (glibc's sscanf also fails on a "0x" with no
// hex digit after it and on a partial "infinity", which strtod reads as
// 0 and inf; Redis never writes either).
func (r *Reader) readTextDouble() (float64, error) {
	n, err := r.readByte()
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	b, err := r.readBytes(uint64(n))
	if err != nil {
		return 0, err
	}
	v, k := strtod(b)
	if k == 0 {
		return 0, corrupt("zset score %q is not a number", b)
	}
	return v, nil
}

// decodeZSetPairs decodes a ziplist (RDB_TYPE_ZSET_ZIPLIST, listpack
// false) or listpack (RDB_TYPE_ZSET_LISTPACK) of member, score pairs.
func decodeZSetPairs(blob []byte, listpack bool) (members [][]byte, scores []float64, err error) {
	seen := map[string]struct{}{}
	var member []byte
	odd := false
	fn := func(s []byte, v int64, isInt bool) {
		if err != nil {
			return
		}
		if !odd {
			member = entryBytes(s, v, isInt)
			odd = true
			return
		}
		odd = false
		score := zsetEntryScore(s, v, isInt)
		if err = zsetAdd(seen, member, score); err == nil {
			members = append(members, member)
			scores = append(scores, score)
		}
	}
	var werr error
	enc := "zset-ziplist"
	if listpack {
		enc = "zset-listpack"
		werr = walkListpack(blob, fn)
	} else {
		werr = walkZiplist(blob, fn)
	}
	switch {
	case werr != nil:
		return nil, nil, werr
	case err != nil:
		return nil, nil, err
	case odd:
		return nil, nil, corrupt("%s with an odd number of entries", enc)
	}
	return members, scores, nil
}

// zsetEntryScore is the score a ziplist or listpack entry holds, as
// zzlGetScore reads it: an integer converted to the nearest double (C's
// conversion and Go's both round to nearest, ties to even), a string
// read with strtod from its first zsetMaxScoreText bytes, 0 when they do
// not start with a number.
func zsetEntryScore(s []byte, v int64, isInt bool) float64 {
	if isInt {
		return float64(v)
	}
	f, _ := strtod(s[:min(len(s), zsetMaxScoreText)])
	return f
}

// zsetAdd checks a member and its score before they join a sorted set
// whose members so far are in seen, and adds the member to seen.
func zsetAdd(seen map[string]struct{}, member []byte, score float64) error {
	if math.IsNaN(score) {
		return corrupt("zset member %q with a NaN score", member)
	}
	if _, dup := seen[string(member)]; dup {
		return corrupt("duplicate zset member %q", member)
	}
	seen[string(member)] = struct{}{}
	return nil
}
