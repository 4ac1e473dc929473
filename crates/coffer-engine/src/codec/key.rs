//! IndexedDB key encoding (FORMAT.md §4.2).
//!
//! ```text
//! key    = 0x01 f64le          ; number, not NaN
//!        | 0x02 f64le          ; date, not NaN
//!        | 0x03 str            ; string
//!        | 0x04 varint bytes   ; binary
//!        | 0x05 varint key*    ; array
//! ```

use super::cursor::{write_varint, Budget, Cursor, DecodeError, RESERVE_MAX};
use super::jsstr::{read_str, write_str};
use crate::limits::Limits;
use crate::model::Key;

const NUMBER: u8 = 0x01;
const DATE: u8 = 0x02;
const STRING: u8 = 0x03;
const BINARY: u8 = 0x04;
const ARRAY: u8 = 0x05;

/// Deepest array-key nesting accepted.
const MAX_KEY_DEPTH: u32 = 64;

/// Encodes a key. Fails for NaN numbers or dates, which IndexedDB rejects.
pub fn encode_key(key: &Key) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(16);
    encode_key_into(&mut out, key)?;
    Ok(out)
}

/// Appends the encoding of `key` to `out`.
pub fn encode_key_into(out: &mut Vec<u8>, key: &Key) -> Result<(), DecodeError> {
    enc(out, key, 0)
}

fn enc(out: &mut Vec<u8>, key: &Key, depth: u32) -> Result<(), DecodeError> {
    if depth > MAX_KEY_DEPTH {
        return Err(DecodeError::new("array key nested too deeply"));
    }
    match key {
        Key::Number(n) | Key::Date(n) if n.is_nan() => {
            return Err(DecodeError::new("a key cannot be NaN"))
        }
        Key::Number(n) => {
            out.push(NUMBER);
            out.extend_from_slice(&n.to_le_bytes());
        }
        Key::Date(n) => {
            out.push(DATE);
            out.extend_from_slice(&n.to_le_bytes());
        }
        Key::String(s) => {
            out.push(STRING);
            write_str(out, s);
        }
        Key::Binary(b) => {
            out.push(BINARY);
            write_varint(out, b.len() as u64);
            out.extend_from_slice(b);
        }
        Key::Array(items) => {
            out.push(ARRAY);
            write_varint(out, items.len() as u64);
            for k in items {
                enc(out, k, depth + 1)?;
            }
        }
    }
    Ok(())
}

/// Decodes one key that must span all of `bytes`, within the default
/// memory budget (FORMAT.md §7.3 `max_value_memory`).
pub fn decode_key(bytes: &[u8]) -> Result<Key, DecodeError> {
    decode_key_in(bytes, &mut Budget::new(Limits::default().max_value_memory))
}

/// Decodes one key that must span all of `bytes`, charging what it
/// allocates to `budget`.
pub fn decode_key_in(bytes: &[u8], budget: &mut Budget) -> Result<Key, DecodeError> {
    let mut c = Cursor::new(bytes);
    let k = dec(&mut c, 0, budget)?;
    c.finish()?;
    Ok(k)
}

fn dec(c: &mut Cursor<'_>, depth: u32, budget: &mut Budget) -> Result<Key, DecodeError> {
    if depth > MAX_KEY_DEPTH {
        return Err(DecodeError::new("array key nested too deeply"));
    }
    let tag = c.u8()?;
    Ok(match tag {
        NUMBER | DATE => {
            let n = c.f64()?;
            if n.is_nan() {
                return Err(DecodeError::new("a key cannot be NaN"));
            }
            if tag == NUMBER {
                Key::Number(n)
            } else {
                Key::Date(n)
            }
        }
        STRING => Key::String(read_str(c, budget)?),
        BINARY => {
            let bytes = c.bytes()?;
            budget.charge(bytes.len() as u64)?;
            Key::Binary(bytes.to_vec())
        }
        ARRAY => {
            let n = c.len()?; // every key is at least one byte
            let mut items = Vec::with_capacity(n.min(RESERVE_MAX));
            for _ in 0..n {
                budget.charge_n::<Key>(1)?;
                items.push(dec(c, depth + 1, budget)?);
            }
            Key::Array(items)
        }
        other => return Err(DecodeError::new(format!("unknown key tag 0x{other:02x}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::JsString;

    #[test]
    fn known_encoding() {
        let k = Key::Array(vec![Key::Number(1.0), "a".into()]);
        assert_eq!(
            encode_key(&k).unwrap(),
            [0x05, 0x02, 0x01, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x03, 0x02, b'a']
        );
    }

    #[test]
    fn round_trips_every_type() {
        let keys = [
            Key::Number(-0.0),
            Key::Number(f64::INFINITY),
            Key::Date(1.7e12),
            Key::String(JsString::from_utf16(vec![0xDC00])),
            Key::Binary(vec![0, 255]),
            Key::Array(vec![Key::Array(vec![]), Key::Binary(vec![])]),
        ];
        for k in keys {
            let d = decode_key(&encode_key(&k).unwrap()).unwrap();
            assert_eq!(format!("{d:?}"), format!("{k:?}"));
        }
    }

    #[test]
    fn rejects_nan_and_garbage() {
        assert!(encode_key(&Key::Number(f64::NAN)).is_err());
        let mut nan = vec![NUMBER];
        nan.extend_from_slice(&f64::NAN.to_le_bytes());
        assert!(decode_key(&nan).is_err());
        assert!(decode_key(&[0x09]).is_err());
        assert!(
            decode_key(&[0x04, 0x01, 0xaa, 0xbb]).is_err(),
            "trailing byte"
        );
        assert!(decode_key(&[0x05, 0xff, 0x01]).is_err(), "count beyond end");
        let deep: Vec<u8> = std::iter::repeat_n([0x05u8, 0x01], 100).flatten().collect();
        assert!(decode_key(&deep).is_err());
    }
}
