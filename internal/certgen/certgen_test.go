package certgen

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newTestCA(t *testing.T) *CA {
	t.Helper()
	ca, err := NewCA("test CA", time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func TestCAIsSelfSignedCA(t *testing.T) {
	ca := newTestCA(t)
	if !ca.Cert.IsCA || ca.Cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Fatalf("not a CA: IsCA=%v KeyUsage=%v", ca.Cert.IsCA, ca.Cert.KeyUsage)
	}
	if _, ok := ca.Key.(*ecdsa.PrivateKey); !ok {
		t.Fatalf("CA key is %T, want ECDSA", ca.Key)
	}
	if err := ca.Cert.CheckSignatureFrom(ca.Cert); err != nil {
		t.Fatalf("not self-signed: %v", err)
	}
	parsed, err := ParseCertificatePEM(ca.CertPEM)
	if err != nil || !parsed.Equal(ca.Cert) {
		t.Fatalf("CertPEM does not hold Cert: %v", err)
	}
	if _, err := NewCA("x", time.Now(), time.Now().Add(-time.Second)); err == nil {
		t.Fatal("NewCA accepted notAfter before notBefore")
	}
}

func TestLoadCARoundTrip(t *testing.T) {
	ca := newTestCA(t)
	keyPEM, err := ca.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadCA(ca.CertPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _, err := loaded.Issue(LeafOptions{DNSNames: []string{"localhost"}, Server: true})
	if err != nil {
		t.Fatal(err)
	}
	verify(t, ca, certPEM, x509.ExtKeyUsageServerAuth, "localhost")

	other := newTestCA(t)
	otherKey, _ := other.KeyPEM()
	if _, err := LoadCA(ca.CertPEM, otherKey); err == nil {
		t.Fatal("LoadCA accepted a key that does not match the certificate")
	}
}

func verify(t *testing.T, ca *CA, certPEM []byte, usage x509.ExtKeyUsage, name string) *x509.Certificate {
	t.Helper()
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: name, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
		t.Fatalf("verify %s for %v: %v", name, usage, err)
	}
	return cert
}

func TestIssueUsagesAndNames(t *testing.T) {
	ca := newTestCA(t)
	u, _ := url.Parse("spiffe://shingle/node1")
	tests := []struct {
		name           string
		opt            LeafOptions
		server, client bool // which usages must verify
	}{
		{"server", LeafOptions{Server: true}, true, false},
		{"client", LeafOptions{Client: true}, false, true},
		{"both", LeafOptions{Server: true, Client: true}, true, true},
		{"no EKU means any", LeafOptions{}, true, true},
		{"rsa server", LeafOptions{Server: true, RSA: true}, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := tc.opt
			opt.CommonName = "node1"
			opt.DNSNames = []string{"localhost", "node1.example"}
			opt.IPs = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
			opt.URIs = []*url.URL{u}
			certPEM, keyPEM, err := ca.Issue(opt)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := ParseCertificatePEM(certPEM)
			if err != nil {
				t.Fatal(err)
			}
			roots := x509.NewCertPool()
			roots.AddCert(ca.Cert)
			for _, c := range []struct {
				usage x509.ExtKeyUsage
				want  bool
			}{{x509.ExtKeyUsageServerAuth, tc.server}, {x509.ExtKeyUsageClientAuth, tc.client}} {
				_, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "node1.example", KeyUsages: []x509.ExtKeyUsage{c.usage}})
				if (err == nil) != c.want {
					t.Errorf("usage %v: verify error %v, want ok=%v", c.usage, err, c.want)
				}
			}
			if err := cert.VerifyHostname("127.0.0.1"); err != nil {
				t.Error(err)
			}
			if err := cert.VerifyHostname("::1"); err != nil {
				t.Error(err)
			}
			if len(cert.URIs) != 1 || cert.URIs[0].String() != u.String() {
				t.Errorf("URIs = %v", cert.URIs)
			}
			block, _ := pem.Decode(keyPEM)
			if block == nil || block.Type != "PRIVATE KEY" {
				t.Fatalf("key block %v, want PKCS#8", block)
			}
			key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if _, isRSA := key.(*rsa.PrivateKey); isRSA != tc.opt.RSA {
				t.Errorf("key type %T, RSA=%v", key, tc.opt.RSA)
			}
			if !publicKeyEqual(cert.PublicKey, key.(crypto.Signer).Public()) {
				t.Error("key does not match certificate")
			}
		})
	}
}

func TestServerLeafOptionsAreFresh(t *testing.T) {
	a := ServerLeafOptions()
	a.DNSNames[0] = "changed"
	a.IPs[0] = net.IPv4(10, 0, 0, 1)
	if b := ServerLeafOptions(); b.DNSNames[0] != "localhost" || !b.IPs[0].Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("a change to one result reached the next: %v %v", b.DNSNames, b.IPs)
	}
}

func TestIssueValidityDefaultsAndExpiry(t *testing.T) {
	ca := newTestCA(t)
	certPEM, _, err := ca.Issue(LeafOptions{Server: true, DNSNames: []string{"localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := ParseCertificatePEM(certPEM)
	now := time.Now()
	if !cert.NotBefore.Before(now) || cert.NotAfter.Before(now.AddDate(0, 11, 0)) {
		t.Errorf("default validity %v .. %v", cert.NotBefore, cert.NotAfter)
	}
	certPEM, _, err = ca.Issue(LeafOptions{Server: true, DNSNames: []string{"localhost"},
		NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = ParseCertificatePEM(certPEM)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "localhost"})
	var inv x509.CertificateInvalidError
	if !errors.As(err, &inv) || inv.Reason != x509.Expired {
		t.Fatalf("expired certificate verified with %v", err)
	}
}

func TestEncryptKeyPEM(t *testing.T) {
	ca := newTestCA(t)
	for _, useRSA := range []bool{false, true} {
		_, keyPEM, err := ca.Issue(LeafOptions{Server: true, RSA: useRSA})
		if err != nil {
			t.Fatal(err)
		}
		plainBlock, _ := pem.Decode(keyPEM)
		want, _ := x509.ParsePKCS8PrivateKey(plainBlock.Bytes)

		encPEM, err := EncryptKeyPEM(keyPEM, "s3cret")
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(encPEM)
		wantType := map[bool]string{false: "EC PRIVATE KEY", true: "RSA PRIVATE KEY"}[useRSA]
		if block == nil || block.Type != wantType || block.Headers["Proc-Type"] != "4,ENCRYPTED" ||
			!strings.HasPrefix(block.Headers["DEK-Info"], "AES-256-CBC,") {
			t.Fatalf("encrypted block: %+v", block)
		}
		//lint:ignore SA1019 testing the legacy format on purpose.
		der, err := x509.DecryptPEMBlock(block, []byte("s3cret"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := parsePrivateKey(&pem.Block{Type: block.Type, Bytes: der})
		if err != nil {
			t.Fatal(err)
		}
		if !got.(interface{ Equal(crypto.PrivateKey) bool }).Equal(want) {
			t.Fatal("decrypted key differs from the original")
		}

		// A wrong password is refused by the padding check, except about
		// once in 256 tries when the padding happens to look valid: then
		// the bytes must at least not be the key.
		//lint:ignore SA1019 testing the legacy format on purpose.
		der, err = x509.DecryptPEMBlock(block, []byte("wrong"))
		if err == nil {
			if k, perr := parsePrivateKey(&pem.Block{Type: block.Type, Bytes: der}); perr == nil && k.(interface{ Equal(crypto.PrivateKey) bool }).Equal(want) {
				t.Fatal("wrong password decrypted the key")
			}
		} else if !errors.Is(err, x509.IncorrectPasswordError) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	if _, err := EncryptKeyPEM([]byte("not pem"), "x"); err == nil {
		t.Error("EncryptKeyPEM accepted non-PEM input")
	}
	if _, keyPEM, _ := ca.Issue(LeafOptions{}); keyPEM != nil {
		if _, err := EncryptKeyPEM(keyPEM, ""); err == nil {
			t.Error("EncryptKeyPEM accepted an empty password")
		}
	}
}

func TestWriteFilesModes(t *testing.T) {
	ca := newTestCA(t)
	dir := filepath.Join(t.TempDir(), "sub")
	certFile, keyFile, err := ServerPair(ca, dir)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{certFile: 0o644, keyFile: 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	cert := verify(t, ca, certPEM, x509.ExtKeyUsageServerAuth, "localhost")
	verify(t, ca, certPEM, x509.ExtKeyUsageClientAuth, "localhost")
	for _, ip := range []string{"127.0.0.1", "::1"} {
		if err := cert.VerifyHostname(ip); err != nil {
			t.Error(err)
		}
	}
	// Rewriting keeps the mode right even when the file existed with a
	// wider one.
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ServerPair(ca, dir); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(keyFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("rewritten key mode %v", fi.Mode().Perm())
	}
	if err := WriteFiles(dir, map[string][]byte{"../escape": []byte("x")}); err == nil {
		t.Error("WriteFiles accepted a name outside the directory")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}
