package netmode

import (
	"fmt"
	"runtime/debug"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/store"
)

// The last line of defence: a panic while serving one client (parsing its
// request, running a command or EXEC's transaction, writing its replies,
// or serving a replica link after PSYNC) is recovered on that client's
// goroutine and ends that connection alone. The store rolls back the write
// the panic interrupted and gives back its lock on the way out; the client
// gives back its session's hold, gets the replies of the commands before
// (which did run) and "-ERR internal error" for the one that did not, and
// is closed and removed as on any other exit. The panic is logged once, at
// Error, with the stack where it was raised, and counted in
// shingle_panics; the error reply counts as one in total_error_replies and
// errorstats.
//
// The watch of a client blocked in WAIT, which reads the client's input
// beside it, recovers too and hands its panic to the client's goroutine.
// A replica link, once PSYNC hands it to replication.Primary, is
// replication's: its acknowledgement reader and the change feed callbacks
// that encode writes for replicas recover there, end the link (or empty
// the backlog) rather than fail the writer, and report through
// PrimaryHooks.Panic, which counts in shingle_panics. The server's own
// loops (accept, the ops meter, TLS auto-reload) do not recover: no client
// input reaches them, and a panic there is a bug that must not hide behind
// a log line.

// errInternal answers the command whose run panicked.
var errInternal = command.ErrorReply("ERR internal error")

// goPanic is a panic recovered on a helper goroutine of a client, raised
// again on the client's own goroutine, which then ends as for a panic of
// its own: logged with the stack of where it first happened.
type goPanic struct {
	value any
	stack []byte
}

// serve runs the client's loop and recovers a panic in it, answering and
// logging it; serveConn's cleanup then runs as after a normal exit.
func (c *client) serve() {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		stack := debug.Stack() // here, inside the deferred call: it shows where the panic was raised
		if gp, ok := v.(*goPanic); ok {
			v, stack = gp.value, gp.stack
		}
		c.mu.Lock()
		cmd := c.lastCmd
		c.mu.Unlock()
		c.s.logPanic("netmode: panic serving a client; closing it", v, stack,
			"id", c.id, "addr", c.addr(), "cmd", cmd)
		c.answerPanic()
	}()
	c.run()
}

// answerPanic sends what a client whose command panicked is owed: the
// replies of the commands before it, which ran, then errInternal. A
// replica link gets nothing (its stream is not a place for a reply), nor
// does a client whose replies were being written when it happened (what
// is left of them is unknown).
func (c *client) answerPanic() {
	c.release()
	if c.replicaLink || c.writing {
		return
	}
	c.reply(errInternal)
	defer func() {
		if v := recover(); v != nil {
			c.s.cfg.Load().Logger.Error("netmode: panic again answering a panic; closing the client unanswered",
				"id", c.id, "panic", fmt.Sprint(v))
		}
	}()
	c.flush()
}

// logPanic logs a recovered panic at Error with the stack where it was
// raised, and counts it in shingle_panics. A panic the store raised again
// from a change feed callback (*store.SubscriberPanic) is logged with the
// callback's own stack too, which is where the bug is.
func (s *Server) logPanic(msg string, v any, stack []byte, attrs ...any) {
	s.stats.Panics.Add(1)
	if sp, ok := v.(*store.SubscriberPanic); ok {
		attrs = append(attrs, "panic", fmt.Sprint(sp.Value), "subscriber_stack", string(sp.Stack))
	} else {
		attrs = append(attrs, "panic", fmt.Sprint(v))
	}
	attrs = append(attrs, "stack", string(stack))
	s.cfg.Load().Logger.Error(msg, attrs...)
}
