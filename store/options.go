package store

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// FsyncPolicy says when a write reaches stable storage. The names and
// promises are Redis's appendfsync settings.
type FsyncPolicy int

const (
	// FsyncEverySec (appendfsync everysec, the default) returns a write once
	// its log record is written to the file, handed to the operating system;
	// the store fsyncs the log once a second. A crash of the process loses
	// nothing that was acknowledged; a power loss at most about one second.
	FsyncEverySec FsyncPolicy = iota
	// FsyncAlways (appendfsync always) returns a write only after its log
	// record is synced. Concurrent writers share one fsync (group commit), so
	// throughput grows with the number of writers.
	FsyncAlways
	// FsyncNo (appendfsync no) returns a write once its log record is written
	// to the file, and never fsyncs it: the operating system writes it back
	// when it chooses. A crash of the process loses nothing that was
	// acknowledged; a power loss can lose any recent write.
	FsyncNo
)

// String returns the Redis name: "always", "everysec" or "no".
func (p FsyncPolicy) String() string {
	switch p {
	case FsyncAlways:
		return "always"
	case FsyncNo:
		return "no"
	}
	return "everysec"
}

// ParseFsyncPolicy parses a Redis appendfsync value.
func ParseFsyncPolicy(s string) (FsyncPolicy, error) {
	for _, p := range []FsyncPolicy{FsyncAlways, FsyncEverySec, FsyncNo} {
		if strings.EqualFold(s, p.String()) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("store: appendfsync must be always, everysec or no, not %q", s)
}

// Options configure a DB. The zero value (and a nil *Options) is a working
// configuration; each field says its default.
//
// The Pebble settings are chosen for a Redis workload: many small keys, point
// reads far more common than scans, and a working set that should stay in
// memory.
type Options struct {
	// InMemory keeps the whole database in memory, on Pebble's in-memory
	// filesystem; nothing touches the disk and everything is gone after
	// Close. The directory argument of Open is then ignored. Default false.
	InMemory bool

	// AppendFsync is the durability policy (see FsyncPolicy). Default
	// FsyncEverySec.
	AppendFsync FsyncPolicy

	// CacheSize is the size in bytes of Pebble's block cache, which holds
	// uncompressed blocks of the on-disk tables: reads that miss the record
	// cache (below) and the memtables are served from it or cost a disk
	// read. Default 128 MiB.
	CacheSize int64

	// MemTableSize is the size in bytes of each Pebble memtable. Writes land
	// in a memtable first; a larger one absorbs overwrites of hot keys and
	// makes fewer, larger flushes. Default 64 MiB (Pebble's own default is
	// 4 MiB, tuned for a database that shares memory with much else).
	MemTableSize uint64

	// RecordCacheSize bounds, in bytes, the in-memory cache of key records
	// (a key's type, expiry and, for a string up to 16 KiB, its value), in
	// front of Pebble. A hit answers a GET, or the lookup every write makes
	// of its key, in well under a microsecond instead of a Pebble point
	// lookup through memtables and levels; Redis users expect their working
	// set served from memory, and for that a record is worth more than the
	// table block around it. Default 128 MiB; negative turns it off.
	RecordCacheSize int64

	// BloomBitsPerKey sizes the bloom filter kept for every table on every
	// level, L0 included (Pebble's default has none on L0). Redis workloads
	// are dominated by point reads, many of missing keys (SET NX, EXISTS,
	// the existence check of every write); with 10 bits per key a read of a
	// missing key skips a table with 99% probability. Default 10; negative
	// turns the filters off.
	BloomBitsPerKey int

	// ProtoMaxBulkLen is the largest string value APPEND and SETRANGE may
	// build, Redis's proto-max-bulk-len. Default 512 MiB.
	ProtoMaxBulkLen int64

	// ActiveExpireInterval is how often expired keys are looked for in the
	// expiry index and deleted (Redis's active expiry, at hz 10). Expired keys
	// are invisible to every read whether or not they have been deleted yet.
	// Default 100ms; negative turns active expiry off (a replica does this:
	// it deletes keys only when its primary says so).
	ActiveExpireInterval time.Duration

	// Now is the clock used for expiry. Default time.Now. Tests set it to
	// drive expiry deterministically.
	Now func() time.Time

	// Logger receives the store's and Pebble's log messages. Default: none.
	Logger *slog.Logger

	// FS is the file system the store keeps its files on, Pebble's and its
	// log's. Default: the operating system's (ignored with InMemory). Tests
	// hold back, count or fail what is done to files through it.
	FS vfs.FS
}

// Defaults for Options fields.
const (
	DefaultCacheSize            = 128 << 20
	DefaultMemTableSize         = 64 << 20
	DefaultRecordCacheSize      = 128 << 20
	DefaultBloomBitsPerKey      = 10
	DefaultProtoMaxBulkLen      = 512 << 20
	DefaultActiveExpireInterval = 100 * time.Millisecond
)

// EnsureDefaults fills in the default of every field left at its zero
// value and returns o; on a nil o it returns new Options holding the
// defaults. It changes o in place: Open works on a copy of the Options it
// is given, so that the caller's stay as they were.
func (o *Options) EnsureDefaults() *Options {
	if o == nil {
		o = &Options{}
	}
	if o.CacheSize == 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.MemTableSize == 0 {
		o.MemTableSize = DefaultMemTableSize
	}
	if o.RecordCacheSize == 0 {
		o.RecordCacheSize = DefaultRecordCacheSize
	}
	if o.BloomBitsPerKey == 0 {
		o.BloomBitsPerKey = DefaultBloomBitsPerKey
	}
	if o.ProtoMaxBulkLen == 0 {
		o.ProtoMaxBulkLen = DefaultProtoMaxBulkLen
	}
	if o.ActiveExpireInterval == 0 {
		o.ActiveExpireInterval = DefaultActiveExpireInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Validate reports the first field whose value Open cannot use. Zero
// values are valid: they stand for the defaults.
func (o *Options) Validate() error {
	if o.AppendFsync < FsyncEverySec || o.AppendFsync > FsyncNo {
		return fmt.Errorf("store: invalid AppendFsync %d", o.AppendFsync)
	}
	if o.CacheSize < 0 || o.ProtoMaxBulkLen < 0 {
		return fmt.Errorf("store: CacheSize and ProtoMaxBulkLen must not be negative")
	}
	return nil
}

// withDefaults returns a validated copy of o (which may be nil) with the
// defaults filled in.
func (o *Options) withDefaults() (Options, error) {
	var c Options
	if o != nil {
		c = *o
	}
	c.EnsureDefaults()
	return c, c.Validate()
}

// pebbleOptions translates o (with defaults filled in) into Pebble's options.
// The caller owns a reference to the returned Cache and must Unref it once
// Pebble has opened.
func (o *Options) pebbleOptions() *pebble.Options {
	popts := &pebble.Options{
		Cache:              pebble.NewCache(o.CacheSize),
		MemTableSize:       o.MemTableSize,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebbleLogger{o.Logger},
	}
	if o.BloomBitsPerKey > 0 {
		for i := range popts.Levels {
			popts.Levels[i].FilterPolicy = bloom.FilterPolicy(o.BloomBitsPerKey)
		}
	}
	switch {
	case o.InMemory:
		popts.FS = vfs.NewMem()
	case o.FS != nil:
		popts.FS = o.FS
	default:
		popts.FS = vfs.Default
	}
	// Shingle keeps its own log (oplog.go).
	popts.DisableWAL = true
	return popts
}
