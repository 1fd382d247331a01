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

// modelVal is one key of the model.
type modelVal struct {
	typ    Type // TypeString, TypeHash or TypeSet; TypeNone for a missing key (see read)
	str    string
	hash   map[string]string // a hash's fields, or a set's members (with empty values)
	list   []string
	expire int64 // unix ms; 0 = none
}

// modelDB is the reference: what Redis would hold. Its methods return what
// the store's methods of the same name should.
type modelDB struct {
	keys map[string]*modelVal
	now  int64 // unix ms: the store's clock during the current step
}

func (m *modelDB) clone() *modelDB {
	c := &modelDB{keys: make(map[string]*modelVal, len(m.keys)), now: m.now}
	for k, v := range m.keys {
		c.keys[k] = v.clone()
	}
	return c
}

func (v *modelVal) clone() *modelVal {
	c := *v
	c.hash = maps.Clone(v.hash)
	c.list = slices.Clone(v.list)
	return &c
}

// get returns the live value of k, nil when it is missing or expired
// (Redis's rule: expired once now > expireAt). An expired key is forgotten:
// it is invisible in the store too, so the model's keys are the live keys.
func (m *modelDB) get(k []byte) *modelVal {
	v := m.keys[string(k)]
	if v != nil && v.expire != 0 && m.now > v.expire {
		delete(m.keys, string(k))
		return nil
	}
	return v
}

// read returns k's value if it holds type t, ErrWrongType if it holds
// another. A missing key reads as an empty value of type TypeNone.
func (m *modelDB) read(k []byte, t Type) (*modelVal, error) {
	v := m.get(k)
	switch {
	case v == nil:
		return &modelVal{typ: TypeNone}, nil
	case v.typ != t:
		return &modelVal{typ: TypeNone}, ErrWrongType
	}
	return v, nil
}

// write is read for writing: a missing key is created, without expiry.
func (m *modelDB) write(k []byte, t Type) (*modelVal, error) {
	v, err := m.read(k, t)
	if err == nil && v.typ == TypeNone {
		v = &modelVal{typ: t, hash: map[string]string{}}
		m.keys[string(k)] = v
	}
	return v, err
}

func (m *modelDB) Get(k []byte) ([]byte, error) {
	v, err := m.read(k, TypeString)
	if err == nil && v.typ == TypeNone {
		err = ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return mb(v.str), nil
}

func (m *modelDB) SetWith(k, val []byte, opt SetOptions) (bool, []byte, error) {
	if opt.NX && opt.XX || opt.KeepTTL && (opt.TTL != 0 || !opt.ExpireAt.IsZero()) ||
		opt.TTL != 0 && !opt.ExpireAt.IsZero() {
		return false, nil, ErrSyntax
	}
	var exp int64
	switch at := opt.ExpireAt.UnixMilli(); {
	case !opt.ExpireAt.IsZero() && at <= 0, opt.TTL < 0:
		return false, nil, InvalidExpireError("set")
	case !opt.ExpireAt.IsZero():
		exp = at // a time already past is accepted; the key is gone at once
	case opt.TTL > 0:
		exp = m.now + opt.TTL.Milliseconds()
	}
	cur := m.get(k)
	var old []byte
	if opt.Get && cur != nil { // GET's type check comes before NX and XX
		if cur.typ != TypeString {
			return false, nil, ErrWrongType
		}
		old = mb(cur.str)
	}
	if opt.NX && cur != nil || opt.XX && cur == nil {
		return false, old, nil
	}
	if opt.KeepTTL && cur != nil {
		exp = cur.expire
	}
	m.keys[string(k)] = &modelVal{typ: TypeString, str: string(val), expire: exp}
	return true, old, nil
}

func (m *modelDB) MSet(nx bool, kv [][]byte) bool {
	for i := 0; nx && i < len(kv); i += 2 {
		if m.get(kv[i]) != nil {
			return false
		}
	}
	for i := 0; i < len(kv); i += 2 { // a repeated key: the last value wins
		m.keys[string(kv[i])] = &modelVal{typ: TypeString, str: string(kv[i+1])}
	}
	return true
}

// mincr adds d to the integer in s with Redis's rules: only the canonical
// decimal form of an int64 is an integer (as string2ll: not "-0", "01",
// "+1", " 1"), and overflow is an error. An err already set comes first.
func mincr(s string, d int64, notInt, err error) (int64, string, error) {
	n, perr := strconv.ParseInt(s, 10, 64)
	switch r := n + d; {
	case err != nil:
		return 0, "", err
	case perr != nil || strconv.FormatInt(n, 10) != s:
		return 0, "", notInt
	case d > 0 && r < n || d < 0 && r > n:
		return 0, "", ErrOverflow
	default:
		return r, strconv.FormatInt(r, 10), nil
	}
}

func (m *modelDB) IncrBy(k []byte, d int64) (int64, error) {
	v, err := m.read(k, TypeString)
	if v.typ == TypeNone {
		v.str = "0" // a missing key counts as 0
	}
	r, s, err := mincr(v.str, d, ErrNotInteger, err)
	if err == nil {
		v, _ = m.write(k, TypeString)
		v.str = s
	}
	return r, err
}

func (m *modelDB) HIncrBy(k, f []byte, d int64) (int64, error) {
	v, err := m.read(k, TypeHash)
	s, ok := v.hash[string(f)]
	if !ok {
		s = "0"
	}
	r, s, err := mincr(s, d, ErrHashNotInteger, err)
	if err == nil {
		v, _ = m.write(k, TypeHash)
		v.hash[string(f)] = s
	}
	return r, err
}

// GetRange is GETRANGE's index arithmetic, as in Redis's getrangeCommand.
func (m *modelDB) GetRange(k []byte, start, end int64) ([]byte, error) {
	v, err := m.read(k, TypeString)
	n := int64(len(v.str))
	if start < 0 && end < 0 && start > end || err != nil {
		return mb(""), err
	}
	if start < 0 {
		start = max(start+n, 0)
	}
	if end < 0 {
		end = max(end+n, 0)
	}
	if end = min(end, n-1); start > end || n == 0 {
		return mb(""), nil
	}
	return mb(v.str[start : end+1]), nil
}

func (m *modelDB) SetRange(k []byte, off int64, val []byte) (int64, error) {
	v, err := m.read(k, TypeString)
	switch {
	case off < 0:
		return 0, ErrOffsetRange
	case err != nil || len(val) == 0: // nothing to write: a missing key stays missing
		return int64(len(v.str)), err
	}
	b := []byte(v.str)
	b = append(b, make([]byte, max(0, int(off)+len(val)-len(b)))...)
	copy(b[off:], val)
	v, _ = m.write(k, TypeString)
	v.str = string(b)
	return int64(len(b)), nil
}

func (m *modelDB) Rename(src, dst []byte, nx bool) (bool, error) {
	v := m.get(src)
	switch {
	case v == nil:
		return false, ErrNoSuchKey
	case string(src) == string(dst):
		return !nx, nil
	case nx && m.get(dst) != nil:
		return false, nil
	}
	m.keys[string(dst)] = v // with its expiry
	delete(m.keys, string(src))
	return true, nil
}

func (m *modelDB) Copy(src, dst []byte, replace bool) (bool, error) {
	if string(src) == string(dst) { // whether or not src exists
		return false, ErrSameObject
	}
	v := m.get(src)
	if v == nil || !replace && m.get(dst) != nil {
		return false, nil
	}
	m.keys[string(dst)] = v.clone() // with its expiry
	return true, nil
}

func (m *modelDB) ExpireAt(k []byte, when int64, cond ExpireCond) (bool, error) {
	if cond&ExpireNX != 0 && cond&(ExpireXX|ExpireGT|ExpireLT) != 0 {
		return false, ErrNXXXGTLT
	}
	if cond&ExpireGT != 0 && cond&ExpireLT != 0 {
		return false, ErrGTLT
	}
	v := m.get(k)
	if v == nil {
		return false, nil
	}
	// "No expiry" is an infinite TTL: GT never beats it, LT always does.
	inf := v.expire == 0
	if cond&ExpireNX != 0 && !inf || cond&ExpireXX != 0 && inf ||
		cond&ExpireGT != 0 && (inf || when <= v.expire) || cond&ExpireLT != 0 && !inf && when >= v.expire {
		return false, nil
	}
	v.expire = when
	if when <= m.now { // not in the future: deleted at once
		delete(m.keys, string(k))
	}
	return true, nil
}

func (m *modelDB) ExpireTime(k []byte) (time.Time, error) {
	v := m.get(k)
	if v == nil {
		return time.Time{}, ErrNotFound
	}
	if v.expire == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(v.expire), nil
}

func (m *modelDB) Type(k []byte) (Type, error) {
	if v := m.get(k); v != nil {
		return v.typ, nil
	}
	return TypeNone, nil
}

func (m *modelDB) Keys(pattern []byte) ([][]byte, error) { // pattern is always "*"
	var out [][]byte
	for k := range m.keys {
		if m.get([]byte(k)) != nil {
			out = append(out, mb(k))
		}
	}
	return out, nil
}

func (m *modelDB) HSet(k []byte, fv [][]byte) (int64, error) {
	v, err := m.write(k, TypeHash)
	var added int64
	for i := 0; err == nil && i < len(fv); i += 2 { // a repeated field is new once; the last value wins
		if _, ok := v.hash[string(fv[i])]; !ok {
			added++
		}
		v.hash[string(fv[i])] = string(fv[i+1])
	}
	return added, err
}

func (m *modelDB) HMGet(k []byte, fields [][]byte) ([][]byte, error) {
	v, err := m.read(k, TypeHash)
	out := make([][]byte, len(fields)) // nil for a missing field
	for i, f := range fields {
		if s, ok := v.hash[string(f)]; ok {
			out[i] = mb(s)
		}
	}
	return out, err
}

func (m *modelDB) HDel(k []byte, fields [][]byte) (int64, error) {
	v, err := m.read(k, TypeHash)
	var n int64
	for _, f := range fields {
		if _, ok := v.hash[string(f)]; ok {
			delete(v.hash, string(f))
			n++
		}
	}
	if v.typ == TypeHash && len(v.hash) == 0 { // the last field takes the key with it
		delete(m.keys, string(k))
	}
	return n, err
}

func (m *modelDB) HGetAll(k []byte) ([]FieldValue, error) {
	v, err := m.read(k, TypeHash)
	var out []FieldValue
	for f, val := range v.hash {
		out = append(out, FieldValue{mb(f), mb(val)})
	}
	return out, err
}

func (m *modelDB) HLen(k []byte) (int64, error) {
	v, err := m.read(k, TypeHash)
	return int64(len(v.hash)), err
}

func (m *modelDB) SAdd(k []byte, members [][]byte) (int64, error) {
	v, err := m.write(k, TypeSet)
	var added int64
	for _, mem := range members {
		if _, ok := v.hash[string(mem)]; err == nil && !ok {
			v.hash[string(mem)] = ""
			added++
		}
	}
	return added, err
}

func (m *modelDB) SRem(k []byte, members [][]byte) (int64, error) {
	v, err := m.read(k, TypeSet)
	var n int64
	for _, mem := range members {
		if _, ok := v.hash[string(mem)]; ok {
			delete(v.hash, string(mem))
			n++
		}
	}
	if v.typ == TypeSet && len(v.hash) == 0 {
		delete(m.keys, string(k))
	}
	return n, err
}

func (m *modelDB) SMembers(k []byte) ([][]byte, error) {
	v, err := m.read(k, TypeSet)
	var out [][]byte
	for mem := range v.hash {
		out = append(out, mb(mem))
	}
	return out, err
}

func (m *modelDB) SCard(k []byte) (int64, error) {
	v, err := m.read(k, TypeSet)
	return int64(len(v.hash)), err
}

// SetStore is SINTERSTORE, SUNIONSTORE, SDIFFSTORE.
func (m *modelDB) SetStore(op SetOp, dst []byte, keys [][]byte) (int64, error) {
	var sets []map[string]string
	for _, k := range keys {
		v, err := m.read(k, TypeSet)
		if err != nil {
			return 0, err
		}
		sets = append(sets, v.hash)
	}
	res := map[string]string{}
	for mem := range sets[0] {
		res[mem] = ""
	}
	for _, s := range sets[1:] {
		for mem := range res {
			_, in := s[mem]
			if op == SetInter && !in || op == SetDiff && in {
				delete(res, mem)
			}
		}
		if op == SetUnion {
			for mem := range s {
				res[mem] = ""
			}
		}
	}
	delete(m.keys, string(dst))
	if len(res) > 0 {
		m.keys[string(dst)] = &modelVal{typ: TypeSet, hash: res}
	}
	return int64(len(res)), nil
}

func (m *modelDB) SMove(src, dst, mem []byte) (bool, error) {
	s := m.get(src)
	switch {
	case s == nil:
		return false, nil
	case s.typ != TypeSet:
		return false, ErrWrongType
	case string(src) == string(dst):
		_, in := s.hash[string(mem)]
		return in, nil
	}
	if _, err := m.read(dst, TypeSet); err != nil {
		return false, err
	}
	if n, _ := m.SRem(src, [][]byte{mem}); n == 0 {
		return false, nil
	}
	_, err := m.SAdd(dst, [][]byte{mem})
	return true, err
}

func (m *modelDB) Push(k []byte, left bool, elems [][]byte) (int64, error) {
	v, err := m.write(k, TypeList)
	for _, el := range elems {
		if err != nil {
			break
		}
		if left {
			v.list = append([]string{string(el)}, v.list...)
		} else {
			v.list = append(v.list, string(el))
		}
	}
	return int64(len(v.list)), err
}

func (m *modelDB) Pop(k []byte, left bool, count int64) ([][]byte, error) {
	v, err := m.read(k, TypeList)
	if err != nil || v.typ == TypeNone {
		return nil, err
	}
	var out [][]byte
	for ; count > 0 && len(v.list) > 0; count-- {
		if left {
			out, v.list = append(out, mb(v.list[0])), v.list[1:]
		} else {
			out, v.list = append(out, mb(v.list[len(v.list)-1])), v.list[:len(v.list)-1]
		}
	}
	if len(v.list) == 0 {
		delete(m.keys, string(k))
	}
	if out == nil {
		out = [][]byte{}
	}
	return out, nil
}

func (m *modelDB) LRange(k []byte, start, stop int64) ([][]byte, error) {
	v, err := m.read(k, TypeList)
	n := int64(len(v.list))
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	start = max(start, 0)
	out := [][]byte{}
	for i := start; i <= min(stop, n-1); i++ {
		out = append(out, mb(v.list[i]))
	}
	return out, err
}

func (m *modelDB) LLen(k []byte) (int64, error) {
	v, err := m.read(k, TypeList)
	return int64(len(v.list)), err
}

func (m *modelDB) LRem(k []byte, count int64, val []byte) (int64, error) {
	v, err := m.read(k, TypeList)
	var n int64
	keep := []string{}
	drop := make([]bool, len(v.list))
	for j := range v.list {
		i := j
		if count < 0 {
			i = len(v.list) - 1 - j
		}
		if v.list[i] == string(val) && (count == 0 || n < max(count, -count)) {
			drop[i] = true
			n++
		}
	}
	for i, el := range v.list {
		if !drop[i] {
			keep = append(keep, el)
		}
	}
	if v.typ == TypeList {
		v.list = keep
		if len(keep) == 0 {
			delete(m.keys, string(k))
		}
	}
	return n, err
}

func (m *modelDB) LInsert(k []byte, before bool, pivot, val []byte) (int64, error) {
	v, err := m.read(k, TypeList)
	if err != nil || v.typ == TypeNone {
		return 0, err
	}
	at := slices.Index(v.list, string(pivot))
	if at < 0 {
		return -1, nil
	}
	if !before {
		at++
	}
	v.list = slices.Insert(v.list, at, string(val))
	return int64(len(v.list)), nil
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
	total := 0
	for _, op := range modelOps {
		total += op.weight
	}
	x := h.r.IntN(total)
	for _, op := range modelOps {
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

// modelOps are the operations, each comparing the store's replies with the
// model's, with weights that make FlushAll rare. Reads of one key share an
// op.
var modelOps = []modelOp{
	{56, func(c *modelCall) { // Set and GetSet are SetWith with fixed options
		k, v, o := c.key(), c.val(), c.setOptions()
		name, ok, old, err := "SetWith", true, []byte(nil), error(nil)
		switch x := c.r.IntN(7); {
		case x == 0:
			name, o, err = "Set", SetOptions{}, c.o.Set(k, v)
		case x == 1:
			name, o = "GetSet", SetOptions{Get: true}
			old, err = c.o.GetSet(k, v)
		default:
			ok, old, err = c.o.SetWith(k, v, o)
		}
		wok, wold, werr := c.m.SetWith(k, v, o)
		c.check(fmt.Sprintf("%s(%q, %q, NX %v XX %v Get %v KeepTTL %v TTL %v ExpireAt %s (now %d))",
			name, k, v, o.NX, o.XX, o.Get, o.KeepTTL, o.TTL, mshowVal(o.ExpireAt), c.m.now),
			mshow(err, ok, old), mshow(werr, wok, wold))
	}},
	{8, func(c *modelCall) {
		k := c.key()
		got, want := mres(c.o.GetDel(k)), mres(c.m.Get(k))
		if _, err := c.m.Get(k); err == nil {
			delete(c.m.keys, string(k))
		}
		c.check(fmt.Sprintf("GetDel(%q)", k), got, want)
	}},
	{8, func(c *modelCall) {
		keys := c.list(4, c.key, false)
		want := make([][]byte, len(keys)) // nil for a missing key or another type
		for i, k := range keys {
			want[i], _ = c.m.Get(k)
		}
		c.check(fmt.Sprintf("MGet(%q)", keys), mres(c.o.MGet(keys...)), mshow(nil, want))
	}},
	{16, func(c *modelCall) {
		nx, kv := c.r.IntN(2) == 0, c.list(3, c.key, true)
		ok, err := true, error(nil)
		if nx {
			ok, err = c.o.MSetNX(kv...)
		} else {
			err = c.o.MSet(kv...)
		}
		c.check(fmt.Sprintf("MSet(nx %v, %q)", nx, kv), mshow(err, ok), mshow(nil, c.m.MSet(nx, kv)))
	}},
	{12, func(c *modelCall) {
		k, val := c.key(), c.val()
		got := mres(c.o.Append(k, val))
		v, err := c.m.write(k, TypeString)
		v.str += string(val)
		c.check(fmt.Sprintf("Append(%q, %q)", k, val), got, mshow(err, int64(len(v.str))))
	}},
	{20, func(c *modelCall) {
		k, d := c.key(), c.incr()
		c.check(fmt.Sprintf("IncrBy(%q, %d)", k, d), mres(c.o.IncrBy(k, d)), mres(c.m.IncrBy(k, d)))
	}},
	{12, func(c *modelCall) {
		pos := func() int64 {
			if c.r.IntN(10) == 0 {
				return []int64{math.MinInt64, math.MaxInt64, -100, 100}[c.r.IntN(4)]
			}
			return int64(c.r.IntN(13) - 6)
		}
		k, start, end := c.key(), pos(), pos()
		c.check(fmt.Sprintf("GetRange(%q, %d, %d)", k, start, end),
			mres(c.o.GetRange(k, start, end)), mres(c.m.GetRange(k, start, end)))
	}},
	{12, func(c *modelCall) {
		k, off, v := c.key(), int64(c.r.IntN(9)), c.val()
		if c.r.IntN(20) == 0 {
			off = -1
		}
		c.check(fmt.Sprintf("SetRange(%q, %d, %q)", k, off, v),
			mres(c.o.SetRange(k, off, v)), mres(c.m.SetRange(k, off, v)))
	}},
	{12, func(c *modelCall) {
		keys := c.list(3, c.key, false)
		got := mres(c.o.Del(keys...))
		var n int64
		for _, k := range keys { // a repeated key is gone the second time
			if c.m.get(k) != nil {
				delete(c.m.keys, string(k))
				n++
			}
		}
		c.check(fmt.Sprintf("Del(%q)", keys), got, mshow(nil, n))
	}},
	{8, func(c *modelCall) {
		keys := c.list(4, c.key, false)
		var n int64
		for _, k := range keys { // a repeated key counts each time
			if c.m.get(k) != nil {
				n++
			}
		}
		c.check(fmt.Sprintf("Exists(%q)", keys), mres(c.o.Exists(keys...)), mshow(nil, n))
	}},
	{20, func(c *modelCall) {
		src, dst, nx := c.key(), c.key(), c.r.IntN(2) == 0
		ok, err := true, error(nil)
		if nx {
			ok, err = c.o.RenameNX(src, dst)
		} else {
			err = c.o.Rename(src, dst)
		}
		c.check(fmt.Sprintf("Rename(%q, %q, nx %v)", src, dst, nx),
			mshow(err, ok), mres(c.m.Rename(src, dst, nx)))
	}},
	{12, func(c *modelCall) {
		src, dst, replace := c.key(), c.key(), c.r.IntN(2) == 0
		c.check(fmt.Sprintf("Copy(%q, %q, replace %v)", src, dst, replace),
			mres(c.o.Copy(src, dst, replace)), mres(c.m.Copy(src, dst, replace)))
	}},
	{20, func(c *modelCall) {
		k, cond, ttl := c.key(), modelConds[c.r.IntN(len(modelConds))], c.ms(-1000, 5000)
		if c.r.IntN(10) == 0 {
			ttl = 0 // expires now: deletes the key
		}
		c.check(fmt.Sprintf("Expire(%q, %v, cond %b)", k, ttl, cond),
			mres(c.o.Expire(k, ttl, cond)), mres(c.m.ExpireAt(k, c.m.now+ttl.Milliseconds(), cond)))
	}},
	{16, func(c *modelCall) {
		k, cond := c.key(), modelConds[c.r.IntN(len(modelConds))]
		at := c.m.now + c.ms(-2000, 5000).Milliseconds()
		c.check(fmt.Sprintf("ExpireAt(%q, %d (now%+d), cond %b)", k, at, at-c.m.now, cond),
			mres(c.o.ExpireAt(k, time.UnixMilli(at), cond)), mres(c.m.ExpireAt(k, at, cond)))
	}},
	{8, func(c *modelCall) {
		k := c.key()
		got := mres(c.o.Persist(k))
		v := c.m.get(k)
		ok := v != nil && v.expire != 0
		if ok {
			v.expire = 0
		}
		c.check(fmt.Sprintf("Persist(%q)", k), got, mshow(nil, ok))
	}},
	{32, func(c *modelCall) {
		// Every read of one key (and one field), so that each sees the same
		// state: a string key, a hash key, a missing one.
		k, f := c.key(), c.field()
		c.check(fmt.Sprintf("Get(%q)", k), mres(c.o.Get(k)), mres(c.m.Get(k)))
		c.check(fmt.Sprintf("Type(%q)", k), mres(c.o.Type(k)), mres(c.m.Type(k)))
		s, err := c.m.read(k, TypeString)
		c.check(fmt.Sprintf("StrLen(%q)", k), mres(c.o.StrLen(k)), mshow(err, int64(len(s.str))))
		at, err := c.m.ExpireTime(k)
		ttl := NoExpiry
		if !at.IsZero() {
			ttl = time.Duration(max(at.UnixMilli()-c.m.now, 0)) * time.Millisecond
		}
		c.check(fmt.Sprintf("ExpireTime(%q)", k), mres(c.o.ExpireTime(k)), mshow(err, at))
		c.check(fmt.Sprintf("TTL(%q)", k), mres(c.o.TTL(k)), mshow(err, ttl))
		v, err := c.m.read(k, TypeHash)
		val, ok := v.hash[string(f)]
		getErr := err
		if err == nil && !ok {
			getErr = ErrNotFound
		}
		c.check(fmt.Sprintf("HGet(%q, %q)", k, f), mres(c.o.HGet(k, f)), mshow(getErr, mb(val)))
		c.check(fmt.Sprintf("HExists(%q, %q)", k, f), mres(c.o.HExists(k, f)), mshow(err, ok))
		c.check(fmt.Sprintf("HStrLen(%q, %q)", k, f), mres(c.o.HStrLen(k, f)), mshow(err, int64(len(val))))
		c.check(fmt.Sprintf("HLen(%q)", k), mres(c.o.HLen(k)), mres(c.m.HLen(k)))
		all, err := c.m.HGetAll(k)
		var fs, vs [][]byte
		for _, fv := range all {
			fs, vs = append(fs, fv.Field), append(vs, fv.Value)
		}
		c.check(fmt.Sprintf("HGetAll(%q)", k), mres(c.o.HGetAll(k)), mshow(err, all))
		keys, kerr := c.o.HKeys(k)
		c.check(fmt.Sprintf("HKeys(%q)", k), mshow(kerr, munordered(keys)), mshow(err, munordered(fs)))
		vals, verr := c.o.HVals(k)
		c.check(fmt.Sprintf("HVals(%q)", k), mshow(verr, munordered(vals)), mshow(err, munordered(vs)))
	}},
	{32, func(c *modelCall) {
		k, fv := c.key(), c.list(3, c.field, true)
		c.check(fmt.Sprintf("HSet(%q, %q)", k, fv), mres(c.o.HSet(k, fv...)), mres(c.m.HSet(k, fv)))
	}},
	{12, func(c *modelCall) {
		k, f, val := c.key(), c.field(), c.val()
		got := mres(c.o.HSetNX(k, f, val))
		v, err := c.m.read(k, TypeHash)
		_, exists := v.hash[string(f)]
		if err == nil && !exists {
			v, _ = c.m.write(k, TypeHash)
			v.hash[string(f)] = string(val)
		}
		c.check(fmt.Sprintf("HSetNX(%q, %q, %q)", k, f, val), got, mshow(err, !exists))
	}},
	{12, func(c *modelCall) {
		k, fields := c.key(), c.list(3, c.field, false)
		c.check(fmt.Sprintf("HMGet(%q, %q)", k, fields),
			mres(c.o.HMGet(k, fields...)), mres(c.m.HMGet(k, fields)))
	}},
	{20, func(c *modelCall) {
		k, fields := c.key(), c.list(3, c.field, false)
		c.check(fmt.Sprintf("HDel(%q, %q)", k, fields),
			mres(c.o.HDel(k, fields...)), mres(c.m.HDel(k, fields)))
	}},
	{24, func(c *modelCall) {
		k, f, d := c.key(), c.field(), c.incr()
		c.check(fmt.Sprintf("HIncrBy(%q, %q, %d)", k, f, d),
			mres(c.o.HIncrBy(k, f, d)), mres(c.m.HIncrBy(k, f, d)))
	}},
	{8, func(c *modelCall) {
		keys, err := c.o.Keys([]byte("*"))
		want, _ := c.m.Keys(nil)
		c.check("Keys(*)", mshow(err, munordered(keys)), mshow(nil, munordered(want)))
	}},
	{24, func(c *modelCall) {
		k, ms := c.key(), c.list(3, c.field, false)
		c.check(fmt.Sprintf("SAdd(%q, %q)", k, ms), mres(c.o.SAdd(k, ms...)), mres(c.m.SAdd(k, ms)))
	}},
	{12, func(c *modelCall) {
		k, ms := c.key(), c.list(2, c.field, false)
		c.check(fmt.Sprintf("SRem(%q, %q)", k, ms), mres(c.o.SRem(k, ms...)), mres(c.m.SRem(k, ms)))
	}},
	{12, func(c *modelCall) { // reads of one set
		k, mem := c.key(), c.field()
		v, err := c.m.read(k, TypeSet)
		_, in := v.hash[string(mem)]
		c.check(fmt.Sprintf("SIsMember(%q, %q)", k, mem), mres(c.o.SIsMember(k, mem)), mshow(err, in))
		c.check(fmt.Sprintf("SCard(%q)", k), mres(c.o.SCard(k)), mres(c.m.SCard(k)))
		got, gerr := c.o.SMembers(k)
		want, werr := c.m.SMembers(k)
		c.check(fmt.Sprintf("SMembers(%q)", k), mshow(gerr, munordered(got)), mshow(werr, munordered(want)))
		got, gerr = c.o.SRandMember(k, 100)
		if werr == nil && want == nil {
			want = [][]byte{}
		}
		c.check(fmt.Sprintf("SRandMember(%q, 100)", k), mshow(gerr, munordered(got)), mshow(werr, munordered(want)))
	}},
	{6, func(c *modelCall) { // SPop taking every member: no random choice
		k := c.key()
		got, gerr := c.o.SPop(k, 100)
		want, werr := c.m.SMembers(k)
		if werr == nil {
			delete(c.m.keys, string(k))
			if want == nil {
				want = [][]byte{}
			}
		}
		c.check(fmt.Sprintf("SPop(%q, 100)", k), mshow(gerr, munordered(got)), mshow(werr, munordered(want)))
	}},
	{8, func(c *modelCall) {
		src, dst, mem := c.key(), c.key(), c.field()
		c.check(fmt.Sprintf("SMove(%q, %q, %q)", src, dst, mem), mres(c.o.SMove(src, dst, mem)), mres(c.m.SMove(src, dst, mem)))
	}},
	{8, func(c *modelCall) {
		op, dst, keys := SetOp(c.r.IntN(3)), c.key(), c.list(3, c.key, false)
		c.check(fmt.Sprintf("SetStore(%d, %q, %q)", op, dst, keys), mres(c.o.SetStore(op, dst, keys...)), mres(c.m.SetStore(op, dst, keys)))
	}},
	{24, func(c *modelCall) {
		k, left, els := c.key(), c.r.IntN(2) == 0, c.list(3, c.val, false)
		c.check(fmt.Sprintf("Push(%q, %v, %q)", k, left, els), mres(c.o.Push(k, left, false, els...)), mres(c.m.Push(k, left, els)))
	}},
	{12, func(c *modelCall) {
		k, left, n := c.key(), c.r.IntN(2) == 0, int64(c.r.IntN(3))
		c.check(fmt.Sprintf("Pop(%q, %v, %d)", k, left, n), mres(c.o.Pop(k, left, n)), mres(c.m.Pop(k, left, n)))
	}},
	{12, func(c *modelCall) { // reads of one list
		k, start, stop := c.key(), int64(c.r.IntN(7)-3), int64(c.r.IntN(7)-3)
		c.check(fmt.Sprintf("LRange(%q, %d, %d)", k, start, stop), mres(c.o.LRange(k, start, stop)), mres(c.m.LRange(k, start, stop)))
		c.check(fmt.Sprintf("LLen(%q)", k), mres(c.o.LLen(k)), mres(c.m.LLen(k)))
	}},
	{6, func(c *modelCall) {
		k, n, val := c.key(), int64(c.r.IntN(5)-2), c.val()
		c.check(fmt.Sprintf("LRem(%q, %d, %q)", k, n, val), mres(c.o.LRem(k, n, val)), mres(c.m.LRem(k, n, val)))
	}},
	{6, func(c *modelCall) {
		k, before, pivot, val := c.key(), c.r.IntN(2) == 0, c.val(), c.val()
		c.check(fmt.Sprintf("LInsert(%q, %v, %q, %q)", k, before, pivot, val),
			mres(c.o.LInsert(k, before, pivot, val)), mres(c.m.LInsert(k, before, pivot, val)))
	}},
	{1, func(c *modelCall) {
		got := mshow(c.o.FlushAll())
		clear(c.m.keys)
		c.check("FlushAll()", got, mshow(nil))
	}},
}
