package cluster

import (
	"context"
	"time"
)

// Failover: the leader promotes a failed primary's replica (promote, from
// judge), or a replica asks for it (ManualFailover, CLUSTER FAILOVER).
// Either way it is one entry (opFailover), applied by every node at once.

// promote, on the leader, fails primary over to the replica with the
// largest replication offset among those that answer and may take over
// (Redis's rank rule): one entry, applied by every node at once. Each
// candidate is asked its offset now, not as last reported: with its
// primary gone the offsets no longer move, and the replica with the
// largest holds every write any replica acknowledged (WAIT).
func (n *Node) promote(st *State, primary string, offsets map[string]uint64) {
	best, bestOffset := "", uint64(0)
	for _, id := range st.replicasOf(primary) {
		r := st.Nodes[id]
		if _, reported := offsets[id]; r.Failed || r.NoFailover || !reported {
			continue
		}
		off := n.offset()
		if id != n.ID() {
			ctx, cancel := context.WithTimeout(n.ctx, n.nodeTimeout())
			resp, err := n.request(ctx, busAddr(r), &busRequest{Kind: "ping"})
			cancel()
			if err != nil {
				continue
			}
			off = resp.Offset
		}
		if best == "" || off > bestOffset {
			best, bestOffset = id, off
		}
	}
	if best == "" {
		return
	}
	n.stats.started.Add(1)
	n.log.Warn("cluster: failing over", "primary", primary, "replica", best, "offset", bestOffset)
	if _, _, err := n.applyAsLeader(&Entry{Op: opFailover, By: n.ID(), Target: primary, Promote: best}); err != nil {
		n.stats.lost.Add(1)
		n.log.Warn("cluster: failover lost", "primary", primary, "replica", best, "err", err)
	}
}

// manualFailoverPause bounds how long a primary holds its writes back for
// a CLUSTER FAILOVER, as Redis's CLUSTER_MF_TIMEOUT times two.
const manualFailoverPause = 10 * time.Second

// ManualFailover is CLUSTER FAILOVER, sent to a replica. By default the
// primary holds its clients' writes back and tells its offset, this
// replica waits until it has applied that much, and the failover is then
// one entry: no write the primary acknowledged is lost. force skips the
// primary (it may be down) but still needs a majority of the voters:
// Redis's TAKEOVER, which needs no one, has no equivalent on Raft.
func (n *Node) ManualFailover(ctx context.Context, force bool) (err error) {
	n.stats.started.Add(1)
	n.log.Warn("cluster: manual failover started", "force", force)
	defer func() {
		if err != nil {
			n.stats.lost.Add(1)
			n.log.Warn("cluster: manual failover lost", "err", err)
		}
	}()
	st := n.state.Load()
	me := st.Nodes[n.ID()]
	if me == nil || me.Primary == "" {
		return &Error{"ERR You should send CLUSTER FAILOVER to a replica"}
	}
	p := st.Nodes[me.Primary]
	if p == nil {
		return &Error{"ERR I'm a replica but my master is unknown to me"}
	}
	if !force {
		if p.Failed {
			return &Error{"ERR Master is down or failed, please use CLUSTER FAILOVER FORCE"}
		}
		// Asked again until the offset stays the same: a write that had
		// passed the primary's pause check before the pause began may
		// commit just after the offset was read.
		for last := uint64(0); ; {
			resp, perr := n.request(ctx, busAddr(p), &busRequest{Kind: "pause"})
			if perr != nil {
				return &Error{"ERR Master is down or failed, please use CLUSTER FAILOVER FORCE"}
			}
			for n.offset() < resp.Offset {
				select {
				case <-ctx.Done():
					return &Error{"ERR Manual failover timed out: this replica did not catch up with its master"}
				case <-time.After(5 * time.Millisecond):
				}
			}
			if resp.Offset == last {
				break
			}
			last = resp.Offset
		}
	}
	n.log.Warn("cluster: manual failover: asking for the slots of the primary", "primary", me.Primary)
	_, err = n.change(&Entry{Op: opFailover, Target: me.Primary, Promote: n.ID(), Manual: true})
	return err
}
