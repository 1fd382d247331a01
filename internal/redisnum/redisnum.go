package redisnum

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// ParseInt parses b with Redis's string2ll rules.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	d := b
	if neg {
		d = b[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	var u uint64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return int64(-u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// AppendInt appends n in decimal.
func AppendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

// precision and exponent limits of the x87 80-bit extended format.
const (
	ldPrec   = 64
	ldMaxExp = 16384  // |x| < 2^16384
	ldMinExp = -16445 // the smallest denormal, 2^-16445, has MantExp -16444
)

// LongDouble is an 80-bit extended-precision value. The zero value is 0.
type LongDouble struct{ f big.Float }

// maxLongDoubleChars is Redis's MAX_LONG_DOUBLE_CHARS: longer inputs are not
// numbers.
const maxLongDoubleChars = 5 * 1024

// ParseLongDouble parses b with Redis's string2ld rules (strtold, whole
// input, no leading space, no NaN, no overflow or underflow to zero). It
// accepts what strtold does: decimal and hexadecimal floats, exponents, a
// sign, "inf" and "infinity" in any case.
func ParseLongDouble(b []byte) (LongDouble, bool) {
	var x LongDouble
	x.f.SetPrec(ldPrec).SetMode(big.ToNearestEven)
	if len(b) == 0 || len(b) >= maxLongDoubleChars || isSpace(b[0]) {
		return x, false
	}
	s := string(b)
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 {
		return x, false
	}
	neg := s[0] == '-'
	switch strings.ToLower(body) {
	case "inf", "infinity":
		x.f.SetInf(neg)
		return x, true
	}
	base := 10
	if len(body) > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
		base = 0 // big.Float's base 0 reads the 0x prefix and a 'p' exponent
		if strings.ContainsRune(body, '_') {
			return x, false
		}
	}
	if base == 10 && !numberSyntax(body, false) {
		return x, false
	}
	if zeroMantissa(body) {
		// strtold gives zero whatever the exponent; big.Float would refuse
		// an exponent beyond its range.
		x.f.SetInt64(0)
		if neg {
			x.f.Neg(&x.f)
		}
		return x, true
	}
	if _, _, err := x.f.Parse(s, base); err != nil {
		return x, false
	}
	if x.f.IsInf() {
		return x, false
	}
	if x.f.Sign() != 0 && outOfRange(&x.f) {
		return x, false // strtold would report ERANGE
	}
	return x, true
}

// outOfRange reports whether strtold would overflow on f, or underflow to
// zero: below half the smallest denormal, 2^-16446 (which itself ties to
// even, to zero).
func outOfRange(f *big.Float) bool {
	exp := f.MantExp(nil) // |f| = m * 2^exp with 0.5 <= m < 1
	if exp > ldMaxExp {
		return true
	}
	if exp < ldMinExp {
		return true
	}
	if exp == ldMinExp {
		// |f| is in [2^-16446, 2^-16445): only 2^-16446 itself rounds to 0.
		var half big.Float
		half.SetMantExp(big.NewFloat(0.5), ldMinExp)
		return new(big.Float).Abs(f).Cmp(&half) == 0
	}
	return false
}

// zeroMantissa reports whether the digits of a number (before any exponent)
// are all zero.
func zeroMantissa(body string) bool {
	digits := body
	if len(body) > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
		digits = body[2:]
		if i := strings.IndexAny(digits, "pP"); i >= 0 {
			digits = digits[:i]
		}
	} else if i := strings.IndexAny(body, "eE"); i >= 0 {
		digits = body[:i]
	}
	return strings.Trim(digits, "0.") == "" && strings.ContainsAny(digits, "0")
}

// numberSyntax reports whether s is digits (hexadecimal with hex) with at
// most one '.', and an optional exponent ('e', or 'p' with hex) of decimal
// digits: big.Float and strconv would also take forms strtod does not.
func numberSyntax(s string, hex bool) bool {
	isDigit := func(c byte) bool {
		return c >= '0' && c <= '9' || hex && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')
	}
	exp := byte('e')
	if hex {
		exp = 'p'
	}
	digits, dot, i := 0, false, 0
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			goto exp
		}
	}
exp:
	if digits == 0 {
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i]|0x20 != exp {
		return false
	}
	i++
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i == len(s) {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// Float64 returns x rounded to a float64 (±Inf past its range).
func (x *LongDouble) Float64() float64 {
	f, _ := x.f.Float64()
	return f
}

// IsInf reports whether x is infinite.
func (x *LongDouble) IsInf() bool { return x.f.IsInf() }

// Add returns x+y rounded to extended precision, and false when the result
// would be NaN or infinite (Redis's "increment would produce NaN or
// Infinity").
func Add(x, y LongDouble) (LongDouble, bool) {
	var z LongDouble
	z.f.SetPrec(ldPrec).SetMode(big.ToNearestEven)
	if x.f.IsInf() || y.f.IsInf() {
		return z, false
	}
	z.f.Add(&x.f, &y.f)
	if z.f.Sign() != 0 && z.f.MantExp(nil) > ldMaxExp {
		return z, false
	}
	return z, true
}

// AppendHuman appends x as Redis's ld2string in LD_STR_HUMAN mode prints it:
// "%.17Lf" with trailing zeros (and a trailing '.') removed, "-0" as "0".
func (x *LongDouble) AppendHuman(dst []byte) []byte {
	if x.f.IsInf() {
		if x.f.Sign() > 0 {
			return append(dst, "inf"...)
		}
		return append(dst, "-inf"...)
	}
	start := len(dst)
	return TrimFixed(x.f.Append(dst, 'f', 17), start)
}

// TrimFixed turns the fixed-point number at dst[start:] into the form of
// Redis's human long doubles (ld2string LD_STR_HUMAN): trailing zeros of
// the fraction and a trailing '.' removed, "-0" as "0".
func TrimFixed(dst []byte, start int) []byte {
	if strings.IndexByte(string(dst[start:]), '.') >= 0 {
		for dst[len(dst)-1] == '0' {
			dst = dst[:len(dst)-1]
		}
		if dst[len(dst)-1] == '.' {
			dst = dst[:len(dst)-1]
		}
	}
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}
