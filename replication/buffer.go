package replication

import (
	"errors"
	"runtime/debug"
	"sync"
	"time"

	"github.com/shinglekv/shingle/store"
)

// OutputLimit is one class of client-output-buffer-limit: Hard bytes at
// most, and no more than Soft for longer than SoftTime; 0 is no limit. A
// Primary applies the replica class to the stream each replica has not
// been sent yet.
type OutputLimit struct {
	Hard, Soft int64
	SoftTime   time.Duration
}

// Why a replica link ends while its stream is fed. They are logged, at
// Warn, when the link ends.
var (
	errReplicaOverflow = errors.New("replication: replica fell too far behind (output buffer limit)")
	errHistoryReset    = errors.New("replication: this replica's own full sync replaced the data set; its replicas sync again")
	errNewHistory      = errors.New("replication: the replication id changed; replicas reconnect to learn it")
	errStreamPanic     = errors.New("replication: feeding this replica's stream panicked; it syncs again")
)

// check applies the limit to a buffer of n bytes at now, above the soft
// limit since *since (zero: not above it), which it updates:
// errReplicaOverflow when the buffer must be dropped.
func (l OutputLimit) check(n int64, since *time.Time, now time.Time) error {
	if l.Hard > 0 && n > l.Hard {
		return errReplicaOverflow
	}
	if l.Soft <= 0 || n <= l.Soft {
		*since = time.Time{}
		return nil
	}
	if since.IsZero() {
		*since = now
	}
	if now.Sub(*since) > l.SoftTime {
		return errReplicaOverflow
	}
	return nil
}

// streamBuffer holds the change stream a replica link has not written yet,
// within the replica class of client-output-buffer-limit. The store's feed
// fills it on the writers' goroutines; the link's goroutine empties it.
type streamBuffer struct {
	limit     OutputLimit
	mu        sync.Mutex
	data      []byte
	last      uint64    // the offset data ends at
	softSince time.Time // when data went above the soft limit; zero when below
	drop      error     // why the link must end: it fell too far behind, or the history restarted
	wake      chan struct{}
	// abort ends the link at once when drop is set, as Redis closes a
	// client past its limit without waiting for its pending write. It
	// runs on a goroutine of its own.
	abort func(why error)
	// panicked logs and counts a panic of add (see add).
	panicked func(v any, stack []byte)
}

func newStreamBuffer(limit OutputLimit, abort func(error), panicked func(any, []byte)) *streamBuffer {
	return &streamBuffer{limit: limit, wake: make(chan struct{}, 1), abort: abort, panicked: panicked}
}

// add takes a change for the replica, as the store's feed delivers it
// (under the store's write lock, on the writer's goroutine). A panic here
// (a bug, reached by the data written) ends this link alone, which syncs
// again: the client that wrote did nothing wrong and is not told, and the
// store does not cancel a subscription the link would go on waiting on.
func (b *streamBuffer) add(c store.Change) {
	defer func() {
		if v := recover(); v != nil {
			b.fail(v, debug.Stack())
		}
	}()
	b.append(c)
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *streamBuffer) append(c store.Change) {
	b.mu.Lock()
	defer b.mu.Unlock()
	dropped := b.drop != nil
	switch {
	case b.drop != nil:
	case c.Reset:
		b.drop = errHistoryReset
	case c.NewHistory:
		b.drop = errNewHistory
	default:
		b.data = AppendChange(b.data, c)
		b.last = c.Offset
		b.drop = b.limit.check(int64(len(b.data)), &b.softSince, time.Now())
	}
	if b.drop != nil && !dropped {
		b.data = nil
		go b.abort(b.drop) // not under the store's lock, which add runs under
	}
}

// fail drops the link after add panicked.
func (b *streamBuffer) fail(v any, stack []byte) {
	b.mu.Lock()
	first := b.drop == nil
	if first {
		b.drop, b.data = errStreamPanic, nil
	}
	b.mu.Unlock()
	if first {
		b.panicked(v, stack)
		go b.abort(errStreamPanic)
	}
}

// dropped returns why the link must end, or nil.
func (b *streamBuffer) dropped() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.drop
}

// take returns the bytes buffered, which the caller now owns, the offset
// they end at, and why the link must end, or nil.
func (b *streamBuffer) take() ([]byte, uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := b.data
	b.data = nil
	return d, b.last, b.drop
}
