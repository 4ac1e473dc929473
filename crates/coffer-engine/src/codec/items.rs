//! The localStorage entry (FORMAT.md §3.5.1): every item as two strings.
//!
//! ```text
//! local-storage.bin = *item
//! item              = str(key) ‖ str(value)      ; §4.3 strings
//! ```
//!
//! Items are in strictly ascending order of their keys by UTF-16 code
//! units, so a key appears once and the encoding of a given localStorage
//! is unique. Keys and values are JavaScript strings: lone surrogates are
//! kept exactly.

use super::cursor::{Budget, Cursor, DecodeError};
use super::jsstr::{read_str, write_str};
use crate::model::JsString;

/// Whether `a` sorts before `b` by UTF-16 code units.
fn before(a: &JsString, b: &JsString) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => x.encode_utf16().lt(y.encode_utf16()),
        _ => a.to_utf16() < b.to_utf16(),
    }
}

/// Sorts `items` into the entry's order; `Err` names a key given twice.
pub fn sort_items(items: &mut [(JsString, JsString)]) -> Result<(), JsString> {
    items.sort_by(|(a, _), (b, _)| {
        if before(a, b) {
            std::cmp::Ordering::Less
        } else if before(b, a) {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    });
    match items.windows(2).find(|w| !before(&w[0].0, &w[1].0)) {
        Some(w) => Err(w[1].0.clone()),
        None => Ok(()),
    }
}

/// Encodes items already in the entry's order ([`sort_items`]).
pub fn encode_items(items: &[(JsString, JsString)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in items {
        write_str(&mut out, k);
        write_str(&mut out, v);
    }
    out
}

/// Decodes the entry, checking that keys strictly ascend; the strings take
/// at most `memory` bytes.
pub fn decode_items(bytes: &[u8], memory: u64) -> Result<Vec<(JsString, JsString)>, DecodeError> {
    let mut c = Cursor::new(bytes);
    let mut budget = Budget::new(memory);
    let mut out: Vec<(JsString, JsString)> = Vec::new();
    while !c.is_empty() {
        let k = read_str(&mut c, &mut budget)?;
        let v = read_str(&mut c, &mut budget)?;
        if let Some((prev, _)) = out.last() {
            if !before(prev, &k) {
                return Err(DecodeError::new(
                    "keys are not in strictly ascending order (by UTF-16 code units)",
                ));
            }
        }
        budget.charge_n::<(JsString, JsString)>(1)?;
        out.push((k, v));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> JsString {
        JsString::from(x)
    }

    #[test]
    fn round_trip_with_lone_surrogates_in_utf16_order() {
        let lone = JsString::from_utf16(vec![0x61, 0xd800]);
        let mut items = vec![
            (s("\u{ff61}"), s("half-width")),
            (s("\u{1f600}"), s("emoji sorts before U+FF61 by code units")),
            (lone.clone(), JsString::from_utf16(vec![0xdc00])),
            (s(""), s("")),
            (s("a"), s("1")),
        ];
        sort_items(&mut items).unwrap();
        let keys: Vec<_> = items.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(keys, [s(""), s("a"), lone, s("\u{1f600}"), s("\u{ff61}")]);
        let bytes = encode_items(&items);
        assert_eq!(decode_items(&bytes, 1 << 20).unwrap(), items);
        // "" → "" is 00 00, "a" → "1" is 02 61 02 31.
        assert_eq!(&bytes[..6], &[0, 0, 2, b'a', 2, b'1']);
    }

    #[test]
    fn rejects_duplicates_disorder_truncation_and_overuse() {
        let mut dup = vec![(s("a"), s("1")), (s("a"), s("2"))];
        assert_eq!(sort_items(&mut dup), Err(s("a")));
        let mut bytes = encode_items(&[(s("b"), s("1"))]);
        bytes.extend(encode_items(&[(s("a"), s("1"))]));
        assert!(decode_items(&bytes, 1 << 20).is_err());
        let twice = [
            encode_items(&[(s("a"), s("1"))]),
            encode_items(&[(s("a"), s("1"))]),
        ]
        .concat();
        assert!(decode_items(&twice, 1 << 20).is_err());
        let one = encode_items(&[(s("key"), s("value"))]);
        assert!(decode_items(&one[..one.len() - 1], 1 << 20).is_err());
        // A key without its value.
        assert!(decode_items(&one[..4], 1 << 20).is_err());
        assert!(decode_items(&one, 4).unwrap_err().limit().is_some());
        // The UTF-16 form of a well-formed string is not canonical.
        assert!(decode_items(&[0x03, b'a', 0, 0x00], 1 << 20).is_err());
        assert_eq!(decode_items(&[], 0).unwrap(), vec![]);
    }
}
