// Package testutil holds the helpers that Shingle's tests share, each
// written once here instead of once per package:
//
//   - PKI: a throw-away CA with a server pair and a client pair in files,
//     more leaves on demand (Issue, Pair, ExpiredClientCert), and client
//     TLS configurations trusting it (ClientTLS, Presenting).
//   - Ports and paths: FreePort and FreeUDPPort for a server that must be
//     given a port, SocketDir for unix socket paths short enough.
//   - Clients: a raw RESP client that keeps every detail of a reply
//     (Client, Dial, MustDial, Pipeline), InfoFields to read INFO, and
//     RoundTrip, a go-redis SET and GET that proves a client is served.
//   - A stock redis-server to compare replies with (StartRedis,
//     StartRedisDefaults), and RequireTool, the rule for tools that may be
//     missing: a skip locally, a failure in CI.
//   - Proxy, a fault-injecting TCP proxy that cuts, fragments and delays a
//     link.
//   - Eventually, the way a test waits: polling a condition with a
//     deadline.
//
// Starting a Shingle server stays with each package's tests (netmode's
// harness, command's boundary tests, the demo's): this package cannot
// import netmode, whose own tests import it.
//
// # Usage
//
//	p := testutil.NewPKI(t, "Test CA")
//	cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.CACertFile = p.CertFile, p.KeyFile, p.CAFile
//	// ... start a server on 127.0.0.1:0 ...
//	c := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: p.ClientTLS(t, true)})
//	if err := testutil.RoundTrip(t, c, "k"); err != nil {
//		t.Fatal(err)
//	}
//	testutil.Eventually(t, 10*time.Second, "the replica to catch up", inSync)
//
// # What it must never do
//
// Be imported by a file that is not a _test.go file (internal/imports
// enforces it), or import a package whose internal tests use it (netmode,
// tlsconn, store: an import cycle); it imports internal/certgen and
// internal/resp. Its helpers never use a fixed port, never wait with a
// bare sleep (Proxy's delay is the latency it injects, not a wait), and
// never read certificates committed to the repository: every certificate
// is generated in the test run, under t.TempDir.
package testutil
