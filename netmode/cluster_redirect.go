package netmode

import (
	"context"
	"strconv"
	"time"

	"github.com/shinglekv/shingle/cluster"
	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/store"
)

// Redis's cluster redirection errors.
var (
	errCrossSlot     = command.ErrorReply("CROSSSLOT Keys in request don't hash to the same slot")
	errTryAgain      = command.ErrorReply("TRYAGAIN Multiple keys request during rehashing of slot")
	errClusterDown   = command.ErrorReply("CLUSTERDOWN The cluster is down")
	errClusterDownRO = command.ErrorReply("CLUSTERDOWN The cluster is down and only accepts read commands")
	errUnbound       = command.ErrorReply("CLUSTERDOWN Hash slot not served")
)

// redirected decides, as Redis's getNodeByQuery does, whether this node
// runs cmd: its keys (from the command table's key positions, or for EXEC
// those of the queued commands) must lie in one slot that this node
// serves, or is importing for a client that sent ASKING, or whose primary
// serves it for a READONLY client's read. Otherwise it answers the
// redirect (MOVED, ASK) or the error (CROSSSLOT, TRYAGAIN, CLUSTERDOWN)
// and reports true. The slot's owner comes from the node's applied
// configuration, read without a lock.
func (c *client) redirected(cmd *command.Command, args [][]byte) bool {
	n := c.s.cluster
	exec := cmd.Name == "exec"
	var keys [][]byte
	write := cmd.Flags&command.FlagWrite != 0
	switch {
	case exec && c.multi != nil:
		keys, write = c.multi.keys, c.multi.write
	case exec:
		return false
	default:
		keys = cmd.Keys(args)
	}
	if len(keys) == 0 {
		return false
	}
	// A command being queued is checked alone, as Redis does; EXEC checks
	// the keys of all the queued commands together.
	queuing := c.multi != nil && !multiControl[cmd.Name]
	slot := int(store.Slot(keys[0]))
	multiple := false // keys other than the first: Redis's multiple_keys
	for _, k := range keys[1:] {
		if int(store.Slot(k)) != slot {
			return c.redirect(exec, errCrossSlot)
		}
		multiple = multiple || string(k) != string(keys[0])
	}
	if c.importing != nil && c.importing.Ranges.Contains(slot) {
		return false // a migration's importer (CLUSTER SYNCSLOTS)
	}
	st := n.State()
	owner := st.Owner(slot)
	me := st.Nodes[n.ID()]
	if me != nil && owner != me.ID && (me.Importing[slot] != "" && !c.asking && cmd.Flags&command.FlagAsking == 0 ||
		st.Incoming(slot, me.ID)) {
		// Sent here without ASKING, or by a source whose CLUSTER
		// MIGRATESLOTS ended: the node the slot comes from may have
		// applied the move, which this node has not yet.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if n.CatchUp(ctx) == nil {
			st = n.State()
			owner, me = st.Owner(slot), st.Nodes[n.ID()]
		}
		cancel()
	}
	if owner == "" || me == nil {
		return c.redirect(exec, errUnbound)
	}
	if c.s.clusterDown(st) {
		switch {
		case !c.s.cfg.Load().Cluster.AllowReadsWhenDown:
			return c.redirect(exec, errClusterDown)
		case write:
			return c.redirect(exec, errClusterDownRO)
		}
	}
	migrating := owner == me.ID && me.Migrating[slot] != ""
	importing := owner != me.ID && me.Importing[slot] != ""
	missing, existing := 0, 0
	if (migrating || importing) && !queuing {
		for _, k := range keys {
			if x, err := c.ctx.Ops.Exists(k); err == nil && x > 0 {
				existing++
			} else {
				missing++
			}
		}
	}
	switch {
	case (migrating || importing) && cmd.Name == "migrate":
		// MIGRATE runs where it is sent while the slot is open: keys
		// move freely between the two nodes then (Redis's rule).
	case migrating && missing > 0:
		if existing > 0 {
			return c.redirect(exec, errTryAgain)
		}
		return c.redirectTo(exec, "ASK", slot, st.Nodes[me.Migrating[slot]])
	case importing && (c.asking || cmd.Flags&command.FlagAsking != 0):
		if multiple && missing > 0 {
			return c.redirect(exec, errTryAgain)
		}
	case c.readonly && !write && me.Primary == owner:
	case owner != me.ID:
		return c.redirectTo(exec, "MOVED", slot, st.Nodes[owner])
	}
	if queuing {
		for _, k := range keys {
			c.multi.keys = append(c.multi.keys, append([]byte(nil), k...))
		}
	}
	return false
}

// redirectTo answers MOVED or ASK naming target, at the port of the
// client's own transport.
func (c *client) redirectTo(exec bool, kind string, slot int, target *cluster.NodeInfo) bool {
	if target == nil {
		return c.redirect(exec, errUnbound)
	}
	return c.redirect(exec, command.ErrorReply(kind+" "+strconv.Itoa(slot)+" "+target.Redirect(c.clusterLocal(false))))
}

// redirect answers r instead of running the command: an EXEC's
// transaction is discarded, a command being queued dooms its transaction.
func (c *client) redirect(exec bool, r command.Reply) bool {
	if exec {
		c.endMulti()
		c.unwatch()
		c.reply(r)
		return true
	}
	c.refuse(r)
	return true
}
