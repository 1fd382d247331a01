package tlsconn

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
)

// Security describes the TLS session of a connection. It is read-only once
// the handshake is done, and safe to share.
type Security struct {
	Version     uint16 // tls.VersionTLS12, tls.VersionTLS13
	CipherSuite uint16
	Resumed     bool   // the session was resumed, no full handshake
	ServerName  string // SNI sent by the client
	// PeerCertificate is the peer's verified certificate (the leaf of the
	// first verified chain): on an accepted connection the client's, nil
	// when none was sent or verified.
	PeerCertificate *x509.Certificate
}

// securityOf describes a completed TLS session.
func securityOf(st tls.ConnectionState) *Security {
	sec := &Security{Version: st.Version, CipherSuite: st.CipherSuite, Resumed: st.DidResume, ServerName: st.ServerName}
	if len(st.VerifiedChains) > 0 && len(st.VerifiedChains[0]) > 0 {
		sec.PeerCertificate = st.VerifiedChains[0][0]
	}
	return sec
}

// VersionName is Redis's name for a TLS version: "TLSv1.3".
func VersionName(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS10:
		return "TLSv1"
	}
	return fmt.Sprintf("0x%04x", v)
}

// CipherSuiteName is the IANA name of the session's cipher suite
// ("TLS_AES_128_GCM_SHA256"), as INFO tls and CLIENT LIST show it.
func (s *Security) CipherSuiteName() string { return tls.CipherSuiteName(s.CipherSuite) }

// Identity returns who the peer's verified certificate says it is, as
// tls-auth-clients-user reads it: with mode "CN" its subject's common
// name, with "URI" its first URI subject alternative name (a SPIFFE ID,
// say); mode is case-insensitive. It returns "" for any other mode ("off"),
// when there is no verified certificate, or when the certificate has no
// such name.
func (s *Security) Identity(mode string) string {
	if s == nil || s.PeerCertificate == nil {
		return ""
	}
	switch strings.ToLower(mode) {
	case "cn":
		return s.PeerCertificate.Subject.CommonName
	case "uri":
		if len(s.PeerCertificate.URIs) > 0 {
			return s.PeerCertificate.URIs[0].String()
		}
	}
	return ""
}
