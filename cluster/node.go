package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	"github.com/shinglekv/shingle/tlsconn"
)

// Config is what a Node needs: where it keeps its configuration, where its
// bus listens and how it dials its peers, and what it announces.
type Config struct {
	// Dir is the directory that holds the node's id, its Raft log and its
	// snapshots: cluster-config-file, the equivalent of Redis's nodes.conf.
	// Required.
	Dir string
	// BusAddr is the host:port the bus listens on; port 0 picks a free
	// port (tests). Required.
	BusAddr string
	// BusTLS, when set, makes the bus TLS (tls-cluster yes). Its settings
	// must require a client certificate (tls-auth-clients yes): a peer
	// without a certificate the CA verifies can neither join nor change
	// anything. nil: plain TCP, as Redis's bus without tls-cluster.
	BusTLS *tlsconn.ServerTLS
	// BusDialer dials the peers' buses: TLS (or QUIC) with this node's
	// client certificate when BusTLS is set, TCP otherwise. Required.
	BusDialer *tlsconn.Dialer
	// BusQUIC puts the bus on QUIC (UDP, TLS 1.3, BusTLS's certificates)
	// instead of TCP: Shingle's cluster-bus-transport quic. It needs
	// BusTLS, and BusDialer of transport QUIC.
	BusQUIC bool
	// Announce is what the node tells the others about itself: its IP
	// (cluster-announce-ip; "" learns it from the peers, as Redis does),
	// client ports per transport, hostname, and the bus port (0: the port
	// the bus listens on).
	Announce NodeInfo
	// NodeTimeout is cluster-node-timeout; Raft's timers follow from it.
	// Default 15 s.
	NodeTimeout time.Duration
	// Logger receives the node's events and Raft's. nil: discarded.
	Logger *slog.Logger
	// Offset, when set, reads this node's replication offset: a failover
	// promotes the replica that reported the largest.
	Offset func() uint64
	// PauseWrites, when set, holds the clients' writes back for at most d
	// and returns the replication offset they stopped at: what a primary
	// does for its replica's CLUSTER FAILOVER. The writes resume when the
	// configuration shows the failover, or when d has passed.
	PauseWrites func(d time.Duration) uint64
	// OnChange, when set, is called after every change of the applied
	// configuration, on Raft's goroutine: it must return at once (signal
	// a goroutine of its own, read State there).
	OnChange func()
}

// Node is one member of a cluster. Its methods are safe for concurrent
// use; after Close they return ErrClosed.
type Node struct {
	cfg Config
	id  atomic.Pointer[string] // a new one only at CLUSTER RESET HARD
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	ln     tlsconn.Listener
	wg     sync.WaitGroup
	stream atomic.Pointer[streamLayer]
	state  atomic.Pointer[State]

	mu      sync.Mutex // guards m, applied, closed
	cond    *sync.Cond
	m       *member
	applied uint64
	closed  bool
	// rejoining is set while a MEET or RESET replaces the node's Raft
	// member: the node's entry is theirs to write, not keepSelf's.
	rejoining bool

	joinMu      sync.Mutex // one MEET (or invitation) at a time
	partitioned atomic.Bool
	health      health
	announce    atomic.Pointer[NodeInfo]
	timeout     atomic.Int64 // cluster-node-timeout, as a time.Duration
	stats       stats
}

// DefaultNodeTimeout is Redis's cluster-node-timeout.
const DefaultNodeTimeout = 15 * time.Second

func (n *Node) nodeTimeout() time.Duration { return time.Duration(n.timeout.Load()) }

// Partitioned reports whether this node has lost the majority of the
// Raft voters for longer than the node timeout: no leader, or a leader
// not heard from. A primary so cut off stops serving, as a Redis primary
// in a minority does, since the majority may fail it over meanwhile.
// It is read on every command, so it reads a flag the health monitor
// updates every ping period.
func (n *Node) Partitioned() bool { return n.partitioned.Load() }

// cutOff computes Partitioned.
func (n *Node) cutOff() bool {
	m := n.member()
	if m == nil || m.raft.State() == raft.Leader {
		return false
	}
	last := m.raft.LastContact()
	if last.IsZero() {
		// Not heard from a leader since it started or joined: a primary
		// restarted after a failover must not take writes for slots it
		// lost before a leader tells it so. A node alone leads itself.
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.m == nil || !n.aloneLocked()
	}
	return time.Since(last) > n.nodeTimeout()
}

// SetAnnounce changes what the node tells the others about itself (a
// CONFIG SET of a cluster-announce-* directive); the configuration
// follows as soon as a leader is reachable.
func (n *Node) SetAnnounce(a NodeInfo) {
	n.announce.Store(&a)
	n.mu.Lock()
	n.cond.Broadcast()
	n.mu.Unlock()
}

// SetNodeTimeout changes cluster-node-timeout: failure detection and
// Raft's timers follow it.
func (n *Node) SetNodeTimeout(d time.Duration) error {
	if d <= 0 {
		d = DefaultNodeTimeout
	}
	if m := n.member(); m != nil {
		rc := m.raft.ReloadableConfig()
		t := raftTimeouts(d)
		rc.HeartbeatTimeout, rc.ElectionTimeout = t, t
		if err := m.raft.ReloadConfig(rc); err != nil {
			// Raft's leader lease, set at start, bounds how low it goes.
			return fmt.Errorf("cluster: cluster-node-timeout %d ms is too low for the timers this node started with (restart it to go lower): %w", d.Milliseconds(), err)
		}
	}
	n.timeout.Store(int64(d))
	return nil
}

// ErrClosed is returned by a Node's methods after Close.
var ErrClosed = errors.New("cluster: node closed")

const idFile = "node-id"

// NewNode checks cfg and reads the node's id from cfg.Dir, creating both
// when this is the node's first start. It starts nothing.
func NewNode(cfg Config) (*Node, error) {
	if cfg.Dir == "" || cfg.BusAddr == "" || cfg.BusDialer == nil {
		return nil, errors.New("cluster: Config needs Dir, BusAddr and BusDialer")
	}
	if cfg.BusQUIC && (cfg.BusTLS == nil || cfg.BusDialer.Transport != tlsconn.QUIC) {
		return nil, errors.New("cluster: a QUIC bus needs a TLS configuration and a QUIC dialer")
	}
	if cfg.BusTLS != nil && cfg.BusTLS.Settings().AuthClients != tlsconn.AuthClientsYes {
		return nil, errors.New("cluster: a TLS bus must require client certificates (tls-auth-clients yes for the bus)")
	}
	if cfg.NodeTimeout <= 0 {
		cfg.NodeTimeout = DefaultNodeTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	id, err := readOrCreateID(filepath.Join(cfg.Dir, idFile))
	if err != nil {
		return nil, err
	}
	state, applied, err := loadState(cfg.Dir)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: log, applied: applied}
	n.id.Store(&id)
	n.announce.Store(&cfg.Announce)
	n.timeout.Store(int64(cfg.NodeTimeout))
	n.cond = sync.NewCond(&n.mu)
	n.state.Store(state)
	n.ctx, n.cancel = context.WithCancel(context.Background())
	return n, nil
}

func readOrCreateID(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		id := strings.TrimSpace(string(b))
		if len(id) != 40 {
			return "", fmt.Errorf("cluster: %s does not hold a node id", path)
		}
		return id, nil
	}
	if !os.IsNotExist(err) {
		return "", fmt.Errorf("cluster: %w", err)
	}
	return newID(path)
}

// newID makes a random node id and writes it to path, atomically.
func newID(path string) (string, error) {
	var raw [20]byte
	rand.Read(raw[:])
	id := hex.EncodeToString(raw[:])
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("cluster: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("cluster: %w", err)
	}
	return id, nil
}

// ID is the node's 40-character id (CLUSTER MYID).
func (n *Node) ID() string { return *n.id.Load() }

// State is the configuration as last applied here. It is never modified.
func (n *Node) State() *State { return n.state.Load() }

// BusAddr is the address the bus listens on, once started.
func (n *Node) BusAddr() net.Addr { return n.ln.Addr() }

// Started reports whether Start opened the bus.
func (n *Node) Started() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ln != nil && !n.closed
}

// Start opens the bus and joins the node's Raft group: the one it
// belonged to before a restart, or a new group of its own. A node
// starting for the first time returns once it is a cluster of one that
// knows itself.
func (n *Node) Start() error {
	transport := tlsconn.TCP
	switch {
	case n.cfg.BusQUIC:
		transport = tlsconn.QUIC
	case n.cfg.BusTLS != nil:
		transport = tlsconn.TLS
	}
	ln, err := tlsconn.Listen(transport, n.cfg.BusAddr, n.cfg.BusTLS)
	if err != nil {
		return fmt.Errorf("cluster: bus: %w", err)
	}
	n.mu.Lock()
	n.ln = ln
	n.mu.Unlock()
	n.wg.Add(1)
	go n.serveBus()
	m, err := n.openMember(true)
	if err != nil {
		n.cancel()
		ln.Close()
		n.wg.Wait()
		return fmt.Errorf("cluster: raft: %w", err)
	}
	n.mu.Lock()
	n.m = m
	n.mu.Unlock()
	n.partitioned.Store(n.cutOff())
	n.wg.Add(3)
	go n.keepSelf()
	go n.reconcile()
	go n.monitor()
	// A node alone can answer for itself as soon as it leads itself.
	ctx, cancel := context.WithTimeout(n.ctx, 10*raftTimeouts(n.nodeTimeout())+5*time.Second)
	defer cancel()
	if cfg := m.raft.GetConfiguration(); cfg.Error() == nil && len(cfg.Configuration().Servers) == 1 {
		return n.waitFor(ctx, func(s *State) bool { return s.Nodes[n.ID()] != nil })
	}
	return nil
}

// Close stops Raft and the bus. Safe to call twice.
func (n *Node) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	m := n.m
	n.cond.Broadcast()
	n.mu.Unlock()
	n.cancel()
	var err error
	if m != nil {
		err = m.close()
	}
	if n.ln != nil {
		err = errors.Join(err, n.ln.Close())
	}
	n.wg.Wait()
	return err
}

func (n *Node) member() *member {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.m
}

// setState publishes s as applied at index (0: a snapshot's restore).
func (n *Node) setState(s *State, index uint64) {
	n.state.Store(s)
	n.mu.Lock()
	n.applied = max(n.applied, index)
	n.cond.Broadcast()
	n.mu.Unlock()
	if index > 0 {
		n.saveState(s, index)
		// An entry applied is one a leader committed: it was just heard.
		n.partitioned.Store(false)
	}
	if n.cfg.OnChange != nil {
		n.cfg.OnChange()
	}
}

// appliedIndex is the index of the last entry applied here.
func (n *Node) appliedIndex() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.applied
}

// waitFor waits until cond holds for the applied state, or ctx ends.
func (n *Node) waitFor(ctx context.Context, cond func(*State) bool) error {
	return n.wait(ctx, func() bool { return cond(n.state.Load()) })
}

// waitApplied waits until the entry at index is applied here, so that a
// command's caller reads its own change.
func (n *Node) waitApplied(ctx context.Context, index uint64) error {
	return n.wait(ctx, func() bool { return n.applied >= index })
}

// CatchUp returns once this node has applied every entry the Raft leader
// had applied when asked (a bus round trip), or with ctx's error, or
// errNoLeader. A node about to send a client back to the node it is
// importing a slot from calls it first: the move may be applied there
// and not here yet, and the client would be sent back and forth.
func (n *Node) CatchUp(ctx context.Context) error {
	m := n.member()
	if m == nil {
		return ErrClosed
	}
	if m.raft.State() == raft.Leader {
		return nil
	}
	addr := n.leader(m)
	if addr == "" {
		return errNoLeader
	}
	resp, err := n.request(ctx, addr, &busRequest{Kind: "ping"})
	if err != nil {
		return err
	}
	return n.waitApplied(ctx, resp.Index)
}

// wait waits until cond, called with mu held, holds, or ctx ends.
func (n *Node) wait(ctx context.Context, cond func() bool) error {
	stop := context.AfterFunc(ctx, func() {
		n.mu.Lock()
		n.cond.Broadcast()
		n.mu.Unlock()
	})
	defer stop()
	n.mu.Lock()
	defer n.mu.Unlock()
	for !cond() {
		if n.closed {
			return ErrClosed
		}
		if ctx.Err() != nil {
			return fmt.Errorf("cluster: %w", ctx.Err())
		}
		n.cond.Wait()
	}
	return nil
}

// requestTimeout bounds one bus request and one change of the
// configuration: long enough for an election, short enough that a
// command in a minority partition fails instead of hanging.
func (n *Node) requestTimeout() time.Duration {
	return 20*raftTimeouts(n.nodeTimeout()) + time.Second
}

// errNoLeader is the answer of a change that found no leader: the node is
// in a minority partition, or the cluster is electing one.
var errNoLeader = &Error{"CLUSTERDOWN The cluster configuration cannot change now: no leader among its Raft voters is reachable"}

// submit appends e to the log, through the leader, and waits until it is
// applied here. The result carries Redis's error when e broke a rule.
func (n *Node) submit(e *Entry) (Result, error) {
	ctx, cancel := context.WithTimeout(n.ctx, n.requestTimeout())
	defer cancel()
	if e.ID == "" {
		// Retried below when a reply is lost or the leader changes: the
		// id keeps a retry from applying it twice.
		var raw [12]byte
		rand.Read(raw[:])
		e.ID = hex.EncodeToString(raw[:])
	}
	for {
		m := n.member()
		if m == nil {
			// Closed, or a MEET or RESET is replacing the member: wait
			// for the new one.
			if err := n.wait(ctx, func() bool { return n.m != nil }); err != nil {
				if errors.Is(err, ErrClosed) {
					return Result{}, err
				}
				return Result{}, errNoLeader
			}
			continue
		}
		var r Result
		var index uint64
		var err error
		if m.raft.State() == raft.Leader {
			r, index, err = n.applyAsLeader(e)
		} else if addr := n.leader(m); addr != "" {
			var resp *busResponse
			resp, err = n.request(ctx, addr, &busRequest{Kind: "apply", Entry: e})
			if err == nil && resp.Result != nil {
				r, index = *resp.Result, resp.Index
			}
		} else {
			err = errNoLeader
		}
		if err == nil {
			return r, n.waitApplied(ctx, index)
		}
		// The leader changed or is being elected: try again until the
		// deadline.
		select {
		case <-ctx.Done():
			if n.ctx.Err() != nil {
				return Result{}, ErrClosed
			}
			return Result{}, errNoLeader
		case <-time.After(raftTimeouts(n.nodeTimeout()) / 2):
		}
	}
}

// waitFuture returns f's error, or ErrClosed once the node closes. Raft
// may leave a future unanswered when it shuts down (a configuration change
// in flight): the goroutine waiting for it must not hold Close, which
// waits for that goroutine.
func (n *Node) waitFuture(f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-n.ctx.Done():
		return ErrClosed
	}
}

// applyAsLeader appends e when this node leads.
func (n *Node) applyAsLeader(e *Entry) (Result, uint64, error) {
	m := n.member()
	if m == nil {
		return Result{}, 0, ErrClosed
	}
	data, err := json.Marshal(e)
	if err != nil {
		return Result{}, 0, err
	}
	f := m.raft.Apply(data, n.requestTimeout())
	if err := n.waitFuture(f); err != nil {
		return Result{}, 0, err
	}
	r, _ := f.Response().(Result)
	return r, f.Index(), nil
}

// nudge makes the followers learn at once that the entries applied so far
// are committed. A follower learns it from the leader's next
// AppendEntries, which Raft sends when an entry is appended, or else only
// after CommitTimeout (50 ms); a command a follower forwarded waits for
// its own copy to apply before it answers, and a reshard sends several
// per slot. A barrier is an entry that changes nothing.
func (n *Node) nudge() {
	m := n.member()
	if m == nil {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		m.raft.Barrier(n.requestTimeout())
	}()
}

// change submits e and turns a rule's error into an error.
func (n *Node) change(e *Entry) (string, error) {
	e.By = n.ID()
	r, err := n.submit(e)
	if err != nil {
		return "", err
	}
	if r.Err != nil {
		return "", r.Err
	}
	return r.Reply, nil
}

// self is the node entry this node announces.
func (n *Node) self() *NodeInfo {
	a := *n.announce.Load()
	info := &NodeInfo{ID: n.ID(), IP: a.IP, Port: a.Port, TLSPort: a.TLSPort, QUICPort: a.QUICPort,
		BusPort: a.BusPort, Hostname: a.Hostname, NoFailover: a.NoFailover}
	if info.BusPort == 0 {
		_, p, _ := net.SplitHostPort(n.ln.Addr().String())
		info.BusPort, _ = strconv.Atoi(p)
	}
	if cur := n.state.Load().Nodes[n.ID()]; cur != nil && info.IP == "" {
		info.IP = cur.IP
	}
	return info
}

// keepSelf makes the configuration hold this node's current addresses:
// its first entry when it starts alone, and a new one whenever a restart
// changed a port or the node learned its IP.
func (n *Node) keepSelf() {
	defer n.wg.Done()
	for {
		n.mu.Lock()
		for !n.closed && n.selfCurrentLocked() {
			n.cond.Wait()
		}
		closed := n.closed
		n.mu.Unlock()
		if closed {
			return
		}
		if _, err := n.submit(&Entry{Op: opNode, Info: n.self()}); err != nil {
			if errors.Is(err, ErrClosed) {
				return
			}
			n.log.Debug("cluster: announcing this node", "err", err)
			select {
			case <-n.ctx.Done():
				return
			case <-time.After(raftTimeouts(n.nodeTimeout())):
			}
		}
	}
}

// selfCurrentLocked reports whether the configuration already holds what
// this node announces, or whether announcing is not this node's to do: a
// node joining a cluster is admitted by it.
func (n *Node) selfCurrentLocked() bool {
	if n.rejoining {
		return true
	}
	cur := n.state.Load().Nodes[n.ID()]
	if cur == nil {
		return n.m == nil || !n.aloneLocked()
	}
	want := n.self()
	return cur.IP == want.IP && cur.Port == want.Port && cur.TLSPort == want.TLSPort &&
		cur.QUICPort == want.QUICPort && cur.BusPort == want.BusPort && cur.Hostname == want.Hostname &&
		cur.NoFailover == want.NoFailover
}

func (n *Node) aloneLocked() bool {
	f := n.m.raft.GetConfiguration()
	return f.Error() == nil && len(f.Configuration().Servers) == 1
}

// learnIP records the IP a peer reached this node at, when the node
// announces none and knows none yet.
func (n *Node) learnIP(ip string) {
	if ip == "" || n.announce.Load().IP != "" {
		return
	}
	if cur := n.state.Load().Nodes[n.ID()]; cur == nil || cur.IP != "" {
		return
	}
	info := n.self()
	info.IP = ip
	if _, err := n.submit(&Entry{Op: opNode, Info: info}); err != nil {
		n.log.Debug("cluster: recording this node's IP", "err", err)
	}
}
