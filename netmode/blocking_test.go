package netmode

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/tlsconn"
)

// blockedClients reads INFO clients' blocked_clients.
func blockedClients(t *testing.T, ts *testServer) int {
	t.Helper()
	r, err := ts.raw(t).Do("INFO", "clients")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(testutil.InfoFields(string(r.Str))["blocked_clients"])
	return n
}

// blpop starts BLPOP key 0 on c and returns where its result arrives.
func blpop(c *redis.Client, key string) <-chan []string {
	out := make(chan []string, 1)
	go func() {
		r, err := c.BLPop(context.Background(), 0, key).Result()
		if err != nil {
			r = []string{"error", err.Error()}
		}
		out <- r
	}()
	return out
}

func wantPopped(t *testing.T, what string, got <-chan []string, key, val string) {
	t.Helper()
	select {
	case r := <-got:
		if len(r) != 2 || r[0] != key || r[1] != val {
			t.Fatalf("%s: BLPOP answered %q, want [%s %s]", what, r, key, val)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: BLPOP still blocked", what)
	}
}

// TestBlockedClientsWoken: clients blocked on TLS, QUIC and a unix socket
// are woken by a push over TCP, by an embedded caller and by a replicated
// push (on a replica with replica-read-only no), in the order they
// blocked.
func TestBlockedClientsWoken(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	quicAddr := ts.listen(t, tlsconn.QUIC, "127.0.0.1:0")
	d := &tlsconn.Dialer{Transport: tlsconn.QUIC, TLSConfig: ts.ClientTLS(t, true)}
	t.Cleanup(func() { d.Close() })
	tcp := goRedis(t, "tcp", ts.tcp, nil, 2)

	overTLS := blpop(goRedis(t, "tcp", ts.tls, ts.ClientTLS(t, true), 2), "q:tls")
	eventually(t, "the TLS client to block", func() bool { return blockedClients(t, ts) == 1 })
	if err := tcp.RPush(ctx, "q:tls", "a").Err(); err != nil {
		t.Fatal(err)
	}
	wantPopped(t, "TLS client, TCP push", overTLS, "q:tls", "a")

	overQUIC := blpop(quicClient(t, d, quicAddr, 3), "q:quic")
	eventually(t, "the QUIC client to block", func() bool { return blockedClients(t, ts) == 1 })
	if _, err := ts.db.Push([]byte("q:quic"), false, false, []byte("b")); err != nil {
		t.Fatal(err)
	}
	wantPopped(t, "QUIC client, embedded push", overQUIC, "q:quic", "b")

	// Two clients on one key are served in the order they blocked.
	unix1 := blpop(goRedis(t, "unix", ts.unixPath, nil, 2), "q:fifo")
	eventually(t, "the first unix client to block", func() bool { return blockedClients(t, ts) == 1 })
	unix2 := blpop(goRedis(t, "unix", ts.unixPath, nil, 2), "q:fifo")
	eventually(t, "the second unix client to block", func() bool { return blockedClients(t, ts) == 2 })
	if err := tcp.RPush(ctx, "q:fifo", "first").Err(); err != nil {
		t.Fatal(err)
	}
	wantPopped(t, "first blocked", unix1, "q:fifo", "first")
	if err := tcp.RPush(ctx, "q:fifo", "second").Err(); err != nil {
		t.Fatal(err)
	}
	wantPopped(t, "second blocked", unix2, "q:fifo", "second")

	// A replica with replica-read-only no wakes its own blocked clients
	// when its primary's stream pushes.
	replica := startServer(t, func(c *Config) {
		_, port, _ := net.SplitHostPort(ts.tcp)
		c.ReplicaOf = "127.0.0.1 " + port
		c.ReplicaReadOnly = false
	})
	eventually(t, "the replica to sync", func() bool {
		r, err := replica.raw(t).Do("INFO", "replication")
		return err == nil && testutil.InfoFields(string(r.Str))["master_link_status"] == "up"
	})
	onReplica := blpop(goRedis(t, "tcp", replica.tcp, nil, 2), "q:repl")
	eventually(t, "the replica's client to block", func() bool { return blockedClients(t, replica) == 1 })
	if err := tcp.RPush(ctx, "q:repl", "c").Err(); err != nil {
		t.Fatal(err)
	}
	wantPopped(t, "replica's client, replicated push", onReplica, "q:repl", "c")
}

// TestBlockingCommands: the other blocking commands wake, time out, and
// answer at once inside MULTI; a blocked client that disconnects leaves
// no trace and takes nothing.
func TestBlockingCommands(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	tcp := goRedis(t, "tcp", ts.tcp, nil, 3)

	moved := make(chan string, 1)
	go func() {
		v, err := goRedis(t, "tcp", ts.tcp, nil, 2).BLMove(ctx, "src", "dst", "LEFT", "RIGHT", 0).Result()
		if err != nil {
			v = "error: " + err.Error()
		}
		moved <- v
	}()
	eventually(t, "BLMOVE to block", func() bool { return blockedClients(t, ts) == 1 })
	tcp.RPush(ctx, "src", "x")
	if v := <-moved; v != "x" {
		t.Fatalf("BLMOVE answered %q", v)
	}
	if v, _ := tcp.LRange(ctx, "dst", 0, -1).Result(); len(v) != 1 || v[0] != "x" {
		t.Fatalf("dst after BLMOVE: %q", v)
	}

	zpopped := make(chan string, 1)
	go func() {
		r, err := goRedis(t, "tcp", ts.tcp, nil, 2).BZPopMin(ctx, 0, "z1", "z2").Result()
		if err != nil {
			zpopped <- "error: " + err.Error()
			return
		}
		zpopped <- r.Key + " " + r.Member.(string) + " " + strconv.FormatFloat(r.Score, 'g', -1, 64)
	}()
	eventually(t, "BZPOPMIN to block", func() bool { return blockedClients(t, ts) == 1 })
	tcp.ZAdd(ctx, "z2", redis.Z{Score: 2.5, Member: "m"}, redis.Z{Score: 1, Member: "n"})
	if v := <-zpopped; v != "z2 n 1" {
		t.Fatalf("BZPOPMIN answered %q", v)
	}

	start := time.Now()
	raw := ts.raw(t)
	if r := mustDo(t, raw, "BLPOP", "nokey", "0.2"); r != "(nil)" {
		t.Fatalf("BLPOP that timed out: %s", r)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("BLPOP with a 0.2 s timeout answered after %v", d)
	}
	mustDo(t, raw, "MULTI")
	mustDo(t, raw, "BLPOP", "nokey", "0")
	if r := mustDo(t, raw, "EXEC"); r != "[(nil)]" {
		t.Fatalf("BLPOP inside MULTI: %s", r)
	}

	// A client that disconnects while blocked.
	gone, err := net.Dial("tcp", ts.tcp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gone.Write([]byte("*3\r\n$5\r\nBLPOP\r\n$6\r\nq:gone\r\n$1\r\n0\r\n")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the client to block", func() bool { return blockedClients(t, ts) == 1 })
	gone.Close()
	eventually(t, "the client to leave", func() bool { return blockedClients(t, ts) == 0 })
	tcp.RPush(ctx, "q:gone", "kept")
	if n, _ := tcp.LLen(ctx, "q:gone").Result(); n != 1 {
		t.Fatalf("LLEN after the blocked client left: %d, want 1", n)
	}
	if r := mustDo(t, raw, "PING"); r != `"PONG"` {
		t.Fatalf("PING after all that: %s", r)
	}
}
