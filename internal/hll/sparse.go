package hll

// The sparse encoding is a run-length code over the registers, three
// opcodes in all:
//
//	ZERO   00xxxxxx           xxxxxx+1 registers (1..64) at 0
//	XZERO  01xxxxxx yyyyyyyy  xxxxxxyyyyyyyy+1 registers (1..16384) at 0
//	VAL    1vvvvvxx           xx+1 registers (1..4) at vvvvv+1 (1..32)
//
// Opcodes are positional: the first covers register 0 on. A register above
// 32 cannot be written sparse, so setting one turns the HLL dense.
const (
	opZero = iota
	opXZero
	opVal

	zeroMaxLen = 64
	valMaxLen  = 4
	valMax     = 32
	xzeroMax   = Registers
)

// op decodes the opcode at mem[p] and returns its kind, the registers it
// covers, their value and its size in bytes. An XZERO that is the last
// byte of the string takes its second byte from past the end, as Redis
// does: from mem when the caller's memory goes on (work), else zero (the
// terminator Redis keeps there).
func op(mem []byte, p int) (kind, runlen, val, size int) {
	b := mem[p]
	switch {
	case b&0xc0 == 0:
		return opZero, int(b&0x3f) + 1, 0, 1
	case b&0x80 != 0:
		return opVal, int(b&3) + 1, int(b>>2&0x1f) + 1, 1
	}
	var lo byte
	if p+1 < len(mem) {
		lo = mem[p+1]
	}
	return opXZero, (int(b&0x3f)<<8 | int(lo)) + 1, 0, 2
}

func valOp(val, runlen int) byte { return byte((val-1)<<2|(runlen-1)) | 0x80 }

func zeroOp(runlen int) byte { return byte(runlen - 1) }

func putXZero(b []byte, runlen int) {
	b[0] = byte((runlen-1)>>8) | 0x40
	b[1] = byte(runlen - 1)
}

// sparseWalk calls f for every run of the sparse opcodes in mem[HeaderSize:n]
// and reports whether they cover exactly Registers registers. It stops
// early, as invalid, when a run would go past the last register, before
// calling f for it: Redis (with the CVE-2025-32023 fix) stops there too.
func sparseWalk(mem []byte, n int, f func(first, runlen, val int)) bool {
	idx := 0
	for p := HeaderSize; p < n; {
		_, runlen, val, size := op(mem, p)
		if idx+runlen > Registers {
			return false
		}
		if f != nil {
			f(idx, runlen, val)
		}
		idx += runlen
		p += size
	}
	return idx == Registers
}

// toDense returns the dense form of the sparse HLL mem[:n], header bytes
// (unused ones and cached cardinality included) kept, or ErrCorrupt
// (hllSparseToDense).
func toDense(mem []byte, n int) ([]byte, error) {
	d := make([]byte, DenseSize)
	copy(d, mem[:HeaderSize])
	d[offEncoding] = encDense
	r := d[HeaderSize:]
	ok := sparseWalk(mem, n, func(first, runlen, val int) {
		for i := first; i < first+runlen && val > 0; i++ {
			setReg(r, i, uint8(val))
		}
	})
	if !ok {
		return nil, ErrCorrupt
	}
	return d, nil
}

// promote turns w dense, or returns ErrCorrupt and leaves it unchanged.
func (w *work) promote() error {
	d, err := toDense(w.mem, w.n)
	if err != nil {
		return err
	}
	w.mem, w.n = d, len(d)
	return nil
}

// sparseSet raises register index of the sparse HLL w to count when it is
// lower and reports whether it did (hllSparseSet). It rewrites the opcodes
// in place exactly as Redis does, so that the bytes come out the same, and
// turns w dense when count does not fit a VAL opcode or when the string
// would grow past sparseMax bytes. It returns ErrCorrupt, w unchanged, when
// the opcodes end before the register, or when they are found corrupt
// while turning dense.
func (w *work) sparseSet(index int, count uint8, sparseMax int) (bool, error) {
	if count > valMax {
		return w.promoteSet(index, count)
	}
	w.room()
	mem := w.mem
	end := w.n

	// Find the opcode covering index: p is where it starts, first the
	// register it starts at, span how many it covers; prev the opcode
	// before it, -1 if none.
	p, prev := HeaderSize, -1
	first, span := int64(0), int64(0)
	kind, runlen, val, size := 0, 0, 0, 0
	for p < end {
		kind, runlen, val, size = op(mem, p)
		span = int64(runlen)
		if int64(index) <= first+span-1 {
			break
		}
		prev = p
		p += size
		first += span
	}
	if span == 0 || p >= end {
		return false, ErrCorrupt
	}
	next := p + size
	if next >= end {
		next = -1
	}

	switch {
	case kind == opVal && val >= int(count):
		return false, nil
	case kind == opVal && runlen == 1, kind == opZero && runlen == 1:
		mem[p] = valOp(int(count), 1)
	default:
		// Split the opcode into up to three: the registers before index,
		// index itself, the registers after. The worst case, an XZERO
		// split in the middle, takes 5 bytes.
		var seq [5]byte
		s := 0
		before := index - int(first)
		after := int(first+span-1) - index
		if kind == opVal {
			if before > 0 {
				seq[s] = valOp(val, before)
				s++
			}
			seq[s] = valOp(int(count), 1)
			s++
			if after > 0 {
				seq[s] = valOp(val, after)
				s++
			}
		} else {
			s += putZeros(seq[s:], before)
			seq[s] = valOp(int(count), 1)
			s++
			s += putZeros(seq[s:], after)
		}
		oldLen := 1
		if kind == opXZero {
			oldLen = 2
		}
		delta := s - oldLen
		if delta > 0 && w.n+delta > sparseMax {
			return w.promoteSet(index, count)
		}
		if delta != 0 && next >= 0 {
			copy(mem[next+delta:], mem[next:end])
		}
		w.setLen(w.n + delta)
		copy(mem[p:], seq[:s])
		end += delta
	}

	// Merge runs of equal VALs the change may have left side by side,
	// scanning at most 5 opcodes from the one before the change.
	p = HeaderSize
	if prev >= 0 {
		p = prev
	}
	for scan := 5; p < end && scan > 0; scan-- {
		k, l1, v1, sz := op(mem, p)
		if k != opVal {
			p += sz
			continue
		}
		if p+1 < end && mem[p+1]&0x80 != 0 {
			_, l2, v2, _ := op(mem, p+1)
			if v1 == v2 && l1+l2 <= valMaxLen {
				mem[p+1] = valOp(v1, l1+l2)
				copy(mem[p:], mem[p+1:end+1])
				w.setLen(w.n - 1)
				end--
				// Look again at the merged opcode: it may merge
				// with the one after it too.
				continue
			}
		}
		p++
	}
	invalidate(w.mem)
	return true, nil
}

// putZeros writes the ZERO or XZERO opcode for n registers at 0 into b and
// returns its size; nothing for n == 0.
func putZeros(b []byte, n int) int {
	switch {
	case n == 0:
		return 0
	case n > zeroMaxLen:
		putXZero(b, n)
		return 2
	}
	b[0] = zeroOp(n)
	return 1
}

// setLen sets the length of w's string and zeroes the byte past it, as
// sdsIncrLen does with its terminator.
func (w *work) setLen(n int) {
	w.n = n
	w.mem[n] = 0
}

// promoteSet turns w dense, then sets the register. It reports true: the
// register was either above what sparse holds or in a run being split, so
// it is always raised (Redis asserts so), and the string changed anyway.
func (w *work) promoteSet(index int, count uint8) (bool, error) {
	if err := w.promote(); err != nil {
		return false, err
	}
	denseSet(w.mem[HeaderSize:], index, count)
	return true, nil
}
