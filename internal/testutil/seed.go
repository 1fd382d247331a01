package testutil

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
)

// Seed returns the seed of a randomised test: SHINGLE_SEED when set, else
// a fresh one, logged so that a failing run can be repeated.
func Seed(t testing.TB) uint64 {
	t.Helper()
	seed := rand.Uint64()
	if s := os.Getenv("SHINGLE_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("SHINGLE_SEED: %v", err)
		}
	}
	t.Logf("seed %d (rerun with SHINGLE_SEED=%d)", seed, seed)
	return seed
}
