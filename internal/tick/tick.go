package tick

import "time"

// Every calls f every period, with the tick's time, until stop is closed
// or f returns false. It returns then, having stopped its timer; it never
// calls f after stop is seen closed.
func Every(stop <-chan struct{}, period time.Duration, f func(now time.Time) bool) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			if !f(now) {
				return
			}
		}
	}
}
