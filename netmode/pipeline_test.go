package netmode

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/tlsconn"
)

// pipeline builds n SET and GET pairs as one byte string.
func pipeline(n int) []byte {
	var b []byte
	for i := range n {
		k, v := []byte("p:"+strconv.Itoa(i)), []byte("value-"+strconv.Itoa(i))
		b = resp.AppendCommand(b, []byte("SET"), k, v)
		b = resp.AppendCommand(b, []byte("GET"), k)
	}
	return b
}

// readPipeline reads the replies to pipeline(n), in order.
func readPipeline(t *testing.T, conn net.Conn, n int) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(conn)
	for i := range n {
		set, err := resp.ReadReply(r)
		if err != nil {
			t.Fatalf("reply %d of %d: %v (the server waited for more input?)", 2*i, 2*n, err)
		}
		get, err := resp.ReadReply(r)
		if err != nil {
			t.Fatalf("reply %d of %d: %v", 2*i+1, 2*n, err)
		}
		if set.String() != `"OK"` || string(get.Str) != "value-"+strconv.Itoa(i) {
			t.Fatalf("pair %d: %v %v, out of order?", i, set, get)
		}
	}
}

// TestPipelineInOneTLSRecord sends a whole pipeline in one TLS record and
// nothing more: every reply must come without the client sending another
// byte (the server must not wait on the socket while TLS holds data).
func TestPipelineInOneTLSRecord(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.TLS.AuthClients = "no" })
	conn, err := tls.Dial("tcp", ts.tls, ts.ClientTLS(t, false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	p := pipeline(150)
	if len(p) > 16<<10 {
		t.Fatalf("pipeline of %d bytes does not fit a TLS record", len(p))
	}
	if _, err := conn.Write(p); err != nil {
		t.Fatal(err)
	}
	readPipeline(t, conn, 150)
}

// byteWriter sends every byte in its own Write: over TLS, its own record.
func writeBytewise(t *testing.T, w io.Writer, p []byte) {
	for i := range p {
		if _, err := w.Write(p[i : i+1]); err != nil {
			t.Error(err)
			return
		}
	}
}

// TestPipelineSplitAtEveryByte sends a pipeline one byte at a time, one TLS
// record per byte, and the same over plain TCP.
func TestPipelineSplitAtEveryByte(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.TLS.AuthClients = "no" })
	tlsConn, err := tls.Dial("tcp", ts.tls, ts.ClientTLS(t, false))
	if err != nil {
		t.Fatal(err)
	}
	defer tlsConn.Close()
	plain, err := net.Dial("tcp", ts.tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	for _, conn := range []net.Conn{tlsConn, plain} {
		p := pipeline(40)
		go writeBytewise(t, conn, p)
		readPipeline(t, conn, 40)
	}
}

// TestPipelineLargerThanBuffers sends a pipeline far larger than every
// buffer on the way, without reading until it is all sent: the server
// must keep serving it as the client reads, with replies in order.
func TestPipelineLargerThanBuffers(t *testing.T) {
	ts := startServer(t, nil)
	conn, err := net.Dial("tcp", ts.tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const n = 20000
	errc := make(chan error, 1)
	go func() {
		_, err := conn.Write(pipeline(n))
		errc <- err
	}()
	readPipeline(t, conn, n)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// TestPipelinedWritesMixed sends, in one write, runs of writes (which a
// client runs under one hold of the store's write lock) between reads, a
// transaction and keyspace-wide commands, while another client writes and
// reads the same keys: every reply is right and nothing waits on itself.
func TestPipelinedWritesMixed(t *testing.T) {
	ts := startServer(t, nil)
	conn, err := net.Dial("tcp", ts.tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var req []byte
	var want []string
	add := func(reply string, args ...string) {
		bs := make([][]byte, len(args))
		for i, a := range args {
			bs[i] = []byte(a)
		}
		req = resp.AppendCommand(req, bs...)
		want = append(want, reply)
	}
	for i := range 200 { // more than one hold's run
		add(`"OK"`, "SET", "w:"+strconv.Itoa(i), "x")
	}
	add(`"OK"`, "SET", "a", "1")
	add("(integer) 2", "INCR", "a")
	add(`"2"`, "GET", "a")
	add(`"OK"`, "MULTI")
	add(`"QUEUED"`, "INCR", "a")
	add(`"QUEUED"`, "SET", "b", "x")
	add(`[(integer) 3 "OK"]`, "EXEC")
	add("(integer) 1", "DEL", "b")
	add("(integer) 201", "DBSIZE")
	add(`"OK"`, "FLUSHALL")
	add("(integer) 1", "HSET", "h", "f", "v")
	add("(integer) 1", "DBSIZE")
	other := ts.raw(t)
	errs := make(chan error, 1)
	go func() {
		for i := range 200 {
			if _, err := other.Do("SET", "o", strconv.Itoa(i)); err != nil {
				errs <- err
				return
			}
			if _, err := other.Do("GET", "w:0"); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	if _, err := conn.Write(req); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	for i, w := range want {
		rep, err := resp.ReadReply(r)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		got := rep.String()
		if i == len(want)-1 || i == len(want)-4 { // DBSIZE: the other client's key may be there
			if n, _ := strconv.Atoi(strings.TrimPrefix(w, "(integer) ")); got == "(integer) "+strconv.Itoa(n+1) {
				continue
			}
		}
		if got != w {
			t.Fatalf("reply %d = %s, want %s", i, got, w)
		}
	}
	if err := <-errs; err != nil {
		t.Fatalf("the other client: %v", err)
	}
}

func TestShutdown(t *testing.T) {
	ts := startServer(t, nil)
	idle := ts.raw(t)
	mustDo(t, idle, "PING")
	busy, err := net.Dial("tcp", ts.tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	// A pipeline in flight when Shutdown starts: whatever the server has
	// read is answered, in order, then the connection is closed.
	if _, err := busy.Write(pipeline(2000)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	busy.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(busy)
	for i := 0; ; i++ {
		rep, err := resp.ReadReply(r)
		if err != nil {
			if !errors.Is(err, io.EOF) && !isReset(err) {
				t.Fatalf("after %d replies: %v", i, err)
			}
			break
		}
		if want := `"OK"`; i%2 == 0 && rep.String() != want || i%2 == 1 && string(rep.Str) != "value-"+strconv.Itoa(i/2) {
			t.Fatalf("reply %d = %v: not a prefix of the pipeline's replies", i, rep)
		}
	}
	if _, err := idle.Do("PING"); err == nil {
		t.Error("an idle client survived Shutdown")
	}
	if _, err := net.DialTimeout("tcp", ts.tcp, time.Second); err == nil {
		t.Error("the listener still accepts after Shutdown")
	}
	if _, err := ts.srv.Listen(tlsconn.TCP, "127.0.0.1:0"); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Listen after Shutdown: %v", err)
	}
	if err := ts.srv.Close(); err != nil {
		t.Errorf("Close after Shutdown: %v", err)
	}
	if err := ts.srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

func TestServeAndListenAndServe(t *testing.T) {
	ts := startServer(t, nil)
	ln, err := tlsconn.Listen(tlsconn.TCP, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- ts.srv.Serve(ln) }()
	c, err := testutil.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mustDo(t, c, "SET", "via", "serve")
	if ts.srv.Addr(tlsconn.Unix).String() != ts.unixPath {
		t.Errorf("Addr(unix) = %v", ts.srv.Addr(tlsconn.Unix))
	}
	ts.srv.Close()
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve returned %v", err)
	}
	if err := ts.srv.ListenAndServe(); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("ListenAndServe after Close: %v", err)
	}
}

// TestListenerClosedByCaller closes a listener that Listen returned: the
// server stops serving it and no longer lists it.
func TestListenerClosedByCaller(t *testing.T) {
	ts := startServer(t, nil)
	ln, err := ts.srv.Listen(tlsconn.TCP, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listed := func() bool {
		for _, l := range ts.srv.Listeners() {
			if l.Addr.String() == ln.Addr().String() {
				return true
			}
		}
		return false
	}
	if !listed() {
		t.Fatal("a new listener is not listed")
	}
	ln.Close()
	eventually(t, "the closed listener to leave Listeners()", func() bool { return !listed() })
	mustDo(t, ts.raw(t), "PING") // the others serve on
}

// TestCloseDuringHandshake closes the server while a TLS handshake waits
// for a client that sent nothing: Close ends it rather than waiting for the
// (here one hour) handshake timeout.
func TestCloseDuringHandshake(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.TLSHandshakeTimeout = time.Hour })
	conn, err := net.Dial("tcp", ts.tls)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	eventually(t, "the connection to be accepted", func() bool { return ts.srv.Stats().ConnectionsReceived.Load() > 0 })
	ts.srv.Close() // hangs until the test times out if the handshake is not ended
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("the connection in its handshake is still open after Close")
	}
}

func TestSelectOnlyZero(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.raw(t)
	for db, want := range map[string]string{"0": `"OK"`, "1": "(error) ERR DB index is out of range"} {
		if got := mustDo(t, c, "SELECT", db); got != want {
			t.Errorf("SELECT %s = %s, want %s", db, got, want)
		}
	}

}
