package resp

import (
	"bytes"
	"errors"
	"io"
	"sync"

	"github.com/shinglekv/shingle/internal/redisnum"
	"github.com/shinglekv/shingle/internal/splitargs"
)

// ProtocolError is a malformed request. Its text is Redis's, so that the
// server can answer "-ERR " + its text and close, as Redis does.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "Protocol error: " + e.Msg }

// ErrQueryBufferLimit is returned when a request needs more buffered bytes
// than RequestReader.MaxQueryBuffer allows (client-query-buffer-limit).
var ErrQueryBufferLimit = errors.New("resp: client query buffer limit reached")

// Limits of Redis's request parser.
const (
	inlineMax       = 64 << 10 // PROTO_INLINE_MAX_SIZE: longest inline request or length line
	maxMultibulk    = 1<<31 - 1
	unauthMultibulk = 10    // arguments an unauthenticated client may send
	unauthBulk      = 16384 // bytes per argument an unauthenticated client may send
	idleBufSize     = 512
	busyBufSize     = 16 << 10
)

// busyBufs recycles the read buffers of connections between bursts, so that
// an idle connection holds only its small inline buffer.
var busyBufs = sync.Pool{New: func() any { b := make([]byte, busyBufSize); return &b }}

// RequestReader reads client requests, RESP arrays of bulk strings or
// inline commands, with Redis's limits and error texts. A command may arrive
// split at any byte, and several may arrive at once (pipelining); the reader
// hands out every complete command it holds before reading again. It is not
// safe for concurrent use.
type RequestReader struct {
	rd io.Reader

	// MaxBulkLen is the longest argument accepted (proto-max-bulk-len).
	MaxBulkLen int64
	// MaxQueryBuffer is the most bytes one request may need buffered
	// (client-query-buffer-limit).
	MaxQueryBuffer int64
	// Unauthenticated applies Redis's tighter limits for clients that have
	// not authenticated: 10 arguments, 16 KiB each.
	Unauthenticated bool
	// InputBytes counts the bytes read so far.
	InputBytes int64

	small [idleBufSize]byte
	buf   []byte // small[:] or a larger buffer
	r, w  int    // unread bytes are buf[r:w]

	// The command being assembled; positions are relative to r.
	pending int   // array elements still to come; 0 when no array is open
	bulk    int   // length of the element whose data is awaited; -1: its header is
	pos     int   // next byte to parse
	marks   []int // start, end of each element read so far
	args    [][]byte
}

// NewRequestReader reads requests from rd.
func NewRequestReader(rd io.Reader) *RequestReader {
	r := &RequestReader{rd: rd, MaxBulkLen: 512 << 20, MaxQueryBuffer: 1 << 30, bulk: -1}
	r.buf = r.small[:]
	return r
}

// Next returns the next command's arguments. A command already buffered is
// returned without reading. Otherwise, with block false, Next returns nil and
// no error, so that the caller can send the replies it owes before waiting;
// with block true it reads until a command is complete. The arguments alias
// the reader's buffer and are valid until the next call.
//
// Errors: a *ProtocolError for a malformed request, ErrQueryBufferLimit, or
// the underlying reader's error (io.EOF when the peer closed cleanly between
// commands).
func (r *RequestReader) Next(block bool) ([][]byte, error) {
	for {
		args, err := r.parse()
		if err != nil || args != nil {
			return args, err
		}
		if !block {
			return nil, nil
		}
		if err := r.Fill(); err != nil {
			if err == io.EOF && (r.r < r.w || r.pending > 0) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

// Buffered returns the bytes read but not yet parsed.
func (r *RequestReader) Buffered() []byte { return r.buf[r.r:r.w] }

// Fill reads once from the underlying reader, making room first.
func (r *RequestReader) Fill() error {
	need := r.w - r.r + 1 // at least one more byte
	if r.pending > 0 && r.bulk >= 0 {
		need = r.pos + r.bulk + 2 // the whole element awaited
	}
	if int64(need) > r.MaxQueryBuffer {
		return ErrQueryBufferLimit
	}
	if r.w == len(r.buf) {
		live := r.w - r.r
		if r.r > 0 && need <= len(r.buf) {
			r.w = copy(r.buf, r.buf[r.r:r.w])
			r.r = 0
		} else {
			// Double, but no further than the element awaited: the
			// buffer grows with what arrives, not with what a length
			// header announced, so a few bytes claiming a 512 MiB
			// argument do not cost 512 MiB before the data is there.
			size := max(2*len(r.buf), busyBufSize)
			if r.pending > 0 && r.bulk >= 0 {
				size = min(size, need)
			}
			size = int(min(int64(max(size, live+1)), r.MaxQueryBuffer))
			var nb []byte
			if size == busyBufSize {
				nb = *busyBufs.Get().(*[]byte)
			} else {
				nb = make([]byte, size)
			}
			n := copy(nb, r.buf[r.r:r.w])
			r.recycle()
			r.buf, r.r, r.w = nb, 0, n
		}
	}
	n, err := r.rd.Read(r.buf[r.w:])
	r.w += n
	r.InputBytes += int64(n)
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// recycle gives a standard-size buffer back to the pool.
func (r *RequestReader) recycle() {
	if len(r.buf) == busyBufSize && &r.buf[0] != &r.small[0] {
		b := r.buf
		busyBufs.Put(&b)
	}
}

// parse returns a complete command from the buffer, or nil.
func (r *RequestReader) parse() ([][]byte, error) {
	for {
		if r.r == r.w && r.pending == 0 {
			// Drained between commands: an idle connection keeps only its
			// small buffer.
			if &r.buf[0] != &r.small[0] {
				r.recycle()
				r.buf = r.small[:]
			}
			r.r, r.w = 0, 0
			return nil, nil
		}
		if r.pending == 0 {
			if r.buf[r.r] != '*' {
				args, done, err := r.parseInline()
				if err != nil || !done || args != nil {
					return args, err
				}
				continue // an empty line
			}
			n, done, err := r.parseCount()
			if err != nil || !done {
				return nil, err
			}
			if n <= 0 {
				r.consume()
				continue // "*0" and "*-1" are nothing to run, as in Redis
			}
			r.pending = n
			r.marks = r.marks[:0]
		}
		for r.pending > 0 {
			if r.bulk < 0 {
				done, err := r.parseBulkHeader()
				if err != nil || !done {
					return nil, err
				}
			}
			end := r.pos + r.bulk
			if r.r+end+2 > r.w {
				return nil, nil
			}
			// Redis does not check the CRLF after the data either.
			r.marks = append(r.marks, r.pos, end)
			r.pos = end + 2
			r.bulk = -1
			r.pending--
		}
		base := r.buf[r.r:]
		r.args = r.args[:0]
		for i := 0; i < len(r.marks); i += 2 {
			r.args = append(r.args, base[r.marks[i]:r.marks[i+1]:r.marks[i+1]])
		}
		r.consume()
		return r.args, nil
	}
}

// consume drops the parsed command from the buffer.
func (r *RequestReader) consume() {
	r.r += r.pos
	r.pos = 0
}

// line finds the CR of a length line starting at r.r+from. Like Redis, it
// looks for '\r' and then takes the next byte to be '\n' without checking.
func (r *RequestReader) line(from int, tooBig string) (cr int, done bool, err error) {
	i := bytes.IndexByte(r.buf[r.r+from:r.w], '\r')
	if i < 0 {
		if r.w-r.r-from > inlineMax {
			return 0, false, &ProtocolError{tooBig}
		}
		return 0, false, nil
	}
	cr = from + i
	if r.r+cr+1 >= r.w {
		return 0, false, nil
	}
	return cr, true, nil
}

func (r *RequestReader) parseCount() (int, bool, error) {
	cr, done, err := r.line(0, "too big mbulk count string")
	if !done {
		return 0, false, err
	}
	n, ok := redisnum.ParseInt(r.buf[r.r+1 : r.r+cr])
	if !ok || n > maxMultibulk {
		return 0, false, &ProtocolError{"invalid multibulk length"}
	}
	if n > unauthMultibulk && r.Unauthenticated {
		return 0, false, &ProtocolError{"unauthenticated multibulk length"}
	}
	r.pos = cr + 2
	return int(n), true, nil
}

func (r *RequestReader) parseBulkHeader() (bool, error) {
	cr, done, err := r.line(r.pos, "too big bulk count string")
	if !done {
		return false, err
	}
	if c := r.buf[r.r+r.pos]; c != '$' {
		return false, &ProtocolError{"expected '$', got '" + string(c) + "'"}
	}
	n, ok := redisnum.ParseInt(r.buf[r.r+r.pos+1 : r.r+cr])
	if !ok || n < 0 || n > r.MaxBulkLen {
		return false, &ProtocolError{"invalid bulk length"}
	}
	if n > unauthBulk && r.Unauthenticated {
		return false, &ProtocolError{"unauthenticated bulk length"}
	}
	r.pos = cr + 2
	r.bulk = int(n)
	return true, nil
}

// parseInline reads a command typed as a line of words, as telnet and
// redis-cli's inline mode send it. An empty line gives done with no args.
func (r *RequestReader) parseInline() (args [][]byte, done bool, err error) {
	i := bytes.IndexByte(r.buf[r.r:r.w], '\n')
	if i < 0 {
		if r.w-r.r > inlineMax {
			return nil, false, &ProtocolError{"too big inline request"}
		}
		return nil, false, nil
	}
	line := r.buf[r.r : r.r+i]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, err = splitargs.Split(line)
	if err != nil {
		return nil, false, &ProtocolError{"unbalanced quotes in request"}
	}
	r.r += i + 1
	if len(args) == 0 {
		return nil, true, nil
	}
	return args, true, nil
}
