#!/usr/bin/env bash
# Browser tests of the app: builds it in release with Trunk, runs the
# wasm-bindgen tests (IndexedDB adapter, Leptos component) in headless Chromium, then the
# Playwright end-to-end suite against the built app. Exits non-zero on any
# failure and ends with one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup-browser.sh || exit 1
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"

step() { printf '\n==> %s\n' "$*"; }
passed=0
failed=0
count() { # $1 = log file; adds its "N passed" / "N failed" counts
  local p f
  p=$(grep -Eo '([0-9]+) passed' "$1" | tail -1 | grep -Eo '[0-9]+' || true)
  f=$(grep -Eo '([0-9]+) failed' "$1" | tail -1 | grep -Eo '[0-9]+' || true)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
}

step "trunk build --release"
if ! trunk build --release; then
  echo "browser: 0 passed, 1 failed (the app did not build)"
  exit 1
fi

# The e2e suite checks downloaded backups with the CLI.
[ -x target/debug/coffer ] || cargo build -q -p coffer-cli

log=$(mktemp)
# The worker's tests run in a dedicated worker (convert, backup, restore,
# generators, page_encoder, keys, history, parts, remote); the embed's component test on the main thread.
wasm_status=0
for t in "coffer-worker convert" "coffer-worker backup" "coffer-worker restore" \
         "coffer-worker generators" "coffer-worker page_encoder" "coffer-worker keys" \
         "coffer-worker history" "coffer-worker parts" "coffer-worker remote" \
         "coffer-embed component"; do
  set -- $t
  step "wasm-bindgen tests: $1 $2 (headless Chromium)"
  cargo test --target wasm32-unknown-unknown -p "$1" --test "$2" 2>&1 | tee "$log"
  s=${PIPESTATUS[0]}
  count "$log"
  if [ "$s" -ne 0 ] && ! grep -q ' failed' "$log"; then failed=$((failed + 1)); fi
  [ "$s" -eq 0 ] || wasm_status=$s
done

step "Playwright end-to-end tests (headless Chromium)"
npx playwright test -c tests/e2e/playwright.config.mjs 2>&1 | tee "$log"
e2e_status=${PIPESTATUS[0]}
count "$log"
if [ "$e2e_status" -ne 0 ] && ! grep -q ' failed' "$log"; then failed=$((failed + 1)); fi
rm -f "$log"

# Issue 13: a few kill trials of a restore and a key replacement, and two
# rounds of three tabs at once (the full runs: scripts/reliability-browser.sh).
step "reliability: browser killed mid-operation, several tabs at once (quick)"
rel_status=0
scripts/reliability-browser.sh --quick || rel_status=$?
if [ "$rel_status" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo
echo "browser: $passed passed, $failed failed"
[ "$wasm_status" -eq 0 ] && [ "$e2e_status" -eq 0 ] && [ "$rel_status" -eq 0 ]
