package geo

import "math"

// Constants of geohash_helper.c. They are variables so that the products
// and quotients below are computed at run time, rounded as C rounds them,
// rather than exactly by the Go compiler.
var (
	// degToRad is C's M_PI / 180.0: pi rounded to a double, then divided.
	degToRad = math.Pi / float64(180)
	// earthRadius is Redis's Earth radius in meters.
	earthRadius = 6372797.560856
	// mercatorMax is half the length of the equator, in meters, by which
	// Redis sizes its search cells.
	mercatorMax = 20037726.37
)

// Distance returns the distance in meters between two positions by
// Redis's formula, in its order of operations (geohashGetDistance, the
// haversine formula on a sphere of radius 6372797.560856 m), with Go's
// math.Sin, math.Cos and math.Asin where Redis calls the C library's. For
// positions Redis stores, it is the distance GEODIST, WITHDIST and
// STOREDIST report before the division by the unit, or differs from it in
// the last bits: relatively by less than 1e-13, except within 10 km of the
// antipode, where the arcsine magnifies the difference, to up to 0.4 mm
// within 1 km of it and up to 0.3 m within 100 m.
//
// The haversine term is capped at 1: for some positions and their exact
// or nearly exact antipode (one stored position in a few thousand and its
// exact antipode), Go's sine rounds it just above 1, which would make the
// distance NaN, where glibc's has not been seen to (over three million
// such pairs) and Redis replies with half the circumference. A NaN or
// infinite coordinate still gives NaN.
func Distance(lon1, lat1, lon2, lat2 float64) float64 {
	lat1r := lat1 * degToRad
	lon1r := lon1 * degToRad
	lat2r := lat2 * degToRad
	lon2r := lon2 * degToRad
	u := math.Sin((lat2r - lat1r) / 2)
	v := math.Sin((lon2r - lon1r) / 2)
	// The conversions round each product on its own, as Redis's x86-64
	// build does: Go would otherwise be free to fuse a product and a sum
	// into one multiply-add (and does on arm64).
	a := float64(u*u) + float64(float64(float64(math.Cos(lat1r)*math.Cos(lat2r))*v)*v)
	return 2.0 * earthRadius * math.Asin(math.Sqrt(min(a, 1)))
}

// Unit is a distance unit: how many meters it is. Redis divides meters by
// it to reply in the unit.
type Unit float64

// The units Redis accepts.
const (
	Meters     Unit = 1
	Kilometers Unit = 1000
	Feet       Unit = 0.3048
	Miles      Unit = 1609.34
)

// ParseUnit parses a unit argument as Redis does (extractUnitOrReply):
// "m", "km", "ft" or "mi" in any case, compared with strcasecmp, so that
// whatever follows a NUL byte is ignored ("km\x00x" is kilometers). Any
// other name is ErrUnsupportedUnit.
func ParseUnit(name string) (Unit, error) {
	for i := 0; i < len(name); i++ {
		if name[i] == 0 {
			name = name[:i]
			break
		}
	}
	switch {
	case equalFold(name, "m"):
		return Meters, nil
	case equalFold(name, "km"):
		return Kilometers, nil
	case equalFold(name, "ft"):
		return Feet, nil
	case equalFold(name, "mi"):
		return Miles, nil
	}
	return 0, ErrUnsupportedUnit
}

// equalFold is an ASCII-only strings.EqualFold: strcasecmp in the C locale
// does not fold the Kelvin sign into 'k' as Unicode folding would.
func equalFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// valid reports whether u is one of the four units.
func (u Unit) valid() bool {
	return u == Meters || u == Kilometers || u == Feet || u == Miles
}

// FromMeters converts a distance in meters to u, as Redis does before it
// replies or stores a distance.
func (u Unit) FromMeters(m float64) float64 { return m / float64(u) }
