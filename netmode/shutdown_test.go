package netmode

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/testutil"
)

// TestShutdownCommand: SHUTDOWN's refusals as redis-server's; then SHUTDOWN SAVE
// writes dbfilename, closes the client's connection without a reply, and
// stops the server (Done, listeners closed).
func TestShutdownCommand(t *testing.T) {
	rc := testutil.StartRedis(t).Dial(t)
	dir := t.TempDir()
	ts := startServer(t, func(c *Config) { c.Dir = dir })
	sc := ts.raw(t)
	sameAsRedis(t, rc, sc, [][]string{
		{"SHUTDOWN", "ABORT"}, {"SHUTDOWN", "ABORT", "NOW"}, {"SHUTDOWN", "SAVE", "NOSAVE"}, {"SHUTDOWN", "BOGUS"},
	}, nil)
	mustDo(t, sc, "SET", "k", "v")
	if _, err := sc.Do("SHUTDOWN", "SAVE"); err == nil {
		t.Fatal("SHUTDOWN SAVE answered; want the connection closed without a reply")
	}
	select {
	case <-ts.srv.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop")
	}
	if _, err := os.Stat(filepath.Join(dir, "dump.rdb")); err != nil {
		t.Fatalf("SHUTDOWN SAVE wrote no dump.rdb: %v", err)
	}
	eventually(t, "the listeners to close", func() bool {
		c, err := net.DialTimeout("tcp", ts.tcp, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
}
