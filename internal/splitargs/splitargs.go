package splitargs

import (
	"bytes"
	"errors"
)

// ErrUnbalancedQuotes is returned for a quote left open or a closing quote
// followed by something other than white space. Redis reports both as
// "-ERR Protocol error: unbalanced quotes in request" for an inline command
// (and then closes the connection) and as "Unbalanced quotes in
// configuration line" in a config file.
var ErrUnbalancedQuotes = errors.New("splitargs: unbalanced quotes")

// Split splits line into arguments with Redis's sdssplitargs rules (see the
// package documentation). An empty or all-space line gives an empty slice and
// no error.
//
// The arguments never alias line, so the caller may reuse line's buffer. They
// share one backing array allocated for the call, each capped at its own
// length, so appending to one copies it rather than overwriting the next.
// Split is safe for concurrent use.
func Split(line []byte) ([][]byte, error) {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	n := len(line)
	args := make([][]byte, 0, countWords(line))
	if cap(args) == 0 {
		return args, nil
	}
	// The arguments are never longer than the line: quotes are dropped and
	// every escape is shorter than the byte it stands for.
	buf := make([]byte, 0, n)
	i := 0
	for {
		for i < n && isSpace(line[i]) {
			i++
		}
		if i == n {
			return args, nil
		}
		start := len(buf)
		inDouble, inSingle := false, false
		for done := false; !done; {
			// c is 0 past the end, standing for the C string's terminator.
			c := at(line, i)
			switch {
			case inDouble:
				switch {
				case c == '\\' && at(line, i+1) == 'x' && isHex(at(line, i+2)) && isHex(at(line, i+3)):
					buf = append(buf, unhex(line[i+2])<<4|unhex(line[i+3]))
					i += 3
				case c == '\\' && at(line, i+1) != 0:
					i++
					buf = append(buf, unescape(line[i]))
				case c == '"':
					if next := at(line, i+1); next != 0 && !isSpace(next) {
						return nil, ErrUnbalancedQuotes
					}
					done = true
				case c == 0:
					return nil, ErrUnbalancedQuotes
				default:
					// Copy the run of plain bytes at once.
					j := i + 1
					for j < n && line[j] != '\\' && line[j] != '"' {
						j++
					}
					buf = append(buf, line[i:j]...)
					i = j - 1
				}
			case inSingle:
				switch {
				case c == '\\' && at(line, i+1) == '\'':
					i++
					buf = append(buf, '\'')
				case c == '\'':
					if next := at(line, i+1); next != 0 && !isSpace(next) {
						return nil, ErrUnbalancedQuotes
					}
					done = true
				case c == 0:
					return nil, ErrUnbalancedQuotes
				default:
					j := i + 1
					for j < n && line[j] != '\\' && line[j] != '\'' {
						j++
					}
					buf = append(buf, line[i:j]...)
					i = j - 1
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inDouble = true
				case '\'':
					inSingle = true
				default:
					j := i + 1
					for j < n && !endsWord(line[j]) {
						j++
					}
					buf = append(buf, line[i:j]...)
					i = j - 1
				}
			}
			if i < n {
				i++
			}
		}
		end := len(buf)
		args = append(args, buf[start:end:end])
	}
}

// countWords returns an upper bound on the number of arguments in line: the
// number of bytes that are not isspace and follow one that is (or start the
// line). Every argument starts at such a byte, because an argument ends only
// at white space or at the end of the line.
func countWords(line []byte) int {
	words := 0
	prevSpace := true
	for _, c := range line {
		sp := isSpace(c)
		if prevSpace && !sp {
			words++
		}
		prevSpace = sp
	}
	return words
}

// Byte classes, looked up in a table because the loops above test every
// byte of every inline command.
const (
	space   = 1 << iota // C isspace in the C locale, which Redis never changes for LC_CTYPE
	endWord             // ends a run of plain bytes in an unquoted argument: a separator or a quote
)

var class = [256]uint8{
	' ': space | endWord, '\t': space | endWord, '\n': space | endWord, '\r': space | endWord,
	'\v': space, '\f': space,
	'"': endWord, '\'': endWord,
}

func isSpace(c byte) bool  { return class[c]&space != 0 }
func endsWord(c byte) bool { return class[c]&endWord != 0 }

// at returns line[i], or 0 past the end, as reading a C string would.
func at(line []byte, i int) byte {
	if i < len(line) {
		return line[i]
	}
	return 0
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

// unescape returns the byte a backslash followed by c stands for inside
// double quotes.
func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}
