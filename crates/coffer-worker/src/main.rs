//! The engine worker's entry point (built by Trunk as a Web Worker).
fn main() {
    coffer_worker::run();
}
