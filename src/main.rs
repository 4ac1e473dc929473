//! Placeholder until the browser app lands.
fn main() {}
