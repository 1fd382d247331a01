package replication

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/shinglekv/shingle/store"
)

// TestBacklog feeds a small backlog changes from a real store, many times
// its size, and checks after each that every offset it claims to hold
// gives exactly the feed's bytes from there, and older ones are refused.
func TestBacklog(t *testing.T) {
	db := memStore(t)
	var feed []byte // the whole feed since the backlog started, for comparison
	var b *Backlog
	var start uint64
	offset, cancel, err := db.Subscribe(func(c store.Change) {
		feed = AppendChange(feed, c)
		b.Append(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	start = offset
	b = NewBacklog(100, offset)
	for i := range 200 {
		db.Set([]byte("k"+strconv.Itoa(i%7)), bytes.Repeat([]byte("v"), i%40))
		end := start + uint64(len(feed))
		first, held := b.Range()
		if want := min(len(feed), 100); held != want || first != end-uint64(held)+1 {
			t.Fatalf("after %d writes: range %d,%d; want %d bytes ending at %d", i+1, first, held, want, end)
		}
		for off := start; off <= end; off++ {
			to := off + (end-off)/2 // a range ending before the newest byte, too
			for _, to := range []uint64{end, to} {
				got, ok := b.Since(off, to)
				inside := end-off <= uint64(held)
				if ok != inside {
					t.Fatalf("Since(%d, %d) ok=%v with %d bytes held up to %d", off, to, ok, held, end)
				}
				if ok && !bytes.Equal(got, feed[off-start:to-start]) {
					t.Fatalf("Since(%d, %d) = %q, want %q", off, to, got, feed[off-start:to-start])
				}
			}
		}
		if _, ok := b.Since(end+1, end+1); ok {
			t.Fatal("an offset beyond the end was accepted")
		}
	}
	// A change that does not continue the backlog empties it.
	b.Append(store.Change{Offset: b.end + 1000, Commands: [][][]byte{{[]byte("PING")}}})
	if _, held := b.Range(); held != len("*1\r\n$4\r\nPING\r\n") {
		t.Fatalf("after a gap the backlog holds %d bytes", held)
	}
}
