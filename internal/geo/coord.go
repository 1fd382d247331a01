package geo

import (
	"math"
	"strconv"

	"github.com/shinglekv/shingle/internal/redisnum"
)

// The coordinates Redis indexes (geohash.h): the whole longitude range, and
// the latitudes of the Web Mercator projection (EPSG:3857), which cannot
// reach the poles.
const (
	LonMin = -180.0
	LonMax = 180.0
	LatMin = -85.05112878
	LatMax = 85.05112878

	// StepMax is the precision of a stored position: 26 bits of longitude
	// and 26 of latitude, interleaved into a 52-bit sorted-set score.
	StepMax = 26
)

// Error is an error whose text is exactly Redis's error reply, error code
// first, for the command layer to send unchanged.
type Error struct{ msg string }

func (e *Error) Error() string { return e.msg }

// Redis-visible errors. ErrNotFloat and the ErrNeedNumeric errors are what
// Redis answers when the argument does not parse, NaN included ("nan" is
// refused by its number parser); the constructors return them for a NaN.
var (
	ErrUnsupportedUnit   = &Error{"ERR unsupported unit provided. please use M, KM, FT, MI"}
	ErrRadiusNegative    = &Error{"ERR radius cannot be negative"}
	ErrBoxNegative       = &Error{"ERR height or width cannot be negative"}
	ErrNeedNumericRadius = &Error{"ERR need numeric radius"}
	ErrNeedNumericWidth  = &Error{"ERR need numeric width"}
	ErrNeedNumericHeight = &Error{"ERR need numeric height"}
	ErrNotFloat          = &Error{"ERR value is not a valid float"}
)

const errInvalidPairPrefix = "ERR invalid longitude,latitude pair "

// PairError is the error for a longitude,latitude pair outside the indexed
// range. Its text is Redis's: both numbers printed by C's "%f", so 1e300
// prints all of its 301 digits and an infinity prints "inf".
type PairError struct{ Lon, Lat float64 }

func (e *PairError) Error() string {
	b := append([]byte(errInvalidPairPrefix), formatCFixed(e.Lon, 6)...)
	b = append(b, ',')
	return string(append(b, formatCFixed(e.Lat, 6)...))
}

// ValidPair reports whether lon,lat lies in the range Redis indexes, bounds
// included. NaN is not valid.
func ValidPair(lon, lat float64) bool {
	return lon >= LonMin && lon <= LonMax && lat >= LatMin && lat <= LatMax
}

// CheckPair returns nil for a valid pair, ErrNotFloat when either number is
// NaN (Redis's parser refuses "nan" before any range check) and a
// *PairError otherwise: GEOADD, GEOSEARCH FROMLONLAT and GEORADIUS give the
// same reply.
func CheckPair(lon, lat float64) error {
	if math.IsNaN(lon) || math.IsNaN(lat) {
		return ErrNotFloat
	}
	if !ValidPair(lon, lat) {
		return &PairError{lon, lat}
	}
	return nil
}

// formatCFixed formats x as C's printf "%.<prec>f" does with glibc: the
// exact decimal value rounded half to even, and "inf", "-inf", "nan",
// "-nan" for the values Go spells differently.
func formatCFixed(x float64, prec int) []byte {
	return appendCFixed(nil, x, prec)
}

func appendCFixed(dst []byte, x float64, prec int) []byte {
	switch {
	case math.IsInf(x, 1):
		return append(dst, "inf"...)
	case math.IsInf(x, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(x):
		if math.Signbit(x) {
			return append(dst, "-nan"...)
		}
		return append(dst, "nan"...)
	}
	return strconv.AppendFloat(dst, x, 'f', prec, 64)
}

// AppendDistance appends d as Redis replies with a distance (GEODIST,
// WITHDIST), whatever the unit and the protocol version. Redis 7.0 does not
// use printf's "%.4f" but fixedpoint_d2string: d*10000 rounded to the
// nearest integer, ties to even (llrint), printed with four decimals. The
// two differ when d*10000 rounds onto a tie: 0.00025 prints "0.0002" here
// and "0.0003" with printf. Zero, negative zero included, is "0.0000"; NaN
// and what llrint cannot convert (|d| >= 2^63/10000) print
// "-922337203685477.5808", llrint's 0x8000000000000000 on x86-64.
func AppendDistance(dst []byte, d float64) []byte {
	if d == 0 {
		return append(dst, "0.0000"...)
	}
	var v uint64
	neg := true
	if x := math.RoundToEven(float64(d * 10000)); x >= -(1<<63) && x < 1<<63 {
		s := int64(x)
		neg = s < 0
		if neg {
			v = uint64(-s)
		} else {
			v = uint64(s)
		}
	} else {
		v = 1 << 63
	}
	if neg {
		dst = append(dst, '-')
	}
	var buf [24]byte
	digits := strconv.AppendUint(buf[:0], v, 10)
	if n := len(digits); n <= 4 {
		dst = append(dst, "0.000"[:6-n]...)
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-4]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-4:]...)
}

// AppendCoord appends a decoded longitude or latitude as Redis replies with
// it (GEOPOS, WITHCOORD; addReplyHumanLongDouble): the exact value with 17
// decimals, trailing zeros and a trailing '.' removed, "-0" printed "0". In
// RESP3 the same text is sent as a double.
func AppendCoord(dst []byte, x float64) []byte {
	start := len(dst)
	dst = appendCFixed(dst, x, 17)
	if math.IsInf(x, 0) {
		return dst
	}
	return redisnum.TrimFixed(dst, start)
}
