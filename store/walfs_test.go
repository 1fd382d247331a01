package store

import (
	"strings"
	"sync"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// walFS gives raw Pebble, the benchmarks' baseline, the write-ahead log
// behaviour of Redis's everysec and no policies (Shingle keeps a log of
// its own, oplog.go, and has Pebble's off). Every commit is a Pebble sync commit, so that its log record
// is written to the file (handed to the operating system) before the commit
// returns: a crash of the process then loses nothing acknowledged. Pebble's
// no-sync commits would not do that; they leave the record in an in-memory
// block until the block fills or someone syncs. What walFS takes away is the
// fsync itself: Sync on a log file returns at once, and the store calls
// syncLogs once a second (everysec) or never (no).
//
// A log file being closed (Pebble switches logs with each memtable) is
// synced for real under everysec, so that no acknowledged write is left
// behind in a file the periodic sync no longer sees.
type walFS struct {
	vfs.FS
	syncOnClose bool

	mu   sync.Mutex
	open map[*walFile]struct{}
}

func newWALFS(fs vfs.FS, syncOnClose bool) *walFS {
	return &walFS{FS: fs, syncOnClose: syncOnClose, open: map[*walFile]struct{}{}}
}

func isLog(name string) bool { return strings.HasSuffix(name, ".log") }

func (fs *walFS) track(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil || !isLog(name) {
		return f, err
	}
	wf := &walFile{File: f, fs: fs}
	fs.mu.Lock()
	fs.open[wf] = struct{}{}
	fs.mu.Unlock()
	return wf, nil
}

func (fs *walFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, c)
	return fs.track(name, f, err)
}

func (fs *walFS) ReuseForWrite(old, name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(old, name, c)
	return fs.track(name, f, err)
}

func (fs *walFS) Unwrap() vfs.FS { return fs.FS }

// syncLogs fsyncs every open log file.
func (fs *walFS) syncLogs() error {
	fs.mu.Lock()
	files := make([]*walFile, 0, len(fs.open))
	for f := range fs.open {
		files = append(files, f)
	}
	fs.mu.Unlock()
	var first error
	for _, f := range files {
		if err := f.File.Sync(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

type walFile struct {
	vfs.File
	fs *walFS
}

func (f *walFile) Sync() error     { return nil }
func (f *walFile) SyncData() error { return nil }
func (f *walFile) SyncTo(int64) (bool, error) {
	return false, nil
}

func (f *walFile) Close() error {
	f.fs.mu.Lock()
	delete(f.fs.open, f)
	f.fs.mu.Unlock()
	if f.fs.syncOnClose {
		if err := f.File.Sync(); err != nil {
			f.File.Close()
			return err
		}
	}
	return f.File.Close()
}
