package rdb

import (
	"errors"
	"math"
	"strconv"
)

// strtod parses the longest prefix of s that C's strtod accepts (glibc,
// in the C locale), as Redis parses the scores it stores as text: leading
// white space, an optional sign, then a decimal or hexadecimal number,
// "inf", "infinity" or "nan" (with an optional "(chars)"), letters in any
// case. It returns the value and the length of the prefix; n is 0, and v
// 0, when no prefix is a number. Out-of-range values come out as C's
// would: ±Inf for an overflow, the nearest subnormal or zero for an
// underflow (both are correctly rounded, in glibc as in strconv).
func strtod(s []byte) (v float64, n int) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	rest := s[i:]
	sign := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	switch {
	case hasPrefixFold(rest, "infinity"):
		return sign(math.Inf(1)), i + 8
	case hasPrefixFold(rest, "inf"):
		return sign(math.Inf(1)), i + 3
	case hasPrefixFold(rest, "nan"):
		k := 3
		if k < len(rest) && rest[k] == '(' {
			j := k + 1
			for j < len(rest) && (isAlnum(rest[j]) || rest[j] == '_') {
				j++
			}
			if j < len(rest) && rest[j] == ')' {
				k = j + 1
			}
		}
		return math.NaN(), i + k
	}
	if len(rest) > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X') {
		j, digits := mantissa(rest, 2, isHexDigit)
		if digits > 0 {
			num := append([]byte("0x"), rest[2:j]...)
			j, exp := exponent(rest, j, 'p')
			if exp == nil {
				exp = []byte("p0") // strconv wants the exponent that C may leave out
			}
			f, ok := parseFloat(append(num, exp...))
			if !ok {
				return 0, 0
			}
			return sign(f), i + j
		}
		// "0x" without a hex digit after it: the number is the "0".
	}
	j, digits := mantissa(rest, 0, isDigit)
	if digits == 0 {
		return 0, 0
	}
	j, _ = exponent(rest, j, 'e')
	f, ok := parseFloat(rest[:j])
	if !ok {
		return 0, 0
	}
	return sign(f), i + j
}

// mantissa scans digits, an optional point and more digits from b[j:];
// it returns where they end and how many digits there were.
func mantissa(b []byte, j int, digit func(byte) bool) (end, digits int) {
	for j < len(b) && digit(b[j]) {
		j++
		digits++
	}
	if j < len(b) && b[j] == '.' {
		j++
		for j < len(b) && digit(b[j]) {
			j++
			digits++
		}
	}
	return j, digits
}

// exponent scans an exponent (marker e or p, either case, an optional
// sign and at least one decimal digit) at b[j:]: it returns where it ends
// and its text, or j and nil when there is none.
func exponent(b []byte, j int, marker byte) (end int, exp []byte) {
	if j >= len(b) || b[j]|0x20 != marker {
		return j, nil
	}
	k := j + 1
	if k < len(b) && (b[k] == '+' || b[k] == '-') {
		k++
	}
	d := k
	for k < len(b) && isDigit(b[k]) {
		k++
	}
	if k == d {
		return j, nil
	}
	return k, b[j:k]
}

// parseFloat parses text that strtod's syntax already matched; an
// overflow is ±Inf, as strconv returns it with ErrRange.
func parseFloat(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

func isCSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexDigit(c byte) bool { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }

func isAlnum(c byte) bool { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'z' }

// hasPrefixFold reports whether b starts with the lower-case ASCII prefix,
// ignoring case.
func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := range len(prefix) {
		if b[i]|0x20 != prefix[i] {
			return false
		}
	}
	return true
}
