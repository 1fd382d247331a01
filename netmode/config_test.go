package netmode

import (
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/certgen"
	"github.com/shinglekv/shingle/internal/testutil"
)

// serverSerial dials the TLS port and returns the serial number of the
// certificate the server presents.
func serverSerial(t *testing.T, ts *testServer, tc *tls.Config) string {
	t.Helper()
	conn, err := tls.Dial("tcp", ts.tls, tc)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

// TestCertificateRotation replaces the certificate files and sets the same
// path again: new connections see the new certificate, a connection opened
// before keeps working, and a broken replacement keeps the old one.
func TestCertificateRotation(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.TLS.AuthClients = "no" })
	tc := ts.ClientTLS(t, false)
	before := serverSerial(t, ts, tc)
	old := goRedis(t, "tcp", ts.tls, tc, 2)
	if err := testutil.RoundTrip(t, old, "before"); err != nil {
		t.Fatal(err)
	}
	admin := ts.raw(t)

	// Rotate: a new server certificate from the same CA, same paths.
	ts.Issue(t, "server", certgen.ServerLeafOptions())
	if got := serverSerial(t, ts, tc); got != before {
		t.Fatal("the new certificate was picked up before CONFIG SET")
	}
	if r := mustDo(t, admin, "CONFIG", "SET", "tls-cert-file", ts.CertFile, "tls-key-file", ts.KeyFile); r != `"OK"` {
		t.Fatalf("CONFIG SET: %s", r)
	}
	after := serverSerial(t, ts, tc)
	if after == before {
		t.Fatal("a new connection still sees the old certificate")
	}
	if err := testutil.RoundTrip(t, old, "still-open"); err != nil {
		t.Fatalf("the connection opened before the rotation broke: %v", err)
	}

	// A key that does not match the certificate is refused; the old pair
	// stays in service.
	other := testutil.NewPKI(t, "Other CA")
	r := mustDo(t, admin, "CONFIG", "SET", "tls-key-file", other.KeyFile)
	if !strings.Contains(r, "ERR CONFIG SET failed (possibly related to argument 'tls-key-file')") {
		t.Fatalf("CONFIG SET of a mismatched key: %s", r)
	}
	if got := mustDo(t, admin, "CONFIG", "GET", "tls-key-file"); !strings.Contains(got, ts.KeyFile) {
		t.Fatalf("a failed CONFIG SET changed the setting: %s", got)
	}
	if got := serverSerial(t, ts, tc); got != after {
		t.Fatal("a failed reload changed the certificate in service")
	}
}

func TestConfigGetSet(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.raw(t)
	for _, tc := range []struct{ args, want string }{
		{"CONFIG GET maxclients", `["maxclients" "10000"]`},
		{"CONFIG GET proto-max-bulk-len", `["proto-max-bulk-len" "536870912"]`},
		{"CONFIG GET client-query-buffer-limit", `["client-query-buffer-limit" "1073741824"]`},
		{"CONFIG GET tls-auth-clients", `["tls-auth-clients" "yes"]`},
		{"CONFIG GET tls-protocols", `["tls-protocols" "TLSv1.2 TLSv1.3"]`},
		{"CONFIG GET tls-session-cache-size tls-session-cache-timeout", `["tls-session-cache-size" "20480" "tls-session-cache-timeout" "300"]`},
		{"CONFIG GET save appendonly", `["appendonly" "yes" "save" ""]`},
		{"CONFIG GET TIMEOUT", `["TIMEOUT" "0"]`}, // as given, as Redis answers
		{"CONFIG GET slave-read-only", `["slave-read-only" "yes"]`},
		{"CONFIG GET dbfilename", `["dbfilename" "dump.rdb"]`},
		{"CONFIG GET nosuchthing", `[]`},
		{"CONFIG SET maxclients 50 timeout 30", `"OK"`},
		{"CONFIG GET maxclients timeout", `["maxclients" "50" "timeout" "30"]`},
		{"CONFIG SET maxclients 0", `(error) ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive`},
		// Atomic: one bad value and nothing changes.
		{"CONFIG SET timeout 5 maxclients abc", `(error) ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer`},
		{"CONFIG GET timeout", `["timeout" "30"]`},
		{"CONFIG SET timeout 5 timeout 6", `(error) ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter`},
		{"CONFIG SET nosuch 1", `(error) ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'`},
		{"CONFIG SET dir /elsewhere", `(error) ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config`},
		{"CONFIG SET appendfsync always", `(error) ERR CONFIG SET failed (possibly related to argument 'appendfsync') - can't set immutable config`},
		{"CONFIG SET dbfilename x.rdb", `(error) ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config`},
		{"CONFIG SET maxmemory 1gb", `(error) ERR CONFIG SET failed (possibly related to argument 'maxmemory') - Shingle keeps its data on disk, in Pebble, and never evicts keys or refuses writes for memory; Shingle accepts only maxmemory "0"`},
		{"CONFIG SET maxmemory 0mb", `"OK"`},
		// Names are all checked before any value: immutable beats a bad value.
		{"CONFIG SET maxclients 0 daemonize no", `(error) ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config`},
		{"CONFIG SET tls-auth-clients maybe", `(error) ERR CONFIG SET failed (possibly related to argument 'tls-auth-clients') - argument(s) must be one of the following: no, yes, optional`},
		{"CONFIG SET tls-protocols TLSv1.1", ``},
		{"CONFIG GET tls-protocols", `["tls-protocols" "TLSv1.2 TLSv1.3"]`},
		{"CONFIG SET tls-ciphers HIGH", ``},
		{"CONFIG SET tls-ciphersuites TLS_AES_256_GCM_SHA384", ``},
		{"CONFIG SET tls-auth-clients optional", `"OK"`},
		{"CONFIG SET hash-max-listpack-value 100", `"OK"`},
		{"CONFIG GET hash-max-*", `["hash-max-listpack-entries" "0" "hash-max-listpack-value" "100" "hash-max-ziplist-entries" "0" "hash-max-ziplist-value" "100"]`},
		{"CONFIG SET hash-max-listpack-value 1x", `(error) ERR CONFIG SET failed (possibly related to argument 'hash-max-listpack-value') - argument must be a memory value`},
		{"CONFIG SET save 3600 1", `(error) ERR syntax error`},
		{"CONFIG GET Timeout time* TIMEOUT", `["Timeout" "30" "timeout" "30"]`},
		{"CONFIG GET Time*", `[]`},
		{"CONFIG SET loglevel debug", `"OK"`},
		{"CONFIG GET loglevel", `["loglevel" "debug"]`},
		{"CONFIG RESETSTAT", `"OK"`},
		{"CONFIG NOPE", `(error) ERR unknown subcommand 'NOPE'. Try CONFIG HELP.`},
	} {
		r, err := c.Do(strings.Fields(tc.args)...)
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == "" {
			// An error whose text names the directive; the wording is the
			// TLS layer's.
			if !r.IsError() || !strings.Contains(string(r.Str), "CONFIG SET failed (possibly related to argument '"+strings.Fields(tc.args)[2]+"')") {
				t.Errorf("%s = %v, want a CONFIG SET error", tc.args, r)
			}
			continue
		}
		if got := r.String(); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.args, got, tc.want)
		}
	}
	// Every tls-* directive is readable.
	r, _ := c.Do("CONFIG", "GET", "tls-*")
	if n := len(r.Elems) / 2; n < 20 {
		t.Errorf("CONFIG GET tls-* returned %d settings: %v", n, r)
	}
}

// TestConfigSetPort moves the plain port at run time: the new port serves,
// the old one is closed, a port in use is refused and the old one kept.
func TestConfigSetPort(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.Port = testutil.FreePort(t) })
	if err := ts.srv.Start(); err != nil {
		t.Fatal(err)
	}
	first := ts.srv.Config().Port
	c := ts.raw(t)
	next := testutil.FreePort(t)
	if r := mustDo(t, c, "CONFIG", "SET", "port", strconv.Itoa(next)); r != `"OK"` {
		t.Fatal(r)
	}
	if _, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(first))); err == nil {
		t.Error("the old port still accepts connections")
	}
	if err := testutil.RoundTrip(t, goRedis(t, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(next)), nil, 2), "moved"); err != nil {
		t.Fatalf("the new port: %v", err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	r := mustDo(t, c, "CONFIG", "SET", "port", strconv.Itoa(busy.Addr().(*net.TCPAddr).Port))
	if !strings.Contains(r, "ERR CONFIG SET failed (possibly related to argument 'port')") {
		t.Fatalf("CONFIG SET to a busy port: %s", r)
	}
	if err := testutil.RoundTrip(t, goRedis(t, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(next)), nil, 2), "kept"); err != nil {
		t.Fatalf("after a failed move the port stopped serving: %v", err)
	}
	if got := mustDo(t, c, "CONFIG", "GET", "port"); got != `["port" "`+strconv.Itoa(next)+`"]` {
		t.Fatalf("CONFIG GET port = %s", got)
	}
}

// TestConfigSetListenersAtomic changes listeners and TLS settings together:
// an address that stays the same keeps serving (not reopened, which would
// clash with itself), and when one step fails nothing changes, the TLS
// settings included.
func TestConfigSetListenersAtomic(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.Port = testutil.FreePort(t) })
	if err := ts.srv.Start(); err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ts.srv.Config().Port)
	addr := net.JoinHostPort("127.0.0.1", port)
	c := ts.raw(t)
	for _, set := range [][]string{
		{"port", port},             // unchanged
		{"bind", "127.0.0.1 -::1"}, // one address added
		{"tls-port", strconv.Itoa(testutil.FreePort(t)), "bind", "127.0.0.1"}, // both kinds at once
	} {
		if r := mustDo(t, c, append([]string{"CONFIG", "SET"}, set...)...); r != `"OK"` {
			t.Fatalf("CONFIG SET %q: %s", set, r)
		}
		if err := testutil.RoundTrip(t, goRedis(t, "tcp", addr, nil, 2), "k"); err != nil {
			t.Fatalf("after CONFIG SET %q the port stopped serving: %v", set, err)
		}
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	r := mustDo(t, c, "CONFIG", "SET", "tls-auth-clients", "no", "port", strconv.Itoa(busy.Addr().(*net.TCPAddr).Port))
	if !strings.HasPrefix(r, "(error) ERR CONFIG SET failed") {
		t.Fatalf("CONFIG SET with a busy port: %s", r)
	}
	if got := mustDo(t, c, "CONFIG", "GET", "tls-auth-clients"); got != `["tls-auth-clients" "yes"]` {
		t.Fatalf("after a failed CONFIG SET, tls-auth-clients = %s", got)
	}
	if err := testutil.RoundTrip(t, goRedis(t, "tcp", ts.tls, ts.ClientTLS(t, false), 2), "nocert"); err == nil {
		t.Fatal("after a failed CONFIG SET tls-auth-clients no, a client without a certificate was served")
	}
}

func TestConfigDirectivesFromFile(t *testing.T) {
	cfg := DefaultConfig()
	for _, d := range [][]string{
		{"port", "7000"}, {"bind", "127.0.0.1", "-::1"}, {"tls-auth-clients", "optional"},
		{"maxclients", "5"}, {"proto-max-bulk-len", "2mb"}, {"timeout", "10"},
		{"save", ""}, {"loglevel", "verbose"}, {"databases", "1"}, {"hash-max-ziplist-value", "1kb"},
		{"slaveof", "no", "one"}, {"appendonly", "no"}, {"hz", "100"}, {"logfile", "/tmp/x.log"},
	} {
		if err := cfg.Set(d[0], d[1:]...); err != nil {
			t.Fatalf("%v: %v", d, err)
		}
	}
	if cfg.Port != 7000 || cfg.MaxClients != 5 || cfg.ProtoMaxBulkLen != 2<<20 || len(cfg.Bind) != 2 || cfg.TLS.AuthClients != "optional" ||
		cfg.LogLevel != "verbose" || cfg.AppendOnly || cfg.Hz != 100 || cfg.ActiveExpireInterval() != 10*time.Millisecond || cfg.LogFile != "/tmp/x.log" ||
		cfg.value(lookupDirective("hash-max-listpack-value")) != "1024" {
		t.Fatalf("config after directives: %+v", cfg)
	}
	for _, bad := range []struct {
		args    []string
		unknown bool
		reason  string
	}{
		{[]string{"port", "x"}, false, "argument couldn't be parsed into an integer"},
		{[]string{"nosuchdirective", "1"}, true, "Bad directive or wrong number of arguments"},
		{[]string{"appendfilename", "appendonly.aof"}, true, "Bad directive or wrong number of arguments"},
		{[]string{"dbfilename", "dir/dump.rdb"}, false, "dbfilename can't be a path, just a filename"},
		{[]string{"maxclients", "-1"}, false, "argument must be between 1 and 4294967295 inclusive"},
		{[]string{"proto-max-bulk-len", "-5"}, false, "argument must be a memory value"},
		{[]string{"timeout", "1", "2"}, false, "wrong number of arguments"},
		{[]string{"save", "3600", "1"}, false, `Shingle saves an RDB only when asked`},
		{[]string{"databases", "16"}, false, `Shingle accepts only databases "1"`},
		{[]string{"user"}, true, "Bad directive or wrong number of arguments"},
	} {
		var de *DirectiveError
		if err := cfg.Set(bad.args[0], bad.args[1:]...); !errors.As(err, &de) || de.Unknown != bad.unknown || !strings.Contains(de.Reason, bad.reason) {
			t.Errorf("%q: %v, want %q", bad.args, err, bad.reason)
		}
	}
	if _, err := New(nil, &Config{TLSPort: 6380}); err == nil {
		t.Error("New accepted a TLS port without certificates")
	}

}

// TestConfigSetLogLevel checks that loglevel filters the server's log, and
// that CONFIG SET loglevel changes it at run time: a failed TLS handshake
// is logged at debug level only.
func TestConfigSetLogLevel(t *testing.T) {
	var log syncBuffer
	ts := startServer(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	failHandshake := func() {
		conn, err := net.Dial("tcp", ts.tls)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte("PING\r\n")) // not TLS
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.ReadAll(conn) // until the server hangs up
		conn.Close()
	}
	failHandshake()
	admin := ts.raw(t)
	mustDo(t, admin, "PING") // the failed client has been handled
	if strings.Contains(log.String(), "TLS handshake failed") {
		t.Fatalf("a debug message was logged at loglevel notice:\n%s", log.String())
	}
	if r := mustDo(t, admin, "CONFIG", "SET", "loglevel", "debug"); r != `"OK"` {
		t.Fatal(r)
	}
	failHandshake()
	eventually(t, "the debug message", func() bool { return strings.Contains(log.String(), "TLS handshake failed") })
}

// TestOutputLimitSecondsAtTheEdge sets client-output-buffer-limit's soft
// seconds to the largest integer: a Duration of that many seconds would
// wrap negative (a limit that trips at once); it means forever instead.
func TestOutputLimitSecondsAtTheEdge(t *testing.T) {
	c := DefaultConfig()
	if err := c.Set("client-output-buffer-limit", "replica", "1mb", "1mb", "9223372036854775807"); err != nil {
		t.Fatal(err)
	}
	if got := c.OutputLimits[1].SoftTime; got < 100*365*24*time.Hour {
		t.Fatalf("soft time %v, want effectively forever", got)
	}
	if err := c.Set("client-output-buffer-limit", "replica", "1mb", "1mb", "-1"); err == nil {
		t.Fatal("negative soft seconds were accepted")
	}
}
