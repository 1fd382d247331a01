package netmode

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/testutil"
)

// monitorLines opens a MONITOR connection to addr and returns what reads
// its lines, without the time and client address.
func monitorLines(t *testing.T, addr string) func() string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.Write([]byte("MONITOR\r\n")); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	next := func() string {
		t.Helper()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the monitor: %v", err)
		}
		if _, rest, ok := strings.Cut(l, "] "); ok {
			return strings.TrimRight(rest, "\r\n")
		}
		return strings.TrimRight(l, "\r\n")
	}
	if l := next(); l != "+OK" {
		t.Fatalf("MONITOR answered %q", l)
	}
	return next
}

// TestMonitorLikeRedis: a MONITOR connection on redis-server and one on
// Shingle see the same commands, quoted the same way, admin commands left
// out and passwords redacted.
func TestMonitorLikeRedis(t *testing.T) {
	_, _, port := startPlainRedis(t)
	redisAddr := net.JoinHostPort("127.0.0.1", port)
	ts := startServer(t, nil)
	cmds := [][]string{
		{"SET", "k", "a b\n\"q\"\x00\xff"},
		{"CONFIG", "GET", "maxmemory"},
		{"GET", "k"},
		{"HSET", "h", "f", "v"},
		{"MIGRATE", "127.0.0.1", "1", "", "0", "1", "AUTH", "secret", "KEYS", "nokey"},
		{"PING"},
	}
	want := []string{`"SET" "k" "a b\n\"q\"\x00\xff"`, `"GET" "k"`, `"HSET" "h" "f" "v"`,
		`"MIGRATE" "127.0.0.1" "1" "" "0" "1" "AUTH" "(redacted)" "KEYS" "nokey"`, `"PING"`}
	for _, side := range []struct{ name, addr string }{{"redis", redisAddr}, {"shingle", ts.tcp}} {
		next := monitorLines(t, side.addr)
		c := testutil.MustDial(t, "tcp", side.addr)
		for _, args := range cmds {
			if _, err := c.Do(args...); err != nil {
				t.Fatal(err)
			}
		}
		for _, w := range want {
			if got := next(); got != w {
				t.Errorf("%s's monitor: %s, want %s", side.name, got, w)
			}
		}
	}
}
