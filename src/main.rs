//! The Coffer app's entry point: panic hook, then mount the page.
fn main() {
    coffer_app::mount();
}
