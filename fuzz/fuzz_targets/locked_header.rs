//! Parses arbitrary bytes as a locked header (FORMAT.md §6.1) and unlocks
//! with a master key only (no Argon2 work): errors only, never a panic; a
//! parsed header serialises back to the bytes it came from.
#![no_main]

use std::io::Cursor;

use coffer_engine::format::locked::LockedHeader;
use coffer_engine::locked::{identify, open_input, Unlock};
use coffer_engine::{Limits, MasterKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = LockedHeader::parse(data) {
        assert_eq!(h.to_bytes(), data[..h.len]);
    }
    let _ = identify(&mut Cursor::new(data));
    let key = MasterKey::from_bytes(std::array::from_fn(|i| i as u8));
    let unlock = Unlock { passphrase: None, master_key: Some(&key) };
    let _ = open_input(Cursor::new(data), unlock, &Limits::default());
});
