package replication

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/shinglekv/shingle/store"
)

// fullSyncFixture returns a primary with data and a snapshot of it.
func fullSyncFixture(t *testing.T) (*store.DB, *store.Snapshot) {
	t.Helper()
	primary := memStore(t)
	for i := range 300 {
		k := []byte("k" + strconv.Itoa(i))
		if i%2 == 0 {
			primary.Set(k, []byte(strconv.Itoa(i)))
		} else {
			primary.HSet(k, []byte("f"), []byte(strconv.Itoa(i)))
		}
		if i%5 == 0 {
			primary.Expire(k, time.Hour, store.ExpireAlways)
		}
	}
	snap, cancel, err := primary.SubscribeSnapshot(func(store.Change) {})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	t.Cleanup(func() { snap.Close() })
	return primary, snap
}

// memStore opens an in-memory store, closed at the end of the test.
func memStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open("", &store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestFullSyncFraming carries a full sync in both of Redis's framings,
// with keepalive newlines before the payload and the change stream after
// it: the replica ends with the primary's data and history, and the
// stream's first byte is next on the reader. Broken framing is refused.
func TestFullSyncFraming(t *testing.T) {
	primary, snap := fullSyncFixture(t)
	want, _ := primary.Digest()
	const next = "*1\r\n$4\r\nPING\r\n"

	var diskless bytes.Buffer
	diskless.WriteString(FullResync(snap))
	if err := WriteDisklessRDB(&diskless, snap, "7.0.15"); err != nil {
		t.Fatal(err)
	}
	var rdbBody bytes.Buffer
	if err := WriteSnapshot(&rdbBody, snap, "7.0.15"); err != nil {
		t.Fatal(err)
	}
	head := fmt.Sprintf("+FULLRESYNC %s %d\r\n", snap.ReplicationID, snap.Offset)
	withKeepalives := head + "\n\n" + diskless.String()[len(head):]
	fromFile := head + fmt.Sprintf("$%d\r\n", rdbBody.Len()) + rdbBody.String()

	for name, stream := range map[string]string{"diskless": withKeepalives, "from a file": fromFile} {
		replica := memStore(t)
		br := bufio.NewReader(bytes.NewBufferString(stream + next))
		id, off, err := readSync(br, replica)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if id != snap.ReplicationID || off != snap.Offset {
			t.Fatalf("%s: history %s@%d", name, id, off)
		}
		if got, _ := replica.Digest(); got != want {
			t.Fatalf("%s: replica digest %s, want %s", name, got, want)
		}
		if rest, _ := io.ReadAll(br); string(rest) != next {
			t.Fatalf("%s: after the sync the reader holds %q", name, rest)
		}
	}

	s := diskless.String()
	for name, bad := range map[string]string{
		"wrong end marker":  s[:len(s)-1] + "x",
		"not FULLRESYNC":    "+CONTINUE\r\n",
		"length too long":   head + fmt.Sprintf("$%d\r\n", rdbBody.Len()+3) + rdbBody.String() + "abc",
		"garbage payload":   head + "hello\r\n",
		"cut in the middle": s[:len(s)/2],
	} {
		_, _, err := readSync(bufio.NewReader(bytes.NewBufferString(bad)), memStore(t))
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if name != "cut in the middle" && !errors.Is(err, ErrBadSync) {
			t.Errorf("%s: %v, want ErrBadSync", name, err)
		}
	}
}

// readSync reads a full sync from its first line, as the replica does.
func readSync(br *bufio.Reader, db *store.DB) (string, uint64, error) {
	line, err := readLine(br)
	if err != nil {
		return "", 0, err
	}
	return readFullSync(br, db, false, line, nil)
}
