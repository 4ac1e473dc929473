//! Entry point of the embed build (`scripts/build-embed.sh`): the wasm
//! behind `coffer-backup.js`. Its JavaScript exports live in [`js`], a
//! module of this binary only, so the page and worker binaries (which link
//! the same library) do not carry the element's exports and everything they
//! reach; `main` only installs the panic hook.
#[cfg(target_arch = "wasm32")]
mod js;

fn main() {
    #[cfg(target_arch = "wasm32")]
    js::init();
}
