package netmode

// Interop tests: the stock redis-cli and redis-benchmark (Debian's 7.0
// packages) against a Shingle server started in the test, over TLS, plain
// TCP and a unix socket. They skip locally when a tool is missing and fail
// in CI (testutil.RequireTool).

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/testutil"
)

// toolTimeout bounds every run of an external tool, so that a server that
// stops answering fails the test instead of hanging it.
const toolTimeout = 60 * time.Second

// toolResult is what one run of an external tool did.
type toolResult struct {
	stdout, stderr string
	err            error // nil when the tool exited with status 0
}

// String shows everything a failure message needs.
func (r toolResult) String() string {
	return fmt.Sprintf("exit: %v\nstdout:\n%s\nstderr:\n%s", r.err, r.stdout, r.stderr)
}

// runTool runs bin with args, feeding it stdin, within toolTimeout.
func runTool(t *testing.T, stdin []byte, bin string, args ...string) toolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Always a stdin of our own, empty when there is nothing to feed, so
	// that a tool never reads the test binary's.
	cmd.Stdin = bytes.NewReader(stdin)
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: no exit within %v\nstdout:\n%s\nstderr:\n%s", bin, strings.Join(args, " "), toolTimeout, stdout.String(), stderr.String())
	}
	return toolResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// portOf returns the port of a host:port address.
func portOf(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// tlsToolArgs are the connection options of redis-cli and redis-benchmark
// for ts's TLS port, presenting the client certificate when withCert.
func (ts *testServer) tlsToolArgs(t *testing.T, withCert bool) []string {
	t.Helper()
	args := []string{"-h", "127.0.0.1", "-p", portOf(t, ts.tls), "--tls", "--cacert", ts.CAFile}
	if withCert {
		args = append(args, "--cert", ts.ClientCertFile, "--key", ts.ClientKeyFile)
	}
	return args
}

// runCli runs redis-cli with conn (connection options) and a command, and
// fails the test unless it exits with status 0.
func runCli(t *testing.T, bin string, conn []string, command ...string) string {
	t.Helper()
	r := runTool(t, nil, bin, append(append([]string(nil), conn...), command...)...)
	if r.err != nil {
		t.Fatalf("redis-cli %s: %s", strings.Join(command, " "), r)
	}
	return r.stdout
}

// outputLines splits redis-cli's output (one reply element per line when its
// stdout is not a terminal) into lines.
func outputLines(s string) []string {
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

func wantCliOutput(t *testing.T, what, got string, want ...string) {
	t.Helper()
	if g := outputLines(got); !slices.Equal(g, want) {
		t.Errorf("%s printed %q, want %q", what, g, want)
	}
}

func TestInteropRedisCliTLS(t *testing.T) {
	bin := testutil.RequireTool(t, "redis-cli")
	ts := startServer(t, nil) // tls-auth-clients yes, Redis's default
	conn := ts.tlsToolArgs(t, true)

	t.Run("PING", func(t *testing.T) {
		wantCliOutput(t, "PING", runCli(t, bin, conn, "PING"), "PONG")
	})

	t.Run("strings and hashes", func(t *testing.T) {
		wantCliOutput(t, "SET", runCli(t, bin, conn, "SET", "greeting", "hello world"), "OK")
		wantCliOutput(t, "GET", runCli(t, bin, conn, "GET", "greeting"), "hello world")
		wantCliOutput(t, "HSET", runCli(t, bin, conn, "HSET", "user:1", "name", "Ada", "lang", "Go"), "2")
		// Redis does not promise an order for a hash's fields (a small
		// one answers in insertion order, Shingle in field order).
		if got := hashPairs(outputLines(runCli(t, bin, conn, "HGETALL", "user:1"))); got != "lang=Go name=Ada" {
			t.Errorf("HGETALL printed %s, want lang=Go name=Ada", got)
		}
		// The data is the server's, whatever the transport.
		if v, err := ts.db.Get([]byte("greeting")); err != nil || string(v) != "hello world" {
			t.Errorf("the store holds %q, %v", v, err)
		}
	})

	t.Run("RESP3", func(t *testing.T) {
		// -3 makes redis-cli send HELLO 3 on connecting, then the command.
		// It prints a map's entries one per line as "key value".
		conn3 := append(append([]string(nil), conn...), "-3")
		out := runCli(t, bin, conn3, "HELLO", "3")
		for _, want := range []string{"server shingle", "version 7.0.15", "proto 3", "mode standalone", "role master"} {
			if !hasLine(out, want) {
				t.Errorf("HELLO 3 printed no line %q:\n%s", want, out)
			}
		}
		if out := runCli(t, bin, conn3, "CLIENT", "INFO"); !regexp.MustCompile(` resp=3 `).MatchString(out) {
			t.Errorf("CLIENT INFO after redis-cli -3 connected: %s", out)
		}
		runCli(t, bin, conn, "HSET", "h3", "f", "v")
		wantCliOutput(t, "RESP3 HGETALL", runCli(t, bin, conn3, "HGETALL", "h3"), "f v")
		// RESP3's null prints as an empty line, as RESP2's nil bulk does.
		wantCliOutput(t, "RESP3 GET of a missing key", runCli(t, bin, conn3, "GET", "no-such-key"), "")
	})

	t.Run("INFO server", func(t *testing.T) {
		out := runCli(t, bin, conn, "INFO", "server")
		info := testutil.InfoFields(out)
		if got, want := info["tcp_port"], portOf(t, ts.tcp); got != want {
			t.Errorf("tcp_port:%s, want %s (the plain port)", got, want)
		}
		for _, want := range []string{
			"name=tcp,bind=127.0.0.1,port=" + portOf(t, ts.tcp),
			"name=unix,bind=" + ts.unixPath,
			"name=tls,bind=127.0.0.1,port=" + portOf(t, ts.tls),
		} {
			found := false
			for k, v := range info {
				if strings.HasPrefix(k, "listener") && v == want {
					found = true
				}
			}
			if !found {
				t.Errorf("INFO server has no listener line %q:\n%s", want, out)
			}
		}
	})

	t.Run("CLIENT LIST", func(t *testing.T) {
		out := runCli(t, bin, conn, "CLIENT", "LIST")
		// The only client is redis-cli itself, running CLIENT LIST.
		var self string
		for _, l := range outputLines(out) {
			if strings.Contains(l, " cmd=client|list ") {
				self = l
			}
		}
		if self == "" {
			t.Fatalf("CLIENT LIST shows no client running client|list:\n%s", out)
		}
		for _, re := range []string{` transport=tls( |$)`, ` tls-version=TLSv1\.[23]( |$)`, ` tls-cipher=\S+`, ` tls-client-cn=client( |$)`} {
			if !regexp.MustCompile(re).MatchString(self) {
				t.Errorf("CLIENT LIST line lacks %s:\n%s", re, self)
			}
		}
	})

	t.Run("another CA is refused", func(t *testing.T) {
		other := testutil.NewPKI(t, "Other CA")
		args := []string{"-h", "127.0.0.1", "-p", portOf(t, ts.tls), "--tls", "--cacert", other.CAFile,
			"--cert", ts.ClientCertFile, "--key", ts.ClientKeyFile, "PING"}
		r := runTool(t, nil, bin, args...)
		if r.err == nil || strings.Contains(r.stdout, "PONG") {
			t.Errorf("redis-cli trusting another CA was served:\n%s", r)
		}
		if !strings.Contains(r.stdout+r.stderr, "certificate verify failed") {
			t.Errorf("redis-cli trusting another CA does not say the certificate failed verification:\n%s", r)
		}
	})

	t.Run("no client certificate is refused", func(t *testing.T) {
		before := ts.srv.Stats().TLSHandshakeFailures.Load()
		r := runTool(t, nil, bin, append(ts.tlsToolArgs(t, false), "PING")...)
		if r.err == nil || strings.Contains(r.stdout, "PONG") {
			t.Errorf("redis-cli without a certificate was served by a tls-auth-clients yes server:\n%s", r)
		}
		if !strings.Contains(r.stderr+r.stdout, "Server closed the connection") {
			t.Errorf("redis-cli without a certificate, want it told the server closed the connection:\n%s", r)
		}
		// The server counts the failure after its alert is on the way, so
		// redis-cli may have exited first.
		eventually(t, "the refused handshake counted in tls_handshake_failures", func() bool {
			return ts.srv.Stats().TLSHandshakeFailures.Load() > before
		})
	})
}

// hashPairs renders an HGETALL answer printed one element per line as sorted
// "field=value" words.
func hashPairs(ls []string) string {
	var out []string
	for i := 0; i+1 < len(ls); i += 2 {
		out = append(out, ls[i]+"="+ls[i+1])
	}
	if len(ls)%2 != 0 {
		out = append(out, "(odd element "+ls[len(ls)-1]+")")
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// hasLine reports whether s has a line equal to want.
func hasLine(s, want string) bool {
	for _, l := range outputLines(s) {
		if l == want {
			return true
		}
	}
	return false
}

func TestInteropRedisCliPlainAndUnix(t *testing.T) {
	bin := testutil.RequireTool(t, "redis-cli")
	ts := startServer(t, nil)
	tcp := []string{"-h", "127.0.0.1", "-p", portOf(t, ts.tcp)}
	unix := []string{"-s", ts.unixPath}
	wantCliOutput(t, "PING over TCP", runCli(t, bin, tcp, "PING"), "PONG")
	wantCliOutput(t, "PING over the unix socket", runCli(t, bin, unix, "PING"), "PONG")
	wantCliOutput(t, "SET over TCP", runCli(t, bin, tcp, "SET", "k", "from tcp"), "OK")
	wantCliOutput(t, "GET over the unix socket", runCli(t, bin, unix, "GET", "k"), "from tcp")
	wantCliOutput(t, "GET over TLS", runCli(t, bin, ts.tlsToolArgs(t, true), "GET", "k"), "from tcp")
	for name, conn := range map[string][]string{"tcp": tcp, "unix": unix} {
		out := runCli(t, bin, conn, "CLIENT", "INFO")
		if !regexp.MustCompile(` transport=` + name + `( |$)`).MatchString(strings.TrimSpace(out)) {
			t.Errorf("CLIENT INFO over %s: %s", name, out)
		}
		if strings.Contains(out, "tls-version=") {
			t.Errorf("CLIENT INFO over %s shows TLS fields: %s", name, out)
		}
	}
	// Plain redis-cli on the TLS port is told why it is not served.
	r := runTool(t, nil, bin, "-h", "127.0.0.1", "-p", portOf(t, ts.tls), "PING")
	if strings.Contains(r.stdout, "PONG") || !strings.Contains(r.stdout, "requires TLS") {
		t.Errorf("plain-text redis-cli on the TLS port, want an error saying TLS is required:\n%s", r)
	}
}

// pipeInput is a RESP stream of n SETs, what redis-cli --pipe expects on
// stdin.
func pipeInput(n int) []byte {
	var b []byte
	for i := range n {
		b = resp.AppendCommand(b, []byte("SET"), []byte("key:"+strconv.Itoa(i)), []byte("value:"+strconv.Itoa(i)))
	}
	return b
}

func TestInteropRedisCliPipe(t *testing.T) {
	bin := testutil.RequireTool(t, "redis-cli")
	const n = 1000
	for _, transport := range []string{"tls", "unix"} {
		t.Run(transport, func(t *testing.T) {
			ts := startServer(t, nil)
			conn := ts.tlsToolArgs(t, true)
			if transport == "unix" {
				conn = []string{"-s", ts.unixPath}
			}
			r := runTool(t, pipeInput(n), bin, append(append([]string(nil), conn...), "--pipe")...)
			if r.err != nil {
				t.Fatalf("redis-cli --pipe failed:\n%s", r)
			}
			// redis-cli ends with "errors: E, replies: R" (its closing ECHO
			// is not counted).
			if want := fmt.Sprintf("errors: 0, replies: %d", n); !strings.Contains(r.stdout, want) {
				t.Errorf("redis-cli --pipe did not report %q:\n%s", want, r)
			}
			wantCliOutput(t, "DBSIZE", runCli(t, bin, conn, "DBSIZE"), strconv.Itoa(n))
			wantCliOutput(t, "GET", runCli(t, bin, conn, "GET", "key:999"), "value:999")
		})
	}
}

// infoStats reads INFO stats through a raw client.
func infoStats(t *testing.T, c *testutil.Client) map[string]string {
	t.Helper()
	r, err := c.Do("INFO", "stats")
	if err != nil {
		t.Fatal(err)
	}
	return testutil.InfoFields(string(r.Str))
}

// infoInt returns the number an INFO field holds, failing the test when
// the field is missing or not a number.
func infoInt(t *testing.T, m map[string]string, name string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(m[name], 10, 64)
	if err != nil {
		t.Fatalf("INFO %s = %q: %v", name, m[name], err)
	}
	return n
}

// benchRPSLine matches redis-benchmark -q's result line for a test.
var benchRPSLine = regexp.MustCompile(`^(SET|GET): ([0-9.]+) requests per second`)

func TestInteropRedisBenchmarkTLS(t *testing.T) {
	bin := testutil.RequireTool(t, "redis-benchmark")
	ts := startServer(t, nil)
	admin := ts.raw(t)
	const requests = 2000
	first := infoStats(t, admin)
	for _, pipeline := range []string{"1", "16"} {
		t.Run("P"+pipeline, func(t *testing.T) {
			before := infoStats(t, admin)
			args := append(ts.tlsToolArgs(t, true), "-t", "set,get", "-n", strconv.Itoa(requests), "-c", "10", "-P", pipeline, "-q")
			r := runTool(t, nil, bin, args...)
			if r.err != nil {
				t.Fatalf("redis-benchmark failed:\n%s", r)
			}
			if out := r.stdout + r.stderr; strings.Contains(out, "Could not fetch server CONFIG") {
				t.Errorf("redis-benchmark could not read the server's CONFIG GET save/appendonly replies (a server bug):\n%s", r)
			}
			seen := map[string]bool{}
			// -q rewrites a progress line with \r before printing the result.
			for _, l := range strings.FieldsFunc(r.stdout, func(c rune) bool { return c == '\r' || c == '\n' }) {
				if m := benchRPSLine.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
					if v, err := strconv.ParseFloat(m[2], 64); err != nil || v <= 0 {
						t.Errorf("%s: %q requests per second", m[1], m[2])
					}
					seen[m[1]] = true
					t.Log(m[0])
				}
			}
			if !seen["SET"] || !seen["GET"] {
				t.Errorf("redis-benchmark printed requests per second for %v, want SET and GET:\n%s", seen, r)
			}
			after := infoStats(t, admin)
			ran := infoInt(t, after, "total_commands_processed") - infoInt(t, before, "total_commands_processed")
			if ran < 2*requests {
				t.Errorf("total_commands_processed went up by %d, want at least %d", ran, 2*requests)
			}
		})
	}
	last := infoStats(t, admin)
	if ran := infoInt(t, last, "total_commands_processed") - infoInt(t, first, "total_commands_processed"); ran < 2*2*requests {
		t.Errorf("total_commands_processed went up by %d over both runs, want at least %d", ran, 2*2*requests)
	}
	if e0, e1 := infoInt(t, first, "total_error_replies"), infoInt(t, last, "total_error_replies"); e1 != e0 {
		t.Errorf("total_error_replies went from %d to %d during redis-benchmark", e0, e1)
	}
	if got := infoInt(t, last, "tls_handshake_failures"); got != 0 {
		t.Errorf("tls_handshake_failures = %d during redis-benchmark", got)
	}
}
