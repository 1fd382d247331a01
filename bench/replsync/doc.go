// Command replsync is the client side of bench/replication.sh: it loads
// a data set into a primary, waits until a replica has all of it, waits
// until a server is quiet, and samples the replication lag of a replica
// under load. It speaks to Shingle and to redis-server alike, over TLS
// with client certificates.
//
//	replsync load  -addr 127.0.0.1:7380 -bytes 1073741824 -value 1024 TLS...
//	replsync wait  -primary 127.0.0.1:7380 -replica 127.0.0.1:7390 -pid 1234 -since 1700000000000000000 TLS...
//	replsync quiet -addr 127.0.0.1:7380 -pid 1234 TLS...
//	replsync lag   -primary 127.0.0.1:7380 -replica 127.0.0.1:7390 TLS... <until-eof
//
// where TLS... is -cacert ca.crt -cert client.crt -key client.key.
//
// load writes keys key:000000000000, key:000000000001, ... (redis-benchmark's
// key names, so that redis-benchmark -r overwrites them) with -value bytes
// of random, incompressible data each, -bytes of values in all, and prints
// "keys bytes seconds".
//
// wait polls INFO replication on both servers until the replica's
// master_link_status is up, no sync is in progress, and its
// master_repl_offset has reached the primary's; it prints the seconds from
// -since (Unix nanoseconds, when the replica was started) to the poll that
// saw it, and the offset.
//
// quiet waits until a server has no background child working (INFO
// persistence: loading, rdb_bgsave_in_progress, aof_rewrite_in_progress,
// aof_rewrite_scheduled all 0) and its process (-pid) has used less than
// -cpu of a CPU for a whole second: after a load, redis-server rewrites
// its append-only file and Pebble compacts, and a full sync started
// meanwhile would measure that too.
//
// lag samples the primary's and the replica's master_repl_offset (both
// asked at once) every -interval from the first write after it starts
// until its standard input closes, then until the replica has caught up;
// it prints "samples mean max catchup rate": the mean and the largest
// difference in bytes, the seconds from the end of input to the replica's
// catching up, and the bytes per second the primary's offset grew by
// while it sampled.
//
// # What it must never do
//
// Import the server (netmode, replication, store): it measures server
// processes from outside, over TLS, through go-redis and the fields of
// INFO that Shingle and redis-server share, so that both are measured
// the same way. Judge the numbers: it prints them, and
// bench/replication.sh puts them side by side; a benchmark never fails on
// a timing.
package main
