package netmode

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shinglekv/shingle/acl"
	"github.com/shinglekv/shingle/cluster"
	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/replication"
	"github.com/shinglekv/shingle/store"
	"github.com/shinglekv/shingle/tlsconn"
)

// flushAt is how much reply data a client accumulates before writing it
// even though more commands are waiting.
const flushAt = 64 << 10

// client is one connection and its state. Its goroutine alone runs its
// commands and touches rd, out and ctx; the fields under mu are also read
// by CLIENT LIST and INFO from other goroutines.
type client struct {
	s    *Server
	id   uint64
	conn tlsconn.Conn
	rd   *resp.RequestReader
	out  []byte
	ctx  command.Ctx
	sess *store.Session // the client's writes wait for the log once per flush
	held int            // commands run under the session's current Hold

	replicaLink bool // PSYNC ran: the connection serves a replica from now on
	monitoring  bool // MONITOR ran: the connection receives the commands run from now on
	// cmdStart is when the next command's time for the slow log began:
	// the read that brought it, or the end of the command before it
	// (one clock read per command); zero when it is not known.
	cmdStart time.Time
	readonly bool // READONLY: a replica serves its primary's slots' reads
	asking   bool // ASKING: the next command may run in a slot being imported
	// importing is the slot migration this connection brings data in for
	// (CLUSTER SYNCSLOTS): its commands run in the migration's slots.
	importing *cluster.Migration
	noReply   bool // the command that ran answers nothing (REPLCONF ACK)
	// sync is what a replica said before PSYNC (REPLCONF listening-port
	// and ip-address, PSYNC's replid and offset, or the older SYNC), for
	// the primary that serves the link.
	sync replication.SyncRequest

	// certUser is the user the client's certificate named
	// (tls-auth-clients-user), or "": AUTH cannot change it unless
	// tls-auth-clients-user-switch allows it.
	certUser string

	aclCached  *acl.User // the user's rules, as of aclVersion of the users
	aclVersion uint64

	created    time.Time
	lastActive atomic.Int64 // unix nanoseconds of the last read from the client
	outBytes   int64
	writing    bool // flush is writing out: a panic now leaves out half sent

	mu      sync.Mutex
	name    string
	libName string
	libVer  string
	lastCmd string
	authed  bool
	user    string
	noEvict bool
	multi   *multiState
	watch   *store.Watch // WATCH's keys; nil until the first WATCH
	closing bool         // reply, then close (QUIT, a protocol error, CLIENT KILL on itself)
	killed  bool         // CLIENT KILL from another client
	proto   int
}

// serveConn runs one accepted connection to its end. The accept loop
// counted it in nclients already (see admit); serveConn gives that back.
func (s *Server) serveConn(conn tlsconn.Conn) {
	defer s.conns.Done()
	defer s.nclients.Add(-1)
	defer conn.Close()
	cfg := s.cfg.Load()
	if conn.Transport() == tlsconn.TLS && !s.handshake(conn, cfg) {
		return
	}
	if cfg.TCPKeepAlive > 0 {
		tlsconn.SetKeepAlive(conn, cfg.TCPKeepAlive)
	}
	if s.protectedRefuses(conn, cfg) {
		s.stats.RejectedConnections.Add(1)
		refuseConn(conn, errDenied)
		return
	}
	c := s.newClient(conn, cfg)
	if !c.authenticateByCert(cfg, conn.Security()) {
		refuseConn(conn, "NOPERM the client certificate names no enabled user")
		return
	}
	s.mu.Lock()
	if s.stopping.Load() {
		s.mu.Unlock()
		return
	}
	s.clients[c.id] = c
	s.mu.Unlock()
	c.serve() // recovers a panic: what follows runs either way
	c.release()
	c.unwatch()
	c.endImport()
	if err := c.sess.Wait(); err != nil && !errors.Is(err, store.ErrUnacknowledged) {
		cfg.Logger.Error("netmode: write failed", "id", c.id, "err", err)
	}
	s.mu.Lock()
	delete(s.clients, c.id)
	s.mu.Unlock()
}

// handshake runs a TLS connection's handshake within tls-handshake-timeout
// (or until Close), counted in tls_pending_handshakes meanwhile, and
// reports whether it completed.
func (s *Server) handshake(conn tlsconn.Conn, cfg *Config) bool {
	s.tlsPending.Add(1)
	ctx, cancel := context.WithTimeout(s.closing, cfg.TLSHandshakeTimeout)
	err := conn.Handshake(ctx)
	cancel()
	s.tlsPending.Add(-1)
	if err != nil {
		s.stats.countHandshakeFailure(err)
		if tlsconn.IsNotTLS(err) {
			// The peer speaks RESP in plain text: tell it why in words
			// it understands before hanging up.
			raw := tlsconn.RawConn(conn)
			raw.SetWriteDeadline(time.Now().Add(time.Second))
			raw.Write([]byte("-ERR this port requires TLS: connect with a TLS client (redis-cli --tls)\r\n"))
		}
		cfg.Logger.Debug("netmode: TLS handshake failed", "remote", conn.RemoteAddr(), "err", err)
		return false
	}
	s.stats.countHandshake(conn.Security())
	return true
}

// admit counts a connection just accepted against maxclients, as Redis
// does in acceptCommonHandler: from its accept, before its goroutine
// starts and before its TLS handshake, so that connections that never
// finish a handshake cannot hold more than maxclients goroutines and
// buffers between them. One over the limit is refused at once and counted
// in rejected_connections: a plain one (TCP, unix, a QUIC stream) is told
// why, a TLS one is closed before its handshake, with nothing written (as
// in Redis, which has no TLS session to write the error in). It reports
// whether conn was admitted; the caller's serveConn then gives the count
// back when the connection ends.
func (s *Server) admit(conn tlsconn.Conn) bool {
	if s.nclients.Add(1) <= int64(s.cfg.Load().MaxClients) {
		return true
	}
	s.nclients.Add(-1)
	s.stats.RejectedConnections.Add(1)
	switch conn.Transport() {
	case tlsconn.TLS:
		conn.Close()
	case tlsconn.QUIC:
		// A QUIC peer may grant a new stream no flow-control credit, which
		// would stall this write: never in the accept loop.
		go refuseConn(conn, errMaxClients)
	default:
		// A fresh TCP or unix socket's send buffer is empty: this write
		// does not wait for the peer.
		refuseConn(conn, errMaxClients)
	}
	return false
}

// protectedRefuses reports whether protected-mode refuses conn, by Redis
// 7.0's rule (clientAcceptHandler): the default user has no password and
// the client comes from neither the loopback interface nor a unix socket.
// Like Redis, it is checked once a TLS handshake has completed.
func (s *Server) protectedRefuses(conn tlsconn.Conn, cfg *Config) bool {
	if !cfg.ProtectedMode || conn.Transport() == tlsconn.Unix {
		return false
	}
	if u := s.users.User("default"); u == nil || !u.NoPass() {
		return false
	}
	ap, err := netip.ParseAddrPort(conn.RemoteAddr().String())
	return err != nil || !ap.Addr().Unmap().IsLoopback()
}

// errDenied is Redis 7.0's protected-mode refusal, without its advice to
// run CONFIG REWRITE, which Shingle does not have.
const errDenied = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. " +
	"In this mode connections are only accepted from the loopback interface. " +
	"If you want to connect from external computers to Redis you may adopt one of the following solutions: " +
	"1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface " +
	"by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible " +
	"from internet if you do so. " +
	"2) Alternatively you can just disable the protected mode by editing the Redis configuration file, " +
	"and setting the protected mode option to 'no', and then restarting the server. " +
	"3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
	"4) Setup a an authentication password for the default user. " +
	"NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."

// errMaxClients is Redis's refusal of a connection over maxclients.
const errMaxClients = "ERR max number of clients reached"

// refuseConn tells a connection why it is refused, in one error reply
// written within a second, and closes it.
func refuseConn(conn tlsconn.Conn, msg string) {
	conn.SetWriteDeadline(time.Now().Add(time.Second))
	conn.Write([]byte("-" + msg + "\r\n"))
	conn.Close()
}

func (s *Server) newClient(conn tlsconn.Conn, cfg *Config) *client {
	c := &client{
		s:       s,
		id:      s.nextID.Add(1),
		conn:    conn,
		rd:      resp.NewRequestReader(conn),
		created: time.Now(),
		proto:   2,
		user:    "default",
	}
	c.authed = s.defaultAuthed()
	c.sess = s.db.NewSession()
	c.ctx = command.Ctx{Ops: &c.sess.Ops, DB: s.db, Proto: 2, Client: c, Cluster: s.cluster != nil}
	c.ctx.Block = c.block
	c.lastActive.Store(c.created.UnixNano())
	return c
}

// clientOf returns the connection a command came on. command.Ctx.Client is
// an any because package command knows nothing of connections; the
// commands netmode adds to its table only ever run with one of its own
// clients there (newClient sets it), so the assertion cannot fail.
func clientOf(ctx *command.Ctx) *client { return ctx.Client.(*client) }

// run reads, executes and answers commands until the connection ends.
// Replies to a pipeline are written together, once every command received
// so far has run: a pipeline that arrived in one TLS record or one read is
// answered at once, and one split anywhere is answered as it completes.
func (c *client) run() {
	if c.conn.Transport() == tlsconn.TCP && !c.firstRead() {
		return
	}
	for {
		c.limits()
		args, err := c.rd.Next(false)
		if args == nil && err == nil {
			// A slot migration's importer streams RESTOREs larger than a
			// TLS record: with one begun, the rest is on its way, and its
			// replies (read by the source as they come) wait for it
			// rather than cost a log write and a socket write per record.
			partial := c.importing != nil && len(c.rd.Buffered()) > 0 && len(c.out) < flushAt
			if !partial && !c.flush() || c.s.isStopping() {
				return
			}
			args, err = c.readCommand()
		}
		if err != nil {
			c.readFailed(err)
			return
		}
		c.execute(args)
		if c.replicaLink {
			if c.flush() {
				c.release()
				c.serveReplica()
			}
			return
		}
		if c.monitoring {
			c.release()
			if c.flush() {
				c.serveMonitor()
			}
			return
		}
		if c.isClosing() {
			c.flush()
			return
		}
		if len(c.out) >= flushAt && !c.flush() {
			return
		}
	}
}

// readCommand waits for the next command, renewing the idle deadline at
// every read: timeout measures silence, and a client sending a request
// slowly is not silent.
func (c *client) readCommand() ([][]byte, error) {
	for {
		c.setReadDeadline()
		if err := c.rd.Fill(); err != nil {
			return nil, err
		}
		c.readAt()
		args, err := c.rd.Next(false)
		if args != nil || err != nil {
			return args, err
		}
	}
}

// readAt notes the time of a read: the client's last interaction, as in
// Redis the commands of one read share it (a clock read per command cost
// 4% of a pipelined GET), and where the slow log starts timing the first
// command the read brought.
func (c *client) readAt() {
	now := time.Now()
	c.lastActive.Store(now.UnixNano())
	c.cmdStart = now
}

// firstRead reads a plain TCP connection's first bytes, to turn away a TLS
// client that came to the plain port: its handshake would otherwise be
// parsed as an inline command.
func (c *client) firstRead() bool {
	// A TLS record starts with 0x16; anything else is decided at once, a
	// possible record after its three header bytes, however they arrive.
	for b := c.rd.Buffered(); len(b) == 0 || b[0] == 0x16 && len(b) < 3; b = c.rd.Buffered() {
		c.setReadDeadline()
		if err := c.rd.Fill(); err != nil {
			c.readFailed(err)
			return false
		}
		c.readAt()
	}
	if tlsconn.LooksLikeTLS(c.rd.Buffered()) {
		c.s.stats.TLSOnPlainPort.Add(1)
		return false
	}
	return true
}

// limits applies the current configuration's request limits.
func (c *client) limits() {
	cfg := c.s.cfg.Load()
	c.rd.MaxBulkLen = cfg.ProtoMaxBulkLen
	c.ctx.HLLSparseMaxBytes = cfg.HLLSparseMaxBytes
	if c.ctx.HLLSparseMaxBytes == 0 {
		c.ctx.HLLSparseMaxBytes = -1 // 0 itself: the Ctx's zero value means the default
	}
	c.rd.MaxQueryBuffer = cfg.ClientQueryBufferLimit
	c.rd.Unauthenticated = !c.authed // written only by this goroutine
}

func (c *client) setReadDeadline() {
	var d time.Time
	if t := c.s.cfg.Load().Timeout; t > 0 {
		d = time.Now().Add(t)
	}
	c.conn.SetReadDeadline(d)
	// Shutdown and CLIENT KILL set the flag, then the deadline to now: if
	// this deadline replaced theirs, the flag is already visible here.
	if c.s.isStopping() || c.isKilled() {
		c.conn.SetReadDeadline(time.Now())
	}
}

// readFailed ends the connection after a read error, answering and
// counting what deserves it.
func (c *client) readFailed(err error) {
	st := &c.s.stats
	var pe *resp.ProtocolError
	switch {
	case errors.As(err, &pe):
		st.ProtocolErrors.Add(1)
		c.reply(command.ErrorReply("ERR " + pe.Error()))
		c.flush()
	case errors.Is(err, resp.ErrQueryBufferLimit):
		st.QueryBufferLimit.Add(1)
		c.s.cfg.Load().Logger.Warn("netmode: closing client that reached max query buffer length", "id", c.id)
	case isTimeout(err) && !c.s.isStopping() && !c.isKilled():
		st.IdleTimeouts.Add(1)
	}
	st.NetInputBytes.Add(c.rd.InputBytes)
	c.rd.InputBytes = 0
}

// writeChunk is how much of a reply is written under one deadline: a
// client that keeps reading a large reply keeps its connection, one that
// stops is caught within timeout.
const writeChunk = 64 << 10

// flush writes the pending replies, each chunk within Timeout when one is
// set. It first waits for the writes those replies announce to reach the
// log: no reply goes out before its write is as durable as appendfsync
// promises. It reports whether the connection is still usable.
func (c *client) flush() bool {
	st := &c.s.stats
	st.NetInputBytes.Add(c.rd.InputBytes)
	c.rd.InputBytes = 0
	c.release()
	if err := c.sess.Wait(); err != nil {
		log := c.s.cfg.Load().Logger
		if errors.Is(err, store.ErrUnacknowledged) {
			// The primary lost its role (cluster-sync-replicas): the
			// replies may announce writes the new primary never had.
			log.Info("netmode: writes not acknowledged by replicas before the role change; closing the client unanswered", "id", c.id)
		} else {
			log.Error("netmode: write failed; closing the client unanswered", "id", c.id, "err", err)
		}
		return false
	}
	if len(c.out) == 0 {
		return true
	}
	timeout := c.s.cfg.Load().Timeout
	var err error
	c.writing = true
	for rest := c.out; len(rest) > 0 && err == nil; {
		chunk := rest[:min(len(rest), writeChunk)]
		var d time.Time
		if timeout > 0 {
			d = time.Now().Add(timeout)
		}
		c.conn.SetWriteDeadline(d)
		if c.isKilled() { // as in setReadDeadline
			c.conn.SetWriteDeadline(time.Now())
		}
		var n int
		n, err = c.conn.Write(chunk)
		st.NetOutputBytes.Add(int64(n))
		c.outBytes += int64(n)
		rest = rest[n:]
	}
	c.writing = false
	if cap(c.out) > 4*flushAt {
		c.out = nil // do not keep a big buffer for a quiet connection
	} else {
		c.out = c.out[:0]
	}
	if err != nil {
		if isTimeout(err) && !c.s.isStopping() && !c.isKilled() {
			st.StalledOutput.Add(1)
		}
		return false
	}
	return true
}

// reply appends r to the pending replies.
func (c *client) reply(r command.Reply) {
	if r.Kind == command.KindError {
		c.s.stats.countError(r.Str)
	}
	c.out = resp.AppendReply(c.out, r, c.ctx.Proto)
}

func (c *client) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing || c.killed
}

func (c *client) isKilled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.killed
}

func (s *Server) isStopping() bool { return s.stopping.Load() }

// kill closes the client from another goroutine (CLIENT KILL).
func (c *client) kill() {
	c.mu.Lock()
	c.killed = true
	c.mu.Unlock()
	c.conn.SetDeadline(time.Now())
}
