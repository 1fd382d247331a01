package testutil

import (
	"testing"
	"time"
)

// Eventually polls cond every 2 ms until it holds, failing the test when
// it still does not after d: the way tests wait, never with a bare sleep.
func Eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}
