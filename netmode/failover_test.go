package netmode

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/testutil"
)

// announceTCP makes n announce its TCP port to the primaries it follows
// from now on (replica-announce-port), as a FAILOVER target must: the
// test nodes listen on port 0, which is not announced.
func (n *node) announceTCP() {
	n.t.Helper()
	mustOK(n.t, n.client(), "CONFIG", "SET", "replica-announce-port", portOf(n.t, n.tcp))
}

// failoverDone waits until old follows primary, which is a primary, both
// with no failover under way.
func failoverDone(t *testing.T, old, primary *node) {
	t.Helper()
	eventuallyWithin(t, time.Minute, "the failover to complete", func() bool {
		return old.info("role") == "slave" && old.info("master_port") == portOf(t, primary.tcp) &&
			old.info("master_link_status") == "up" && old.info("master_failover_state") == "no-failover" &&
			primary.info("role") == "master" && primary.info("master_failover_state") == "no-failover"
	})
}

func statsField(t *testing.T, n *node, field string) string {
	t.Helper()
	r, err := n.client().Do("INFO", "stats")
	if err != nil {
		t.Fatal(err)
	}
	return testutil.InfoFields(string(r.Str))[field]
}

// TestFailover: FAILOVER TO a replica hands the primary role over with a
// partial resync both ways: the replica becomes a primary continuing the
// same history, the old primary follows it, a write sent after FAILOVER's
// OK is held and then refused with READONLY, and nothing written before is
// lost. FAILOVER with no target then hands it back to the first replica
// caught up.
func TestFailover(t *testing.T) {
	p := testutil.NewPKI(t, "failover")
	a, b := startNode(t, p, nil), startNode(t, p, nil)
	a.announceTCP()
	b.announceTCP()
	b.replicaOf(a.tcp)
	fill(t, a.db, "before:", 2000)
	waitInSync(t, a, b)

	ac := a.client()
	if got := str(t, ac, "FAILOVER", "TO", "127.0.0.1", "1"); got != "ERR FAILOVER target HOST and PORT is not a replica." {
		t.Fatalf("FAILOVER TO a host that is not a replica: %s", got)
	}
	mustOK(t, ac, "FAILOVER", "TO", "127.0.0.1", portOf(t, b.tcp))
	// Sent after the OK: held while the replica catches up, then refused
	// by the replica a has become.
	if got := str(t, a.client(), "SET", "during", "failover"); !strings.HasPrefix(got, "READONLY") {
		t.Errorf("a write sent after FAILOVER's OK: %s, want READONLY", got)
	}
	failoverDone(t, a, b)
	if got := statsField(t, b, "sync_partial_ok"); got != "1" {
		t.Errorf("the new primary's sync_partial_ok = %s, want 1: the old primary continued its history", got)
	}
	if got := statsField(t, b, "sync_full"); got != "0" {
		t.Errorf("the new primary's sync_full = %s, want 0", got)
	}
	mustOK(t, b.client(), "SET", "after", "failover")
	waitInSync(t, b, a)
	if got := str(t, a.client(), "GET", "after"); got != "failover" {
		t.Errorf("the old primary has GET after = %s", got)
	}
	if got := str(t, a.client(), "EXISTS", "during"); got != "(integer) 0" {
		t.Errorf("the write refused during the failover exists: %s", got)
	}

	// Back, to whichever replica is caught up first, within a timeout.
	mustOK(t, b.client(), "FAILOVER", "TIMEOUT", "60000")
	failoverDone(t, b, a)
	fill(t, a.db, "back:", 100)
	waitInSync(t, a, b)
}

// fakeReplica connects to n as a replica that announces port and never
// acknowledges anything, and waits until n counts it online.
func fakeReplica(t *testing.T, n *node, port int) {
	t.Helper()
	c, err := net.Dial("tcp", n.tcp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// The replies are never read: the full sync is small enough for the
	// socket's buffers.
	if _, err := c.Write([]byte("REPLCONF listening-port " + strconv.Itoa(port) + "\r\nPSYNC ? -1\r\n")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the fake replica to be online", func() bool {
		return strings.Contains(n.info("slave0"), "state=online")
	})
}

// TestFailoverAbort: a failover whose replica never catches up holds
// writes until FAILOVER ABORT or its TIMEOUT, after which the primary
// takes them again; FORCE fails over at the timeout to a target that
// cannot be reached, and the primary takes its role back. FAILOVER,
// REPLICAOF and a second FAILOVER are refused meanwhile.
func TestFailoverAbort(t *testing.T) {
	a := startNode(t, testutil.NewPKI(t, "failover abort"), nil)
	c := a.client()
	if got := str(t, c, "FAILOVER"); got != "ERR FAILOVER requires connected replicas." {
		t.Fatalf("FAILOVER with no replica: %s", got)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a replica's port where no one answers PSYNC
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	deadPort := ln.Addr().(*net.TCPAddr).Port
	fakeReplica(t, a, deadPort)
	mustOK(t, c, "SET", "k", "before")

	mustOK(t, c, "FAILOVER")
	if got := a.info("master_failover_state"); got != "waiting-for-sync" {
		t.Errorf("master_failover_state = %s, want waiting-for-sync", got)
	}
	for _, cmd := range [][]string{{"FAILOVER"}, {"REPLICAOF", "127.0.0.1", "1"}} {
		if got := str(t, c, cmd...); !strings.Contains(got, "failing over") && !strings.Contains(got, "already in progress") {
			t.Errorf("%q during a failover: %s", cmd, got)
		}
	}
	held, writer := make(chan string, 1), a.client()
	go func() {
		r, err := writer.Do("SET", "k", "held")
		if err != nil {
			held <- err.Error()
			return
		}
		held <- string(r.Str)
	}()
	mustOK(t, c, "FAILOVER", "ABORT")
	if got := <-held; got != "OK" {
		t.Errorf("the write held by the failover, after FAILOVER ABORT: %s", got)
	}
	if got := str(t, c, "FAILOVER", "ABORT"); got != "ERR No failover in progress." {
		t.Errorf("FAILOVER ABORT with none: %s", got)
	}

	// A timeout past any clock is none, rather than one already over.
	mustOK(t, c, "FAILOVER", "TIMEOUT", "9223372036854775807")
	if got := a.info("master_failover_state"); got != "waiting-for-sync" {
		t.Errorf("master_failover_state under the longest TIMEOUT = %s, want waiting-for-sync", got)
	}
	mustOK(t, c, "FAILOVER", "ABORT")

	mustOK(t, c, "FAILOVER", "TIMEOUT", "50")
	eventually(t, "the failover to time out", func() bool { return a.info("master_failover_state") == "no-failover" })
	if got := a.info("role"); got != "master" {
		t.Errorf("role after a failover that timed out: %s", got)
	}

	mustOK(t, c, "FAILOVER", "TO", "127.0.0.1", strconv.Itoa(deadPort), "TIMEOUT", "50", "FORCE")
	eventually(t, "the forced failover to end", func() bool {
		return a.info("master_failover_state") == "no-failover" && a.info("role") == "master"
	})
	mustOK(t, c, "SET", "k", "after")
	if got := str(t, c, "GET", "k"); got != "after" {
		t.Errorf("GET k after the failovers: %s", got)
	}
}

// TestFailoverErrors: FAILOVER's argument and state errors, beside
// redis-server's, on a primary with no replica.
func TestFailoverErrors(t *testing.T) {
	rc := testutil.StartRedis(t).Dial(t)
	sc := startServer(t, nil).raw(t)
	var cmds [][]string
	for _, line := range []string{
		"FAILOVER", "FAILOVER ABORT", "FAILOVER ABORT x", "FAILOVER TIMEOUT 0", "FAILOVER TIMEOUT -5",
		"FAILOVER TIMEOUT x", "FAILOVER TIMEOUT 9223372036854775808", "FAILOVER TIMEOUT 10 TIMEOUT 10",
		"FAILOVER TO", "FAILOVER TO h", "FAILOVER TO h x", "FAILOVER TO h 1 TO h 2", "FAILOVER FORCE",
		"FAILOVER FORCE FORCE", "FAILOVER TO h 1 FORCE", "FAILOVER TIMEOUT 5 FORCE", "FAILOVER BOGUS",
		"FAILOVER TIMEOUT", "REPLICAOF NO ONE",
	} {
		cmds = append(cmds, strings.Fields(line))
	}
	sameAsRedis(t, rc, sc, cmds, nil)
	mustOK(t, sc, "MULTI")
	str(t, sc, "FAILOVER")
	if got := mustDo(t, sc, "EXEC"); !strings.Contains(got, "not allowed inside a transaction") {
		t.Errorf("FAILOVER inside EXEC: %s", got)
	}
}

// TestFailoverWithRedis: FAILOVER between Shingle and a stock
// redis-server, both ways. redis-server hands its primary role to a
// Shingle replica (PSYNC ... FAILOVER, which Shingle answers by taking
// over), then Shingle hands it back; each time the old primary continues
// with a partial resync and the data follows.
func TestFailoverWithRedis(t *testing.T) {
	testutil.RequireTool(t, "redis-server")
	rport := testutil.FreePort(t)
	r := testutil.StartRedis(t, "--bind", "127.0.0.1", "--port", strconv.Itoa(rport), "--repl-diskless-sync-delay", "0")
	rc := r.Dial(t)
	raddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(rport))
	redisStats := func(field string) string {
		t.Helper()
		reply, err := rc.Do("INFO", "stats")
		if err != nil {
			t.Fatal(err)
		}
		return testutil.InfoFields(string(reply.Str))[field]
	}
	for i := range 500 {
		mustOK(t, rc, "SET", "r:"+strconv.Itoa(i), strconv.Itoa(i))
	}
	s := startNode(t, testutil.NewPKI(t, "failover interop"), nil)
	s.announceTCP()
	s.replicaOf(raddr)
	eventuallyWithin(t, time.Minute, "Shingle to follow redis-server", func() bool {
		return s.info("master_link_status") == "up" && s.info("master_repl_offset") == redisInfo(t, rc, "master_repl_offset")
	})

	mustOK(t, rc, "FAILOVER", "TO", "127.0.0.1", portOf(t, s.tcp))
	eventuallyWithin(t, time.Minute, "redis-server to follow Shingle", func() bool {
		return redisInfo(t, rc, "role") == "slave" && redisInfo(t, rc, "master_link_status") == "up" &&
			redisInfo(t, rc, "master_failover_state") == "no-failover" && s.info("role") == "master"
	})
	if got := statsField(t, s, "sync_partial_ok"); got != "1" {
		t.Errorf("Shingle's sync_partial_ok = %s after redis-server's failover to it, want 1", got)
	}
	mustOK(t, s.client(), "SET", "from", "shingle")
	eventually(t, "redis-server to get Shingle's write", func() bool { return str(t, rc, "GET", "from") == "shingle" })

	sc := s.client()
	mustOK(t, sc, "FAILOVER")
	eventuallyWithin(t, time.Minute, "Shingle to follow redis-server again", func() bool {
		return s.info("role") == "slave" && s.info("master_port") == strconv.Itoa(rport) &&
			s.info("master_link_status") == "up" && s.info("master_failover_state") == "no-failover" &&
			redisInfo(t, rc, "role") == "master"
	})
	if got := redisStats("sync_partial_ok"); got != "1" {
		t.Errorf("redis-server's sync_partial_ok = %s after Shingle's failover to it, want 1", got)
	}
	mustOK(t, rc, "SET", "from", "redis")
	eventually(t, "Shingle to get redis-server's write", func() bool { return str(t, s.client(), "GET", "from") == "redis" })
	if got := str(t, s.client(), "GET", "r:499"); got != "499" {
		t.Errorf("GET r:499 on Shingle after both failovers: %s", got)
	}
}
