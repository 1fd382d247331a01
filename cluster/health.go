package cluster

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Failure detection, as Redis shows it: every node pings every other
// node's bus and flags a peer that has not answered for the node timeout
// "fail?" in its own CLUSTER NODES; it reports those it suspects to the
// leader, which appends an entry marking a node failed once a majority of
// the Raft voters suspect it, and clears the mark once a majority reach it
// again. The mark is in the configuration, so every node shows "fail" at
// the same point of the log, and a minority cannot set or clear it.

// health is what this node knows of its links, and, while it leads, the
// other nodes' reports.
type health struct {
	mu      sync.Mutex
	links   map[string]*link
	reports map[string]report // by reporting node, kept by the leader
}

type link struct {
	since    time.Time // first seen: a new peer gets a node timeout to answer
	pingSent time.Time // zero when no ping is in flight
	pongRecv time.Time
	up       bool
}

type report struct {
	at       time.Time
	suspects []string
	offset   uint64 // the reporter's replication offset
}

// healthPeriod is how often the links are pinged and the reports sent.
func (n *Node) healthPeriod() time.Duration { return max(n.nodeTimeout()/5, 20*time.Millisecond) }

// Links returns this node's view of its links to the other nodes.
func (n *Node) Links() map[string]Link {
	n.health.mu.Lock()
	defer n.health.mu.Unlock()
	out := make(map[string]Link, len(n.health.links))
	now := time.Now()
	for id, l := range n.health.links {
		v := Link{Since: unixMilli(l.since), Connected: l.up, PongRecv: unixMilli(l.pongRecv), PingSent: unixMilli(l.pingSent)}
		if n.suspectLocked(l, now) {
			v.Fail = "fail?"
		}
		out[id] = v
	}
	return out
}

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func (n *Node) suspectLocked(l *link, now time.Time) bool {
	last := l.pongRecv
	if last.Before(l.since) {
		last = l.since
	}
	return now.Sub(last) > n.nodeTimeout()
}

// monitor pings the peers, reports suspects to the leader and, on the
// leader, turns the reports into failure marks.
func (n *Node) monitor() {
	defer n.wg.Done()
	var reporting sync.Mutex // one report in flight at a time
	for {
		// The period follows cluster-node-timeout as CONFIG SET changes it.
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(n.healthPeriod()):
		}
		n.partitioned.Store(n.cutOff())
		st := n.state.Load()
		suspects := n.pingAll(st)
		m := n.member()
		if m == nil {
			continue
		}
		if m.raft.State() == raft.Leader {
			n.record(n.ID(), suspects, n.offset())
			n.judge(m, st)
			continue
		}
		if addr := n.leader(m); addr != "" && reporting.TryLock() {
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				defer reporting.Unlock()
				ctx, cancel := context.WithTimeout(n.ctx, n.nodeTimeout())
				defer cancel()
				n.request(ctx, addr, &busRequest{Kind: "report", From: n.ID(), Suspects: suspects, Offset: n.offset()})
			}()
		}
	}
}

// pingAll starts a ping to every peer that has none in flight, forgets
// the links of nodes no longer in the configuration, and returns the
// peers suspected now.
func (n *Node) pingAll(st *State) []string {
	now := time.Now()
	h := &n.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.links == nil {
		h.links = map[string]*link{}
	}
	for id := range h.links {
		if st.Nodes[id] == nil {
			delete(h.links, id)
		}
	}
	var suspects []string
	for id, info := range st.Nodes {
		if id == n.ID() || info.IP == "" {
			continue
		}
		l := h.links[id]
		if l == nil {
			l = &link{since: now}
			h.links[id] = l
		}
		if n.suspectLocked(l, now) {
			suspects = append(suspects, id)
		}
		if !l.pingSent.IsZero() {
			continue
		}
		l.pingSent = now
		addr := busAddr(info)
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			ctx, cancel := context.WithTimeout(n.ctx, n.nodeTimeout())
			defer cancel()
			_, err := n.request(ctx, addr, &busRequest{Kind: "ping"})
			h.mu.Lock()
			defer h.mu.Unlock()
			if l := h.links[id]; l != nil {
				l.pingSent, l.up = time.Time{}, err == nil
				if err == nil {
					l.pongRecv = time.Now()
				}
			}
		}()
	}
	slices.Sort(suspects)
	return suspects
}

// record keeps a node's report on the leader.
func (n *Node) record(from string, suspects []string, offset uint64) {
	n.health.mu.Lock()
	defer n.health.mu.Unlock()
	if n.health.reports == nil {
		n.health.reports = map[string]report{}
	}
	n.health.reports[from] = report{at: time.Now(), suspects: suspects, offset: offset}
}

// offset is this node's replication offset, as Config.Offset reads it.
func (n *Node) offset() uint64 {
	if n.cfg.Offset == nil {
		return 0
	}
	return n.cfg.Offset()
}

// judge, on the leader, marks a node failed when a majority of the voters
// suspect it, and clears the mark when a majority reach it.
func (n *Node) judge(m *member, st *State) {
	f := m.raft.GetConfiguration()
	if f.Error() != nil {
		return
	}
	var voters []string
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			voters = append(voters, string(s.ID))
		}
	}
	fresh := 3*n.healthPeriod() + n.nodeTimeout()
	now := time.Now()
	n.health.mu.Lock()
	suspected, reached := map[string]int{}, map[string]int{}
	for _, v := range voters {
		r, ok := n.health.reports[v]
		if !ok || now.Sub(r.at) > fresh {
			continue
		}
		for id := range st.Nodes {
			if id == v {
				continue
			}
			if slices.Contains(r.suspects, id) {
				suspected[id]++
			} else {
				reached[id]++
			}
		}
	}
	offsets := map[string]uint64{}
	for id, r := range n.health.reports {
		if now.Sub(r.at) <= fresh {
			offsets[id] = r.offset
		}
	}
	n.health.mu.Unlock()
	for id, info := range st.Nodes {
		if info.Failed && info.Primary == "" && len(st.SlotsOf(id)) > 0 {
			n.promote(st, id, offsets)
		}
	}
	for id, info := range st.Nodes {
		var set bool
		switch {
		case !info.Failed && suspected[id] > len(voters)/2:
			set = true
		case info.Failed && reached[id] > len(voters)/2:
		default:
			continue
		}
		if _, _, err := n.applyAsLeader(&Entry{Op: opFail, By: n.ID(), Target: id, Failed: set}); err != nil {
			n.log.Debug("cluster: marking a node", "node", id, "failed", set, "err", err)
		}
	}
}

// FailureReports is CLUSTER COUNT-FAILURE-REPORTS: how many other nodes
// reported, within the last node timeout and a few periods, that they
// cannot reach id. Reports go to the leader, so a node that does not lead
// counts none.
func (n *Node) FailureReports(id string) int {
	fresh := 3*n.healthPeriod() + n.nodeTimeout()
	now := time.Now()
	n.health.mu.Lock()
	defer n.health.mu.Unlock()
	count := 0
	for from, r := range n.health.reports {
		if from != n.ID() && from != id && now.Sub(r.at) <= fresh && slices.Contains(r.suspects, id) {
			count++
		}
	}
	return count
}
