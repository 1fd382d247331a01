package command

import (
	"bytes"
	"errors"
	"slices"

	"github.com/shinglekv/shingle/internal/geo"
	"github.com/shinglekv/shingle/internal/redisnum"
	"github.com/shinglekv/shingle/store"
)

// Geospatial commands: positions are sorted set members whose scores are
// Redis's 52-bit geohashes (internal/geo), so that the data is the same on
// redis-server. Arguments are checked in Redis 7.0's order (geo.c).
var geoCommands = []*Command{
	{Name: "geoadd", Arity: -5, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("write geo slow"), Run: geoadd},
	{Name: "geopos", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read geo slow"), Run: geopos},
	{Name: "geohash", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read geo slow"), Run: geohash},
	{Name: "geodist", Arity: -4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read geo slow"), Run: geodist},
	{Name: "georadius", Arity: -6, Flags: FlagWrite | FlagDenyOOM, MovableKeys: georadiusKeys(6), Categories: cats("write geo slow"), Run: geosearch(geoRadiusCoords)},
	{Name: "georadius_ro", Arity: -6, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read geo slow"), Run: geosearch(geoRadiusCoords | geoNoStore)},
	{Name: "georadiusbymember", Arity: -5, Flags: FlagWrite | FlagDenyOOM, MovableKeys: georadiusKeys(5), Categories: cats("write geo slow"), Run: geosearch(geoRadiusMember)},
	{Name: "georadiusbymember_ro", Arity: -5, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read geo slow"), Run: geosearch(geoRadiusMember | geoNoStore)},
	{Name: "geosearch", Arity: -7, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read geo slow"), Run: geosearch(geoSearch)},
	{Name: "geosearchstore", Arity: -8, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Categories: cats("write geo slow"), Run: geosearch(geoSearch | geoSearchStore)},
}

// geoReply turns package geo's errors, which carry Redis's text, into
// replies.
func geoReply(err error) Reply {
	var ge *geo.Error
	var pe *geo.PairError
	switch {
	case errors.As(err, &ge):
		return ErrorReply(ge.Error())
	case errors.As(err, &pe):
		return ErrorReply(pe.Error())
	}
	return ErrReply(err)
}

// parseLonLat parses a longitude and a latitude as extractLongLatOrReply.
func parseLonLat(lon, lat []byte) (float64, float64, *Reply) {
	x, ok1 := redisnum.ParseDouble(lon)
	y, ok2 := redisnum.ParseDouble(lat)
	if !ok1 || !ok2 {
		return 0, 0, &errNotFloat
	}
	if err := geo.CheckPair(x, y); err != nil {
		r := geoReply(err)
		return 0, 0, &r
	}
	return x, y, nil
}

// GEOADD key [NX|XX] [CH] longitude latitude member [...]: ZADD of the
// positions' scores.
func geoadd(c *Ctx, args [][]byte) Reply {
	f, rest := zaddFlags(args, false)
	if len(rest)%3 != 0 || f.NX && f.XX || len(rest) == 0 {
		return errSyntax
	}
	elems := make([]store.ScoredMember, len(rest)/3)
	for j := range elems {
		lon, lat, e := parseLonLat(rest[3*j], rest[3*j+1])
		if e != nil {
			return *e
		}
		bits, _ := geo.Encode(lon, lat)
		elems[j] = store.ScoredMember{Member: rest[3*j+2], Score: float64(bits)}
	}
	r, err := c.Ops.ZAdd(args[1], f, elems...)
	if err != nil {
		return ErrReply(err)
	}
	return Int(r.Count)
}

// coordReply is a coordinate as GEOPOS and WITHCOORD show it.
func coordReply(c *Ctx, x float64) Reply {
	if c.Proto >= 3 {
		return doubleReply(x)
	}
	return Bulk(geo.AppendCoord(nil, x))
}

func geopos(c *Ctx, args [][]byte) Reply {
	scores, found, err := c.Ops.ZMScore(args[1], args[2:]...)
	if err != nil {
		return ErrReply(err)
	}
	out := make([]Reply, len(scores))
	for i, s := range scores {
		if !found[i] {
			out[i] = Reply{Kind: KindNullArray}
			continue
		}
		lon, lat := geo.Decode(s)
		out[i] = Array(coordReply(c, lon), coordReply(c, lat))
	}
	return Array(out...)
}

func geohash(c *Ctx, args [][]byte) Reply {
	scores, found, err := c.Ops.ZMScore(args[1], args[2:]...)
	if err != nil {
		return ErrReply(err)
	}
	out := make([]Reply, len(scores))
	for i, s := range scores {
		out[i] = Null()
		if found[i] {
			out[i] = BulkString(geo.Hash(s))
		}
	}
	return Array(out...)
}

// GEODIST key member1 member2 [unit]
func geodist(c *Ctx, args [][]byte) Reply {
	unit := geo.Meters
	switch {
	case len(args) == 5:
		u, err := geo.ParseUnit(string(args[4]))
		if err != nil {
			return geoReply(err)
		}
		unit = u
	case len(args) > 5:
		return errSyntax
	}
	scores, found, err := c.Ops.ZMScore(args[1], args[2], args[3])
	switch {
	case err != nil:
		return ErrReply(err)
	case !found[0] || !found[1]:
		return Null()
	}
	lon1, lat1 := geo.Decode(scores[0])
	lon2, lat2 := geo.Decode(scores[1])
	return Bulk(geo.AppendDistance(nil, unit.FromMeters(geo.Distance(lon1, lat1, lon2, lat2))))
}

// The forms of georadiusGeneric.
const (
	geoRadiusCoords = 1 << iota // GEORADIUS key lon lat radius unit
	geoRadiusMember             // GEORADIUSBYMEMBER key member radius unit
	geoSearch                   // GEOSEARCH key ...
	geoSearchStore              // GEOSEARCHSTORE dst src ...
	geoNoStore                  // the _RO forms
)

// georadiusKeys finds GEORADIUS's keys: the source, and STORE's or
// STOREDIST's key among the options from base on.
func georadiusKeys(base int) func(args [][]byte) [][]byte {
	return func(args [][]byte) [][]byte {
		if len(args) < 2 {
			return nil
		}
		keys := [][]byte{args[1]}
		for i := base; i+1 < len(args); i++ {
			if is(args[i], "store") || is(args[i], "storedist") {
				keys = append(keys, args[i+1])
				i++
			}
		}
		return keys
	}
}

// geoPoint is a member found by a search.
type geoPoint struct {
	member []byte
	score  float64
	dist   float64 // meters
}

// parseDistance parses a radius and its unit, as extractDistanceOrReply.
func parseDistance(radius, unit []byte) (float64, geo.Unit, *Reply) {
	r, ok := redisnum.ParseDouble(radius)
	if !ok {
		e := geoReply(geo.ErrNeedNumericRadius)
		return 0, 0, &e
	}
	if r < 0 {
		e := geoReply(geo.ErrRadiusNegative)
		return 0, 0, &e
	}
	u, err := geo.ParseUnit(string(unit))
	if err != nil {
		e := geoReply(err)
		return 0, 0, &e
	}
	return r, u, nil
}

// geosearch serves GEORADIUS, GEORADIUSBYMEMBER, GEOSEARCH, their _RO and
// STORE forms, as Redis 7.0's georadiusGeneric: the source's type, the
// center and radius of the old forms, the options in one pass, then their
// conflicts, then the search.
func geosearch(flags int) func(c *Ctx, args [][]byte) Reply {
	return func(c *Ctx, args [][]byte) Reply {
		src := 1
		if flags&geoSearchStore != 0 {
			src = 2
		}
		t, err := c.Ops.Type(args[src])
		if err != nil {
			return ErrReply(err)
		}
		if t != store.TypeNone && t != store.TypeZSet {
			return ErrReply(store.ErrWrongType)
		}
		exists := t == store.TypeZSet
		// memberPos reads a member's position, as longLatFromMember.
		memberPos := func(m []byte) (float64, float64, *Reply) {
			s, err := c.Ops.ZScore(args[src], m)
			if err != nil {
				e := ErrorReply("ERR could not decode requested zset member")
				if !errors.Is(err, store.ErrNotFound) {
					e = ErrReply(err)
				}
				return 0, 0, &e
			}
			lon, lat := geo.Decode(s)
			return lon, lat, nil
		}
		var (
			lon, lat, radius, width, height float64
			unit                            geo.Unit
			box                             bool
			base                            int
			e                               *Reply
		)
		switch {
		case flags&geoRadiusCoords != 0:
			base = 6
			if lon, lat, e = parseLonLat(args[2], args[3]); e != nil {
				return *e
			}
			if radius, unit, e = parseDistance(args[4], args[5]); e != nil {
				return *e
			}
		case flags&geoRadiusMember != 0:
			base = 5
			if exists {
				if lon, lat, e = memberPos(args[2]); e != nil {
					return *e
				}
				if radius, unit, e = parseDistance(args[3], args[4]); e != nil {
					return *e
				}
			}
		default:
			base = src + 1
		}
		var withDist, withHash, withCoord, any, asc, desc, storeDist bool
		var fromMember, fromLonLat, byRadius, byBox bool
		var count int64
		var storeKey []byte
		if flags&geoSearchStore != 0 {
			storeKey = args[1]
		}
		canStore := flags&(geoNoStore|geoSearch) == 0
		for i := base; i < len(args); i++ {
			left := len(args) - i - 1
			switch a := lower(args[i]); {
			case a == "withdist":
				withDist = true
			case a == "withhash":
				withHash = true
			case a == "withcoord":
				withCoord = true
			case a == "any":
				any = true
			case a == "asc":
				asc, desc = true, false
			case a == "desc":
				asc, desc = false, true
			case a == "count" && left >= 1:
				n, ok := parseInt(args[i+1])
				if !ok {
					return errNotInt
				}
				if n <= 0 {
					return ErrorReply("ERR COUNT must be > 0")
				}
				count = n
				i++
			case (a == "store" || a == "storedist") && left >= 1 && canStore:
				storeKey, storeDist = args[i+1], a == "storedist"
				i++
			case a == "storedist" && flags&geoSearchStore != 0:
				storeDist = true
			case a == "frommember" && left >= 1 && flags&geoSearch != 0 && !fromLonLat:
				if exists {
					if lon, lat, e = memberPos(args[i+1]); e != nil {
						return *e
					}
				}
				fromMember = true
				i++
			case a == "fromlonlat" && left >= 2 && flags&geoSearch != 0 && !fromMember:
				if lon, lat, e = parseLonLat(args[i+1], args[i+2]); e != nil {
					return *e
				}
				fromLonLat = true
				i += 2
			case a == "byradius" && left >= 2 && flags&geoSearch != 0 && !byBox:
				if radius, unit, e = parseDistance(args[i+1], args[i+2]); e != nil {
					return *e
				}
				byRadius = true
				i += 2
			case a == "bybox" && left >= 3 && flags&geoSearch != 0 && !byRadius:
				w, ok := redisnum.ParseDouble(args[i+1])
				if !ok {
					return geoReply(geo.ErrNeedNumericWidth)
				}
				h, ok := redisnum.ParseDouble(args[i+2])
				if !ok {
					return geoReply(geo.ErrNeedNumericHeight)
				}
				if w < 0 || h < 0 {
					return geoReply(geo.ErrBoxNegative)
				}
				u, err := geo.ParseUnit(string(args[i+3]))
				if err != nil {
					return geoReply(err)
				}
				width, height, unit, box, byBox = w, h, u, true, true
				i += 3
			default:
				return errSyntax
			}
		}
		name := string(args[0])
		switch {
		case storeKey != nil && (withDist || withHash || withCoord):
			what := "STORE option in GEORADIUS"
			if flags&geoSearchStore != 0 {
				what = "GEOSEARCHSTORE"
			}
			return ErrorReply("ERR " + what + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		case flags&geoSearch != 0 && !fromMember && !fromLonLat:
			return ErrorReply("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + name)
		case flags&geoSearch != 0 && !byRadius && !byBox:
			return ErrorReply("ERR exactly one of BYRADIUS and BYBOX can be specified for " + name)
		case any && count == 0:
			return ErrorReply("ERR the ANY argument requires COUNT argument")
		}
		if !exists {
			if storeKey != nil {
				return intReply(c.Ops.ZRangeStore(storeKey, args[src], store.ZRange{Start: 0, Stop: -1}))
			}
			return Array()
		}
		if count != 0 && !asc && !desc && !any {
			asc = true // the COUNT closest
		}
		var shape geo.Shape
		if box {
			shape, err = geo.NewBox(lon, lat, width, height, unit)
		} else {
			shape, err = geo.NewRadius(lon, lat, radius, unit)
		}
		if err != nil {
			return geoReply(err)
		}
		var ranges []store.ZRange
		for _, r := range shape.ScoreRanges() {
			ranges = append(ranges, store.ZRange{By: store.ZByScore, Min: store.ScoreBound{Value: r.Min}, Max: store.ScoreBound{Value: r.Max, Excl: true}})
		}
		var found []geoPoint
		pick := func(m []byte, s float64) bool {
			if d, ok := shape.Contains(geo.Decode(s)); ok {
				found = append(found, geoPoint{bytes.Clone(m), s, d})
			}
			return any && int64(len(found)) == count
		}
		// result sorts and cuts what the search found.
		result := func() []geoPoint {
			if asc || desc {
				slices.SortStableFunc(found, func(a, b geoPoint) int {
					d := 0
					switch {
					case a.dist < b.dist:
						d = -1
					case a.dist > b.dist:
						d = 1
					}
					if desc {
						d = -d
					}
					return d
				})
			}
			if count > 0 && int64(len(found)) > count {
				found = found[:count]
			}
			return found
		}
		if storeKey != nil {
			return intReply(c.Ops.ZSelectStore(storeKey, args[src], ranges, pick, func() []store.ScoredMember {
				pts := result()
				out := make([]store.ScoredMember, len(pts))
				for i, p := range pts {
					out[i] = store.ScoredMember{Member: p.member, Score: p.score}
					if storeDist {
						out[i].Score = unit.FromMeters(p.dist)
					}
				}
				return out
			}))
		}
		if _, err := c.Ops.ZSelect(args[src], ranges, pick); err != nil {
			return ErrReply(err)
		}
		pts := result()
		out := make([]Reply, len(pts))
		for i, p := range pts {
			if !withDist && !withHash && !withCoord {
				out[i] = Bulk(p.member)
				continue
			}
			item := []Reply{Bulk(p.member)}
			if withDist {
				item = append(item, Bulk(geo.AppendDistance(nil, unit.FromMeters(p.dist))))
			}
			if withHash {
				item = append(item, Int(geo.HashValue(p.score)))
			}
			if withCoord {
				plon, plat := geo.Decode(p.score)
				item = append(item, Array(coordReply(c, plon), coordReply(c, plat)))
			}
			out[i] = Array(item...)
		}
		return Array(out...)
	}
}
