//! The engine worker's entry point (built by Trunk as a Web Worker).
fn main() {
    #[cfg(target_arch = "wasm32")]
    coffer_app::worker::run();
}
