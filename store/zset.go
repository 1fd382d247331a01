package store

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"

	"github.com/cockroachdb/pebble/v2"
)

// Sorted sets: one meta record (type, expiry, collection id, member count)
// and two Pebble keys per member under the collection:
//
//	's' | slot | id | 'z' | hash(member) (8) | member -> score (8, float64 bits)
//	's' | slot | id | 'Z' | score (8, sortable) | member -> empty, or 0x01 for -0
//
// The first finds a member's score in one point read (ZSCORE, ZADD's
// check) and orders members by hash for ZSCAN; the second orders them by
// score, then member bytes, as Redis's skiplist does: score and lex ranges
// are range scans. The sortable score maps -0 to 0, which Redis orders as
// equal; the value keeps the sign, which a skiplist sorted set shows (Redis
// makes every sorted set one under zset-max-listpack-entries 0, the
// setting Shingle takes).
//
// Rank (ZRANK, ZRANGE by rank, ZCOUNT): a large sorted set has a rank
// index in memory (zrank.go); a small one, or one read in a transaction,
// is walked from the nearer end, ZRANK from both ends at once,
// O(min(rank, size-rank)) iterator steps.

// ScoredMember is a sorted set member with its score.
type ScoredMember struct {
	Member []byte
	Score  float64
}

// ErrScoreNaN is the error for a score that arithmetic made NaN (ZINCRBY
// or ZADD INCR adding -inf to +inf).
var ErrScoreNaN = newError("ERR resulting score is not a number (NaN)")

// sortableScore maps a score to 8 bytes whose byte order is the score's
// order, with -0 as 0.
func sortableScore(f float64) uint64 {
	if f == 0 {
		return 1 << 63
	}
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

func unsortableScore(u uint64) float64 {
	if u>>63 == 1 {
		return math.Float64frombits(u &^ (1 << 63))
	}
	return math.Float64frombits(^u)
}

func (e *entry) zMember(member []byte) []byte {
	return hashedSubKey(nil, e.slot(), e.meta.id, tagZMember, member)
}

func (e *entry) zMemberPrefix() []byte { return subPrefix(nil, e.slot(), e.meta.id, tagZMember) }

func (e *entry) zOrderPrefix() []byte { return subPrefix(nil, e.slot(), e.meta.id, tagZScore) }

// zOrderKey is the score-order key of member at score in the sorted set
// with collection id in slot.
func zOrderKey(slot uint16, id uint64, score float64, member []byte) []byte {
	k := subPrefix(make([]byte, 0, subPrefixLen+8+len(member)), slot, id, tagZScore)
	k = binary.BigEndian.AppendUint64(k, sortableScore(score))
	return append(k, member...)
}

// zOrderValue is the value of a score-order key: the sign of a zero.
func zOrderValue(score float64) []byte {
	if score == 0 && math.Signbit(score) {
		return []byte{1}
	}
	return nil
}

// decodeZOrder returns the member and score of a score-order entry. The
// member aliases k.
func decodeZOrder(k, v []byte) ([]byte, float64, error) {
	if len(k) < subPrefixLen+8 {
		return nil, 0, errCorrupt
	}
	score := unsortableScore(binary.BigEndian.Uint64(k[subPrefixLen:]))
	if len(v) == 1 && v[0] == 1 {
		score = math.Copysign(0, -1)
	}
	return k[subPrefixLen+8:], score, nil
}

func decodeScore(v []byte) (float64, error) {
	if len(v) != 8 {
		return 0, errCorrupt
	}
	return math.Float64frombits(binary.BigEndian.Uint64(v)), nil
}

func encodeScore(f float64) []byte { return binary.BigEndian.AppendUint64(nil, math.Float64bits(f)) }

// FormatScore is a score as Shingle propagates it: the shortest text that
// reads back as the same float64, "inf" and "-inf" for the infinities.
func FormatScore(f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return []byte("inf")
	case math.IsInf(f, -1):
		return []byte("-inf")
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64)
}

// zscore returns the score of member in the live sorted set e.
func (v *view) zscore(e *entry, member []byte) (float64, bool, error) {
	raw, ok, err := v.get(e.zMember(member))
	if err != nil || !ok {
		return 0, false, err
	}
	f, err := decodeScore(raw)
	return f, err == nil, err
}

// zset writes member at score into the sorted set e, whose meta m is being
// built; old is its previous score when it had one.
func (w *writer) zset(e *entry, m *meta, member []byte, score float64, old *float64) {
	slot := e.slot()
	if old != nil {
		k := zOrderKey(slot, m.id, *old, member)
		w.b.Delete(k, nil)
		w.zops = append(w.zops, zop{m.id, k[subPrefixLen:], -1})
	} else {
		m.count++
	}
	w.b.Set(hashedSubKey(nil, slot, m.id, tagZMember, member), encodeScore(score), nil)
	k := zOrderKey(slot, m.id, score, member)
	w.b.Set(k, zOrderValue(score), nil)
	w.zops = append(w.zops, zop{m.id, k[subPrefixLen:], 1})
}

// zdel deletes member, at score, from the sorted set e whose meta m is
// being built.
func (w *writer) zdel(e *entry, m *meta, member []byte, score float64) {
	w.b.Delete(hashedSubKey(nil, e.slot(), m.id, tagZMember, member), nil)
	k := zOrderKey(e.slot(), m.id, score, member)
	w.b.Delete(k, nil)
	w.zops = append(w.zops, zop{m.id, k[subPrefixLen:], -1})
	m.count--
}

// ZAddFlags are ZADD's options.
type ZAddFlags struct {
	NX, XX, GT, LT, CH, Incr bool
}

// ZAddResult is what ZADD replies: Count members added (with CH, added or
// changed); with Incr, the member's new Score, and Done false when a
// condition (NX, XX, GT, LT) kept it from changing (a nil reply).
type ZAddResult struct {
	Count int64
	Score float64
	Done  bool
}

// ZAdd adds members at their scores to the sorted set at key (creating it
// unless XX), or updates their scores, as ZADD does with flags. With Incr
// the one element's score is added to the member's. Errors: ErrWrongType,
// ErrSyntax (no elements, or Incr with several), ErrScoreNaN.
func (o *Ops) ZAdd(key []byte, f ZAddFlags, elems ...ScoredMember) (ZAddResult, error) {
	if len(elems) == 0 || f.Incr && len(elems) > 1 {
		return ZAddResult{}, ErrSyntax
	}
	return write(o, func(w *writer) (ZAddResult, error) { return w.zadd(key, f, elems) })
}

// ZIncrBy adds incr to the score of member in the sorted set at key
// (creating both) and returns the new score. Errors: ErrWrongType,
// ErrScoreNaN.
func (o *Ops) ZIncrBy(key []byte, incr float64, member []byte) (float64, error) {
	r, err := o.ZAdd(key, ZAddFlags{Incr: true}, ScoredMember{member, incr})
	return r.Score, err
}

func (w *writer) zadd(key []byte, f ZAddFlags, elems []ScoredMember) (ZAddResult, error) {
	var res ZAddResult
	e, err := w.lookupWriteType(key, TypeZSet)
	if err != nil || f.XX && e.state != live {
		return res, err
	}
	m := e.meta
	if e.state != live {
		m = w.newCollection(TypeZSet)
	}
	// Later duplicates win, each judged against the state before it.
	cur := map[string]*float64{}
	prop := [][]byte{[]byte("ZADD"), key}
	for _, el := range elems {
		old, seen := cur[string(el.Member)]
		if !seen && e.state == live {
			s, ok, err := w.zscore(&e, el.Member)
			if err != nil {
				return res, err
			}
			if ok {
				old = &s
			}
		}
		score := el.Score
		if f.Incr && old != nil {
			score += *old
			if math.IsNaN(score) {
				return res, ErrScoreNaN
			}
		}
		switch {
		case old != nil && (f.NX || f.LT && score >= *old || f.GT && score <= *old):
			continue
		case old == nil && f.XX:
			continue
		}
		res.Done, res.Score = true, score
		if old != nil && *old == score { // -0 and 0 too, as in Redis
			cur[string(el.Member)] = old
			continue
		}
		if old == nil || f.CH {
			res.Count++
		}
		w.zset(&e, &m, el.Member, score, old)
		cur[string(el.Member)] = &score
		prop = append(prop, FormatScore(score), el.Member)
	}
	if len(prop) > 2 {
		w.put(&e, m)
		w.propagate(prop...)
	}
	return res, nil
}

// ZRem removes members from the sorted set at key and returns how many
// were there; removing the last deletes the key. Errors: ErrWrongType.
func (o *Ops) ZRem(key []byte, members ...[]byte) (int64, error) {
	return write(o, func(w *writer) (int64, error) {
		e, err := w.lookupWriteType(key, TypeZSet)
		if err != nil || e.state != live {
			return 0, err
		}
		m := e.meta
		prop := [][]byte{[]byte("ZREM"), key}
		seen := map[string]bool{}
		for _, mem := range members {
			if seen[string(mem)] {
				continue
			}
			seen[string(mem)] = true
			s, ok, err := w.zscore(&e, mem)
			if err != nil {
				return 0, err
			}
			if ok {
				w.zdel(&e, &m, mem, s)
				prop = append(prop, mem)
			}
		}
		if len(prop) > 2 {
			w.putOrDelete(&e, m)
			w.propagate(prop...)
		}
		return int64(len(prop) - 2), nil
	})
}

// ZMScore returns the score of each member of the sorted set at key, and
// whether it is there. Errors: ErrWrongType.
func (o *Ops) ZMScore(key []byte, members ...[]byte) (_ []float64, _ []bool, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, nil, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeZSet)
	if err != nil {
		return nil, nil, err
	}
	scores, found := make([]float64, len(members)), make([]bool, len(members))
	if e.state != live {
		return scores, found, nil
	}
	for i, mem := range members {
		if scores[i], found[i], err = v.zscore(&e, mem); err != nil {
			return nil, nil, err
		}
	}
	return scores, found, nil
}

// ZScore returns the score of member in the sorted set at key. Errors:
// ErrWrongType, ErrNotFound.
func (o *Ops) ZScore(key, member []byte) (float64, error) {
	s, found, err := o.ZMScore(key, member)
	if err != nil {
		return 0, err
	}
	if !found[0] {
		return 0, ErrNotFound
	}
	return s[0], nil
}

// ZCard returns the number of members of the sorted set at key. Errors:
// ErrWrongType.
func (o *Ops) ZCard(key []byte) (int64, error) { return o.collectionLen(key, TypeZSet) }

// ZRank returns the rank of member in the sorted set at key, from the
// lowest score (from the highest with rev), and false when it is not
// there. Errors: ErrWrongType.
func (o *Ops) ZRank(key, member []byte, rev bool) (_ int64, _ bool, err error) {
	v, err := o.beginRead()
	if err != nil {
		return 0, false, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeZSet)
	if err != nil || e.state != live {
		return 0, false, err
	}
	score, ok, err := v.zscore(&e, member)
	if err != nil || !ok {
		return 0, false, err
	}
	var rank int64
	if k := zOrderKey(e.slot(), e.meta.id, score, member); v.zindexed(&e) {
		rank, err = v.zcountBelow(&e, k[subPrefixLen:])
	} else {
		rank, err = v.zrank(&e, k)
	}
	if rev {
		rank = e.meta.count - 1 - rank
	}
	return rank, err == nil, err
}

// zrank returns the rank of the score-order key target, which is in the
// live sorted set e: two iterators walk towards it from both ends, and
// the first to reach it tells.
func (v *view) zrank(e *entry, target []byte) (int64, error) {
	prefix := e.zOrderPrefix()
	lo, err := v.iter(prefix, prefixEnd(prefix))
	if err != nil {
		return 0, err
	}
	defer lo.Close()
	hi, err := v.iter(prefix, prefixEnd(prefix))
	if err != nil {
		return 0, err
	}
	defer hi.Close()
	lo.First()
	hi.Last()
	for n := int64(0); lo.Valid() && hi.Valid(); n++ {
		if bytes.Equal(lo.Key(), target) {
			return n, nil
		}
		if bytes.Equal(hi.Key(), target) {
			return e.meta.count - 1 - n, nil
		}
		lo.Next()
		hi.Prev()
	}
	if err := lo.Error(); err != nil {
		return 0, err
	}
	return 0, errCorrupt
}

// zorder opens an iterator over the score order of the live sorted set e,
// from score min to score max (both included).
func (v *view) zorder(e *entry, min, max float64) (*pebble.Iterator, error) {
	prefix := e.zOrderPrefix()
	lo := binary.BigEndian.AppendUint64(bytes.Clone(prefix), sortableScore(min))
	hi := prefixEnd(prefix)
	if s := sortableScore(max); s != math.MaxUint64 {
		hi = binary.BigEndian.AppendUint64(bytes.Clone(prefix), s+1)
	}
	return v.iter(lo, hi)
}
