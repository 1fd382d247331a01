package netmode

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/redisnum"
	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/replication"
	"github.com/shinglekv/shingle/store"
)

// The primary side of replication: a client that sends PSYNC (or SYNC)
// becomes a replica link. Its connection and goroutine then serve only the
// sync, partial (+CONTINUE, from the backlog) or full, and the change
// stream after it, written by this goroutine alone; the changes committed
// meanwhile wait in a buffer bounded like Redis's
// client-output-buffer-limit for replicas. A second goroutine reads the
// replica's REPLCONF ACKs, which WAIT, min-replicas-to-write and INFO use.

// primary is the server's primary-side replication state.
type primary struct {
	backlog *replication.Backlog
	unsub   func()

	mu        sync.Mutex
	links     map[*replicaLink]struct{}
	acked     chan struct{} // closed and replaced when an ACK arrives
	gathering *fullSync     // a full sync waiting for more replicas to share it
}

// replicaLink is one replica, as INFO and WAIT see it.
type replicaLink struct {
	c     *client
	ip    string
	port  int
	state atomic.Value // string: wait_bgsave, send_bulk, online
	ack   atomic.Uint64
	ackAt atomic.Int64 // unix nanoseconds; 0 before the first ACK
}

func (s *Server) startPrimary(cfg *Config) error {
	p := &s.primary
	p.links = map[*replicaLink]struct{}{}
	p.acked = make(chan struct{})
	// A change committed before the backlog exists is left out; the
	// backlog then empties at the next one, never holding a gap.
	var bp atomic.Pointer[replication.Backlog]
	offset, cancel, err := s.db.Subscribe(func(c store.Change) {
		// A panic here (a bug, reached by the data written) costs the
		// backlog its content, which it rebuilds from the next change,
		// not the writer its reply nor the backlog its subscription.
		defer func() {
			if v := recover(); v != nil {
				s.logPanic("netmode: panic appending to the replication backlog", v, debug.Stack())
			}
		}()
		if b := bp.Load(); b != nil {
			b.Append(c)
		}
	})
	if err != nil {
		return err
	}
	p.backlog, p.unsub = replication.NewBacklog(int(cfg.ReplBacklogSize), offset), cancel
	bp.Store(p.backlog)
	return nil
}

// pingReplicas feeds PING to the replicas every period, as Redis does, so
// that they can tell a quiet primary from a dead link. The PINGs count in
// the offsets.
func (s *Server) pingReplicas(period time.Duration) {
	defer s.loops.Done()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		if s.primary.count() > 0 {
			s.db.Publish([]byte("PING"))
		}
	}
}

func (p *primary) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// snapshotLinks returns the links, for INFO and ROLE.
func (p *primary) snapshotLinks() []*replicaLink {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*replicaLink, 0, len(p.links))
	for l := range p.links {
		out = append(out, l)
	}
	return out
}

// good counts the replicas online whose last ACK is at least offset and,
// with maxLag set, no older than maxLag.
func (p *primary) good(offset uint64, maxLag time.Duration) int {
	now := time.Now().UnixNano()
	n := 0
	for _, l := range p.snapshotLinks() {
		at := l.ackAt.Load()
		if at == 0 || l.ack.Load() < offset || maxLag > 0 && time.Duration(now-at) > maxLag {
			continue
		}
		n++
	}
	return n
}

// ackWait returns a channel closed at the next ACK.
func (p *primary) ackWait() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.acked
}

func (p *primary) noteAck(l *replicaLink, offset uint64) {
	l.ack.Store(offset)
	l.ackAt.Store(time.Now().UnixNano())
	p.mu.Lock()
	close(p.acked)
	p.acked = make(chan struct{})
	p.mu.Unlock()
}

// replconf answers REPLCONF: the replica's listening-port, ip-address and
// capabilities are noted for when it sends PSYNC; ACK and GETACK, which
// only a replica link sends, get no reply, as in Redis.
func replconf(ctx *command.Ctx, args [][]byte) command.Reply {
	c := ctx.Client.(*client)
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
			c.replPort = port
		case "ip-address":
			c.replIP = string(args[i+1])
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
	c := ctx.Client.(*client)
	if rs := c.s.replica.Load(); rs != nil && !rs.r.Status().LinkUp {
		return command.ErrorReply("NOMASTERLINK Can't SYNC while not connected with my master")
	}
	if strings.EqualFold(string(args[0]), "sync") {
		c.syncOnly = true
	} else {
		c.psyncID = string(args[1])
		c.psyncFrom, _ = strconv.ParseUint(string(args[2]), 10, 64)
	}
	c.replicaLink = true
	return command.Reply{}
}

// streamBuffer holds the change stream a replica link has not written yet,
// within the replica class of client-output-buffer-limit.
type streamBuffer struct {
	limit     OutputLimit
	mu        sync.Mutex
	data      []byte
	softSince time.Time // when data went above the soft limit; zero when below
	drop      error     // why the link must end: it fell too far behind, or the history restarted
	wake      chan struct{}
	// abort ends the link at once when drop is set, as Redis closes a
	// client past its limit without waiting for its pending write.
	abort func(why error)
	// panicked logs and counts a panic of add (see add).
	panicked func(v any, stack []byte)
}

var (
	errReplicaOverflow = errors.New("netmode: replica fell too far behind (output buffer limit)")
	errHistoryReset    = errors.New("netmode: this replica's own full sync replaced the data set; its replicas sync again")
	errNewHistory      = errors.New("netmode: the replication id changed; replicas reconnect to learn it")
	errStreamPanic     = errors.New("netmode: feeding this replica's stream panicked; it syncs again")
)

// add takes a change for the replica, as the store's feed delivers it
// (under the store's write lock, on the writer's goroutine). A panic here
// (a bug, reached by the data written) ends this link alone, which syncs
// again: the client that wrote did nothing wrong and is not told, and the
// store does not cancel a subscription the link would go on waiting on.
func (b *streamBuffer) add(c store.Change) {
	defer func() {
		if v := recover(); v != nil {
			b.fail(v, debug.Stack())
		}
	}()
	b.append(c)
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *streamBuffer) append(c store.Change) {
	b.mu.Lock()
	defer b.mu.Unlock()
	dropped := b.drop != nil
	switch {
	case b.drop != nil:
	case c.Reset:
		b.drop = errHistoryReset
	case c.NewHistory:
		b.drop = errNewHistory
	default:
		b.data = replication.AppendChange(b.data, c)
		b.drop = b.limit.check(int64(len(b.data)), &b.softSince)
	}
	if b.drop != nil && !dropped {
		b.data = nil
		go b.abort(b.drop) // not under the store's lock, which add runs under
	}
}

// fail drops the link after add panicked.
func (b *streamBuffer) fail(v any, stack []byte) {
	b.mu.Lock()
	first := b.drop == nil
	if first {
		b.drop, b.data = errStreamPanic, nil
	}
	b.mu.Unlock()
	if first {
		b.panicked(v, stack)
		go b.abort(errStreamPanic)
	}
}

// check applies the limit to a buffer of n bytes, above the soft limit
// since *since: errReplicaOverflow when it must be dropped.
func (l OutputLimit) check(n int64, since *time.Time) error {
	if l.Hard > 0 && n > l.Hard {
		return errReplicaOverflow
	}
	if l.Soft <= 0 || n <= l.Soft {
		*since = time.Time{}
		return nil
	}
	now := time.Now()
	if since.IsZero() {
		*since = now
	}
	if now.Sub(*since) > l.SoftTime {
		return errReplicaOverflow
	}
	return nil
}

// dropped returns why the link must end, or nil.
func (b *streamBuffer) dropped() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.drop
}

func (b *streamBuffer) take() ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := b.data
	b.data = nil
	return d, b.drop
}

// serveReplica runs a replica link to its end: the sync, then the changes
// after it, while a reader goroutine takes the replica's ACKs. It returns
// when the link fails or the server stops.
func (c *client) serveReplica() {
	s := c.s
	cfg := s.cfg.Load()
	l := &replicaLink{c: c, port: c.replPort, ip: c.replIP}
	if l.ip == "" {
		l.ip, _, _ = net.SplitHostPort(c.conn.RemoteAddr().String())
	}
	l.state.Store("wait_bgsave")
	p := &s.primary
	p.mu.Lock()
	p.links[l] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
	}()
	newBuffer := func() *streamBuffer {
		return &streamBuffer{limit: cfg.OutputLimits[1], wake: make(chan struct{}, 1), abort: func(why error) {
			if why == errReplicaOverflow {
				s.stats.ReplicaOverflows.Add(1)
			}
			cfg.Logger.Warn(why.Error(), "id", c.id)
			// Ends a pending write (a QUIC stream's too); the loop below
			// sets its deadline before it looks for a drop, so this one
			// holds.
			c.conn.SetDeadline(time.Now())
		}, panicked: func(v any, stack []byte) {
			s.logPanic("netmode: panic feeding a replica's stream; dropping the link", v, stack, "id", c.id)
		}}
	}
	buf, cancel, err := c.syncReplica(newBuffer, l)
	if cancel != nil {
		defer cancel()
	}
	if err != nil {
		cfg.Logger.Warn("netmode: sync to a replica failed", "id", c.id, "err", err)
		return
	}
	l.state.Store("online")
	gone := make(chan struct{})
	go c.readAcks(l, gone)
	for {
		select {
		case <-buf.wake:
		case <-gone:
			return
		case <-s.done:
			return
		}
		c.conn.SetWriteDeadline(time.Now().Add(cfg.ReplTimeout))
		data, drop := buf.take()
		if drop != nil {
			return // abort said why
		}
		if _, err := c.conn.Write(data); err != nil {
			return
		}
	}
}

// syncReplica answers PSYNC: +CONTINUE and the backlog from the replica's
// offset when the history it names is ours (or the one ours continues, up
// to where it does) and the backlog holds every byte since; otherwise a
// full sync. Either way the buffer it returns receives every change after
// what was sent, until cancel (which may be set even with an error).
func (c *client) syncReplica(newBuffer func() *streamBuffer, l *replicaLink) (buf *streamBuffer, cancel func(), err error) {
	s := c.s
	if c.psyncID != "" && c.psyncFrom > 0 {
		buf := newBuffer()
		h, cancel, err := s.db.SubscribeHistory(buf.add)
		if err != nil {
			return nil, nil, err
		}
		ours := c.psyncID == h.ReplID || c.psyncID == h.ReplID2 && int64(c.psyncFrom) <= h.SecondOffset
		if data, ok := s.primary.backlog.Since(c.psyncFrom-1, h.Offset); ours && ok {
			s.stats.PartialSyncs.Add(1)
			c.conn.SetWriteDeadline(time.Now().Add(s.cfg.Load().ReplTimeout))
			_, err := c.conn.Write(append([]byte("+CONTINUE "+h.ReplID+"\r\n"), data...))
			return buf, cancel, err
		}
		// A change may still reach this buffer after cancel: the full sync
		// takes a fresh one, so that nothing in its snapshot comes twice.
		cancel()
		if c.psyncID != "?" {
			s.stats.PartialSyncsRefused.Add(1)
		}
	}
	buf = newBuffer()
	cancel, err = c.fullSync(buf, l)
	return buf, cancel, err
}

// fullSync is one snapshot of the store written to every replica that asked
// for a full sync while the first waited repl-diskless-sync-delay (or until
// repl-diskless-sync-max-replicas asked): the store is read and encoded
// once for all of them, as Redis's diskless sync feeds one RDB to several
// replicas. The changes after the snapshot reach each replica's own buffer.
type fullSync struct {
	members []*syncMember // guarded by primary.mu until the sync starts
	enough  chan struct{} // closed when max replicas joined
	done    chan struct{} // closed when the snapshot is written
	live    atomic.Int32
	cancel  func() // the shared subscription, cancelled when every member left
}

type syncMember struct {
	c    *client
	buf  *streamBuffer
	l    *replicaLink
	err  error // the member's failure; read after done
	gone atomic.Bool
}

// leave ends the member's part in the shared subscription.
func (g *fullSync) leave(m *syncMember) {
	if !m.gone.Swap(true) && g.live.Add(-1) == 0 && g.cancel != nil {
		g.cancel()
	}
}

func (c *client) fullSync(buf *streamBuffer, l *replicaLink) (cancel func(), err error) {
	s := c.s
	cfg := s.cfg.Load()
	p := &s.primary
	m := &syncMember{c: c, buf: buf, l: l}
	p.mu.Lock()
	if g := p.gathering; g != nil {
		g.members = append(g.members, m)
		if len(g.members) == cfg.ReplDisklessSyncMaxReplicas {
			close(g.enough)
		}
		p.mu.Unlock()
		s.stats.SharedFullSyncs.Add(1)
		<-g.done
		return func() { g.leave(m) }, m.err
	}
	g := &fullSync{members: []*syncMember{m}, enough: make(chan struct{}), done: make(chan struct{})}
	if cfg.ReplDisklessSyncDelay > 0 && cfg.ReplDisklessSyncMaxReplicas != 1 {
		p.gathering = g
		p.mu.Unlock()
		t := time.NewTimer(cfg.ReplDisklessSyncDelay)
		select {
		case <-t.C:
		case <-g.enough:
		case <-s.done:
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
		// The panic goes on to this client's recover.
		if !finished {
			for _, m := range members {
				m.err = cmp.Or(m.err, errFullSyncAborted)
				g.leave(m)
			}
			close(g.done)
		}
	}()
	err = g.write(s, cfg, members)
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

// errFullSyncAborted ends the replicas that shared a full sync whose
// writer panicked.
var errFullSyncAborted = errors.New("netmode: the full sync this replica shared was aborted")

// write takes the snapshot and writes it to the members.
func (g *fullSync) write(s *Server, cfg *Config, members []*syncMember) error {
	snap, cancel, err := s.db.SubscribeSnapshot(func(ch store.Change) {
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
	out := &fanout{members: members, timeout: cfg.ReplTimeout}
	header := []byte(replication.FullResync(snap))
	for _, m := range members {
		s.stats.FullSyncs.Add(1)
		m.l.state.Store("send_bulk")
		if !m.c.syncOnly { // SYNC gets the RDB alone
			out.writeTo(m, header)
		}
	}
	return replication.WriteDisklessRDB(out, snap, Version)
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
	// The deadline before the check, as in serveReplica: an abort after
	// the check then cuts this write short.
	m.c.conn.SetWriteDeadline(time.Now().Add(f.timeout))
	if m.err = m.buf.dropped(); m.err != nil {
		return m.err
	}
	_, m.err = m.c.conn.Write(b)
	return m.err
}

// readAcks reads what a replica sends on its link, REPLCONF ACK <offset>
// (other commands are ignored), until the link ends or the replica is
// silent for repl-timeout (it acknowledges every second, as Redis's do);
// then closes gone.
func (c *client) readAcks(l *replicaLink, gone chan<- struct{}) {
	defer close(gone)
	defer func() {
		// The replica's input reaches the parser here, off the client's
		// goroutine: a panic ends the link, as its read failing would.
		if v := recover(); v != nil {
			c.s.logPanic("netmode: panic reading a replica's acknowledgements; dropping the link", v, debug.Stack(), "id", c.id)
		}
	}()
	for {
		c.conn.SetReadDeadline(time.Now().Add(c.s.cfg.Load().ReplTimeout))
		args, err := c.rd.Next(true)
		if err != nil {
			return
		}
		if len(args) >= 3 && strings.EqualFold(string(args[0]), "replconf") && strings.EqualFold(string(args[1]), "ack") {
			if off, err := strconv.ParseUint(string(args[2]), 10, 64); err == nil {
				c.s.primary.noteAck(l, off)
			}
		}
	}
}

// waitCmd answers WAIT numreplicas timeout: it returns once numreplicas
// replicas acknowledged every write so far, or after timeout milliseconds
// (0: no limit), with the number that did. The replicas are asked to
// acknowledge at once (REPLCONF GETACK *) rather than at their next
// once-a-second ACK.
func waitCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	c := ctx.Client.(*client)
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
	p := &s.primary
	if ctx.Ops.InTransaction() { // inside EXEC: answer at once, as Redis does
		h, _ := ctx.Ops.History()
		return command.Int(int64(p.good(h.Offset, 0)))
	}
	target := ctx.Ops.Offset()
	got := p.good(target, 0)
	if int64(got) >= n {
		return command.Int(int64(got))
	}
	var timeout <-chan time.Time
	if ms > 0 {
		// A Duration holds about 292 years: past that, ms*1e6 would wrap,
		// to a negative or short timeout, where Redis waits forever.
		t := time.NewTimer(time.Duration(min(ms, int64(1<<63-1)/int64(time.Millisecond))) * time.Millisecond)
		defer t.Stop()
		timeout = t.C
	}
	if !c.flush() { // the replies before WAIT are not held back by it
		return command.Int(int64(got))
	}
	s.db.Publish([]byte("REPLCONF"), []byte("GETACK"), []byte("*"))
	gone, stop := c.watchGone()
	defer stop()
	for {
		acked := p.ackWait()
		if got = p.good(target, 0); int64(got) >= n {
			return command.Int(int64(got))
		}
		select {
		case <-acked:
		case <-timeout:
			return command.Int(int64(p.good(target, 0)))
		case <-gone:
			return command.Int(int64(p.good(target, 0)))
		case <-s.done:
			return command.Int(int64(p.good(target, 0)))
		}
	}
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
// than min-replicas-to-write.
func (s *Server) writeRefused(cfg *Config) (command.Reply, bool) {
	if s.replica.Load() != nil {
		if cfg.ReplicaReadOnly {
			return command.ErrorReply("READONLY You can't write against a read only replica."), true
		}
		return command.Reply{}, false
	}
	if cfg.MinReplicasToWrite > 0 && s.primary.good(0, cfg.MinReplicasMaxLag) < cfg.MinReplicasToWrite {
		return command.ErrorReply("NOREPLICAS Not enough good replicas to write."), true
	}
	return command.Reply{}, false
}

// replicationInfo writes INFO's replication section.
func (s *Server) replicationInfo(ops *store.Ops, line func(string, any)) {
	h, _ := ops.History()
	now := time.Now()
	if rs := s.replica.Load(); rs != nil {
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
	links := s.primary.snapshotLinks()
	line("connected_slaves", len(links))
	for i, l := range links {
		lag := int64(-1)
		if at := l.ackAt.Load(); at != 0 {
			lag = int64(now.Sub(time.Unix(0, at)) / time.Second)
		}
		line(fmt.Sprintf("slave%d", i), fmt.Sprintf("ip=%s,port=%d,state=%s,offset=%d,lag=%d",
			l.ip, l.port, l.state.Load(), l.ack.Load(), lag))
	}
	line("master_failover_state", "no-failover")
	line("master_replid", h.ReplID)
	id2 := h.ReplID2
	if id2 == "" {
		id2 = strings.Repeat("0", 40)
	}
	line("master_replid2", id2)
	line("master_repl_offset", h.Offset)
	line("second_repl_offset", h.SecondOffset)
	first, held := s.primary.backlog.Range()
	line("repl_backlog_active", 1)
	line("repl_backlog_size", s.cfg.Load().ReplBacklogSize)
	line("repl_backlog_first_byte_offset", first)
	line("repl_backlog_histlen", held)
}

// roleCmd answers ROLE.
func roleCmd(ctx *command.Ctx, _ [][]byte) command.Reply {
	c := ctx.Client.(*client)
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
	for _, l := range s.primary.snapshotLinks() {
		replicas = append(replicas, command.Array(command.BulkString(l.ip),
			command.BulkString(strconv.Itoa(l.port)), command.BulkString(strconv.FormatUint(l.ack.Load(), 10))))
	}
	return command.Array(command.BulkString("master"), command.Int(int64(h.Offset)), command.Array(replicas...))
}
