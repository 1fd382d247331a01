package hll

import "math"

// histogram counts registers by value: a register holds at most 63.
type histogram [64]int

// dense adds the dense registers r to hist.
func (hist *histogram) dense(r []byte) {
	for i := 0; i < Registers; i++ {
		hist[getReg(r, i)]++
	}
}

// sparse adds the sparse HLL h to hist and reports whether its opcodes are
// valid; when they are not, hist is left part-filled.
func (hist *histogram) sparse(h []byte) bool {
	return sparseWalk(h, len(h), func(_, runlen, val int) { hist[val] += runlen })
}

// raw adds registers of one byte each.
func (hist *histogram) raw(r *[Registers]uint8) {
	for _, v := range r {
		hist[v]++
	}
}

// The float64(...) conversions below round every product on its own: Go may
// otherwise fuse a multiply and an add (it does on arm64), and Redis,
// compiled for plain x86-64, never does. The estimate must come out the same
// to the last bit, since it is cached in the string.

// sigma is Ertl's σ(x) for 0 ≤ x ≤ 1 ("New cardinality estimation
// algorithms for HyperLogLog sketches", arXiv:1702.01284), summed until it
// stops changing as Redis's hllSigma does.
func sigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		prev := z
		z += float64(x * y)
		y += y
		if z == prev {
			return z
		}
	}
}

// tau is Ertl's τ(x) for 0 ≤ x ≤ 1, as Redis's hllTau (whose pow(1-x, 2)
// the C compiler turns into a product, so a product it is here).
func tau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if z == prev {
			return z / 3
		}
	}
}

// alphaInf is 0.5/ln(2), the bias correction of the estimator as m grows.
const alphaInf = 0.721347520444481703680

// estimate is Redis 7's cardinality estimate from a register histogram
// (the end of hllCount). Registers above q+1 cannot come from an element's
// hash and are left out, as Redis leaves them out. An estimate that does not
// fit an int64 (only crafted dense strings get there) comes out as 1<<63,
// which is what llroundl and the conversion that follows give on x86-64.
func (hist *histogram) estimate() uint64 {
	const m = float64(Registers)
	z := float64(m * tau((m-float64(hist[q+1]))/m))
	for j := q; j >= 1; j-- {
		z += float64(hist[j])
		z *= 0.5
	}
	z += float64(m * sigma(float64(hist[0])/m))
	e := math.Round(float64(float64(alphaInf*m)*m) / z)
	if !(e < 1<<63) {
		return 1 << 63
	}
	return uint64(e)
}

// Count returns the cardinality PFCOUNT replies for one key holding h, and
// the value the key must hold afterwards, or nil when it stays as it is.
//
// When the cached cardinality is valid Count returns it without looking
// further, as Redis does, corrupt opcodes or not. Otherwise it computes the
// estimate and returns h with the estimate cached; the caller stores that
// and propagates it as a write, as Redis does although PFCOUNT is a read
// command. (A crafted dense HLL can estimate to 1<<63: cached, that value
// still reads as stale, so every PFCOUNT of it computes and writes again.)
//
// The reply is card read as an int64, which is what Redis sends: it is
// negative only in that 1<<63 case. A nil h stands for a missing key and
// counts 0. Errors: ErrNotHLL, ErrCorrupt. Count never changes h; the
// caller owns the returned slice.
func Count(h []byte) (card int64, updated []byte, err error) {
	if h == nil {
		return 0, nil, nil
	}
	if err := Validate(h); err != nil {
		return 0, nil, err
	}
	if c, ok := cachedCard(h); ok {
		return int64(c), nil, nil
	}
	var hist histogram
	if h[offEncoding] == encDense {
		hist.dense(h[HeaderSize:])
	} else if !hist.sparse(h) {
		return 0, nil, ErrCorrupt
	}
	c := hist.estimate()
	updated = append([]byte(nil), h...)
	putCard(updated, c)
	return int64(c), updated, nil
}

// CountMerged returns what PFCOUNT replies for several keys: the
// cardinality of their union, merged register by register without
// changing any of them and without using their caches. hs holds the keys'
// values in the order PFCOUNT names them, nil for a missing key; the first
// one found invalid decides the error. Errors: ErrNotHLL, ErrCorrupt.
func CountMerged(hs ...[]byte) (int64, error) {
	var regs [Registers]uint8
	for _, h := range hs {
		if err := mergeInto(&regs, h); err != nil {
			return 0, err
		}
	}
	var hist histogram
	hist.raw(&regs)
	return int64(hist.estimate()), nil
}

// mergeInto validates h and raises regs to its registers (hllMerge); a nil
// h, a missing key, is an empty HLL. Errors: ErrNotHLL, ErrCorrupt.
func mergeInto(regs *[Registers]uint8, h []byte) error {
	if h == nil {
		return nil
	}
	if err := Validate(h); err != nil {
		return err
	}
	if h[offEncoding] == encDense {
		r := h[HeaderSize:]
		for i := range regs {
			regs[i] = max(regs[i], getReg(r, i))
		}
		return nil
	}
	ok := sparseWalk(h, len(h), func(first, runlen, val int) {
		for i := first; i < first+runlen && val > 0; i++ {
			regs[i] = max(regs[i], uint8(val))
		}
	})
	if !ok {
		return ErrCorrupt
	}
	return nil
}
