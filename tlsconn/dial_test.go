package tlsconn

import (
	"bufio"
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/testutil"
)

// TestDialerTransports dials an echo listener of every transport with a
// Dialer built from the same Settings as the listener: the connection is
// the listener's kind of Conn on both ends, TLS and QUIC verify the server
// by the CA and present the client pair, which the server sees as the
// certificate's identity.
func TestDialerTransports(t *testing.T) {
	dir := t.TempDir()
	p := testutil.NewPKI(t, "ca")
	s, _ := serverSettings(t, p) // tls-auth-clients yes
	s.ClientCertFile, s.ClientKeyFile = p.Issue(t, "client", testutil.ClientLeaf("replica"))
	st, err := NewServerTLS(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ transport, addr string }{
		{TCP, "127.0.0.1:0"},
		{TLS, "127.0.0.1:0"},
		{Unix, filepath.Join(dir, "echo.sock")},
		{QUIC, "127.0.0.1:0"},
	} {
		t.Run(tc.transport, func(t *testing.T) {
			ln, accepted := startEcho(t, tc.transport, tc.addr, st)
			d, err := NewDialer(tc.transport, s, "")
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := d.Dial(ctx, ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got, err := echo(c, bufio.NewReader(c), "hello"); err != nil || got != "hello" {
				t.Fatalf("echoed %q, %v", got, err)
			}
			sc := <-accepted
			if c.Transport() != tc.transport || sc.Transport() != tc.transport {
				t.Errorf("transports: client %s, server %s", c.Transport(), sc.Transport())
			}
			secure := tc.transport == TLS || tc.transport == QUIC
			if (c.Security() != nil) != secure || (sc.Security() != nil) != secure {
				t.Fatalf("security: client %+v, server %+v", c.Security(), sc.Security())
			}
			if !secure {
				return
			}
			if got := sc.Security().Identity("CN"); got != "replica" {
				t.Errorf("the server sees the client as %q, want the client pair's CN replica", got)
			}
			if cs, ss := c.Security(), sc.Security(); cs.Version != ss.Version || cs.CipherSuiteName() != ss.CipherSuiteName() {
				t.Errorf("client session %s %s, server's %s %s", VersionName(cs.Version), cs.CipherSuiteName(),
					VersionName(ss.Version), ss.CipherSuiteName())
			}
		})
	}
}

// TestDialerServerPair dials without a client pair: the server pair is
// presented, as Redis presents it on its links.
func TestDialerServerPair(t *testing.T) {
	p := testutil.NewPKI(t, "ca")
	s, _ := serverSettings(t, p)
	st, err := NewServerTLS(s)
	if err != nil {
		t.Fatal(err)
	}
	ln, accepted := startEcho(t, TLS, "127.0.0.1:0", st)
	half := s
	half.ClientCertFile = s.CertFile // only one of the client files: not a pair
	d, err := NewDialer(TLS, half, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.Dial(context.Background(), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := echo(c, bufio.NewReader(c), "hi"); err != nil {
		t.Fatal(err)
	}
	if got := (<-accepted).Security().Identity("cn"); got != "localhost" {
		t.Errorf("the server sees the client as %q, want the server pair's CN localhost", got)
	}
}

// TestDialerRefuses checks what a Dialer will not do: TLS without a CA
// (never the system trust store), TLS without a configuration, an unknown
// transport; and that a dial is bounded by Timeout.
func TestDialerRefuses(t *testing.T) {
	p := testutil.NewPKI(t, "ca")
	s, _ := serverSettings(t, p)
	noCA := s
	noCA.CACertFile = ""
	for _, transport := range []string{TLS, QUIC} {
		_, err := NewDialer(transport, noCA, "")
		settingError(t, err, "tls-ca-cert-file", ErrCARequired)
	}
	if _, err := NewDialer(TCP, noCA, ""); err != nil {
		t.Errorf("a TCP dialer read the TLS settings: %v", err)
	}
	if _, err := NewDialer("sctp", s, ""); err == nil {
		t.Error("an unknown transport was accepted")
	}
	if _, err := (&Dialer{Transport: TLS}).Dial(context.Background(), "127.0.0.1:0"); err == nil {
		t.Error("a TLS dial without a TLS configuration went ahead")
	}

	// A listener that never answers the handshake: Timeout ends the dial.
	st, err := NewServerTLS(s)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(TLS, "127.0.0.1:0", st) // nobody accepts: no handshake
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d, err := NewDialer(TLS, s, "")
	if err != nil {
		t.Fatal(err)
	}
	d.Timeout = 100 * time.Millisecond
	if _, err := d.Dial(context.Background(), ln.Addr().String()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a dial whose handshake never ends: %v, want the deadline", err)
	}
}

// TestDialerNetDial: TCP and TLS dial their connection through NetDial
// when it is set (a test's fault injection), and fail with its error;
// the TLS handshake runs over what it returned.
func TestDialerNetDial(t *testing.T) {
	p := testutil.NewPKI(t, "ca")
	s, _ := serverSettings(t, p)
	st, err := NewServerTLS(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, transport := range []string{TCP, TLS} {
		t.Run(transport, func(t *testing.T) {
			ln, _ := startEcho(t, transport, "127.0.0.1:0", st)
			d, err := NewDialer(transport, s, "")
			if err != nil {
				t.Fatal(err)
			}
			var dialed []string
			refuse := errors.New("partitioned")
			d.NetDial = func(ctx context.Context, network, addr string) (net.Conn, error) {
				dialed = append(dialed, network+" "+addr)
				if len(dialed) > 1 {
					return nil, refuse
				}
				var nd net.Dialer
				return nd.DialContext(ctx, network, addr)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := d.Dial(ctx, ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got, err := echo(c, bufio.NewReader(c), "hello"); err != nil || got != "hello" {
				t.Fatalf("echoed %q, %v", got, err)
			}
			if want := "tcp " + ln.Addr().String(); len(dialed) != 1 || dialed[0] != want {
				t.Fatalf("NetDial saw %q, want %q", dialed, want)
			}
			if (c.Security() != nil) != (transport == TLS) {
				t.Fatalf("security: %+v", c.Security())
			}
			if _, err := d.Dial(ctx, ln.Addr().String()); !errors.Is(err, refuse) {
				t.Fatalf("a dial NetDial refused: %v", err)
			}
		})
	}
}
