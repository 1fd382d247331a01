package tlsconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/certgen"
	"github.com/shinglekv/shingle/internal/testutil"
)

// TestHandshakeFailureKinds classifies errors of each kind, wrapped as
// crypto/tls and QUIC wrap them.
func TestHandshakeFailureKinds(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want FailureKind
	}{
		{tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, FailureNotTLS},
		{fmt.Errorf("handshake: %w", context.DeadlineExceeded), FailureTimeout},
		{&net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, FailureTimeout},
		{&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, FailureUnknownCA},
		{x509.CertificateInvalidError{Reason: x509.Expired}, FailureExpiredCert},
		{x509.CertificateInvalidError{Reason: x509.NotAuthorizedToSign}, FailureOther},
		{ErrNoClientCertificate, FailureNoClientCert},
		{errors.New("tls: client offered only unsupported versions: [303]"), FailureProtocolVersion},
		{errors.New("remote error: tls: protocol version not supported"), FailureProtocolVersion},
		{errors.New("EOF"), FailureOther},
	} {
		if got := HandshakeFailure(tc.err); got != tc.want {
			t.Errorf("HandshakeFailure(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestHandshakeFailureFromHandshakes runs real failing handshakes against
// a TLS listener and classifies the server's errors: what INFO tls counts
// depends on Go's errors staying what this package expects.
func TestHandshakeFailureFromHandshakes(t *testing.T) {
	p := testutil.NewPKI(t, "ca")
	other := testutil.NewPKI(t, "other")
	s, _ := serverSettings(t, p) // tls-auth-clients yes
	s.Protocols = "TLSv1.3"
	st, err := NewServerTLS(s)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(TLS, "127.0.0.1:0", st)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pair := func(p *testutil.PKI, opt certgen.LeafOptions) []tls.Certificate {
		return []tls.Certificate{*p.Pair(t, opt)}
	}
	expired := testutil.ClientLeaf("late")
	expired.NotBefore, expired.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	base := tls.Config{RootCAs: p.Pool(), ServerName: "localhost"}
	// The certificate is sent whatever CAs the server names: Go's client
	// would otherwise send none of another CA's.
	withCerts := func(certs []tls.Certificate) *tls.Config {
		c := base.Clone()
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &certs[0], nil }
		return c
	}
	only12 := withCerts(pair(p, testutil.ClientLeaf("c12")))
	only12.MaxVersion = tls.VersionTLS12

	for _, tc := range []struct {
		name   string
		client func(net.Conn) // what the peer does
		want   FailureKind
	}{
		{"plain text", func(c net.Conn) { c.Write([]byte("PING\r\n")) }, FailureNotTLS},
		{"silent", nil, FailureTimeout},
		{"no certificate", clientHandshake(base.Clone()), FailureNoClientCert},
		{"other CA", clientHandshake(withCerts(pair(other, testutil.ClientLeaf("stranger")))), FailureUnknownCA},
		{"expired", clientHandshake(withCerts(pair(p, expired))), FailureExpiredCert},
		{"TLS 1.2 only", clientHandshake(only12), FailureProtocolVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if tc.client != nil {
				go tc.client(c)
			}
			sc, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			timeout := 20 * time.Second
			if tc.want == FailureTimeout {
				timeout = 50 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			err = sc.Handshake(ctx)
			if err == nil {
				t.Fatal("the handshake succeeded")
			}
			if got := HandshakeFailure(err); got != tc.want {
				t.Errorf("HandshakeFailure(%v) = %v, want %v", err, got, tc.want)
			}
		})
	}
}

// clientHandshake returns a peer that runs a TLS client handshake with cfg
// and reads, which is where a TLS 1.3 client learns of a refusal.
func clientHandshake(cfg *tls.Config) func(net.Conn) {
	return func(c net.Conn) {
		tc := tls.Client(c, cfg)
		if tc.Handshake() == nil {
			tc.Read(make([]byte, 1))
		}
	}
}
