package hll

// Add is PFADD: it adds elems to the HLL h and returns the value the key
// must hold afterwards, or nil when it stays as it is, and whether PFADD
// replies 1. A nil h stands for a missing key: Add starts from New, and
// replies 1 even with no elements, as PFADD creates the key.
//
// An HLL stays sparse while every register fits a VAL opcode and the
// string stays within sparseMax bytes (Redis's hll-sparse-max-bytes,
// DefaultSparseMaxBytes by default; below 0 counts as 0); past either it
// turns dense, for good. The bytes are the ones redis-server 7.0 holds after
// the same PFADD, cached-cardinality flag included.
//
// Errors: ErrNotHLL; ErrCorrupt when the sparse opcodes end before the
// register an element maps to, or are found corrupt when the HLL must turn
// dense. Redis then replies the error having kept the elements it added
// before, without propagating them; out holds that value (nil if none
// changed it) for a caller that wants the same, and changed is false.
//
// Add never changes h; the caller owns out.
func Add(h []byte, sparseMax int, elems ...[]byte) (out []byte, changed bool, err error) {
	sparseMax = max(sparseMax, 0)
	if h == nil {
		h, changed = New(), true
	} else if err := Validate(h); err != nil {
		return nil, false, err
	}
	w := newWork(h)
	for _, e := range elems {
		index, count := patLen(e)
		var set bool
		if w.dense() {
			set = denseSet(w.mem[HeaderSize:], index, count)
		} else if set, err = w.sparseSet(index, count, sparseMax); err != nil {
			if changed {
				return w.bytes(), false, err
			}
			return nil, false, err
		}
		changed = changed || set
	}
	if !changed {
		return nil, false, nil
	}
	invalidate(w.mem)
	return w.bytes(), true, nil
}

// Merge is PFMERGE: it merges the HLLs srcs into dest, register by register
// taking the highest, and returns the value dest must hold afterwards. dest
// takes part in the merge; a nil dest or source stands for a missing key,
// an empty HLL.
//
// As in Redis 7.0, the result is dense when dest or any source is dense;
// otherwise dest (a new sparse HLL when missing) has every merged register
// set in turn, in register order, as Add would set it, turning dense as
// Add does past sparseMax bytes. Its cached cardinality is marked stale even
// when no register changed.
//
// Errors: ErrNotHLL, ErrCorrupt, for the first key found invalid, dest
// first and then srcs in order. Merge never changes its arguments; the
// caller owns the result.
func Merge(sparseMax int, dest []byte, srcs ...[]byte) ([]byte, error) {
	sparseMax = max(sparseMax, 0)
	var regs [Registers]uint8
	useDense := false
	for _, h := range append([][]byte{dest}, srcs...) {
		if err := mergeInto(&regs, h); err != nil {
			return nil, err
		}
		useDense = useDense || h != nil && h[offEncoding] == encDense
	}
	if dest == nil {
		dest = New()
	}
	w := newWork(dest)
	if useDense && !w.dense() {
		if err := w.promote(); err != nil {
			return nil, err
		}
	}
	for i, v := range regs {
		if v == 0 {
			continue
		}
		if w.dense() {
			denseSet(w.mem[HeaderSize:], i, v)
		} else if _, err := w.sparseSet(i, v, sparseMax); err != nil {
			// dest passed mergeInto, so its opcodes are sound and
			// reach every register.
			return nil, err
		}
	}
	invalidate(w.mem)
	return w.bytes(), nil
}
