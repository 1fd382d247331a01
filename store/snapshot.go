package store

import (
	"bytes"
	"encoding/binary"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// Snapshot is the committed state at one offset of the change feed: what a
// primary sends a replica in a full sync, before the changes that follow.
// SubscribeSnapshot takes it together with a subscription to every change
// after Offset, so that the two join without a gap or an overlap. It reads
// a Pebble snapshot and holds no lock; Close releases it, and DB.Close
// waits for every Snapshot to be closed.
type Snapshot struct {
	Offset        uint64 // the feed offset the snapshot is taken at
	ReplicationID string

	db   *DB
	snap *pebble.Snapshot
	v    view
	once sync.Once
}

// Record is one key of a Snapshot.
type Record struct {
	Key      []byte
	Type     Type
	Value    []byte    // TypeString
	Fields   [][]byte  // TypeHash: field, value, field, value, ...
	Members  [][]byte  // TypeSet; TypeList: the elements, head first; TypeZSet
	Scores   []float64 // TypeZSet: the score of each of Members
	ExpireMs int64     // Unix milliseconds; 0: no expiry
}

// SubscribeSnapshot takes a snapshot of the committed state and subscribes
// fn, as Subscribe does, to every change committed after it: the first
// Change fn receives is the first write after Snapshot.Offset. cancel ends
// the subscription; the snapshot lives until its Close.
func (db *DB) SubscribeSnapshot(fn func(Change)) (s *Snapshot, cancel func(), err error) {
	sub := &subscriber{fn: fn}
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return nil, nil, ErrClosed
	}
	db.waitApplied()
	snap := db.pdb.NewSnapshot()
	db.inflight.Add(1)
	db.subs = append(db.subs, sub)
	s = &Snapshot{Offset: db.offset, ReplicationID: db.replID, db: db, snap: snap,
		v: view{r: snap, clock: db.opts.Now}}
	return s, func() { sub.cancelled.Store(true) }, nil
}

// Each calls fn with every key of the snapshot, in the store's key order,
// including keys whose expiry time has passed but are not yet deleted (as
// Redis's RDB includes them; the reader decides). The Record and its
// slices are fn's to keep. A hash's fields are read whole before fn is
// called. An error from fn stops the walk and is returned.
func (s *Snapshot) Each(fn func(*Record) error) error {
	return s.each([]byte{nsKey}, []byte{nsKey + 1}, fn)
}

// EachInSlots is Each for the keys of the slots from first to last
// (inclusive) only: one range of the store's key order, as keys are
// ordered by slot first.
func (s *Snapshot) EachInSlots(first, last uint16, fn func(*Record) error) error {
	lo, _ := slotBounds(first)
	_, hi := slotBounds(last)
	return s.each(lo, hi, fn)
}

func (s *Snapshot) each(lo, hi []byte, fn func(*Record) error) error {
	it, err := s.v.iter(lo, hi)
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		m, err := s.v.metaAt(it)
		if err != nil {
			return closeIter(it, err)
		}
		_, _, k, err := decodeMetaKey(it.Key())
		if err != nil {
			return closeIter(it, err)
		}
		r := &Record{Key: bytes.Clone(k), Type: m.typ, ExpireMs: m.expire}
		switch m.typ {
		case TypeString:
			r.Value = bytes.Clone(m.value)
		case TypeHash:
			if r.Fields, err = s.v.hashFields(binary.BigEndian.Uint16(it.Key()[1:3]), m.id); err != nil {
				return closeIter(it, err)
			}
		case TypeSet:
			if r.Members, err = s.v.setMembers(binary.BigEndian.Uint16(it.Key()[1:3]), m.id); err != nil {
				return closeIter(it, err)
			}
		case TypeZSet:
			if err := r.readZSet(&s.v, binary.BigEndian.Uint16(it.Key()[1:3]), m.id); err != nil {
				return closeIter(it, err)
			}
		case TypeList:
			e := entry{mk: it.Key(), meta: m}
			if r.Members, err = s.v.listElems(&e, 0, m.count-1); err != nil {
				return closeIter(it, err)
			}
		default:
			return closeIter(it, errCorrupt)
		}
		if err := fn(r); err != nil {
			return closeIter(it, err)
		}
	}
	return it.Close()
}

// hashFields reads the fields and values of the hash with collection id,
// flattened as field, value, field, value...
func (v *view) hashFields(slot uint16, id uint64) ([][]byte, error) {
	fvs, err := v.allFields(subPrefix(nil, slot, id, tagHashField))
	out := make([][]byte, 0, 2*len(fvs))
	for _, fv := range fvs {
		out = append(out, fv.Field, fv.Value)
	}
	return out, err
}

// readZSet reads the members and scores of the sorted set with collection
// id into r, in score order.
func (r *Record) readZSet(v *view, slot uint16, id uint64) error {
	sms, err := v.zmembers(slot, id)
	r.Members, r.Scores = make([][]byte, len(sms)), make([]float64, len(sms))
	for i, sm := range sms {
		r.Members[i], r.Scores[i] = sm.Member, sm.Score
	}
	return err
}

// setMembers reads the members of the set with collection id.
func (v *view) setMembers(slot uint16, id uint64) ([][]byte, error) {
	var out [][]byte
	_, err := v.scanElems(subPrefix(nil, slot, id, tagSetMember), 0, -1, nil, func(m, _ []byte) { out = append(out, bytes.Clone(m)) })
	return out, err
}

// Close releases the snapshot. Later calls do nothing.
func (s *Snapshot) Close() error {
	var err error
	s.once.Do(func() {
		err = s.snap.Close()
		s.db.inflight.Done()
	})
	return err
}
