#!/usr/bin/env bash
# Runs the benchmark on this machine and prints its results table (Markdown) on stdout.
# Makes sure a Docker engine, the default image and wrk are there, builds Release, runs the driver
# (which starts and stops its own servers), and removes every container and directory the run created,
# also when it fails or is interrupted. Arguments go to the driver (see --help), e.g.:
#   bench/run.sh --output bench/out/results.md
#   bench/run.sh --iterations 5 --duration 3 --list-records 200   # a quick trial
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

log() { echo "run.sh: $*" >&2; }

docker_host="$(bash scripts/ensure-docker.sh)"
export "${docker_host?}"
bash scripts/build-web-images.sh
bash scripts/build-bench-images.sh

if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends wrk >&2
fi

run_id="$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
work="$(mktemp -d -t berth-bench-XXXXXX)"

# The driver cleans up after itself; this catches what a crash (or kill -9) of the driver left behind.
cleanup() {
    local status=$?
    local labels=("berth.bench=$run_id" "berth.instance=bench-$run_id" "berth.instance=bench-$run_id-list" "berth.instance=bench-$run_id-metrics")
    if [ -f "$work/berth-container-ids.txt" ]; then
        while read -r id; do
            [ -n "$id" ] && labels+=("berth.container=$id")
        done <"$work/berth-container-ids.txt"
    fi
    for label in "${labels[@]}"; do
        ids="$(docker ps -aq --filter "label=$label" 2>/dev/null || true)"
        if [ -n "$ids" ]; then
            log "removing leftover containers labelled $label"
            # shellcheck disable=SC2086
            docker rm -f -v $ids >/dev/null 2>&1 || true
        fi
    done
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building Release"
# The driver's project builds the server and the bare endpoint too.
dotnet build bench/Berth.Bench -c Release -nologo -v quiet >&2

log "running (run id $run_id)"
dotnet bench/Berth.Bench/bin/Release/net10.0/Berth.Bench.dll --run-id "$run_id" --work-dir "$work" "$@"
