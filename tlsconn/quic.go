package tlsconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/qlog"
	"github.com/quic-go/quic-go/qlogwriter"
)

// ALPN is the application protocol a QUIC client must offer: RESP, one
// client session per bidirectional stream.
const ALPN = "redis"

// QUIC settings. A QUIC connection carries many client sessions (streams);
// each stream has its own flow control window, so a client that stops
// reading one stream stalls only that stream's writer, and the connection
// window is large enough for the others to go on beside it.
const (
	quicMaxStreams       = 1024             // concurrent client sessions per connection
	quicHandshakeTimeout = 10 * time.Second // as tls-handshake-timeout's default
	quicIdleTimeout      = 5 * time.Minute  // without keepalives or traffic
	quicKeepAlive        = 15 * time.Second // the dialer's keepalive period
)

func quicConfig() *quic.Config {
	return &quic.Config{
		HandshakeIdleTimeout: quicHandshakeTimeout,
		MaxIdleTimeout:       quicIdleTimeout,
		MaxIncomingStreams:   quicMaxStreams,
		// Uni streams have no use in RESP.
		MaxIncomingUniStreams: -1,
	}
}

// QUICHooks are told how QUIC handshakes end, which happens inside the
// QUIC library, out of the server's sight: OnHandshake after each one
// completes, OnHandshakeFailure when a client certificate is refused (the
// error is Go's own for that case: x509.UnknownAuthorityError,
// x509.CertificateInvalidError, or ErrNoClientCertificate). They also
// bound the connections: MaxConns, when set, caps the QUIC connections
// open at once, handshakes in progress included, so that a client cannot
// hold more state with connections that open no stream (and so count as
// no client) than with streams; a connection beyond it is refused before
// its handshake (CONNECTION_REFUSED) and OnRefused called. It is asked
// for every new connection, so a changed limit applies at once, as does
// HandshakeTimeout (default 10 s), the time a handshake may take. Any may
// be nil; all must be safe for concurrent use.
type QUICHooks struct {
	OnHandshake        func(*Security)
	OnHandshakeFailure func(error)
	MaxConns           func() int
	OnRefused          func()
	HandshakeTimeout   func() time.Duration
}

// ErrNoClientCertificate is the handshake failure of a client that sent no
// certificate where one is required (crypto/tls's own words).
var ErrNoClientCertificate = errors.New("tls: client didn't provide a certificate")

// quicTLS adapts a server TLS configuration for QUIC: TLS 1.3 only (QUIC
// has no other) and the ALPN protocol, for every handshake, including those
// whose configuration base's GetConfigForClient picks at that moment.
// Client certificates are verified here rather than by crypto/tls, the same
// way, so that a refusal can be reported to hooks.
func quicTLS(base *tls.Config, hooks QUICHooks) *tls.Config {
	adapt := func(c *tls.Config) *tls.Config { return verifyClientsForQUIC(forQUIC(c), hooks) }
	if base.GetConfigForClient == nil {
		return adapt(base)
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		NextProtos: []string{ALPN},
		GetConfigForClient: func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
			c, err := base.GetConfigForClient(hi)
			if err != nil || c == nil {
				return c, err
			}
			return adapt(c), nil
		},
	}
}

// verifyClientsForQUIC moves c's client certificate verification into
// VerifyPeerCertificate, reporting refusals: c asks for a certificate
// without crypto/tls verifying it, and the callback checks it as crypto/tls
// would (the chain to ClientCAs, the clientAuth usage, the validity dates
// by c.Time), requiring one when c did. c is modified and returned.
func verifyClientsForQUIC(c *tls.Config, hooks QUICHooks) *tls.Config {
	if c.ClientAuth != tls.VerifyClientCertIfGiven && c.ClientAuth != tls.RequireAndVerifyClientCert {
		return c
	}
	required := c.ClientAuth == tls.RequireAndVerifyClientCert
	roots, now := c.ClientCAs, c.Time
	fail := func(err error) error {
		if hooks.OnHandshakeFailure != nil {
			hooks.OnHandshakeFailure(err)
		}
		return err
	}
	c.ClientAuth = tls.RequestClientCert
	c.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			if required {
				return fail(ErrNoClientCertificate)
			}
			return nil
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, b := range raw {
			var err error
			if certs[i], err = x509.ParseCertificate(b); err != nil {
				return fail(err)
			}
		}
		opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool(),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
		if now != nil {
			opts.CurrentTime = now()
		}
		for _, ic := range certs[1:] {
			opts.Intermediates.AddCert(ic)
		}
		if _, err := certs[0].Verify(opts); err != nil {
			return fail(err)
		}
		return nil
	}
	return c
}

// forQUIC returns a copy of c with QUIC's ALPN protocol and TLS 1.3.
func forQUIC(c *tls.Config) *tls.Config {
	if c == nil {
		c = &tls.Config{}
	}
	c = c.Clone()
	c.NextProtos = []string{ALPN}
	c.MinVersion = tls.VersionTLS13
	return c
}

// quicListener accepts QUIC connections and hands out each of their
// streams as one Conn. Like a TCP listener, closing it stops new client
// sessions and leaves those open alone: a QUIC connection is closed once
// the last of its streams handed out is closed, and the UDP socket once
// every connection is.
type quicListener struct {
	hooks   QUICHooks
	tr      *quic.Transport
	drops   dropCounter
	ln      *quic.Listener
	streams chan Conn
	ctx     context.Context // cancelled by Close
	cancel  context.CancelFunc

	mu    sync.Mutex
	conns map[*quicConn]bool
	wg    sync.WaitGroup // accept loops and open connections
	open  atomic.Int64   // connections admitted and not yet closed (with MaxConns)
}

// quicConn counts the streams of one QUIC connection handed out and not
// yet closed.
type quicConn struct {
	c       *quic.Conn
	sec     *Security
	mu      sync.Mutex
	live    int
	closing bool // the listener closed: close c once live is 0
}

func (qc *quicConn) streamClosed() {
	qc.mu.Lock()
	qc.live--
	done := qc.closing && qc.live == 0
	qc.mu.Unlock()
	if done {
		qc.c.CloseWithError(0, "server closing")
	}
}

// ListenQUIC is Listen(QUIC, addr, t) with hooks told how handshakes end.
func ListenQUIC(addr string, t *ServerTLS, hooks QUICHooks) (Listener, error) {
	if t == nil {
		return nil, errors.New("tlsconn: QUIC listener without a TLS configuration")
	}
	return listenQUIC(addr, t.Config(), hooks)
}

func listenQUIC(addr string, config *tls.Config, hooks QUICHooks) (*quicListener, error) {
	udpAddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	udp, err := net.ListenUDP("udp", udpAddr)
	if err != nil {
		return nil, err
	}
	l := &quicListener{streams: make(chan Conn), conns: map[*quicConn]bool{}, hooks: hooks}
	tr := &quic.Transport{Conn: udp, Tracer: &l.drops, ConnContext: l.admit}
	qc := quicConfig()
	if hooks.HandshakeTimeout != nil {
		qc.GetConfigForClient = func(*quic.ClientInfo) (*quic.Config, error) {
			c := quicConfig()
			c.HandshakeIdleTimeout = hooks.HandshakeTimeout()
			return c, nil
		}
	}
	ln, err := tr.Listen(quicTLS(config, hooks), qc)
	if err != nil {
		udp.Close()
		return nil, err
	}
	l.tr, l.ln = tr, ln
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.wg.Add(1)
	go l.acceptConns()
	go func() {
		<-l.ctx.Done()
		l.wg.Wait()
		tr.Close()
		udp.Close()
	}()
	return l, nil
}

// errTooManyConns refuses a QUIC connection over QUICHooks.MaxConns.
var errTooManyConns = errors.New("tlsconn: too many QUIC connections")

// admit counts a new connection against MaxConns, from its first packet to
// its end (quic-go cancels ctx then, also when the handshake fails).
func (l *quicListener) admit(ctx context.Context, _ *quic.ClientInfo) (context.Context, error) {
	if l.hooks.MaxConns == nil {
		return ctx, nil
	}
	if l.open.Add(1) > int64(l.hooks.MaxConns()) {
		l.open.Add(-1)
		if l.hooks.OnRefused != nil {
			l.hooks.OnRefused()
		}
		return nil, errTooManyConns
	}
	context.AfterFunc(ctx, func() { l.open.Add(-1) })
	return ctx, nil
}

// acceptConns accepts connections (their handshakes complete) until Close.
func (l *quicListener) acceptConns() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept(l.ctx)
		if err != nil {
			return
		}
		qc := &quicConn{c: c, sec: quicSecurity(c)}
		if l.hooks.OnHandshake != nil {
			l.hooks.OnHandshake(qc.sec)
		}
		l.mu.Lock()
		if l.ctx.Err() != nil { // Close ran: it did not see this one
			l.mu.Unlock()
			c.CloseWithError(0, "server closing")
			return
		}
		l.conns[qc] = true
		l.mu.Unlock()
		l.wg.Add(1)
		go l.acceptStreams(qc)
	}
}

// acceptStreams hands out qc's streams until the connection ends. Once
// the listener is closed, a new stream is reset at once, so that its
// client sees an error (and redials) rather than waiting on a session
// nobody serves.
func (l *quicListener) acceptStreams(qc *quicConn) {
	defer l.wg.Done()
	defer func() {
		l.mu.Lock()
		delete(l.conns, qc)
		l.mu.Unlock()
	}()
	for {
		s, err := qc.c.AcceptStream(qc.c.Context())
		if err != nil {
			return // the connection ended
		}
		qc.mu.Lock()
		qc.live++
		qc.mu.Unlock()
		select {
		case l.streams <- &quicStream{Stream: s, conn: qc.c, sec: qc.sec, owner: qc}:
			continue
		case <-l.ctx.Done():
		}
		s.CancelRead(0)
		s.CancelWrite(0)
		qc.streamClosed()
	}
}

// quicSecurity describes c's TLS session. The server verifies client
// certificates itself (verifyClientsForQUIC), so crypto/tls records no
// verified chain: a certificate it accepted is the peer's first.
func quicSecurity(c *quic.Conn) *Security {
	st := c.ConnectionState().TLS
	sec := securityOf(st)
	if sec.PeerCertificate == nil && len(st.PeerCertificates) > 0 {
		sec.PeerCertificate = st.PeerCertificates[0]
	}
	return sec
}

func (l *quicListener) Accept() (Conn, error) {
	select {
	case c := <-l.streams:
		return c, nil
	case <-l.ctx.Done():
		return nil, net.ErrClosed
	}
}

// Close stops accepting connections and streams. Connections without an
// open stream close now, the others with their last stream.
func (l *quicListener) Close() error {
	l.cancel()
	err := l.ln.Close()
	l.mu.Lock()
	for qc := range l.conns {
		qc.mu.Lock()
		qc.closing = true
		idle := qc.live == 0
		qc.mu.Unlock()
		if idle {
			qc.c.CloseWithError(0, "server closing")
		}
	}
	l.mu.Unlock()
	return err
}

// DroppedDatagrams counts the datagrams the listener dropped: not QUIC,
// malformed, or for no connection it knows.
func (l *quicListener) DroppedDatagrams() int64 { return l.drops.n.Load() }

// dropCounter counts qlog's packet_dropped events of a transport.
type dropCounter struct{ n atomic.Int64 }

func (d *dropCounter) RecordEvent(e qlogwriter.Event) {
	if _, ok := e.(qlog.PacketDropped); ok {
		d.n.Add(1)
	}
}

func (d *dropCounter) Close() error { return nil }

func (l *quicListener) Addr() net.Addr    { return l.ln.Addr() }
func (l *quicListener) Transport() string { return QUIC }

// quicStream is one client session: a bidirectional stream.
type quicStream struct {
	*quic.Stream
	conn  *quic.Conn
	sec   *Security
	owner *quicConn // nil on the client side
	once  sync.Once
}

func (s *quicStream) Transport() string               { return QUIC }
func (s *quicStream) Handshake(context.Context) error { return nil } // done with the connection
func (s *quicStream) Security() *Security             { return s.sec }
func (s *quicStream) LocalAddr() net.Addr             { return s.conn.LocalAddr() }
func (s *quicStream) RemoteAddr() net.Addr            { return s.conn.RemoteAddr() }

// Close ends both directions of the stream (Stream.Close only finishes the
// sending side).
func (s *quicStream) Close() error {
	var err error
	s.once.Do(func() {
		s.Stream.CancelRead(0)
		err = s.Stream.Close()
		if s.owner != nil {
			s.owner.streamClosed()
		}
	})
	return err
}
