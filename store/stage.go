package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strconv"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// LoadBeside: a full sync staged beside the live data set, which goes on
// serving reads and writes until the load is complete and then is replaced
// at once (Redis's repl-diskless-load swapdb).
//
// The records go into a second Pebble instance under the data directory
// (stagingDir; in memory, on the same in-memory file system), with no log,
// in the live store's encoding: it is an external sort, since an RDB holds
// its keys in hash-table order and Pebble ingests only sorted sstables.
// Once next is exhausted, one ordered scan of it writes the sstables, and
// under the write lock one Pebble ingestion with an excise of the data
// namespaces replaces the whole data set atomically: on disk a crash
// leaves either the old data set or the new one, never a mixture. The
// live store's state that describes its data (key counts, record cache,
// key filter, collection ids, replication history) changes under the same
// lock hold. The cost is disk space: up to twice the data set's size while
// it runs.

// stagingDir is where LoadBeside stages its data set, under the data
// directory. Open removes what a crash left there.
const stagingDir = "loading"

// stageFileSize is the size at which the staged data set is cut into the
// next sstable.
const stageFileSize = 256 << 20

// LoadBeside is Load with the data set left as it is, serving reads and
// writes, until the load is complete; then it is replaced at once. Writes
// made meanwhile are lost with the data set they went to, as under Redis's
// repl-diskless-load swapdb. The replication history stays the old one
// until the switch. If next fails, nothing changes, and the staging space
// is freed. Subscribers receive one Change with Reset set at the switch,
// as after Load. It needs free disk space for a second copy of the new
// data set while it runs.
func (db *DB) LoadBeside(replID string, offset uint64, next func() (*Record, error)) (err error) {
	if len(replID) != 40 {
		return fmt.Errorf("store: replication id %q is not 40 characters", replID)
	}
	s, err := db.newStage()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.remove()) }()
	if err := loadBatches(next, s.add); err != nil {
		return err
	}
	paths, err := s.write()
	if err != nil {
		return err
	}
	return db.swapIn(s, paths, replID, offset)
}

// stage is a data set being loaded by LoadBeside.
type stage struct {
	db            *DB
	dir           string
	pdb           *pebble.DB // the staged records, sorted; nil once closed
	nextID        uint64     // the next collection id
	keys, expires int64
	bytes         int64 // what the staged data set holds, roughly
}

func (db *DB) newStage() (*stage, error) {
	// Staged collections take ids from the live allocator's position on:
	// none was used before. (The live store may hand out the same ones
	// meanwhile: the switch drops those collections whole.)
	db.mu.Lock()
	s := &stage{db: db, dir: db.fs.PathJoin(db.dir, stagingDir), nextID: db.nextID}
	db.mu.Unlock()
	if err := s.clear(); err != nil {
		return nil, err
	}
	cache := pebble.NewCache(8 << 20)
	defer cache.Unref()
	pdb, err := pebble.Open(db.fs.PathJoin(s.dir, "db"), &pebble.Options{
		FS:                          db.fs,
		Cache:                       cache,
		DisableWAL:                  true, // a crash throws the stage away
		MemTableSize:                64 << 20,
		DisableAutomaticCompactions: true, // it is read once, by a merge of its files
		L0StopWritesThreshold:       math.MaxInt32,
		FormatMajorVersion:          pebble.FormatNewest,
		Logger:                      pebbleLogger{db.log},
	})
	if err != nil {
		return nil, fmt.Errorf("store: staging a load: %w", err)
	}
	s.pdb = pdb
	return s, nil
}

// clear removes whatever is in the staging directory.
func (s *stage) clear() error {
	if err := s.db.fs.RemoveAll(s.dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: clearing %s: %w", s.dir, err)
	}
	return nil
}

// remove closes the staging instance, if open, and frees its space.
func (s *stage) remove() error {
	var err error
	if s.pdb != nil {
		err = s.pdb.Close()
		s.pdb = nil
	}
	return errors.Join(err, s.clear())
}

// add stages a batch of records.
func (s *stage) add(batch []*Record) error {
	b := s.pdb.NewBatch()
	defer b.Close()
	for _, r := range batch {
		mk := metaKey(make([]byte, 0, metaPrefixLen+len(r.Key)), r.Key)
		m, err := loadedMeta(b, Slot(r.Key), r, func() uint64 { s.nextID++; return s.nextID - 1 })
		if err != nil {
			return err
		}
		b.Set(mk, m.encode(nil), nil)
		if m.expire != 0 {
			b.Set(expireKey(nil, m.expire, mk), nil, nil)
			s.expires++
		}
		s.keys++
	}
	s.bytes += int64(b.Len())
	return b.Commit(pebble.NoSync)
}

// write writes the staged records, in order, as sstables for the live
// store to ingest, closes the staging instance and returns their paths.
func (s *stage) write() (paths []string, err error) {
	it, err := s.pdb.NewIter(nil)
	if err != nil {
		return nil, err
	}
	var w *sstable.Writer
	closeFile := func() error {
		if w == nil {
			return nil
		}
		err := w.Close() // syncs the file, as Ingest requires
		w = nil
		return err
	}
	for it.First(); it.Valid() && err == nil; it.Next() {
		if w == nil {
			path := s.db.fs.PathJoin(s.dir, strconv.Itoa(len(paths))+".sst")
			var f vfs.File
			if f, err = s.db.fs.Create(path, vfs.WriteCategoryUnspecified); err != nil {
				break
			}
			paths = append(paths, path)
			w = sstable.NewWriter(objstorageprovider.NewFileWritable(f), s.db.sstOptions)
		}
		var v []byte
		if v, err = it.ValueAndErr(); err != nil {
			break
		}
		if err = w.Set(it.Key(), v); err == nil && w.Raw().EstimatedSize() >= stageFileSize {
			err = closeFile()
		}
	}
	err = errors.Join(err, it.Error(), it.Close(), closeFile())
	err = errors.Join(err, s.pdb.Close())
	s.pdb = nil
	if err != nil {
		return nil, fmt.Errorf("store: staging a load: %w", err)
	}
	return paths, nil
}

// dataSpan is every key of the data set: keys, elements, expiry index.
var dataSpan = pebble.KeyRange{Start: []byte{nsKey}, End: []byte{nsExpire + 1}}

// swapIn replaces the data set with the sstables at paths, which hold the
// stage s, and takes replID and offset as the store's history.
func (db *DB) swapIn(s *stage, paths []string, replID string, offset uint64) error {
	w, err := db.beginWrite(nil)
	if err != nil {
		return err
	}
	defer db.abandon(w.seq, nil)
	db.applyRunNow()
	db.waitApplied()
	// Should the process stop between the ingestion and the history's
	// commit, the new data set must not pass for the old history.
	mark := db.pdb.NewBatch()
	mark.Set(sysIncomplete, []byte("1"), nil)
	mark.Set(sysReplID, []byte(newReplID()), nil)
	err = db.applyDirect(mark)
	mark.Close()
	if err == nil {
		if len(paths) == 0 {
			err = db.pdb.DeleteRange(dataSpan.Start, dataSpan.End, pebble.NoSync)
		} else {
			_, err = db.pdb.IngestAndExcise(context.Background(), paths, nil, nil, dataSpan)
		}
	}
	if err == nil {
		// On disk before the new history's commit, which the log may
		// replay after a crash.
		err = db.flushDirect()
	}
	if err != nil {
		// The old data set is whole (an ingestion is atomic): put its
		// history back on disk.
		undo := db.pdb.NewBatch()
		if !db.incomplete.Load() {
			undo.Delete(sysIncomplete, nil)
		}
		undo.Set(sysReplID, []byte(db.replID), nil)
		err = errors.Join(fmt.Errorf("store: switching to the loaded data set: %w", err), db.applyDirect(undo))
		undo.Close()
		return db.endWrite(w, err, nil)
	}
	// What describes the data set starts again from the new one.
	w.flushed, w.touchAll = true, true
	w.keys, w.expires = s.keys, s.expires
	w.noteCache(cacheOp{})
	db.resetFilter()
	if s.nextID > db.nextID {
		db.nextID = s.nextID
	}
	if db.nextID >= db.idLimit {
		db.idLimit = db.nextID + idBlock
	}
	w.b.Set(sysNextID, binary.BigEndian.AppendUint64(nil, db.idLimit), nil)
	return db.endLoad(w, replID, offset)
}
