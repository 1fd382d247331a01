package redisnum

import (
	"math"
	"testing"
)

func TestParseDouble(t *testing.T) {
	for _, c := range []struct {
		in        string
		want      float64
		ok        bool
		rangeWant float64 // ParseRangeDouble, when it differs
		rangeOK   bool
	}{
		{"1.5", 1.5, true, 1.5, true},
		{"-0", math.Copysign(0, -1), true, math.Copysign(0, -1), true},
		{"+inf", math.Inf(1), true, math.Inf(1), true},
		{"-Infinity", math.Inf(-1), true, math.Inf(-1), true},
		{"0x10", 16, true, 16, true},
		{"0x1p-2", 0.25, true, 0.25, true},
		{"1e400", 0, false, math.Inf(1), true},
		{"1e-400", 0, false, 0, true},
		{"0e-400", 0, true, 0, true},
		{"4.9e-324", 5e-324, true, 5e-324, true},
		{"", 0, false, 0, true},
		{" 1", 0, false, 1, true},
		{" ", 0, false, 0, false},
		{"nan", 0, false, 0, false},
		{"1e", 0, false, 0, false},
		{"1_0", 0, false, 0, false},
		{".5", 0.5, true, 0.5, true},
		{"5.", 5, true, 5, true},
		{".", 0, false, 0, false},
		{"0x", 0, false, 0, false},
		{"1\x002", 0, false, 1, true},
	} {
		got, ok := ParseDouble([]byte(c.in))
		if ok != c.ok || ok && math.Float64bits(got) != math.Float64bits(c.want) {
			t.Errorf("ParseDouble(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
		got, ok = ParseRangeDouble([]byte(c.in))
		if ok != c.rangeOK || ok && math.Float64bits(got) != math.Float64bits(c.rangeWant) {
			t.Errorf("ParseRangeDouble(%q) = %v, %v; want %v, %v", c.in, got, ok, c.rangeWant, c.rangeOK)
		}
	}
}

func TestAppendDouble(t *testing.T) {
	for f, want := range map[float64]string{
		0.1: "0.10000000000000001", 1: "1", 1e20: "1e+20", 1e-5: "1.0000000000000001e-05",
		math.Inf(1): "inf", math.Inf(-1): "-inf", math.Copysign(0, -1): "-0", 100: "100",
	} {
		if got := string(AppendDouble(nil, f)); got != want {
			t.Errorf("AppendDouble(%v) = %q, want %q", f, got, want)
		}
	}
}

func FuzzParseDouble(f *testing.F) {
	for _, s := range []string{"1.5", "0x1p3", "inf", "1e400", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, ok := ParseDouble([]byte(s)); ok && math.IsNaN(v) {
			t.Fatalf("ParseDouble(%q) = NaN", s)
		}
		if v, ok := ParseRangeDouble([]byte(s)); ok && math.IsNaN(v) {
			t.Fatalf("ParseRangeDouble(%q) = NaN", s)
		}
	})
}
