//! Parses arbitrary bytes as a manifest (FORMAT.md §3.3): errors only, never
//! a panic; whatever validates re-serialises and validates again.
#![no_main]

use coffer_engine::format::manifest::Manifest;
use coffer_engine::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(m) = Manifest::parse(data, &limits) {
        let again = serde_json::to_vec(m.json()).expect("serialises");
        Manifest::parse(&again, &limits).expect("a valid manifest stays valid");
        let _ = m.entries();
    }
});
