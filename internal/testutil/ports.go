package testutil

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"testing"
)

// FreePort returns a TCP port of 127.0.0.1 that is free now, for a server
// that takes its port the way Redis does (0 meaning off) and so must be
// given one. Tests that can listen on port 0 do.
//
// It is taken below Linux's ephemeral range (32768 and up), as
// bench/lib.sh's free_port does: a port the system hands out for port 0
// may be taken by another test's outgoing connection before the server
// binds it.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 1000 {
		p := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		ln.Close()
		return p
	}
	t.Fatal("no free port between 20000 and 32000")
	return 0
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

// SocketDir returns a new directory for unix sockets, removed at the end
// of the test. A unix socket's path is limited to about 100 bytes, which
// t.TempDir's long names can pass; this one is short.
func SocketDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sh")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
