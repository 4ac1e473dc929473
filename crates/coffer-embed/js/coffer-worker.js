// Loader of the Coffer engine worker, for pages on the artifact's own origin
// (relative URLs resolve against this file). coffer-backup.js builds an
// equivalent blob: loader with absolute URLs when the artifact is served from
// another origin.
importScripts('./worker.js');
wasm_bindgen('./worker_bg.wasm');
