package main

import (
	"context"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shinglekv/shingle/internal/testutil"
)

// TestPrimaryKilledReplicaContinues kills (SIGKILL) a primary whose
// replica is in step, and starts it again from its data directory: the
// primary recovers its exact offset under a new history that continues
// the old one, so the replica continues with a partial resync (no full
// sync, on either side), and the writes after the restart reach it. Then
// the primary is killed again, the replica promoted in its place, and the
// old primary, started as the new one's replica, continues with a partial
// resync too.
func TestPrimaryKilledReplicaContinues(t *testing.T) {
	pki := testutil.NewPKI(t, "Shingle Replication CA")
	proc := func(extra ...string) *clusterProc {
		port := freeBasePort(t)
		p := &clusterProc{port: port, args: append([]string{
			"--port", "0", "--tls-port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", t.TempDir(),
			"--tls-replication", "yes",
			"--tls-cert-file", pki.CertFile, "--tls-key-file", pki.KeyFile, "--tls-ca-cert-file", pki.CAFile,
		}, extra...)}
		p.start(t)
		return p
	}
	client := func(p *clusterProc) *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: p.addr(), TLSConfig: pki.ClientTLS(t, true), MaxRetries: -1})
		t.Cleanup(func() { c.Close() })
		return c
	}
	ctx := context.Background()
	info := func(c *redis.Client, field string) string {
		s, err := c.Info(ctx, "replication", "stats").Result()
		if err != nil {
			return ""
		}
		return testutil.InfoFields(s)[field]
	}
	primary := proc()
	replica := proc("--replicaof", "127.0.0.1", strconv.Itoa(primary.port))
	pc, rc := client(primary), client(replica)
	inStep := func(what string) {
		t.Helper()
		testutil.Eventually(t, time.Minute, what, func() bool {
			off := info(pc, "master_repl_offset")
			return info(rc, "master_link_status") == "up" && off != "" && info(rc, "slave_repl_offset") == off
		})
	}
	kill := func(p *clusterProc) {
		t.Helper()
		p.cmd.Process.Kill()
		testutil.Eventually(t, 30*time.Second, "the process to die", func() bool {
			return p.cmd.Process.Signal(syscall.Signal(0)) != nil
		})
	}

	pipe := pc.Pipeline()
	for i := range 2000 {
		pipe.Set(ctx, "k:"+strconv.Itoa(i), i, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	inStep("the replica to be in step")
	oldID := info(pc, "master_replid")

	kill(primary)
	primary.start(t)
	inStep("the replica to follow the restarted primary")
	if got := info(pc, "master_replid2"); got != oldID {
		t.Errorf("master_replid2:%s after the restart, want the history before the kill, %s", got, oldID)
	}
	if full, partial := info(pc, "sync_full"), info(pc, "sync_partial_ok"); full != "0" || partial != "1" {
		t.Errorf("the restarted primary: sync_full:%s sync_partial_ok:%s, want a partial resync only", full, partial)
	}
	if err := pc.Set(ctx, "after", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	inStep("the replica to take a write after the restart")
	if v, err := rc.Get(ctx, "after").Result(); err != nil || v != "v" {
		t.Fatalf("GET after on the replica: %q %v", v, err)
	}
	if n, err := rc.DBSize(ctx).Result(); err != nil || n != 2001 {
		t.Fatalf("DBSIZE %d %v on the replica", n, err)
	}

	// The old primary comes back as the promoted replica's replica.
	kill(primary)
	if err := rc.SlaveOf(ctx, "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	primary.args = append(primary.args, "--replicaof", "127.0.0.1", strconv.Itoa(replica.port))
	primary.start(t)
	pc, rc = rc, pc
	inStep("the old primary to follow the promoted replica")
	if full, partial := info(pc, "sync_full"), info(pc, "sync_partial_ok"); full != "0" || partial != "1" {
		t.Errorf("the promoted replica: sync_full:%s sync_partial_ok:%s, want a partial resync only", full, partial)
	}
	if n, err := rc.DBSize(ctx).Result(); err != nil || n != 2001 {
		t.Fatalf("DBSIZE %d %v on the old primary", n, err)
	}
}
