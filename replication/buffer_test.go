package replication

import (
	"errors"
	"testing"
	"time"

	"github.com/shinglekv/shingle/store"
)

// TestOutputLimitCheck: the hard limit drops at once, the soft one only
// after SoftTime above it, and going back under it forgets when it was
// passed.
func TestOutputLimitCheck(t *testing.T) {
	t0 := time.Unix(1000, 0)
	l := OutputLimit{Hard: 100, Soft: 50, SoftTime: time.Minute}
	steps := []struct {
		n     int64
		at    time.Duration // after t0
		drop  bool
		since time.Duration // -1: zero
	}{
		{10, 0, false, -1},
		{60, time.Second, false, time.Second},      // above soft: the clock starts
		{70, 30 * time.Second, false, time.Second}, // still within SoftTime
		{40, 40 * time.Second, false, -1},          // back under: forgotten
		{60, 50 * time.Second, false, 50 * time.Second},
		{60, 110 * time.Second, false, 50 * time.Second}, // exactly SoftTime: kept
		{60, 111 * time.Second, true, 50 * time.Second},  // past it: dropped
	}
	var since time.Time
	for i, s := range steps {
		err := l.check(s.n, &since, t0.Add(s.at))
		if (err != nil) != s.drop || err != nil && !errors.Is(err, errReplicaOverflow) {
			t.Fatalf("step %d: %d bytes: err %v, want drop %v", i, s.n, err, s.drop)
		}
		want := time.Time{}
		if s.since >= 0 {
			want = t0.Add(s.since)
		}
		if !since.Equal(want) {
			t.Fatalf("step %d: above soft since %v, want %v", i, since, want)
		}
	}
	for _, c := range []struct {
		l    OutputLimit
		n    int64
		drop bool
	}{
		{OutputLimit{}, 1 << 40, false},                 // no limit
		{OutputLimit{Hard: 100}, 100, false},            // at the limit
		{OutputLimit{Hard: 100}, 101, true},             // past it
		{OutputLimit{Soft: 10, SoftTime: 0}, 11, false}, // soft: the first time, never at once
		{OutputLimit{Hard: 100, Soft: 200}, 150, true},  // hard before soft
	} {
		var since time.Time
		if err := c.l.check(c.n, &since, t0); (err != nil) != c.drop {
			t.Errorf("%+v with %d bytes: err %v, want drop %v", c.l, c.n, err, c.drop)
		}
	}
}

// TestStreamBufferDrops: a buffer past its hard limit, or told that the
// history restarted, drops its data and aborts the link once, with why.
func TestStreamBufferDrops(t *testing.T) {
	set := func(off uint64, v string) store.Change {
		return store.Change{Offset: off, Commands: [][][]byte{{[]byte("SET"), []byte("k"), []byte(v)}}}
	}
	for _, c := range []struct {
		name    string
		limit   OutputLimit
		feed    []store.Change
		want    error
		pending int // bytes left to take when nothing was dropped
	}{
		{"within the limit", OutputLimit{Hard: 100}, []store.Change{set(1, "a"), set(2, "b")}, nil, 2 * len("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\na\r\n")},
		{"past the hard limit", OutputLimit{Hard: 40}, []store.Change{set(1, "a"), set(2, "b")}, errReplicaOverflow, 0},
		{"a full sync of its own", OutputLimit{}, []store.Change{set(1, "a"), {Reset: true}, set(2, "b")}, errHistoryReset, 0},
		{"a new replication id", OutputLimit{}, []store.Change{{NewHistory: true}}, errNewHistory, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			aborts := make(chan error, 10)
			b := newStreamBuffer(c.limit, func(why error) { aborts <- why }, func(any, []byte) { t.Error("panicked") })
			for _, ch := range c.feed {
				b.add(ch)
			}
			data, _, drop := b.take()
			if drop != c.want {
				t.Fatalf("drop %v, want %v", drop, c.want)
			}
			if c.want == nil {
				if len(data) != c.pending {
					t.Fatalf("%d bytes pending, want %d", len(data), c.pending)
				}
				select {
				case <-b.wake:
				default:
					t.Fatal("the link was not woken")
				}
				return
			}
			if len(data) != 0 {
				t.Fatalf("%d bytes kept after the drop", len(data))
			}
			if why := <-aborts; why != c.want {
				t.Fatalf("aborted with %v, want %v", why, c.want)
			}
			b.add(set(9, "more"))
			if len(aborts) != 0 || b.dropped() != c.want {
				t.Fatal("a dropped buffer aborted again or forgot why")
			}
		})
	}
}

// TestStreamBufferPanic: a panic feeding the buffer is reported once and
// ends the link, not the writer.
func TestStreamBufferPanic(t *testing.T) {
	aborts := make(chan error, 10)
	panics := 0
	b := newStreamBuffer(OutputLimit{}, func(why error) { aborts <- why }, func(any, []byte) { panics++ })
	// A bug stands in: waking the link sends on a closed channel.
	b.wake = make(chan struct{})
	close(b.wake)
	b.add(store.Change{Offset: 1, Commands: [][][]byte{{[]byte("PING")}}})
	b.add(store.Change{Offset: 2, Commands: [][][]byte{{[]byte("PING")}}})
	if panics != 1 {
		t.Fatalf("%d panics reported, want 1", panics)
	}
	if why := <-aborts; why != errStreamPanic {
		t.Fatalf("aborted with %v", why)
	}
	if _, _, drop := b.take(); drop != errStreamPanic {
		t.Fatalf("drop %v", drop)
	}
}
