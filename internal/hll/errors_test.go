package hll

import (
	"errors"
	"testing"
)

// TestErrors checks the texts, which go to clients as they are: Redis
// sends them after a '-', code first.
func TestErrors(t *testing.T) {
	for err, want := range map[error]string{
		ErrNotHLL:    "WRONGTYPE Key is not a valid HyperLogLog string value.",
		ErrCorrupt:   "INVALIDOBJ Corrupted HLL object detected",
		ErrNotSparse: "ERR HLL encoding is not sparse",
		ErrNoKey:     "ERR The specified key does not exist",
	} {
		if err.Error() != want {
			t.Errorf("%q, want %q", err, want)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q is not an *Error", err)
		}
	}
}
