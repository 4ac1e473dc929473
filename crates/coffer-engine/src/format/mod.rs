//! Byte and document layouts of backup format v1: the manifest, entry
//! names, and the locked (whole-backup encrypted) header.

pub mod locked;
pub mod manifest;
pub mod names;
