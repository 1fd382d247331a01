package config

import (
	"errors"
	"math"
	"testing"
)

// memoryCases were checked with CONFIG SET maxmemory on redis-server 7.0.15,
// except those past int64, where Redis clamps or wraps (see ParseMemory).
var memoryCases = []struct {
	in   string
	want int64
	ok   bool
}{
	{"0", 0, true},
	{"1", 1, true},
	{"01", 1, true},
	{"1b", 1, true},
	{"1B", 1, true},
	{"1k", 1000, true},
	{"1K", 1000, true},
	{"1kb", 1024, true},
	{"1kB", 1024, true},
	{"1KB", 1024, true},
	{"1m", 1000 * 1000, true},
	{"1mb", 1024 * 1024, true},
	{"1g", 1000 * 1000 * 1000, true},
	{"1gb", 1 << 30, true},
	{"1Gb", 1 << 30, true},
	{"1gB", 1 << 30, true},
	{"512mb", 536870912, true},
	{"9223372036854775807", math.MaxInt64, true},
	{"8589934591gb", 8589934591 << 30, true},
	// Redis quirks: nothing, or a unit alone, is 0.
	{"", 0, true},
	{"b", 0, true},
	{"mb", 0, true},
	{"GB", 0, true},
	// Errors on Redis too.
	{"-1", 0, false},
	{"-1mb", 0, false},
	{"-", 0, false},
	{"+1", 0, false},
	{" 1", 0, false},
	{"1 ", 0, false},
	{"1 mb", 0, false},
	{"1.5gb", 0, false},
	{"0x10", 0, false},
	{"1bb", 0, false},
	{"1t", 0, false},
	{"1tb", 0, false},
	{"1kib", 0, false},
	{"k1", 0, false},
	{"1\x00", 0, false},
	{"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001", 0, false}, // 128 digits
	// Past int64: Redis clamps to 2^64-1 or wraps; here they are errors.
	{"9223372036854775808", 0, false},
	{"18446744073709551615", 0, false},
	{"99999999999999999999", 0, false},
	{"8589934592gb", 0, false},
	{"18014398509481984kb", 0, false},
}

func TestParseMemory(t *testing.T) {
	for _, c := range memoryCases {
		got, err := ParseMemory(c.in)
		if c.ok {
			if err != nil || got != c.want {
				t.Errorf("ParseMemory(%q) = %d, %v; want %d", c.in, got, err, c.want)
			}
		} else if err != ErrNotMemory || got != 0 {
			t.Errorf("ParseMemory(%q) = %d, %v; want ErrNotMemory", c.in, got, err)
		}
	}
	// 127 digits are still read.
	long := "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000042"
	if n, err := ParseMemory(long); err != nil || n != 42 {
		t.Errorf("ParseMemory(127 digits) = %d, %v", n, err)
	}
	if ErrNotMemory.Error() != "argument must be a memory value" {
		t.Errorf("ErrNotMemory says %q, Redis says %q", ErrNotMemory, "argument must be a memory value")
	}
}

func TestFormatMemory(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0"},
		{536870912, "536870912"},
		{1 << 30, "1073741824"},
		{math.MaxInt64, "9223372036854775807"},
	} {
		if got := FormatMemory(c.n); got != c.want {
			t.Errorf("FormatMemory(%d) = %q, want %q", c.n, got, c.want)
		}
		if back, err := ParseMemory(c.want); err != nil || back != c.n {
			t.Errorf("ParseMemory(FormatMemory(%d)) = %d, %v", c.n, back, err)
		}
	}
}

func TestParseBool(t *testing.T) {
	for _, c := range []struct {
		in       string
		want, ok bool
	}{
		{"yes", true, true},
		{"YES", true, true},
		{"Yes", true, true},
		{"no", false, true},
		{"nO", false, true},
		{"", false, false},
		{"1", false, false},
		{"0", false, false},
		{"true", false, false},
		{"y", false, false},
		{"yes ", false, false},
		{" no", false, false},
		{"yesno", false, false},
	} {
		got, err := ParseBool(c.in)
		if c.ok && (err != nil || got != c.want) {
			t.Errorf("ParseBool(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
		if !c.ok && !errors.Is(err, ErrNotBool) {
			t.Errorf("ParseBool(%q) = %v, %v; want ErrNotBool", c.in, got, err)
		}
	}
	if ErrNotBool.Error() != "argument must be 'yes' or 'no'" {
		t.Errorf("ErrNotBool says %q", ErrNotBool)
	}
}

func FuzzParseMemory(f *testing.F) {
	for _, c := range memoryCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseMemory(s)
		if err != nil {
			if err != ErrNotMemory || n != 0 {
				t.Fatalf("ParseMemory(%q) = %d, %v", s, n, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("ParseMemory(%q) = %d, negative", s, n)
		}
		if back, err := ParseMemory(FormatMemory(n)); err != nil || back != n {
			t.Fatalf("ParseMemory(FormatMemory(%d)) = %d, %v", n, back, err)
		}
	})
}
