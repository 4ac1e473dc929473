//! Binary encodings of keys, values and record framing (FORMAT.md §4): one
//! file per encoding, each next to its tags.
//!
//! Everything here is pure: bytes in, model out, and back. Decoders check
//! every length against the bytes that remain before allocating, reject
//! non-canonical forms, and never panic.

mod cursor;
pub mod items;
mod jsstr;
mod key;
mod record;
pub(crate) mod value;

pub use cursor::{write_varint, Budget, Cursor, DecodeError, DecodeLimit};
pub use key::{decode_key, decode_key_in, encode_key, encode_key_into};
pub use record::{write_record_head, Frame, Frames};
pub use value::{
    check_value, check_value_with, decode_value, decode_value_in, encode_value, encode_value_into,
    encode_value_without_bodies, Checked, Revision, MAX_VALUE_BUFFERS,
};
