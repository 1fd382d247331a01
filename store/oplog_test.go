package store

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/testutil"
)

// oplogSegments returns the log's segment files in dir.
func oplogSegments(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, oplogDir, "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestOplogSegments: the log rolls to new segments as it grows, deletes
// those whose batches Pebble has flushed, and after a crash (Pebble's
// memtables lost) Open replays what is left, across segments and past a
// torn last record, so that every acknowledged write is there; then the
// log starts afresh.
func TestOplogSegments(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.oplog.segmentSize = 4096
	key := func(i int) []byte { return fmt.Appendf(nil, "key:%d", i) }
	val := func(i, round int) []byte { return fmt.Appendf(nil, "value %d of round %d", i, round) }
	const n = 2000
	for i := range n {
		if err := db.Set(key(i), val(i, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(oplogSegments(t, dir)); got < 10 {
		t.Fatalf("%d segments after %d writes of ~60 bytes in 4 KiB segments", got, n)
	}
	testutil.Eventually(t, 30*time.Second, "the flushed segments to be deleted", func() bool {
		return len(oplogSegments(t, dir)) <= 2
	})
	// Overwrite half, in several segments, and crash.
	for i := range n / 2 {
		if err := db.Set(key(i), val(i, 1)); err != nil {
			t.Fatal(err)
		}
	}
	segs := oplogSegments(t, dir)
	closeUncleanly(t, db)
	// A record torn by the crash, at the end of the last segment.
	f, err := os.OpenFile(segs[len(segs)-1], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0, 0, 0, 40, 1, 2, 3, 4, 0, 0})
	f.Close()

	db, err = Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range n {
		want := val(i, 0)
		if i < n/2 {
			want = val(i, 1)
		}
		if got, err := db.Get(key(i)); err != nil || string(got) != string(want) {
			t.Fatalf("after the crash, GET %s = %q (%v), want %q", key(i), got, err, want)
		}
	}
	if got := oplogSegments(t, dir); len(got) != 1 {
		t.Errorf("after the replay the log has %d segments, want one new one", len(got))
	}
}

// TestOplogCrashTwice: a crash, an Open that recovers from it (and writes
// the new replication history outside the log), more writes and a second
// crash: the second Open replays the log from where the first left it.
func TestOplogCrashTwice(t *testing.T) {
	dir := t.TempDir()
	for round := range 3 {
		db, err := Open(dir, nil)
		if err != nil {
			t.Fatalf("open %d: %v", round, err)
		}
		for r := range round {
			for i := range 100 {
				k, want := fmt.Sprintf("k:%d:%d", r, i), fmt.Sprint(i)
				if got, err := db.Get([]byte(k)); err != nil || string(got) != want {
					t.Fatalf("open %d: GET %s = %q (%v), want %q", round, k, got, err, want)
				}
			}
		}
		for i := range 100 {
			if err := db.Set(fmt.Appendf(nil, "k:%d:%d", round, i), fmt.Append(nil, i)); err != nil {
				t.Fatal(err)
			}
		}
		closeUncleanly(t, db)
	}
}
