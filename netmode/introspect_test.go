package netmode

import (
	"strconv"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/internal/testutil"
)

// TestIntrospectionLikeRedis compares LATENCY, MEMORY and LOLWUT with a
// redis-server that has Shingle's settings (no latency monitor or
// tracking) where the replies do not describe the server itself.
func TestIntrospectionLikeRedis(t *testing.T) {
	rc := testutil.StartRedis(t, "--latency-tracking", "no").Dial(t)
	sc := startServer(t, nil).raw(t)
	sameAsRedis(t, rc, sc, [][]string{
		{"LATENCY", "LATEST"}, {"LATENCY", "HISTORY", "command"}, {"LATENCY", "HISTORY"},
		{"LATENCY", "RESET"}, {"LATENCY", "RESET", "a", "b"}, {"LATENCY", "GRAPH", "command"},
		{"LATENCY", "HISTOGRAM"}, {"LATENCY", "HISTOGRAM", "set"}, {"LATENCY", "HELP"}, {"LATENCY", "BOGUS"},
		{"MEMORY", "HELP"}, {"MEMORY", "USAGE", "nokey"}, {"MEMORY", "USAGE", "nokey", "SAMPLES", "x"},
		{"MEMORY", "USAGE", "nokey", "BOGUS"}, {"MEMORY", "PURGE"}, {"MEMORY", "BOGUS"}, {"MEMORY", "USAGE"},
		{"LOLWUT", "VERSION", "x"},
	}, nil)
	// MEMORY USAGE grows with what a key holds, sampled or not.
	usage := func(args ...string) int64 {
		t.Helper()
		r, err := sc.Do(append([]string{"MEMORY", "USAGE"}, args...)...)
		if err != nil || r.IsError() {
			t.Fatalf("MEMORY USAGE %q: %v, %v", args, r, err)
		}
		return r.Int
	}
	mustDo(t, sc, "SET", "small", "x")
	mustDo(t, sc, "SET", "big", strings.Repeat("x", 10000))
	if s, b := usage("small"), usage("big"); s <= 0 || b < 10000 || b <= s {
		t.Errorf("MEMORY USAGE of a 1-byte and a 10000-byte string: %d, %d", s, b)
	}
	for i := range 100 {
		mustDo(t, sc, "ZADD", "z", strconv.Itoa(i), "member:"+strconv.Itoa(i))
	}
	all, sampled := usage("z", "SAMPLES", "0"), usage("z")
	if all < 100*2*int64(len("member:00")) || sampled < all/2 || sampled > all*2 {
		t.Errorf("MEMORY USAGE of a 100-member sorted set: %d read whole, %d from 5 samples", all, sampled)
	}
	if r := mustDo(t, sc, "LOLWUT"); !strings.Contains(r, "Shingle ver.") {
		t.Errorf("LOLWUT: %s", r)
	}
}
