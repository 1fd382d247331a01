package netmode

import (
	"slices"
	"sync"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/store"
)

// Blocked clients (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
// BZPOPMAX, BZMPOP). A client that finds nothing waits in the queue of
// each of its keys, in arrival order. The store wakes a key's queue
// through a Watch on that key (store.NewNotifyWatch): any write to it, by
// a client on any transport, an embedded caller, a replica's stream or a
// full sync, ends in the same commit hook. A wake goes to the first
// waiter of the key only; it tries its command again, and when that
// succeeds leaves every queue and passes the wake on to the next waiter,
// which finds the rest, if any: clients are served in the order they
// blocked, as in Redis.
//
// Lock order: the store's lock, then blockers.mu (the Watch's callback
// runs in the commit); blockers.mu is never held while calling the store.

type blockers struct {
	mu   sync.Mutex
	keys map[string]*blockedKey
}

type blockedKey struct {
	watch *store.Watch
	queue []*waiter
}

// waiter is one blocked client: its keys and where its wakes arrive.
type waiter struct {
	keys [][]byte
	wake chan struct{} // buffered: a wake is never lost, nor waited for
}

// kick wakes the first waiter of key, if any.
func (b *blockers) kick(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if bk := b.keys[key]; bk != nil && len(bk.queue) > 0 {
		select {
		case bk.queue[0].wake <- struct{}{}:
		default:
		}
	}
}

// add queues w on each of its keys, watching the keys no one waited on.
func (b *blockers) add(db *store.DB, w *waiter) error {
	for _, k := range w.keys {
		key := string(k)
		b.mu.Lock()
		bk := b.keys[key]
		if bk == nil {
			b.mu.Unlock()
			// Watched outside the lock: Add takes the store's lock, and
			// the store takes ours in kick.
			watch := db.NewNotifyWatch(func() { b.kick(key) })
			if err := watch.Add(k); err != nil {
				return err
			}
			b.mu.Lock()
			if bk = b.keys[key]; bk == nil {
				bk = &blockedKey{watch: watch}
				if b.keys == nil {
					b.keys = map[string]*blockedKey{}
				}
				b.keys[key] = bk
			} else {
				defer watch.Reset() // another waiter came first
			}
		}
		bk.queue = append(bk.queue, w)
		b.mu.Unlock()
	}
	return nil
}

// remove takes w out of every queue; the new first waiter of each is woken,
// as w may have been woken for something it did not take.
func (b *blockers) remove(w *waiter) {
	var unwatch []*store.Watch
	b.mu.Lock()
	for _, k := range w.keys {
		bk := b.keys[string(k)]
		if bk == nil {
			continue
		}
		bk.queue = slices.DeleteFunc(bk.queue, func(x *waiter) bool { return x == w })
		if len(bk.queue) == 0 {
			delete(b.keys, string(k))
			unwatch = append(unwatch, bk.watch)
			continue
		}
		select {
		case bk.queue[0].wake <- struct{}{}:
		default:
		}
	}
	b.mu.Unlock()
	for _, watch := range unwatch {
		watch.Reset()
	}
}

// block is the client's Ctx.Block: it waits in the queues of keys until a
// wake lets try succeed, the timeout (0: none) passes, or the connection
// closes. The client's earlier replies go out first, and the store's
// write lock is given back. While it waits the connection is read by
// another goroutine, so that a client that disconnects is noticed (and
// what a client sends meanwhile waits in the buffer, as in Redis).
func (c *client) block(keys [][]byte, timeout time.Duration, try func() (command.Reply, bool)) (command.Reply, bool) {
	c.release()
	if !c.flush() {
		return command.Reply{}, false
	}
	w := &waiter{keys: keys, wake: make(chan struct{}, 1)}
	if err := c.s.blocked.add(c.s.db, w); err != nil {
		return command.ErrReply(err), true
	}
	defer c.s.blocked.remove(w)
	c.s.stats.BlockedClients.Add(1)
	defer c.s.stats.BlockedClients.Add(-1)
	// A write between the first try and the queueing woke nobody.
	if r, done := try(); done {
		return r, true
	}
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
		c.s.stats.BlockedWithTimeout.Add(1)
		defer c.s.stats.BlockedWithTimeout.Add(-1)
	}
	read := make(chan error, 1)
	reading := false
	defer func() {
		if reading { // interrupt the read, and wait for it
			c.conn.SetReadDeadline(time.Now())
			<-read
			c.conn.SetReadDeadline(time.Time{})
		}
	}()
	for {
		if !reading {
			reading = true
			c.conn.SetReadDeadline(time.Time{})
			if c.s.isStopping() || c.isKilled() {
				c.conn.SetReadDeadline(time.Now())
			}
			go func() { read <- c.rd.Fill() }()
		}
		select {
		case <-w.wake:
			if r, done := try(); done {
				return r, true
			}
		case <-expired:
			return command.Reply{}, false
		case err := <-read:
			reading = false
			if err != nil {
				// Gone, killed, or the server stopping: no reply.
				c.mu.Lock()
				c.closing = true
				c.mu.Unlock()
				c.noReply = true
				return command.Reply{}, false
			}
		}
	}
}
