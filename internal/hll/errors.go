package hll

// Error is an error whose text is exactly Redis's error reply for the
// condition, error code first and without the leading '-'. The command
// layer sends it to clients unchanged; Go callers compare with errors.Is
// against the variables below.
type Error struct{ msg string }

func (e *Error) Error() string { return e.msg }

// Redis-visible errors. Every function documents which it returns.
var (
	// ErrNotHLL is Redis's reply for a string that is not an HLL at all:
	// shorter than the header, without the "HYLL" magic, with an unknown
	// encoding byte, or dense with a length other than DenseSize. Redis
	// sends it with the WRONGTYPE code although the key is a string.
	ErrNotHLL = &Error{"WRONGTYPE Key is not a valid HyperLogLog string value."}
	// ErrCorrupt is Redis's reply for an HLL whose header is fine but
	// whose sparse opcodes do not cover exactly Registers registers (or,
	// for an addition, do not reach the register being set).
	ErrCorrupt = &Error{"INVALIDOBJ Corrupted HLL object detected"}
	// ErrNotSparse is PFDEBUG DECODE's reply for a dense HLL.
	ErrNotSparse = &Error{"ERR HLL encoding is not sparse"}
	// ErrNoKey is PFDEBUG's reply for a missing key (the PFDEBUG helpers
	// return it when given nil).
	ErrNoKey = &Error{"ERR The specified key does not exist"}
)
