#!/usr/bin/env bash
# Installs, idempotently, the real servers the destination tests run against
# (scripts/servers.sh starts them), from the package registries only:
#   - s3rver 3.7.1 (npm, tests/servers/package-lock.json): an S3-compatible
#     server with multipart uploads and per-bucket CORS rules (preflights are
#     answered from the bucket's rule, 403 without one). ~25 s on a fresh
#     machine. Its limits, which the tests work around and say so: it checks
#     the access key id but not SigV4 signatures, it does not implement
#     AbortMultipartUpload (405), and its XML uses a non-standard namespace. Garage (`cargo install garage`) was measured
#     first and dropped: it had not finished compiling after 11 minutes on
#     this two-core machine, too much of CI's 90-minute budget.
#   - WsgiDAV 4.4 + cheroot (PyPI, into a venv under $COFFER_SERVERS_HOME):
#     a WebDAV server with Basic auth and configurable CORS. ~1 minute,
#     mostly download time.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[setup-servers] %s\n' "$*"; }
home="${COFFER_SERVERS_HOME:-$HOME/.cache/coffer-servers}"

if [ ! -x tests/servers/node_modules/.bin/s3rver ]; then
  say "installing s3rver (npm)"
  npm ci --prefix tests/servers --no-audit --no-fund --loglevel=error
fi

if [ ! -x "$home/venv/bin/wsgidav" ]; then
  say "installing WsgiDAV and cheroot (PyPI) into $home/venv"
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
  rm -rf "$home/venv"
  python3 -m venv "$home/venv"
  "$home/venv/bin/pip" install --quiet --disable-pip-version-check 'wsgidav==4.4.0' 'cheroot>=10,<12'
fi
say "ready"
