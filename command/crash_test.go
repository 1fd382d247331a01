package command_test

import (
	"testing"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/store"
)

// TestCrashReproductions keeps, at the command level and without a
// redis-server, the requests that once panicked inside the store (and so
// killed a whole server): each must get Redis's reply, alone and inside a
// transaction, and leave the store usable with its write lock free. The
// expected texts are redis-server 7.0's, as TestBoundaryDifferential
// compares them.
func TestCrashReproductions(t *testing.T) {
	tooLong := "(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	for _, c := range []struct {
		setup []string
		args  []string
		want  string
	}{
		// offset+len(value) wrapped past MaxInt64, passed the
		// proto-max-bulk-len check, and sliced out of range.
		{nil, []string{"SETRANGE", "k", "9223372036854775807", "x"}, tooLong},
		{[]string{"SET", "k", "10"}, []string{"SETRANGE", "k", "9223372036854775807", "x"}, tooLong},
		{[]string{"SET", "k", "10"}, []string{"SETRANGE", "k", "9223372036854775806", "xy"}, tooLong},
		{nil, []string{"SETRANGE", "k", "9223372036854775807", ""}, "(integer) 0"},
		// A count of -2^63+1 sized a slice of that capacity. Redis would
		// build the whole reply and run out of memory; Shingle refuses
		// counts past store.MaxRandomRepeats.
		{[]string{"HSET", "k", "f", "10"}, []string{"HRANDFIELD", "k", "-9223372036854775807"}, "(error) ERR value is out of range"},
		{nil, []string{"HRANDFIELD", "k", "-9223372036854775807"}, "[]"},
		{[]string{"HSET", "k", "f", "10"}, []string{"HRANDFIELD", "k", "-3"}, `["f" "f" "f"]`},
	} {
		db, err := store.Open("", &store.Options{InMemory: true, ProtoMaxBulkLen: store.DefaultProtoMaxBulkLen})
		if err != nil {
			t.Fatal(err)
		}
		if c.setup != nil {
			command.Do(db, c.setup...)
		}
		if got := command.Do(db, c.args...).String(); got != c.want {
			t.Errorf("%q after %q = %s, want %s", c.args, c.setup, got, c.want)
		}
		replies, err := command.DoTx(db, c.args, []string{"SET", "after", "ok"})
		if err != nil || len(replies) != 2 || replies[0].String() != c.want || replies[1].String() != `"OK"` {
			t.Errorf("MULTI %q SET after ok EXEC = %v, %v", c.args, replies, err)
		}
		done := make(chan command.Reply, 1)
		go func() { done <- command.Do(db, "SET", "probe", "x") }()
		select {
		case r := <-done:
			if r.String() != `"OK"` {
				t.Errorf("SET after %q: %v", c.args, r)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("a write after %q did not complete in 10s: the write lock is held", c.args)
		}
		db.Close()
	}
}
