#!/usr/bin/env bash
# The main round trip (sample data → backup → wipe → restore → deep-equal,
# key export) in Firefox ESR, driven over WebDriver BiDi by puppeteer-core
# (tests/firefox/roundtrip.mjs). Installs Debian's firefox-esr when it is
# missing (about 120 MB of packages). Uses the app in dist/: run it after
# scripts/test-browser.sh, or set COFFER_BUILD=1 to build it first. Ends
# with one line `firefox: N passed, M failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
firefox="${FIREFOX:-$(command -v firefox-esr || true)}"
if [ -z "$firefox" ]; then
  echo "[test-firefox] installing firefox-esr"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq firefox-esr >/dev/null; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq firefox-esr >/dev/null || { echo "firefox: 0 passed, 1 failed (firefox-esr could not be installed)"; exit 1; }
  fi
  firefox=$(command -v firefox-esr)
fi
[ -d node_modules/puppeteer-core ] || scripts/setup-browser.sh || exit 1
if [ "${COFFER_BUILD:-0}" = 1 ] || [ ! -f dist/index.html ]; then
  trunk build --release || { echo "firefox: 0 passed, 1 failed (the app did not build)"; exit 1; }
fi
FIREFOX="$firefox" node tests/firefox/roundtrip.mjs
