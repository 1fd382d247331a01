package tlsconn

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/certgen"
)

// ---- certificates ----

// testPKI is a CA with its certificate written to dir/<name>.crt.
type testPKI struct {
	t      *testing.T
	dir    string
	ca     *certgen.CA
	caFile string
}

func newPKI(t *testing.T, dir, name string) *testPKI {
	t.Helper()
	ca, err := certgen.NewCA(name, time.Now().Add(-time.Hour), time.Now().Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := certgen.WriteFiles(dir, map[string][]byte{name + ".crt": ca.CertPEM}); err != nil {
		t.Fatal(err)
	}
	return &testPKI{t: t, dir: dir, ca: ca, caFile: filepath.Join(dir, name+".crt")}
}

// issue writes a leaf as dir/<name>.crt and dir/<name>.key and returns the
// paths and the serial number.
func (p *testPKI) issue(name string, opt certgen.LeafOptions) (certFile, keyFile string, serial *big.Int) {
	p.t.Helper()
	certPEM, keyPEM, err := p.ca.Issue(opt)
	if err != nil {
		p.t.Fatal(err)
	}
	if err := certgen.WriteFiles(p.dir, map[string][]byte{name + ".crt": certPEM, name + ".key": keyPEM}); err != nil {
		p.t.Fatal(err)
	}
	cert, err := certgen.ParseCertificatePEM(certPEM)
	if err != nil {
		p.t.Fatal(err)
	}
	return filepath.Join(p.dir, name+".crt"), filepath.Join(p.dir, name+".key"), cert.SerialNumber
}

func serverLeaf() certgen.LeafOptions {
	return certgen.LeafOptions{CommonName: "localhost", DNSNames: []string{"localhost"},
		IPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, Server: true, Client: true}
}

func clientLeaf(cn string) certgen.LeafOptions {
	return certgen.LeafOptions{CommonName: cn, Client: true}
}

// serverSettings returns DefaultSettings with a fresh server pair from p and
// p's CA as tls-ca-cert-file.
func (p *testPKI) serverSettings() (Settings, *big.Int) {
	certFile, keyFile, serial := p.issue("server", serverLeaf())
	s := DefaultSettings()
	s.CertFile, s.KeyFile, s.CACertFile = certFile, keyFile, p.caFile
	return s, serial
}

func (p *testPKI) pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.ca.Cert)
	return pool
}

func loadPair(t *testing.T, certFile, keyFile string) tls.Certificate {
	t.Helper()
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ---- a TLS echo server on 127.0.0.1:0 ----

type handshakeResult struct {
	state tls.ConnectionState
	err   error
}

type echoServer struct {
	addr    string
	results chan handshakeResult
}

// startServer serves cfg on 127.0.0.1:0: each connection is handshaken, its
// result reported on results, then echoed. Everything stops at cleanup.
func startServer(t *testing.T, cfg *tls.Config) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &echoServer{addr: ln.Addr().String(), results: make(chan handshakeResult, 64)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			raw, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, raw)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer raw.Close()
				raw.SetDeadline(time.Now().Add(20 * time.Second))
				c := tls.Server(raw, cfg)
				err := c.Handshake()
				select {
				case s.results <- handshakeResult{c.ConnectionState(), err}:
				default:
				}
				if err == nil {
					io.Copy(c, c)
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return s
}

// next returns the result of the next server-side handshake.
func (s *echoServer) next(t *testing.T) handshakeResult {
	t.Helper()
	select {
	case r := <-s.results:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("no server-side handshake result")
		return handshakeResult{}
	}
}

// connect dials the server, handshakes and exchanges a line, which is
// where a TLS 1.3 client learns that the server refused its certificate.
func connect(t *testing.T, addr string, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 20 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	if err := roundTrip(c); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func roundTrip(c *tls.Conn) error {
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "ping\n" {
		return fmt.Errorf("echo %q", line)
	}
	return nil
}

func serverSerial(c *tls.Conn) *big.Int {
	return c.ConnectionState().PeerCertificates[0].SerialNumber
}

func settingError(t *testing.T, err error, directive string, kind error) *SettingError {
	t.Helper()
	var se *SettingError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *SettingError", err, err)
	}
	if se.Directive != directive {
		t.Errorf("error %q names directive %q, want %q", err, se.Directive, directive)
	}
	if kind != nil && !errors.Is(err, kind) {
		t.Errorf("error %q does not wrap %v", err, kind)
	}
	return se
}

// ---- pure functions ----

func TestDefaultSettings(t *testing.T) {
	s := DefaultSettings()
	want := Settings{AuthClients: "yes", Protocols: "TLSv1.2 TLSv1.3", SessionCaching: true,
		SessionCacheSize: 20480, SessionCacheTimeout: 300}
	if s != want {
		t.Fatalf("DefaultSettings() = %+v", s)
	}
	var zero Settings
	if err := zero.Validate(); err == nil {
		t.Fatal("zero Settings validated")
	}
}

func TestParseAuthClients(t *testing.T) {
	for in, want := range map[string]string{"yes": "yes", "YES": "yes", "optional": "optional", " Optional ": "optional", "no": "no"} {
		got, err := ParseAuthClients(in)
		if err != nil || got != want {
			t.Errorf("ParseAuthClients(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "true", "required", "1"} {
		_, err := ParseAuthClients(in)
		settingError(t, err, "tls-auth-clients", ErrInvalidSetting)
	}
}

func TestParseProtocols(t *testing.T) {
	tests := []struct {
		in       string
		min, max uint16
		kind     error
	}{
		{"TLSv1.2 TLSv1.3", tls.VersionTLS12, tls.VersionTLS13, nil},
		{"TLSv1.3 TLSv1.2", tls.VersionTLS12, tls.VersionTLS13, nil},
		{"tlsv1.3", tls.VersionTLS13, tls.VersionTLS13, nil},
		{"TLSv1.2", tls.VersionTLS12, tls.VersionTLS12, nil},
		{"  TLSv1.3  TLSv1.3 ", tls.VersionTLS13, tls.VersionTLS13, nil},
		{"TLSv1.2,TLSv1.3", tls.VersionTLS12, tls.VersionTLS13, nil},
		{"TLSv1", 0, 0, ErrInsecureSetting},
		{"TLSv1.1 TLSv1.2", 0, 0, ErrInsecureSetting},
		{"TLSv1.2 SSLv3", 0, 0, ErrInsecureSetting},
		{"", 0, 0, ErrInvalidSetting},
		{"   ", 0, 0, ErrInvalidSetting},
		{"TLSv1.4", 0, 0, ErrInvalidSetting},
		{"TLS1.3", 0, 0, ErrInvalidSetting},
	}
	for _, tc := range tests {
		lo, hi, err := ParseProtocols(tc.in)
		if tc.kind != nil {
			settingError(t, err, "tls-protocols", tc.kind)
			continue
		}
		if err != nil || lo != tc.min || hi != tc.max {
			t.Errorf("ParseProtocols(%q) = %x, %x, %v; want %x, %x", tc.in, lo, hi, err, tc.min, tc.max)
		}
	}
	_, _, err := ParseProtocols("TLSv1.2 TLSv1.1")
	if se := settingError(t, err, "tls-protocols", ErrInsecureSetting); se.Value != "TLSv1.1" {
		t.Errorf("error names %q, want the offending element TLSv1.1", se.Value)
	}
}

// secureTLS12 returns Go's secure suites usable with TLS 1.2.
func secureTLS12() []*tls.CipherSuite {
	var out []*tls.CipherSuite
	for _, cs := range tls.CipherSuites() {
		if supportsTLS12(cs) {
			out = append(out, cs)
		}
	}
	return out
}

func openSSLName(t *testing.T, id uint16) string {
	t.Helper()
	for name, v := range openSSLSuites {
		if v == id {
			return name
		}
	}
	t.Fatalf("no OpenSSL name for suite %s", tls.CipherSuiteName(id))
	return ""
}

func TestParseCiphersEverySecureSuite(t *testing.T) {
	for _, cs := range secureTLS12() {
		name := openSSLName(t, cs.ID)
		for _, in := range []string{name, strings.ToLower(name), cs.Name} {
			ids, err := ParseCiphers(in)
			if err != nil || len(ids) != 1 || ids[0] != cs.ID {
				t.Errorf("ParseCiphers(%q) = %v, %v; want %s", in, ids, err, cs.Name)
			}
		}
		if got := CipherName(cs.ID); got != name {
			t.Errorf("CipherName(%s) = %q, want %q", cs.Name, got, name)
		}
	}
	if got := CipherName(tls.TLS_AES_128_GCM_SHA256); got != "TLS_AES_128_GCM_SHA256" {
		t.Errorf("CipherName(TLS 1.3 suite) = %q", got)
	}
}

func TestParseCiphersEveryInsecureSuiteRefused(t *testing.T) {
	for _, cs := range tls.InsecureCipherSuites() {
		if !supportsTLS12(cs) {
			continue
		}
		name := openSSLName(t, cs.ID)
		for _, in := range []string{name, cs.Name, "ECDHE-RSA-AES128-GCM-SHA256:" + name} {
			_, err := ParseCiphers(in)
			se := settingError(t, err, "tls-ciphers", ErrInsecureSetting)
			if !strings.EqualFold(se.Value, name) && se.Value != cs.Name {
				t.Errorf("ParseCiphers(%q): error names %q", in, se.Value)
			}
			if !strings.Contains(err.Error(), se.Value) {
				t.Errorf("message %q does not name %q", err, se.Value)
			}
		}
	}
}

func TestParseCiphers(t *testing.T) {
	tests := []struct {
		in   string
		want []uint16
		bad  string // offending element
		kind error
	}{
		{in: "", want: nil},
		{in: " : ", want: nil},
		{in: "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305",
			want: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}},
		{in: "ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES128-GCM-SHA256",
			want: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}},
		{in: "HIGH", bad: "HIGH", kind: ErrNotSupportedByGo},
		{in: "DEFAULT", bad: "DEFAULT", kind: ErrNotSupportedByGo},
		{in: "ECDHE-RSA-AES128-GCM-SHA256:!aNULL", bad: "!aNULL", kind: ErrNotSupportedByGo},
		{in: "kEECDH+AESGCM", bad: "kEECDH+AESGCM", kind: ErrNotSupportedByGo},
		{in: "ECDHE-RSA-AES128-GCM-SHA256:@STRENGTH", bad: "@STRENGTH", kind: ErrNotSupportedByGo},
		{in: "-ECDHE-RSA-AES128-SHA", bad: "-ECDHE-RSA-AES128-SHA", kind: ErrNotSupportedByGo},
		{in: "aNULL", bad: "aNULL", kind: ErrNotSupportedByGo},
		{in: "ECDHE-RSA-AES128-GCM-SHA256:FOO-BAR", bad: "FOO-BAR", kind: ErrInvalidSetting},
		{in: "DHE-RSA-AES256-GCM-SHA384", bad: "DHE-RSA-AES256-GCM-SHA384", kind: ErrInvalidSetting},
		{in: "ECDHE-RSA-AES256-SHA384", bad: "ECDHE-RSA-AES256-SHA384", kind: ErrInvalidSetting},
		{in: "TLS_AES_128_GCM_SHA256", bad: "TLS_AES_128_GCM_SHA256", kind: ErrInvalidSetting},
		{in: "RC4-SHA", bad: "RC4-SHA", kind: ErrInsecureSetting},
		{in: "DES-CBC3-SHA", bad: "DES-CBC3-SHA", kind: ErrInsecureSetting},
		{in: "ECDHE-RSA-AES128-SHA256", bad: "ECDHE-RSA-AES128-SHA256", kind: ErrInsecureSetting},
		{in: "AES128-GCM-SHA256", bad: "AES128-GCM-SHA256", kind: ErrInsecureSetting},
	}
	for _, tc := range tests {
		got, err := ParseCiphers(tc.in)
		if tc.kind == nil {
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("ParseCiphers(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			continue
		}
		se := settingError(t, err, "tls-ciphers", tc.kind)
		if se.Value != tc.bad || !strings.Contains(err.Error(), strconv.Quote(tc.bad)) {
			t.Errorf("ParseCiphers(%q): error %q should name %q", tc.in, err, tc.bad)
		}
	}
}

func TestParseCipherSuites(t *testing.T) {
	ok := []string{"", "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
		"TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
		"TLS_AES_256_GCM_SHA384 TLS_AES_128_GCM_SHA256,TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"}
	for _, in := range ok {
		if err := ParseCipherSuites(in); err != nil {
			t.Errorf("ParseCipherSuites(%q) = %v", in, err)
		}
	}
	bad := []struct {
		in   string
		kind error
	}{
		{"TLS_AES_256_GCM_SHA384", ErrNotSupportedByGo},
		{"TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256", ErrNotSupportedByGo},
		{"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256", ErrNotSupportedByGo},
		{"TLS_AES_128_CCM_8_SHA256", ErrNotSupportedByGo},
		{"ECDHE-RSA-AES128-GCM-SHA256", ErrInvalidSetting},
		{"HIGH", ErrInvalidSetting},
	}
	for _, tc := range bad {
		err := ParseCipherSuites(tc.in)
		settingError(t, err, "tls-ciphersuites", tc.kind)
	}
	err := ParseCipherSuites("TLS_AES_256_GCM_SHA384")
	if !strings.Contains(err.Error(), "always enables") {
		t.Errorf("message %q does not explain that Go always enables its TLS 1.3 suites", err)
	}
}

// TestCipherNamesMatchOpenSSL checks the table against the installed
// OpenSSL's own name -> ID listing.
func TestCipherNamesMatchOpenSSL(t *testing.T) {
	openssl := requireTool(t, "openssl")
	out, err := exec.Command(openssl, "ciphers", "-V", "ALL:COMPLEMENTOFALL:@SECLEVEL=0").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl ciphers: %v\n%s", err, out)
	}
	// Lines look like: 0xC0,0x2C - ECDHE-ECDSA-AES256-GCM-SHA384 TLSv1.2 Kx=...
	ids := map[string]uint16{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[1] != "-" {
			continue
		}
		hex := strings.ReplaceAll(strings.ReplaceAll(f[0], "0x", ""), ",", "")
		v, err := strconv.ParseUint(hex, 16, 16)
		if err != nil {
			continue
		}
		ids[f[2]] = uint16(v)
	}
	for _, cs := range secureTLS12() {
		name := openSSLName(t, cs.ID)
		if got, ok := ids[name]; !ok || got != cs.ID {
			t.Errorf("OpenSSL knows %s as 0x%04x (present %v), table says %s 0x%04x", name, got, ok, cs.Name, cs.ID)
		}
	}
	for name, id := range openSSLSuites {
		if got, ok := ids[name]; ok && got != id {
			t.Errorf("OpenSSL knows %s as 0x%04x, table says 0x%04x", name, got, id)
		}
	}
	for _, name := range tls13Suites {
		if _, ok := ids[name]; !ok {
			t.Errorf("OpenSSL does not list TLS 1.3 suite %s", name)
		}
	}
}

func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI but not installed", name)
	}
	t.Skipf("%s not installed; skipping", name)
	return ""
}

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
	ecCert, ecKey, _ := p.issue("ec", serverLeaf())
	rsaOpt := serverLeaf()
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
	otherCert, _, _ := p.issue("other", serverLeaf())
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
	s.DHParamsFile = missing
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
	openssl := requireTool(t, "openssl")
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
	_, _, serialB := p.issue("server", serverLeaf())
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
	otherCert, _, _ := p.issue("other", serverLeaf())
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
	expiredOpt := serverLeaf()
	expiredOpt.NotBefore, expiredOpt.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	expired := serve(p, "expired", expiredOpt)
	elsewhere := serve(p, "elsewhere", certgen.LeafOptions{DNSNames: []string{"primary.example"}, Server: true})
	foreign := serve(other, "foreign", serverLeaf())

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
