package store

import "errors"

// Engine errors, for Go callers. Methods document which they return.
var (
	// ErrClosed is returned by every call made after Close.
	ErrClosed = errors.New("store: closed")
	// ErrNotFound is returned by single-value reads when the key (or hash
	// field) does not exist or has expired.
	ErrNotFound = errors.New("store: not found")
	// ErrAborted is what Update returns when its function returned ErrAborted
	// on purpose: nothing was written. Any other error does the same and is
	// returned as it is.
	ErrAborted = errors.New("store: transaction aborted")
	// ErrFormat is returned by Open for a data directory in an on-disk
	// format this build does not read (written by a later release), or
	// whose stamp it cannot read. The directory is left untouched.
	ErrFormat = errors.New("store: unsupported on-disk format")
	// ErrUnacknowledged is returned by a write or a read waiting for
	// replica acknowledgements (DB.SetAckGate) when DB.FailUnacked gives up
	// on them: what the call wrote or read may be lost, and must not be
	// revealed.
	ErrUnacknowledged = errors.New("store: not acknowledged by enough replicas")
)

// Error is an error whose text is exactly the Redis error reply for the
// condition, error code first ("WRONGTYPE ...", "ERR ..."). The command layer
// sends it to clients unchanged; Go callers compare with errors.Is against
// the variables below.
type Error struct{ msg string }

func (e *Error) Error() string { return e.msg }

func newError(msg string) *Error { return &Error{msg} }

// Redis-visible errors.
var (
	ErrWrongType       = newError("WRONGTYPE Operation against a key holding the wrong kind of value")
	ErrNotInteger      = newError("ERR value is not an integer or out of range")
	ErrNotFloat        = newError("ERR value is not a valid float")
	ErrOverflow        = newError("ERR increment or decrement would overflow")
	ErrDecrOverflow    = newError("ERR decrement would overflow")
	ErrNaN             = newError("ERR increment would produce NaN or Infinity")
	ErrHashNotInteger  = newError("ERR hash value is not an integer")
	ErrHashNotFloat    = newError("ERR hash value is not a float")
	ErrNoSuchKey       = newError("ERR no such key")
	ErrSyntax          = newError("ERR syntax error")
	ErrOffsetRange     = newError("ERR offset is out of range")
	ErrStringTooLong   = newError("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
	ErrInvalidCursor   = newError("ERR invalid cursor")
	ErrNXXXGTLT        = newError("ERR NX and XX, GT or LT options at the same time are not compatible")
	ErrGTLT            = newError("ERR GT and LT options at the same time are not compatible")
	ErrValueOutOfRange = newError("ERR value is out of range, must be positive")
	// ErrRandomCountRange is Redis's text for a random-field count out of
	// range (its WITHVALUES bound); Shingle also uses it past
	// MaxRandomRepeats.
	ErrRandomCountRange = newError("ERR value is out of range")
)

// InvalidExpireError is the error for an expiry that is out of range; Redis
// names the command in the text, so it is built per command.
func InvalidExpireError(cmd string) error {
	return newError("ERR invalid expire time in '" + cmd + "' command")
}
