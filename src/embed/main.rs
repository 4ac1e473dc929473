//! Entry point of the embed build (`scripts/build-embed.sh`): the wasm
//! behind `coffer-backup.js`. Everything it offers is exported from
//! `coffer_app::embed::js`; `main` only installs the panic hook.
fn main() {
    #[cfg(target_arch = "wasm32")]
    coffer_app::embed::js::init();
}
