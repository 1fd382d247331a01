package geo_test

import (
	"fmt"
	"sort"

	"github.com/shinglekv/shingle/internal/geo"
)

// GEOADD, GEOPOS and GEOHASH of one position.
func Example() {
	bits, _ := geo.Encode(13.361389, 38.115556) // GEOADD stores float64(bits)
	lon, lat := geo.Decode(float64(bits))
	fmt.Println(bits)
	fmt.Println(string(geo.AppendCoord(nil, lon)), string(geo.AppendCoord(nil, lat)))
	fmt.Println(geo.Hash(float64(bits)))
	// Output:
	// 3479099956230698
	// 13.36138933897018433 38.11555639549629859
	// sqc8b49rny0
}

// GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST, over a sorted
// set held in a slice.
func ExampleShape_ScoreRanges() {
	type member struct {
		name  string
		score float64
	}
	var zset []member
	for _, p := range []struct {
		name     string
		lon, lat float64
	}{{"Palermo", 13.361389, 38.115556}, {"Catania", 15.087269, 37.502669}} {
		bits, _ := geo.Encode(p.lon, p.lat)
		zset = append(zset, member{p.name, float64(bits)})
	}
	sort.Slice(zset, func(i, j int) bool { return zset[i].score < zset[j].score })

	s, err := geo.NewRadius(15, 37, 200, geo.Kilometers)
	if err != nil {
		panic(err)
	}
	for _, r := range s.ScoreRanges() {
		for _, m := range zset {
			if m.score < r.Min || m.score >= r.Max {
				continue
			}
			if d, ok := s.Contains(geo.Decode(m.score)); ok {
				fmt.Println(m.name, string(geo.AppendDistance(nil, s.Unit.FromMeters(d))))
			}
		}
	}
	// Output:
	// Palermo 190.4424
	// Catania 56.4413
}

// GEODIST Sicily Palermo Catania km.
func ExampleDistance() {
	p, _ := geo.Encode(13.361389, 38.115556)
	c, _ := geo.Encode(15.087269, 37.502669)
	plon, plat := geo.Decode(float64(p))
	clon, clat := geo.Decode(float64(c))
	unit, _ := geo.ParseUnit("km")
	d := geo.Distance(plon, plat, clon, clat)
	fmt.Println(string(geo.AppendDistance(nil, unit.FromMeters(d))))
	// Output: 166.2742
}
