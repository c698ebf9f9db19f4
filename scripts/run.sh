#!/usr/bin/env bash
# Runs Berth: makes sure a Docker engine and the default image are there, then starts the server.
# Extra arguments go to the server, e.g. `bash scripts/run.sh --urls http://127.0.0.1:9090`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

export Berth__DataDirectory="${Berth__DataDirectory:-$root/data}"
docker_host="$(bash scripts/ensure-docker.sh)"
export "${docker_host?}"
# The small web images the README's deploy walkthrough uses (quick when they exist).
bash scripts/build-web-images.sh || echo "run: the example web images could not be built; Berth runs without them" >&2

dotnet build src/Berth.Server -c Release -nologo -v quiet
# The server prints its URL, and on the first start the admin token, once.
exec dotnet run --project src/Berth.Server -c Release --no-build -- "$@"
