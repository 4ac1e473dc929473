#!/usr/bin/env bash
# Tests the npm package of <coffer-backup> (issue #17): packs dist-embed/
# (scripts/build-embed.sh; skipped with COFFER_SKIP_BUILD=1 when it exists)
# with `npm pack`, installs the tarball into a fresh copy of the Vite
# vanilla-TypeScript app tests/npm-app/ (vite and typescript from the npm
# registry, ~20 s), type-checks it with `tsc --strict`, builds it with
# `vite build`, serves the output with `vite preview` on 127.0.0.1:$NPM_PORT
# and runs tests/e2e/npm.spec.mjs in headless Chromium: a backup and a
# restore through the element. Ends with one line "npm: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
fail() { echo "npm: 0 passed, 1 failed ($1)"; exit 1; }

if [ "${COFFER_SKIP_BUILD:-}" != 1 ] || [ ! -f dist-embed/package.json ]; then
  scripts/build-embed.sh || fail "the artifact did not build"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '\n==> npm pack dist-embed\n'
tarball=$(npm pack ./dist-embed --pack-destination "$work" --silent | tail -1) || fail "npm pack"
echo "$tarball: $(du -k "$work/$tarball" | cut -f1) KiB"
tar -tzf "$work/$tarball" | sort

printf '\n==> a fresh Vite app installs it\n'
cp -r tests/npm-app "$work/app"
(cd "$work/app" && npm install --no-audit --no-fund --loglevel=error && npm install --no-audit --no-fund --loglevel=error "$work/$tarball") || fail "npm install"

printf '\n==> tsc --strict and vite build\n'
(cd "$work/app" && npx tsc -p tsconfig.json && npx vite build) || fail "tsc or vite build"
ls -R "$work/app/dist"

printf '\n==> backup and restore through the element in Chromium\n'
log=$(mktemp)
NPM_APP_DIR="$work/app" npx playwright test -c tests/e2e/npm.config.mjs "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -Eo '([0-9]+) passed' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
failed=$(grep -Eo '([0-9]+) failed' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
passed=${passed:-0}
failed=${failed:-0}
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
rm -f "$log"
echo
echo "npm: $passed passed, $failed failed"
exit "$status"
