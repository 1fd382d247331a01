package tlsconn

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/quic-go/quic-go"
)

// Dialer opens client connections of one transport, the outgoing side of
// what Listen accepts: replication links, and any client of a Shingle
// port. It returns the Conn interface the listeners hand out, its TLS
// handshake done (Security describes the session).
//
// Over QUIC, each dial opens a stream, one client session, of one QUIC
// connection per address that the Dialer keeps (opened on first use, and
// again once it has closed); it sends keepalives every 15 seconds. Close
// closes those connections.
//
// A Dialer is safe for concurrent use once its fields are set; it must not
// be copied after first use. Its DialContext fits go-redis's
// Options.Dialer:
//
//	d, err := tlsconn.NewDialer(tlsconn.QUIC, settings, "")
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:7381", Dialer: d.DialContext})
type Dialer struct {
	// Transport is TCP, TLS, Unix (the address is a socket path) or QUIC.
	// Default "": TCP.
	Transport string
	// TLSConfig is the client side of TLS and QUIC, which require it: the
	// CAs that verify the server, the certificate presented, the server
	// name. NewDialer builds it from Settings (Settings.ClientConfig), so
	// that the system trust store is never used implicitly; a QUIC dial
	// uses a copy with the ALPN protocol and TLS 1.3. It must not be
	// modified once the Dialer is in use. TCP and Unix ignore it. Default
	// nil.
	TLSConfig *tls.Config
	// Timeout bounds each dial, its TLS or QUIC handshake included, on top
	// of the context's own deadline. Default 0: the context alone.
	Timeout time.Duration
	// NetDial dials the TCP connection under TLS and plain TCP instead of
	// net.Dialer; nil: a net.Dialer. Unix and QUIC ignore it. Tests set it
	// to put faults under a link (a partition, a slow network).
	NetDial func(ctx context.Context, network, addr string) (net.Conn, error)

	mu      sync.Mutex
	conns   map[string]*quic.Conn    // QUIC connections, by address
	dialing map[string]chan struct{} // closed when the dial to that address ends
}

// NewDialer returns a Dialer of transport (TCP, TLS, Unix or QUIC) whose
// TLS and QUIC links are configured by s, as Redis configures its outgoing
// links: the client pair (tls-client-cert-file and tls-client-key-file)
// when both are set, else the server pair; the CAs of tls-ca-cert-file and
// tls-ca-cert-dir, one of which is required (ErrCARequired); tls-protocols
// and the cipher settings. The files are read now, once: a *SettingError
// reports the first one that does not load. serverName is as for
// Settings.ClientConfig: "" verifies the server's certificate chain without
// checking its name, as redis-server does on its links. For TCP and Unix
// s and serverName are not used.
func NewDialer(transport string, s Settings, serverName string) (*Dialer, error) {
	d := &Dialer{Transport: transport}
	switch transport {
	case TLS, QUIC:
		tc, err := s.ClientConfig(serverName)
		if err != nil {
			return nil, err
		}
		d.TLSConfig = tc
	}
	return d, d.Validate()
}

// Validate reports a Dialer that cannot dial: an unknown transport, or TLS
// or QUIC without a TLSConfig.
func (d *Dialer) Validate() error {
	switch d.Transport {
	case "", TCP, Unix:
		return nil
	case TLS, QUIC:
		if d.TLSConfig == nil {
			return fmt.Errorf("tlsconn: the %s transport needs a TLS configuration", d.Transport)
		}
		return nil
	}
	return fmt.Errorf("tlsconn: unknown transport %q (tcp, tls, unix or quic)", d.Transport)
}

// Dial connects to addr (host:port, or a socket path for Unix) and, for
// TLS, completes the handshake, within ctx and Timeout. Over QUIC it opens
// a new stream of the connection to addr, dialing that first if needed.
// The connection is the caller's to close.
func (d *Dialer) Dial(ctx context.Context, addr string) (Conn, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if d.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.Timeout)
		defer cancel()
	}
	var nd net.Dialer
	netDial := d.NetDial
	if netDial == nil {
		netDial = nd.DialContext
	}
	switch d.Transport {
	case Unix:
		c, err := nd.DialContext(ctx, "unix", addr)
		if err != nil {
			return nil, err
		}
		return &plainConn{Conn: c, transport: Unix}, nil
	case TLS:
		raw, err := netDial(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		// As tls.Dialer does (which takes no dial function): the
		// address's host is the server name when TLSConfig names none.
		cfg := d.TLSConfig
		if cfg.ServerName == "" {
			host, _, _ := net.SplitHostPort(addr)
			cfg = cfg.Clone()
			cfg.ServerName = host
		}
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, err
		}
		return &tlsConn{Conn: tc, raw: raw, sec: securityOf(tc.ConnectionState())}, nil
	case QUIC:
		return d.dialQUIC(ctx, addr)
	}
	c, err := netDial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &plainConn{Conn: c, transport: TCP}, nil
}

// DialContext is Dial shaped as net.Dialer's, for clients that take such a
// function (go-redis's Options.Dialer). network is ignored: the Dialer's
// Transport decides (go-redis passes "tcp" whatever the transport).
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := d.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Close closes the QUIC connections the Dialer keeps, and with them every
// stream it opened; a later Dial connects again. Connections of the other
// transports belong to their callers and are not affected.
func (d *Dialer) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for addr, c := range d.conns {
		c.CloseWithError(0, "client closing")
		delete(d.conns, addr)
	}
	return nil
}

// dialQUIC opens a new stream to addr.
func (d *Dialer) dialQUIC(ctx context.Context, addr string) (Conn, error) {
	c, err := d.quicConn(ctx, addr)
	if err != nil {
		return nil, err
	}
	s, err := c.OpenStreamSync(ctx)
	if err != nil {
		return nil, fmt.Errorf("tlsconn: open QUIC stream to %s: %w", addr, err)
	}
	return &quicStream{Stream: s, conn: c, sec: securityOf(c.ConnectionState().TLS)}, nil
}

// quicConn returns the open QUIC connection to addr, dialing it when there
// is none. One dial per address runs at a time, outside the lock, so that a
// slow address holds up only its own callers.
func (d *Dialer) quicConn(ctx context.Context, addr string) (*quic.Conn, error) {
	d.mu.Lock()
	for {
		if c := d.conns[addr]; c != nil && c.Context().Err() == nil {
			d.mu.Unlock()
			return c, nil
		}
		ch := d.dialing[addr]
		if ch == nil {
			break
		}
		d.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		d.mu.Lock()
	}
	ch := make(chan struct{})
	if d.dialing == nil {
		d.conns, d.dialing = map[string]*quic.Conn{}, map[string]chan struct{}{}
	}
	d.dialing[addr] = ch
	d.mu.Unlock()

	qc := quicConfig()
	qc.KeepAlivePeriod = quicKeepAlive
	c, err := quic.DialAddr(ctx, addr, forQUIC(d.TLSConfig), qc)

	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.dialing, addr)
	close(ch)
	if err != nil {
		return nil, fmt.Errorf("tlsconn: QUIC dial %s: %w", addr, err)
	}
	d.conns[addr] = c
	return c, nil
}
