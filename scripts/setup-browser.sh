#!/usr/bin/env bash
# Installs, idempotently, what the browser app needs on a fresh Debian with
# Rust and Node: the wasm target, trunk, wasm-bindgen-cli (the version in
# Cargo.lock), binaryen 132 (wasm-opt, via npm), Chromium + chromedriver,
# the npm packages (Playwright) and the crates (Trunk builds offline).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf '[setup-browser] %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! command -v trunk >/dev/null 2>&1; then
  say "installing trunk"
  cargo install trunk --version '~0.21' --locked
fi

wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! command -v wasm-bindgen >/dev/null 2>&1 || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$wb_version" ]; then
  say "installing wasm-bindgen-cli $wb_version"
  cargo install wasm-bindgen-cli --version "$wb_version"
fi

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  say "installing chromium and chromium-driver"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/@playwright/test ] || [ ! -x node_modules/.bin/tsc ] || [ ! -d node_modules/@electric-sql/pglite ]; then
  say "installing npm packages (binaryen 132, Playwright, TypeScript, the libraries of the libraries suite)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi

say "fetching crates"
cargo fetch --quiet
say "ready"
