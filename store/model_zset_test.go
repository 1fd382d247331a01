package store

import (
	"bytes"
	"fmt"
	"math"
	"slices"
)

// The reference model of sorted sets for TestModel: a member -> score map,
// sorted on demand.

// zsorted returns v's members in score order, then member order.
func (v *modelVal) zsorted() []ScoredMember {
	var out []ScoredMember
	for m, s := range v.zset {
		out = append(out, ScoredMember{mb(m), s})
	}
	slices.SortFunc(out, func(a, b ScoredMember) int {
		if a.Score != b.Score {
			if a.Score < b.Score {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.Member, b.Member)
	})
	return out
}

func (m *modelDB) ZAdd(k []byte, f ZAddFlags, elems []ScoredMember) (ZAddResult, error) {
	var res ZAddResult
	v, err := m.read(k, TypeZSet)
	if err != nil || f.XX && v.typ == TypeNone {
		return res, err
	}
	if v.typ == TypeNone {
		v = &modelVal{typ: TypeZSet, zset: map[string]float64{}}
	}
	for _, el := range elems {
		old, exists := v.zset[string(el.Member)]
		score := el.Score
		if f.Incr && exists {
			score += old
			if math.IsNaN(score) {
				return ZAddResult{}, ErrScoreNaN
			}
		}
		switch {
		case exists && (f.NX || f.LT && score >= old || f.GT && score <= old):
			continue
		case !exists && f.XX:
			continue
		}
		res.Done, res.Score = true, score
		if exists && old == score {
			continue
		}
		if !exists || f.CH {
			res.Count++
		}
		v.zset[string(el.Member)] = score
	}
	if len(v.zset) > 0 {
		m.keys[string(k)] = v
	}
	return res, nil
}

func (m *modelDB) ZRem(k []byte, members [][]byte) (int64, error) {
	v, err := m.read(k, TypeZSet)
	var n int64
	for _, mem := range members {
		if _, ok := v.zset[string(mem)]; ok {
			delete(v.zset, string(mem))
			n++
		}
	}
	if v.typ == TypeZSet && len(v.zset) == 0 {
		delete(m.keys, string(k))
	}
	return n, err
}

// ZRange serves ranks and scores (lex ranges are left to the differential
// tests, where Redis itself is the reference).
func (m *modelDB) ZRange(k []byte, r ZRange) ([]ScoredMember, error) {
	v, err := m.read(k, TypeZSet)
	if err != nil || v.typ == TypeNone {
		return nil, err
	}
	all := v.zsorted()
	if r.Rev {
		slices.Reverse(all)
	}
	var out []ScoredMember
	if r.By == ZByRank {
		n := int64(len(all))
		start, stop := r.Start, r.Stop
		if start < 0 {
			start += n
		}
		if stop < 0 {
			stop += n
		}
		start, stop = max(start, 0), min(stop, n-1)
		if start > stop {
			return nil, nil
		}
		return all[start : stop+1], nil
	}
	for _, sm := range all {
		if r.in(sm.Score) {
			out = append(out, sm)
		}
	}
	if r.Limited {
		if r.Offset < 0 || r.Offset >= int64(len(out)) {
			return nil, nil
		}
		out = out[r.Offset:]
		if r.Count >= 0 && r.Count < int64(len(out)) {
			out = out[:r.Count]
		}
	}
	return out, nil
}

func (m *modelDB) ZRank(k, member []byte, rev bool) (int64, bool, error) {
	v, err := m.read(k, TypeZSet)
	if err != nil {
		return 0, false, err
	}
	all := v.zsorted()
	if rev {
		slices.Reverse(all)
	}
	i := slices.IndexFunc(all, func(sm ScoredMember) bool { return string(sm.Member) == string(member) })
	return int64(max(i, 0)), i >= 0, nil
}

func (m *modelDB) ZRemRange(k []byte, r ZRange) (int64, error) {
	res, err := m.ZRange(k, r)
	var members [][]byte
	for _, sm := range res {
		members = append(members, sm.Member)
	}
	n, _ := m.ZRem(k, members)
	return n, err
}

func (m *modelDB) ZPop(k []byte, max bool, count int64) ([]ScoredMember, error) {
	if count <= 0 {
		_, err := m.read(k, TypeZSet)
		return nil, err
	}
	r := ZRange{By: ZByRank, Start: 0, Stop: count - 1, Rev: max}
	res, err := m.ZRange(k, r)
	_, _ = m.ZRemRange(k, r)
	return res, err
}

// ZStore is ZUNIONSTORE with SUM (or ZINTERSTORE) over sorted sets.
func (m *modelDB) ZStore(op ZSetOp, dst []byte, keys [][]byte) (int64, error) {
	var ins []map[string]float64
	for _, k := range keys {
		v := m.get(k)
		switch {
		case v == nil:
			ins = append(ins, nil)
		case v.typ == TypeZSet:
			ins = append(ins, v.zset)
		case v.typ == TypeSet:
			s := map[string]float64{}
			for mem := range v.hash {
				s[mem] = 1
			}
			ins = append(ins, s)
		default:
			return 0, ErrWrongType
		}
	}
	res := map[string]float64{}
	for mem, s := range ins[0] {
		res[mem] = s
	}
	for _, in := range ins[1:] {
		for mem := range res {
			if s, ok := in[mem]; ok {
				res[mem] += s
			} else if op == ZInter {
				delete(res, mem)
			}
		}
		if op == ZUnion {
			for mem, s := range in {
				if _, ok := res[mem]; !ok {
					res[mem] = s
				}
			}
		}
	}
	delete(m.keys, string(dst))
	if len(res) > 0 {
		m.keys[string(dst)] = &modelVal{typ: TypeZSet, zset: res}
	}
	return int64(len(res)), nil
}

// zsetModelOps are the sorted set operations of TestModel.
var zsetModelOps = []modelOp{
	{24, func(c *modelCall) {
		k, elems := c.key(), c.scored(3)
		f := ZAddFlags{NX: c.r.IntN(6) == 0, CH: c.r.IntN(3) == 0}
		if !f.NX {
			f.XX, f.GT, f.LT = c.r.IntN(6) == 0, c.r.IntN(6) == 0, c.r.IntN(6) == 0
			if f.GT && f.LT {
				f.LT = false
			}
		}
		if c.r.IntN(5) == 0 {
			f.Incr, elems = true, elems[:1]
		}
		c.check(fmt.Sprintf("ZAdd(%q, %+v, %v)", k, f, elems), mres(c.o.ZAdd(k, f, elems...)), mres(c.m.ZAdd(k, f, elems)))
	}},
	{10, func(c *modelCall) {
		k, ms := c.key(), c.list(2, c.field, false)
		c.check(fmt.Sprintf("ZRem(%q, %q)", k, ms), mres(c.o.ZRem(k, ms...)), mres(c.m.ZRem(k, ms)))
	}},
	{14, func(c *modelCall) { // reads of one sorted set
		k, r := c.key(), c.zrange()
		c.check(fmt.Sprintf("ZRange(%q, %+v)", k, r), mres(c.o.ZRange(k, r)), mres(c.m.ZRange(k, r)))
		if r.By == ZByScore && !r.Limited {
			n, err := c.o.ZCount(k, r)
			res, werr := c.m.ZRange(k, r)
			c.check(fmt.Sprintf("ZCount(%q, %+v)", k, r), mshow(err, n), mshow(werr, int64(len(res))))
		}
		mem, rev := c.field(), c.r.IntN(2) == 0
		n, ok, err := c.o.ZRank(k, mem, rev)
		wn, wok, werr := c.m.ZRank(k, mem, rev)
		c.check(fmt.Sprintf("ZRank(%q, %q, %v)", k, mem, rev), mshow(err, n, ok), mshow(werr, wn, wok))
	}},
	{6, func(c *modelCall) {
		k, r := c.key(), c.zrange()
		r.Limited = false
		c.check(fmt.Sprintf("ZRemRange(%q, %+v)", k, r), mres(c.o.ZRemRange(k, r)), mres(c.m.ZRemRange(k, r)))
	}},
	{6, func(c *modelCall) {
		k, max, n := c.key(), c.r.IntN(2) == 0, int64(c.r.IntN(4))
		c.check(fmt.Sprintf("ZPop(%q, %v, %d)", k, max, n), mres(c.o.ZPop(k, max, n)), mres(c.m.ZPop(k, max, n)))
	}},
	{6, func(c *modelCall) {
		op, dst, keys := ZSetOp(c.r.IntN(2)), c.key(), c.list(2, c.key, false)
		c.check(fmt.Sprintf("ZStore(%d, %q, %q)", op, dst, keys),
			mres(c.o.ZStore(ZCombine{Op: op}, dst, keys...)), mres(c.m.ZStore(op, dst, keys)))
	}},
}

// scored returns up to n members with small integer scores (sums of them
// are exact in any order).
func (c *modelCall) scored(n int) []ScoredMember {
	out := make([]ScoredMember, 1+c.r.IntN(n))
	for i := range out {
		out[i] = ScoredMember{c.field(), float64(c.r.IntN(7) - 3)}
		if c.r.IntN(20) == 0 {
			out[i].Score = math.Inf(1 - 2*c.r.IntN(2))
		}
	}
	return out
}

// zrange returns a random rank or score range.
func (c *modelCall) zrange() ZRange {
	r := ZRange{Rev: c.r.IntN(2) == 0}
	if c.r.IntN(2) == 0 {
		r.Start, r.Stop = int64(c.r.IntN(7)-3), int64(c.r.IntN(7)-3)
		return r
	}
	r.By = ZByScore
	r.Min = ScoreBound{float64(c.r.IntN(7) - 3), c.r.IntN(3) == 0}
	r.Max = ScoreBound{float64(c.r.IntN(7) - 3), c.r.IntN(3) == 0}
	if c.r.IntN(3) == 0 {
		r.Limited, r.Offset, r.Count = true, int64(c.r.IntN(4)-1), int64(c.r.IntN(4)-1)
	}
	return r
}
