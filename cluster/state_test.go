package cluster

import (
	"fmt"
	"strings"
	"testing"
)

func id(c byte) string { return strings.Repeat(string(c), 40) }

var (
	idA, idB, idC = id('a'), id('b'), id('c')
)

func nodeInfo(id string, port int) *NodeInfo {
	return &NodeInfo{ID: id, IP: "127.0.0.1", Port: port, TLSPort: port + 1, BusPort: port + 10000}
}

// applyAll applies entries in order and fails on the first error.
func applyAll(t *testing.T, s *State, entries ...*Entry) *State {
	t.Helper()
	for _, e := range entries {
		var r Result
		s, r = s.apply(e)
		if r.Err != nil {
			t.Fatalf("%+v: %v", e, r.Err)
		}
	}
	return s
}

// three is a cluster of three primaries: a owns 0-99, b 100-199, c none.
func three(t *testing.T) *State {
	s := applyAll(t, newState(),
		&Entry{Op: opNode, Info: nodeInfo(idA, 7000)},
		&Entry{Op: opNode, Info: nodeInfo(idB, 7002)},
		&Entry{Op: opNode, Info: nodeInfo(idC, 7004)},
		&Entry{Op: opAddSlots, By: idA, Slots: span(0, 99)},
		&Entry{Op: opAddSlots, By: idB, Slots: span(100, 199)},
	)
	return s
}

func span(lo, hi int) []int {
	var out []int
	for i := lo; i <= hi; i++ {
		out = append(out, i)
	}
	return out
}

func TestApplyErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    Entry
		want string
	}{
		{"addslots busy", Entry{Op: opAddSlots, By: idC, Slots: []int{200, 5}}, "ERR Slot 5 is already busy"},
		{"addslots range", Entry{Op: opAddSlots, By: idC, Slots: []int{Slots}}, "ERR Invalid or out of range slot"},
		{"addslots twice", Entry{Op: opAddSlots, By: idC, Slots: []int{300, 300}}, "ERR Slot 300 specified multiple times"},
		{"delslots unassigned", Entry{Op: opDelSlots, By: idA, Slots: []int{1, 500}}, "ERR Slot 500 is already unassigned"},
		{"unknown issuer", Entry{Op: opAddSlots, By: id('z'), Slots: []int{1}}, "ERR I don't know about node " + id('z')},
		{"migrating not owner", Entry{Op: opSetSlot, By: idA, Slot: 150, Action: "migrating", Target: idC}, "ERR I'm not the owner of hash slot 150"},
		{"importing owner", Entry{Op: opSetSlot, By: idA, Slot: 5, Action: "importing", Target: idB}, "ERR I'm already the owner of hash slot 5"},
		{"setslot unknown", Entry{Op: opSetSlot, By: idA, Slot: 5, Action: "node", Target: id('z')}, "ERR Unknown node " + id('z')},
		{"setslot importing unknown", Entry{Op: opSetSlot, By: idA, Slot: 150, Action: "importing", Target: id('z')}, "ERR I don't know about node " + id('z')},
		{"setslot action", Entry{Op: opSetSlot, By: idA, Slot: 5, Action: "bogus", Target: idB}, "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"},
		{"epoch not alone", Entry{Op: opSetEpoch, By: idA, Epoch: 3}, "ERR The user can assign a config epoch only when the node does not know any other node."},
		{"replicate self", Entry{Op: opReplicate, By: idC, Target: idC}, "ERR Can't replicate myself"},
		{"replicate unknown", Entry{Op: opReplicate, By: idC, Target: id('z')}, "ERR Unknown node " + id('z')},
		{"replicate with slots", Entry{Op: opReplicate, By: idA, Target: idB}, "ERR To set a master the node must be empty and without assigned slots."},
		{"forget self", Entry{Op: opForget, By: idA, Target: idA}, "ERR I tried hard but I can't forget myself..."},
		{"forget unknown", Entry{Op: opForget, By: idA, Target: id('z')}, "ERR Unknown node " + id('z')},
		{"admit member", Entry{Op: opAdmit, Info: nodeInfo(idB, 1)}, "ERR node " + idB + " is already a member of this cluster"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := three(t)
			before := s.NodesText(&Local{Myself: idA})
			n, r := s.apply(&tc.e)
			if r.Err == nil || r.Err.Msg != tc.want {
				t.Fatalf("error %v, want %q", r.Err, tc.want)
			}
			if n != s || s.NodesText(&Local{Myself: idA}) != before {
				t.Fatal("a failed entry changed the state")
			}
		})
	}
}

func TestApplySlots(t *testing.T) {
	s := three(t)
	if got := s.SlotsOf(idA); len(got) != 100 || got[0] != 0 || got[99] != 99 {
		t.Fatalf("a owns %v", got)
	}
	s = applyAll(t, s, &Entry{Op: opDelSlots, By: idC, Slots: []int{0, 1}}) // any node may delete
	if s.Owner(0) != "" || s.Owner(2) != idA {
		t.Fatal("DELSLOTS")
	}
	s = applyAll(t, s, &Entry{Op: opFlush, By: idB})
	if len(s.SlotsOf(idB)) != 0 || len(s.SlotsOf(idA)) != 98 {
		t.Fatal("FLUSHSLOTS touched another node's slots")
	}
	if s.Covered() {
		t.Fatal("covered with slots unassigned")
	}
	s = applyAll(t, s, &Entry{Op: opAddSlots, By: idC, Slots: append(span(0, 1), span(100, Slots-1)...)})
	if !s.Covered() {
		t.Fatal("not covered")
	}
}

// TestApplyReshard walks a slot through redis-cli's reshard sequence.
func TestApplyReshard(t *testing.T) {
	s := three(t)
	s = applyAll(t, s,
		&Entry{Op: opSetSlot, By: idC, Slot: 7, Action: "importing", Target: idA},
		&Entry{Op: opSetSlot, By: idA, Slot: 7, Action: "migrating", Target: idC})
	if s.Nodes[idC].Importing[7] != idA || s.Nodes[idA].Migrating[7] != idC || s.Owner(7) != idA {
		t.Fatal("marks")
	}
	if got := s.NodesText(&Local{Myself: idA}); !strings.Contains(got, "[7->-"+idC+"]") {
		t.Fatalf("migrating mark missing:\n%s", got)
	}
	if got := s.NodesText(&Local{Myself: idB}); strings.Contains(got, "[7") {
		t.Fatalf("marks shown on a line that is not myself:\n%s", got)
	}
	s = applyAll(t, s, &Entry{Op: opSetSlot, By: idC, Slot: 7, Action: "node", Target: idC})
	if s.Owner(7) != idC || len(s.Nodes[idC].Importing) != 0 {
		t.Fatal("SETSLOT NODE on the target")
	}
	if s.Nodes[idC].ConfigEpoch <= s.Nodes[idA].ConfigEpoch || s.Nodes[idC].ConfigEpoch != s.CurrentEpoch {
		t.Fatalf("the importing node's epoch was not bumped: %d %d", s.Nodes[idC].ConfigEpoch, s.CurrentEpoch)
	}
	s = applyAll(t, s,
		&Entry{Op: opSetSlot, By: idA, Slot: 7, Action: "node", Target: idC},
		&Entry{Op: opSetSlot, By: idB, Slot: 7, Action: "node", Target: idC})
	if len(s.Nodes[idA].Migrating) != 0 || s.Owner(7) != idC {
		t.Fatal("SETSLOT NODE on the source")
	}
}

func TestApplyEpochs(t *testing.T) {
	s := applyAll(t, newState(), &Entry{Op: opNode, Info: nodeInfo(idA, 7000)},
		&Entry{Op: opSetEpoch, By: idA, Epoch: 5})
	if s.Nodes[idA].ConfigEpoch != 5 || s.CurrentEpoch != 5 {
		t.Fatal("SET-CONFIG-EPOCH")
	}
	if _, r := s.apply(&Entry{Op: opSetEpoch, By: idA, Epoch: 6}); r.Err == nil || r.Err.Msg != "ERR Node config epoch is already non-zero" {
		t.Fatalf("second SET-CONFIG-EPOCH: %v", r.Err)
	}
	s, r := s.apply(&Entry{Op: opBump, By: idA})
	if r.Reply != "STILL 5" {
		t.Fatalf("BUMPEPOCH of the unique greatest: %q", r.Reply)
	}
	s = applyAll(t, s, &Entry{Op: opNode, Info: &NodeInfo{ID: idB, IP: "127.0.0.1", Port: 1, BusPort: 2, ConfigEpoch: 5}})
	if _, r = s.apply(&Entry{Op: opBump, By: idA}); r.Reply != "STILL 5" {
		t.Fatalf("BUMPEPOCH on a tie for the greatest (Redis answers STILL): %q", r.Reply)
	}
	s = applyAll(t, s, &Entry{Op: opNode, Info: &NodeInfo{ID: idC, IP: "127.0.0.1", Port: 3, BusPort: 4, ConfigEpoch: 7}})
	s, r = s.apply(&Entry{Op: opBump, By: idA})
	if r.Reply != "BUMPED 8" || s.Nodes[idA].ConfigEpoch != 8 {
		t.Fatalf("BUMPEPOCH below the greatest: %q", r.Reply)
	}
}

// TestApplyAdmit: a node that was alone brings its slots; a slot both
// claim goes to the higher config epoch.
func TestApplyAdmit(t *testing.T) {
	s := three(t)
	s.Nodes[idA].ConfigEpoch = 2
	d := &NodeInfo{ID: id('d'), IP: "127.0.0.1", Port: 7006, BusPort: 17006, ConfigEpoch: 3}
	s = applyAll(t, s, &Entry{Op: opAdmit, Info: d, Slots: []int{5, 150, 300}})
	if s.Owner(5) != d.ID || s.Owner(300) != d.ID {
		t.Fatal("the higher epoch or a free slot did not win")
	}
	if s.Owner(150) != d.ID { // b has epoch 0 < 3
		t.Fatal("slot 150 stayed with the lower epoch")
	}
	if s.Owner(151) != idB {
		t.Fatal("an unclaimed slot moved")
	}
	e := &NodeInfo{ID: id('e'), IP: "127.0.0.1", Port: 7008, BusPort: 17008, ConfigEpoch: 1}
	s = applyAll(t, s, &Entry{Op: opAdmit, Info: e, Slots: []int{5, 400}})
	if s.Owner(5) != d.ID || s.Owner(400) != e.ID {
		t.Fatal("a lower epoch took a slot")
	}
	if s.CurrentEpoch != 3 {
		t.Fatalf("current epoch %d", s.CurrentEpoch)
	}
}

func TestApplyReplicateForget(t *testing.T) {
	s := three(t)
	s = applyAll(t, s, &Entry{Op: opReplicate, By: idC, Target: idA})
	if s.Nodes[idC].Primary != idA {
		t.Fatal("REPLICATE")
	}
	if _, r := s.apply(&Entry{Op: opReplicate, By: idB, Target: idC}); r.Err == nil || r.Err.Msg != "ERR I can only replicate a master, not a replica." {
		t.Fatalf("replicating a replica: %v", r.Err)
	}
	if _, r := s.apply(&Entry{Op: opForget, By: idC, Target: idA}); r.Err == nil || r.Err.Msg != "ERR Can't forget my master!" {
		t.Fatalf("forgetting the primary: %v", r.Err)
	}
	s = applyAll(t, s, &Entry{Op: opForget, By: idB, Target: idA})
	if s.Nodes[idA] != nil || s.Owner(0) != "" || s.Nodes[idC].Primary != "" {
		t.Fatal("FORGET left traces")
	}
	// redis-cli del-node sends FORGET to every other node: the second one
	// finds the node gone and must still succeed.
	s = applyAll(t, s, &Entry{Op: opForget, By: idC, Target: idA})
	// A late entry of the forgotten node does not bring it back; MEET does.
	if _, r := s.apply(&Entry{Op: opNode, Info: nodeInfo(idA, 7000)}); r.Err == nil {
		t.Fatal("a forgotten node came back by its own entry")
	}
	s = applyAll(t, s, &Entry{Op: opAdmit, Info: nodeInfo(idA, 7000)})
	if s.Nodes[idA] == nil || s.Forgotten[idA] {
		t.Fatal("MEET did not bring a forgotten node back")
	}
	// CLUSTER RESET: the node leaves.
	s = applyAll(t, s, &Entry{Op: opLeave, By: idA})
	if s.Nodes[idA] != nil {
		t.Fatal("a node that left is still there")
	}
}

func TestNodesText(t *testing.T) {
	s := three(t)
	s = applyAll(t, s, &Entry{Op: opReplicate, By: idC, Target: idA},
		&Entry{Op: opSetSlot, By: idA, Slot: 3, Action: "migrating", Target: idB})
	s.Nodes[idB].Hostname = "b.example"
	l := &Local{Myself: idA, Transport: "tls", Links: map[string]Link{idB: {Connected: true, PongRecv: 42}, idC: {Fail: "fail?"}}}
	want := idA + " 127.0.0.1:7001@17000 myself,master - 0 0 0 connected 0-99 [3->-" + idB + "]\n" +
		idB + " 127.0.0.1:7003@17002,b.example master - 0 42 0 connected 100-199\n" +
		idC + " 127.0.0.1:7005@17004 slave,fail? " + idA + " 0 0 0 disconnected\n"
	if got := s.NodesText(l); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	l.Transport = "tcp"
	if got := s.NodesText(l); !strings.Contains(got, "127.0.0.1:7000@17000 ") {
		t.Fatalf("a plain client got another port:\n%s", got)
	}
}

func TestSlotsAndShardsReplies(t *testing.T) {
	s := applyAll(t, three(t), &Entry{Op: opReplicate, By: idC, Target: idA})
	l := &Local{Myself: idA, Transport: "tls", Preferred: EndpointIP}
	got := s.SlotsReply(l).String()
	for _, want := range []string{"0", "99", "7001", idA, idC, "100", "199", "7003"} {
		if !strings.Contains(got, want) {
			t.Fatalf("CLUSTER SLOTS lacks %q: %s", want, got)
		}
	}
	if strings.Contains(got, "7000") {
		t.Fatalf("a TLS client was given a plain port: %s", got)
	}
	sh := s.ShardsReply(l).String()
	for _, want := range []string{"tls-port", "7001", "port", "7000", "replica", "master", "online"} {
		if !strings.Contains(sh, want) {
			t.Fatalf("CLUSTER SHARDS lacks %q: %s", want, sh)
		}
	}
}

// TestApplyOnce: an entry sent again (its reply lost, the leader changed)
// answers what it answered and changes nothing more.
func TestApplyOnce(t *testing.T) {
	s := three(t)
	e := &Entry{ID: "req-1", Op: opBump, By: idC}
	s, r1 := s.apply(e)
	s2, r2 := s.apply(e)
	if r1.Reply != "BUMPED 1" || r2 != r1 || s2 != s {
		t.Fatalf("BUMPEPOCH sent twice: %q then %q", r1.Reply, r2.Reply)
	}
	bad := &Entry{ID: "req-2", Op: opAddSlots, By: idC, Slots: []int{5}}
	s, r1 = s.apply(bad)
	if _, r2 = s.apply(bad); r1.Err == nil || r2.Err == nil || r1.Err.Msg != r2.Err.Msg {
		t.Fatalf("a failed entry sent twice: %v then %v", r1.Err, r2.Err)
	}
	for i := range keepRecent + 10 {
		s, _ = s.apply(&Entry{ID: fmt.Sprint("n", i), Op: opFlush, By: idC})
	}
	if len(s.recent) != keepRecent {
		t.Fatalf("%d ids kept", len(s.recent))
	}
}

// TestApplyFailover: the replica takes its failed primary's slots with a
// new epoch, the other replicas follow it, the old primary becomes its
// replica; a primary that has not failed is not failed over.
func TestApplyFailover(t *testing.T) {
	s := three(t)
	d := id('d')
	s = applyAll(t, s, &Entry{Op: opReplicate, By: idC, Target: idA},
		&Entry{Op: opNode, Info: nodeInfo(d, 7006)}, &Entry{Op: opReplicate, By: d, Target: idA})
	if _, r := s.apply(&Entry{Op: opFailover, By: idB, Target: idA, Promote: idC}); r.Err == nil {
		t.Fatal("a primary that has not failed was failed over")
	}
	s = applyAll(t, s, &Entry{Op: opFail, By: idB, Target: idA, Failed: true},
		&Entry{Op: opFailover, By: idB, Target: idA, Promote: idC})
	if s.Owner(0) != idC || s.Nodes[idC].Primary != "" || s.Nodes[idA].Primary != idC || s.Nodes[d].Primary != idC {
		t.Fatalf("after the failover:\n%s", s.NodesText(&Local{Myself: idB}))
	}
	if s.Nodes[idC].ConfigEpoch != s.CurrentEpoch || s.CurrentEpoch == 0 {
		t.Fatal("the new primary has no new epoch")
	}
}
