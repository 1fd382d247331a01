// Package tick runs the background loops that wake on a timer: the
// store's once-a-second save and active expiry, the server's ops meter and
// TLS auto-reload check, the primary's replica pinger and the replica's
// acknowledgements. One loop, written once, so that each stops the same
// way: when its stop channel closes.
//
// # Usage
//
//	loops.Add(1)
//	go func() {
//		defer loops.Done()
//		tick.Every(stop, time.Second, func(now time.Time) bool {
//			sample(now)
//			return true // false ends the loop as well
//		})
//	}()
//	...
//	close(stop) // Close: the loop returns, and its timer is stopped
//	loops.Wait()
//
// # What it must never do
//
// Import another package of Shingle's, or run a loop past its stop
// channel's close: servers wait for their loops on Close.
package tick
