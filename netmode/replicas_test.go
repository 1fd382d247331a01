package netmode

import (
	"bufio"
	"cmp"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/replication"
	"github.com/shinglekv/shingle/store"
	"github.com/shinglekv/shingle/tlsconn"
)

// node is a server on an on-disk store in dir, listening on 127.0.0.1:0
// over TCP, TLS and QUIC, that a test can stop and start again.
type node struct {
	t              *testing.T
	p              *testutil.PKI
	dir            string
	mod            func(*Config)
	db             *store.DB
	srv            *Server
	tcp, tls, quic string
	infoc          *testutil.Client // for info, opened on first use
}

// startNode starts a node with p's certificates (its CA verifies peers and
// its client pair is what the node presents as a replica); mod adjusts the
// configuration.
func startNode(t *testing.T, p *testutil.PKI, mod func(*Config)) *node {
	n := &node{t: t, p: p, dir: t.TempDir(), mod: mod}
	n.start()
	t.Cleanup(n.stop)
	return n
}

func (n *node) start() {
	t := n.t
	t.Helper()
	db, err := store.Open(n.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Port = 0
	cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.CACertFile = n.p.CertFile, n.p.KeyFile, n.p.CAFile
	cfg.TLS.ClientCertFile, cfg.TLS.ClientKeyFile = n.p.ClientCertFile, n.p.ClientKeyFile
	if n.mod != nil {
		n.mod(cfg)
	}
	srv, err := New(db, cfg)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	n.db, n.srv = db, srv
	tcp := cmp.Or(n.tcp, "127.0.0.1:0") // a restarted node keeps its TCP address
	for _, l := range []struct {
		transport string
		addr      *string
		at        string
	}{{tlsconn.TCP, &n.tcp, tcp}, {tlsconn.TLS, &n.tls, "127.0.0.1:0"}, {tlsconn.QUIC, &n.quic, "127.0.0.1:0"}} {
		ln, err := srv.Listen(l.transport, l.at)
		if err != nil {
			t.Fatal(err)
		}
		*l.addr = ln.Addr().String()
	}
}

// stop closes the server and the store; stopping twice is safe.
func (n *node) stop() {
	if n.srv != nil {
		n.srv.Close()
		n.db.Close()
		n.srv, n.db, n.infoc = nil, nil, nil
	}
}

func (n *node) client() *testutil.Client {
	n.t.Helper()
	return testutil.MustDial(n.t, "tcp", n.tcp)
}

// info returns one field of INFO replication or persistence, or "".
func (n *node) info(field string) string {
	if n.infoc == nil {
		n.infoc = n.client()
	}
	r, err := n.infoc.Do("INFO", "replication", "persistence")
	if err != nil {
		return ""
	}
	return testutil.InfoFields(string(r.Str))[field]
}

func (n *node) digest() string {
	d, err := n.db.Digest()
	if err != nil {
		n.t.Fatal(err)
	}
	return d
}

// replicaOf makes n follow primary at addr with REPLICAOF.
func (n *node) replicaOf(addr string) {
	n.t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	if r := mustDo(n.t, n.client(), "REPLICAOF", host, port); !strings.HasPrefix(r, `"OK`) {
		n.t.Fatalf("REPLICAOF: %s", r)
	}
}

// waitInSync waits until replica's link is up and it has applied all of
// primary's stream, then checks that their data is the same.
func waitInSync(t *testing.T, primary, replica *node) {
	t.Helper()
	eventuallyWithin(t, time.Minute, "the replica to catch up", func() bool {
		return replica.info("master_link_status") == "up" &&
			replica.info("master_repl_offset") == primary.info("master_repl_offset")
	})
	if p, r := primary.digest(), replica.digest(); p != r {
		t.Fatalf("at the same offset the primary's digest is %s, the replica's %s", p, r)
	}
}

// fill writes n keys of every stored type, a third of them with a TTL,
// in transactions of 1000 keys.
func fill(t *testing.T, db *store.DB, prefix string, n int) {
	t.Helper()
	for base := 0; base < n; base += 1000 {
		err := db.Update(func(tx *store.Tx) error {
			for i := base; i < min(base+1000, n); i++ {
				k := []byte(prefix + strconv.Itoa(i))
				if i%2 == 0 {
					tx.Set(k, []byte(strconv.Itoa(i)))
				} else {
					tx.HSet(k, []byte("f"), []byte("v"), []byte("n"), []byte(strconv.Itoa(i)))
				}
				if i%3 == 0 {
					tx.Expire(k, time.Hour, store.ExpireAlways)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// writeWhile writes keys to c until stop is closed, counting them in n.
func writeWhile(t *testing.T, c *testutil.Client, prefix string, n *atomic.Int64, stop <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.Do("SET", prefix+strconv.Itoa(int(n.Load())), "x"); err != nil {
				t.Error(err)
				return
			}
			n.Add(1)
		}
	}()
	return done
}

// TestReplicaFullSyncAndRestart: a Shingle replica full-syncs 100k keys of
// every stored type with TTLs while writes go on, follows the stream, is
// read-only, counts for WAIT, and, restarted with its data, continues with
// +CONTINUE instead of a second full sync.
func TestReplicaFullSyncAndRestart(t *testing.T) {
	checkFullSyncAndRestart(t, "tcp", 100_000)
}

// TestReplicaTransports runs the same over mutual TLS (tls-replication)
// and over QUIC (repl-transport quic), with fewer keys.
func TestReplicaTransports(t *testing.T) {
	for _, transport := range []string{"tls", "quic"} {
		t.Run(transport, func(t *testing.T) { checkFullSyncAndRestart(t, transport, 20_000) })
	}
}

func checkFullSyncAndRestart(t *testing.T, transport string, keys int) {
	p := testutil.NewPKI(t, "Replication Test CA")
	primary := startNode(t, p, nil)
	fill(t, primary.db, "k:", keys)
	onTransport := func(cfg *Config) {
		cfg.TLS.Replication = transport != "tcp"
		if transport == "quic" {
			cfg.ReplTransport = "quic"
		}
	}
	addr := map[string]string{"tcp": primary.tcp, "tls": primary.tls, "quic": primary.quic}[transport]
	replica := startNode(t, p, onTransport)

	// Writes go on through the full sync: some land between its start
	// and the link coming up, after the snapshot was taken.
	var written atomic.Int64
	stop := make(chan struct{})
	writer := writeWhile(t, primary.client(), "during:", &written, stop)
	replica.replicaOf(addr)
	eventuallyWithin(t, time.Minute, "the full sync to start", func() bool { return replica.info("master_sync_in_progress") == "1" })
	atStart := written.Load()
	eventuallyWithin(t, time.Minute, "the link to come up", func() bool { return replica.info("master_link_status") == "up" })
	atUp := written.Load()
	close(stop)
	<-writer
	if atUp <= atStart {
		t.Fatalf("no write landed during the full sync (%d before it, %d when the link came up)", atStart, atUp)
	}
	waitInSync(t, primary, replica)

	c := replica.client()
	if r := mustDo(t, c, "SET", "x", "1"); !strings.Contains(r, "READONLY You can't write against a read only replica.") {
		t.Fatalf("a write on the replica: %s", r)
	}
	if r := mustDo(t, c, "ROLE"); !strings.HasPrefix(r, `["slave" "127.0.0.1" `) || !strings.Contains(r, `"connected"`) {
		t.Fatalf("ROLE on the replica: %s", r)
	}
	pc := primary.client()
	mustDo(t, pc, "SET", "acked", "1")
	if r := mustDo(t, pc, "WAIT", "1", "5000"); r != "(integer) 1" {
		t.Fatalf("WAIT 1: %s", r)
	}
	if r := mustDo(t, pc, "ROLE"); !strings.HasPrefix(r, `["master" `) || !strings.Contains(r, `"127.0.0.1"`) {
		t.Fatalf("ROLE on the primary: %s", r)
	}
	if got := primary.info("connected_slaves"); got != "1" {
		t.Fatalf("connected_slaves:%s", got)
	}
	if got := primary.info("slave0"); !strings.Contains(got, "state=online") {
		t.Fatalf("slave0:%s", got)
	}

	// Restarted with its data, the replica continues where it stood.
	replica.stop()
	mustDo(t, pc, "SET", "while-down", "1")
	mustDo(t, pc, "HSET", "k:1", "g", "h")
	replica.mod = func(cfg *Config) {
		onTransport(cfg)
		cfg.ReplicaOf = strings.Replace(addr, ":", " ", 1)
	}
	replica.start()
	waitInSync(t, primary, replica)
	if got := replica.info("master_partial_syncs"); got != "1" {
		t.Fatalf("after a restart: master_partial_syncs:%s, master_full_syncs:%s", got, replica.info("master_full_syncs"))
	}
	if got := replica.info("master_full_syncs"); got != "0" {
		t.Fatalf("after a restart: master_full_syncs:%s", got)
	}
}

// TestPromotionContinues: with two replicas of one primary, the first is
// promoted (REPLICAOF NO ONE) and the second pointed at it: it continues
// with a partial resync, thanks to the promoted replica's secondary id.
func TestPromotionContinues(t *testing.T) {
	p := testutil.NewPKI(t, "Replication Test CA")
	primary := startNode(t, p, nil)
	fill(t, primary.db, "k:", 2000)
	r1, r2 := startNode(t, p, nil), startNode(t, p, nil)
	r1.replicaOf(primary.tcp)
	r2.replicaOf(primary.tcp)
	waitInSync(t, primary, r1)
	waitInSync(t, primary, r2)
	oldID := primary.info("master_replid")

	host, port, _ := net.SplitHostPort(primary.tcp)
	if r := mustDo(t, r1.client(), "CONFIG", "GET", "replicaof"); r != `["replicaof" "`+host+" "+port+`"]` {
		t.Fatalf("CONFIG GET replicaof on a replica: %s", r)
	}
	if r := mustDo(t, r1.client(), "REPLICAOF", "NO", "ONE"); r != `"OK"` {
		t.Fatalf("REPLICAOF NO ONE: %s", r)
	}
	if r := mustDo(t, r1.client(), "CONFIG", "GET", "replicaof"); r != `["replicaof" ""]` {
		t.Fatalf("CONFIG GET replicaof after a promotion: %s", r)
	}
	if got := r1.info("master_replid2"); got != oldID {
		t.Fatalf("master_replid2:%s, want the old primary's %s", got, oldID)
	}
	mustDo(t, r1.client(), "SET", "on-the-new-primary", "1")
	r2.replicaOf(r1.tcp)
	waitInSync(t, r1, r2)
	if got := r1.info("sync_partial_ok"); got != "" {
		t.Fatalf("sync_partial_ok in INFO replication: %q", got)
	}
	st, _ := r1.client().Do("INFO", "stats")
	if !strings.Contains(string(st.Str), "sync_partial_ok:1") || !strings.Contains(string(st.Str), "sync_full:0") {
		t.Fatalf("the promoted replica served no partial resync:\n%s", st.Str)
	}
	if got := r2.info("master_replid"); got != r1.info("master_replid") {
		t.Fatalf("r2 follows history %s, r1 is on %s", got, r1.info("master_replid"))
	}
}

// TestMinReplicasAndWaitTimeout: min-replicas-to-write refuses writes
// without enough good replicas; WAIT times out with the count it got.
func TestMinReplicasAndWaitTimeout(t *testing.T) {
	p := testutil.NewPKI(t, "Replication Test CA")
	primary := startNode(t, p, func(cfg *Config) { cfg.MinReplicasToWrite = 1 })
	c := primary.client()
	if r := mustDo(t, c, "SET", "k", "v"); !strings.Contains(r, "NOREPLICAS Not enough good replicas to write.") {
		t.Fatalf("a write without replicas: %s", r)
	}
	if r := mustDo(t, c, "WAIT", "1", "50"); r != "(integer) 0" {
		t.Fatalf("WAIT without replicas: %s", r)
	}
	replica := startNode(t, p, nil)
	replica.replicaOf(primary.tcp)
	eventually(t, "a good replica", func() bool { return mustDo(t, c, "SET", "k", "v") == `"OK"` })
	waitInSync(t, primary, replica)
}

// TestEmbeddedReplica: a store with no server of its own follows a
// primary through replication.Follow, authenticating as masteruser /
// masterauth would, and Promote makes it a primary continuing the same
// history.
func TestEmbeddedReplica(t *testing.T) {
	p := testutil.NewPKI(t, "Replication Test CA")
	primary := startNode(t, p, func(cfg *Config) {
		cfg.Users = [][]string{{"repl", "on", ">s3cret", "+@all", "~*"}, {"default", "off"}}
	})
	fill(t, primary.db, "k:", 1000)
	db := memStore(t)
	bad, err := replication.Follow(db, replication.Config{Addr: primary.tcp, User: "repl", Password: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the wrong password to be refused", func() bool {
		return strings.Contains(bad.Status().LastError, "WRONGPASS")
	})
	bad.Stop()
	r, err := replication.Follow(db, replication.Config{Addr: primary.tcp, User: "repl", Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the embedded replica to sync", func() bool {
		d, _ := db.Digest()
		return r.Status().LinkUp && d == primary.digest()
	})
	if err := db.Set([]byte("local"), []byte("1")); err != nil {
		t.Fatal(err) // an embedder's own writes apply, unpublished
	}
	h, _ := db.History()
	if err := r.Promote(); err != nil {
		t.Fatal(err)
	}
	after, _ := db.History()
	if after.ReplID2 != h.ReplID || after.SecondOffset != int64(h.Offset)+1 || db.Following() {
		t.Fatalf("promoted from %+v to %+v", h, after)
	}
}

// TestSharedFullSync: replicas that ask for a full sync while the first
// waits repl-diskless-sync-delay share one snapshot, which starts as soon
// as repl-diskless-sync-max-replicas have asked.
func TestSharedFullSync(t *testing.T) {
	p := testutil.NewPKI(t, "Replication Test CA")
	primary := startNode(t, p, func(cfg *Config) {
		cfg.ReplDisklessSyncDelay = time.Hour // only the second replica starts it
		cfg.ReplDisklessSyncMaxReplicas = 2
	})
	fill(t, primary.db, "k:", 3000)
	r1, r2 := startNode(t, p, nil), startNode(t, p, nil)
	r1.replicaOf(primary.tcp)
	eventually(t, "the first replica to wait", func() bool {
		return strings.Contains(primary.info("slave0"), "state=wait_bgsave")
	})
	r2.replicaOf(primary.tcp)
	waitInSync(t, primary, r1)
	waitInSync(t, primary, r2)
	st, _ := primary.client().Do("INFO", "stats")
	if !strings.Contains(string(st.Str), "sync_full:2\r\n") || !strings.Contains(string(st.Str), "sync_full_shared:1\r\n") {
		t.Fatalf("two full syncs, one shared, expected:\n%s", st.Str)
	}
}

// TestChainedReplicas: a replica of a replica receives the primary's
// stream through it; when the middle one is promoted, its replica learns
// the new id by reconnecting and continues with a partial resync.
func TestChainedReplicas(t *testing.T) {
	p := testutil.NewPKI(t, "Replication Test CA")
	primary := startNode(t, p, nil)
	fill(t, primary.db, "k:", 2000)
	middle, last := startNode(t, p, nil), startNode(t, p, nil)
	middle.replicaOf(primary.tcp)
	waitInSync(t, primary, middle)
	last.replicaOf(middle.tcp)
	waitInSync(t, primary, last)
	mustDo(t, primary.client(), "HSET", "through", "the", "middle")
	waitInSync(t, primary, last)

	mustDo(t, middle.client(), "REPLICAOF", "NO", "ONE")
	mustDo(t, middle.client(), "SET", "on-the-promoted", "1")
	eventually(t, "the last replica to take the new id", func() bool {
		return last.info("master_replid") == middle.info("master_replid")
	})
	waitInSync(t, middle, last)
	if full, partial := last.info("master_full_syncs"), last.info("master_partial_syncs"); full != "1" || partial != "1" {
		t.Fatalf("the last replica made %s full and %s partial syncs, want 1 and 1", full, partial)
	}
}

// TestPrimaryRestartContinues: a primary restarted with its data keeps its
// history, and its replica continues with a partial resync; what WAIT saw
// acknowledged before the restart is on both.
func TestPrimaryRestartContinues(t *testing.T) {
	p := testutil.NewPKI(t, "Replication Test CA")
	primary := startNode(t, p, nil)
	fill(t, primary.db, "k:", 1000)
	replica := startNode(t, p, nil)
	replica.replicaOf(primary.tcp)
	waitInSync(t, primary, replica)
	c := primary.client()
	mustDo(t, c, "SET", "before-restart", "1")
	if r := mustDo(t, c, "WAIT", "1", "5000"); r != "(integer) 1" {
		t.Fatalf("WAIT: %s", r)
	}
	id := primary.info("master_replid")
	primary.stop()
	primary.start()
	if got := primary.info("master_replid"); got != id {
		t.Fatalf("the restarted primary's id is %s, was %s", got, id)
	}
	mustDo(t, primary.client(), "SET", "after-restart", "1")
	waitInSync(t, primary, replica)
	if got := replica.info("master_partial_syncs"); got != "1" {
		t.Fatalf("master_partial_syncs:%s, master_full_syncs:%s", got, replica.info("master_full_syncs"))
	}
	if got := mustDo(t, replica.client(), "GET", "before-restart"); got != `"1"` {
		t.Fatalf("the acknowledged write is %s on the replica", got)
	}
}

// TestReplconfAnswers: REPLCONF as Redis answers it outside a replica
// link: OK for the handshake's options, an error for an unknown one, and
// nothing at all for ACK.
func TestReplconfAnswers(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.raw(t)
	if r := mustDo(t, c, "REPLCONF", "listening-port", "6380", "capa", "eof", "capa", "psync2"); r != `"OK"` {
		t.Fatalf("REPLCONF listening-port, capa: %s", r)
	}
	if r := mustDo(t, c, "REPLCONF", "nonsense", "1"); !strings.Contains(r, "ERR Unrecognized REPLCONF option: nonsense") {
		t.Fatalf("REPLCONF nonsense: %s", r)
	}
	// ACK gets no reply: the first reply read is PING's.
	conn, err := net.Dial("tcp", ts.tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte("REPLCONF ACK 0\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || line != "+PONG\r\n" {
		t.Fatalf("after REPLCONF ACK, read %q, %v", line, err)
	}
}

// TestAnnouncedPortAndWritableReplica: the port a replica announces
// follows Redis's rule, shows in the primary's INFO and ROLE; with
// replica-read-only no its clients' writes apply locally and are not
// passed on.
func TestAnnouncedPortAndWritableReplica(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want int
	}{
		{Config{Port: 6379}, 6379},
		{Config{Port: 6379, TLSPort: 6380}, 6379},
		{Config{Port: 6379, TLSPort: 6380, TLS: tlsconn.Settings{Replication: true}}, 6380},
		{Config{Port: 6379, TLSPort: 6380, TLS: tlsconn.Settings{Replication: true}, ReplicaAnnouncePort: 7000}, 7000},
	} {
		if got := announcePort(&tc.cfg); got != tc.want {
			t.Errorf("announcePort(port %d, tls-port %d, tls-replication %v, replica-announce-port %d) = %d, want %d",
				tc.cfg.Port, tc.cfg.TLSPort, tc.cfg.TLS.Replication, tc.cfg.ReplicaAnnouncePort, got, tc.want)
		}
	}

	p := testutil.NewPKI(t, "Replication Test CA")
	primary := startNode(t, p, nil)
	sub := startNode(t, p, nil)
	replica := startNode(t, p, func(cfg *Config) {
		cfg.ReplicaAnnouncePort = 7000
		cfg.ReplicaAnnounceIP = "10.1.2.3"
		cfg.ReplicaReadOnly = false
	})
	replica.replicaOf(primary.tcp)
	sub.replicaOf(replica.tcp)
	waitInSync(t, primary, replica)
	waitInSync(t, replica, sub)
	if got := primary.info("slave0"); !strings.HasPrefix(got, "ip=10.1.2.3,port=7000,state=online,") {
		t.Fatalf("slave0:%s", got)
	}
	if r := mustDo(t, primary.client(), "ROLE"); !strings.Contains(r, `["10.1.2.3" "7000" `) {
		t.Fatalf("ROLE: %s", r)
	}
	rc := replica.client()
	if r := mustDo(t, rc, "SET", "local", "1"); r != `"OK"` {
		t.Fatalf("a write on a writable replica: %s", r)
	}
	if r := mustDo(t, rc, "WAIT", "0", "0"); !strings.Contains(r, "ERR WAIT cannot be used with replica instances") {
		t.Fatalf("WAIT on a replica: %s", r)
	}
	mustDo(t, primary.client(), "SET", "from-primary", "1")
	// The local write does not count in the offsets: the replica and its
	// replica reach the primary's.
	for _, n := range []*node{replica, sub} {
		eventually(t, "the primary's offset", func() bool {
			return n.info("master_repl_offset") == primary.info("master_repl_offset")
		})
	}
	if got := mustDo(t, sub.client(), "EXISTS", "local", "from-primary"); got != "(integer) 1" {
		t.Fatalf("the replica's replica has %s of the local and the primary's key, want only the primary's", got)
	}
}

// TestReplicationCommandsInMulti: WAIT, ROLE, INFO and REPLCONF queued in
// MULTI run inside EXEC, which holds the store's write lock, without
// waiting on it, and EXEC answers them all.
func TestReplicationCommandsInMulti(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.raw(t)
	mustDo(t, c, "MULTI")
	for _, cmd := range [][]string{{"SET", "a", "1"}, {"WAIT", "1", "0"}, {"ROLE"}, {"INFO", "replication"}, {"REPLCONF", "ACK", "1"}} {
		if r := mustDo(t, c, cmd...); r != `"QUEUED"` {
			t.Fatalf("%q in MULTI: %s", cmd, r)
		}
	}
	r, err := c.Do("EXEC")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Elems) != 5 || r.Elems[1].Int != 0 || string(r.Elems[2].Elems[0].Str) != "master" ||
		!strings.Contains(string(r.Elems[3].Str), "role:master") {
		t.Fatalf("EXEC: %v", r)
	}
	if got := mustDo(t, c, "GET", "a"); got != `"1"` {
		t.Fatalf("after EXEC, GET a: %s", got)
	}
}

// TestWaitEndsWithItsClient: a client blocked in WAIT without a timeout
// does not outlive its connection, nor CLIENT KILL; a command sent while
// WAIT waits is answered after it.
func TestWaitEndsWithItsClient(t *testing.T) {
	ts := startServer(t, nil)
	admin := ts.raw(t)
	clients := func() string {
		r, _ := admin.Do("INFO", "clients")
		for _, line := range strings.Split(string(r.Str), "\r\n") {
			if v, ok := strings.CutPrefix(line, "connected_clients:"); ok {
				return v
			}
		}
		return ""
	}
	conn, err := net.Dial("tcp", ts.tcp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, "WAIT 1 0\r\n"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the waiting client", func() bool { return clients() == "2" })
	conn.Close()
	eventually(t, "the client that left to be gone", func() bool { return clients() == "1" })

	conn, err = net.Dial("tcp", ts.tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	// What the client sends while WAIT waits is answered after it.
	if _, err := io.WriteString(conn, "WAIT 1 100\r\nPING\r\n"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{":0\r\n", "+PONG\r\n"} {
		if line, err := br.ReadString('\n'); line != want {
			t.Fatalf("read %q (%v), want %q", line, err, want)
		}
	}
	if _, err := io.WriteString(conn, "CLIENT ID\r\nWAIT 1 0\r\n"); err != nil {
		t.Fatal(err)
	}
	line, _ := br.ReadString('\n')
	id := strings.TrimPrefix(strings.TrimSpace(line), ":")
	if _, err := strconv.Atoi(id); err != nil {
		t.Fatalf("CLIENT ID: %q", line)
	}
	if r := mustDo(t, admin, "CLIENT", "KILL", "ID", id); r != "(integer) 1" {
		t.Fatalf("CLIENT KILL: %s", r)
	}
	eventually(t, "the killed client to be gone", func() bool { return clients() == "1" })
}
