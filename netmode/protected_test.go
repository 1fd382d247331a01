package netmode

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/tlsconn"
)

// fromListener is a listener whose connections claim to come from another
// address, so that a test on loopback can stand for a client on another
// host.
type fromListener struct {
	tlsconn.Listener
	from net.Addr
}

func (l fromListener) Accept() (tlsconn.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return fromConn{c, l.from}, nil
}

type fromConn struct {
	tlsconn.Conn
	from net.Addr
}

func (c fromConn) RemoteAddr() net.Addr { return c.from }

// TestProtectedMode checks Redis 7.0's protected mode: while the default
// user has no password, a client from neither the loopback interface nor a
// unix socket is told -DENIED and closed.
func TestProtectedMode(t *testing.T) {
	ts := startServer(t, nil)
	admin := ts.raw(t)
	// serveFrom serves a new plain listener whose clients seem to come
	// from addr, and returns where to dial it.
	serveFrom := func(addr string) string {
		ln, err := tlsconn.Listen(tlsconn.TCP, "127.0.0.1:0", nil)
		if err != nil {
			t.Fatal(err)
		}
		go ts.srv.Serve(fromListener{ln, net.TCPAddrFromAddrPort(netip.MustParseAddrPort(addr))})
		return ln.Addr().String()
	}
	ping := func(at string) string {
		c, err := testutil.Dial("tcp", at)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r, err := c.Do("PING")
		if err != nil {
			t.Fatalf("PING: %v", err)
		}
		if strings.HasPrefix(string(r.Str), "DENIED") {
			if _, err := c.Do("PING"); err == nil {
				t.Errorf("the connection stayed open after %q", r.Str)
			}
		}
		return string(r.Str)
	}
	outside := serveFrom("192.0.2.7:40000")
	outside6 := serveFrom("[2001:db8::1]:40000")
	for _, local := range []string{"127.0.0.5:40000", "[::1]:40000", "[::ffff:127.0.0.1]:40000"} {
		if got := ping(serveFrom(local)); got != "PONG" {
			t.Errorf("a client from %s got %q", local, got)
		}
	}
	for _, at := range []string{outside, outside6} {
		if got := ping(at); !strings.HasPrefix(got, "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.") {
			t.Errorf("a client from outside got %q", got)
		}
	}
	info, err := admin.Do("INFO", "stats")
	if err != nil {
		t.Fatal(err)
	}
	if got := infoInt(t, testutil.InfoFields(string(info.Str)), "rejected_connections"); got != 2 {
		t.Errorf("rejected_connections = %d, want 2", got)
	}
	if got := ping(ts.tcp); got != "PONG" {
		t.Fatalf("a client on loopback got %q", got)
	}

	mustDo(t, admin, "CONFIG", "SET", "protected-mode", "no")
	if got := ping(outside); got != "PONG" {
		t.Errorf("with protected-mode no, a client from outside got %q", got)
	}
	mustDo(t, admin, "CONFIG", "SET", "protected-mode", "yes")
	mustDo(t, admin, "CONFIG", "SET", "requirepass", "secret")
	if got := ping(outside); !strings.HasPrefix(got, "NOAUTH") {
		t.Errorf("with a password, a client from outside got %q, want NOAUTH", got)
	}
}
