package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/shinglekv/shingle/internal/certgen"
)

// devPKI is the demo's development CA with a server and a client
// certificate, in files.
type devPKI struct {
	caCert, caKey         string
	serverCert, serverKey string
	clientCert, clientKey string
}

// renewBefore is how close to expiry a development certificate is replaced.
const renewBefore = 7 * 24 * time.Hour

// ensureDevPKI creates the development CA and certificates in dir on first
// start and reuses them afterwards. It issues the leaves again (from the
// same CA, so that clients keep trusting it) when they are missing, about to
// expire or not issued by the CA, and always when the CA had to be created
// because ca.crt or ca.key was missing.
func ensureDevPKI(dir string) (*devPKI, error) {
	p := &devPKI{
		caCert: filepath.Join(dir, "ca.crt"), caKey: filepath.Join(dir, "ca.key"),
		serverCert: filepath.Join(dir, "server.crt"), serverKey: filepath.Join(dir, "server.key"),
		clientCert: filepath.Join(dir, "client.crt"), clientKey: filepath.Join(dir, "client.key"),
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ca, err := loadCA(p.caCert, p.caKey)
	newCA := errors.Is(err, os.ErrNotExist)
	if newCA {
		now := time.Now()
		if ca, err = certgen.NewCA("Shingle Development CA", now.Add(-time.Hour), now.AddDate(10, 0, 0)); err != nil {
			return nil, err
		}
		key, err := ca.KeyPEM()
		if err != nil {
			return nil, err
		}
		if err := certgen.WriteFiles(dir, map[string][]byte{"ca.crt": ca.CertPEM, "ca.key": key}); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	for _, leaf := range []struct {
		cert, key string
		opt       certgen.LeafOptions
	}{
		{p.serverCert, p.serverKey, certgen.ServerLeafOptions()},
		{p.clientCert, p.clientKey, certgen.LeafOptions{CommonName: "shingle-client", Client: true}},
	} {
		if !newCA && fresh(leaf.cert, leaf.key, ca) {
			continue
		}
		cert, key, err := ca.Issue(leaf.opt)
		if err != nil {
			return nil, err
		}
		if err := certgen.WriteFiles(dir, map[string][]byte{filepath.Base(leaf.cert): cert, filepath.Base(leaf.key): key}); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func loadCA(certFile, keyFile string) (*certgen.CA, error) {
	cert, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	return certgen.LoadCA(cert, key)
}

// fresh reports whether certFile and keyFile hold a matching pair whose
// certificate ca issued, and which is valid now and not close to expiring.
func fresh(certFile, keyFile string, ca *certgen.CA) bool {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return false
	}
	c, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil || time.Until(c.NotAfter) <= renewBefore {
		return false
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	_, err = c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err == nil
}
