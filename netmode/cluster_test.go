package netmode

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shinglekv/shingle/cluster"
	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/store"
)

// clusterNode is a server of a test cluster, on ports of its own: a node
// announces the ports it was configured with.
type clusterNode struct {
	srv           *Server
	db            *store.DB
	port, tlsPort int
	pki           *testutil.PKI
}

// startClusterNode starts a server with cluster-enabled yes, plain and
// TLS ports, and its bus on the plain port + 10000 unless mod says
// otherwise. All nodes of a test share pki.
func startClusterNode(t *testing.T, pki *testutil.PKI, mod func(*Config)) *clusterNode {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Bind = []string{"127.0.0.1"}
	cfg.Port, cfg.TLSPort = testutil.FreePort(t), testutil.FreePort(t)
	dir := t.TempDir()
	cfg.Dir = dir
	cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.CACertFile = pki.CertFile, pki.KeyFile, pki.CAFile
	cfg.Cluster.Enabled = true
	cfg.Cluster.Port = testutil.FreePort(t)
	cfg.Cluster.NodeTimeoutMs = 1000
	if mod != nil {
		mod(cfg)
	}
	// On disk when the test set a directory of its own (a node that
	// restarts keeps its data and its replication history).
	db, err := store.Open(cfg.Dir, &store.Options{InMemory: cfg.Dir == dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var srv *Server
	// A node started again takes back its ports, which another test
	// process may hold for a moment (testutil.FreePort probes ports by
	// binding them): try again while a bind says so.
	testutil.Eventually(t, 20*time.Second, "the node's ports to be free", func() bool {
		s, err := New(db, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(); err != nil {
			s.Close()
			if errors.Is(err, syscall.EADDRINUSE) {
				return false
			}
			t.Fatal(err)
		}
		srv = s
		return true
	})
	t.Cleanup(func() { srv.Close() })
	return &clusterNode{srv: srv, db: db, port: cfg.Port, tlsPort: cfg.TLSPort, pki: pki}
}

func (n *clusterNode) plain(t *testing.T) *testutil.Client {
	return testutil.MustDial(t, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port)))
}

func (n *clusterNode) tls(t *testing.T) *testutil.Client {
	t.Helper()
	d := tls.Dialer{Config: n.pki.ClientTLS(t, true)}
	conn, err := d.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(n.tlsPort)))
	if err != nil {
		t.Fatal(err)
	}
	c := testutil.NewClient(conn)
	t.Cleanup(func() { c.Close() })
	return c
}

func (n *clusterNode) busPort() int {
	_, p, _ := net.SplitHostPort(n.srv.ClusterBusAddr().String())
	port, _ := strconv.Atoi(p)
	return port
}

// startCluster makes a cluster of n primaries as redis-cli --cluster
// create does, the slots split evenly, and waits until every node agrees.
func startCluster(t *testing.T, count int, mod func(*Config)) []*clusterNode {
	t.Helper()
	pki := testutil.NewPKI(t, "Shingle Cluster Test CA")
	var nodes []*clusterNode
	for i := range count {
		n := startClusterNode(t, pki, mod)
		c := n.plain(t)
		lo, hi := i*cluster.Slots/count, (i+1)*cluster.Slots/count-1
		mustOK(t, c, "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(lo), strconv.Itoa(hi))
		mustOK(t, c, "CLUSTER", "SET-CONFIG-EPOCH", strconv.Itoa(i+1))
		nodes = append(nodes, n)
	}
	for _, n := range nodes[1:] {
		meet(t, n.plain(t), nodes[0])
	}
	waitAgree(t, nodes)
	return nodes
}

// meet sends CLUSTER MEET, to the node c is connected to, naming to,
// again while it answers CLUSTERDOWN: Raft's leader may be changing (a
// test on two busy cores can lose a lease), as an operator would.
func meet(t *testing.T, c *testutil.Client, to *clusterNode) {
	t.Helper()
	args := []string{"CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(to.port), strconv.Itoa(to.busPort())}
	var got string
	eventually(t, "MEET to succeed", func() bool {
		got = str(t, c, args...)
		return !strings.HasPrefix(got, "CLUSTERDOWN")
	})
	if got != "OK" {
		t.Fatalf("%q: %s", args, got)
	}
}

func mustOK(t *testing.T, c *testutil.Client, args ...string) {
	t.Helper()
	if got := str(t, c, args...); got != "OK" {
		t.Fatalf("%q: %s", args, got)
	}
}

// str runs a command and returns its reply's text: a status, bulk string
// or error as it is, anything else as Reply.String shows it.
func str(t *testing.T, c *testutil.Client, args ...string) string {
	t.Helper()
	r, err := c.Do(args...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	switch r.Kind {
	case command.KindStatus, command.KindBulk, command.KindError, command.KindVerbatim:
		return string(r.Str)
	}
	return r.String()
}

// waitAgree waits until every node's CLUSTER NODES gives the same join
// signature (redis-cli's) and knows every node.
func waitAgree(t *testing.T, nodes []*clusterNode) {
	t.Helper()
	clients := make([]*testutil.Client, len(nodes))
	for i, n := range nodes {
		clients[i] = n.plain(t)
	}
	eventuallyWithin(t, 30*time.Second, "the nodes to agree", func() bool {
		var first string
		for i, c := range clients {
			sig := testutil.JoinSignature(str(t, c, "CLUSTER", "NODES"))
			if strings.Count(sig, "|") != len(nodes)-1 {
				return false
			}
			if i == 0 {
				first = sig
			} else if sig != first {
				return false
			}
		}
		return true
	})
}

// keyIn returns a key whose slot node owns, and one whose slot it does not.
func keysFor(t *testing.T, nodes []*clusterNode, owner int) (mine, other string) {
	t.Helper()
	lo, hi := owner*cluster.Slots/len(nodes), (owner+1)*cluster.Slots/len(nodes)-1
	for i := 0; mine == "" || other == ""; i++ {
		k := fmt.Sprintf("key:%d", i)
		if s := int(store.Slot([]byte(k))); s >= lo && s <= hi {
			if mine == "" {
				mine = k
			}
		} else if other == "" {
			other = k
		}
	}
	return mine, other
}

// TestClusterRedirects: a key of another node's slot is MOVED to the port
// of the client's own transport; keys of several slots are CROSSSLOT;
// a slot being migrated answers ASK for a missing key, serves it on the
// target after ASKING, and TRYAGAIN for a partial multi-key request; a
// slot without an owner is CLUSTERDOWN.
func TestClusterRedirects(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	a, b := nodes[0], nodes[1]
	pa := a.plain(t)
	mine, other := keysFor(t, nodes, 0)
	mustOK(t, pa, "SET", mine, "1")
	slot := int(store.Slot([]byte(other)))
	owner := nodes[slot*3/cluster.Slots]
	if got, want := str(t, pa, "GET", other), fmt.Sprintf("MOVED %d 127.0.0.1:%d", slot, owner.port); got != want {
		t.Fatalf("plain client: %s, want %s", got, want)
	}
	if got, want := str(t, a.tls(t), "GET", other), fmt.Sprintf("MOVED %d 127.0.0.1:%d", slot, owner.tlsPort); got != want {
		t.Fatalf("TLS client: %s, want %s", got, want)
	}
	if got := str(t, pa, "MGET", mine, other); !strings.HasPrefix(got, "CROSSSLOT") {
		t.Fatalf("MGET over two slots: %s", got)
	}
	// Hash tags keep keys in one slot.
	mustOK(t, pa, "MSET", "{"+mine+"}x", "1", "{"+mine+"}y", "2")
	// A transaction whose commands span slots is refused and aborted.
	mustOK(t, pa, "MULTI")
	str(t, pa, "SET", mine, "2")
	if got := str(t, pa, "SET", "{"+other+"}", "2"); !strings.HasPrefix(got, "CROSSSLOT") && !strings.HasPrefix(got, "MOVED") {
		t.Fatalf("a second slot inside MULTI: %s", got)
	}
	if got := str(t, pa, "EXEC"); !strings.HasPrefix(got, "EXECABORT") {
		t.Fatalf("EXEC after a refused command: %s", got)
	}

	// Two keys of this node in two slots: each is queued, EXEC answers
	// CROSSSLOT and discards the transaction, as Redis does.
	second := ""
	for i := 0; second == ""; i++ {
		k := fmt.Sprintf("other:%d", i)
		if sl := store.Slot([]byte(k)); sl != store.Slot([]byte(mine)) && int(sl) < cluster.Slots/3 {
			second = k
		}
	}
	mustOK(t, pa, "MULTI")
	if got := str(t, pa, "SET", mine, "3"); got != "QUEUED" {
		t.Fatalf("queuing: %s", got)
	}
	if got := str(t, pa, "SET", second, "3"); got != "QUEUED" {
		t.Fatalf("queuing a key of another slot of this node: %s", got)
	}
	if got := str(t, pa, "EXEC"); !strings.HasPrefix(got, "CROSSSLOT") {
		t.Fatalf("EXEC over two slots: %s", got)
	}
	if got := str(t, pa, "GET", mine); got != "1" {
		t.Fatalf("the discarded transaction wrote: %s", got)
	}

	// Migrate mine's slot from a to b, as redis-cli --cluster reshard does.
	ms := strconv.Itoa(int(store.Slot([]byte(mine))))
	ida, idb := a.srv.ClusterNodeID(), b.srv.ClusterNodeID()
	pb := b.plain(t)
	mustOK(t, pb, "CLUSTER", "SETSLOT", ms, "IMPORTING", ida)
	mustOK(t, pa, "CLUSTER", "SETSLOT", ms, "MIGRATING", idb)
	missing := "{" + mine + "}missing"
	if got, want := str(t, pa, "GET", missing), "ASK "+ms+" 127.0.0.1:"+strconv.Itoa(b.port); got != want {
		t.Fatalf("a missing key of a migrating slot: %s, want %s", got, want)
	}
	if got := str(t, pa, "GET", mine); got != "1" {
		t.Fatalf("a present key of a migrating slot: %s", got)
	}
	if got := str(t, pa, "MGET", mine, "{"+mine+"}missing"); !strings.HasPrefix(got, "TRYAGAIN") {
		t.Fatalf("some keys present, some not: %s", got)
	}
	if got := str(t, pb, "GET", missing); !strings.HasPrefix(got, "MOVED") {
		t.Fatalf("the target without ASKING: %s", got)
	}
	mustOK(t, pb, "ASKING")
	mustOK(t, pb, "SET", missing, "x")
	if got := str(t, pb, "GET", missing); !strings.HasPrefix(got, "MOVED") {
		t.Fatalf("ASKING held for a second command: %s", got)
	}
	if got := str(t, pb, "CLUSTER", "NODES"); !strings.Contains(got, "["+ms+"-<-"+ida+"]") {
		t.Fatalf("the importing mark is missing:\n%s", got)
	}
	// The source still holds a key: it may not give the slot away.
	if got := str(t, pa, "CLUSTER", "SETSLOT", ms, "NODE", idb); !strings.Contains(got, "still hold keys") {
		t.Fatalf("SETSLOT NODE with keys left: %s", got)
	}
	str(t, pa, "DEL", mine, "{"+mine+"}x", "{"+mine+"}y")
	for _, n := range nodes {
		mustOK(t, n.plain(t), "CLUSTER", "SETSLOT", ms, "NODE", idb)
	}
	waitAgree(t, nodes)
	if got, want := str(t, pa, "GET", missing), "MOVED "+ms+" 127.0.0.1:"+strconv.Itoa(b.port); got != want {
		t.Fatalf("after the move: %s, want %s", got, want)
	}
	if got := str(t, pb, "GET", missing); got != "x" {
		t.Fatalf("on the new owner: %s", got)
	}

	// A slot without an owner: the cluster is down.
	mustOK(t, pb, "CLUSTER", "DELSLOTS", ms)
	eventually(t, "cluster_state:fail", func() bool {
		return strings.Contains(str(t, pa, "CLUSTER", "INFO"), "cluster_state:fail")
	})
	if got := str(t, pa, "GET", missing); got != "CLUSTERDOWN Hash slot not served" {
		t.Fatalf("an unassigned slot: %s", got)
	}
	if got := str(t, pa, "GET", other); got != "CLUSTERDOWN The cluster is down" {
		t.Fatalf("an assigned slot while the cluster is down: %s", got)
	}
}

// TestClusterReplica: CLUSTER REPLICATE makes a node replicate its
// primary; it redirects writes and, after READONLY, serves reads.
func TestClusterReplica(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	pki := nodes[0].pki
	r := startClusterNode(t, pki, nil)
	pr := r.plain(t)
	meet(t, pr, nodes[0])
	mustOK(t, pr, "CLUSTER", "REPLICATE", nodes[0].srv.ClusterNodeID())
	all := append(nodes, r)
	waitAgree(t, all)
	mine, _ := keysFor(t, nodes, 0)
	mustOK(t, nodes[0].plain(t), "SET", mine, "v")
	eventually(t, "the write to reach the replica", func() bool {
		c := r.plain(t)
		mustOK(t, c, "READONLY")
		return str(t, c, "GET", mine) == "v"
	})
	slot := strconv.Itoa(int(store.Slot([]byte(mine))))
	if got, want := str(t, pr, "SET", mine, "w"), "MOVED "+slot+" 127.0.0.1:"+strconv.Itoa(nodes[0].port); got != want {
		t.Fatalf("a write on the replica: %s, want %s", got, want)
	}
	if got := str(t, pr, "GET", mine); !strings.HasPrefix(got, "MOVED") {
		t.Fatalf("a read without READONLY: %s", got)
	}
	nodesText := str(t, pr, "CLUSTER", "NODES")
	if !strings.Contains(nodesText, "myself,slave "+nodes[0].srv.ClusterNodeID()) {
		t.Fatalf("the replica's line:\n%s", nodesText)
	}
	if got := str(t, pr, "REPLICAOF", "NO", "ONE"); got != "ERR REPLICAOF not allowed in cluster mode." {
		t.Fatalf("REPLICAOF in cluster mode: %s", got)
	}
}

// TestClusterDisabled: without cluster-enabled, the cluster commands
// answer Redis's error, and INFO says so.
func TestClusterDisabled(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.raw(t)
	for _, args := range [][]string{{"CLUSTER", "NODES"}, {"READONLY"}, {"ASKING"}} {
		if got := str(t, c, args...); got != "ERR This instance has cluster support disabled" && !strings.Contains(got, "unknown command") {
			t.Fatalf("%q: %s", args, got)
		}
	}
	if got := str(t, c, "INFO", "cluster"); !strings.Contains(got, "cluster_enabled:0") {
		t.Fatalf("INFO cluster: %s", got)
	}
}

// TestClusterCommandsMatchRedis sends the same CLUSTER commands to a
// fresh Shingle node and a fresh redis-server 7 in cluster mode, and
// compares the replies, each node's id written as <myid>.
func TestClusterCommandsMatchRedis(t *testing.T) {
	rd := testutil.StartRedis(t, "--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(testutil.FreePort(t)))
	rc := rd.Dial(t)
	redisID := str(t, rc, "CLUSTER", "MYID")
	sh := startClusterNode(t, testutil.NewPKI(t, "CA"), nil)
	sc := sh.plain(t)
	shID := sh.srv.ClusterNodeID()
	unknown := strings.Repeat("e", 40)
	for _, args := range [][]string{
		{"CLUSTER", "KEYSLOT", "foo"}, {"CLUSTER", "KEYSLOT", "{user1000}.following"},
		{"CLUSTER", "COUNTKEYSINSLOT", "16384"}, {"CLUSTER", "COUNTKEYSINSLOT", "x"}, {"CLUSTER", "COUNTKEYSINSLOT", "7"},
		{"CLUSTER", "GETKEYSINSLOT", "7", "-1"}, {"CLUSTER", "GETKEYSINSLOT", "7", "10"}, {"CLUSTER", "GETKEYSINSLOT", "x", "1"},
		{"CLUSTER", "ADDSLOTS", "16384"}, {"CLUSTER", "ADDSLOTS", "-1"}, {"CLUSTER", "ADDSLOTS", "1", "1"},
		{"CLUSTER", "ADDSLOTS", "1", "2", "3"}, {"CLUSTER", "ADDSLOTS", "3"},
		{"CLUSTER", "ADDSLOTSRANGE", "10", "5"}, {"CLUSTER", "ADDSLOTSRANGE", "100", "200"}, {"CLUSTER", "ADDSLOTSRANGE", "1"},
		{"CLUSTER", "DELSLOTS", "500"}, {"CLUSTER", "DELSLOTS", "1"}, {"CLUSTER", "DELSLOTSRANGE", "150", "160"}, {"CLUSTER", "DELSLOTSRANGE", "1", "2", "3"},
		{"CLUSTER", "ADDSLOTS"}, {"CLUSTER", "NOSUCH"}, {"CLUSTER", "MYID", "extra"},
		{"CLUSTER", "SETSLOT", "2", "MIGRATING", unknown}, {"CLUSTER", "SETSLOT", "2", "BOGUS", "x"},
		{"CLUSTER", "SETSLOT", "2", "STABLE"}, {"CLUSTER", "SETSLOT", "99999", "STABLE"}, {"CLUSTER", "SETSLOT", "2", "NODE"},
		{"CLUSTER", "SETSLOT", "2", "MIGRATING", "<myid>"}, {"CLUSTER", "SETSLOT", "9000", "MIGRATING", "<myid>"},
		{"CLUSTER", "SETSLOT", "2", "IMPORTING", "<myid>"},
		{"CLUSTER", "SET-CONFIG-EPOCH", "-1"}, {"CLUSTER", "SET-CONFIG-EPOCH", "x"}, {"CLUSTER", "SET-CONFIG-EPOCH", "5"},
		{"CLUSTER", "SET-CONFIG-EPOCH", "6"}, {"CLUSTER", "BUMPEPOCH"},
		{"CLUSTER", "REPLICATE", unknown}, {"CLUSTER", "REPLICATE", "<myid>"},
		{"CLUSTER", "FORGET", "<myid>"}, {"CLUSTER", "FORGET", unknown},
		{"CLUSTER", "REPLICAS", unknown}, {"CLUSTER", "COUNT-FAILURE-REPORTS", unknown},
		{"CLUSTER", "MEET", "127.0.0.1", "x"}, {"CLUSTER", "MEET", "localhost", "7000"},
		{"CLUSTER", "FLUSHSLOTS"}, {"CLUSTER", "SLOTS"}, {"CLUSTER", "LINKS"}, {"CLUSTER", "RESET", "BOGUS"},
		{"CLUSTER", "FAILOVER"}, {"CLUSTER", "FAILOVER", "FORCE"}, {"CLUSTER", "FAILOVER", "BOGUS"},
		{"READONLY"}, {"READWRITE"}, {"ASKING"},
	} {
		sub := func(id string) []string {
			out := slices.Clone(args)
			for i, a := range out {
				out[i] = strings.ReplaceAll(a, "<myid>", id)
			}
			return out
		}
		want := strings.ReplaceAll(mustDo(t, rc, sub(redisID)...), redisID, "<myid>")
		got := strings.ReplaceAll(mustDo(t, sc, sub(shID)...), shID, "<myid>")
		if got != want {
			t.Errorf("%q:\n shingle %s\n redis   %s", args, got, want)
		}
	}
	// The fields of CLUSTER INFO, in Redis's order, but for the counts of
	// messages by type (Redis prints those of the types it sent; Shingle's
	// bus has types of its own) and Shingle's own lines (failovers, slot
	// migrations, Raft).
	perType := regexp.MustCompile(`^cluster_stats_messages_.+_(sent|received)$`)
	fields := func(info string) []string {
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(info), "\r\n") {
			k, _, _ := strings.Cut(l, ":")
			if !perType.MatchString(k) && !strings.HasPrefix(k, "cluster_failovers_") && !strings.HasPrefix(k, "cluster_slot_migration") && !strings.HasPrefix(k, "cluster_raft_") {
				out = append(out, k)
			}
		}
		return out
	}
	if got, want := fields(str(t, sc, "CLUSTER", "INFO")), fields(str(t, rc, "CLUSTER", "INFO")); !slices.Equal(got, want) {
		t.Errorf("CLUSTER INFO fields:\n shingle %q\n redis   %q", got, want)
	}
	if got := mustDo(t, sc, "INFO", "cluster"); !strings.Contains(got, "cluster_enabled:1") {
		t.Errorf("INFO cluster: %s", got)
	}
}

// TestClusterClients: go-redis ClusterClient over plain TCP and over TLS
// against the same cluster, each told its own transport's ports.
func TestClusterClients(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	ctx := context.Background()
	plain := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(nodes[0].port))}})
	defer plain.Close()
	secure := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(nodes[1].tlsPort))},
		TLSConfig: nodes[0].pki.ClientTLS(t, true)})
	defer secure.Close()
	for i := range 100 {
		k := fmt.Sprintf("k%d", i)
		if err := plain.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatalf("plain SET %s: %v", k, err)
		}
		if v, err := secure.Get(ctx, k).Int(); err != nil || v != i {
			t.Fatalf("TLS GET %s: %d %v", k, v, err)
		}
	}
	ports := func(c *redis.ClusterClient) map[int]bool {
		slots, err := c.ClusterSlots(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		out := map[int]bool{}
		for _, s := range slots {
			for _, n := range s.Nodes {
				_, p, _ := net.SplitHostPort(n.Addr)
				port, _ := strconv.Atoi(p)
				out[port] = true
			}
		}
		return out
	}
	for _, n := range nodes {
		if p := ports(plain); !p[n.port] || p[n.tlsPort] {
			t.Fatalf("a plain client's CLUSTER SLOTS: %v", p)
		}
		if p := ports(secure); !p[n.tlsPort] || p[n.port] {
			t.Fatalf("a TLS client's CLUSTER SLOTS: %v", p)
		}
	}
}

// TestClusterQUICBus: cluster-bus-transport quic, which needs tls-cluster
// yes; the nodes meet over QUIC and the bus is a UDP port.
func TestClusterQUICBus(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Cluster.Enabled, cfg.Cluster.BusTransport = true, "quic"
	if _, err := New(memStore(t), cfg); err == nil || !strings.Contains(err.Error(), "tls-cluster yes") {
		t.Fatalf("a QUIC bus without tls-cluster: %v", err)
	}
	nodes := startCluster(t, 3, func(c *Config) {
		c.TLS.Cluster = true
		c.Cluster.BusTransport = "quic"
	})
	if a := nodes[0].srv.ClusterBusAddr(); a.Network() != "udp" {
		t.Fatalf("the bus listens on %s %s", a.Network(), a)
	}
	mine, other := keysFor(t, nodes, 0)
	pa := nodes[0].plain(t)
	mustOK(t, pa, "SET", mine, "v")
	if got := str(t, pa, "GET", other); !strings.HasPrefix(got, "MOVED") {
		t.Fatalf("a key of another node: %s", got)
	}
}

// TestClusterReset: CLUSTER RESET refuses a primary holding keys; after
// the others forget a node, RESET HARD makes it a cluster of one with a
// new id and epoch 0, which can meet the cluster again. CLUSTER LINKS
// lists a link per peer.
func TestClusterReset(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	extra := startClusterNode(t, nodes[0].pki, nil)
	pe := extra.plain(t)
	meet(t, pe, nodes[0])
	waitAgree(t, append(nodes, extra))
	eventually(t, "CLUSTER LINKS to list the peers", func() bool {
		r, err := pe.Do("CLUSTER", "LINKS")
		return err == nil && len(r.Elems) == 3 && strings.Contains(r.String(), `"rw"`)
	})
	mine, _ := keysFor(t, nodes, 0)
	p0 := nodes[0].plain(t)
	mustOK(t, p0, "SET", mine, "v")
	if got := str(t, p0, "CLUSTER", "RESET"); got != "ERR CLUSTER RESET can't be called with master nodes containing keys" {
		t.Fatalf("RESET of a primary with keys: %s", got)
	}
	old := str(t, pe, "CLUSTER", "MYID")
	// Inside EXEC the store's lock is held: no waiting on other nodes.
	mustOK(t, pe, "MULTI")
	str(t, pe, "CLUSTER", "RESET")
	if got := str(t, pe, "EXEC"); !strings.Contains(got, "not allowed inside a transaction") {
		t.Fatalf("CLUSTER RESET inside MULTI: %s", got)
	}
	for _, n := range nodes {
		mustOK(t, n.plain(t), "CLUSTER", "FORGET", old)
	}
	mustOK(t, pe, "CLUSTER", "RESET", "HARD")
	if id := str(t, pe, "CLUSTER", "MYID"); id == old || len(id) != 40 {
		t.Fatalf("RESET HARD kept the id %s", id)
	}
	if got := str(t, pe, "CLUSTER", "INFO"); !strings.Contains(got, "cluster_known_nodes:1\r\n") || !strings.Contains(got, "cluster_my_epoch:0\r\n") {
		t.Fatalf("after RESET HARD:\n%s", got)
	}
	meet(t, pe, nodes[0])
	waitAgree(t, append(nodes, extra))
}

// TestClusterFailover: when a primary stops, the majority fails it over to
// its replica, which takes its slots and keeps its data; clients follow the
// MOVED to it; the old primary, started again, becomes its replica.
func TestClusterFailover(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	var dir string
	var port, tlsPort, busPort int
	r := startClusterNode(t, nodes[0].pki, func(c *Config) {
		c.Cluster.NodeTimeoutMs = 1000
	})
	pr := r.plain(t)
	meet(t, pr, nodes[0])
	mustOK(t, pr, "CLUSTER", "REPLICATE", nodes[0].srv.ClusterNodeID())
	all := append(slices.Clone(nodes), r)
	waitAgree(t, all)
	mine, _ := keysFor(t, nodes, 0)
	mustOK(t, nodes[0].plain(t), "SET", mine, "before")
	eventually(t, "the replica to hold the write", func() bool {
		c := r.plain(t)
		mustOK(t, c, "READONLY")
		return str(t, c, "GET", mine) == "before"
	})
	old := nodes[0]
	oldID := old.srv.ClusterNodeID()
	cfg := old.srv.Config()
	dir, port, tlsPort, busPort = cfg.Dir, cfg.Port, cfg.TLSPort, cfg.Cluster.Port
	old.srv.Close()
	slot := strconv.Itoa(int(store.Slot([]byte(mine))))
	eventuallyWithin(t, 60*time.Second, "the replica to take over", func() bool {
		return strings.Contains(str(t, nodes[1].plain(t), "GET", mine), "MOVED "+slot+" 127.0.0.1:"+strconv.Itoa(r.port))
	})
	start := time.Now()
	var got string
	eventually(t, "the new primary to serve its slots", func() bool {
		got = str(t, pr, "GET", mine)
		return !strings.HasPrefix(got, "CLUSTERDOWN")
	})
	t.Logf("served after %v", time.Since(start))
	if got != "before" {
		t.Fatalf("the new primary lost the write: %s", got)
	}
	// The configuration names the replica primary before its replication
	// link is promoted: until then a write is refused with READONLY, which
	// cluster clients answer by reloading the slots and trying again.
	eventually(t, "the new primary to take writes", func() bool {
		return str(t, pr, "SET", mine, "after") == "OK"
	})
	info := str(t, pr, "CLUSTER", "INFO")
	for _, want := range []string{"cluster_state:ok", "cluster_failovers_won:1"} {
		if !strings.Contains(info, want+"\r\n") {
			t.Fatalf("after the failover, no %s:\n%s", want, info)
		}
	}
	// The Raft leader counts the failover it started; every node its pings.
	started := 0
	for _, n := range append(slices.Clone(nodes[1:]), r) {
		info := testutil.InfoFields(str(t, n.plain(t), "CLUSTER", "INFO"))
		v, _ := strconv.Atoi(info["cluster_failovers_started"])
		started += v
		if sent, _ := strconv.Atoi(info["cluster_stats_messages_ping_sent"]); sent == 0 {
			t.Errorf("no pings counted:\n%v", info)
		}
	}
	if started != 1 {
		t.Errorf("%d failovers started by the nodes left, want 1", started)
	}
	// The old primary comes back as a replica of the new one.
	back := startClusterNode(t, old.pki, func(c *Config) {
		c.Dir, c.Port, c.TLSPort, c.Cluster.Port = dir, port, tlsPort, busPort
	})
	if back.srv.ClusterNodeID() != oldID {
		t.Fatal("the old primary came back with another id")
	}
	eventuallyWithin(t, 60*time.Second, "the old primary to replicate the new one", func() bool {
		c := back.plain(t)
		return strings.Contains(str(t, c, "CLUSTER", "NODES"), "myself,slave "+r.srv.ClusterNodeID()) &&
			str(t, c, "READONLY") == "OK" && str(t, c, "GET", mine) == "after"
	})
}

// TestClusterManualFailover: CLUSTER FAILOVER on a replica, while a client
// keeps writing to the primary: the replica takes over with every write
// the primary acknowledged, and the old primary becomes its replica.
func TestClusterManualFailover(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	r := startClusterNode(t, nodes[0].pki, nil)
	pr := r.plain(t)
	if got := str(t, nodes[0].plain(t), "CLUSTER", "FAILOVER"); got != "ERR You should send CLUSTER FAILOVER to a replica" {
		t.Fatalf("CLUSTER FAILOVER on a primary: %s", got)
	}
	meet(t, pr, nodes[0])
	mustOK(t, pr, "CLUSTER", "REPLICATE", nodes[0].srv.ClusterNodeID())
	waitAgree(t, append(slices.Clone(nodes), r))
	mine, _ := keysFor(t, nodes, 0)
	mustOK(t, pr, "READONLY")
	eventually(t, "the replica's link", func() bool {
		return strings.Contains(str(t, pr, "INFO", "replication"), "master_link_status:up")
	})
	// A writer on the primary, counting the writes acknowledged.
	stop := make(chan struct{})
	acked := make(chan int, 1)
	writer := nodes[0].plain(t)
	go func() {
		c := writer
		n := 0
		defer func() { acked <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			r, err := c.Do("INCR", mine)
			if err != nil || r.Kind != command.KindInt {
				return // MOVED once the failover is done
			}
			n = int(r.Int)
		}
	}()
	eventually(t, "some writes", func() bool {
		v, _ := strconv.Atoi(str(t, pr, "GET", mine))
		return v > 10
	})
	mustOK(t, pr, "CLUSTER", "FAILOVER")
	close(stop)
	n := <-acked
	got := str(t, pr, "GET", mine)
	if v, _ := strconv.Atoi(got); v < n {
		t.Fatalf("the new primary holds %s, the old one acknowledged %d", got, n)
	}
	if got := str(t, pr, "CLUSTER", "NODES"); !strings.Contains(got, "myself,master") {
		t.Fatalf("after CLUSTER FAILOVER:\n%s", got)
	}
	for _, cmd := range [][]string{{"CLUSTER", "INFO"}, {"INFO", "cluster"}} {
		info := testutil.InfoFields(str(t, pr, cmd...))
		if info["cluster_failovers_started"] != "1" || info["cluster_failovers_won"] != "1" || info["cluster_failovers_lost"] != "0" {
			t.Errorf("%s after CLUSTER FAILOVER: %v", cmd, info)
		}
	}
	eventually(t, "the old primary to follow", func() bool {
		return strings.Contains(str(t, nodes[0].plain(t), "CLUSTER", "NODES"), "myself,slave "+r.srv.ClusterNodeID())
	})
}

// TestClusterWaitSurvivesFailover: writes WAIT 1 acknowledged survive the
// loss of their primary with two replicas: the leader promotes the
// replica with the largest offset, which holds every acknowledged write.
func TestClusterWaitSurvivesFailover(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	var replicas []*clusterNode
	for range 2 {
		r := startClusterNode(t, nodes[0].pki, nil)
		pr := r.plain(t)
		meet(t, pr, nodes[0])
		mustOK(t, pr, "CLUSTER", "REPLICATE", nodes[0].srv.ClusterNodeID())
		replicas = append(replicas, r)
	}
	waitAgree(t, append(slices.Clone(nodes), replicas...))
	eventually(t, "both replicas linked", func() bool {
		return strings.Contains(str(t, nodes[0].plain(t), "INFO", "replication"), "connected_slaves:2")
	})
	mine, _ := keysFor(t, nodes, 0)
	p := nodes[0].plain(t)
	acked := 0
	for i := 1; i <= 50; i++ {
		mustOK(t, p, "SET", mine, strconv.Itoa(i))
		if got := str(t, p, "WAIT", "1", "1000"); got != "(integer) 0" {
			acked = i
		}
	}
	if acked == 0 {
		t.Fatal("no write was acknowledged by a replica")
	}
	nodes[0].srv.Close()
	var primary *clusterNode
	eventuallyWithin(t, 60*time.Second, "a replica to take over", func() bool {
		for _, r := range replicas {
			if strings.Contains(str(t, r.plain(t), "CLUSTER", "NODES"), "myself,master") {
				primary = r
				return true
			}
		}
		return false
	})
	eventually(t, "the new primary to serve", func() bool {
		got := str(t, primary.plain(t), "GET", mine)
		return !strings.HasPrefix(got, "CLUSTERDOWN")
	})
	if v, _ := strconv.Atoi(str(t, primary.plain(t), "GET", mine)); v < acked {
		t.Fatalf("the new primary holds %d, WAIT 1 acknowledged %d", v, acked)
	}
}

// TestClusterFailoverPartialResync: a primary that stopped after its
// replica had all its writes comes back as the new primary's replica with
// a partial resync (psync2: the new primary continues its history).
func TestClusterFailoverPartialResync(t *testing.T) {
	nodes := startCluster(t, 2, nil)
	pki := nodes[0].pki
	dir := t.TempDir() // on disk: the primary keeps its data and history
	p := startClusterNode(t, pki, func(c *Config) { c.Dir = dir })
	r := startClusterNode(t, pki, nil)
	for _, n := range []*clusterNode{p, r} {
		meet(t, n.plain(t), nodes[0])
	}
	// The second node's (empty) slots go to the new shard.
	lo, hi := strconv.Itoa(cluster.Slots/2), strconv.Itoa(cluster.Slots-1)
	mustOK(t, nodes[1].plain(t), "CLUSTER", "DELSLOTSRANGE", lo, hi)
	mustOK(t, p.plain(t), "CLUSTER", "ADDSLOTSRANGE", lo, hi)
	mustOK(t, r.plain(t), "CLUSTER", "REPLICATE", p.srv.ClusterNodeID())
	waitAgree(t, append(slices.Clone(nodes), p, r))
	key := ""
	for i := 0; key == ""; i++ {
		if k := fmt.Sprintf("k%d", i); int(store.Slot([]byte(k))) >= cluster.Slots/2 {
			key = k
		}
	}
	mustOK(t, p.plain(t), "SET", key, "v")
	if got := str(t, p.plain(t), "WAIT", "1", "5000"); got != "(integer) 1" {
		t.Fatalf("WAIT 1: %s", got)
	}
	cfg := p.srv.Config()
	p.srv.Close()
	p.db.Close()
	eventuallyWithin(t, 60*time.Second, "the replica to take over", func() bool {
		return strings.Contains(str(t, r.plain(t), "CLUSTER", "NODES"), "myself,master")
	})
	back := startClusterNode(t, pki, func(c *Config) {
		c.Dir, c.Port, c.TLSPort, c.Cluster.Port = dir, cfg.Port, cfg.TLSPort, cfg.Cluster.Port
	})
	eventuallyWithin(t, 60*time.Second, "the old primary to resync from the new one", func() bool {
		return strings.Contains(str(t, back.plain(t), "INFO", "replication"), "master_link_status:up")
	})
	stats := str(t, r.plain(t), "INFO", "stats")
	if strings.Contains(stats, "sync_partial_ok:0\r\n") || !strings.Contains(stats, "sync_full:0\r\n") {
		t.Fatalf("the old primary did not continue with a partial resync:\n%s", stats)
	}
}
