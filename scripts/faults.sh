#!/usr/bin/env bash
# The cluster fault scenarios of netmode (TestClusterFault*: a primary
# killed, a primary or a replica partitioned, a slow and fragmented bus,
# every node restarted, and the linearizability check through a failover
# and a partition), ROUNDS times over, each round one
# `go test -race -run ClusterFault -count=1 ./netmode/`. Each scenario
# appends "scenario acknowledged lost violations" to the report that
# SHINGLE_FAULT_REPORT names; the script prints the totals per scenario and
# over all: rounds, writes acknowledged (by WAIT 1; by their reply in the
# linearizability scenario, which does not WAIT), acknowledged writes lost,
# and linearizability violations ("-" where a scenario does not check, "?"
# counts checks that timed out). It exits 1 when a round failed.
#
# Settings (environment variables):
#   ROUNDS=10          rounds
#   RUN=ClusterFault   the tests of a round (go test -run)
#   RACE=yes           build with the race detector (no: without)
#   TIMEOUT=5m         go test -timeout of a round: a round that hangs ends
#                      with every goroutine's stack in its output
#   KEEP=              1: keep the report and every round's go test output,
#                      and print where they are (kept anyway when a round
#                      failed)
set -euo pipefail

ROUNDS=${ROUNDS:-10}
RUN=${RUN:-ClusterFault}
RACE=${RACE:-yes}
TIMEOUT=${TIMEOUT:-5m}
KEEP=${KEEP:-}

cd "$(dirname "${BASH_SOURCE[0]}")/.."

tmp=$(mktemp -d "${TMPDIR:-/tmp}/shingle-faults.XXXXXX")
cleanup() {
	if [ -n "$KEEP" ]; then
		echo "${0##*/}: report and outputs kept in $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

race=()
[ "$RACE" = yes ] && race=(-race)
report=$tmp/report
: >"$report"

failed=0
for round in $(seq 1 "$ROUNDS"); do
	out=$tmp/round-$round.txt
	start=$SECONDS
	if SHINGLE_FAULT_REPORT=$report go test "${race[@]}" -run "$RUN" -count=1 -timeout "$TIMEOUT" -v ./netmode/ >"$out" 2>&1; then
		echo "round $round/$ROUNDS: ok ($((SECONDS - start)) s)" >&2
	else
		failed=$((failed + 1))
		KEEP=1
		echo "round $round/$ROUNDS: FAILED ($((SECONDS - start)) s), output in $out:" >&2
		grep -E -e '^(--- FAIL|panic:)|^    [a-z_]+_test\.go:[0-9]+: ' "$out" | tail -n 20 >&2 || tail -n 20 "$out" >&2
	fi
done

# One line per scenario and round: name acknowledged lost violations.
awk -v rounds="$ROUNDS" -v failed="$failed" '
{
	name = $1
	if (!(name in runs)) order[n++] = name
	runs[name]++; acked[name] += $2; lost[name] += $3
	if ($4 == "-") checked[name] += 0
	else if ($4 == "?") { unknown[name]++; checked[name]++ }
	else { viol[name] += $4; checked[name]++ }
	tacked += $2; tlost += $3
}
function cell(name) {
	if (!checked[name]) return "-"
	return viol[name] (unknown[name] ? " (" unknown[name] " ?)" : "")
}
END {
	printf "%-42s %6s %13s %6s %11s\n", "scenario", "rounds", "acknowledged", "lost", "violations"
	for (i = 0; i < n; i++) {
		s = order[i]
		printf "%-42s %6d %13d %6d %11s\n", s, runs[s], acked[s], lost[s], cell(s)
		tviol += viol[s]; tunknown += unknown[s]; any += checked[s]
	}
	t = any ? tviol (tunknown ? " (" tunknown " ?)" : "") : "-"
	printf "%-42s %6d %13d %6d %11s\n", "total", rounds, tacked, tlost, t
	printf "failed rounds: %d of %d\n", failed, rounds
}' "$report"

[ "$failed" -eq 0 ]
