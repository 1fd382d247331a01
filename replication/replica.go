package replication

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/tick"
	"github.com/shinglekv/shingle/store"
	"github.com/shinglekv/shingle/tlsconn"
)

// DefaultTimeout is Redis's repl-timeout.
const DefaultTimeout = 60 * time.Second

// retryInterval is how long a replica waits before connecting again after
// its link failed (Redis retries from its once-a-second cron).
const retryInterval = time.Second

// Config says whom a replica follows and how. Follow fills in the
// defaults (EnsureDefaults) and checks it (Validate).
type Config struct {
	// Addr is the primary's address (replicaof host port): host:port, or
	// the primary's socket path when Dialer's transport is tlsconn.Unix.
	// Required.
	Addr string
	// Dialer connects to the primary over its transport: tlsconn.TCP,
	// tlsconn.TLS (tls-replication yes; tlsconn.NewDialer builds it from
	// the tls-* settings: the CA that verifies the primary, the
	// certificate presented to it), tlsconn.Unix, or tlsconn.QUIC
	// (repl-transport quic: Addr is the primary's quic-port). The replica
	// takes it over: it closes it when it stops (Stop, Promote). Default: a
	// TCP Dialer.
	Dialer *tlsconn.Dialer
	// User and Password authenticate to the primary (masteruser,
	// masterauth); without a Password no AUTH is sent. Default "".
	User, Password string
	// ListeningPort is announced with REPLCONF listening-port, for the
	// primary's INFO and ROLE; 0 announces none. netmode computes it by
	// Redis's rule (replica-announce-port, else tls-port under
	// tls-replication, else port). Default 0.
	ListeningPort int
	// AnnounceIP, when set, is announced with REPLCONF ip-address
	// (replica-announce-ip). Default "".
	AnnounceIP string
	// Timeout bounds every wait on the link: the connection, each reply of
	// the handshake, each read of the full sync and of the stream (the
	// primary pings every 10 seconds), each write (repl-timeout). Default
	// DefaultTimeout.
	Timeout time.Duration
	// Load says how a full sync replaces the data set
	// (repl-diskless-load). Default LoadSwap: the old data set serves
	// until the new one is complete.
	Load LoadMode
	// Table runs the primary's commands; default command.NewTable(). It
	// must hold every command the primary propagates.
	Table *command.Table
	// Logger receives the link's events. Default: none.
	Logger *slog.Logger
	// OnPanic, if set, is told of every panic recovered on the link (see
	// PanicError), after it was logged; netmode counts them in INFO's
	// shingle_panics. It runs on the link's goroutine. Default nil.
	OnPanic func(*PanicError)
	// Failover, when set, makes the link's first PSYNC a coordinated
	// failover's (FAILOVER): this store was the primary of the one it now
	// follows, which is asked with PSYNC replid offset FAILOVER to take
	// over the same history. Failover is called once, on the link's
	// goroutine, with the outcome of that first attempt: nil once the new
	// primary answered +CONTINUE or +FULLRESYNC, else why the attempt
	// failed, from the connection to the answer; the replica then goes on
	// retrying as after any failure, and the caller decides whether to
	// stop it. Later attempts send a plain PSYNC. Default nil.
	Failover func(err error)
}

// EnsureDefaults gives every unset field its default (see each field) and
// returns c.
func (c *Config) EnsureDefaults() *Config {
	if c.Dialer == nil {
		c.Dialer = &tlsconn.Dialer{Transport: tlsconn.TCP}
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Table == nil {
		c.Table = command.NewTable()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports what Follow cannot work with: a Dialer that cannot dial
// (tlsconn.Dialer.Validate) or an Addr that is not host:port (a non-empty
// path for a unix socket). It expects the defaults in place
// (EnsureDefaults).
func (c *Config) Validate() error {
	if c.Dialer == nil {
		return errors.New("replication: no Dialer")
	}
	if err := c.Dialer.Validate(); err != nil {
		return fmt.Errorf("replication: %w", err)
	}
	if c.Dialer.Transport == tlsconn.Unix {
		if c.Addr == "" {
			return errors.New("replication: primary address: no socket path")
		}
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("replication: primary address: %w", err)
	}
	return nil
}

// PanicError is why a link ended when handling the primary's data
// panicked: applying its stream through the command table, loading its
// snapshot, or reading either. That is a bug (in Shingle, or in a command
// added to the table), not the primary's fault, and it stays on the link:
// the replica logs it at Error with Stack, shows it as Status.LastError
// (INFO's master_link_last_error), tells Config.OnPanic, and connects
// again after retryInterval as after any other failure of the link, while
// its server goes on serving clients. The store rolls back the write the
// panic interrupted, so the replica continues from the last run it
// applied.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // where it was raised
}

func (e *PanicError) Error() string {
	v := e.Value
	if sp, ok := v.(*store.SubscriberPanic); ok {
		v = sp.Value // its Error text carries a stack: not for INFO
	}
	return fmt.Sprintf("replication: panic handling the primary's data: %v", v)
}

// Status is a replica's link, as INFO replication reports it.
type Status struct {
	Addr      string
	LinkUp    bool      // master_link_status
	LastIO    time.Time // the last byte from the primary (master_last_io_seconds_ago)
	DownSince time.Time // when the link went down, or Follow was called
	// Syncing is a full sync in progress: SyncTotal bytes announced (-1
	// when the primary streams it without a length), SyncRead read so far
	// (counting what the link has read ahead).
	Syncing             bool
	SyncTotal, SyncRead int64
	// FullSyncs and PartialSyncs count the syncs that completed.
	FullSyncs, PartialSyncs int64
	// LastError is why the link last failed, or "".
	LastError string
}

// Replica follows a primary: it keeps a link to it, full-syncs or
// continues over it, applies the stream through the command table, and
// acknowledges what it applied once a second. While it runs, its store
// follows (store.DB.SetFollowing).
type Replica struct {
	db      *store.DB
	cfg     Config
	cancel  context.CancelFunc
	done    chan struct{}
	lastIO  atomic.Int64 // unix nanoseconds
	loading atomic.Bool
	load    atomic.Int32 // the LoadMode of the next full sync
	// The link of a full sync in progress and its byte count when the RDB
	// began, for Status.SyncRead.
	syncLink atomic.Pointer[link]
	syncFrom atomic.Int64
	// failover: the next PSYNC is Config.Failover's, not yet answered.
	// Only the link's goroutine touches it.
	failover bool

	mu sync.Mutex
	st Status
}

// Follow starts following the primary cfg names, in the background, with
// cfg's defaults filled in (Config.EnsureDefaults); it returns
// Config.Validate's error without starting. The store's writes from
// elsewhere stop reaching its change feed at once (SetFollowing). Stop or
// Promote end it.
func Follow(db *store.DB, cfg Config) (*Replica, error) {
	if err := cfg.EnsureDefaults().Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Replica{db: db, cfg: cfg, cancel: cancel, done: make(chan struct{}),
		st: Status{Addr: cfg.Addr, DownSince: time.Now()}, failover: cfg.Failover != nil}
	r.SetLoad(cfg.Load)
	db.SetFollowing(true)
	go r.run(ctx)
	return r, nil
}

// Status returns the state of the link.
func (r *Replica) Status() Status {
	r.mu.Lock()
	st := r.st
	r.mu.Unlock()
	if n := r.lastIO.Load(); n != 0 {
		st.LastIO = time.Unix(0, n)
	}
	if l := r.syncLink.Load(); l != nil && st.Syncing {
		st.SyncRead = l.read.Load() - r.syncFrom.Load()
	}
	return st
}

// SetLoad changes Config.Load for the next full sync (CONFIG SET
// repl-diskless-load).
func (r *Replica) SetLoad(m LoadMode) { r.load.Store(int32(m)) }

// Loading reports whether a full sync is loading into the store, or one
// failed half way (store.DB.Incomplete): the data set is partial, and a
// server keeps its clients out (-LOADING) until a full sync completes.
func (r *Replica) Loading() bool { return r.loading.Load() || r.db.Incomplete() }

// Stop ends the link and waits for it. The store keeps following; start
// another Follow to follow another primary, or call Promote instead.
func (r *Replica) Stop() {
	r.cancel()
	<-r.done
}

// Promote stops following and makes the store a primary on a new history
// that continues the one it followed (REPLICAOF NO ONE; store.DB.Promote):
// replicas of the old primary, and of this one, can continue from it with
// +CONTINUE.
func (r *Replica) Promote() error {
	r.Stop()
	return r.db.Promote()
}

func (r *Replica) run(ctx context.Context) {
	defer close(r.done)
	defer r.cfg.Dialer.Close() // its QUIC connection, if any
	for {
		err := r.recoveredSession(ctx)
		if ctx.Err() != nil {
			return
		}
		r.update(func(st *Status) {
			if st.LinkUp || st.LastError == "" {
				st.DownSince = time.Now()
			}
			st.LinkUp, st.Syncing, st.LastError = false, false, err.Error()
		})
		r.cfg.Logger.Warn("replication: link to the primary failed", "primary", r.cfg.Addr, "err", err)
		t := time.NewTimer(retryInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// recoveredSession is session, a panic in it ending the link with a
// PanicError rather than the process.
func (r *Replica) recoveredSession(ctx context.Context) (err error) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		pe := &PanicError{Value: v, Stack: debug.Stack()}
		attrs := []any{"primary", r.cfg.Addr, "panic", fmt.Sprint(v)}
		if sp, ok := v.(*store.SubscriberPanic); ok { // its callback's stack is where the bug is
			attrs = []any{"primary", r.cfg.Addr, "panic", fmt.Sprint(sp.Value), "subscriber_stack", string(sp.Stack)}
		}
		r.cfg.Logger.Error("replication: panic on the link to the primary; dropping the link",
			append(attrs, "stack", string(pe.Stack))...)
		if r.cfg.OnPanic != nil {
			r.cfg.OnPanic(pe)
		}
		err = pe
	}()
	return r.session(ctx)
}

func (r *Replica) update(f func(*Status)) {
	r.mu.Lock()
	f(&r.st)
	r.mu.Unlock()
}

func (r *Replica) dial(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	return r.cfg.Dialer.Dial(ctx, r.cfg.Addr)
}

// link is one connection to the primary: reads and writes under the
// replica's timeout, writes serialized (the acknowledgements come from
// their own goroutine).
type link struct {
	net.Conn
	r       *Replica
	br      *bufio.Reader
	wmu     sync.Mutex
	read    atomic.Int64 // bytes read
	timeout time.Duration
}

func (l *link) Read(p []byte) (int, error) {
	l.Conn.SetReadDeadline(time.Now().Add(l.timeout))
	n, err := l.Conn.Read(p)
	if n > 0 {
		l.read.Add(int64(n))
		l.r.lastIO.Store(time.Now().UnixNano())
	}
	return n, err
}

func (l *link) send(args ...string) error {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.Conn.SetWriteDeadline(time.Now().Add(l.timeout))
	_, err := l.Conn.Write(resp.AppendCommand(nil, bs...))
	return err
}

// ask sends a command of the handshake and reads its one-line reply,
// skipping the empty lines a primary sends to keep a waiting link alive.
func (l *link) ask(args ...string) (string, error) {
	if err := l.send(args...); err != nil {
		return "", err
	}
	for {
		line, err := readLine(l.br)
		if err != nil || line != "" {
			return line, err
		}
	}
}

func (l *link) ack(offset uint64) error {
	return l.send("REPLCONF", "ACK", strconv.FormatUint(offset, 10))
}

// session runs one link to its end: connect, handshake, sync, stream.
func (r *Replica) session(ctx context.Context) error {
	conn, err := r.dial(ctx)
	if err != nil {
		err = fmt.Errorf("connect: %w", err)
		r.failoverDone(err)
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(ctx, func() { conn.Close() })()
	defer conn.Close()
	l := &link{Conn: conn, r: r, timeout: r.cfg.Timeout}
	l.br = bufio.NewReaderSize(l, 64<<10)
	err = r.handshake(l)
	if err == nil {
		err = r.sync(l)
	}
	if err != nil {
		r.failoverDone(err)
		return err
	}
	r.update(func(st *Status) { st.LinkUp, st.Syncing, st.LastError = true, false, "" })
	r.cfg.Logger.Info("replication: following the primary", "primary", r.cfg.Addr)
	// At once: a diskless Redis primary starts the stream only at the
	// first acknowledgement after a full sync.
	if err := l.ack(r.db.Offset()); err != nil {
		return err
	}
	acks := make(chan struct{})
	go func() {
		defer close(acks)
		tick.Every(ctx.Done(), time.Second, func(time.Time) bool {
			// What is applied and durable as the policy promises: the
			// stream waits for its log writes lazily (see stream).
			if l.ack(r.db.DurableOffset()) != nil {
				conn.Close() // the stream's read fails and ends the session
				return false
			}
			return true
		})
	}()
	defer func() { <-acks }()
	defer cancel()
	return r.stream(l)
}

// failoverDone reports the first attempt's outcome to Config.Failover,
// once: a later attempt is a plain PSYNC.
func (r *Replica) failoverDone(err error) {
	if r.failover {
		r.failover = false
		r.cfg.Failover(err)
	}
}

// handshake runs Redis's replica handshake up to PSYNC's question.
func (r *Replica) handshake(l *link) error {
	line, err := l.ask("PING")
	if err != nil {
		return fmt.Errorf("handshake: PING: %w", err)
	}
	// A primary that wants AUTH first answers PING with an error Redis's
	// replica accepts.
	if line != "+PONG" && !strings.HasPrefix(line, "-NOAUTH") && !strings.HasPrefix(line, "-NOPERM") &&
		!strings.HasPrefix(line, "-ERR operation not permitted") {
		return fmt.Errorf("handshake: PING answered %q", line)
	}
	if r.cfg.Password != "" {
		args := []string{"AUTH", r.cfg.Password}
		if r.cfg.User != "" {
			args = []string{"AUTH", r.cfg.User, r.cfg.Password}
		}
		if line, err = l.ask(args...); err != nil || line != "+OK" {
			return fmt.Errorf("handshake: AUTH answered %q: %v", line, err)
		}
	}
	// The REPLCONFs are not critical: a primary that does not know them
	// still replicates, as Redis's replica allows.
	optional := [][]string{{"REPLCONF", "capa", "eof", "capa", "psync2"}}
	if r.cfg.ListeningPort != 0 {
		optional = append(optional, []string{"REPLCONF", "listening-port", strconv.Itoa(r.cfg.ListeningPort)})
	}
	if r.cfg.AnnounceIP != "" {
		optional = append(optional, []string{"REPLCONF", "ip-address", r.cfg.AnnounceIP})
	}
	for _, args := range optional {
		if line, err = l.ask(args...); err != nil {
			return fmt.Errorf("handshake: %s: %w", strings.Join(args[:2], " "), err)
		}
		if line != "+OK" {
			r.cfg.Logger.Info("replication: the primary refused a REPLCONF (not critical)", "args", args, "reply", line)
		}
	}
	return nil
}

// sync asks to continue the store's history (PSYNC replid offset+1) and
// takes the primary's answer: +CONTINUE, or a full sync.
func (r *Replica) sync(l *link) error {
	h, err := r.db.History()
	if err != nil {
		return err
	}
	id := h.ReplID
	psync := []string{"PSYNC", id, strconv.FormatUint(h.Offset+1, 10)}
	if r.failover {
		// The replica asked to take over has this store's id as its own.
		psync = append(psync, "FAILOVER")
	} else if h.ReplID2 != "" && h.SecondOffset == int64(h.Offset)+1 {
		// Nothing written since this history took over from ReplID2 (a
		// new history after a crash, a promotion): the data set is
		// ReplID2's up to Offset, and a primary that went on from there
		// (promoted while this store was down) knows only that one.
		id = h.ReplID2
		psync[1] = id
	}
	line, err := l.ask(psync...)
	if err != nil {
		return fmt.Errorf("handshake: PSYNC: %w", err)
	}
	switch {
	case strings.HasPrefix(line, "+CONTINUE"):
		// The primary may go on under a new id (it was promoted, or its
		// primary was), or under ReplID2 if that is what we asked for:
		// ours becomes the secondary one, as in psync2.
		next := id // what an older primary's bare +CONTINUE continues
		if f := strings.Fields(line); len(f) == 2 {
			next = f[1]
		}
		if next != h.ReplID {
			if err := r.db.ShiftHistory(next); err != nil {
				return err
			}
		}
		r.update(func(st *Status) { st.PartialSyncs++ })
		r.failoverDone(nil)
		r.cfg.Logger.Info("replication: partial resync", "primary", r.cfg.Addr, "offset", h.Offset)
		return nil
	case strings.HasPrefix(line, "+FULLRESYNC"):
		r.failoverDone(nil)
		r.syncFrom.Store(l.read.Load() - int64(l.br.Buffered()))
		r.syncLink.Store(l)
		defer r.syncLink.Store(nil)
		r.update(func(st *Status) { st.Syncing, st.SyncTotal = true, -1 })
		beside, err := r.loadBeside()
		if err != nil {
			return err
		}
		if !beside {
			// A load that fails leaves the data set partial: the store
			// says so (Incomplete) until a full sync completes.
			r.loading.Store(true)
			defer r.loading.Store(false) // a panic too
		}
		_, offset, err := readFullSync(l.br, r.db, beside, line, func(n int64) { r.update(func(st *Status) { st.SyncTotal = n }) })
		if err != nil {
			return fmt.Errorf("full sync: %w", err)
		}
		r.update(func(st *Status) { st.FullSyncs++ })
		r.cfg.Logger.Info("replication: full sync done", "primary", r.cfg.Addr, "offset", offset)
		return nil
	}
	return fmt.Errorf("handshake: PSYNC answered %q", line)
}

// loadBeside reports whether a full sync is to load beside the data set
// rather than into it (Config.Load).
func (r *Replica) loadBeside() (bool, error) {
	if onEmpty := LoadMode(r.load.Load()) == LoadOnEmpty; !onEmpty || r.db.Incomplete() {
		return !onEmpty, nil
	}
	keys, _, err := r.db.KeyCounts()
	return keys != 0, err
}

// Stream runs are applied as one store transaction each: everything the
// link has buffered, up to these bounds, and never ending inside a
// MULTI ... EXEC block.
const (
	runCommands = 1024
	runBytes    = 1 << 20
	// unwaitedRuns bounds the runs applied but not yet waited for.
	unwaitedRuns = 64
)

// ErrUnsupportedCommand stops a replica whose primary sent a command
// Shingle does not implement (a type it does not store, say): applying
// the rest would silently lose data.
var ErrUnsupportedCommand = errors.New("replication: the primary sent a command Shingle does not implement")

// stream applies the primary's command stream until the link fails. A
// run is applied without waiting for its log write: the link waits for
// what it applied (Session.Wait) before it waits for more of the stream,
// before it acknowledges an offset, and every unwaitedRuns runs.
func (r *Replica) stream(l *link) (err error) {
	rd := resp.NewRequestReader(l.br)
	consumed := func() int64 { return rd.InputBytes - int64(len(rd.Buffered())) }
	sess := r.db.NewSession()
	defer func() { err = errors.Join(err, sess.Wait()) }()
	var (
		cmds     [][][]byte
		raw      []byte
		multi    bool
		unwaited int
	)
	for {
		if len(rd.Buffered()) == 0 || unwaited >= unwaitedRuns {
			if err := sess.Wait(); err != nil {
				return err
			}
			unwaited = 0
		}
		cmds, raw = cmds[:0], raw[:0]
		for block := true; ; block = multi {
			before := consumed()
			args, err := rd.Next(block)
			if err != nil {
				return fmt.Errorf("stream: %w", err)
			}
			if args == nil {
				break
			}
			n := len(raw)
			raw = resp.AppendCommand(raw, args...)
			if got := consumed() - before; got != int64(len(raw)-n) {
				return fmt.Errorf("stream: a command of %d bytes not in RESP's canonical form (%d bytes re-encoded): the offsets would drift", got, len(raw)-n)
			}
			cmd := make([][]byte, len(args)) // args alias the reader's buffer
			for i, a := range args {
				cmd[i] = bytes.Clone(a)
			}
			cmds = append(cmds, cmd)
			switch strings.ToLower(string(cmd[0])) {
			case "multi":
				multi = true
			case "exec":
				multi = false
			}
			if !multi && (len(cmds) >= runCommands || len(raw) >= runBytes) {
				break
			}
		}
		getack, err := r.apply(sess, cmds, raw)
		if err != nil {
			return err
		}
		unwaited++
		if getack {
			if err := sess.Wait(); err != nil {
				return err
			}
			unwaited = 0
			if err := l.ack(r.db.Offset()); err != nil {
				return err
			}
		}
	}
}

// apply runs a run of the stream as one transaction whose offset and
// published bytes are raw, and reports whether the primary asked for an
// acknowledgement in it.
func (r *Replica) apply(sess *store.Session, cmds [][][]byte, raw []byte) (getack bool, err error) {
	table := r.cfg.Table
	err = sess.Replicate(raw, func(tx *store.Tx) error {
		ctx := &command.Ctx{Ops: &tx.Ops, DB: r.db, Proto: 2}
		for _, args := range cmds {
			switch name := strings.ToLower(string(args[0])); name {
			case "multi", "exec", "ping", "publish":
				// The run is one transaction already; Shingle has no
				// channels for PUBLISH to reach.
				continue
			case "select":
				if len(args) != 2 || string(args[1]) != "0" {
					return fmt.Errorf("%w: %q: Shingle has only database 0", ErrUnsupportedCommand, args)
				}
				continue
			case "replconf":
				getack = getack || len(args) > 1 && strings.EqualFold(string(args[1]), "getack")
				continue
			}
			if table.Lookup(args[0]) == nil {
				return fmt.Errorf("%w: %s", ErrUnsupportedCommand, command.UnknownCommand(args).Str)
			}
			if rep := table.Exec(ctx, args); rep.IsError() {
				// The primary ran it without an error, or it would not
				// have propagated it: the data sets differ. Redis logs and
				// goes on; so does Shingle.
				r.cfg.Logger.Error("replication: a command from the primary failed here", "command", string(args[0]), "reply", string(rep.Str))
			}
		}
		return nil
	})
	return getack, err
}
