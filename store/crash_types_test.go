package store

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"testing"
)

// TestCrash's lists, sets and sorted sets. Writer g's j-th element of a
// kind is a function of g and j alone (crashElem), so an ack line names
// it by the two numbers. The parent then knows both the elements that were
// acknowledged and the one element each writer may have had in flight.

// crashTag puts every collection key of TestCrash in one slot. Elements
// are stored under slot and collection id, so a reused id shows up only
// when the old collection and the new one share a slot.
const crashTag = "{crash}"

// crashPerColl is how many elements a list, set or sorted set gets before
// its writer starts a new one, so that collection ids are handed out
// while the kill can come.
const crashPerColl = 4

// crashScores are the sorted sets' scores, one for each pair of members in
// a row: ties are ordered by member. The special values test the text form
// of the propagated score (FormatScore) and the score order. -0 sorts as 0
// but keeps its sign.
var crashScores = []float64{1.5, -2, 0, math.Copysign(0, -1), 0.1, 1e300, -3.25e-300, math.Inf(1), math.Inf(-1), 42, 2.5e-7}

// crashKind is a collection type that the crash writers fill one element
// per write.
type crashKind struct {
	ack    string // the word in the ack line
	cmd    []byte // the command the store propagates for one element
	prefix string // of the kind's keys, after crashTag
	// add writes one element and returns the collection's new size.
	add func(db *DB, key, member []byte, score float64) (int64, error)
	// read returns the collection as crashForm lays it out, after checking
	// that the store's structures agree about it.
	read func(db *DB, key []byte) ([]string, error)
	size func(db *DB, key []byte) (int64, error) // LLEN, SCARD, ZCARD
}

var crashKinds = []crashKind{
	{ack: "rpush", cmd: []byte("RPUSH"), prefix: "list", add: crashPush, read: crashReadList, size: (*DB).LLen},
	{ack: "sadd", cmd: []byte("SADD"), prefix: "set", add: crashSAdd, read: crashReadSet, size: (*DB).SCard},
	{ack: "zadd", cmd: []byte("ZADD"), prefix: "zset", add: crashZAdd, read: crashReadZSet, size: (*DB).ZCard},
}

const (
	crashList = iota // indexes in crashKinds
	crashSet
	crashZSet
)

// crashElem returns the key, member and score (sorted sets only) of writer
// g's j-th element of kind k. Members sort in an order that differs from
// push order, so an order check cannot pass by accident.
func crashElem(k, g, j int) (key, member []byte, score float64) {
	key = fmt.Appendf(nil, "%s%s:%d:%d", crashTag, crashKinds[k].prefix, g, j/crashPerColl)
	member = fmt.Appendf(nil, "%04x-%d-%d", uint16(j*40503), g, j)
	return key, member, crashScores[j/2%len(crashScores)]
}

func crashPush(db *DB, key, member []byte, _ float64) (int64, error) {
	return db.Push(key, false, false, member)
}

func crashSAdd(db *DB, key, member []byte, _ float64) (int64, error) {
	if n, err := db.SAdd(key, member); err != nil || n != 1 {
		return 0, fmt.Errorf("SADD added %d (%w)", n, err)
	}
	return db.SCard(key)
}

func crashZAdd(db *DB, key, member []byte, score float64) (int64, error) {
	if r, err := db.ZAdd(key, ZAddFlags{}, ScoredMember{member, score}); err != nil || r.Count != 1 {
		return 0, fmt.Errorf("ZADD added %d (%w)", r.Count, err)
	}
	return db.ZCard(key)
}

// crashForm lays out the elements of a collection of kind k so that two
// collections holding the same elements compare equal: a list in order, a
// set sorted, a sorted set as member=score in score order. The score is in
// its propagated form, which keeps the sign of -0.
func crashForm(k int, elems []ScoredMember) []string {
	if k == crashZSet {
		elems = slices.Clone(elems)
		slices.SortFunc(elems, crashScoreOrder)
		return crashShow(elems)
	}
	out := make([]string, len(elems))
	for i, e := range elems {
		out[i] = string(e.Member)
	}
	if k == crashSet {
		slices.Sort(out)
	}
	return out
}

// crashShow returns sorted set members as member=score, in their order.
func crashShow(sms []ScoredMember) []string {
	out := make([]string, len(sms))
	for i, sm := range sms {
		out[i] = string(sm.Member) + "=" + string(FormatScore(sm.Score))
	}
	return out
}

// crashWant returns writer g's elements js of kind k, as crashForm lays
// them out.
func crashWant(k, g int, js []int) []string {
	elems := make([]ScoredMember, len(js))
	for i, j := range js {
		_, elems[i].Member, elems[i].Score = crashElem(k, g, j)
	}
	return crashForm(k, elems)
}

func crashReadList(db *DB, key []byte) ([]string, error) {
	elems, err := db.LRange(key, 0, -1)
	if err != nil {
		return nil, err
	}
	if n, err := db.LLen(key); err != nil || n != int64(len(elems)) {
		return nil, fmt.Errorf("LLEN %d (%v), LRANGE 0 -1 has %d elements", n, err, len(elems))
	}
	sms := make([]ScoredMember, len(elems))
	for i, e := range elems {
		sms[i].Member = e
	}
	return crashForm(crashList, sms), nil
}

func crashReadSet(db *DB, key []byte) ([]string, error) {
	members, err := db.SMembers(key)
	if err != nil {
		return nil, err
	}
	if n, err := db.SCard(key); err != nil || n != int64(len(members)) {
		return nil, fmt.Errorf("SCARD %d (%v), SMEMBERS has %d members", n, err, len(members))
	}
	// SMEMBERS scans the members' keys; SISMEMBER looks each one up by
	// its hash.
	in, err := db.SMIsMember(key, members...)
	if err != nil || slices.Contains(in, false) {
		return nil, fmt.Errorf("SMISMEMBER of SMEMBERS' members = %v (%v)", in, err)
	}
	sms := make([]ScoredMember, len(members))
	for i, m := range members {
		sms[i].Member = m
	}
	return crashForm(crashSet, sms), nil
}

// crashReadZSet reads the sorted set from its score order (ZRANGE by score
// and by rank) and then checks it against the member-to-score records
// (ZMSCORE, and ZRANK, which starts from them). The two sets of records
// must agree.
func crashReadZSet(db *DB, key []byte) ([]string, error) {
	byScore, err := db.ZRange(key, ZRange{By: ZByScore, Min: ScoreBound{Value: math.Inf(-1)}, Max: ScoreBound{Value: math.Inf(1)}})
	if err != nil {
		return nil, err
	}
	byRank, err := db.ZRange(key, ZRange{By: ZByRank, Start: 0, Stop: -1})
	if err != nil {
		return nil, err
	}
	card, err := db.ZCard(key)
	if err != nil || card != int64(len(byScore)) || !slices.EqualFunc(byScore, byRank, crashSameScored) {
		return nil, fmt.Errorf("ZCARD %d (%v), ZRANGE by score %q, by rank %q", card, err, crashShow(byScore), crashShow(byRank))
	}
	members := make([][]byte, len(byScore))
	for i, sm := range byScore {
		members[i] = sm.Member
	}
	scores, found, err := db.ZMScore(key, members...)
	if err != nil {
		return nil, err
	}
	for i, sm := range byScore {
		if !found[i] || !crashSameScored(sm, ScoredMember{sm.Member, scores[i]}) {
			return nil, fmt.Errorf("member %s at score %v in the score order: ZSCORE %v, found %v", sm.Member, sm.Score, scores[i], found[i])
		}
	}
	// One ZRANK a set: each is a walk of the set.
	if last := len(byScore) - 1; last >= 0 {
		if rank, ok, err := db.ZRank(key, byScore[last].Member, false); err != nil || !ok || rank != int64(last) {
			return nil, fmt.Errorf("ZRANK %s = %d, %v (%v), want %d", byScore[last].Member, rank, ok, err, last)
		}
	}
	if !slices.IsSortedFunc(byScore, crashScoreOrder) {
		return nil, fmt.Errorf("ZRANGE by score is out of score order: %q", crashShow(byScore))
	}
	return crashForm(crashZSet, byScore), nil
}

// crashScoreOrder is a sorted set's order: by score, then by member.
func crashScoreOrder(a, b ScoredMember) int {
	return cmp.Or(cmp.Compare(a.Score, b.Score), bytes.Compare(a.Member, b.Member))
}

// crashSameScored compares scores bit for bit, so that -0 is not 0.
func crashSameScored(a, b ScoredMember) bool {
	return bytes.Equal(a.Member, b.Member) && math.Float64bits(a.Score) == math.Float64bits(b.Score)
}

// crashColls are the list, set and sorted set elements a child
// acknowledged: n[g][k] is how many writer g acknowledged of kind k. The
// acks arrive in order, so those are its elements 0 to n-1.
type crashColls struct {
	n [crashWriters][]int
}

func newCrashColls() *crashColls {
	c := &crashColls{}
	for g := range c.n {
		c.n[g] = make([]int, len(crashKinds))
	}
	return c
}

// add records the ack of writer g's j-th element of kind k.
func (c *crashColls) add(k, g, j int) error {
	if g < 0 || g >= crashWriters || c.n[g][k] != j {
		return fmt.Errorf("%s ack of writer %d's element %d out of order", crashKinds[k].ack, g, j)
	}
	c.n[g][k]++
	return nil
}

// count returns how many elements of kind k were acknowledged.
func (c *crashColls) count(k int) int {
	n := 0
	for g := range c.n {
		n += c.n[g][k]
	}
	return n
}

// crashSize is the size of one collection found after the crash.
type crashSize struct {
	kind int
	key  []byte
	size int64
}

// verify checks that each list, set and sorted set holds exactly the
// elements acknowledged, plus at most the one element its writer had in
// flight, which may or may not have landed. A list must hold them in push
// order. verify returns the size of every collection it found.
func (c *crashColls) verify(t *testing.T, db *DB) []crashSize {
	t.Helper()
	var sizes []crashSize
	for g := range crashWriters {
		landed := 0 // writes that landed without an ack
		for k, kind := range crashKinds {
			n := c.n[g][k] // element n is the one that may be in flight
			// The collections with acknowledged elements, and the one
			// element n goes to (a new one when n is a multiple of
			// crashPerColl).
			for first := 0; first <= n; first += crashPerColl {
				key, _, _ := crashElem(k, g, first)
				var js []int
				for j := first; j < min(first+crashPerColl, n); j++ {
					js = append(js, j)
				}
				got, err := kind.read(db, key)
				if err != nil {
					t.Errorf("%s after the crash: %v", key, err)
					continue
				}
				want := crashWant(k, g, js)
				inFlight := n < first+crashPerColl // element n goes here
				if w := crashWant(k, g, append(js, n)); inFlight && slices.Equal(got, w) {
					want = w
					landed++
				}
				if !slices.Equal(got, want) {
					maybe := ""
					if inFlight {
						_, m, _ := crashElem(k, g, n)
						maybe = fmt.Sprintf(" (and %s, in flight, may be there)", m)
					}
					t.Errorf("%s after the crash holds %q; acknowledged %q%s", key, got, want, maybe)
				}
				if len(got) > 0 {
					sizes = append(sizes, crashSize{k, key, int64(len(got))})
				}
			}
		}
		// A writer makes one write at a time and prints its ack before
		// it starts the next one.
		if landed > 1 {
			t.Errorf("writer %d: %d elements landed without an ack; a writer has at most one write in flight", g, landed)
		}
	}
	return sizes
}

// checkNoAlias writes new collections of each kind into the slot of the
// old ones. Each new collection must hold only its own element, and the
// old ones must keep the sizes they had. A new collection given an old
// one's id would show the old one's elements and change its size.
func checkNoAlias(t *testing.T, db *DB, old []crashSize) {
	t.Helper()
	for i := range 20 {
		for k, kind := range crashKinds {
			key := fmt.Appendf(nil, "%safter-crash:%s:%d", crashTag, kind.prefix, i)
			elem := ScoredMember{[]byte("new"), float64(i)}
			if _, err := kind.add(db, key, elem.Member, elem.Score); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			want := crashForm(k, []ScoredMember{elem})
			if got, err := kind.read(db, key); err != nil {
				t.Errorf("new %s %s after the crash: %v", kind.prefix, key, err)
			} else if !slices.Equal(got, want) {
				t.Errorf("new %s %s after the crash holds %q, want %q", kind.prefix, key, got, want)
			}
		}
	}
	for _, o := range old {
		if n, err := crashKinds[o.kind].size(db, o.key); err != nil || n != o.size {
			t.Errorf("%s has %d elements (%v) after new collections were written, had %d", o.key, n, err, o.size)
		}
	}
}
