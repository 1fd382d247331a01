#!/usr/bin/env bash
# Replication, Shingle->Shingle beside redis-server->redis-server, both over
# TLS with client certificates: the throughput of a full sync of a data set
# (MB/s, from the replica's start until it has the primary's offset), and
# the replication lag in bytes while redis-benchmark writes to the primary.
# redis-server syncs diskless. Prints one table with the Shingle/Redis
# ratio of every cell, and one with Shingle's QUIC link beside its TLS
# link. See bench/README.md.
#
# Settings (environment variables):
#   REPL_BENCH_BYTES=1073741824  bytes of values in the data set (1 GiB)
#   VALUE_SIZE=1024              bytes per value (keys = bytes / size)
#   LAG_REQUESTS=500000          SETs of the lag run (redis-benchmark -n)
#   LAG_CLIENTS=50               its connections (-c)
#   LAG_PIPELINE=16              its pipeline (-P)
#   LAG_VALUE_SIZE=1024          its value size (-d)
#   REDIS_DISKLESS_LOAD=disabled the redis-server replica's repl-diskless-load
#   SHINGLE_DISKLESS_LOAD=swapdb the Shingle replicas' repl-diskless-load
#   REPL_QUIC=yes                also a Shingle replica over QUIC (no: skip)
#   CIPHERSUITE=TLS_AES_128_GCM_SHA256
#                                TLS 1.3 suite redis-server and
#                                redis-benchmark use (Go chooses it itself)
#   SHINGLE_BIN=                 a Shingle server binary to use instead of
#                                building ./cmd/embedded-demo
#   KEEP=                        1: keep the temporary directory (logs,
#                                data) and print where it is
set -euo pipefail

REPL_BENCH_BYTES=${REPL_BENCH_BYTES:-1073741824}
VALUE_SIZE=${VALUE_SIZE:-1024}
LAG_REQUESTS=${LAG_REQUESTS:-500000}
LAG_CLIENTS=${LAG_CLIENTS:-50}
LAG_PIPELINE=${LAG_PIPELINE:-16}
LAG_VALUE_SIZE=${LAG_VALUE_SIZE:-1024}
REDIS_DISKLESS_LOAD=${REDIS_DISKLESS_LOAD:-disabled}
SHINGLE_DISKLESS_LOAD=${SHINGLE_DISKLESS_LOAD:-swapdb}
REPL_QUIC=${REPL_QUIC:-yes}
CIPHERSUITE=${CIPHERSUITE-TLS_AES_128_GCM_SHA256}

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source-path=SCRIPTDIR/..
. bench/lib.sh

require_tools
make_tmp repl

# The server pair is also each replica's client certificate towards its
# primary (tls-auth-clients yes), as redis-server uses tls-cert-file.
make_certs
suite=()
[ -n "$CIPHERSUITE" ] && suite=(--tls-ciphersuites "$CIPHERSUITE")

# --- programs ------------------------------------------------------------
echo "building Shingle and bench/replsync ..." >&2
go build -o "$tmp/bin/replsync" ./bench/replsync
build_shingle
replsync=$tmp/bin/replsync

# Every server: TLS only, on 127.0.0.1, mutual TLS, appendfsync everysec
# (Shingle's default; redis-server with the append-only file and no RDB
# snapshots), as in bench/tls.sh.
#
# start_redis NAME PORT [ARGS...]: a redis-server in $tmp/NAME; sets
# started_pid.
start_redis() {
	local name=$1 port=$2
	shift 2
	mkdir -p "$tmp/$name"
	redis-server --bind 127.0.0.1 --port 0 --tls-port "$port" "${tls_server[@]}" "${suite[@]}" \
		--tls-replication yes --save "" --appendonly yes --appendfsync everysec \
		--repl-diskless-sync yes --repl-diskless-sync-delay 0 \
		--dir "$tmp/$name" --daemonize no --logfile "" "$@" >"$tmp/$name.log" 2>&1 &
	started_pid=$!
	pids+=("$started_pid")
	# Redis 7.0 logs "Ready to accept connections"; 7.2 adds the listener.
	wait_ready "$started_pid" "$tmp/$name.log" "Ready to accept connections"
}

# start_shingle NAME PORT QUICPORT [ARGS...]: a Shingle in $tmp/NAME;
# sets started_pid.
start_shingle() {
	local name=$1 port=$2 quic=$3
	shift 3
	mkdir -p "$tmp/$name"
	"$SHINGLE_BIN" --port 0 --tls-port "$port" --quic-port "$quic" "${tls_server[@]}" \
		--dir "$tmp/$name" "$@" >"$tmp/$name.log" 2>&1 &
	started_pid=$!
	pids+=("$started_pid")
	wait_ready "$started_pid" "$tmp/$name.log" "Ready to accept connections tls"
}

cli() {
	local port=$1
	shift
	redis-cli -h 127.0.0.1 -p "$port" "${tls_client[@]}" "$@" | tr -d '\r'
}

declare -A result

# load NAME PORT PID: the data set into the primary NAME, then until it is
# quiet.
load() {
	local name=$1 port=$2 pid=$3 out
	echo "$name: loading $REPL_BENCH_BYTES bytes of $VALUE_SIZE-byte values ..." >&2
	out=$("$replsync" load -addr "127.0.0.1:$port" -bytes "$REPL_BENCH_BYTES" -value "$VALUE_SIZE" "${go_tls[@]}") ||
		fail "loading $name failed"
	read -r keys bytes secs <<<"$out"
	result[$name,keys]=$keys
	result[$name,bytes]=$bytes
	result[$name,load]=$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1e6 }')
	local dbsize
	dbsize=$(cli "$port" DBSIZE)
	[ "$dbsize" = "$keys" ] || fail "$name: DBSIZE is $dbsize after loading $keys keys"
	echo "$name: $keys keys in ${secs}s; waiting until it is quiet ..." >&2
	out=$("$replsync" quiet -addr "127.0.0.1:$port" -pid "$pid" "${go_tls[@]}") ||
		fail "$name did not become quiet"
	echo "$name: quiet after ${out}s" >&2
}

# sync_time NAME PRIMARY_PORT PORT PID T0 PRIMARY_PID: the replica NAME
# (process PID, started at T0 Unix nanoseconds) until it has the primary's
# offset; then it and the primary until they are quiet.
sync_time() {
	local name=$1 pport=$2 port=$3 pid=$4 t0=$5 primary_pid=$6 out secs
	out=$("$replsync" wait -primary "127.0.0.1:$pport" -replica "127.0.0.1:$port" \
		-pid "$pid" -since "$t0" "${go_tls[@]}") || fail "$name never came in sync"
	read -r secs _ <<<"$out"
	result[$name,sync]=$secs
	local bytes=${result[${name%%-*},bytes]}
	result[$name,mbs]=$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1e6 }')
	echo "$name: in sync after ${secs}s (${result[$name,mbs]} MB/s)" >&2
	local want got
	want=$(cli "$pport" DBSIZE)
	got=$(cli "$port" DBSIZE)
	[ "$got" = "$want" ] || fail "$name: DBSIZE $got on the replica, $want on the primary"
	"$replsync" quiet -addr "127.0.0.1:$port" -pid "$pid" "${go_tls[@]}" >/dev/null ||
		fail "$name did not become quiet"
	"$replsync" quiet -addr "127.0.0.1:$pport" -pid "$primary_pid" "${go_tls[@]}" >/dev/null ||
		fail "the primary of $name did not become quiet"
}

# lag NAME PRIMARY_PORT REPLICA_PORT: redis-benchmark SETs on the primary
# while replsync samples the two offsets; until it ends, then until the
# replica has caught up.
lag() {
	local name=$1 pport=$2 port=$3 log=$tmp/bench-$1.out out
	echo "$name: redis-benchmark -t set -n $LAG_REQUESTS -P $LAG_PIPELINE -d $LAG_VALUE_SIZE, sampling the lag ..." >&2
	rm -f "$tmp/bench-failed"
	# The sampler reads until the benchmark's group closes the pipe.
	out=$({
		redis-benchmark -h 127.0.0.1 -p "$pport" "${tls_client[@]}" "${suite[@]}" \
			-t set -n "$LAG_REQUESTS" -c "$LAG_CLIENTS" -P "$LAG_PIPELINE" -d "$LAG_VALUE_SIZE" \
			-r "${result[${name%%-*},keys]}" --csv >"$log" 2>&1 || touch "$tmp/bench-failed"
	} | "$replsync" lag -primary "127.0.0.1:$pport" -replica "127.0.0.1:$port" "${go_tls[@]}") ||
		fail "sampling the lag of $name failed"
	[ -e "$tmp/bench-failed" ] && fail "redis-benchmark against $name failed: $(cat "$log")"
	grep -v '^"' "$log" | sed "s/^/  $name: /" >&2 || true
	read -r samples mean most catchup rate <<<"$out"
	result[$name,rps]=$(awk -F, '$1 == "\"SET\"" { gsub(/"/, "", $2); print $2 }' "$log")
	result[$name,samples]=$samples
	result[$name,mean]=$mean
	result[$name,max]=$most
	result[$name,catchup]=$catchup
	result[$name,stream]=$(awk -v r="$rate" 'BEGIN { printf "%.1f", r / 1e6 }')
	# The lag in time: how long the primary took to write that many bytes.
	result[$name,meanms]=$(awk -v m="$mean" -v r="$rate" 'BEGIN { if (r > 0) printf "%.1f", m / r * 1000 }')
	echo "$name: ${result[$name,rps]} SET/s, stream ${result[$name,stream]} MB/s; lag mean $mean, max $most bytes ($samples samples); caught up ${catchup}s after" >&2
}

# --- redis-server -> redis-server ----------------------------------------
pport=$(free_port)
start_redis redis-primary "$pport"
primary=$started_pid
load redis "$pport" "$primary"
rport=$(free_port)
t0=$(date +%s%N)
start_redis redis-replica "$rport" --replicaof 127.0.0.1 "$pport" --repl-diskless-load "$REDIS_DISKLESS_LOAD"
replica=$started_pid
sync_time redis "$pport" "$rport" "$replica" "$t0" "$primary"
lag redis "$pport" "$rport"
stop "$replica"
stop "$primary"

# --- Shingle -> Shingle ----------------------------------------------------
pport=$(free_port)
pquic=0
# A port no TCP listener holds is, in all likelihood, free for UDP too.
[ "$REPL_QUIC" = yes ] && pquic=$(free_port)
start_shingle shingle-primary "$pport" "$pquic"
primary=$started_pid
load shingle "$pport" "$primary"
rport=$(free_port)
t0=$(date +%s%N)
start_shingle shingle-replica "$rport" 0 --tls-replication yes --replicaof 127.0.0.1 "$pport" --repl-diskless-load "$SHINGLE_DISKLESS_LOAD"
replica=$started_pid
sync_time shingle "$pport" "$rport" "$replica" "$t0" "$primary"
lag shingle "$pport" "$rport"
stop "$replica"

if [ "$REPL_QUIC" = yes ]; then
	"$replsync" quiet -addr "127.0.0.1:$pport" -pid "$primary" "${go_tls[@]}" >/dev/null ||
		fail "the Shingle primary did not become quiet"
	rport=$(free_port)
	t0=$(date +%s%N)
	start_shingle shingle-quic-replica "$rport" 0 --repl-transport quic --replicaof 127.0.0.1 "$pquic" --repl-diskless-load "$SHINGLE_DISKLESS_LOAD"
	replica=$started_pid
	sync_time shingle-quic "$pport" "$rport" "$replica" "$t0" "$primary"
	lag shingle-quic "$pport" "$rport"
	stop "$replica"
fi
stop "$primary"

# --- report --------------------------------------------------------------
row() { # LABEL FIELD A B
	local a=${result[$3,$2]:-} b=${result[$4,$2]:-}
	printf '%-38s %14s %14s %14s\n' "$1" "${a:--}" "${b:--}" "$(ratio "$b" "$a")"
}
mb=$(awk -v b="${result[redis,bytes]}" 'BEGIN { printf "%.0f", b / 1e6 }')

echo
echo "Replication, Shingle vs redis-server $(redis_version), TLS 1.3 with client certificates${CIPHERSUITE:+ (redis: $CIPHERSUITE)}"
echo "$(nproc) CPUs; ${result[redis,keys]} keys of $VALUE_SIZE-byte values ($mb MB); redis: repl-diskless-sync yes, delay 0, replica repl-diskless-load $REDIS_DISKLESS_LOAD; shingle: replica repl-diskless-load $SHINGLE_DISKLESS_LOAD"
echo "lag under redis-benchmark -t set -n $LAG_REQUESTS -c $LAG_CLIENTS -P $LAG_PIPELINE -d $LAG_VALUE_SIZE; appendfsync everysec everywhere"
echo
printf '%-38s %14s %14s %14s\n' "" "redis-server" "shingle" "shingle/redis"
row "load into the primary (MB/s)" load redis shingle
row "full sync (s)" sync redis shingle
row "full sync (MB/s)" mbs redis shingle
row "SET during the lag run (requests/s)" rps redis shingle
row "replication stream (MB/s)" stream redis shingle
row "lag, mean (bytes)" mean redis shingle
row "lag, max (bytes)" max redis shingle
row "lag, mean (ms of the stream)" meanms redis shingle
row "caught up after the load (s)" catchup redis shingle

if [ "$REPL_QUIC" = yes ]; then
	echo
	echo "Shingle's replica over QUIC (repl-transport quic) vs over TLS (tls-replication yes)"
	echo
	printf '%-38s %14s %14s %14s\n' "" "tls" "quic" "quic/tls"
	row "full sync (s)" sync shingle shingle-quic
	row "full sync (MB/s)" mbs shingle shingle-quic
	row "SET during the lag run (requests/s)" rps shingle shingle-quic
	row "replication stream (MB/s)" stream shingle shingle-quic
	row "lag, mean (bytes)" mean shingle shingle-quic
	row "lag, max (bytes)" max shingle shingle-quic
	row "lag, mean (ms of the stream)" meanms shingle shingle-quic
	row "caught up after the load (s)" catchup shingle shingle-quic
fi
