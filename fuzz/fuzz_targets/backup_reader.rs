//! Feeds arbitrary bytes to the backup reader: opening, unlocking (with a
//! fixed key and passphrase), full verification, store-by-store decoding and
//! the export form of every value must never panic, hang or blow up memory,
//! whatever the input.
#![no_main]

use std::io::Cursor;

use coffer_engine::export::value_to_json;
use coffer_engine::locked::{open_backup, Unlock};
use coffer_engine::{Limits, MasterKey, RecordValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The key and passphrase of the test vectors (FORMAT.md §10), so the
    // seeds in fuzz/seeds/ open, unlock and verify all the way.
    let key = MasterKey::from_bytes(std::array::from_fn(|i| i as u8));
    // Small limits keep each run fast and bounded; Argon2 stays cheap.
    let limits = Limits {
        max_total_size: 64 << 20,
        max_entry_size: 16 << 20,
        max_part_size: 16 << 20,
        max_record_size: 16 << 20,
        max_value_memory: 64 << 20,
        max_kdf_memory_kib: 1024,
        max_kdf_iterations: 1,
        ..Limits::default()
    };
    let unlock = Unlock {
        passphrase: Some(b"correct horse battery staple"),
        master_key: Some(&key),
    };
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
            let Ok(mut scan) = reader.scan_store(d, s) else { continue };
            while let Ok(Some(records)) = reader.next_part(&mut scan) {
                for r in records {
                    if let RecordValue::Plain(v) = r.value {
                        let _ = value_to_json(&v, &mut |_| Ok("file".into()));
                    }
                }
            }
        }
    }
});
