package replication

import (
	"sync"

	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/store"
)

// Backlog keeps the most recent bytes of the change feed, RESP-encoded as
// replicas receive them (repl-backlog-size), so that a replica reconnecting
// at an offset it holds gets +CONTINUE and only what it missed. It is a
// ring: appending past its size forgets the oldest bytes. Safe for
// concurrent use.
type Backlog struct {
	mu   sync.Mutex
	ring []byte
	end  uint64 // the feed offset just after the newest byte
	held int    // bytes held, at most len(ring)
	buf  []byte // encoding scratch
}

// AppendChange appends c as replicas receive it: its commands, RESP-encoded
// one after another, exactly the bytes its offset counts.
func AppendChange(dst []byte, c store.Change) []byte {
	if c.Raw != nil {
		return append(dst, c.Raw...)
	}
	for _, cmd := range c.Commands {
		dst = resp.AppendCommand(dst, cmd...)
	}
	return dst
}

// NewBacklog returns an empty backlog of size bytes (at least one) whose
// next byte is at offset (the store's offset when it starts following the
// feed).
func NewBacklog(size int, offset uint64) *Backlog {
	return &Backlog{ring: make([]byte, max(size, 1)), end: offset}
}

// Append adds a change, as Subscribe delivers it. A change that does not
// start where the backlog ends (the feed was restarted, or a change was
// missed), or a Reset, empties the backlog first: it never holds a gap, nor
// bytes of another history.
func (b *Backlog) Append(c store.Change) {
	if c.NewHistory {
		return // the same bytes go on
	}
	b.mu.Lock()
	whole := false
	defer func() {
		if !whole { // a panic half way: hold nothing rather than a torn change
			b.held = 0
		}
		b.mu.Unlock()
	}()
	b.buf = AppendChange(b.buf[:0], c)
	if c.Reset || c.Offset != b.end+uint64(len(b.buf)) {
		b.held = 0
	}
	b.end = c.Offset
	data := b.buf
	if len(data) > len(b.ring) {
		data = data[len(data)-len(b.ring):]
	}
	at := int((c.Offset - uint64(len(data))) % uint64(len(b.ring)))
	n := copy(b.ring[at:], data)
	copy(b.ring, data[n:])
	b.held = min(b.held+len(b.buf), len(b.ring))
	whole = true
}

// Since returns a copy of the bytes from offset from to offset to, and
// whether the backlog holds them all (from may equal to: nothing missed).
func (b *Backlog) Since(from, to uint64) ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if from > to || to > b.end || b.end-from > uint64(b.held) {
		return nil, false
	}
	out := make([]byte, int(to-from))
	at := int(from % uint64(len(b.ring)))
	k := copy(out, b.ring[at:])
	copy(out[k:], b.ring)
	return out, true
}

// Range returns what INFO replication reports: the offset of the first
// byte held (Redis's repl_backlog_first_byte_offset, counting from 1) and
// the number of bytes held (repl_backlog_histlen).
func (b *Backlog) Range() (firstByte uint64, held int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.end - uint64(b.held) + 1, b.held
}
