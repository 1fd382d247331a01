package cluster

import (
	"fmt"
	"maps"
	"slices"
	"sync"
)

// Slots is the number of hash slots, as in Redis Cluster.
const Slots = 16384

// NodeInfo is one node of the configuration: who it is, where its clients
// and its bus reach it, and its role.
type NodeInfo struct {
	ID       string `json:"id"`
	IP       string `json:"ip"`
	Port     int    `json:"port,omitempty"`      // plain TCP client port, 0: none
	TLSPort  int    `json:"tls_port,omitempty"`  // TLS client port, 0: none
	QUICPort int    `json:"quic_port,omitempty"` // QUIC client port, 0: none
	BusPort  int    `json:"bus_port"`
	Hostname string `json:"hostname,omitempty"`
	// Primary is the id of the node it replicates, "" for a primary.
	Primary     string `json:"primary,omitempty"`
	ConfigEpoch uint64 `json:"epoch,omitempty"`
	// Migrating and Importing are the node's open slots: slot -> the id of
	// the node the slot moves to, or comes from.
	Migrating map[int]string `json:"migrating,omitempty"`
	Importing map[int]string `json:"importing,omitempty"`
	// Failed is set once a majority of the Raft voters cannot reach the
	// node (CLUSTER NODES flag "fail"), and cleared once a majority can.
	Failed bool `json:"failed,omitempty"`
	// NoFailover is cluster-replica-no-failover: this replica is never
	// promoted in its primary's place (CLUSTER NODES flag "nofailover").
	NoFailover bool `json:"nofailover,omitempty"`
}

func (n *NodeInfo) clone() *NodeInfo {
	c := *n
	c.Migrating = maps.Clone(n.Migrating)
	c.Importing = maps.Clone(n.Importing)
	return &c
}

// State is the cluster configuration as of one applied log entry. A State
// handed out by Node.State is never modified: each applied entry makes a
// new one.
type State struct {
	CurrentEpoch uint64
	Nodes        map[string]*NodeInfo
	// Forgotten holds ids removed by FORGET, so that the same FORGET sent
	// by redis-cli to every other node succeeds on each.
	Forgotten map[string]bool
	owners    [Slots]string
	// migrations are the atomic slot migrations running and the last
	// ended ones (migration.go); seq numbers them. An entry that changes
	// migrations replaces the map, so a State may share it.
	migrations map[string]*Migration
	seq        uint64

	// recent are the ids of the last entries applied, with their
	// results: an entry sent again (its reply lost, a leader changed)
	// is answered the same, not applied twice.
	recent []applied

	servedOnce sync.Once
	served     bool
	runsOnce   sync.Once
	runList    []run
}

// applied is an entry's id with its result.
type applied struct {
	ID     string `json:"id"`
	Result Result `json:"result"`
}

// keepRecent is how many entry ids a State remembers.
const keepRecent = 256

// newState is an empty configuration.
func newState() *State {
	return &State{Nodes: map[string]*NodeInfo{}, Forgotten: map[string]bool{}}
}

// clone copies s deeply enough for an entry to change the copy.
func (s *State) clone() *State {
	c := &State{CurrentEpoch: s.CurrentEpoch, Nodes: make(map[string]*NodeInfo, len(s.Nodes)),
		Forgotten: maps.Clone(s.Forgotten), owners: s.owners, recent: s.recent,
		migrations: s.migrations, seq: s.seq}
	for id, n := range s.Nodes {
		c.Nodes[id] = n.clone()
	}
	return c
}

// Owner is the id of the primary serving slot, "" when none does.
func (s *State) Owner(slot int) string { return s.owners[slot] }

// SlotsOf lists the slots id owns, in order.
func (s *State) SlotsOf(id string) []int {
	var out []int
	for i, o := range s.owners {
		if o == id {
			out = append(out, i)
		}
	}
	return out
}

// Served reports whether every slot has an owner that is not failed:
// what cluster_state:ok means under cluster-require-full-coverage yes.
// Every command of a cluster node asks, so a State computes it once.
func (s *State) Served() bool {
	s.servedOnce.Do(func() {
		s.served = true
		for _, o := range s.owners {
			if o == "" || s.Nodes[o].Failed {
				s.served = false
				return
			}
		}
	})
	return s.served
}

// Covered reports whether every slot has an owner.
func (s *State) Covered() bool {
	for _, o := range s.owners {
		if o == "" {
			return false
		}
	}
	return true
}

// settled reports whether SETSLOT slot NODE target by node by would change
// nothing: the slot is target's already and by has no mark on it.
func (s *State) settled(by string, slot int, target string) bool {
	me, t := s.Nodes[by], s.Nodes[target]
	if me == nil || t == nil || t.Primary != "" || me.Primary != "" || slot < 0 || slot >= Slots || s.owners[slot] != target {
		return false
	}
	_, m := me.Migrating[slot]
	_, i := me.Importing[slot]
	return !m && !i
}

// ids lists the node ids in order.
func (s *State) ids() []string { return slices.Sorted(maps.Keys(s.Nodes)) }

// Error is an entry's or a command's failure, with the text Redis replies.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) *Error { return &Error{fmt.Sprintf(format, args...)} }

// Entry operations.
const (
	opNode      = "node"     // add or update Info (a node's own addresses)
	opAdmit     = "admit"    // a node that was alone joins, with its slots
	opAddSlots  = "addslots" // By takes Slots
	opDelSlots  = "delslots" // By gives up Slots
	opFlush     = "flushslots"
	opSetSlot   = "setslot"   // By: Action on Slot, with Target
	opSetEpoch  = "setepoch"  // By's config epoch := Epoch
	opBump      = "bumpepoch" // BUMPEPOCH by By
	opReplicate = "replicate" // By replicates Target
	opForget    = "forget"    // By forgets Target
	opFail      = "fail"      // Target's failure mark := Failed (the leader's judgement)
	opLeave     = "leave"     // By leaves the cluster (CLUSTER RESET)
	opFailover  = "failover"  // Promote takes the slots of its failed primary Target

	opMigrate       = "migrate"        // By begins Migration of Ranges to Target
	opMigrateDone   = "migrate-done"   // Migration's slots go to its target
	opMigrateCancel = "migrate-cancel" // Migration ends, its slots staying
)

// Entry is one change to the configuration, as the log carries it (JSON).
// By is the node whose command made it: the "myself" of Redis's rules.
type Entry struct {
	// ID, when set, makes the entry apply once however often it is sent.
	ID     string    `json:"id,omitempty"`
	Op     string    `json:"op"`
	By     string    `json:"by,omitempty"`
	Info   *NodeInfo `json:"info,omitempty"`
	Slots  []int     `json:"slots,omitempty"`
	Slot   int       `json:"slot,omitempty"`
	Action string    `json:"action,omitempty"` // setslot: importing, migrating, node, stable
	Target string    `json:"target,omitempty"`
	Epoch  uint64    `json:"epoch,omitempty"`
	Failed bool      `json:"failed,omitempty"`
	// Promote is the replica a failover makes a primary; Manual is set
	// for CLUSTER FAILOVER, which does not need the primary to have failed.
	Promote string `json:"promote,omitempty"`
	Manual  bool   `json:"manual,omitempty"`
	// An atomic slot migration's id, its slot ranges, the proposer's
	// clock (unix ms), what its source sent, and why it was cancelled.
	Migration string     `json:"migration,omitempty"`
	Ranges    SlotRanges `json:"ranges,omitempty"`
	Ms        int64      `json:"ms,omitempty"`
	Keys      uint64     `json:"keys,omitempty"`
	Bytes     uint64     `json:"bytes,omitempty"`
	Message   string     `json:"message,omitempty"`
}

// Result is what applying an entry answers its command: an error with
// Redis's text, or a reply text for the few commands that have one
// (BUMPEPOCH).
type Result struct {
	Err   *Error
	Reply string
}

// apply returns the state after e, and e's result. s is not modified; when
// e fails or changes nothing, the returned state is s itself.
func (s *State) apply(e *Entry) (*State, Result) {
	if e.ID == "" {
		return s.applyOnce(e)
	}
	for _, a := range s.recent {
		if a.ID == e.ID {
			return s, a.Result
		}
	}
	n, r := s.applyOnce(e)
	if n == s {
		n = s.clone()
	}
	keep := s.recent[max(len(s.recent)-keepRecent+1, 0):]
	n.recent = append(append(make([]applied, 0, len(keep)+1), keep...), applied{e.ID, r})
	return n, r
}

// applyOnce is apply without the check for an entry sent again.
func (s *State) applyOnce(e *Entry) (*State, Result) {
	if e.Op != opNode && e.Op != opAdmit {
		if _, ok := s.Nodes[e.By]; !ok {
			return s, Result{Err: errorf("ERR I don't know about node %s", e.By)}
		}
	}
	n := s.clone()
	var r Result
	switch e.Op {
	case opNode:
		r.Err = n.putNode(e.Info)
	case opAdmit:
		r.Err = n.admit(e.Info, e.Slots)
	case opAddSlots:
		r.Err = n.addSlots(e.By, e.Slots)
	case opDelSlots:
		r.Err = n.delSlots(e.By, e.Slots)
	case opFlush:
		if r.Err = n.checkNotMigrating(n.SlotsOf(e.By)...); r.Err == nil {
			for i, o := range n.owners {
				if o == e.By {
					n.owners[i] = ""
				}
			}
		}
	case opSetSlot:
		r.Err = n.setSlot(e.By, e.Slot, e.Action, e.Target)
	case opSetEpoch:
		r.Err = n.setEpoch(e.By, e.Epoch)
	case opBump:
		r.Reply = n.bumpEpoch(e.By)
	case opReplicate:
		r.Err = n.replicate(e.By, e.Target)
	case opForget:
		r.Err = n.forget(e.By, e.Target)
	case opLeave:
		n.remove(e.By)
	case opFailover:
		r.Err = n.failover(e.Target, e.Promote, e.Manual)
	case opMigrate:
		r.Err = n.beginMigration(e.By, e)
	case opMigrateDone, opMigrateCancel:
		r.Err = n.endMigration(e, e.Op == opMigrateDone)
	case opFail:
		t := n.Nodes[e.Target]
		if t == nil {
			r.Err = errorf("ERR Unknown node %s", e.Target)
		} else {
			t.Failed = e.Failed
		}
	default:
		r.Err = errorf("ERR unknown cluster log entry %q", e.Op)
	}
	if r.Err != nil {
		return s, r
	}
	return n, r
}

// putNode adds a node, or updates the addresses of one already known.
func (s *State) putNode(info *NodeInfo) *Error {
	if info == nil || len(info.ID) != 40 {
		return errorf("ERR invalid node entry")
	}
	if old, ok := s.Nodes[info.ID]; ok {
		// An entry made before the node learned its IP (it announces
		// none) does not erase the IP the cluster saw it at.
		if info.IP != "" {
			old.IP = info.IP
		}
		old.Port, old.TLSPort, old.QUICPort = info.Port, info.TLSPort, info.QUICPort
		old.NoFailover = info.NoFailover
		old.BusPort, old.Hostname = info.BusPort, info.Hostname
		return nil
	}
	if s.Forgotten[info.ID] {
		// A late entry of a node the cluster forgot does not bring it
		// back: only MEET (admit) does.
		return errorf("ERR node %s was forgotten by this cluster", info.ID)
	}
	s.Nodes[info.ID] = &NodeInfo{ID: info.ID, IP: info.IP, Port: info.Port, TLSPort: info.TLSPort,
		QUICPort: info.QUICPort, BusPort: info.BusPort, Hostname: info.Hostname, ConfigEpoch: info.ConfigEpoch,
		NoFailover: info.NoFailover}
	s.CurrentEpoch = max(s.CurrentEpoch, info.ConfigEpoch)
	return nil
}

// admit adds a node that was a cluster of its own, with the slots it
// owned there. A slot owned here too goes to the higher config epoch; on
// a tie it stays.
func (s *State) admit(info *NodeInfo, slots []int) *Error {
	if info == nil {
		return errorf("ERR invalid node entry")
	}
	if _, ok := s.Nodes[info.ID]; ok {
		return errorf("ERR node %s is already a member of this cluster", info.ID)
	}
	delete(s.Forgotten, info.ID)
	if err := s.putNode(info); err != nil {
		return err
	}
	for _, slot := range slots {
		if slot < 0 || slot >= Slots {
			continue
		}
		o := s.owners[slot]
		if o == "" || info.ConfigEpoch > s.Nodes[o].ConfigEpoch {
			s.owners[slot] = info.ID
		}
	}
	return nil
}

func checkSlots(slots []int) *Error {
	seen := map[int]bool{}
	for _, slot := range slots {
		if slot < 0 || slot >= Slots {
			return errorf("ERR Invalid or out of range slot")
		}
		if seen[slot] {
			return errorf("ERR Slot %d specified multiple times", slot)
		}
		seen[slot] = true
	}
	return nil
}

func (s *State) addSlots(by string, slots []int) *Error {
	if err := checkSlots(slots); err != nil {
		return err
	}
	if err := s.checkNotMigrating(slots...); err != nil {
		return err
	}
	for _, slot := range slots {
		if s.owners[slot] != "" {
			return errorf("ERR Slot %d is already busy", slot)
		}
	}
	for _, slot := range slots {
		s.owners[slot] = by
		// Redis clears an importing mark once the slot is assigned.
		delete(s.Nodes[by].Importing, slot)
	}
	return nil
}

func (s *State) delSlots(by string, slots []int) *Error {
	if err := checkSlots(slots); err != nil {
		return err
	}
	if err := s.checkNotMigrating(slots...); err != nil {
		return err
	}
	for _, slot := range slots {
		if s.owners[slot] == "" {
			return errorf("ERR Slot %d is already unassigned", slot)
		}
	}
	for _, slot := range slots {
		s.owners[slot] = ""
		delete(s.Nodes[by].Importing, slot) // as Redis's DELSLOTS does
	}
	return nil
}

// setSlot is CLUSTER SETSLOT as node by runs it (Redis 7.0's
// clusterCommand "setslot"); the key count check of SETSLOT NODE is local
// and made before the entry is appended.
func (s *State) setSlot(by string, slot int, action, target string) *Error {
	if slot < 0 || slot >= Slots {
		return errorf("ERR Invalid or out of range slot")
	}
	me := s.Nodes[by]
	if me.Primary != "" {
		return errorf("ERR Please use SETSLOT only with masters.")
	}
	if err := s.checkNotMigrating(slot); err != nil {
		return err
	}
	var t *NodeInfo
	switch {
	case action == "stable":
	case s.Nodes[target] == nil && action == "node":
		return errorf("ERR Unknown node %s", target)
	case s.Nodes[target] == nil:
		return errorf("ERR I don't know about node %s", target)
	default:
		t = s.Nodes[target]
	}
	switch action {
	case "migrating":
		if s.owners[slot] != by {
			return errorf("ERR I'm not the owner of hash slot %d", slot)
		}
		if t.Primary != "" {
			return errorf("ERR Target node is not a master")
		}
		me.Migrating = setMark(me.Migrating, slot, target)
	case "importing":
		if s.owners[slot] == by {
			return errorf("ERR I'm already the owner of hash slot %d", slot)
		}
		if t.Primary != "" {
			return errorf("ERR Target node is not a master")
		}
		me.Importing = setMark(me.Importing, slot, target)
	case "stable":
		delete(me.Migrating, slot)
		delete(me.Importing, slot)
	case "node":
		if t.Primary != "" {
			return errorf("ERR Can't assign hashslot %d to a replica node", slot)
		}
		if target != by {
			delete(me.Migrating, slot)
		}
		if _, ok := me.Importing[slot]; ok && target == by {
			delete(me.Importing, slot)
			// Redis bumps the importing node's epoch without consensus so
			// that its claim wins; here the log orders it, and the bump
			// keeps CLUSTER NODES showing what Redis shows.
			s.bumpEpoch(by)
		}
		if s.owners[slot] != target {
			// The slot has one owner for every node at once: a migrating
			// mark elsewhere means nothing any more (a Redis source would
			// answer MOVED for it too until its own SETSLOT NODE).
			for _, n := range s.Nodes {
				if n.Migrating[slot] == target {
					delete(n.Migrating, slot)
				}
			}
		}
		s.owners[slot] = target
	default:
		return errorf("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")
	}
	return nil
}

func (s *State) setEpoch(by string, epoch uint64) *Error {
	if len(s.Nodes) > 1 {
		return errorf("ERR The user can assign a config epoch only when the node does not know any other node.")
	}
	me := s.Nodes[by]
	if me.ConfigEpoch != 0 {
		return errorf("ERR Node config epoch is already non-zero")
	}
	me.ConfigEpoch = epoch
	s.CurrentEpoch = max(s.CurrentEpoch, epoch)
	return nil
}

// bumpEpoch gives by a new config epoch unless its epoch is already the
// greatest (and not 0), and answers as Redis's CLUSTER BUMPEPOCH
// (clusterBumpConfigEpochWithoutConsensus).
func (s *State) bumpEpoch(by string) string {
	me := s.Nodes[by]
	maxEpoch := s.CurrentEpoch
	for _, n := range s.Nodes {
		maxEpoch = max(maxEpoch, n.ConfigEpoch)
	}
	if me.ConfigEpoch != 0 && me.ConfigEpoch == maxEpoch {
		return fmt.Sprintf("STILL %d", me.ConfigEpoch)
	}
	s.CurrentEpoch++
	me.ConfigEpoch = s.CurrentEpoch
	return fmt.Sprintf("BUMPED %d", me.ConfigEpoch)
}

// replicate makes by a replica of primary. The node's own checks (no keys
// while it is a primary) come before the entry.
func (s *State) replicate(by, primary string) *Error {
	p := s.Nodes[primary]
	switch {
	case p == nil:
		return errorf("ERR Unknown node %s", primary)
	case primary == by:
		return errorf("ERR Can't replicate myself")
	case p.Primary != "":
		return errorf("ERR I can only replicate a master, not a replica.")
	}
	me := s.Nodes[by]
	if me.Primary == "" {
		for _, o := range s.owners {
			if o == by {
				return errorf("ERR To set a master the node must be empty and without assigned slots.")
			}
		}
	}
	me.Primary = primary
	me.Migrating, me.Importing = nil, nil
	return nil
}

func (s *State) forget(by, id string) *Error {
	n := s.Nodes[id]
	switch {
	case id == by:
		return errorf("ERR I tried hard but I can't forget myself...")
	case n == nil && s.Forgotten[id]:
		return nil
	case n == nil:
		return errorf("ERR Unknown node %s", id)
	case s.Nodes[by].Primary == id:
		return errorf("ERR Can't forget my master!")
	}
	s.remove(id)
	return nil
}

// remove takes node id out of the configuration with its slots, its
// replicas' link to it and the marks that name it.
func (s *State) remove(id string) {
	s.cancelMigrationsOf(id, "a node of the migration left the cluster")
	delete(s.Nodes, id)
	s.Forgotten[id] = true
	for i, o := range s.owners {
		if o == id {
			s.owners[i] = ""
		}
	}
	for _, other := range s.Nodes {
		if other.Primary == id {
			other.Primary = ""
		}
		dropMarks(other.Migrating, id)
		dropMarks(other.Importing, id)
	}
}

// failover promotes replica in place of its failed primary, as Redis's
// failover auth ends: the replica takes the primary's slots with a new
// config epoch, the primary's other replicas follow it, and the old
// primary becomes its replica, to catch up with a resync once it is back.
func (s *State) failover(primary, replica string, manual bool) *Error {
	p, r := s.Nodes[primary], s.Nodes[replica]
	switch {
	case p == nil || r == nil:
		return errorf("ERR Unknown node %s", primary)
	case p.Primary != "" || r.Primary != primary:
		return errorf("ERR %s is not a replica of %s", replica, primary)
	case !p.Failed && !manual || r.Failed:
		return errorf("ERR failover of a primary that has not failed, or to a failed replica")
	}
	s.cancelMigrationsOf(primary, "a node of the migration failed over")
	for i, o := range s.owners {
		if o == primary {
			s.owners[i] = replica
		}
	}
	s.CurrentEpoch++
	r.Primary, r.ConfigEpoch = "", s.CurrentEpoch
	for _, n := range s.Nodes {
		if n.Primary == primary && n.ID != replica {
			n.Primary = replica
		}
	}
	p.Primary, p.Migrating, p.Importing = replica, nil, nil
	return nil
}

// setMark records an open slot's peer in marks, which it creates if nil.
func setMark(marks map[int]string, slot int, peer string) map[int]string {
	if marks == nil {
		marks = map[int]string{}
	}
	marks[slot] = peer
	return marks
}

// dropMarks forgets the open slots whose peer is id.
func dropMarks(marks map[int]string, id string) {
	for slot, peer := range marks {
		if peer == id {
			delete(marks, slot)
		}
	}
}
