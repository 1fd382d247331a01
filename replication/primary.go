package replication

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shinglekv/shingle/internal/tick"
	"github.com/shinglekv/shingle/store"
)

// The primary side of replication: a server hands a connection that sent
// PSYNC (or SYNC) to Primary.Serve, which from then on serves only the
// sync, partial (+CONTINUE, from the backlog) or full, and the change
// stream after it; the changes committed meanwhile wait in a buffer
// bounded like Redis's client-output-buffer-limit for replicas. A second
// goroutine reads the replica's REPLCONF ACKs, which WAIT,
// min-replicas-to-write and INFO use.

// PrimaryConfig is how a Primary serves its replicas. Its zero value works:
// each field's doc says what zero means.
type PrimaryConfig struct {
	// BacklogSize is the size of the backlog partial resyncs are served
	// from (repl-backlog-size), read by Start. Zero: one byte, which serves
	// only a replica that missed nothing.
	BacklogSize int64
	// PingPeriod is how often the replicas are sent PING
	// (repl-ping-replica-period), read by Start. Zero: 10 seconds.
	PingPeriod time.Duration
	// Timeout bounds each write to a replica and its silence between
	// acknowledgements (repl-timeout). Zero: DefaultTimeout.
	Timeout time.Duration
	// DisklessSyncDelay is how long a full sync waits for more replicas to
	// share its snapshot (repl-diskless-sync-delay), unless
	// DisklessSyncMaxReplicas have asked (repl-diskless-sync-max-replicas,
	// 0 no limit). Zero: no wait.
	DisklessSyncDelay       time.Duration
	DisklessSyncMaxReplicas int
	// OutputLimit bounds the stream a replica has not been sent yet (the
	// replica class of client-output-buffer-limit): past it, the replica
	// is dropped and syncs again. Zero: no limit.
	OutputLimit OutputLimit
	// MinReplicasToWrite and MinReplicasMaxLag are min-replicas-to-write
	// (0 off) and min-replicas-max-lag (0 no limit), for MinReplicasOK.
	MinReplicasToWrite int
	MinReplicasMaxLag  time.Duration
	// SyncReplicas is how many replicas must acknowledge a write before
	// the store reveals it, when its acknowledgement gate is on
	// (syncacks.go; netmode's cluster-sync-replicas). Zero: none.
	SyncReplicas int
	// Version is the redis-ver a full sync's RDB announces. Zero: "".
	Version string
	// Logger receives the links' events. Zero: none.
	Logger *slog.Logger
	// Hooks are told of what a server counts.
	Hooks PrimaryHooks
}

// PrimaryHooks are callbacks a Primary calls as events happen, each on
// the goroutine where the event happened (a link's, or a writer's inside
// the store's feed: they must not block, nor call into the store). A nil
// callback is skipped. netmode counts these in INFO stats.
type PrimaryHooks struct {
	// FullSync is a full sync begun to a replica (sync_full).
	FullSync func()
	// SharedFullSync is a replica joining another's full sync within
	// DisklessSyncDelay (sync_full_shared).
	SharedFullSync func()
	// PartialSync is a PSYNC answered with +CONTINUE (sync_partial_ok);
	// PartialSyncRefused one naming a history that could not be continued
	// (sync_partial_err).
	PartialSync, PartialSyncRefused func()
	// ReplicaOverflow is a replica dropped for OutputLimit
	// (client_output_buffer_limit_disconnections).
	ReplicaOverflow func()
	// Panic is a panic recovered on the primary's side of replication,
	// after it was logged at Error with its stack: encoding a change for
	// the backlog or for a replica, or reading a replica's
	// acknowledgements (shingle_panics).
	Panic func(v any, stack []byte)
}

// ErrPrimaryClosed is returned by Start after Close.
var ErrPrimaryClosed = errors.New("replication: primary closed")

// Primary serves a store's replicas: it keeps the backlog of the store's
// change feed, serves each replica link a server hands it (Serve), pings
// the replicas, and counts their acknowledgements for WAIT,
// min-replicas-to-write, INFO and ROLE. It is safe for concurrent use.
type Primary struct {
	db     *store.DB
	config func() PrimaryConfig

	backlog atomic.Pointer[Backlog] // nil before Start

	mu        sync.Mutex
	started   bool
	closed    bool
	unsub     func()
	stop      chan struct{}  // closed by Close: the loops return
	loops     sync.WaitGroup // the pinger and feedAcks
	links     map[*replicaLink]struct{}
	acked     chan struct{} // closed and replaced when an ACK arrives
	gathering *fullSync     // a full sync waiting for more replicas to share it
}

// replicaLink is one replica, as INFO and WAIT see it.
type replicaLink struct {
	ip    string
	port  int
	state atomic.Value // string: wait_bgsave, send_bulk, online
	ack   atomic.Uint64
	ackAt atomic.Int64 // unix nanoseconds; 0 before the first ACK
}

// NewPrimary returns a Primary of db. config returns the configuration in
// force; it is called whenever a value is needed (a link reads it once when
// it starts, as Redis applies CONFIG SET to links made after it), so a
// server whose configuration changes at run time passes a function that
// reads its current one. It may be called under the store's write lock
// (reporting a panic in the change feed), so it must not call into the
// store. NewPrimary only allocates: Start begins the backlog, the pinger
// and the feeder of acknowledgements.
func NewPrimary(db *store.DB, config func() PrimaryConfig) *Primary {
	return &Primary{db: db, config: config, stop: make(chan struct{}),
		links: map[*replicaLink]struct{}{}, acked: make(chan struct{})}
}

// Start subscribes the backlog to the store's change feed, from the
// store's offset now, and starts pinging the replicas every PingPeriod.
// It returns ErrPrimaryClosed after Close, the store's error if it is
// closed, and an error if called twice.
func (p *Primary) Start() error {
	p.mu.Lock()
	switch {
	case p.closed:
		p.mu.Unlock()
		return ErrPrimaryClosed
	case p.started:
		p.mu.Unlock()
		return errors.New("replication: primary started twice")
	}
	p.started = true
	p.mu.Unlock()
	// Subscribe outside p.mu: writers hold the store's write lock while
	// they call what takes p.mu (Good, MinReplicasOK).
	cfg := p.config()
	// A change committed before the backlog exists is left out; the
	// backlog then empties at the next one, never holding a gap.
	offset, cancel, err := p.db.Subscribe(func(c store.Change) {
		// A panic here (a bug, reached by the data written) costs the
		// backlog its content, which it rebuilds from the next change,
		// not the writer its reply nor the backlog its subscription.
		defer func() {
			if v := recover(); v != nil {
				p.panicked("replication: panic appending to the replication backlog", v, debug.Stack())
			}
		}()
		if b := p.backlog.Load(); b != nil {
			b.Append(c)
		}
	})
	if err != nil {
		return err
	}
	p.backlog.Store(NewBacklog(int(cfg.BacklogSize), offset))
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed { // Close ran meanwhile and found nothing to stop
		cancel()
		return ErrPrimaryClosed
	}
	p.unsub = cancel
	period := cfg.PingPeriod
	if period <= 0 {
		period = 10 * time.Second
	}
	p.loops.Add(2)
	go p.ping(period)
	go p.feedAcks()
	return nil
}

// Close stops the backlog's subscription, the pinger and the feeder of
// acknowledgements (syncacks.go), and waits for them to return. Links in
// progress go on until their connection or their Serve context ends. It
// is safe to call twice, and without Start.
func (p *Primary) Close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.stop)
		if p.unsub != nil {
			p.unsub()
		}
	}
	p.mu.Unlock()
	p.loops.Wait()
}

// ping feeds PING to the replicas every period, as Redis does, so that
// they can tell a quiet primary from a dead link. The PINGs count in the
// offsets.
func (p *Primary) ping(period time.Duration) {
	defer p.loops.Done()
	tick.Every(p.stop, period, func(time.Time) bool {
		if p.Count() > 0 {
			p.db.Publish([]byte("PING"))
		}
		return true
	})
}

// panicked logs a recovered panic at Error with its stack and tells
// Hooks.Panic. A panic the store raised again from a change feed callback
// (*store.SubscriberPanic) is logged with the callback's own stack too,
// which is where the bug is.
func (p *Primary) panicked(msg string, v any, stack []byte, attrs ...any) {
	cfg := p.config()
	if sp, ok := v.(*store.SubscriberPanic); ok {
		attrs = append(attrs, "panic", fmt.Sprint(sp.Value), "subscriber_stack", string(sp.Stack))
	} else {
		attrs = append(attrs, "panic", fmt.Sprint(v))
	}
	logger(cfg).Error(msg, append(attrs, "stack", string(stack))...)
	if cfg.Hooks.Panic != nil {
		cfg.Hooks.Panic(v, stack)
	}
}

func logger(cfg PrimaryConfig) *slog.Logger {
	if cfg.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return cfg.Logger
}

func call(hook func()) {
	if hook != nil {
		hook()
	}
}

// Count returns the number of replica links being served.
func (p *Primary) Count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// ReplicaInfo is one replica link, as INFO replication and ROLE show it.
type ReplicaInfo struct {
	IP    string // announced with REPLCONF ip-address, else the connection's
	Port  int    // announced with REPLCONF listening-port, else 0
	State string // wait_bgsave, send_bulk or online
	// Ack is the offset the replica last acknowledged, at AckAt (zero
	// before its first acknowledgement).
	Ack   uint64
	AckAt time.Time
}

// Replicas returns the replica links being served, in no particular order.
func (p *Primary) Replicas() []ReplicaInfo {
	var out []ReplicaInfo
	for _, l := range p.snapshotLinks() {
		ri := ReplicaInfo{IP: l.ip, Port: l.port, State: l.state.Load().(string), Ack: l.ack.Load()}
		if at := l.ackAt.Load(); at != 0 {
			ri.AckAt = time.Unix(0, at)
		}
		out = append(out, ri)
	}
	return out
}

func (p *Primary) snapshotLinks() []*replicaLink {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*replicaLink, 0, len(p.links))
	for l := range p.links {
		out = append(out, l)
	}
	return out
}

// Good counts the replicas online whose last ACK is at least offset and,
// with maxLag set, no older than maxLag.
func (p *Primary) Good(offset uint64, maxLag time.Duration) int {
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

// MinReplicasOK reports whether writes may go on under
// min-replicas-to-write: it is off, or at least MinReplicasToWrite
// replicas acknowledged within MinReplicasMaxLag.
func (p *Primary) MinReplicasOK() bool {
	cfg := p.config()
	return cfg.MinReplicasToWrite <= 0 || p.Good(0, cfg.MinReplicasMaxLag) >= cfg.MinReplicasToWrite
}

// Wait is WAIT's wait: it asks every replica to acknowledge at once
// (RequestAcks), then returns once n replicas acknowledged target, or when
// ctx ends, with the number that did.
func (p *Primary) Wait(ctx context.Context, target uint64, n int) int {
	p.RequestAcks()
	for {
		acked := p.Acked()
		if got := p.Good(target, 0); got >= n {
			return got
		}
		select {
		case <-acked:
		case <-ctx.Done():
			return p.Good(target, 0)
		}
	}
}

// RequestAcks asks every replica to acknowledge at once (REPLCONF GETACK *
// on the stream, which moves the offset on), rather than at its
// once-a-second ACK.
func (p *Primary) RequestAcks() {
	p.db.Publish([]byte("REPLCONF"), []byte("GETACK"), []byte("*"))
}

// Acked returns a channel closed at the next ACK from any replica.
func (p *Primary) Acked() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.acked
}

func (p *Primary) noteAck(l *replicaLink, offset uint64) {
	l.ack.Store(offset)
	l.ackAt.Store(time.Now().UnixNano())
	p.reportAcks()
	p.mu.Lock()
	close(p.acked)
	p.acked = make(chan struct{})
	p.mu.Unlock()
}

// Info writes INFO replication's lines from connected_slaves on, as Redis
// orders them: the replicas, failover (master_failover_state: the
// server's FAILOVER, "no-failover" when none), then the history h (the
// store's) and the backlog.
func (p *Primary) Info(h store.History, failover string, line func(name string, value any)) {
	now := time.Now()
	links := p.Replicas()
	line("connected_slaves", len(links))
	for i, l := range links {
		lag := int64(-1)
		if !l.AckAt.IsZero() {
			lag = int64(now.Sub(l.AckAt) / time.Second)
		}
		line(fmt.Sprintf("slave%d", i), fmt.Sprintf("ip=%s,port=%d,state=%s,offset=%d,lag=%d",
			l.IP, l.Port, l.State, l.Ack, lag))
	}
	line("master_failover_state", failover)
	line("master_replid", h.ReplID)
	id2 := h.ReplID2
	if id2 == "" {
		id2 = strings.Repeat("0", 40)
	}
	line("master_replid2", id2)
	line("master_repl_offset", h.Offset)
	line("second_repl_offset", h.SecondOffset)
	first, held := h.Offset+1, 0 // before Start: an empty backlog
	if b := p.backlog.Load(); b != nil {
		first, held = b.Range()
	}
	line("repl_backlog_active", 1)
	line("repl_backlog_size", p.config().BacklogSize)
	line("repl_backlog_first_byte_offset", first)
	line("repl_backlog_histlen", held)
}
