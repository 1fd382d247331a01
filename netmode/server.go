package netmode

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/shinglekv/shingle/acl"
	"github.com/shinglekv/shingle/cluster"
	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/tick"
	"github.com/shinglekv/shingle/replication"
	"github.com/shinglekv/shingle/store"
	"github.com/shinglekv/shingle/tlsconn"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or
// Close.
var ErrServerClosed = errors.New("netmode: server closed")

// Server serves one store over RESP on any number of listeners at once. It
// is safe for concurrent use.
type Server struct {
	db    *store.DB
	table *command.Table
	cfg   atomic.Pointer[Config] // immutable snapshots; CONFIG SET swaps them
	// tls is the TLS configuration of the TLS and QUIC listeners, nil
	// until one needs it (serverTLS); CONFIG SET and the reloads replace
	// what it serves. tlsMu serializes putting a first one in place.
	tls      atomic.Pointer[tlsconn.ServerTLS]
	tlsMu    sync.Mutex
	runID    string
	start    time.Time
	stats    Stats
	saves    saver
	blocked  blockers // clients waiting in BLPOP and its kin (blocking.go)
	slowlog  slowlog  // SLOWLOG's entries (slowlog.go)
	monitors monitors // the MONITOR connections (monitor.go)
	ops      opsMeter
	// reload is the state of TLS file reloads (reload.go).
	reload reloadState
	users  *acl.Registry
	// primary serves the replicas (replication.Primary; netmode's glue is
	// primary.go); replica is the primary this server follows, nil when it
	// is a primary.
	primary      *replication.Primary
	primaryHooks replication.PrimaryHooks
	replica      atomic.Pointer[replicaState]

	// roleMu serializes changes of role (REPLICAOF, replicaof at start,
	// and Close stopping the replica). It is taken before mu and held
	// while calling into the store (Follow, Promote), which mu never is:
	// a transaction holds the store's write lock while its server
	// commands (CLIENT LIST, INFO, CONFIG SET ...) take mu.
	roleMu sync.Mutex
	// jobsMu guards jobs, the slot migrations this node is the source of
	// (slotmigrate.go). A leaf.
	jobsMu sync.Mutex
	jobs   map[string]*slotJob
	// gateMu serializes setAckGate (a leaf).
	gateMu sync.Mutex

	// mu guards the fields below, and serializes configuration changes.
	// Lock order: roleMu, the store's write lock, Server.mu, client.mu.
	mu        sync.Mutex
	listeners []*listener
	clients   map[uint64]*client
	closed    bool
	stopping  atomic.Bool // Shutdown or Close began: clients finish and leave; written under mu
	// nclients counts the connections accepted and not yet closed, TLS
	// ones whose handshake is in progress included (maxclients and
	// connected_clients, as Redis counts them); tlsPending those
	// handshakes (tls_pending_handshakes).
	nclients   atomic.Int64
	tlsPending atomic.Int64
	nextID     atomic.Uint64
	conns      sync.WaitGroup // client goroutines
	loops      sync.WaitGroup // accept loops and background tasks
	done       chan struct{}
	// closing is cancelled by Close: it ends TLS handshakes in progress,
	// which belong to no client yet.
	closing     context.Context
	cancelClose context.CancelFunc
	// startOnce runs run's work once; startErr is its result.
	startOnce sync.Once
	startErr  error
	// replicaOf is the replicaof directive's primary, which run follows.
	replicaOf *replicaOf
	// cluster is the node of cluster-enabled yes, nil otherwise;
	// clusterChanged is signalled when its configuration changes.
	cluster        *cluster.Node
	clusterChanged chan struct{}
	pause          writePause // CLUSTER FAILOVER's and FAILOVER's hold on writes
	// failing is the FAILOVER under way (failover.go), under roleMu;
	// failState its state, read without a lock.
	failing   *failover
	failState atomic.Int32
}

// replicaOf is the primary a server is configured to follow, with the
// replica configuration New built and checked.
type replicaOf struct {
	rc   replication.Config
	host string
	port int
}

// listener is one open listener and where it came from.
type listener struct {
	ln tlsconn.Listener
	// managed listeners come from the configuration (port, tls-port,
	// unixsocket, bind) and are reopened when it changes; others were given
	// to Serve.
	managed bool
	bind    string // the bind entry it serves, as configured
	addr    string // for a managed listener, the address it was opened on

	accepted, current atomic.Int64 // connections (QUIC: streams) accepted, and still open
}

// New returns a server for db configured by cfg (nil: DefaultConfig). It
// allocates and validates, and starts nothing: it checks the
// configuration, loads the TLS files and the replicaof link's TLS
// settings, but opens no listener, subscribes to nothing and starts no
// goroutine, so a server that is never started needs no Close. Start,
// ListenAndServe, Listen or Serve start it.
func New(db *store.DB, cfg *Config) (*Server, error) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	cfg = cfg.clone() // check fills in defaults: the caller's stays as it was
	if err := cfg.check(); err != nil {
		return nil, err
	}
	s := &Server{
		db:      db,
		table:   command.NewTable(),
		runID:   newRunID(),
		start:   time.Now(),
		clients: map[uint64]*client{},
		done:    make(chan struct{}),
	}
	s.closing, s.cancelClose = context.WithCancel(context.Background())
	s.saves.last.Store(s.start.Unix())
	s.saves.ok.Store(true)
	s.table.Add(serverCommands()...)
	s.table.Add(saveCommands()...)
	s.table.Add(introspectCommands()...)
	users, err := newUsers(cfg, s.table)
	if err != nil {
		return nil, err
	}
	s.users = users
	s.cfg.Store(cfg)
	s.warnOpenDefault(cfg)
	if cfg.usesTLS() {
		if _, err := s.serverTLS(tlsconn.TLS); err != nil {
			return nil, err
		}
	}
	if cfg.ReplicaOf != "" {
		// Built (its TLS files read) now, to be checked; followed in run.
		host, port, _ := parseReplicaOf(cfg.ReplicaOf) // checked by cfg.check
		rc, err := s.replicaConfig(cfg, host, port)
		if err != nil {
			return nil, err
		}
		s.replicaOf = &replicaOf{rc: rc, host: host, port: port}
	}
	if cfg.Cluster.Enabled {
		if cfg.ReplicaOf != "" {
			return nil, errors.New("netmode: replicaof is not allowed in cluster mode: use CLUSTER REPLICATE")
		}
		s.table.Add(clusterCommands()...)
		s.clusterChanged = make(chan struct{}, 1)
		if err := s.newClusterNode(cfg); err != nil {
			return nil, err
		}
	}
	s.primaryHooks = s.newPrimaryHooks()
	s.primary = replication.NewPrimary(db, s.primaryConfig)
	return s, nil
}

// run starts, once, the work the server does beside its listeners: the
// replication backlog's subscription to the store's feed and the replica
// pinger, following replicaof's primary, the ops meter and TLS
// auto-reload. Start, Listen and Serve call it before they serve; a
// failure leaves what did start to Close.
func (s *Server) run() error {
	s.startOnce.Do(func() { s.startErr = s.runOnce() })
	return s.startErr
}

func (s *Server) runOnce() error {
	if err := s.primary.Start(); errors.Is(err, replication.ErrPrimaryClosed) {
		return ErrServerClosed
	} else if err != nil {
		return fmt.Errorf("netmode: %w", err)
	}
	if s.cluster != nil {
		if err := s.cluster.Start(); err != nil {
			return fmt.Errorf("netmode: %w", err)
		}
		s.loops.Add(2)
		go s.followClusterRole()
		go s.sweepSlots()
	}
	if ro := s.replicaOf; ro != nil {
		s.roleMu.Lock()
		err := s.followWith(ro.rc, ro.host, ro.port)
		s.roleMu.Unlock()
		if err != nil {
			return err
		}
	} else {
		s.setAckGate(false)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.stopping.Load() {
		return ErrServerClosed
	}
	s.loops.Add(2)
	go s.meter()
	go s.autoReload()
	return nil
}

func newRunID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Config returns a copy of the configuration in force.
func (s *Server) Config() *Config { return s.cfg.Load().clone() }

// Stats returns the server's counters.
func (s *Server) Stats() *Stats { return &s.stats }

// Table returns the command table the server runs: the store's commands
// and the connection and server commands. Adding to it before serving is
// how an embedder extends the server. A command flagged FlagWrite may run
// while the client's session holds the store's write lock (see holdFor):
// it must work through ctx.Ops alone, never ctx.DB's own methods.
func (s *Server) Table() *command.Table { return s.table }

// Start starts the server's background work (see run) and opens every
// listener the configuration asks for (port, tls-port and unixsocket, on
// every bind address), serving them in the background.
// It returns once all accept connections, or the first error (closing
// those it opened).
func (s *Server) Start() error {
	if err := s.run(); err != nil {
		return err
	}
	cfg := s.cfg.Load()
	var t *tlsconn.ServerTLS
	if cfg.usesTLS() {
		var err error
		if t, err = s.serverTLS(tlsconn.TLS); err != nil {
			return err
		}
	}
	lns, err := s.openManaged(cfg, managedAddrs(cfg), t)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.stopping.Load() {
		closeAll(lns)
		return ErrServerClosed
	}
	for _, l := range lns {
		s.serveLocked(l)
	}
	return nil
}

// Done is closed once the server stops: Shutdown or Close, or a client's
// SHUTDOWN. An embedder that exits with the server waits on it.
func (s *Server) Done() <-chan struct{} { return s.done }

// ListenAndServe is Start, then waits until Shutdown or Close and returns
// ErrServerClosed.
func (s *Server) ListenAndServe() error {
	if err := s.Start(); err != nil {
		return err
	}
	<-s.done
	return ErrServerClosed
}

// Listen opens one listener of transport (tlsconn.TCP, TLS, Unix or QUIC) on
// addr, with the server's TLS configuration, and serves it in the
// background. With port 0 in addr the system picks a port: the returned
// listener's Addr has it. TLS and QUIC need the tls-* settings (New loads
// them when tls-port or quic-port is set; otherwise Listen loads them now).
func (s *Server) Listen(transport, addr string) (tlsconn.Listener, error) {
	if err := s.run(); err != nil {
		return nil, err
	}
	t, err := s.serverTLS(transport)
	if err != nil {
		return nil, err
	}
	ln, err := s.listenOn(transport, addr, t)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.stopping.Load() {
		ln.Close()
		return nil, ErrServerClosed
	}
	s.serveLocked(&listener{ln: ln, bind: addr})
	return ln, nil
}

// Serve accepts connections on ln until Shutdown or Close, then returns
// ErrServerClosed. Connections are served on their own goroutines.
func (s *Server) Serve(ln tlsconn.Listener) error {
	if err := s.run(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed || s.stopping.Load() {
		s.mu.Unlock()
		return ErrServerClosed
	}
	l := &listener{ln: ln, bind: ln.Addr().String()}
	s.listeners = append(s.listeners, l)
	s.loops.Add(1)
	s.mu.Unlock()
	return s.accept(l)
}

// serveLocked registers l and starts its accept loop.
func (s *Server) serveLocked(l *listener) {
	s.listeners = append(s.listeners, l)
	s.loops.Add(1)
	go s.accept(l)
}

// serverTLS returns the TLS configuration for a new listener of transport
// (nil for TCP and Unix), building it from the tls-* settings (reading the
// files) when none is in service yet.
func (s *Server) serverTLS(transport string) (*tlsconn.ServerTLS, error) {
	if transport != tlsconn.TLS && transport != tlsconn.QUIC {
		return nil, nil
	}
	if t := s.tls.Load(); t != nil {
		return t, nil
	}
	s.tlsMu.Lock()
	defer s.tlsMu.Unlock()
	if t := s.tls.Load(); t != nil {
		return t, nil
	}
	t, err := tlsconn.NewServerTLS(s.cfg.Load().TLS)
	if err != nil {
		return nil, fmt.Errorf("netmode: %w", err)
	}
	s.tls.Store(t)
	return t, nil
}

// managedAddr is one listener the configuration asks for.
type managedAddr struct {
	transport string
	bind      string // the bind entry (or unixsocket path) as configured
	addr      string // what to listen on
	optional  bool   // a "-" bind entry: skipped when the address is unavailable
}

// managedAddrs lists the listeners cfg asks for: port and tls-port on every
// bind address, and unixsocket.
func managedAddrs(cfg *Config) []managedAddr {
	var out []managedAddr
	for _, p := range []struct {
		transport string
		port      int
	}{{tlsconn.TCP, cfg.Port}, {tlsconn.TLS, cfg.TLSPort}, {tlsconn.QUIC, cfg.QUICPort}} {
		if p.port == 0 {
			continue
		}
		for _, b := range cfg.Bind {
			host, optional := strings.CutPrefix(b, "-")
			switch host {
			case "*":
				host = "0.0.0.0"
			case "::*":
				host = "::"
			}
			out = append(out, managedAddr{p.transport, b, net.JoinHostPort(host, strconv.Itoa(p.port)), optional})
		}
	}
	if cfg.UnixSocket != "" {
		out = append(out, managedAddr{tlsconn.Unix, cfg.UnixSocket, cfg.UnixSocket, false})
	}
	return out
}

// listenOn opens a listener; a QUIC one reports its handshakes, which
// happen inside the QUIC library, to the server's counters.
func (s *Server) listenOn(transport, addr string, t *tlsconn.ServerTLS) (tlsconn.Listener, error) {
	if transport == tlsconn.QUIC {
		return tlsconn.ListenQUIC(addr, t, tlsconn.QUICHooks{
			OnHandshake:        s.stats.countHandshake,
			OnHandshakeFailure: s.stats.countHandshakeFailure,
			// A QUIC connection is no client until it opens a stream:
			// without this cap, connections that open none would hold
			// state past maxclients.
			MaxConns:         func() int { return s.cfg.Load().MaxClients },
			OnRefused:        func() { s.stats.RejectedConnections.Add(1) },
			HandshakeTimeout: func() time.Duration { return s.cfg.Load().TLSHandshakeTimeout },
		})
	}
	return tlsconn.Listen(transport, addr, t)
}

// openManaged opens the listeners of addrs, TLS and QUIC ones serving t;
// on error it closes those it opened.
func (s *Server) openManaged(cfg *Config, addrs []managedAddr, t *tlsconn.ServerTLS) ([]*listener, error) {
	var lns []*listener
	for _, a := range addrs {
		ln, err := s.listenOn(a.transport, a.addr, t)
		if err == nil && a.transport == tlsconn.Unix && cfg.UnixSocketPerm != 0 {
			if err = os.Chmod(a.addr, cfg.UnixSocketPerm); err != nil {
				ln.Close()
			}
		}
		if err != nil {
			if a.optional && isAddrUnavailable(err) {
				continue
			}
			closeAll(lns)
			return nil, fmt.Errorf("netmode: listen %s %s: %w", a.transport, a.addr, err)
		}
		lns = append(lns, &listener{ln: ln, managed: true, bind: a.bind, addr: a.addr})
	}
	return lns, nil
}

func isAddrUnavailable(err error) bool {
	return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT) ||
		errors.Is(err, syscall.EPROTONOSUPPORT)
}

func closeAll(lns []*listener) {
	for _, l := range lns {
		l.ln.Close()
	}
}

// accept runs one listener's accept loop.
func (s *Server) accept(l *listener) error {
	defer s.loops.Done()
	var delay time.Duration
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			s.mu.Lock()
			gone := s.closed || s.stopping.Load() || !s.hasListener(l)
			if !gone && errors.Is(err, net.ErrClosed) {
				// Closed by whoever opened it (Listen's caller): stop
				// serving it and forget it.
				s.listeners = slices.DeleteFunc(s.listeners, func(x *listener) bool { return x == l })
				gone = true
			}
			s.mu.Unlock()
			if gone {
				return ErrServerClosed
			}
			// A temporary failure (out of file descriptors, say): back off
			// and retry, as net/http does, rather than stop serving.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.cfg.Load().Logger.Warn("netmode: accept failed", "err", err, "retry in", delay)
			select {
			case <-time.After(delay):
			case <-s.done:
				return ErrServerClosed
			}
			continue
		}
		delay = 0
		s.stats.ConnectionsReceived.Add(1)
		l.accepted.Add(1)
		if !s.admit(conn) {
			continue
		}
		s.mu.Lock()
		if s.closed || s.stopping.Load() {
			s.mu.Unlock()
			s.nclients.Add(-1)
			conn.Close()
			return ErrServerClosed
		}
		s.conns.Add(1)
		s.mu.Unlock()
		l.current.Add(1)
		go func() {
			defer l.current.Add(-1)
			s.serveConn(conn)
		}()
	}
}

func (s *Server) hasListener(l *listener) bool {
	for _, x := range s.listeners {
		if x == l {
			return true
		}
	}
	return false
}

// Listeners returns the open listeners' transports and addresses, in the
// order INFO lists them: tcp, unix, tls, quic.
func (s *Server) Listeners() []ListenerInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ListenerInfo
	for _, t := range []string{tlsconn.TCP, tlsconn.Unix, tlsconn.TLS, tlsconn.QUIC} {
		for _, l := range s.listeners {
			if l.ln.Transport() == t {
				info := ListenerInfo{Transport: t, Addr: l.ln.Addr(), Bind: l.bind,
					Accepted: l.accepted.Load(), Current: l.current.Load()}
				if d, ok := l.ln.(interface{ DroppedDatagrams() int64 }); ok {
					info.DroppedDatagrams = d.DroppedDatagrams()
				}
				out = append(out, info)
			}
		}
	}
	return out
}

// ListenerInfo describes an open listener.
type ListenerInfo struct {
	Transport string
	Addr      net.Addr // the resolved address: the real port when 0 was asked for
	Bind      string   // the bind entry it serves, as configured
	// Accepted counts the connections (for QUIC, the client sessions:
	// streams) it accepted; Current those still open.
	Accepted, Current int64
	// DroppedDatagrams counts, for QUIC, the datagrams dropped as not QUIC,
	// malformed or for no known connection.
	DroppedDatagrams int64
}

// Addr returns the address of the first listener of transport, or nil.
func (s *Server) Addr(transport string) net.Addr {
	for _, l := range s.Listeners() {
		if l.Transport == transport {
			return l.Addr
		}
	}
	return nil
}

// Shutdown stops accepting connections, lets every client finish the
// commands it has sent and receive their replies, then closes it. It waits
// until all clients are gone or ctx ends, in which case it closes the rest
// (as Close) and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	if !s.stopping.Load() {
		s.stopping.Store(true)
		closeAll(s.listeners)
		s.listeners = nil
		close(s.done)
	}
	// Wake clients blocked waiting for a command; they see stopping and
	// leave after answering what they have.
	for _, c := range s.clients {
		c.conn.SetReadDeadline(time.Now())
	}
	s.mu.Unlock()
	finished := make(chan struct{})
	go func() {
		s.conns.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return s.Close()
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

// Close closes every listener and connection at once, TLS handshakes in
// progress included. It is safe to call
// twice; the second call does nothing.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.cancelClose()
	if !s.stopping.Load() {
		s.stopping.Store(true)
		close(s.done)
	}
	closeAll(s.listeners)
	s.listeners = nil
	for _, c := range s.clients {
		// The deadline first: it unblocks a write stalled on a client that
		// does not read, which closing alone does not do for a QUIC stream.
		c.conn.SetDeadline(time.Now())
		c.conn.Close()
	}
	s.mu.Unlock()
	// Nothing waits for replicas' acknowledgements past Close
	// (cluster-sync-replicas): its clients are closed unanswered, and
	// background tasks end.
	s.setAckGate(true)
	// A REPLICAOF in progress has checked closed already: the replica it
	// starts is the one stopped here.
	s.roleMu.Lock()
	rs := s.replica.Swap(nil)
	s.roleMu.Unlock()
	if rs != nil {
		rs.r.Stop()
	}
	s.primary.Close()
	if s.cluster != nil {
		s.cluster.Close()
	}
	s.conns.Wait()
	s.loops.Wait()
	s.saves.bg.Wait()
	return nil
}

// meter samples the ops counter until the server stops.
func (s *Server) meter() {
	defer s.loops.Done()
	tick.Every(s.done, 100*time.Millisecond, func(now time.Time) bool {
		s.ops.sample(s.stats.CommandsProcessed.Load(), now)
		return true
	})
}
