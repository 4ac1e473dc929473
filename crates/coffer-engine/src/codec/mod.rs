//! Binary encodings of keys, values and record framing (FORMAT.md §4).
//!
//! Everything here is pure: bytes in, model out, and back. Decoders check
//! every length against the bytes that remain before allocating, reject
//! non-canonical forms, and never panic.

mod cursor;
mod jsstr;
mod key;
pub(crate) mod value;

pub use cursor::{write_varint, Cursor, DecodeError};
pub use key::{decode_key, encode_key, encode_key_into};
pub use value::{
    check_value, decode_value, encode_value, encode_value_into, encode_value_without_bodies,
};
