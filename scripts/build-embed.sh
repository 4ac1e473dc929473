#!/usr/bin/env bash
# Builds the embeddable <coffer-backup> artifact (crates/coffer-embed,
# docs/embed.md) into one folder, dist-embed/ by default (or $1):
#   coffer-backup.js    the ES module to load (defines the element)
#   coffer-backup.d.ts  its TypeScript declarations
#   coffer-embed.js + coffer-embed_bg.wasm   the UI wasm (wasm-bindgen, web)
#   coffer-worker.js + worker_bg.wasm   the engine worker (Trunk's worker.js
#                       glue with js/coffer-worker.js appended: one script)
#   package.json + README.md   so that the folder is also the npm package
#                       `coffer-backup` (`npm pack dist-embed`, docs/embed.md)
#   coffer-files.json   the list of the files above a host's service worker caches
# The engine worker has one build pipeline: Trunk's (index.html), so it is
# taken from dist/ after `trunk build --release`. The UI wasm is built
# here: release, wasm-opt -Oz (binaryen from npm, see Trunk.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
out="${1:-dist-embed}"
tmp="$out.tmp"

trunk build --release
cargo build --release --target wasm32-unknown-unknown -p coffer-embed --bin coffer-embed
t="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release"
rm -rf "$tmp"
mkdir -p "$tmp"
wasm-bindgen --target web --no-typescript --out-dir "$tmp" --out-name coffer-embed "$t/coffer-embed.wasm"
if [ "${COFFER_EMBED_NO_OPT:-}" != 1 ]; then
  wasm-opt -Oz --enable-simd "$tmp/coffer-embed_bg.wasm" -o "$tmp/coffer-embed_bg.opt.wasm"
  mv "$tmp/coffer-embed_bg.opt.wasm" "$tmp/coffer-embed_bg.wasm"
fi
cp dist/worker_bg.wasm "$tmp/"
cat dist/worker.js crates/coffer-embed/js/coffer-worker.js >"$tmp/coffer-worker.js"
cp crates/coffer-embed/js/coffer-backup.js crates/coffer-embed/js/coffer-backup.d.ts "$tmp/"
cp crates/coffer-embed/js/README.md "$tmp/README.md"
version=$(awk -F'"' '/^\[workspace.package\]/ { w = 1 } w && /^version = / { print $2; exit }' Cargo.toml)
sed "s/@VERSION@/$version/" crates/coffer-embed/js/package.json >"$tmp/package.json"
# The files a host app's service worker precaches to work offline
# (docs/embed.md, "Offline").
node -e 'const fs = require("fs"); const d = process.argv[1];
  const files = fs.readdirSync(d).filter((f) => !["coffer-files.json", "package.json", "README.md"].includes(f) && !f.endsWith(".d.ts")).sort();
  const h = require("crypto").createHash("sha256");
  for (const f of files) { h.update(f + "\0"); h.update(fs.readFileSync(d + "/" + f)); }
  const build = h.digest("hex").slice(0, 16);
  fs.writeFileSync(d + "/coffer-files.json", JSON.stringify({ build, files }, null, 2) + "\n");' "$tmp"
rm -rf "$out"
mv "$tmp" "$out"
echo "built $out/: $(cd "$out" && ls | tr '\n' ' ')"
