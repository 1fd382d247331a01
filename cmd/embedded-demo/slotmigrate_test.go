package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/store"
)

// TestClusterMigrateSlotsKill kills (SIGKILL) the source, or the target,
// of CLUSTER MIGRATESLOTS at a point of the migration (at its start, and
// after a random number of the 4000 keys were sent: -count=N runs N times
// as many kill points; SHINGLE_KILL_SEED repeats a run's), and starts it
// again from its data directory: once the cluster is whole, every key is
// on exactly one node, the one whose slots hold it, with its value.
func TestClusterMigrateSlotsKill(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SHINGLE_KILL_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("SHINGLE_KILL_SEED=%q: %v", s, err)
		}
	}
	t.Logf("seed %d (SHINGLE_KILL_SEED=%d repeats the kill points)", seed, seed)
	r := rand.New(rand.NewPCG(seed, 0))
	for _, c := range []struct {
		victim string
		after  int // keys sent before the kill
	}{{"source", 0}, {"target", 0}, {"source", 1 + r.IntN(3999)}, {"target", 1 + r.IntN(3999)}} {
		t.Run(fmt.Sprintf("%s-after-%d", c.victim, c.after), func(t *testing.T) {
			migrateAndKill(t, c.victim, c.after)
		})
	}
}

func migrateAndKill(t *testing.T, victim string, after int) {
	pki := testutil.NewPKI(t, "Shingle Cluster CA")
	procs := startClusterProcs(t, pki, 3)
	args := []string{"--cluster", "create"}
	for _, p := range procs {
		args = append(args, p.addr())
	}
	if out, err := redisCLI(t, pki, append(args, "--cluster-yes")...); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	clusterCheck(t, pki, procs[0].addr())
	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{procs[0].addr()}, TLSConfig: pki.ClientTLS(t, true)})
	defer cc.Close()
	// 4000 keys in slots 0-199, which redis-cli gives the first node.
	var keys []string
	for i := 0; len(keys) < 4000; i++ {
		if k := "mk:" + strconv.Itoa(i); store.Slot([]byte(k)) < 200 {
			keys = append(keys, k)
		}
	}
	pipe := cc.Pipeline()
	for _, k := range keys {
		pipe.Set(ctx, k, "v"+k, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	node := func(p *clusterProc) *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: p.addr(), TLSConfig: pki.ClientTLS(t, true)})
		t.Cleanup(func() { c.Close() })
		return c
	}
	src, dst := procs[0], procs[1]
	target, err := node(dst).ClusterMyID(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := node(src).Do(ctx, "CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "0", "199", "NODE", target).Err(); err != nil {
		t.Fatalf("CLUSTER MIGRATESLOTS: %v", err)
	}
	if after > 0 {
		testutil.Eventually(t, 30*time.Second, "some keys sent", func() bool {
			ms, err := node(src).Do(ctx, "CLUSTER", "GETSLOTMIGRATIONS").Slice()
			if err != nil || len(ms) == 0 {
				return false
			}
			m := fields(ms[0])
			n, _ := m["keys"].(int64)
			return n >= int64(after) || !strings.HasPrefix(fmt.Sprint(m["state"]), "running")
		})
	}
	p := map[string]*clusterProc{"source": src, "target": dst}[victim]
	p.cmd.Process.Kill()
	testutil.Eventually(t, 30*time.Second, "the node to die", func() bool {
		return p.cmd.Process.Signal(syscall.Signal(0)) != nil
	})
	p.start(t)
	clusterCheck(t, pki, procs[2].addr())

	// Every key on exactly one node: the owner of its slot.
	testutil.Eventually(t, time.Minute, "every key on exactly one node", func() bool {
		total := 0
		for _, p := range procs {
			for slot := range 200 {
				n, err := node(p).ClusterCountKeysInSlot(ctx, slot).Result()
				if err != nil {
					return false
				}
				total += int(n)
			}
		}
		return total == len(keys)
	})
	for _, k := range keys {
		if v, err := cc.Get(ctx, k).Result(); err != nil || v != "v"+k {
			t.Fatalf("%s after the kill: %q %v", k, v, err)
		}
	}
}

// fields are the fields of a map reply, RESP3's map or RESP2's array.
func fields(r any) map[string]any {
	out := map[string]any{}
	switch m := r.(type) {
	case map[any]any:
		for k, v := range m {
			out[fmt.Sprint(k)] = v
		}
	case []any:
		for i := 0; i+1 < len(m); i += 2 {
			out[fmt.Sprint(m[i])] = m[i+1]
		}
	}
	return out
}
