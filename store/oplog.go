package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// The operation log: Shingle's own write-ahead log, in place of Pebble's,
// which is turned off (Options.DisableWAL). Every commit's batch is
// appended to it under the write lock, in commit order, as a record
// numbered by a sequence of its own; a commit is durable once its record
// is written (and, under appendfsync always, synced), whether or not the
// committer (apply.go) has inserted the batch into Pebble's memtable yet.
// That takes the memtable insert, the largest part of a small write's
// cost, off the path of the write's caller: the caller waits for one
// write(2) of its record, which several writers share (group commit),
// while the committer inserts on another core.
//
// Each batch also carries, under sysOffset, its commit's replication
// offset and its record's number. Pebble keeps the newest batch it has
// in its tables after a crash: Open replays the log's records after that
// one, in order, then flushes Pebble's memtables and starts the log
// afresh. While the store runs, the log rolls to a new segment file every
// oplogSegmentSize bytes; a segment is deleted once every batch in it has
// been flushed to Pebble's tables (logJanitor). Anything written to Pebble
// outside the commit path (Open's and Close's own records, a full sync's
// switch) is flushed at once, so that it never depends on the log.
//
// A record: length (uint32), CRC-32C of the rest (uint32), number
// (uint64), the batch's representation. A crash can tear the last record:
// the replay stops at the first record that does not check.
//
// Locks: mu guards the buffer and the numbers and is taken under the
// store's write lock (append), never while taking another; fileMu
// serializes the writes to the files and their rotation, and is taken
// without mu.
type oplog struct {
	fs          vfs.FS
	dir         string
	policy      FsyncPolicy
	segmentSize int64 // roll past it: oplogSegmentSize (tests lower it)

	mu       sync.Mutex
	cond     sync.Cond
	buf      []byte // records appended, not written yet
	spare    []byte
	appended uint64 // number of the last record appended
	written  uint64 // number of the last record written (synced under always)
	writing  bool   // a caller is writing buf's predecessor
	err      error  // a write or sync failed: the log takes no more

	fileMu  sync.Mutex
	f       vfs.File // the segment being written, named name
	name    string
	size    int64
	retired []oplogSegment // segments rolled over, not yet deleted
}

// oplogSegment is a segment file and the number of its last record.
type oplogSegment struct {
	name string
	f    vfs.File // open until deleted: an everysec sync may still use it
	last uint64
}

const (
	oplogDir         = "oplog"
	oplogHeader      = 16
	oplogSegmentSize = 64 << 20
)

var oplogCRC = crc32.MakeTable(crc32.Castagnoli)

// offsetValue is sysOffset's value: a commit's replication offset, and the
// number of its log record (none, 0, for what is written outside the log).
func offsetValue(offset, seq uint64) []byte {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 16), offset)
	if seq != 0 {
		v = binary.BigEndian.AppendUint64(v, seq)
	}
	return v
}

// openOplog replays the log in dir onto pdb (whose newest batch names the
// last record it holds), flushes pdb, and starts a new log.
func openOplog(fs vfs.FS, dir string, policy FsyncPolicy, pdb *pebble.DB, log *slog.Logger) (*oplog, error) {
	l := &oplog{fs: fs, dir: fs.PathJoin(dir, oplogDir), policy: policy, segmentSize: oplogSegmentSize}
	l.cond.L = &l.mu
	if err := fs.MkdirAll(l.dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: oplog: %w", err)
	}
	names, err := fs.List(l.dir)
	if err != nil {
		return nil, fmt.Errorf("store: oplog: %w", err)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return !strings.HasSuffix(n, ".log") })
	slices.Sort(names) // fixed-width hexadecimal first numbers
	held, err := appliedRecord(pdb)
	if err != nil {
		return nil, err
	}
	last, replayed := held, 0
	for i, name := range names {
		n, torn, err := l.replay(pdb, name, held, &last)
		replayed += n
		switch {
		case err != nil:
			return nil, err
		case torn != nil && i < len(names)-1:
			// Only the last segment can end in a record a crash cut.
			return nil, fmt.Errorf("store: oplog: segment %s is damaged (%v), and later ones follow it; the log is left as it is", name, torn)
		case torn != nil:
			log.Warn("store: oplog: the last record was cut by a crash; the log ends before it", "segment", name, "reason", torn)
		}
	}
	if replayed > 0 || len(names) > 0 {
		if err := pdb.Flush(); err != nil {
			return nil, fmt.Errorf("store: oplog: flushing the replay: %w", err)
		}
		for _, name := range names {
			if err := fs.Remove(fs.PathJoin(l.dir, name)); err != nil {
				return nil, fmt.Errorf("store: oplog: %w", err)
			}
		}
	}
	l.appended, l.written = last, last
	if err := l.roll(last + 1); err != nil {
		return nil, err
	}
	return l, nil
}

// appliedRecord returns the number of the newest log record pdb holds.
func appliedRecord(pdb *pebble.DB) (uint64, error) {
	v, c, err := pdb.Get(sysOffset)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: oplog: %w", err)
	}
	defer c.Close()
	if len(v) != 16 {
		return 0, nil
	}
	return binary.BigEndian.Uint64(v[8:]), nil
}

// replay applies the records of segment name numbered after held, and
// counts them; last is the number of the last record seen. It stops at a
// record that does not check, saying why in torn (a crash cuts the last
// record short), and fails on anything else.
func (l *oplog) replay(pdb *pebble.DB, name string, held uint64, last *uint64) (n int, torn, err error) {
	f, err := l.fs.Open(l.fs.PathJoin(l.dir, name))
	if err != nil {
		return 0, nil, fmt.Errorf("store: oplog: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [oplogHeader]byte
	for {
		switch _, err := io.ReadFull(r, hdr[:]); {
		case err == io.EOF:
			return n, nil, nil
		case err == io.ErrUnexpectedEOF:
			return n, errors.New("a short header"), nil
		case err != nil:
			return n, nil, fmt.Errorf("store: oplog: reading %s: %w", name, err)
		}
		size := binary.BigEndian.Uint32(hdr[:4])
		if size > maxRunBytes+oplogSegmentSize {
			return n, fmt.Errorf("a record of %d bytes", size), nil
		}
		repr := make([]byte, size)
		switch _, err := io.ReadFull(r, repr); {
		case err == io.EOF, err == io.ErrUnexpectedEOF:
			return n, errors.New("a short record"), nil
		case err != nil:
			return n, nil, fmt.Errorf("store: oplog: reading %s: %w", name, err)
		}
		crc := crc32.Update(crc32.Checksum(hdr[8:], oplogCRC), oplogCRC, repr)
		if crc != binary.BigEndian.Uint32(hdr[4:8]) {
			return n, errors.New("a checksum mismatch"), nil
		}
		seq := binary.BigEndian.Uint64(hdr[8:])
		switch {
		case seq <= held:
			*last = max(*last, seq)
			continue
		case seq != *last+1:
			return n, nil, fmt.Errorf("store: oplog: record %d follows record %d in %s", seq, *last, name)
		}
		b := pdb.NewBatch()
		err := b.SetRepr(repr)
		if err == nil {
			err = pdb.Apply(b, pebble.NoSync)
		}
		b.Close()
		if err != nil {
			return n, nil, fmt.Errorf("store: oplog: replaying record %d: %w", seq, err)
		}
		*last = seq
		n++
	}
}

// roll starts a new segment, whose first record is numbered first,
// retiring the one being written (synced first, unless under appendfsync
// no). Called with fileMu held, or before the log is in use.
func (l *oplog) roll(first uint64) error {
	if l.f != nil && l.policy != FsyncNo {
		if err := l.f.Sync(); err != nil {
			return err
		}
	}
	name := fmt.Sprintf("%016x.log", first)
	f, err := l.fs.Create(l.fs.PathJoin(l.dir, name), vfs.WriteCategoryUnspecified)
	if err != nil {
		return fmt.Errorf("store: oplog: %w", err)
	}
	if l.f != nil {
		l.retired = append(l.retired, oplogSegment{name: l.name, f: l.f, last: first - 1})
	}
	l.f, l.name, l.size = f, name, 0
	if l.policy == FsyncNo {
		return nil
	}
	if err := syncDir(l.fs, l.dir); err != nil {
		return fmt.Errorf("store: oplog: %w", err)
	}
	return nil
}

// append adds the record of batch representation repr, numbered seq (the
// next number: appended+1), to the buffer. Called under the store's write
// lock, in commit order.
func (l *oplog) append(seq uint64, repr []byte) {
	var hdr [oplogHeader]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(len(repr)))
	binary.BigEndian.PutUint64(hdr[8:], seq)
	crc := crc32.Update(crc32.Checksum(hdr[8:], oplogCRC), oplogCRC, repr)
	binary.BigEndian.PutUint32(hdr[4:8], crc)
	l.mu.Lock()
	l.buf = append(append(l.buf, hdr[:]...), repr...)
	l.appended = seq
	l.mu.Unlock()
}

// next is the number the next record takes. Called under the store's
// write lock.
func (l *oplog) next() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.appended + 1
}

// sync returns once record seq is written (and synced under always): it
// writes what is buffered itself unless another caller is writing, in
// which case it waits for that write and, if it did not cover seq, writes
// the rest (group commit).
func (l *oplog) sync(seq uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.written < seq && l.err == nil {
		if l.writing {
			l.cond.Wait()
			continue
		}
		buf, upto := l.buf, l.appended
		l.buf, l.spare = l.spare[:0], nil
		l.writing = true
		l.mu.Unlock()
		err := l.write(buf, upto)
		l.mu.Lock()
		l.spare = buf[:0]
		l.writing = false
		if err != nil {
			l.err = fmt.Errorf("store: oplog: %w", err)
		} else {
			l.written = upto
		}
		l.cond.Broadcast()
	}
	if l.written >= seq {
		return nil
	}
	return l.err
}

// write writes buf, whose last record is numbered upto, to the segment,
// syncs it under always, and rolls to a new segment past
// oplogSegmentSize.
func (l *oplog) write(buf []byte, upto uint64) error {
	l.fileMu.Lock()
	defer l.fileMu.Unlock()
	if _, err := l.f.Write(buf); err != nil {
		return err
	}
	if l.policy == FsyncAlways {
		if err := l.f.Sync(); err != nil {
			return err
		}
	}
	l.size += int64(len(buf))
	if l.size >= l.segmentSize {
		return l.roll(upto + 1)
	}
	return nil
}

// fsync syncs the segment being written (everysec).
func (l *oplog) fsync() error {
	l.fileMu.Lock()
	f := l.f
	l.fileMu.Unlock()
	return f.Sync()
}

// truncate deletes the retired segments whose records are all at or
// below applied once flush has put every applied batch in Pebble's
// tables. It calls flush only when there is such a segment.
func (l *oplog) truncate(applied uint64, flush func() error) error {
	l.fileMu.Lock()
	var done []oplogSegment
	for len(l.retired) > 0 && l.retired[0].last <= applied {
		done = append(done, l.retired[0])
		l.retired = l.retired[1:]
	}
	l.fileMu.Unlock()
	if len(done) == 0 {
		return nil
	}
	if err := flush(); err != nil {
		l.fileMu.Lock()
		l.retired = append(done, l.retired...)
		l.fileMu.Unlock()
		return err
	}
	var first error
	for _, s := range done {
		s.f.Close()
		if err := l.fs.Remove(l.fs.PathJoin(l.dir, s.name)); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// close closes the log; with remove, once the store has flushed every
// batch, it deletes every segment.
func (l *oplog) close(remove bool) error {
	l.fileMu.Lock()
	defer l.fileMu.Unlock()
	segs := append(l.retired, oplogSegment{name: l.name, f: l.f})
	var first error
	for _, s := range segs {
		if err := s.f.Close(); err != nil && first == nil {
			first = err
		}
	}
	if remove {
		names, err := l.fs.List(l.dir)
		if err != nil {
			return errors.Join(first, err)
		}
		for _, n := range names {
			if err := l.fs.Remove(l.fs.PathJoin(l.dir, n)); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}
