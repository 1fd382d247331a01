package certgen

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// PEM block types this package reads and writes.
const (
	blockCertificate = "CERTIFICATE"
	blockPKCS8       = "PRIVATE KEY"
	blockEC          = "EC PRIVATE KEY"
	blockRSA         = "RSA PRIVATE KEY"
)

// CA is a certificate authority that can issue leaf certificates. Its
// methods are safe for concurrent use.
type CA struct {
	// Cert is the parsed, self-signed CA certificate.
	Cert *x509.Certificate
	// Key is the CA's private key.
	Key crypto.Signer
	// CertPEM is Cert in PEM form, what tls-ca-cert-file points to.
	CertPEM []byte
}

// NewCA creates a self-signed CA with an ECDSA P-256 key, valid from
// notBefore to notAfter, whose subject common name is cn.
func NewCA(cn string, notBefore, notAfter time.Time) (*CA, error) {
	if !notAfter.After(notBefore) {
		return nil, errors.New("certgen: CA notAfter must be after notBefore")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("certgen: generating CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"Shingle"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("certgen: creating CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certgen: parsing CA certificate: %w", err)
	}
	return &CA{Cert: cert, Key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: blockCertificate, Bytes: der})}, nil
}

// LoadCA rebuilds a CA from the PEM certificate and the unencrypted PEM key
// that CertPEM and KeyPEM produced, so that a program can keep using the CA
// it created on an earlier run.
func LoadCA(certPEM, keyPEM []byte) (*CA, error) {
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		return nil, err
	}
	if !cert.IsCA {
		return nil, errors.New("certgen: certificate is not a CA")
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("certgen: no PEM block in CA key")
	}
	key, err := parsePrivateKey(block)
	if err != nil {
		return nil, err
	}
	if !publicKeyEqual(cert.PublicKey, key.Public()) {
		return nil, errors.New("certgen: CA key does not match CA certificate")
	}
	return &CA{Cert: cert, Key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: blockCertificate, Bytes: cert.Raw})}, nil
}

// KeyPEM returns the CA's private key as an unencrypted PKCS#8 PEM block.
func (ca *CA) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(ca.Key)
	if err != nil {
		return nil, fmt.Errorf("certgen: encoding CA key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: blockPKCS8, Bytes: der}), nil
}

// LeafOptions describes a leaf certificate for CA.Issue.
type LeafOptions struct {
	// CommonName is the subject common name. Verification uses the SANs
	// below, not this.
	CommonName string
	// DNSNames, IPs and URIs are the subject alternative names.
	DNSNames []string
	IPs      []net.IP
	URIs     []*url.URL
	// Server and Client select the extended key usages serverAuth and
	// clientAuth. With neither, the certificate has no extended key usage
	// extension, which verifiers accept for any purpose.
	Server, Client bool
	// NotBefore and NotAfter bound the validity. Zero means one hour ago
	// and one year from now respectively.
	NotBefore, NotAfter time.Time
	// RSA makes a 2048-bit RSA key instead of ECDSA P-256 (for the
	// ECDHE-RSA cipher suites).
	RSA bool
}

// Issue creates a leaf certificate signed by ca. It returns the certificate
// and its fresh private key, both PEM encoded; the key is an unencrypted
// PKCS#8 "PRIVATE KEY" block (see EncryptKeyPEM for a protected one).
func (ca *CA) Issue(opt LeafOptions) (certPEM, keyPEM []byte, err error) {
	now := time.Now()
	if opt.NotBefore.IsZero() {
		opt.NotBefore = now.Add(-time.Hour)
	}
	if opt.NotAfter.IsZero() {
		opt.NotAfter = now.AddDate(1, 0, 0)
	}
	if !opt.NotAfter.After(opt.NotBefore) {
		return nil, nil, errors.New("certgen: leaf NotAfter must be after NotBefore")
	}
	var key crypto.Signer
	keyUsage := x509.KeyUsageDigitalSignature
	if opt.RSA {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
		// Customary on RSA server certificates; harmless with ECDHE.
		keyUsage |= x509.KeyUsageKeyEncipherment
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("certgen: generating leaf key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: opt.CommonName, Organization: []string{"Shingle"}},
		NotBefore:             opt.NotBefore,
		NotAfter:              opt.NotAfter,
		KeyUsage:              keyUsage,
		BasicConstraintsValid: true,
		DNSNames:              opt.DNSNames,
		IPAddresses:           opt.IPs,
		URIs:                  opt.URIs,
	}
	if opt.Server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if opt.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("certgen: creating leaf certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("certgen: encoding leaf key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: blockCertificate, Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: blockPKCS8, Bytes: keyDER}), nil
}

// EncryptKeyPEM protects an unencrypted PEM private key (PKCS#8 "PRIVATE
// KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY") with password. The result is
// OpenSSL's traditional encrypted PEM format: an "EC PRIVATE KEY" or "RSA
// PRIVATE KEY" block with "Proc-Type: 4,ENCRYPTED" and AES-256-CBC, which
// OpenSSL (hence redis-server's tls-key-file-pass) reads, and which Go can
// decrypt with x509.DecryptPEMBlock. That format derives its key with a
// single MD5 round and is deprecated in Go for that reason; it is what is
// needed here, for interoperability, and the file is still written 0600.
// Ed25519 keys have no traditional format and are refused.
func EncryptKeyPEM(keyPEM []byte, password string) ([]byte, error) {
	if password == "" {
		return nil, errors.New("certgen: empty password")
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("certgen: no PEM block in key")
	}
	key, err := parsePrivateKey(block)
	if err != nil {
		return nil, err
	}
	var typ string
	var der []byte
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		typ = blockEC
		der, err = x509.MarshalECPrivateKey(k)
	case *rsa.PrivateKey:
		typ = blockRSA
		der = x509.MarshalPKCS1PrivateKey(k)
	default:
		return nil, fmt.Errorf("certgen: %T has no traditional PEM format to encrypt", key)
	}
	if err != nil {
		return nil, fmt.Errorf("certgen: encoding key: %w", err)
	}
	// Deprecated API on purpose: it writes OpenSSL's traditional format.
	//lint:ignore SA1019 interoperability with OpenSSL is the point.
	enc, err := x509.EncryptPEMBlock(rand.Reader, typ, der, []byte(password), x509.PEMCipherAES256)
	if err != nil {
		return nil, fmt.Errorf("certgen: encrypting key: %w", err)
	}
	return pem.EncodeToMemory(enc), nil
}

// WriteFiles writes each named file into dir (created with mode 0700 if
// missing). A file whose content holds a private key gets mode 0600, any
// other 0644. Each file is written to a temporary name and renamed into
// place, so that a reader (a server reloading its certificate) never sees a
// half-written file. Names must be local to dir (filepath.IsLocal).
func WriteFiles(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("certgen: %w", err)
	}
	for name, data := range files {
		if !filepath.IsLocal(name) {
			return fmt.Errorf("certgen: file name %q is not local to the directory", name)
		}
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return fmt.Errorf("certgen: %w", err)
		}
		mode := os.FileMode(0o644)
		if containsPrivateKey(data) {
			mode = 0o600
		}
		if err := writeAtomic(path, data, mode); err != nil {
			return fmt.Errorf("certgen: writing %s: %w", path, err)
		}
	}
	return nil
}

// ServerLeafOptions returns the options of a certificate for a local
// server: valid for the names localhost, 127.0.0.1 and ::1, with both
// serverAuth and clientAuth, because Redis uses the server pair for its
// outgoing replication and cluster links when no client pair is configured.
// Each call returns new slices, which the caller may change.
func ServerLeafOptions() LeafOptions {
	return LeafOptions{
		CommonName: "localhost",
		DNSNames:   []string{"localhost"},
		IPs:        []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		Server:     true,
		Client:     true,
	}
}

// ServerPair issues a certificate with ServerLeafOptions and writes it to
// dir as server.crt and server.key (unencrypted PKCS#8, mode 0600). It
// returns the two paths.
func ServerPair(ca *CA, dir string) (certFile, keyFile string, err error) {
	certPEM, keyPEM, err := ca.Issue(ServerLeafOptions())
	if err != nil {
		return "", "", err
	}
	if err := WriteFiles(dir, map[string][]byte{"server.crt": certPEM, "server.key": keyPEM}); err != nil {
		return "", "", err
	}
	return filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"), nil
}

// ParseCertificatePEM parses the first CERTIFICATE block of certPEM.
func ParseCertificatePEM(certPEM []byte) (*x509.Certificate, error) {
	for rest := certPEM; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("certgen: no CERTIFICATE block")
		}
		if block.Type == blockCertificate {
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("certgen: %w", err)
			}
			return cert, nil
		}
	}
}

func randomSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("certgen: serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil // never zero
}

func parsePrivateKey(block *pem.Block) (crypto.Signer, error) {
	if _, ok := block.Headers["Proc-Type"]; ok {
		return nil, errors.New("certgen: key is encrypted")
	}
	var key any
	var err error
	switch block.Type {
	case blockPKCS8:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case blockEC:
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case blockRSA:
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("certgen: unsupported key block %q", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("certgen: parsing key: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("certgen: %T is not a signing key", key)
	}
	return signer, nil
}

func publicKeyEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

func containsPrivateKey(data []byte) bool {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return false
		}
		if strings.HasSuffix(block.Type, blockPKCS8) {
			return true
		}
	}
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // fails harmlessly after the rename
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
