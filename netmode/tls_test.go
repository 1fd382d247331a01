package netmode

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shinglekv/shingle/internal/certgen"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/tlsconn"
)

func TestServesEveryTransport(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.TLS.AuthClients = "no" })
	quicAddr := ts.listen(t, tlsconn.QUIC, "127.0.0.1:0")
	d := &tlsconn.Dialer{Transport: tlsconn.QUIC, TLSConfig: ts.ClientTLS(t, false)}
	t.Cleanup(func() { d.Close() })
	for _, proto := range []int{2, 3} {
		for name, c := range map[string]*redis.Client{
			"tcp":  goRedis(t, "tcp", ts.tcp, nil, proto),
			"tls":  goRedis(t, "tcp", ts.tls, ts.ClientTLS(t, false), proto),
			"unix": goRedis(t, "unix", ts.unixPath, nil, proto),
			"quic": quicClient(t, d, quicAddr, proto),
		} {
			if err := testutil.RoundTrip(t, c, name); err != nil {
				t.Errorf("%s RESP%d: %v", name, proto, err)
			}
		}
	}
	// All transports reach the same data.
	v, err := goRedis(t, "unix", ts.unixPath, nil, 2).Get(context.Background(), "tls").Result()
	if err != nil || v != "v:tls" {
		t.Fatalf("unix client reads %q, %v", v, err)
	}
}

func TestClientAuthModes(t *testing.T) {
	other := testutil.NewPKI(t, "Other CA")
	for _, tc := range []struct {
		mode                  string
		noCert, good, foreign bool // whether each client is served
	}{
		{"yes", false, true, false},
		{"optional", true, true, false},
		{"no", true, true, true},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			ts := startServer(t, func(c *Config) { c.TLS.AuthClients = tc.mode })
			// Go's client sends only a certificate the server says it
			// accepts; force this one out, as a careless client would.
			pair := testutil.LoadPair(t, other.ClientCertFile, other.ClientKeyFile)
			foreign := ts.Presenting(t, &pair)
			for _, c := range []struct {
				name   string
				config *tls.Config
				want   bool
			}{
				{"no certificate", ts.ClientTLS(t, false), tc.noCert},
				{"certificate from the CA", ts.ClientTLS(t, true), tc.good},
				{"certificate from another CA", foreign, tc.foreign},
			} {
				err := testutil.RoundTrip(t, goRedis(t, "tcp", ts.tls, c.config, 2), "k")
				if (err == nil) != c.want {
					t.Errorf("tls-auth-clients %s, %s: served=%v (%v), want served=%v", tc.mode, c.name, err == nil, err, c.want)
				}
			}
			if tc.mode == "no" {
				// "no" must not even ask for a certificate.
				asked := false
				cfg := ts.ClientTLS(t, false)
				cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
					asked = true
					return &tls.Certificate{}, nil
				}
				testutil.RoundTrip(t, goRedis(t, "tcp", ts.tls, cfg, 2), "k")
				if asked {
					t.Error("tls-auth-clients no asked for a client certificate")
				}
			}
		})
	}
}

func TestClientRefusesWrongServer(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.TLS.AuthClients = "no" })
	// A client trusting another CA refuses the server.
	other := testutil.NewPKI(t, "Other CA")
	if err := testutil.RoundTrip(t, goRedis(t, "tcp", ts.tls, other.ClientTLS(t, false), 2), "k"); err == nil {
		t.Error("a client trusting another CA was served")
	}

	// An expired server certificate is refused by a verifying client.
	expired := startServer(t, func(c *Config) {
		c.TLS.AuthClients = "no"
		c.TLS.CertFile, c.TLS.KeyFile = expiredPair(t, c)
	})
	trusting := expired.ClientTLS(t, false)
	trusting.RootCAs = loadPool(t, expired.srv.Config().TLS.CACertFile)
	err := testutil.RoundTrip(t, goRedis(t, "tcp", expired.tls, trusting, 2), "k")
	if err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("an expired server certificate: %v, want a certificate expiry error", err)
	}
}

// expiredPair issues, from a new CA, a server certificate that expired an
// hour ago, and makes that CA c's.
func expiredPair(t *testing.T, c *Config) (certFile, keyFile string) {
	p := testutil.NewPKI(t, "Expired Test CA")
	c.TLS.CACertFile = p.CAFile
	return p.Issue(t, "expired", certgen.LeafOptions{
		CommonName: "localhost", DNSNames: []string{"localhost"}, Server: true,
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour),
	})
}

func loadPool(t *testing.T, file string) *x509.CertPool {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b)
	return pool
}

func TestTLS13OnlyRefusesTLS12Client(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.TLS.AuthClients = "no"
		c.TLS.Protocols = "TLSv1.3"
	})
	old := ts.ClientTLS(t, false)
	old.MaxVersion = tls.VersionTLS12
	if err := testutil.RoundTrip(t, goRedis(t, "tcp", ts.tls, old, 2), "k"); err == nil {
		t.Error("a TLS 1.2-only client was served by a TLSv1.3-only server")
	}
	if err := testutil.RoundTrip(t, goRedis(t, "tcp", ts.tls, ts.ClientTLS(t, false), 2), "k"); err != nil {
		t.Errorf("a TLS 1.3 client: %v", err)
	}
	if st := ts.srv.Stats(); st.TLSHandshakeFailures.Load() == 0 {
		t.Error("the refused handshake was not counted")
	}
}

func TestRESP3ViaHello(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.raw(t)
	mustDo(t, c, "HSET", "h", "f", "v")
	if got := mustDo(t, c, "HGETALL", "h"); got != `["f" "v"]` {
		t.Fatalf("RESP2 HGETALL = %s", got)
	}
	r, err := c.Do("HELLO", "3")
	if err != nil || r.Kind != 7 /* KindMap */ {
		t.Fatalf("HELLO 3 = %v, %v", r, err)
	}
	r, err = c.Do("HGETALL", "h")
	if err != nil || r.Kind != 7 {
		t.Fatalf("RESP3 HGETALL = %v (kind %d), %v; want a map", r, r.Kind, err)
	}
	if r, _ := c.Do("GET", "missing"); r.Kind != 4 /* KindNull */ {
		t.Fatalf("RESP3 null = %v", r)
	}
	if r, _ := c.Do("HELLO", "4"); !strings.HasPrefix(string(r.Str), "NOPROTO") {
		t.Fatalf("HELLO 4 = %v", r)
	}
	// go-redis speaking RESP3 end to end.
	m, err := goRedis(t, "tcp", ts.tcp, nil, 3).HGetAll(context.Background(), "h").Result()
	if err != nil || m["f"] != "v" {
		t.Fatalf("go-redis RESP3 HGETALL = %v, %v", m, err)
	}
}
