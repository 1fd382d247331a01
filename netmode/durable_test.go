package netmode

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/store"
	"github.com/shinglekv/shingle/tlsconn"
)

// TestRepliesWaitForFsync: under appendfsync always, while the fsync of a
// client's SET is held back, no client learns of the write: neither the
// writer (its +OK) nor readers on the plain and TLS ports (their GET
// replies), which are answered once the fsync completes, as in Redis.
func TestRepliesWaitForFsync(t *testing.T) {
	fs := &testutil.HeldSyncFS{FS: vfs.Default}
	db, err := store.Open(t.TempDir(), &store.Options{AppendFsync: store.FsyncAlways, FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	defer fs.Release() // before the cleanups, which wait for held writes, if the test fails
	p := testutil.NewPKI(t, "durable")
	cfg := DefaultConfig()
	cfg.Port = 0
	cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.CACertFile = p.CertFile, p.KeyFile, p.CAFile
	srv, err := New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	tcpLn, err := srv.Listen(tlsconn.TCP, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tlsLn, err := srv.Listen(tlsconn.TLS, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dial := func(secure bool) *rawConn {
		var c net.Conn
		var err error
		if secure {
			c, err = tls.Dial("tcp", tlsLn.Addr().String(), p.ClientTLS(t, true))
		} else {
			c, err = net.Dial("tcp", tcpLn.Addr().String())
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return &rawConn{c, bufio.NewReader(c)}
	}
	writer, plainReader, tlsReader := dial(false), dial(false), dial(true)
	admin := testutil.MustDial(t, "tcp", tcpLn.Addr().String())
	writer.send(t, "SET", "k", "old")
	if r := writer.read(t); string(r.Str) != "OK" {
		t.Fatalf("SET: %v", r)
	}

	entered := fs.Hold()
	writer.send(t, "SET", "k", "new")
	<-entered // committed; its fsync waits
	plainReader.send(t, "GET", "k")
	tlsReader.send(t, "GET", "k")
	// Both GETs have run once CLIENT LIST names GET as their last command.
	testutil.Eventually(t, 10*time.Second, "the readers' GETs", func() bool {
		r, err := admin.Do("CLIENT", "LIST")
		return err == nil && strings.Count(string(r.Str), " cmd=get ") == 2
	})
	for name, c := range map[string]*rawConn{"writer": writer, "plain reader": plainReader, "TLS reader": tlsReader} {
		if c.answered(t) {
			t.Errorf("the %s was answered before the fsync", name)
		}
	}

	fs.Release()
	if r := writer.read(t); string(r.Str) != "OK" {
		t.Errorf("SET after the fsync: %v", r)
	}
	for _, c := range []*rawConn{plainReader, tlsReader} {
		if r := c.read(t); string(r.Str) != "new" {
			t.Errorf("GET after the fsync: %v", r)
		}
	}
}

// rawConn is a client connection whose requests and replies a test sends
// and reads apart.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *rawConn) send(t *testing.T, args ...string) {
	t.Helper()
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	if _, err := c.Write(resp.AppendCommand(nil, b...)); err != nil {
		t.Fatal(err)
	}
}

func (c *rawConn) read(t *testing.T) resp.Reply {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	r, err := resp.ReadReply(c.r)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// answered reports whether a reply arrives within a tenth of a second. A
// correct server never answers (the fsync is held), so the wait cannot
// make the test fail spuriously; it gives a wrong one the time to show.
func (c *rawConn) answered(t *testing.T) bool {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, err := c.r.Peek(1)
	c.SetReadDeadline(time.Time{})
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal(err)
	}
	return err == nil
}
