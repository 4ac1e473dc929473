#!/usr/bin/env bash
# Tests of the embeddable <coffer-backup> (issue #4): builds the artifact
# (scripts/build-embed.sh → dist-embed/), serves examples/host-app with it
# on 127.0.0.1 (tests/e2e/embed-serve.mjs) and runs tests/e2e/embed.spec.mjs
# headless in /usr/bin/chromium. Exits non-zero on any failure and ends with
# one line: "embed: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

if [ ! -d node_modules/@playwright/test ] || [ ! -x node_modules/.bin/wasm-opt ]; then
  scripts/setup-browser.sh || { echo "embed: 0 passed, 1 failed (setup)"; exit 1; }
fi

printf '\n==> building the embed artifact\n'
if ! scripts/build-embed.sh; then
  echo "embed: 0 passed, 1 failed (the artifact did not build)"
  exit 1
fi

printf '\n==> Playwright embedding tests (headless Chromium)\n'
log=$(mktemp)
npx playwright test -c tests/e2e/embed.config.mjs "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -Eo '([0-9]+) passed' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
failed=$(grep -Eo '([0-9]+) failed' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
passed=${passed:-0}
failed=${failed:-0}
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
rm -f "$log"
echo
echo "embed: $passed passed, $failed failed"
exit "$status"
