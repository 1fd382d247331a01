package hll

import (
	"strconv"
	"strings"
)

// The PFDEBUG subcommands. Each takes the key's value, nil for a missing
// key (ErrNoKey), and checks it as PFDEBUG does before anything else
// (ErrNotHLL). Parsing the subcommand and its arity is the caller's, after
// that check, as in Redis: an unknown subcommand on a key that is not an
// HLL gets ErrNotHLL.

// GetReg is PFDEBUG GETREG: the Registers register values, in order. A
// sparse HLL is turned dense first, and stays so: dense is then the value
// the key must hold (a write Redis propagates), nil when it was already
// dense. Errors: ErrNoKey, ErrNotHLL, ErrCorrupt.
func GetReg(h []byte) (regs []uint8, dense []byte, err error) {
	if dense, err = ToDense(h); err != nil {
		return nil, nil, err
	}
	r := h[HeaderSize:]
	if dense != nil {
		r = dense[HeaderSize:]
	}
	regs = make([]uint8, Registers)
	for i := range regs {
		regs[i] = getReg(r, i)
	}
	return regs, dense, nil
}

// Decode is PFDEBUG DECODE: the sparse opcodes of h spelled out, "z:N" for
// a ZERO of N registers, "Z:N" for an XZERO, "v:V,N" for a VAL of N
// registers at V, separated by single spaces. It reads the opcodes as they
// are, valid or not. Errors: ErrNoKey, ErrNotHLL, ErrNotSparse.
func Decode(h []byte) (string, error) {
	if err := check(h); err != nil {
		return "", err
	}
	if h[offEncoding] != encSparse {
		return "", ErrNotSparse
	}
	var b strings.Builder
	for p := HeaderSize; p < len(h); {
		kind, runlen, val, size := op(h, p)
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		switch kind {
		case opZero:
			b.WriteString("z:")
		case opXZero:
			b.WriteString("Z:")
		case opVal:
			b.WriteString("v:")
			b.WriteString(strconv.Itoa(val))
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(runlen))
		p += size
	}
	return b.String(), nil
}

// Encoding is PFDEBUG ENCODING: "dense" or "sparse", which Redis sends as a
// status reply. Errors: ErrNoKey, ErrNotHLL.
func Encoding(h []byte) (string, error) {
	if err := check(h); err != nil {
		return "", err
	}
	if h[offEncoding] == encDense {
		return "dense", nil
	}
	return "sparse", nil
}

// ToDense is PFDEBUG TODENSE: a sparse h is turned dense, header kept
// (cached cardinality included), and dense is the value the key must hold,
// PFDEBUG replying 1; for an h already dense, dense is nil and PFDEBUG
// replies 0. Errors: ErrNoKey, ErrNotHLL, ErrCorrupt. The caller owns
// dense.
func ToDense(h []byte) (dense []byte, err error) {
	if err := check(h); err != nil {
		return nil, err
	}
	if h[offEncoding] == encDense {
		return nil, nil
	}
	return toDense(h, len(h))
}

// check is PFDEBUG's lookup and validation.
func check(h []byte) error {
	if h == nil {
		return ErrNoKey
	}
	return Validate(h)
}
