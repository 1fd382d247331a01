package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// fsm applies log entries to the configuration. Raft calls Apply,
// Snapshot and Restore from one goroutine; readers take the current state
// from the Node's atomic pointer, never from here.
type fsm struct {
	n *Node
}

func (f *fsm) Apply(l *raft.Log) any {
	if l.Index <= f.n.appliedIndex() {
		// In the configuration this node saved before it restarted.
		return Result{}
	}
	var e Entry
	if err := json.Unmarshal(l.Data, &e); err != nil {
		return Result{Err: errorf("ERR undecodable cluster log entry at index %d", l.Index)}
	}
	next, r := f.n.state.Load().apply(&e)
	// Counted before the state is published: whoever sees this node
	// promoted sees the failover won too.
	won := e.Op == opFailover && e.Promote == f.n.ID() && r.Err == nil
	if won {
		f.n.stats.won.Add(1)
	}
	f.n.setState(next, l.Index)
	if won {
		f.n.log.Warn("cluster: failover won: this node now serves the slots of its primary", "primary", e.Target, "epoch", next.CurrentEpoch)
	}
	return r
}

func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	return snapshot{f.n.state.Load(), f.n.appliedIndex()}, nil
}

func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var sj stateJSON
	if err := json.NewDecoder(rc).Decode(&sj); err != nil {
		return err
	}
	if applied := f.n.appliedIndex(); applied > 0 && sj.Index <= applied {
		return nil // the saved configuration is as new, or newer
	}
	s, err := sj.state()
	if err != nil {
		return err
	}
	f.n.setState(s, sj.Index)
	return nil
}

// stateJSON is a State at a log index, slots as ranges: what a snapshot
// and the configuration saved beside the log hold.
type stateJSON struct {
	Index        uint64               `json:"index"`
	CurrentEpoch uint64               `json:"current_epoch"`
	Nodes        map[string]*NodeInfo `json:"nodes"`
	Forgotten    map[string]bool      `json:"forgotten,omitempty"`
	Owners       map[string][][2]int  `json:"owners"`
	Recent       []applied            `json:"recent,omitempty"`
	Migrations   []*Migration         `json:"migrations,omitempty"`
	Seq          uint64               `json:"seq,omitempty"`
}

func encodeState(s *State, index uint64) *stateJSON {
	sj := &stateJSON{Index: index, CurrentEpoch: s.CurrentEpoch, Nodes: s.Nodes, Forgotten: s.Forgotten,
		Owners: map[string][][2]int{}, Recent: s.recent, Migrations: s.Migrations(), Seq: s.seq}
	for id := range s.Nodes {
		if rs := s.ranges(id); len(rs) > 0 {
			sj.Owners[id] = rs
		}
	}
	return sj
}

// state checks sj, which came from a peer or a file, and builds its State.
func (sj *stateJSON) state() (*State, error) {
	s := newState()
	s.CurrentEpoch = sj.CurrentEpoch
	s.recent = sj.Recent
	s.seq = sj.Seq
	for _, m := range sj.Migrations {
		if m == nil || m.ID == "" {
			return nil, fmt.Errorf("cluster: configuration: a malformed migration")
		}
		if s.migrations == nil {
			s.migrations = map[string]*Migration{}
		}
		s.migrations[m.ID] = m
	}
	for id, n := range sj.Nodes {
		if n == nil || n.ID != id {
			return nil, fmt.Errorf("cluster: configuration: a malformed entry for node %q", id)
		}
		s.Nodes[id] = n
	}
	for id := range sj.Forgotten {
		s.Forgotten[id] = true
	}
	for id, rs := range sj.Owners {
		if s.Nodes[id] == nil {
			return nil, fmt.Errorf("cluster: configuration: slots of unknown node %q", id)
		}
		for _, r := range rs {
			for i := max(r[0], 0); i <= r[1] && i < Slots; i++ {
				s.owners[i] = id
			}
		}
	}
	return s, nil
}

type snapshot struct {
	s     *State
	index uint64
}

func (s snapshot) Persist(sink raft.SnapshotSink) error {
	if err := json.NewEncoder(sink).Encode(encodeState(s.s, s.index)); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (snapshot) Release() {}

// stateFile holds the configuration as last applied, beside the log: a
// node that restarts answers from it at once, as Redis from nodes.conf,
// before its Raft member hears from a leader which entries committed.
const stateFile = "state.json"

// saveState writes the configuration applied at index, atomically. Not
// synced: a file older than the log only makes the node apply again what
// follows it.
func (n *Node) saveState(s *State, index uint64) {
	b, err := json.Marshal(encodeState(s, index))
	if err == nil {
		tmp := filepath.Join(n.cfg.Dir, stateFile+".tmp")
		if err = os.WriteFile(tmp, b, 0o644); err == nil {
			err = os.Rename(tmp, filepath.Join(n.cfg.Dir, stateFile))
		}
	}
	if err != nil {
		n.log.Warn("cluster: saving the configuration", "err", err)
	}
}

// loadState reads the configuration saved by saveState, if any.
func loadState(dir string) (*State, uint64, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if os.IsNotExist(err) {
		return newState(), 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var sj stateJSON
	if err := json.Unmarshal(b, &sj); err != nil {
		return nil, 0, fmt.Errorf("cluster: %s: %w", stateFile, err)
	}
	s, err := sj.state()
	return s, sj.Index, err
}

// raftTimeouts scales Raft's timers to cluster-node-timeout: a tenth of it,
// between 50 ms and Raft's own default of one second.
func raftTimeouts(nodeTimeout time.Duration) time.Duration {
	return min(max(nodeTimeout/10, 50*time.Millisecond), time.Second)
}

// member is one run of Raft over the node's log: its stores, transport
// and stream layer. MEET of a node that is alone replaces it with a fresh
// one that follows the other cluster.
type member struct {
	raft   *raft.Raft
	trans  *raft.NetworkTransport
	stream *streamLayer
	logs   *raftboltdb.BoltStore
}

const (
	raftFile     = "raft.db"
	snapshotsDir = "snapshots"
)

// openMember opens the Raft stores under dir and starts Raft. When the
// stores are empty and bootstrap is set, the member bootstraps a
// configuration with itself as the only voter.
func (n *Node) openMember(bootstrap bool) (*member, error) {
	dir := n.cfg.Dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logs, err := raftboltdb.NewBoltStore(filepath.Join(dir, raftFile))
	if err != nil {
		return nil, err
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(filepath.Join(dir, snapshotsDir), 2, n.hclog())
	if err != nil {
		logs.Close()
		return nil, err
	}
	stream := newStreamLayer(n)
	n.stream.Store(stream)
	trans := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		ServerAddressProvider: n, Stream: stream, MaxPool: 3, Timeout: 10 * time.Second, Logger: n.hclog(),
	})
	conf := raft.DefaultConfig()
	conf.LocalID = raft.ServerID(n.ID())
	conf.Logger = n.hclog()
	t := raftTimeouts(n.nodeTimeout())
	conf.HeartbeatTimeout, conf.ElectionTimeout, conf.LeaderLeaseTimeout = t, t, t/2
	conf.CommitTimeout = min(conf.CommitTimeout, t/2)
	conf.SnapshotThreshold = 1024
	closeAll := func() { trans.Close(); logs.Close() }
	existing, err := raft.HasExistingState(logs, logs, snaps)
	if err != nil {
		closeAll()
		return nil, err
	}
	if !existing && bootstrap {
		c := raft.Configuration{Servers: []raft.Server{{ID: conf.LocalID, Address: trans.LocalAddr()}}}
		if err := raft.BootstrapCluster(conf, logs, logs, snaps, trans, c); err != nil {
			closeAll()
			return nil, err
		}
	}
	r, err := raft.NewRaft(conf, &fsm{n}, logs, logs, snaps, trans)
	if err != nil {
		closeAll()
		return nil, err
	}
	return &member{raft: r, trans: trans, stream: stream, logs: logs}, nil
}

// close stops Raft and releases the stores.
func (m *member) close() error {
	err := m.raft.Shutdown().Error()
	return errors.Join(err, m.trans.Close(), m.logs.Close())
}

// wipe removes the Raft stores under dir, for a node that leaves its own
// one-node cluster to follow another.
func wipe(dir string) error {
	state := os.Remove(filepath.Join(dir, stateFile))
	if os.IsNotExist(state) {
		state = nil
	}
	return errors.Join(os.Remove(filepath.Join(dir, raftFile)), os.RemoveAll(filepath.Join(dir, snapshotsDir)), state)
}

// ServerAddr dials a Raft peer at the bus address the configuration holds
// for it, which follows address changes applied to the log. Without one
// (a node not yet admitted, or before a restarted node replays its log)
// Raft uses the address its own configuration holds.
func (n *Node) ServerAddr(id raft.ServerID) (raft.ServerAddress, error) {
	if info := n.state.Load().Nodes[string(id)]; info != nil && info.IP != "" && info.BusPort != 0 {
		return raft.ServerAddress(net.JoinHostPort(info.IP, itoa(info.BusPort))), nil
	}
	return "", errNoAddress
}

var errNoAddress = errors.New("cluster: no address in the configuration yet")

// leader returns the bus address of m's leader, "" when there is none.
func (n *Node) leader(m *member) string {
	addr, id := m.raft.LeaderWithID()
	if id == "" {
		return ""
	}
	if a, err := n.ServerAddr(id); err == nil {
		return string(a)
	}
	return string(addr)
}

// streamLayer hands Raft the bus connections that announced themselves
// as Raft's, and dials peers' buses with the Raft byte.
type streamLayer struct {
	n      *Node
	addr   net.Addr
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once

	mu      sync.Mutex
	handled map[*trackedConn]struct{} // given to Raft and open: closed with the layer
}

// trackedConn leaves its layer's set when Raft closes it.
type trackedConn struct {
	net.Conn
	s *streamLayer
}

func (c *trackedConn) Close() error {
	c.s.mu.Lock()
	delete(c.s.handled, c)
	c.s.mu.Unlock()
	return c.Conn.Close()
}

func newStreamLayer(n *Node) *streamLayer {
	return &streamLayer{n: n, addr: n.ln.Addr(), conns: make(chan net.Conn), closed: make(chan struct{}),
		handled: map[*trackedConn]struct{}{}}
}

func (s *streamLayer) Accept() (net.Conn, error) {
	select {
	case c := <-s.conns:
		return c, nil
	case <-s.closed:
		return nil, net.ErrClosed
	}
}

// offer passes c to Raft, or reports that this layer is closed.
func (s *streamLayer) offer(c net.Conn) bool {
	tc := &trackedConn{Conn: c, s: s}
	s.mu.Lock()
	s.handled[tc] = struct{}{}
	s.mu.Unlock()
	select {
	case s.conns <- tc:
		return true
	case <-s.closed:
		s.mu.Lock()
		delete(s.handled, tc)
		s.mu.Unlock()
		return false
	}
}

// Close stops handing connections to Raft and closes those it was given:
// Raft's transport reads them without a deadline.
func (s *streamLayer) Close() error {
	s.once.Do(func() {
		close(s.closed)
		s.mu.Lock()
		open := s.handled
		s.handled = map[*trackedConn]struct{}{}
		s.mu.Unlock()
		for c := range open {
			c.Conn.Close()
		}
	})
	return nil
}

func (s *streamLayer) Addr() net.Addr { return s.addr }

func (s *streamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	s.n.stats.countSent("raft")
	return s.n.dialBus(string(addr), kindRaft, timeout)
}

// hclog is Raft's logger, writing through the Node's slog.Logger at debug
// level (Raft's warnings and errors at warn).
func (n *Node) hclog() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Info, Output: slogWriter{n.log}})
}

type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	// Raft's warnings are its everyday events (an election starts, a
	// follower is behind); its errors are worth the operator's eye.
	if strings.Contains(line, "[ERROR]") {
		w.l.Warn(line)
	} else {
		w.l.Debug(line)
	}
	return len(p), nil
}
