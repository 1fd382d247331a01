#!/usr/bin/env bash
# Shingle beside a stock redis-server (append-only file, appendfsync
# everysec, Shingle's own default) on the collection types, over plain
# TCP: redis-benchmark's LPUSH, LPOP, SADD and ZADD tests, ZRANGE 0 99 of a
# sorted set of 1000 members, and ZRANK of random members of a sorted set
# of a million. Each cell is the mean of RUNS runs that alternate the two
# servers; prints requests/s and the ratio Shingle/Redis. See
# bench/README.md.
#
# Settings (environment variables):
#   REQUESTS=100000   requests per redis-benchmark test (-n)
#   CLIENTS=50        redis-benchmark connections (-c)
#   PIPELINE=1        redis-benchmark -P
#   RUNS=3            alternating runs; each cell is their mean
#   BIG=1000000       members of the sorted set ZRANK reads
#   SHINGLE_BIN=      a Shingle server binary to use instead of building
#                     ./cmd/embedded-demo
#   KEEP=             1: keep the temporary directory (logs, data)
set -euo pipefail

REQUESTS=${REQUESTS:-100000}
CLIENTS=${CLIENTS:-50}
PIPELINE=${PIPELINE:-1}
RUNS=${RUNS:-3}
BIG=${BIG:-1000000}
SHINGLE_BIN=${SHINGLE_BIN:-}
KEEP=${KEEP:-}

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source-path=SCRIPTDIR/..
. bench/lib.sh

require_tools
for setting in REQUESTS CLIENTS PIPELINE RUNS BIG; do
	case "${!setting}" in '' | *[!0-9]* | 0) die "$setting must be a positive whole number, not '${!setting}'" ;; esac
done

make_tmp types
build_shingle

declare -A port pid result
servers=(redis shingle)
port[redis]=$(free_port)
port[shingle]=$(free_port)
mkdir -p "$tmp/redis" "$tmp/shingle"
redis-server --bind 127.0.0.1 --port "${port[redis]}" --dir "$tmp/redis" --save "" \
	--appendonly yes --appendfsync everysec >"$tmp/redis.log" 2>&1 &
pid[redis]=$!
pids+=("${pid[redis]}")
"$SHINGLE_BIN" --port "${port[shingle]}" --dir "$tmp/shingle" >"$tmp/shingle.log" 2>&1 &
pid[shingle]=$!
pids+=("${pid[shingle]}")
wait_ready "${pid[redis]}" "$tmp/redis.log" "Ready to accept connections"
wait_ready "${pid[shingle]}" "$tmp/shingle.log" "Ready to accept connections tcp"

# fill NAME: the sorted sets the read tests use: zsmall (members m:0 to
# m:999) and zbig (BIG members named as redis-benchmark's __rand_int__
# expands, m:000000000000 on, scored by their number).
fill() {
	echo "filling $1's sorted sets ..." >&2
	awk -v n=1000 -v big="$BIG" 'BEGIN {
		for (start = 0; start < n; start += 500) {
			printf "*%d\r\n$4\r\nZADD\r\n$6\r\nzsmall\r\n", 2 + 2 * 500
			for (i = start; i < start + 500; i++) {
				s = i ""; m = "m:" i
				printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(s), s, length(m), m
			}
		}
		for (start = 0; start < big; start += 1000) {
			k = (big - start < 1000) ? big - start : 1000
			printf "*%d\r\n$4\r\nZADD\r\n$4\r\nzbig\r\n", 2 + 2 * k
			for (i = start; i < start + k; i++) {
				s = i ""; m = sprintf("m:%012d", i)
				printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(s), s, length(m), m
			}
		}
	}' | redis-cli -h 127.0.0.1 -p "${port[$1]}" --pipe >"$tmp/fill-$1.out" 2>&1 ||
		fail "filling $1 failed: $(cat "$tmp/fill-$1.out")"
	local n
	n=$(redis-cli -h 127.0.0.1 -p "${port[$1]}" ZCARD zbig)
	[ "$n" = "$BIG" ] || fail "$1 holds $n members in zbig, want $BIG"
}
for name in "${servers[@]}"; do
	fill "$name"
done

# bench RUN NAME: every test against server NAME; result[NAME,TEST] gets
# the requests/s of each appended.
tests=(LPUSH LPOP SADD ZADD "ZRANGE 0 99" "ZRANK (1M)")
bench() {
	local run=$1 name=$2 log=$tmp/bench-$1-$2.out
	local flags=(-h 127.0.0.1 -p "${port[$name]}" -n "$REQUESTS" -c "$CLIENTS" -P "$PIPELINE" --csv)
	echo "run $run/$RUNS: redis-benchmark against $name ..." >&2
	{
		redis-benchmark "${flags[@]}" -t lpush,lpop,sadd,zadd
		redis-benchmark "${flags[@]}" ZRANGE zsmall 0 99
		redis-benchmark "${flags[@]}" -r "$BIG" ZRANK zbig m:__rand_int__
	} >"$log" 2>&1 || fail "redis-benchmark against $name failed: $(cat "$log")"
	local test rps
	while IFS=, read -r test rps _; do
		test=${test//\"/}
		rps=${rps//\"/}
		case "$test" in
		LPUSH | LPOP | SADD | ZADD) ;;
		"ZRANGE zsmall 0 99") test="ZRANGE 0 99" ;;
		"ZRANK zbig m:__rand_int__") test="ZRANK (1M)" ;;
		*) continue ;;
		esac
		result[$name,$test]+="$rps "
	done <"$log"
	for test in "${tests[@]}"; do
		[ -n "${result[$name,$test]:-}" ] || fail "redis-benchmark against $name printed no $test figure: $(cat "$log")"
	done
}

for run in $(seq "$RUNS"); do
	if [ $((run % 2)) = 1 ]; then order=(redis shingle); else order=(shingle redis); fi
	for name in "${order[@]}"; do
		bench "$run" "$name"
	done
done

echo "Shingle vs redis-server $(redis_version) (appendfsync everysec): redis-benchmark -c $CLIENTS -n $REQUESTS -P $PIPELINE, plain TCP, mean of $RUNS runs"
printf '%-14s %12s %12s %8s\n' test redis shingle ratio
for test in "${tests[@]}"; do
	r=$(mean "${result[redis,$test]}")
	s=$(mean "${result[shingle,$test]}")
	printf '%-14s %12s %12s %8s\n' "$test" "$r" "$s" "$(ratio "$s" "$r")"
done
