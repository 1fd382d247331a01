// Package replication will make one Shingle instance follow another, and
// follow or feed a stock redis-server, speaking Redis's own replication
// protocol over TCP, TLS or QUIC. This file is the design, written before
// the code. What exists so far: the RDB format (the rdb subpackage); the
// store's SubscribeSnapshot (a snapshot and the changes after it, joined at
// one offset) and Load; WriteSnapshot, the body of a full sync, which a
// stock redis-server loads to the same DEBUG DIGEST; LoadRDB, a replica's
// side of it; WriteFullSync and ReadFullSync, the +FULLRESYNC exchange in
// Redis's framings; and the Backlog partial resyncs will be served from.
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
//     them).
//   - Acknowledgements (REPLCONF ACK every second), WAIT,
//     min-replicas-to-write and min-replicas-max-lag, INFO replication and
//     ROLE.
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
// same history.
//
// On the primary, a replica is a client of netmode that sent PSYNC: netmode
// hands that connection (and its goroutine) to the primary side here, which
// from then on only writes to it and reads REPLCONF ACKs from it. On the
// replica, the link is a client connection it dials with tlsconn (TCP, TLS
// with tls-replication, QUIC with repl-transport quic).
//
// # What it must never do
//
// Fork, or hand a socket to another process or goroutine to write into
// (the seed's failed design): the primary streams the snapshot itself. Hold
// a snapshot in memory: it is encoded as it is read. Hold the store's write
// lock across network I/O: the lock is taken only to pin a snapshot and a
// subscription at the same offset. Apply a command a replica cannot
// represent silently: a type Shingle does not store stops the sync with an
// error in the log and in INFO. Implement a data command: the command table
// is the only place commands mean anything.
package replication
