package geo_test

import (
	"math"
	"testing"

	"github.com/shinglekv/shingle/internal/geo"
)

// GEODIST Sicily Palermo Catania in each unit, from Redis's documentation.
func TestDistance(t *testing.T) {
	pb, _ := geo.Encode(13.361389, 38.115556)
	cb, _ := geo.Encode(15.087269, 37.502669)
	plon, plat := geo.Decode(float64(pb))
	clon, clat := geo.Decode(float64(cb))
	d := geo.Distance(plon, plat, clon, clat)
	for _, c := range []struct {
		unit geo.Unit
		want string
	}{
		{geo.Meters, "166274.1516"},
		{geo.Kilometers, "166.2742"},
		{geo.Miles, "103.3182"},
		{geo.Feet, "545518.8700"},
	} {
		if got := string(geo.AppendDistance(nil, c.unit.FromMeters(d))); got != c.want {
			t.Errorf("distance in %v = %s, want %s", c.unit, got, c.want)
		}
	}
	if back := geo.Distance(clon, clat, plon, plat); back != d {
		t.Errorf("distance back %v, forth %v", back, d)
	}
	if z := geo.Distance(plon, plat, plon, plat); z != 0 {
		t.Errorf("distance to itself %v", z)
	}
}

// A stored position and its exact antipode: Go's sine rounds their
// haversine term just above 1, glibc's to 1, and Redis replies with half
// the circumference (TestAgainstRedis asks it), not NaN.
func TestDistanceAntipodes(t *testing.T) {
	ab, _ := geo.Encode(76.63261860609055, -42.22188324998134)
	bb, _ := geo.Encode(-103.36738139390945, 42.22188324998134)
	alon, alat := geo.Decode(float64(ab))
	blon, blat := geo.Decode(float64(bb))
	d := geo.Distance(alon, alat, blon, blat)
	if got := string(geo.AppendDistance(nil, d)); got != "20020734.0000" {
		t.Errorf("distance to the antipode %v (%s), want 20020734.0000", d, got)
	}
	if d := geo.Distance(math.NaN(), 0, 0, 0); !math.IsNaN(d) {
		t.Errorf("distance from NaN %v", d)
	}
	if d := geo.Distance(0, math.Inf(1), 0, 0); !math.IsNaN(d) {
		t.Errorf("distance from an infinite latitude %v", d)
	}
}

func TestParseUnit(t *testing.T) {
	for _, c := range []struct {
		name string
		want geo.Unit
		ok   bool
	}{
		{"m", geo.Meters, true},
		{"M", geo.Meters, true},
		{"km", geo.Kilometers, true},
		{"kM", geo.Kilometers, true},
		{"ft", geo.Feet, true},
		{"FT", geo.Feet, true},
		{"mi", geo.Miles, true},
		{"Mi", geo.Miles, true},
		{"km\x00anything", geo.Kilometers, true}, // strcasecmp stops at the NUL
		{"", 0, false},
		{"\x00m", 0, false},
		{"meters", 0, false},
		{"k", 0, false},
		{"\u212am", 0, false}, // the Kelvin sign folds to 'k' in Unicode only
		{" km", 0, false},
	} {
		u, err := geo.ParseUnit(c.name)
		if c.ok && (err != nil || u != c.want) {
			t.Errorf("ParseUnit(%q) = %v, %v; want %v", c.name, u, err, c.want)
		}
		if !c.ok && err != geo.ErrUnsupportedUnit {
			t.Errorf("ParseUnit(%q) = %v, %v; want ErrUnsupportedUnit", c.name, u, err)
		}
	}
	if got := geo.ErrUnsupportedUnit.Error(); got != "ERR unsupported unit provided. please use M, KM, FT, MI" {
		t.Errorf("ErrUnsupportedUnit = %q", got)
	}
}
