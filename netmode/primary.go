package netmode

import (
	"context"
	"errors"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/redisnum"
	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/replication"
	"github.com/shinglekv/shingle/store"
	"github.com/shinglekv/shingle/tlsconn"
)

// The primary side of replication, as far as clients see it: the commands
// a replica sends (REPLCONF, PSYNC, SYNC), WAIT, ROLE, INFO replication and
// min-replicas-to-write. Everything else (the backlog, the syncs, the
// per-replica buffers, the acknowledgements, the pinger) is
// replication.Primary's: a client that sent PSYNC is handed to its Serve
// once the replies before are written.

// primaryConfig is the replication.Primary's configuration, from the
// server's in force.
func (s *Server) primaryConfig() replication.PrimaryConfig {
	cfg := s.cfg.Load()
	return replication.PrimaryConfig{
		BacklogSize:             cfg.ReplBacklogSize,
		PingPeriod:              cfg.ReplPingReplicaPeriod,
		Timeout:                 cfg.ReplTimeout,
		DisklessSyncDelay:       cfg.ReplDisklessSyncDelay,
		DisklessSyncMaxReplicas: cfg.ReplDisklessSyncMaxReplicas,
		OutputLimit:             cfg.OutputLimits[1],
		MinReplicasToWrite:      cfg.MinReplicasToWrite,
		MinReplicasMaxLag:       cfg.MinReplicasMaxLag,
		SyncReplicas:            cfg.Cluster.SyncReplicas,
		Version:                 Version,
		Logger:                  cfg.Logger,
		Hooks:                   s.primaryHooks,
	}
}

// newPrimaryHooks counts the primary's events in INFO stats.
func (s *Server) newPrimaryHooks() replication.PrimaryHooks {
	st := &s.stats
	return replication.PrimaryHooks{
		FullSync:           func() { st.FullSyncs.Add(1) },
		SharedFullSync:     func() { st.SharedFullSyncs.Add(1) },
		PartialSync:        func() { st.PartialSyncs.Add(1) },
		PartialSyncRefused: func() { st.PartialSyncsRefused.Add(1) },
		ReplicaOverflow:    func() { st.ReplicaOverflows.Add(1) },
		// Logged by the primary already; shingle_panics counts them.
		Panic: func(any, []byte) { st.Panics.Add(1) },
	}
}

// replconf answers REPLCONF: the replica's listening-port, ip-address and
// capabilities are noted for when it sends PSYNC; ACK and GETACK, which
// only a replica link sends, get no reply, as in Redis.
func replconf(ctx *command.Ctx, args [][]byte) command.Reply {
	c := clientOf(ctx)
	if len(args)%2 == 0 {
		return command.ErrorReply("ERR syntax error")
	}
	for i := 1; i < len(args); i += 2 {
		switch opt := strings.ToLower(string(args[i])); opt {
		case "listening-port":
			port, err := strconv.Atoi(string(args[i+1]))
			if err != nil || port < 0 || port > 65535 {
				return command.ErrorReply("ERR value is out of range")
			}
			c.sync.Port = port
		case "ip-address":
			c.sync.IP = string(args[i+1])
		case "capa", "rdb-only", "rdb-filter-only":
		case "ack", "getack", "fack":
			c.noReply = true
			return command.Reply{}
		default:
			return command.ErrorReply("ERR Unrecognized REPLCONF option: " + string(args[i]))
		}
	}
	return command.OK
}

// psync marks the client to become a replica link once this reply and
// those before it are written; the link answers it.
func psync(ctx *command.Ctx, args [][]byte) command.Reply {
	c := clientOf(ctx)
	if len(args) > 3 && strings.EqualFold(string(args[3]), "failover") {
		if r, ok := c.s.takeOver(string(args[1])); !ok {
			return r
		}
	}
	if rs := c.s.replica.Load(); rs != nil && !rs.r.Status().LinkUp {
		return command.ErrorReply("NOMASTERLINK Can't SYNC while not connected with my master")
	}
	if strings.EqualFold(string(args[0]), "sync") {
		c.sync.SyncOnly = true
	} else {
		c.sync.ReplID = string(args[1])
		c.sync.Offset, _ = strconv.ParseUint(string(args[2]), 10, 64)
	}
	c.replicaLink = true
	return command.Reply{}
}

// replicaConn is a client's connection as a replica link: its RESP reader,
// which may hold bytes read already, reads the replica's ACKs.
type replicaConn struct {
	tlsconn.Conn
	rd *resp.RequestReader
}

func (r replicaConn) ReadCommand() ([][]byte, error) { return r.rd.Next(true) }

// serveReplica hands the client, which sent PSYNC or SYNC and was answered
// everything before, to the primary until the link ends or the server
// stops.
func (c *client) serveReplica() {
	ctx, cancel := c.s.untilDone()
	defer cancel()
	req := c.sync
	req.ID = c.id
	c.s.primary.Serve(ctx, replicaConn{Conn: c.conn, rd: c.rd}, req)
}

// untilDone returns a context cancelled when the server stops (Shutdown
// or Close), or by cancel.
func (s *Server) untilDone() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-s.done:
		case <-ctx.Done():
		}
		cancel()
	}()
	return ctx, cancel
}

// waitCmd answers WAIT numreplicas timeout: it returns once numreplicas
// replicas acknowledged every write so far, or after timeout milliseconds
// (0: no limit), with the number that did (replication.Primary.Wait).
func waitCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	c := clientOf(ctx)
	s := c.s
	if s.replica.Load() != nil {
		return command.ErrorReply("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
	}
	// Redis's integers: "+1" and "01" are not numbers of replicas.
	n, ok := redisnum.ParseInt(args[1])
	if !ok {
		return command.ErrorReply("ERR value is not an integer or out of range")
	}
	ms, ok := redisnum.ParseInt(args[2])
	if !ok {
		return command.ErrorReply("ERR timeout is not an integer or out of range")
	}
	if ms < 0 {
		return command.ErrorReply("ERR timeout is negative")
	}
	p := s.primary
	if ctx.Ops.InTransaction() { // inside EXEC: answer at once, as Redis does
		h, _ := ctx.Ops.History()
		return command.Int(int64(p.Good(h.Offset, 0)))
	}
	target := ctx.Ops.Offset()
	got := p.Good(target, 0)
	if int64(got) >= n {
		return command.Int(int64(got))
	}
	wait, cancel := context.WithCancel(context.Background())
	defer cancel()
	if ms > 0 {
		// A Duration holds about 292 years: past that, ms*1e6 would wrap,
		// to a negative or short timeout, where Redis waits forever.
		var stopTimer context.CancelFunc
		wait, stopTimer = context.WithTimeout(wait, time.Duration(min(ms, int64(1<<63-1)/int64(time.Millisecond)))*time.Millisecond)
		defer stopTimer()
	}
	if !c.flush() { // the replies before WAIT are not held back by it
		return command.Int(int64(got))
	}
	gone, stop := c.watchGone()
	defer stop()
	go func() {
		select {
		case <-gone:
		case <-s.done:
		case <-wait.Done():
		}
		cancel()
	}()
	// More replicas than an int counts (on 32 bits) are as many as can be.
	return command.Int(int64(p.Wait(wait, target, int(min(n, math.MaxInt)))))
}

// watchGone reads ahead on a client blocked in a command (WAIT), so that
// its leaving, or CLIENT KILL, ends the wait as Redis ends it: gone is
// closed then. What the client sends meanwhile stays buffered for after.
// stop ends the watch; call it before the client reads again.
func (c *client) watchGone() (gone <-chan struct{}, stop func()) {
	ch, done := make(chan struct{}), make(chan struct{})
	c.conn.SetReadDeadline(time.Time{})
	// As in setReadDeadline: a CLIENT KILL or Shutdown whose deadline this
	// one replaced has set its flag already.
	if c.s.isStopping() || c.isKilled() {
		c.conn.SetReadDeadline(time.Now())
	}
	var caught *goPanic
	go func() {
		defer close(done)
		defer func() {
			// The client's input reaches its reader here: a panic ends
			// the wait and is raised again on the client's goroutine.
			if v := recover(); v != nil {
				caught = &goPanic{value: v, stack: debug.Stack()}
				close(ch)
			}
		}()
		for {
			err := c.rd.Fill()
			switch {
			case err == nil:
				continue
			case errors.Is(err, resp.ErrQueryBufferLimit):
			case !isTimeout(err) || c.isKilled():
				close(ch)
			}
			return
		}
	}()
	return ch, func() {
		c.conn.SetReadDeadline(time.Now())
		<-done
		if caught != nil {
			panic(caught)
		}
	}
}

// writeRefused is the error a write gets on this server before it runs, if
// any: on a read-only replica, or on a primary with fewer good replicas
// than min-replicas-to-write, or fewer replicas that acknowledged anything
// than cluster-sync-replicas.
func (s *Server) writeRefused(cfg *Config) (command.Reply, bool) {
	if s.replica.Load() != nil {
		if cfg.ReplicaReadOnly {
			return command.ErrorReply("READONLY You can't write against a read only replica."), true
		}
		return command.Reply{}, false
	}
	if cfg.MinReplicasToWrite > 0 && !s.primary.MinReplicasOK() ||
		cfg.Cluster.SyncReplicas > 0 && s.primary.Good(0, 0) < cfg.Cluster.SyncReplicas {
		return command.ErrorReply("NOREPLICAS Not enough good replicas to write."), true
	}
	return command.Reply{}, false
}

// replicationInfo writes INFO's replication section.
func (s *Server) replicationInfo(ops *store.Ops, line func(string, any)) {
	h, _ := ops.History()
	if rs := s.replica.Load(); rs != nil {
		now := time.Now()
		st := rs.r.Status()
		line("role", "slave")
		line("master_host", rs.host)
		line("master_port", rs.port)
		line("master_link_status", map[bool]string{true: "up", false: "down"}[st.LinkUp])
		last := int64(-1)
		if !st.LastIO.IsZero() {
			last = int64(now.Sub(st.LastIO) / time.Second)
		}
		line("master_last_io_seconds_ago", last)
		line("master_sync_in_progress", map[bool]int{true: 1, false: 0}[st.Syncing])
		line("slave_read_repl_offset", h.Offset)
		line("slave_repl_offset", h.Offset)
		if st.Syncing {
			line("master_sync_total_bytes", st.SyncTotal)
			line("master_sync_read_bytes", st.SyncRead)
			left := int64(-1)
			if st.SyncTotal >= 0 {
				left = st.SyncTotal - st.SyncRead
			}
			line("master_sync_left_bytes", left)
			line("master_sync_last_io_seconds_ago", max(last, 0))
		}
		if !st.LinkUp {
			line("master_link_down_since_seconds", int64(now.Sub(st.DownSince)/time.Second))
		}
		line("master_link_last_error", strings.NewReplacer("\r", " ", "\n", " ").Replace(st.LastError))
		line("master_full_syncs", st.FullSyncs)
		line("master_partial_syncs", st.PartialSyncs)
		line("slave_priority", 100)
		line("slave_read_only", map[bool]int{true: 1, false: 0}[s.cfg.Load().ReplicaReadOnly])
		line("replica_announced", 1)
	} else {
		line("role", "master")
	}
	s.primary.Info(h, s.failoverState(), line)
}

// roleCmd answers ROLE.
func roleCmd(ctx *command.Ctx, _ [][]byte) command.Reply {
	c := clientOf(ctx)
	s := c.s
	h, _ := ctx.Ops.History()
	if rs := s.replica.Load(); rs != nil {
		st := rs.r.Status()
		state := "connect"
		switch {
		case st.LinkUp:
			state = "connected"
		case st.Syncing:
			state = "sync"
		}
		return command.Array(command.BulkString("slave"), command.BulkString(rs.host), command.Int(int64(rs.port)),
			command.BulkString(state), command.Int(int64(h.Offset)))
	}
	var replicas []command.Reply
	for _, l := range s.primary.Replicas() {
		replicas = append(replicas, command.Array(command.BulkString(l.IP),
			command.BulkString(strconv.Itoa(l.Port)), command.BulkString(strconv.FormatUint(l.Ack, 10))))
	}
	return command.Array(command.BulkString("master"), command.Int(int64(h.Offset)), command.Array(replicas...))
}

// setAckGate puts the store's acknowledgement gate (cluster-sync-replicas)
// in line with the server's role and configuration: on for a primary with
// SyncReplicas set, off otherwise. ending: the server is about to follow
// a primary, or closes, and what waits for acknowledgements here fails
// instead (its clients are closed unanswered: the writes may be lost to
// the new primary's history). Role changes, Close and CONFIG SET call it
// after changing what it reads.
func (s *Server) setAckGate(ending bool) {
	s.gateMu.Lock()
	defer s.gateMu.Unlock()
	if ending {
		s.db.FailUnacked()
	}
	s.db.SetAckGate(!ending && s.replica.Load() == nil && s.cfg.Load().Cluster.SyncReplicas > 0)
}
