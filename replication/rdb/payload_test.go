package rdb

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"testing"
)

func TestPayloadRoundTrip(t *testing.T) {
	for _, v := range [][]byte{nil, []byte("0"), []byte("-129"), []byte("4294967296"), bytes.Repeat([]byte("x"), 20000)} {
		e, err := ParsePayload(DumpString(v), DefaultMaxBulkLen)
		if err != nil || e.Type != TypeString || !bytes.Equal(e.Value, v) {
			t.Fatalf("string %q: %+v %v", v, e, err)
		}
	}
	fields := [][]byte{[]byte("a"), []byte("1"), []byte("b"), nil}
	e, err := ParsePayload(DumpHash(fields), DefaultMaxBulkLen)
	if err != nil || e.Type != TypeHash || len(e.Fields) != 4 || string(e.Fields[2]) != "b" {
		t.Fatalf("hash: %+v %v", e, err)
	}
	p := DumpString([]byte("v"))
	for name, bad := range map[string][]byte{
		"short":    p[:9],
		"checksum": append(append([]byte{}, p[:len(p)-1]...), p[len(p)-1]^1),
	} {
		if _, err := ParsePayload(bad, DefaultMaxBulkLen); !errors.Is(err, ErrPayloadVersion) {
			t.Errorf("%s: %v", name, err)
		}
	}
	trailing := seal(append(appendString([]byte{rdbTypeString}, []byte("v")), 'x'))
	if _, err := ParsePayload(trailing, DefaultMaxBulkLen); !errors.Is(err, ErrCorrupt) {
		t.Errorf("bytes after the value: %v", err)
	}
	stream := seal([]byte{rdbTypeStreamListpack2, 0})
	if _, err := ParsePayload(stream, DefaultMaxBulkLen); !errors.Is(err, ErrUnsupportedType) {
		t.Errorf("a stream: %v", err)
	}
	members, scores := [][]byte{[]byte("a"), []byte("12"), {}}, []float64{math.Inf(-1), negZero, 0.1}
	e, err = ParsePayload(DumpZSet(members, scores), DefaultMaxBulkLen)
	if err != nil || e.Type != TypeZSet || !slices.EqualFunc(e.Members, members, bytes.Equal) || !sameScores(e.Scores, scores) {
		t.Fatalf("sorted set: %+v %v", e, err)
	}
}

// FuzzParsePayload: no payload makes ParsePayload panic, and a payload it
// accepts decodes to a value that dumps and parses back the same.
func FuzzParsePayload(f *testing.F) {
	f.Add(DumpString([]byte("hello")))
	f.Add(DumpHash([][]byte{[]byte("f"), []byte("v")}))
	f.Add(DumpSet([][]byte{[]byte("m")}))
	f.Add(DumpList([][]byte{[]byte("a"), []byte("b")}))
	f.Add(DumpZSet([][]byte{[]byte("m"), []byte("7")}, []float64{1.5, math.Inf(-1)}))
	f.Add(seal(cat([]byte{rdbTypeZSetListpack}, blob(listpack("a", int64(1), "b", "2.5")))))
	f.Add(seal(cat([]byte{rdbTypeZSetZiplist}, blob(ziplist("a", int64(-3), int64(5), "inf")))))
	f.Add(seal(cat([]byte{rdbTypeZSet, 2}, rdbStr("a"), textScore("0.25"), rdbStr("b"), []byte{254})))
	f.Add([]byte("garbage garbage"))
	f.Fuzz(func(t *testing.T, p []byte) {
		e, err := ParsePayload(p, 1<<20)
		if err != nil {
			return
		}
		var again *Entry
		switch e.Type {
		case TypeString:
			again, err = ParsePayload(DumpString(e.Value), 1<<20)
		case TypeSet:
			again, err = ParsePayload(DumpSet(e.Members), 1<<20)
		case TypeList:
			again, err = ParsePayload(DumpList(e.Members), 1<<20)
		case TypeZSet:
			checkFuzzedEntry(t, e)
			again, err = ParsePayload(DumpZSet(e.Members, e.Scores), 1<<20)
		default:
			again, err = ParsePayload(DumpHash(e.Fields), 1<<20)
		}
		if err != nil || again.Type != e.Type || !bytes.Equal(again.Value, e.Value) || len(again.Fields) != len(e.Fields) ||
			len(again.Members) != len(e.Members) || !sameScores(again.Scores, e.Scores) {
			t.Fatalf("round trip of %+v: %+v %v", e, again, err)
		}
	})
}
