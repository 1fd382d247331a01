#!/usr/bin/env bash
# Moving a slot range that holds MB megabytes (4 KiB values), between two
# nodes of a three-node Shingle cluster with CLUSTER MIGRATESLOTS (atomic
# slot migration), beside the same move between two nodes of a three-node
# redis-server cluster with redis-cli --cluster reshard (SETSLOT and
# MIGRATE, its default pipeline of 10 keys), both with every link on TLS.
# Prints the time and MB/s of each and their ratio. See bench/README.md.
#
# Settings (environment variables):
#   MB=1024           megabytes of values in the slots moved
#   SLOTS=16          how many slots, from slot 0, hold them and move
#   SHINGLE_BIN=      a Shingle server binary to use instead of building
#                     ./cmd/embedded-demo
#   KEEP=             1: keep the temporary directory (logs, data)
set -euo pipefail

MB=${MB:-1024}
SLOTS=${SLOTS:-16}

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source-path=SCRIPTDIR/..
. bench/lib.sh

require_tools
for setting in MB SLOTS; do
	case "${!setting}" in '' | *[!0-9]* | 0) die "$setting must be a positive whole number, not '${!setting}'" ;; esac
done
[ "$SLOTS" -le 5461 ] || die "SLOTS must be at most 5461, the first node's share"
make_tmp migrate
make_certs
build_shingle
fill_bin=$tmp/slotfill
go build -o "$fill_bin" ./bench/slotfill

declare -A port pid seconds
names=(shingle redis)


cli() {
	local name=$1 i=$2
	shift 2
	redis-cli "${tls_client[@]}" -p "${port[$name,$i]}" "$@"
}

for name in "${names[@]}"; do
	for i in 0 1 2; do
		start_cluster_node "$name" "$i" --cluster-node-timeout 5000
	done
	redis-cli "${tls_client[@]}" --cluster create "127.0.0.1:${port[$name,0]}" "127.0.0.1:${port[$name,1]}" \
		"127.0.0.1:${port[$name,2]}" --cluster-yes >"$tmp/create-$name.out" 2>&1 ||
		fail "redis-cli --cluster create of $name failed: $(cat "$tmp/create-$name.out")"
	for _ in $(seq 300); do
		cli "$name" 0 cluster info 2>/dev/null | grep -q "cluster_state:ok" && break
		sleep 0.1
	done
	echo "loading $MB MB into slots 0-$((SLOTS - 1)) of $name ..." >&2
	"$fill_bin" -mb "$MB" -first 0 -last $((SLOTS - 1)) | cli "$name" 0 --pipe >"$tmp/fill-$name.out" 2>&1 ||
		fail "loading $name failed: $(cat "$tmp/fill-$name.out")"
done

for name in "${names[@]}"; do
	from=$(cli "$name" 0 cluster myid)
	to=$(cli "$name" 1 cluster myid)
	echo "moving the slots of $name ..." >&2
	start_s=$(date +%s.%N)
	case "$name" in
	shingle)
		out=$(cli shingle 0 cluster migrateslots slotsrange 0 $((SLOTS - 1)) node "$to")
		[ "$out" = OK ] || fail "CLUSTER MIGRATESLOTS: $out"
		while :; do
			state=$(cli shingle 0 cluster getslotmigrations | awk 'prev == "state" { s = $0 } { prev = $0 } END { print s }')
			case "$state" in
			done)
				# The source then deletes what it moved, as MIGRATE does
				# key by key: the move ends when it holds none.
				left=1
				while [ "$left" != 0 ]; do
					left=0
					for slot in $(seq 0 $((SLOTS - 1))); do
						left=$((left + $(cli shingle 0 cluster countkeysinslot "$slot")))
					done
				done
				break
				;;
			cancelled) fail "the migration was cancelled: $(cli shingle 0 cluster getslotmigrations)" ;;
			esac
			sleep 0.05
		done
		;;
	redis)
		redis-cli "${tls_client[@]}" --cluster reshard "127.0.0.1:${port[redis,0]}" --cluster-from "$from" \
			--cluster-to "$to" --cluster-slots "$SLOTS" --cluster-yes >"$tmp/reshard.out" 2>&1 ||
			fail "redis-cli --cluster reshard failed: $(tail -5 "$tmp/reshard.out")"
		;;
	esac
	end_s=$(date +%s.%N)
	seconds[$name]=$(awk -v a="$start_s" -v b="$end_s" 'BEGIN { printf "%.2f", b - a }')
	left=$(cli "$name" 0 cluster countkeysinslot 0)
	[ "$left" = 0 ] || fail "$name: $left keys left in slot 0 on the source"
	moved=$(cli "$name" 1 cluster countkeysinslot 0)
	[ "$moved" != 0 ] || fail "$name: no key of slot 0 on the target"
done

rate() { awk -v mb="$MB" -v s="$1" 'BEGIN { printf "%.1f", mb / s }'; }
echo
echo "Moving $SLOTS slots holding $MB MB (4 KiB values), redis-server $(redis_version), over TLS"
printf '%-40s %10s %10s\n' "" seconds "MB/s"
printf '%-40s %10s %10s\n' "Shingle CLUSTER MIGRATESLOTS" "${seconds[shingle]}" "$(rate "${seconds[shingle]}")"
printf '%-40s %10s %10s\n' "redis-cli --cluster reshard (Redis)" "${seconds[redis]}" "$(rate "${seconds[redis]}")"
printf '%-40s %10s\n' "Shingle/Redis (throughput)" "$(ratio "$(rate "${seconds[shingle]}")" "$(rate "${seconds[redis]}")")"
