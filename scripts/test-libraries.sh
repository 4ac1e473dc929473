#!/usr/bin/env bash
# The libraries apps use, backed up and restored through <coffer-backup>
# (issue #14): builds the embed artifact (scripts/build-embed.sh →
# dist-embed/; COFFER_SKIP_BUILD=1 reuses the one there), serves
# tests/e2e/libraries/ with it and the libraries from node_modules on
# 127.0.0.1 (tests/e2e/libraries-serve.mjs) and runs
# tests/e2e/libraries.spec.mjs headless in /usr/bin/chromium. Exits non-zero
# on any failure and ends with one line: "libraries: N passed, M failed"
# (", K skipped" after it if a test is skipped). The server's port is
# LIBRARIES_PORT (default 8140).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

if [ ! -d node_modules/@playwright/test ] || [ ! -d node_modules/dexie ] || [ ! -x node_modules/.bin/wasm-opt ]; then
  scripts/setup-browser.sh || { echo "libraries: 0 passed, 1 failed (setup)"; exit 1; }
fi

if [ "${COFFER_SKIP_BUILD:-}" = 1 ] && [ -f dist-embed/coffer-backup.js ]; then
  printf '\n==> reusing the embed artifact in dist-embed/\n'
else
  printf '\n==> building the embed artifact\n'
  if ! scripts/build-embed.sh; then
    echo "libraries: 0 passed, 1 failed (the artifact did not build)"
    exit 1
  fi
fi

printf '\n==> Playwright libraries suite (headless Chromium)\n'
log=$(mktemp)
npx playwright test -c tests/e2e/libraries.config.mjs "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -Eo '([0-9]+) passed' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
failed=$(grep -Eo '([0-9]+) failed' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
skipped=$(grep -Eo '([0-9]+) skipped' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
passed=${passed:-0}
failed=${failed:-0}
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
rm -f "$log"
echo
echo "libraries: $passed passed, $failed failed${skipped:+, $skipped skipped}"
exit "$status"
