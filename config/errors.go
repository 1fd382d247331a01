package config

import (
	"errors"
	"strconv"
)

// Error is a configuration error tied to where it was found. Parse,
// ParseFile and CommandLine.Load return every error as an *Error; errors.As
// finds it, and errors.Is sees through it to Err.
type Error struct {
	// File is the file the offending line came from, "-" for stdin, or ""
	// for the command line.
	File string
	// Line is the 1-based line number in File, or 0 when the error is not
	// about one line (a config file that cannot be opened, the command
	// line).
	Line int
	// Msg says what is wrong. Where Redis has words for the same error they
	// are used ("Unbalanced quotes in configuration line"), so that messages
	// read alike.
	Msg string
	// Err is the underlying error, if any: an *fs.PathError for a file that
	// cannot be opened or read, ErrIncludeLoop for an include loop.
	Err error

	// Text and RedisLine are the offending line and its number as
	// redis-server's startup error block shows them (see Directive); empty
	// and 0 when the error is not about one line.
	Text      string
	RedisLine int
	// Reason is the last line of the block redis-server 7.0 prints for
	// this error before exiting: "Unbalanced quotes in configuration line",
	// or RedisBadDirective where Redis does not know what the line is (an
	// empty directive name, include with other than one argument). It is ""
	// when Redis prints no such block: for a file that cannot be opened it
	// logs a different message, and an include loop crashes it.
	Reason string
}

// RedisBadDirective is the reason redis-server 7.0 gives for a line whose
// directive it does not know, or whose number of arguments does not fit
// any directive of that name.
const RedisBadDirective = "Bad directive or wrong number of arguments"

const redisUnbalanced = "Unbalanced quotes in configuration line"

// Error formats e as "config: <file>:<line>: <msg>", leaving out the line
// when it is 0 and writing "command line" for an empty File.
func (e *Error) Error() string {
	s := "config: "
	if e.File == "" {
		s += "command line"
	} else {
		s += e.File
		if e.Line > 0 {
			s += ":" + strconv.Itoa(e.Line)
		}
	}
	return s + ": " + e.Msg
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// ErrIncludeLoop is the Err of the *Error returned when an include directive
// names a file that is already being read through the chain of includes that
// led to it. Redis does not check: it recurses until its stack overflows and
// dies with a segmentation fault, without a message.
var ErrIncludeLoop = errors.New("config: include loop")

// The errors of ParseMemory and ParseBool. Their text is exactly Redis's,
// without a package prefix, so that a server can put err.Error() into a
// CONFIG SET error reply or a startup message and match a stock server.
var (
	ErrNotMemory = errors.New("argument must be a memory value")
	ErrNotBool   = errors.New("argument must be 'yes' or 'no'")
)
