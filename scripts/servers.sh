#!/usr/bin/env bash
# Starts (or stops) the destination test servers on 127.0.0.1, with fresh
# data each start, installed by scripts/setup-servers.sh:
#   S3 (s3rver)     http://127.0.0.1:$COFFER_S3_PORT (8650), credentials
#                   S3RVER/S3RVER, buckets `coffer` (CORS allows any origin)
#                   and `coffer-nocors` (no CORS rule)
#   WebDAV          http://127.0.0.1:$COFFER_DAV_PORT/ (8651, CORS for any
#                   origin) and :$COFFER_DAV_NOCORS_PORT/ (8652, no CORS),
#                   user `coffer`, password `coffer-dav-pw`
# Usage: scripts/servers.sh start|stop. State (data, logs, pids) lives in
# $COFFER_SERVERS_STATE (default target/servers).
set -euo pipefail
cd "$(dirname "$0")/.."
home="${COFFER_SERVERS_HOME:-$HOME/.cache/coffer-servers}"
state="${COFFER_SERVERS_STATE:-$PWD/target/servers}"
s3_port="${COFFER_S3_PORT:-8650}"
dav_port="${COFFER_DAV_PORT:-8651}"
dav_nocors_port="${COFFER_DAV_NOCORS_PORT:-8652}"

stop() {
  for f in "$state"/*.pid; do
    [ -e "$f" ] || continue
    kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "servers: nothing listens on 127.0.0.1:$1 (see $state/*.log)" >&2
  return 1
}

dav_config() { # port cors(yes|no)
  local root="$state/dav-$1"
  mkdir -p "$root"
  cat <<YAML
host: 127.0.0.1
port: $1
verbose: 1
provider_mapping:
  "/": "$root"
http_authenticator:
  domain_controller: null
  accept_basic: true
  accept_digest: false
  default_to_digest: false
simple_dc:
  user_mapping:
    "*":
      "coffer":
        password: "coffer-dav-pw"
YAML
  if [ "$2" = yes ]; then
    cat <<YAML
cors:
  allow_origin: "*"
  allow_methods: "GET, PUT, DELETE, PROPFIND, MKCOL, OPTIONS, HEAD, MOVE"
  allow_headers: "Authorization, Content-Type, Depth, Destination, Overwrite"
  expose_headers: "ETag, Content-Length"
  max_age: 600
YAML
  fi
}

start() {
  stop
  rm -rf "$state"
  mkdir -p "$state/s3"
  tests/servers/node_modules/.bin/s3rver -d "$state/s3" -a 127.0.0.1 -p "$s3_port" --silent \
    --configure-bucket coffer tests/servers/cors.xml --configure-bucket coffer-nocors \
    >"$state/s3.log" 2>&1 &
  echo $! >"$state/s3.pid"
  for spec in "$dav_port yes" "$dav_nocors_port no"; do
    set -- $spec
    dav_config "$1" "$2" >"$state/dav-$1.yaml"
    "$home/venv/bin/wsgidav" -c "$state/dav-$1.yaml" >"$state/dav-$1.log" 2>&1 &
    echo $! >"$state/dav-$1.pid"
  done
  wait_port "$s3_port" && wait_port "$dav_port" && wait_port "$dav_nocors_port"
  echo "servers: S3 on 127.0.0.1:$s3_port, WebDAV on 127.0.0.1:$dav_port (CORS) and :$dav_nocors_port (no CORS)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
