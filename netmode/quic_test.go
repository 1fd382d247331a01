package netmode

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/tlsconn"
)

// quicClient returns a go-redis client reaching addr over QUIC through d.
func quicClient(t *testing.T, d *tlsconn.Dialer, addr string, proto int) *redis.Client {
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
	d := &tlsconn.Dialer{Transport: tlsconn.QUIC, TLSConfig: ts.ClientTLS(t, true)}
	t.Cleanup(func() { d.Close() })
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		if err := testutil.RoundTrip(t, quicClient(t, d, addr, proto), "quic"+strconv.Itoa(proto)); err != nil {
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

	anon := &tlsconn.Dialer{Transport: tlsconn.QUIC, TLSConfig: ts.ClientTLS(t, false)}
	t.Cleanup(func() { anon.Close() })
	if err := testutil.RoundTrip(t, quicClient(t, anon, addr, 2), "anon"); err == nil {
		t.Fatal("a QUIC client without a certificate was served under tls-auth-clients yes")
	}
}

// TestQUICStalledStream runs 50 client sessions over one QUIC connection:
// one asks for far more than flow control lets through and never reads,
// the other 49 must all finish their work.
func TestQUICStalledStream(t *testing.T) {
	ts := startServer(t, nil)
	addr := ts.listen(t, tlsconn.QUIC, "127.0.0.1:0")
	d := &tlsconn.Dialer{Transport: tlsconn.QUIC, TLSConfig: ts.ClientTLS(t, true)}
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
	port := strconv.Itoa(testutil.FreeUDPPort(t))
	c := ts.raw(t)
	if r := mustDo(t, c, "CONFIG", "SET", "quic-port", port, "bind", "127.0.0.1"); r != `"OK"` {
		t.Fatalf("CONFIG SET quic-port: %s", r)
	}
	if info := mustDo(t, c, "INFO", "server"); !strings.Contains(info, "name=quic,bind=127.0.0.1,port="+port) {
		t.Fatalf("INFO server lists no quic listener:\n%s", info)
	}
	d := &tlsconn.Dialer{Transport: tlsconn.QUIC, TLSConfig: ts.ClientTLS(t, true)}
	t.Cleanup(func() { d.Close() })
	if err := testutil.RoundTrip(t, quicClient(t, d, net.JoinHostPort("127.0.0.1", port), 2), "q"); err != nil {
		t.Fatalf("quic-port %s: %v", port, err)
	}
	if r := mustDo(t, c, "CONFIG", "SET", "quic-port", "0"); r != `"OK"` {
		t.Fatalf("CONFIG SET quic-port 0: %s", r)
	}
	if info := mustDo(t, c, "INFO", "server"); strings.Contains(info, "name=quic") {
		t.Fatalf("quic-port 0 left a listener:\n%s", info)
	}
}

// TestQUICHostile sends what a QUIC port must survive: garbage datagrams,
// a session that starts a command and is abandoned, a session reset by
// its client, and a reload to a key that does not match the certificate.
// Each is counted, and a healthy client sharing the QUIC connection of
// the bad sessions is served throughout.
func TestQUICHostile(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.Timeout = time.Second })
	addr := ts.listen(t, tlsconn.QUIC, "127.0.0.1:0")
	d := &tlsconn.Dialer{Transport: tlsconn.QUIC, TLSConfig: ts.ClientTLS(t, true)}
	t.Cleanup(func() { d.Close() })
	healthy := quicClient(t, d, addr, 2)
	admin := ts.raw(t)
	infoTLS := func() string { return mustDo(t, admin, "INFO", "tls") }
	ctx := context.Background()

	udp, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	for _, junk := range [][]byte{[]byte("PING\r\n"), {0}, {0xc0, 0, 0, 0, 1, 8}, make([]byte, 1200)} {
		udp.Write(junk)
	}
	eventually(t, "the garbage datagrams to be counted", func() bool {
		return !strings.Contains(infoTLS(), ",dropped_datagrams=0")
	})
	if err := testutil.RoundTrip(t, healthy, "after-garbage"); err != nil {
		t.Fatalf("after garbage datagrams: %v", err)
	}

	abandoned, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer abandoned.Close()
	abandoned.Write([]byte("*2\r\n$3\r\nGE")) // half a command, then silence
	reset, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	reset.Write([]byte("*1\r\n$4\r\nPI"))
	reset.Close() // the client gives up on it
	if err := testutil.RoundTrip(t, healthy, "beside-abandoned"); err != nil {
		t.Fatalf("beside an abandoned session: %v", err)
	}
	eventually(t, "the abandoned session to time out", func() bool {
		return !strings.Contains(mustDo(t, admin, "INFO", "stats"), "client_idle_timeout_disconnections:0")
	})

	other := testutil.NewPKI(t, "Other CA")
	key, err := os.ReadFile(other.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ts.KeyFile, key, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ts.srv.ReloadTLS(); err == nil {
		t.Fatal("a reload to a key that does not match the certificate succeeded")
	}
	if info := infoTLS(); !strings.Contains(info, `tls_reload_failures:1\r\n`) || !strings.Contains(info, `tls_last_reload_status:failed\r\n`) {
		t.Fatalf("INFO tls after a failed reload:\n%s", info)
	}
	fresh := &tlsconn.Dialer{Transport: tlsconn.QUIC, TLSConfig: ts.ClientTLS(t, true)}
	t.Cleanup(func() { fresh.Close() })
	if err := testutil.RoundTrip(t, quicClient(t, fresh, addr, 2), "after-bad-reload"); err != nil {
		t.Fatalf("a new QUIC client after a failed reload: %v", err)
	}
	// The healthy session idled past timeout meanwhile; a new one on the
	// same QUIC connection is served.
	if err := testutil.RoundTrip(t, quicClient(t, d, addr, 2), "still"); err != nil {
		t.Fatalf("a new session on the first QUIC connection after everything: %v", err)
	}
}

// TestQUICHandshakesCounted refuses QUIC clients for each certificate
// reason and sees INFO tls count them as it counts the TLS port's; a
// client certificate accepted over QUIC names its user as over TLS.
func TestQUICHandshakesCounted(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.TLSAuthClientsUser = "CN"
		c.Users = [][]string{{"client", "on", "allkeys", "+@all"}}
	})
	addr := ts.listen(t, tlsconn.QUIC, "127.0.0.1:0")
	admin := ts.raw(t)
	other := testutil.NewPKI(t, "Other CA")
	for _, tc := range []struct {
		counter string
		tls     *tls.Config
	}{
		{"no_client_cert", ts.Presenting(t, nil)},
		{"unknown_ca", ts.Presenting(t, &other.ClientTLS(t, true).Certificates[0])},
		{"expired_cert", ts.Presenting(t, ts.ExpiredClientCert(t))},
	} {
		d := &tlsconn.Dialer{Transport: tlsconn.QUIC, TLSConfig: tc.tls}
		if err := testutil.RoundTrip(t, quicClient(t, d, addr, 2), "refused"); err == nil {
			t.Fatalf("%s: a QUIC client was served", tc.counter)
		}
		d.Close()
		eventually(t, "tls_handshake_failures_"+tc.counter+" to count", func() bool {
			return strings.Contains(mustDo(t, admin, "INFO", "tls"), "tls_handshake_failures_"+tc.counter+`:1\r\n`)
		})
	}
	d := &tlsconn.Dialer{Transport: tlsconn.QUIC, TLSConfig: ts.ClientTLS(t, true)}
	t.Cleanup(func() { d.Close() })
	if who, err := quicClient(t, d, addr, 2).Do(context.Background(), "ACL", "WHOAMI").Text(); err != nil || who != "client" {
		t.Fatalf("ACL WHOAMI over QUIC with a certificate = %q, %v", who, err)
	}
	if info := mustDo(t, admin, "INFO", "tls"); !strings.Contains(info, `tls_handshakes:1\r\n`) {
		t.Fatalf("the QUIC handshake is not counted:\n%s", info)
	}
}
