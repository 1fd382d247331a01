// Package tlsconn is Shingle's transport layer, and everything it knows of
// TLS: listening and dialing over TCP, TLS, unix sockets and QUIC behind
// one small interface (Listener, Dialer, Conn); the translation of Redis's
// tls-* directives into Go's crypto/tls configuration, for listeners
// (ServerTLS) and outgoing links (Dialer) alike (Settings); reading the
// certificate, key and CA files, once per build, and telling when they
// changed (ServerTLS.ReloadIfChanged); the server's TLS session cache; what
// a connection's certificate says its peer is (Security.Identity); and why
// a handshake failed (HandshakeFailure). It knows nothing of RESP. Other
// packages (netmode, replication) import neither crypto/tls nor
// crypto/x509 for what is here.
//
// # Usage
//
//	s := tlsconn.DefaultSettings()
//	s.CertFile, s.KeyFile, s.CACertFile = "server.crt", "server.key", "ca.crt"
//	t, err := tlsconn.NewServerTLS(s)        // reads and checks the files
//	ln, err := tlsconn.Listen(tlsconn.TLS, "127.0.0.1:6380", t)
//	conn, err := ln.Accept()
//	err = conn.Handshake(ctx)                // on the connection's own goroutine
//	sec := conn.Security()                   // version, cipher, resumption, client certificate
//	user := sec.Identity("CN")               // tls-auth-clients-user CN
//	reloaded, err := t.ReloadIfChanged()     // rotated files: new handshakes only
//
//	d, err := tlsconn.NewDialer(tlsconn.TLS, s, "") // client pair, else the server pair; the CA
//	c, err := d.Dial(ctx, "primary:6380")           // a Conn, handshake done
//
// A change of settings is built first and put in service after
// (NewServerTLS, then Adopt on the ServerTLS in service), so that a caller
// can check the files before it commits to anything: CONFIG SET does.
//
// # QUIC
//
// Listen(QUIC, addr, t) accepts QUIC connections on UDP and hands out
// each bidirectional stream as one Conn: one client session per stream,
// many sessions per connection, each stream with its own flow control.
// QUIC is TLS 1.3 only; the ALPN protocol is "redis"; 0-RTT is off,
// since early data can be replayed. The handshake is bounded by
// QUICHooks.HandshakeTimeout (netmode passes tls-handshake-timeout), 10
// seconds without it, and a connection without traffic closes after 5
// minutes (a QUIC Dialer sends keepalives every 15 seconds). A Dialer of
// transport QUIC is the client side, shaped for go-redis's Dialer option.
// QUIC handshakes run inside the QUIC library; so that a refused client
// certificate can be reported (ListenQUIC's hooks), the listener verifies
// client certificates itself, exactly as crypto/tls would (chain to the
// CA, clientAuth usage, validity).
//
// # Redis's directives in Go
//
// Where Go's crypto/tls cannot do what a directive asks, the directive is
// refused with an error naming it, rather than silently meaning something
// else:
//
//   - tls-protocols takes TLSv1.2 and TLSv1.3. TLSv1 and TLSv1.1 are refused
//     as insecure (Redis accepts them).
//   - tls-ciphers takes explicit suite names (OpenSSL's, or the IANA names
//     Go uses) for TLS 1.2. OpenSSL keywords and operators (HIGH, DEFAULT,
//     !aNULL, @STRENGTH) cannot be expressed and are refused, as are suites
//     Go implements only as insecure (RC4, 3DES, CBC-SHA256, RSA key
//     exchange); Go has no DHE suites at all. The order of the list is not a
//     preference: Go orders suites itself.
//   - tls-ciphersuites (TLS 1.3) must be empty or name all three of Go's TLS
//     1.3 suites: Go cannot turn any of them off, so a shorter list would
//     silently mean all three.
//   - tls-prefer-server-ciphers is accepted and has no effect: Go chooses.
//   - tls-dh-params-file has no Settings field: Go does no finite-field
//     Diffie-Hellman, so netmode accepts only its empty default.
//   - tls-key-file-pass and tls-client-key-file-pass decrypt OpenSSL's
//     traditional encrypted PEM keys. PKCS#8 "ENCRYPTED PRIVATE KEY" files
//     (OpenSSL 3's default) are refused with the openssl command that
//     converts them.
//   - Sessions are kept in a server-side cache, as OpenSSL keeps them, for
//     TLS 1.2 and 1.3 alike: tls-session-cache-size bounds it (least
//     recently used out first; 0 is no limit), tls-session-cache-timeout
//     bounds a session's age (0 turns resumption off). The session ticket a
//     client holds is only a random identifier of its entry, so the
//     session's secrets never leave the server. A configuration change
//     (Update, a reload) starts a new cache and so ends the resumption of
//     earlier sessions: a new CA or policy cannot be bypassed by resuming.
//   - tls-ca-cert-dir is read when the configuration is built; a CA added to
//     the directory takes effect at the next build put in service (Update,
//     Adopt, Reload; ReloadIfChanged sees the directory's files change).
//   - Whenever certificates are verified (tls-auth-clients yes or optional,
//     tls-replication, tls-cluster) a CA file or directory is required; the
//     system trust store is never used.
//   - Go requires the clientAuth extended key usage on client certificates;
//     a server pair that outgoing links present must carry it (or none).
//
// # What it must never do
//
// Import a package of Shingle's outside internal/ (a test over go list
// holds it): the transports sit beneath everything that uses them, the
// server, replication and, next, the cluster bus. Know RESP, commands or
// users: it hands out connections, and says who the peer's certificate
// names (Security.Identity) without deciding what that user may do. Use
// the system trust store, or set a deprecated crypto/tls field
// (PreferServerCipherSuites). Take a directive to mean something Go
// cannot do: it refuses it with an error naming it (see above). Affect an
// established connection when the configuration changes: Update, Adopt
// and the reloads reach new handshakes only.
//
// # Locks
//
// Lock order: a QUIC listener's lock, then a QUIC connection's (Close
// marks each connection closing). The other locks are leaves: a
// ServerTLS's (it serializes Update, Adopt and the reloads, which read
// files under it but take no other lock), the session cache's, and a
// Dialer's, which is not held while it dials.
package tlsconn
