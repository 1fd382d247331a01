#!/usr/bin/env bash
# Failover time: a Shingle cluster and a redis-server cluster, each of
# three primaries with a replica each (redis-cli --cluster create
# --cluster-replicas 1), every link on TLS. The primary of a key is killed
# (kill -9); the time is from the kill to the first write of that key
# that succeeds through a cluster client (redis-cli -c, from a surviving
# node, tried again at once after every error). ROUNDS rounds per
# cluster, alternating, each on a new cluster; prints each round, the
# mean, and the ratio. See bench/README.md.
#
# Settings (environment variables):
#   ROUNDS=3          rounds per cluster
#   NODE_TIMEOUT=2000 cluster-node-timeout, in milliseconds, of both
#   SHINGLE_BIN=      a Shingle server binary to use instead of building
#                     ./cmd/embedded-demo
#   KEEP=             1: keep the temporary directory (logs, data)
set -euo pipefail

ROUNDS=${ROUNDS:-3}
NODE_TIMEOUT=${NODE_TIMEOUT:-2000}

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source-path=SCRIPTDIR/..
. bench/lib.sh

require_tools
for setting in ROUNDS NODE_TIMEOUT; do
	case "${!setting}" in '' | *[!0-9]* | 0) die "$setting must be a positive whole number, not '${!setting}'" ;; esac
done
make_tmp failover
make_certs
build_shingle

declare -A port pid ms
key=failover-key

now_ms() { date +%s%3N; }

# round NAME R: a new six-node cluster NAME, its key's primary killed.
round() {
	local name=$1 r=$2 i addrs=() owner victim survivor start end
	for i in 0 1 2 3 4 5; do
		start_cluster_node "$name" "$r$i" --cluster-node-timeout "$NODE_TIMEOUT"
		addrs+=("127.0.0.1:${port[$name,$r$i]}")
	done
	redis-cli "${tls_client[@]}" --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes \
		>"$tmp/create-$name-$r.out" 2>&1 || fail "redis-cli --cluster create of $name failed: $(cat "$tmp/create-$name-$r.out")"
	# Until every node agrees and the replicas are linked (their
	# primaries report them online).
	for _ in $(seq 600); do
		redis-cli "${tls_client[@]}" --cluster check "127.0.0.1:${port[$name,${r}0]}" >"$tmp/check.out" 2>&1 &&
			[ "$(grep -c "1 additional replica" "$tmp/check.out")" = 3 ] && break
		sleep 0.1
	done
	redis-cli "${tls_client[@]}" -c -p "${port[$name,${r}0]}" set "$key" before >/dev/null
	for _ in $(seq 600); do
		owner=$(redis-cli "${tls_client[@]}" -c -p "${port[$name,${r}0]}" cluster nodes |
			awk -v s="$(redis-cli "${tls_client[@]}" -p "${port[$name,${r}0]}" cluster keyslot "$key")" '
				$3 ~ /master/ { for (f = 9; f <= NF; f++) { split($f, a, "-"); if (s >= a[1] && s <= (a[2] == "" ? a[1] : a[2])) { split($2, h, "[:@]"); print h[2] } } }')
		[ -n "$owner" ] && redis-cli "${tls_client[@]}" -p "$owner" info replication | grep -q "slave0:.*state=online" && break
		sleep 0.1
	done
	victim= survivor=
	for i in 0 1 2 3 4 5; do
		if [ "${port[$name,$r$i]}" = "$owner" ]; then victim=$i; fi
	done
	[ -n "$victim" ] || fail "$name: found no primary of $key"
	for i in 0 1 2 3 4 5; do
		[ "$i" != "$victim" ] && [ -z "$survivor" ] && survivor=$i
	done
	start=$(now_ms)
	kill -9 "${pid[$name,$r$victim]}"
	until [ "$(redis-cli "${tls_client[@]}" -c -p "${port[$name,$r$survivor]}" set "$key" after 2>/dev/null)" = OK ]; do
		[ $(($(now_ms) - start)) -lt 120000 ] || fail "$name: no write of $key in 120 s after the kill"
	done
	end=$(now_ms)
	{ wait "${pid[$name,$r$victim]}"; } 2>/dev/null || true
	forget "${pid[$name,$r$victim]}"
	ms[$name]+="$((end - start)) "
	echo "round $r: $name took $((end - start)) ms" >&2
	for i in 0 1 2 3 4 5; do
		[ "$i" = "$victim" ] || kill "${pid[$name,$r$i]}" 2>/dev/null || true
	done
}

for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) -eq 1 ]; then order=(shingle redis); else order=(redis shingle); fi
	for name in "${order[@]}"; do
		round "$name" "$r"
	done
done

echo
echo "Failover, cluster-node-timeout $NODE_TIMEOUT ms, redis-server $(redis_version), TLS: ms from kill -9 of the primary to the first write"
printf '%-10s %-30s %8s\n' "" rounds mean
for name in shingle redis; do
	printf '%-10s %-30s %8s\n' "$name" "${ms[$name]}" "$(mean "${ms[$name]}")"
done
printf '%-41s %8s\n' "Shingle/Redis (time)" "$(ratio "$(mean "${ms[shingle]}")" "$(mean "${ms[redis]}")")"
