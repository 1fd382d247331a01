// Package redisnum parses and formats numbers exactly as Redis does, so that
// replies and stored values match a stock server byte for byte.
//
// Integers follow Redis's string2ll: an optional '-', then digits with no
// leading zero (except "0" itself), nothing else; "+1", " 1", "01" and "-0"
// are not integers.
//
// Floating point increments (INCRBYFLOAT, HINCRBYFLOAT) are computed by Redis
// in C long double, 80-bit extended precision with a 64-bit mantissa on the
// x86-64 servers it ships for, and printed with "%.17Lf" minus trailing
// zeros. Go has no such type; LongDouble emulates it with a big.Float of 64
// bits of precision and the same exponent limits, which rounds exactly as the
// hardware does. This is why INCRBYFLOAT by 0.1 three times gives "0.3" here
// as on Redis, where float64 arithmetic would give "0.30000000000000004".
//
// # What it must never do
//
// Import any other package of Shingle's, or accept a number Redis refuses:
// a value that parses here and not on Redis would be stored and replicated
// where Redis answers an error.
package redisnum
