//! A bounds-checked reader over a byte slice, plus LEB128 varints.

use std::fmt;

/// Why bytes failed to decode. The message names what was wrong; a
/// decoding limit that was hit (FORMAT.md §7.3) is also given as
/// [`DecodeError::limit`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    message: String,
    limit: Option<DecodeLimit>,
}

/// A limit that stopped decoding (a cap from [`crate::Limits`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeLimit {
    /// What was measured.
    pub what: &'static str,
    /// The cap.
    pub limit: u64,
    /// What the input needed (at least).
    pub actual: u64,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

impl DecodeError {
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        DecodeError {
            message: msg.into(),
            limit: None,
        }
    }

    pub(crate) fn over_limit(what: &'static str, limit: u64, actual: u64) -> Self {
        DecodeError {
            message: format!("{what} is {actual}, the limit is {limit}"),
            limit: Some(DecodeLimit {
                what,
                limit,
                actual,
            }),
        }
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The limit that was exceeded, when the input was well formed but too
    /// costly to decode.
    pub fn limit(&self) -> Option<&DecodeLimit> {
        self.limit.as_ref()
    }
}

/// Memory a decoder may still allocate for the keys and values it builds
/// (FORMAT.md §7.3 `max_value_memory`). Charged before each allocation:
/// the inline size of every element and the bytes of strings, bodies and
/// bigints.
#[derive(Clone, Debug)]
pub struct Budget {
    limit: u64,
    used: u64,
}

impl Budget {
    /// A budget of `limit` bytes.
    pub fn new(limit: u64) -> Self {
        Budget { limit, used: 0 }
    }

    /// Takes `bytes` from the budget, or fails with a limit error.
    pub fn charge(&mut self, bytes: u64) -> Result<(), DecodeError> {
        let used = self.used.saturating_add(bytes);
        if used > self.limit {
            return Err(DecodeError::over_limit(
                "memory of decoded keys and values",
                self.limit,
                used,
            ));
        }
        self.used = used;
        Ok(())
    }

    /// Takes `n` elements of `T` from the budget.
    pub fn charge_n<T>(&mut self, n: usize) -> Result<(), DecodeError> {
        self.charge((n as u64).saturating_mul(std::mem::size_of::<T>() as u64))
    }

    /// Bytes charged so far.
    pub fn used(&self) -> u64 {
        self.used
    }
}

/// Elements reserved up front for a collection, whatever count it declares;
/// more are allocated as they are actually decoded. Keeps the memory of a
/// value proportional to the input read, not to the counts it declares.
pub(crate) const RESERVE_MAX: usize = 256;

/// Appends `v` as an unsigned LEB128 varint.
pub fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A cursor over bytes that checks every read.
#[derive(Clone, Debug)]
pub struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, pos: 0 }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The current offset.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Reads one byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| DecodeError::new("unexpected end of data"))?;
        self.pos += 1;
        Ok(b)
    }

    /// Reads exactly `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError::new(format!(
                "length {n} exceeds the {} bytes that remain",
                self.remaining()
            )));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Reads a fixed-size array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// Reads a little-endian `f64`.
    pub fn f64(&mut self) -> Result<f64, DecodeError> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// Reads a canonical (shortest-form) unsigned LEB128 varint.
    pub fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let b = self.u8()?;
            let part = u64::from(b & 0x7f);
            if i == 9 && b > 1 {
                return Err(DecodeError::new("varint overflows 64 bits"));
            }
            v |= part << (7 * i);
            if b & 0x80 == 0 {
                if b == 0 && i > 0 {
                    return Err(DecodeError::new("non-canonical varint"));
                }
                return Ok(v);
            }
        }
        Err(DecodeError::new("varint longer than 10 bytes"))
    }

    /// Reads a varint that must fit in a `usize` and not exceed what remains
    /// (for lengths of things that are at least one byte each).
    pub fn len(&mut self) -> Result<usize, DecodeError> {
        let v = self.varint()?;
        let n =
            usize::try_from(v).map_err(|_| DecodeError::new("length does not fit in memory"))?;
        if n > self.remaining() {
            return Err(DecodeError::new(format!(
                "length {n} exceeds the {} bytes that remain",
                self.remaining()
            )));
        }
        Ok(n)
    }

    /// Reads a varint-length-prefixed byte string.
    pub fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.len()?;
        self.take(n)
    }

    /// Fails if bytes are left over.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::new(format!(
                "{} unexpected bytes after the end",
                self.remaining()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn varint_known_encodings() {
        let mut out = Vec::new();
        write_varint(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
        let mut out = Vec::new();
        write_varint(&mut out, u64::MAX);
        assert_eq!(out.len(), 10);
        assert_eq!(Cursor::new(&out).varint(), Ok(u64::MAX));
    }

    #[test]
    fn varint_rejects_bad_forms() {
        assert!(
            Cursor::new(&[0x80, 0x00]).varint().is_err(),
            "non-canonical"
        );
        assert!(Cursor::new(&[0x80]).varint().is_err(), "truncated");
        let mut over = vec![0xff; 9];
        over.push(0x02);
        assert!(Cursor::new(&over).varint().is_err(), "overflow");
        assert!(
            Cursor::new(&[0x05, 1, 2]).bytes().is_err(),
            "length beyond end"
        );
    }

    proptest! {
        #[test]
        fn varint_round_trip(v: u64) {
            let mut out = Vec::new();
            write_varint(&mut out, v);
            let mut c = Cursor::new(&out);
            prop_assert_eq!(c.varint().unwrap(), v);
            prop_assert!(c.finish().is_ok());
        }
    }
}
