package cluster

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/tlsconn"
)

// testNode is one node of a test cluster, its directory kept so that it
// can be restarted.
type testNode struct {
	*Node
	cfg Config
}

// busConfig returns the bus side of a node's Config: TLS from pki when it
// is set, plain TCP otherwise.
func busConfig(t *testing.T, pki *testutil.PKI) (*tlsconn.ServerTLS, *tlsconn.Dialer) {
	t.Helper()
	if pki == nil {
		return nil, &tlsconn.Dialer{Transport: tlsconn.TCP}
	}
	s := tlsconn.DefaultSettings()
	s.CertFile, s.KeyFile, s.CACertFile = pki.CertFile, pki.KeyFile, pki.CAFile
	s.AuthClients = tlsconn.AuthClientsYes
	st, err := tlsconn.NewServerTLS(s)
	if err != nil {
		t.Fatal(err)
	}
	d, err := tlsconn.NewDialer(tlsconn.TLS, s, "")
	if err != nil {
		t.Fatal(err)
	}
	return st, d
}

// startNode starts a node with its bus on a free loopback port, announcing
// client ports derived from an index so that answers can be checked.
func startNode(t *testing.T, dir string, port int, pki *testutil.PKI) *testNode {
	t.Helper()
	st, d := busConfig(t, pki)
	cfg := Config{Dir: dir, BusAddr: "127.0.0.1:0", BusTLS: st, BusDialer: d,
		Announce:    NodeInfo{Port: port, TLSPort: port + 1},
		NodeTimeout: time.Second, Logger: testLogger(t)}
	return startConfig(t, cfg)
}

// testLogger writes the node's warnings to the test's log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func startConfig(t *testing.T, cfg Config) *testNode {
	t.Helper()
	n, err := NewNode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return &testNode{Node: n, cfg: cfg}
}

func (n *testNode) busPort() int {
	_, p, _ := net.SplitHostPort(n.BusAddr().String())
	port, _ := strconv.Atoi(p)
	return port
}

func (n *testNode) meet(t *testing.T, other *testNode) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return n.Meet(ctx, "127.0.0.1", other.cfg.Announce.Port, other.busPort())
}

func nodesText(n *testNode) string {
	return n.State().NodesText(&Local{Myself: n.ID(), Transport: "tcp"})
}

// agree waits until every node shows the same configuration with want
// nodes in it.
func agree(t *testing.T, want int, nodes ...*testNode) {
	t.Helper()
	testutil.Eventually(t, 30*time.Second, "the nodes to agree", func() bool {
		sig := testutil.JoinSignature(nodesText(nodes[0]))
		for _, n := range nodes {
			if len(n.State().Nodes) != want || testutil.JoinSignature(nodesText(n)) != sig {
				return false
			}
		}
		return true
	})
}

// meetFirst has every node meet the first, as redis-cli --cluster create
// does, and waits until they agree.
func meetFirst(t *testing.T, nodes []*testNode) {
	t.Helper()
	for _, n := range nodes[1:] {
		if err := n.meet(t, nodes[0]); err != nil {
			t.Fatal(err)
		}
	}
	agree(t, len(nodes), nodes...)
}

// TestCreate runs redis-cli --cluster create's sequence on three nodes:
// ADDSLOTS and SET-CONFIG-EPOCH on each while alone, then MEET of the
// others to the first.
func TestCreate(t *testing.T) {
	var nodes []*testNode
	for i := range 3 {
		nodes = append(nodes, startNode(t, t.TempDir(), 7000+2*i, nil))
	}
	for i, n := range nodes {
		if got := len(n.State().Nodes); got != 1 {
			t.Fatalf("a fresh node knows %d nodes", got)
		}
		lo, hi := i*Slots/3, (i+1)*Slots/3-1
		if err := n.AddSlots(span(lo, hi)...); err != nil {
			t.Fatal(err)
		}
		if err := n.SetConfigEpoch(uint64(i + 1)); err != nil {
			t.Fatal(err)
		}
	}
	meetFirst(t, nodes)
	s := nodes[2].State()
	if !s.Covered() || s.Owner(0) != nodes[0].ID() || s.Owner(Slots-1) != nodes[2].ID() {
		t.Fatalf("slots after create:\n%s", nodesText(nodes[2]))
	}
	for i, n := range nodes {
		if got := s.Nodes[n.ID()].ConfigEpoch; got != uint64(i+1) {
			t.Fatalf("node %d has epoch %d", i, got)
		}
		if ip := s.Nodes[n.ID()].IP; ip != "127.0.0.1" {
			t.Fatalf("node %d has IP %q", i, ip)
		}
	}
	// A change made on any node, leader or not, is applied everywhere and
	// read back at once on the node that made it.
	for _, n := range nodes {
		slot := s.SlotsOf(n.ID())[0]
		if err := n.DelSlots(slot); err != nil {
			t.Fatal(err)
		}
		if n.State().Owner(slot) != "" {
			t.Fatal("the change was not applied before the command returned")
		}
	}
	agree(t, 3, nodes...)
	// Redis's rules hold across nodes: a slot owned elsewhere is busy.
	if err := nodes[1].AddSlots(1); err == nil || err.Error() != "ERR Slot 1 is already busy" {
		t.Fatalf("ADDSLOTS of another node's slot: %v", err)
	}
	if err := nodes[1].SetConfigEpoch(9); err == nil || !strings.Contains(err.Error(), "does not know any other node") {
		t.Fatalf("SET-CONFIG-EPOCH in a cluster: %v", err)
	}
}

// TestMeetRefusesTwoClusters: two clusters with other members cannot
// merge; a node alone invited by a member joins.
func TestMeetRefusesTwoClusters(t *testing.T) {
	a, b := startNode(t, t.TempDir(), 7000, nil), startNode(t, t.TempDir(), 7002, nil)
	c, d := startNode(t, t.TempDir(), 7004, nil), startNode(t, t.TempDir(), 7006, nil)
	if err := b.meet(t, a); err != nil {
		t.Fatal(err)
	}
	if err := d.meet(t, c); err != nil {
		t.Fatal(err)
	}
	err := a.meet(t, c)
	if err == nil || !strings.Contains(err.Error(), "two clusters cannot merge") {
		t.Fatalf("MEET between two clusters: %v", err)
	}
	// An invitation: a member meets a node that is alone.
	e := startNode(t, t.TempDir(), 7008, nil)
	if err := e.AddSlots(42); err != nil {
		t.Fatal(err)
	}
	if err := a.meet(t, e); err != nil {
		t.Fatal(err)
	}
	agree(t, 3, a, b, e)
	if a.State().Owner(42) != e.ID() {
		t.Fatal("the invited node lost its slot")
	}
}

// TestRestart: the configuration survives a restart of every node.
func TestRestart(t *testing.T) {
	var nodes []*testNode
	for i := range 3 {
		nodes = append(nodes, startNode(t, t.TempDir(), 7000+2*i, nil))
		if err := nodes[i].AddSlots(i); err != nil {
			t.Fatal(err)
		}
	}
	meetFirst(t, nodes)
	want := testutil.JoinSignature(nodesText(nodes[0]))
	ids := []string{nodes[0].ID(), nodes[1].ID(), nodes[2].ID()}
	for _, n := range nodes {
		n.Close()
	}
	// The bus ports stay the same: the others find a node where the
	// configuration says it is.
	for i, n := range nodes {
		cfg := n.cfg
		cfg.BusAddr = n.BusAddr().String()
		nodes[i] = startConfig(t, cfg)
		// It answers from the configuration it saved at once, before a
		// leader tells it what committed (the first node restarts alone).
		if got := testutil.JoinSignature(nodesText(nodes[i])); got != want {
			t.Fatalf("node %d right after its restart:\n%s\nwant %s", i, got, want)
		}
	}
	agree(t, 3, nodes...)
	for i, n := range nodes {
		if n.ID() != ids[i] {
			t.Fatal("a node changed its id across a restart")
		}
	}
	if got := testutil.JoinSignature(nodesText(nodes[1])); got != want {
		t.Fatalf("after the restart:\n%s\nwant %s", got, want)
	}
}

// TestBusRefusesStrangers: with a TLS bus, a node whose certificate comes
// from another CA, or that presents none, cannot join, and nothing changes.
func TestBusRefusesStrangers(t *testing.T) {
	pki := testutil.NewPKI(t, "cluster CA")
	other := testutil.NewPKI(t, "another CA")
	a := startNode(t, filepath.Join(t.TempDir(), "a"), 7000, pki)
	b := startNode(t, filepath.Join(t.TempDir(), "b"), 7002, pki)
	if err := b.meet(t, a); err != nil {
		t.Fatal(err)
	}
	stranger := startNode(t, t.TempDir(), 7004, other)
	if err := stranger.AddSlots(7); err != nil {
		t.Fatal(err)
	}
	if err := stranger.meet(t, a); err == nil {
		t.Fatal("a node of another CA joined")
	}
	if err := a.meet(t, stranger); err == nil {
		t.Fatal("a member invited a node of another CA")
	}
	// A node whose bus presents no certificate at all.
	st, _ := busConfig(t, pki)
	bare := startConfig(t, Config{Dir: t.TempDir(), BusAddr: "127.0.0.1:0", BusTLS: st,
		BusDialer:   &tlsconn.Dialer{Transport: tlsconn.TLS, TLSConfig: pki.ClientTLS(t, false)},
		Announce:    NodeInfo{Port: 7006},
		NodeTimeout: time.Second, Logger: testLogger(t)})
	if err := bare.meet(t, a); err == nil {
		t.Fatal("a node without a client certificate joined")
	}
	if err := a.meet(t, bare); err == nil {
		t.Fatal("a member invited a node that presents no certificate")
	}
	agree(t, 2, a, b)
	if a.State().Owner(7) != "" {
		t.Fatal("the stranger's slot reached the cluster")
	}
	// The stranger is still a cluster of one with its slot.
	if s := stranger.State(); len(s.Nodes) != 1 || s.Owner(7) != stranger.ID() {
		t.Fatalf("the stranger lost its own configuration:\n%s", nodesText(stranger))
	}
}

// TestFailureDetection: a node that stops is flagged fail by the others
// once a majority of the voters cannot reach it, and the mark is cleared
// when it is back.
func TestFailureDetection(t *testing.T) {
	var nodes []*testNode
	for i := range 3 {
		nodes = append(nodes, startNode(t, t.TempDir(), 7000+2*i, nil))
		if err := nodes[i].AddSlots(span(i*Slots/3, (i+1)*Slots/3-1)...); err != nil {
			t.Fatal(err)
		}
	}
	meetFirst(t, nodes)
	if !nodes[0].State().Served() {
		t.Fatal("not served before the failure")
	}
	victim := nodes[2]
	victim.Close()
	flagged := func(n *testNode, flag string) bool {
		for _, line := range strings.Split(n.State().NodesText(&Local{Myself: n.ID(), Links: n.Links()}), "\n") {
			if f := strings.Fields(line); len(f) > 2 && f[0] == victim.ID() {
				return slices.Contains(strings.Split(f[2], ","), flag)
			}
		}
		return false
	}
	testutil.Eventually(t, 30*time.Second, "the stopped node to be flagged fail", func() bool {
		return flagged(nodes[0], "fail") && flagged(nodes[1], "fail")
	})
	testutil.Eventually(t, 30*time.Second, "the leader to count the other node's report", func() bool {
		return nodes[0].FailureReports(victim.ID())+nodes[1].FailureReports(victim.ID()) >= 1
	})
	if nodes[0].State().Served() {
		t.Fatal("a slot of a failed node counts as served")
	}
	cfg := victim.cfg
	cfg.BusAddr = victim.BusAddr().String()
	nodes[2] = startConfig(t, cfg)
	testutil.Eventually(t, 30*time.Second, "the mark to be cleared", func() bool {
		return !flagged(nodes[0], "fail") && !flagged(nodes[0], "fail?") && nodes[1].State().Served()
	})
}

// TestQUICBus: the bus on QUIC, Shingle's option: nodes meet, agree,
// and a node of another CA is still refused.
func TestQUICBus(t *testing.T) {
	pki := testutil.NewPKI(t, "cluster CA")
	quic := func(p *testutil.PKI, port int) *testNode {
		st, _ := busConfig(t, p)
		s := tlsconn.DefaultSettings()
		s.CertFile, s.KeyFile, s.CACertFile = p.CertFile, p.KeyFile, p.CAFile
		d, err := tlsconn.NewDialer(tlsconn.QUIC, s, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return startConfig(t, Config{Dir: t.TempDir(), BusAddr: "127.0.0.1:0", BusTLS: st, BusDialer: d, BusQUIC: true,
			Announce: NodeInfo{Port: port}, NodeTimeout: time.Second, Logger: testLogger(t)})
	}
	var nodes []*testNode
	for i := range 3 {
		nodes = append(nodes, quic(pki, 7000+2*i))
		if err := nodes[i].AddSlots(i); err != nil {
			t.Fatal(err)
		}
	}
	meetFirst(t, nodes)
	if err := nodes[2].DelSlots(0); err != nil {
		t.Fatal(err)
	}
	agree(t, 3, nodes...)
	stranger := quic(testutil.NewPKI(t, "another CA"), 7010)
	if err := stranger.meet(t, nodes[0]); err == nil {
		t.Fatal("a node of another CA joined over QUIC")
	}
}

// TestMinorityChangesNothing: a node cut off from the majority of the
// voters cannot change the configuration; it keeps answering from the
// configuration it applied last.
func TestMinorityChangesNothing(t *testing.T) {
	var nodes []*testNode
	for i := range 3 {
		nodes = append(nodes, startNode(t, t.TempDir(), 7000+2*i, nil))
	}
	meetFirst(t, nodes)
	testutil.Eventually(t, 30*time.Second, "the three nodes to vote", func() bool {
		f := nodes[0].member().raft.GetConfiguration()
		voters := 0
		for _, s := range f.Configuration().Servers {
			if s.Suffrage == raft.Voter {
				voters++
			}
		}
		return f.Error() == nil && voters == 3
	})
	nodes[1].Close()
	nodes[2].Close()
	err := nodes[0].AddSlots(1, 2, 3)
	if err == nil || !strings.Contains(err.Error(), "CLUSTERDOWN") {
		t.Fatalf("a change in a minority: %v", err)
	}
	if s := nodes[0].State(); len(s.Nodes) != 3 || s.Owner(1) != "" {
		t.Fatalf("the minority's configuration changed:\n%s", nodesText(nodes[0]))
	}
}

// TestFailoverPicksLargestOffset: when a primary fails, the replica that
// answers with the largest replication offset takes its slots.
func TestFailoverPicksLargestOffset(t *testing.T) {
	var nodes []*testNode
	offsets := []uint64{0, 0, 5, 9}
	for i := range 4 {
		st, d := busConfig(t, nil)
		off := offsets[i]
		nodes = append(nodes, startConfig(t, Config{Dir: t.TempDir(), BusAddr: "127.0.0.1:0", BusTLS: st, BusDialer: d,
			Announce: NodeInfo{Port: 7000 + 2*i}, NodeTimeout: time.Second, Logger: testLogger(t),
			Offset: func() uint64 { return off }}))
	}
	if err := nodes[0].AddSlots(span(0, Slots/2-1)...); err != nil {
		t.Fatal(err)
	}
	if err := nodes[1].AddSlots(span(Slots/2, Slots-1)...); err != nil {
		t.Fatal(err)
	}
	meetFirst(t, nodes)
	for _, r := range nodes[2:] {
		if err := r.Replicate(nodes[0].ID()); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 30*time.Second, "four voters", func() bool {
		f := nodes[1].member().raft.GetConfiguration()
		voters := 0
		for _, s := range f.Configuration().Servers {
			if s.Suffrage == raft.Voter {
				voters++
			}
		}
		return f.Error() == nil && voters == 4
	})
	nodes[0].Close()
	testutil.Eventually(t, 30*time.Second, "the replica with offset 9 to take the slots", func() bool {
		s := nodes[1].State()
		return s.Owner(0) == nodes[3].ID() && s.Nodes[nodes[2].ID()].Primary == nodes[3].ID()
	})
}
