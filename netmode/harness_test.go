package netmode

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/store"
	"github.com/shinglekv/shingle/tlsconn"
)

// testServer is a server on 127.0.0.1:0 (plain and TLS) and a unix
// socket, with a fresh in-memory store, stopped by t.Cleanup.
type testServer struct {
	*testutil.PKI
	db                 *store.DB
	srv                *Server
	tcp, tls, unixPath string
}

// startServer starts a server; mod adjusts the configuration first.
func startServer(t testing.TB, mod func(*Config)) *testServer {
	t.Helper()
	return startServerWith(t, mod)
}

// startServerWith is startServer with cmds added to the server's table
// before it listens, as an embedder extends it.
func startServerWith(t testing.TB, mod func(*Config), cmds ...*command.Command) *testServer {
	t.Helper()
	p := testutil.NewPKI(t, "Shingle Test CA")
	db := memStore(t)
	cfg := DefaultConfig()
	cfg.Port = 0
	cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.CACertFile = p.CertFile, p.KeyFile, p.CAFile
	if mod != nil {
		mod(cfg)
	}
	srv, err := New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	srv.Table().Add(cmds...)
	ts := &testServer{PKI: p, db: db, srv: srv}
	ts.tcp = ts.listen(t, tlsconn.TCP, "127.0.0.1:0")
	ts.tls = ts.listen(t, tlsconn.TLS, "127.0.0.1:0")
	ts.unixPath = ts.listen(t, tlsconn.Unix, filepath.Join(testutil.SocketDir(t), "s"))
	return ts
}

// memStore opens an in-memory store, closed at the end of the test.
func memStore(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open("", &store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func (ts *testServer) listen(t testing.TB, transport, addr string) string {
	t.Helper()
	ln, err := ts.srv.Listen(transport, addr)
	if err != nil {
		t.Fatal(err)
	}
	return ln.Addr().String()
}

// goRedis returns a go-redis client to addr over network ("tcp" or
// "unix"), with TLS when tc is not nil.
func goRedis(t testing.TB, network, addr string, tc *tls.Config, proto int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Network: network, Addr: addr, TLSConfig: tc, Protocol: proto,
		MaxRetries: -1, DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// raw opens a plain RESP client on the plain TCP port.
func (ts *testServer) raw(t testing.TB) *testutil.Client {
	t.Helper()
	return testutil.MustDial(t, "tcp", ts.tcp)
}

// rawTLS opens a RESP client over TLS.
func (ts *testServer) rawTLS(t testing.TB, tc *tls.Config) (*testutil.Client, error) {
	d := tls.Dialer{Config: tc, NetDialer: &net.Dialer{Timeout: 5 * time.Second}}
	conn, err := d.DialContext(context.Background(), "tcp", ts.tls)
	if err != nil {
		return nil, err
	}
	c := testutil.NewClient(conn)
	t.Cleanup(func() { c.Close() })
	return c, nil
}

// sameAsRedis sends each of cmds to redis-server (rc) and to Shingle (sc)
// and fails the test where the replies differ, once comparable makes them
// comparable (nil: as they are).
func sameAsRedis(t *testing.T, rc, sc *testutil.Client, cmds [][]string, comparable func(args []string, r resp.Reply) resp.Reply) {
	t.Helper()
	for _, args := range cmds {
		want, err := rc.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sc.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		if comparable != nil {
			want, got = comparable(args, want), comparable(args, got)
		}
		if want.String() != got.String() {
			t.Errorf("%q:\n  redis:   %v\n  shingle: %v", args, want, got)
		}
	}
}

// mustDo runs a command on a raw client and returns the reply.
func mustDo(t testing.TB, c *testutil.Client, args ...string) string {
	t.Helper()
	r, err := c.Do(args...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return r.String()
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	eventuallyWithin(t, 10*time.Second, what, cond)
}

// eventuallyWithin is eventually with a deadline of d.
func eventuallyWithin(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, d, what, cond)
}

// syncBuffer is a log destination safe for the server's goroutines, from
// which a test reads what the server logged.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// quietLogger keeps go-redis from logging the dial failures that tests
// provoke on purpose.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(quietLogger{}) }
