package testutil

import (
	"net"
	"os"
	"testing"
)

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
