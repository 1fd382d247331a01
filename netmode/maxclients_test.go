package netmode

import (
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/testutil"
)

// hostileInfo returns one number of an INFO section as a client reads it.
func hostileInfo(t *testing.T, c *testutil.Client, section, name string) int64 {
	t.Helper()
	r, err := c.Do("INFO", section)
	if err != nil {
		t.Fatalf("INFO %s: %v", section, err)
	}
	return infoInt(t, testutil.InfoFields(string(r.Str)), name)
}

// halfHellos opens n connections to the TLS port, each sending the first
// byte of a ClientHello (a handshake record's type) and then nothing.
func halfHellos(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = hostileDial(t, "tcp", addr)
		hostileWrite(t, conns[i], "\x16")
	}
	return conns
}

// closedOrHeld reads every conn until wait: it counts those the server
// closed (EOF or reset) and those it still holds (the read timed out).
func closedOrHeld(t *testing.T, conns []net.Conn, wait time.Duration) (closed, held int) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(wait)
	for _, c := range conns {
		wg.Go(func() {
			c.SetReadDeadline(deadline)
			n, err := c.Read(make([]byte, 1))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case n > 0:
				t.Errorf("the server wrote to a connection that sent half a ClientHello")
			case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET):
				closed++
			case isNetTimeout(err):
				held++
			default:
				t.Errorf("read: %v", err)
			}
		})
	}
	wg.Wait()
	return closed, held
}

// TestHostileHandshakeFlood: connections that start a TLS handshake and
// stall count against maxclients from their accept, as in Redis. With the
// slots full of stalled handshakes, the excess is closed at once, without
// a goroutine each, and counted in rejected_connections; INFO shows the
// handshakes pending; a client connected before the flood is still
// served. Once tls-handshake-timeout drops the stalled ones, new clients
// are accepted again.
func TestHostileHandshakeFlood(t *testing.T) {
	const maxClients, excess = 20, 200
	ts := startServer(t, func(c *Config) {
		c.MaxClients = maxClients
		c.TLS.AuthClients = "no"
		// Far longer than the flood takes: the stalled handshakes are
		// still held when the test looks at them.
		c.TLSHandshakeTimeout = time.Minute
	})
	early := ts.raw(t)
	if got := mustDo(t, early, "PING"); got != `"PONG"` {
		t.Fatalf("PING = %s", got)
	}
	const held = maxClients - 1 // early holds one slot
	base := runtime.NumGoroutine()

	stalled := halfHellos(t, ts.tls, held)
	eventually(t, "the stalled handshakes to be pending", func() bool { return ts.srv.tlsPending.Load() == held })
	flood := halfHellos(t, ts.tls, excess)
	eventually(t, "the excess to be refused", func() bool { return ts.srv.Stats().RejectedConnections.Load() == excess })

	// The excess is closed now, the stalled ones are held: long before
	// their handshake timeout.
	if closed, stillHeld := closedOrHeld(t, flood, 5*time.Second); closed != excess || stillHeld != 0 {
		t.Fatalf("over maxclients: %d closed, %d held; want all %d closed", closed, stillHeld, excess)
	}
	if closed, stillHeld := closedOrHeld(t, stalled, 100*time.Millisecond); closed != 0 || stillHeld != held {
		t.Fatalf("within maxclients: %d closed, %d held; want all %d held", closed, stillHeld, held)
	}
	// Each stalled handshake costs its goroutines; the excess costs none.
	if grown := runtime.NumGoroutine() - base; grown > 3*held+10 {
		t.Fatalf("%d goroutines more for %d stalled handshakes and %d refused connections", grown, held, excess)
	}

	// The client from before is served, and INFO tells the story.
	if got := mustDo(t, early, "PING"); got != `"PONG"` {
		t.Fatalf("PING during the flood = %s", got)
	}
	for _, f := range []struct {
		section, name string
		want          int64
	}{
		{"clients", "tls_pending_handshakes", held},
		{"clients", "connected_clients", maxClients}, // as Redis counts them: from accept
		{"stats", "rejected_connections", excess},
	} {
		if got := hostileInfo(t, early, f.section, f.name); got != f.want {
			t.Errorf("INFO %s = %d, want %d", f.name, got, f.want)
		}
	}

	// The stalled ones leave (here by hanging up; see below for the
	// timeout), which frees their slots; with tls-handshake-timeout 1 a
	// new round of stalled handshakes is dropped by the server, and new
	// clients are accepted again.
	for _, c := range stalled {
		c.Close()
	}
	eventually(t, "the stalled handshakes to end", func() bool { return ts.srv.tlsPending.Load() == 0 })
	mustDo(t, early, "CONFIG", "SET", "tls-handshake-timeout", "1")
	timeouts := ts.srv.Stats().TLSHandshakeTimeouts.Load()
	again := halfHellos(t, ts.tls, held)
	eventually(t, "the handshake timeout to drop the stalled handshakes", func() bool {
		return ts.srv.Stats().TLSHandshakeTimeouts.Load() == timeouts+held
	})
	if closed, _ := closedOrHeld(t, again, 10*time.Second); closed != held {
		t.Fatalf("after the handshake timeout, %d of %d stalled connections closed", closed, held)
	}
	if n := hostileInfo(t, early, "clients", "tls_pending_handshakes"); n != 0 {
		t.Fatalf("tls_pending_handshakes = %d after the timeout", n)
	}
	fresh, err := ts.rawTLS(t, ts.ClientTLS(t, false))
	if err != nil {
		t.Fatalf("a new TLS client after the flood: %v", err)
	}
	if got := mustDo(t, fresh, "PING"); got != `"PONG"` {
		t.Fatalf("PING from a new client after the flood = %s", got)
	}
	if n := hostileInfo(t, early, "stats", "rejected_connections"); n != excess {
		t.Fatalf("rejected_connections = %d, want %d", n, excess)
	}
}
