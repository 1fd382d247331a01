package netmode

import (
	"net"
	"strconv"
	"testing"

	"github.com/shinglekv/shingle/internal/testutil"
)

// TestMigrateWithRedis moves keys by MIGRATE from Shingle to a stock
// redis-server and back, and compares the replies of the two sides to
// the same failures.
func TestMigrateWithRedis(t *testing.T) {
	port := testutil.FreePort(t)
	rd := testutil.StartRedis(t, "--port", strconv.Itoa(port), "--bind", "127.0.0.1")
	rc := rd.Dial(t)
	ts := startServer(t, nil)
	sc := ts.raw(t)
	_, sport, _ := net.SplitHostPort(ts.tcp)
	rport := strconv.Itoa(port)

	mustOK(t, sc, "SET", "a", "1")
	str(t, sc, "HSET", "h", "f", "v", "g", "w")
	mustOK(t, sc, "SET", "t", "x", "PX", "100000")
	if got := str(t, sc, "MIGRATE", "127.0.0.1", rport, "", "0", "5000", "KEYS", "a", "h", "t", "nokey"); got != "OK" {
		t.Fatalf("MIGRATE to Redis: %s", got)
	}
	if got := str(t, sc, "EXISTS", "a", "h", "t"); got != "(integer) 0" {
		t.Fatalf("the keys are still here: %s", got)
	}
	if got := str(t, rc, "HGET", "h", "g"); got != "w" {
		t.Fatalf("Redis's hash: %s", got)
	}
	if got := str(t, rc, "PTTL", "t"); got == "(integer) -1" || got == "(integer) -2" {
		t.Fatalf("Redis's copy lost its TTL: %s", got)
	}
	// COPY keeps the key here.
	mustOK(t, sc, "SET", "c", "2")
	if got := str(t, sc, "MIGRATE", "127.0.0.1", rport, "c", "0", "5000", "COPY"); got != "OK" {
		t.Fatalf("MIGRATE COPY: %s", got)
	}
	if got := str(t, sc, "GET", "c"); got != "2" {
		t.Fatalf("COPY removed the key: %s", got)
	}
	// The same failure from both sides: the target has the key.
	shingleBusy := str(t, sc, "MIGRATE", "127.0.0.1", rport, "c", "0", "5000")
	mustOK(t, rc, "SET", "c", "3")
	mustOK(t, sc, "SET", "c", "3")
	redisBusy := str(t, rc, "MIGRATE", "127.0.0.1", sport, "c", "0", "5000")
	if shingleBusy != redisBusy || shingleBusy != "ERR Target instance replied with error: BUSYKEY Target key name already exists." {
		t.Fatalf("a key the target has:\n shingle %s\n redis   %s", shingleBusy, redisBusy)
	}
	// Redis to Shingle, with REPLACE.
	if got := str(t, rc, "MIGRATE", "127.0.0.1", sport, "", "0", "5000", "REPLACE", "KEYS", "a", "h", "t", "c"); got != "OK" {
		t.Fatalf("MIGRATE from Redis: %s", got)
	}
	if got := str(t, sc, "HGET", "h", "f"); got != "v" {
		t.Fatalf("the hash back from Redis: %s", got)
	}
	if got := str(t, sc, "GET", "c"); got != "3" {
		t.Fatalf("the replaced key: %s", got)
	}
	for _, c := range []*testutil.Client{sc, rc} {
		if got := str(t, c, "MIGRATE", "127.0.0.1", rport, "none", "0", "5000"); got != "NOKEY" {
			t.Fatalf("MIGRATE of a missing key: %s", got)
		}
	}
	if got, want := str(t, sc, "MIGRATE", "127.0.0.1", rport, "a", "0", "5000", "KEYS", "b"), str(t, rc, "MIGRATE", "127.0.0.1", sport, "a", "0", "5000", "KEYS", "b"); got != want {
		t.Fatalf("KEYS with a key argument:\n shingle %s\n redis   %s", got, want)
	}
}
