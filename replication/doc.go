// Package replication makes one Shingle instance follow another, and
// follow or feed a stock redis-server, speaking Redis's own replication
// protocol over any of tlsconn's transports (TCP, TLS, QUIC, unix
// sockets). This file is the design; it was written before the code and is
// kept true to it.
//
// What is here: Follow and Replica (the replica's side of the link: dial,
// handshake, full sync or +CONTINUE, the stream applied through the command
// table, acknowledgements); Primary (the primary's side: the Backlog wired
// to the change feed, the replica pinger, Serve for each replica link with
// the PSYNC / +CONTINUE decision, the full syncs shared within
// repl-diskless-sync-delay and the per-replica buffers bounded by their
// OutputLimit, the ACKs that Wait, MinReplicasOK, Info and Replicas read);
// FullResync, WriteDisklessRDB and WriteSnapshot (the full sync's framing
// and RDB); LoadRDB and LoadRDBBeside (Config.Load: a full sync loaded
// straight into the store, or beside the old data set, which serves until
// the switch); the RDB format (the rdb subpackage). netmode, which
// owns client connections, keeps only the commands (PSYNC, SYNC, REPLCONF,
// WAIT, ROLE, INFO replication, REPLICAOF): it hands a client that sent
// PSYNC to Primary.Serve, and starts a Replica for replicaof with a
// tlsconn.Dialer built from its tls-* settings.
//
// # Usage
//
//	p := replication.NewPrimary(db, func() replication.PrimaryConfig { return cfg })
//	if err := p.Start(); err != nil { ... } // the backlog and the pinger
//	defer p.Close()
//	...
//	// a client sent PSYNC replid offset, and was answered what it sent before:
//	err := p.Serve(ctx, conn, replication.SyncRequest{ReplID: replid, Offset: offset})
//
//	r, err := replication.Follow(db, replication.Config{Addr: "primary:6379"}) // a TCP Dialer
//	...
//	r.Stop()
//
// # What it owns
//
//   - The roles: a primary serves any number of replicas; a replica follows
//     one primary (replicaof, REPLICAOF/SLAVEOF, REPLICAOF NO ONE, and a Go
//     call for embedders, which need no listener of their own).
//   - The replica's handshake, as Redis runs it: PING, AUTH (masteruser,
//     masterauth), REPLCONF listening-port (replica-announce-port, else
//     tls-port when tls-replication is on, else port), REPLCONF capa eof
//     capa psync2, PSYNC replid offset. Every step waits under repl-timeout.
//   - Full sync, proxied and diskless: the primary answers +FULLRESYNC replid
//     offset and writes the snapshot itself, as an RDB stream (rdb package,
//     EOF-marker framing) read from a consistent Pebble snapshot taken at
//     exactly that offset, through the replica's own connection; the writes
//     committed meanwhile wait in that replica's bounded buffer
//     (client-output-buffer-limit replica) and follow the snapshot.
//   - Partial resync: a backlog of the RESP-encoded change feed
//     (repl-backlog-size) answers PSYNC with +CONTINUE when the replica's
//     replid and offset are in it; the replid, the secondary replid after a
//     promotion (psync2) and the offset survive restarts (the store keeps
//     them), and a crash: the store recovers its exact offset under a new
//     id continuing the old one. A replica asks with the secondary id when
//     nothing was written since its history took over from it (a crashed
//     primary coming back as a replica knows the new primary by it).
//   - Acknowledgements (REPLCONF ACK every second), and what WAIT,
//     min-replicas-to-write and min-replicas-max-lag decide from them and
//     INFO replication and ROLE show (Wait, Good, MinReplicasOK, Info,
//     Replicas); the commands themselves are netmode's.
//
// # How it sits on the rest
//
// The store already numbers its history the way Redis does: every commit
// publishes its commands, RESP-encoded, at an offset counted in bytes
// (store.DB.Subscribe), and a subscription starts at an exact offset, so a
// snapshot and a subscription taken together under the write lock give
// "the data as of offset O, then everything after O". A replica applies the
// stream by running each command through the command table, the same code
// a client's commands run, and takes the primary's replid and offset as its
// own, so that its own replicas, and it after a promotion, continue the
// same history. It applies a run of the stream as one store transaction
// (store.Session.Replicate), whose offset and published bytes are the
// primary's bytes themselves, and goes on to the next run without waiting
// for the last one's log write: it waits for what it applied before it
// waits for more of the stream and before it acknowledges, and its ACKs
// carry the offset the store says is durable (store.DB.DurableOffset), so
// that WAIT counts a replica only for what it holds as its appendfsync
// promises. A replica's replicas and backlog carry the primary's
// stream unchanged (PING and SELECT included), and its own writes (a
// writable replica's clients, an embedder) are not published
// (store.DB.SetFollowing), as in Redis. Keys expire on a replica only when
// the primary's DEL arrives: active expiry stops, and the primary's
// commands see a key whose time has passed as still alive.
//
// The store hands a change to its subscribers at its commit, before it is
// as durable as appendfsync promises; the primary sends stream bytes, a
// +CONTINUE's backlog and a full sync's snapshot once store.DB.WaitDurable
// says their offset is durable, so that a replica, like a client, never
// learns of a write a crash could still lose.
//
// On the primary, a replica is a client of netmode that sent PSYNC: once
// its replies before are written, netmode hands its connection (and the
// RESP reader that may hold bytes read already) to Primary.Serve, and that
// connection's goroutine from then on only writes the sync and the stream
// to it, while a second goroutine reads its REPLCONF ACKs. Replicas asking
// for a full sync within repl-diskless-sync-delay share one snapshot. On the
// replica, the link is a client connection it dials with the
// tlsconn.Dialer of its Config (TCP; TLS with tls-replication; QUIC with
// repl-transport quic; unix sockets for embedders): the transports and
// their TLS settings are tlsconn's, never this package's.
//
// # What it must never do
//
// Import netmode (a test over go list holds it): a server hands
// replication its connections, never the other way round. Dial, listen or
// configure TLS itself: its links are tlsconn's (a Dialer in Config, a
// connection handed to Serve), and it imports neither crypto/tls nor
// crypto/x509. Fork, or hand a socket to another process (the seed's
// failed design): the primary streams the snapshot itself, on a Serve
// call's goroutine (for a full sync several replicas share, the first
// one's writes to all of them). Hold a snapshot in memory: it is encoded
// as it is read. Hold the store's write lock across network I/O: the lock
// is taken only to pin a snapshot and a subscription at the same offset,
// and the feed's callbacks under it only append to the backlog or a
// link's buffer and wake the link. Apply a command a replica cannot represent silently: a type
// Shingle does not store stops the sync with an error in the log and in
// INFO. Implement a data command: the command table is the only place
// commands mean anything. Take the process down: a panic handling the
// primary's data (a bug) ends the link with a PanicError, logged with its
// stack and shown in INFO, and the replica's server goes on
// serving its clients.
//
// # Locks
//
// Primary.mu guards the Primary's bookkeeping (its links, the full sync
// gathering replicas, the ACK signal) and comes after the store's write
// lock: a server asks Good, MinReplicasOK, Count and Replicas while a
// client holds the store's lock (a pipeline of writes, EXEC). Nothing is
// taken under it: Start subscribes the backlog to the store's feed
// outside it. The Backlog's lock and each link's buffer lock are
// taken under the store's lock, from the feed's callbacks, and are
// leaves; so are a Replica's status lock and its link's write lock.
package replication
