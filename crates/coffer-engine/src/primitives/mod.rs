//! Cryptographic constructions, one per file, with no format logic.

pub mod aead;
pub mod kdf;
pub mod stream;
