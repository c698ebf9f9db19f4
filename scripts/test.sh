#!/usr/bin/env bash
# Runs every test: makes sure a Docker engine and the default image are there, then runs the suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

docker_host="$(bash scripts/ensure-docker.sh)"
export "${docker_host?}"
bash scripts/build-web-images.sh

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
status=0
dotnet test Berth.slnx -c Release --logger "trx" --results-directory "$results" "$@" || status=$?

# One closing line that a person (or CI) can read at a glance.
passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
    [ -e "$trx" ] || continue
    counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
    p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
    f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
    n="$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters")"
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${n:-0}))
done
echo "Tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
