#!/usr/bin/env bash
# Builds berth/nginx-bench, the keep-alive backend of the benchmark's ingress figures. Expects DOCKER_HOST to be
# exported and berth/busybox:latest to exist (scripts/ensure-docker.sh).
#
# Why not berth/web: busybox httpd closes the connection after every answer, so a proxy in front of it opens a
# new upstream connection per request, which measures connection set-up (and overflows the listen queue) rather
# than the proxy. nginx keeps connections open.
#
# The image is berth/busybox plus Debian's nginx binary, the shared libraries it links (as ldd lists them) and a
# minimal nginx.conf: port 8080, `GET /` and `GET /health` answer 200 "ok", one worker, no access log. No RUN
# step and no network inside the build. When /usr/sbin/nginx is not on this machine, Debian's `nginx` package is
# downloaded with apt-get and unpacked into a scratch directory (not installed: no service is started).
# Quick when the image is current: it is rebuilt only when this script changed since it was built.
set -euo pipefail

base="berth/busybox:latest"
image="berth/nginx-bench:latest"
revision="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"

log() { echo "build-bench-images: $*" >&2; }

docker image inspect "$base" >/dev/null 2>&1 || { log "$base is missing (scripts/ensure-docker.sh builds it)"; exit 1; }
if [ "$(docker image inspect --format '{{ index .Config.Labels "berth.bench.revision" }}' "$image" 2>/dev/null || true)" = "$revision" ]; then
    exit 0
fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT

nginx=/usr/sbin/nginx
if [ ! -x "$nginx" ]; then
    log "no $nginx here: downloading Debian's nginx package to unpack it"
    export DEBIAN_FRONTEND=noninteractive
    mkdir -p "$ctx/deb"
    if ! (cd "$ctx/deb" && apt-get download nginx >/dev/null 2>&1); then
        apt-get update -qq >&2
        (cd "$ctx/deb" && apt-get download nginx >/dev/null 2>&1)
    fi
    dpkg-deb -x "$ctx/deb"/nginx_*.deb "$ctx/deb/root"
    nginx="$ctx/deb/root/usr/sbin/nginx"
fi

if ldd "$nginx" | grep -q 'not found'; then
    log "nginx needs libraries this machine does not have:"
    ldd "$nginx" | grep 'not found' >&2
    log "install them (apt-get install nginx) and run this script again"
    exit 1
fi

log "building $image"
root="$ctx/root"
mkdir -p "$root/usr/sbin" "$root/etc/nginx" "$root/var/lib/nginx" "$root/var/log/nginx" "$root/tmp"
cp "$nginx" "$root/usr/sbin/nginx"
# Every library with a path (the vDSO has none), at the same path, so the binary's loader finds them.
ldd "$nginx" | grep -o '/[^ ]*' | sort -u | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
cat >"$root/etc/nginx/nginx.conf" <<'CONF'
daemon off;
master_process on;
worker_processes 1;
user root;
pid /tmp/nginx.pid;
error_log stderr warn;
events {
    worker_connections 1024;
}
http {
    access_log off;
    keepalive_timeout 75s;
    keepalive_requests 1000000;
    default_type text/plain;
    client_body_temp_path /tmp/body;
    proxy_temp_path /tmp/proxy;
    fastcgi_temp_path /tmp/fastcgi;
    uwsgi_temp_path /tmp/uwsgi;
    scgi_temp_path /tmp/scgi;
    server {
        listen 8080 default_server;
        location / {
            return 200 "ok";
        }
        location = /health {
            return 200 "ok";
        }
    }
}
CONF
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $base
COPY root /
LABEL berth.bench.revision="$revision"
EXPOSE 8080
STOPSIGNAL SIGTERM
CMD ["/usr/sbin/nginx", "-e", "stderr", "-c", "/etc/nginx/nginx.conf"]
DOCKERFILE

previous="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
# The classic builder: it needs no buildx, and with the base image present it touches no network.
status=0
output="$(DOCKER_BUILDKIT=0 docker build --quiet --tag "$image" "$ctx" 2>&1)" || status=$?
if [ "$status" -ne 0 ]; then
    log "building $image failed:"
    echo "$output" >&2
    exit "$status"
fi
if [ -n "$previous" ]; then
    docker image rm "$previous" >/dev/null 2>&1 || true
fi
