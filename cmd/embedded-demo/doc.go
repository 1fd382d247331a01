// Command embedded-demo runs Shingle as a Redis server: the program a
// newcomer runs, and a template for embedding network mode. Like
// redis-server it takes an optional config file in redis.conf syntax and
// --directive value options, with Redis's directive names:
//
//	go run ./cmd/embedded-demo
//	go run ./cmd/embedded-demo shingle.conf --port 0 --tls-port 7380
//
// It keeps its data in ./shingle-data and binds 127.0.0.1 unless told
// otherwise. With no listener directive at all (port, tls-port, quic-port,
// unixsocket) it serves ready to try: plain TCP on 7379, TLS on 7380 and
// QUIC on 7381 (UDP). Once any listener is named, it listens on exactly
// what the configuration names, plus port 6379 when port is left out, as
// redis-server does. A TLS or QUIC port without tls-cert-file uses a
// development CA and server certificate it creates in the data directory
// on first start and reuses afterwards (tls-auth-clients optional unless
// set: a client certificate from that CA, also created, is checked when
// sent). SIGINT and SIGTERM shut it down gracefully; SIGHUP reloads the
// TLS certificate, key and CA files for new connections.
//
// # What it owns
//
// The process: its command line (read with config.ParseCommandLine), its
// defaults (the ready-to-try listeners, the data directory, the loopback
// bind), the development PKI (devpki.go), the signals, the pidfile's
// lifetime, and redis-server's way of reporting a refused configuration
// (FATAL CONFIG FILE ERROR blocks, through netmode.FatalConfigText).
//
// # What it must never do
//
// Implement what an embedder would have to copy: turning directives into
// a netmode.Config and store.Options is netmode.Configure's, and serving
// is netmode's, so that main.go stays a template of a few calls
// (config, store.Open, netmode.New, Start, Shutdown). Use the development
// CA when the configuration names certificates of its own.
package main
