#!/usr/bin/env bash
# Runs every test: formatting and lints, the native engine and CLI tests
# (unit, property, malformed-input, fixtures, test vectors, CLI scenarios),
# then the browser suites (wasm-bindgen tests in headless Chromium, the
# Playwright end-to-end tests and the round trip in Firefox ESR), installing
# whatever is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "rustfmt"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fmt --all --check

step "clippy (native)"
cargo clippy --workspace --all-targets -- -D warnings

step "clippy (wasm: page, worker, embed and their browser tests)"
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
cargo clippy --target wasm32-unknown-unknown -p coffer-app -p coffer-worker -p coffer-embed --all-targets -- -D warnings

step "no engine code in the page: cargo tree of coffer-app"
if cargo tree -p coffer-app -e normal --prefix none | grep -q '^coffer-engine '; then
  echo "coffer-app depends on coffer-engine" >&2
  exit 1
fi

step "destination test servers: S3 (s3rver) and WebDAV (WsgiDAV) on 127.0.0.1"
# Install cost on a fresh machine: s3rver from npm ~25 s, WsgiDAV + cheroot
# from PyPI ~1 min (mostly download). Garage (`cargo install garage`) was
# measured first: not done compiling after 11 minutes on two cores.
scripts/setup-servers.sh
export COFFER_SERVERS_STATE="$PWD/target/servers"
scripts/servers.sh start
trap 'scripts/servers.sh stop' EXIT

step "native tests (engine, CLI, protocol, app and worker logic; coffer remote against the servers)"
COFFER_REMOTE_TESTS=1 cargo test --workspace

step "fuzz smoke: every fuzz target briefly (installs cargo-fuzz if missing)"
scripts/fuzz.sh smoke 15

step "second reader (written from FORMAT.md alone): vectors, and 500 generated files (fixed seed) against coffer"
scripts/second-reader.sh --count 500 --no-record

step "browser tests (app)"
scripts/test-browser.sh

step "browser tests (destinations: S3 and WebDAV from the page, against the servers started above)"
scripts/test-destinations.sh --no-build

step "browser tests (app in Firefox ESR over WebDriver BiDi; installs firefox-esr if missing)"
scripts/test-firefox.sh

step "TypeScript declarations of <coffer-backup> (tsc --strict)"
node_modules/.bin/tsc --noEmit --strict --lib es2022,dom,dom.iterable --target es2022 \
  --module es2022 --moduleResolution bundler tests/types/embed-usage.ts

step "browser tests (embedding: <coffer-backup> in the example host app)"
scripts/test-embed.sh

step "npm package: packed, installed into a fresh Vite app, built, backup and restore in Chromium"
COFFER_SKIP_BUILD=1 scripts/test-npm.sh

step "libraries apps use, backed up and restored (Dexie, localForage, PouchDB, idb-keyval, PGlite)"
COFFER_SKIP_BUILD=1 scripts/test-libraries.sh

step "all tests passed"
