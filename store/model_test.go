package store

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/testutil"
)

// TestModel runs random operations against the store and against a plain
// in-memory model of Redis semantics (modelDB), and compares every result. A
// fake clock moves between steps so that keys expire during the run; the key
// space is tiny so that type clashes, overwrites and overflows are frequent.
// A failing run is reproduced with SHINGLE_SEED=<seed> go test -run TestModel.
// (Helpers are prefixed model or m, out of the way of the package's other
// tests.)
func TestModel(t *testing.T) {
	seed := testutil.Seed(t)
	// Every sorted set of two members or more has a rank index, in blocks
	// of one member: every query builds, splits or reads one.
	defer func(min, size int64) { zindexMinSize, zblockSize = min, size }(zindexMinSize, zblockSize)
	zindexMinSize, zblockSize = 2, 1
	// Without the record cache every lookup reads Pebble, or a held run's
	// batch: both paths are checked.
	for _, c := range []struct {
		name string
		size int64
	}{{"cache", 0}, {"nocache", -1}} {
		t.Run(c.name, func(t *testing.T) { testModel(t, seed, c.size) })
	}
}

func testModel(t *testing.T, seed uint64, recordCacheSize int64) {
	steps := 5000
	if testing.Short() {
		steps = 1500
	}
	clock := newTestClock()
	// Active expiry is off: the test runs it itself, at moments drawn from
	// the seed, so that a run is reproducible.
	db, err := Open("", &Options{InMemory: true, Now: clock.Now, ActiveExpireInterval: -1,
		RecordCacheSize: recordCacheSize})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := &modelHarness{t: t, seed: seed, r: rand.New(rand.NewPCG(seed, 0)), clock: clock, db: db,
		m: &modelDB{keys: map[string]*modelVal{}}}
	for ; h.step < steps; h.step++ {
		h.tick()
		switch x := h.r.IntN(1000); {
		case x < 40:
			h.runTx()
		case x < 60:
			h.runExpireCycle()
		case x < 120:
			h.runHeld()
		default:
			c := &modelCall{modelHarness: h, o: &db.Ops, m: h.m}
			if h.pick()(c); c.bad != nil {
				h.fatal(c.bad[0], c.bad[1], c.bad[2])
			}
		}
		if h.step%100 == 99 {
			h.compareState("periodic check")
		}
	}
	h.compareState("the last step")
	h.runExpireCycle()
	h.checkDigest()
}

var (
	// Six keys, three sharing a hash tag (one slot), so that RENAME and COPY
	// run both within a slot and across slots.
	modelKeys   = []string{"a", "b", "c", "{t}x", "{t}y", "{t}z"}
	modelFields = []string{"f", "g", "h", "n"}
	// Integers at the edges of int64, and near-integers Redis rejects.
	modelValues = []string{"", "0", "1", "-1", "7", "01", "+1", " 2", "-0", "1.5", "abc",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808"}
	modelIncrs = []int64{0, 1, -1, 5, -100, math.MaxInt64, math.MinInt64}
	modelConds = []ExpireCond{ExpireAlways, ExpireAlways, ExpireNX, ExpireXX, ExpireGT, ExpireLT,
		ExpireXX | ExpireGT, ExpireXX | ExpireLT, ExpireNX | ExpireGT, ExpireGT | ExpireLT}
	modelSentinels = []error{ErrNotFound, ErrWrongType, ErrNotInteger, ErrOverflow, ErrNoSuchKey,
		ErrSameObject, ErrSyntax, ErrOffsetRange, ErrHashNotInteger, ErrNXXXGTLT, ErrGTLT,
		ErrStringTooLong, ErrClosed, ErrAborted}
)

// mb converts to a non-nil slice: the API reports a missing value as nil and
// an empty one as a non-nil empty slice, and the comparison tells them apart.
func mb(s string) []byte { return append([]byte{}, s...) }

// mshow renders a result for comparison: the error if there is one (values
// returned beside an error mean nothing), else the values.
func mshow(err error, vals ...any) string {
	if err != nil {
		for _, s := range modelSentinels {
			if errors.Is(err, s) {
				return "error " + s.Error()
			}
		}
		return "other error " + err.Error() // e.g. InvalidExpireError, built per call
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = mshowVal(v)
	}
	return strings.Join(parts, ", ")
}

// mres is mshow for the common (value, error) result.
func mres[T any](v T, err error) string { return mshow(err, v) }

func mshowVal(v any) string {
	switch v := v.(type) {
	case []byte:
		if v == nil {
			return "nil"
		}
		return strconv.Quote(string(v))
	case [][]byte:
		s := make([]string, len(v))
		for i := range v {
			s[i] = mshowVal(v[i])
		}
		return "[" + strings.Join(s, " ") + "]"
	case []FieldValue: // a hash: order does not matter
		s := make([]string, len(v))
		for i, fv := range v {
			s[i] = mshowVal(fv.Field) + "=" + mshowVal(fv.Value)
		}
		slices.Sort(s)
		return "{" + strings.Join(s, " ") + "}"
	case time.Time:
		if v.IsZero() {
			return "no expiry"
		}
		return "at " + strconv.FormatInt(v.UnixMilli(), 10)
	case Type:
		return v.String()
	}
	return fmt.Sprint(v)
}

// munordered sorts a copy, for replies that are sets.
func munordered(v [][]byte) [][]byte {
	v = slices.Clone(v)
	slices.SortFunc(v, func(a, b []byte) int { return strings.Compare(string(a), string(b)) })
	return v
}

// modelHarness holds the run's state; ops draw their arguments from r.
type modelHarness struct {
	t     *testing.T
	seed  uint64
	r     *rand.Rand
	clock *testClock
	db    *DB
	m     *modelDB
	step  int
}

func (h *modelHarness) fatal(desc, got, want string) {
	h.t.Helper()
	h.t.Fatalf("seed %d, step %d: %s\nstore: %s\nmodel: %s", h.seed, h.step, desc, got, want)
}

func (h *modelHarness) key() []byte   { return []byte(modelKeys[h.r.IntN(len(modelKeys))]) }
func (h *modelHarness) field() []byte { return []byte(modelFields[h.r.IntN(len(modelFields))]) }
func (h *modelHarness) val() []byte   { return mb(modelValues[h.r.IntN(len(modelValues))]) }
func (h *modelHarness) incr() int64   { return modelIncrs[h.r.IntN(len(modelIncrs))] }

// list returns 1..n draws of one, with repeats; with vals, each is followed
// by a value.
func (h *modelHarness) list(n int, one func() []byte, vals bool) [][]byte {
	var out [][]byte
	for range 1 + h.r.IntN(n) {
		if out = append(out, one()); vals {
			out = append(out, h.val())
		}
	}
	return out
}

// ms returns a random duration of lo..hi milliseconds.
func (h *modelHarness) ms(lo, hi int) time.Duration {
	return time.Duration(lo+h.r.IntN(hi-lo+1)) * time.Millisecond
}

func (h *modelHarness) setOptions() SetOptions {
	o := SetOptions{NX: h.r.IntN(5) == 0, XX: h.r.IntN(5) == 0, Get: h.r.IntN(3) == 0,
		KeepTTL: h.r.IntN(5) == 0}
	if h.r.IntN(3) == 0 {
		o.TTL = h.ms(1, 5000)
		if h.r.IntN(20) == 0 {
			o.TTL = -time.Second
		}
	}
	if h.r.IntN(5) == 0 {
		o.ExpireAt = time.UnixMilli(h.m.now).Add(h.ms(-2000, 5000))
		if h.r.IntN(20) == 0 {
			o.ExpireAt = time.UnixMilli(0) // not the zero Time: invalid
		}
	}
	return o
}

// tick moves the clock between steps: by up to 3s, or exactly onto the next
// expiry time, where the key must still be alive, or by 1ms.
func (h *modelHarness) tick() {
	now := h.clock.Now().UnixMilli()
	switch x := h.r.IntN(100); {
	case x < 25:
		h.clock.Advance(h.ms(0, 3000))
	case x < 30:
		next := int64(math.MaxInt64)
		for _, v := range h.m.keys {
			if v.expire > now {
				next = min(next, v.expire)
			}
		}
		if next != math.MaxInt64 {
			h.clock.Advance(time.Duration(next-now) * time.Millisecond)
		}
	case x < 33:
		h.clock.Advance(time.Millisecond)
	}
	h.m.now = h.clock.Now().UnixMilli()
}

// modelCall is one op (or a transaction's ops) in progress: it calls the
// store through o and the model m, and keeps the first mismatch.
type modelCall struct {
	*modelHarness
	o     *Ops
	m     *modelDB
	descs []string
	bad   []string // what, store's result, model's result
}

func (c *modelCall) check(desc, got, want string) {
	c.descs = append(c.descs, desc)
	if got != want && c.bad == nil {
		c.bad = []string{desc, got, want}
	}
}

// modelOp is one kind of operation, with its relative frequency.
type modelOp struct {
	weight int
	run    func(c *modelCall)
}

func (h *modelHarness) pick() func(c *modelCall) {
	ops := slices.Concat(modelOps, zsetModelOps)
	total := 0
	for _, op := range ops {
		total += op.weight
	}
	x := h.r.IntN(total)
	for _, op := range ops {
		if x -= op.weight; x < 0 {
			return op.run
		}
	}
	panic("unreachable")
}

// runTx runs a few ops in one transaction against a copy of the model, which
// replaces the model if the transaction commits. Ops inside must see each
// other's writes; an aborted transaction must leave no trace. Mismatches are
// reported after Update returns: t.Fatalf inside it would exit with the
// store's write lock held.
func (h *modelHarness) runTx() {
	abort, n := h.r.IntN(4) == 0, 1+h.r.IntN(4)
	offset := h.db.Offset()
	errAbort := errors.New("abort on purpose")
	c := &modelCall{modelHarness: h, m: h.m.clone()}
	err := h.db.Update(func(tx *Tx) error {
		c.o = &tx.Ops
		for range n {
			if h.pick()(c); c.bad != nil {
				return errAbort
			}
		}
		if abort {
			return errAbort
		}
		return nil
	})
	desc := fmt.Sprintf("Update{%s} (abort %v)", strings.Join(c.descs, "; "), abort)
	if c.bad != nil {
		h.fatal(desc+", at "+c.bad[0], c.bad[1], c.bad[2])
	}
	var want error
	if abort {
		want = errAbort
	}
	if err != want {
		h.fatal(desc, mshow(err), mshow(want))
	}
	if !abort {
		h.m = c.m
		return
	}
	h.compare(desc+": replication offset", mshow(nil, h.db.Offset()), mshow(nil, offset))
	h.compareState(desc)
}

// runHeld runs a few ops in a session holding the write lock: a held run,
// whose writes reach Pebble as one batch when the session releases it. The
// ops must see each other's writes (through the run's batch), and the state
// after the release must be the model's.
func (h *modelHarness) runHeld() {
	s := h.db.NewSession()
	if err := s.Hold(); err != nil {
		h.t.Fatal(err)
	}
	c := &modelCall{modelHarness: h, o: &s.Ops, m: h.m}
	for range 1 + h.r.IntN(8) {
		if h.pick()(c); c.bad != nil {
			break
		}
	}
	s.Release()
	if err := s.Wait(); err != nil {
		h.t.Fatal(err)
	}
	if c.bad != nil {
		h.fatal("held run {"+strings.Join(c.descs, "; ")+"}, at "+c.bad[0], c.bad[1], c.bad[2])
	}
}

// runExpireCycle runs active expiry to the end. It must change nothing
// visible; afterwards no expired key is left, so DBSize (which counts
// expired keys not yet deleted, as in Redis) must equal the live keys.
func (h *modelHarness) runExpireCycle() {
	for {
		n, err := h.db.expireCycle(expireBatch)
		if err != nil {
			h.fatal("expireCycle", mshow(err), mshow(nil))
		}
		if n < expireBatch {
			break
		}
	}
	size, err := h.db.DBSize()
	keys, expires, err2 := h.db.KeyCounts()
	live, _ := h.m.Keys(nil)
	var withExpiry int64
	for _, k := range live {
		if h.m.keys[string(k)].expire != 0 {
			withExpiry++
		}
	}
	n := int64(len(live))
	h.compare("DBSize, KeyCounts after expireCycle",
		mshow(errors.Join(err, err2), size, keys, expires), mshow(nil, n, n, withExpiry))
	h.compareState("expireCycle")
}

func (h *modelHarness) compare(desc, got, want string) {
	h.t.Helper()
	if got != want {
		h.fatal(desc, got, want)
	}
}

// compareState compares everything visible: the key list and, for every
// key of the key space, its type, contents and expiry time.
func (h *modelHarness) compareState(when string) {
	h.t.Helper()
	h.compare("state after "+when, modelDump(&h.db.Ops), modelDump(h.m))
}

// modelReader is what a state comparison reads, from the store or the model.
type modelReader interface {
	Keys(pattern []byte) ([][]byte, error)
	Type(key []byte) (Type, error)
	ExpireTime(key []byte) (time.Time, error)
	Get(key []byte) ([]byte, error)
	HGetAll(key []byte) ([]FieldValue, error)
	HLen(key []byte) (int64, error)
	SMembers(key []byte) ([][]byte, error)
	SCard(key []byte) (int64, error)
	LRange(key []byte, start, stop int64) ([][]byte, error)
	LLen(key []byte) (int64, error)
	ZRange(key []byte, r ZRange) ([]ScoredMember, error)
}

func modelDump(o modelReader) string {
	var b strings.Builder
	keys, err := o.Keys([]byte("*"))
	fmt.Fprintf(&b, "\n  keys %s", mshow(err, munordered(keys)))
	for _, s := range modelKeys {
		k := []byte(s)
		typ, err := o.Type(k)
		fmt.Fprintf(&b, "\n  %s: %s, expiry %s", k, mshow(err, typ), mres(o.ExpireTime(k)))
		switch typ {
		case TypeString:
			fmt.Fprintf(&b, ", value %s", mres(o.Get(k)))
		case TypeHash:
			fmt.Fprintf(&b, ", fields %s, len %s", mres(o.HGetAll(k)), mres(o.HLen(k)))
		case TypeSet:
			members, err := o.SMembers(k)
			fmt.Fprintf(&b, ", members %s, card %s", mshow(err, munordered(members)), mres(o.SCard(k)))
		case TypeList:
			fmt.Fprintf(&b, ", elements %s, len %s", mres(o.LRange(k, 0, -1)), mres(o.LLen(k)))
		case TypeZSet:
			fmt.Fprintf(&b, ", members %s", mres(o.ZRange(k, ZRange{Start: 0, Stop: -1})))
		}
	}
	return b.String()
}

// checkDigest writes the model's state into a fresh store, in a shuffled
// order and one field at a time, and compares digests: the digest must
// depend on the content only.
func (h *modelHarness) checkDigest() {
	// One millisecond behind, so that a key expiring exactly now can be given
	// that expiry (ExpireAt deletes a key whose time is not in the future).
	c2 := &testClock{t: time.UnixMilli(h.m.now - 1)}
	db2, err := Open("", &Options{InMemory: true, Now: c2.Now, ActiveExpireInterval: -1})
	if err != nil {
		h.t.Fatal(err)
	}
	defer db2.Close()
	// Sorted before the shuffle, so that the order depends on the seed only.
	keys, _ := h.m.Keys(nil)
	keys = munordered(keys)
	h.r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	for _, k := range keys {
		v := h.m.keys[string(k)]
		if v.typ == TypeString {
			err = db2.Set(k, mb(v.str))
		}
		for _, el := range v.list {
			_, err = db2.Push(k, false, false, mb(el))
		}
		for _, sm := range v.zsorted() {
			_, err = db2.ZAdd(k, ZAddFlags{}, sm)
		}
		fields := slices.Sorted(maps.Keys(v.hash))
		h.r.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
		for _, f := range fields {
			if v.typ == TypeSet {
				_, err = db2.SAdd(k, mb(f))
			} else {
				_, err = db2.HSet(k, mb(f), mb(v.hash[f]))
			}
		}
		if err == nil && v.expire != 0 {
			_, err = db2.ExpireAt(k, time.UnixMilli(v.expire), ExpireAlways)
		}
		if err != nil {
			h.t.Fatal(err)
		}
	}
	// Check the copy first, so that a digest mismatch is the digest's fault.
	h.compare("state of the store rebuilt from the model", modelDump(&db2.Ops), modelDump(h.m))
	got, err := h.db.Digest()
	want, err2 := db2.Digest()
	h.compare("Digest", mshow(err, got), mshow(err2, want))
}
