#!/usr/bin/env bash
# Builds the small web images that the ingress tests and the benchmark run: berth/web:v1, berth/web:v2 and
# berth/web:broken. Expects DOCKER_HOST to be exported and berth/busybox:latest to exist (scripts/ensure-docker.sh).
# Needs no network and runs no RUN step: each image is berth/busybox plus a few files. Quick when the images are
# current: an image is rebuilt only when this script changed since it was built (its hash is a label).
#
# Every image runs busybox httpd on port 8080 with /www as its root:
#   GET /                    -> "v1" (or "v2", "broken")
#   GET /health              -> 200 "ok" (404 in berth/web:broken, so health checks fail while the server runs)
#   GET /cgi-bin/whoami      -> "<version> <$BERTH_REPLICA> <$GREETING>" (busybox httpd passes the container's
#                               environment on to CGI scripts)
#   GET /cgi-bin/slow?N      -> the same after sleeping N seconds (0-60), to hold a request in flight
# The server runs under a small sh so that SIGTERM stops the container at once (PID 1 ignores it otherwise).
set -euo pipefail

base="berth/busybox:latest"
revision="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"

log() { echo "build-web-images: $*" >&2; }

docker image inspect "$base" >/dev/null 2>&1 || { log "$base is missing (scripts/ensure-docker.sh builds it)"; exit 1; }

build() {
    local version="$1" healthy="$2" image="berth/web:$1"
    if [ "$(docker image inspect --format '{{ index .Config.Labels "berth.web.revision" }}' "$image" 2>/dev/null || true)" = "$revision" ]; then
        return
    fi
    log "building $image"
    local previous
    previous="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
    local ctx
    ctx="$(mktemp -d)"
    mkdir -p "$ctx/www/cgi-bin"
    printf '%s' "$version" >"$ctx/www/index.html"
    if [ "$healthy" = yes ]; then
        printf 'ok' >"$ctx/www/health"
    fi
    cat >"$ctx/www/cgi-bin/whoami" <<CGI
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
printf '%s %s %s' '$version' "\$BERTH_REPLICA" "\$GREETING"
CGI
    cat >"$ctx/www/cgi-bin/slow" <<CGI
#!/bin/sh
seconds="\${QUERY_STRING:-1}"
case "\$seconds" in ''|*[!0-9]*) seconds=1 ;; esac
[ "\$seconds" -le 60 ] || seconds=60
sleep "\$seconds"
printf 'Content-Type: text/plain\r\n\r\n'
printf '%s %s %s' '$version' "\$BERTH_REPLICA" "\$GREETING"
CGI
    cat >"$ctx/start" <<'START'
#!/bin/sh
httpd -f -p 8080 -h /www &
trap 'kill -TERM $! 2>/dev/null; exit 0' TERM INT
wait $!
START
    chmod 755 "$ctx/www/cgi-bin/whoami" "$ctx/www/cgi-bin/slow" "$ctx/start"
    cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $base
COPY www /www
COPY start /start
LABEL berth.web.revision="$revision" berth.web.version="$version"
EXPOSE 8080
CMD ["/start"]
DOCKERFILE
    # The classic builder: it needs no buildx, and with the base image present it touches no network.
    local output status=0
    output="$(DOCKER_BUILDKIT=0 docker build --quiet --tag "$image" "$ctx" 2>&1)" || status=$?
    rm -rf "$ctx"
    if [ "$status" -ne 0 ]; then
        log "building $image failed:"
        echo "$output" >&2
        exit "$status"
    fi
    # The replaced version, unless a container still uses it.
    if [ -n "$previous" ]; then
        docker image rm "$previous" >/dev/null 2>&1 || true
    fi
}

build v1 yes
build v2 yes
build broken no
