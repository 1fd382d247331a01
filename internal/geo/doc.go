// Package geo is Redis 7.0's geospatial arithmetic (geohash.c,
// geohash_helper.c and the arithmetic of geo.c), reproduced so that
// Shingle's GEO commands store the scores redis-server stores and reply
// with the same members, positions and digits, bit for bit except in the
// last bits of distances.
//
// It owns:
//
//   - the indexed range and its validation, with Redis's error text for a
//     bad pair (CheckPair, PairError);
//   - the 52-bit score of a position (Encode) and the position Redis
//     reports for a score (Decode), the 11-character GEOHASH string (Hash)
//     and the WITHHASH integer (HashValue);
//   - distances (Distance) and units (Unit, ParseUnit);
//   - search areas: the score ranges Redis scans, in its order
//     (Shape.ScoreRanges), and its test of each member (Shape.Contains);
//   - the text Redis prints for coordinates and distances (AppendCoord,
//     AppendDistance).
//
// Distances use Go's math package: math.Sin, math.Cos and math.Asin where
// Redis calls the C library's sin, cos and asin, in the same formula and
// order. Go's functions round differently from glibc's in one call in five
// (sin) to one in three (asin), and about two in five distances differ
// from Redis's in their last bits (relatively, by less than 1e-13, but
// more within 10 km of the antipode: see Distance). What a client can see
// of it:
//
//   - GEODIST and WITHDIST print four decimals, which differ in the last
//     digit only when the distance lies at a rounding boundary of the
//     fourth decimal (about one distance in a hundred thousand); except
//     that for two positions within a kilometer of each other's antipode,
//     where the arcsine magnifies the difference, they can differ by a few
//     units of the fourth decimal, and within 100 m by up to 0.3 m;
//   - a STOREDIST score, all 17 digits of the distance, can differ in its
//     last bits (two scores in five);
//   - a member at a search's edge to the last bit (its distance equal to
//     the radius, or its east-west or north-south distance to half the
//     box's width or height) may be included where Redis excludes it, or
//     the reverse; and ASC or DESC may order two members whose distances
//     are that close the other way.
//
// Everything else is exact: scores (Encode), positions (Decode, GEOPOS,
// WITHCOORD), GEOHASH and WITHHASH, the search cells (ScoreRanges) and so
// the order of an unsorted reply, and every error text. (The cells depend
// on a cosine too, through the shape's bounding box, but would change only
// if the box's edge fell on a cell's edge to the last bit.) Redis's own
// distances are not portable to the last bit either: glibc's sin, cos and
// asin take another path on an x86-64 CPU without FMA.
//
// How a search reply is put together from ScoreRanges and Contains, in
// which order Redis lists the members and where ANY stops it, is
// documented on Shape.ScoreRanges.
//
// # Usage
//
//	bits, ok := geo.Encode(13.361389, 38.115556) // GEOADD: ZADD key float64(bits) member
//	lon, lat := geo.Decode(score)                 // GEOPOS
//	reply := geo.AppendCoord(nil, lon)            // "13.36138933897018433"
//
//	s, err := geo.NewRadius(15, 37, 200, geo.Kilometers)
//	for _, r := range s.ScoreRanges() {
//		for _, m := range zset.RangeByScore(r.Min, r.Max) { // Min <= score < Max
//			if d, ok := s.Contains(geo.Decode(m.Score)); ok {
//				reply = geo.AppendDistance(nil, s.Unit.FromMeters(d)) // WITHDIST
//			}
//		}
//	}
//
// # What it must never do
//
// Panic, loop or allocate without bound on any float64, NaN and the
// infinities included: its functions are pure and take what a client sent.
// (Redis itself would loop forever on a negative radius, which it never
// lets through; this package scans the coarsest cells instead.) Import any
// package of Shingle's but internal/redisnum (Redis's number formats),
// read a clock, or do I/O. Carry code or tables
// copied from another project (glibc's trigonometry included): what Go's
// math package cannot reproduce of Redis is documented above instead.
package geo
