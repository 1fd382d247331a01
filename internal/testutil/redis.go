// Package testutil holds helpers for Shingle's tests: a stock redis-server
// to compare against, a RESP client that keeps every detail of a reply, and
// the rule for tools that may be missing.
package testutil

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/resp"
)

// RequireTool returns the path of an external program a test needs. When it
// is missing the test is skipped with a message, except in CI (CI=true),
// where the test suite script installs it and its absence is a failure.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI but not installed (scripts/test.sh installs it)", name)
	}
	t.Skipf("%s not installed; skipping (scripts/test.sh installs it)", name)
	return ""
}

// Redis is a stock redis-server started for a test, listening on a unix
// socket only, with persistence off. It is stopped by t.Cleanup.
type Redis struct {
	Socket string
}

// StartRedis starts redis-server with extra directives appended to the
// command line, and returns once it is ready to accept connections.
func StartRedis(t testing.TB, extra ...string) *Redis {
	t.Helper()
	bin := RequireTool(t, "redis-server")
	// Unix socket paths are limited to about 100 bytes: keep it short.
	dir, err := os.MkdirTemp("", "rs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s")
	args := append([]string{"--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no",
		"--dir", dir, "--daemonize", "no", "--loglevel", "notice", "--logfile", ""}, extra...)
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		var log []string
		for sc.Scan() {
			log = append(log, sc.Text())
			if strings.Contains(strings.ToLower(sc.Text()), "ready to accept connections") {
				ready <- nil
				for sc.Scan() {
				}
				return
			}
		}
		ready <- fmt.Errorf("redis-server exited before it was ready:\n%s", strings.Join(log, "\n"))
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("redis-server did not become ready within 30s")
	}
	return &Redis{Socket: sock}
}

// Dial connects a client to the server.
func (r *Redis) Dial(t testing.TB) *Client {
	t.Helper()
	c, err := Dial("unix", r.Socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Client is a minimal RESP client that returns replies with their exact
// type, for comparing servers reply by reply.
type Client struct {
	conn net.Conn
	r    *bufio.Reader
}

// Dial connects to a RESP server.
func Dial(network, addr string) (*Client, error) {
	conn, err := net.DialTimeout(network, addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	return NewClient(conn), nil
}

// NewClient wraps a connection.
func NewClient(conn net.Conn) *Client {
	return &Client{conn: conn, r: bufio.NewReaderSize(conn, 64<<10)}
}

// Do sends one command and reads its reply.
func (c *Client) Do(args ...string) (resp.Reply, error) {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	return c.DoBytes(b...)
}

// DoBytes is Do with byte-slice arguments.
func (c *Client) DoBytes(args ...[]byte) (resp.Reply, error) {
	if err := c.conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		return resp.Reply{}, err
	}
	if _, err := c.conn.Write(resp.AppendCommand(nil, args...)); err != nil {
		return resp.Reply{}, err
	}
	return resp.ReadReply(c.r)
}

// Pipeline sends reqs in one write and reads their replies, all within
// timeout. It writes from its own goroutine: a server that stops reading
// until its replies are read must not deadlock the test. On an error it
// returns the replies read so far.
func (c *Client) Pipeline(timeout time.Duration, reqs ...[]string) ([]resp.Reply, error) {
	if err := c.conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	var buf []byte
	for _, r := range reqs {
		b := make([][]byte, len(r))
		for i, a := range r {
			b[i] = []byte(a)
		}
		buf = resp.AppendCommand(buf, b...)
	}
	werr := make(chan error, 1)
	go func() {
		_, err := c.conn.Write(buf)
		werr <- err
	}()
	out := make([]resp.Reply, 0, len(reqs))
	for range reqs {
		r, err := resp.ReadReply(c.r)
		if err != nil {
			return out, fmt.Errorf("reply %d of %d: %w", len(out)+1, len(reqs), err)
		}
		out = append(out, r)
	}
	return out, <-werr
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// FreePort returns a TCP port of 127.0.0.1 that is free now, for a server
// that takes its port the way Redis does (0 meaning off) and so must be
// given one. Tests that can listen on port 0 do.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// FreeUDPPort is FreePort for UDP (a QUIC port).
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}
