package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shinglekv/shingle/internal/testutil"
)

// fatalText runs the demo with args and returns what it prints on
// standard error when it refuses to start.
func fatalText(t *testing.T, args ...string) string {
	t.Helper()
	err := run(args, strings.NewReader(""), io.Discard, nil)
	if err == nil {
		t.Fatalf("%q started", args)
	}
	var b bytes.Buffer
	printError(&b, err)
	return b.String()
}

// redisFatal runs redis-server with args and returns its standard error;
// it must exit with status 1.
func redisFatal(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Dir = t.TempDir()
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("redis-server %q: %v (want exit status 1)\n%s", args, err, stderr.String())
	}
	return stderr.String()
}

// TestFatalBlocksMatchRedis gives the demo and redis-server 7.0.15 the same
// config file and options, holding lines both refuse (an unknown
// directive, a wrong number of arguments, values out of range, an
// unopenable log file) and compares what they print. Redis stops at the
// first bad line, so it is run again with each reported line commented
// out (which keeps the numbering); the demo prints every block at once,
// and must print the blocks of all those runs, in order, line numbers
// included.
func TestFatalBlocksMatchRedis(t *testing.T) {
	bin := testutil.RequireTool(t, "redis-server")
	dir := t.TempDir()
	lines := []string{
		"# a configuration with mistakes",
		"port 0",
		"no-such-directive yes",
		"timeout 1 2",
		"port 99999",
		"maxmemory-policy sometimes",
		"databases 0",
		"logfile " + filepath.Join(dir, "missing", "shingle.log"),
	}
	conf := filepath.Join(dir, "bad.conf")
	write := func() {
		if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write()
	args := []string{conf, "--dir", dir, "--maxclients", "abc"}
	got := fatalText(t, args...)

	var want strings.Builder
	for _, bad := range []int{3, 4, 5, 6, 7} { // the file's bad lines, 1-based
		want.WriteString(redisFatal(t, bin, args...))
		lines[bad-1] = "#"
		write()
	}
	// The option: --maxclients comes after "\n" and --dir.
	want.WriteString(redisFatal(t, bin, args...))
	args = args[:len(args)-2]
	// Last, the log file, which Redis checks once every line is read.
	want.WriteString(redisFatal(t, bin, args...))
	if got != want.String() {
		t.Errorf("the demo printed:\n%s\nredis-server printed, run after run:\n%s", got, want.String())
	}
	if strings.Count(got, "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***") != 7 {
		t.Errorf("want 7 blocks:\n%s", got)
	}
}

// TestFatalBlocksForShingle checks the blocks of lines Redis takes and
// Shingle refuses: a refused directive is unknown, a value Shingle does not
// honour says what it does instead.
func TestFatalBlocksForShingle(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(conf, []byte("appendfilename appendonly.aof\nmaxmemory 2gb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := fatalText(t, conf, "--databases", "16")
	want := `
*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
Reading the configuration file, at line 1
>>> 'appendfilename appendonly.aof'
Bad directive or wrong number of arguments

*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
Reading the configuration file, at line 2
>>> 'maxmemory 2gb'
Shingle keeps its data on disk, in Pebble, and never evicts keys or refuses writes for memory; Shingle accepts only maxmemory "0"

*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
Reading the configuration file, at line 4
>>> 'databases "16"'
Shingle has one database: SELECT and COPY ... DB answer "ERR DB index is out of range" for any other than 0, as Redis does with databases 1; Shingle accepts only databases "1"
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestProcessDirectives runs the demo with pidfile, logfile, loglevel and
// hz: the pid file holds the pid while it serves and is gone after, the
// log goes to the file at the level asked for, and CONFIG GET shows them.
func TestProcessDirectives(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	pidFile := filepath.Join(dir, "shingle.pid")
	logPath := filepath.Join(dir, "shingle.log")
	port := testutil.FreePort(t)
	d := startDemo(t, []string{"--dir", data, "--port", strconv.Itoa(port), "--pidfile", pidFile,
		"--logfile", logPath, "--loglevel", "debug", "--hz", "50"}, "tcp")
	pid, err := os.ReadFile(pidFile)
	if err != nil || strings.TrimSpace(string(pid)) != strconv.Itoa(os.Getpid()) {
		t.Fatalf("pid file: %q, %v", pid, err)
	}
	c := redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))})
	defer c.Close()
	ctx := context.Background()
	got, err := c.ConfigGet(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"pidfile": pidFile, "logfile": logPath, "loglevel": "debug", "hz": "50"} {
		if got[k] != v {
			t.Errorf("CONFIG GET %s = %q, want %q", k, got[k], v)
		}
	}
	// Debug messages (Pebble's, through the store) reach the file.
	if log, err := os.ReadFile(logPath); err != nil || !strings.Contains(string(log), "level=DEBUG") {
		t.Errorf("log file at loglevel debug: %v\n%s", err, log)
	}
	c.Close()
	d.shutdown(t)
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Errorf("the pid file outlived the server: %v", err)
	}
}
