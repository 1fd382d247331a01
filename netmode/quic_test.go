package netmode

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/tlsconn"
)

// quicClient returns a go-redis client reaching addr over QUIC through d.
func quicClient(t *testing.T, d *tlsconn.QUICDialer, addr string, proto int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr: addr, Dialer: d.DialContext, Protocol: proto, PoolSize: 1,
		MaxRetries: -1, DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestQUIC serves go-redis over QUIC with mutual TLS: both RESP versions,
// the same data as the other transports, CLIENT INFO naming the transport
// and the TLS session, and no service without a client certificate.
func TestQUIC(t *testing.T) {
	ts := startServer(t, nil)
	addr := ts.listen(t, tlsconn.QUIC, "127.0.0.1:0")
	d := &tlsconn.QUICDialer{TLSConfig: ts.clientTLS(t, true)}
	t.Cleanup(func() { d.Close() })
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		if err := roundTrip(t, quicClient(t, d, addr, proto), "quic"+strconv.Itoa(proto)); err != nil {
			t.Fatalf("RESP%d over QUIC: %v", proto, err)
		}
	}
	if v, err := goRedis(t, "tcp", ts.tcp, nil, 2).Get(ctx, "quic3").Result(); err != nil || v != "v:quic3" {
		t.Fatalf("a TCP client reads %q, %v", v, err)
	}
	info, err := quicClient(t, d, addr, 2).Do(ctx, "CLIENT", "INFO").Text()
	if err != nil || !strings.Contains(info, " transport=quic ") || !strings.Contains(info, " tls-version=TLSv1.3 ") {
		t.Fatalf("CLIENT INFO over QUIC: %q, %v", info, err)
	}

	anon := &tlsconn.QUICDialer{TLSConfig: ts.clientTLS(t, false)}
	t.Cleanup(func() { anon.Close() })
	if err := roundTrip(t, quicClient(t, anon, addr, 2), "anon"); err == nil {
		t.Fatal("a QUIC client without a certificate was served under tls-auth-clients yes")
	}
}

// TestQUICStalledStream runs 50 client sessions over one QUIC connection:
// one asks for far more than flow control lets through and never reads,
// the other 49 must all finish their work.
func TestQUICStalledStream(t *testing.T) {
	ts := startServer(t, nil)
	addr := ts.listen(t, tlsconn.QUIC, "127.0.0.1:0")
	d := &tlsconn.QUICDialer{TLSConfig: ts.clientTLS(t, true)}
	t.Cleanup(func() { d.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	big := strings.Repeat("x", 1<<20)
	if err := quicClient(t, d, addr, 2).Set(ctx, "big", big, 0).Err(); err != nil {
		t.Fatal(err)
	}
	stalled, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	var req []byte
	for range 64 { // 64 MiB of replies, many times the flow control windows
		req = resp.AppendCommand(req, []byte("GET"), []byte("big"))
	}
	if _, err := stalled.Write(req); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the stalled session to be connected", func() bool {
		return ts.srv.nclients.Load() >= 2
	})

	var wg sync.WaitGroup
	errs := make(chan error, 49)
	for i := range 49 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := quicClient(t, d, addr, 2)
			for j := range 20 {
				k := "s:" + strconv.Itoa(i) + ":" + strconv.Itoa(j)
				if err := c.Set(ctx, k, k, 0).Err(); err != nil {
					errs <- err
					return
				}
				if v, err := c.Get(ctx, k).Result(); err != nil || v != k {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a session beside the stalled one: %v", err)
	}
}

// TestQUICPortDirective turns quic-port on and off at run time: INFO lists
// the listener as Redis 7.2 lists the others, and clients are served on it.
func TestQUICPortDirective(t *testing.T) {
	ts := startServer(t, nil)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
	pc.Close()
	c := ts.raw(t)
	if r := mustDo(t, c, "CONFIG", "SET", "quic-port", port, "bind", "127.0.0.1"); r != `"OK"` {
		t.Fatalf("CONFIG SET quic-port: %s", r)
	}
	if info := mustDo(t, c, "INFO", "server"); !strings.Contains(info, "name=quic,bind=127.0.0.1,port="+port) {
		t.Fatalf("INFO server lists no quic listener:\n%s", info)
	}
	d := &tlsconn.QUICDialer{TLSConfig: ts.clientTLS(t, true)}
	t.Cleanup(func() { d.Close() })
	if err := roundTrip(t, quicClient(t, d, net.JoinHostPort("127.0.0.1", port), 2), "q"); err != nil {
		t.Fatalf("quic-port %s: %v", port, err)
	}
	if r := mustDo(t, c, "CONFIG", "SET", "quic-port", "0"); r != `"OK"` {
		t.Fatalf("CONFIG SET quic-port 0: %s", r)
	}
	if info := mustDo(t, c, "INFO", "server"); strings.Contains(info, "name=quic") {
		t.Fatalf("quic-port 0 left a listener:\n%s", info)
	}
}
