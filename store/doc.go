// Package store is Shingle's embedded engine: a persistent key space with
// Redis semantics (strings, hashes, expiry) on Pebble, for Go programs that
// want a database inside their process.
//
// It knows nothing of sockets. The network server, the replication client
// applying a primary's stream, and a Go program all reach the same typed
// methods; the command package turns Redis command words into calls to them.
//
// # Usage
//
//	db, err := store.Open("data", nil) // nil Options: defaults
//	if err != nil { ... }
//	defer db.Close()
//	db.Set([]byte("greeting"), []byte("hello"))
//	v, err := db.Get([]byte("greeting"))           // "hello"
//	db.HSet([]byte("user:1"), []byte("name"), []byte("Ada"))
//	db.Expire([]byte("greeting"), time.Minute, store.ExpireAlways)
//	err = db.Update(func(tx *store.Tx) error {    // atomic, one feed entry
//		_, err := tx.IncrBy([]byte("visits"), 1)
//		return err
//	})
//
// # What it must never do
//
// Import a package of Shingle's outside internal/ (a test over go list
// holds it): it knows nothing of sockets, RESP, the command table or
// replication, which all build on it; replication learns of writes
// through the change feed (Subscribe), never the other way round. Let a
// string outgrow the size a caller set (Options.ProtoMaxBulkLen: APPEND
// and SETRANGE answer ErrStringTooLong before they allocate). Break one
// of the guarantees below: a panic never leaves its lock held, and an
// expired key is never visible.
//
// # Guarantees
//
// Every method is safe for concurrent use. Each call on a DB is atomic: a
// write applies entirely or not at all, and reads never see half of one.
// Writes are ordered by a single lock held from a write's first read to the
// moment it is visible; reads take it shared. The durability of a write that
// has returned is set by Options.AppendFsync, with Redis's appendfsync
// promises.
//
// Every committed write gets a replication offset and is published on the
// change feed (see Subscribe) in the form Redis propagates it.
//
// A panic out of any store call never leaves the store's lock held. A
// write that panics before it commits (a bug in the store, or in the
// function given to Update) is discarded as if it had never run: nothing
// is written, published or counted, the lock and a session's hold on it are
// released, and the panic continues to the caller unchanged. A Subscribe
// callback that panics is cut off, and its panic is raised in the writer as
// a *SubscriberPanic once the committed write has completed. Readers
// release the lock with defer. (A session holding the lock across calls,
// see Session.Hold, keeps it after a panic out of one of its reads, which
// take no lock of their own: Release it as after any call.) Lock order:
// the store's lock, then Pebble's; the package's other locks (the record
// cache's shards, the set of open log files, the durability watermark's)
// are leaves, never held while taking another (the log's, oplog.go, has
// two: its buffer's, taken under the store's lock, and its files'), but
// for the rank index's
// (zrank.go), held across a wait for the committer's apply, which never
// takes it.
//
// Expired keys are never visible: every read checks the expiry time against
// the store's clock (Options.Now), using Redis's rule that a key expires once
// the clock has passed its expiry time. A background task deletes them in
// expiry order by walking an expiry index, and propagates each as DEL.
//
// # The write path, and where it is going
//
// A write holds the store's write lock from its first read through its
// commit: its offset, the record cache's update, the change feed's
// publication, its batch appended to Shingle's own log (oplog.go; Pebble's
// is off) and queued for the committer, which inserts it into Pebble's
// memtable after the lock is given back (apply.go); the writer waits for
// its log record (Session.Wait, or at once outside a session) without the
// lock, and not for the memtable insert. What it wrote is revealed to no
// one before it is as durable as the fsync policy promises, Redis's rule
// (Redis fsyncs the AOF under appendfsync always before it writes any
// reply or feeds a replica):
//
//  1. Visibility (durable.go), one mechanism with a condition per write.
//     Every commit is numbered; a watermark says up to which number every
//     commit is durable (the cluster's failover will add a second
//     condition, "N replicas acknowledged", as a second watermark). The
//     DB's reads wait, after reading, until every commit they could have
//     seen is durable; a Session's reads note it and Session.Wait waits
//     before the replies go; a replica link sends a change, a +CONTINUE
//     or a full sync's snapshot once WaitDurable says its offset is
//     durable. A waiter waits for the log write or fsync already in
//     flight (claiming a pending record's write if no one has), never
//     for one of its own.
//
//  2. A session's held run of writes (Session.Hold, a pipeline) is one
//     Pebble batch (run.go): each write builds its own batch, copied into
//     the run's indexed batch at its commit, and keeps its own offset and
//     feed entry; the run is applied, one commit and one log record, when
//     the session releases the lock. Its reads go through the run. The
//     run is one commit for visibility. Measured: +13% on redis-benchmark
//     SET -P 16 over plain TCP; the memtable insert of each key stays.
//
//  3. A replica applies its primary's stream a run at a time, as one
//     transaction (Session.Replicate), without waiting for each run's log
//     write: the session's Wait waits for them together. A transaction's
//     lookups read its own meta writes first (txMetas), then the record
//     cache and the key filter as any write does, instead of a Pebble read
//     through the indexed batch for every command. Measured (redis-benchmark
//     -P 16 SET of 1 KiB values over 100,000 keys against the primary):
//     mean lag 95 MB before, 0.1 to 1.9 MB after; caught up 10 s after
//     the load before, 25 to 47 ms after.
//
//  4. One ordered committer (apply.go). Writers, under the lock, build
//     their batch, take their offset, publish, update the record cache
//     and the key filter, and queue the batch; one goroutine applies the
//     queue to Pebble in commit order, so that the lock no longer covers
//     Pebble's memtable insert. Reads that need Pebble itself (a lookup
//     the cache and the filter cannot answer, iterators, snapshots for a
//     full sync or a slot move, the key count's scan) first wait until
//     everything committed before them is applied. Measured: +25% on
//     redis-benchmark SET -P 16 over plain TCP (three alternating runs).
//     (An earlier measurement showed nothing: a stray process held one of
//     the machine's two CPUs the whole time.)
//
//  5. The log of its own (oplog.go). With Pebble's log, a write was
//     durable only once the committer had inserted it into the memtable
//     (a Pebble commit writes its log record and inserts together), so
//     the insert stayed on every writer's wait. Now a write is durable
//     once its record, appended under the lock, is written; the committer
//     inserts meanwhile, on the other core, and a writer that finds it too
//     far behind waits under the lock (maxQueued). Open replays the
//     records Pebble's tables do not hold. Measured (BenchmarkSet, one
//     goroutine): 4.30 µs a write before, 2.3 µs after, where raw Pebble
//     takes 2.7; a prototype with no Shingle semantics at all took 1.9.
//     Next: merge the batches waiting into one Pebble commit.
//
// What must hold throughout: the crash test, the model test, the feed's
// order and offsets, replies after durability, and snapshots taken at an
// exact offset (full sync; later, slot migration).
//
// # Beside raw Pebble
//
// bench_test.go puts the typed API beside raw Pebble with the same options
// and the same commit (go test -bench . -benchtime 1000000x; README.md has
// the table). Raw Pebble keeps its own log there, fsynced once a second as
// Shingle's is. Medians of three runs on a 2-core VM, Shingle/Pebble: Set
// of new keys 1.19x, Overwrite 1.22x (0.62x and 0.64x with Pebble's log),
// Get 24x with the record cache and 1.16x without it (raw Pebble's own
// figure moves by a fifth between runs). The goal: 0.8x or better for
// writes, 0.95x for Get without the cache.
//
// # On-disk encoding
//
// A data directory holds Pebble's files and a stamp, a text file named
// SHINGLE, written atomically (a temporary file, synced, renamed over it),
// for example:
//
//	format 2
//	shingle 0.1.0
//
// Each line is a name, one space and a value: format is the on-disk format
// version (the same as the format engine key below), shingle the Version
// that last opened the directory. Other names are ignored. Open reads the
// stamp before Pebble opens the directory and refuses a format it does not
// know (ErrFormat) without changing anything; a new directory is stamped
// before Pebble creates its files, and one from before stamps (Pebble's
// files, no SHINGLE) is stamped once it has opened. The subdirectory
// "loading" is LoadBeside's staging space (stage.go): Open empties it of
// what a crash left; "oplog" holds the log (oplog.go), which Open replays
// and empties. Other files in the directory (Redis's dir often holds
// the config file) are left alone.
// Later changes to the encoding bump the format and migrate, writing the
// new format to both the stamp and the format key.
//
// All Pebble keys start with a namespace byte. Integers are big-endian, so
// that Pebble's byte order is numeric order.
//
//	0x00 name                            engine state
//	    format    "2"                      on-disk format version (1: Pebble's log, migrated)
//	    replid    40 hex chars             replication id
//	    offset    uint64 [uint64]          replication offset of the last write [and its log record]
//	    nextid    uint64                   collection ids below this are reserved
//
//	'k' slot(2) hash(8) key             -> meta        one record per Redis key
//	's' slot(2) id(8) tag(1) element    -> value       elements of collections
//	'x' expiry(8) slot(2) hash(8) key   -> (empty)     expiry index
//
// slot is the key's Redis Cluster slot (see Slot), so that the keys and the
// elements of one slot are each a contiguous range: counting, listing and
// moving a slot are range operations. hash is xxhash64 of the key: inside a
// slot keys are ordered by it, which is what makes a SCAN cursor a plain
// 64-bit position (slot and top 50 bits of the hash) that stays valid while
// keys come and go, and across restarts.
//
// The meta value is the key's type (Redis's object type number: 0 string,
// 1 list, 2 set, 3 sorted set, 4 hash) with bit 0x80 set when an 8-byte
// expiry time (unix ms) follows. A string's value follows inline. A
// collection's meta holds its id (8 bytes) and element count (8 bytes);
// lists add the position of their head (8 bytes).
//
// Elements live under the collection's id, never under the key name, with a
// tag byte per kind:
//
//	'h' hash(8) field       -> value     hash field (hash = xxhash64(field))
//	's' hash(8) member      -> (empty)   set member
//	'l' position(8)         -> element   list element
//	'z' hash(8) member      -> score     sorted set member (float64 bits)
//	'Z' score(8) member     -> (empty)   sorted set order (score made sortable;
//	                                     the value 0x01 marks a score of -0)
//
// list.go: a list's head moves, its elements keep their positions;
// zset.go: a sorted set is found by member and ordered by score, both
// kept in one batch. HyperLogLogs are strings in Redis's own encoding
// (hll.go). Ids are unique for the
// life of the database and never reused, which gives three properties:
// deleting, expiring or overwriting a collection of any size is one meta
// deletion plus one range deletion of its id's elements; a stale element can
// never be seen through a newer collection of the same name; and RENAME
// within a slot moves only the meta record.
//
// # Errors
//
// Errors meant for Go callers are package-prefixed sentinels (ErrClosed,
// ErrNotFound, ErrFormat). Errors that are Redis replies
// (ErrWrongType, ErrNotInteger, ...) are *Error values whose text is the
// exact Redis reply, so that every front end reports them identically.
package store
