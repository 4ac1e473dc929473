#!/usr/bin/env bash
# Builds the embeddable <coffer-backup> artifact (issue #4, docs/embed.md)
# into one folder, dist-embed/ by default (or $1):
#   coffer-backup.js    the ES module to load (defines the element)
#   coffer-backup.d.ts  its TypeScript declarations
#   coffer-embed.js + coffer-embed_bg.wasm   the UI wasm (wasm-bindgen, web)
#   coffer-worker.js + worker.js + worker_bg.wasm   the engine worker
# Release build, wasm-opt -Oz (binaryen from npm, see Trunk.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
out="${1:-dist-embed}"
tmp="$out.tmp"

cargo build --release --target wasm32-unknown-unknown -p coffer-app --bin coffer-embed --bin worker
t=target/wasm32-unknown-unknown/release
rm -rf "$tmp"
mkdir -p "$tmp"
wasm-bindgen --target web --no-typescript --out-dir "$tmp" --out-name coffer-embed "$t/coffer-embed.wasm"
wasm-bindgen --target no-modules --no-typescript --out-dir "$tmp" --out-name worker "$t/worker.wasm"
if [ "${COFFER_EMBED_NO_OPT:-}" != 1 ]; then
  for w in coffer-embed_bg worker_bg; do
    wasm-opt -Oz --enable-simd "$tmp/$w.wasm" -o "$tmp/$w.opt.wasm"
    mv "$tmp/$w.opt.wasm" "$tmp/$w.wasm"
  done
fi
cp src/embed/js/coffer-backup.js src/embed/js/coffer-backup.d.ts src/embed/js/coffer-worker.js "$tmp/"
rm -rf "$out"
mv "$tmp" "$out"
echo "built $out/: $(cd "$out" && ls | tr '\n' ' ')"
