package geo_test

import (
	"errors"
	"math"
	"testing"

	"github.com/shinglekv/shingle/internal/geo"
)

func TestCheckPair(t *testing.T) {
	for _, c := range []struct {
		lon, lat float64
		want     string // "" for valid
	}{
		{0, 0, ""},
		{180, 85.05112878, ""},
		{-180, -85.05112878, ""},
		{math.Copysign(0, -1), 0, ""},
		{180.0000001, 0, "ERR invalid longitude,latitude pair 180.000000,0.000000"},
		{0, 85.05112879, "ERR invalid longitude,latitude pair 0.000000,85.051129"},
		{math.Copysign(0, -1), -90, "ERR invalid longitude,latitude pair -0.000000,-90.000000"},
		{math.Inf(1), 0, "ERR invalid longitude,latitude pair inf,0.000000"},
		{0, math.Inf(-1), "ERR invalid longitude,latitude pair 0.000000,-inf"},
		// Exact ties round half to even, as glibc's printf.
		{180.0078125, 0, "ERR invalid longitude,latitude pair 180.007812,0.000000"},
		{180.0234375, 0, "ERR invalid longitude,latitude pair 180.023438,0.000000"},
		{1e22, 0, "ERR invalid longitude,latitude pair 10000000000000000000000.000000,0.000000"},
		{math.NaN(), 0, "ERR value is not a valid float"},
	} {
		err := geo.CheckPair(c.lon, c.lat)
		if c.want == "" {
			if err != nil || !geo.ValidPair(c.lon, c.lat) {
				t.Errorf("CheckPair(%v, %v) = %v, want valid", c.lon, c.lat, err)
			}
			continue
		}
		if err == nil || err.Error() != c.want {
			t.Errorf("CheckPair(%v, %v) = %v, want %q", c.lon, c.lat, err, c.want)
		}
		if geo.ValidPair(c.lon, c.lat) {
			t.Errorf("ValidPair(%v, %v) = true", c.lon, c.lat)
		}
	}
	var pe *geo.PairError
	if err := geo.CheckPair(200, 1); !errors.As(err, &pe) || pe.Lon != 200 || pe.Lat != 1 {
		t.Errorf("CheckPair(200, 1) = %#v, want a *PairError carrying the pair", err)
	}
}

func TestAppendCoord(t *testing.T) {
	for _, c := range []struct {
		x    float64
		want string
	}{
		{13.361389338970184, "13.36138933897018433"},
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{-1e-20, "0"},
		{180, "180"},
		{-38.11555639549629859, "-38.11555639549629859"},
		{0.5, "0.5"},
		{1e-17, "0.00000000000000001"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"}, // glibc printf; no stored position decodes to one
		{math.Copysign(math.NaN(), -1), "-nan"},
	} {
		if got := string(geo.AppendCoord([]byte("x"), c.x)); got != "x"+c.want {
			t.Errorf("AppendCoord(%v) = %q, want %q", c.x, got, "x"+c.want)
		}
	}
}

// Redis 7.0 prints distances with fixedpoint_d2string, not printf.
func TestAppendDistance(t *testing.T) {
	for _, c := range []struct {
		d    float64
		want string
	}{
		{166274.15156960033, "166274.1516"},
		{36923770.811149999499, "36923770.8112"}, // printf: .8111; redis-server 7.0.15: .8112
		{0, "0.0000"},
		{math.Copysign(0, -1), "0.0000"},
		{1e-9, "0.0000"},
		{0.0005, "0.0005"},
		{1.5, "1.5000"},
		{0.00005, "0.0000"}, // 0.5, a tie, to even; printf: 0.0001
		{0.00025, "0.0002"}, // 2.5 to even; printf: 0.0003
		{-2.5, "-2.5000"},
		{math.NaN(), "-922337203685477.5808"},
		{math.Inf(1), "-922337203685477.5808"},
		{1e15, "-922337203685477.5808"},
		{9e14, "900000000000000.0000"},
	} {
		if got := string(geo.AppendDistance([]byte("x"), c.d)); got != "x"+c.want {
			t.Errorf("AppendDistance(%v) = %q, want %q", c.d, got, "x"+c.want)
		}
	}
}
