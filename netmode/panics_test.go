package netmode

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/store"
)

// panicCommands are commands that panic, added to a server's table as an
// embedder adds its own: one inside the store transaction it opened
// (after writing its key), one in its own code. Neither is flagged write:
// the session holds no lock when they run, so the Update takes it.
func panicCommands() []*command.Command {
	return []*command.Command{
		{Name: "test.panicupdate", Arity: 2, Categories: []string{"@slow"},
			Run: func(ctx *command.Ctx, args [][]byte) command.Reply {
				ctx.DB.Update(func(tx *store.Tx) error {
					tx.Set(args[1], []byte("written by the transaction that panicked"))
					panic("boom inside Update")
				})
				return command.OK
			}},
		{Name: "test.panic", Arity: 1, Categories: []string{"@slow"},
			Run: func(*command.Ctx, [][]byte) command.Reply { panic("boom in a command") }},
	}
}

// readReplies reads n replies from r, as their String forms.
func readReplies(t *testing.T, r *bufio.Reader, n int) []string {
	t.Helper()
	out := make([]string, 0, n)
	for range n {
		rep, err := resp.ReadReply(r)
		if err != nil {
			t.Fatalf("reply %d of %d: %v (got %q)", len(out)+1, n, err, out)
		}
		out = append(out, rep.String())
	}
	return out
}

// closedAfter checks that the server closed c once its replies were read.
func closedAfter(t *testing.T, c net.Conn, r *bufio.Reader) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := r.ReadByte()
	if err == nil {
		rest, _ := r.Peek(r.Buffered())
		t.Fatalf("the server went on after -ERR internal error: %q", append([]byte{b}, rest...))
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("the server did not close the connection: %v", err)
	}
}

// TestPanicClosesOnlyItsClient runs commands that panic, inside a store
// transaction, directly, and inside EXEC, while another client sends a
// pipeline of writes at the same moment: the panicking client gets the
// replies of the commands before, then -ERR internal error, then EOF; the
// other client's writes all land and are answered; the transaction's key
// is not there (the store is as if the command never ran, as DEBUG DIGEST
// against a store given only the other writes shows); each panic is logged
// once with the stack of where it happened and counted in shingle_panics,
// its reply in errorstats; and the server serves new connections after.
func TestPanicClosesOnlyItsClient(t *testing.T) {
	var log syncBuffer
	ts := startServerWith(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelError}))
	}, panicCommands()...)

	victim := hostileDial(t, "tcp", ts.tcp)
	other := hostileDial(t, "tcp", ts.tcp)
	var victimReq, otherReq []byte
	for _, args := range [][]string{{"SET", "before", "1"}, {"GET", "before"}, {"TEST.PANICUPDATE", "inside"}, {"SET", "after", "1"}} {
		victimReq = resp.AppendCommand(victimReq, bytesArgs(args)...)
	}
	const writes = 1000
	for i := range writes {
		otherReq = resp.AppendCommand(otherReq, bytesArgs([]string{"SET", "other:" + strconv.Itoa(i), strconv.Itoa(i)})...)
	}
	// Both pipelines in one write each, at the same moment.
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range []struct {
		c   net.Conn
		req []byte
	}{{victim, victimReq}, {other, otherReq}} {
		wg.Go(func() {
			<-start
			w.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
			w.c.Write(w.req)
		})
	}
	close(start)
	wg.Wait()

	vr := bufio.NewReader(victim)
	victim.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := readReplies(t, vr, 3)
	if want := []string{`"OK"`, `"1"`, "(error) ERR internal error"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("the panicking client got %q, want %q", got, want)
	}
	closedAfter(t, victim, vr)

	or := bufio.NewReader(other)
	other.SetReadDeadline(time.Now().Add(30 * time.Second))
	for i, r := range readReplies(t, or, writes) {
		if r != `"OK"` {
			t.Fatalf("the other client's write %d got %s", i, r)
		}
	}

	// A panic in a command's own code, and one inside EXEC's transaction.
	c2 := hostileDial(t, "tcp", ts.tcp)
	hostileWrite(t, c2, "PING\r\nTEST.PANIC\r\nPING\r\n")
	r2 := bufio.NewReader(c2)
	if got := readReplies(t, r2, 2); got[0] != `"PONG"` || got[1] != "(error) ERR internal error" {
		t.Fatalf("TEST.PANIC: got %q", got)
	}
	closedAfter(t, c2, r2)
	c3 := hostileDial(t, "tcp", ts.tcp)
	hostileWrite(t, c3, "MULTI\r\nSET intx 1\r\nTEST.PANIC\r\nEXEC\r\n")
	r3 := bufio.NewReader(c3)
	if got := readReplies(t, r3, 4); strings.Join(got, "|") != `"OK"|"QUEUED"|"QUEUED"|(error) ERR internal error` {
		t.Fatalf("EXEC with TEST.PANIC: got %q", got)
	}
	closedAfter(t, c3, r3)

	// New connections are served; the three that panicked are gone.
	admin := ts.raw(t)
	if got := mustDo(t, admin, "PING"); got != `"PONG"` {
		t.Fatalf("PING after the panics = %s", got)
	}
	// Their cleanup ran: CLIENT LIST and connected_clients count only
	// the other client and admin.
	eventually(t, "the panicked clients to be removed", func() bool {
		r, err := admin.Do("CLIENT", "LIST")
		return err == nil && strings.Count(string(r.Str), "\n") == 2 && ts.srv.nclients.Load() == 2
	})
	for _, k := range []string{"inside", "after", "intx"} {
		if got := mustDo(t, admin, "EXISTS", k); got != "(integer) 0" {
			t.Errorf("EXISTS %s = %s: a write of a command that panicked, or after it, is there", k, got)
		}
	}

	// The data set is the other client's writes and SET before, nothing
	// else.
	want := memStore(t)
	command.Do(want, "SET", "before", "1")
	for i := range writes {
		command.Do(want, "SET", "other:"+strconv.Itoa(i), strconv.Itoa(i))
	}
	if got, want := mustDo(t, admin, "DEBUG", "DIGEST"), command.Do(want, "DEBUG", "DIGEST").String(); got != want {
		t.Fatalf("DEBUG DIGEST = %s, want %s (a store given only the writes that ran)", got, want)
	}

	if n := hostileInfo(t, admin, "stats", "shingle_panics"); n != 3 {
		t.Fatalf("shingle_panics = %d, want 3", n)
	}
	if n := hostileInfo(t, admin, "stats", "total_error_replies"); n != 3 {
		t.Fatalf("total_error_replies = %d, want 3", n)
	}
	if got := mustDo(t, admin, "INFO", "errorstats"); got != `"# Errorstats\r\nerrorstat_ERR:count=3\r\n"` {
		t.Fatalf("INFO errorstats = %s", got)
	}
	logged := log.String()
	if n := strings.Count(logged, "panic serving a client"); n != 3 {
		t.Fatalf("%d panics logged, want 3:\n%s", n, logged)
	}
	// The stack is the panic's own: it shows the commands' code.
	if n := strings.Count(logged, "panics_test.go"); n < 3 {
		t.Fatalf("the logged stacks do not show where the panics happened:\n%s", logged)
	}
}

func bytesArgs(args []string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

// TestReplicaPanicKeepsServing: a panic while a replica applies its
// primary's stream (here raised by a change feed subscriber of the
// replica's store, which the store raises again in the writer: the
// replica's link) ends that link, not the process: it is logged with the
// subscriber's stack, counted in the replica's shingle_panics, the replica
// goes on serving clients, and the link comes back in sync.
func TestReplicaPanicKeepsServing(t *testing.T) {
	var log syncBuffer
	p := testutil.NewPKI(t, "Shingle Test CA")
	primary := startNode(t, p, nil)
	replica := startNode(t, p, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelError}))
	})
	replica.replicaOf(primary.tcp)
	waitInSync(t, primary, replica)

	_, cancel, err := replica.db.Subscribe(func(c store.Change) {
		if bytes.Contains(c.Raw, []byte("boom")) {
			panic("boom in a subscriber")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	mustDo(t, primary.client(), "SET", "boom", "1")
	rc := replica.client()
	eventually(t, "the replica to count the panic", func() bool {
		r, err := rc.Do("INFO", "stats")
		return err == nil && strings.Contains(string(r.Str), "shingle_panics:1\r\n")
	})
	if got := mustDo(t, rc, "PING"); got != `"PONG"` {
		t.Fatalf("PING on the replica after the panic = %s", got)
	}
	waitInSync(t, primary, replica)
	logged := log.String()
	if !strings.Contains(logged, "panic on the link to the primary") || !strings.Contains(logged, "subscriber_stack") ||
		!strings.Contains(logged, "panics_test.go") {
		t.Fatalf("the panic was not logged with the subscriber's stack:\n%s", logged)
	}
}
