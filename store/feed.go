package store

import (
	"strconv"
	"sync/atomic"
)

// Change is one committed write as the change feed publishes it: the
// commands a replica must apply, in the form Redis propagates them. Relative
// expiry times are absolute (SET k v PXAT t, PEXPIREAT k t), results are
// explicit (INCRBYFLOAT becomes SET k v KEEPTTL), and keys deleted because
// they expired appear as DEL. A Go transaction of more than one command is
// wrapped in MULTI ... EXEC.
type Change struct {
	// Offset is the replication offset just after this change: the total
	// length of the change feed, RESP-encoded, from the beginning of the
	// database's history.
	Offset uint64
	// Commands are the commands, each a list of arguments, command name
	// first. They are valid only during the callback.
	Commands [][][]byte
}

type subscriber struct {
	fn        func(Change)
	cancelled atomic.Bool
}

// Subscribe calls fn with every change committed after it returns, in commit
// order, and returns the offset from which the changes start. fn runs while
// the write that made the change still holds the store's write lock: it must
// be quick, must not block, and must not call into the DB. It is typically a
// copy into a buffer. cancel stops the calls; it is safe to call more than
// once, and from within fn.
//
// When nobody subscribes, the feed costs a length computation per write.
func (db *DB) Subscribe(fn func(Change)) (offset uint64, cancel func(), err error) {
	s := &subscriber{fn: fn}
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return 0, nil, ErrClosed
	}
	db.subs = append(db.subs, s)
	// Cancelling only sets a flag, so that it is safe inside fn (which runs
	// under the write lock); publish drops cancelled subscribers.
	return db.offset, func() { s.cancelled.Store(true) }, nil
}

// publish hands c to every subscriber. Called with mu held.
func (db *DB) publish(c Change) {
	n := 0
	for _, s := range db.subs {
		if s.cancelled.Load() {
			continue
		}
		s.fn(c)
		db.subs[n] = s
		n++
	}
	clear(db.subs[n:])
	db.subs = db.subs[:n]
}

// respLen is the length of args as a RESP array of bulk strings, the unit in
// which replication offsets count.
func respLen(args [][]byte) uint64 {
	n := 1 + decLen(len(args)) + 2
	for _, a := range args {
		n += 1 + decLen(len(a)) + 2 + len(a) + 2
	}
	return uint64(n)
}

func decLen(n int) int {
	if n < 10 {
		return 1
	}
	return len(strconv.Itoa(n))
}
