# shellcheck shell=bash
# Helpers of the bench/*.sh scripts, which source this file
# once they are in the repository's root. Not a script of its own.
#
# What it shares with them: tmp (the temporary directory), pids (the
# processes to end on exit), pki and the tls_* and go_tls flag arrays,
# and the settings SHINGLE_BIN and KEEP, which the scripts' headers
# describe.

SHINGLE_BIN=${SHINGLE_BIN:-}
KEEP=${KEEP:-}

# die MESSAGE: print MESSAGE after the script's name, and exit 1.
die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# require_tools: die, saying how to install them, unless redis-server,
# redis-benchmark, redis-cli, openssl and go are all on PATH.
require_tools() {
	local tool missing=()
	for tool in redis-server redis-benchmark redis-cli; do
		command -v "$tool" >/dev/null || missing+=("$tool")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		die "${missing[*]} not found: install them with
    sudo apt-get install redis-server redis-tools"
	fi
	command -v openssl >/dev/null || die "openssl not found: install it with
    sudo apt-get install openssl"
	command -v go >/dev/null || die "go not found: building Shingle needs Go 1.26 (https://go.dev/dl/)"
}

# make_tmp NAME: a new temporary directory, tmp, and an empty pids. On
# exit, also when interrupted, every process in pids is ended and tmp is
# removed (kept when KEEP is set).
make_tmp() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/shingle-$1-bench.XXXXXX")
	pids=()
	trap cleanup EXIT
	trap 'exit 130' INT TERM
}

cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "$KEEP" ]; then
		echo "${0##*/}: logs and data kept in $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}

# forget PID: it was reaped, so its number must never be signalled again.
forget() {
	local i
	for i in "${!pids[@]}"; do
		[ "${pids[$i]}" = "$1" ] && unset "pids[$i]"
	done
	return 0
}

# stop PID: end a server gracefully and reap it.
stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	forget "$1"
}

# fail MESSAGE: die, after the end of every server's log ($tmp/*.log; the
# output of clients goes to *.out).
fail() {
	local log
	for log in "$tmp"/*.log; do
		[ -e "$log" ] || continue
		echo "--- last lines of $(basename "$log")" >&2
		tail -n 40 "$log" >&2
	done
	die "$*"
}

# make_certs: in $tmp/pki (pki), a CA, a server pair for 127.0.0.1 and
# localhost, and a client pair; sets the flags that use them: tls_server
# (redis-server and Shingle, with tls-auth-clients yes), tls_client
# (redis-cli and redis-benchmark) and go_tls (the Go clients in bench/).
# shellcheck disable=SC2034 # the flag arrays are the scripts'
make_certs() {
	pki=$tmp/pki
	mkdir -p "$pki"
	(
		cd "$pki"
		openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-keyout ca.key -out ca.crt -days 2 -subj "/O=Shingle bench/CN=Shingle bench CA" 2>/dev/null
		printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=digitalSignature" \
			"extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >server.ext
		printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=digitalSignature" \
			"extendedKeyUsage=clientAuth" >client.ext
		for leaf in server client; do
			openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
				-keyout $leaf.key -out $leaf.csr -subj "/O=Shingle bench/CN=$leaf" 2>/dev/null
			openssl x509 -req -in $leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
				-days 2 -extfile $leaf.ext -out $leaf.crt 2>/dev/null
		done
	) || die "openssl could not make the certificates"
	tls_server=(--tls-cert-file "$pki/server.crt" --tls-key-file "$pki/server.key"
		--tls-ca-cert-file "$pki/ca.crt" --tls-auth-clients yes)
	tls_client=(--tls --cacert "$pki/ca.crt" --cert "$pki/client.crt" --key "$pki/client.key")
	go_tls=(-cacert "$pki/ca.crt" -cert "$pki/client.crt" -key "$pki/client.key")
}

# build_shingle: build ./cmd/embedded-demo into $tmp/bin and point
# SHINGLE_BIN at it, unless SHINGLE_BIN names a binary already.
build_shingle() {
	if [ -z "$SHINGLE_BIN" ]; then
		go build -o "$tmp/bin/shingle" ./cmd/embedded-demo
		SHINGLE_BIN=$tmp/bin/shingle
	fi
}

# free_port prints a TCP port nobody listens on, below the ephemeral range
# so that no outgoing connection holds it either.
used_ports=" "
free_port() {
	local p
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % 12000))
		case "$used_ports" in *" $p "*) continue ;; esac
		# Nothing answers: nothing listens.
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			used_ports+="$p "
			echo "$p"
			return
		fi
	done
	die "found no free port"
}

# wait_ready PID LOG PATTERN: until LOG has a line matching PATTERN, or
# the process dies, or 30 seconds pass.
wait_ready() {
	local pid=$1 log=$2 pattern=$3
	for _ in $(seq 300); do
		grep -q -- "$pattern" "$log" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || fail "server exited before it was ready ($log)"
		sleep 0.1
	done
	fail "server not ready after 30s ($log)"
}

# redis_version prints the version of redis-server, 7.0.15 say.
redis_version() {
	redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'
}

# mean "N N ...": the mean of the numbers, rounded; nothing for none.
mean() { awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; if (NF) printf "%.0f", s / NF }' <<<"$1"; }

# ratio A B prints A/B to two places, or - when either is missing or B is 0.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'
}

# start_cluster_node NAME I [FLAGS...]: node I of cluster NAME (shingle or
# redis), cluster-enabled, on a TLS port and bus port of its own
# (tls-port only, tls-cluster and tls-replication yes, client
# certificates, appendfsync everysec), with FLAGS added; port[NAME,I] and
# pid[NAME,I] say where it is. The scripts declare port and pid with
# declare -A.
start_cluster_node() {
	local name=$1 i=$2 p bus dir log
	shift 2
	p=$(free_port)
	bus=$(free_port)
	dir=$tmp/$name-$i
	log=$tmp/$name-$i.log
	mkdir -p "$dir"
	local flags=(--port 0 --tls-port "$p" --bind 127.0.0.1 --dir "$dir" "${tls_server[@]}"
		--tls-cluster yes --tls-replication yes --cluster-enabled yes --cluster-port "$bus"
		--appendfsync everysec "$@")
	case "$name" in
	shingle)
		"$SHINGLE_BIN" "${flags[@]}" >"$log" 2>&1 &
		pid[$name,$i]=$!
		pids+=("$!")
		wait_ready "$!" "$log" "Ready to accept connections tls"
		;;
	redis)
		redis-server "${flags[@]}" --appendonly yes --save "" --logfile "$log" &
		pid[$name,$i]=$!
		pids+=("$!")
		wait_ready "$!" "$log" "Ready to accept connections"
		;;
	esac
	port[$name,$i]=$p
}
