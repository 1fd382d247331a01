package store

import (
	"bytes"
	"math/rand/v2"
)

// Sets are stored as hashes are: one meta record (type, expiry, collection
// id, member count) and one Pebble key per member under the collection,
// ordered by the member's hash, with an empty value.

// setMember returns the Pebble key of member in the set e.
func (e *entry) setMember(member []byte) []byte {
	return hashedSubKey(nil, e.slot(), e.meta.id, tagSetMember, member)
}

func (e *entry) setPrefix() []byte { return subPrefix(nil, e.slot(), e.meta.id, tagSetMember) }

// SAdd adds members to the set at key (creating it) and returns how many
// were not there. Errors: ErrWrongType, ErrSyntax for no members.
func (o *Ops) SAdd(key []byte, members ...[]byte) (int64, error) {
	if len(members) == 0 {
		return 0, ErrSyntax
	}
	return write(o, func(w *writer) (int64, error) { return w.sadd(key, members) })
}

func (w *writer) sadd(key []byte, members [][]byte) (int64, error) {
	e, err := w.lookupWriteType(key, TypeSet)
	if err != nil {
		return 0, err
	}
	added, err := w.addMembers(&e, members)
	if err != nil || added == 0 {
		return 0, err
	}
	w.propagate(append([][]byte{[]byte("SADD"), key}, members...)...)
	return added, nil
}

// addMembers adds members to the set e (found for writing; created when
// absent) and returns how many are new. It writes nothing when none is.
func (w *writer) addMembers(e *entry, members [][]byte) (int64, error) {
	m := e.meta
	if e.state != live {
		m = w.newCollection(TypeSet)
	}
	seen := map[string]bool{}
	var added int64
	for _, mem := range members {
		if seen[string(mem)] {
			continue
		}
		seen[string(mem)] = true
		mk := hashedSubKey(nil, e.slot(), m.id, tagSetMember, mem)
		if e.state == live {
			_, exists, err := w.get(mk)
			if err != nil {
				return 0, err
			}
			if exists {
				continue
			}
		}
		w.b.Set(mk, nil, nil)
		added++
	}
	if added > 0 {
		m.count += added
		w.put(e, m)
	}
	return added, nil
}

// SRem removes members from the set at key and returns how many were
// there. Removing the last member deletes the key. Errors: ErrWrongType.
func (o *Ops) SRem(key []byte, members ...[]byte) (int64, error) {
	return write(o, func(w *writer) (int64, error) { return w.srem(key, members) })
}

func (w *writer) srem(key []byte, members [][]byte) (int64, error) {
	e, err := w.lookupWriteType(key, TypeSet)
	if err != nil || e.state != live {
		return 0, err
	}
	removed, err := w.removeMembers(&e, members)
	if len(removed) > 0 {
		w.propagate(append([][]byte{[]byte("SREM"), key}, removed...)...)
	}
	return int64(len(removed)), err
}

// removeMembers removes members from the live set e, deleting it when it
// empties, and returns those that were there.
func (w *writer) removeMembers(e *entry, members [][]byte) ([][]byte, error) {
	var removed [][]byte
	seen := map[string]bool{}
	for _, mem := range members {
		if seen[string(mem)] {
			continue
		}
		seen[string(mem)] = true
		mk := e.setMember(mem)
		_, ok, err := w.get(mk)
		if err != nil {
			return nil, err
		}
		if ok {
			w.b.Delete(mk, nil)
			removed = append(removed, mem)
		}
	}
	if len(removed) == 0 {
		return nil, nil
	}
	m := e.meta
	m.count -= int64(len(removed))
	w.putOrDelete(e, m)
	return removed, nil
}

// SCard returns the number of members of the set at key. Errors:
// ErrWrongType.
func (o *Ops) SCard(key []byte) (int64, error) { return o.collectionLen(key, TypeSet) }

// collectionLen returns the number of elements of the collection of type
// t at key. Errors: ErrWrongType.
func (o *Ops) collectionLen(key []byte, t Type) (_ int64, err error) {
	v, err := o.beginRead()
	if err != nil {
		return 0, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, t)
	return e.meta.count, err
}

// SMIsMember reports for each member whether it is in the set at key.
// Errors: ErrWrongType.
func (o *Ops) SMIsMember(key []byte, members ...[]byte) (_ []bool, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeSet)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(members))
	if e.state != live {
		return out, nil
	}
	for i, mem := range members {
		if _, out[i], err = v.get(e.setMember(mem)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SIsMember reports whether member is in the set at key. Errors:
// ErrWrongType.
func (o *Ops) SIsMember(key, member []byte) (bool, error) {
	in, err := o.SMIsMember(key, member)
	return err == nil && in[0], err
}

// SMembers returns the members of the set at key, in no particular order.
// Errors: ErrWrongType.
func (o *Ops) SMembers(key []byte) (_ [][]byte, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	sets, err := v.readSets([][]byte{key})
	if err != nil {
		return nil, err
	}
	return sets[0], nil
}

// readSets reads the members of the sets at keys (nil for a missing one).
// Errors: ErrWrongType if any key holds another type.
func (v *view) readSets(keys [][]byte) ([][][]byte, error) {
	out := make([][][]byte, len(keys))
	for i, k := range keys {
		e, err := v.lookupType(k, TypeSet)
		if err != nil {
			return nil, err
		}
		if e.state != live {
			continue
		}
		members := make([][]byte, 0, e.meta.count)
		_, err = v.scanElems(e.setPrefix(), 0, -1, nil, func(m, _ []byte) { members = append(members, bytes.Clone(m)) })
		if err != nil {
			return nil, err
		}
		out[i] = members
	}
	return out, nil
}

// SScan is SCAN over the members of the set at key (Count and Match apply
// to members; Type is ignored), with Scan's cursor guarantees. Errors:
// ErrWrongType.
func (o *Ops) SScan(key []byte, cursor uint64, opt ScanOptions) (next uint64, members [][]byte, err error) {
	v, err := o.beginRead()
	if err != nil {
		return 0, nil, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeSet)
	if err != nil || e.state != live {
		return 0, nil, err
	}
	count, match := opt.elems()
	next, err = v.scanElems(e.setPrefix(), cursor, count, match, func(m, _ []byte) { members = append(members, bytes.Clone(m)) })
	return next, members, err
}

// SRandMember returns random members of the set at key: with count > 0,
// that many distinct members (all if the set is not larger); with count <
// 0, -count members that may repeat. Errors: ErrWrongType,
// ErrRandomCountRange (count < -MaxRandomRepeats and the key holds a set).
func (o *Ops) SRandMember(key []byte, count int64) (_ [][]byte, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	e, err := v.lookupType(key, TypeSet)
	if err != nil || e.state != live || count == 0 {
		return [][]byte{}, err
	}
	if count < -MaxRandomRepeats {
		return nil, ErrRandomCountRange
	}
	fvs, err := v.randomElems(e.setPrefix(), e.meta.count, count)
	out := make([][]byte, len(fvs))
	for i, fv := range fvs {
		out[i] = fv.Field
	}
	return out, err
}

// SPop removes and returns up to count random members of the set at key
// (count ≥ 0), deleting the key when it empties. Errors: ErrWrongType,
// ErrValueOutOfRange for a negative count.
func (o *Ops) SPop(key []byte, count int64) ([][]byte, error) {
	if count < 0 {
		return nil, ErrValueOutOfRange
	}
	return write(o, func(w *writer) ([][]byte, error) { return w.spop(key, count) })
}

func (w *writer) spop(key []byte, count int64) ([][]byte, error) {
	e, err := w.lookupWriteType(key, TypeSet)
	if err != nil || e.state != live || count == 0 {
		return [][]byte{}, err
	}
	fvs, err := w.randomElems(e.setPrefix(), e.meta.count, count)
	if err != nil {
		return nil, err
	}
	members := make([][]byte, len(fvs))
	for i, fv := range fvs {
		members[i] = fv.Field
	}
	// Replicas remove the members chosen here: the choice is not replayed.
	removed, err := w.removeMembers(&e, members)
	if err != nil {
		return nil, err
	}
	w.propagate(append([][]byte{[]byte("SREM"), key}, removed...)...)
	rand.Shuffle(len(removed), func(i, j int) { removed[i], removed[j] = removed[j], removed[i] })
	return removed, nil
}

// SMove moves member from the set at src to the set at dst (creating it)
// and reports whether it was in src. Errors: ErrWrongType when src, or dst
// if it exists, holds another type.
func (o *Ops) SMove(src, dst, member []byte) (bool, error) {
	return write(o, func(w *writer) (bool, error) { return w.smove(src, dst, member) })
}

func (w *writer) smove(src, dst, member []byte) (bool, error) {
	s, err := w.lookupWrite(src)
	if err != nil || s.state != live {
		return false, err
	}
	if s.meta.typ != TypeSet {
		return false, ErrWrongType
	}
	if bytes.Equal(src, dst) {
		_, in, err := w.get(s.setMember(member))
		return in, err
	}
	d, err := w.lookupWriteType(dst, TypeSet)
	if err != nil {
		return false, err
	}
	removed, err := w.removeMembers(&s, [][]byte{member})
	if err != nil || len(removed) == 0 {
		return false, err
	}
	if _, err := w.addMembers(&d, [][]byte{member}); err != nil {
		return false, err
	}
	w.propagate([]byte("SMOVE"), src, dst, member)
	return true, nil
}

// SetOp is an operation of SINTER, SUNION and SDIFF.
type SetOp int

const (
	SetInter SetOp = iota
	SetUnion
	SetDiff
)

// setOp computes op over sets (nil: a missing key, an empty set), in the
// first set's order for SInter and SDiff.
func setOp(op SetOp, sets [][][]byte) [][]byte {
	switch op {
	case SetUnion:
		seen := map[string]bool{}
		var out [][]byte
		for _, s := range sets {
			for _, m := range s {
				if !seen[string(m)] {
					seen[string(m)] = true
					out = append(out, m)
				}
			}
		}
		return out
	case SetInter:
		for _, s := range sets {
			if len(s) == 0 {
				return nil
			}
		}
	}
	// SInter keeps the first set's members that every other holds, SDiff
	// those that none holds.
	out := sets[0]
	for _, s := range sets[1:] {
		in := make(map[string]bool, len(s))
		for _, m := range s {
			in[string(m)] = true
		}
		var next [][]byte
		for _, m := range out {
			if in[string(m)] == (op == SetInter) {
				next = append(next, m)
			}
		}
		out = next
	}
	return out
}

// SetCompute returns op (SINTER, SUNION, SDIFF) of the sets at keys, a
// missing key counting as an empty set, in no particular order. Errors:
// ErrWrongType if any key holds another type.
func (o *Ops) SetCompute(op SetOp, keys ...[]byte) (_ [][]byte, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	sets, err := v.readSets(keys)
	if err != nil {
		return nil, err
	}
	return setOp(op, sets), nil
}

// SInterCard returns the size of the intersection of the sets at keys,
// counting up to limit (0: no limit). Errors: ErrWrongType.
func (o *Ops) SInterCard(limit int64, keys ...[]byte) (int64, error) {
	inter, err := o.SetCompute(SetInter, keys...)
	n := int64(len(inter))
	if limit > 0 {
		n = min(n, limit)
	}
	return n, err
}

// SetStore stores op of the sets at keys in dst as a set (SINTERSTORE,
// SUNIONSTORE, SDIFFSTORE), replacing whatever dst held (its TTL too), and
// returns its size; an empty result deletes dst. Errors: ErrWrongType if a
// source key holds another type.
func (o *Ops) SetStore(op SetOp, dst []byte, keys ...[]byte) (int64, error) {
	return write(o, func(w *writer) (int64, error) { return w.setStore(op, dst, keys) })
}

func (w *writer) setStore(op SetOp, dst []byte, keys [][]byte) (int64, error) {
	sets, err := w.readSets(keys)
	if err != nil {
		return 0, err
	}
	res := setOp(op, sets)
	d, err := w.clearKey(dst)
	if err != nil {
		return 0, err
	}
	if len(res) == 0 {
		return 0, nil
	}
	if _, err := w.addMembers(&d, res); err != nil {
		return 0, err
	}
	w.propagate(append([][]byte{[]byte("SADD"), dst}, res...)...)
	return int64(len(res)), nil
}
