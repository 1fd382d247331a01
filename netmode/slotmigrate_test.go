package netmode

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shinglekv/shingle/cluster"
	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/store"
)

// keysInSlots returns n keys whose slots lie in [lo, hi].
func keysInSlots(n, lo, hi int) []string {
	var out []string
	for i := 0; len(out) < n; i++ {
		k := "key:" + strconv.Itoa(i)
		if s := int(store.Slot([]byte(k))); s >= lo && s <= hi {
			out = append(out, k)
		}
	}
	return out
}

// migrationState returns the state CLUSTER GETSLOTMIGRATIONS gives the
// migration of the slot range, as seen by c ("" while there is none).
func migrationState(t *testing.T, c *testutil.Client) string {
	t.Helper()
	r, err := c.Do("CLUSTER", "GETSLOTMIGRATIONS")
	if err != nil {
		t.Fatal(err)
	}
	state := ""
	for _, m := range r.Elems {
		for i := 0; i+1 < len(m.Elems); i += 2 {
			if string(m.Elems[i].Str) == "state" {
				state = string(m.Elems[i+1].Str)
			}
		}
	}
	return state
}

// TestClusterMigrateSlots: CLUSTER MIGRATESLOTS moves a slot range, strings
// and hashes with their expiry times, while clients keep writing to it:
// every node sees the slots move at once, the target holds every key with
// the value last acknowledged, the source none of them, and a client that
// keeps writing to the source is answered OK or MOVED, never ASK or
// TRYAGAIN.
func TestClusterMigrateSlots(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	src, dst := nodes[0], nodes[1]
	const lo, hi = 0, 99
	keys := keysInSlots(3000, lo, hi)
	sc := src.plain(t)
	for i, k := range keys {
		switch i % 5 {
		case 0:
			mustOK(t, sc, "SET", k, "v"+k)
		case 1:
			mustDo(t, sc, "HSET", k, "f", "h"+k, "g", "2")
		case 2:
			mustDo(t, sc, "ZADD", k, "1.5", "z"+k, "-2", "other")
		case 3:
			mustDo(t, sc, "RPUSH", k, "l"+k, "second")
		default:
			mustOK(t, sc, "SET", k, "t"+k, "PX", "3600000")
		}
	}
	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(src.port))}})
	defer cc.Close()

	// Writers during the migration: a cluster client on counters, and a
	// raw client on the source that never follows a redirect.
	counters := keysInSlots(3003, lo, hi)[3000:]
	stop := make(chan struct{})
	var wg sync.WaitGroup
	acked := incrementing(t, cc, counters, stop, &wg)
	raw := src.plain(t)
	rawKey := counters[0]
	redirects := map[string]int{}
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			r, err := raw.Do("GET", rawKey)
			if err != nil {
				t.Errorf("GET on the source: %v", err)
				return
			}
			if r.Kind != command.KindError {
				continue
			}
			if word, _, _ := strings.Cut(string(r.Str), " "); word == "MOVED" || word == "ASK" || word == "TRYAGAIN" {
				redirects[word]++
			}
		}
	})

	mustOK(t, sc, "CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", strconv.Itoa(lo), strconv.Itoa(hi), "NODE", dst.srv.ClusterNodeID())
	eventuallyWithin(t, time.Minute, "the migration to end", func() bool {
		return migrationState(t, sc) != "running" && !strings.HasPrefix(migrationState(t, sc), "running:")
	})
	if got := migrationState(t, sc); got != cluster.MigrationDone {
		t.Fatalf("the migration ended %s", got)
	}
	eventually(t, "the source to count the migration", func() bool {
		info := testutil.InfoFields(str(t, sc, "CLUSTER", "INFO"))
		sent, _ := strconv.Atoi(info["cluster_slot_migration_keys_sent"])
		return info["cluster_slot_migrations_started"] == "1" && info["cluster_slot_migrations_done"] == "1" &&
			sent >= len(keys) // and the counters that existed at the snapshot
	})
	close(stop)
	wg.Wait()
	if redirects["ASK"]+redirects["TRYAGAIN"] > 0 {
		t.Errorf("a client of the source was answered %v", redirects)
	}

	for _, n := range nodes {
		eventually(t, "every node to move the slots", func() bool {
			st := n.srv.cluster.State()
			for slot := lo; slot <= hi; slot++ {
				if st.Owner(slot) != dst.srv.ClusterNodeID() {
					return false
				}
			}
			return true
		})
	}
	dc := dst.plain(t)
	for i, k := range keys {
		var want, got string
		switch i % 5 {
		case 0:
			want, got = "v"+k, str(t, dc, "GET", k)
		case 1:
			want, got = "h"+k, str(t, dc, "HGET", k, "f")
		case 2:
			want, got = "1.5", str(t, dc, "ZSCORE", k, "z"+k)
		case 3:
			want, got = "l"+k, str(t, dc, "LINDEX", k, "0")
		default:
			want, got = "t"+k, str(t, dc, "GET", k)
			if ttl := intReply(t, dc, "PTTL", k); ttl <= 0 || ttl > 3600000 {
				t.Fatalf("%s: PTTL %d on the target", k, ttl)
			}
		}
		if got != want {
			t.Fatalf("%s on the target: %s, want %s", k, got, want)
		}
	}
	for i, k := range counters {
		if v, _ := strconv.ParseInt(str(t, dc, "GET", k), 10, 64); v < acked[i] {
			t.Fatalf("%s: the target holds %d, %d was acknowledged", k, v, acked[i])
		}
	}
	eventually(t, "the source to delete the moved keys", func() bool {
		for slot := lo; slot <= hi; slot++ {
			if intReply(t, sc, "CLUSTER", "COUNTKEYSINSLOT", strconv.Itoa(slot)) != 0 {
				return false
			}
		}
		return true
	})
	if got := str(t, sc, "GET", keys[0]); !strings.HasPrefix(got, "MOVED "+strconv.Itoa(int(store.Slot([]byte(keys[0]))))) {
		t.Fatalf("GET on the source after the migration: %s", got)
	}
	if v, err := cc.Get(ctx, keys[0]).Result(); err != nil || v != "v"+keys[0] {
		t.Fatalf("the cluster client after the migration: %q %v", v, err)
	}
}

// intReply runs a command whose reply is an integer.
func intReply(t *testing.T, c *testutil.Client, args ...string) int64 {
	t.Helper()
	r, err := c.Do(args...)
	if err != nil || r.Kind != command.KindInt {
		t.Fatalf("%q: %v %v", args, r, err)
	}
	return r.Int
}

// TestClusterMigrateSlotsCrash: the source, or the target, stops at a
// random point of a migration (its store closed under it) and starts
// again from its data directory: afterwards every key is on exactly one
// node, the one that owns its slot.
func TestClusterMigrateSlotsCrash(t *testing.T) {
	for _, crash := range []string{"target", "source"} {
		for round := range 3 {
			t.Run(fmt.Sprintf("%s/%d", crash, round), func(t *testing.T) {
				migrateAndCrash(t, crash, round)
			})
		}
	}
}

func migrateAndCrash(t *testing.T, crash string, round int) {
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	next := 0
	nodes := startCluster(t, 3, func(c *Config) { c.Dir = dirs[next]; next++ })
	src, dst := nodes[0], nodes[1]
	const lo, hi = 0, 999
	keys := keysInSlots(20000, lo, hi)
	for i := 0; i < len(keys); i += 1000 {
		var kv [][]byte
		for _, k := range keys[i:min(i+1000, len(keys))] {
			kv = append(kv, []byte(k), []byte("v"+k))
		}
		if err := src.db.MSet(kv...); err != nil {
			t.Fatal(err)
		}
	}
	sc := src.plain(t)
	mustOK(t, sc, "CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", strconv.Itoa(lo), strconv.Itoa(hi), "NODE", dst.srv.ClusterNodeID())
	// Stop after a share of the keys went (round 0: at once; the last
	// round may come after the switch).
	victim := map[string]*clusterNode{"source": src, "target": dst}[crash]
	share := uint64(round * len(keys) / 2)
	eventually(t, "the migration to move some keys", func() bool {
		j := src.srv.slotJob(src.srv.cluster.State().Migrations()[0].ID)
		return j == nil || j.keys.Load() >= share
	})
	cfg := victim.srv.Config()
	victim.srv.Close()
	victim.db.Close()
	back := startClusterNode(t, victim.pki, func(c *Config) {
		c.Dir, c.Port, c.TLSPort, c.Cluster.Port = cfg.Dir, cfg.Port, cfg.TLSPort, cfg.Cluster.Port
	})
	if crash == "source" {
		nodes[0], src = back, back
	} else {
		nodes[1], dst = back, back
	}
	eventuallyWithin(t, time.Minute, "the migration to end", func() bool {
		st := src.srv.cluster.State()
		return len(st.Migrations()) == 1 && st.Migrations()[0].State != cluster.MigrationRunning
	})
	m := src.srv.cluster.State().Migrations()[0]
	owner := map[string]*clusterNode{src.srv.ClusterNodeID(): src, dst.srv.ClusterNodeID(): dst}
	eventuallyWithin(t, time.Minute, "every key on exactly the node that owns it", func() bool {
		for _, k := range keys {
			holders := 0
			for _, n := range nodes {
				if x, err := n.db.Exists([]byte(k)); err == nil && x > 0 {
					holders++
				}
			}
			o := owner[nodes[2].srv.cluster.State().Owner(int(store.Slot([]byte(k))))] // the node never stopped
			if holders != 1 || o == nil {
				return false
			}
			if v, err := o.db.Get([]byte(k)); err != nil || string(v) != "v"+k {
				return false
			}
		}
		return true
	})
	t.Logf("%s stopped after %d keys sent: the migration ended %s (%s)", crash, share, m.State, m.Message)
}

// TestClusterMigrateSlotsLarge moves 64 MB (16,384 values of 4 KiB in
// slots 0-999) while a cluster client writes to other keys of those
// slots: the content of every key, read through the cluster before and
// after, is the same, and the writes acknowledged are all there.
func TestClusterMigrateSlotsLarge(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	src, dst := nodes[0], nodes[1]
	const lo, hi = 0, 999
	keys := keysInSlots(16384+4, lo, hi)
	keys, counters := keys[:16384], keys[16384:]
	value := strings.Repeat("x", 4096-8)
	for i := 0; i < len(keys); i += 512 {
		var kv [][]byte
		for j, k := range keys[i:min(i+512, len(keys))] {
			kv = append(kv, []byte(k), fmt.Appendf(nil, "%08d%s", i+j, value))
		}
		if err := src.db.MSet(kv...); err != nil {
			t.Fatal(err)
		}
	}
	before, err := src.db.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(src.port))}})
	defer cc.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	acked := incrementing(t, cc, counters, stop, &wg)
	sc := src.plain(t)
	start := time.Now()
	mustOK(t, sc, "CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", strconv.Itoa(lo), strconv.Itoa(hi), "NODE", dst.srv.ClusterNodeID())
	eventuallyWithin(t, 5*time.Minute, "the migration to end", func() bool {
		return !strings.HasPrefix(migrationState(t, sc), "running")
	})
	took := time.Since(start)
	close(stop)
	wg.Wait()
	if got := migrationState(t, sc); got != cluster.MigrationDone {
		t.Fatalf("the migration ended %s", got)
	}
	t.Logf("64 MB moved in %v", took)
	// Without the counters, the target holds what the source held.
	for i, k := range counters {
		v, err := cc.Get(ctx, k).Int64()
		if err != nil || v < acked[i] {
			t.Fatalf("%s: %d %v, %d acknowledged", k, v, err, acked[i])
		}
		if _, err := dst.db.Del([]byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	if after, err := dst.db.Digest(); err != nil || after != before {
		t.Fatalf("the target's digest %s %v, the source's before %s", after, err, before)
	}
}

// incrementing starts a client per counter that increments it through
// cc until stop is closed, each noting in its entry of the slice returned
// the value its last INCR answered (read it after wg.Wait).
func incrementing(t *testing.T, cc *redis.ClusterClient, counters []string, stop chan struct{}, wg *sync.WaitGroup) []int64 {
	acked := make([]int64, len(counters))
	for i, k := range counters {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				v, err := cc.Incr(context.Background(), k).Result()
				if err != nil {
					t.Errorf("INCR %s: %v", k, err)
					return
				}
				acked[i] = v
			}
		})
	}
	return acked
}

// TestClusterCancelSlotMigrations: CLUSTER CANCELSLOTMIGRATIONS on the
// source ends a running migration cancelled: the slots stay, the target
// drops what it received; and MIGRATESLOTS refuses what it cannot do.
func TestClusterCancelSlotMigrations(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	src, dst := nodes[0], nodes[1]
	sc := src.plain(t)
	dstID := dst.srv.ClusterNodeID()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"SLOTSRANGE", "0", "10"}, "ERR wrong number of arguments for 'cluster|migrateslots' command"},
		{[]string{"SLOTSRANGE", "0", "10", "NODES", dstID}, "ERR Invalid or out of range slot"},
		{[]string{"SLOTSRANGE", "10", "0", "NODE", dstID}, "ERR Invalid or out of range slot"},
		{[]string{"SLOTSRANGE", "0", "16384", "NODE", dstID}, "ERR Invalid or out of range slot"},
		{[]string{"SLOTSRANGE", "0", "6000", "NODE", dstID}, "ERR I'm not the owner of hash slot 5461"},
		{[]string{"SLOTSRANGE", "0", "10", "NODE", src.srv.ClusterNodeID()}, "ERR Can't migrate slots to myself"},
		{[]string{"NODE", dstID, "SLOTSRANGE", "0", "10"}, "ERR syntax error"},
	} {
		if got := str(t, sc, append([]string{"CLUSTER", "MIGRATESLOTS"}, c.args...)...); got != c.want {
			t.Errorf("MIGRATESLOTS %q: %s, want %s", c.args, got, c.want)
		}
	}
	keys := keysInSlots(20000, 0, 999)
	for i := 0; i < len(keys); i += 1000 {
		var kv [][]byte
		for _, k := range keys[i : i+1000] {
			kv = append(kv, []byte(k), []byte("v"))
		}
		if err := src.db.MSet(kv...); err != nil {
			t.Fatal(err)
		}
	}
	mustOK(t, sc, "CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "0", "999", "NODE", dstID)
	mustOK(t, sc, "CLUSTER", "CANCELSLOTMIGRATIONS")
	if got := migrationState(t, sc); got != cluster.MigrationDone && got != cluster.MigrationCancelled {
		t.Fatalf("after CANCELSLOTMIGRATIONS: %s", got)
	}
	if migrationState(t, sc) == cluster.MigrationDone {
		t.Log("the migration of 20,000 keys ended before the cancel reached it: nothing to check")
		return
	}
	if got := src.srv.cluster.State().Owner(0); got != src.srv.ClusterNodeID() {
		t.Fatalf("slot 0 moved to %s", got)
	}
	eventually(t, "the target to drop what it received", func() bool {
		for slot := range 1000 {
			if n, _ := dst.db.CountKeysInSlot(uint16(slot)); n != 0 {
				return false
			}
		}
		return true
	})
	for slot := range 1000 {
		if n, _ := src.db.CountKeysInSlot(uint16(slot)); n == 0 && slot < 5 {
			t.Fatalf("the source lost slot %d's keys", slot)
		}
	}
	if n, _ := src.db.DBSize(); n != int64(len(keys)) {
		t.Fatalf("the source holds %d keys, had %d", n, len(keys))
	}
}
