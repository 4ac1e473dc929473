//! The master key, its public key id, and every key derived from it.
//!
//! All derivations use BLAKE3's `derive_key` mode with a context string
//! unique to its purpose (the labels below), so no two uses share a key.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};

/// Context for the key id (FORMAT.md §2.1).
pub const KEY_ID_CONTEXT: &str = "coffer 2026-11 master key id v1";
/// Context for the record-sealing key (FORMAT.md §5).
pub const SEAL_KEY_CONTEXT: &str = "coffer 2026-11 record seal key v1";
/// Context for the manifest MAC key (FORMAT.md §3.4).
pub const MANIFEST_MAC_CONTEXT: &str = "coffer 2026-11 manifest mac key v1";
/// Context for wrapping a locked backup's file key under the master key
/// (FORMAT.md §6.2).
pub const LOCK_WRAP_CONTEXT: &str = "coffer 2026-11 locked backup wrap key v1";
/// Context for a locked backup's header MAC key, from its file key.
pub const LOCK_HEADER_MAC_CONTEXT: &str = "coffer 2026-11 locked backup header mac v1";
/// Context for a locked backup's payload key, from its file key and salt.
pub const LOCK_PAYLOAD_CONTEXT: &str = "coffer 2026-11 locked backup payload key v1";

/// Length of the master key in bytes.
pub const KEY_LEN: usize = 32;
/// Length of a key id in bytes.
pub const KEY_ID_LEN: usize = 16;

/// The 32-byte master key. Wiped from memory on drop; never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MasterKey([u8; KEY_LEN]);

impl MasterKey {
    /// A fresh random key from the operating system (or Web Crypto).
    pub fn generate() -> Result<Self> {
        let mut k = [0u8; KEY_LEN];
        getrandom::getrandom(&mut k)
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        Ok(MasterKey(k))
    }

    /// Wraps existing key bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        MasterKey(bytes)
    }

    /// The raw key bytes. Handle with care: whoever holds them can read
    /// every encrypted store.
    pub fn expose_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The key's public fingerprint.
    pub fn id(&self) -> KeyId {
        let full = blake3::derive_key(KEY_ID_CONTEXT, &self.0);
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&full[..KEY_ID_LEN]);
        KeyId(id)
    }

    /// Derives the 32-byte subkey for `context`.
    pub(crate) fn derive(&self, context: &str) -> SubKey {
        SubKey(blake3::derive_key(context, &self.0))
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey(id {})", self.id())
    }
}

/// A derived 32-byte key, wiped on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct SubKey(pub(crate) [u8; 32]);

/// A key id: the first 16 bytes of `BLAKE3-derive_key(KEY_ID_CONTEXT, key)`.
/// Public; shown as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; KEY_ID_LEN]);

impl KeyId {
    /// Parses 32 lowercase hex digits.
    pub fn parse(s: &str) -> Option<Self> {
        if s.len() != KEY_ID_LEN * 2 || s.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let mut id = [0u8; KEY_ID_LEN];
        hex::decode_to_slice(s, &mut id).ok()?;
        Some(KeyId(id))
    }

    /// The id as 32 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A short form for display: the first 8 hex digits.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..4])
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.to_hex())
    }
}

impl serde::Serialize for KeyId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for KeyId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        KeyId::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("invalid key id {s:?}")))
    }
}

/// Fills `buf` with random bytes.
pub(crate) fn random_bytes(buf: &mut [u8]) -> Result<()> {
    getrandom::getrandom(buf).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_is_stable_and_domain_separated() {
        let k = MasterKey::from_bytes([7u8; 32]);
        assert_eq!(k.id(), k.clone().id());
        assert_ne!(&k.derive(SEAL_KEY_CONTEXT).0[..16], &k.id().0[..]);
        assert_ne!(
            k.derive(SEAL_KEY_CONTEXT).0,
            k.derive(MANIFEST_MAC_CONTEXT).0
        );
        let hex = k.id().to_hex();
        assert_eq!(KeyId::parse(&hex), Some(k.id()));
        assert_eq!(KeyId::parse(&hex.to_uppercase()), None);
        assert_eq!(KeyId::parse("abc"), None);
    }

    #[test]
    fn debug_never_shows_the_key() {
        let k = MasterKey::from_bytes([0xab; 32]);
        let dbg = format!("{k:?}");
        assert!(!dbg.contains("abab"), "{dbg}");
        assert!(!dbg.contains("171"), "{dbg}");
    }
}
