package netmode

import (
	"crypto/tls"
	"log/slog"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/internal/testutil"
)

// certClient connects over TLS presenting a client certificate with the
// given common name, issued by the server's CA.
func (ts *testServer) certClient(t *testing.T, cn string) (*testutil.Client, error) {
	t.Helper()
	tc := ts.ClientTLS(t, false)
	tc.Certificates = []tls.Certificate{*ts.Pair(t, testutil.ClientLeaf(cn))}
	return ts.rawTLS(t, tc)
}

// TestCertificateIdentity maps client certificates to users with
// tls-auth-clients-user CN: alice may read app:* keys only, a certificate
// naming no user is refused at connect, and each denial is counted.
func TestCertificateIdentity(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.TLSAuthClientsUser = "CN"
		c.Users = [][]string{{"alice", "on", "~app:*", "+@read"}}
	})
	admin := ts.raw(t)
	mustDo(t, admin, "SET", "app:x", "1")
	alice, err := ts.certClient(t, "alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ cmd, want string }{
		{"GET app:x", `"1"`},
		{"SET app:x 2", "(error) NOPERM this user has no permissions to run the 'set' command"},
		{"GET other:x", "(error) NOPERM this user has no permissions to access one of the keys used as arguments"},
		{"ACL WHOAMI", "(error) NOPERM this user has no permissions to run the 'acl|whoami' command"},
		{"AUTH alice wrong", "(error) WRONGPASS invalid username-password pair or user is disabled."},
	} {
		if got := mustDo(t, alice, strings.Fields(tc.cmd)...); got != tc.want {
			t.Errorf("alice: %s = %s, want %s", tc.cmd, got, tc.want)
		}
	}
	if got := mustDo(t, admin, "CLIENT", "LIST"); !strings.Contains(got, " user=alice ") {
		t.Errorf("CLIENT LIST shows no user=alice:\n%s", got)
	}

	bob, err := ts.certClient(t, "bob") // no such user
	if err == nil {
		if r, err := bob.Do("PING"); err == nil && !strings.HasPrefix(r.String(), "(error) NOPERM") {
			t.Fatalf("a certificate naming no user was served: %v", r)
		}
	}
	mustDo(t, admin, "ACL", "SETUSER", "alice", "off")
	if off, err := ts.certClient(t, "alice"); err == nil {
		if r, err := off.Do("GET", "app:x"); err == nil && r.String() == `"1"` {
			t.Fatal("a certificate naming a user that is off was served")
		}
	}
	stats := mustDo(t, admin, "INFO", "stats")
	for _, want := range []string{"acl_access_denied_cmd:2", "acl_access_denied_key:1", "acl_access_denied_auth:1", "acl_access_denied_tls_cert:2"} {
		if !strings.Contains(stats, want) {
			t.Errorf("INFO stats lacks %s:\n%s", want, stats)
		}
	}
}

// TestACLCommands drives users through ACL and AUTH as a Redis client
// would.
func TestACLCommands(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.Users = [][]string{{"app", "on", ">secret", "~app:*", "+@all"}} })
	c := ts.raw(t)
	for _, tc := range []struct{ cmd, want string }{
		{"ACL WHOAMI", `"default"`},
		{"ACL USERS", `["app" "default"]`},
		{"ACL SETUSER ops on >pw allkeys +@read -get", `"OK"`},
		{"ACL SETUSER ops %R~x", "(error) ERR Error in ACL SETUSER modifier '%R~x': Syntax error"},
		{"ACL DELUSER default", "(error) ERR The 'default' user cannot be removed"},
		{"AUTH app wrong", "(error) WRONGPASS invalid username-password pair or user is disabled."},
		{"AUTH app secret", `"OK"`},
		{"ACL WHOAMI", `"app"`},
		{"SET app:1 v", `"OK"`},
		{"SET other v", "(error) NOPERM this user has no permissions to access one of the keys used as arguments"},
		{"AUTH ops pw", `"OK"`},
		{"GET app:1", "(error) NOPERM this user has no permissions to run the 'get' command"},
		{"STRLEN app:1", "(integer) 1"},
		{"AUTH default anything", `"OK"`}, // nopass
		{"ACL DELUSER ops nobody", "(integer) 1"},
		{"ACL USERS", `["app" "default"]`},
	} {
		if got := mustDo(t, c, strings.Fields(tc.cmd)...); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.cmd, got, tc.want)
		}
	}
	if got := mustDo(t, c, "ACL", "GETUSER", "app"); !strings.Contains(got, `"~app:*"`) || !strings.Contains(got, `"flags"`) {
		t.Errorf("ACL GETUSER app = %s", got)
	}
	if got := mustDo(t, c, "ACL", "LIST"); !strings.Contains(got, "user app on") {
		t.Errorf("ACL LIST = %s", got)
	}
}

// TestInteropRedisCliCertUser connects the real redis-cli with a client
// certificate under tls-auth-clients-user CN: ACL WHOAMI names the user.
func TestInteropRedisCliCertUser(t *testing.T) {
	bin := testutil.RequireTool(t, "redis-cli")
	ts := startServer(t, func(c *Config) {
		c.TLSAuthClientsUser = "CN"
		c.Users = [][]string{{"client", "on", "allkeys", "+@all"}} // the CN of the test PKI's client certificate
	})
	conn := ts.tlsToolArgs(t, true)
	wantCliOutput(t, "ACL WHOAMI", runCli(t, bin, conn, "ACL", "WHOAMI"), "client")
}

// TestACLChangesReachOpenConnections changes users under open
// connections: EXEC checks its queued commands again, a deleted user's
// connections are closed, RESET keeps a certificate's user, and CLIENT
// KILL needs @admin as in Redis.
func TestACLChangesReachOpenConnections(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.TLSAuthClientsUser = "CN"
		c.Users = [][]string{
			{"alice", "on", "~app:*", "+@read"},
			{"app", "on", ">pw", "allkeys", "+@all", "-@admin"},
		}
	})
	admin := ts.raw(t)
	app := ts.raw(t)
	mustDo(t, app, "AUTH", "app", "pw")
	mustDo(t, app, "MULTI")
	mustDo(t, app, "SET", "k", "v")
	mustDo(t, admin, "ACL", "SETUSER", "app", "-set")
	if got := mustDo(t, app, "EXEC"); !strings.Contains(got, "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call") {
		t.Fatalf("EXEC after the user lost SET = %s", got)
	}
	if got := mustDo(t, app, "CLIENT", "KILL", "ID", "1"); got != "(error) NOPERM this user has no permissions to run the 'client|kill' command" {
		t.Fatalf("CLIENT KILL without @admin = %s", got)
	}
	if got := mustDo(t, app, "CLIENT", "ID"); !strings.HasPrefix(got, "(integer)") {
		t.Fatalf("CLIENT ID = %s", got)
	}
	mustDo(t, admin, "ACL", "DELUSER", "app")
	if r, err := app.Do("PING"); err == nil {
		t.Fatalf("the connection of a deleted user answered %v", r)
	}

	alice, err := ts.certClient(t, "alice")
	if err != nil {
		t.Fatal(err)
	}
	mustDo(t, alice, "RESET")
	if got := mustDo(t, alice, "GET", "other:x"); !strings.HasPrefix(got, "(error) NOPERM") {
		t.Fatalf("after RESET the certificate's user lost its limits: GET other:x = %s", got)
	}
}

// TestCertificateIdentityStays: a client authenticated by its certificate
// as alice cannot become another user with AUTH or HELLO AUTH (the default
// user above all, which out of the box has no password and every right):
// each attempt is refused with NOPERM and counted in
// acl_access_denied_auth, and the client stays alice, RESET included. AUTH
// as alice herself with her password is harmless. With
// tls-auth-clients-user-switch yes, AUTH switches, as in Redis 8.6 and
// Valkey 9. New warns about the open default user at startup.
func TestCertificateIdentityStays(t *testing.T) {
	var log syncBuffer
	ts := startServer(t, func(c *Config) {
		c.TLSAuthClientsUser = "CN"
		// +acl for ACL WHOAMI, which the acl package cannot grant alone.
		c.Users = [][]string{{"alice", "on", ">alicepw", "~app:*", "+@read", "+acl"}}
		c.Logger = slog.New(slog.NewTextHandler(&log, nil))
	})
	if !strings.Contains(log.String(), "the default user is on without a password") {
		t.Errorf("no startup warning about the open default user:\n%s", log.String())
	}
	admin := ts.raw(t)
	alice, err := ts.certClient(t, "alice")
	if err != nil {
		t.Fatal(err)
	}
	whoami := func() string { t.Helper(); return mustDo(t, alice, "ACL", "WHOAMI") }
	if got := whoami(); got != `"alice"` {
		t.Fatalf("ACL WHOAMI = %s", got)
	}
	const refused = "(error) NOPERM this connection is authenticated by its client certificate as 'alice'; AUTH cannot change its user (tls-auth-clients-user-switch is no)"
	attempts := [][]string{
		{"AUTH", "default", "x"},
		{"AUTH", "default", ""},
		{"AUTH", "x"}, // the default user, implied
		{"HELLO", "3", "AUTH", "default", "x"},
	}
	for _, args := range attempts {
		if got := mustDo(t, alice, args...); got != refused {
			t.Errorf("%q = %s, want %s", args, got, refused)
		}
		if got := whoami(); got != `"alice"` {
			t.Fatalf("after %q, ACL WHOAMI = %s", args, got)
		}
	}
	if n := hostileInfo(t, admin, "stats", "acl_access_denied_auth"); n != int64(len(attempts)) {
		t.Errorf("acl_access_denied_auth = %d, want %d", n, len(attempts))
	}
	if got := mustDo(t, admin, "INFO", "errorstats"); !strings.Contains(got, `errorstat_NOPERM:count=4\r\n`) {
		t.Errorf("INFO errorstats = %s", got)
	}
	// Her own name: the password is checked as usual, and she stays alice
	// with her rights.
	for _, tc := range []struct{ cmd, want string }{
		{"AUTH alice alicepw", `"OK"`},
		{"AUTH alice wrong", "(error) WRONGPASS invalid username-password pair or user is disabled."},
		{"ACL WHOAMI", `"alice"`},
		{"SET app:x 1", "(error) NOPERM this user has no permissions to run the 'set' command"},
		{"RESET", `"RESET"`},
		{"AUTH default x", refused},
		{"ACL WHOAMI", `"alice"`},
	} {
		if got := mustDo(t, alice, strings.Fields(tc.cmd)...); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.cmd, got, tc.want)
		}
	}

	mustDo(t, admin, "CONFIG", "SET", "tls-auth-clients-user-switch", "yes")
	if got := mustDo(t, admin, "CONFIG", "GET", "tls-auth-clients-user-switch"); got != `{"tls-auth-clients-user-switch": "yes"}` && got != `["tls-auth-clients-user-switch" "yes"]` {
		t.Fatalf("CONFIG GET tls-auth-clients-user-switch = %s", got)
	}
	if got := mustDo(t, alice, "AUTH", "default", "x"); got != `"OK"` {
		t.Fatalf("AUTH default with the switch on = %s", got)
	}
	if got := whoami(); got != `"default"` {
		t.Fatalf("ACL WHOAMI after switching = %s", got)
	}

	// No warning once the default user needs a password.
	var quiet syncBuffer
	startServer(t, func(c *Config) {
		c.TLSAuthClientsUser = "CN"
		c.RequirePass = "s3cret"
		c.Logger = slog.New(slog.NewTextHandler(&quiet, nil))
	})
	if strings.Contains(quiet.String(), "default user") {
		t.Errorf("a warning with requirepass set:\n%s", quiet.String())
	}
}

// TestACLSubcommandErrors: an unknown ACL subcommand, or a known one with
// the wrong number of arguments, is answered as redis-server answers it.
func TestACLSubcommandErrors(t *testing.T) {
	rc := testutil.StartRedis(t).Dial(t)
	sc := startServer(t, nil).raw(t)
	var cmds [][]string
	for _, line := range []string{"ACL nosuch", "ACL nosuch x", "ACL WHOAMI x", "ACL USERS x", "ACL LIST x",
		"ACL GETUSER", "ACL GETUSER a b", "ACL CAT a b", "ACL DELUSER", "ACL SETUSER", "ACL whoami"} {
		cmds = append(cmds, strings.Fields(line))
	}
	sameAsRedis(t, rc, sc, cmds, nil)
}
