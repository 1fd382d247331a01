#!/usr/bin/env bash
# A three-node Shingle cluster beside a three-node redis-server cluster,
# both with every link on TLS (tls-port only, tls-cluster yes, client
# certificates) and appendfsync everysec: redis-benchmark --cluster SET
# and GET at pipeline 1 and 16, then the cost of the cluster's own
# answers on one node: CLUSTER SLOTS (redis-benchmark), and GETs answered
# by a MOVED redirect (redis-cli --pipe, as redis-benchmark stops at an
# error reply). Each cell is the mean of RUNS runs that alternate the two
# clusters; the table gives Shingle/Redis. See bench/README.md.
#
# Settings (environment variables):
#   REQUESTS=100000   requests per redis-benchmark test (-n)
#   KEYS=100000       random key space (-r)
#   CLIENTS=50        redis-benchmark connections (-c)
#   RUNS=3            alternating runs; each cell is their mean
#   SHINGLE_BIN=      a Shingle server binary to use instead of building
#                     ./cmd/embedded-demo
#   KEEP=             1: keep the temporary directory (logs, data)
set -euo pipefail

REQUESTS=${REQUESTS:-100000}
KEYS=${KEYS:-100000}
CLIENTS=${CLIENTS:-50}
RUNS=${RUNS:-3}

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source-path=SCRIPTDIR/..
. bench/lib.sh

require_tools
case "$RUNS" in '' | *[!0-9]* | 0) die "RUNS must be a positive whole number, not '$RUNS'" ;; esac
make_tmp cluster
make_certs
build_shingle

declare -A port pid result
names=(shingle redis)


for name in "${names[@]}"; do
	for i in 0 1 2; do
		start_cluster_node "$name" "$i" --cluster-node-timeout 5000
	done
	addrs=()
	for i in 0 1 2; do
		addrs+=("127.0.0.1:${port[$name,$i]}")
	done
	redis-cli "${tls_client[@]}" --cluster create "${addrs[@]}" --cluster-yes >"$tmp/create-$name.out" 2>&1 ||
		fail "redis-cli --cluster create of $name failed: $(cat "$tmp/create-$name.out")"
	for _ in $(seq 300); do
		redis-cli "${tls_client[@]}" -p "${port[$name,0]}" cluster info 2>/dev/null | grep -q "cluster_state:ok" && break
		sleep 0.1
	done
done

# A key that node 1 owns, sent to node 0: every reply is a MOVED.
moved_key=
for n in $(seq 1000); do
	slot=$(redis-cli "${tls_client[@]}" -p "${port[redis,0]}" cluster keyslot "key:$n")
	if [ "$slot" -ge 5462 ] && [ "$slot" -le 10922 ]; then
		moved_key=key:$n
		break
	fi
done
[ -n "$moved_key" ] || die "found no key of the second node's slots"

# csv_rps LOG TEST: the requests/s redis-benchmark --csv printed for TEST.
csv_rps() {
	awk -F, -v t="\"$2\"" '$1 == t { gsub(/"/, "", $2); print $2 }' "$1"
}

# measure RUN NAME: every cell against cluster NAME.
measure() {
	local run=$1 name=$2 pipeline log rps
	for pipeline in 1 16; do
		log=$tmp/bench-$run-$name-P$pipeline.out
		echo "run $run/$RUNS: redis-benchmark --cluster $name -P $pipeline ..." >&2
		redis-benchmark --cluster -h 127.0.0.1 -p "${port[$name,0]}" "${tls_client[@]}" \
			-t set,get -n "$REQUESTS" -r "$KEYS" -c "$CLIENTS" -P "$pipeline" --csv >"$log" 2>&1 ||
			fail "redis-benchmark --cluster against $name failed: $(cat "$log")"
		for test in SET GET; do
			rps=$(csv_rps "$log" "$test")
			[ -n "$rps" ] || fail "no $test figure from $name: $(cat "$log")"
			result[$name,$test-P$pipeline]+="$rps "
		done
	done
	log=$tmp/slots-$run-$name.out
	redis-benchmark -h 127.0.0.1 -p "${port[$name,0]}" "${tls_client[@]}" -n "$REQUESTS" -c "$CLIENTS" \
		--csv cluster slots >"$log" 2>&1 || fail "CLUSTER SLOTS against $name failed: $(cat "$log")"
	result[$name,CLUSTER SLOTS]+="$(awk -F, 'NR == 2 { gsub(/"/, "", $2); print $2 }' "$log") "
	# redis-benchmark stops at an error reply: the MOVED replies are
	# counted by redis-cli --pipe, which sends them all pipelined.
	log=$tmp/moved-$run-$name.out
	local start end
	start=$(date +%s.%N)
	redis-cli -h 127.0.0.1 -p "${port[$name,0]}" "${tls_client[@]}" --pipe <"$tmp/moved.resp" >"$log" 2>&1 || true
	end=$(date +%s.%N)
	grep -q "errors: $REQUESTS, replies: $REQUESTS" "$log" || fail "the MOVED run against $name: $(cat "$log")"
	result[$name,GET answered MOVED]+="$(awk -v n="$REQUESTS" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }') "
}

awk -v n="$REQUESTS" -v k="$moved_key" 'BEGIN { for (i = 0; i < n; i++) printf "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", length(k), k }' >"$tmp/moved.resp"

for run in $(seq "$RUNS"); do
	if [ $((run % 2)) -eq 1 ]; then order=(shingle redis); else order=(redis shingle); fi
	for name in "${order[@]}"; do
		measure "$run" "$name"
	done
done


echo
echo "Three-node clusters over TLS, redis-server $(redis_version), $RUNS alternating runs, requests/s (mean)"
printf '%-22s %12s %12s %8s\n' cell Shingle Redis ratio
for cell in SET-P1 GET-P1 SET-P16 GET-P16 "CLUSTER SLOTS" "GET answered MOVED"; do
	s=$(mean "${result[shingle,$cell]}")
	r=$(mean "${result[redis,$cell]}")
	printf '%-22s %12s %12s %8s\n' "$cell" "$s" "$r" "$(ratio "$s" "$r")"
done
