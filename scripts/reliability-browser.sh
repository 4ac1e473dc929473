#!/usr/bin/env bash
# The browser figures of RELIABILITY.md (issue 13): kills Chromium during a
# restore and during a key replacement and checks what it left
# (tests/reliability/kill.mjs), and runs three tabs at once through
# backups, restores, key replacements and store-API writes
# (tests/reliability/tabs.mjs). Writes reliability/browser-kill.json and
# reliability/browser-tabs.json, then renders RELIABILITY.md
# (scripts/reliability.py) when they went into reliability/.
#
#   scripts/reliability-browser.sh [--quick] [--trials N] [--rounds N] [--out DIR] [--build]
#
# Defaults: 10 kill trials per operation, 16 rounds per tab, results into
# reliability/. --quick (the regular test run): 2 trials per operation on
# smaller data and 2 rounds per tab, results into a temporary directory
# unless --out is given. Builds what is missing (the release app in dist/,
# the debug `coffer` CLI, the npm packages); --build rebuilds the app.
# Ports: KILL_PORT (8421) and TABS_PORT (8422).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
trials=10
rounds=16
out=""
build=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --trials) trials="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    --out) out="$2"; shift ;;
    --build) build=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
if [ "$quick" = 1 ]; then
  trials=2
  rounds=2
  if [ -z "$out" ]; then
    out=$(mktemp -d)
  fi
fi
out="${out:-reliability}"
mkdir -p "$out"

step() { printf '\n==> %s\n' "$*"; }
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
target="${CARGO_TARGET_DIR:-target}"

if [ ! -d node_modules/@playwright/test ]; then
  step "npm ci (Playwright without its browsers: Debian's Chromium is used)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
if [ "$build" = 1 ] || [ ! -f dist/index.html ]; then
  step "trunk build --release"
  trunk build --release
fi
if [ ! -x "$target/debug/coffer" ]; then
  step "cargo build -p coffer-cli"
  cargo build -q -p coffer-cli
fi

quick_flag=()
[ "$quick" = 1 ] && quick_flag=(--quick)
status=0

step "browser killed mid-operation: $trials trial(s) per operation"
node tests/reliability/kill.mjs "${quick_flag[@]}" --trials "$trials" \
  --port "${KILL_PORT:-8421}" --json "$out/browser-kill.json" || status=1

step "several tabs at once: $rounds round(s) per tab"
node tests/reliability/tabs.mjs "${quick_flag[@]}" --rounds "$rounds" \
  --port "${TABS_PORT:-8422}" --json "$out/browser-tabs.json" || status=1

if [ "$out" = reliability ]; then
  step "RELIABILITY.md"
  python3 scripts/reliability.py
fi

echo
if [ "$status" = 0 ]; then
  echo "reliability (browser): passed; results in $out/"
else
  echo "reliability (browser): FAILED; results in $out/"
fi
exit "$status"
