package netmode

import (
	"crypto/tls"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/testutil"
)

// TestTLSAutoReload rotates the server certificate to one from a second CA
// while a client holds a connection: with tls-auto-reload-interval set, new
// clients trusting only the new CA get in, those trusting only the old one
// no longer do, and the open connection goes on. A broken replacement
// keeps the certificate in service and shows in INFO tls.
func TestTLSAutoReload(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.TLSAutoReloadInterval = time.Second })
	held, err := ts.rawTLS(t, ts.ClientTLS(t, true))
	if err != nil {
		t.Fatal(err)
	}
	mustDo(t, held, "SET", "k", "before")

	second := testutil.NewPKI(t, "Second CA")
	toNew := ts.ClientTLS(t, true)
	toNew.RootCAs = second.Pool() // trusts only the second CA for the server
	for src, dst := range map[string]string{second.CertFile: ts.CertFile, second.KeyFile: ts.KeyFile} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "a client trusting only the new CA to get in", func() bool {
		c, err := ts.rawTLS(t, toNew)
		if err != nil {
			return false
		}
		_, err = c.Do("PING")
		return err == nil
	})
	if got := mustDo(t, held, "GET", "k"); got != `"before"` {
		t.Fatalf("the connection opened before the reload reads %s", got)
	}
	if c, err := ts.rawTLS(t, ts.ClientTLS(t, true)); err == nil {
		if _, err := c.Do("PING"); err == nil {
			t.Fatal("a client trusting only the old CA was served after the reload")
		}
	}
	info := mustDo(t, held, "INFO", "tls")
	for _, want := range []string{`tls_reloads:1\r\n`, `tls_last_reload_status:ok\r\n`, "tls_cert_subject:", "tls_handshakes:", "tls_version_TLSv1.3:"} {
		if !strings.Contains(info, want) {
			t.Fatalf("INFO tls lacks %q:\n%s", want, info)
		}
	}

	if err := os.WriteFile(ts.KeyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the broken key to show in INFO tls", func() bool {
		return strings.Contains(mustDo(t, held, "INFO", "tls"), `tls_last_reload_status:failed\r\n`)
	})
	c, err := ts.rawTLS(t, toNew)
	if err != nil {
		t.Fatalf("after a broken reload: %v", err)
	}
	if _, err := c.Do("PING"); err != nil {
		t.Fatalf("after a broken reload the certificate in service stopped serving: %v", err)
	}
}

// TestSessionResumptionCounted reconnects with a client session cache: the
// second connection resumes and INFO tls counts it; with
// tls-session-caching no, reconnecting resumes nothing.
func TestSessionResumptionCounted(t *testing.T) {
	ts := startServer(t, nil)
	admin := ts.raw(t)
	counter := func() string {
		for _, l := range strings.Split(mustDo(t, admin, "INFO", "tls"), `\r\n`) {
			if v, ok := strings.CutPrefix(l, "tls_handshakes_resumed:"); ok {
				return v
			}
		}
		t.Fatal("INFO tls has no tls_handshakes_resumed")
		return ""
	}
	connect := func(tc *tls.Config) {
		c, err := ts.rawTLS(t, tc)
		if err != nil {
			t.Fatal(err)
		}
		mustDo(t, c, "PING") // reads the session ticket too
		c.Close()
	}
	tc := ts.ClientTLS(t, true)
	tc.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	connect(tc)
	if got := counter(); got != "0" {
		t.Fatalf("after a first connection tls_handshakes_resumed = %s", got)
	}
	connect(tc)
	if got := counter(); got != "1" {
		t.Fatalf("after reconnecting tls_handshakes_resumed = %s, want 1", got)
	}

	mustDo(t, admin, "CONFIG", "SET", "tls-session-caching", "no")
	tc.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	connect(tc)
	connect(tc)
	if got := counter(); got != "1" {
		t.Fatalf("with tls-session-caching no, tls_handshakes_resumed = %s, want still 1", got)
	}
}

// TestTLSFailureReasons fails a handshake for each reason INFO tls
// classifies and sees each counted under its name, and the listener's
// connections counted.
func TestTLSFailureReasons(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.TLS.Protocols = "TLSv1.3" })
	admin := ts.raw(t)
	tryTLS := func(tc *tls.Config) {
		c, err := tls.Dial("tcp", ts.tls, tc)
		if err == nil {
			c.SetDeadline(time.Now().Add(5 * time.Second))
			c.Write([]byte("PING\r\n"))
			c.Read(make([]byte, 16)) // TLS 1.3: the server's verdict on the certificate arrives here
			c.Close()
		}
	}
	other := testutil.NewPKI(t, "Other CA")
	for _, tc := range []struct {
		counter string
		try     func()
	}{
		{"no_client_cert", func() { tryTLS(ts.ClientTLS(t, false)) }},
		{"unknown_ca", func() { tryTLS(ts.Presenting(t, &other.ClientTLS(t, true).Certificates[0])) }},
		{"expired_cert", func() { tryTLS(ts.Presenting(t, ts.ExpiredClientCert(t))) }},
		{"protocol_version", func() {
			c := ts.ClientTLS(t, true)
			c.MaxVersion = tls.VersionTLS12
			tryTLS(c)
		}},
		{"not_tls", func() {
			c, err := net.Dial("tcp", ts.tls)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write([]byte("PING\r\n"))
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			c.Read(make([]byte, 128))
		}},
	} {
		tc.try()
		eventually(t, "tls_handshake_failures_"+tc.counter+" to count", func() bool {
			return strings.Contains(mustDo(t, admin, "INFO", "tls"), "tls_handshake_failures_"+tc.counter+`:1\r\n`)
		})
	}
	info := mustDo(t, admin, "INFO", "tls")
	if !strings.Contains(info, "tls_handshake_failures_other:0") || !strings.Contains(info, "name=tls,addr="+ts.tls+",accepted=5,current=0") {
		t.Fatalf("INFO tls:\n%s", info)
	}
}
