//! The string form shared by keys and values: a varint header `h`; when `h`
//! is even, `h/2` bytes of UTF-8 follow, when odd, `(h-1)/2` UTF-16LE code
//! units that are not well-formed UTF-16 (they hold a lone surrogate).

use super::cursor::{write_varint, Budget, Cursor, DecodeError};
use crate::model::JsString;

pub(crate) fn write_str(out: &mut Vec<u8>, s: &JsString) {
    match s.as_ill_formed_utf16() {
        None => write_utf8(out, s.as_str().unwrap_or_default()),
        Some(units) => {
            write_varint(out, ((units.len() as u64) << 1) | 1);
            out.reserve(units.len() * 2);
            for u in units {
                out.extend_from_slice(&u.to_le_bytes());
            }
        }
    }
}

pub(crate) fn write_utf8(out: &mut Vec<u8>, s: &str) {
    write_varint(out, (s.len() as u64) << 1);
    out.extend_from_slice(s.as_bytes());
}

pub(crate) fn read_str(c: &mut Cursor<'_>, budget: &mut Budget) -> Result<JsString, DecodeError> {
    let h = c.varint()?;
    let n = usize::try_from(h >> 1).map_err(|_| DecodeError::new("string too long"))?;
    if h & 1 == 0 {
        let bytes = c.take(n)?;
        budget.charge(n as u64)?;
        let s = std::str::from_utf8(bytes)
            .map_err(|_| DecodeError::new("string is not valid UTF-8"))?;
        Ok(JsString::from(s))
    } else {
        let byte_len = n
            .checked_mul(2)
            .ok_or_else(|| DecodeError::new("string too long"))?;
        let bytes = c.take(byte_len)?;
        budget.charge(byte_len as u64)?;
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect();
        let s = JsString::from_utf16(units);
        if s.as_str().is_some() {
            return Err(DecodeError::new(
                "well-formed string stored as UTF-16 (non-canonical)",
            ));
        }
        Ok(s)
    }
}

pub(crate) fn read_utf8(
    c: &mut Cursor<'_>,
    what: &str,
    budget: &mut Budget,
) -> Result<String, DecodeError> {
    let s = read_str(c, budget)?;
    s.as_str()
        .map(str::to_owned)
        .ok_or_else(|| DecodeError::new(format!("{what} holds a lone surrogate")))
}

/// Checks a string as [`read_str`] would read it, without copying it.
pub(crate) fn check_str(c: &mut Cursor<'_>) -> Result<(), DecodeError> {
    check_form(c).map(|_| ())
}

/// Checks a string that must be well formed (the UTF-8 form).
pub(crate) fn check_utf8(c: &mut Cursor<'_>, what: &str) -> Result<(), DecodeError> {
    if check_form(c)? {
        Ok(())
    } else {
        Err(DecodeError::new(format!("{what} holds a lone surrogate")))
    }
}

/// Checks a string; whether it is in the UTF-8 form.
fn check_form(c: &mut Cursor<'_>) -> Result<bool, DecodeError> {
    let h = c.varint()?;
    let n = usize::try_from(h >> 1).map_err(|_| DecodeError::new("string too long"))?;
    if h & 1 == 0 {
        std::str::from_utf8(c.take(n)?)
            .map_err(|_| DecodeError::new("string is not valid UTF-8"))?;
        Ok(true)
    } else {
        let byte_len = n
            .checked_mul(2)
            .ok_or_else(|| DecodeError::new("string too long"))?;
        let bytes = c.take(byte_len)?;
        let units = bytes
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]));
        if char::decode_utf16(units).all(|r| r.is_ok()) {
            return Err(DecodeError::new(
                "well-formed string stored as UTF-16 (non-canonical)",
            ));
        }
        Ok(false)
    }
}
