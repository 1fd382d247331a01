package geo

import "math"

// hashBits is a geohash of step bits of longitude and step bits of latitude
// (geohash.h's GeoHashBits): latitude in the even bits, longitude in the
// odd ones. The zero value is geo.c's "no area".
type hashBits struct {
	bits uint64
	step uint
}

func (h hashBits) zero() bool { return h.bits == 0 && h.step == 0 }

// cellRange is the longitude and latitude range a geohash is computed over:
// Redis's own for scores, the standard -90..90 for GEOHASH strings. They are
// variables, not constants, so that Go computes their spans at run time, as
// C does, instead of exactly at compile time.
type cellRange struct{ lonMin, lonMax, latMin, latMax float64 }

var (
	wgs84    = cellRange{LonMin, LonMax, LatMin, LatMax}
	standard = cellRange{-180, 180, -90, 90}
)

// area is a decoded geohash cell (geohash.h's GeoHashArea).
type area struct{ lonMin, lonMax, latMin, latMax float64 }

// interleave puts the bits of x in the even positions and those of y in the
// odd ones.
func interleave(x, y uint32) uint64 {
	return spread(x) | spread(y)<<1
}

func spread(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	return (x | x<<1) & 0x5555555555555555
}

// deinterleave undoes interleave: the even bits come back in the low 32
// bits of the result, the odd ones in the high 32.
func deinterleave(v uint64) uint64 {
	return gather(v) | gather(v>>1)<<32
}

func gather(v uint64) uint64 {
	x := v & 0x5555555555555555
	x = (x | x>>1) & 0x3333333333333333
	x = (x | x>>2) & 0x0F0F0F0F0F0F0F0F
	x = (x | x>>4) & 0x00FF00FF00FF00FF
	x = (x | x>>8) & 0x0000FFFF0000FFFF
	return (x | x>>16) & 0x00000000FFFFFFFF
}

// encode is geohashEncode: the cell of lon,lat at the given step within r.
// A position exactly on the upper bound of a range gets the index 2^step,
// one past the last cell, as in Redis (whose scores for longitude 180 or
// latitude 85.05112878 therefore lie above every search range). NaN is
// refused here; Redis never lets one reach it.
func encode(r cellRange, lon, lat float64, step uint) (hashBits, bool) {
	if step == 0 || step > 32 || math.IsNaN(lon) || math.IsNaN(lat) || !ValidPair(lon, lat) ||
		lat < r.latMin || lat > r.latMax || lon < r.lonMin || lon > r.lonMax {
		return hashBits{}, false
	}
	latOffset := (lat - r.latMin) / (r.latMax - r.latMin)
	lonOffset := (lon - r.lonMin) / (r.lonMax - r.lonMin)
	latOffset *= float64(uint64(1) << step)
	lonOffset *= float64(uint64(1) << step)
	return hashBits{interleave(uint32(latOffset), uint32(lonOffset)), step}, true
}

// decode is geohashDecode: the cell's bounds within r. Redis computes the
// upper bound from the cell index plus one in 32-bit arithmetic, which
// wraps for a score that decodes to index 2^32-1; so does this.
func decode(r cellRange, h hashBits) area {
	sep := deinterleave(h.bits)
	latScale := r.latMax - r.latMin
	lonScale := r.lonMax - r.lonMin
	ilat := uint32(sep)
	ilon := uint32(sep >> 32)
	cells := float64(uint64(1) << h.step)
	return area{
		latMin: r.latMin + float64(float64(ilat)/cells*latScale),
		latMax: r.latMin + float64(float64(ilat+1)/cells*latScale),
		lonMin: r.lonMin + float64(float64(ilon)/cells*lonScale),
		lonMax: r.lonMin + float64(float64(ilon+1)/cells*lonScale),
	}
}

// center is geohashDecodeAreaToLongLat: the middle of the cell, clamped to
// the indexed range.
func (a area) center() (lon, lat float64) {
	lon = (a.lonMin + a.lonMax) / 2
	lon = math.Max(math.Min(lon, LonMax), LonMin)
	lat = (a.latMin + a.latMax) / 2
	lat = math.Max(math.Min(lat, LatMax), LatMin)
	return lon, lat
}

// align52 is geohashAlign52Bits: the hash as the top of a 52-bit score.
func (h hashBits) align52() uint64 { return h.bits << (52 - 2*h.step) }

// Encode returns the sorted-set score GEOADD stores for lon,lat:
// geohashEncodeWGS84 at StepMax, aligned to 52 bits. ok is false for a pair
// CheckPair refuses. The caller stores float64(bits); that conversion
// rounds, as Redis's own, for the scores of longitude 180, which use 54
// bits.
func Encode(lon, lat float64) (bits uint64, ok bool) {
	h, ok := encode(wgs84, lon, lat, StepMax)
	if !ok {
		return 0, false
	}
	return h.align52(), true
}

// Decode returns the position Redis reports for a member with the given
// score (GEOPOS, WITHCOORD, and the point every distance is measured to):
// the center of its cell, clamped to the indexed range. Any score decodes,
// including those of members added with ZADD: it is first converted to an
// integer as gcc's (uint64_t) cast does on x86-64, so that negative,
// fractional, huge and infinite scores give Redis's positions.
func Decode(score float64) (lon, lat float64) {
	return decode(wgs84, hashBits{scoreBits(score), StepMax}).center()
}

// scoreBits converts a score to an integer as the x86-64 code gcc emits for
// (uint64_t)d: below 2^63 a signed truncation, from 2^63 on a truncation of
// d-2^63 with the top bit flipped; what the CPU cannot convert (NaN, out of
// range) becomes 0x8000000000000000 before that flip.
func scoreBits(d float64) uint64 {
	const two63 = 1 << 63
	if d >= two63 {
		return cvttsd2si(d-two63) ^ (1 << 63)
	}
	return cvttsd2si(d)
}

// cvttsd2si is the x86 truncating conversion to int64, as raw bits.
func cvttsd2si(d float64) uint64 {
	if !(d >= -(1<<63) && d < 1<<63) {
		return 1 << 63
	}
	return uint64(int64(d))
}

// HashValue returns the integer Redis replies with for WITHHASH: the score
// converted to a long long, truncated toward zero (the geohash itself for a
// score GEOADD stored).
func HashValue(score float64) int64 { return int64(cvttsd2si(score)) }

const geoAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// Hash returns the 11-character GEOHASH string of a member with the given
// score. Redis decodes the score, re-encodes the position over the standard
// latitude range -90..90 at StepMax, prints the 52 bits five at a time, and
// pads the eleventh character, for which it has no bits, with '0'.
func Hash(score float64) string {
	lon, lat := Decode(score)
	h, _ := encode(standard, lon, lat, StepMax)
	var buf [11]byte
	for i := range buf {
		idx := uint64(0)
		if i < 10 {
			idx = (h.bits >> (52 - (i+1)*5)) & 0x1f
		}
		buf[i] = geoAlphabet[idx]
	}
	return string(buf[:])
}

// neighbors are the eight cells around a geohash (GeoHashNeighbors). Moving
// past an edge wraps around: east of longitude 180 is -180, north of the
// top row is the bottom row.
type neighbors struct {
	north, east, west, south, northEast, southEast, northWest, southWest hashBits
}

// moveX is geohash_move_x: one cell east (d > 0) or west.
func moveX(h hashBits, d int) hashBits { return move(h, d, 0xaaaaaaaaaaaaaaaa) }

// moveY is geohash_move_y: one cell north (d > 0) or south.
func moveY(h hashBits, d int) hashBits { return move(h, d, 0x5555555555555555) }

// move steps the interleaved coordinate whose bits axis selects by one
// cell, up (d > 0) or down, leaving the other one as it is.
func move(h hashBits, d int, axis uint64) hashBits {
	a := h.bits & axis
	other := h.bits &^ axis
	zz := ^axis >> (64 - h.step*2)
	if d > 0 {
		a += zz + 1
	} else {
		a |= zz
		a -= zz + 1
	}
	a &= axis >> (64 - h.step*2)
	h.bits = a | other
	return h
}

func neighborsOf(h hashBits) neighbors {
	return neighbors{
		east:      moveX(h, 1),
		west:      moveX(h, -1),
		south:     moveY(h, -1),
		north:     moveY(h, 1),
		northWest: moveY(moveX(h, -1), 1),
		northEast: moveY(moveX(h, 1), 1),
		southEast: moveY(moveX(h, 1), -1),
		southWest: moveY(moveX(h, -1), -1),
	}
}
