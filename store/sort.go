package store

import (
	"bytes"
	"math"
	"slices"
	"strings"

	"github.com/shinglekv/shingle/internal/redisnum"
)

// SORT and SORT_RO, as Redis 7.0's sortCommandGeneric: the elements of a
// list, set or sorted set, by their own value or by the keys a BY pattern
// names, numerically or by bytes (ALPHA), cut by LIMIT, each replaced by
// the values GET patterns name.

// ErrSortScore is SORT's error for a value that is not a number when
// sorting numerically.
var ErrSortScore = newError("ERR One or more scores can't be converted into double")

// SortOptions are SORT's options.
type SortOptions struct {
	// By is the BY pattern, nil for none; one without '*' leaves the
	// elements unsorted.
	By []byte
	// Offset and Count are LIMIT's; a negative Count takes every element
	// from Offset on (Count -1 and Offset 0 are SORT's defaults).
	Offset, Count int64
	// Get are the GET patterns, "#" for the element itself.
	Get         [][]byte
	Desc, Alpha bool
}

// sortItem is an element with what it is sorted by.
type sortItem struct {
	elem  []byte
	score float64
	cmp   []byte // ALPHA with BY: the value the pattern names; nil when missing
}

// Sort returns what SORT replies for the list, set or sorted set at key:
// the elements, or for each the values of the GET patterns (nil for a
// missing one). Errors: ErrWrongType, ErrSortScore.
func (o *Ops) Sort(key []byte, opt SortOptions) (_ [][]byte, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	return v.sort(key, opt, false)
}

// SortStore stores what Sort returns for key in dst as a list (a missing
// GET value as an empty string), replacing whatever dst held (its TTL
// too), and returns its length; an empty result deletes dst. Errors: as
// Sort.
func (o *Ops) SortStore(key, dst []byte, opt SortOptions) (int64, error) {
	return write(o, func(w *writer) (int64, error) {
		res, err := w.sort(key, opt, true)
		if err != nil {
			return 0, err
		}
		d, err := w.clearKey(dst)
		if err != nil {
			return 0, err
		}
		if len(res) == 0 {
			return 0, nil
		}
		for i, r := range res {
			if r == nil {
				res[i] = []byte{}
			}
		}
		w.pushElems(&d, false, res)
		w.propagate(append([][]byte{[]byte("RPUSH"), dst}, res...)...)
		return int64(len(res)), nil
	})
}

func (v *view) sort(key []byte, opt SortOptions, store bool) ([][]byte, error) {
	e, err := v.lookup(key)
	if err != nil {
		return nil, err
	}
	var elems [][]byte
	typ := TypeList
	if e.state == live {
		typ = e.meta.typ
		switch typ {
		case TypeList:
			elems, err = v.listElems(&e, 0, e.meta.count-1)
		case TypeSet:
			elems, err = v.setMembers(e.slot(), e.meta.id)
		case TypeZSet:
			var sms []ScoredMember
			sms, err = v.zmembers(e.slot(), e.meta.id)
			for _, sm := range sms {
				elems = append(elems, sm.Member)
			}
		default:
			return nil, ErrWrongType
		}
		if err != nil {
			return nil, err
		}
	}
	by, alpha := opt.By, opt.Alpha
	dontSort := by != nil && !bytes.Contains(by, []byte("*"))
	if dontSort && typ == TypeSet && store {
		// A set stored unsorted would depend on its order: ALPHA instead.
		dontSort, alpha, by = false, true, nil
	}
	n := int64(len(elems))
	start := max(opt.Offset, 0)
	end := n - 1
	if opt.Count >= 0 {
		end = start + opt.Count - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	end = min(end, n-1)
	items := make([]sortItem, len(elems))
	for i, el := range elems {
		items[i].elem = el
	}
	if dontSort && typ != TypeSet && opt.Desc {
		slices.Reverse(items) // the native order, from the other end
	}
	if !dontSort {
		bad := false
		for i := range items {
			val := items[i].elem
			if by != nil {
				var ok bool
				if val, ok, err = v.byPattern(by, items[i].elem); err != nil {
					return nil, err
				}
				if !ok {
					continue // sorts as 0, or first with ALPHA
				}
			}
			if alpha {
				if by != nil {
					items[i].cmp = val
				}
				continue
			}
			s, ok := redisnum.ParseRangeDouble(val)
			if !ok || math.IsInf(s, 0) && !isInfText(val) || s == 0 && !zeroText(val) {
				bad = true
			}
			items[i].score = s
		}
		if bad {
			return nil, ErrSortScore
		}
		slices.SortStableFunc(items, func(a, b sortItem) int {
			c := 0
			switch {
			case !alpha:
				switch {
				case a.score > b.score:
					c = 1
				case a.score < b.score:
					c = -1
				default:
					c = bytes.Compare(a.elem, b.elem)
				}
			case by != nil:
				switch {
				case a.cmp == nil && b.cmp == nil:
				case a.cmp == nil:
					c = -1
				case b.cmp == nil:
					c = 1
				default:
					c = bytes.Compare(a.cmp, b.cmp)
				}
			default:
				c = bytes.Compare(a.elem, b.elem)
			}
			if opt.Desc {
				return -c
			}
			return c
		})
	}
	var out [][]byte
	for j := start; j <= end; j++ {
		if len(opt.Get) == 0 {
			out = append(out, items[j].elem)
			continue
		}
		for _, pat := range opt.Get {
			val, ok, err := v.byPattern(pat, items[j].elem)
			if err != nil {
				return nil, err
			}
			if !ok {
				val = nil
			}
			out = append(out, val)
		}
	}
	return out, nil
}

// isInfText reports whether s spells an infinity as strtod reads one,
// rather than overflowing to it (which SORT refuses, ERANGE).
func isInfText(s []byte) bool {
	t := strings.ToLower(strings.TrimLeft(string(s), " \t\n\v\f\r+-"))
	return t == "inf" || t == "infinity"
}

// zeroText reports whether s, which strtod read as 0, has no nonzero
// digit before its exponent: otherwise it underflowed (ERANGE).
func zeroText(s []byte) bool {
	t := strings.ToLower(string(s))
	if i := strings.IndexByte(t, 0); i >= 0 {
		t = t[:i]
	}
	if strings.HasPrefix(strings.TrimLeft(t, " \t\n\v\f\r+-"), "0x") {
		t = strings.TrimLeft(t, " \t\n\v\f\r+-")[2:]
		if i := strings.IndexByte(t, 'p'); i >= 0 {
			t = t[:i]
		}
		return strings.Trim(t, "0.") == ""
	}
	if i := strings.IndexByte(t, 'e'); i >= 0 {
		t = t[:i]
	}
	return strings.Trim(t, "0. \t\n\v\f\r+-") == ""
}

// byPattern returns the value a BY or GET pattern names for elem, as
// Redis's lookupKeyByPattern: "#" is elem itself; otherwise the first '*'
// is replaced by elem, and a "->field" after it names a hash field; a
// pattern without '*', a missing key or one of another type names
// nothing.
func (v *view) byPattern(pattern, elem []byte) ([]byte, bool, error) {
	if string(pattern) == "#" {
		return elem, true, nil
	}
	star := bytes.IndexByte(pattern, '*')
	if star < 0 {
		return nil, false, nil
	}
	rest := pattern[star+1:]
	var field []byte
	if f := bytes.Index(rest, []byte("->")); f >= 0 && f+2 < len(rest) {
		field, rest = rest[f+2:], rest[:f]
	}
	key := slices.Concat(pattern[:star], elem, rest)
	e, err := v.lookup(key)
	if err != nil || e.state != live {
		return nil, false, err
	}
	if field == nil {
		if e.meta.typ != TypeString {
			return nil, false, nil
		}
		return append([]byte{}, e.meta.value...), true, nil
	}
	if e.meta.typ != TypeHash {
		return nil, false, nil
	}
	return v.get(e.hashField(field))
}
