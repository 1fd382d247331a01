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
//	srv, err := netmode.New(db, cfg) // checks cfg and the TLS files; starts nothing
//	if err != nil { ... }
//	go srv.ListenAndServe()          // port 6379 and tls-port 6380, on every bind address
//	...
//	srv.Shutdown(ctx)                // finish what clients sent, then close
//
// Listen (transport, "127.0.0.1:0") opens one more listener on a port the
// system picks, which is how tests run servers. A program that reads a
// redis.conf passes its directives to Configure, which returns the Config
// and the store.Options they ask for.
//
// # Lifecycle
//
// As net/http's Server: New allocates and validates, and starts nothing,
// so a server that is never started needs no Close. Start, Serve,
// ListenAndServe and Listen start the listeners and the background work:
// the replication backlog's subscription to the store's feed, following
// replicaof's primary, the ops meter and TLS auto-reload. Shutdown (after
// the clients finish what they sent) and Close (at once; safe to call
// twice) stop them all, and Serve and ListenAndServe then return
// ErrServerClosed.
//
// # What it owns
//
// The listeners, named and numbered as Redis names them (port, tls-port,
// quic-port, unixsocket, bind); the connections, one goroutine each, with
// buffered, pipelined I/O; the RESP protocol in both versions (RESP2, and
// RESP3 after HELLO 3), through the internal/resp codec; the connection
// state (authentication, name, MULTI); who a client is (AUTH, or its
// client certificate) and what its user may run (the acl package's
// rules, checked before every command); the limits (maxclients,
// proto-max-bulk-len, client-query-buffer-limit, timeout, the TLS
// handshake timeout); and the connection and server commands (PING,
// HELLO, AUTH, CLIENT, COMMAND, CONFIG, INFO, MULTI/EXEC ...), added to
// the one command table next to the store's.
//
// The configuration: Config, the table of Redis's directives
// (directives.go, directive_values.go) and how they apply (Set, Apply,
// Configure, CONFIG GET and CONFIG SET, which reopens the listeners a
// changed directive names), and INFO. When TLS files are read again:
// ReloadTLS, CONFIG SET of a tls-* directive and tls-auto-reload-interval
// (reload.go), and what INFO tls shows of it; what the files hold, whether
// they changed and how a configuration is built from them is tlsconn's.
//
// The command glue of replication, and nothing more: as a primary, PSYNC,
// SYNC, REPLCONF, WAIT, ROLE, INFO replication and min-replicas-to-write,
// which hand a replica's connection to, and read, the server's
// replication.Primary (primary.go); as a replica, replicaof, REPLICAOF and
// SLAVEOF, which start, stop and promote a replication.Replica (with a
// tlsconn.Dialer built from the tls-* settings), read-only clients and
// -LOADING (replica.go).
//
// The command glue of the cluster (cluster-enabled yes), and nothing
// more: the cluster-* directives, CLUSTER and its subcommands, READONLY,
// READWRITE, ASKING and MIGRATE (cluster.go, cluster_redirect.go,
// migrate.go), the decision before each command to run it here or answer
// MOVED, ASK, CROSSSLOT, TRYAGAIN or CLUSTERDOWN, read from the
// cluster.Node's applied configuration, and following the primary the
// configuration names for this node. The configuration, its log, the bus
// and failure detection are the cluster package's.
//
// # What it must never do
//
// Implement a data command: those are the command package's, run the same
// way here, in a replica and in an embedded call. Import crypto/tls or
// crypto/x509 (a test over go list holds it): building TLS
// configurations, reading and hashing certificate files, classifying a
// failed handshake and reading a certificate's identity are tlsconn's,
// and netmode sees TLS only through tlsconn's types. Implement
// replication: the backlog, the syncs, the per-replica buffers and the
// acknowledgements are replication.Primary's, the link to a primary is
// replication.Replica's. Be imported by a library package: it is the top
// of the stack, and only programs (cmd/, bench/) import it (the same test
// holds it). Let one client slow another: every connection reads, runs
// and writes on its own goroutine, a client that does not read its
// replies only stops its own goroutine, and every wait on the network has
// a deadline or a way out through Shutdown and Close.
//
// # Locks
//
// Lock order: Server.roleMu (REPLICAOF, replicaof at start, Close
// stopping the replica), then the store's write lock, then Server.mu, then
// Server.tlsMu (CONFIG SET holds both), then the tlsconn.ServerTLS's own
// lock (Adopt). Server.mu is never held while calling into the store: a
// transaction (EXEC) holds the store's write lock while its server
// commands (CLIENT LIST, INFO, CONFIG SET ...) take Server.mu, so role
// changes, which call into the store, hold roleMu instead. A client's mu comes after
// Server.mu, never before, and only the acl registry's lock is taken under
// it (RESET). The reload state's lock and the Stats counters' are leaves.
// The callbacks netmode hands the store and replication (PrimaryHooks,
// the Primary's configuration function, a Replica's OnPanic) take no lock
// of netmode's: they may run under the store's write lock.
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
// A connection counts against maxclients from its accept, as in Redis:
// before its goroutine starts and before its TLS handshake. One over the
// limit is refused at once (a plain one told "-ERR max number of clients
// reached", a TLS one closed before its handshake) and counted in
// rejected_connections, so connections that open a handshake and stall
// hold at most maxclients goroutines between them, each for at most
// tls-handshake-timeout (10 seconds by default). They are connected
// clients meanwhile (connected_clients counts them, as Redis counts a
// client from its accept; CLIENT LIST shows a client once its handshake is
// done) and INFO clients shows them as tls_pending_handshakes. A QUIC
// connection's handshake runs inside the QUIC library, bounded by
// tls-handshake-timeout too; its streams, the client sessions, count
// against maxclients as they are accepted, and the QUIC connections
// themselves, handshakes in progress included, are capped at maxclients
// (one beyond is refused before its handshake and counted in
// rejected_connections), so that connections opening no stream cannot
// hold state past the limit either.
//
// # Panics
//
// A panic while serving a client, in parsing, a command (an embedder's
// too), EXEC's transaction, the writing of replies or a replica link, ends
// that connection only: the store rolls back the write it interrupted and
// releases its lock, the client gets the replies of the commands before it
// and "-ERR internal error", and is closed and removed as on any other
// exit. It is logged once at Error with its stack and counted in INFO
// stats as shingle_panics, its reply in total_error_replies and
// errorstats. A panic applying a primary's stream ends the replication
// link the same way (master_link_last_error shows it), which connects
// again; the replica serves its clients meanwhile.
//
// # Client certificates and users
//
// With tls-auth-clients-user CN (or URI), a client whose verified
// certificate names an enabled user is that user from its first command,
// and keeps it: AUTH and HELLO AUTH naming another user are refused
// (NOPERM, counted in acl_access_denied_auth), unless
// tls-auth-clients-user-switch is yes, which lets it become any user whose
// password it knows, as in Redis 8.6 and Valkey 9. RESET returns it to
// its certificate's user. Every CA trusted for client certificates
// (tls-ca-cert-file, tls-ca-cert-dir) can issue a certificate naming any
// user, alice or default: the CA list is the trust boundary, so trust only
// CAs that issue client certificates for this server. A client without a
// certificate (tls-auth-clients optional or no, or a plain port) is the
// default user, which out of the box needs no password and may run
// everything: New logs a warning when certificates map to users while the
// default user is on without a password.
//
// # Configuration
//
// Config uses Redis's directive names (Config.Set, Config.Apply), which is
// also what CONFIG GET and CONFIG SET see. Every directive of Redis 7.0 has
// one status in the table of directives.go, listed with the reasons in
// docs/directives.md: implemented; implemented with no observable effect
// (it tunes Redis's memory representation, or a feature that is off: the
// value is checked as Redis checks it and shown); accepted only at the
// values that match what Shingle does (maxmemory 0, save "", databases 1
// ...), any other refused saying what Shingle does instead; or refused as
// Redis refuses a name it does not know. So a redis.conf that asks for
// something Shingle does not do is refused, never quietly taken.
//
// Set returns a *DirectiveError, and Apply an *ApplyError of them, one per
// refused line (Configure's error holds them too): each holds what
// redis-server prints when it refuses a configuration line at startup,
// and FatalConfigText renders them as its FATAL CONFIG FILE ERROR blocks.
//
// A few directives belong to the process rather than the server (dir,
// appendfsync, hz, logfile, pidfile): Configure turns them into the
// store.Options they ask for (Config.StoreOptions: appendfsync, hz,
// proto-max-bulk-len) and a Logger writing to logfile, and the program
// opens the store in Config.Dir and calls Config.WritePidFile once it
// serves, as cmd/embedded-demo does.
package netmode
