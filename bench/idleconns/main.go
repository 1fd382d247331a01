package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "idleconns:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:6380", "server TLS address, host:port")
	n := flag.Int("n", 10000, "number of connections")
	caFile := flag.String("cacert", "", "CA certificate that signed the server's certificate (required)")
	certFile := flag.String("cert", "", "client certificate, for tls-auth-clients yes")
	keyFile := flag.String("key", "", "client private key")
	serverName := flag.String("sni", "", "server name to verify (default: the host of -addr)")
	parallel := flag.Int("parallel", 64, "connections being set up at once")
	timeout := flag.Duration("timeout", 10*time.Second, "limit for one connection's dial, handshake and PING")
	flag.Parse()
	if *caFile == "" || *n <= 0 || *parallel <= 0 {
		flag.Usage()
		return errors.New("-cacert is required, -n and -parallel must be positive")
	}

	cfg, err := tlsConfig(*addr, *caFile, *certFile, *keyFile, *serverName)
	if err != nil {
		return err
	}
	conns := make([]net.Conn, *n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()

	// A fixed pool of workers takes connection numbers from a channel; the
	// first failure stops them all.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for range min(*parallel, *n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c, err := open(ctx, *addr, cfg, *timeout)
				if err != nil {
					errOnce.Do(func() {
						firstErr = fmt.Errorf("connection %d of %d: %w", i+1, *n, err)
						cancel()
					})
					continue
				}
				conns[i] = c
			}
		}()
	}
feed:
	for i := range *n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}

	fmt.Println("ready")
	// Hold the connections until whoever started us closes our stdin.
	_, err = io.Copy(io.Discard, os.Stdin)
	return err
}

// tlsConfig trusts only caFile, as redis-cli --cacert does.
func tlsConfig(addr, caFile, certFile, keyFile, serverName string) (*tls.Config, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate", caFile)
	}
	if serverName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		serverName = host
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: serverName}
	if certFile != "" || keyFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// open dials one TLS connection and runs one PING on it.
func open(ctx context.Context, addr string, cfg *tls.Config, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := tls.Dialer{Config: cfg}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline)
	if _, err := io.WriteString(c, "*1\r\n$4\r\nPING\r\n"); err != nil {
		c.Close()
		return nil, fmt.Errorf("PING: %w", err)
	}
	// With TLS 1.3 a server that refuses the client certificate says so
	// only now, when the client first reads.
	line, err := bufio.NewReaderSize(c, 64).ReadString('\n')
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("reading the PING reply: %w", err)
	}
	if line != "+PONG\r\n" {
		c.Close()
		return nil, fmt.Errorf("PING answered %q", line)
	}
	c.SetDeadline(time.Time{})
	return c, nil
}
