//! Byte and document layouts of backup format v1: the ZIP profile, the
//! manifest, entry names, the locked (whole-backup encrypted) header, and
//! RFC 3339 times.

pub mod locked;
pub mod manifest;
pub mod names;
pub mod parts;
pub(crate) mod probe;
pub mod time;
pub mod zip;
