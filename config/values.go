package config

import (
	"math"
	"strconv"
)

// ParseMemory parses a memory value as Redis 7 does for directives such as
// maxmemory and proto-max-bulk-len (its memtoull): decimal digits followed by
// an optional unit, case-insensitive:
//
//	b  1        k  1000        kb  1024
//	            m  1000²       mb  1024²
//	            g  1000³       gb  1024³
//
// Nothing else is allowed: no sign, no space, no fraction, no other unit.
// Redis 7 rejects a leading '-' for every memory directive, so ParseMemory
// does too, and a result is never negative. The error is ErrNotMemory, whose
// text is Redis's message.
//
// Two Redis quirks are kept because CONFIG SET shows them: an empty string or
// a unit alone ("", "mb") is 0, and leading zeros are fine ("010" is 10).
// One is not: Redis clamps a number too large for 64 bits to 2⁶⁴-1 and lets
// the multiplication by the unit wrap around, so "18014398509481984kb" sets
// maxmemory to 0; ParseMemory returns ErrNotMemory for anything above
// math.MaxInt64 instead.
func ParseMemory(s string) (int64, error) {
	digits := 0
	for digits < len(s) && '0' <= s[digits] && s[digits] <= '9' {
		digits++
	}
	var mul uint64
	switch unit := s[digits:]; {
	case unit == "" || asciiEqualFold(unit, "b"):
		mul = 1
	case asciiEqualFold(unit, "k"):
		mul = 1000
	case asciiEqualFold(unit, "kb"):
		mul = 1024
	case asciiEqualFold(unit, "m"):
		mul = 1000 * 1000
	case asciiEqualFold(unit, "mb"):
		mul = 1024 * 1024
	case asciiEqualFold(unit, "g"):
		mul = 1000 * 1000 * 1000
	case asciiEqualFold(unit, "gb"):
		mul = 1024 * 1024 * 1024
	default:
		return 0, ErrNotMemory
	}
	// Redis copies the digits into a 128-byte buffer and gives up on more.
	if digits >= 128 {
		return 0, ErrNotMemory
	}
	if digits == 0 {
		return 0, nil
	}
	n, err := strconv.ParseUint(s[:digits], 10, 64)
	if err != nil || n > math.MaxInt64/mul {
		return 0, ErrNotMemory
	}
	return int64(n * mul), nil
}

// FormatMemory formats a memory value the way CONFIG GET shows it in Redis 7:
// as a plain count of bytes in decimal, never with a unit ("536870912" for
// proto-max-bulk-len's default, not "512mb"). ParseMemory reads it back.
func FormatMemory(n int64) string {
	return strconv.FormatInt(n, 10)
}

// ParseBool parses a yes/no directive value as Redis does: "yes" or "no" in
// any case. Anything else, "1", "true" and "" included, is ErrNotBool, whose
// text is Redis's message.
func ParseBool(s string) (bool, error) {
	switch {
	case asciiEqualFold(s, "yes"):
		return true, nil
	case asciiEqualFold(s, "no"):
		return false, nil
	}
	return false, ErrNotBool
}
