package geo_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shinglekv/shingle/internal/geo"
)

// The positions of Redis's documentation (GEOADD, GEOPOS, GEOHASH), and the
// corners of the range, with what redis-server 7.0 replies for them.
func TestEncodeDecodeHash(t *testing.T) {
	for _, c := range []struct {
		lon, lat       float64
		score          uint64
		posLon, posLat string
		hash           string
	}{
		{13.361389, 38.115556, 3479099956230698, "13.36138933897018433", "38.11555639549629859", "sqc8b49rny0"},
		{15.087269, 37.502669, 3479447370796909, "15.08726745843887329", "37.50266842333162032", "sqdtr74hyu0"},
		// The upper bounds get the index one past the last cell: scores
		// above 2^52, which no search range reaches, and positions
		// clamped back into the range.
		{0, 0, 3377699720527872, "0.00000268220901489", "0.00000126736058093", "s0000000000"},
		{180, 0, 10133099161583616, "180", "0.00000126736058093", "80000000000"},
		{0, 85.05112878, 6755399441055744, "0.00000268220901489", "85.0511287799999991", "up05b5048p0"},
		{180, 85.05112878, 3 << 52, "180", "85.0511287799999991", "bp05b5048p0"},
		{-180, -85.05112878, 0, "-179.99999731779098511", "-85.05112751263942528", "00bh0hbj200"},
	} {
		bits, ok := geo.Encode(c.lon, c.lat)
		if !ok || bits != c.score {
			t.Errorf("Encode(%v, %v) = %d, %v; want %d", c.lon, c.lat, bits, ok, c.score)
			continue
		}
		lon, lat := geo.Decode(float64(bits))
		if got := string(geo.AppendCoord(nil, lon)); got != c.posLon {
			t.Errorf("Decode(%d) longitude %s, want %s", bits, got, c.posLon)
		}
		if got := string(geo.AppendCoord(nil, lat)); got != c.posLat {
			t.Errorf("Decode(%d) latitude %s, want %s", bits, got, c.posLat)
		}
		if got := geo.Hash(float64(bits)); got != c.hash {
			t.Errorf("Hash(%d) = %s, want %s", bits, got, c.hash)
		}
	}
	for _, bad := range [][2]float64{{180.0000001, 0}, {0, -85.06}, {math.NaN(), 0}, {0, math.Inf(1)}} {
		if _, ok := geo.Encode(bad[0], bad[1]); ok {
			t.Errorf("Encode(%v, %v) accepted", bad[0], bad[1])
		}
	}
}

// A decoded position is the center of the cell: within half a cell of
// where it was added, and encoded again it gives the same score.
func TestDecodeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	halfLon, halfLat := 360.0/(1<<27), (2*geo.LatMax)/(1<<27)
	for range 100000 {
		lon := (r.Float64()*2 - 1) * 180
		lat := (r.Float64()*2 - 1) * geo.LatMax
		bits, ok := geo.Encode(lon, lat)
		if !ok || bits >= 1<<52 {
			t.Fatalf("Encode(%v, %v) = %d, %v", lon, lat, bits, ok)
		}
		dlon, dlat := geo.Decode(float64(bits))
		if math.Abs(dlon-lon) > halfLon*1.0001 || math.Abs(dlat-lat) > halfLat*1.0001 {
			t.Fatalf("Decode(Encode(%v, %v)) = %v, %v", lon, lat, dlon, dlat)
		}
		if again, _ := geo.Encode(dlon, dlat); again != bits {
			t.Fatalf("Encode(Decode(%d)) = %d", bits, again)
		}
	}
}

func TestHashValue(t *testing.T) {
	for _, c := range []struct {
		score float64
		want  int64
	}{
		{3479099956230698, 3479099956230698},
		{123.9, 123},
		{-2.5, -2},
		{1e30, math.MinInt64},
		{math.Inf(1), math.MinInt64},
		{math.NaN(), math.MinInt64},
	} {
		if got := geo.HashValue(c.score); got != c.want {
			t.Errorf("HashValue(%v) = %d, want %d", c.score, got, c.want)
		}
	}
}
