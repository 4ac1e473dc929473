//! Decodes arbitrary bytes as a key and as a value; whatever decodes must
//! re-encode to the very same bytes (the encoding is canonical), the checker
//! must agree with the decoder, and the export form must not panic.
#![no_main]

use coffer_engine::codec::{check_value, decode_key, decode_value, encode_key, encode_value};
use coffer_engine::export::{key_to_json, value_to_json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let decoded = decode_value(data, 64);
    if let Ok(v) = &decoded {
        assert_eq!(encode_value(v).expect("decoded values re-encode"), data);
        let _ = value_to_json(v, &mut |_| Ok("file".into()));
    }
    // Without building, the checker reaches the same verdict (the decoder
    // may additionally stop at its memory budget, which small inputs never
    // reach).
    assert_eq!(check_value(data, 64).is_ok(), decoded.is_ok());
    if let Ok(k) = decode_key(data) {
        assert_eq!(encode_key(&k).expect("decoded keys re-encode"), data);
        let _ = key_to_json(&k);
    }
});
