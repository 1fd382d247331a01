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
	// Raw, set instead of Commands when the change is a primary's stream
	// applied by Replicate, is those bytes exactly, valid only during the
	// callback.
	Raw []byte
	// Reset says that a full sync (Load) replaced the data set: the history
	// starts again at Offset, and nothing received before continues it. A
	// Reset carries no commands.
	Reset bool
	// NewHistory says that the history goes on under a new id
	// (ShiftHistory) at Offset: the bytes continue, but a replica passing
	// them on must have its own replicas learn the id (Redis disconnects
	// them, and they continue with a partial resync). It carries no
	// commands.
	NewHistory bool
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
	h, cancel, err := db.SubscribeHistory(fn)
	return h.Offset, cancel, err
}

// SubscribeHistory is Subscribe, returning the whole History the changes
// continue (a primary checks a replica's PSYNC against it).
func (db *DB) SubscribeHistory(fn func(Change)) (h History, cancel func(), err error) {
	s := &subscriber{fn: fn}
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return History{}, nil, ErrClosed
	}
	db.subs = append(db.subs, s)
	// Cancelling only sets a flag, so that it is safe inside fn (which runs
	// under the write lock); publish drops cancelled subscribers.
	return db.history(), func() { s.cancelled.Store(true) }, nil
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
