package testutil

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/resp"
)

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

// MustDial is Dial that fails the test on an error; the client closes at
// the end of the test (closing it sooner is fine).
func MustDial(t testing.TB, network, addr string) *Client {
	t.Helper()
	c, err := Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
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

// InfoFields reads INFO output (of any sections) into field -> value.
func InfoFields(info string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(info, "\n") {
		l = strings.TrimRight(l, "\r")
		if k, v, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, "#") {
			m[k] = v
		}
	}
	return m
}
