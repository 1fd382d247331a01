package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/shinglekv/shingle/internal/tick"
)

// DB is an open Shingle database: a persistent key space with Redis
// semantics. It is safe for concurrent use by any number of goroutines.
//
// DB embeds Ops, which holds the typed commands (db.Set, db.HGet, ...). Every
// write is applied atomically, gets the next replication offset and is
// published on the change feed before the call returns.
type DB struct {
	Ops

	pdb  *pebble.DB
	opts Options
	log  *slog.Logger
	// fs and dir are where pdb lives (fs without the log's wrapper), for
	// LoadBeside's staging; sstOptions write sstables pdb can ingest.
	fs         vfs.FS
	dir        string
	sstOptions sstable.WriterOptions

	// mu orders writes. A writer holds it exclusively from its first read to
	// the moment its batch is applied and visible, so that Pebble's commit
	// order, the replication offsets and the order of the change feed are one
	// and the same. Readers hold it shared, so that a read of several keys
	// never sees half of a write. Besides Pebble's own, the package's other
	// locks are leaves; feed callbacks run under it. No panic leaves it held
	// (see the package doc): readers release it with defer, writers through
	// abandon.
	mu      sync.RWMutex
	closed  bool
	w       writer // the one writer, reused; guarded by mu
	replID  string
	offset  uint64
	replID2 string // History.ReplID2
	offset2 int64  // History.SecondOffset
	// following: a replica's mode (SetFollowing); only Replicate moves the
	// offset and the feed.
	following bool
	// incomplete: a Load emptied the data set and did not finish (this
	// run or an earlier one).
	incomplete atomic.Bool
	nextID     uint64 // next collection id to hand out
	idLimit    uint64 // ids below this are reserved on disk (sysNextID)
	counts     *keyCounts
	filter     filterState
	cache      *recordCache // nil when Options.RecordCacheSize is negative
	zindex     zindex       // rank indexes of large sorted sets (zrank.go)
	subs       []*subscriber
	// watches are the Watches on each meta key (watch.go).
	watches map[string]map[*Watch]struct{}

	oplog *oplog      // nil in memory
	dirty atomic.Bool // a write since the last fsync
	// appliedLog is the number of the newest log record the committer has
	// applied to Pebble (oplog.go).
	appliedLog atomic.Uint64
	stop       chan struct{}
	bg         sync.WaitGroup
	// inflight counts work that goes on after releasing mu (a writer
	// waiting for its log write, a snapshot being read). It is added to
	// only under mu while the DB is open, and Close waits for it.
	inflight sync.WaitGroup

	// committed numbers the commits (guarded by mu); durable knows which
	// of them are as durable as the fsync policy promises (durable.go).
	committed uint64
	durable   durability
	// run is the batch of the writes a holding session committed and has
	// not applied yet, runWait its commit (run.go); nil when there is
	// none. Guarded by mu.
	run     *pebble.Batch
	runWait *logWait
	// The committer (apply.go): issued counts the commits queued for it
	// (guarded by mu), applied those it has applied; applyCond wakes it
	// for work, appliedCond the reads waiting for it (barrierWaiters of
	// them); queue, stopping and idle are guarded by applyMu.
	issued         uint64
	applied        atomic.Uint64
	applyMu        sync.Mutex
	applyCond      sync.Cond
	appliedCond    sync.Cond
	barrierWaiters atomic.Int64
	queuedBytes    atomic.Int64 // the size of the batches queued
	queue          []queued
	stopping, idle bool
	applying       bool // the committer, or a reader helping it, applies a part of the queue taken
	// writeSeq numbers the writes (guarded by mu); writing is the number
	// of the write in progress until it commits or is discarded, 0 when
	// there is none, so that abandon can tell whether its write ended
	// without touching w, which another write may own by then.
	writeSeq uint64
	writing  atomic.Uint64
	// subPanic is the first panic of a feed callback during the current
	// write (see publish), raised once the write has ended.
	subPanic *SubscriberPanic
	// testHookMeta, set only by tests, is called with the user key before
	// every write of a key's meta record, so that a test can panic in the
	// middle of a write.
	testHookMeta func(key []byte)
}

// keyCounts are the key totals DBSIZE and INFO keyspace report. They are
// computed by a scan the first time they are asked for and kept current by
// every write after that, so a process that never asks pays nothing.
type keyCounts struct{ keys, expires int64 }

// idBlock is how many collection ids are reserved on disk at a time.
const idBlock = 1024

// Open opens (creating if needed) the database in directory dir. A nil o
// means default Options. With Options.InMemory, dir is ignored.
//
// A directory is checked before anything in it changes: Open refuses,
// leaving it as it was, a data directory in an on-disk format this build
// does not read (ErrFormat). It records the format and Version in the
// directory's stamp (see the package doc); other files in the directory
// are left alone.
func Open(dir string, o *Options) (*DB, error) {
	opts, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	popts := opts.pebbleOptions()
	popts.EnsureDefaults() // for sstOptions: Open fills in the same
	defer popts.Cache.Unref()
	var dd *dataDir
	if opts.InMemory {
		dir = "shingle"
	} else if dd, err = checkDataDir(popts.FS, dir); err != nil {
		return nil, err
	}
	pdb, err := pebble.Open(dir, popts)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	db := &DB{pdb: pdb, opts: opts, log: opts.Logger, stop: make(chan struct{}),
		fs: popts.FS, dir: dir, sstOptions: popts.MakeWriterOptions(0, pdb.TableFormat())}
	if opts.RecordCacheSize > 0 {
		db.cache = newRecordCache(opts.RecordCacheSize)
	}
	db.Ops = Ops{db: db}
	db.durable.init()
	db.applyCond.L = &db.applyMu
	db.appliedCond.L = &db.applyMu
	if !opts.InMemory {
		db.oplog, err = openOplog(db.fs, dir, opts.AppendFsync, pdb, db.log)
		if err == nil {
			db.appliedLog.Store(db.oplog.written)
		}
	}
	if err == nil {
		err = db.loadState(dir)
	}
	if err == nil {
		err = (&stage{db: db, dir: db.fs.PathJoin(dir, stagingDir)}).clear() // a crash's leftovers
	}
	if err == nil && dd != nil {
		err = dd.opened()
	}
	if err != nil {
		if db.oplog != nil {
			db.oplog.close(false)
		}
		pdb.Close()
		return nil, err
	}
	db.durable.offset.Store(db.offset)
	db.durable.latest.Store(db.offset) // what is on disk may be unacknowledged
	db.background(db.committer)
	db.mu.Lock()
	db.startFilterBuild()
	db.mu.Unlock()
	if db.oplog != nil {
		db.background(db.everySecond)
	}
	if opts.ActiveExpireInterval > 0 {
		db.background(db.activeExpire)
	}
	return db, nil
}

// loadState reads the engine's own records, writing them on first open.
func (db *DB) loadState(dir string) error {
	get := func(k []byte) ([]byte, error) {
		v, c, err := db.pdb.Get(k)
		if errors.Is(err, pebble.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		defer c.Close()
		return append([]byte(nil), v...), nil
	}
	b := db.pdb.NewBatch()
	defer b.Close()
	format, err := get(sysFormat)
	if err != nil {
		return err
	}
	switch {
	case format == nil, string(format) == formatPebbleLog:
		b.Set(sysFormat, []byte(formatVersion), nil)
	case string(format) != formatVersion:
		// The stamp, when there is one, said formatVersion: the two
		// disagree, and neither can be trusted.
		return fmt.Errorf("%w: the database in %s holds on-disk format %q; this build (Shingle %s) reads format %s",
			ErrFormat, dir, format, Version, formatVersion)
	}
	clean, err := get(sysClean)
	if err != nil {
		return err
	}
	partial, err := get(sysIncomplete)
	if err != nil {
		return err
	}
	if partial != nil {
		db.incomplete.Store(true)
		db.log.Warn("store: the data set is a full sync that did not complete; it needs a new one")
	}
	for _, u := range []struct {
		key []byte
		dst *uint64
	}{{sysOffset, &db.offset}, {sysNextID, &db.idLimit}} {
		v, err := get(u.key)
		if err != nil {
			return err
		}
		if len(v) >= 8 { // sysOffset: and, after it, a log record's number
			*u.dst = binary.BigEndian.Uint64(v)
		}
	}
	exact, err := get(sysExactOffsets)
	if err != nil {
		return err
	}
	b.Set(sysExactOffsets, []byte("1"), nil)
	id, err := get(sysReplID)
	if err != nil {
		return err
	}
	switch {
	case len(id) == 40 && clean != nil:
		db.replID = string(id)
		b.Delete(sysClean, nil)
		if err := db.loadHistory2(get); err != nil {
			return err
		}
	case len(id) == 40 && exact != nil && partial == nil:
		// The last run did not Close. Every commit's batch carries its
		// offset (applyBatch), so the offset is exact: the data set is
		// history id up to it. A new history starts here and continues
		// that one (psync2's ReplID2), so that a replica at exactly this
		// offset continues with a partial resync, while one that holds
		// writes the crash lost here, or that the new history's writes
		// would contradict, cannot take one history for the other.
		db.log.Warn("store: the last run did not close cleanly; a new replication history continues the old one at its last offset",
			"offset", db.offset)
		db.replID, db.replID2, db.offset2 = newReplID(), string(id), int64(db.offset)+1
		writeHistory(b, db.history())
	case len(id) == 40:
		// The last run did not Close, and its offset is not exact (a
		// store from before offsets were exact), or its data set is a
		// load that did not complete: a new history that continues none,
		// as Redis starts one after a crash.
		db.log.Warn("store: the last run did not close cleanly; starting a new replication history")
		fallthrough
	default:
		db.replID, db.replID2, db.offset2 = newReplID(), "", -1
		writeHistory(b, db.history())
	}
	// Ids are handed out from the reserved block's end: ids below idLimit may
	// be in use by collections committed before a crash.
	db.nextID = db.idLimit
	if b.Empty() {
		return nil
	}
	if db.oplog != nil {
		// The log's numbering goes on from the last record, which Pebble
		// holds now: the next replay starts after it.
		b.Set(sysOffset, offsetValue(db.offset, db.oplog.written), nil)
	}
	return db.applyDirect(b)
}

// applyDirect applies b to Pebble outside the commit path and the log,
// and flushes Pebble's memtables so that it is on disk, with every batch
// applied before it, when it returns.
func (db *DB) applyDirect(b *pebble.Batch) error {
	if err := db.pdb.Apply(b, pebble.NoSync); err != nil {
		return err
	}
	return db.flushDirect()
}

// flushDirect puts what Pebble holds in memory in its tables (in memory
// there is nothing to do).
func (db *DB) flushDirect() error {
	if db.opts.InMemory {
		return nil
	}
	return db.pdb.Flush()
}

func newReplID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// stopBackground stops the background tasks, the committer once its queue
// is drained, and waits for them.
func (db *DB) stopBackground() {
	close(db.stop)
	db.stopCommitter()
	db.bg.Wait()
}

func (db *DB) background(f func()) {
	db.bg.Add(1)
	go func() {
		defer db.bg.Done()
		f()
	}()
}

// Close flushes what is pending and closes the database. It waits for calls
// in progress; calls made after it return ErrClosed. Closing twice is safe:
// the second call does nothing and returns nil.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil
	}
	db.closed = true
	subs := db.subs
	db.subs = nil
	db.mu.Unlock()
	for _, s := range subs {
		s.cancelled.Store(true)
	}
	db.stopBackground()
	db.inflight.Wait()
	b := db.pdb.NewBatch()
	b.Set(sysOffset, offsetValue(db.offset, db.appliedLog.Load()), nil)
	b.Set(sysClean, []byte("1"), nil)
	err := db.applyDirect(b)
	if db.oplog != nil {
		// Flushed: the log holds nothing Pebble's tables do not.
		err = errors.Join(err, db.oplog.close(err == nil))
	}
	return errors.Join(err, b.Close(), db.pdb.Close())
}

// everySecond syncs the log once a second, under everysec, when there
// was a write, and deletes the log's segments whose batches are all in
// Pebble's tables. (The replication offset needs no saving: every commit's
// batch carries it, see logCommit.)
func (db *DB) everySecond() {
	tick.Every(db.stop, time.Second, func(time.Time) bool {
		if db.opts.AppendFsync == FsyncEverySec && db.dirty.Swap(false) {
			if err := db.oplog.fsync(); err != nil {
				db.log.Error("store: syncing the log failed", "err", err)
			}
		}
		if err := db.oplog.truncate(db.appliedLog.Load(), db.pdb.Flush); err != nil {
			db.log.Error("store: deleting the log's flushed segments failed", "err", err)
		}
		return true
	})
}

// beginWrite takes the write lock and readies the writer. Every successful
// call is followed at once by a deferred abandon of w.seq, and paired with
// endWrite:
//
//	w, err := db.beginWrite(sess)
//	if err != nil {
//		return err
//	}
//	defer db.abandon(w.seq, sess)
//	...
//	return db.endWrite(w, err, sess)
//
// A session holding the lock (Session.Hold) has it already.
func (db *DB) beginWrite(sess *Session) (*writer, error) {
	if !sess.isHolding() {
		db.mu.Lock()
		if db.closed {
			db.mu.Unlock()
			return nil, ErrClosed
		}
	}
	db.writeSeq++
	w := &db.w
	*w = writer{
		view:     db.writeView(),
		db:       db,
		b:        db.pdb.NewBatch(),
		cmds:     w.cmds[:0],
		cacheOps: w.cacheOps[:0],
		zops:     w.zops[:0],
		touched:  w.touched[:0],
		savedID:  db.nextID,
		savedLim: db.idLimit,
		seq:      db.writeSeq,
	}
	db.writing.Store(w.seq)
	return w, nil
}

// abandon ends the write numbered seq if it is still in progress: a panic
// is unwinding past it before endWrite ran. The write is discarded as if it
// had never run (its batch dropped, the id allocator restored, nothing
// published or cached), a session's hold on the lock is given up, and the
// lock released; the panic goes on unchanged. Once endWrite has run it does
// nothing: deferred right after beginWrite, it costs a comparison on the
// normal path and needs no recover.
func (db *DB) abandon(seq uint64, sess *Session) {
	if db.writing.Load() != seq {
		return
	}
	if p := db.takeSubPanic(); p != nil {
		db.log.Error("store: a change feed subscriber panicked during a write that then panicked too",
			"panic", p.Value, "stack", string(p.Stack))
	}
	if sess.isHolding() {
		sess.holding = false // so that discard releases the lock, and Release does nothing
	}
	_ = db.discard(&db.w, sess) // a panic is on its way
}

// discard ends a write without committing it: its batch is dropped, the id
// allocator restored and the write's hold on the lock ended. A subscriber's
// panic during the write (see publish) is raised once the lock is free.
func (db *DB) discard(w *writer, sess *Session) error {
	db.writing.Store(0)
	db.nextID, db.idLimit = w.savedID, w.savedLim
	clear(w.cacheOps)
	clear(w.zops)
	b := w.b // w is the next writer's once the lock is released
	seen := db.committed
	p := db.takeSubPanic()
	db.endLocked(sess, p != nil)
	b.Close()
	// What the write read (a type, a value) is revealed by its error or
	// by the transaction's replies: not before it is durable, and
	// acknowledged under the gate.
	db.revealed(sess, seen)
	err := db.revealedData(sess)
	p.raise()
	return err
}

// revealed notes that the caller is about to reveal what every commit up
// to seq wrote: a session waits for it in Wait, anyone else now.
func (db *DB) revealed(sess *Session, seq uint64) {
	if sess != nil {
		sess.seen = max(sess.seen, seq)
		return
	}
	db.waitDurable(seq)
}

// revealedData notes that the caller is about to reveal data it read, or
// the outcome of a write: under the acknowledgement gate (SetAckGate) a
// session waits for it in Wait, anyone else now. Metadata (the offset,
// the replication history) is not held back: replication reads it.
func (db *DB) revealedData(sess *Session) error {
	if sess != nil {
		sess.acks = true
		return nil
	}
	return db.waitRevealed()
}

// endWrite commits what w wrote (unless err is set or nothing was written),
// publishes it, and releases the write lock. It returns once the commit's log
// record is written to the file, and under FsyncAlways once it is synced too.
// That wait happens outside the lock, so that concurrent writers share one
// write and one fsync (group commit). In memory there is no log to wait for.
// In a session the wait is left to Session.Wait.
//
// A panic of a subscriber's callback (see Subscribe) does not stop it: the
// write completes, and the panic is raised again, as a *SubscriberPanic,
// once the write has released the lock (and in a session holding it, given
// up the hold).
func (db *DB) endWrite(w *writer, err error, sess *Session) error {
	b := w.b
	if err != nil || b.Empty() && !w.replicated {
		if gate := db.discard(w, sess); gate != nil {
			return gate
		}
		return err
	}
	offset := db.offset
	switch {
	case w.replicated:
		offset += uint64(len(w.raw))
	case !db.following:
		for _, c := range w.cmds {
			offset += respLen(c)
		}
	}
	run := sess.isHolding() && !b.Empty()
	if run {
		if err := db.commitToRun(w, sess, offset); err != nil {
			_ = db.discard(w, sess) // the run's error says more
			return err
		}
	}
	// Committed: the write completes from here on, whatever happens, and
	// abandon leaves it alone.
	db.writing.Store(0)
	db.offset = offset
	if w.flushed {
		db.counts = &keyCounts{}
	}
	db.applyCacheOps(w)
	db.markWatches(w)
	if db.counts != nil {
		db.counts.keys += w.keys
		db.counts.expires += w.expires
	}
	switch {
	case w.replicated:
		db.publish(Change{Offset: offset, Raw: w.raw})
	case !db.following && len(w.cmds) > 0 && len(db.subs) > 0:
		db.publish(Change{Offset: offset, Commands: w.cmds})
	}
	var lw *logWait
	switch {
	case run: // the run's commit, registered by commitToRun
	case b.Empty(): // a replicated run that wrote nothing
		db.committed++
		b.Close()
		lw = db.durable.committed(db.committed, offset)
	default:
		db.committed++
		lw = db.durable.open(db.committed, offset)
		db.commitBatch(b, lw)
	}
	p := db.takeSubPanic()
	db.endLocked(sess, p != nil)
	if sess != nil {
		if lw != nil {
			sess.pending = append(sess.pending, lw)
		}
		p.raise()
		return nil
	}
	err = db.waitOwn(lw)
	p.raise()
	return err
}

// applyCacheOps brings the record cache in step with a write just applied.
// Called with mu held exclusively.
func (db *DB) applyCacheOps(w *writer) {
	db.zindex.apply(w.zops)
	clear(w.zops)
	for _, op := range w.cacheOps {
		if op.mk == nil {
			db.zindex.clear()
		}
	}
	if db.cache == nil {
		return
	}
	for _, op := range w.cacheOps {
		switch {
		case op.mk == nil:
			db.cache.clear()
		case op.val == nil:
			db.cache.del(op.mk)
		default:
			db.cache.put(op.mk, op.val)
		}
	}
	clear(w.cacheOps)
}

// endLocked ends a write's hold on the lock, unless its session holds it
// on. With panicking set (a panic is about to leave the write), the
// session's hold ends too: the panic may never reach a Release.
func (db *DB) endLocked(sess *Session, panicking bool) {
	switch {
	case !sess.isHolding():
		db.unlockWrite()
	case panicking:
		sess.Release()
	}
}

// unlockWrite ends a write: it queues a held run for the committer
// (apply.go) and releases the lock. A key filter rebuild the write asked
// for applies the run at once instead, and starts under the lock.
func (db *DB) unlockWrite() {
	defer db.mu.Unlock()
	if db.filter.rebuild {
		db.applyRunNow()
		db.startFilterBuild()
		return
	}
	if run, lw := db.takeRun(); run != nil {
		db.commitBatch(run, lw)
	}
}

// allocID hands out a collection id, reserving a new block on disk (in w's
// batch) when the current one is used up.
func (db *DB) allocID(w *writer) uint64 {
	if db.nextID >= db.idLimit {
		db.idLimit = db.nextID + idBlock
		w.b.Set(sysNextID, binary.BigEndian.AppendUint64(nil, db.idLimit), nil)
	}
	id := db.nextID
	db.nextID++
	return id
}

// beginRead takes the read lock and returns a view of the committed state.
func (db *DB) beginRead() (view, error) {
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return view{}, ErrClosed
	}
	return db.view(), nil
}

// view is a view of the committed state, for a caller holding the lock:
// through a held run's batch while there is one (run.go).
func (db *DB) view() view {
	var r pebble.Reader = db.pdb
	if db.run != nil {
		r = db.run
	}
	return view{r: r, clock: db.opts.Now, cache: db.cache, db: db}
}

// writeView is a writer's view (see view.writes).
func (db *DB) writeView() view {
	v := db.view()
	v.writes = true
	return v
}

// keyCounts returns the key counts and the newest commit they include.
func (db *DB) keyCounts() (keyCounts, uint64, error) {
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return keyCounts{}, 0, ErrClosed
	}
	if c := db.counts; c != nil {
		defer db.mu.RUnlock()
		return *c, db.committed, nil
	}
	db.mu.RUnlock()
	// Count under the write lock so that no write slips between the scan and
	// the moment writers start keeping the counts.
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return keyCounts{}, 0, ErrClosed
	}
	c, err := db.countsLocked()
	return c, db.committed, err
}

// countsLocked returns the key counts, scanning for them the first time.
// Called with mu held exclusively.
func (db *DB) countsLocked() (keyCounts, error) {
	if db.counts == nil {
		db.applyRunNow() // a holding session's run is counted too
		db.waitApplied()
		keys, err := countRange(db.pdb, []byte{nsKey}, []byte{nsKey + 1})
		if err != nil {
			return keyCounts{}, err
		}
		expires, err := countRange(db.pdb, []byte{nsExpire}, []byte{nsExpire + 1})
		if err != nil {
			return keyCounts{}, err
		}
		db.counts = &keyCounts{keys: keys, expires: expires}
	}
	return *db.counts, nil
}

func countRange(r pebble.Reader, lo, hi []byte) (int64, error) {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return 0, err
	}
	var n int64
	for it.First(); it.Valid(); it.Next() {
		n++
	}
	return n, it.Close()
}

// pebbleLogger sends Pebble's messages to the store's logger: routine ones at
// debug level, errors as errors.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug("pebble: " + fmt.Sprintf(format, args...))
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error("pebble: " + fmt.Sprintf(format, args...))
}

// Fatalf is called by Pebble for errors it cannot continue from; Pebble
// requires that it not return.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := "pebble: " + fmt.Sprintf(format, args...)
	p.l.Error(msg)
	panic(msg)
}

// Compact rewrites the store's files without what later writes made
// obsolete (overwritten values, deleted keys and collections), as a
// manual compaction of Pebble over the whole key space, and returns when
// it is done: BGREWRITEAOF's work, for a store whose log is Pebble's.
// Reads and writes go on meanwhile; Close waits for it. Errors: ErrClosed.
func (db *DB) Compact() error {
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return ErrClosed
	}
	db.inflight.Add(1)
	db.mu.RUnlock()
	defer db.inflight.Done()
	return db.pdb.Compact(context.Background(), []byte{0}, []byte{0xff}, true)
}
