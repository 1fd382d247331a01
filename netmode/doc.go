// Package netmode serves a Shingle store to Redis clients: redis-cli,
// redis-benchmark, go-redis and every other client speaking RESP, over plain
// TCP, TLS, QUIC and unix sockets at the same time.
//
// # Usage
//
//	db, _ := store.Open("data", nil)
//	cfg := netmode.DefaultConfig()
//	cfg.Set("tls-port", "6380")
//	cfg.Set("tls-cert-file", "server.crt")
//	cfg.Set("tls-key-file", "server.key")
//	cfg.Set("tls-ca-cert-file", "ca.crt")
//	srv, err := netmode.New(db, cfg)
//	if err != nil { ... }
//	go srv.ListenAndServe()        // port 6379 and tls-port 6380, on every bind address
//	...
//	srv.Shutdown(ctx)              // finish what clients sent, then close
//
// Listen (transport, "127.0.0.1:0") opens one more listener on a port the
// system picks, which is how tests run servers.
//
// # What it owns
//
// The listeners, named and numbered as Redis names them (port, tls-port,
// unixsocket, bind); the connections, one goroutine each, with buffered,
// pipelined I/O; the RESP protocol in both versions (RESP2, and RESP3 after
// HELLO 3); the connection state (authentication, name, MULTI); who a
// client is (AUTH, or its client certificate) and what its user may run
// (the acl package's rules, checked before every command); the limits
// (maxclients, proto-max-bulk-len, client-query-buffer-limit, timeout, the
// TLS handshake timeout); and the connection and server commands (PING,
// HELLO, AUTH, CLIENT, COMMAND, CONFIG, INFO, MULTI/EXEC ...), added to the
// one command table next to the store's. And the server's replication
// roles: as a primary, the links of the clients that sent PSYNC, the
// backlog, WAIT and min-replicas-* (primary.go); as a replica, the
// replication.Replica that replicaof or REPLICAOF started, read-only
// clients and -LOADING (replica.go).
//
// # What it must never do
//
// Implement a data command: those are the command package's, run the same
// way here, in a replica and in an embedded call. Know TLS beyond the
// tlsconn package's transport interface. Let one client slow another: every
// connection reads, runs and writes on its own goroutine, a client that does
// not read its replies only stops its own goroutine, and every wait on the
// network has a deadline or a way out through Shutdown and Close.
//
// # Replies and pipelines
//
// A client's commands run in the order they arrive; their replies are
// written together once every command received so far has run. A pipeline
// that arrives in one TLS record, or split at any byte, is therefore
// answered as soon as its last byte is in, never waiting for more input.
//
// Each client runs its commands in a store.Session: before replies are
// written, the writes they announce are waited for once, together, as far
// as appendfsync promises (Redis's rule: no reply before the write is in
// the log). A run of writes in a pipeline holds the store's write lock
// once for the run (at most 64 commands), as Redis runs a client's buffered
// commands one after another; the lock is given back before any other
// command and before the connection writes or waits for anything.
//
// # Hostile input
//
// A malformed request is answered with Redis's protocol error and the
// connection closed; a plain-text client on the TLS port is told in plain
// text that TLS is required; a TLS client on the plain port is closed
// before its handshake is taken for a command; a handshake that does not
// finish in time is abandoned; a request larger than
// client-query-buffer-limit closes the connection; with timeout set, an
// idle client, or one that leaves its replies unread that long, is closed.
// Each case is counted in INFO stats.
//
// # Configuration
//
// Config uses Redis's directive names (Config.Set, Config.Apply), which is
// also what CONFIG GET and CONFIG SET see. Directives Redis has and Shingle
// does not act on (persistence tuning, encodings, eviction ...) are accepted
// and shown by CONFIG GET, so that an existing redis.conf loads.
package netmode
