//! Entry point of the embed build (`scripts/build-embed.sh`): the wasm
//! behind `coffer-backup.js`. Its JavaScript exports live in [`js`], a
//! module of this binary only, so Rust host apps that use the library
//! (the Leptos component) do not carry them; `main` only installs the
//! panic hook.
mod js;

fn main() {
    js::init();
}
