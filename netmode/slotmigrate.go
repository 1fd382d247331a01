package netmode

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shinglekv/shingle/cluster"
	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/store"
)

// Atomic slot migration, CLUSTER MIGRATESLOTS (Valkey 9's syntax): the
// source streams a consistent snapshot of the slots (keys are stored by
// slot: one range scan per slot range) as RESTORE commands, then every
// write to those slots committed after the snapshot, to the target's
// client port over a connection that CLUSTER SYNCSLOTS makes an
// importer's: its commands run in the migration's slots although the
// target does not own them yet, and no other client reaches them there.
// Once the target has everything, the source holds its writes back for a
// moment, sends the last ones, and ends the migration through the
// cluster's log: every node moves the slots at once. Clients see no ASK
// and no TRYAGAIN, only MOVED after the switch.
//
// Who owns a slot is the log's alone (cluster/migration.go): a migration
// ends done or cancelled, never both. Whoever is left when the other side
// fails cancels it; a node then deletes the keys it holds in slots its
// shard does not own: the target after a cancel, the source after the
// switch, and any primary once it has caught up with the log at startup
// (a crash in between).

// migrationPause bounds the write pause at the switch.
const migrationPause = 5 * time.Second

// slotJob is a migration this node is the source of.
type slotJob struct {
	m      *cluster.Migration
	cancel context.CancelFunc
	keys   atomic.Uint64
	bytes  atomic.Uint64
	phase  atomic.Value // string: snapshot, stream, switch
}

// clusterMigrateSlots is CLUSTER MIGRATESLOTS SLOTSRANGE start end [start
// end ...] NODE node-id [SLOTSRANGE ... NODE ...]: one migration per
// group, each begun through the log before the reply; the data moves
// afterwards (CLUSTER GETSLOTMIGRATIONS follows it).
func (c *client) clusterMigrateSlots(ctx *command.Ctx, args [][]byte) command.Reply {
	type group struct {
		ranges cluster.SlotRanges
		target string
	}
	var groups []group
	for i := 2; i < len(args); {
		if !isWord(args[i], "slotsrange") {
			return command.ErrorReply("ERR syntax error")
		}
		var g group
		for i++; i+1 < len(args) && !isWord(args[i], "node"); i += 2 {
			lo, ok1 := slotArg(args[i])
			hi, ok2 := slotArg(args[i+1])
			if !ok1 || !ok2 || lo > hi {
				return errBadSlot
			}
			g.ranges = append(g.ranges, [2]int{lo, hi})
		}
		if len(g.ranges) == 0 || i+1 >= len(args) || !isWord(args[i], "node") {
			return command.ErrorReply("ERR syntax error")
		}
		g.target = string(args[i+1])
		i += 2
		groups = append(groups, g)
	}
	if len(groups) == 0 {
		return command.ErrorReply("ERR syntax error")
	}
	c.release()
	for _, g := range groups {
		id, err := c.s.cluster.BeginMigration(g.ranges, g.target, time.Now().UnixMilli())
		if err != nil {
			return clusterErr(err)
		}
		c.s.startSlotJob(c.s.cluster.State().Migration(id))
	}
	return command.OK
}

// clusterGetSlotMigrations is CLUSTER GETSLOTMIGRATIONS: the migrations
// the configuration remembers (running, and the last ended), oldest
// first, each a map.
func (c *client) clusterGetSlotMigrations(*command.Ctx, [][]byte) command.Reply {
	var out []command.Reply
	for _, m := range c.s.cluster.State().Migrations() {
		keys, bytes := m.Keys, m.Bytes
		phase := m.State
		if j := c.s.slotJob(m.ID); j != nil && m.State == cluster.MigrationRunning {
			keys, bytes = j.keys.Load(), j.bytes.Load()
			phase = m.State + ":" + j.phase.Load().(string)
		}
		var rs []string
		for _, r := range m.Ranges {
			rs = append(rs, fmt.Sprintf("%d-%d", r[0], r[1]))
		}
		out = append(out, command.Map(
			command.BulkString("id"), command.BulkString(m.ID),
			command.BulkString("slot_ranges"), command.BulkString(strings.Join(rs, " ")),
			command.BulkString("source_node"), command.BulkString(m.Source),
			command.BulkString("target_node"), command.BulkString(m.Target),
			command.BulkString("state"), command.BulkString(phase),
			command.BulkString("message"), command.BulkString(m.Message),
			command.BulkString("keys"), command.Int(int64(keys)),
			command.BulkString("bytes"), command.Int(int64(bytes)),
			command.BulkString("create_time"), command.Int(m.StartMs),
			command.BulkString("end_time"), command.Int(m.EndMs)))
	}
	return command.Array(out...)
}

// clusterCancelSlotMigrations is CLUSTER CANCELSLOTMIGRATIONS: every
// running migration this node is the source of is cancelled, through the
// log, before the reply.
func (c *client) clusterCancelSlotMigrations(*command.Ctx, [][]byte) command.Reply {
	c.release()
	n := c.s.cluster
	ctx, cancel := context.WithTimeout(c.s.closing, 10*time.Second)
	defer cancel()
	for _, m := range n.State().Migrations() {
		if m.State != cluster.MigrationRunning || m.Source != n.ID() {
			continue
		}
		if j := c.s.slotJob(m.ID); j != nil {
			j.cancel()
		}
		if _, err := n.ResolveMigration(ctx, m.ID, "cancelled by CLUSTER CANCELSLOTMIGRATIONS", time.Now().UnixMilli()); err != nil {
			return clusterErr(err)
		}
	}
	return command.OK
}

// clusterSyncSlots is CLUSTER SYNCSLOTS id, Shingle's own, sent by a
// migration's source to its target: this connection becomes the
// migration's importer. The keys the target holds in those slots (left by
// an earlier attempt) are deleted first.
func (c *client) clusterSyncSlots(ctx *command.Ctx, args [][]byte) command.Reply {
	if ctx.Ops != c.ctx.Ops {
		return command.ErrorReply("ERR CLUSTER SYNCSLOTS is not allowed inside a transaction")
	}
	c.release()
	n := c.s.cluster
	wait, cancel := context.WithTimeout(c.s.closing, 10*time.Second)
	defer cancel()
	if err := n.CatchUp(wait); err != nil {
		return clusterErr(err)
	}
	m := n.State().Migration(string(args[2]))
	switch {
	case m == nil:
		return command.ErrorReply("ERR Unknown migration " + string(args[2]))
	case m.Target != n.ID() || m.State != cluster.MigrationRunning:
		return command.ErrorReply("ERR Migration " + m.ID + " is not one this node imports now")
	}
	if err := deleteSlotKeys(c.s.db, m.Ranges, nil); err != nil {
		return command.ErrReply(err)
	}
	c.importing = m
	return command.OK
}

// endImport resolves the migration a closed importer connection brought
// in: it is cancelled unless it ended already, and unless its slots came
// here the keys it brought are deleted.
func (c *client) endImport() {
	m := c.importing
	if m == nil {
		return
	}
	c.importing = nil
	s := c.s
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		s.resolveMigration(m.ID, "the import connection closed")
	}()
}

// resolveMigration makes sure migration id has ended (cancelling it if
// not), then deletes the keys this primary holds in its slots if its
// shard does not own them. It tries until it reaches the log or the
// server closes.
func (s *Server) resolveMigration(id, why string) {
	var m *cluster.Migration
	if s.untilLog(func(ctx context.Context) (err error) {
		m, err = s.cluster.ResolveMigration(ctx, id, why, time.Now().UnixMilli())
		return err
	}) {
		s.dropUnownedKeys(m.Ranges)
	}
}

// untilLog calls fn, which reaches the cluster's log, again every second
// until it succeeds (it reports true) or the server closes (false).
func (s *Server) untilLog(fn func(ctx context.Context) error) bool {
	for {
		ctx, cancel := context.WithTimeout(s.closing, 10*time.Second)
		err := fn(ctx)
		cancel()
		if err == nil {
			return true
		}
		select {
		case <-s.closing.Done():
			return false
		case <-time.After(time.Second):
		}
	}
}

// dropUnownedKeys deletes, on a primary, the keys of the slots in ranges
// that its shard does not own and that nothing brings here (a running
// migration to it, SETSLOT IMPORTING), as the configuration says at each
// slot's turn.
func (s *Server) dropUnownedKeys(ranges cluster.SlotRanges) {
	n := s.cluster
	keep := func(slot int) bool {
		st := n.State()
		me := st.Nodes[n.ID()]
		if me == nil || me.Primary != "" || s.replica.Load() != nil {
			return true // a replica follows its primary's deletions
		}
		return st.Owner(slot) == me.ID || me.Importing[slot] != "" || st.Incoming(slot, me.ID)
	}
	if err := deleteSlotKeys(s.db, ranges, keep); err != nil {
		s.cfg.Load().Logger.Warn("netmode: deleting the keys of slots this node does not own", "err", err)
	}
}

// deleteSlotKeys deletes the keys of the slots in ranges, but for the
// slots keep (nil: none) keeps, asked under the store's write lock with
// each batch (only slots that hold keys are visited): a slot that
// becomes this node's meanwhile keeps the keys written to it since (they
// were written after the slot came here).
func deleteSlotKeys(db *store.DB, ranges cluster.SlotRanges, keep func(slot int) bool) error {
	slots, err := db.SlotsWithKeys()
	if err != nil {
		return err
	}
	for _, s := range slots {
		slot := int(s)
		if !ranges.Contains(slot) {
			continue
		}
		var after []byte
		for more := true; more; {
			err := db.Update(func(tx *store.Tx) error {
				more = false
				if keep != nil && keep(slot) {
					return nil
				}
				last, err := tx.DeleteSlotKeys(s, after, 1000)
				more, after = last != nil, last
				return err
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// sweepSlots, at startup on a cluster primary, waits until the node has
// caught up with the log, cancels the migrations it was part of that no
// one runs any more (it restarted), and deletes the keys of the slots its
// shard does not own (a crash before such keys were deleted).
func (s *Server) sweepSlots() {
	defer s.loops.Done()
	n := s.cluster
	if !s.untilLog(n.CatchUp) {
		return
	}
	for _, m := range n.State().Migrations() {
		if m.State == cluster.MigrationRunning && (m.Source == n.ID() || m.Target == n.ID()) && s.slotJob(m.ID) == nil {
			s.resolveMigration(m.ID, "a node of the migration restarted")
		}
	}
	s.dropUnownedKeys(cluster.SlotRanges{{0, cluster.Slots - 1}})
}

func (s *Server) slotJob(id string) *slotJob {
	s.jobsMu.Lock()
	defer s.jobsMu.Unlock()
	return s.jobs[id]
}

// startSlotJob runs migration m, which this node is the source of.
func (s *Server) startSlotJob(m *cluster.Migration) {
	ctx, cancel := context.WithCancel(s.closing)
	j := &slotJob{m: m, cancel: cancel}
	j.phase.Store("snapshot")
	s.jobsMu.Lock()
	if s.jobs == nil {
		s.jobs = map[string]*slotJob{}
	}
	s.jobs[m.ID] = j
	s.jobsMu.Unlock()
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		defer cancel()
		log := s.cfg.Load().Logger.With("migration", m.ID, "target", m.Target)
		log.Info("netmode: slot migration started", "ranges", fmt.Sprint(m.Ranges))
		st := &s.stats
		st.SlotMigrationsStarted.Add(1)
		err := s.runSlotJob(ctx, j, log)
		s.jobsMu.Lock()
		delete(s.jobs, m.ID)
		s.jobsMu.Unlock()
		st.SlotMigrationKeys.Add(int64(j.keys.Load()))
		st.SlotMigrationBytes.Add(int64(j.bytes.Load()))
		if err != nil {
			st.SlotMigrationsFailed.Add(1)
			log.Warn("netmode: slot migration failed", "err", err)
			s.resolveMigration(m.ID, err.Error())
			return
		}
		st.SlotMigrationsDone.Add(1)
		log.Info("netmode: slot migration done", "keys", j.keys.Load(), "bytes", j.bytes.Load())
	}()
}

// changeQueue holds the writes to a migration's slots committed after its
// snapshot, filled by the store's change feed (under the store's write
// lock: it never blocks) and drained by the job.
type changeQueue struct {
	mu     sync.Mutex
	cmds   [][][]byte
	size   int
	offset uint64 // the offset of the last change seen
	err    error
}

// maxQueued bounds the writes waiting to be sent to the target.
const maxQueued = 256 << 20

func (q *changeQueue) push(s *Server, m *cluster.Migration, ch store.Change) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.offset = ch.Offset
	if ch.Reset || ch.NewHistory || ch.Raw != nil {
		q.err = errors.New("the store's history changed during the migration")
		return
	}
	for _, cmd := range ch.Commands {
		c := s.table.Lookup(cmd[0])
		if c == nil {
			continue
		}
		name := c.Name
		if name == "flushall" || name == "flushdb" {
			q.err = errors.New(strings.ToUpper(name) + " during the migration")
			return
		}
		keys := c.Keys(cmd)
		if len(keys) == 0 || !m.Ranges.Contains(int(store.Slot(keys[0]))) || name == "multi" || name == "exec" {
			continue
		}
		cp := make([][]byte, len(cmd))
		for i, a := range cmd {
			cp[i] = append([]byte(nil), a...)
			q.size += len(a)
		}
		q.cmds = append(q.cmds, cp)
	}
	if q.size > maxQueued && q.err == nil {
		q.err = errors.New("the target fell too far behind the writes to the slots")
	}
}

// take returns the queued commands and the offset of the last change
// seen.
func (q *changeQueue) take(ctx context.Context) ([][][]byte, uint64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	cmds, off, err := q.cmds, q.offset, q.err
	q.cmds, q.size = nil, 0
	if err == nil {
		err = ctx.Err()
	}
	return cmds, off, err
}

// importLink is the source's connection to the target: commands go out
// through w, and a reader counts their replies.
type importLink struct {
	w        *bufio.Writer
	sent     atomic.Int64
	replied  atomic.Int64
	progress chan struct{} // a token after replies arrive
	failed   chan error    // the first error reply or read error
	done     chan struct{}
}

func (l *importLink) send(args ...[]byte) error {
	l.sent.Add(1)
	_, err := l.w.Write(resp.AppendCommand(nil, args...))
	return err
}

func (l *importLink) readReplies(r *bufio.Reader) {
	defer close(l.done)
	for {
		rep, err := resp.ReadReply(r)
		if err == nil && rep.Kind == resp.KindError {
			err = fmt.Errorf("the target answered %s", rep.Str)
		}
		if err != nil {
			l.failed <- err
			return
		}
		l.replied.Add(1)
		select {
		case l.progress <- struct{}{}:
		default:
		}
	}
}

// caughtUp waits until the target has answered every command sent.
func (l *importLink) caughtUp(ctx context.Context) error {
	if err := l.w.Flush(); err != nil {
		return err
	}
	for l.replied.Load() < l.sent.Load() {
		select {
		case err := <-l.failed:
			return err
		case <-ctx.Done():
			return ctx.Err()
		case <-l.progress:
		}
	}
	return nil
}

// runSlotJob moves j's slots: connect, snapshot, stream, switch, and then
// delete the keys here.
func (s *Server) runSlotJob(ctx context.Context, j *slotJob, log interface{ Info(string, ...any) }) error {
	n := s.cluster
	m := j.m
	cfg := s.cfg.Load()
	t := n.State().Nodes[m.Target]
	if t == nil {
		return fmt.Errorf("unknown target %s", m.Target)
	}
	port := t.Port
	if cfg.TLS.Cluster {
		port = t.TLSPort
	}
	d, err := s.migrateDialer()
	if err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := d.Dial(dctx, net.JoinHostPort(t.IP, strconv.Itoa(port)))
	cancel()
	if err != nil {
		return fmt.Errorf("connecting to the target: %w", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	l := &importLink{w: bufio.NewWriterSize(conn, 64<<10), progress: make(chan struct{}, 1),
		failed: make(chan error, 1), done: make(chan struct{})}
	rd := bufio.NewReader(conn)
	// The handshake, answered in order before the stream starts.
	var hello [][][]byte
	if cfg.MasterAuth != "" {
		auth := [][]byte{[]byte("AUTH"), []byte(cfg.MasterAuth)}
		if cfg.MasterUser != "" {
			auth = [][]byte{[]byte("AUTH"), []byte(cfg.MasterUser), []byte(cfg.MasterAuth)}
		}
		hello = append(hello, auth)
	}
	hello = append(hello, [][]byte{[]byte("CLUSTER"), []byte("SYNCSLOTS"), []byte(m.ID)})
	for _, h := range hello {
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := conn.Write(resp.AppendCommand(nil, h...)); err != nil {
			return err
		}
		r, err := resp.ReadReply(rd)
		if err == nil && r.Kind == resp.KindError {
			err = fmt.Errorf("the target answered %s to %s", r.Str, h[0])
		}
		if err != nil {
			return err
		}
	}
	conn.SetDeadline(time.Time{})
	go l.readReplies(rd)
	defer func() {
		conn.Close()
		<-l.done
	}()

	q := &changeQueue{}
	snap, unsub, err := s.db.SubscribeSnapshot(func(ch store.Change) { q.push(s, m, ch) })
	if err != nil {
		return err
	}
	defer unsub()
	q.mu.Lock() // a change may have come in already
	q.offset = max(q.offset, snap.Offset)
	q.mu.Unlock()
	now := time.Now().UnixMilli()
	for _, r := range m.Ranges {
		err := snap.EachInSlots(uint16(r[0]), uint16(r[1]), func(rec *store.Record) error {
			if rec.ExpireMs != 0 && rec.ExpireMs <= now {
				return nil // expired: its deletion is on the feed, or will be
			}
			payload := command.Payload(rec)
			j.keys.Add(1)
			j.bytes.Add(uint64(len(rec.Key) + len(payload)))
			return l.send([]byte("RESTORE"), rec.Key, strconv.AppendInt(nil, rec.ExpireMs, 10), payload,
				[]byte("REPLACE"), []byte("ABSTTL"))
		})
		if err != nil {
			snap.Close()
			return fmt.Errorf("sending the snapshot: %w", err)
		}
	}
	snap.Close()
	log.Info("netmode: slot migration snapshot sent", "keys", j.keys.Load(), "bytes", j.bytes.Load())
	if err := l.caughtUp(ctx); err != nil {
		return err
	}
	log.Info("netmode: slot migration snapshot loaded by the target")

	// The writes since the snapshot, until the target keeps up.
	j.phase.Store("stream")
	sendAll := func(cmds [][][]byte) error {
		for _, cmd := range cmds {
			if err := l.send(cmd...); err != nil {
				return err
			}
			for _, a := range cmd {
				j.bytes.Add(uint64(len(a)))
			}
		}
		return nil
	}
	for {
		select {
		case err := <-l.failed:
			return err
		default:
		}
		cmds, _, err := q.take(ctx)
		if err != nil {
			return err
		}
		if err := sendAll(cmds); err != nil {
			return err
		}
		if err := l.caughtUp(ctx); err != nil {
			return err
		}
		if len(cmds) < 100 {
			break
		}
	}

	// The switch: writes held back, the last ones sent, then the slots
	// move with one entry of the log.
	j.phase.Store("switch")
	pausedAt := time.Now()
	paused := s.pauseWrites(migrationPause)
	defer s.resumeWrites()
	// pauseWrites waited for the writes in progress under the store's
	// lock: the feed has given the queue every change up to paused.
	cmds, off, err := q.take(ctx)
	if err == nil && off < paused {
		err = fmt.Errorf("the change feed stands at %d, the store at %d", off, paused)
	}
	if err != nil {
		return err
	}
	if err := sendAll(cmds); err != nil {
		return err
	}
	if err := l.caughtUp(ctx); err != nil {
		return err
	}
	if err := n.EndMigration(m.ID, true, "", j.keys.Load(), j.bytes.Load(), time.Now().UnixMilli()); err != nil {
		return fmt.Errorf("switching the slots over: %w", err)
	}
	s.resumeWrites()
	unsub() // the deletions below are not the target's business
	log.Info("netmode: slot migration switched: the slots are the target's", "paused", time.Since(pausedAt).String())
	// The slots are the target's: their keys here go.
	if err := deleteSlotKeys(s.db, m.Ranges, func(slot int) bool { return n.State().Owner(slot) == n.ID() }); err != nil {
		return fmt.Errorf("deleting the moved keys: %w", err)
	}
	return nil
}
