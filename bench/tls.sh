#!/usr/bin/env bash
# Shingle beside two stock redis-servers, one with the append-only file
# (appendfsync everysec, Shingle's own default) and one with no persistence
# at all: redis-benchmark SET and GET throughput at pipeline 1 and 16, over
# TLS with client certificates and over plain TCP, as the mean of RUNS runs
# that alternate the servers cell by cell; optionally with the servers and
# redis-benchmark pinned to separate CPUs, beside the unpinned figures. Then
# the resident memory each server spends per idle TLS connection, and
# Shingle over QUIC beside Shingle over TLS. Prints a table of every cell with
# its ratios. See bench/README.md.
#
# Settings (environment variables):
#   REQUESTS=100000   requests per redis-benchmark test (-n)
#   KEYS=100000       random key space (-r)
#   CLIENTS=50        redis-benchmark connections (-c)
#   RUNS=3            alternating runs; each cell is their mean
#   PINNED=no         no: servers and clients share every CPU; yes: servers
#                     on SERVER_CPUS, clients on CLIENT_CPUS (taskset);
#                     both: a pass of each, unpinned first. The default is
#                     yes when SERVER_CPUS or CLIENT_CPUS is set
#   SERVER_CPUS=0     taskset -c list of the servers when pinned; Shingle
#                     gets GOMAXPROCS = the number of CPUs in it
#   CLIENT_CPUS=1     taskset -c list of redis-benchmark and the Go clients
#   MEMORY=1          0: skip the memory per idle connection
#   CONNS=10000       idle TLS connections for the memory measurement
#   QUIC=1            0: skip Shingle over QUIC vs over TLS
#   CIPHERSUITE=TLS_AES_128_GCM_SHA256
#                     TLS 1.3 suite redis-benchmark asks the servers for;
#                     empty for each side's own preference
#   SHINGLE_BIN=      a Shingle server binary to use instead of building
#                     ./cmd/embedded-demo
#   KEEP=             1: keep the temporary directory (logs, data) and
#                     print where it is
set -euo pipefail

REQUESTS=${REQUESTS:-100000}
KEYS=${KEYS:-100000}
CLIENTS=${CLIENTS:-50}
RUNS=${RUNS:-3}
CONNS=${CONNS:-10000}
MEMORY=${MEMORY:-1}
QUIC=${QUIC:-1}
CIPHERSUITE=${CIPHERSUITE-TLS_AES_128_GCM_SHA256}
if [ -n "${SERVER_CPUS:-}${CLIENT_CPUS:-}" ]; then
	PINNED=${PINNED:-yes}
else
	PINNED=${PINNED:-no}
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source-path=SCRIPTDIR/..
. bench/lib.sh

require_tools

case "$RUNS" in '' | *[!0-9]* | 0) die "RUNS must be a positive whole number, not '$RUNS'" ;; esac
for setting in MEMORY QUIC; do
	case "${!setting}" in 0 | 1) ;; *) die "$setting must be 1 or 0, not '${!setting}'" ;; esac
done

case "$PINNED" in
no) modes=(unpinned) ;;
yes) modes=(pinned) ;;
both) modes=(unpinned pinned) ;;
*) die "PINNED must be no, yes or both, not '$PINNED'" ;;
esac
if [ "$PINNED" != no ]; then
	command -v taskset >/dev/null || die "taskset not found (PINNED=$PINNED): install it with
    sudo apt-get install util-linux"
	SERVER_CPUS=${SERVER_CPUS:-0}
	CLIENT_CPUS=${CLIENT_CPUS:-1}
	# ncpus LIST: how many CPUs of this machine the taskset list names. nproc
	# counts the CPUs it may run on, unless told otherwise by OpenMP's
	# variables.
	ncpus() {
		env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT taskset -c "$1" nproc 2>/dev/null ||
			die "'$1' is not a taskset -c list of CPUs this machine has (it has $(nproc): 0-$(($(nproc) - 1)))"
	}
	server_ncpus=$(ncpus "$SERVER_CPUS")
	client_ncpus=$(ncpus "$CLIENT_CPUS")
	if [ "$(ncpus "$SERVER_CPUS,$CLIENT_CPUS")" -ne $((server_ncpus + client_ncpus)) ]; then
		echo "${0##*/}: warning: SERVER_CPUS=$SERVER_CPUS and CLIENT_CPUS=$CLIENT_CPUS share CPUs" >&2
	fi
fi

# Every server holds CLIENTS sockets, or CONNS for the memory measurement,
# and so does the client that opens them.
conns=$CLIENTS
[ "$MEMORY" = 1 ] && [ "$CONNS" -gt "$conns" ] && conns=$CONNS
need=$((conns + 1024))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
	ulimit -Hn "$need" 2>/dev/null ||
		die "open files hard limit is $hard, $conns connections need $need: raise it (e.g. as root) or set CONNS lower"
fi
ulimit -n "$need"
maxclients=$((conns + 100))

make_tmp tls
make_certs

# --- programs ------------------------------------------------------------
echo "building Shingle and the Go clients it needs ..." >&2
[ "$MEMORY" = 1 ] && go build -o "$tmp/bin/idleconns" ./bench/idleconns
[ "$QUIC" = 1 ] && go build -o "$tmp/bin/goredis" ./bench/goredis
build_shingle

servers=(redis-aof redis-nopersist shingle)
declare -A result # every figure, keyed by what it measures
declare -A pid port

# pin MODE: the command prefixes of that mode. server and client are
# taskset -c with their CPU list when pinned, nothing otherwise;
# shingle_env sets GOMAXPROCS to the servers' CPU count when pinned.
pin() {
	server=() client=() shingle_env=()
	if [ "$1" = pinned ]; then
		server=(taskset -c "$SERVER_CPUS")
		client=(taskset -c "$CLIENT_CPUS")
		shingle_env=(GOMAXPROCS="$server_ncpus")
	fi
}

# start_servers MODE: the three servers, each on a free TLS port and a
# free plain TCP port of 127.0.0.1 (Shingle also on a QUIC port when
# QUIC=1), with fresh data directories, and wait until all answer PING on
# both ports. Sets pid[NAME] and port[NAME,tls|tcp|quic].
start_servers() {
	local mode=$1 name persist
	for name in redis-aof redis-nopersist; do
		if [ "$name" = redis-aof ]; then
			persist=(--appendonly yes --appendfsync everysec)
		else
			persist=(--appendonly no)
		fi
		port[$name,tls]=$(free_port)
		port[$name,tcp]=$(free_port)
		mkdir -p "$tmp/$mode/$name"
		"${server[@]}" redis-server --bind 127.0.0.1 --port "${port[$name,tcp]}" \
			--tls-port "${port[$name,tls]}" "${tls_server[@]}" --save "" "${persist[@]}" \
			--dir "$tmp/$mode/$name" --maxclients "$maxclients" \
			--daemonize no --logfile "" >"$tmp/$mode-$name.log" 2>&1 &
		pid[$name]=$!
		pids+=("${pid[$name]}")
	done

	local quic=()
	port[shingle,tls]=$(free_port)
	port[shingle,tcp]=$(free_port)
	if [ "$QUIC" = 1 ]; then
		# A port no TCP listener holds is, in all likelihood, free for UDP too.
		port[shingle,quic]=$(free_port)
		quic=(--quic-port "${port[shingle,quic]}")
	fi
	mkdir -p "$tmp/$mode/shingle"
	env "${shingle_env[@]}" "${server[@]}" "$SHINGLE_BIN" --port "${port[shingle,tcp]}" \
		--tls-port "${port[shingle,tls]}" "${quic[@]}" "${tls_server[@]}" \
		--dir "$tmp/$mode/shingle" --maxclients "$maxclients" >"$tmp/$mode-shingle.log" 2>&1 &
	pid[shingle]=$!
	pids+=("${pid[shingle]}")

	# Redis 7.0 logs "Ready to accept connections"; 7.2 and Shingle add the
	# listener's name.
	for name in redis-aof redis-nopersist; do
		wait_ready "${pid[$name]}" "$tmp/$mode-$name.log" "Ready to accept connections"
	done
	wait_ready "${pid[shingle]}" "$tmp/$mode-shingle.log" "Ready to accept connections tcp"
	wait_ready "${pid[shingle]}" "$tmp/$mode-shingle.log" "Ready to accept connections tls"
	[ "$QUIC" = 1 ] && wait_ready "${pid[shingle]}" "$tmp/$mode-shingle.log" "Ready to accept connections quic"
	local pong
	for name in "${servers[@]}"; do
		pong=$(redis-cli -h 127.0.0.1 -p "${port[$name,tls]}" "${tls_client[@]}" PING 2>&1) || true
		[ "$pong" = PONG ] || fail "redis-cli PING on $name's TLS port answered: $pong"
		pong=$(redis-cli -h 127.0.0.1 -p "${port[$name,tcp]}" PING 2>&1) || true
		[ "$pong" = PONG ] || fail "redis-cli PING on $name's TCP port answered: $pong"
	done
}

stop_servers() {
	local name
	for name in "${servers[@]}"; do
		stop "${pid[$name]}"
	done
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# idle_conns NAME: RSS of server NAME before and with CONNS idle TLS
# connections.
idle_conns() {
	local name=$1 server_pid=${pid[$1]} tls_port=${port[$1,tls]} before after
	before=$(rss_kb "$server_pid")
	rm -f "$tmp/ctl"
	mkfifo "$tmp/ctl"
	"${client[@]}" "$tmp/bin/idleconns" -addr "127.0.0.1:$tls_port" -n "$CONNS" "${go_tls[@]}" \
		<"$tmp/ctl" >"$tmp/idle-$name.out" 2>&1 &
	local idle=$!
	pids+=("$idle")
	exec 7>"$tmp/ctl" # idleconns holds its connections until this closes
	while ! grep -qx ready "$tmp/idle-$name.out"; do
		kill -0 "$idle" 2>/dev/null || fail "idleconns against $name failed: $(cat "$tmp/idle-$name.out")"
		sleep 0.2
	done
	after=$(rss_kb "$server_pid")
	local clients
	clients=$(redis-cli -h 127.0.0.1 -p "$tls_port" "${tls_client[@]}" INFO clients | tr -d '\r' |
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

suite=()
[ -n "$CIPHERSUITE" ] && suite=(--tls-ciphersuites "$CIPHERSUITE")

# bench MODE RUN NAME TRANSPORT PIPELINE: redis-benchmark SET then GET
# against server NAME; result[MODE,NAME,TRANSPORT,TEST,PIPELINE] gets the
# requests/s of each test appended.
bench() {
	local mode=$1 run=$2 name=$3 transport=$4 pipeline=$5
	local log=$tmp/bench-$mode-$run-$name-$transport-P$pipeline.out flags=()
	[ "$transport" = tls ] && flags=("${tls_client[@]}" "${suite[@]}")
	echo "run $run/$RUNS ($mode): redis-benchmark $name $transport -P $pipeline ..." >&2
	"${client[@]}" redis-benchmark -h 127.0.0.1 -p "${port[$name,$transport]}" "${flags[@]}" \
		-t set,get -n "$REQUESTS" -r "$KEYS" -c "$CLIENTS" -P "$pipeline" --csv >"$log" 2>&1 ||
		fail "redis-benchmark against $name over $transport failed: $(cat "$log")"
	# Anything but the CSV (a warning about CONFIG GET, say) is worth seeing.
	grep -v '^"' "$log" | sed "s/^/  $name $transport -P $pipeline: /" >&2 || true
	local test rps got=
	while IFS=, read -r test rps _; do
		test=${test//\"/}
		rps=${rps//\"/}
		case "$test" in
		SET | GET)
			result[$mode,$name,$transport,$test,$pipeline]+="$rps "
			got+=$test
			;;
		esac
	done <"$log"
	[ "$got" = SETGET ] || fail "redis-benchmark against $name over $transport printed no SET and GET figures: $(cat "$log")"
}

# goredis TRANSPORT TEST: go-redis against Shingle over TLS or QUIC
# (CLIENTS streams of one QUIC connection).
goredis() {
	local transport=$1 test=$2 log=$tmp/goredis-$1-$2.out
	echo "go-redis $transport $test ..." >&2
	"${client[@]}" "$tmp/bin/goredis" -transport "$transport" -addr "127.0.0.1:${port[shingle,$transport]}" \
		-t "$test" -c "$CLIENTS" -n "$REQUESTS" -r "$KEYS" "${go_tls[@]}" >"$log" 2>&1 ||
		fail "go-redis over $transport failed: $(cat "$log")"
	result[goredis,$transport,$test]=$(cat "$log")
}

# --- the passes ----------------------------------------------------------
# One pass per mode, each with fresh servers. Within a pass, run after
# run, every cell goes to each server in turn, so that whatever slows the
# machine for a while falls on all three alike. The memory and QUIC
# measurements happen in the first pass only, the memory one on the
# freshly started servers (before any benchmark data, so that a Go heap
# left over from the benchmark cannot absorb the connections).
first=${modes[0]}
for mode in "${modes[@]}"; do
	pin "$mode"
	echo "$mode: starting redis-aof, redis-nopersist and shingle ..." >&2
	start_servers "$mode"
	if [ "$mode" = "$first" ] && [ "$MEMORY" = 1 ]; then
		echo "opening $CONNS idle TLS connections to redis-aof and shingle ..." >&2
		idle_conns redis-aof
		idle_conns shingle
	fi
	for run in $(seq "$RUNS"); do
		for transport in tls tcp; do
			for pipeline in 1 16; do
				for name in "${servers[@]}"; do
					bench "$mode" "$run" "$name" "$transport" "$pipeline"
				done
			done
		done
	done
	if [ "$mode" = "$first" ] && [ "$QUIC" = 1 ]; then
		for test in set get; do
			goredis tls "$test"
			goredis quic "$test"
		done
	fi
	stop_servers
done

# --- report --------------------------------------------------------------
# figure VALUES: their mean in requests/s, and with several runs, +-half
# their range as a percentage of the mean.
figure() {
	awk -v v="$1" 'BEGIN {
		n = split(v, x, " ")
		for (i = 1; i <= n; i++) {
			s += x[i]
			if (i == 1 || x[i] < lo) lo = x[i]
			if (i == 1 || x[i] > hi) hi = x[i]
		}
		if (n == 1) printf "%.0f", s
		else printf "%.0f +-%.0f%%", s / n, (hi - lo) / 2 / (s / n) * 100
	}'
}

# ratios A B: the ratio of the means of the runs in A and in B, and with
# several runs, in parentheses the lowest and highest ratio of one run's
# A to the same run's B.
ratios() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		n = split(a, x, " ")
		if (split(b, y, " ") != n) { print "-"; exit }
		for (i = 1; i <= n; i++) {
			sa += x[i]
			sb += y[i]
			r = x[i] / y[i]
			if (i == 1 || r < lo) lo = r
			if (i == 1 || r > hi) hi = r
		}
		if (n == 1) printf "%.2f", sa / sb
		else printf "%.2f (%.2f-%.2f)", sa / sb, lo, hi
	}'
}

# cpus LIST COUNT: "CPU 0" or "CPUs 0-3".
cpus() { if [ "$2" -eq 1 ]; then echo "CPU $1"; else echo "CPUs $1"; fi; }

row() { printf '%-15s %15s %16s %15s %17s %18s\n' "$@"; }

echo
echo "Shingle vs redis-server $(redis_version): redis-benchmark -t set,get -c $CLIENTS -n $REQUESTS -r $KEYS"
echo "over TLS 1.3 with client certificates${CIPHERSUITE:+ ($CIPHERSUITE)} and over plain TCP; $(nproc) CPUs"
echo "redis-aof: appendonly yes, appendfsync everysec; redis-nopersist: save \"\", appendonly no;"
echo "shingle: appendfsync everysec (its default)"
if [ "$RUNS" -gt 1 ]; then
	echo "requests/s: mean of $RUNS alternating runs +-half their range; ratios of the means (lowest-highest run)"
else
	echo "requests/s of one run"
fi
echo
row "" redis-aof redis-nopersist shingle shingle/aof shingle/nopersist
for mode in "${modes[@]}"; do
	if [ "$mode" = pinned ]; then
		echo "pinned: servers on $(cpus "$SERVER_CPUS" "$server_ncpus") (shingle GOMAXPROCS=$server_ncpus)," \
			"redis-benchmark on $(cpus "$CLIENT_CPUS" "$client_ncpus")"
	else
		echo "unpinned: servers and redis-benchmark share the $(nproc) CPUs"
	fi
	for transport in tls tcp; do
		for pipeline in 1 16; do
			for test in SET GET; do
				key=$transport,$test,$pipeline
				a=${result[$mode,redis-aof,$key]}
				p=${result[$mode,redis-nopersist,$key]}
				s=${result[$mode,shingle,$key]}
				row "${transport^^} $test -P $pipeline" "$(figure "$a")" "$(figure "$p")" "$(figure "$s")" \
					"$(ratios "$s" "$a")" "$(ratios "$s" "$p")"
			done
		done
	done
done

# In which pass the memory and QUIC figures were taken, when that is not
# the only one or not the usual unpinned one.
where=
[ "${#modes[@]}" -gt 1 ] || [ "$first" = pinned ] && where=", $first"

if [ "$MEMORY" = 1 ]; then
	echo
	echo "Memory per idle TLS connection, $CONNS connections$where"
	echo
	printf '%-34s %14s %14s %14s\n' "" "redis-aof" "shingle" "shingle/aof"
	printf '%-34s %14s %14s %14s\n' "RSS per idle TLS conn (bytes)" "${result[redis-aof,perconn]}" \
		"${result[shingle,perconn]}" "$(ratio "${result[shingle,perconn]}" "${result[redis-aof,perconn]}")"
	printf '%-34s %14s %14s %14s\n' "RSS idle, no clients (kB)" "${result[redis-aof,rss0]}" \
		"${result[shingle,rss0]}" "$(ratio "${result[shingle,rss0]}" "${result[redis-aof,rss0]}")"
	printf '%-34s %14s %14s %14s\n' "RSS with $CONNS conns (kB)" "${result[redis-aof,rss1]}" \
		"${result[shingle,rss1]}" "$(ratio "${result[shingle,rss1]}" "${result[redis-aof,rss1]}")"
fi

if [ "$QUIC" = 1 ]; then
	echo
	echo "Shingle over QUIC vs over TLS: go-redis, $CLIENTS clients (over QUIC, streams of one connection)$where"
	echo
	printf '%-34s %14s %14s %14s\n' "" "tls" "quic" "quic/tls"
	for test in set get; do
		t=${result[goredis,tls,$test]}
		q=${result[goredis,quic,$test]}
		printf '%-34s %14s %14s %14s\n' "go-redis ${test^^} (requests/s)" "$t" "$q" "$(ratio "$q" "$t")"
	done
fi
