package redisnum

import (
	"math"
	"strconv"
	"strings"
)

// ParseDouble parses b with Redis's getDoubleFromObject rules: strtod over
// the whole input, no leading space, no NaN, no overflow to infinity and
// no underflow to zero ("inf" and "-inf" themselves are fine). It accepts
// what strtod does: decimal and hexadecimal floats (a hexadecimal one
// without a 'p' exponent too), a sign, "inf" and "infinity" in any case.
func ParseDouble(b []byte) (float64, bool) {
	if len(b) == 0 || isSpace(b[0]) {
		return 0, false
	}
	return strtod(string(b), false)
}

// ParseRangeDouble parses b as zslParseRange does, with plain strtod: the
// input ends at its first NUL byte, leading space is skipped, an empty
// input is 0, a number past the range of a double is ±inf and one below it
// 0. NaN is refused.
func ParseRangeDouble(b []byte) (float64, bool) {
	s := string(b)
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return 0, true
	}
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	if t == "" {
		return 0, false // nothing converted: strtod's end is the first space
	}
	return strtod(t, true)
}

// strtod parses s, which starts with no space. With lenient, a value out
// of range is rounded to ±inf or 0 as strtod returns it; otherwise it is
// refused, as Redis refuses ERANGE.
func strtod(s string, lenient bool) (float64, bool) {
	if len(s) >= maxLongDoubleChars {
		return 0, false
	}
	body := s
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	switch strings.ToLower(body) {
	case "inf", "infinity":
		if s[0] == '-' {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	in := s
	if len(body) > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
		if strings.ContainsRune(body, '_') || !numberSyntax(body[2:], true) {
			return 0, false
		}
		if !strings.ContainsAny(body, "pP") {
			in += "p0"
		}
	} else if !numberSyntax(body, false) {
		return 0, false
	}
	f, err := strconv.ParseFloat(in, 64)
	switch {
	case err != nil && !math.IsInf(f, 0):
		return 0, false
	case math.IsInf(f, 0) && !lenient:
		return 0, false
	case f == 0 && !zeroMantissa(body) && !lenient:
		return 0, false // underflow to zero
	}
	return f, true
}

// AppendDouble appends f as Redis 7.0 replies with a double: "%.17g", and
// "inf" or "-inf".
func AppendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}
