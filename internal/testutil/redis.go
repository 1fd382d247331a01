package testutil

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	Unavailable(t, "%s not installed (scripts/test.sh installs it)", name)
	return ""
}

// Unavailable ends a test that cannot run here (a tool missing or of
// another version, no /proc): skipped with the reason, except in CI
// (CI=true), where scripts/test.sh provides everything and the absence is
// a failure.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("required in CI: "+format, args...)
	}
	t.Skipf(format, args...)
}

// Redis is a stock redis-server started for a test, listening on a unix
// socket only. It is stopped by t.Cleanup.
type Redis struct {
	Socket string // the path of its unix socket
}

// StartRedis starts redis-server with persistence off and extra
// directives appended to the command line, and returns once it is ready to
// accept connections.
func StartRedis(t testing.TB, extra ...string) *Redis {
	t.Helper()
	return startRedis(t, append([]string{"--save", "", "--appendonly", "no"}, extra...))
}

// StartRedisDefaults is StartRedis with every directive but the listeners,
// dir and args at Redis's default (persistence included), for a test that
// reads Redis's defaults.
func StartRedisDefaults(t testing.TB, args ...string) *Redis {
	t.Helper()
	return startRedis(t, args)
}

// startRedis starts redis-server on a unix socket in a directory of its
// own, logging to standard output at its default level, which is where it
// says it is ready; args come last, so that they override.
func startRedis(t testing.TB, args []string) *Redis {
	t.Helper()
	bin := RequireTool(t, "redis-server")
	dir := SocketDir(t)
	sock := filepath.Join(dir, "s")
	args = append([]string{"--port", "0", "--unixsocket", sock,
		"--dir", dir, "--daemonize", "no", "--loglevel", "notice", "--logfile", ""}, args...)
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

// Dial connects a client to the server; it closes at the end of the test.
func (r *Redis) Dial(t testing.TB) *Client {
	t.Helper()
	return MustDial(t, "unix", r.Socket)
}
