package tick

import (
	"testing"
	"time"
)

func TestEveryStopsWhenFReturnsFalse(t *testing.T) {
	n := 0
	Every(make(chan struct{}), time.Millisecond, func(time.Time) bool {
		n++
		return n < 3
	})
	if n != 3 {
		t.Errorf("f ran %d times, want 3", n)
	}
}

func TestEveryStopsWhenStopCloses(t *testing.T) {
	stop := make(chan struct{})
	ran := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		Every(stop, time.Millisecond, func(time.Time) bool {
			select {
			case ran <- struct{}{}:
			default:
			}
			return true
		})
	}()
	<-ran // it ticks
	close(stop)
	<-done // and returns once stop is closed
}
