package netmode

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/testutil"
)

// The tests in this file each play one hostile or broken client and check
// three things: the server closes it or answers it with the right error, it
// counts it in INFO stats, and a healthy client is served meanwhile, while
// the hostile one still holds its connection (an order of events, never a
// measured duration).

// hostileDial opens a raw connection, closed when the test ends.
func hostileDial(t *testing.T, network, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func hostileWrite(t *testing.T, c net.Conn, s string) {
	t.Helper()
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// hostileUntilClosed reads c until the server closes it and returns what
// the server sent. A reset counts as closed: a server that hangs up with
// input left unread resets the connection. The error is not nil when the
// server kept the connection open past a deadline far beyond any timeout
// these tests configure.
func hostileUntilClosed(c net.Conn) (string, error) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b bytes.Buffer
	_, err := b.ReadFrom(c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		return b.String(), err
	}
	return b.String(), nil
}

// hostileClosed is hostileUntilClosed failing the test when the server did
// not close.
func hostileClosed(t *testing.T, c net.Conn) string {
	t.Helper()
	s, err := hostileUntilClosed(c)
	if err != nil {
		t.Fatalf("the server did not close the connection: %v (it sent %.200q)", err, s)
	}
	return s
}

// hostileStat returns an INFO stats counter as a client reads it.
func hostileStat(t *testing.T, c *redis.Client, name string) int64 {
	t.Helper()
	info, err := c.Info(context.Background(), "stats").Result()
	if err != nil {
		t.Fatalf("INFO stats: %v", err)
	}
	return infoInt(t, testutil.InfoFields(info), name)
}

// hostileCounted waits until counter reaches want (it is incremented just
// before the server closes the connection) and checks that INFO stats
// shows the same through c.
func hostileCounted(t *testing.T, c *redis.Client, counter interface{ Load() int64 }, name string, want int64) {
	t.Helper()
	eventually(t, fmt.Sprintf("%s to reach %d", name, want), func() bool { return counter.Load() >= want })
	if got := counter.Load(); got != want {
		t.Fatalf("%s = %d, want %d", name, got, want)
	}
	if got := hostileStat(t, c, name); got != want {
		t.Fatalf("INFO stats %s = %d, want %d", name, got, want)
	}
}

func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestHostileMaxClients(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.MaxClients = 2
		c.TLS.AuthClients = "no"
	})
	a, b := ts.raw(t), ts.raw(t)
	// A round trip each: both hold their slot before the next arrives.
	for _, c := range []*testutil.Client{a, b} {
		if got := mustDo(t, c, "PING"); got != `"PONG"` {
			t.Fatalf("PING = %s", got)
		}
	}

	// maxclients counts every transport: the next client is turned away
	// on each, without being read from; a TLS one before its handshake,
	// with nothing written, as Redis does.
	const want = "-ERR max number of clients reached\r\n"
	for _, tr := range []struct{ network, addr string }{{"tcp", ts.tcp}, {"unix", ts.unixPath}} {
		if got := hostileClosed(t, hostileDial(t, tr.network, tr.addr)); got != want {
			t.Fatalf("%s client over the limit got %q, want %q", tr.network, got, want)
		}
	}
	tc, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", ts.tls, ts.ClientTLS(t, false))
	if err == nil {
		tc.Close()
		t.Fatal("a TLS client over the limit completed its handshake")
	}
	if isNetTimeout(err) {
		t.Fatalf("TLS client over the limit: the server held the handshake instead of closing: %v", err)
	}

	// The clients inside are still served, and see the rejections counted.
	if got := mustDo(t, a, "SET", "k", "v"); got != `"OK"` {
		t.Fatalf("SET = %s", got)
	}
	if n := hostileInfo(t, a, "stats", "rejected_connections"); n != 3 {
		t.Fatalf("INFO rejected_connections = %d, want 3", n)
	}
	if n := ts.srv.Stats().RejectedConnections.Load(); n != 3 {
		t.Fatalf("Stats().RejectedConnections = %d, want 3", n)
	}

	// Once one leaves, a new client gets its slot.
	b.Close()
	var c *testutil.Client
	eventually(t, "a new client to be accepted after one left", func() bool {
		cl, err := testutil.Dial("tcp", ts.tcp)
		if err != nil {
			return false
		}
		if r, err := cl.Do("GET", "k"); err == nil && r.Kind == command.KindBulk && string(r.Str) == "v" {
			c = cl
			return true
		}
		cl.Close()
		return false
	})
	t.Cleanup(func() { c.Close() })
	if got := mustDo(t, a, "PING"); got != `"PONG"` {
		t.Fatalf("PING = %s", got)
	}
}

func TestHostileProtoMaxBulkLen(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.ProtoMaxBulkLen = 1 << 20 })
	healthy := goRedis(t, "tcp", ts.tcp, nil, 2)
	if err := testutil.RoundTrip(t, healthy, "before"); err != nil {
		t.Fatal(err)
	}

	bad := hostileDial(t, "tcp", ts.tcp)
	hostileWrite(t, bad, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n")
	// Served while the bad client holds half a request.
	if err := testutil.RoundTrip(t, healthy, "during"); err != nil {
		t.Fatal(err)
	}
	hostileWrite(t, bad, "$1048577\r\n")
	if got, want := hostileClosed(t, bad), "-ERR Protocol error: invalid bulk length\r\n"; got != want {
		t.Fatalf("bulk over proto-max-bulk-len: got %q, want %q", got, want)
	}
	hostileCounted(t, healthy, &ts.srv.Stats().ProtocolErrors, "total_protocol_errors", 1)
	if err := testutil.RoundTrip(t, healthy, "after"); err != nil {
		t.Fatal(err)
	}
	if n, err := healthy.Exists(context.Background(), "k").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS k = %d, %v: the refused SET ran", n, err)
	}

	// A bulk of exactly proto-max-bulk-len is accepted.
	v := strings.Repeat("v", 1<<20)
	if err := healthy.Set(context.Background(), "k", v, 0).Err(); err != nil {
		t.Fatalf("SET of exactly proto-max-bulk-len: %v", err)
	}
}

func TestHostileQueryBufferLimit(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.ClientQueryBufferLimit = 1 << 20 // the least allowed
		c.ProtoMaxBulkLen = 4 << 20
	})
	healthy := goRedis(t, "tcp", ts.tcp, nil, 2)
	if err := testutil.RoundTrip(t, healthy, "before"); err != nil {
		t.Fatal(err)
	}
	st := ts.srv.Stats()
	big := strings.Repeat("v", 1024)
	for i, tc := range []struct {
		name       string
		start, end string // written before and after the healthy round trip
	}{
		// One element of 2 MiB: refused at its header, before its data.
		{"one big element", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n", "$2097152\r\n" + strings.Repeat("x", 2<<20) + "\r\n"},
		// Many small elements that add up to more than the limit.
		{"many elements", "*2050\r\n$4\r\nMSET\r\n", strings.Repeat("$1\r\nk\r\n$1024\r\n"+big+"\r\n", 1024) + "$1\r\nk\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := hostileDial(t, "tcp", ts.tcp)
			hostileWrite(t, bad, tc.start)
			if err := testutil.RoundTrip(t, healthy, "during"); err != nil {
				t.Fatal(err)
			}
			// The rest goes from its own goroutine: the server hangs up
			// halfway, failing the write.
			wrote := make(chan error, 1)
			go func() {
				bad.SetWriteDeadline(time.Now().Add(10 * time.Second))
				_, err := io.WriteString(bad, tc.end)
				wrote <- err
			}()
			got, err := hostileUntilClosed(bad)
			if err != nil {
				t.Fatalf("the server did not close a client past client-query-buffer-limit: %v", err)
			}
			if got != "" {
				t.Fatalf("a client past client-query-buffer-limit got %.200q; Redis closes it without a reply", got)
			}
			if err := <-wrote; isNetTimeout(err) {
				t.Fatalf("writing the request: %v; the server should have hung up", err)
			}
			hostileCounted(t, healthy, &st.QueryBufferLimit, "client_query_buffer_limit_disconnections", int64(i+1))
			if err := testutil.RoundTrip(t, healthy, "after"); err != nil {
				t.Fatal(err)
			}
			if n, err := healthy.Exists(context.Background(), "k").Result(); err != nil || n != 0 {
				t.Fatalf("EXISTS k = %d, %v: the refused command ran", n, err)
			}
		})
	}
	if n := st.ProtocolErrors.Load(); n != 0 {
		t.Fatalf("total_protocol_errors = %d: a query buffer limit is not a protocol error", n)
	}
}

// hostileClientHello returns the first record a Go TLS client sends: its
// ClientHello.
func hostileClientHello(t *testing.T, tc *tls.Config) []byte {
	t.Helper()
	client, server := net.Pipe()
	defer server.Close()
	go func() {
		tls.Client(client, tc).Handshake()
		client.Close()
	}()
	server.SetReadDeadline(time.Now().Add(10 * time.Second))
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(server, hdr); err != nil {
		t.Fatal(err)
	}
	if hdr[0] != 0x16 {
		t.Fatalf("a TLS client's first record has type %#x", hdr[0])
	}
	rec := make([]byte, 5+int(hdr[3])<<8|int(hdr[4]))
	copy(rec, hdr)
	if _, err := io.ReadFull(server, rec[5:]); err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestHostileTLSHandshakeTimeout(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.TLSHandshakeTimeout = time.Second
		c.TLS.AuthClients = "no"
	})
	healthy := goRedis(t, "tcp", ts.tls, ts.ClientTLS(t, false), 2)
	if err := testutil.RoundTrip(t, healthy, "before"); err != nil {
		t.Fatal(err)
	}
	hello := hostileClientHello(t, ts.ClientTLS(t, false))
	cases := []struct {
		name string
		send []byte
	}{
		{"nothing", nil},
		{"half a ClientHello", hello[:len(hello)/2]},
		// The server answers and then waits for the client's Finished.
		{"ClientHello, then silence", hello},
	}
	conns := make([]net.Conn, len(cases))
	for i, tc := range cases {
		conns[i] = hostileDial(t, "tcp", ts.tls)
		if tc.send != nil {
			hostileWrite(t, conns[i], string(tc.send))
		}
	}

	// While those handshakes hang, an established TLS client and a new one
	// are served.
	if err := testutil.RoundTrip(t, healthy, "during"); err != nil {
		t.Fatal(err)
	}
	fresh := goRedis(t, "tcp", ts.tls, ts.ClientTLS(t, false), 2)
	if err := testutil.RoundTrip(t, fresh, "fresh"); err != nil {
		t.Fatal(err)
	}
	st := ts.srv.Stats()
	if n := st.TLSHandshakeTimeouts.Load(); n != 0 {
		t.Fatalf("tls_handshake_timeouts = %d before the healthy clients were done: they waited for the hanging handshakes", n)
	}

	for i, tc := range cases {
		got, err := hostileUntilClosed(conns[i])
		if err != nil {
			t.Fatalf("%s: the server kept the connection past the handshake timeout: %v", tc.name, err)
		}
		// Nothing, or the server's side of the handshake: TLS records.
		if got != "" && (tc.send == nil || got[0] != 0x16) {
			t.Fatalf("%s: the server answered %.100q", tc.name, got)
		}
	}
	hostileCounted(t, healthy, &st.TLSHandshakeTimeouts, "tls_handshake_timeouts", int64(len(cases)))
	if n := st.TLSHandshakeFailures.Load(); n < int64(len(cases)) {
		t.Fatalf("tls_handshake_failures = %d, want at least %d", n, len(cases))
	}
	if err := testutil.RoundTrip(t, healthy, "after"); err != nil {
		t.Fatal(err)
	}
}

// TestHostileIdleTimeout: with timeout set, a client that sends nothing is
// closed; one that keeps talking is not, however long it stays.
func TestHostileIdleTimeout(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.Timeout = 400 * time.Millisecond })
	active := ts.raw(t)
	if got := mustDo(t, active, "PING"); got != `"PONG"` {
		t.Fatalf("PING = %s", got)
	}
	// One idle client never says anything; the other goes quiet after a
	// command.
	silent := hostileDial(t, "tcp", ts.tcp)
	quiet := hostileDial(t, "tcp", ts.tcp)
	hostileWrite(t, quiet, "PING\r\n")
	closed := make(chan string, 2)
	for _, c := range []net.Conn{silent, quiet} {
		go func() {
			got, err := hostileUntilClosed(c)
			if err != nil {
				got = "not closed: " + err.Error()
			}
			closed <- got
		}()
	}
	// The active client, connected before both, keeps talking until both
	// are gone: it outlives them by at least the timeout.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var got []string
	for len(got) < 2 {
		select {
		case s := <-closed:
			got = append(got, s)
		case <-tick.C:
			if r := mustDo(t, active, "PING"); r != `"PONG"` {
				t.Fatalf("PING = %s", r)
			}
		}
	}
	for _, s := range got {
		if s != "" && s != "+PONG\r\n" {
			t.Fatalf("an idle client got %q before being closed", s)
		}
	}
	if r := mustDo(t, active, "PING"); r != `"PONG"` {
		t.Fatalf("the active client after the idle ones were closed: PING = %s", r)
	}
	st := ts.srv.Stats()
	eventually(t, "both idle clients counted", func() bool { return st.IdleTimeouts.Load() >= 2 })
	if n := hostileInfo(t, active, "stats", "client_idle_timeout_disconnections"); n != 2 {
		t.Fatalf("INFO client_idle_timeout_disconnections = %d, want 2", n)
	}
}

// TestHostileIdleTimeoutSlowSender: a client that takes longer than timeout
// to send one request, but never pauses that long, is not idle (Redis
// measures idleness from the last byte read).
func TestHostileIdleTimeoutSlowSender(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.Timeout = 400 * time.Millisecond })
	slow := hostileDial(t, "tcp", ts.tcp)
	const size = 4096
	hostileWrite(t, slow, fmt.Sprintf("*3\r\n$3\r\nSET\r\n$4\r\nslow\r\n$%d\r\n", size))
	// Witnesses tell time without a clock: each is closed as idle timeout
	// after it connected. The server may set the slow client's deadline
	// a little after the first witness connects, never after the second.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	sent := 0
	for range 2 {
		witness := hostileDial(t, "tcp", ts.tcp)
		gone := make(chan struct{})
		go func() {
			hostileUntilClosed(witness)
			close(gone)
		}()
		for waiting := true; waiting; {
			select {
			case <-gone:
				waiting = false
			case <-tick.C:
				if sent == size-1 {
					t.Fatal("the witness was not closed")
				}
				if _, err := slow.Write([]byte("v")); err != nil {
					t.Fatalf("a client sending a byte every 10 ms was cut off after %d bytes of its request: %v", sent, err)
				}
				sent++
			}
		}
	}
	hostileWrite(t, slow, strings.Repeat("v", size-sent)+"\r\n")
	slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 5)
	if _, err := io.ReadFull(slow, buf); err != nil || string(buf) != "+OK\r\n" {
		t.Fatalf("a client sending steadily was cut off: read %q, %v", buf, err)
	}
}

// TestHostileIdleTimeoutSlowReader: a client that takes longer than
// timeout to read one big reply, but keeps reading, is not stalled.
func TestHostileIdleTimeoutSlowReader(t *testing.T) {
	// The reply takes about 2.6 s at the pace below, far longer than
	// timeout, while no 64 KiB chunk waits anywhere near it, even under
	// the race detector on a loaded machine.
	ts := startServer(t, func(c *Config) { c.Timeout = 1500 * time.Millisecond })
	const size = 16 << 20
	value := strings.Repeat("v", size)
	setter := ts.raw(t)
	if got := mustDo(t, setter, "SET", "big", value); got != `"OK"` {
		t.Fatalf("SET = %s", got)
	}
	reader := hostileDial(t, "tcp", ts.tcp)
	hostileWrite(t, reader, "GET big\r\n")
	reader.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got bytes.Buffer
	buf := make([]byte, 64<<10)
	n, err := reader.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	got.Write(buf[:n])
	// The reply is being written: a witness connecting now is closed as
	// idle only after the reply's write has lasted more than timeout.
	witness := hostileDial(t, "tcp", ts.tcp)
	gone := make(chan struct{})
	go func() {
		hostileUntilClosed(witness)
		close(gone)
	}()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for waiting := true; waiting; {
		select {
		case <-gone:
			waiting = false
		case <-tick.C:
			n, err := reader.Read(buf)
			got.Write(buf[:n])
			if err != nil {
				t.Fatalf("a client reading steadily was cut off after %d bytes: %v", got.Len(), err)
			}
		}
	}
	want := fmt.Sprintf("$%d\r\n%s\r\n", size, value)
	for got.Len() < len(want) {
		n, err := reader.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			t.Fatalf("a client reading steadily was cut off after %d of %d bytes: %v", got.Len(), len(want), err)
		}
	}
	if got.String() != want {
		t.Fatal("the reply is not the value")
	}
	if n := ts.srv.Stats().StalledOutput.Load(); n != 0 {
		t.Fatalf("client_output_stalled_disconnections = %d", n)
	}
}

func TestHostilePlainTextOnTLSPort(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.TLS.AuthClients = "no" })
	healthy := goRedis(t, "tcp", ts.tls, ts.ClientTLS(t, false), 2)
	if err := testutil.RoundTrip(t, healthy, "before"); err != nil {
		t.Fatal(err)
	}
	for i, req := range []string{"PING\r\n", "*1\r\n$4\r\nPING\r\n", "SET k v\n"} {
		bad := hostileDial(t, "tcp", ts.tls)
		// Fewer bytes than a TLS record header: the server is still
		// waiting for the rest.
		hostileWrite(t, bad, req[:2])
		if err := testutil.RoundTrip(t, healthy, "during"); err != nil {
			t.Fatal(err)
		}
		hostileWrite(t, bad, req[2:])
		got := hostileClosed(t, bad)
		line, rest, _ := strings.Cut(got, "\r\n")
		if !strings.HasPrefix(line, "-ERR ") || !strings.Contains(line, "TLS") || rest != "" {
			t.Fatalf("plain %q on the TLS port got %q; want one -ERR line saying TLS is required, then EOF", req, got)
		}
		hostileCounted(t, healthy, &ts.srv.Stats().PlainTextOnTLSPort, "tls_plaintext_clients", int64(i+1))
	}
	if err := testutil.RoundTrip(t, healthy, "after"); err != nil {
		t.Fatal(err)
	}
	if n, err := healthy.Exists(context.Background(), "k").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS k = %d, %v: a plain-text command ran on the TLS port", n, err)
	}
}

func TestHostileTLSOnPlainPort(t *testing.T) {
	ts := startServer(t, nil)
	healthy := goRedis(t, "tcp", ts.tcp, nil, 2)
	if err := testutil.RoundTrip(t, healthy, "before"); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		raw := hostileDial(t, "tcp", ts.tcp)
		raw.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Client(raw, ts.ClientTLS(t, false))
		// The handshake must fail because the server hung up, not because
		// it sat on the ClientHello as the start of an inline command
		// until our deadline.
		err := tc.Handshake()
		if err == nil {
			t.Fatal("a TLS handshake succeeded on the plain port")
		}
		if isNetTimeout(err) {
			t.Fatalf("the server kept a TLS client on the plain port waiting: %v", err)
		}
		if got := hostileClosed(t, raw); got != "" {
			t.Fatalf("the server answered a TLS ClientHello with %q", got)
		}
		hostileCounted(t, healthy, &ts.srv.Stats().TLSOnPlainPort, "tls_clients_on_plain_port", int64(i+1))
		if err := testutil.RoundTrip(t, healthy, "during"); err != nil {
			t.Fatal(err)
		}
	}
	// A new plain client is served as ever.
	if err := testutil.RoundTrip(t, goRedis(t, "tcp", ts.tcp, nil, 3), "new"); err != nil {
		t.Fatal(err)
	}
	if n := ts.srv.Stats().ProtocolErrors.Load(); n != 0 {
		t.Fatalf("total_protocol_errors = %d: the ClientHello was parsed as a command", n)
	}
}

// hostileRandom returns n pseudo-random bytes without the bytes in except.
func hostileRandom(rng *rand.Rand, n int, except string) string {
	b := make([]byte, 0, n)
	for len(b) < n {
		if c := byte(rng.Uint32()); strings.IndexByte(except, c) < 0 {
			b = append(b, c)
		}
	}
	return string(b)
}

func TestHostileGarbage(t *testing.T) {
	ts := startServer(t, nil)
	healthy := goRedis(t, "tcp", ts.tcp, nil, 2)
	if err := testutil.RoundTrip(t, healthy, "before"); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name, send, want string
	}{
		{"bad multibulk length", "*x\r\n", "invalid multibulk length"},
		{"binary multibulk length", "*\xfe" + hostileRandom(rng, 200, "\r") + "\r\n", "invalid multibulk length"},
		{"not a bulk", "*1\r\n:1\r\n", "expected '$', got ':'"},
		{"negative bulk length", "*2\r\n$4\r\nECHO\r\n$-5\r\n", "invalid bulk length"},
		// Binary with no line end: an inline request past 64 KiB.
		{"random binary", "\xff" + hostileRandom(rng, 64<<10, "\n"), "too big inline request"},
		{"random binary in an open quote", "\"" + hostileRandom(rng, 1000, "\n\"\\\x00") + "\n", "unbalanced quotes in request"},
		{"endless multibulk length", "*" + strings.Repeat("9", 64<<10), "too big mbulk count string"},
	}
	// Every bad client sends all but its last byte, and holds.
	conns := make([]net.Conn, len(cases))
	for i, tc := range cases {
		conns[i] = hostileDial(t, "tcp", ts.tcp)
		hostileWrite(t, conns[i], tc.send[:len(tc.send)-1])
	}
	if err := testutil.RoundTrip(t, healthy, "during"); err != nil {
		t.Fatal(err)
	}
	if n := ts.srv.Stats().ProtocolErrors.Load(); n != 0 {
		t.Fatalf("total_protocol_errors = %d before the requests were complete", n)
	}
	for i, tc := range cases {
		hostileWrite(t, conns[i], tc.send[len(tc.send)-1:])
		if got, want := hostileClosed(t, conns[i]), "-ERR Protocol error: "+tc.want+"\r\n"; got != want {
			t.Fatalf("%s: got %q, want %q", tc.name, got, want)
		}
		if err := testutil.RoundTrip(t, healthy, tc.name); err != nil {
			t.Fatal(err)
		}
	}
	hostileCounted(t, healthy, &ts.srv.Stats().ProtocolErrors, "total_protocol_errors", int64(len(cases)))
}

// hostileBlockedWriting reports whether a client goroutine of this process
// is parked in a socket write, which is where a server goroutine waits on
// a client that does not read.
func hostileBlockedWriting() bool {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		if strings.Contains(header, "[IO wait") && strings.Contains(g, "netmode.(*client).flush") {
			return true
		}
	}
	return false
}

// TestHostileClientNeverReads: a client that pipelines requests and never
// reads the replies stops only its own goroutine. The server stops reading
// it, closes it after timeout, and serves everyone else meanwhile.
func TestHostileClientNeverReads(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.Timeout = 1500 * time.Millisecond })
	setter := ts.raw(t)
	if got := mustDo(t, setter, "SET", "big", strings.Repeat("v", 1<<20)); got != `"OK"` {
		t.Fatalf("SET = %s", got)
	}
	setter.Close()

	// 64 replies of 1 MiB: far more than the socket buffers hold.
	stalled := hostileDial(t, "tcp", ts.tcp)
	hostileWrite(t, stalled, strings.Repeat("GET big\r\n", 64))
	eventually(t, "the server to block writing to the client that does not read", hostileBlockedWriting)
	// The server does not read it any more: this never runs.
	hostileWrite(t, stalled, "SET stalled-ran 1\r\n")

	healthy := goRedis(t, "tcp", ts.tcp, nil, 2)
	for i := range 200 {
		if err := testutil.RoundTrip(t, healthy, "k"+strconv.Itoa(i%10)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := healthy.Exists(context.Background(), "stalled-ran").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS stalled-ran = %d, %v: the server read the stalled client's next command", n, err)
	}
	st := ts.srv.Stats()
	// All of that happened while the stalled client was still connected.
	if n := st.StalledOutput.Load(); n != 0 || !hostileBlockedWriting() {
		t.Fatalf("the stall was over (client_output_stalled_disconnections = %d) before the healthy client finished", n)
	}

	hostileCounted(t, healthy, &st.StalledOutput, "client_output_stalled_disconnections", 1)
	stalled.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := io.Copy(io.Discard, stalled)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("the stalled client was not closed: %v after %d bytes", err, n)
	}
	if n >= 64<<20 {
		t.Fatalf("the stalled client received %d bytes: every reply", n)
	}
	if err := testutil.RoundTrip(t, healthy, "after"); err != nil {
		t.Fatal(err)
	}
	if n, err := healthy.Exists(context.Background(), "stalled-ran").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS stalled-ran = %d, %v: the stalled client's last command ran", n, err)
	}
}

// TestHostilePeerGoneMidRequest: a client that disappears halfway through a
// large bulk, with a FIN or a reset, leaves nothing behind.
func TestHostilePeerGoneMidRequest(t *testing.T) {
	ts := startServer(t, nil)
	healthy := goRedis(t, "tcp", ts.tcp, nil, 2)
	if err := testutil.RoundTrip(t, healthy, "before"); err != nil {
		t.Fatal(err)
	}
	const size = 8 << 20
	half := "*3\r\n$3\r\nSET\r\n$4\r\ngone\r\n$" + strconv.Itoa(size) + "\r\n" + strings.Repeat("x", size/2)
	for _, reset := range []bool{false, true} {
		bad := hostileDial(t, "tcp", ts.tcp)
		hostileWrite(t, bad, half)
		if err := testutil.RoundTrip(t, healthy, "during"); err != nil {
			t.Fatal(err)
		}
		if reset {
			bad.(*net.TCPConn).SetLinger(0)
		}
		bad.Close()
		eventually(t, "the server to drop the client that left", func() bool {
			info, err := healthy.Info(context.Background(), "clients").Result()
			return err == nil && strings.Contains(info, "connected_clients:1\r\n")
		})
		if err := testutil.RoundTrip(t, healthy, "after"); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := healthy.Exists(context.Background(), "gone").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS gone = %d, %v: half a request ran", n, err)
	}
	// A client gone is not hostile input.
	st := ts.srv.Stats()
	if p, q := st.ProtocolErrors.Load(), st.QueryBufferLimit.Load(); p != 0 || q != 0 {
		t.Fatalf("total_protocol_errors = %d, client_query_buffer_limit_disconnections = %d, want 0", p, q)
	}
	// The same request, whole, from a new client.
	v := strings.Repeat("x", size)
	c := goRedis(t, "tcp", ts.tcp, nil, 2)
	if err := c.Set(context.Background(), "gone", v, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.StrLen(context.Background(), "gone").Result(); err != nil || got != size {
		t.Fatalf("STRLEN = %d, %v", got, err)
	}
}
