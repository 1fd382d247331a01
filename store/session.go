package store

// Session runs a caller's commands one after another without waiting, after
// each write, for it to reach the log: the write is committed at once (the
// session's own later commands see it; other readers once it is durable),
// and Wait then waits for all of the session's writes together, and for
// the writes its reads saw, as durable as the fsync policy promises. A
// network server answers a pipeline this way: it runs every command it has
// received, calls Wait, and only then sends the replies, so that no reply
// announces a write that is not yet durable (Redis's AE_BARRIER) while a
// pipeline of N writes waits for the log once instead of N times.
//
// Session embeds Ops: its typed commands are the DB's. A Session is not
// safe for concurrent use. Close cannot complete while a session holds
// writes it has not waited for: call Wait before dropping a session.
type Session struct {
	Ops
	pending []*logWait // the session's commits not yet waited for
	seen    uint64     // the newest commit the session's commands read
	acks    bool       // its commands read data or wrote: Wait waits for the acknowledgement gate
	holding bool       // Hold: the session owns the write lock
}

// NewSession returns a session on db.
func (db *DB) NewSession() *Session {
	s := &Session{}
	s.Ops = Ops{db: db, sess: s}
	return s
}

// Wait returns once every write of the session so far, and every write
// its reads could have seen, has reached the log (and, under FsyncAlways,
// the disk), and, under the acknowledgement gate (DB.SetAckGate), has
// been acknowledged by enough replicas. It returns the first error a write
// met there, or ErrUnacknowledged (DB.FailUnacked): the replies must then
// not be sent. The writes are applied either way, as a failed log write
// leaves Pebble unable to go on.
func (s *Session) Wait() error {
	if s.holding {
		s.db.applyRunNow() // waited for below, under the lock: Release first
	}
	var first error
	s.acks = s.acks || len(s.pending) > 0
	for i, lw := range s.pending {
		if err := s.db.waitOwn(lw); err != nil && first == nil {
			first = err
		}
		s.pending[i] = nil
	}
	s.pending = s.pending[:0]
	// What the session's commands read is revealed by their replies: it
	// waits, too, until what they read is as durable as the policy says.
	if s.seen > 0 {
		s.db.waitDurable(s.seen)
		s.seen = 0
	}
	if s.acks {
		s.acks = false
		if err := s.db.waitRevealed(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Hold takes the store's write lock and keeps it across the session's
// commands until Release, so that a run of writes (a pipeline of SETs, say)
// pays for the lock once rather than once per command, and no other
// writer's commands fall between them. The run's writes reach Pebble as
// one batch, one log record, when the session releases the lock (or the
// batch passes 4 MiB): each is committed, published and read back by the
// session's later commands at once, revealed to others after the release.
// Every other reader and writer waits meanwhile: hold for a bounded run of
// commands that do not block, and Release before anything that waits
// (network I/O, Wait). While holding, only the session's own methods may
// be used from its goroutine (they all work, reads included, but
// Replicate): calling the DB's methods, or Update, would wait for the lock
// the session holds. Hold while holding does nothing.
//
// If one of the session's writes panics while holding (in the store, or a
// Subscribe callback's panic raised again), the session gives up its hold
// before the panic leaves the call, as if Release had been called, and a
// later Release does nothing: a panic never leaves a write's lock held. A
// panic out of a read keeps the hold, as reads take no lock of their own:
// Release as usual.
func (s *Session) Hold() error {
	if s.holding {
		return nil
	}
	s.db.mu.Lock()
	if s.db.closed {
		s.db.mu.Unlock()
		return ErrClosed
	}
	s.holding = true
	return nil
}

// Release gives back the write lock Hold took; without Hold it does
// nothing.
func (s *Session) Release() {
	if s.holding {
		s.holding = false
		s.db.unlockWrite()
	}
}

func (s *Session) isHolding() bool { return s != nil && s.holding }
