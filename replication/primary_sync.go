package replication

import (
	"cmp"
	"context"
	"errors"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shinglekv/shingle/store"
)

// ReplicaConn is a replica's connection, as a server hands it to
// Primary.Serve once it answered everything the replica sent before PSYNC.
// Serve writes to it from the caller's goroutine and reads from it on one
// goroutine of its own, so Write and ReadCommand are called concurrently;
// the deadline setters may be called from any goroutine.
type ReplicaConn interface {
	Write(b []byte) (int, error)
	SetDeadline(t time.Time) error
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
	RemoteAddr() net.Addr
	// ReadCommand reads the replica's next command (REPLCONF ACK), waiting
	// for it under the read deadline: a server passes its RESP reader of
	// the connection, which may hold bytes already read.
	ReadCommand() ([][]byte, error)
}

// SyncRequest is what a replica asked for before Serve takes its link.
type SyncRequest struct {
	// ReplID and Offset are PSYNC's arguments: the history the replica
	// holds and the offset of the first byte it wants ("?" and -1, parsed
	// as 0, ask for a full sync).
	ReplID string
	Offset uint64
	// SyncOnly is the older SYNC: a full sync without the +FULLRESYNC
	// line, the RDB alone (redis-cli --rdb).
	SyncOnly bool
	// IP and Port are what the replica announced (REPLCONF ip-address and
	// listening-port), for INFO and ROLE; an empty IP is the connection's.
	IP   string
	Port int
	// ID names the link in the log (attribute "id"): netmode's client id.
	ID uint64
}

// partial reports whether req asks to continue a history, which only a
// PSYNC with a known id and an offset can.
func (req SyncRequest) partial() bool { return req.ReplID != "" && req.Offset > 0 }

// continues reports whether a replica holding history id up to offset
// (PSYNC's offset, of the first byte it wants) continues h: h is that
// history, or the one h took over, up to where h took over. The backlog
// must hold the bytes since as well.
func continues(id string, offset uint64, h store.History) bool {
	return id == h.ReplID || id == h.ReplID2 && int64(offset) <= h.SecondOffset
}

// Serve runs one replica link to its end on the caller's goroutine: the
// sync, partial or full, then the change stream, while a goroutine of its
// own reads the replica's acknowledgements. It returns when the link
// fails, the replica falls behind OutputLimit (its connection's deadline
// is then set to now) or is silent for Timeout, or ctx ends, with why; the
// reader has returned by then, and the caller closes conn. ctx ending does
// not cut short a write in progress, which Timeout bounds: a server that
// must stop at once sets conn's deadline. A panic while the snapshot is
// written (it encodes every value) goes on to the caller once the
// replicas sharing that sync are released.
func (p *Primary) Serve(ctx context.Context, conn ReplicaConn, req SyncRequest) error {
	cfg := p.config()
	log := logger(cfg)
	l := &replicaLink{port: req.Port, ip: req.IP}
	if l.ip == "" {
		l.ip, _, _ = net.SplitHostPort(conn.RemoteAddr().String())
	}
	l.state.Store("wait_bgsave")
	p.mu.Lock()
	p.links[l] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
	}()
	newBuffer := func() *streamBuffer {
		return newStreamBuffer(cfg.OutputLimit, func(why error) {
			if why == errReplicaOverflow {
				call(cfg.Hooks.ReplicaOverflow)
			}
			log.Warn(why.Error(), "id", req.ID)
			// Ends a pending write (a QUIC stream's too); the loop below
			// sets its deadline before it looks for a drop the last time,
			// so this one holds.
			conn.SetDeadline(time.Now())
		}, func(v any, stack []byte) {
			p.panicked("replication: panic feeding a replica's stream; dropping the link", v, stack, "id", req.ID)
		})
	}
	buf, cancel, err := p.sync(ctx, cfg, conn, req, l, newBuffer)
	if cancel != nil {
		defer cancel()
	}
	if err != nil {
		log.Warn("replication: sync to a replica failed", "id", req.ID, "err", err)
		return err
	}
	l.state.Store("online")
	gone := make(chan struct{})
	var stopping atomic.Bool
	go p.readAcks(conn, l, req.ID, &stopping, gone)
	defer func() {
		stopping.Store(true)
		conn.SetReadDeadline(time.Now())
		<-gone
	}()
	for {
		select {
		case <-buf.wake:
		case <-gone:
			return errors.New("replication: the replica's link failed or went silent")
		case <-ctx.Done():
			return ctx.Err()
		}
		data, last, drop := buf.take()
		if drop != nil {
			return drop // abort logged it
		}
		// A replica learns of a write once it is as durable as the fsync
		// policy promises, as a client does.
		if err := p.db.WaitDurable(ctx, last); err != nil {
			return err
		}
		conn.SetWriteDeadline(time.Now().Add(timeout(cfg)))
		if drop := buf.dropped(); drop != nil {
			return drop // an abort before the deadline above: its own deadline was replaced
		}
		if _, err := conn.Write(data); err != nil {
			// An abort cut the write short: say why.
			return cmp.Or(buf.dropped(), err)
		}
	}
}

func timeout(cfg PrimaryConfig) time.Duration {
	if cfg.Timeout <= 0 {
		return DefaultTimeout
	}
	return cfg.Timeout
}

// sync answers PSYNC: +CONTINUE and the backlog from the replica's offset
// when the history it names is ours (or the one ours continues, up to
// where it does) and the backlog holds every byte since; otherwise a full
// sync. Either way the buffer it returns receives every change after what
// was sent, until cancel (which may be set even with an error).
func (p *Primary) sync(ctx context.Context, cfg PrimaryConfig, conn ReplicaConn, req SyncRequest, l *replicaLink,
	newBuffer func() *streamBuffer) (buf *streamBuffer, cancel func(), err error) {
	if req.partial() {
		buf := newBuffer()
		h, cancel, err := p.db.SubscribeHistory(buf.add)
		if err != nil {
			return nil, nil, err
		}
		if b := p.backlog.Load(); b != nil && continues(req.ReplID, req.Offset, h) {
			if data, ok := b.Since(req.Offset-1, h.Offset); ok {
				if err := p.db.WaitDurable(ctx, h.Offset); err != nil {
					return buf, cancel, err
				}
				call(cfg.Hooks.PartialSync)
				conn.SetWriteDeadline(time.Now().Add(timeout(p.config())))
				_, err := conn.Write(append([]byte("+CONTINUE "+h.ReplID+"\r\n"), data...))
				return buf, cancel, err
			}
		}
		// A change may still reach this buffer after cancel: the full sync
		// takes a fresh one, so that nothing in its snapshot comes twice.
		cancel()
		if req.ReplID != "?" {
			call(cfg.Hooks.PartialSyncRefused)
		}
	}
	buf = newBuffer()
	cancel, err = p.fullSync(ctx, cfg, &syncMember{conn: conn, syncOnly: req.SyncOnly, buf: buf, l: l})
	return buf, cancel, err
}

// fullSync is one snapshot of the store written to every replica that asked
// for a full sync while the first waited DisklessSyncDelay (or until
// DisklessSyncMaxReplicas asked): the store is read and encoded once for
// all of them, as Redis's diskless sync feeds one RDB to several replicas.
// The changes after the snapshot reach each replica's own buffer.
type fullSync struct {
	members []*syncMember // guarded by Primary.mu until the sync starts
	enough  chan struct{} // closed when max replicas joined
	done    chan struct{} // closed when the snapshot is written
	live    atomic.Int32
	cancel  func() // the shared subscription, cancelled when every member left
}

type syncMember struct {
	conn     ReplicaConn
	syncOnly bool
	buf      *streamBuffer
	l        *replicaLink
	err      error // the member's failure; read after done
	gone     atomic.Bool
}

// leave ends the member's part in the shared subscription.
func (g *fullSync) leave(m *syncMember) {
	if !m.gone.Swap(true) && g.live.Add(-1) == 0 && g.cancel != nil {
		g.cancel()
	}
}

// errFullSyncAborted ends the replicas that shared a full sync whose
// writer panicked.
var errFullSyncAborted = errors.New("replication: the full sync this replica shared was aborted")

// fullSync writes a full sync to m, alone or sharing it with the replicas
// that ask meanwhile, or joins the one gathering replicas.
func (p *Primary) fullSync(ctx context.Context, cfg PrimaryConfig, m *syncMember) (cancel func(), err error) {
	p.mu.Lock()
	if g := p.gathering; g != nil {
		g.members = append(g.members, m)
		if len(g.members) == cfg.DisklessSyncMaxReplicas {
			close(g.enough)
		}
		p.mu.Unlock()
		call(cfg.Hooks.SharedFullSync)
		<-g.done
		return func() { g.leave(m) }, m.err
	}
	g := &fullSync{members: []*syncMember{m}, enough: make(chan struct{}), done: make(chan struct{})}
	if cfg.DisklessSyncDelay > 0 && cfg.DisklessSyncMaxReplicas != 1 {
		p.gathering = g
		p.mu.Unlock()
		t := time.NewTimer(cfg.DisklessSyncDelay)
		select {
		case <-t.C:
		case <-g.enough:
		case <-ctx.Done():
		}
		t.Stop()
		p.mu.Lock()
		p.gathering = nil
	}
	members := g.members
	p.mu.Unlock()
	g.live.Store(int32(len(members)))
	finished := false
	defer func() {
		// The snapshot's writing panicked (it encodes every value): the
		// replicas that joined this sync must not wait for it forever.
		// The panic goes on to the caller's recover.
		if !finished {
			for _, m := range members {
				m.err = cmp.Or(m.err, errFullSyncAborted)
				g.leave(m)
			}
			close(g.done)
		}
	}()
	err = p.writeFullSync(g, cfg, members)
	finished = true
	for _, m := range members {
		if m.err == nil {
			m.err = err
		}
		if m.err != nil {
			g.leave(m)
		}
	}
	close(g.done)
	return func() { g.leave(m) }, m.err
}

// writeFullSync takes the snapshot and writes it to the members.
func (p *Primary) writeFullSync(g *fullSync, cfg PrimaryConfig, members []*syncMember) error {
	snap, cancel, err := p.db.SubscribeSnapshot(func(ch store.Change) {
		for _, m := range members {
			if !m.gone.Load() {
				m.buf.add(ch)
			}
		}
	})
	if err != nil {
		return err
	}
	g.cancel = cancel
	defer snap.Close()
	// The snapshot reveals every write up to its offset: once they are
	// durable (the log write or fsync in flight, no more).
	if err := p.db.WaitDurable(context.Background(), snap.Offset); err != nil {
		return err
	}
	out := &fanout{members: members, timeout: timeout(cfg)}
	header := []byte(FullResync(snap))
	for _, m := range members {
		call(cfg.Hooks.FullSync)
		m.l.state.Store("send_bulk")
		if !m.syncOnly { // SYNC gets the RDB alone
			out.writeTo(m, header)
		}
	}
	return WriteDisklessRDB(out, snap, cfg.Version)
}

// fanout writes to every member still healthy; a member whose write fails
// drops out without stopping the others.
type fanout struct {
	members []*syncMember
	timeout time.Duration
}

func (f *fanout) Write(b []byte) (int, error) {
	var first error
	ok := 0
	for _, m := range f.members {
		if err := f.writeTo(m, b); err != nil {
			first = cmp.Or(first, err)
			continue
		}
		ok++
	}
	if ok == 0 {
		return 0, first
	}
	return len(b), nil
}

// writeTo writes b to one member, unless it failed already or its buffer
// of changes dropped it.
func (f *fanout) writeTo(m *syncMember, b []byte) error {
	if m.err != nil {
		return m.err
	}
	// The deadline before the check, as in Serve: an abort after the check
	// then cuts this write short.
	m.conn.SetWriteDeadline(time.Now().Add(f.timeout))
	if m.err = m.buf.dropped(); m.err != nil {
		return m.err
	}
	_, m.err = m.conn.Write(b)
	return m.err
}

// readAcks reads what a replica sends on its link, REPLCONF ACK <offset>
// (other commands are ignored), until the link ends, the replica is silent
// for Timeout (it acknowledges every second, as Redis's do), or stopping
// is set and the read deadline passed; then closes gone.
func (p *Primary) readAcks(conn ReplicaConn, l *replicaLink, id uint64, stopping *atomic.Bool, gone chan<- struct{}) {
	defer close(gone)
	defer func() {
		// The replica's input reaches the parser here, off the link's
		// goroutine: a panic ends the link, as its read failing would.
		if v := recover(); v != nil {
			p.panicked("replication: panic reading a replica's acknowledgements; dropping the link", v, debug.Stack(), "id", id)
		}
	}()
	for {
		conn.SetReadDeadline(time.Now().Add(timeout(p.config())))
		// Serve sets the flag, then the deadline to now: if this deadline
		// replaced Serve's, the flag is visible here.
		if stopping.Load() {
			return
		}
		args, err := conn.ReadCommand()
		if err != nil {
			return
		}
		if len(args) >= 3 && strings.EqualFold(string(args[0]), "replconf") && strings.EqualFold(string(args[1]), "ack") {
			if off, err := strconv.ParseUint(string(args[2]), 10, 64); err == nil {
				p.noteAck(l, off)
			}
		}
	}
}
