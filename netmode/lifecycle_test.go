package netmode

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/store"
	"github.com/shinglekv/shingle/tlsconn"
)

// lifecycleStore opens an in-memory store closed at the end of the test,
// after the goroutine checks (the store's own goroutines are not the
// server's).
func lifecycleStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open("", &store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestNewStartsNothing: New allocates and validates, and starts nothing,
// even with TLS and QUIC listeners and a primary to follow configured: no
// goroutine runs before Start, and Close after New leaves none behind.
func TestNewStartsNothing(t *testing.T) {
	p := newPKI(t, "lifecycle")
	db := lifecycleStore(t)
	before := goleak.IgnoreCurrent()
	cfg := DefaultConfig()
	cfg.Port, cfg.TLSPort, cfg.QUICPort = testutil.FreePort(t), testutil.FreePort(t), testutil.FreeUDPPort(t)
	cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.CACertFile = p.certFile, p.keyFile, p.caFile
	cfg.TLSAutoReloadInterval = time.Second
	cfg.ReplicaOf = "127.0.0.1 " + strconv.Itoa(testutil.FreePort(t))
	srv, err := New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, before)
	if got := srv.Listeners(); len(got) != 0 {
		t.Errorf("New opened listeners: %v", got)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, before)
	// A closed server does not start.
	if err := srv.Start(); err != ErrServerClosed {
		t.Errorf("Start after Close: %v, want ErrServerClosed", err)
	}
	if _, err := srv.Listen(tlsconn.TCP, "127.0.0.1:0"); err != ErrServerClosed {
		t.Errorf("Listen after Close: %v, want ErrServerClosed", err)
	}
	goleak.VerifyNone(t, before)
}

// TestStartShutdownLeavesNothing: a primary and a replica of it, each
// serving TCP, TLS, QUIC and a unix socket with clients connected, the
// replica's link up and a write acknowledged by WAIT, leave no goroutine
// behind once both are shut down.
func TestStartShutdownLeavesNothing(t *testing.T) {
	p := newPKI(t, "lifecycle")
	primaryDB, replicaDB := lifecycleStore(t), lifecycleStore(t)
	before := goleak.IgnoreCurrent()

	start := func(db *store.DB, mod func(*Config)) (*Server, string) {
		cfg := DefaultConfig()
		cfg.Port = 0
		cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.CACertFile = p.certFile, p.keyFile, p.caFile
		cfg.TLSAutoReloadInterval = time.Second
		if mod != nil {
			mod(cfg)
		}
		srv, err := New(db, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var tcp string
		for _, tr := range []string{tlsconn.TCP, tlsconn.TLS, tlsconn.QUIC} {
			ln, err := srv.Listen(tr, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			if tr == tlsconn.TCP {
				tcp = ln.Addr().String()
			}
		}
		// Unix socket paths are limited to about 100 bytes: keep it short.
		dir, err := os.MkdirTemp("", "sh")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if _, err := srv.Listen(tlsconn.Unix, filepath.Join(dir, "s")); err != nil {
			t.Fatal(err)
		}
		return srv, tcp
	}
	primary, primaryAddr := start(primaryDB, nil)
	host, port, _ := net.SplitHostPort(primaryAddr)
	replica, replicaAddr := start(replicaDB, func(c *Config) { c.ReplicaOf = host + " " + port })

	rc, err := testutil.Dial("tcp", replicaAddr)
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "the replica's link", func() bool {
		r, err := rc.Do("INFO", "replication")
		return err == nil && strings.Contains(string(r.Str), "master_link_status:up")
	})
	pc, err := testutil.Dial("tcp", primaryAddr)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := pc.Do("SET", "k", "v"); err != nil || string(r.Str) != "OK" {
		t.Fatalf("SET: %v %v", r, err)
	}
	if r, err := pc.Do("WAIT", "1", "10000"); err != nil || r.Int != 1 {
		t.Fatalf("WAIT 1: %v %v", r, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := replica.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := primary.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	pc.Close()
	goleak.VerifyNone(t, before)
}
