package geo_test

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/geo"
	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/testutil"
)

// The differential test: the same positions added to a stock redis-server
// 7.0 and run through this package, and every reply compared.

type rpoint struct {
	name     string
	lon, lat float64
	score    float64 // float64 of Encode, as the sorted set holds it
}

type redis struct {
	rd *testutil.Redis
	c  *testutil.Client
	n  tally // how often the comparisons needed their tolerances
}

func startRedis(t *testing.T) *redis {
	t.Helper()
	rd := testutil.StartRedis(t)
	c := rd.Dial(t)
	r, err := c.Do("INFO", "server")
	if err != nil {
		t.Fatal(err)
	}
	if v := testutil.InfoFields(string(r.Str))["redis_version"]; !strings.HasPrefix(v, "7.0.") {
		testutil.Unavailable(t, "redis-server %s: the differential test is against Redis 7.0, whose box test and distances 7.2 changed", v)
	}
	return &redis{rd: rd, c: c}
}

func (r *redis) do(t *testing.T, args ...string) resp.Reply {
	t.Helper()
	rep, err := r.c.Do(args...)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func (r *redis) pipeline(t *testing.T, reqs [][]string) []resp.Reply {
	t.Helper()
	reps, err := r.c.Pipeline(time.Minute, reqs...)
	if err != nil {
		t.Fatal(err)
	}
	return reps
}

// arg spells a float64 so that Redis's strtod reads back the same number.
func arg(x float64) string {
	switch {
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

func bulk(s string) resp.Reply { return resp.BulkString(s) }

// makePoints returns random positions, clusters around a few places (so
// that small searches find something), and the edges of the range.
func makePoints(rnd *rand.Rand) []rpoint {
	var pts []rpoint
	add := func(lon, lat float64) {
		if !geo.ValidPair(lon, lat) {
			return
		}
		bits, _ := geo.Encode(lon, lat)
		pts = append(pts, rpoint{fmt.Sprintf("p%04d", len(pts)), lon, lat, float64(bits)})
	}
	for _, e := range [][2]float64{
		{0, 0}, {math.Copysign(0, -1), math.Copysign(0, -1)}, {180, 0}, {-180, 0},
		{180, geo.LatMax}, {-180, geo.LatMin}, {0, geo.LatMax}, {0, geo.LatMin},
		{179.9999999, 85.05112877}, {-179.9999999, -85.05112877}, {179.99, 10}, {-179.99, 10},
		{45, 85}, {45, -85}, {-135, 84.9}, {1e-300, -1e-300}, {13.361389, 38.115556}, {15.087269, 37.502669},
		// Exact antipodes, whose haversine term Go's sine rounds above 1.
		{76.63261860609055, -42.22188324998134}, {-103.36738139390945, 42.22188324998134},
	} {
		add(e[0], e[1])
	}
	// Longitude 180 with random latitudes: half of these scores are odd
	// 54-bit integers, which a float64 score rounds.
	for range 8 {
		add(180, (rnd.Float64()*2-1)*geo.LatMax)
	}
	// Members sharing a position: equal scores, equal distances.
	for range 3 {
		add(2.2945, 48.8584)
	}
	// The fourth is Paris's antipode: the distances between these two
	// clusters are the ones Redis's formula is most sensitive to.
	centers := [][2]float64{{2.35, 48.85}, {179.95, 65}, {-179.9, -70.5}, {-177.65, -48.85}, {0.001, 0.001}, {-73.97, 40.78}, {139.7, 35.7}}
	for _, c := range centers {
		for range 150 {
			spread := math.Pow(10, -3+rnd.Float64()*3.5) // 0.001 to 3 degrees
			lon := c[0] + (rnd.Float64()*2-1)*spread
			lat := c[1] + (rnd.Float64()*2-1)*spread
			if lon > 180 {
				lon -= 360
			} else if lon < -180 {
				lon += 360
			}
			add(lon, lat)
		}
	}
	for range 1200 {
		add((rnd.Float64()*2-1)*180, (rnd.Float64()*2-1)*geo.LatMax)
	}
	for range 100 { // near the poles
		add((rnd.Float64()*2-1)*180, math.Copysign(80+rnd.Float64()*5.05, rnd.Float64()-0.5))
	}
	return pts
}

func TestAgainstRedis(t *testing.T) {
	r := startRedis(t)
	rnd := rand.New(rand.NewPCG(2024, 7))
	pts := makePoints(rnd)
	const key = "geo"

	var reqs [][]string
	for i := 0; i < len(pts); i += 100 {
		req := []string{"GEOADD", key}
		for _, p := range pts[i:min(i+100, len(pts))] {
			req = append(req, arg(p.lon), arg(p.lat), p.name)
		}
		reqs = append(reqs, req)
	}
	for i, rep := range r.pipeline(t, reqs) {
		if rep.Kind != resp.KindInt {
			t.Fatalf("GEOADD batch %d: %v", i, rep)
		}
	}

	zset := append([]rpoint(nil), pts...)
	sort.SliceStable(zset, func(i, j int) bool {
		return zset[i].score < zset[j].score || zset[i].score == zset[j].score && zset[i].name < zset[j].name
	})

	t.Run("scores", func(t *testing.T) { checkScores(t, r, key, zset) })
	t.Run("positions", func(t *testing.T) { checkPositions(t, r, key, pts) })
	t.Run("distances", func(t *testing.T) { checkDistances(t, r, key, pts, rnd) })
	t.Run("searches", func(t *testing.T) { checkSearches(t, r, key, zset, rnd) })
	t.Run("stored distances", func(t *testing.T) { checkStoredDistances(t, r, key, zset, rnd) })
	t.Run("antipodes", func(t *testing.T) { checkAntipodes(t, r, rnd) })
	t.Run("resp3", func(t *testing.T) { checkRESP3(t, r, key, pts) })
	t.Run("argument errors", func(t *testing.T) { checkArgErrors(t, r, key) })
	n := r.n
	t.Logf("GEODIST/WITHDIST texts: %d equal, %d within the tolerance (%.2g)", n.textExact, n.textLoose,
		float64(n.textLoose)/float64(n.textExact+n.textLoose))
	t.Logf("STOREDIST scores: %d equal, %d within the tolerance (%.2g)", n.scoreExact, n.scoreLoose,
		float64(n.scoreLoose)/float64(n.scoreExact+n.scoreLoose))
	t.Logf("search members at an edge: %d, of which Redis decided otherwise: %d; near ties ordered otherwise: %d; COUNT replies not compared: %d",
		n.edge, n.edgeDiffer, n.nearTies, n.countSkipped)
}

// checkRESP3: coordinates are RESP3 doubles with the same text, distances
// stay bulk strings.
func checkRESP3(t *testing.T, r *redis, key string, pts []rpoint) {
	c := r.rd.Dial(t)
	if rep, err := c.Do("HELLO", "3"); err != nil || rep.Kind != resp.KindMap {
		t.Fatalf("HELLO 3: %v %v", rep, err)
	}
	a, b := pts[len(pts)-1], pts[len(pts)-2]
	rep, err := c.Do("GEOPOS", key, a.name)
	if err != nil {
		t.Fatal(err)
	}
	lon, lat := geo.Decode(a.score)
	want := resp.Array(resp.Array(
		resp.Reply{Kind: resp.KindDouble, Str: geo.AppendCoord(nil, lon)},
		resp.Reply{Kind: resp.KindDouble, Str: geo.AppendCoord(nil, lat)}))
	if rep.Kind != want.Kind || len(rep.Elems) != 1 || rep.Elems[0].Elems[0].Kind != resp.KindDouble || rep.String() != want.String() {
		t.Errorf("RESP3 GEOPOS = %v (%d), want %v", rep, rep.Elems[0].Elems[0].Kind, want)
	}
	blon, blat := geo.Decode(b.score)
	rep, err = c.Do("GEODIST", key, a.name, b.name, "km")
	if err != nil {
		t.Fatal(err)
	}
	if d := geo.Distance(lon, lat, blon, blat); rep.Kind != resp.KindBulk || !r.sameDistance(rep, d, geo.Kilometers) {
		t.Errorf("RESP3 GEODIST = %v (%d), want bulk %s", rep, rep.Kind, geo.AppendDistance(nil, geo.Kilometers.FromMeters(d)))
	}
}

// checkArgErrors: the constructors' errors are Redis's replies.
func checkArgErrors(t *testing.T, r *redis, key string) {
	nan := math.NaN()
	for _, c := range []struct {
		args []string
		err  error
	}{
		{[]string{"FROMLONLAT", "0", "0", "BYRADIUS", "-1", "m"}, second(geo.NewRadius(0, 0, -1, geo.Meters))},
		{[]string{"FROMLONLAT", "0", "0", "BYRADIUS", "nan", "m"}, second(geo.NewRadius(0, 0, nan, geo.Meters))},
		{[]string{"FROMLONLAT", "0", "0", "BYBOX", "1", "-1", "m"}, second(geo.NewBox(0, 0, 1, -1, geo.Meters))},
		{[]string{"FROMLONLAT", "0", "0", "BYBOX", "nan", "1", "m"}, second(geo.NewBox(0, 0, nan, 1, geo.Meters))},
		{[]string{"FROMLONLAT", "0", "0", "BYBOX", "1", "nan", "m"}, second(geo.NewBox(0, 0, 1, nan, geo.Meters))},
		{[]string{"FROMLONLAT", "181", "-86", "BYRADIUS", "1", "m"}, second(geo.NewRadius(181, -86, 1, geo.Meters))},
		{[]string{"FROMLONLAT", "nan", "0", "BYRADIUS", "1", "m"}, second(geo.NewRadius(nan, 0, 1, geo.Meters))},
		{[]string{"FROMLONLAT", "0", "0", "BYRADIUS", "1", "yards"}, geo.ErrUnsupportedUnit},
	} {
		if c.err == nil {
			t.Fatalf("%q: no error from the constructor", c.args)
		}
		req := append([]string{"GEOSEARCH", key}, c.args...)
		if got := r.do(t, req...); got.Kind != resp.KindError || string(got.Str) != c.err.Error() {
			t.Errorf("%q = %v, want %q", req, got, c.err)
		}
	}
}

// checkScores: ZRANGE shows the scores Encode computes, in the order the
// simulated sorted set assumes.
func checkScores(t *testing.T, r *redis, key string, zset []rpoint) {
	rep := r.do(t, "ZRANGE", key, "0", "-1", "WITHSCORES")
	if len(rep.Elems) != 2*len(zset) {
		t.Fatalf("ZRANGE: %d elements for %d members", len(rep.Elems), len(zset))
	}
	for i, p := range zset {
		name, score := string(rep.Elems[2*i].Str), string(rep.Elems[2*i+1].Str)
		got, err := strconv.ParseFloat(score, 64)
		if name != p.name || err != nil || got != p.score {
			t.Errorf("ZRANGE #%d: %s %s, want %s %v (from %v,%v)", i, name, score, p.name, p.score, p.lon, p.lat)
		}
	}
}

// checkPositions: GEOPOS, GEOHASH, and WITHHASH's integer.
func checkPositions(t *testing.T, r *redis, key string, pts []rpoint) {
	for i := 0; i < len(pts); i += 200 {
		batch := pts[i:min(i+200, len(pts))]
		pos := []string{"GEOPOS", key}
		hash := []string{"GEOHASH", key}
		for _, p := range batch {
			pos = append(pos, p.name)
			hash = append(hash, p.name)
		}
		reps := r.pipeline(t, [][]string{pos, hash})
		for j, p := range batch {
			lon, lat := geo.Decode(p.score)
			want := resp.Array(bulk(string(geo.AppendCoord(nil, lon))), bulk(string(geo.AppendCoord(nil, lat))))
			if got := reps[0].Elems[j]; got.String() != want.String() {
				t.Errorf("GEOPOS %s (%v,%v) = %v, want %v", p.name, p.lon, p.lat, got, want)
			}
			if got := string(reps[1].Elems[j].Str); got != geo.Hash(p.score) {
				t.Errorf("GEOHASH %s (%v,%v) = %s, want %s", p.name, p.lon, p.lat, got, geo.Hash(p.score))
			}
		}
	}
}

func checkDistances(t *testing.T, r *redis, key string, pts []rpoint, rnd *rand.Rand) {
	units := []string{"m", "km", "ft", "mi", "M", "Km", "FT", "mI", "km\x00trailing"}
	var reqs [][]string
	var want []float64
	var wantUnit []geo.Unit
	for range 3000 {
		a, b := pts[rnd.IntN(len(pts))], pts[rnd.IntN(len(pts))]
		alon, alat := geo.Decode(a.score)
		blon, blat := geo.Decode(b.score)
		want = append(want, geo.Distance(alon, alat, blon, blat))
		if rnd.IntN(4) == 0 {
			reqs = append(reqs, []string{"GEODIST", key, a.name, b.name})
			wantUnit = append(wantUnit, geo.Meters)
			continue
		}
		name := units[rnd.IntN(len(units))]
		u, err := geo.ParseUnit(name)
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, []string{"GEODIST", key, a.name, b.name, name})
		wantUnit = append(wantUnit, u)
	}
	for i, rep := range r.pipeline(t, reqs) {
		if !r.sameDistance(rep, want[i], wantUnit[i]) {
			t.Errorf("%q = %v, want %s", reqs[i], rep, geo.AppendDistance(nil, wantUnit[i].FromMeters(want[i])))
		}
	}
	// Errors: bad units and bad pairs.
	for _, name := range []string{"yd", "", "meters", "\u212am", " m"} {
		_, err := geo.ParseUnit(name)
		if got := r.do(t, "GEODIST", key, pts[0].name, pts[1].name, name); got.Kind != resp.KindError || err == nil || string(got.Str) != err.Error() {
			t.Errorf("GEODIST unit %q: %v, ParseUnit %v", name, got, err)
		}
	}
	for _, p := range [][2]float64{
		{180.0000001, 0}, {-180.0000001, 0}, {0, 85.05112879}, {0, -85.05112879}, {0, 90},
		{math.Copysign(0, -1), -90}, {1e300, 0}, {-1e300, 1e300}, {math.Inf(1), 0}, {0, math.Inf(-1)},
		{180.0078125, 0}, {180.0234375, 0.0000005}, {200.0000005, 1}, {5e-324, 100}, {-500, -0.0000015},
	} {
		err := geo.CheckPair(p[0], p[1])
		if err == nil {
			t.Fatalf("CheckPair(%v, %v) = nil", p[0], p[1])
		}
		if got := r.do(t, "GEOADD", "bad", arg(p[0]), arg(p[1]), "x"); got.Kind != resp.KindError || string(got.Str) != err.Error() {
			t.Errorf("GEOADD %v %v: %v, want %q", arg(p[0]), arg(p[1]), got, err)
		}
	}
	// Scores no GEOADD would store, added with ZADD: GEOPOS, GEOHASH and
	// GEODIST decode them all the same.
	weird := []float64{-1, -0.5, 1.5, 123456.75, 1 << 52, 1<<52 - 1, 1<<53 + 2, 3 << 52, 1 << 54, 1e19,
		1 << 63, 1 << 64, 1e30, -1e30, math.Inf(1), math.Inf(-1), math.MaxFloat64, 5e-324}
	zadd := []string{"ZADD", "weird"}
	for i, s := range weird {
		zadd = append(zadd, arg(s), fmt.Sprintf("w%d", i))
	}
	r.do(t, zadd...)
	for i, s := range weird {
		name := fmt.Sprintf("w%d", i)
		lon, lat := geo.Decode(s)
		want := resp.Array(resp.Array(bulk(string(geo.AppendCoord(nil, lon))), bulk(string(geo.AppendCoord(nil, lat)))))
		if got := r.do(t, "GEOPOS", "weird", name); got.String() != want.String() {
			t.Errorf("GEOPOS of score %v = %v, want %v", s, got, want)
		}
		if got := r.do(t, "GEOHASH", "weird", name); len(got.Elems) != 1 || string(got.Elems[0].Str) != geo.Hash(s) {
			t.Errorf("GEOHASH of score %v = %v, want %s", s, got, geo.Hash(s))
		}
		other := weird[(i+1)%len(weird)]
		olon, olat := geo.Decode(other)
		d := geo.Distance(lon, lat, olon, olat)
		if got := r.do(t, "GEODIST", "weird", name, fmt.Sprintf("w%d", (i+1)%len(weird))); !r.sameDistance(got, d, geo.Meters) {
			t.Errorf("GEODIST of scores %v, %v = %v, want %s", s, other, got, geo.AppendDistance(nil, d))
		}
	}
}

// edgeShapes are searches centered on the bounds of the range, where
// centers and stored positions get the cell one past the last.
func edgeShapes() (shapes []geo.Shape, args [][]string) {
	for _, c := range [][2]float64{{180, 0}, {180, geo.LatMax}, {-180, geo.LatMin}, {0, geo.LatMax}, {-180, 0}, {179.99, 10}} {
		for _, radius := range []float64{0, 1, 1000, 1e6, 1e7} {
			s, err := geo.NewRadius(c[0], c[1], radius, geo.Meters)
			if err != nil {
				panic(err)
			}
			shapes = append(shapes, s)
			args = append(args, []string{"FROMLONLAT", arg(c[0]), arg(c[1]), "BYRADIUS", arg(radius), "m"})
			s, _ = geo.NewBox(c[0], c[1], 2*radius, radius, geo.Meters)
			shapes = append(shapes, s)
			args = append(args, []string{"FROMLONLAT", arg(c[0]), arg(c[1]), "BYBOX", arg(2 * radius), arg(radius), "m"})
		}
	}
	return shapes, args
}

// randomShape returns a search area and its GEOSEARCH arguments.
func randomShape(rnd *rand.Rand, zset []rpoint) (geo.Shape, []string) {
	var lon, lat float64
	var from []string
	switch rnd.IntN(4) {
	case 0: // FROMMEMBER: the center is the member's decoded position
		p := zset[rnd.IntN(len(zset))]
		lon, lat = geo.Decode(p.score)
		from = []string{"FROMMEMBER", p.name}
	case 1: // one of the clusters, or the edges
		p := zset[rnd.IntN(len(zset))]
		lon, lat = p.lon, p.lat
		from = []string{"FROMLONLAT", arg(lon), arg(lat)}
	default:
		lon, lat = (rnd.Float64()*2-1)*180, (rnd.Float64()*2-1)*geo.LatMax
		if rnd.IntN(8) == 0 {
			lat = math.Copysign(geo.LatMax-rnd.Float64()*10, lat)
		}
		from = []string{"FROMLONLAT", arg(lon), arg(lat)}
	}
	unitNames := []string{"m", "km", "ft", "mi"}
	name := unitNames[rnd.IntN(len(unitNames))]
	unit, _ := geo.ParseUnit(name)
	size := func() float64 {
		switch rnd.IntN(20) {
		case 0:
			return 0
		case 1:
			return math.Inf(1)
		}
		return math.Pow(10, rnd.Float64()*8) / float64(unit) // 1 m to 100,000 km
	}
	if rnd.IntN(2) == 0 {
		radius := size()
		s, err := geo.NewRadius(lon, lat, radius, unit)
		if err != nil {
			panic(err)
		}
		return s, append(from, "BYRADIUS", arg(radius), name)
	}
	w, h := size(), size()
	s, err := geo.NewBox(lon, lat, w, h, unit)
	if err != nil {
		panic(err)
	}
	return s, append(from, "BYBOX", arg(w), arg(h), name)
}

// shapeThrough returns a search whose edge passes through a stored member,
// by this package's arithmetic: a circle whose radius is that member's
// distance from the center, or a box whose half width is its east-west
// distance or whose half height its north-south one, or both. The member
// is next to the center in the sorted set, so mostly near it. Redis's own
// distance is a last bit larger or smaller in about a third of such
// searches, and it then drops or keeps the member where this package does
// not: the case onEdge allows for.
func shapeThrough(rnd *rand.Rand, zset []rpoint) (geo.Shape, []string) {
	i := rnd.IntN(len(zset) - 1)
	c, m := zset[i], zset[min(len(zset)-1, i+1+rnd.IntN(20))]
	clon, clat := geo.Decode(c.score)
	mlon, mlat := geo.Decode(m.score)
	unitNames := []string{"m", "km", "ft", "mi"}
	name := unitNames[rnd.IntN(len(unitNames))]
	unit, _ := geo.ParseUnit(name)
	from := []string{"FROMMEMBER", c.name}
	if rnd.IntN(2) == 0 {
		radius := unit.FromMeters(geo.Distance(clon, clat, mlon, mlat))
		s, err := geo.NewRadius(clon, clat, radius, unit)
		if err != nil {
			panic(err)
		}
		return s, append(from, "BYRADIUS", arg(radius), name)
	}
	w := 2 * unit.FromMeters(geo.Distance(mlon, mlat, clon, mlat))
	h := 2 * unit.FromMeters(geo.Distance(mlon, mlat, mlon, clat))
	switch rnd.IntN(3) {
	case 0:
		w *= 1.5
	case 1:
		h *= 1.5
	}
	s, err := geo.NewBox(clon, clat, w, h, unit)
	if err != nil {
		panic(err)
	}
	return s, append(from, "BYBOX", arg(w), arg(h), name)
}

// checkSearches: GEOSEARCH unsorted with everything, ASC, DESC, COUNT ANY,
// and GEORADIUS for the circles.
func checkSearches(t *testing.T, r *redis, key string, zset []rpoint, rnd *rand.Rand) {
	found, total := 0, 0
	edges, edgeArgs := edgeShapes()
	for i := range len(edges) + 200 + 600 {
		var s geo.Shape
		var args []string
		switch {
		case i < len(edges):
			s, args = edges[i], edgeArgs[i]
		case i < len(edges)+200:
			s, args = shapeThrough(rnd, zset)
		default:
			s, args = randomShape(rnd, zset)
		}
		base := append([]string{"GEOSEARCH", key}, args...)
		sr := simulate(s, zset)
		total++
		if len(sr.want) > 0 {
			found++
		}
		reqs := [][]string{
			append(append([]string(nil), base...), "WITHDIST", "WITHHASH", "WITHCOORD"),
			append(append([]string(nil), base...), "ASC"),
			append(append([]string(nil), base...), "DESC"),
		}
		limit := 1 + rnd.IntN(5)
		reqs = append(reqs, append(append([]string(nil), base...), "COUNT", strconv.Itoa(limit), "ANY"))
		reqs = append(reqs, append(append([]string(nil), base...), "COUNT", strconv.Itoa(limit)))
		reps := r.pipeline(t, reqs)

		if !r.sameUnsorted(reps[0], sr, 0, true) {
			t.Errorf("%q: %s", reqs[0], explain(reps[0], sr.want, s.Unit))
			continue
		}
		r.logEdges(t, reqs[0], reps[0], sr)
		// ASC and DESC: glibc's qsort is a stable merge sort.
		asc := slices.Clone(sr.want)
		sort.SliceStable(asc, func(i, j int) bool { return asc[i].meters < asc[j].meters })
		desc := slices.Clone(sr.want)
		sort.SliceStable(desc, func(i, j int) bool { return desc[i].meters > desc[j].meters })
		if !r.sameSorted(reps[1], asc, asc, sr.edge) {
			t.Errorf("%q: %s", reqs[1], explain(reps[1], asc, s.Unit))
		}
		if !r.sameSorted(reps[2], desc, desc, sr.edge) {
			t.Errorf("%q: %s", reqs[2], explain(reps[2], desc, s.Unit))
		}
		if !r.sameUnsorted(reps[3], sr, limit, false) {
			t.Errorf("%q: %s", reqs[3], explain(reps[3], sr.want[:min(limit, len(sr.want))], s.Unit))
		}
		// COUNT without ANY is ASC cut short, by Redis's partial
		// quicksort, which orders equal distances its own way: compared
		// only when no two of the closest are tied, and when no member at
		// the edge could be among them.
		closest := slices.DeleteFunc(slices.Clone(asc), func(m match) bool { _, e := sr.edge[m.p.name]; return e })
		skip := len(sr.edge) > 0 && len(closest) < limit
		for j := 1; j < min(limit+1, len(closest)); j++ {
			skip = skip || closest[j].meters == closest[j-1].meters
		}
		closest = closest[:min(limit, len(closest))]
		if !skip { // so closest is not empty when an edge is
			for _, m := range sr.edge {
				skip = skip || m.meters <= closest[len(closest)-1].meters+distTol(m.meters)
			}
		}
		if skip {
			r.n.countSkipped++
		} else if !r.sameSorted(reps[4], closest, asc, nil) {
			t.Errorf("%q: %s", reqs[4], explain(reps[4], closest, s.Unit))
		}
		if !s.Box && args[0] == "FROMLONLAT" {
			req := []string{"GEORADIUS", key, args[1], args[2], args[4], args[5]}
			if got := r.do(t, req...); !r.sameUnsorted(got, sr, 0, false) {
				t.Errorf("%q: %s", req, explain(got, sr.want, s.Unit))
			}
		}
	}
	if found < total/3 {
		t.Errorf("only %d of %d searches found anything: the test is too weak", found, total)
	}
}

// checkStoredDistances: GEOSEARCHSTORE ... STOREDIST keeps each distance as
// a score, all 17 digits of it.
func checkStoredDistances(t *testing.T, r *redis, key string, zset []rpoint, rnd *rand.Rand) {
	compared := 0
	for i := range 120 {
		s, args := randomShape(rnd, zset)
		switch i % 3 {
		case 0: // everything, from anywhere: every distance
			s.Box, s.Radius = false, math.Inf(1)
			args = append(args[:len(args)-len(argsOfSize(args))], "BYRADIUS", "inf", "m")
			s.Unit = geo.Meters
		case 1:
			s, args = shapeThrough(rnd, zset)
		}
		compared += r.checkStored(t, key, s, args, zset)
	}
	if compared < 20000 {
		t.Errorf("only %d distances compared", compared)
	}
}

// checkStored runs GEOSEARCHSTORE ... STOREDIST and compares the scores
// with the distances simulated: every member but those at the edge, and
// those only if Redis kept them. It returns how many it compared.
func (r *redis) checkStored(t *testing.T, key string, s geo.Shape, args []string, zset []rpoint) int {
	t.Helper()
	req := append([]string{"GEOSEARCHSTORE", "dst", key}, args...)
	req = append(req, "STOREDIST")
	sr := simulate(s, zset)
	reps := r.pipeline(t, [][]string{req, {"ZRANGE", "dst", "0", "-1", "WITHSCORES"}})
	got := map[string]float64{}
	for j := 0; j+1 < len(reps[1].Elems); j += 2 {
		v, err := strconv.ParseFloat(string(reps[1].Elems[j+1].Str), 64)
		if err != nil {
			t.Fatal(err)
		}
		got[string(reps[1].Elems[j].Str)] = v
	}
	if reps[0].Kind != resp.KindInt || reps[0].Int != int64(len(got)) {
		t.Errorf("%q = %v, and stored %d", req, reps[0], len(got))
		return 0
	}
	known := map[string]match{}
	for _, m := range sr.want {
		known[m.p.name] = m
		if _, ok := got[m.p.name]; !ok {
			if _, e := sr.edge[m.p.name]; !e {
				t.Errorf("%q: %s not stored", req, m.p.name)
			}
		}
	}
	maps.Copy(known, sr.edge)
	for n, g := range got {
		m, ok := known[n]
		if !ok {
			t.Errorf("%q: %s stored, not in the shape", req, n)
		} else if !r.sameScore(g, m.meters, s.Unit) {
			want := s.Unit.FromMeters(m.meters)
			t.Errorf("%q: %s stored %v (%x), want %v (%x)", req, n, g, math.Float64bits(g), want, math.Float64bits(want))
		}
	}
	return len(got)
}

// checkAntipodes: distances between positions near each other's antipode,
// where the arcsine makes the most of a last-bit difference, and where
// Go's sine rounds the haversine term of some pairs above 1 (Distance).
func checkAntipodes(t *testing.T, r *redis, rnd *rand.Rand) {
	const key = "antipodes"
	var pts []rpoint
	add := func(name string, lon, lat float64) {
		bits, _ := geo.Encode(lon, lat)
		pts = append(pts, rpoint{name, lon, lat, float64(bits)})
	}
	add("a000", 76.63261860609055, -42.22188324998134) // an exact pair Go's sine rounds above 1
	add("b000", -103.36738139390945, 42.22188324998134)
	for i := 1; i < 500; i++ {
		ab, _ := geo.Encode((rnd.Float64()*2-1)*180, (rnd.Float64()*2-1)*80)
		alon, alat := geo.Decode(float64(ab))
		blon, blat := alon+180, -alat
		if blon > 180 {
			blon -= 360
		}
		if i%4 != 0 { // every fourth exactly on the antipode, the others 1e-9 to 1 degree off
			off := math.Pow(10, -9+rnd.Float64()*9)
			blon = max(geo.LonMin, min(geo.LonMax, blon+(rnd.Float64()*2-1)*off))
			blat += (rnd.Float64()*2 - 1) * off
		}
		add(fmt.Sprintf("a%03d", i), alon, alat)
		add(fmt.Sprintf("b%03d", i), blon, blat)
	}
	req := []string{"GEOADD", key}
	for _, p := range pts {
		req = append(req, arg(p.lon), arg(p.lat), p.name)
	}
	if rep := r.do(t, req...); rep.Kind != resp.KindInt || rep.Int != int64(len(pts)) {
		t.Fatalf("GEOADD: %v", rep)
	}
	var reqs [][]string
	var want []float64
	var units []geo.Unit
	for i := 0; i < len(pts); i += 2 {
		alon, alat := geo.Decode(pts[i].score)
		blon, blat := geo.Decode(pts[i+1].score)
		name := []string{"m", "km", "ft", "mi"}[rnd.IntN(4)]
		unit, _ := geo.ParseUnit(name)
		reqs = append(reqs, []string{"GEODIST", key, pts[i].name, pts[i+1].name, name})
		want = append(want, geo.Distance(alon, alat, blon, blat))
		units = append(units, unit)
	}
	for i, rep := range r.pipeline(t, reqs) {
		if !r.sameDistance(rep, want[i], units[i]) {
			t.Errorf("%q = %v, want %s", reqs[i], rep, geo.AppendDistance(nil, units[i].FromMeters(want[i])))
		}
	}
	zset := slices.Clone(pts)
	sort.SliceStable(zset, func(i, j int) bool {
		return zset[i].score < zset[j].score || zset[i].score == zset[j].score && zset[i].name < zset[j].name
	})
	for i := 0; i < 40; i += 2 { // every distance from a few, each near one antipode
		c := pts[i]
		lon, lat := geo.Decode(c.score)
		s, _ := geo.NewRadius(lon, lat, math.Inf(1), geo.Meters)
		r.checkStored(t, key, s, []string{"FROMMEMBER", c.name, "BYRADIUS", "inf", "m"}, zset)
	}
}

// argsOfSize returns the BYRADIUS or BYBOX part at the end of args.
func argsOfSize(args []string) []string {
	for i, a := range args {
		if a == "BYRADIUS" || a == "BYBOX" {
			return args[i:]
		}
	}
	return nil
}
