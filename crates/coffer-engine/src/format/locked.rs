//! The locked-backup header (FORMAT.md §6.1): how a whole backup is
//! encrypted under a passphrase and/or the master key.
//!
//! ```text
//! header  = magic "COFFERLK" ‖ version (0x01) ‖ count (1 byte, 1..=2) ‖ stanza{count}
//!           ‖ payload salt (16) ‖ mac (32)
//! stanza  = 0x01 ‖ m_kib u32le ‖ t u32le ‖ p u32le ‖ salt (16) ‖ wrapped (72)   ; passphrase
//!         | 0x02 ‖ key id (16) ‖ wrapped (72)                                  ; master key
//! wrapped = XChaCha20-Poly1305(wrap key, aad = "coffer-locked-stanza v1" ‖ stanza bytes
//!           before `wrapped`, file key (32))
//! mac     = BLAKE3-keyed(derive_key(LOCK_HEADER_MAC_CONTEXT, file key), header before mac)
//! ```

use crate::codec::Cursor;
use crate::error::{Error, Result};
use crate::keys::{KeyId, KEY_ID_LEN};
use crate::primitives::aead;
use crate::primitives::kdf::{KdfParams, SALT_LEN};

/// The first eight bytes of every locked backup.
pub const MAGIC: &[u8; 8] = b"COFFERLK";
/// The locked-header version this build writes and reads.
pub const VERSION: u8 = 1;
/// Length of the payload salt.
pub const PAYLOAD_SALT_LEN: usize = 16;
/// Length of the header MAC.
pub const MAC_LEN: usize = 32;
/// Length of a wrapped file key.
pub const WRAPPED_LEN: usize = aead::NONCE_LEN + 32 + aead::TAG_LEN;
/// Associated-data label of stanza wrapping.
pub const STANZA_AAD_LABEL: &[u8] = b"coffer-locked-stanza v1";

const TAG_PASSPHRASE: u8 = 0x01;
const TAG_MASTER_KEY: u8 = 0x02;

/// One way to unwrap the file key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stanza {
    /// Wrapped under Argon2id(passphrase, salt).
    Passphrase {
        /// KDF parameters.
        params: KdfParams,
        /// KDF salt.
        salt: [u8; SALT_LEN],
        /// The wrapped file key.
        wrapped: Vec<u8>,
    },
    /// Wrapped under the master key's lock-wrap subkey.
    MasterKey {
        /// Id of the master key.
        key_id: KeyId,
        /// The wrapped file key.
        wrapped: Vec<u8>,
    },
}

impl Stanza {
    /// The stanza's bytes before `wrapped`; these are its associated data
    /// (after the label).
    pub fn prefix(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Stanza::Passphrase { params, salt, .. } => {
                out.push(TAG_PASSPHRASE);
                out.extend_from_slice(&params.memory_kib.to_le_bytes());
                out.extend_from_slice(&params.iterations.to_le_bytes());
                out.extend_from_slice(&params.parallelism.to_le_bytes());
                out.extend_from_slice(salt);
            }
            Stanza::MasterKey { key_id, .. } => {
                out.push(TAG_MASTER_KEY);
                out.extend_from_slice(&key_id.0);
            }
        }
        out
    }

    /// Associated data for wrapping: label ‖ prefix.
    pub fn aad(&self) -> Vec<u8> {
        let mut out = STANZA_AAD_LABEL.to_vec();
        out.extend_from_slice(&self.prefix());
        out
    }

    /// The wrapped file key.
    pub fn wrapped(&self) -> &[u8] {
        match self {
            Stanza::Passphrase { wrapped, .. } | Stanza::MasterKey { wrapped, .. } => wrapped,
        }
    }
}

/// A parsed locked header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedHeader {
    /// The stanzas, in order.
    pub stanzas: Vec<Stanza>,
    /// Salt mixed into the payload key.
    pub payload_salt: [u8; PAYLOAD_SALT_LEN],
    /// The header MAC.
    pub mac: [u8; MAC_LEN],
    /// Length of the header in bytes (the payload starts here).
    pub len: usize,
}

impl LockedHeader {
    /// The header bytes the MAC covers (everything before the MAC).
    pub fn mac_input(stanzas: &[Stanza], payload_salt: &[u8; PAYLOAD_SALT_LEN]) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(stanzas.len() as u8);
        for s in stanzas {
            out.extend_from_slice(&s.prefix());
            out.extend_from_slice(s.wrapped());
        }
        out.extend_from_slice(payload_salt);
        out
    }

    /// Parses a header from the start of `bytes` (which may continue with
    /// the payload). Structure only: nothing is decrypted.
    pub fn parse(bytes: &[u8]) -> Result<LockedHeader> {
        let mut c = Cursor::new(bytes);
        let trunc = |_| Error::Truncated("the locked header is incomplete".into());
        let magic: [u8; 8] = c.array().map_err(trunc)?;
        if &magic != MAGIC {
            return Err(Error::NotABackup("no locked-backup magic".into()));
        }
        let version = c.u8().map_err(trunc)?;
        if version != VERSION {
            return Err(Error::UnsupportedVersion {
                what: "locked backup",
                found: u64::from(version),
                supported: u64::from(VERSION),
            });
        }
        let count = c.u8().map_err(trunc)?;
        if !(1..=2).contains(&count) {
            return Err(Error::NotABackup(format!(
                "locked header lists {count} stanzas"
            )));
        }
        let mut stanzas = Vec::new();
        let mut tags = Vec::new();
        for _ in 0..count {
            let tag = c.u8().map_err(trunc)?;
            // Each field is checked as it is read (FORMAT.md §7.1 1b): a
            // repeated type is known at its type byte, before the stanza's
            // body could be found cut short.
            if tags.contains(&tag) {
                return Err(Error::NotABackup(
                    "the locked header repeats a stanza type".into(),
                ));
            }
            tags.push(tag);
            let stanza = match tag {
                TAG_PASSPHRASE => {
                    let m = u32::from_le_bytes(c.array().map_err(trunc)?);
                    let t = u32::from_le_bytes(c.array().map_err(trunc)?);
                    let p = u32::from_le_bytes(c.array().map_err(trunc)?);
                    let salt = c.array().map_err(trunc)?;
                    let wrapped = c.take(WRAPPED_LEN).map_err(trunc)?.to_vec();
                    let params = KdfParams {
                        memory_kib: m,
                        iterations: t,
                        parallelism: p,
                    };
                    if !params.is_valid() {
                        return Err(Error::NotABackup(format!(
                            "the locked header's Argon2id parameters are invalid (m={m} t={t} p={p})"
                        )));
                    }
                    Stanza::Passphrase {
                        params,
                        salt,
                        wrapped,
                    }
                }
                TAG_MASTER_KEY => {
                    let id: [u8; KEY_ID_LEN] = c.array().map_err(trunc)?;
                    let wrapped = c.take(WRAPPED_LEN).map_err(trunc)?.to_vec();
                    Stanza::MasterKey {
                        key_id: KeyId(id),
                        wrapped,
                    }
                }
                other => {
                    return Err(Error::NotABackup(format!(
                        "unknown locked stanza type {other}"
                    )))
                }
            };
            stanzas.push(stanza);
        }
        let payload_salt = c.array().map_err(trunc)?;
        let mac = c.array().map_err(trunc)?;
        Ok(LockedHeader {
            stanzas,
            payload_salt,
            mac,
            len: c.position(),
        })
    }

    /// Serialises the header.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Self::mac_input(&self.stanzas, &self.payload_salt);
        out.extend_from_slice(&self.mac);
        out
    }
}

/// Largest header: magic, version, count, both stanzas, salt, mac.
pub const MAX_HEADER_LEN: usize = 8
    + 1
    + 1
    + (1 + 12 + SALT_LEN + WRAPPED_LEN)
    + (1 + KEY_ID_LEN + WRAPPED_LEN)
    + PAYLOAD_SALT_LEN
    + MAC_LEN;
