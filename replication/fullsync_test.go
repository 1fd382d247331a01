package replication

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/store"
)

// TestSnapshotLoadsIntoRedis writes a store's snapshot as a full sync's
// RDB and has a stock redis-server load it: DEBUG DIGEST of the two agree,
// so every key, type, value, field and expiry made it across.
func TestSnapshotLoadsIntoRedis(t *testing.T) {
	db := memStore(t)
	for i := range 2000 {
		k := []byte("k:" + strconv.Itoa(i))
		switch i % 4 {
		case 0:
			db.Set(k, []byte("v"+strconv.Itoa(i*7)))
		case 1:
			db.Set(k, []byte(strconv.Itoa(i))) // an integer-looking value
		case 2:
			fields := [][]byte{}
			for f := range i%50 + 1 {
				fields = append(fields, []byte("f"+strconv.Itoa(f)), []byte(strconv.Itoa(f*i)))
			}
			db.HSet(k, fields...)
		case 3:
			db.Set(k, make([]byte, i))
			db.Expire(k, time.Hour, store.ExpireAlways)
		}
	}
	snap, cancel, err := db.SubscribeSnapshot(func(store.Change) {})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteSnapshot(f, snap, "7.0.15"); err != nil {
		t.Fatal(err)
	}
	snap.Close()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	want, err := db.Digest()
	if err != nil {
		t.Fatal(err)
	}
	srv := testutil.StartRedis(t, "--dir", dir, "--dbfilename", "dump.rdb", "--enable-debug-command", "yes")
	c := srv.Dial(t)
	r, err := c.Do("DEBUG", "DIGEST")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(r.Str); got != want {
		t.Fatalf("redis-server's DEBUG DIGEST after loading the snapshot = %s, Shingle's = %s", got, want)
	}
}

// TestFullSyncRoundTrip carries a store's snapshot through the RDB stream
// into another store, the way a Shingle replica loads a Shingle primary:
// the digests agree, the replica takes the primary's history, and what
// follows the RDB on the stream is left for the change stream.
func TestFullSyncRoundTrip(t *testing.T) {
	primary, snap := fullSyncFixture(t)
	var stream bytes.Buffer
	if err := WriteSnapshot(&stream, snap, "7.0.15"); err != nil {
		t.Fatal(err)
	}
	stream.WriteString("*1\r\n$4\r\nPING\r\n") // the change stream goes on after the RDB

	replica := memStore(t)
	br := bufio.NewReader(&stream)
	if err := LoadRDB(replica, snap.ReplicationID, snap.Offset, br); err != nil {
		t.Fatal(err)
	}
	want, _ := primary.Digest()
	if got, _ := replica.Digest(); got != want {
		t.Fatalf("replica digest %s, primary %s", got, want)
	}
	if replica.ReplicationID() != primary.ReplicationID() || replica.Offset() != primary.Offset() {
		t.Fatal("the replica did not take the primary's history")
	}
	if rest, _ := io.ReadAll(br); string(rest) != "*1\r\n$4\r\nPING\r\n" {
		t.Fatalf("after the RDB the stream holds %q", rest)
	}
}
