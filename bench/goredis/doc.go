// Command goredis measures go-redis against a Shingle server over TLS or
// QUIC, so that bench/tls.sh can put the two transports side by side.
//
// It runs -c clients, each a go-redis client with one connection (over
// QUIC, every client is one stream of a single shared QUIC connection, as
// a QUIC tlsconn.Dialer makes them), that together send -n SET or GET
// commands on random keys of a -r key space, and prints the throughput in
// requests per second on stdout.
//
//	goredis -transport quic -addr 127.0.0.1:7381 -t set -cacert ca.crt -cert client.crt -key client.key
//
// # What it must never do
//
// Import the server (netmode, store): it measures a running server from
// outside, through go-redis and tlsconn's client side only, as any client
// would connect. Judge the numbers: it prints them, and bench/tls.sh puts
// them side by side as ratios; a benchmark never fails on a timing.
package main
