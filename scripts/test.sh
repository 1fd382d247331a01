#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs the stock Redis tools
# the interop and differential tests drive when they are missing, checks
# formatting, then runs go vet and the race-enabled tests. CI runs exactly
# this (see .ci/run); it fails when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null || ! command -v redis-benchmark >/dev/null; then
	sudo=""
	if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
	$sudo apt-get update
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y redis-tools redis-server
fi

unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "gofmt: these files need formatting:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
go test -race -timeout 30m ./...
