package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// AppendReply appends r to dst as protocol version proto (2 or 3) writes it.
func AppendReply(dst []byte, r Reply, proto int) []byte {
	switch r.Kind {
	case KindStatus:
		return appendLine(append(dst, '+'), r.Str)
	case KindError:
		return appendLine(append(dst, '-'), r.Str)
	case KindInt:
		return appendInt(append(dst, ':'), r.Int)
	case KindBulk:
		return appendBulk(dst, r.Str)
	case KindNull:
		if proto >= 3 {
			return append(dst, "_\r\n"...)
		}
		return append(dst, "$-1\r\n"...)
	case KindNullArray:
		if proto >= 3 {
			return append(dst, "_\r\n"...)
		}
		return append(dst, "*-1\r\n"...)
	case KindDouble:
		if proto >= 3 {
			return appendLine(append(dst, ','), r.Str)
		}
		return appendBulk(dst, r.Str)
	case KindBool:
		if proto >= 3 {
			if r.Int != 0 {
				return append(dst, "#t\r\n"...)
			}
			return append(dst, "#f\r\n"...)
		}
		return appendInt(append(dst, ':'), r.Int)
	case KindVerbatim:
		if proto >= 3 {
			dst = appendInt(append(dst, '='), int64(len(r.Str)+4))
			dst = append(dst, "txt:"...)
			return append(append(dst, r.Str...), '\r', '\n')
		}
		return appendBulk(dst, r.Str)
	}
	prefix, n := byte('*'), len(r.Elems)
	if proto >= 3 {
		switch r.Kind {
		case KindMap:
			prefix, n = '%', n/2
		case KindSet:
			prefix = '~'
		}
	}
	dst = appendInt(append(dst, prefix), int64(n))
	for _, e := range r.Elems {
		dst = AppendReply(dst, e, proto)
	}
	return dst
}

func appendLine(dst, s []byte) []byte {
	return append(append(dst, s...), '\r', '\n')
}

func appendInt(dst []byte, n int64) []byte {
	return append(strconv.AppendInt(dst, n, 10), '\r', '\n')
}

func appendBulk(dst, b []byte) []byte {
	dst = appendInt(append(dst, '$'), int64(len(b)))
	return append(append(dst, b...), '\r', '\n')
}

// AppendCommand appends args as a RESP array of bulk strings: a request, or
// a propagated command.
func AppendCommand(dst []byte, args ...[]byte) []byte {
	dst = appendInt(append(dst, '*'), int64(len(args)))
	for _, a := range args {
		dst = appendBulk(dst, a)
	}
	return dst
}

// ErrProtocol reports a malformed reply.
var ErrProtocol = errors.New("resp: protocol error")

// maxReplyLen bounds a bulk string or aggregate length read from a peer.
const maxReplyLen = 1 << 32

// ReadReply reads one reply, RESP2 or RESP3. Maps come back as KindMap with
// their pairs flattened, as Reply represents them; RESP3 attributes
// are skipped; push messages come back as KindArray.
func ReadReply(r *bufio.Reader) (Reply, error) {
	line, err := readLine(r)
	if err != nil {
		return Reply{}, err
	}
	if len(line) == 0 {
		return Reply{}, fmt.Errorf("%w: empty line", ErrProtocol)
	}
	// line is the reader's buffer, which the reads below move: keep the
	// type byte, and read body before them.
	kind, body := line[0], line[1:]
	switch kind {
	case '+':
		return Status(string(body)), nil
	case '-':
		return ErrorReply(string(body)), nil
	case ':':
		n, err := strconv.ParseInt(string(body), 10, 64)
		if err != nil {
			return Reply{}, fmt.Errorf("%w: bad integer %q", ErrProtocol, body)
		}
		return Int(n), nil
	case '_':
		return Null(), nil
	case '#':
		return Reply{Kind: KindBool, Int: map[bool]int64{true: 1}[string(body) == "t"]}, nil
	case ',':
		return Reply{Kind: KindDouble, Str: []byte(string(body))}, nil
	case '(':
		return BulkString(string(body)), nil
	case '$', '=', '!':
		n, err := readLen(body)
		if err != nil || n < 0 {
			if n == -1 && kind == '$' {
				return Null(), nil
			}
			return Reply{}, fmt.Errorf("%w: bad length %q", ErrProtocol, body)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return Reply{}, err
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return Reply{}, fmt.Errorf("%w: bulk string not terminated", ErrProtocol)
		}
		switch kind {
		case '=':
			if n < 4 {
				return Reply{}, fmt.Errorf("%w: short verbatim string", ErrProtocol)
			}
			return Reply{Kind: KindVerbatim, Str: buf[4:n]}, nil
		case '!':
			return ErrorReply(string(buf[:n])), nil
		}
		return Bulk(buf[:n]), nil
	case '*', '%', '~', '>', '|':
		n, err := readLen(body)
		if err != nil {
			return Reply{}, fmt.Errorf("%w: bad length %q", ErrProtocol, body)
		}
		if n == -1 && kind == '*' {
			return Reply{Kind: KindNullArray}, nil
		}
		if n < 0 {
			return Reply{}, fmt.Errorf("%w: bad length %q", ErrProtocol, body)
		}
		count := n
		if kind == '%' || kind == '|' {
			count *= 2
		}
		elems := make([]Reply, 0, min(count, 1024))
		for range count {
			e, err := ReadReply(r)
			if err != nil {
				return Reply{}, err
			}
			elems = append(elems, e)
		}
		switch kind {
		case '%':
			return Reply{Kind: KindMap, Elems: elems}, nil
		case '~':
			return Reply{Kind: KindSet, Elems: elems}, nil
		case '|':
			return ReadReply(r) // attributes precede the reply they describe
		}
		return Array(elems...), nil
	}
	return Reply{}, fmt.Errorf("%w: unknown type byte %q", ErrProtocol, kind)
}

func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return nil, fmt.Errorf("%w: line too long", ErrProtocol)
	}
	if err != nil {
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("%w: line not terminated by CRLF", ErrProtocol)
	}
	return line[:len(line)-2], nil
}

func readLen(b []byte) (int, error) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n < -1 || n > maxReplyLen {
		return 0, ErrProtocol
	}
	return int(n), nil
}
