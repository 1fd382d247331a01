package cluster

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestApplyMigration: a migration holds its slots until exactly one of
// done and cancel ends it; done moves every slot at once with a new
// epoch for the target; what else would change those slots is refused
// meanwhile; a failover of its source cancels it; the configuration
// saved and loaded again keeps it.
func TestApplyMigration(t *testing.T) {
	s := three(t)
	begin := func(mig string, lo, hi int) *Entry {
		return &Entry{Op: opMigrate, By: idA, Migration: mig, Target: idC, Ranges: [][2]int{{lo, hi}}, Ms: 1}
	}
	for _, c := range []struct {
		e    *Entry
		want string
	}{
		{begin("m0", 90, 100), "ERR I'm not the owner of hash slot 100"},
		{&Entry{Op: opMigrate, By: idA, Migration: "m0", Target: idA, Ranges: [][2]int{{0, 1}}}, "ERR Can't migrate slots to myself"},
		{&Entry{Op: opMigrate, By: idA, Migration: "m0", Target: id('z'), Ranges: [][2]int{{0, 1}}}, "ERR Unknown node " + id('z')},
		{&Entry{Op: opMigrate, By: idA, Migration: "m0", Target: idC, Ranges: [][2]int{{5, 4}}}, "ERR Invalid or out of range slot"},
		{&Entry{Op: opMigrateDone, By: idA, Migration: "nope"}, "ERR Unknown migration nope"},
	} {
		if _, r := s.apply(c.e); r.Err == nil || r.Err.Error() != c.want {
			t.Errorf("%+v: %v, want %q", c.e, r.Err, c.want)
		}
	}
	s = applyAll(t, s, begin("m1", 0, 9))
	for _, c := range []struct {
		e    *Entry
		want string
	}{
		{begin("m2", 5, 20), "ERR Slot 5 is being migrated"},
		{&Entry{Op: opSetSlot, By: idA, Slot: 3, Action: "migrating", Target: idC}, "ERR Slot 3 is being migrated"},
		{&Entry{Op: opDelSlots, By: idA, Slots: []int{9}}, "ERR Slot 9 is being migrated"},
		{&Entry{Op: opFlush, By: idA}, "ERR Slot 0 is being migrated"},
		{&Entry{Op: opMigrateDone, By: idC, Migration: "m1"}, "ERR Only the source ends a migration with its slots moved"},
	} {
		if _, r := s.apply(c.e); r.Err == nil || !strings.HasPrefix(r.Err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.e, r.Err, c.want)
		}
	}
	if s.Owner(0) != idA {
		t.Fatal("a running migration moved a slot")
	}
	epochA := s.Nodes[idA].ConfigEpoch
	done := applyAll(t, s, &Entry{Op: opMigrateDone, By: idA, Migration: "m1", Keys: 3, Bytes: 30, Ms: 2})
	for slot := range 10 {
		if done.Owner(slot) != idC {
			t.Fatalf("slot %d stayed with %s", slot, done.Owner(slot))
		}
	}
	if done.Owner(10) != idA || done.Nodes[idC].ConfigEpoch <= epochA {
		t.Fatal("done moved too much, or gave the target no new epoch")
	}
	if m := done.Migration("m1"); m.State != MigrationDone || m.Keys != 3 || m.EndMs != 2 {
		t.Fatalf("after done: %+v", m)
	}
	if _, r := done.apply(&Entry{Op: opMigrateCancel, By: idC, Migration: "m1"}); r.Err == nil {
		t.Fatal("a cancel after done applied")
	}
	cancelled := applyAll(t, s, &Entry{Op: opMigrateCancel, By: idC, Migration: "m1", Message: "the target restarted"})
	if cancelled.Owner(0) != idA || cancelled.Migration("m1").State != MigrationCancelled {
		t.Fatal("cancel")
	}
	if _, r := cancelled.apply(&Entry{Op: opMigrateDone, By: idA, Migration: "m1"}); r.Err == nil {
		t.Fatal("done after a cancel applied")
	}
	// A failover of the source cancels it.
	s = applyAll(t, s,
		&Entry{Op: opNode, Info: nodeInfo(id('r'), 7006)},
		&Entry{Op: opReplicate, By: id('r'), Target: idA},
		&Entry{Op: opFailover, By: idB, Target: idA, Promote: id('r'), Manual: true})
	if m := s.Migration("m1"); m.State != MigrationCancelled || s.Owner(0) != id('r') {
		t.Fatalf("after a failover of the source: %+v, slot 0 with %s", m, s.Owner(0))
	}
	// Saved and loaded.
	s = applyAll(t, s, &Entry{Op: opMigrate, By: idB, Migration: "m3", Target: idC, Ranges: [][2]int{{100, 101}}})
	b, err := json.Marshal(encodeState(s, 9))
	if err != nil {
		t.Fatal(err)
	}
	var sj stateJSON
	if err := json.Unmarshal(b, &sj); err != nil {
		t.Fatal(err)
	}
	back, err := sj.state()
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Migrations(); len(got) != 2 || got[1].ID != "m3" || got[1].State != MigrationRunning {
		t.Fatalf("loaded: %+v", got)
	}
	if _, r := back.apply(&Entry{Op: opMigrate, By: idB, Migration: "m4", Target: idC, Ranges: [][2]int{{101, 102}}}); r.Err == nil {
		t.Fatal("a loaded running migration did not hold its slots")
	}
}
