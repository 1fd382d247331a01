package netmode

import (
	"context"
	"net"
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

// TestNewStartsNothing: New allocates and validates, and starts nothing,
// even with TLS and QUIC listeners and a primary to follow configured: no
// goroutine runs before Start, and Close after New leaves none behind.
func TestNewStartsNothing(t *testing.T) {
	p := testutil.NewPKI(t, "lifecycle")
	db := memStore(t)
	before := goleak.IgnoreCurrent()
	cfg := DefaultConfig()
	cfg.Port, cfg.TLSPort, cfg.QUICPort = testutil.FreePort(t), testutil.FreePort(t), testutil.FreeUDPPort(t)
	cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.CACertFile = p.CertFile, p.KeyFile, p.CAFile
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
	p := testutil.NewPKI(t, "lifecycle")
	primaryDB, replicaDB := memStore(t), memStore(t)
	before := goleak.IgnoreCurrent()

	start := func(db *store.DB, mod func(*Config)) (*Server, string) {
		cfg := DefaultConfig()
		cfg.Port = 0
		cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.CACertFile = p.CertFile, p.KeyFile, p.CAFile
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
		if _, err := srv.Listen(tlsconn.Unix, filepath.Join(testutil.SocketDir(t), "s")); err != nil {
			t.Fatal(err)
		}
		return srv, tcp
	}
	primary, primaryAddr := start(primaryDB, nil)
	host, port, _ := net.SplitHostPort(primaryAddr)
	replica, replicaAddr := start(replicaDB, func(c *Config) { c.ReplicaOf = host + " " + port })

	rc := testutil.MustDial(t, "tcp", replicaAddr)
	testutil.Eventually(t, 10*time.Second, "the replica's link", func() bool {
		r, err := rc.Do("INFO", "replication")
		return err == nil && strings.Contains(string(r.Str), "master_link_status:up")
	})
	pc := testutil.MustDial(t, "tcp", primaryAddr)
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
