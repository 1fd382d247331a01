package tlsconn

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"path/filepath"
	"sync"
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

func clientLeaf(cn string) certgen.LeafOptions {
	return certgen.LeafOptions{CommonName: cn, Client: true}
}

// serverSettings returns DefaultSettings with a fresh server pair from p and
// p's CA as tls-ca-cert-file.
func (p *testPKI) serverSettings() (Settings, *big.Int) {
	certFile, keyFile, serial := p.issue("server", certgen.ServerLeafOptions())
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

// ---- an echo server of any transport ----

// startEcho serves an echo listener of transport on addr with st (nil for
// TCP and Unix): each connection is handshaken (a failure ends it), then
// echoes one line at a time. It returns the listener and the Conns that
// completed their handshake; the listener closes at cleanup.
func startEcho(t *testing.T, transport, addr string, st *ServerTLS) (Listener, <-chan Conn) {
	t.Helper()
	ln, err := Listen(transport, addr, st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				err := c.Handshake(ctx)
				cancel()
				if err != nil {
					return
				}
				select {
				case accepted <- c:
				default:
				}
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadBytes('\n')
					if err != nil {
						return
					}
					if _, err := c.Write(line); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln, accepted
}
