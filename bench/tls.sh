#!/usr/bin/env bash
# Shingle beside a stock redis-server, both over TLS with client
# certificates and the same persistence: redis-benchmark SET and GET
# throughput at pipeline 1 and 16, and the resident memory each server
# spends per idle TLS connection. Prints one table with the Shingle/Redis
# ratio of every cell. See bench/README.md.
#
# Settings (environment variables):
#   REQUESTS=100000   requests per redis-benchmark test (-n)
#   KEYS=100000       random key space (-r)
#   CLIENTS=50        redis-benchmark connections (-c)
#   CONNS=10000       idle TLS connections for the memory measurement
#   CIPHERSUITE=TLS_AES_128_GCM_SHA256
#                     TLS 1.3 suite redis-benchmark asks both servers for;
#                     empty for each side's own preference
#   SHINGLE_BIN=      a Shingle server binary to use instead of building
#                     ./cmd/embedded-demo
#   KEEP=             1: keep the temporary directory (logs, data) and
#                     print where it is
set -euo pipefail

REQUESTS=${REQUESTS:-100000}
KEYS=${KEYS:-100000}
CLIENTS=${CLIENTS:-50}
CONNS=${CONNS:-10000}
CIPHERSUITE=${CIPHERSUITE-TLS_AES_128_GCM_SHA256}

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source-path=SCRIPTDIR/..
. bench/lib.sh

require_tools

# Each server and the idle-connection client each hold CONNS sockets.
need=$((CONNS + 1024))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
	ulimit -Hn "$need" 2>/dev/null ||
		die "open files hard limit is $hard, $CONNS connections need $need: raise it (e.g. as root) or set CONNS lower"
fi
ulimit -n "$need"

make_tmp tls
make_certs

# --- programs ------------------------------------------------------------
echo "building Shingle, bench/idleconns and bench/goredis ..." >&2
go build -o "$tmp/bin/idleconns" ./bench/idleconns
go build -o "$tmp/bin/goredis" ./bench/goredis
build_shingle

maxclients=$((CONNS + 100))

redis_port=$(free_port)
mkdir -p "$tmp/redis"
redis-server --bind 127.0.0.1 --port 0 --tls-port "$redis_port" "${tls_server[@]}" \
	--save "" --appendonly yes --appendfsync everysec \
	--dir "$tmp/redis" --maxclients "$maxclients" \
	--daemonize no --logfile "" >"$tmp/redis.log" 2>&1 &
redis_pid=$!
pids+=("$redis_pid")

shingle_port=$(free_port)
# A port no TCP listener holds is, in all likelihood, free for UDP too.
quic_port=$(free_port)
mkdir -p "$tmp/shingle"
"$SHINGLE_BIN" --port 0 --tls-port "$shingle_port" --quic-port "$quic_port" "${tls_server[@]}" \
	--dir "$tmp/shingle" --maxclients "$maxclients" >"$tmp/shingle.log" 2>&1 &
shingle_pid=$!
pids+=("$shingle_pid")

# Redis 7.0 logs "Ready to accept connections"; 7.2 and Shingle add the
# listener's name.
wait_ready "$redis_pid" "$tmp/redis.log" "Ready to accept connections"
wait_ready "$shingle_pid" "$tmp/shingle.log" "Ready to accept connections tls"
wait_ready "$shingle_pid" "$tmp/shingle.log" "Ready to accept connections quic"
for port in "$redis_port" "$shingle_port"; do
	pong=$(redis-cli -h 127.0.0.1 -p "$port" "${tls_client[@]}" PING 2>&1) || true
	[ "$pong" = PONG ] || fail "redis-cli PING on TLS port $port answered: $pong"
done

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# --- memory per idle TLS connection, on the freshly started servers -----
# idle_conns NAME PID PORT: RSS before and with CONNS idle connections.
declare -A result
idle_conns() {
	local name=$1 pid=$2 port=$3 before after
	before=$(rss_kb "$pid")
	rm -f "$tmp/ctl"
	mkfifo "$tmp/ctl"
	"$tmp/bin/idleconns" -addr "127.0.0.1:$port" -n "$CONNS" "${go_tls[@]}" \
		<"$tmp/ctl" >"$tmp/idle-$name.out" 2>&1 &
	local idle=$!
	pids+=("$idle")
	exec 7>"$tmp/ctl" # idleconns holds its connections until this closes
	while ! grep -qx ready "$tmp/idle-$name.out"; do
		kill -0 "$idle" 2>/dev/null || fail "idleconns against $name failed: $(cat "$tmp/idle-$name.out")"
		sleep 0.2
	done
	after=$(rss_kb "$pid")
	local clients
	clients=$(redis-cli -h 127.0.0.1 -p "$port" "${tls_client[@]}" INFO clients | tr -d '\r' |
		awk -F: '/^connected_clients:/ { print $2 }')
	exec 7>&-
	wait "$idle" || fail "idleconns against $name exited with an error: $(cat "$tmp/idle-$name.out")"
	forget "$idle"
	result[$name,rss0]=$before
	result[$name,rss1]=$after
	result[$name,clients]=$clients
	result[$name,perconn]=$(((after - before) * 1024 / CONNS))
	echo "$name: RSS ${before} kB idle, ${after} kB with $CONNS TLS connections (connected_clients $clients)" >&2
}

echo "opening $CONNS idle TLS connections to each server ..." >&2
idle_conns redis "$redis_pid" "$redis_port"
idle_conns shingle "$shingle_pid" "$shingle_port"

# --- throughput ----------------------------------------------------------
suite=()
[ -n "$CIPHERSUITE" ] && suite=(--tls-ciphersuites "$CIPHERSUITE")
bench() {
	local name=$1 port=$2 pipeline=$3 log=$tmp/bench-$1-P$3.out
	echo "redis-benchmark $name -P $pipeline ..." >&2
	redis-benchmark -h 127.0.0.1 -p "$port" "${tls_client[@]}" "${suite[@]}" \
		-t set,get -n "$REQUESTS" -r "$KEYS" -c "$CLIENTS" -P "$pipeline" --csv >"$log" 2>&1 ||
		fail "redis-benchmark against $name failed: $(cat "$log")"
	# Anything but the CSV (a warning about CONFIG GET, say) is worth seeing.
	grep -v '^"' "$log" | sed "s/^/  $name -P $pipeline: /" >&2 || true
	local test rps
	while IFS=, read -r test rps _; do
		test=${test//\"/}
		rps=${rps//\"/}
		case "$test" in SET | GET) result[$name,$test,$pipeline]=$rps ;; esac
	done <"$log"
}
for pipeline in 1 16; do
	bench redis "$redis_port" "$pipeline"
	bench shingle "$shingle_port" "$pipeline"
done

# go-redis against Shingle over TLS and over QUIC (CLIENTS streams of one
# QUIC connection).
goredis() {
	local transport=$1 port=$2 test=$3 log=$tmp/goredis-$1-$3.out
	echo "go-redis $transport $test ..." >&2
	"$tmp/bin/goredis" -transport "$transport" -addr "127.0.0.1:$port" -t "$test" \
		-c "$CLIENTS" -n "$REQUESTS" -r "$KEYS" "${go_tls[@]}" >"$log" 2>&1 ||
		fail "go-redis over $transport failed: $(cat "$log")"
	result[goredis,$transport,$test]=$(cat "$log")
}
for test in set get; do
	goredis tls "$shingle_port" "$test"
	goredis quic "$quic_port" "$test"
done

# --- report --------------------------------------------------------------
echo
echo "Shingle vs redis-server $(redis_version), TLS 1.3 with client certificates${CIPHERSUITE:+ ($CIPHERSUITE)}"
echo "$(nproc) CPUs; redis-benchmark -c $CLIENTS -n $REQUESTS -r $KEYS; appendfsync everysec on both"
echo
printf '%-34s %14s %14s %14s\n' "" "redis-server" "shingle" "shingle/redis"
for pipeline in 1 16; do
	for test in SET GET; do
		r=${result[redis,$test,$pipeline]:-}
		s=${result[shingle,$test,$pipeline]:-}
		printf '%-34s %14s %14s %14s\n' "$test -P $pipeline (requests/s)" "${r:--}" "${s:--}" "$(ratio "$s" "$r")"
	done
done
r=${result[redis,perconn]}
s=${result[shingle,perconn]}
printf '%-34s %14s %14s %14s\n' "RSS per idle TLS conn (bytes)" "$r" "$s" "$(ratio "$s" "$r")"
printf '%-34s %14s %14s %14s\n' "RSS idle, no clients (kB)" "${result[redis,rss0]}" "${result[shingle,rss0]}" \
	"$(ratio "${result[shingle,rss0]}" "${result[redis,rss0]}")"
printf '%-34s %14s %14s %14s\n' "RSS with $CONNS conns (kB)" "${result[redis,rss1]}" "${result[shingle,rss1]}" \
	"$(ratio "${result[shingle,rss1]}" "${result[redis,rss1]}")"

echo
echo "Shingle over QUIC vs over TLS: go-redis, $CLIENTS clients (over QUIC, streams of one connection)"
echo
printf '%-34s %14s %14s %14s\n' "" "tls" "quic" "quic/tls"
for test in set get; do
	t=${result[goredis,tls,$test]}
	q=${result[goredis,quic,$test]}
	printf '%-34s %14s %14s %14s\n' "go-redis ${test^^} (requests/s)" "$t" "$q" "$(ratio "$q" "$t")"
done
