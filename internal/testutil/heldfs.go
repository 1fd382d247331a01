package testutil

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// HeldSyncFS is a Pebble file system (store.Options.FS) that counts the
// syncs of write-ahead log files and holds them back while held, so that a
// test can look at a store between a commit and its fsync. Its zero value
// with FS set lets syncs through.
type HeldSyncFS struct {
	vfs.FS
	// Syncs counts the log file syncs asked for.
	Syncs   atomic.Int64
	mu      sync.Mutex
	gate    chan struct{} // nil: syncs pass; else closed to let them through
	entered chan struct{} // closed by the first sync that waits at the gate
}

// Hold holds log syncs back until Release. The channel it returns is
// closed once a sync is waiting.
func (fs *HeldSyncFS) Hold() (entered <-chan struct{}) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.gate, fs.entered = make(chan struct{}), make(chan struct{})
	return fs.entered
}

// Release lets the syncs held back, and those after, through. It does
// nothing when nothing is held, so that a test may defer it.
func (fs *HeldSyncFS) Release() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.gate != nil {
		close(fs.gate)
		fs.gate = nil
	}
}

func (fs *HeldSyncFS) wait() {
	fs.Syncs.Add(1)
	fs.mu.Lock()
	gate, entered := fs.gate, fs.entered
	if gate != nil {
		select {
		case <-entered:
		default:
			close(entered)
		}
	}
	fs.mu.Unlock()
	if gate != nil {
		<-gate
	}
}

func (fs *HeldSyncFS) wrap(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return &heldSyncFile{File: f, fs: fs}, nil
}

// Create wraps a new log file.
func (fs *HeldSyncFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, c)
	return fs.wrap(name, f, err)
}

// ReuseForWrite wraps a recycled log file.
func (fs *HeldSyncFS) ReuseForWrite(old, name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(old, name, c)
	return fs.wrap(name, f, err)
}

type heldSyncFile struct {
	vfs.File
	fs *HeldSyncFS
}

func (f *heldSyncFile) Sync() error     { f.fs.wait(); return f.File.Sync() }
func (f *heldSyncFile) SyncData() error { f.fs.wait(); return f.File.SyncData() }
func (f *heldSyncFile) SyncTo(n int64) (bool, error) {
	f.fs.wait()
	return f.File.SyncTo(n)
}
