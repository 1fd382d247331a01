package testutil

import (
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/certgen"
)

// PKI is a throw-away certificate authority made for one test, with a
// server pair and a client pair it issued, all in files, as a server's
// tls-* directives name them. Its fields are set by NewPKI; a test that
// has a CA of its own (one a program under test made) may build a PKI
// literal with only Dir and CA to Issue from it.
type PKI struct {
	// Dir holds every file below, and those Issue writes: a t.TempDir.
	Dir string
	// CA is the authority, valid from an hour ago for a day.
	CA *certgen.CA
	// CAFile is Dir/ca.crt, CA's certificate: tls-ca-cert-file.
	CAFile string
	// CertFile and KeyFile are Dir/server.crt and Dir/server.key, a pair
	// of certgen.ServerLeafOptions (localhost, 127.0.0.1, ::1):
	// tls-cert-file and tls-key-file.
	CertFile, KeyFile string
	// ClientCertFile and ClientKeyFile are Dir/client.crt and
	// Dir/client.key, a client pair of common name "client":
	// tls-client-cert-file and tls-client-key-file.
	ClientCertFile, ClientKeyFile string
}

// NewPKI makes a CA of common name cn, and its server and client pairs, in
// a new t.TempDir. It fails the test on an error.
func NewPKI(t testing.TB, cn string) *PKI {
	t.Helper()
	ca, err := certgen.NewCA(cn, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	p := &PKI{Dir: t.TempDir(), CA: ca}
	p.CAFile = filepath.Join(p.Dir, "ca.crt")
	if err := certgen.WriteFiles(p.Dir, map[string][]byte{"ca.crt": ca.CertPEM}); err != nil {
		t.Fatal(err)
	}
	p.CertFile, p.KeyFile = p.Issue(t, "server", certgen.ServerLeafOptions())
	p.ClientCertFile, p.ClientKeyFile = p.Issue(t, "client", ClientLeaf("client"))
	return p
}

// ClientLeaf returns the options of a client certificate (clientAuth only)
// of common name cn, the identity tls-auth-clients-user CN reads.
func ClientLeaf(cn string) certgen.LeafOptions {
	return certgen.LeafOptions{CommonName: cn, Client: true}
}

// Issue issues a leaf of opt from p's CA and writes it as Dir/name.crt and
// Dir/name.key, replacing files of that name (atomically, so that a server
// reloading them never reads half a file). It returns the two paths.
func (p *PKI) Issue(t testing.TB, name string, opt certgen.LeafOptions) (certFile, keyFile string) {
	t.Helper()
	certPEM, keyPEM, err := p.CA.Issue(opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := certgen.WriteFiles(p.Dir, map[string][]byte{name + ".crt": certPEM, name + ".key": keyPEM}); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(p.Dir, name+".crt"), filepath.Join(p.Dir, name+".key")
}

// Pair issues a leaf of opt from p's CA in memory, for a client to
// present; its Leaf field holds the parsed certificate.
func (p *PKI) Pair(t testing.TB, opt certgen.LeafOptions) *tls.Certificate {
	t.Helper()
	certPEM, keyPEM, err := p.CA.Issue(opt)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return &pair
}

// ExpiredClientCert is a client certificate from p's CA that expired an
// hour ago.
func (p *PKI) ExpiredClientCert(t testing.TB) *tls.Certificate {
	t.Helper()
	opt := ClientLeaf("old")
	opt.NotBefore, opt.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour)
	return p.Pair(t, opt)
}

// Pool returns a new pool holding p's CA only.
func (p *PKI) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.CA.Cert)
	return pool
}

// ClientTLS returns a new client configuration that trusts p's CA only and
// verifies the server as localhost, presenting p's client pair (read from
// its files now) when withCert.
func (p *PKI) ClientTLS(t testing.TB, withCert bool) *tls.Config {
	t.Helper()
	c := &tls.Config{RootCAs: p.Pool(), ServerName: "localhost"}
	if withCert {
		c.Certificates = []tls.Certificate{LoadPair(t, p.ClientCertFile, p.ClientKeyFile)}
	}
	return c
}

// Presenting returns ClientTLS(t, false) sending cert (none when nil)
// whatever CAs the server names: Go's client would otherwise send no
// certificate that the server's CA list does not cover, and a test of how
// a server refuses a foreign or expired certificate could not send it.
func (p *PKI) Presenting(t testing.TB, cert *tls.Certificate) *tls.Config {
	t.Helper()
	c := p.ClientTLS(t, false)
	if cert != nil {
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return c
}

// LoadPair reads a certificate and key pair from files, failing the test
// on an error.
func LoadPair(t testing.TB, certFile, keyFile string) tls.Certificate {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}
