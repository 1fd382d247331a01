package tlsconn

import (
	"crypto/tls"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/testutil"
)

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
	p := testutil.NewPKI(t, "ca")
	base, _ := serverSettings(t, p)
	for _, version := range []string{"TLSv1.2", "TLSv1.3"} {
		t.Run(version, func(t *testing.T) {
			s := base
			s.Protocols = version
			s.SessionCacheTimeout = 300
			certFile, keyFile := p.Issue(t, "client", testutil.ClientLeaf("client"))
			client := func() *tls.Config {
				return &tls.Config{RootCAs: p.Pool(), ServerName: "localhost",
					Certificates:       []tls.Certificate{testutil.LoadPair(t, certFile, keyFile)},
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

			// tls-session-cache-size bounds the server's cache: with room
			// for one session, B's evicts A's.
			s.SessionCacheSize = 1
			cfg, err = s.ServerConfig()
			if err != nil {
				t.Fatal(err)
			}
			srv = startServer(t, cfg)
			a, b := client(), client()
			resumed(t, srv.addr, a)
			resumed(t, srv.addr, b)
			if resumed(t, srv.addr, a) {
				t.Fatal("a session evicted from a one-entry cache resumed")
			}
			if !resumed(t, srv.addr, a) {
				t.Fatal("the session in the one-entry cache did not resume")
			}
			s.SessionCacheSize = DefaultSessionCacheSize

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

// TestSessionCacheForgetsExpired fills an unbounded session cache and
// moves the clock past the timeout: the next session issued drops the
// expired ones.
func TestSessionCacheForgetsExpired(t *testing.T) {
	var clock fakeClock
	cfg := &tls.Config{Time: clock.now}
	c := cacheSessions(cfg, 0, time.Minute)
	var ss tls.SessionState
	for range 3 {
		if _, err := cfg.WrapSession(tls.ConnectionState{}, &ss); err != nil {
			t.Fatal(err)
		}
	}
	clock.advance(2 * time.Minute)
	id, err := cfg.WrapSession(tls.ConnectionState{}, &ss)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.entries[string(id)]; !ok {
		t.Fatal("the fresh session is gone")
	}
	if n := c.lru.Len(); n != 1 {
		t.Fatalf("%d sessions cached, want only the fresh one", n)
	}
}
