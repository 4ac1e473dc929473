//! Feeds arbitrary text to the key-file parser, with and without a
//! passphrase. It must reject garbage with an error, never panic, and never
//! run Argon2 with parameters beyond the limits.
#![no_main]

use coffer_engine::keyfile::{inspect_key_file, read_key_file};
use coffer_engine::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = Limits { max_kdf_memory_kib: 1024, max_kdf_iterations: 2, ..Limits::default() };
    let _ = inspect_key_file(text);
    let _ = read_key_file(text, None, &limits);
    let _ = read_key_file(text, Some(b"correct horse battery staple"), &limits);
});
