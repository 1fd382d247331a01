package netmode

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/redisnum"
	"github.com/shinglekv/shingle/replication"
	"github.com/shinglekv/shingle/tlsconn"
)

// The replica side of the server: replicaof (directive), REPLICAOF and
// SLAVEOF (commands) start a replication.Replica on the server's store;
// REPLICAOF NO ONE promotes it. While it runs, clients' writes are refused
// (replica-read-only) and commands wait while a full sync loads.

// replicaState is the primary the server follows.
type replicaState struct {
	r    *replication.Replica
	host string
	port int
}

// announcePort is the port a replica announces to its primary, by Redis's
// rule: replica-announce-port, else tls-port when replication runs over
// TLS, else port.
func announcePort(cfg *Config) int {
	switch {
	case cfg.ReplicaAnnouncePort != 0:
		return cfg.ReplicaAnnouncePort
	case cfg.TLS.Replication && cfg.TLSPort != 0:
		return cfg.TLSPort
	}
	return cfg.Port
}

// replicaConfig is how the server follows host:port under cfg.
func (s *Server) replicaConfig(cfg *Config, host string, port int) (replication.Config, error) {
	rc := replication.Config{
		Addr:          net.JoinHostPort(host, strconv.Itoa(port)),
		User:          cfg.MasterUser,
		Password:      cfg.MasterAuth,
		ListeningPort: announcePort(cfg),
		AnnounceIP:    cfg.ReplicaAnnounceIP,
		Timeout:       cfg.ReplTimeout,
		Load:          loadMode(cfg),
		Logger:        cfg.Logger,
		// Logged by the replica already; shingle_panics counts them.
		OnPanic: func(*replication.PanicError) { s.stats.Panics.Add(1) },
	}
	transport := tlsconn.TCP
	switch {
	case cfg.ReplTransport == tlsconn.QUIC:
		transport = tlsconn.QUIC
	case cfg.TLS.Replication:
		transport = tlsconn.TLS
	}
	d, err := tlsconn.NewDialer(transport, cfg.TLS, "")
	if err != nil {
		return rc, fmt.Errorf("netmode: replication over %s: %w", transport, err)
	}
	d.NetDial = cfg.netDial
	rc.Dialer = d
	return rc, nil
}

// follow makes the server a replica of host:port, replacing the primary it
// followed, if any. Called with s.roleMu held, and not s.mu: it calls into
// the store, whose write lock a transaction holds while its server
// commands take s.mu.
func (s *Server) follow(host string, port int) error {
	rc, err := s.replicaConfig(s.cfg.Load(), host, port)
	if err != nil {
		return err
	}
	return s.followWith(rc, host, port)
}

// followWith is follow with the replica's configuration built already
// (New builds replicaof's, which checks its TLS settings). The replica
// takes rc.Dialer over.
func (s *Server) followWith(rc replication.Config, host string, port int) error {
	s.mu.Lock()
	closing := s.closed || s.stopping.Load()
	s.mu.Unlock()
	if closing {
		// Close takes roleMu before it stops the replica: one started
		// after this check is stopped there.
		rc.Dialer.Close()
		return ErrServerClosed
	}
	if old := s.replica.Load(); old != nil {
		old.r.Stop()
	} else {
		s.setAckGate(true)
	}
	r, err := replication.Follow(s.db, rc)
	if err != nil {
		return err
	}
	// This server's own replicas are dropped when its history changes
	// (the store's Reset and NewHistory changes), not before: following a
	// primary of the same history, they go on.
	s.replica.Store(&replicaState{r: r, host: host, port: port})
	return nil
}

// promote stops following and makes the server a primary that continues
// the history it followed. Called with s.roleMu held, and not s.mu (see
// follow).
func (s *Server) promote() error {
	old := s.replica.Load()
	if old == nil {
		return nil
	}
	// Clients' writes stay refused until the store is a primary.
	err := old.r.Promote()
	s.replica.Store(nil)
	s.setAckGate(false)
	return err
}

// parseReplicaOf splits "host port", the replicaof directive's value.
func parseReplicaOf(v string) (host string, port int, err error) {
	f := strings.Fields(v)
	if len(f) != 2 {
		return "", 0, fmt.Errorf("replicaof takes a host and a port")
	}
	port, err = strconv.Atoi(f[1])
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("invalid master port %q", f[1])
	}
	return f[0], port, nil
}

// replicaofCmd answers REPLICAOF (and SLAVEOF) host port, and REPLICAOF NO
// ONE.
func replicaofCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	s := clientOf(ctx).s
	if s.cluster != nil {
		return command.ErrorReply("ERR REPLICAOF not allowed in cluster mode.")
	}
	s.roleMu.Lock()
	defer s.roleMu.Unlock()
	if s.failing != nil {
		return command.ErrorReply("ERR REPLICAOF not allowed while failing over.")
	}
	if strings.EqualFold(string(args[1]), "no") && strings.EqualFold(string(args[2]), "one") {
		if err := s.promote(); err != nil {
			return command.ErrReply(err)
		}
		s.setReplicaOf("")
		s.cfg.Load().Logger.Info("netmode: promoted to primary (REPLICAOF NO ONE)")
		return command.OK
	}
	// Redis's integers ("+1" and "01" are not ports), but not port 0,
	// which Redis accepts and then fails to connect to for good.
	port64, ok := redisnum.ParseInt(args[2])
	if !ok || port64 <= 0 || port64 > 65535 {
		return command.ErrorReply("ERR Invalid master port")
	}
	port := int(port64)
	host := string(args[1])
	if rs := s.replica.Load(); rs != nil && rs.host == host && rs.port == port {
		return command.Status("OK Already connected to specified master")
	}
	if err := s.follow(host, port); err != nil {
		return command.ErrReply(err)
	}
	s.setReplicaOf(net.JoinHostPort(host, strconv.Itoa(port)))
	return command.OK
}

// setReplicaOf records the primary followed, as CONFIG GET replicaof
// reports it ("host port").
func (s *Server) setReplicaOf(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg := s.cfg.Load().clone()
	cfg.ReplicaOf = ""
	if host, port, err := net.SplitHostPort(addr); err == nil {
		cfg.ReplicaOf = host + " " + port
	}
	s.cfg.Store(cfg)
}

// loading reports whether a full sync is loading into the store, or one
// did not complete, during which only commands flagged loading run
// (Redis's -LOADING); REPLICAOF is one, the way to a complete data set.
func (s *Server) loading() bool {
	rs := s.replica.Load()
	return rs != nil && rs.r.Loading() || s.db.Incomplete()
}

// asyncLoading reports whether a full sync is loading beside the data
// set, which serves meanwhile (repl-diskless-load swapdb): Redis's
// async_loading, during which commands flagged no_async_loading are
// refused.
func (s *Server) asyncLoading() bool {
	rs := s.replica.Load()
	return rs != nil && !s.loading() && rs.r.Status().Syncing
}

// role is the server's role as HELLO names it.
func (s *Server) role() string {
	if s.replica.Load() != nil {
		return "replica"
	}
	return "master"
}

// loadMode is the replication.LoadMode repl-diskless-load names.
func loadMode(cfg *Config) replication.LoadMode {
	if cfg.ReplDisklessLoad == "on-empty-db" {
		return replication.LoadOnEmpty
	}
	return replication.LoadSwap
}
