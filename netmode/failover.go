package netmode

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/redisnum"
	"github.com/shinglekv/shingle/store"
)

// FAILOVER, Redis 6.2's coordinated failover outside cluster mode. The
// primary holds clients' writes back (waiting-for-sync), waits until a
// replica (the one TO names, else the first) has acknowledged everything,
// then follows it with PSYNC replid offset FAILOVER
// (failover-in-progress), which makes that replica a primary continuing
// the same history (psync); the old primary goes on as its replica with a
// partial resync. The writes held back then resume against the new role:
// a replica refuses them with READONLY, as Redis's does.
//
// Where Shingle differs: FAILOVER is refused inside MULTI (it changes the
// server's role, which a transaction holding the store's lock cannot
// wait for; REPLICAOF is refused there too); and any failure of the first
// attempt to follow the target (no connection, a refused handshake, a
// refused PSYNC) ends the failover with this server a primary again,
// where Redis goes on retrying a target it cannot reach, writes held,
// until FAILOVER ABORT.

// The failover states, as INFO's master_failover_state names them.
const (
	noFailover int32 = iota
	waitingForSync
	failoverInProgress
)

var failoverStates = [...]string{"no-failover", "waiting-for-sync", "failover-in-progress"}

// forever is how long a failover holds writes: until it ends.
const forever = time.Duration(1 << 62)

// failover is a FAILOVER under way; the Server's failing, under roleMu.
type failover struct {
	host     string // the target, "" for the first replica caught up
	port     int
	force    bool
	deadline time.Time     // zero: no TIMEOUT
	stop     chan struct{} // closed when it ends before the target is followed
}

// failoverState is master_failover_state; it takes no lock (INFO may run
// inside a transaction).
func (s *Server) failoverState() string { return failoverStates[s.failState.Load()] }

// failoverCmd answers FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms].
func failoverCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	c := clientOf(ctx)
	s := c.s
	if s.cluster != nil {
		return command.ErrorReply("ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.")
	}
	if ctx.Ops != c.ctx.Ops {
		return command.ErrorReply("ERR FAILOVER is not allowed inside a transaction in Shingle")
	}
	s.roleMu.Lock()
	defer s.roleMu.Unlock()
	if len(args) == 2 && strings.EqualFold(string(args[1]), "abort") {
		if s.failing == nil {
			return command.ErrorReply("ERR No failover in progress.")
		}
		s.endFailover(s.failing, "Failover manually aborted")
		return command.OK
	}
	f := &failover{stop: make(chan struct{})}
	var timeout int64
	for j := 1; j < len(args); j++ {
		switch opt := strings.ToLower(string(args[j])); {
		case opt == "timeout" && j+1 < len(args) && timeout == 0:
			v, ok := redisnum.ParseInt(args[j+1])
			if !ok {
				return command.ErrReply(store.ErrNotInteger)
			}
			if v <= 0 {
				return command.ErrorReply("ERR FAILOVER timeout must be greater than 0")
			}
			timeout = v
			j++
		case opt == "to" && j+2 < len(args) && f.host == "":
			port, ok := redisnum.ParseInt(args[j+2])
			if !ok {
				return command.ErrReply(store.ErrNotInteger)
			}
			f.host, f.port = string(args[j+1]), int(port)
			j += 2
		case opt == "force" && !f.force:
			f.force = true
		default:
			return command.ErrReply(store.ErrSyntax)
		}
	}
	switch {
	case s.failing != nil:
		return command.ErrorReply("ERR FAILOVER already in progress.")
	case s.replica.Load() != nil:
		return command.ErrorReply("ERR FAILOVER is not valid when server is a replica.")
	case s.primary.Count() == 0:
		return command.ErrorReply("ERR FAILOVER requires connected replicas.")
	case f.force && (timeout == 0 || f.host == ""):
		return command.ErrorReply("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
	}
	log := s.cfg.Load().Logger
	if f.host != "" {
		found, online := false, false
		for _, ri := range s.primary.Replicas() {
			if strings.EqualFold(ri.IP, f.host) && ri.Port == f.port {
				found, online = true, online || ri.State == "online"
			}
		}
		if !found {
			return command.ErrorReply("ERR FAILOVER target HOST and PORT is not a replica.")
		}
		if !online {
			return command.ErrorReply("ERR FAILOVER target replica is not online.")
		}
		log.Info("netmode: FAILOVER requested", "target", net.JoinHostPort(f.host, strconv.Itoa(f.port)))
	} else {
		log.Info("netmode: FAILOVER requested to any replica")
	}
	if timeout > 0 && timeout < int64(forever/time.Millisecond) {
		// (A longer one, past any time.Time, is no deadline at all.)
		f.deadline = time.Now().Add(time.Duration(timeout) * time.Millisecond)
	}
	s.failing = f
	s.failState.Store(waitingForSync)
	s.holdWrites(forever)
	go s.awaitFailoverTarget(f)
	return command.OK
}

// awaitFailoverTarget is waiting-for-sync: it fails over to the target
// once it has acknowledged every write, or at the deadline (FORCE), or
// ends the failover at the deadline.
func (s *Server) awaitFailoverTarget(f *failover) {
	s.waitWrites() // writes under way when the hold began
	s.primary.RequestAcks()
	var expired <-chan time.Time
	if !f.deadline.IsZero() {
		t := time.NewTimer(time.Until(f.deadline))
		defer t.Stop()
		expired = t.C
	}
	for {
		acked := s.primary.Acked()
		if host, port, ok := s.caughtUp(f); ok {
			s.failTo(f, host, port)
			return
		}
		select {
		case <-acked:
		case <-expired:
			if f.force {
				s.failTo(f, f.host, f.port)
				return
			}
			s.roleMu.Lock()
			if s.failing == f {
				s.endFailover(f, "Replica never caught up before timeout")
			}
			s.roleMu.Unlock()
			return
		case <-f.stop:
			return
		case <-s.done:
			return
		}
	}
}

// caughtUp finds f's target, or any replica, online and acknowledging the
// store's whole history.
func (s *Server) caughtUp(f *failover) (host string, port int, ok bool) {
	off := s.db.Offset()
	for _, ri := range s.primary.Replicas() {
		if f.host != "" && !(strings.EqualFold(ri.IP, f.host) && ri.Port == f.port) {
			continue
		}
		if ri.State == "online" && ri.Ack >= off {
			return ri.IP, ri.Port, true
		}
	}
	return "", 0, false
}

// failTo is failover-in-progress: the server follows host:port, asking it
// to take over.
func (s *Server) failTo(f *failover, host string, port int) {
	s.roleMu.Lock()
	defer s.roleMu.Unlock()
	if s.failing != f {
		return // aborted meanwhile
	}
	log := s.cfg.Load().Logger
	target := net.JoinHostPort(host, strconv.Itoa(port))
	log.Info("netmode: failing over", "target", target)
	s.failState.Store(failoverInProgress)
	f.host, f.port = host, port
	rc, err := s.replicaConfig(s.cfg.Load(), host, port)
	if err == nil {
		rc.Failover = func(err error) { go s.failoverAnswered(f, err) }
		err = s.followWith(rc, host, port)
	}
	if err != nil {
		s.endFailover(f, err.Error())
		return
	}
	s.setReplicaOf(target)
}

// failoverAnswered ends f once its target answered PSYNC ... FAILOVER (err
// nil), or the attempt failed, which makes this server a primary again.
func (s *Server) failoverAnswered(f *failover, err error) {
	s.roleMu.Lock()
	defer s.roleMu.Unlock()
	if s.failing != f {
		return
	}
	if err != nil {
		s.endFailover(f, "Failover target rejected psync request: "+err.Error())
		return
	}
	s.cfg.Load().Logger.Info("netmode: failover done: following the new primary",
		"primary", net.JoinHostPort(f.host, strconv.Itoa(f.port)))
	s.clearFailover()
}

// endFailover aborts f for why, with roleMu held: a server already
// following the target is a primary again, on a new history continuing
// its own (as REPLICAOF NO ONE).
func (s *Server) endFailover(f *failover, why string) {
	log := s.cfg.Load().Logger
	if s.failState.Load() == failoverInProgress {
		if err := s.promote(); err != nil {
			log.Warn("netmode: promoting back after an aborted failover", "err", err)
		}
		s.setReplicaOf("")
	} else {
		close(f.stop)
	}
	log.Info("netmode: FAILOVER aborted", "target", f.host, "port", f.port, "reason", why)
	s.clearFailover()
}

// clearFailover forgets the failover and lets the writes held go on.
func (s *Server) clearFailover() {
	s.failing = nil
	s.failState.Store(noFailover)
	s.resumeWrites()
}

// takeOver answers PSYNC replid offset FAILOVER: the primary this server
// follows hands over, and this server becomes a primary continuing
// replid's history, which the sender then continues from (Redis's
// syncCommand).
func (s *Server) takeOver(replid string) (command.Reply, bool) {
	if s.cluster != nil {
		return command.ErrorReply("ERR PSYNC FAILOVER not allowed in cluster mode."), false
	}
	s.roleMu.Lock()
	defer s.roleMu.Unlock()
	h, err := s.db.History()
	if err != nil {
		return command.ErrReply(err), false
	}
	if replid != h.ReplID {
		return command.ErrorReply("ERR PSYNC FAILOVER replid must match my replid."), false
	}
	if s.replica.Load() == nil {
		return command.Reply{}, true
	}
	if err := s.promote(); err != nil {
		return command.ErrReply(err), false
	}
	s.setReplicaOf("")
	s.cfg.Load().Logger.Info("netmode: promoted to primary (failover request from its primary)")
	return command.Reply{}, true
}
