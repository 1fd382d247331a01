package tlsconn

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"
)

// FailureKind is why a TLS handshake failed, as INFO tls counts it.
type FailureKind int

// The kinds of handshake failure, each counted in INFO tls as
// tls_handshake_failures_<String()>.
const (
	// FailureOther is any failure not below.
	FailureOther FailureKind = iota
	// FailureNotTLS: the peer sent something that is not TLS (a
	// plain-text Redis command on the TLS port).
	FailureNotTLS
	// FailureTimeout: the handshake did not finish in time.
	FailureTimeout
	// FailureUnknownCA: the client's certificate chains to no trusted CA.
	FailureUnknownCA
	// FailureExpiredCert: the client's certificate has expired (or is not
	// valid yet).
	FailureExpiredCert
	// FailureNoClientCert: a certificate is required and the client sent
	// none.
	FailureNoClientCert
	// FailureProtocolVersion: client and server share no TLS version.
	FailureProtocolVersion
)

// String is the kind's name in INFO tls: "not_tls", "timeout",
// "unknown_ca", "expired_cert", "no_client_cert", "protocol_version" or
// "other".
func (k FailureKind) String() string {
	switch k {
	case FailureNotTLS:
		return "not_tls"
	case FailureTimeout:
		return "timeout"
	case FailureUnknownCA:
		return "unknown_ca"
	case FailureExpiredCert:
		return "expired_cert"
	case FailureNoClientCert:
		return "no_client_cert"
	case FailureProtocolVersion:
		return "protocol_version"
	}
	return "other"
}

// HandshakeFailure classifies the error of a failed server-side TLS
// handshake: Conn.Handshake's, or the one QUICHooks.OnHandshakeFailure
// receives.
func HandshakeFailure(err error) FailureKind {
	var unknownCA x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	switch {
	case IsNotTLS(err):
		return FailureNotTLS
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return FailureTimeout
	case errors.As(err, &unknownCA):
		return FailureUnknownCA
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return FailureExpiredCert
	// crypto/tls has no error values for these two: its messages are the
	// only way to tell them apart.
	case strings.Contains(err.Error(), "client didn't provide a certificate"):
		return FailureNoClientCert
	case strings.Contains(err.Error(), "unsupported versions") || strings.Contains(err.Error(), "protocol version not supported"):
		return FailureProtocolVersion
	}
	return FailureOther
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
