// Start of the Coffer engine worker. scripts/build-embed.sh appends this to
// the worker's wasm-bindgen glue (Trunk's worker.js) to make the one script
// coffer-worker.js. The wasm is the one named by self.COFFER_WORKER_WASM
// (set by coffer-backup.js's cross-origin blob: loader), else by this
// script's `?wasm=` parameter (set by coffer-backup.js, so a bundler may
// rename the file), else worker_bg.wasm next to this script.
wasm_bindgen(new URL(
  self.COFFER_WORKER_WASM || new URLSearchParams(self.location.search).get('wasm') || './worker_bg.wasm',
  self.location.href,
).href);
