package rdb

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/testutil"
)

var negZero = math.Copysign(0, -1)

// zsetEntries are the sorted sets Writer must carry: special scores in a
// small one (Redis keeps it as a listpack), a large one and one with a
// long member (Redis keeps them as skiplists).
func zsetEntries() []*Entry {
	small := &Entry{Type: TypeZSet, Key: []byte("z-small")}
	for i, f := range []float64{math.Inf(1), math.Inf(-1), 0, 1e-300, 0.1, 1, -3, 4294967296, 1<<53 + 2,
		-1 << 63, 5e-324, math.MaxFloat64, -0.5} {
		small.Members = append(small.Members, []byte("s"+strconv.Itoa(i)))
		small.Scores = append(small.Scores, f)
	}
	small.Members = append(small.Members, []byte{}, []byte("7"), []byte("bin\x00\xff"), []byte("neg-zero"))
	small.Scores = append(small.Scores, 2, 7, -7, negZero)
	large := &Entry{Type: TypeZSet, Key: []byte("z-large"), ExpireMs: 4102444800000}
	for i := range 300 {
		large.Members = append(large.Members, []byte("m:"+strconv.Itoa(i)))
		large.Scores = append(large.Scores, float64(i)*1.25-100)
	}
	large.Members = append(large.Members, []byte("neg-zero"))
	large.Scores = append(large.Scores, negZero)
	long := &Entry{Type: TypeZSet, Key: []byte("z-long-member"),
		Members: [][]byte{[]byte(strings.Repeat("L", 100)), []byte("short")}, Scores: []float64{1, negZero}}
	return []*Entry{small, large, long}
}

// redisZSetEncoding is the encoding redis-server 7.0 gives a sorted set
// it loads, at the default zset-max-listpack-entries (128) and
// zset-max-listpack-value (64).
func redisZSetEncoding(members [][]byte) string {
	if len(members) > 128 || slices.ContainsFunc(members, func(m []byte) bool { return len(m) > 64 }) {
		return "skiplist"
	}
	return "listpack"
}

// checkRedisZSet checks that redis-server holds the sorted set e, in the
// encoding it should have, with the same members and scores bit for bit,
// except that a -0 is 0 in a listpack: Redis turns a score into text with
// d2string to put it there, which writes -0 as "0", while a skiplist
// keeps the double.
func checkRedisZSet(t *testing.T, c *testutil.Client, e *Entry) {
	t.Helper()
	enc := string(doBytes(t, c, []byte("OBJECT"), []byte("ENCODING"), e.Key).Str)
	if want := redisZSetEncoding(e.Members); enc != want {
		t.Errorf("OBJECT ENCODING %.40q = %s, want %s", e.Key, enc, want)
	}
	got := redisZRange(t, c, e.Key)
	if len(got) != len(e.Members) {
		t.Errorf("%.40q: %d members in Redis, want %d", e.Key, len(got), len(e.Members))
	}
	for i, m := range e.Members {
		want := e.Scores[i]
		if want == 0 && enc == "listpack" {
			want = 0
		}
		if g, ok := got[string(m)]; !ok || math.Float64bits(g) != math.Float64bits(want) {
			t.Errorf("%.40q: member %.40q has score %v (present %v) in Redis, want %v", e.Key, m, g, ok, want)
		}
	}
}

// redisZRange returns ZRANGE key 0 -1 WITHSCORES as member → score. Redis
// prints scores with %.17g, which strconv parses back to the same bits.
func redisZRange(t *testing.T, c *testutil.Client, key []byte) map[string]float64 {
	t.Helper()
	r := doBytes(t, c, []byte("ZRANGE"), key, []byte("0"), []byte("-1"), []byte("WITHSCORES"))
	m := map[string]float64{}
	for i := 0; i+1 < len(r.Elems); i += 2 {
		f, err := strconv.ParseFloat(string(r.Elems[i+1].Str), 64)
		if err != nil {
			t.Fatalf("ZRANGE %q: score %q: %v", key, r.Elems[i+1].Str, err)
		}
		m[string(r.Elems[i].Str)] = f
	}
	return m
}

// zsetMap is a sorted set entry as member → score.
func zsetMap(e *Entry) map[string]float64 {
	m := map[string]float64{}
	for i, mem := range e.Members {
		m[string(mem)] = e.Scores[i]
	}
	return m
}

// sameZSet reports whether two sorted sets hold the same members with the
// same score bits.
func sameZSet(a, b map[string]float64) bool {
	return maps.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// checkFuzzedEntry fails on an entry Next must never return.
func checkFuzzedEntry(t *testing.T, e *Entry) {
	t.Helper()
	switch e.Type {
	case TypeString, TypeHash, TypeList, TypeSet:
	case TypeZSet:
		if len(e.Members) == 0 || len(e.Members) != len(e.Scores) {
			t.Fatalf("sorted set of %d members and %d scores", len(e.Members), len(e.Scores))
		}
		seen := map[string]bool{}
		for i, m := range e.Members {
			if math.IsNaN(e.Scores[i]) || seen[string(m)] {
				t.Fatalf("sorted set with a NaN score or a duplicate member: %q %v", m, e.Scores[i])
			}
			seen[string(m)] = true
		}
	default:
		t.Fatalf("entry of type %s", e.Type)
	}
}

// Hand-built sorted sets.

func f64(f float64) []byte { return appendBinaryDouble(nil, f) }

// textScore is an RDB_TYPE_ZSET score: a length byte and the text.
func textScore(s string) []byte { return append([]byte{byte(len(s))}, s...) }

// zsetPairs is the member, score list of the ziplist and listpack sorted
// sets, with integer and string scores, and what they decode to.
func zsetPairs() (entries []any, members [][]byte, scores []float64) {
	add := func(m any, s any, f float64) {
		entries = append(entries, m, s)
		if i, ok := m.(int64); ok {
			members = append(members, []byte(strconv.FormatInt(i, 10)))
		} else {
			members = append(members, []byte(m.(string)))
		}
		scores = append(scores, f)
	}
	// Integer scores: each integer encoding, converted to the nearest
	// double as C converts a long long.
	for _, v := range []int64{0, 12, 13, -128, 127, 4095, -4096, 32767, -32768, 8388607, -8388608, -2147483648, 2147483648} {
		add("i"+strconv.FormatInt(v, 10), v, float64(v))
	}
	add("i2^53+1", int64(1<<53+1), 1<<53)
	add("imax", int64(math.MaxInt64), 1<<63)
	add("imin", int64(math.MinInt64), -1<<63)
	// String scores, read with strtod.
	add(int64(7), "0.1", 0.1)
	add("inf", "inf", math.Inf(1))
	add("-inf", "-inf", math.Inf(-1))
	add("neg-zero", "-0", negZero)
	add("tiny", "4.9406564584124654e-324", 5e-324)
	add("empty", "", 0)
	add("junk", "abc", 0)
	add("prefix", "12abc", 12)
	add("hex", "0x1p-2", 0.25)
	add("", "1.5", 1.5)
	add("long", "1"+strings.Repeat("0", 200), 1e126) // zzlStrtod reads 127 bytes
	return entries, members, scores
}

// textZSet is an RDB_TYPE_ZSET value (without the type byte) with every
// kind of text score.
func textZSet() []byte {
	return cat(appendLen(nil, 11),
		rdbStr("a"), textScore("1.5"),
		rdbStr("b"), textScore("-0"),
		rdbStr("c"), textScore("1e-300"),
		rdbStr("d"), []byte{254},
		rdbStr("e"), []byte{255},
		rdbStr("f"), textScore(" 12abc"),
		rdbStr("g"), textScore("0x1p-2"),
		rdbStr("h"), textScore("9007199254740993"),
		rdbStr("i"), textScore("1e309"),
		rdbStr("j"), textScore("1"+strings.Repeat("0", 250)), // 251 bytes: 252 is the longest length
		[]byte{0xC0, 7}, textScore("3"), // an integer-encoded member
	)
}

// zsetRDBs are hand-built RDBs holding every sorted set encoding: RDB
// version 9 with RDB_TYPE_ZSET, ZSET_ZIPLIST and ZSET_2, version 10 with
// ZSET_LISTPACK, and empty sorted sets that are skipped.
func zsetRDBs() (v9, v10 []byte, want9, want10 []*Entry) {
	entries, members, scores := zsetPairs()
	v9 = rdbFile(9,
		[]byte{rdbTypeZSet}, rdbStr("text"), textZSet(),
		[]byte{rdbTypeZSet}, rdbStr("empty text"), []byte{0},
		[]byte{opExpireTimeMs}, binary.LittleEndian.AppendUint64(nil, 1700000000123),
		[]byte{rdbTypeZSetZiplist}, rdbStr("ziplist"), blob(ziplist(entries...)),
		[]byte{rdbTypeZSetZiplist}, rdbStr("empty ziplist"), blob(ziplist()),
		[]byte{rdbTypeZSet2}, rdbStr("binary"), appendLen(nil, 4),
		rdbStr("x"), f64(negZero), rdbStr("y"), f64(5e-324), rdbStr("z"), f64(math.MaxFloat64), rdbStr("w"), f64(math.Inf(-1)),
	)
	want9 = []*Entry{
		{Type: TypeZSet, Key: []byte("text"),
			Members: [][]byte{[]byte("a"), []byte("b"), []byte("c"), []byte("d"), []byte("e"), []byte("f"), []byte("g"), []byte("h"), []byte("i"), []byte("j"), []byte("7")},
			Scores:  []float64{1.5, negZero, 1e-300, math.Inf(1), math.Inf(-1), 12, 0.25, 1 << 53, math.Inf(1), 1e250, 3}},
		{Type: TypeZSet, Key: []byte("ziplist"), Members: members, Scores: scores, ExpireMs: 1700000000123},
		{Type: TypeZSet, Key: []byte("binary"), Members: [][]byte{[]byte("x"), []byte("y"), []byte("z"), []byte("w")},
			Scores: []float64{negZero, 5e-324, math.MaxFloat64, math.Inf(-1)}},
	}
	v10 = rdbFile(10,
		[]byte{rdbTypeZSetListpack}, rdbStr("listpack"), blob(listpack(entries...)),
		[]byte{rdbTypeZSetListpack}, rdbStr("empty listpack"), blob(listpack()),
		[]byte{rdbTypeZSet2}, rdbStr("empty binary"), []byte{0},
		[]byte{rdbTypeString}, rdbStr("after"), rdbStr("v"),
	)
	want10 = []*Entry{
		{Type: TypeZSet, Key: []byte("listpack"), Members: members, Scores: scores},
		{Type: TypeString, Key: []byte("after"), Value: []byte("v")},
	}
	return v9, v10, want9, want10
}

func TestDecodeZSetEncodings(t *testing.T) {
	v9, v10, want9, want10 := zsetRDBs()
	for _, c := range []struct {
		data []byte
		want []*Entry
	}{{v9, want9}, {v10, want10}} {
		got, err := readAll(NewReader(bytes.NewReader(c.data)))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(c.want) {
			t.Fatalf("read %d entries, want %d", len(got), len(c.want))
		}
		for i := range c.want {
			if !sameEntry(got[i], c.want[i]) {
				t.Errorf("entry %d:\n got %.600s\nwant %.600s", i, entryString(got[i]), entryString(c.want[i]))
			}
		}
	}
}

// TestZSetEntryScore: a ziplist or listpack score is what zzlGetScore
// makes of it.
func TestZSetEntryScore(t *testing.T) {
	for _, c := range []struct {
		s     string
		v     int64
		isInt bool
		want  float64
	}{
		{v: 0, isInt: true, want: 0},
		{v: -1, isInt: true, want: -1},
		{v: 1<<53 + 1, isInt: true, want: 1 << 53}, // ties to even
		{v: 1<<53 + 3, isInt: true, want: 1<<53 + 4},
		{v: math.MaxInt64, isInt: true, want: 1 << 63},
		{v: math.MinInt64, isInt: true, want: -1 << 63},
		{s: "0.1", want: 0.1},
		{s: " 1.5", want: 1.5},
		{s: "-0", want: negZero},
		{s: "", want: 0},
		{s: "x", want: 0},
		{s: "1e400", want: math.Inf(1)},
		{s: "-infinity", want: math.Inf(-1)},
		{s: "9007199254740993", want: 1 << 53},
		{s: "1" + strings.Repeat("0", 126), want: 1e126},
		{s: "1" + strings.Repeat("0", 127), want: 1e126}, // the 128th byte is not read
	} {
		if got := zsetEntryScore([]byte(c.s), c.v, c.isInt); math.Float64bits(got) != math.Float64bits(c.want) {
			t.Errorf("%.20q / %d: %v, want %v", c.s, c.v, got, c.want)
		}
	}
}

// TestZSetCorrupt: what Redis refuses as a corrupt sorted set (a NaN
// score, a duplicate member, an odd ziplist or listpack) is ErrCorrupt,
// in an RDB and in a DUMP payload alike.
func TestZSetCorrupt(t *testing.T) {
	nan := math.Float64frombits(0x7ff8000000000001)
	for _, c := range []struct {
		name  string
		value []byte // type byte and value
		text  string
	}{
		{"text NaN", cat([]byte{rdbTypeZSet, 1}, rdbStr("a"), []byte{253}), "NaN"},
		{"text nan", cat([]byte{rdbTypeZSet, 1}, rdbStr("a"), textScore("nan")), "NaN"},
		{"binary NaN", cat([]byte{rdbTypeZSet2, 1}, rdbStr("a"), f64(nan)), "NaN"},
		{"listpack nan", cat([]byte{rdbTypeZSetListpack}, blob(listpack("a", "1", "b", "nan"))), "NaN"},
		{"ziplist NaN", cat([]byte{rdbTypeZSetZiplist}, blob(ziplist("a", "NaN(1)"))), "NaN"},
		{"text duplicate", cat([]byte{rdbTypeZSet, 2}, rdbStr("a"), textScore("1"), rdbStr("a"), textScore("2")), "duplicate"},
		{"binary duplicate", cat([]byte{rdbTypeZSet2, 2}, rdbStr("5"), f64(1), []byte{0xC0, 5}, f64(2)), "duplicate"},
		{"ziplist duplicate", cat([]byte{rdbTypeZSetZiplist}, blob(ziplist(int64(5), "1", "5", "2"))), "duplicate"},
		{"listpack duplicate", cat([]byte{rdbTypeZSetListpack}, blob(listpack("a", int64(1), "b", int64(1), "a", int64(2)))), "duplicate"},
		{"odd ziplist", cat([]byte{rdbTypeZSetZiplist}, blob(ziplist("a", int64(1), "b"))), "odd"},
		{"odd listpack", cat([]byte{rdbTypeZSetListpack}, blob(listpack("a"))), "odd"},
		{"text not a number", cat([]byte{rdbTypeZSet, 1}, rdbStr("a"), textScore("abc")), "not a number"},
		{"text empty", cat([]byte{rdbTypeZSet, 1}, rdbStr("a"), textScore("")), "not a number"},
		{"bad listpack", cat([]byte{rdbTypeZSetListpack}, blob([]byte{9, 0, 0, 0, 2, 0, 0x85, 'a', 0xFF})), "listpack"},
		{"bad ziplist", cat([]byte{rdbTypeZSetZiplist}, blob(ziplist("abc", "1")[:15])), "ziplist"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := readAll(NewReader(bytes.NewReader(rdbFile(10, c.value[:1], rdbStr("k"), c.value[1:]))))
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.text) || !strings.Contains(err.Error(), `"k"`) {
				t.Errorf("RDB: %v, want ErrCorrupt naming the key and saying %q", err, c.text)
			}
			if _, err := ParsePayload(seal(slices.Clone(c.value)), DefaultMaxBulkLen); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.text) {
				t.Errorf("payload: %v, want ErrCorrupt saying %q", err, c.text)
			}
		})
	}
	// A stream that ends inside a score.
	for name, data := range map[string][]byte{
		"text":   cat([]byte("REDIS0009"), []byte{rdbTypeZSet}, rdbStr("k"), []byte{1}, rdbStr("a"), []byte{5, '1', '.'}),
		"binary": cat([]byte("REDIS0010"), []byte{rdbTypeZSet2}, rdbStr("k"), []byte{1}, rdbStr("a"), []byte{0, 0, 0}),
	} {
		if _, err := readAll(NewReader(bytes.NewReader(data))); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s score cut short: %v", name, err)
		}
	}
}

// TestZSetWriter checks the bytes Writer.ZSet and DumpZSet write against
// Redis's RDB_TYPE_ZSET_2 (rdbSaveObject: the length, then each member as
// an RDB string and its score as rdbSaveBinaryDoubleValue writes it), and
// their refusals.
func TestZSetWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.Header(nil)
	if err := w.ZSet([]byte("k"), [][]byte{[]byte("a"), []byte("12")}, []float64{1.5, negZero}, 0); err != nil {
		t.Fatal(err)
	}
	w.End()
	value := cat([]byte{1, 'k', 2, 1, 'a'}, f64(1.5), []byte{0xC0, 12, 0, 0, 0, 0, 0, 0, 0, 0x80})
	if want := cat([]byte("REDIS0010"), []byte{opSelectDB, 0, rdbTypeZSet2}, value); !bytes.HasPrefix(buf.Bytes(), want) {
		t.Errorf("Writer.ZSet wrote\n%x, want\n%x", buf.Bytes(), want)
	}
	p := DumpZSet([][]byte{[]byte("a"), []byte("12")}, []float64{1.5, negZero})
	if want := seal(cat([]byte{rdbTypeZSet2}, value[2:])); !bytes.Equal(p, want) {
		t.Errorf("DumpZSet = %x, want %x", p, want)
	}

	for name, c := range map[string]struct {
		members [][]byte
		scores  []float64
	}{
		"empty":    {nil, nil},
		"mismatch": {[][]byte{[]byte("a"), []byte("b")}, []float64{1}},
		"NaN":      {[][]byte{[]byte("a")}, []float64{math.NaN()}},
	} {
		w := NewWriter(io.Discard)
		w.Header(nil)
		if err := w.ZSet([]byte("k"), c.members, c.scores, 0); err == nil {
			t.Errorf("%s: ZSet accepted", name)
		}
		if err := w.String([]byte("k"), []byte("v"), 0); err == nil {
			t.Errorf("%s: the error was not final", name)
		}
		// DumpZSet writes a payload that RESTORE refuses.
		if _, err := ParsePayload(DumpZSet(c.members, c.scores), DefaultMaxBulkLen); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: DumpZSet's payload parsed: %v", name, err)
		}
	}
	if err := NewWriter(io.Discard).ZSet([]byte("k"), [][]byte{[]byte("a")}, []float64{1}, 0); err == nil {
		t.Error("ZSet before Header accepted")
	}
}

// TestZSetAgainstRedis compares with redis-server 7.0: sorted sets made by
// ZADD, in each encoding, with special scores, are DUMPed and saved, and
// must decode to the members and scores ZRANGE shows; DumpZSet's payloads
// of them, RESTOREd, must be the same sorted sets to Redis (ZRANGE
// WITHSCORES, DEBUG DIGEST-VALUE, OBJECT ENCODING); Redis and ParsePayload
// must refuse the same payloads; and -0 must behave as Redis makes it.
// Redis checks a listpack for duplicate members and an odd length only
// when it sanitizes payloads deeply: the server does.
func TestZSetAgainstRedis(t *testing.T) {
	testutil.RequireTool(t, "redis-server")
	srv := testutil.StartRedis(t, "--enable-debug-command", "yes", "--sanitize-dump-payload", "yes")
	c := srv.Dial(t)
	scores := []string{"inf", "-inf", "-0", "0", "1e-300", "0.1", "1", "-3", "12", "255", "65536", "4294967296",
		"9007199254740993", "-9223372036854775808", "1.5", "5e-324", "1.7976931348623157e308", "3.14159", "-2.5e-10"}
	zadd := func(key string, fillers int, long bool) {
		args := []string{"ZADD", key}
		for i, s := range scores {
			args = append(args, s, "s"+strconv.Itoa(i))
		}
		args = append(args, "2", "", "3", "7", "4", "-12", "5", "bin\x00\xff")
		for i := range fillers {
			args = append(args, strconv.Itoa(i*3), "filler:"+strconv.Itoa(i))
		}
		if long {
			args = append(args, "6", strings.Repeat("L", 100))
		}
		do(t, c, args...)
	}
	zadd("small", 0, false)
	zadd("large", 200, false)    // more than zset-max-listpack-entries (128)
	zadd("long-member", 0, true) // a member longer than zset-max-listpack-value (64)
	keys := []struct {
		key, enc string
		typ      byte // of the DUMP
	}{{"small", "listpack", rdbTypeZSetListpack}, {"large", "skiplist", rdbTypeZSet2}, {"long-member", "skiplist", rdbTypeZSet2}}
	parsed := map[string]*Entry{}
	for _, k := range keys {
		if enc := string(do(t, c, "OBJECT", "ENCODING", k.key).Str); enc != k.enc {
			t.Errorf("OBJECT ENCODING %s = %s, want %s", k.key, enc, k.enc)
		}
		p := do(t, c, "DUMP", k.key).Str
		if p[0] != k.typ {
			t.Errorf("DUMP %s: RDB type %d, want %d", k.key, p[0], k.typ)
		}
		e, err := ParsePayload(p, DefaultMaxBulkLen)
		if err != nil || e.Type != TypeZSet {
			t.Fatalf("ParsePayload(DUMP %s): %+v %v", k.key, e, err)
		}
		parsed[k.key] = e
		got := zsetMap(e)
		if redis := redisZRange(t, c, []byte(k.key)); !sameZSet(got, redis) {
			t.Errorf("DUMP %s decodes to\n%v\nZRANGE WITHSCORES says\n%v", k.key, got, redis)
		}
		// The scores are those ZADD was given, parsed as Redis parses
		// them, except that ZADD stores -0 as 0.
		for i, s := range scores {
			want, _ := strconv.ParseFloat(s, 64)
			if want == 0 {
				want = 0
			}
			if f := got["s"+strconv.Itoa(i)]; math.Float64bits(f) != math.Float64bits(want) {
				t.Errorf("%s: ZADD %s gave %v (%016x), want %016x", k.key, s, f, math.Float64bits(f), math.Float64bits(want))
			}
		}
		// Redis DUMPs a listpack from the lowest score up, a skiplist
		// from the highest down, as Entry's doc says.
		sorted := slices.IsSorted(e.Scores)
		if k.typ == rdbTypeZSet2 {
			sorted = slices.IsSortedFunc(e.Scores, func(a, b float64) int { return cmp.Compare(b, a) })
		}
		if !sorted {
			t.Errorf("DUMP %s: scores out of Redis's order: %v", k.key, e.Scores)
		}

		// DumpZSet's payload is the same sorted set to Redis.
		copyKey := []byte(k.key + ":copy")
		doBytes(t, c, []byte("RESTORE"), copyKey, []byte("0"), DumpZSet(e.Members, e.Scores))
		for _, cmd := range [][]string{{"ZRANGE", "0", "-1", "WITHSCORES"}, {"OBJECT", "ENCODING"}} {
			var a, b resp.Reply
			if cmd[0] == "OBJECT" {
				a, b = do(t, c, "OBJECT", "ENCODING", k.key), doBytes(t, c, []byte("OBJECT"), []byte("ENCODING"), copyKey)
			} else {
				a, b = do(t, c, "ZRANGE", k.key, "0", "-1", "WITHSCORES"), doBytes(t, c, []byte("ZRANGE"), copyKey, []byte("0"), []byte("-1"), []byte("WITHSCORES"))
			}
			if fmt.Sprint(a) != fmt.Sprint(b) {
				t.Errorf("%s %s:\n%v\nof the RESTOREd copy:\n%v", cmd[0], k.key, a, b)
			}
		}
		d := doBytes(t, c, []byte("DEBUG"), []byte("DIGEST-VALUE"), []byte(k.key), copyKey)
		if len(d.Elems) != 2 || !bytes.Equal(d.Elems[0].Str, d.Elems[1].Str) {
			t.Errorf("DEBUG DIGEST-VALUE %s and its RESTOREd copy: %v", k.key, d)
		}
	}

	// Reader reads the same sorted sets from an RDB Redis saves.
	es, err := readAll(NewReader(bytes.NewReader(saveAndRead(t, srv, c))))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2*len(keys) {
		t.Errorf("the RDB holds %d keys, want %d", len(es), 2*len(keys))
	}
	for _, e := range es {
		want := parsed[strings.TrimSuffix(string(e.Key), ":copy")]
		if want == nil || e.Type != TypeZSet || !sameZSet(zsetMap(e), zsetMap(want)) {
			t.Errorf("RDB entry %.300s, want the sorted set of the DUMP", entryString(e))
		}
	}

	// A RESTOREd -0 stays -0 in a skiplist and is 0 in a listpack.
	var members [][]byte
	var scoresF []float64
	for i := range 200 {
		members = append(members, []byte("m"+strconv.Itoa(i)))
		scoresF = append(scoresF, float64(i))
	}
	members, scoresF = append(members, []byte("neg-zero")), append(scoresF, negZero)
	for _, z := range []struct {
		key     string
		payload []byte
		reply   string
		bits    uint64
	}{
		{"neg-zero-listpack", DumpZSet([][]byte{[]byte("neg-zero")}, []float64{negZero}), "0", 0},
		{"neg-zero-skiplist", DumpZSet(members, scoresF), "-0", 0x8000000000000000},
	} {
		doBytes(t, c, []byte("RESTORE"), []byte(z.key), []byte("0"), z.payload)
		if r := do(t, c, "ZSCORE", z.key, "neg-zero"); string(r.Str) != z.reply {
			t.Errorf("ZSCORE %s neg-zero = %q, want %q", z.key, r.Str, z.reply)
		}
		e, err := ParsePayload(do(t, c, "DUMP", z.key).Str, DefaultMaxBulkLen)
		if err != nil {
			t.Fatal(err)
		}
		if f := zsetMap(e)["neg-zero"]; math.Float64bits(f) != z.bits {
			t.Errorf("DUMP %s: neg-zero's score has bits %016x, want %016x", z.key, math.Float64bits(f), z.bits)
		}
	}

	// Redis reads the scores of hand-built sorted sets (integers, and text
	// that strtod or sscanf reads whole, in part or not at all) as
	// ParsePayload does, but for the -0 of the RDB_TYPE_ZSET, which
	// becomes 0 when Redis converts the small sorted set to a listpack (a
	// ziplist's or listpack's "-0" text stays as it is).
	entries, _, _ := zsetPairs()
	for name, p := range map[string][]byte{
		"text":     seal(cat([]byte{rdbTypeZSet}, textZSet())),
		"ziplist":  seal(cat([]byte{rdbTypeZSetZiplist}, blob(ziplist(entries...)))),
		"listpack": seal(cat([]byte{rdbTypeZSetListpack}, blob(listpack(entries...)))),
	} {
		key := []byte("hand-built-" + name)
		doBytes(t, c, []byte("RESTORE"), key, []byte("0"), p)
		e, err := ParsePayload(p, DefaultMaxBulkLen)
		if err != nil {
			t.Fatal(err)
		}
		got := zsetMap(e)
		if name == "text" && math.Signbit(got["b"]) {
			got["b"] = 0
		}
		if redis := redisZRange(t, c, key); !sameZSet(got, redis) {
			t.Errorf("%s: ParsePayload gives\n%v\nZRANGE WITHSCORES says\n%v", name, got, redis)
		}
	}

	// Redis and ParsePayload refuse the same payloads.
	for name, p := range map[string][]byte{
		"NaN":                DumpZSet([][]byte{[]byte("a")}, []float64{math.NaN()}),
		"duplicate":          DumpZSet([][]byte{[]byte("a"), []byte("b"), []byte("a")}, []float64{1, 2, 3}),
		"empty":              DumpZSet(nil, nil),
		"listpack duplicate": seal(cat([]byte{rdbTypeZSetListpack}, blob(listpack("a", int64(1), "a", int64(2))))),
		"odd listpack":       seal(cat([]byte{rdbTypeZSetListpack}, blob(listpack("a", int64(1), "b")))),
		"ziplist duplicate":  seal(cat([]byte{rdbTypeZSetZiplist}, blob(ziplist(int64(5), int64(1), "5", int64(2))))),
		"odd ziplist":        seal(cat([]byte{rdbTypeZSetZiplist}, blob(ziplist("a", int64(1), "b")))),
		"text NaN":           seal(cat([]byte{rdbTypeZSet, 1}, rdbStr("a"), []byte{253})),
	} {
		r, err := c.DoBytes([]byte("RESTORE"), []byte("refused"), []byte("0"), p)
		if err != nil {
			t.Fatal(err)
		}
		if r.Kind != resp.KindError || !strings.Contains(string(r.Str), "Bad data format") {
			t.Errorf("%s: RESTORE replied %v, want Bad data format", name, r)
		}
		if _, err := ParsePayload(p, DefaultMaxBulkLen); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: ParsePayload: %v, want ErrCorrupt", name, err)
		}
	}
}
