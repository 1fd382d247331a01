package geo_test

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/shinglekv/shingle/internal/geo"
	"github.com/shinglekv/shingle/internal/resp"
)

// How TestAgainstRedis compares Redis's replies with what this package
// computes. Scores, positions, hashes and the search cells must be equal;
// distances differ in their last bits, since Redis's trigonometry is
// glibc's and this package's Go's, and are compared within distTol, and
// search members on the edge of a shape to within that tolerance may be
// in one reply and not in the other.

// tally counts, over a run, how many comparisons needed the allowances
// that Go's trigonometry calls for (see distTol); TestAgainstRedis logs it.
type tally struct {
	textExact, textLoose   int // GEODIST and WITHDIST texts
	scoreExact, scoreLoose int // STOREDIST scores
	edge, edgeDiffer       int // search members at the shape's edge, and those Redis decided otherwise
	nearTies               int // sorted replies in which near-tied members came the other way
	countSkipped           int // COUNT without ANY not compared (ties, or a member at the edge)
}

// relTol bounds the relative difference between a distance this package
// computes and Redis's, away from the antipode. Both evaluate the same
// formula in the same order; only the sine, cosine and arcsine differ:
// Go's math.Sin and math.Cos are within an ulp or two of glibc's, and Go's
// math.Asin up to about a thousand ulps (1.5e-13) for arguments near 1, the
// distances within 200 km of the antipode. Measured against glibc 2.36
// over four million pairs of stored positions, the distances differed by
// at most 2e-15 (relatively) beyond 1,000 km from the antipode, and 2e-13
// beyond 10 km; nearer, distTol's other term takes over. 1e-12 leaves a
// margin of five over the worst, and an Earth radius 0.05 mm off (7e-12)
// still fails the test on most distances.
const relTol = 1e-12

// tolK is how many ulps of the haversine term (a in Distance) the two
// libraries may disagree on: u² carries a sine's error twice, the other
// addend those of two cosines and of a sine twice. Over three million
// pairs near each other's antipode, where the difference shows most, two
// ulps explained every distance.
const tolK = 8

// distTol returns how far from d, a distance in meters that Distance
// computed, Redis's distance may lie: relTol of d, plus what a difference
// of tolK ulps in the haversine term makes of d. The latter is negligible
// except near the antipode, where the arcsine's slope goes to infinity:
// there one ulp of a moves the distance by up to 0.13 m (asin(1) against
// asin of the double just below 1, times the Earth's diameter).
func distTol(d float64) float64 {
	if math.IsNaN(d) || math.IsInf(d, 0) {
		return 0
	}
	const diameter = 2 * 6372797.560856 // Redis's Earth radius, doubled
	s := math.Sin(d / diameter)
	a := s * s
	lo := diameter * math.Asin(math.Sqrt(a*(1-tolK*0x1p-52)))
	hi := diameter * math.Asin(math.Sqrt(math.Min(1, a*(1+tolK*0x1p-52))))
	return relTol*d + hi - lo
}

// sameDistance compares a distance as Redis printed it (GEODIST, WITHDIST)
// with meters, the distance Distance computed, in the unit of the reply.
// It must be the same text, or else the text of a distance within distTol
// of meters: for a distance at a rounding boundary of the fourth decimal,
// the next or previous digit; within a kilometer or so of the antipode,
// up to a few decimeters more or less.
func (r *redis) sameDistance(got resp.Reply, meters float64, unit geo.Unit) bool {
	if got.Kind != resp.KindBulk {
		return false
	}
	if string(got.Str) == string(geo.AppendDistance(nil, unit.FromMeters(meters))) {
		r.n.textExact++
		return true
	}
	tol := distTol(meters)
	g, err := strconv.ParseFloat(string(got.Str), 64)
	lo, err1 := strconv.ParseFloat(string(geo.AppendDistance(nil, unit.FromMeters(meters-tol))), 64)
	hi, err2 := strconv.ParseFloat(string(geo.AppendDistance(nil, unit.FromMeters(meters+tol))), 64)
	if tol == 0 || err != nil || err1 != nil || err2 != nil || g < lo || g > hi {
		return false
	}
	r.n.textLoose++
	return true
}

// sameScore compares a distance Redis stored as a score with STOREDIST with
// meters, the distance Distance computed, in the unit of the search: equal
// or within distTol.
func (r *redis) sameScore(got, meters float64, unit geo.Unit) bool {
	want := unit.FromMeters(meters)
	if got == want || math.IsNaN(got) && math.IsNaN(want) {
		r.n.scoreExact++
		return true
	}
	if math.Abs(got-want) <= unit.FromMeters(distTol(meters)) {
		r.n.scoreLoose++
		return true
	}
	return false
}

type match struct {
	p      rpoint
	meters float64 // its distance from the center, what Redis sorts by
}

// simulated is what a GEOSEARCH over the simulated sorted set should reply.
type simulated struct {
	unit geo.Unit
	// want is the members the shape contains, in Redis's order without ASC
	// or DESC; with COUNT n ANY, Redis stops after n of them.
	want []match
	// edge is the members scanned that lie on the shape's edge to within
	// distTol (see onEdge), some in want, some not: Redis's own distances
	// may put them on the other side.
	edge map[string]match
}

// simulate is GEOSEARCH over the simulated sorted set.
func simulate(s geo.Shape, zset []rpoint) simulated {
	sr := simulated{unit: s.Unit, edge: map[string]match{}}
	for _, rg := range s.ScoreRanges() {
		i := sort.Search(len(zset), func(i int) bool { return zset[i].score >= rg.Min })
		for ; i < len(zset) && zset[i].score < rg.Max; i++ {
			lon, lat := geo.Decode(zset[i].score)
			d, ok := s.Contains(lon, lat)
			if !ok {
				d = geo.Distance(s.Lon, s.Lat, lon, lat)
			}
			m := match{zset[i], d}
			if ok {
				sr.want = append(sr.want, m)
			}
			if onEdge(s, lon, lat) {
				sr.edge[m.p.name] = m
			}
		}
	}
	return sr
}

// onEdge reports whether Redis's distances, within distTol of this
// package's, could decide the other way whether lon,lat is in s: whether
// its distance from the center lies within distTol of the radius, or for
// a box, its east-west or north-south distance within distTol of half the
// width or height, the other one not being beyond its bound.
func onEdge(s geo.Shape, lon, lat float64) bool {
	unit := float64(s.Unit)
	// A distance of zero is exact whatever the library: the sine of zero
	// is zero.
	near := func(d, bound float64) bool { return d != 0 && math.Abs(d-bound) <= distTol(d) }
	if !s.Box {
		return near(geo.Distance(s.Lon, s.Lat, lon, lat), s.Radius*unit)
	}
	// The box's test, as Shape.Contains documents it.
	lonDist, lonMax := geo.Distance(lon, lat, s.Lon, lat), s.Width*unit/2
	latDist, latMax := geo.Distance(lon, lat, lon, s.Lat), s.Height*unit/2
	nearLon, nearLat := near(lonDist, lonMax), near(latDist, latMax)
	return (nearLon || nearLat) && (nearLon || lonDist <= lonMax) && (nearLat || latDist <= latMax)
}

// replyNames returns the members of a search reply, which are the first
// elements of arrays when withAll (WITHDIST WITHHASH WITHCOORD).
func replyNames(got resp.Reply, withAll bool) ([]string, bool) {
	if got.Kind != resp.KindArray {
		return nil, false
	}
	out := make([]string, len(got.Elems))
	for i, e := range got.Elems {
		if withAll {
			if e.Kind != resp.KindArray || len(e.Elems) != 4 {
				return nil, false
			}
			e = e.Elems[0]
		}
		out[i] = string(e.Str)
	}
	return out, true
}

// sameFields compares a WITHDIST WITHHASH WITHCOORD element with m.
func (r *redis) sameFields(e resp.Reply, m match, unit geo.Unit) bool {
	lon, lat := geo.Decode(m.p.score)
	coord := resp.Array(bulk(string(geo.AppendCoord(nil, lon))), bulk(string(geo.AppendCoord(nil, lat))))
	return string(e.Elems[0].Str) == m.p.name && r.sameDistance(e.Elems[1], m.meters, unit) &&
		e.Elems[2].Kind == resp.KindInt && e.Elems[2].Int == geo.HashValue(m.p.score) &&
		e.Elems[3].String() == coord.String()
}

// sameUnsorted compares a reply without ASC or DESC with sr: the members
// of sr.want in the same order, less or plus members of sr.edge, and with
// limit > 0 (COUNT limit ANY) the first limit of them. Every element must
// be right in its fields when withAll.
func (r *redis) sameUnsorted(got resp.Reply, sr simulated, limit int, withAll bool) bool {
	names, ok := replyNames(got, withAll)
	if !ok {
		return false
	}
	want := sr.want
	if limit > 0 && len(sr.edge) == 0 {
		want = want[:min(limit, len(want))]
	}
	known := map[string]match{}
	for _, m := range want {
		known[m.p.name] = m
	}
	maps.Copy(known, sr.edge)
	for i, n := range names {
		m, ok := known[n]
		if !ok || withAll && !r.sameFields(got.Elems[i], m, sr.unit) {
			return false
		}
	}
	gotKept := slices.DeleteFunc(slices.Clone(names), func(n string) bool { _, e := sr.edge[n]; return e })
	var wantKept []string
	for _, m := range want {
		if _, e := sr.edge[m.p.name]; !e {
			wantKept = append(wantKept, m.p.name)
		}
	}
	if limit > 0 && len(sr.edge) > 0 {
		// Redis stops after limit members or runs out; which members at
		// the edge it counted is unknown.
		if len(names) > limit || len(gotKept) > len(wantKept) || len(names) < limit && len(gotKept) < len(wantKept) {
			return false
		}
		wantKept = wantKept[:len(gotKept)]
	}
	return slices.Equal(gotKept, wantKept)
}

// sameSorted compares an ASC or DESC reply with want, the members sorted as
// Redis sorts them, less the members at the edge, which it may or may not
// have. Each member must be at want's rank, except that one whose distance
// lies within distTol of the distance of the member at that rank, at
// another position, may take its place: Redis's distances may compare the
// other way. pool is the members that may appear: want, or for COUNT, all
// the matches want is the closest of.
func (r *redis) sameSorted(got resp.Reply, want, pool []match, edge map[string]match) bool {
	names, ok := replyNames(got, false)
	if !ok {
		return false
	}
	byName := map[string]match{}
	for _, m := range pool {
		byName[m.p.name] = m
	}
	seen := map[string]bool{}
	var gotKept, wantKept []match
	for _, n := range names {
		if _, e := edge[n]; e {
			continue
		}
		m, ok := byName[n]
		if !ok || seen[n] {
			return false
		}
		seen[n] = true
		gotKept = append(gotKept, m)
	}
	for _, m := range want {
		if _, e := edge[m.p.name]; !e {
			wantKept = append(wantKept, m)
		}
	}
	if len(gotKept) != len(wantKept) {
		return false
	}
	swapped := false
	for i, g := range gotKept {
		w := wantKept[i]
		if g.p.name == w.p.name {
			continue
		}
		if g.p.score == w.p.score || math.Abs(g.meters-w.meters) > distTol(max(g.meters, w.meters)) {
			return false
		}
		swapped = true
	}
	if swapped {
		r.n.nearTies++
	}
	return true
}

// logEdges counts and logs the members at the edge that Redis, in its
// unsorted reply got, decided otherwise than sr.
func (r *redis) logEdges(t *testing.T, req []string, got resp.Reply, sr simulated) {
	if len(sr.edge) == 0 {
		return
	}
	names, _ := replyNames(got, true)
	inWant := map[string]bool{}
	for _, m := range sr.want {
		inWant[m.p.name] = true
	}
	r.n.edge += len(sr.edge)
	for n, m := range sr.edge {
		if slices.Contains(names, n) != inWant[n] {
			r.n.edgeDiffer++
			t.Logf("%q: %s, %.17g m from the center, at the edge: Redis has it %v, this package %v",
				req, n, m.meters, !inWant[n], inWant[n])
		}
	}
}

// explain describes how a reply differs from the expected matches.
func explain(got resp.Reply, want []match, unit geo.Unit) string {
	var g []string
	for _, e := range got.Elems {
		if e.Kind == resp.KindArray && len(e.Elems) > 1 {
			g = append(g, string(e.Elems[0].Str)+"@"+string(e.Elems[1].Str))
		} else {
			g = append(g, string(e.Str))
		}
	}
	var w []string
	for _, m := range want {
		w = append(w, m.p.name+"@"+string(geo.AppendDistance(nil, unit.FromMeters(m.meters))))
	}
	i := 0
	for i < len(g) && i < len(w) && g[i] == w[i] {
		i++
	}
	return fmt.Sprintf("%d members, want %d; first difference at #%d: got %v, want %v",
		len(g), len(w), i, g[i:min(i+3, len(g))], w[i:min(i+3, len(w))])
}
