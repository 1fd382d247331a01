package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shinglekv/shingle/internal/testutil"
)

// freeBasePort returns a free port P whose bus port P + 10000 is free
// too, for a node whose bus port follows its client port as in Redis; both
// below the ephemeral range (32768 and up), so that no outgoing
// connection takes them before the node binds them.
func freeBasePort(t *testing.T) int {
	t.Helper()
	for range 1000 {
		p := 20000 + rand.IntN(32768-10000-20000)
		a, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		b, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+10000))
		a.Close()
		if err != nil {
			continue
		}
		b.Close()
		return p
	}
	t.Fatal("no free pair of ports P and P + 10000")
	return 0
}

// clusterProc is one Shingle process of a test cluster.
type clusterProc struct {
	args []string
	cmd  *exec.Cmd
	port int // the TLS client port
}

// startClusterProcs starts n processes with port 0, tls-port P,
// tls-cluster yes and tls-replication yes: the bus port follows the TLS
// port (P + 10000), and every link is TLS with client certificates.
func startClusterProcs(t *testing.T, pki *testutil.PKI, n int) []*clusterProc {
	t.Helper()
	var procs []*clusterProc
	for range n {
		port := freeBasePort(t)
		p := &clusterProc{port: port, args: []string{
			"--port", "0", "--tls-port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", t.TempDir(),
			"--cluster-enabled", "yes", "--cluster-node-timeout", "2000",
			"--tls-cluster", "yes", "--tls-replication", "yes",
			"--tls-cert-file", pki.CertFile, "--tls-key-file", pki.KeyFile, "--tls-ca-cert-file", pki.CAFile,
		}}
		p.start(t)
		procs = append(procs, p)
	}
	return procs
}

func (p *clusterProc) addr() string { return "127.0.0.1:" + strconv.Itoa(p.port) }

func (p *clusterProc) start(t *testing.T) {
	t.Helper()
	p.cmd = startProcess(t, p.args, p.addr())
}

// stop ends the process as a signal does, and waits for it.
func (p *clusterProc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	// startProcess reaps the process once it exits: then it can no
	// longer be signalled.
	testutil.Eventually(t, 30*time.Second, "the node to stop", func() bool {
		return p.cmd.Process.Signal(syscall.Signal(0)) != nil
	})
}

// redisCLI runs redis-cli over TLS with the test's client certificate.
func redisCLI(t *testing.T, pki *testutil.PKI, args ...string) (string, error) {
	t.Helper()
	bin := testutil.RequireTool(t, "redis-cli")
	args = append([]string{"--tls", "--cacert", pki.CAFile, "--cert", pki.ClientCertFile, "--key", pki.ClientKeyFile}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	return string(out), err
}

// clusterCheck runs redis-cli --cluster check and fails on any problem
// it reports.
func clusterCheck(t *testing.T, pki *testutil.PKI, addr string) {
	t.Helper()
	var out string
	var err error
	// Right after a start the nodes may still be electing a leader and
	// replaying the log: wait until the check passes.
	testutil.Eventually(t, 60*time.Second, "redis-cli --cluster check to pass", func() bool {
		out, err = redisCLI(t, pki, "--cluster", "check", addr)
		return err == nil && strings.Contains(out, "[OK] All 16384 slots covered") && !strings.Contains(out, "[WARNING]") && !strings.Contains(out, "[ERR]")
	})
}

// TestClusterCreateOverTLS drives stock tooling against six Shingle
// processes, every link on TLS: redis-cli --cluster create with a
// replica per primary, check, redis-cli -c, go-redis ClusterClient; then
// a primary stops and comes back (fail, then ok); then every node
// restarts and the cluster is whole again without being created anew.
func TestClusterCreateOverTLS(t *testing.T) {
	pki := testutil.NewPKI(t, "Shingle Cluster CA")
	procs := startClusterProcs(t, pki, 6)
	args := []string{"--cluster", "create"}
	for _, p := range procs {
		args = append(args, p.addr())
	}
	out, err := redisCLI(t, pki, append(args, "--cluster-replicas", "1", "--cluster-yes")...)
	if err != nil || !strings.Contains(out, "[OK] All 16384 slots covered") {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	clusterCheck(t, pki, procs[0].addr())

	// The bus port follows the TLS port (port 0, tls-cluster yes).
	nodes, err := redisCLI(t, pki, "-p", strconv.Itoa(procs[0].port), "cluster", "nodes")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range procs {
		if want := fmt.Sprintf("127.0.0.1:%d@%d ", p.port, p.port+10000); !strings.Contains(nodes, want) {
			t.Fatalf("CLUSTER NODES lacks %q:\n%s", want, nodes)
		}
	}

	// redis-cli -c follows the redirects.
	for i := range 20 {
		k := "key:" + strconv.Itoa(i)
		if out, err := redisCLI(t, pki, "-c", "-p", strconv.Itoa(procs[i%6].port), "set", k, "v"+k); err != nil || strings.TrimSpace(out) != "OK" {
			t.Fatalf("redis-cli -c set %s: %v %s", k, err, out)
		}
	}

	// go-redis ClusterClient over TLS sees the TLS ports and every write.
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{procs[0].addr()}, TLSConfig: pki.ClientTLS(t, true)})
	defer cc.Close()
	ctx := context.Background()
	for i := range 200 {
		k := fmt.Sprintf("go:%d", i)
		if err := cc.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatalf("ClusterClient SET %s: %v", k, err)
		}
	}
	for i := range 20 {
		k := "key:" + strconv.Itoa(i)
		if v, err := cc.Get(ctx, k).Result(); err != nil || v != "v"+k {
			t.Fatalf("ClusterClient GET %s: %q %v", k, v, err)
		}
	}

	// redis-cli --cluster reshard moves 1000 slots while a client writes
	// and reads: no error reaches it, and every write it saw acknowledged
	// is there afterwards.
	ids := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(nodes), "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && strings.Contains(f[2], "master") {
			ids[f[1]] = f[0]
		}
	}
	var from, to string
	for addr, id := range ids {
		switch {
		case from == "":
			from = id
		case to == "":
			to = id
		}
		_ = addr
	}
	stop := make(chan struct{})
	loadDone := make(chan error, 1)
	acked := 0
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				loadDone <- nil
				return
			default:
			}
			k := fmt.Sprintf("rs:%d", i)
			if err := cc.Set(ctx, k, i, 0).Err(); err != nil {
				loadDone <- fmt.Errorf("SET %s during the reshard: %w", k, err)
				return
			}
			acked = i + 1
			if v, err := cc.Get(ctx, k).Int(); err != nil || v != i {
				loadDone <- fmt.Errorf("GET %s during the reshard: %d %v", k, v, err)
				return
			}
		}
	}()
	out, err = redisCLI(t, pki, "--cluster", "reshard", procs[0].addr(), "--cluster-from", from, "--cluster-to", to,
		"--cluster-slots", "1000", "--cluster-yes")
	close(stop)
	if lerr := <-loadDone; lerr != nil {
		t.Fatal(lerr)
	}
	if err != nil {
		t.Fatalf("redis-cli --cluster reshard: %v\n%s", err, out)
	}
	if acked == 0 {
		t.Fatal("the client wrote nothing during the reshard")
	}
	for i := range acked {
		if v, err := cc.Get(ctx, fmt.Sprintf("rs:%d", i)).Int(); err != nil || v != i {
			t.Fatalf("after the reshard, rs:%d: %d %v", i, v, err)
		}
	}
	clusterCheck(t, pki, procs[1].addr())

	// add-node and del-node.
	extra := startClusterProcs(t, pki, 1)[0]
	if out, err := redisCLI(t, pki, "--cluster", "add-node", extra.addr(), procs[0].addr()); err != nil || !strings.Contains(out, "[OK] New node added correctly") {
		t.Fatalf("add-node: %v\n%s", err, out)
	}
	extraID, err := redisCLI(t, pki, "-p", strconv.Itoa(extra.port), "cluster", "myid")
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "the new node in every node's CLUSTER NODES", func() bool {
		out, _ := redisCLI(t, pki, "-p", strconv.Itoa(procs[5].port), "cluster", "nodes")
		return strings.Contains(out, strings.TrimSpace(extraID))
	})
	if out, err := redisCLI(t, pki, "--cluster", "del-node", procs[0].addr(), strings.TrimSpace(extraID)); err != nil || strings.Contains(out, "ERR") {
		t.Fatalf("del-node: %v\n%s", err, out)
	}
	clusterCheck(t, pki, procs[2].addr())
	if out, _ := redisCLI(t, pki, "-p", strconv.Itoa(procs[4].port), "cluster", "nodes"); strings.Contains(out, strings.TrimSpace(extraID)) {
		t.Fatalf("the deleted node is still known:\n%s", out)
	}

	// The layout, from one node's CLUSTER NODES: id by port, and each
	// primary's replica.
	layout := func() (ids map[int]string, replicaOf map[string]*clusterProc) {
		out, err := redisCLI(t, pki, "-p", strconv.Itoa(procs[5].port), "cluster", "nodes")
		if err != nil {
			t.Fatal(err)
		}
		ids, replicaOf = map[int]string{}, map[string]*clusterProc{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			for _, p := range procs {
				if strings.Contains(f[1], fmt.Sprintf(":%d@", p.port)) {
					ids[p.port] = f[0]
					if f[3] != "-" {
						replicaOf[f[3]] = p
					}
				}
			}
		}
		return ids, replicaOf
	}
	flagged := func(from *clusterProc, id, flag string) bool {
		out, _ := redisCLI(t, pki, "-p", strconv.Itoa(from.port), "cluster", "nodes")
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) > 2 && f[0] == id {
				return slices.Contains(strings.Split(f[2], ","), flag)
			}
		}
		return false
	}
	info := func(from *clusterProc) string {
		out, _ := redisCLI(t, pki, "-p", strconv.Itoa(from.port), "cluster", "info")
		return out
	}
	byPort, replicaOf := layout()
	var shard []*clusterProc // a primary and its replica
	for _, p := range procs {
		if r := replicaOf[byPort[p.port]]; r != nil && p != procs[5] && r != procs[5] {
			shard = []*clusterProc{p, r}
			break
		}
	}
	if shard == nil {
		t.Fatal("no primary with a replica found")
	}
	watcher := procs[5]

	// A shard stops, primary and replica: nobody can take over, so the
	// others flag the primary fail and the cluster is down; it comes
	// back: ok again.
	for _, p := range shard {
		p.stop(t)
	}
	testutil.Eventually(t, 60*time.Second, "the stopped primary flagged fail, and cluster_state:fail", func() bool {
		return flagged(watcher, byPort[shard[0].port], "fail") && strings.Contains(info(watcher), "cluster_state:fail")
	})
	for _, p := range shard {
		p.start(t)
	}
	testutil.Eventually(t, 60*time.Second, "cluster_state:ok once it is back", func() bool {
		return strings.Contains(info(watcher), "cluster_state:ok") && !flagged(watcher, byPort[shard[0].port], "fail")
	})

	// A primary alone stops: its replica takes over, the cluster stays
	// up, and the old primary comes back as the new one's replica.
	shard[0].stop(t)
	testutil.Eventually(t, 60*time.Second, "the replica to take over", func() bool {
		return flagged(watcher, byPort[shard[1].port], "master") && strings.Contains(info(watcher), "cluster_state:ok")
	})
	shard[0].start(t)
	testutil.Eventually(t, 60*time.Second, "the old primary to follow the new one", func() bool {
		out, _ := redisCLI(t, pki, "-p", strconv.Itoa(shard[0].port), "cluster", "nodes")
		return strings.Contains(out, "myself,slave "+byPort[shard[1].port])
	})

	// Every node restarts: the configuration is still there.
	for _, p := range procs {
		p.stop(t)
	}
	for _, p := range procs {
		p.start(t)
	}
	clusterCheck(t, pki, procs[3].addr())
	testutil.Eventually(t, 60*time.Second, "no node flagged fail after the restart", func() bool {
		out, err := redisCLI(t, pki, "-p", strconv.Itoa(procs[3].port), "cluster", "nodes")
		return err == nil && !strings.Contains(out, "fail")
	})
	// A new client: the first one's connections died with the processes.
	// Each node serves once it has heard from the Raft leader.
	cc = redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{procs[0].addr()}, TLSConfig: pki.ClientTLS(t, true)})
	defer cc.Close()
	testutil.Eventually(t, 60*time.Second, "every shard to serve after the restart", func() bool {
		for i := range 200 {
			if err := cc.Get(ctx, fmt.Sprintf("go:%d", i)).Err(); err != nil {
				return false
			}
		}
		return true
	})
	for i := range 200 {
		k := fmt.Sprintf("go:%d", i)
		if v, err := cc.Get(ctx, k).Int(); err != nil || v != i {
			t.Fatalf("after the restart, GET %s: %d %v", k, v, err)
		}
	}
}

// TestClusterBusWithoutPlainPort: with port 0 and tls-cluster no, Redis
// would put the bus on port 10000; Shingle takes the TLS port as the base
// and says so.
func TestClusterBusWithoutPlainPort(t *testing.T) {
	pki := testutil.NewPKI(t, "Shingle Cluster CA")
	port := freeBasePort(t)
	d := startDemo(t, []string{"--port", "0", "--tls-port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", t.TempDir(),
		"--cluster-enabled", "yes", "--tls-cert-file", pki.CertFile, "--tls-key-file", pki.KeyFile, "--tls-ca-cert-file", pki.CAFile}, "tls")
	d.waitLine(t, fmt.Sprintf("bus on 127.0.0.1:%d ", port+10000))
	if !strings.Contains(d.out.String(), "tls-port") {
		t.Fatalf("the log does not say where the bus port came from:\n%s", d.out.String())
	}
}
