package netmode

import (
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/replication/rdb"
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

// TestRedisCliRDBBackup: redis-cli --rdb, which asks for the RDB with the
// older SYNC, saves a snapshot of Shingle over TLS that reads back key by
// key.
func TestRedisCliRDBBackup(t *testing.T) {
	bin := testutil.RequireTool(t, "redis-cli")
	ts := startServer(t, nil)
	want := map[string]string{}
	for i := range 200 {
		k, v := "k:"+strconv.Itoa(i), strings.Repeat("v", i)
		ts.db.Set([]byte(k), []byte(v))
		want[k] = v
	}
	file := filepath.Join(t.TempDir(), "dump.rdb")
	runCli(t, bin, ts.tlsToolArgs(t, true), "--rdb", file)
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := rdb.NewReader(f)
	got := map[string]string{}
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[string(e.Key)] = string(e.Value)
	}
	if !maps.Equal(got, want) {
		t.Fatalf("the backup holds %d keys, want %d (or the values differ)", len(got), len(want))
	}
}
