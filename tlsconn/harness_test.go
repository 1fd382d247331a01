package tlsconn

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/certgen"
	"github.com/shinglekv/shingle/internal/testutil"
)

// ---- certificates (testutil.PKI, with what these tests add) ----

// serverSettings returns DefaultSettings with p's server pair and p's CA
// as tls-ca-cert-file, and the serial number of that server certificate.
func serverSettings(t *testing.T, p *testutil.PKI) (Settings, *big.Int) {
	t.Helper()
	s := DefaultSettings()
	s.CertFile, s.KeyFile, s.CACertFile = p.CertFile, p.KeyFile, p.CAFile
	return s, serialOf(t, p.CertFile)
}

// issue is p.Issue that also returns the certificate's serial number, by
// which a test tells which certificate a server presents.
func issue(t *testing.T, p *testutil.PKI, name string, opt certgen.LeafOptions) (certFile, keyFile string, serial *big.Int) {
	t.Helper()
	certFile, keyFile = p.Issue(t, name, opt)
	return certFile, keyFile, serialOf(t, certFile)
}

// serialOf returns the serial number of the certificate in certFile.
func serialOf(t *testing.T, certFile string) *big.Int {
	t.Helper()
	b, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := certgen.ParseCertificatePEM(b)
	if err != nil {
		t.Fatal(err)
	}
	return cert.SerialNumber
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
