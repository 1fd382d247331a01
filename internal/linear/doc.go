// Package linear records what clients saw of a few string keys (SET, GET,
// INCR) while faults happened, and checks it afterwards, the way Jepsen
// checks a database:
//
//   - Check: is the history linearizable, each key a register with INCR's
//     semantics (github.com/anishathalye/porcupine decides, one key at a
//     time)?
//   - Lost: does the final value of every INCR counter reflect each
//     increment that was acknowledged (by its reply, or by WAIT)?
//
// A Recorder is the history: a client calls Invoke before it sends a
// command, then one of Ok (the reply), Fail (an error reply that says the
// command did not run: MOVED, CLUSTERDOWN ...) or Unknown (a timeout, a
// cut connection: it may have run, now or later). The caller decides which
// replies are which; this package knows nothing of RESP.
//
// # Usage
//
//	var rec linear.Recorder
//	call := rec.Invoke(client, linear.Incr("counter"))
//	n, err := send("INCR", "counter")
//	switch {
//	case err != nil:
//		call.Unknown()
//	default:
//		call.Ok(linear.Output{Int: n})
//		if waitReplicas() >= 1 {
//			call.Ack() // WAIT 1 acknowledged it
//		}
//	}
//	...
//	h := rec.History()
//	if res, _ := linear.Check(h, time.Minute); res == porcupine.Illegal { ... }
//	if lost := linear.Lost(h, map[string]string{"counter": final}, true); len(lost) > 0 { ... }
//
// # What it must never do
//
// Import a package of Shingle's, or do I/O: it is a leaf that tests feed.
// Sleep or read the clock for anything but the timestamps of a call, its
// start and its end (the monotonic clock, so that the order of calls that
// did not overlap is never inverted). Call a history linearizable that is
// not: an outcome it cannot know (Unknown, or a call still pending when
// History is read) is a write that may take effect at any time after its
// call, or never, and a read whose value is unknown constrains nothing.
package linear
