//! The Coffer app's entry point: panic hook, then mount the page.
fn main() {
    #[cfg(target_arch = "wasm32")]
    coffer_app::mount();
}
