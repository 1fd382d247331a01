// Package cluster makes Shingle instances a Redis Cluster: 16384 slots,
// MOVED and ASK redirects, replicas per shard, resharding while serving,
// with the stock tools (redis-cli --cluster, redis-cli -c) and cluster
// clients (go-redis ClusterClient) used exactly as against Redis. This file
// is the design; it was written before the code and is kept true to it.
//
// # Usage
//
//	d, _ := tlsconn.NewDialer(tlsconn.TLS, settings, "")     // this node's client certificate
//	n, err := cluster.NewNode(cluster.Config{Dir: "data/nodes.conf", BusAddr: "10.0.0.1:16380",
//		BusTLS: busTLS, BusDialer: d, Announce: cluster.NodeInfo{TLSPort: 6380}})
//	if err != nil { ... }
//	if err := n.Start(); err != nil { ... } // the bus listener and the Raft member
//	defer n.Close()
//	n.AddSlots(0, 1, 2)                     // CLUSTER ADDSLOTS
//	err = n.Meet(ctx, "10.0.0.2", 6379, 0)  // CLUSTER MEET: join that node's cluster
//	owner := n.State().Owner(slot)          // the locally applied configuration, no round trip
//
// # What it owns
//
//   - The ports (ports.go): one function derives the bus port and the
//     announced client and bus ports from port, tls-port, tls-cluster,
//     cluster-port and the cluster-announce-* directives, as Redis 7.0's
//     deriveAnnouncedPorts does, without its base-0 pitfall.
//   - The configuration (state.go): nodes (id, ip, tcp, tls and quic client
//     ports, bus port, hostname), roles, slot owners, importing and
//     migrating marks, config epochs. A deterministic state machine with no
//     I/O: entries in, state out, so that every rule is a table test.
//   - The replicated log that drives it (raft.go): hashicorp/raft, its log
//     and stable store in a Bolt file beside its snapshots, under the
//     directory cluster-config-file names (the nodes.conf equivalent: the
//     node's id and everything it has applied survive restarts). The
//     configuration as last applied is saved there too, so that a node
//     that restarts answers CLUSTER NODES at once, before a leader tells
//     it which entries committed (it serves keys once a leader is heard). Every entry carries an id: one sent again after a
//     lost reply or a change of leader answers as the first did and
//     changes nothing more.
//   - The bus (bus.go): one listener on the bus port, TLS with a client
//     certificate required on both ends and verified against the
//     configured CA when tls-cluster is yes (plain TCP otherwise, as in
//     Redis, which the caller warns about), or QUIC as Shingle's option.
//     Every bus connection starts with one byte that names its use:
//     Raft's transport, or a request of this package (a join, a ping, a
//     report, an entry forwarded to the leader).
//   - Failure detection (health.go): pings over the bus, "fail?" here,
//     "fail" through the log once a majority of the voters agree.
//   - Failover (failover.go): the leader then promotes the failed
//     primary's replica with the largest replication offset, in one
//     entry; CLUSTER FAILOVER does the same at a replica's request, after
//     the primary held its writes back and the replica caught up.
//   - The answers built from the configuration: CLUSTER NODES, SLOTS and
//     SHARDS, per transport (a TLS client is told TLS ports, a plain
//     client plain ports), and the owner of a slot for redirects, read
//     from an immutable snapshot of the state behind an atomic pointer, so
//     that the hot path takes no lock.
//
// # Redis's model as log entries
//
// Redis keeps a copy of the configuration in every node and reconciles
// the copies by gossip, config epochs deciding conflicts. Here the
// configuration is one log, and a change is an entry that every node
// applies in the same order; an entry that breaks a rule (a slot already
// busy, an unknown node) is applied as a no-op that answers Redis's error.
//
//   - A fresh node starts as a cluster of one: it bootstraps a Raft
//     configuration with itself as the only voter and appends its own
//     node entry. So ADDSLOTS, DELSLOTS and SET-CONFIG-EPOCH work before it
//     has met anyone, as redis-cli --cluster create needs (ADDSLOTS and
//     SET-CONFIG-EPOCH come before MEET).
//   - MEET merges a cluster of one into another cluster. The node that
//     is alone drops its own one-member log and sends its whole state
//     (its node entry, its slots, its epoch) over the bus to the other
//     side, whose leader appends one entry admitting it with those slots
//     (a slot claimed by both goes to the higher config epoch, Redis's
//     rule) and adds it to the Raft configuration; the node then follows
//     the cluster's log. If the other side refuses, it takes back its own
//     configuration. When both are alone, the node that received
//     MEET joins the one it was pointed at. MEET between two nodes that
//     each belong to a cluster with other members is refused: two Raft
//     groups cannot merge.
//   - Config epochs keep their Redis meaning for the tools (CLUSTER NODES
//     shows them, a primary's epoch orders slot claims at a merge), but
//     conflicts cannot arise: the log orders every change. SET-CONFIG-EPOCH
//     is accepted only while the node is alone and its epoch is 0, as in
//     Redis; BUMPEPOCH appends an entry giving the node the cluster's
//     current epoch plus one unless its epoch is already the greatest
//     and not 0 (BUMPED or STILL, as Redis answers).
//   - FORGET and RESET: the node leaves the configuration (an entry) and
//     Raft's membership (the leader removes it) before the command
//     answers; a forgotten node's late entries do not bring it back, only
//     MEET does. RESET leaves the node a cluster of one.
//   - Voters: a node joins as a non-voter, which receives and applies the
//     log, and the leader makes it a voter once it answers the leader's
//     pings, while there are fewer than five voters; when a voter is
//     forgotten, the leader promotes a non-voter that answers.
//
// # Failure model
//
// A change commits only with a majority of the voters. A minority
// partition never changes slot ownership, roles or epochs: a command
// that would change them fails with CLUSTERDOWN after a few Raft
// timeouts, and the partition keeps the configuration it last applied.
// A node that has not heard from a leader for the node timeout reports
// itself partitioned (Node.Partitioned), and the server then answers
// CLUSTERDOWN: the majority may have failed its slots over meanwhile. The slot owner a node
// redirects to may therefore lag the log by the time it takes to apply,
// which a client sees as one more redirect.
//
// # What it must never do
//
// Import netmode (netmode holds the CLUSTER commands and asks this
// package), or crypto/tls (TLS is tlsconn's). Change the configuration
// except through the log. Block a client's command on the network to
// answer CLUSTER NODES, SLOTS, SHARDS or a slot's owner.
package cluster
