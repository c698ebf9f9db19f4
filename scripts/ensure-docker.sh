#!/usr/bin/env bash
# Makes sure a Docker engine answers and the default image exists, then prints DOCKER_HOST=... on stdout.
# Uses DOCKER_HOST or /var/run/docker.sock when they answer; otherwise installs Debian's docker.io and
# starts a private dockerd whose files live under the data directory.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data_dir="${Berth__DataDirectory:-$root/data}"
mkdir -p "$data_dir"
data_dir="$(cd "$data_dir" && pwd)"
image="${Berth__DefaultImage:-berth/busybox:latest}"

log() { echo "ensure-docker: $*" >&2; }

answers() { DOCKER_HOST="$1" timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

ensure_packages() {
    local missing=()
    command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
    [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx httpd || missing+=(busybox-static)
    command -v docker >/dev/null 2>&1 || missing+=(docker.io)
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq --no-install-recommends "${missing[@]}" iptables >&2
    fi
}

endpoint=""
if [ -n "${DOCKER_HOST:-}" ] && answers "$DOCKER_HOST"; then
    endpoint="$DOCKER_HOST"
elif [ -S /var/run/docker.sock ] && answers unix:///var/run/docker.sock; then
    endpoint="unix:///var/run/docker.sock"
else
    private="$data_dir/dockerd"
    sock="unix://$private/docker.sock"
    if ! answers "$sock"; then
        ensure_packages
        mkdir -p "$private"
        log "starting a private dockerd (files under $private)"
        # setsid: the engine outlives this script and the shell that ran it.
        setsid dockerd --data-root "$private/root" --exec-root "$private/exec" \
            --pidfile "$private/dockerd.pid" --host "$sock" \
            >"$private/dockerd.log" 2>&1 </dev/null &
        for _ in $(seq 1 120); do
            answers "$sock" && break
            sleep 0.5
        done
        answers "$sock" || { log "dockerd did not answer; see $private/dockerd.log"; tail -20 "$private/dockerd.log" >&2; exit 1; }
    fi
    endpoint="$sock"
fi

if ! DOCKER_HOST="$endpoint" docker image inspect "$image" >/dev/null 2>&1; then
    ensure_packages
    log "building the default image $image from busybox-static"
    ctx="$(mktemp -d)"
    trap 'rm -rf "$ctx"' EXIT
    mkdir -p "$ctx/bin" "$ctx/tmp" "$ctx/etc" "$ctx/root"
    cp /bin/busybox "$ctx/bin/busybox"
    for applet in $(/bin/busybox --list); do
        [ "$applet" = busybox ] || ln -s busybox "$ctx/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$ctx/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$ctx/etc/group"
    tar -C "$ctx" -c . | DOCKER_HOST="$endpoint" docker import \
        --change 'ENV PATH=/bin' --change 'CMD ["sleep","infinity"]' - "$image" >/dev/null
fi

echo "DOCKER_HOST=$endpoint"
