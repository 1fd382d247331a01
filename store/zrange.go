package store

import (
	"bytes"
	"encoding/binary"

	"github.com/cockroachdb/pebble/v2"
)

// ZRangeBy says what a ZRange's bounds are.
type ZRangeBy byte

// The kinds of sorted set range.
const (
	ZByRank  ZRangeBy = iota // Start and Stop, ranks
	ZByScore                 // Min and Max, scores
	ZByLex                   // LexMin and LexMax, members (all scores equal)
)

// ScoreBound is one end of a score range: Value, left out when Excl (a
// "(" in Redis's syntax).
type ScoreBound struct {
	Value float64
	Excl  bool
}

// LexBound is one end of a lex range: Value, left out when Excl ("(" or
// "["); Inf -1 is "-" (below every member) and +1 is "+" (above every
// member), ignoring Value.
type LexBound struct {
	Value []byte
	Excl  bool
	Inf   int
}

// ZRange is a range of a sorted set, as ZRANGE's arguments give it. For
// ranks, Start and Stop count from 0 at the lowest score (the highest with
// Rev), negative from the other end. For scores and lex, Min and Max are
// the low and high ends whatever the direction. With Limited, Offset
// members of the range are skipped (a negative one leaves nothing) and at
// most Count returned (negative: all), as LIMIT does.
type ZRange struct {
	By             ZRangeBy
	Start, Stop    int64
	Min, Max       ScoreBound
	LexMin, LexMax LexBound
	Rev            bool
	Limited        bool
	Offset, Count  int64
}

func (r *ZRange) aboveMin(s float64) bool {
	if r.Min.Excl {
		return s > r.Min.Value
	}
	return s >= r.Min.Value
}

func (r *ZRange) belowMax(s float64) bool {
	if r.Max.Excl {
		return s < r.Max.Value
	}
	return s <= r.Max.Value
}

// lexCmp compares a member with a lex bound.
func lexCmp(m []byte, b *LexBound) int {
	if b.Inf != 0 {
		return -b.Inf
	}
	return bytes.Compare(m, b.Value)
}

func (r *ZRange) aboveLexMin(m []byte) bool {
	c := lexCmp(m, &r.LexMin)
	return c > 0 || c == 0 && !r.LexMin.Excl
}

func (r *ZRange) belowLexMax(m []byte) bool {
	c := lexCmp(m, &r.LexMax)
	return c < 0 || c == 0 && !r.LexMax.Excl
}

// in reports whether a score is inside the score bounds.
func (r *ZRange) in(s float64) bool { return r.aboveMin(s) && r.belowMax(s) }

// empty reports whether the bounds hold nothing whatever the set, as
// Redis's zslIsInRange and zslIsInLexRange test first.
func (r *ZRange) empty() bool {
	switch r.By {
	case ZByScore:
		return r.Min.Value > r.Max.Value || r.Min.Value == r.Max.Value && (r.Min.Excl || r.Max.Excl)
	case ZByLex:
		lo, hi := r.LexMin, r.LexMax
		c := lo.Inf - hi.Inf
		if lo.Inf == 0 && hi.Inf == 0 {
			c = bytes.Compare(lo.Value, hi.Value)
		}
		// "-" and "+" count as exclusive, as in Redis.
		return c > 0 || c == 0 && (lo.Excl || hi.Excl || lo.Inf != 0)
	}
	return false
}

// zwalk calls fn for the members of the live sorted set e in the range r,
// in its order, until fn returns false.
func (v *view) zwalk(e *entry, r *ZRange, fn func(member []byte, score float64) bool) error {
	n := e.meta.count
	if r.empty() || r.Limited && (r.Offset < 0 || r.Count == 0) {
		return nil
	}
	skip, left := int64(0), int64(-1)
	if r.Limited {
		skip, left = r.Offset, r.Count
	}
	var it *pebble.Iterator
	var err error
	step := (*pebble.Iterator).Next
	if r.Rev {
		step = (*pebble.Iterator).Prev
	}
	// started: the walk is inside the range; from then on the first member
	// outside it ends the walk.
	started := false
	switch r.By {
	case ZByRank:
		start, stop, ok := rankRange(r.Start, r.Stop, n)
		if !ok {
			return nil
		}
		if it, err = v.iter(e.zOrderPrefix(), prefixEnd(e.zOrderPrefix())); err != nil {
			return err
		}
		pos := start
		if r.Rev {
			pos = n - 1 - start
		}
		if err := v.zseekRank(it, e, pos); err != nil {
			return closeIter(it, err)
		}
		left = stop - start + 1
		started = true
	case ZByScore:
		if it, err = v.zorder(e, r.Min.Value, r.Max.Value); err != nil {
			return err
		}
		if r.Rev {
			it.Last()
		} else {
			it.First()
		}
	case ZByLex:
		if it, err = v.zlexIter(e, r); err != nil {
			return err
		}
	}
loop:
	for ; it.Valid() && left != 0; step(it) {
		m, s, err := decodeZOrder(it.Key(), it.Value())
		if err != nil {
			return closeIter(it, err)
		}
		switch {
		case r.By == ZByScore && !r.in(s):
			if started {
				break loop
			}
			continue
		case r.By == ZByLex:
			// As Redis walks a small sorted set: from the first member past
			// the near bound, while members are inside the far one.
			if !started && !(r.Rev && r.belowLexMax(m) || !r.Rev && r.aboveLexMin(m)) {
				continue
			}
			if r.Rev && !r.aboveLexMin(m) || !r.Rev && !r.belowLexMax(m) {
				break loop
			}
		}
		started = true
		if skip > 0 {
			skip--
			continue
		}
		left--
		if !fn(m, s) {
			break
		}
	}
	return it.Close()
}

// zseek positions it, over the whole score order of a set of n members,
// at position pos, walking from the nearer end.
func zseek(it *pebble.Iterator, pos, n int64) {
	if pos < n/2 {
		it.First()
		for range pos {
			it.Next()
		}
		return
	}
	it.Last()
	for range n - 1 - pos {
		it.Prev()
	}
}

// zlexIter opens an iterator for the lex range r of e, positioned at its
// first member in r's direction. Lex ranges assume equal scores: when the
// lowest and highest are equal it seeks to the bound; otherwise it starts
// at the set's end and zwalk filters, as Redis walks a small sorted set
// (nothing unless the first member is below the high bound and the last
// above the low one).
func (v *view) zlexIter(e *entry, r *ZRange) (*pebble.Iterator, error) {
	prefix := e.zOrderPrefix()
	it, err := v.iter(prefix, prefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	if !it.First() {
		return it, nil
	}
	first := bytes.Clone(it.Key())
	it.Last()
	if !bytes.Equal(first[:subPrefixLen+8], it.Key()[:subPrefixLen+8]) {
		lo, _, _ := decodeZOrder(first, nil)
		hi, _, _ := decodeZOrder(it.Key(), nil)
		switch {
		case !r.belowLexMax(lo) || !r.aboveLexMin(hi):
			it.Next() // nothing
		case !r.Rev:
			it.First()
		}
		return it, nil
	}
	first = first[:subPrefixLen+8]
	if r.Rev {
		if r.LexMax.Inf == 0 {
			it.SeekLT(append(append(first, r.LexMax.Value...), 0))
		}
		return it, nil
	}
	if r.LexMin.Inf == 0 {
		it.SeekGE(append(first, r.LexMin.Value...))
	} else {
		it.First()
	}
	return it, nil
}

// ZRange returns the members of the sorted set at key in the range r, in
// its order. Errors: ErrWrongType.
func (o *Ops) ZRange(key []byte, r ZRange) (_ []ScoredMember, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeZSet)
	if err != nil || e.state != live {
		return nil, err
	}
	return v.zcollect(&e, &r)
}

func (v *view) zcollect(e *entry, r *ZRange) ([]ScoredMember, error) {
	var out []ScoredMember
	err := v.zwalk(e, r, func(m []byte, s float64) bool {
		out = append(out, ScoredMember{bytes.Clone(m), s})
		return true
	})
	return out, err
}

// ZCount returns how many members of the sorted set at key lie in the
// range r (scores or lex; no LIMIT). Errors: ErrWrongType.
func (o *Ops) ZCount(key []byte, r ZRange) (_ int64, err error) {
	v, err := o.beginRead()
	if err != nil {
		return 0, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeZSet)
	if err != nil || e.state != live {
		return 0, err
	}
	if r.By == ZByScore && !r.empty() && v.zindexed(&e) {
		// Members below the high bound less those below the low one.
		bound := func(s float64, after bool) []byte {
			u := sortableScore(s)
			if after {
				u++ // past every member at s (+inf's sortable form is far from the top)
			}
			return binary.BigEndian.AppendUint64(nil, u)
		}
		hi, err := v.zcountBelow(&e, bound(r.Max.Value, !r.Max.Excl))
		if err != nil {
			return 0, err
		}
		lo, err := v.zcountBelow(&e, bound(r.Min.Value, r.Min.Excl))
		return hi - lo, err
	}
	var n int64
	err = v.zwalk(&e, &r, func([]byte, float64) bool { n++; return true })
	return n, err
}

// ZRangeStore stores the range r of the sorted set at src in dst as a
// sorted set, replacing whatever dst held (its TTL too), and returns its
// size; an empty range deletes dst. Errors: ErrWrongType (src).
func (o *Ops) ZRangeStore(dst, src []byte, r ZRange) (int64, error) {
	return write(o, func(w *writer) (int64, error) {
		e, err := w.lookupWriteType(src, TypeZSet)
		if err != nil {
			return 0, err
		}
		var res []ScoredMember
		if e.state == live {
			if res, err = w.zcollect(&e, &r); err != nil {
				return 0, err
			}
		}
		return w.zstore(dst, res)
	})
}

// zstore replaces dst with a sorted set of res (distinct members), or
// deletes it when res is empty, and returns len(res).
func (w *writer) zstore(dst []byte, res []ScoredMember) (int64, error) {
	d, err := w.clearKey(dst)
	if err != nil {
		return 0, err
	}
	if len(res) == 0 {
		return 0, nil
	}
	m := w.newCollection(TypeZSet)
	prop := make([][]byte, 0, 2+2*len(res))
	prop = append(prop, []byte("ZADD"), dst)
	for _, sm := range res {
		w.zset(&d, &m, sm.Member, sm.Score, nil)
		prop = append(prop, FormatScore(sm.Score), sm.Member)
	}
	w.put(&d, m)
	w.propagate(prop...)
	return int64(len(res)), nil
}

// ZRemRange removes the members of the sorted set at key in the range r
// (ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX) and returns how
// many; removing the last deletes the key. Errors: ErrWrongType.
func (o *Ops) ZRemRange(key []byte, r ZRange) (int64, error) {
	return write(o, func(w *writer) (int64, error) {
		e, err := w.lookupWriteType(key, TypeZSet)
		if err != nil || e.state != live {
			return 0, err
		}
		res, err := w.zcollect(&e, &r)
		if err != nil || len(res) == 0 {
			return 0, err
		}
		w.zremove(&e, key, res)
		return int64(len(res)), nil
	})
}

// zremove removes res, members of the live sorted set e at key, deleting
// the key when it empties, and propagates ZREM.
func (w *writer) zremove(e *entry, key []byte, res []ScoredMember) {
	m := e.meta
	prop := make([][]byte, 0, 2+len(res))
	prop = append(prop, []byte("ZREM"), key)
	if int64(len(res)) == m.count {
		w.deleteKey(e) // one range deletion, whatever the size
		m.count = 0
	} else {
		for _, sm := range res {
			w.zdel(e, &m, sm.Member, sm.Score)
		}
		w.put(e, m)
	}
	for _, sm := range res {
		prop = append(prop, sm.Member)
	}
	w.propagate(prop...)
}

// ZPop removes and returns up to count members of the sorted set at key
// with the lowest scores (the highest with max), in that order, deleting
// the key when it empties. Errors: ErrWrongType.
func (o *Ops) ZPop(key []byte, max bool, count int64) ([]ScoredMember, error) {
	_, res, err := o.ZMPop([][]byte{key}, max, count)
	return res, err
}

// ZMPop is ZPop on the first of keys that holds a sorted set, returning
// that key too (nil when none does). Errors: ErrWrongType.
func (o *Ops) ZMPop(keys [][]byte, max bool, count int64) ([]byte, []ScoredMember, error) {
	type popped struct {
		key []byte
		res []ScoredMember
	}
	p, err := write(o, func(w *writer) (popped, error) {
		for _, k := range keys {
			e, err := w.lookupWriteType(k, TypeZSet)
			if err != nil {
				return popped{}, err
			}
			if e.state != live {
				continue
			}
			if count <= 0 {
				return popped{key: k}, nil
			}
			r := ZRange{By: ZByRank, Start: 0, Stop: count - 1, Rev: max}
			if count > e.meta.count {
				r.Stop = -1
			}
			res, err := w.zcollect(&e, &r)
			if err != nil {
				return popped{}, err
			}
			w.zremove(&e, k, res)
			return popped{k, res}, nil
		}
		return popped{}, nil
	})
	return p.key, p.res, err
}

// ZRandMember returns random members of the sorted set at key with their
// scores, with SRANDMEMBER's count rules. Errors: ErrWrongType,
// ErrRandomCountRange (count < -MaxRandomRepeats and the key holds a
// sorted set).
func (o *Ops) ZRandMember(key []byte, count int64) (_ []ScoredMember, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeZSet)
	if err != nil || e.state != live || count == 0 {
		return nil, err
	}
	if count < -MaxRandomRepeats {
		return nil, ErrRandomCountRange
	}
	fvs, err := v.randomElems(e.zMemberPrefix(), e.meta.count, count)
	if err != nil {
		return nil, err
	}
	out := make([]ScoredMember, len(fvs))
	for i, fv := range fvs {
		out[i].Member = fv.Field
		if out[i].Score, err = decodeScore(fv.Value); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ZScan is SCAN over the members of the sorted set at key, with their
// scores (Count and Match apply to members; Type is ignored), with Scan's
// cursor guarantees. Errors: ErrWrongType.
func (o *Ops) ZScan(key []byte, cursor uint64, opt ScanOptions) (next uint64, out []ScoredMember, err error) {
	v, err := o.beginRead()
	if err != nil {
		return 0, nil, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeZSet)
	if err != nil || e.state != live {
		return 0, nil, err
	}
	count, match := opt.elems()
	var derr error
	next, err = v.scanElems(e.zMemberPrefix(), cursor, count, match, func(m, val []byte) {
		s, err := decodeScore(val)
		if err != nil {
			derr = err
		}
		out = append(out, ScoredMember{bytes.Clone(m), s})
	})
	if err == nil {
		err = derr
	}
	return next, out, err
}

// zmembers reads every member of the sorted set with collection id in
// slot, in score order.
func (v *view) zmembers(slot uint16, id uint64) ([]ScoredMember, error) {
	prefix := subPrefix(nil, slot, id, tagZScore)
	it, err := v.iter(prefix, prefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	var out []ScoredMember
	for it.First(); it.Valid(); it.Next() {
		m, s, err := decodeZOrder(it.Key(), it.Value())
		if err != nil {
			return nil, closeIter(it, err)
		}
		out = append(out, ScoredMember{bytes.Clone(m), s})
	}
	return out, it.Close()
}

// ZSelect offers pick the members of the sorted set at key in each of
// ranges (scores or lex) in turn, each in its order, until pick returns
// true (stop), and reports whether the key holds a sorted set. The member
// slice is valid only during the call. Errors: ErrWrongType.
func (o *Ops) ZSelect(key []byte, ranges []ZRange, pick func(member []byte, score float64) (stop bool)) (_ bool, err error) {
	v, err := o.beginRead()
	if err != nil {
		return false, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeZSet)
	if err != nil || e.state != live {
		return false, err
	}
	return true, v.zselect(&e, ranges, pick)
}

func (v *view) zselect(e *entry, ranges []ZRange, pick func(member []byte, score float64) bool) error {
	stop := false
	for i := 0; i < len(ranges) && !stop; i++ {
		err := v.zwalk(e, &ranges[i], func(m []byte, s float64) bool {
			stop = pick(m, s)
			return !stop
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// ZSelectStore is ZSelect over src inside one write that then stores
// result() in dst as a sorted set, replacing whatever dst held (its TTL
// too), and returns its size; no member, or no src, deletes dst. Errors:
// ErrWrongType (src).
func (o *Ops) ZSelectStore(dst, src []byte, ranges []ZRange, pick func(member []byte, score float64) (stop bool), result func() []ScoredMember) (int64, error) {
	return write(o, func(w *writer) (int64, error) {
		e, err := w.lookupWriteType(src, TypeZSet)
		if err != nil {
			return 0, err
		}
		if e.state == live {
			if err := w.zselect(&e, ranges, pick); err != nil {
				return 0, err
			}
		}
		return w.zstore(dst, result())
	})
}
