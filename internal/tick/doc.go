// Package tick runs the background loops that wake on a timer: the
// store's once-a-second save and active expiry, the server's meter, the
// replica pinger and acknowledgements. One loop, written once, so that
// each stops the same way: when its stop channel closes.
//
// It must never import another package of Shingle's, nor hold a loop
// past its stop channel's close: servers wait for their loops on Close.
package tick
