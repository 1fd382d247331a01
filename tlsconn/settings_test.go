package tlsconn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
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
	p := testutil.NewPKI(t, "ca")
	base, _ := serverSettings(t, p)
	base.AuthClients = AuthClientsNo

	s13 := base
	s13.Protocols = "TLSv1.3"
	cfg, err := s13.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, cfg)
	if _, err := connect(t, srv.addr, &tls.Config{RootCAs: p.Pool(), ServerName: "localhost", MaxVersion: tls.VersionTLS12}); err == nil {
		t.Fatal("a TLS 1.2 client completed a handshake with a TLSv1.3-only server")
	}
	c, err := connect(t, srv.addr, p.ClientTLS(t, false))
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
	c, err = connect(t, srv.addr, p.ClientTLS(t, false))
	if err != nil {
		t.Fatal(err)
	}
	if v := c.ConnectionState().Version; v != tls.VersionTLS12 {
		t.Fatalf("version %x with a TLSv1.2-only server", v)
	}
	if _, err := connect(t, srv.addr, &tls.Config{RootCAs: p.Pool(), ServerName: "localhost", MinVersion: tls.VersionTLS13}); err == nil {
		t.Fatal("a TLS 1.3-only client completed a handshake with a TLSv1.2-only server")
	}
}

// TestCiphersHandshake runs one TLS 1.2 handshake per secure suite, with a
// server limited to that suite by its OpenSSL name and a client offering
// them all.
func TestCiphersHandshake(t *testing.T) {
	p := testutil.NewPKI(t, "ca")
	ecCert, ecKey := p.Issue(t, "ec", certgen.ServerLeafOptions())
	rsaOpt := certgen.ServerLeafOptions()
	rsaOpt.RSA = true
	rsaCert, rsaKey := p.Issue(t, "rsa", rsaOpt)
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
			c, err := connect(t, srv.addr, &tls.Config{RootCAs: p.Pool(), ServerName: "localhost", CipherSuites: all})
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
	p := testutil.NewPKI(t, "ca")
	other := testutil.NewPKI(t, "other")
	s, _ := serverSettings(t, p)
	goodCert, goodKey, goodSerial := issue(t, p, "good", testutil.ClientLeaf("good"))
	badCert, badKey := other.Issue(t, "bad", testutil.ClientLeaf("bad"))
	good := testutil.LoadPair(t, goodCert, goodKey)
	bad := testutil.LoadPair(t, badCert, badKey)

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
				ccfg := &tls.Config{RootCAs: p.Pool(), ServerName: "localhost",
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
	p := testutil.NewPKI(t, "ca")
	s, _ := serverSettings(t, p)
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
	p := testutil.NewPKI(t, "ca")
	s, _ := serverSettings(t, p)
	otherCert, _ := p.Issue(t, "other", certgen.ServerLeafOptions())
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

func TestClientConfigPair(t *testing.T) {
	p := testutil.NewPKI(t, "ca")
	s, serverSerialN := serverSettings(t, p)
	clientCert, clientKey, clientSerial := issue(t, p, "client", testutil.ClientLeaf("replica"))
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
	p := testutil.NewPKI(t, "ca")
	other := testutil.NewPKI(t, "other")
	s, _ := serverSettings(t, p)
	s.AuthClients = AuthClientsNo

	serve := func(p *testutil.PKI, name string, opt certgen.LeafOptions) string {
		certFile, keyFile := p.Issue(t, name, opt)
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
	clientOnly := serve(p, "clientonly", testutil.ClientLeaf("localhost"))
	ccfg, _ = s.ClientConfig("")
	if _, err := connect(t, clientOnly, ccfg); err == nil {
		t.Error("chain-only verification accepted a certificate without serverAuth")
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
