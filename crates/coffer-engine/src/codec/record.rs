//! Records-part framing (FORMAT.md §4.1).
//!
//! ```text
//! part   = *record
//! record = varint(len(key)) ‖ key ‖ varint(len(value)) ‖ value
//! ```
//!
//! Framing only: the key and value bytes are decoded by [`super::decode_key`]
//! and [`super::decode_value`] (or are sealed envelopes).

use super::cursor::{write_varint, Cursor, DecodeError};

/// Appends the bytes of a record that come before its value:
/// `varint(len(key)) ‖ key ‖ varint(value_len)`.
pub fn write_record_head(out: &mut Vec<u8>, key: &[u8], value_len: usize) {
    write_varint(out, key.len() as u64);
    out.extend_from_slice(key);
    write_varint(out, value_len as u64);
}

/// One framed record: its encoded key and its value bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The key encoding (§4.2).
    pub key: &'a [u8],
    /// The value encoding (§4.3) or sealed envelope (§5).
    pub value: &'a [u8],
}

/// The records of a part, in order. Each length is checked against the bytes
/// that remain; after an error the iterator ends.
#[derive(Clone, Debug)]
pub struct Frames<'a> {
    c: Cursor<'a>,
    failed: bool,
}

impl<'a> Frames<'a> {
    /// Iterates over the framed records of `part`.
    pub fn new(part: &'a [u8]) -> Self {
        Frames {
            c: Cursor::new(part),
            failed: false,
        }
    }

    fn frame(&mut self) -> Result<Frame<'a>, DecodeError> {
        let key = self.c.bytes()?;
        let value = self.c.bytes()?;
        Ok(Frame { key, value })
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<Frame<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.c.is_empty() {
            return None;
        }
        let r = self.frame();
        self.failed = r.is_err();
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let mut part = Vec::new();
        for (k, v) in [
            (&b"k1"[..], &b"v"[..]),
            (b"", b""),
            (&[7u8; 200][..], &[1u8; 300][..]),
        ] {
            write_record_head(&mut part, k, v.len());
            part.extend_from_slice(v);
        }
        let frames: Vec<Frame<'_>> = Frames::new(&part).map(|f| f.unwrap()).collect();
        assert_eq!(frames.len(), 3);
        assert_eq!(
            frames[0],
            Frame {
                key: b"k1",
                value: b"v"
            }
        );
        assert_eq!(frames[2].key.len(), 200);
        assert_eq!(frames[2].value.len(), 300);
        assert_eq!(Frames::new(&[]).count(), 0);
    }

    #[test]
    fn bad_lengths_end_the_iteration() {
        // Key length beyond the part; value length beyond the part; a
        // non-canonical varint.
        for part in [&[0x05, 1, 2][..], &[0x01, 0x03, 0x09, 0x00], &[0x80, 0x00]] {
            let all: Vec<_> = Frames::new(part).collect();
            assert_eq!(all.len(), 1, "{part:?}");
            assert!(all[0].is_err(), "{part:?}");
        }
    }
}
