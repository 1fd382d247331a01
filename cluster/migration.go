package cluster

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"slices"
)

// Atomic slot migration (CLUSTER MIGRATESLOTS): the configuration holds
// each migration, so that who owns a slot is decided by the log alone,
// whatever crashes. A migration begins with one entry (opMigrate, by the
// source, which must own every slot of its ranges) and ends with exactly
// one of two: opMigrateDone, which hands every slot of the ranges to the
// target at once, or opMigrateCancel, which leaves them with the source.
// Whichever is applied first wins; the other then fails. While a
// migration runs, nothing else may change its slots (SETSLOT, ADDSLOTS,
// DELSLOTS and FLUSHSLOTS are refused), and a failover of its source or
// target, or either leaving the cluster, cancels it.
//
// The data moves outside the log (netmode streams a snapshot of the
// slots and the writes that follow). A node that holds keys of slots its
// shard does not own, once the migrations that could give it those slots
// have ended, deletes them: the target after a cancel, the source after
// it handed the slots over, either after a crash.

// Migration states.
const (
	MigrationRunning   = "running"
	MigrationDone      = "done"
	MigrationCancelled = "cancelled"
)

// keepMigrations is how many ended migrations a State remembers, for
// CLUSTER GETSLOTMIGRATIONS.
const keepMigrations = 16

// SlotRanges are ranges of slots, each its first and last slot.
type SlotRanges [][2]int

// Contains reports whether slot lies in one of the ranges.
func (rs SlotRanges) Contains(slot int) bool {
	for _, r := range rs {
		if slot >= r[0] && slot <= r[1] {
			return true
		}
	}
	return false
}

// Migration is one atomic slot migration as the configuration holds it.
type Migration struct {
	ID     string     `json:"id"`
	Source string     `json:"source"`
	Target string     `json:"target"`
	Ranges SlotRanges `json:"ranges"`
	State  string     `json:"state"`
	// Message says why a migration was cancelled.
	Message string `json:"message,omitempty"`
	// Seq orders migrations by the entry that began them.
	Seq uint64 `json:"seq"`
	// StartMs and EndMs are the proposers' clocks (unix ms) at the
	// entries that began and ended it; Keys and Bytes what the source
	// reported sent when it ended.
	StartMs int64  `json:"start_ms"`
	EndMs   int64  `json:"end_ms,omitempty"`
	Keys    uint64 `json:"keys,omitempty"`
	Bytes   uint64 `json:"bytes,omitempty"`
}

// Migrations lists the migrations s remembers, oldest first.
func (s *State) Migrations() []*Migration {
	out := slices.Collect(maps.Values(s.migrations))
	slices.SortFunc(out, bySeq)
	return out
}

func bySeq(a, b *Migration) int { return cmp.Compare(a.Seq, b.Seq) }

// Migration returns the migration of id, or nil.
func (s *State) Migration(id string) *Migration { return s.migrations[id] }

// Incoming reports whether a running migration brings slot to node id.
func (s *State) Incoming(slot int, id string) bool {
	m := s.migratingSlot(slot)
	return m != nil && m.Target == id
}

// migratingSlot returns the running migration that holds slot, or nil.
func (s *State) migratingSlot(slot int) *Migration {
	for _, m := range s.migrations {
		if m.State == MigrationRunning && m.Ranges.Contains(slot) {
			return m
		}
	}
	return nil
}

// checkNotMigrating refuses a change of slots a running migration holds.
func (s *State) checkNotMigrating(slots ...int) *Error {
	for _, slot := range slots {
		if s.migratingSlot(slot) != nil {
			return errorf("ERR Slot %d is being migrated (CLUSTER GETSLOTMIGRATIONS)", slot)
		}
	}
	return nil
}

// beginMigration is opMigrate.
func (s *State) beginMigration(by string, e *Entry) *Error {
	t := s.Nodes[e.Target]
	switch {
	case e.Migration == "" || len(e.Ranges) == 0:
		return errorf("ERR invalid migration entry")
	case s.Nodes[by].Primary != "":
		return errorf("ERR Only a master can migrate slots")
	case t == nil:
		return errorf("ERR Unknown node %s", e.Target)
	case e.Target == by:
		return errorf("ERR Can't migrate slots to myself")
	case t.Primary != "":
		return errorf("ERR Target node is not a master")
	case s.migrations[e.Migration] != nil:
		return errorf("ERR Migration %s exists already", e.Migration)
	}
	for _, r := range e.Ranges {
		if r[0] < 0 || r[1] >= Slots || r[0] > r[1] {
			return errorf("ERR Invalid or out of range slot")
		}
		for slot := r[0]; slot <= r[1]; slot++ {
			switch {
			case s.owners[slot] != by:
				return errorf("ERR I'm not the owner of hash slot %d", slot)
			case s.migratingSlot(slot) != nil:
				return errorf("ERR Slot %d is being migrated (CLUSTER GETSLOTMIGRATIONS)", slot)
			}
			for _, n := range s.Nodes {
				if n.Migrating[slot] != "" || n.Importing[slot] != "" {
					return errorf("ERR Slot %d is open (CLUSTER SETSLOT): make it STABLE first", slot)
				}
			}
		}
	}
	s.seq++
	s.migrations = maps.Clone(s.migrations)
	if s.migrations == nil {
		s.migrations = map[string]*Migration{}
	}
	s.migrations[e.Migration] = &Migration{ID: e.Migration, Source: by, Target: e.Target,
		Ranges: slices.Clone(e.Ranges), State: MigrationRunning, Seq: s.seq, StartMs: e.Ms}
	return nil
}

// endMigration is opMigrateDone (done set) and opMigrateCancel.
func (s *State) endMigration(e *Entry, done bool) *Error {
	m := s.migrations[e.Migration]
	switch {
	case m == nil:
		return errorf("ERR Unknown migration %s", e.Migration)
	case m.State != MigrationRunning:
		return errorf("ERR Migration %s is %s already", m.ID, m.State)
	case done && e.By != m.Source:
		return errorf("ERR Only the source ends a migration with its slots moved")
	}
	c := *m
	c.EndMs = e.Ms
	if done {
		c.State, c.Keys, c.Bytes = MigrationDone, e.Keys, e.Bytes
		for _, r := range m.Ranges {
			for slot := r[0]; slot <= r[1]; slot++ {
				s.owners[slot] = m.Target
			}
		}
		// The target's claim is the newest, as SETSLOT NODE makes it.
		s.bumpEpoch(m.Target)
	} else {
		c.State, c.Message = MigrationCancelled, e.Message
	}
	s.migrations = maps.Clone(s.migrations)
	s.migrations[m.ID] = &c
	s.trimMigrations()
	return nil
}

// cancelMigrationsOf cancels the running migrations whose source or
// target is id (a failover, a node leaving).
func (s *State) cancelMigrationsOf(id, why string) {
	for _, m := range s.migrations {
		if m.State == MigrationRunning && (m.Source == id || m.Target == id) {
			s.endMigration(&Entry{Migration: m.ID, Message: why, Ms: m.StartMs}, false)
		}
	}
}

// trimMigrations forgets the oldest ended migrations beyond
// keepMigrations.
func (s *State) trimMigrations() {
	var ended []*Migration
	for _, m := range s.migrations {
		if m.State != MigrationRunning {
			ended = append(ended, m)
		}
	}
	if len(ended) <= keepMigrations {
		return
	}
	slices.SortFunc(ended, bySeq)
	for _, m := range ended[:len(ended)-keepMigrations] {
		delete(s.migrations, m.ID)
	}
}

// BeginMigration starts a migration of ranges from this node to target
// through the log and returns its id.
func (n *Node) BeginMigration(ranges SlotRanges, target string, nowMs int64) (string, error) {
	var raw [20]byte
	rand.Read(raw[:])
	id := hex.EncodeToString(raw[:])
	_, err := n.change(&Entry{Op: opMigrate, Migration: id, Target: target, Ranges: ranges, Ms: nowMs})
	return id, err
}

// EndMigration ends migration id through the log: done hands its slots to
// the target (only its source may), else it is cancelled with message.
// Either fails once the migration has ended another way.
func (n *Node) EndMigration(id string, done bool, message string, keys, bytes uint64, nowMs int64) error {
	e := &Entry{Op: opMigrateCancel, Migration: id, Message: message, Ms: nowMs}
	if done {
		e.Op, e.Keys, e.Bytes = opMigrateDone, keys, bytes
	}
	_, err := n.change(e)
	return err
}

// ResolveMigration makes sure migration id has ended, cancelling it if it
// still runs, and returns how it ended, from the log: the caller may then
// act on who owns its slots. It waits for the leader first, so that an
// end already decided is not taken for a running migration.
func (n *Node) ResolveMigration(ctx context.Context, id, message string, nowMs int64) (*Migration, error) {
	if err := n.CatchUp(ctx); err != nil {
		return nil, err
	}
	if m := n.State().Migration(id); m != nil && m.State == MigrationRunning {
		if err := n.EndMigration(id, false, message, 0, 0, nowMs); err != nil {
			if m2 := n.State().Migration(id); m2 == nil || m2.State == MigrationRunning {
				return nil, err
			}
		}
	}
	m := n.State().Migration(id)
	if m == nil {
		return nil, errorf("ERR Unknown migration %s", id)
	}
	return m, nil
}
