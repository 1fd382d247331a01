package redisnum

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestParseInt(t *testing.T) {
	valid := map[string]int64{
		"0":                    0,
		"1":                    1,
		"-1":                   -1,
		"10":                   10,
		"-10":                  -10,
		"9223372036854775807":  math.MaxInt64,
		"-9223372036854775808": math.MinInt64,
		"9223372036854775806":  math.MaxInt64 - 1,
		"-9223372036854775807": math.MinInt64 + 1,
	}
	for s, want := range valid {
		got, ok := ParseInt([]byte(s))
		if !ok || got != want {
			t.Errorf("ParseInt(%q) = %d, %v; want %d, true", s, got, ok, want)
		}
	}
	// string2ll takes only the canonical decimal form of an int64: no sign
	// but '-', no space, no leading zero, no "-0", nothing after the digits,
	// and no overflow, however the digits are spread.
	invalid := []string{
		"", "-", "+", "+1", " 1", "1 ", "\t1", "01", "00", "-01", "-0", "--1",
		"1.0", "1e3", "0x10", "1_000", "１", "a", "12a",
		"9223372036854775808", "-9223372036854775809",
		"18446744073709551615", "18446744073709551616", "99999999999999999999",
		"-99999999999999999999", "123456789012345678901", "-123456789012345678901",
	}
	for _, s := range invalid {
		if got, ok := ParseInt([]byte(s)); ok {
			t.Errorf("ParseInt(%q) = %d, true; want false", s, got)
		}
	}
}

func TestAppendInt(t *testing.T) {
	for _, n := range []int64{0, -1, 1, math.MaxInt64, math.MinInt64} {
		if got, want := string(AppendInt([]byte("x"), n)), "x"+strconv.FormatInt(n, 10); got != want {
			t.Errorf("AppendInt(%d) = %q, want %q", n, got, want)
		}
	}
}

func mustParse(t *testing.T, s string) LongDouble {
	t.Helper()
	x, ok := ParseLongDouble([]byte(s))
	if !ok {
		t.Fatalf("ParseLongDouble(%q) failed", s)
	}
	return x
}

// TestLongDoubleSums checks INCRBYFLOAT's arithmetic and printing against
// what a stock Redis on x86-64 replies. The first case is why LongDouble
// exists: in float64, 0.1+0.1+0.1 prints as 0.30000000000000004.
func TestLongDoubleSums(t *testing.T) {
	for _, c := range []struct {
		terms []string
		want  string
	}{
		{[]string{"0.1", "0.1", "0.1"}, "0.3"},
		{[]string{"10.5", "0.1"}, "10.6"},
		{[]string{"-0.5", "0.5"}, "0"}, // a zero sum is printed "0", never "-0"
		{[]string{"-0.0"}, "0"},
		{[]string{"3.0", "0"}, "3"},
		{[]string{"5.0e3", "200"}, "5200"},
		{[]string{"1e3"}, "1000"},
		{[]string{"0x10"}, "16"},
		{[]string{"0x1p-2"}, "0.25"},
		{[]string{"1.5", "-2.5"}, "-1"},
		{[]string{"3.14159"}, "3.14159"},
		{[]string{"1."}, "1"},
		{[]string{".5"}, "0.5"},
		{[]string{"+7"}, "7"},
		{[]string{"00012"}, "12"},
		{[]string{"1e-20"}, "0"}, // below the 17 printed decimals
		{[]string{"0.5"}, "0.5"},
		{[]string{"-9223372036854775808"}, "-9223372036854775808"}, // 2^63 fits the 64-bit mantissa
	} {
		sum := mustParse(t, c.terms[0])
		for _, s := range c.terms[1:] {
			var ok bool
			if sum, ok = Add(sum, mustParse(t, s)); !ok {
				t.Fatalf("%v: Add failed", c.terms)
			}
		}
		if got := string(sum.AppendHuman(nil)); got != c.want {
			t.Errorf("sum of %v printed %q, want %q", c.terms, got, c.want)
		}
	}
}

func TestParseLongDouble(t *testing.T) {
	for _, s := range []string{"inf", "-inf", "+inf", "INF", "Infinity", "-infinity"} {
		x := mustParse(t, s)
		if !x.IsInf() {
			t.Errorf("ParseLongDouble(%q) is not infinite", s)
		}
		if want := strings.HasPrefix(s, "-"); (x.f.Sign() < 0) != want {
			t.Errorf("ParseLongDouble(%q) has the wrong sign", s)
		}
	}
	// strtold takes the whole input or nothing; Redis also refuses NaN, a
	// leading space, and results that overflow (or underflow to zero).
	for _, s := range []string{
		"nan", "NaN", "-nan", "", " 1", "1 ", "\t1", "1\n", "1e", "1e+", ".", "-", "+",
		"e5", "1e5000", "-1e5000", "1e-5000", "0x1p16384", "++1", "+-1", "1..2",
		"1.2.3", "1_000", "0x", "0x1p", "0xg", "0x1_0", "0b101", "0o17", "infinit", "1f",
		strings.Repeat("1", maxLongDoubleChars),
	} {
		if x, ok := ParseLongDouble([]byte(s)); ok {
			t.Errorf("ParseLongDouble(%.20q) = %s, true; want false", s, x.AppendHuman(nil))
		}
	}
	// The largest finite value is just below 2^16384, far beyond float64.
	if _, ok := ParseLongDouble([]byte("0x1p16383")); !ok {
		t.Error("ParseLongDouble(0x1p16383) failed")
	}
	// Accepted by redis-server 7.0 (INCRBYFLOAT): a zero with any exponent,
	// and values that round up to the smallest denormal rather than to 0.
	for _, s := range []string{"0e99999999999999999999", "-0.000e-99999999999999999999", "0x0p99999999999", "3.6e-4951", "0x1.8p-16446"} {
		if _, ok := ParseLongDouble([]byte(s)); !ok {
			t.Errorf("ParseLongDouble(%q) failed; Redis accepts it", s)
		}
	}
	// Exactly half the smallest denormal ties to even, to zero: ERANGE.
	if _, ok := ParseLongDouble([]byte("0x1p-16446")); ok {
		t.Error("ParseLongDouble(0x1p-16446) accepted a value that underflows to 0")
	}
}

func TestAddNotFinite(t *testing.T) {
	one := mustParse(t, "1")
	for _, s := range []string{"inf", "-inf"} {
		inf := mustParse(t, s)
		if _, ok := Add(one, inf); ok {
			t.Errorf("1 + %s: ok", s)
		}
		if _, ok := Add(inf, one); ok {
			t.Errorf("%s + 1: ok", s)
		}
	}
	// Overflow of a finite sum: Redis checks isinf on the result.
	big := mustParse(t, "0x1.fffffffffffffffep16383")
	if _, ok := Add(big, big); ok {
		t.Error("max + max: ok")
	}
	if _, ok := Add(big, mustParse(t, "-0x1.fffffffffffffffep16383")); !ok {
		t.Error("max + -max failed")
	}
}

// FuzzParseInt checks ParseInt against strconv: Redis takes exactly the
// canonical decimal spelling of an int64, so ParseInt must succeed on a
// string precisely when strconv parses it and prints it back unchanged.
func FuzzParseInt(f *testing.F) {
	for _, s := range []string{
		"0", "-1", "42", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
		"", "+1", " 1", "01", "-0", "1.0", "123456789012345678901", "18446744073709551616",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := string(b)
		n, ok := ParseInt(b)
		v, err := strconv.ParseInt(s, 10, 64)
		canonical := err == nil && strconv.FormatInt(v, 10) == s
		if ok != canonical {
			t.Fatalf("ParseInt(%q) ok = %v; strconv: %d, %v", s, ok, v, err)
		}
		if !ok {
			return
		}
		if n != v {
			t.Fatalf("ParseInt(%q) = %d, strconv.ParseInt = %d", s, n, v)
		}
		// The rules spelled out, in case canonical is ever loosened.
		if s[0] == '+' || s[0] == '0' && len(s) > 1 || strings.HasPrefix(s, "-0") {
			t.Fatalf("ParseInt accepted %q", s)
		}
	})
}

// FuzzParseLongDouble feeds arbitrary bytes to ParseLongDouble and checks
// that what AppendHuman prints of a finite value parses again, so that a
// value INCRBYFLOAT stores can always be incremented later; and that
// printing is stable: the value read back prints the same.
func FuzzParseLongDouble(f *testing.F) {
	for _, s := range []string{
		"0", "0.1", "-0.5", "10.5", "1e3", "1E-3", "0x10", "0x1.8p3", "inf", "-Infinity",
		"nan", "", " 1", "1e", ".", "1e5000", "1e-4950", "0x1p16383", "-0x1p-16445",
		"123456789012345678901234567890.123456789",
	} {
		f.Add([]byte(s))
	}
	zero, ok := ParseLongDouble([]byte("0"))
	if !ok {
		f.Fatal("ParseLongDouble(0) failed")
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, ok := ParseLongDouble(b)
		if !ok || x.IsInf() {
			return
		}
		out := x.AppendHuman(nil)
		y, ok := ParseLongDouble(out)
		if !ok {
			t.Fatalf("ParseLongDouble(%q) printed %q, which does not parse", b, out)
		}
		if again := y.AppendHuman(nil); string(again) != string(out) {
			t.Fatalf("ParseLongDouble(%q) printed %q, which prints back as %q", b, out, again)
		}
		// Adding zero changes nothing, as INCRBYFLOAT key 0 must not.
		z, ok := Add(x, zero)
		if !ok {
			t.Fatalf("%q + 0 failed", b)
		}
		if got := z.AppendHuman(nil); string(got) != string(out) {
			t.Fatalf("%q + 0 printed %q, want %q", b, got, out)
		}
	})
}
