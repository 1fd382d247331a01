package store

import (
	"bytes"
	"math"
	"slices"
)

// ZSetOp is an operation of ZUNION, ZINTER and ZDIFF.
type ZSetOp byte

const (
	ZUnion ZSetOp = iota
	ZInter
	ZDiff
)

// ZAggregate is how ZUNION and ZINTER combine the scores of a member
// found in several inputs.
type ZAggregate byte

const (
	ZSum ZAggregate = iota
	ZMin
	ZMax
)

// ZCombine is a ZUNION, ZINTER or ZDIFF: its operation, the weight of each
// input (nil: all 1; ZDIFF takes none) and the aggregate.
type ZCombine struct {
	Op        ZSetOp
	Weights   []float64
	Aggregate ZAggregate
}

// zinput is one input of a ZCombine: its members by name, and in order.
type zinput struct {
	weight  float64
	members []ScoredMember
	index   map[string]float64
}

// readZInputs reads the inputs at keys: sorted sets, and sets (every
// member at score 1), as Redis takes them; a missing key is empty.
// Errors: ErrWrongType.
func (v *view) readZInputs(keys [][]byte, weights []float64) ([]*zinput, error) {
	ins := make([]*zinput, len(keys))
	for i, k := range keys {
		in := &zinput{weight: 1}
		if weights != nil {
			in.weight = weights[i]
		}
		ins[i] = in
		e, err := v.lookup(k)
		if err != nil {
			return nil, err
		}
		if e.state != live {
			continue
		}
		switch e.meta.typ {
		case TypeZSet:
			in.members, err = v.zmembers(e.slot(), e.meta.id)
		case TypeSet:
			var ms [][]byte
			ms, err = v.setMembers(e.slot(), e.meta.id)
			for _, m := range ms {
				in.members = append(in.members, ScoredMember{m, 1})
			}
		default:
			return nil, ErrWrongType
		}
		if err != nil {
			return nil, err
		}
		in.index = make(map[string]float64, len(in.members))
		for _, sm := range in.members {
			in.index[string(sm.Member)] = sm.Score
		}
	}
	return ins, nil
}

// weighted is a member's score times its input's weight; NaN (0 * inf)
// is 0, as in Redis.
func (in *zinput) weighted(s float64) float64 {
	s *= in.weight
	if math.IsNaN(s) {
		return 0
	}
	return s
}

func (agg ZAggregate) apply(acc, s float64) float64 {
	switch agg {
	case ZMin:
		return min(acc, s)
	case ZMax:
		return max(acc, s)
	}
	if acc += s; math.IsNaN(acc) { // inf + -inf
		return 0
	}
	return acc
}

// combine computes c over the inputs, in score order, stopping an
// intersection at limit members (0: no limit).
func (c *ZCombine) combine(ins []*zinput, limit int) []ScoredMember {
	var out []ScoredMember
	switch c.Op {
	case ZDiff:
		for _, sm := range ins[0].members {
			found := false
			for _, in := range ins[1:] {
				if _, found = in.index[string(sm.Member)]; found {
					break
				}
			}
			if !found {
				out = append(out, sm)
			}
		}
	case ZInter:
		// From the smallest input, as Redis, which also sums in that order.
		slices.SortStableFunc(ins, func(a, b *zinput) int { return len(a.members) - len(b.members) })
	next:
		for _, sm := range ins[0].members {
			score := ins[0].weighted(sm.Score)
			for _, in := range ins[1:] {
				s, ok := in.index[string(sm.Member)]
				if !ok {
					continue next
				}
				score = c.Aggregate.apply(score, in.weighted(s))
			}
			out = append(out, ScoredMember{sm.Member, score})
			if len(out) == limit {
				break
			}
		}
	case ZUnion:
		slices.SortStableFunc(ins, func(a, b *zinput) int { return len(a.members) - len(b.members) })
		at := map[string]int{}
		for _, in := range ins {
			for _, sm := range in.members {
				s := in.weighted(sm.Score)
				if i, ok := at[string(sm.Member)]; ok {
					out[i].Score = c.Aggregate.apply(out[i].Score, s)
					continue
				}
				at[string(sm.Member)] = len(out)
				out = append(out, ScoredMember{sm.Member, s})
			}
		}
	}
	slices.SortFunc(out, func(a, b ScoredMember) int {
		switch {
		case a.Score < b.Score:
			return -1
		case a.Score > b.Score:
			return 1
		}
		return bytes.Compare(a.Member, b.Member)
	})
	return out
}

// ZCompute returns c over the sorted sets (or sets) at keys, in score
// order. Errors: ErrWrongType.
func (o *Ops) ZCompute(c ZCombine, keys ...[]byte) (_ []ScoredMember, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	ins, err := v.readZInputs(keys, c.Weights)
	if err != nil {
		return nil, err
	}
	return c.combine(ins, 0), nil
}

// ZInterCard returns the size of the intersection of the sorted sets (or
// sets) at keys, counting up to limit (0: no limit). Errors: ErrWrongType.
func (o *Ops) ZInterCard(limit int64, keys ...[]byte) (_ int64, err error) {
	v, err := o.beginRead()
	if err != nil {
		return 0, err
	}
	defer o.endRead(&err)
	ins, err := v.readZInputs(keys, nil)
	if err != nil {
		return 0, err
	}
	c := ZCombine{Op: ZInter}
	return int64(len(c.combine(ins, int(min(limit, math.MaxInt32))))), nil
}

// ZStore stores c over the inputs at keys in dst as a sorted set
// (ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE), replacing whatever dst held
// (its TTL too), and returns its size; an empty result deletes dst.
// Errors: ErrWrongType (an input).
func (o *Ops) ZStore(c ZCombine, dst []byte, keys ...[]byte) (int64, error) {
	return write(o, func(w *writer) (int64, error) {
		ins, err := w.readZInputs(keys, c.Weights)
		if err != nil {
			return 0, err
		}
		return w.zstore(dst, c.combine(ins, 0))
	})
}
