package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/cockroachdb/pebble/v2"
)

// loadBatch and loadBatchBytes bound the records Load commits at once.
const (
	loadBatch      = 1000
	loadBatchBytes = 4 << 20
)

// Load replaces the data set with the records next returns until it
// returns io.EOF, then takes replID and offset as the store's own
// replication id and offset: a replica's full sync, after which the
// primary's change feed continues the same history here. Nothing Load
// writes reaches subscribers (the records are the state at offset, not
// changes after it): they receive one Change with Reset set, after which a
// subscriber that passes changes on (a replica's own replicas) must start
// again from a new snapshot.
//
// The Records next returns are Load's to keep until their batch commits.
// Other readers and writers run between Load's batches and see the data
// set partly loaded; a replica keeps clients out meanwhile, as Redis does.
// If next fails, Load stops and returns the error with the data set partly
// loaded under a new replication id of its own, which no primary
// continues, and Incomplete true (after a restart too) until a Load
// completes.
func (db *DB) Load(replID string, offset uint64, next func() (*Record, error)) error {
	if len(replID) != 40 {
		return fmt.Errorf("store: replication id %q is not 40 characters", replID)
	}
	if err := db.loadStart(); err != nil {
		return err
	}
	if err := loadBatches(next, db.loadRecords); err != nil {
		return err
	}
	return db.loadEnd(replID, offset)
}

// loadBatches reads the records next returns until io.EOF and hands them
// to f in batches of at most loadBatch records and loadBatchBytes bytes.
// Records are read (from the network, for a replica) outside the store's
// lock, a batch at a time; f takes it only to write the batch.
func loadBatches(next func() (*Record, error), f func([]*Record) error) error {
	batch := make([]*Record, 0, loadBatch)
	for done := false; !done; {
		batch = batch[:0]
		for size := 0; len(batch) < loadBatch && size < loadBatchBytes; {
			r, err := next()
			if errors.Is(err, io.EOF) {
				done = true
				break
			}
			if err != nil {
				return err
			}
			batch = append(batch, r)
			size += len(r.Key) + len(r.Value)
			for _, f := range r.Fields {
				size += len(f)
			}
		}
		if err := f(batch); err != nil {
			return err
		}
	}
	return nil
}

// loadStart empties the data set for Load.
func (db *DB) loadStart() error {
	w, err := db.beginWrite(nil)
	if err != nil {
		return err
	}
	defer db.abandon(w.seq, nil)
	w.flushAll()
	// Until the load completes, the data set belongs to no history: a
	// fresh id, so that a load that fails half way is never continued; and
	// it is marked incomplete, across restarts too.
	db.replID, db.replID2, db.offset2 = newReplID(), "", -1
	w.setHistory(db.history())
	w.b.Set(sysIncomplete, []byte("1"), nil)
	db.incomplete.Store(true)
	return db.endWrite(w, nil, nil)
}

// loadRecords writes one batch of Load's records.
func (db *DB) loadRecords(batch []*Record) error {
	w, err := db.beginWrite(nil)
	if err != nil {
		return err
	}
	defer db.abandon(w.seq, nil)
	for _, r := range batch {
		if err = w.loadRecord(r); err != nil {
			break
		}
	}
	return db.endWrite(w, err, nil)
}

// loadEnd completes Load: the data set continues the history replID at
// offset.
func (db *DB) loadEnd(replID string, offset uint64) error {
	w, err := db.beginWrite(nil)
	if err != nil {
		return err
	}
	defer db.abandon(w.seq, nil)
	return db.endLoad(w, replID, offset)
}

// endLoad commits w, the last write of a load, with replID and offset as
// the history and the data set complete. The history is taken before the
// batch applies, under the same lock: no write can fall between the new
// offset and the next change. A full sync starts from the primary's
// history alone (no ReplID2), as in Redis.
func (db *DB) endLoad(w *writer, replID string, offset uint64) error {
	db.replID, db.offset, db.replID2, db.offset2 = replID, offset, "", -1
	w.setHistory(db.history())
	w.b.Delete(sysIncomplete, nil)
	db.incomplete.Store(false)
	db.publish(Change{Offset: offset, Reset: true})
	return db.endWrite(w, nil, nil)
}

// loadRecord writes r as a new key into the emptied data set. Keys are
// unique in a snapshot (an RDB), so none is read first.
func (w *writer) loadRecord(r *Record) error {
	e := entry{mk: metaKey(make([]byte, 0, metaPrefixLen+len(r.Key)), r.Key)}
	m, err := loadedMeta(w.b, e.slot(), r, func() uint64 { return w.db.allocID(w) })
	if err == nil {
		w.put(&e, m)
	}
	return err
}

// loadedMeta returns the meta record of r loaded as a new key of slot, and
// writes a hash's fields to b, under a collection id from newID.
func loadedMeta(b *pebble.Batch, slot uint16, r *Record, newID func() uint64) (meta, error) {
	switch r.Type {
	case TypeString:
		return meta{typ: TypeString, value: r.Value, expire: r.ExpireMs}, nil
	case TypeHash:
		if len(r.Fields) == 0 || len(r.Fields)%2 != 0 {
			return meta{}, fmt.Errorf("store: load: hash %q with %d field and value strings", r.Key, len(r.Fields))
		}
		m := meta{typ: TypeHash, id: newID(), expire: r.ExpireMs}
		seen := map[string]bool{}
		for i := 0; i < len(r.Fields); i += 2 {
			if seen[string(r.Fields[i])] {
				continue // as HSET: the last value of a field wins, counted once
			}
			seen[string(r.Fields[i])] = true
			m.count++
		}
		for i := 0; i < len(r.Fields); i += 2 {
			b.Set(hashedSubKey(nil, slot, m.id, tagHashField, r.Fields[i]), r.Fields[i+1], nil)
		}
		return m, nil
	case TypeList:
		if len(r.Members) == 0 {
			return meta{}, fmt.Errorf("store: load: empty list %q", r.Key)
		}
		m := meta{typ: TypeList, id: newID(), expire: r.ExpireMs, head: listMidpoint, count: int64(len(r.Members))}
		prefix := subPrefix(nil, slot, m.id, tagListItem)
		for i, el := range r.Members {
			b.Set(binary.BigEndian.AppendUint64(prefix[:len(prefix):len(prefix)], m.head+uint64(i)), el, nil)
		}
		return m, nil
	case TypeZSet:
		if len(r.Members) == 0 || len(r.Scores) != len(r.Members) {
			return meta{}, fmt.Errorf("store: load: sorted set %q with %d members and %d scores", r.Key, len(r.Members), len(r.Scores))
		}
		m := meta{typ: TypeZSet, id: newID(), expire: r.ExpireMs}
		at := map[string]int{}
		for i, mem := range r.Members {
			s := r.Scores[i]
			if math.IsNaN(s) {
				return meta{}, fmt.Errorf("store: load: sorted set %q: member %q with a NaN score", r.Key, mem)
			}
			if j, ok := at[string(mem)]; ok {
				b.Delete(zOrderKey(slot, m.id, r.Scores[j], mem), nil) // the last score wins, as ZADD
			} else {
				m.count++
			}
			at[string(mem)] = i
			b.Set(hashedSubKey(nil, slot, m.id, tagZMember, mem), encodeScore(s), nil)
			b.Set(zOrderKey(slot, m.id, s, mem), zOrderValue(s), nil)
		}
		return m, nil
	case TypeSet:
		if len(r.Members) == 0 {
			return meta{}, fmt.Errorf("store: load: empty set %q", r.Key)
		}
		m := meta{typ: TypeSet, id: newID(), expire: r.ExpireMs}
		seen := map[string]bool{}
		for _, mem := range r.Members {
			if !seen[string(mem)] {
				seen[string(mem)] = true
				m.count++
				b.Set(hashedSubKey(nil, slot, m.id, tagSetMember, mem), nil, nil)
			}
		}
		return m, nil
	}
	return meta{}, fmt.Errorf("store: load: key %q: type %v is not stored", r.Key, r.Type)
}

// Incomplete reports whether the data set is a Load that did not complete
// (the link failed half way, or the process stopped): a replica keeps its
// clients out (-LOADING) until a full sync completes.
func (db *DB) Incomplete() bool { return db.incomplete.Load() }
