package tlsconn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// Transport names, as INFO, CLIENT LIST, the listener lines and
// repl-transport show them; Listen and Dialer take them.
const (
	TCP  = "tcp"
	TLS  = "tls"
	Unix = "unix"
	QUIC = "quic"
)

// Listener accepts connections of one transport. Implementations are safe
// for concurrent use; Close unblocks Accept.
type Listener interface {
	// Accept waits for the next connection. For TLS the handshake has not
	// happened yet: the caller runs Conn.Handshake (with a deadline) on its
	// own goroutine, so that a slow client never holds up the accept loop.
	Accept() (Conn, error)
	Close() error
	Addr() net.Addr
	// Transport is TCP, TLS, Unix or QUIC.
	Transport() string
}

// Conn is one client connection (for QUIC, one stream) of any transport.
type Conn interface {
	net.Conn
	// Transport is TCP, TLS, Unix or QUIC.
	Transport() string
	// Handshake completes the TLS handshake, bounded by ctx. It does nothing
	// on transports without one.
	Handshake(ctx context.Context) error
	// Security describes the TLS session, or is nil for a plain transport.
	// It is valid after Handshake.
	Security() *Security
}

// Listen opens a listener of transport (TCP, TLS, Unix or QUIC) on addr:
// host:port for TCP, TLS and QUIC (UDP), a path for Unix. TLS and QUIC
// serve t's configuration, the one in service at each handshake, which is
// how reloaded certificates reach new connections; TCP and Unix ignore t,
// which may be nil. A stale unix socket file is removed first, as Redis
// does.
func Listen(transport, addr string, t *ServerTLS) (Listener, error) {
	switch transport {
	case TCP, TLS:
		if transport == TLS && t == nil {
			return nil, errors.New("tlsconn: TLS listener without a TLS configuration")
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, err
		}
		l := &streamListener{ln: ln, transport: transport}
		if transport == TLS {
			l.tls = t.Config()
		}
		return l, nil
	case Unix:
		if fi, err := os.Lstat(addr); err == nil && fi.Mode()&os.ModeSocket != 0 {
			os.Remove(addr)
		}
		ln, err := net.Listen("unix", addr)
		if err != nil {
			return nil, err
		}
		// Remove the file on Close, as Redis removes it on shutdown.
		ln.(*net.UnixListener).SetUnlinkOnClose(true)
		return &streamListener{ln: ln, transport: Unix}, nil
	case QUIC:
		return ListenQUIC(addr, t, QUICHooks{})
	}
	return nil, fmt.Errorf("tlsconn: unknown transport %q", transport)
}

// streamListener serves TCP, TLS and unix sockets, all stream sockets.
type streamListener struct {
	ln        net.Listener
	transport string
	tls       *tls.Config
}

func (l *streamListener) Accept() (Conn, error) {
	c, err := l.ln.Accept()
	if err != nil {
		return nil, err
	}
	if l.transport == TLS {
		return &tlsConn{Conn: tls.Server(c, l.tls), raw: c}, nil
	}
	return &plainConn{Conn: c, transport: l.transport}, nil
}

func (l *streamListener) Close() error      { return l.ln.Close() }
func (l *streamListener) Addr() net.Addr    { return l.ln.Addr() }
func (l *streamListener) Transport() string { return l.transport }

// plainConn is a TCP or unix connection.
type plainConn struct {
	net.Conn
	transport string
}

func (c *plainConn) Transport() string                 { return c.transport }
func (c *plainConn) Handshake(context.Context) error   { return nil }
func (c *plainConn) Security() *Security               { return nil }
func (c *plainConn) SetKeepAlive(d time.Duration) bool { return setKeepAlive(c.Conn, d) }

// tlsConn is a TLS connection over TCP.
type tlsConn struct {
	*tls.Conn
	raw net.Conn
	sec *Security
}

func (c *tlsConn) Transport() string { return TLS }

// Handshake runs the TLS handshake. A peer that does not speak TLS at all
// fails with an error that IsNotTLS recognizes.
func (c *tlsConn) Handshake(ctx context.Context) error {
	if err := c.HandshakeContext(ctx); err != nil {
		return err
	}
	c.sec = securityOf(c.ConnectionState())
	return nil
}

func (c *tlsConn) Security() *Security               { return c.sec }
func (c *tlsConn) SetKeepAlive(d time.Duration) bool { return setKeepAlive(c.raw, d) }

// RawConn returns the connection under a TLS connection (the connection
// itself otherwise), for answering a peer that does not speak TLS in plain
// text.
func RawConn(c Conn) net.Conn {
	if t, ok := c.(*tlsConn); ok {
		return t.raw
	}
	return c
}

// IsNotTLS reports whether a handshake error means the peer sent something
// that is not TLS at all, such as a plain-text Redis command.
func IsNotTLS(err error) bool {
	var rh tls.RecordHeaderError
	return errors.As(err, &rh)
}

// LooksLikeTLS reports whether the first bytes a peer sent are a TLS
// handshake record: what a TLS client sends to a plain-text port.
func LooksLikeTLS(b []byte) bool {
	return len(b) >= 3 && b[0] == 0x16 && b[1] == 0x03 && b[2] <= 0x04
}

// SetKeepAlive turns TCP keepalive probes on for c with the given period
// (Redis's tcp-keepalive), where the transport has them. It reports whether
// it could.
func SetKeepAlive(c Conn, period time.Duration) bool {
	if k, ok := c.(interface{ SetKeepAlive(time.Duration) bool }); ok {
		return k.SetKeepAlive(period)
	}
	return false
}

func setKeepAlive(c net.Conn, period time.Duration) bool {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return false
	}
	if period <= 0 {
		return tc.SetKeepAlive(false) == nil
	}
	return tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: period, Interval: period / 3, Count: 3}) == nil
}
