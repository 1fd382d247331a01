package netmode

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/internal/testutil"
)

// TestRedisReplicatesFromShingle starts a stock redis-server as a replica
// of Shingle (--replicaof): it completes the handshake and the full sync
// (the same DEBUG DIGEST), then follows the change stream.
func TestRedisReplicatesFromShingle(t *testing.T) {
	ts := startServer(t, nil)
	for i := range 300 {
		k := []byte("k:" + strconv.Itoa(i))
		if i%2 == 0 {
			ts.db.Set(k, []byte(strconv.Itoa(i)))
		} else {
			ts.db.HSet(k, []byte("f"), []byte("v"+strconv.Itoa(i)))
		}
	}
	host, port, _ := net.SplitHostPort(ts.tcp)
	replica := testutil.StartRedis(t, "--replicaof", host, port, "--enable-debug-command", "yes")
	rc := replica.Dial(t)
	digest := func() string {
		r, err := rc.Do("DEBUG", "DIGEST")
		if err != nil {
			t.Fatal(err)
		}
		return string(r.Str)
	}
	want, _ := ts.db.Digest()
	eventually(t, "the replica's full sync", func() bool {
		r, err := rc.Do("INFO", "replication")
		return err == nil && strings.Contains(string(r.Str), "master_link_status:up") && digest() == want
	})
	c := ts.raw(t)
	mustDo(t, c, "SET", "after", "sync")
	mustDo(t, c, "HSET", "k:1", "g", "new")
	mustDo(t, c, "DEL", "k:0")
	want, _ = ts.db.Digest()
	eventually(t, "the replica to follow the stream", func() bool { return digest() == want })
}
