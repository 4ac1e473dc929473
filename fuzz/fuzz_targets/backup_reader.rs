//! Feeds arbitrary bytes to the backup reader: opening, unlocking (with a
//! fixed key and passphrase), full verification and record decoding must
//! never panic, whatever the input.
#![no_main]

use std::io::Cursor;

use coffer_engine::locked::{open_backup, Unlock};
use coffer_engine::{Limits, MasterKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = MasterKey::from_bytes([0x11; 32]);
    // Small limits keep each run fast and bounded; Argon2 stays cheap.
    let limits = Limits {
        max_total_size: 64 << 20,
        max_entry_size: 16 << 20,
        max_part_size: 16 << 20,
        max_record_size: 16 << 20,
        max_kdf_memory_kib: 1024,
        max_kdf_iterations: 1,
        ..Limits::default()
    };
    let unlock = Unlock { passphrase: Some(b"fuzz"), master_key: Some(&key) };
    if let Ok(mut reader) = open_backup(Cursor::new(data), unlock, limits) {
        let _ = reader.verify(Some(&key), &mut |_| Ok(()));
        let stores: Vec<(usize, usize)> = reader
            .manifest()
            .databases()
            .iter()
            .enumerate()
            .flat_map(|(d, db)| (0..db.stores.len()).map(move |s| (d, s)))
            .collect();
        for (d, s) in stores {
            let _ = reader.for_each_record(d, s, &mut |_| Ok(()));
        }
    }
});
