package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shinglekv/shingle/internal/certgen"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/tlsconn"
)

// demo is a running demo server.
type demo struct {
	stop  chan os.Signal
	done  chan error
	lines chan string
	out   strings.Builder
}

// startDemo runs the demo with args and waits until it has printed a Ready
// line for each transport in want.
func startDemo(t *testing.T, args []string, want ...string) *demo {
	t.Helper()
	pr, pw := io.Pipe()
	d := &demo{stop: make(chan os.Signal, 1), done: make(chan error, 1), lines: make(chan string, 100)}
	go func() {
		d.done <- run(args, strings.NewReader(""), pw, d.stop)
		pw.Close()
	}()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			d.lines <- sc.Text()
		}
		close(d.lines)
	}()
	ready := map[string]bool{}
	timeout := time.After(30 * time.Second)
	for len(ready) < len(want) {
		select {
		case l, ok := <-d.lines:
			if !ok {
				t.Fatalf("demo exited before it was ready: %v\n%s", <-d.done, d.out.String())
			}
			d.out.WriteString(l + "\n")
			for _, w := range want {
				if strings.HasPrefix(l, "Ready to accept connections "+w+" ") {
					ready[w] = true
				}
			}
		case <-timeout:
			t.Fatalf("demo not ready:\n%s", d.out.String())
		}
	}
	t.Cleanup(func() { d.shutdown(t) })
	return d
}

// waitLine waits for a line of output containing s.
func (d *demo) waitLine(t *testing.T, s string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for !strings.Contains(d.out.String(), s) {
		select {
		case l, ok := <-d.lines:
			if !ok {
				t.Fatalf("demo output ended without %q:\n%s", s, d.out.String())
			}
			d.out.WriteString(l + "\n")
		case <-timeout:
			t.Fatalf("no line with %q:\n%s", s, d.out.String())
		}
	}
}

// shutdown sends SIGTERM and waits for a clean exit.
func (d *demo) shutdown(t *testing.T) {
	select {
	case d.stop <- syscall.SIGTERM:
	default:
	}
	for l := range d.lines {
		d.out.WriteString(l + "\n")
	}
	if err := <-d.done; err != nil {
		t.Errorf("demo exited with %v", err)
	}
	d.done <- nil // a second shutdown finds it done
}

func TestServesWithDevelopmentCA(t *testing.T) {
	dir := t.TempDir()
	sockDir := testutil.SocketDir(t)
	port, tlsPort, quicPort := testutil.FreePort(t), testutil.FreePort(t), testutil.FreeUDPPort(t)
	sock := filepath.Join(sockDir, "s")
	args := []string{"--dir", dir, "--port", strconv.Itoa(port), "--tls-port", strconv.Itoa(tlsPort),
		"--quic-port", strconv.Itoa(quicPort), "--unixsocket", sock}
	d := startDemo(t, args, "tcp", "tls", "quic", "unix")

	caFile := filepath.Join(dir, "tls", "ca.crt")
	d.waitLine(t, "redis-cli --tls --cacert "+caFile+" -p "+strconv.Itoa(tlsPort)+" ping")
	ca, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	ctx := context.Background()
	clients := map[string]*redis.Client{
		"tcp":  redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}),
		"tls":  redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(tlsPort)), TLSConfig: &tls.Config{RootCAs: pool}}),
		"unix": redis.NewClient(&redis.Options{Network: "unix", Addr: sock}),
	}
	qd := &tlsconn.Dialer{Transport: tlsconn.QUIC, TLSConfig: &tls.Config{RootCAs: pool}}
	defer qd.Close()
	clients["quic"] = redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(quicPort)), Dialer: qd.DialContext})
	for name, c := range clients {
		defer c.Close()
		if err := testutil.RoundTrip(t, c, name); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if n, err := clients["tls"].DBSize(ctx).Result(); err != nil || n != 4 {
		t.Fatalf("DBSIZE over TLS = %d, %v", n, err)
	}
	info, err := clients["tcp"].Info(ctx, "server").Result()
	if err != nil || !strings.Contains(info, "tcp_port:"+strconv.Itoa(port)) ||
		!strings.Contains(info, "listener1:name=unix") || !strings.Contains(info, "name=tls,bind=127.0.0.1,port="+strconv.Itoa(tlsPort)) {
		t.Errorf("INFO server:\n%s (%v)", info, err)
	}
	for _, c := range clients {
		c.Close()
	}
	d.shutdown(t)

	// A second start reuses the CA, and the data is still there.
	startDemo(t, args, "tcp", "tls")
	ca2, _ := os.ReadFile(caFile)
	if string(ca2) != string(ca) {
		t.Error("the development CA was replaced on the second start")
	}
	c := redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(tlsPort)), TLSConfig: &tls.Config{RootCAs: pool}})
	defer c.Close()
	if v, err := c.Get(ctx, "unix").Result(); err != nil || v != "v:unix" {
		t.Fatalf("after restart GET unix = %q, %v", v, err)
	}
}

func TestConfigFileAndOptions(t *testing.T) {
	dir := t.TempDir()
	port := testutil.FreePort(t)
	conf := filepath.Join(dir, "shingle.conf")
	// The file asks for a TLS port and a password; the options turn TLS
	// off: options come after the file, as with redis-server.
	text := "# demo config\nport 1\ntls-port 7380\nrequirepass \"s3cret\"\nappendfsync always\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	startDemo(t, []string{conf, "--dir", dir, "--port", strconv.Itoa(port), "--tls-port", "0", "--quic-port", "0"}, "tcp")
	c := redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Password: "s3cret"})
	defer c.Close()
	ctx := context.Background()
	got, err := c.ConfigGet(ctx, "appendfsync").Result()
	if err != nil || got["appendfsync"] != "always" {
		t.Fatalf("CONFIG GET appendfsync = %v, %v", got, err)
	}
	info, _ := c.Info(ctx, "server").Result()
	if !strings.Contains(info, "config_file:"+conf) {
		t.Errorf("INFO server does not name the config file:\n%s", info)
	}
	if _, err := os.Stat(filepath.Join(dir, "tls")); err == nil {
		t.Error("development certificates were made with TLS off")
	}

	for _, bad := range [][]string{{"--no-such-directive", "1"}, {"--port", "70000"}, {"--appendfsync", "sometimes"}} {
		if err := run(append([]string{"--dir", dir}, bad...), strings.NewReader(""), io.Discard, nil); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

// verifyDevLeaves checks that the server and client certificates in the tls
// directory verify against its ca.crt, and match their keys.
func verifyDevLeaves(t *testing.T, tlsDir string) {
	t.Helper()
	caPEM, err := os.ReadFile(filepath.Join(tlsDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("no certificate in ca.crt")
	}
	for _, leaf := range []struct {
		name  string
		usage x509.ExtKeyUsage
		host  string
	}{{"server", x509.ExtKeyUsageServerAuth, "localhost"}, {"client", x509.ExtKeyUsageClientAuth, ""}} {
		pair, err := tls.LoadX509KeyPair(filepath.Join(tlsDir, leaf.name+".crt"), filepath.Join(tlsDir, leaf.name+".key"))
		if err != nil {
			t.Fatalf("%s pair: %v", leaf.name, err)
		}
		cert, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: leaf.host, KeyUsages: []x509.ExtKeyUsage{leaf.usage}}); err != nil {
			t.Errorf("%s certificate does not verify against ca.crt: %v", leaf.name, err)
		}
	}
}

func TestLostCAKeyReissuesCertificates(t *testing.T) {
	dir := t.TempDir()
	tlsDir := filepath.Join(dir, "tls")
	tlsPort := testutil.FreePort(t)
	args := []string{"--dir", dir, "--port", "0", "--tls-port", strconv.Itoa(tlsPort), "--quic-port", "0"}
	startDemo(t, args, "tls").shutdown(t)
	oldCA, err := os.ReadFile(filepath.Join(tlsDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(tlsDir, "ca.key")); err != nil {
		t.Fatal(err)
	}

	startDemo(t, args, "tls")
	newCA, err := os.ReadFile(filepath.Join(tlsDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if string(newCA) == string(oldCA) {
		t.Fatal("ca.crt was kept without its key")
	}
	verifyDevLeaves(t, tlsDir)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(newCA)
	c := redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(tlsPort)), TLSConfig: &tls.Config{RootCAs: pool}})
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING over TLS with the new CA: %v", err)
	}
}

func TestDevPKIRepairs(t *testing.T) {
	foreign := testutil.NewPKI(t, "other CA").CA
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
		newCA  bool // whether ca.crt must change
	}{
		{"ca.crt missing", func(t *testing.T, dir string) { removeFile(t, dir, "ca.crt") }, true},
		{"ca.key missing", func(t *testing.T, dir string) { removeFile(t, dir, "ca.key") }, true},
		{"server.key missing", func(t *testing.T, dir string) { removeFile(t, dir, "server.key") }, false},
		{"server.crt from another CA", func(t *testing.T, dir string) {
			(&testutil.PKI{Dir: dir, CA: foreign}).Issue(t, "server", certgen.ServerLeafOptions())
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := ensureDevPKI(dir); err != nil {
				t.Fatal(err)
			}
			verifyDevLeaves(t, dir)
			oldCA, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
			tc.damage(t, dir)
			if _, err := ensureDevPKI(dir); err != nil {
				t.Fatal(err)
			}
			verifyDevLeaves(t, dir)
			if newCA, _ := os.ReadFile(filepath.Join(dir, "ca.crt")); (string(newCA) != string(oldCA)) != tc.newCA {
				t.Errorf("ca.crt changed = %v, want %v", string(newCA) != string(oldCA), tc.newCA)
			}
		})
	}
}

func removeFile(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

func TestStartFailureReturnsError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	// The port is taken, so Start fails and run returns its error (after
	// closing the server) instead of waiting for a signal.
	if err := run([]string{"--dir", t.TempDir(), "--port", port, "--tls-port", "0", "--quic-port", "0"}, strings.NewReader(""), io.Discard, nil); err == nil {
		t.Fatal("run succeeded on a port in use")
	}
}

// TestSIGHUPReloadsCertificates replaces the server certificate and sends
// SIGHUP: new connections get the new one; a broken key is reported and
// the certificate in service stays.
func TestSIGHUPReloadsCertificates(t *testing.T) {
	dir := t.TempDir()
	tlsDir := filepath.Join(dir, "tls")
	tlsPort := strconv.Itoa(testutil.FreePort(t))
	d := startDemo(t, []string{"--dir", dir, "--port", "0", "--tls-port", tlsPort, "--quic-port", "0"}, "tls")
	defer d.shutdown(t)
	caPEM, err := os.ReadFile(filepath.Join(tlsDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	caKey, err := os.ReadFile(filepath.Join(tlsDir, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := certgen.LoadCA(caPEM, caKey)
	if err != nil {
		t.Fatal(err)
	}
	dev := &testutil.PKI{Dir: tlsDir, CA: ca} // the demo's own CA, to issue from
	serial := func() string {
		c, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", tlsPort), dev.ClientTLS(t, false))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	before := serial()
	dev.Issue(t, "server", certgen.ServerLeafOptions())
	d.stop <- syscall.SIGHUP
	d.waitLine(t, "SIGHUP: TLS certificates reloaded")
	after := serial()
	if after == before {
		t.Fatal("after SIGHUP the server still presents the old certificate")
	}
	if err := os.WriteFile(filepath.Join(tlsDir, "server.key"), []byte("broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.stop <- syscall.SIGHUP
	d.waitLine(t, "SIGHUP: TLS reload failed")
	if got := serial(); got != after {
		t.Fatalf("a broken key replaced the certificate in service: serial %s, want %s", got, after)
	}
}

// TestShutdownCommandExits: a client's SHUTDOWN ends run, as a signal does.
func TestShutdownCommandExits(t *testing.T) {
	port := testutil.FreePort(t)
	d := startDemo(t, []string{"--dir", t.TempDir(), "--port", strconv.Itoa(port), "--tls-port", "0", "--quic-port", "0"}, "tcp")
	c := testutil.MustDial(t, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if _, err := c.Do("SHUTDOWN", "NOSAVE"); err == nil {
		t.Fatal("SHUTDOWN answered; want the connection closed")
	}
	d.waitLine(t, "A client asked for SHUTDOWN")
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
		d.done <- nil // for the cleanup's shutdown
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after SHUTDOWN")
	}
}
