package geo

import (
	"math"
	"testing"
)

// degToRad must be C's M_PI / 180.0 to the bit.
func TestDegToRad(t *testing.T) {
	if got := math.Float64bits(degToRad); got != 0x3f91df46a2529d39 {
		t.Fatalf("degToRad bits %x", got)
	}
}
