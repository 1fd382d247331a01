package geo_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shinglekv/shingle/internal/geo"
)

func TestShapeErrors(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"radius ok", second(geo.NewRadius(15, 37, 200, geo.Kilometers)), nil},
		{"radius infinite", second(geo.NewRadius(15, 37, inf, geo.Meters)), nil},
		{"radius zero", second(geo.NewRadius(15, 37, 0, geo.Meters)), nil},
		{"radius negative", second(geo.NewRadius(15, 37, -1, geo.Meters)), geo.ErrRadiusNegative},
		{"radius NaN", second(geo.NewRadius(15, 37, nan, geo.Meters)), geo.ErrNeedNumericRadius},
		{"radius unit", second(geo.NewRadius(15, 37, 1, 2)), geo.ErrUnsupportedUnit},
		{"radius center NaN", second(geo.NewRadius(nan, 37, 1, geo.Meters)), geo.ErrNotFloat},
		{"box ok", second(geo.NewBox(15, 37, 400, 400, geo.Kilometers)), nil},
		{"box width negative", second(geo.NewBox(15, 37, -1, 1, geo.Meters)), geo.ErrBoxNegative},
		{"box height negative", second(geo.NewBox(15, 37, 1, -1, geo.Meters)), geo.ErrBoxNegative},
		{"box width NaN", second(geo.NewBox(15, 37, nan, -1, geo.Meters)), geo.ErrNeedNumericWidth},
		{"box height NaN", second(geo.NewBox(15, 37, -1, nan, geo.Meters)), geo.ErrNeedNumericHeight},
		{"box unit", second(geo.NewBox(15, 37, 1, 1, 0)), geo.ErrUnsupportedUnit},
	} {
		if c.err != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
	_, err := geo.NewBox(190, 0, 1, 1, geo.Meters)
	if _, ok := err.(*geo.PairError); !ok {
		t.Errorf("box centered out of range: %v", err)
	}
}

func second(_ geo.Shape, err error) error { return err }

type point struct {
	name     string
	lon, lat float64
}

var sicily = []point{
	{"Palermo", 13.361389, 38.115556},
	{"Catania", 15.087269, 37.502669},
	{"edge1", 12.758489, 38.788135},
	{"edge2", 17.241510, 38.788135},
}

// search runs a shape over points as Redis does, and returns the matches in
// Redis's unsorted order with their distances in the shape's unit.
func search(s geo.Shape, pts []point) (names []string, dists []float64) {
	type member struct {
		name  string
		score float64
	}
	var zset []member
	for _, p := range pts {
		b, _ := geo.Encode(p.lon, p.lat)
		zset = append(zset, member{p.name, float64(b)})
	}
	sortMembers(zset, func(a, b member) bool {
		return a.score < b.score || a.score == b.score && a.name < b.name
	})
	for _, r := range s.ScoreRanges() {
		for _, m := range zset {
			if m.score >= r.Min && m.score < r.Max {
				if d, ok := s.Contains(geo.Decode(m.score)); ok {
					names = append(names, m.name)
					dists = append(dists, s.Unit.FromMeters(d))
				}
			}
		}
	}
	return names, dists
}

func sortMembers[T any](s []T, less func(a, b T) bool) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && less(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// The searches of Redis's documentation (GEORADIUS, GEOSEARCH), with the
// order and distances redis-server 7.0 replies with.
func TestSearchSicily(t *testing.T) {
	for _, c := range []struct {
		shape func() (geo.Shape, error)
		names []string
		dists []string
	}{
		{func() (geo.Shape, error) { return geo.NewRadius(15, 37, 200, geo.Kilometers) },
			[]string{"Palermo", "Catania"}, []string{"190.4424", "56.4413"}},
		{func() (geo.Shape, error) { return geo.NewRadius(15, 37, 100, geo.Kilometers) },
			[]string{"Catania"}, []string{"56.4413"}},
		{func() (geo.Shape, error) { return geo.NewBox(15, 37, 400, 400, geo.Kilometers) },
			[]string{"Palermo", "edge1", "Catania", "edge2"}, []string{"190.4424", "279.7405", "56.4413", "279.7403"}},
	} {
		s, err := c.shape()
		if err != nil {
			t.Fatal(err)
		}
		names, dists := search(s, sicily)
		var got []string
		for _, d := range dists {
			got = append(got, string(geo.AppendDistance(nil, d)))
		}
		if len(names) != len(c.names) {
			t.Errorf("%+v: %v %v, want %v %v", s, names, got, c.names, c.dists)
			continue
		}
		for i := range names {
			if names[i] != c.names[i] || got[i] != c.dists[i] {
				t.Errorf("%+v: %v %v, want %v %v", s, names, got, c.names, c.dists)
				break
			}
		}
	}
}

// checkRanges asserts what holds for any shape: at most nine ranges, each a
// non-empty range of scores, none overlapping another. (Scores reach 2^54:
// a center on longitude 180 or latitude 85.05112878 gets a cell one past
// the last, as the positions stored there do.)
func checkRanges(t testing.TB, s geo.Shape, rs []geo.ScoreRange) {
	t.Helper()
	if len(rs) > 9 {
		t.Fatalf("%+v: %d ranges", s, len(rs))
	}
	for i, r := range rs {
		if !(r.Min >= 0 && r.Min < r.Max && r.Max <= 1<<54) {
			t.Fatalf("%+v: range %+v", s, r)
		}
		for _, o := range rs[:i] {
			if r.Min < o.Max && o.Min < r.Max {
				t.Fatalf("%+v: ranges %+v and %+v overlap", s, o, r)
			}
		}
	}
}

// Every stored position a shape contains lies in one of its ranges: the
// cells cover the shape (checked on random shapes and points; positions on
// the upper bounds, whose scores lie above every range, left out).
func TestScoreRangesCover(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for i := range 2000 {
		lon := (r.Float64()*2 - 1) * 180
		lat := (r.Float64()*2 - 1) * geo.LatMax
		size := math.Pow(10, r.Float64()*7.5)
		var s geo.Shape
		if i%2 == 0 {
			s, _ = geo.NewRadius(lon, lat, size, geo.Meters)
		} else {
			s, _ = geo.NewBox(lon, lat, size, size*(0.2+r.Float64()*3), geo.Meters)
		}
		rs := s.ScoreRanges()
		checkRanges(t, s, rs)
		degLat := size / 111000 * 1.5
		degLon := degLat / math.Max(math.Cos(lat*math.Pi/180), 0.01)
		for range 100 {
			plon := lon + (r.Float64()*2-1)*degLon
			plat := lat + (r.Float64()*2-1)*degLat
			b, ok := geo.Encode(plon, plat)
			if !ok || b >= 1<<52 {
				continue
			}
			score := float64(b)
			if _, in := s.Contains(geo.Decode(score)); !in {
				continue
			}
			found := false
			for _, x := range rs {
				found = found || score >= x.Min && score < x.Max
			}
			if !found {
				t.Fatalf("%+v contains %v,%v but no range holds its score %v", s, plon, plat, score)
			}
		}
	}
}

func TestScoreRangesExtremes(t *testing.T) {
	// An infinite radius scans the whole index in four cells.
	s, _ := geo.NewRadius(0, 0, math.Inf(1), geo.Meters)
	rs := s.ScoreRanges()
	total := 0.0
	for _, r := range rs {
		total += r.Max - r.Min
	}
	if len(rs) != 4 || total != 1<<52 {
		t.Errorf("infinite radius: %+v", rs)
	}
	// A zero radius scans the center's cell at full precision: the
	// center's own score.
	b, _ := geo.Encode(2.35, 48.85)
	lon, lat := geo.Decode(float64(b))
	s, _ = geo.NewRadius(lon, lat, 0, geo.Meters)
	rs = s.ScoreRanges()
	if len(rs) != 1 || rs[0].Min != float64(b) || rs[0].Max != float64(b+1) {
		t.Errorf("zero radius: %+v, want [%d, %d)", rs, b, b+1)
	}
	if d, ok := s.Contains(lon, lat); !ok || d != 0 {
		t.Errorf("zero radius does not contain its center: %v %v", d, ok)
	}
}

// FuzzShape feeds any numbers to the constructors, and to shapes built by
// hand, and checks that the search neither panics nor returns malformed
// ranges.
func FuzzShape(f *testing.F) {
	f.Add(15.0, 37.0, 200.0, 0.0, false, uint8(1), 3479099956230698.0)
	f.Add(179.99, 85.0, 1e6, 5e5, true, uint8(0), 0.0)
	f.Add(-180.0, -85.05112878, math.Inf(1), math.NaN(), true, uint8(2), -1.0)
	f.Add(0.0, 0.0, -1.0, 1e308, false, uint8(3), math.Inf(1))
	f.Add(math.NaN(), 0.0, 5e-324, 0.0, true, uint8(9), math.NaN())
	units := []geo.Unit{geo.Meters, geo.Kilometers, geo.Feet, geo.Miles, 0, -1, geo.Unit(math.NaN()), geo.Unit(math.Inf(1))}
	f.Fuzz(func(t *testing.T, lon, lat, a, b float64, box bool, u uint8, score float64) {
		unit := units[int(u)%len(units)]
		var s geo.Shape
		var err error
		if box {
			s, err = geo.NewBox(lon, lat, a, b, unit)
		} else {
			s, err = geo.NewRadius(lon, lat, a, unit)
		}
		if err != nil {
			s = geo.Shape{Box: box, Lon: lon, Lat: lat, Radius: a, Width: a, Height: b, Unit: unit}
		}
		rs := s.ScoreRanges()
		if err == nil {
			checkRanges(t, s, rs)
		}
		plon, plat := geo.Decode(score)
		if !geo.ValidPair(plon, plat) {
			t.Fatalf("Decode(%v) = %v, %v", score, plon, plat)
		}
		s.Contains(plon, plat)
		s.Contains(lon, lat)
		geo.Distance(lon, lat, a, b)
		geo.Hash(score)
		geo.Encode(lon, lat)
		geo.AppendCoord(nil, a)
		geo.AppendDistance(nil, b)
	})
}
