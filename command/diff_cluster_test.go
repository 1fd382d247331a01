package command_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/cluster"
	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/netmode"
	"github.com/shinglekv/shingle/store"
)

// TestDifferentialScriptsThroughCluster runs the differential scripts
// against a three-shard Shingle cluster, each command sent to the node
// that owns its keys' slot as a cluster client sends it, beside a stock
// redis-server. Lines whose keys span slots (a cluster answers CROSSSLOT)
// and commands over the whole data set (DBSIZE, KEYS, SCAN, DEBUG ...) are
// left out on both sides, so that the two data sets stay the same.
func TestDifferentialScriptsThroughCluster(t *testing.T) {
	redis := startDiffRedis(t).Dial(t)
	var nodes []*netmode.Server
	var clients []*testutil.Client
	for i := range 3 {
		db, err := store.Open("", &store.Options{InMemory: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		cfg := netmode.DefaultConfig()
		cfg.Bind = []string{"127.0.0.1"}
		cfg.Port, cfg.Dir = testutil.FreePort(t), t.TempDir()
		cfg.Cluster.Enabled, cfg.Cluster.Port, cfg.Cluster.NodeTimeoutMs = true, testutil.FreePort(t), 1000
		srv, err := netmode.New(db, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		var slots []int
		for s := i * cluster.Slots / 3; s < (i+1)*cluster.Slots/3; s++ {
			slots = append(slots, s)
		}
		if err := srv.Cluster().AddSlots(slots...); err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			first := nodes[0].Config()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			err := srv.Cluster().Meet(ctx, "127.0.0.1", first.Port, first.Cluster.Port)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
		}
		nodes = append(nodes, srv)
		clients = append(clients, testutil.MustDial(t, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port))))
	}
	testutil.Eventually(t, 30*time.Second, "every node to know the three", func() bool {
		for _, n := range nodes {
			if !n.Cluster().State().Served() || len(n.Cluster().State().Nodes) != 3 {
				return false
			}
		}
		return true
	})
	table := nodes[0].Table()
	wholeDataSet := []string{"dbsize", "keys", "scan", "randomkey", "flushall", "flushdb", "debug", "info", "migrate"}
	// route picks the client that serves args, or reports that the line
	// must be left out.
	route := func(args []string) (*testutil.Client, bool) {
		cmd := table.Lookup([]byte(args[0]))
		if cmd == nil || !command.ArityOK(cmd.Arity, len(args)) {
			return clients[0], true // the same error everywhere
		}
		if slices.Contains(wholeDataSet, cmd.Name) {
			return nil, false
		}
		bargs := make([][]byte, len(args))
		for i, a := range args {
			bargs[i] = []byte(a)
		}
		keys := cmd.Keys(bargs)
		if len(keys) == 0 {
			return clients[0], true
		}
		slot := store.Slot(keys[0])
		for _, k := range keys[1:] {
			if store.Slot(k) != slot {
				return nil, false
			}
		}
		owner := nodes[0].Cluster().State().Owner(int(slot))
		for i, n := range nodes {
			if n.ClusterNodeID() == owner {
				return clients[i], true
			}
		}
		t.Fatalf("no node owns slot %d", slot)
		return nil, false
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for name := range scripts {
			if !yield(name) {
				return
			}
		}
	})
	ran, left := 0, 0
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			for _, c := range append([]*testutil.Client{redis}, clients...) {
				if _, err := c.Do("FLUSHALL"); err != nil {
					t.Fatal(err)
				}
			}
			for i, line := range strings.Split(scripts[name], "\n") {
				args := words(line)
				if len(args) == 0 {
					continue
				}
				c, ok := route(args)
				if !ok {
					left++
					continue
				}
				if sortPatterns(args) {
					// Refused on a cluster node, as by Redis's: the
					// patterns name keys of any slot.
					got, err := c.Do(args...)
					if err != nil {
						t.Fatal(err)
					}
					if !got.IsError() || !strings.Contains(got.String(), "denied in Cluster mode") {
						t.Errorf("line %d: %q on a cluster node: %v, want SORT's cluster refusal", i, args, got)
					}
					left++
					continue
				}
				ran++
				want, err := redis.Do(args...)
				if err != nil {
					t.Fatal(err)
				}
				got, err := c.Do(args...)
				if err != nil {
					t.Fatal(err)
				}
				if !sameReply(args[0], want, got) {
					t.Errorf("line %d: %q\n  redis:   %v\n  cluster: %v", i, args, want, got)
				}
			}
		})
	}
	t.Log(fmt.Sprintf("%d lines run through the cluster, %d left out", ran, left))
	if ran < 3*left {
		t.Fatalf("only %d lines ran, %d were left out: the scripts no longer test the cluster", ran, left)
	}
}

// sortPatterns reports whether args is a SORT with a GET pattern or a BY
// pattern that names keys, which a cluster node refuses.
func sortPatterns(args []string) bool {
	if !strings.EqualFold(args[0], "sort") && !strings.EqualFold(args[0], "sort_ro") {
		return false
	}
	for i := 2; i+1 < len(args); i++ {
		if strings.EqualFold(args[i], "get") || strings.EqualFold(args[i], "by") && strings.Contains(args[i+1], "*") {
			return true
		}
	}
	return false
}
