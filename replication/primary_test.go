package replication

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/store"
)

// TestContinues is the PSYNC decision on the history's side: a replica
// continues the history it names, or the one this history took over, up
// to where it took over.
func TestContinues(t *testing.T) {
	h := store.History{ReplID: "new", Offset: 500, ReplID2: "old", SecondOffset: 301}
	for _, c := range []struct {
		id     string
		offset uint64
		want   bool
	}{
		{"new", 1, true},
		{"new", 501, true},
		{"old", 301, true},  // up to where the history changed
		{"old", 302, false}, // past it: the old history went on elsewhere
		{"other", 1, false},
		{"?", 0, false},
	} {
		if got := continues(c.id, c.offset, h); got != c.want {
			t.Errorf("PSYNC %s %d against %+v: %v, want %v", c.id, c.offset, h, got, c.want)
		}
	}
	fresh := store.History{ReplID: "new", Offset: 10, SecondOffset: -1}
	if continues("", 1, fresh) {
		t.Error("an empty id continues a history without a previous one")
	}
}

// pipeConn is one end of a net.Pipe as a ReplicaConn.
type pipeConn struct {
	net.Conn
	rd *resp.RequestReader
}

func (c pipeConn) ReadCommand() ([][]byte, error) { return c.rd.Next(true) }

// counts are the hooks' calls.
type counts struct{ full, shared, partial, refused, overflow, panics atomic.Int64 }

func (c *counts) hooks() PrimaryHooks {
	return PrimaryHooks{
		FullSync:           func() { c.full.Add(1) },
		SharedFullSync:     func() { c.shared.Add(1) },
		PartialSync:        func() { c.partial.Add(1) },
		PartialSyncRefused: func() { c.refused.Add(1) },
		ReplicaOverflow:    func() { c.overflow.Add(1) },
		Panic:              func(any, []byte) { c.panics.Add(1) },
	}
}

func newPrimary(t *testing.T, cfg PrimaryConfig) (*store.DB, *Primary) {
	t.Helper()
	db := memStore(t)
	p := NewPrimary(db, func() PrimaryConfig { return cfg })
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return db, p
}

// fakeReplica is the replica's end of a link Serve runs on a pipe.
type fakeReplica struct {
	conn  net.Conn
	br    *bufio.Reader
	rd    *resp.RequestReader // the stream, after the sync
	ended chan struct{}       // closed when Serve returned err
	err   error
	stop  context.CancelFunc
}

func serve(t *testing.T, p *Primary, req SyncRequest) *fakeReplica {
	t.Helper()
	ours, theirs := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	r := &fakeReplica{conn: theirs, br: bufio.NewReader(theirs), ended: make(chan struct{}), stop: cancel}
	go func() {
		defer close(r.ended)
		r.err = p.Serve(ctx, pipeConn{ours, resp.NewRequestReader(ours)}, req)
	}()
	t.Cleanup(func() {
		cancel()
		theirs.Close()
		<-r.ended
		ours.Close()
	})
	return r
}

func (r *fakeReplica) line(t *testing.T) string {
	t.Helper()
	r.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	l, err := readLine(r.br)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// command reads one command of the stream.
func (r *fakeReplica) command(t *testing.T) string {
	t.Helper()
	r.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if r.rd == nil {
		r.rd = resp.NewRequestReader(r.br)
	}
	args, err := r.rd.Next(true)
	if err != nil {
		t.Fatal(err)
	}
	s := make([]string, len(args))
	for i, a := range args {
		s[i] = string(a)
	}
	return strings.Join(s, " ")
}

func (r *fakeReplica) ack(t *testing.T, offset uint64) {
	t.Helper()
	if _, err := r.conn.Write(resp.AppendCommand(nil, []byte("REPLCONF"), []byte("ACK"), []byte(strconv.FormatUint(offset, 10)))); err != nil {
		t.Fatal(err)
	}
}

// TestPrimaryServe runs links over pipes: a full sync the replica loads,
// the stream after it, ACKs that WAIT and INFO see, then a partial resync
// from the backlog, and one refused for another history.
func TestPrimaryServe(t *testing.T) {
	var n counts
	db, p := newPrimary(t, PrimaryConfig{BacklogSize: 1 << 20, PingPeriod: time.Hour, Version: "7.0.15",
		Hooks: n.hooks(), MinReplicasToWrite: 1})
	command.Do(db, "SET", "before", "1")

	r := serve(t, p, SyncRequest{ReplID: "?", IP: "10.1.2.3", Port: 7000})
	replica := memStore(t)
	id, offset, err := readFullSync(r.br, replica, false, r.line(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := command.Do(replica, "GET", "before").String(); got != `"1"` {
		t.Fatalf("the full sync loaded GET before = %s", got)
	}
	if p.Count() != 1 || p.MinReplicasOK() {
		t.Fatalf("Count %d, MinReplicasOK %v before the first ACK", p.Count(), p.MinReplicasOK())
	}

	command.Do(db, "SET", "after", "2")
	if got := r.command(t); got != "SET after 2" {
		t.Fatalf("the stream sent %q", got)
	}
	h, _ := db.History()
	waited := make(chan int)
	go func() { waited <- p.Wait(context.Background(), h.Offset, 1) }()
	if got := r.command(t); got != "REPLCONF GETACK *" {
		t.Fatalf("WAIT sent %q", got)
	}
	r.ack(t, h.Offset)
	if got := <-waited; got != 1 {
		t.Fatalf("Wait = %d, want 1", got)
	}
	if !p.MinReplicasOK() || p.Good(h.Offset, time.Minute) != 1 {
		t.Fatal("the acknowledging replica is not good")
	}
	ri := p.Replicas()
	if len(ri) != 1 || ri[0].IP != "10.1.2.3" || ri[0].Port != 7000 || ri[0].State != "online" || ri[0].AckAt.IsZero() {
		t.Fatalf("Replicas = %+v", ri)
	}
	info := map[string]string{}
	p.Info(h, "no-failover", func(k string, v any) { info[k] = fmt.Sprint(v) })
	if info["connected_slaves"] != "1" || !strings.HasPrefix(info["slave0"], "ip=10.1.2.3,port=7000,state=online,offset="+strconv.FormatUint(h.Offset, 10)) ||
		info["master_repl_offset"] != strconv.FormatUint(h.Offset, 10) {
		t.Fatalf("Info: %v", info)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if got := p.Wait(ctx, h.Offset+1000, 1); got != 0 {
		t.Fatalf("Wait for an offset never written = %d, want 0 at the deadline", got)
	}
	if got := r.command(t); got != "REPLCONF GETACK *" {
		t.Fatalf("WAIT sent %q", got)
	}

	// The link ends; what the replica missed meanwhile comes from the
	// backlog.
	r.stop()
	if <-r.ended; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("Serve ended with %v", r.err)
	}
	if p.Count() != 0 {
		t.Fatalf("Count %d after the link ended", p.Count())
	}
	h, _ = db.History()
	command.Do(db, "SET", "missed", "3")
	r2 := serve(t, p, SyncRequest{ReplID: id, Offset: h.Offset + 1, Port: 7000})
	if got := r2.line(t); got != "+CONTINUE "+id {
		t.Fatalf("PSYNC %s %d: %q", id, h.Offset+1, got)
	}
	if got := r2.command(t); got != "SET missed 3" {
		t.Fatalf("the backlog sent %q", got)
	}
	if offset == 0 || n.full.Load() != 1 || n.partial.Load() != 1 || n.refused.Load() != 0 {
		t.Fatalf("full %d, partial %d, refused %d", n.full.Load(), n.partial.Load(), n.refused.Load())
	}

	// Another history's id gets a full sync, counted as a refused partial.
	r3 := serve(t, p, SyncRequest{ReplID: strings.Repeat("f", 40), Offset: 1})
	if got := r3.line(t); !strings.HasPrefix(got, "+FULLRESYNC "+id+" ") {
		t.Fatalf("PSYNC of another history: %q", got)
	}
	if n.refused.Load() != 1 {
		t.Fatalf("refused %d, want 1", n.refused.Load())
	}
}

// TestPrimaryOutputLimit: a replica that stops reading is dropped once
// its pending stream passes the hard limit, and Serve says why.
func TestPrimaryOutputLimit(t *testing.T) {
	var n counts
	db, p := newPrimary(t, PrimaryConfig{OutputLimit: OutputLimit{Hard: 1 << 10}, Hooks: n.hooks()})
	r := serve(t, p, SyncRequest{ReplID: "?"})
	replica := memStore(t)
	if _, _, err := readFullSync(r.br, replica, false, r.line(t), nil); err != nil {
		t.Fatal(err)
	}
	// The replica reads no more: the first write blocks on the pipe, the
	// rest wait in the buffer until it is past the limit.
	for i := range 1000 {
		command.Do(db, "SET", "k"+strconv.Itoa(i), strings.Repeat("v", 100))
	}
	<-r.ended
	if !errors.Is(r.err, errReplicaOverflow) {
		t.Fatalf("Serve ended with %v", r.err)
	}
	// The hook runs with the drop, on a goroutine of its own: Serve may
	// see the drop first.
	testutil.Eventually(t, 10*time.Second, "the overflow to be counted", func() bool { return n.overflow.Load() == 1 })
}

// TestPrimaryLifecycle: NewPrimary starts nothing, Close is safe without
// Start and twice, and Start after Close is refused.
func TestPrimaryLifecycle(t *testing.T) {
	db := memStore(t)
	p := NewPrimary(db, func() PrimaryConfig { return PrimaryConfig{} })
	p.Close()
	p.Close()
	if err := p.Start(); !errors.Is(err, ErrPrimaryClosed) {
		t.Fatalf("Start after Close: %v", err)
	}
	p = NewPrimary(db, func() PrimaryConfig { return PrimaryConfig{PingPeriod: time.Millisecond} })
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err == nil {
		t.Fatal("Start twice succeeded")
	}
	p.Close()
	p.Close()
}
