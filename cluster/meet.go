package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
)

// maxVoters is how many nodes vote in Raft; the others follow the log as
// non-voters.
const maxVoters = 5

func itoa(i int) string { return strconv.Itoa(i) }

// Meet is CLUSTER MEET ip port [busport]: it joins this node and the node
// whose bus listens at ip:busport (busport 0: port + 10000, as Redis) into
// one cluster. The node that is alone joins the other's cluster, bringing
// its slots; two nodes that each have other members are refused, as two
// Raft groups cannot merge. It returns once this node has applied the
// admission.
func (n *Node) Meet(ctx context.Context, ip string, port, busPort int) error {
	if busPort == 0 {
		busPort = port + BusPortIncr
	}
	if port < 0 || port > maxPort || busPort <= 0 || busPort > maxPort {
		return &Error{"ERR Invalid base port specified: " + itoa(port)}
	}
	addr := net.JoinHostPort(ip, itoa(busPort))
	n.joinMu.Lock()
	defer n.joinMu.Unlock()
	hello, err := n.request(ctx, addr, &busRequest{Kind: "hello", YourIP: ip})
	if err != nil {
		return meetError(addr, err)
	}
	s := n.state.Load()
	if hello.ID == n.ID() || s.Nodes[hello.ID] != nil {
		return nil // myself, or already a member: nothing to do, as in Redis
	}
	switch {
	case n.alone():
		return n.joinClusterLocked(ctx, addr, ip)
	case hello.Members <= 1:
		me := n.self()
		myIP := me.IP
		if myIP == "" {
			myIP = hello.YourIP
		}
		_, err := n.request(ctx, addr, &busRequest{Kind: "invite",
			Addr: net.JoinHostPort(myIP, itoa(me.BusPort)), YourIP: myIP})
		if err != nil {
			return meetError(addr, err)
		}
		return n.waitFor(ctx, func(s *State) bool { return s.Nodes[hello.ID] != nil })
	default:
		return &Error{fmt.Sprintf("ERR Node %s at %s belongs to another cluster with other members: two clusters cannot merge (CLUSTER RESET one side first)", hello.ID, addr)}
	}
}

func meetError(addr string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{fmt.Sprintf("ERR Cannot reach the cluster bus of %s: %v", addr, err)}
}

// setRejoining marks that a MEET or a RESET replaces this node's Raft
// member and writes its own node entry, so that keepSelf does not.
func (n *Node) setRejoining(on bool) {
	n.mu.Lock()
	n.rejoining = on
	n.cond.Broadcast()
	n.mu.Unlock()
}

// alone reports whether this node is a cluster of one.
func (n *Node) alone() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.m != nil && n.aloneLocked() && len(n.state.Load().Nodes) <= 1
}

// joinCluster is the invitation's side of Meet.
func (n *Node) joinCluster(ctx context.Context, addr, theirIP string) error {
	n.joinMu.Lock()
	defer n.joinMu.Unlock()
	if !n.alone() {
		return &Error{"ERR this node already belongs to a cluster with other members"}
	}
	return n.joinClusterLocked(ctx, addr, theirIP)
}

// joinClusterLocked leaves this node's one-node cluster for the cluster
// whose member's bus is at addr: it drops its own Raft log, asks to be
// admitted with its node entry and its slots, and waits until it has
// applied its admission. On failure it becomes the cluster of one it was.
func (n *Node) joinClusterLocked(ctx context.Context, addr, theirIP string) error {
	s := n.state.Load()
	info := n.self()
	if cur := s.Nodes[n.ID()]; cur != nil {
		info.ConfigEpoch = cur.ConfigEpoch
	}
	slots := s.SlotsOf(n.ID())
	n.setRejoining(true)
	defer n.setRejoining(false)
	if err := n.replaceMember(false); err != nil {
		return err
	}
	_, err := n.request(ctx, addr, &busRequest{Kind: "join", Info: info, Slots: slots, YourIP: theirIP})
	if err == nil {
		// Admitted: the cluster holds this node and its slots now, even
		// if it has not caught up before ctx ends. Going back to being
		// alone would make two clusters own the slots.
		return n.waitFor(ctx, func(s *State) bool { return s.Nodes[n.ID()] != nil && len(s.Nodes) > 1 })
	}
	n.log.Warn("cluster: joining failed, staying alone", "bus", addr, "err", err)
	if rerr := n.replaceMember(true); rerr != nil {
		return errors.Join(err, rerr)
	}
	r, aerr := n.submit(&Entry{Op: opAdmit, Info: info, Slots: slots})
	if aerr == nil && r.Err != nil {
		aerr = r.Err
	}
	if aerr != nil {
		return errors.Join(err, fmt.Errorf("cluster: this node could not take back its own configuration: %w", aerr))
	}
	return meetError(addr, err)
}

// replaceMember stops this node's Raft, drops its log, and starts a fresh
// member: bootstrapped alone, or waiting to be added to a cluster.
func (n *Node) replaceMember(bootstrap bool) error {
	n.mu.Lock()
	old := n.m
	n.m = nil
	n.mu.Unlock()
	if old != nil {
		if err := old.close(); err != nil {
			n.log.Warn("cluster: closing the Raft member", "err", err)
		}
	}
	if err := wipe(n.cfg.Dir); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	n.setState(newState(), 0)
	n.mu.Lock()
	n.applied = 0
	n.mu.Unlock()
	m, err := n.openMember(bootstrap)
	if err != nil {
		return fmt.Errorf("cluster: raft: %w", err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		m.close()
		return ErrClosed
	}
	n.m = m
	n.cond.Broadcast()
	n.partitioned.Store(!bootstrap) // a joining node waits to hear from its leader
	return nil
}

// asLeader returns this node's Raft member when it leads. Otherwise it
// sends req to the leader instead, and reports that it did with the
// leader's answer.
func (n *Node) asLeader(ctx context.Context, req *busRequest) (m *member, forwarded bool, err error) {
	if m = n.member(); m == nil {
		return nil, false, ErrClosed
	}
	if m.raft.State() == raft.Leader {
		return m, false, nil
	}
	addr := n.leader(m)
	if addr == "" {
		return nil, false, errNoLeader
	}
	_, err = n.request(ctx, addr, req)
	return nil, true, err
}

// admit runs a join on the leader: one entry admits the node with its
// slots, then Raft adds it as a non-voter; reconcile makes it a voter.
func (n *Node) admit(ctx context.Context, req *busRequest) error {
	if req.Info == nil || len(req.Info.ID) != 40 {
		return errors.New("ERR invalid join request")
	}
	m, forwarded, err := n.asLeader(ctx, req)
	if forwarded || err != nil {
		return err
	}
	// Admitted already: a join whose answer was lost (the leader lost its
	// lease while it admitted the node) is asked again, and goes on to
	// Raft's membership below instead of failing for good.
	if n.state.Load().Nodes[req.Info.ID] == nil {
		if r, _, err := n.applyAsLeader(&Entry{Op: opAdmit, Info: req.Info, Slots: req.Slots}); err != nil {
			return err
		} else if r.Err != nil {
			return r.Err
		}
	}
	// A non-voter first: it votes once reconcile sees it answer (a node
	// whose announced address does not work must not become half of a
	// two-voter cluster that can then commit nothing).
	id := raft.ServerID(req.Info.ID)
	add := m.raft.AddNonvoter(id, raft.ServerAddress(busAddr(req.Info)), 0, n.requestTimeout())
	err = add.Error()
	n.nudge()
	return err
}

// The configuration changes behind the CLUSTER commands. Each returns
// Redis's error when the change breaks one of its rules, errNoLeader when
// no majority is reachable, and returns once the change is applied here.

// AddSlots is CLUSTER ADDSLOTS.
func (n *Node) AddSlots(slots ...int) error {
	_, err := n.change(&Entry{Op: opAddSlots, Slots: slots})
	return err
}

// DelSlots is CLUSTER DELSLOTS.
func (n *Node) DelSlots(slots ...int) error {
	_, err := n.change(&Entry{Op: opDelSlots, Slots: slots})
	return err
}

// FlushSlots is CLUSTER FLUSHSLOTS.
func (n *Node) FlushSlots() error {
	_, err := n.change(&Entry{Op: opFlush})
	return err
}

// SetSlot is CLUSTER SETSLOT slot IMPORTING|MIGRATING|NODE id, or STABLE.
// The caller checks what only it knows first: SETSLOT NODE of a slot this
// node still holds keys of is refused before it comes here.
func (n *Node) SetSlot(slot int, action, target string) error {
	if action == "node" && n.state.Load().settled(n.ID(), slot, target) {
		// redis-cli sends SETSLOT NODE to every primary after the target:
		// once the log says so, the others need no entry of their own.
		return nil
	}
	_, err := n.change(&Entry{Op: opSetSlot, Slot: slot, Action: action, Target: target})
	return err
}

// SetConfigEpoch is CLUSTER SET-CONFIG-EPOCH.
func (n *Node) SetConfigEpoch(epoch uint64) error {
	_, err := n.change(&Entry{Op: opSetEpoch, Epoch: epoch})
	return err
}

// BumpEpoch is CLUSTER BUMPEPOCH; it answers "BUMPED n" or "STILL n".
func (n *Node) BumpEpoch() (string, error) { return n.change(&Entry{Op: opBump}) }

// Replicate is CLUSTER REPLICATE's change of the configuration; the
// caller checks that this node holds no keys and starts replication.
func (n *Node) Replicate(primary string) error {
	_, err := n.change(&Entry{Op: opReplicate, Target: primary})
	return err
}

// Reset is CLUSTER RESET's change of the configuration: the node leaves
// its cluster (the others forget it, as redis-cli's del-node has them do
// first) and becomes a cluster of one that owns no slot. SOFT keeps its
// id and config epoch; hard gives it a new id and epoch 0, as Redis's
// HARD does. The caller stops replication and empties a replica first,
// and refuses a primary that holds keys.
func (n *Node) Reset(hard bool) error {
	n.joinMu.Lock()
	defer n.joinMu.Unlock()
	st := n.state.Load()
	var epoch uint64
	if me := st.Nodes[n.ID()]; me != nil {
		epoch = me.ConfigEpoch
		if len(st.Nodes) > 1 {
			// A node the others forgot already (redis-cli's del-node sends
			// FORGET first) is out of Raft and cannot commit this: it
			// leaves on its own, as a Redis node resets its own view only.
			_, err := n.change(&Entry{Op: opLeave})
			if err == nil {
				// Out of Raft before the new one-node member starts, or the
				// cluster's leader would go on replicating to it.
				err = n.removeMember(n.ID())
			}
			if err != nil {
				n.log.Info("cluster: CLUSTER RESET: leaving the cluster was not confirmed", "err", err)
			}
		}
	}
	n.setRejoining(true)
	defer n.setRejoining(false)
	if hard {
		id, err := newID(filepath.Join(n.cfg.Dir, idFile))
		if err != nil {
			return err
		}
		n.id.Store(&id)
		epoch = 0
	}
	if err := n.replaceMember(true); err != nil {
		return err
	}
	info := n.self()
	info.ConfigEpoch = epoch
	_, err := n.submit(&Entry{Op: opNode, Info: info})
	return err
}

// Forget is CLUSTER FORGET: the node leaves the configuration and Raft.
func (n *Node) Forget(id string) error {
	if _, err := n.change(&Entry{Op: opForget, Target: id}); err != nil {
		return err
	}
	return n.removeMember(id)
}

// removeMember takes node id out of Raft's configuration, through the
// leader, and returns once that change is committed.
func (n *Node) removeMember(id string) error {
	ctx, cancel := context.WithTimeout(n.ctx, n.requestTimeout())
	defer cancel()
	m, forwarded, err := n.asLeader(ctx, &busRequest{Kind: "remove", Addr: id})
	if forwarded || err != nil {
		return err
	}
	f := m.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return err
	}
	for _, s := range f.Configuration().Servers {
		if string(s.ID) == id {
			return n.waitFuture(m.raft.RemoveServer(s.ID, 0, n.requestTimeout()))
		}
	}
	return nil
}

// reconcile keeps Raft's membership in step with the configuration while
// this node leads: a forgotten node leaves Raft, and a non-voter that
// answers its pings becomes a voter while there are fewer than five.
func (n *Node) reconcile() {
	defer n.wg.Done()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(raftTimeouts(n.nodeTimeout())):
		}
		m := n.member()
		if m == nil || m.raft.State() != raft.Leader {
			continue
		}
		f := m.raft.GetConfiguration()
		if f.Error() != nil {
			continue
		}
		s := n.state.Load()
		voters := 0
		var nonvoters []raft.Server
		for _, srv := range f.Configuration().Servers {
			switch {
			case s.Forgotten[string(srv.ID)]:
				m.raft.RemoveServer(srv.ID, 0, n.requestTimeout())
			case srv.Suffrage == raft.Voter:
				voters++
			default:
				nonvoters = append(nonvoters, srv)
			}
		}
		links := n.Links()
		for _, srv := range nonvoters {
			if voters >= maxVoters {
				break
			}
			if l := links[string(srv.ID)]; !l.Connected || l.Fail != "" {
				continue // a voter must answer; a failed one would stall commits
			}
			if n.waitFuture(m.raft.AddVoter(srv.ID, srv.Address, 0, n.requestTimeout())) == nil {
				voters++
			}
		}
	}
}
