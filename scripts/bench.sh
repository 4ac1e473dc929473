#!/usr/bin/env bash
# One command for the benchmarks of issue #5: builds the app in release mode,
# runs the native engine benchmark and the browser benchmark (Coffer vs
# dexie-export-import vs raw IndexedDB, memory, long tasks, download size)
# and rewrites both sections of BENCHMARKS.md.
#
#   scripts/bench.sh [--size medium|large|both] [--runs N] [--keep FILE] [--skip-build] [--skip-native]
#
# --keep FILE adds the sizes of an earlier `node bench/run.mjs --json FILE`
# run that this one does not measure (e.g. one run of the large database).
# Defaults: --size medium --runs 3. The large (~1 GiB) database takes a long
# time on a 2-core machine. Needs /usr/bin/chromium (or $CHROMIUM), node/npm,
# trunk and the wasm32 target (scripts/setup-browser.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
native=1
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-build) build=0 ;;
    --skip-native) native=0 ;;
    --size|--runs|--keep) pass+=("$1" "$2"); shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

step() { printf '\n==> %s\n' "$*"; }

if [ ! -d bench/node_modules/playwright-core ] || [ ! -d bench/node_modules/dexie-export-import ]; then
  step "installing the bench's npm packages"
  (cd bench && npm ci --no-audit --no-fund)
fi

if [ "$build" = 1 ]; then
  if [ -x scripts/setup-browser.sh ] && ! command -v trunk >/dev/null 2>&1; then
    scripts/setup-browser.sh
  fi
  # Trunk's wasm-opt comes from the root package's binaryen.
  if [ -f package.json ] && [ ! -x node_modules/.bin/wasm-opt ]; then
    step "installing the app's npm tooling (binaryen)"
    npm ci --no-audit --no-fund
  fi
  step "building the app (trunk build --release)"
  PATH="$PWD/node_modules/.bin:$PATH" trunk build --release
fi

if [ "$native" = 1 ]; then
  step "native engine benchmark"
  cargo run --release -p coffer-engine --example bench
fi

step "browser benchmark"
node bench/run.mjs "${pass[@]}"

step "BENCHMARKS.md updated"
