// Command idleconns opens many idle TLS connections to a RESP server, so
// that bench/tls.sh can measure what an idle connection costs the server in
// resident memory.
//
// It dials -n TLS connections to -addr, trusting -cacert and presenting the
// client certificate -cert/-key when given, sends one PING on each and reads
// the PONG (so that every connection has finished its handshake and run a
// command, as a real client's would), then prints "ready" on stdout and
// keeps them all open until its stdin is closed. Any failure is printed on
// stderr with the exit status 1.
//
//	idleconns -addr 127.0.0.1:6380 -n 10000 -cacert ca.crt -cert client.crt -key client.key </some/fifo
//
// # What it must never do
//
// Import anything of Shingle's: it is a plain crypto/tls client, so that
// an idle connection costs it the same against redis-server and Shingle,
// and what bench/tls.sh measures is the server alone. Judge the numbers:
// the script reads the servers' memory and prints the ratios.
package main
