package cluster

import (
	"maps"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"
)

// Stats is what a node counts of its own work, for CLUSTER INFO: the bus
// requests it sent and received, by kind (ping, report, join, apply, ...;
// Raft's own messages travel on long-lived connections of their own and
// are counted as the connections opened, kind "raft"), and the failovers
// it started, won (it was promoted) and lost (one it started did not
// happen).
type Stats struct {
	Sent, Received                                map[string]uint64
	FailoversStarted, FailoversWon, FailoversLost uint64
}

type stats struct {
	mu             sync.Mutex
	sent, received map[string]uint64
	started        atomic.Uint64
	won            atomic.Uint64
	lost           atomic.Uint64
}

func (s *stats) countSent(kind string)     { s.count(&s.sent, kind) }
func (s *stats) countReceived(kind string) { s.count(&s.received, kind) }

func (s *stats) count(m *map[string]uint64, kind string) {
	s.mu.Lock()
	if *m == nil {
		*m = map[string]uint64{}
	}
	(*m)[kind]++
	s.mu.Unlock()
}

// Stats returns the node's counts so far. Safe for concurrent use.
func (n *Node) Stats() Stats {
	s := &n.stats
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Sent: maps.Clone(s.sent), Received: maps.Clone(s.received),
		FailoversStarted: s.started.Load(), FailoversWon: s.won.Load(), FailoversLost: s.lost.Load()}
}

// RaftStatus is this node's place in Raft, for CLUSTER INFO: its state
// (leader, follower, candidate; "" while it has no Raft member), whether
// it votes, and how many voters the configuration has.
type RaftStatus struct {
	State  string
	Voter  bool
	Voters int
}

// Raft returns the node's RaftStatus.
func (n *Node) Raft() RaftStatus {
	m := n.member()
	if m == nil {
		return RaftStatus{}
	}
	st := RaftStatus{State: strings.ToLower(m.raft.State().String())}
	f := m.raft.GetConfiguration()
	if f.Error() != nil {
		return st
	}
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			st.Voters++
			st.Voter = st.Voter || string(s.ID) == n.ID()
		}
	}
	return st
}
