#!/usr/bin/env bash
# Browser tests of destinations (issue #17): the Playwright suite
# tests/e2e/destinations.spec.mjs against the release build in dist/ and
# the real test servers. scripts/test.sh has started the servers already;
# run alone, this starts them (and stops them at the end). Ports: E2E_PORT
# for the app, COFFER_S3_PORT / COFFER_DAV_PORT / COFFER_DAV_NOCORS_PORT.
# Builds dist/ first unless --no-build.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
s3_port="${COFFER_S3_PORT:-8650}"

if [ "${1:-}" != "--no-build" ]; then
  trunk build --release || { echo "destinations: 0 passed, 1 failed (the app did not build)"; exit 1; }
fi

if ! (exec 3<>"/dev/tcp/127.0.0.1/$s3_port") 2>/dev/null; then
  scripts/setup-servers.sh || exit 1
  export COFFER_SERVERS_STATE="${COFFER_SERVERS_STATE:-$PWD/target/servers-destinations}"
  scripts/servers.sh start || exit 1
  trap 'scripts/servers.sh stop' EXIT
fi

npx playwright test -c tests/e2e/destinations.config.mjs
