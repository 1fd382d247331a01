package tlsconn

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/certgen"
	"github.com/shinglekv/shingle/internal/testutil"
)

// ---- handshakes ----

func TestProtocolsHandshake(t *testing.T) {
	p := newPKI(t, t.TempDir(), "ca")
	base, _ := p.serverSettings()
	base.AuthClients = AuthClientsNo

	s13 := base
	s13.Protocols = "TLSv1.3"
	cfg, err := s13.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, cfg)
	if _, err := connect(t, srv.addr, &tls.Config{RootCAs: p.pool(), ServerName: "localhost", MaxVersion: tls.VersionTLS12}); err == nil {
		t.Fatal("a TLS 1.2 client completed a handshake with a TLSv1.3-only server")
	}
	c, err := connect(t, srv.addr, &tls.Config{RootCAs: p.pool(), ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	if v := c.ConnectionState().Version; v != tls.VersionTLS13 {
		t.Fatalf("version %x", v)
	}

	s12 := base
	s12.Protocols = "TLSv1.2"
	cfg, err = s12.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv = startServer(t, cfg)
	c, err = connect(t, srv.addr, &tls.Config{RootCAs: p.pool(), ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	if v := c.ConnectionState().Version; v != tls.VersionTLS12 {
		t.Fatalf("version %x with a TLSv1.2-only server", v)
	}
	if _, err := connect(t, srv.addr, &tls.Config{RootCAs: p.pool(), ServerName: "localhost", MinVersion: tls.VersionTLS13}); err == nil {
		t.Fatal("a TLS 1.3-only client completed a handshake with a TLSv1.2-only server")
	}
}

// TestCiphersHandshake runs one TLS 1.2 handshake per secure suite, with a
// server limited to that suite by its OpenSSL name and a client offering
// them all.
func TestCiphersHandshake(t *testing.T) {
	p := newPKI(t, t.TempDir(), "ca")
	ecCert, ecKey, _ := p.issue("ec", certgen.ServerLeafOptions())
	rsaOpt := certgen.ServerLeafOptions()
	rsaOpt.RSA = true
	rsaCert, rsaKey, _ := p.issue("rsa", rsaOpt)
	var all []uint16
	for _, cs := range secureTLS12() {
		all = append(all, cs.ID)
	}
	for _, cs := range secureTLS12() {
		name := openSSLName(t, cs.ID)
		t.Run(name, func(t *testing.T) {
			s := DefaultSettings()
			s.AuthClients = AuthClientsNo
			s.Protocols = "TLSv1.2"
			s.Ciphers = name
			s.CertFile, s.KeyFile = ecCert, ecKey
			if strings.Contains(name, "-RSA-") {
				s.CertFile, s.KeyFile = rsaCert, rsaKey
			}
			cfg, err := s.ServerConfig()
			if err != nil {
				t.Fatal(err)
			}
			srv := startServer(t, cfg)
			c, err := connect(t, srv.addr, &tls.Config{RootCAs: p.pool(), ServerName: "localhost", CipherSuites: all})
			if err != nil {
				t.Fatal(err)
			}
			if got := c.ConnectionState().CipherSuite; got != cs.ID {
				t.Fatalf("negotiated %s, want %s", tls.CipherSuiteName(got), cs.Name)
			}
		})
	}
}

func TestAuthClientsHandshake(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t, dir, "ca")
	other := newPKI(t, dir, "other")
	s, _ := p.serverSettings()
	goodCert, goodKey, goodSerial := p.issue("good", clientLeaf("good"))
	badCert, badKey, _ := other.issue("bad", clientLeaf("bad"))
	good := loadPair(t, goodCert, goodKey)
	bad := loadPair(t, badCert, badKey)

	tests := []struct {
		mode              string
		none, good, other bool // handshake succeeds
	}{
		{AuthClientsYes, false, true, false},
		{AuthClientsOptional, true, true, false},
		{AuthClientsNo, true, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			s := s
			s.AuthClients = tc.mode
			cfg, err := s.ServerConfig()
			if err != nil {
				t.Fatal(err)
			}
			srv := startServer(t, cfg)
			for _, client := range []struct {
				name string
				cert *tls.Certificate
				want bool
			}{{"none", &tls.Certificate{}, tc.none}, {"good", &good, tc.good}, {"other CA", &bad, tc.other}} {
				var asked atomic.Bool
				ccfg := &tls.Config{RootCAs: p.pool(), ServerName: "localhost",
					GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
						asked.Store(true)
						return client.cert, nil
					}}
				_, err := connect(t, srv.addr, ccfg)
				res := srv.next(t)
				if (err == nil) != client.want || (res.err == nil) != client.want {
					t.Errorf("client %s: client error %v, server error %v; want success %v", client.name, err, res.err, client.want)
					continue
				}
				if asked.Load() != (tc.mode != AuthClientsNo) {
					t.Errorf("client %s: asked for a certificate = %v", client.name, asked.Load())
				}
				if !client.want {
					continue
				}
				peers := res.state.PeerCertificates
				switch {
				case tc.mode == AuthClientsNo && len(peers) != 0:
					t.Errorf("client %s: server received a certificate with tls-auth-clients no", client.name)
				case tc.mode != AuthClientsNo && client.name == "good" &&
					(len(res.state.VerifiedChains) == 0 || res.state.VerifiedChains[0][0].SerialNumber.Cmp(goodSerial) != 0):
					t.Errorf("client good: not verified: %+v", res.state.VerifiedChains)
				}
			}
		})
	}
}

func TestCARequired(t *testing.T) {
	p := newPKI(t, t.TempDir(), "ca")
	s, _ := p.serverSettings()
	s.CACertFile = ""
	for _, tc := range []struct {
		mutate    func(*Settings)
		directive string // "" means no error
	}{
		{func(s *Settings) { s.AuthClients = AuthClientsYes }, "tls-auth-clients"},
		{func(s *Settings) { s.AuthClients = AuthClientsOptional }, "tls-auth-clients"},
		{func(s *Settings) { s.AuthClients = AuthClientsNo }, ""},
		{func(s *Settings) { s.AuthClients = AuthClientsNo; s.Replication = true }, "tls-replication"},
		{func(s *Settings) { s.AuthClients = AuthClientsNo; s.Cluster = true }, "tls-cluster"},
	} {
		s := s
		tc.mutate(&s)
		err := s.Validate()
		if tc.directive == "" {
			if err != nil {
				t.Errorf("%+v: %v", s, err)
			}
			continue
		}
		settingError(t, err, tc.directive, ErrCARequired)
	}
	_, err := s.ClientConfig("localhost")
	settingError(t, err, "tls-ca-cert-file", ErrCARequired)
}

func TestSettingsErrors(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t, dir, "ca")
	s, _ := p.serverSettings()
	otherCert, _, _ := p.issue("other", certgen.ServerLeafOptions())
	notPEM := filepath.Join(dir, "notpem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		name      string
		mutate    func(*Settings)
		directive string
		kind      error
	}{
		{"no cert", func(s *Settings) { s.CertFile = "" }, "tls-cert-file", ErrInvalidSetting},
		{"no key", func(s *Settings) { s.KeyFile = "" }, "tls-key-file", ErrInvalidSetting},
		{"missing cert", func(s *Settings) { s.CertFile = missing }, "tls-cert-file", fs.ErrNotExist},
		{"missing key", func(s *Settings) { s.KeyFile = missing }, "tls-key-file", fs.ErrNotExist},
		{"cert not PEM", func(s *Settings) { s.CertFile = notPEM }, "tls-cert-file", ErrInvalidSetting},
		{"key not PEM", func(s *Settings) { s.KeyFile = notPEM }, "tls-key-file", ErrInvalidSetting},
		{"key of another cert", func(s *Settings) { s.CertFile = otherCert }, "tls-key-file", ErrInvalidSetting},
		{"missing CA file", func(s *Settings) { s.CACertFile = missing }, "tls-ca-cert-file", fs.ErrNotExist},
		{"CA file not PEM", func(s *Settings) { s.CACertFile = notPEM }, "tls-ca-cert-file", ErrInvalidSetting},
		{"missing CA dir", func(s *Settings) { s.CACertDir = missing }, "tls-ca-cert-dir", fs.ErrNotExist},
		{"bad auth", func(s *Settings) { s.AuthClients = "maybe" }, "tls-auth-clients", ErrInvalidSetting},
		{"empty auth", func(s *Settings) { s.AuthClients = "" }, "tls-auth-clients", ErrInvalidSetting},
		{"bad protocols", func(s *Settings) { s.Protocols = "TLSv1.1" }, "tls-protocols", ErrInsecureSetting},
		{"bad ciphers", func(s *Settings) { s.Ciphers = "HIGH:!aNULL" }, "tls-ciphers", ErrNotSupportedByGo},
		{"bad ciphersuites", func(s *Settings) { s.CipherSuites = "TLS_AES_128_GCM_SHA256" }, "tls-ciphersuites", ErrNotSupportedByGo},
		{"negative cache size", func(s *Settings) { s.SessionCacheSize = -1 }, "tls-session-cache-size", ErrInvalidSetting},
		{"negative timeout", func(s *Settings) { s.SessionCacheTimeout = -1 }, "tls-session-cache-timeout", ErrInvalidSetting},
		{"broken client pair", func(s *Settings) { s.ClientCertFile, s.ClientKeyFile = missing, s.KeyFile }, "tls-client-cert-file", fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := s
			tc.mutate(&s)
			_, err := s.ServerConfig()
			settingError(t, err, tc.directive, tc.kind)
			if err2 := s.Validate(); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("Validate = %v, ServerConfig = %v", err2, err)
			}
		})
	}

	// Accepted without effect.
	s.PreferServerCiphers = true
	s.SessionCacheSize = 0
	cfg, err := s.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 checking that the deprecated field is left alone.
	if cfg.PreferServerCipherSuites {
		t.Error("PreferServerCipherSuites set")
	}
	if cfg.MinVersion < tls.VersionTLS12 {
		t.Errorf("MinVersion %x", cfg.MinVersion)
	}
	if cfg.ClientCAs == nil || cfg.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Error("client verification not configured")
	}
	// Only one half of the client pair: ignored, as Redis does.
	s.ClientCertFile = missing
	if err := s.Validate(); err != nil {
		t.Errorf("half a client pair: %v", err)
	}
}

func TestEncryptedKey(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t, dir, "ca")
	s, serial := p.serverSettings()
	s.AuthClients = AuthClientsNo
	plain, err := os.ReadFile(s.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := certgen.EncryptKeyPEM(plain, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	// A PKCS#8-encrypted block; its content does not matter, its type
	// decides.
	pkcs8 := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x00}})
	if err := certgen.WriteFiles(dir, map[string][]byte{"enc.key": enc, "pkcs8.key": pkcs8}); err != nil {
		t.Fatal(err)
	}
	plainKey := s.KeyFile
	s.KeyFile = filepath.Join(dir, "enc.key")

	s.KeyFilePass = "correct horse"
	cfg, err := s.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, cfg)
	c, err := connect(t, srv.addr, &tls.Config{RootCAs: p.pool(), ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	if serverSerial(c).Cmp(serial) != 0 {
		t.Fatal("wrong certificate served")
	}

	for _, pass := range []string{"wrong", "Correct horse", ""} {
		s.KeyFilePass = pass
		err := s.Validate()
		settingError(t, err, "tls-key-file-pass", ErrKeyPassword)
		if pass != "" && strings.Contains(err.Error(), pass) {
			t.Errorf("error %q shows the password", err)
		}
	}

	// A password for an unencrypted key is ignored, as OpenSSL does.
	s.KeyFile, s.KeyFilePass = plainKey, "unused"
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}

	s.KeyFile = filepath.Join(dir, "pkcs8.key")
	err = s.Validate()
	settingError(t, err, "tls-key-file", ErrNotSupportedByGo)
	if !strings.Contains(err.Error(), "openssl pkey") {
		t.Errorf("error %q does not say how to convert the key", err)
	}

	// The client pair's password is checked the same way.
	s.KeyFile, s.KeyFilePass = plainKey, ""
	s.ClientCertFile, s.ClientKeyFile, s.ClientKeyFilePass = s.CertFile, filepath.Join(dir, "enc.key"), "wrong"
	settingError(t, s.Validate(), "tls-client-key-file-pass", ErrKeyPassword)
	s.ClientKeyFilePass = "correct horse"
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestEncryptedKeyFromOpenSSL reads a key that OpenSSL itself encrypted in
// its traditional format.
func TestEncryptedKeyFromOpenSSL(t *testing.T) {
	openssl := testutil.RequireTool(t, "openssl")
	dir := t.TempDir()
	p := newPKI(t, dir, "ca")
	s, _ := p.serverSettings()
	s.AuthClients = AuthClientsNo
	out := filepath.Join(dir, "openssl.key")
	if b, err := exec.Command(openssl, "pkey", "-in", s.KeyFile, "-traditional", "-aes256",
		"-passout", "pass:sesame", "-out", out).CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, b)
	}
	s.KeyFile, s.KeyFilePass = out, "sesame"
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	// And the PKCS#8 form it writes by default is refused with advice.
	out8 := filepath.Join(dir, "openssl8.key")
	if b, err := exec.Command(openssl, "pkey", "-in", filepath.Join(dir, "server.key"), "-aes256",
		"-passout", "pass:sesame", "-out", out8).CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, b)
	}
	s.KeyFile = out8
	settingError(t, s.Validate(), "tls-key-file", ErrNotSupportedByGo)
}

func TestCACertDir(t *testing.T) {
	root := t.TempDir()
	p1 := newPKI(t, root, "ca1")
	p2 := newPKI(t, root, "ca2")
	p3 := newPKI(t, root, "ca3")
	s, _ := p1.serverSettings()
	s.CACertFile = ""

	cadir := filepath.Join(root, "cadir")
	if err := os.Mkdir(cadir, 0o700); err != nil {
		t.Fatal(err)
	}
	s.CACertDir = cadir
	settingError(t, s.Validate(), "tls-ca-cert-dir", ErrInvalidSetting) // empty
	if err := os.WriteFile(filepath.Join(cadir, "README"), []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	settingError(t, s.Validate(), "tls-ca-cert-dir", ErrInvalidSetting) // no certificate

	// A plain .pem file, a c_rehash-style hashed symbolic link to a file
	// elsewhere, a subdirectory and a dangling link.
	if err := os.WriteFile(filepath.Join(cadir, "ca1.pem"), p1.ca.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(p2.caFile, filepath.Join(cadir, "5d8c2a3f.0")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(cadir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cadir, "sub", "ca3.pem"), p3.ca.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(cadir, "deadbeef.0")); err != nil {
		t.Fatal(err)
	}
	cfg, err := s.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, cfg)
	for _, tc := range []struct {
		p    *testPKI
		want bool
	}{{p1, true}, {p2, true}, {p3, false}} {
		certFile, keyFile, _ := tc.p.issue("client", clientLeaf("client"))
		_, err := connect(t, srv.addr, &tls.Config{RootCAs: p1.pool(), ServerName: "localhost",
			Certificates: []tls.Certificate{loadPair(t, certFile, keyFile)}})
		if (err == nil) != tc.want {
			t.Errorf("client of %s: %v, want success %v", tc.p.ca.Cert.Subject.CommonName, err, tc.want)
		}
		srv.next(t)
	}

	// File and directory together.
	s.CACertFile = p3.caFile
	cfg, err = s.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv = startServer(t, cfg)
	certFile, keyFile, _ := p3.issue("client", clientLeaf("client"))
	if _, err := connect(t, srv.addr, &tls.Config{RootCAs: p1.pool(), ServerName: "localhost",
		Certificates: []tls.Certificate{loadPair(t, certFile, keyFile)}}); err != nil {
		t.Errorf("client of the CA file refused with a CA dir too: %v", err)
	}
}

func TestServerTLSUpdate(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t, dir, "ca")
	s, serialA := p.serverSettings()
	s.AuthClients = AuthClientsNo
	holder, err := NewServerTLS(s)
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, holder.Config())
	client := &tls.Config{RootCAs: p.pool(), ServerName: "localhost"}
	before, err := connect(t, srv.addr, client)
	if err != nil {
		t.Fatal(err)
	}
	if serverSerial(before).Cmp(serialA) != 0 {
		t.Fatal("first connection does not see certificate A")
	}

	// Rotate the files in place and reload with identical settings.
	_, _, serialB := p.issue("server", certgen.ServerLeafOptions())
	if err := holder.Update(s); err != nil {
		t.Fatal(err)
	}
	after, err := connect(t, srv.addr, client)
	if err != nil {
		t.Fatal(err)
	}
	if serverSerial(after).Cmp(serialB) != 0 {
		t.Fatal("a new handshake after Update does not see certificate B")
	}
	if err := roundTrip(before); err != nil {
		t.Fatalf("connection made before Update broke: %v", err)
	}

	// Failed updates keep B in service.
	missing := s
	missing.CertFile = filepath.Join(dir, "missing.crt")
	settingError(t, holder.Update(missing), "tls-cert-file", fs.ErrNotExist)
	otherCert, _, _ := p.issue("other", certgen.ServerLeafOptions())
	mismatch := s
	mismatch.CertFile = otherCert
	settingError(t, holder.Update(mismatch), "tls-key-file", ErrInvalidSetting)
	badAuth := s
	badAuth.AuthClients = AuthClientsYes
	badAuth.CACertFile = ""
	settingError(t, holder.Update(badAuth), "tls-auth-clients", ErrCARequired)
	if holder.Settings() != s {
		t.Fatalf("Settings changed by failed updates: %+v", holder.Settings())
	}
	c, err := connect(t, srv.addr, client)
	if err != nil {
		t.Fatal(err)
	}
	if serverSerial(c).Cmp(serialB) != 0 {
		t.Fatal("a failed Update changed the certificate in service")
	}

	// A successful change of policy applies to new handshakes.
	strict := s
	strict.AuthClients = AuthClientsYes
	if err := holder.Update(strict); err != nil {
		t.Fatal(err)
	}
	if holder.Settings() != strict {
		t.Fatal("Settings does not report the update")
	}
	if _, err := connect(t, srv.addr, client); err == nil {
		t.Fatal("client without certificate accepted after tls-auth-clients yes")
	}
	if err := roundTrip(after); err != nil {
		t.Fatalf("connection made before the policy change broke: %v", err)
	}
}

func TestClientConfigPair(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t, dir, "ca")
	s, serverSerialN := p.serverSettings()
	clientCert, clientKey, clientSerial := p.issue("client", clientLeaf("replica"))
	cfg, err := s.ServerConfig() // AuthClients yes: records who connects
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, cfg)
	presented := func(s Settings) *big.Int {
		t.Helper()
		ccfg, err := s.ClientConfig("localhost")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := connect(t, srv.addr, ccfg); err != nil {
			t.Fatal(err)
		}
		res := srv.next(t)
		if res.err != nil || len(res.state.PeerCertificates) == 0 {
			t.Fatalf("server: %v, %d certificates", res.err, len(res.state.PeerCertificates))
		}
		return res.state.PeerCertificates[0].SerialNumber
	}
	if got := presented(s); got.Cmp(serverSerialN) != 0 {
		t.Error("without a client pair the server pair is not presented")
	}
	half := s
	half.ClientCertFile = clientCert
	if got := presented(half); got.Cmp(serverSerialN) != 0 {
		t.Error("with only tls-client-cert-file the server pair is not presented")
	}
	both := s
	both.ClientCertFile, both.ClientKeyFile = clientCert, clientKey
	if got := presented(both); got.Cmp(clientSerial) != 0 {
		t.Error("with both client files the client pair is not presented")
	}

	// Protocol limits apply to the client too.
	only12 := both
	only12.Protocols = "TLSv1.2"
	ccfg, err := only12.ClientConfig("localhost")
	if err != nil {
		t.Fatal(err)
	}
	if ccfg.MaxVersion != tls.VersionTLS12 || ccfg.RootCAs == nil || ccfg.ServerName != "localhost" || ccfg.InsecureSkipVerify {
		t.Errorf("client config %+v", ccfg)
	}
	c, err := connect(t, srv.addr, ccfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.next(t)
	if c.ConnectionState().Version != tls.VersionTLS12 {
		t.Error("tls-protocols TLSv1.2 not applied to the client")
	}
}

func TestClientConfigVerification(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t, dir, "ca")
	other := newPKI(t, dir, "other")
	s, _ := p.serverSettings()
	s.AuthClients = AuthClientsNo

	serve := func(p *testPKI, name string, opt certgen.LeafOptions) string {
		certFile, keyFile, _ := p.issue(name, opt)
		srvSettings := s
		srvSettings.CertFile, srvSettings.KeyFile = certFile, keyFile
		cfg, err := srvSettings.ServerConfig()
		if err != nil {
			t.Fatal(err)
		}
		return startServer(t, cfg).addr
	}
	expiredOpt := certgen.ServerLeafOptions()
	expiredOpt.NotBefore, expiredOpt.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	expired := serve(p, "expired", expiredOpt)
	elsewhere := serve(p, "elsewhere", certgen.LeafOptions{DNSNames: []string{"primary.example"}, Server: true})
	foreign := serve(other, "foreign", certgen.ServerLeafOptions())

	for _, name := range []string{"localhost", ""} {
		ccfg, err := s.ClientConfig(name)
		if err != nil {
			t.Fatal(err)
		}
		_, err = connect(t, expired, ccfg)
		var inv x509.CertificateInvalidError
		if !errors.As(err, &inv) || inv.Reason != x509.Expired {
			t.Errorf("ClientConfig(%q) against an expired certificate: %v", name, err)
		}
		if _, err := connect(t, foreign, ccfg); err == nil {
			t.Errorf("ClientConfig(%q) accepted a certificate of another CA", name)
		}
	}
	// Redis's rule for links: with no server name, the chain is verified
	// and the name is not.
	ccfg, err := s.ClientConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := connect(t, elsewhere, ccfg); err != nil {
		t.Errorf("chain-only verification refused a valid certificate: %v", err)
	}
	ccfg, err = s.ClientConfig("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := connect(t, elsewhere, ccfg); err == nil {
		t.Error("a certificate for another name was accepted with a server name set")
	}
	// A client certificate is not a server certificate.
	clientOnly := serve(p, "clientonly", clientLeaf("localhost"))
	ccfg, _ = s.ClientConfig("")
	if _, err := connect(t, clientOnly, ccfg); err == nil {
		t.Error("chain-only verification accepted a certificate without serverAuth")
	}
}

// fakeClock is a clock tests move by hand.
type fakeClock struct{ offset atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *fakeClock) advance(d time.Duration) { c.offset.Add(int64(d)) }
func (c *fakeClock) install(cfg *tls.Config) { cfg.Time = c.now }

// resumed connects with cfg and reports whether the session was resumed.
func resumed(t *testing.T, addr string, cfg *tls.Config) bool {
	t.Helper()
	c, err := connect(t, addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().DidResume
}

func TestSessionResumption(t *testing.T) {
	p := newPKI(t, t.TempDir(), "ca")
	base, _ := p.serverSettings()
	for _, version := range []string{"TLSv1.2", "TLSv1.3"} {
		t.Run(version, func(t *testing.T) {
			s := base
			s.Protocols = version
			s.SessionCacheTimeout = 300
			certFile, keyFile, _ := p.issue("client", clientLeaf("client"))
			client := func() *tls.Config {
				return &tls.Config{RootCAs: p.pool(), ServerName: "localhost",
					Certificates:       []tls.Certificate{loadPair(t, certFile, keyFile)},
					ClientSessionCache: tls.NewLRUClientSessionCache(8)}
			}

			cfg, err := s.ServerConfig()
			if err != nil {
				t.Fatal(err)
			}
			var clock fakeClock
			clock.install(cfg)
			srv := startServer(t, cfg)
			cc := client()
			if resumed(t, srv.addr, cc) {
				t.Fatal("first handshake resumed")
			}
			if !resumed(t, srv.addr, cc) {
				t.Fatal("second handshake did not resume")
			}
			clock.advance(299 * time.Second)
			if !resumed(t, srv.addr, cc) {
				t.Fatal("a session 299 s old did not resume with a 300 s timeout")
			}
			clock.advance(301 * time.Second) // older than the last ticket's 300 s
			if resumed(t, srv.addr, cc) {
				t.Fatal("a session past tls-session-cache-timeout resumed")
			}

			// tls-session-cache-size bounds the server's cache: with room
			// for one session, B's evicts A's.
			s.SessionCacheSize = 1
			cfg, err = s.ServerConfig()
			if err != nil {
				t.Fatal(err)
			}
			srv = startServer(t, cfg)
			a, b := client(), client()
			resumed(t, srv.addr, a)
			resumed(t, srv.addr, b)
			if resumed(t, srv.addr, a) {
				t.Fatal("a session evicted from a one-entry cache resumed")
			}
			if !resumed(t, srv.addr, a) {
				t.Fatal("the session in the one-entry cache did not resume")
			}
			s.SessionCacheSize = DefaultSessionCacheSize

			s.SessionCaching = false
			cfg, err = s.ServerConfig()
			if err != nil {
				t.Fatal(err)
			}
			srv = startServer(t, cfg)
			cc = client()
			resumed(t, srv.addr, cc)
			if resumed(t, srv.addr, cc) {
				t.Fatal("resumed with tls-session-caching no")
			}

			// A reload ends the resumption of earlier sessions, so that a new
			// CA or policy cannot be bypassed.
			s.SessionCaching = true
			holder, err := NewServerTLS(s)
			if err != nil {
				t.Fatal(err)
			}
			srv = startServer(t, holder.Config())
			cc = client()
			resumed(t, srv.addr, cc)
			if !resumed(t, srv.addr, cc) {
				t.Fatal("no resumption through ServerTLS")
			}
			if err := holder.Update(s); err != nil {
				t.Fatal(err)
			}
			if resumed(t, srv.addr, cc) {
				t.Fatal("a session from before Update resumed")
			}
		})
	}
}

func ExampleParseCiphers() {
	ids, err := ParseCiphers("ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305")
	fmt.Println(err)
	for _, id := range ids {
		fmt.Println(tls.CipherSuiteName(id))
	}
	_, err = ParseCiphers("HIGH:!aNULL")
	fmt.Println(errors.Is(err, ErrNotSupportedByGo))
	_, err = ParseCiphers("DES-CBC3-SHA")
	fmt.Println(errors.Is(err, ErrInsecureSetting))
	// Output:
	// <nil>
	// TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
	// TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
	// true
	// true
}

// ExampleServerTLS shows a listener whose certificate can be rotated. It is
// compiled, not run: it needs certificate files.
func ExampleServerTLS() {
	s := DefaultSettings()
	s.CertFile, s.KeyFile = "/etc/shingle/server.crt", "/etc/shingle/server.key"
	s.CACertFile = "/etc/shingle/ca.crt"
	holder, err := NewServerTLS(s)
	if err != nil {
		var se *SettingError
		if errors.As(err, &se) {
			fmt.Println("cannot apply", se.Directive+":", err)
		}
		return
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", holder.Config())
	if err != nil {
		return
	}
	defer ln.Close()
	// ... serve ln ...

	// On CONFIG SET tls-cert-file, even to the same path: new handshakes
	// get the new certificate, established connections carry on.
	if err := holder.Update(s); err != nil {
		fmt.Println("kept the old certificate:", err)
	}
}
