package tlsconn

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/shinglekv/shingle/internal/testutil"
)

// startQUICEcho serves a QUIC echo listener for s (each stream echoes one
// line at a time) and returns it with the Conns it accepted.
func startQUICEcho(t *testing.T, s Settings) (Listener, <-chan Conn) {
	t.Helper()
	st, err := NewServerTLS(s)
	if err != nil {
		t.Fatal(err)
	}
	return startEcho(t, QUIC, "127.0.0.1:0", st)
}

func echo(c net.Conn, r *bufio.Reader, line string) (string, error) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	got, err := r.ReadString('\n')
	if len(got) > 0 {
		got = got[:len(got)-1]
	}
	return got, err
}

// TestQUICStreams opens two client sessions over one QUIC connection with
// a client certificate: each is its own Conn on the server, with the TLS
// 1.3 session and the verified certificate; a client without a certificate
// is refused under tls-auth-clients yes; closing the listener leaves the
// open sessions working and refuses new ones.
func TestQUICStreams(t *testing.T) {
	p := testutil.NewPKI(t, "ca")
	s, _ := serverSettings(t, p)
	ln, accepted := startQUICEcho(t, s)
	certFile, keyFile := p.Issue(t, "client", testutil.ClientLeaf("alice"))
	d := &Dialer{Transport: QUIC, TLSConfig: &tls.Config{RootCAs: p.Pool(), ServerName: "localhost",
		Certificates: []tls.Certificate{testutil.LoadPair(t, certFile, keyFile)}}}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var conns []net.Conn
	var readers []*bufio.Reader
	for i := range 2 {
		c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(c)
		if got, err := echo(c, r, "hello"); err != nil || got != "hello" {
			t.Fatalf("stream %d echoed %q, %v", i, got, err)
		}
		conns, readers = append(conns, c), append(readers, r)
	}
	if conns[0].LocalAddr().String() != conns[1].LocalAddr().String() {
		t.Error("the two sessions did not share one QUIC connection")
	}
	for range 2 {
		sc := <-accepted
		sec := sc.Security()
		if sc.Transport() != QUIC || sec == nil || sec.Version != tls.VersionTLS13 ||
			sec.PeerCertificate == nil || sec.PeerCertificate.Subject.CommonName != "alice" {
			t.Fatalf("server side: transport %s, security %+v", sc.Transport(), sec)
		}
	}

	anon := &Dialer{Transport: QUIC, TLSConfig: p.ClientTLS(t, false)}
	defer anon.Close()
	if c, err := anon.DialContext(ctx, "udp", ln.Addr().String()); err == nil {
		_, err = echo(c, bufio.NewReader(c), "no certificate")
		if err == nil {
			t.Fatal("a client without a certificate was served")
		}
	}

	ln.Close()
	if got, err := echo(conns[0], readers[0], "still here"); err != nil || got != "still here" {
		t.Fatalf("after the listener closed, an open session echoed %q, %v", got, err)
	}
	// Nothing answers a new connection now: the dial runs into its context.
	late := &Dialer{Transport: QUIC, TLSConfig: d.TLSConfig}
	defer late.Close()
	lateCtx, cancelLate := context.WithTimeout(ctx, time.Second)
	defer cancelLate()
	if c, err := late.DialContext(lateCtx, "udp", ln.Addr().String()); err == nil {
		if _, err := echo(c, bufio.NewReader(c), "late"); err == nil {
			t.Fatal("a new client was served after the listener closed")
		}
	}
}

// TestQUICNewStreamAfterClose opens a session on a QUIC connection whose
// listener has closed while another session stays open: the new one is
// refused at once, not left waiting.
func TestQUICNewStreamAfterClose(t *testing.T) {
	p := testutil.NewPKI(t, "ca")
	s, _ := serverSettings(t, p)
	s.AuthClients = AuthClientsNo
	ln, _ := startQUICEcho(t, s)
	d := &Dialer{Transport: QUIC, TLSConfig: p.ClientTLS(t, false)}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	open, err := d.DialContext(ctx, "udp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := echo(open, bufio.NewReader(open), "hi"); err != nil {
		t.Fatal(err)
	}
	ln.Close()
	c, err := d.DialContext(ctx, "udp", ln.Addr().String())
	if err != nil {
		return // refused at once: as good
	}
	start := time.Now()
	if _, err := echo(c, bufio.NewReader(c), "late"); err == nil {
		t.Fatal("a session opened after Close was served")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("a session opened after Close waited for its deadline instead of being refused")
	}
}

// TestQUICMaxConns opens QUIC connections that open no stream (so count
// as no client) up to MaxConns: the next is refused before its handshake
// and counted, and one closing makes room again.
func TestQUICMaxConns(t *testing.T) {
	p := testutil.NewPKI(t, "ca")
	s, _ := serverSettings(t, p)
	s.AuthClients = AuthClientsNo
	st, err := NewServerTLS(s)
	if err != nil {
		t.Fatal(err)
	}
	var refused atomic.Int64
	ln, err := ListenQUIC("127.0.0.1:0", st, QUICHooks{
		MaxConns:         func() int { return 2 },
		OnRefused:        func() { refused.Add(1) },
		HandshakeTimeout: func() time.Duration { return 5 * time.Second },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	tc := &tls.Config{RootCAs: p.Pool(), ServerName: "localhost", NextProtos: []string{ALPN}}
	dial := func() (*quic.Conn, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return quic.DialAddr(ctx, ln.Addr().String(), tc, &quic.Config{HandshakeIdleTimeout: 5 * time.Second})
	}
	var held []*quic.Conn
	for range 2 {
		c, err := dial()
		if err != nil {
			t.Fatalf("connection %d: %v", len(held)+1, err)
		}
		held = append(held, c)
	}
	if c, err := dial(); err == nil {
		c.CloseWithError(0, "")
		t.Fatal("a third connection was accepted with MaxConns 2")
	}
	// The client may send its first packet more than once: each is
	// refused.
	if got := refused.Load(); got < 1 {
		t.Fatalf("OnRefused called %d times, want at least 1", got)
	}
	held[0].CloseWithError(0, "done")
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := dial()
		if err == nil {
			c.CloseWithError(0, "")
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no room after a connection closed: %v", err)
		}
		<-tick.C
	}
	held[1].CloseWithError(0, "")
}
