package geo

import "math"

// Shape is a search area of GEOSEARCH, GEOSEARCHSTORE and GEORADIUS: a
// circle (BYRADIUS, GEORADIUS) or a box (BYBOX) around a center.
//
// The sizes are in Unit, as the user gave them, not in meters: Redis
// multiplies them by the unit at several places, in different orders, and
// the search cells it picks depend on those roundings. A Shape is a value;
// its methods are pure and safe for concurrent use. NewRadius and NewBox
// validate one as Redis validates the arguments; the methods never panic
// on a Shape built by hand, whatever its numbers, but give Redis's results
// only for one that NewRadius or NewBox accepts.
type Shape struct {
	// Box is true for a box of Width by Height, false for a circle of
	// Radius.
	Box bool
	// Lon and Lat are the center: the FROMLONLAT position, or the decoded
	// position of the FROMMEMBER member (Decode of its score).
	Lon, Lat float64
	// Radius is the circle's radius, in Unit.
	Radius float64
	// Width and Height are the box's full sizes, in Unit.
	Width, Height float64
	// Unit is the unit of the sizes and of the distances Redis replies
	// with; Contains measures in meters regardless.
	Unit Unit
}

// NewRadius returns a circle, checking its arguments as Redis does:
// CheckPair's errors for the center, ErrNeedNumericRadius for a NaN radius,
// ErrRadiusNegative, ErrUnsupportedUnit for a Unit other than the four
// constants. An infinite radius is accepted, as by Redis.
func NewRadius(lon, lat, radius float64, unit Unit) (Shape, error) {
	if err := CheckPair(lon, lat); err != nil {
		return Shape{}, err
	}
	switch {
	case math.IsNaN(radius):
		return Shape{}, ErrNeedNumericRadius
	case radius < 0:
		return Shape{}, ErrRadiusNegative
	case !unit.valid():
		return Shape{}, ErrUnsupportedUnit
	}
	return Shape{Lon: lon, Lat: lat, Radius: radius, Unit: unit}, nil
}

// NewBox returns a box of width (east-west) by height (north-south),
// checking its arguments as Redis does: CheckPair's errors for the center,
// ErrNeedNumericWidth or ErrNeedNumericHeight for a NaN, ErrBoxNegative,
// ErrUnsupportedUnit.
func NewBox(lon, lat, width, height float64, unit Unit) (Shape, error) {
	if err := CheckPair(lon, lat); err != nil {
		return Shape{}, err
	}
	switch {
	case math.IsNaN(width):
		return Shape{}, ErrNeedNumericWidth
	case math.IsNaN(height):
		return Shape{}, ErrNeedNumericHeight
	case width < 0 || height < 0:
		return Shape{}, ErrBoxNegative
	case !unit.valid():
		return Shape{}, ErrUnsupportedUnit
	}
	return Shape{Box: true, Lon: lon, Lat: lat, Width: width, Height: height, Unit: unit}, nil
}

// ScoreRange is a range of sorted-set scores, Min included, Max excluded:
// every stored position in one geohash cell.
type ScoreRange struct{ Min, Max float64 }

// Contains reports whether the position lon,lat, decoded from a member's
// score with Decode, is inside the shape, and its distance from the center
// in meters, as Redis computes both (geohashGetDistanceIfInRadiusWGS84,
// geohashGetDistanceIfInRectangle) but with Distance's trigonometry: a
// position on the edge to the last bit of a distance may be inside where
// Redis has it outside, or the reverse. Divide the distance by the unit
// (Unit.FromMeters) for WITHDIST and STOREDIST. The circle includes its
// rim. A point is in the box when its east-west distance from the center,
// measured along the point's own latitude, is at most Width/2, and its
// north-south one at most Height/2. A NaN distance counts as inside, as in
// Redis.
func (s Shape) Contains(lon, lat float64) (distMeters float64, ok bool) {
	unit := float64(s.Unit)
	if !s.Box {
		d := Distance(s.Lon, s.Lat, lon, lat)
		if d > s.Radius*unit {
			return d, false
		}
		return d, true
	}
	lonDist := Distance(lon, lat, s.Lon, lat)
	latDist := Distance(lon, lat, lon, s.Lat)
	if lonDist > s.Width*unit/2 || latDist > s.Height*unit/2 {
		return 0, false
	}
	return Distance(s.Lon, s.Lat, lon, lat), true
}

// ScoreRanges returns the score ranges Redis scans for the shape, in the
// order it scans them, and without the ones it skips. Each is a geohash
// cell, at a precision chosen so that the cell around the center and its
// eight neighbours cover the shape; they come in the order center, north,
// south, east, west, north-east, north-west, south-east, south-west, less
// the neighbours that lie outside the shape's bounding box and less a
// range equal to the last one scanned (as when the cells are so large that
// north and south are the same cell). The ranges of one call never
// overlap. Positions on longitude 180 or latitude 85.05112878 have scores
// of 2^52 and more, beyond every cell, and only the center cell of a shape
// centered on the same bound, one past the last cell as well, reaches
// them.
//
// Redis's reply without ASC or DESC lists the members in exactly this
// order: for each range, the members whose score s satisfies
// Min <= s < Max, in sorted-set order (by score, then by member bytes),
// keeping those for which Contains is true. With ANY and COUNT n it stops
// as soon as it has kept n members, in the middle of a range if need be,
// and scans no further range. Without ANY, COUNT implies ASC. ASC and DESC
// sort that list by the distance in meters (the division by the unit
// comes after): with qsort, a stable merge sort in glibc 2.36, when COUNT is
// absent or at least the number of members found; otherwise with Redis's
// own partial quicksort (pqsort), which also puts the COUNT closest first
// but orders members at equal distances its own way. Then WITHDIST is
// AppendDistance of Unit.FromMeters of the distance, WITHHASH HashValue of
// the score, WITHCOORD AppendCoord of the decoded position; STOREDIST
// stores Unit.FromMeters of the distance, STORE the score.
func (s Shape) ScoreRanges() []ScoreRange {
	cells := s.cells()
	out := make([]ScoreRange, 0, len(cells))
	last := 0
	for i, h := range cells {
		if h.zero() {
			continue
		}
		// geo.c compares with the last scanned cell only once one past
		// the center has been scanned; the center never equals a
		// neighbour, so this changes nothing, but it is what it does.
		if last != 0 && h == cells[last] {
			continue
		}
		next := h
		next.bits++
		out = append(out, ScoreRange{float64(h.align52()), float64(next.align52())})
		last = i
	}
	return out
}

// cells is geohashCalculateAreasByShapeWGS84 with geo.c's scanning order:
// the center cell and its eight neighbours, excluded ones zero.
func (s Shape) cells() [9]hashBits {
	minLon, minLat, maxLon, maxLat := s.boundingBox()
	conv := float64(s.Unit)
	var radius float64
	if s.Box {
		w, h := s.Width/2, s.Height/2
		radius = math.Sqrt(float64(w*w) + float64(h*h))
	} else {
		radius = s.Radius
	}
	radius *= conv
	steps := estimateSteps(radius, s.Lat)

	hash, _ := encode(wgs84, s.Lon, s.Lat, steps)
	nb := neighborsOf(hash)
	a := decode(wgs84, hash)

	// A cell too large for the shape's edges to fall within the eight
	// neighbours: halve the precision once.
	if steps > 1 && (decode(wgs84, nb.north).latMax < maxLat ||
		decode(wgs84, nb.south).latMin > minLat ||
		decode(wgs84, nb.east).lonMax < maxLon ||
		decode(wgs84, nb.west).lonMin > minLon) {
		steps--
		hash, _ = encode(wgs84, s.Lon, s.Lat, steps)
		nb = neighborsOf(hash)
		a = decode(wgs84, hash)
	}

	// Drop the neighbours beyond the bounding box.
	if steps >= 2 {
		if a.latMin < minLat {
			nb.south, nb.southWest, nb.southEast = hashBits{}, hashBits{}, hashBits{}
		}
		if a.latMax > maxLat {
			nb.north, nb.northEast, nb.northWest = hashBits{}, hashBits{}, hashBits{}
		}
		if a.lonMin < minLon {
			nb.west, nb.southWest, nb.northWest = hashBits{}, hashBits{}, hashBits{}
		}
		if a.lonMax > maxLon {
			nb.east, nb.southEast, nb.northEast = hashBits{}, hashBits{}, hashBits{}
		}
	}
	return [9]hashBits{hash, nb.north, nb.south, nb.east, nb.west,
		nb.northEast, nb.northWest, nb.southEast, nb.southWest}
}

// boundingBox is geohashBoundingBox: the longitudes and latitudes the shape
// spans. Its east-west extent is measured on the edge farther from the
// equator (the northern edge north of it, the southern one south of it),
// where a meter is more degrees.
func (s Shape) boundingBox() (minLon, minLat, maxLon, maxLat float64) {
	conv := float64(s.Unit)
	var height, width float64
	if s.Box {
		height = conv * (s.Height / 2)
		width = conv * (s.Width / 2)
	} else {
		height = conv * s.Radius
		width = conv * s.Radius
	}
	latDelta := height / earthRadius / degToRad
	lonDeltaTop := width / earthRadius / math.Cos((s.Lat+latDelta)*degToRad) / degToRad
	lonDeltaBottom := width / earthRadius / math.Cos((s.Lat-latDelta)*degToRad) / degToRad
	lonDelta := lonDeltaTop
	if s.Lat < 0 {
		lonDelta = lonDeltaBottom
	}
	return s.Lon - lonDelta, s.Lat - latDelta, s.Lon + lonDelta, s.Lat + latDelta
}

// estimateSteps is geohashEstimateStepsByRadius: the geohash precision of
// the search cells, 1 to 26, coarser near the poles. A negative range, for
// which Redis would loop forever, and NaN get 1.
func estimateSteps(rangeMeters, lat float64) uint {
	if rangeMeters == 0 {
		return StepMax
	}
	step := 1
	for rangeMeters > 0 && rangeMeters < mercatorMax {
		rangeMeters *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint(max(1, min(step, StepMax)))
}
