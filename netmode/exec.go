package netmode

import (
	"bytes"
	"errors"
	"strings"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/store"
)

// multiState is a transaction being queued (MULTI ... EXEC).
type multiState struct {
	queued [][][]byte
	dirty  bool // a command was refused while queuing: EXEC aborts
	// In cluster mode, the queued commands' keys (EXEC's redirection
	// checks them together). write: any of the queued commands writes
	// (EXEC waits out a write pause).
	keys  [][]byte
	write bool
}

// containers are the commands whose first argument names a subcommand;
// CLIENT LIST shows them as "client|list", as Redis 7 does.
var containers = map[string]bool{"acl": true, "client": true, "config": true, "command": true, "debug": true}

// multiControl commands run at once even inside MULTI.
var multiControl = map[string]bool{"exec": true, "discard": true, "multi": true, "quit": true, "reset": true, "watch": true}

var (
	errNoAuth  = command.ErrorReply("NOAUTH Authentication required.")
	errNoMulti = command.ErrorReply("ERR Command not allowed inside a transaction")
	errLoading = command.ErrorReply("LOADING Redis is loading the dataset in memory")
	// errMasterDown refuses a command on a replica whose link is not up
	// under replica-serve-stale-data no.
	errMasterDown = command.ErrorReply("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")
)

// writes reports whether cmd writes: a write command, or EXEC of a
// transaction that holds one.
func (c *client) writes(cmd *command.Command) bool {
	return cmd.Flags&command.FlagWrite != 0 || cmd.Name == "exec" && c.multi != nil && c.multi.write
}

// writeRefused refuses a write that this server may not take now (a
// read-only replica, too few replicas for min-replicas-to-write).
func (c *client) writeRefused() bool {
	r, refused := c.s.writeRefused(c.s.cfg.Load())
	if refused {
		c.refuse(r)
	}
	return refused
}

// deniedStale reports whether cmd must be refused with MASTERDOWN: the
// server is a replica whose link is not up, under
// replica-serve-stale-data no, and cmd (or, for EXEC, one of the commands
// it would run) is not flagged stale.
func (c *client) deniedStale(cmd *command.Command) bool {
	rs := c.s.replica.Load()
	if rs == nil || c.s.cfg.Load().ReplicaServeStaleData || rs.r.Status().LinkUp {
		return false
	}
	if cmd.Name == "exec" && c.multi != nil {
		for _, q := range c.multi.queued {
			if qc := c.s.table.Lookup(q[0]); qc != nil && qc.Flags&command.FlagStale == 0 {
				return true
			}
		}
	}
	return cmd.Flags&command.FlagStale == 0
}

// execute runs one command: the checks Redis makes before running anything
// (known command, arity, authentication), queuing inside MULTI, and the
// command itself.
func (c *client) execute(args [][]byte) {
	s := c.s
	s.stats.CommandsProcessed.Add(1)
	cmd := s.table.Lookup(args[0])
	c.setLastCmd(cmd, args)
	switch {
	case cmd == nil:
		c.refuse(command.UnknownCommand(args))
	case !command.ArityOK(cmd.Arity, len(args)):
		c.refuse(command.WrongArgs(cmd.Name))
	case !c.authed && cmd.Flags&command.FlagNoAuth == 0:
		c.refuse(errNoAuth)
	case c.denied(cmd, args):
	// In Redis's order: redirects, NOREPLICAS and READONLY, MASTERDOWN,
	// LOADING.
	case c.writes(cmd) && c.waitWritePause():
	case s.cluster != nil && c.redirected(cmd, args):
	case cmd.Flags&command.FlagWrite != 0 && c.writeRefused():
	case c.deniedStale(cmd):
		c.refuse(errMasterDown)
	case cmd.Flags&command.FlagLoading == 0 && s.loading(),
		cmd.Flags&command.FlagNoAsyncLoading != 0 && s.asyncLoading():
		c.refuse(errLoading)
	case c.multi != nil && !multiControl[cmd.Name]:
		if cmd.Flags&command.FlagNoMulti != 0 {
			c.refuse(errNoMulti)
			return
		}
		c.multi.write = c.multi.write || cmd.Flags&command.FlagWrite != 0
		q := make([][]byte, len(args))
		for i, a := range args {
			q[i] = bytes.Clone(a) // the reader reuses its buffer
		}
		c.multi.queued = append(c.multi.queued, q)
		c.reply(command.Status("QUEUED"))
	default:
		c.holdFor(cmd)
		r := cmd.Run(&c.ctx, args)
		s.slowlogNote(c, cmd, args)
		s.feedMonitors(c, cmd, args)
		if !c.replicaLink && !c.noReply {
			c.reply(r)
		}
		c.noReply = false
	}
	// ASKING holds for the next command only, or the transaction it opens.
	if c.asking && cmd != nil && cmd.Name != "asking" && c.multi == nil {
		c.asking = false
	}
}

// holdRun bounds the writes a client runs in a row under one hold of the
// store's write lock, so that others get their turn within a pipeline.
const holdRun = 64

// holdFor takes or gives back the store's write lock before cmd runs. A
// write with more of the pipeline already received takes it and keeps it
// for the writes that follow (Session.Hold): a pipeline of N writes then
// contends for the lock once, not N times, as Redis runs a client's
// buffered commands in one go, and its writes reach Pebble as one batch
// (the last one joins the run too). Anything else gives it back first,
// and so does flush, before the connection waits for anything.
func (c *client) holdFor(cmd *command.Command) {
	hold := cmd.Flags&command.FlagWrite != 0 && (len(c.rd.Buffered()) > 0 || c.held > 0)
	if !hold || c.held >= holdRun {
		c.release()
	}
	if hold && c.sess.Hold() == nil {
		c.held++
	}
}

func (c *client) release() {
	c.sess.Release()
	c.held = 0
}

// denied checks cmd against the client's user (commands that may run
// before authentication, AUTH and HELLO, are always allowed, as in Redis)
// and refuses it if the user may not run it.
func (c *client) denied(cmd *command.Command, args [][]byte) bool {
	if cmd.Flags&command.FlagNoAuth != 0 {
		return false
	}
	why, ok := c.permitted(cmd, args)
	if !ok {
		c.refuse(command.ErrorReply("NOPERM this user has " + why))
	}
	return !ok
}

// refuse answers a command that did not run; inside MULTI it also dooms
// the transaction, as in Redis.
func (c *client) refuse(r command.Reply) {
	if c.multi != nil {
		c.multi.dirty = true
	}
	c.reply(r)
}

func (c *client) setLastCmd(cmd *command.Command, args [][]byte) {
	var name string
	if cmd != nil {
		name = fullName(cmd, args)
	} else {
		name = strings.ToLower(string(args[0]))
	}
	c.mu.Lock()
	c.lastCmd = name
	c.mu.Unlock()
}

func multiCmd(ctx *command.Ctx, _ [][]byte) command.Reply {
	c := clientOf(ctx)
	if c.multi != nil {
		return command.ErrorReply("ERR MULTI calls can not be nested")
	}
	c.mu.Lock()
	c.multi = &multiState{}
	c.mu.Unlock()
	return command.OK
}

func discardCmd(ctx *command.Ctx, _ [][]byte) command.Reply {
	c := clientOf(ctx)
	if c.multi == nil {
		return command.ErrorReply("ERR DISCARD without MULTI")
	}
	c.endMulti()
	c.unwatch()
	return command.OK
}

// endMulti ends the transaction being queued.
func (c *client) endMulti() {
	c.mu.Lock()
	c.multi = nil
	c.mu.Unlock()
}

// watchCmd is WATCH: the keys' changes, by anyone, make the next EXEC
// fail (store.Watch).
func watchCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	c := clientOf(ctx)
	if c.multi != nil {
		return command.ErrorReply("ERR WATCH inside MULTI is not allowed")
	}
	if c.watch == nil {
		c.watch = c.s.db.NewWatch()
	}
	if err := c.watch.Add(args[1:]...); err != nil {
		return command.ErrReply(err)
	}
	return command.OK
}

func unwatchCmd(ctx *command.Ctx, _ [][]byte) command.Reply {
	c := clientOf(ctx)
	// Queued, it runs inside EXEC's transaction, under the store's lock;
	// EXEC unwatches anyway.
	if ctx.Ops == &c.sess.Ops {
		c.unwatch()
	}
	return command.OK
}

// unwatch forgets the watched keys, if any.
func (c *client) unwatch() {
	if c.watch != nil {
		c.watch.Reset()
	}
}

// execCmd runs the queued commands as one store transaction: atomic, and
// one entry of the change feed.
func execCmd(ctx *command.Ctx, _ [][]byte) command.Reply {
	c := clientOf(ctx)
	m := c.multi
	if m == nil {
		return command.ErrorReply("ERR EXEC without MULTI")
	}
	c.endMulti()
	if m.dirty {
		c.unwatch()
		return command.ErrorReply("EXECABORT Transaction discarded because of previous errors.")
	}
	replies := make([]command.Reply, 0, len(m.queued))
	run := func(tx *store.Tx) error {
		replies = replies[:0]
		txCtx := *ctx
		txCtx.Ops = &tx.Ops
		txCtx.Block = nil // inside EXEC nothing blocks, as in Redis
		for _, args := range m.queued {
			cmd := c.s.table.Lookup(args[0])
			var r command.Reply
			if why, ok := c.permitted(cmd, args); !ok {
				r = command.ErrorReply("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + why)
			} else {
				r = cmd.Run(&txCtx, args)
				c.s.feedMonitors(c, cmd, args)
			}
			if r.Kind == command.KindError {
				c.s.stats.countError(r.Str)
			}
			replies = append(replies, r)
		}
		c.noReply = false // a queued REPLCONF ACK does not silence EXEC
		return nil
	}
	var err error
	if c.watch != nil { // unwatched by UpdateWatched, as by EXEC
		err = c.s.db.UpdateWatched(c.watch, run)
	} else {
		err = c.s.db.Update(run)
	}
	if errors.Is(err, store.ErrAborted) {
		return command.Reply{Kind: command.KindNullArray} // a watched key changed
	}
	if err != nil {
		return command.ErrReply(err)
	}
	return command.Array(replies...)
}
