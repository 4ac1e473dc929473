//! Decodes arbitrary bytes as a key and as a value; whatever decodes must
//! re-encode to the very same bytes (the encoding is canonical).
#![no_main]

use coffer_engine::codec::{decode_key, decode_value, encode_key, encode_value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = decode_value(data, 64) {
        assert_eq!(encode_value(&v).expect("decoded values re-encode"), data);
    }
    if let Ok(k) = decode_key(data) {
        assert_eq!(encode_key(&k).expect("decoded keys re-encode"), data);
    }
});
