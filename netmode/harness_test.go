package netmode

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/certgen"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/store"
	"github.com/shinglekv/shingle/tlsconn"
)

// pki is a test CA with a server pair and a client pair, in files.
type pki struct {
	dir                   string
	ca                    *certgen.CA
	caFile                string
	certFile, keyFile     string // server
	clientCert, clientKey string
}

func newPKI(t testing.TB, cn string) *pki {
	t.Helper()
	dir := t.TempDir()
	ca, err := certgen.NewCA(cn, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{dir: dir, ca: ca, caFile: filepath.Join(dir, "ca.crt")}
	if p.certFile, p.keyFile, err = certgen.ServerPair(ca, dir); err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.Issue(certgen.LeafOptions{CommonName: "client", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	p.clientCert, p.clientKey = filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key")
	if err := certgen.WriteFiles(dir, map[string][]byte{"ca.crt": ca.CertPEM, "client.crt": cert, "client.key": key}); err != nil {
		t.Fatal(err)
	}
	return p
}

// clientTLS is a client configuration trusting p's CA, presenting p's
// client certificate when withCert.
func (p *pki) clientTLS(t testing.TB, withCert bool) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.ca.CertPEM)
	c := &tls.Config{RootCAs: pool, ServerName: "localhost"}
	if withCert {
		pair, err := tls.LoadX509KeyPair(p.clientCert, p.clientKey)
		if err != nil {
			t.Fatal(err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return c
}

// testServer is a server on 127.0.0.1:0 (plain and TLS) and a unix
// socket, with a fresh in-memory store, stopped by t.Cleanup.
type testServer struct {
	*pki
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
	p := newPKI(t, "Shingle Test CA")
	db, err := store.Open("", &store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := DefaultConfig()
	cfg.Port = 0
	cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.CACertFile = p.certFile, p.keyFile, p.caFile
	if mod != nil {
		mod(cfg)
	}
	srv, err := New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	srv.Table().Add(cmds...)
	ts := &testServer{pki: p, db: db, srv: srv}
	ts.tcp = ts.listen(t, tlsconn.TCP, "127.0.0.1:0")
	ts.tls = ts.listen(t, tlsconn.TLS, "127.0.0.1:0")
	// Unix socket paths are limited to about 100 bytes: keep it short.
	sockDir, err := os.MkdirTemp("", "sh")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	ts.unixPath = ts.listen(t, tlsconn.Unix, filepath.Join(sockDir, "s"))
	return ts
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
	c, err := testutil.Dial("tcp", ts.tcp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
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

// quietLogger keeps go-redis from logging the dial failures that tests
// provoke on purpose.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(quietLogger{}) }

// presenting is a client configuration trusting p's CA that sends cert
// (none when nil) whatever CAs the server names: Go's client would
// otherwise send no certificate the server's CA list does not cover.
func (p *pki) presenting(t testing.TB, cert *tls.Certificate) *tls.Config {
	c := p.clientTLS(t, false)
	if cert != nil {
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return c
}

// expiredClientCert is a client certificate from p's CA that expired an
// hour ago.
func (p *pki) expiredClientCert(t testing.TB) *tls.Certificate {
	t.Helper()
	certPEM, keyPEM, err := p.ca.Issue(certgen.LeafOptions{CommonName: "old", Client: true,
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return &pair
}
