package store

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
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
// If fn panics, the write stays committed (it was applied, or added to
// its session's held run, before fn ran),
// the other subscribers still receive the change, and this subscription is
// cancelled: fn can no longer be trusted to be in step with the feed. Once
// the write has completed and released the lock, the panic is raised again
// in the goroutine that wrote (the caller of Set, Update, Publish, ...) as a
// *SubscriberPanic holding fn's panic value and stack, so that it is not
// hidden. fn must not call runtime.Goexit (nor testing's FailNow): that
// cannot be stopped and would leave the lock held.
//
// A change reaches fn at its commit, before it is as durable as
// Options.AppendFsync promises (a held run's, before Pebble has it): a subscriber that sends changes away (a
// replica link) sends one once WaitDurable says its offset is durable, as
// the replication package does, so that no one learns of a write a crash
// could still lose.
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

// publish hands c to every subscriber. Called with mu held. A subscriber
// that panics is dropped and the others still get c; the first panic is
// kept for the write to raise once it has ended (see takeSubPanic).
func (db *DB) publish(c Change) {
	n := 0
	for _, s := range db.subs {
		if s.cancelled.Load() || !db.deliver(s, c) {
			continue
		}
		db.subs[n] = s
		n++
	}
	clear(db.subs[n:])
	db.subs = db.subs[:n]
}

// deliver calls s with c and reports whether it returned. If it panicked,
// s is cancelled and the panic recorded, with the callback's stack.
func (db *DB) deliver(s *subscriber, c Change) (ok bool) {
	defer func() {
		if !ok {
			db.subscriberPanicked(s, recover())
		}
	}()
	s.fn(c)
	return true
}

func (db *DB) subscriberPanicked(s *subscriber, v any) {
	s.cancelled.Store(true)
	p := &SubscriberPanic{Value: v, Stack: debug.Stack(), site: panicSite()}
	if db.subPanic == nil {
		db.subPanic = p
		return
	}
	db.log.Error("store: a change feed subscriber panicked", "panic", v, "stack", string(p.Stack))
}

// takeSubPanic returns and forgets the subscriber panic of the current
// write, nil if none. Called with mu held.
func (db *DB) takeSubPanic() *SubscriberPanic {
	p := db.subPanic
	db.subPanic = nil
	return p
}

// SubscriberPanic is the value a write panics with when a change feed
// callback (see Subscribe) panicked during it: the write completed and
// released the lock first. Stack is where the callback panicked, which the
// stack of a recover of the write's panic does not show; its Error text
// names the function and line.
type SubscriberPanic struct {
	Value any    // the value the callback panicked with
	Stack []byte // the callback's goroutine stack at the panic (runtime/debug.Stack)

	site string // the function, file and line that panicked
}

// Error returns the panic value and where the callback panicked.
func (p *SubscriberPanic) Error() string {
	msg := fmt.Sprintf("store: change feed subscriber panicked: %v", p.Value)
	if p.site != "" {
		msg += " (in " + p.site + ")"
	}
	return msg
}

// panicSite returns the function, file and line that raised the panic
// being recovered: the first frame below the runtime's panic machinery.
func panicSite() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	inPanic := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			inPanic = true
		case inPanic && !strings.HasPrefix(f.Function, "runtime."):
			return fmt.Sprintf("%s at %s:%d", f.Function, f.File, f.Line)
		}
		if !more {
			return ""
		}
	}
}

// Unwrap returns the panic value when it is an error, so that errors.Is
// and errors.As see through to it.
func (p *SubscriberPanic) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// raise panics with p, unless p is nil.
func (p *SubscriberPanic) raise() {
	if p != nil {
		panic(p)
	}
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
