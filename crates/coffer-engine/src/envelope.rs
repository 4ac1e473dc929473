//! Sealed record envelopes: how values of encrypted stores are kept
//! (FORMAT.md §5).
//!
//! ```text
//! envelope = version (0x01 / 0x02) ‖ key id (16) ‖ nonce (24) ‖ ciphertext ‖ tag (16)
//! aad      = "coffer-sealed-record" ‖ version ‖ key id
//!            ‖ varint(len(database)) ‖ database ‖ varint(len(store)) ‖ store
//!            ‖ varint(len(key)) ‖ key        ; lengths in UTF-8 bytes
//! ```
//!
//! The cipher is XChaCha20-Poly1305 under the seal subkey of the master key;
//! the plaintext is the value encoding of FORMAT.md §4.3, of the revision
//! the version names (version 2 admits views with their buffers). The
//! associated data binds the envelope to its database, store and record
//! key, so a sealed value moved to another record no longer opens.

use crate::codec::{
    check_value_with, decode_value_in, encode_key, encode_value_into, write_varint, Budget,
    DecodeError, Revision,
};
use crate::error::{Error, Result};
use crate::keys::{KeyId, MasterKey, KEY_ID_LEN, SEAL_KEY_CONTEXT};
use crate::limits::Limits;
use crate::model::{Key, Value};
use crate::primitives::aead;

/// The newest envelope version this build writes and reads. It reads
/// versions 1 and 2, and seals with version 2 only a plaintext that needs
/// it (a view with its buffer, FORMAT.md §5), with version 1 otherwise.
pub const ENVELOPE_VERSION: u8 = 2;
/// Bytes before the ciphertext: version, key id, nonce.
pub const HEADER_LEN: usize = 1 + KEY_ID_LEN + aead::NONCE_LEN;
/// Smallest possible envelope (empty plaintext).
pub const MIN_LEN: usize = HEADER_LEN + aead::TAG_LEN;
const AAD_LABEL: &[u8] = b"coffer-sealed-record";

/// Where a sealed record lives; bound into its associated data.
#[derive(Clone, Copy, Debug)]
pub struct RecordContext<'a> {
    /// Database name.
    pub database: &'a str,
    /// Object store name.
    pub store: &'a str,
    /// The record's key.
    pub key: &'a Key,
}

fn aad(version: Revision, key_id: &KeyId, ctx: &RecordContext<'_>) -> Result<Vec<u8>> {
    let key = encode_key(ctx.key).map_err(|e| Error::Unencodable(format!("record key: {e}")))?;
    let mut out = Vec::with_capacity(64 + key.len());
    out.extend_from_slice(AAD_LABEL);
    out.push(version.number());
    out.extend_from_slice(&key_id.0);
    for s in [ctx.database, ctx.store] {
        write_varint(&mut out, s.len() as u64);
        out.extend_from_slice(s.as_bytes());
    }
    write_varint(&mut out, key.len() as u64);
    out.extend_from_slice(&key);
    Ok(out)
}

/// Reads the key id an envelope names, checking its version and length.
pub fn envelope_key_id(envelope: &[u8]) -> Result<KeyId> {
    envelope_version(envelope)?;
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&envelope[1..1 + KEY_ID_LEN]);
    Ok(KeyId(id))
}

/// An envelope's version, as the revision of the value encoding its
/// plaintext holds, checking the envelope's length first.
pub fn envelope_version(envelope: &[u8]) -> Result<Revision> {
    if envelope.len() < MIN_LEN {
        return Err(Error::Envelope(format!(
            "{} bytes is shorter than the {MIN_LEN}-byte minimum",
            envelope.len()
        )));
    }
    Revision::from_number(u64::from(envelope[0])).ok_or(Error::UnsupportedVersion {
        what: "sealed record",
        found: u64::from(envelope[0]),
        supported: u64::from(ENVELOPE_VERSION),
    })
}

/// The envelope version for `plaintext`: the lowest revision admitting it
/// when it is a value encoding (2 exactly when it holds a view with its
/// buffer), else 1.
fn version_for(plaintext: &[u8]) -> Revision {
    check_value_with(plaintext, &Limits::default(), Revision::LATEST, &mut |_| {
        Ok(())
    })
    .map_or(Revision::V1, |c| c.revision)
}

/// Seals raw plaintext bytes for the record at `ctx`. The envelope's
/// version is the lowest whose plaintexts admit `plaintext` (FORMAT.md §5):
/// 2 for a value encoding holding a view with its buffer, else 1.
pub fn seal_bytes(key: &MasterKey, ctx: &RecordContext<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
    seal_as(key, ctx, version_for(plaintext), plaintext)
}

fn seal_as(
    key: &MasterKey,
    ctx: &RecordContext<'_>,
    version: Revision,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let mut nonce = [0u8; aead::NONCE_LEN];
    crate::keys::random_bytes(&mut nonce)?;
    seal_with_nonce_as(key, ctx, version, &nonce, plaintext)
}

/// Like [`seal_bytes`] with a caller-chosen nonce. For test vectors only:
/// a nonce must never repeat under one key, so real sealing always draws a
/// random one.
pub fn seal_bytes_with_nonce(
    key: &MasterKey,
    ctx: &RecordContext<'_>,
    nonce: &[u8; aead::NONCE_LEN],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    seal_with_nonce_as(key, ctx, version_for(plaintext), nonce, plaintext)
}

fn seal_with_nonce_as(
    key: &MasterKey,
    ctx: &RecordContext<'_>,
    version: Revision,
    nonce: &[u8; aead::NONCE_LEN],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let id = key.id();
    let aad = aad(version, &id, ctx)?;
    let mut out = Vec::with_capacity(MIN_LEN + plaintext.len());
    out.push(version.number());
    out.extend_from_slice(&id.0);
    aead::seal_with_nonce_into(
        &key.derive(SEAL_KEY_CONTEXT).0,
        nonce,
        &aad,
        plaintext,
        &mut out,
    )?;
    Ok(out)
}

/// The associated data bound into a version-`version` envelope of the
/// record at `ctx` under key id `key_id` (FORMAT.md §5), exposed for
/// independent readers' test vectors.
pub fn associated_data(
    version: Revision,
    key_id: &KeyId,
    ctx: &RecordContext<'_>,
) -> Result<Vec<u8>> {
    aad(version, key_id, ctx)
}

/// Seals a value for the record at `ctx`, as an envelope of the lowest
/// version that holds it.
pub fn seal_value(key: &MasterKey, ctx: &RecordContext<'_>, value: &Value) -> Result<Vec<u8>> {
    let mut plain = zeroize::Zeroizing::new(Vec::with_capacity(64));
    let version = encode_value_into(&mut plain, value)
        .map_err(|e| Error::Unencodable(format!("value: {e}")))?;
    seal_as(key, ctx, version, &plain)
}

/// Opens an envelope to its plaintext bytes. A different key id is reported
/// as [`Error::WrongKey`] before any decryption is tried.
pub fn open_bytes(key: &MasterKey, ctx: &RecordContext<'_>, envelope: &[u8]) -> Result<Vec<u8>> {
    let version = envelope_version(envelope)?;
    let id = envelope_key_id(envelope)?;
    let ours = key.id();
    if id != ours {
        return Err(Error::WrongKey {
            expected: id,
            actual: ours,
        });
    }
    let aad = aad(version, &id, ctx)?;
    aead::open(
        &key.derive(SEAL_KEY_CONTEXT).0,
        &aad,
        &envelope[1 + KEY_ID_LEN..],
    )
}

/// Opens an envelope to its value.
pub fn open_value(
    key: &MasterKey,
    ctx: &RecordContext<'_>,
    envelope: &[u8],
    max_depth: u32,
) -> Result<Value> {
    let plain = zeroize::Zeroizing::new(open_bytes(key, ctx, envelope)?);
    let limits = Limits {
        max_depth,
        ..Limits::default()
    };
    let value = decode_value_in(
        &plain,
        &limits,
        envelope_version(envelope)?,
        &mut Budget::new(limits.max_value_memory),
    )
    .map_err(|e| match e.limit() {
        Some(l) => Error::limit(format!("{} in a sealed record", l.what), l.limit, l.actual),
        None => Error::Envelope(format!("sealed value: {e}")),
    })?;
    let mut external = false;
    value.for_each_binary(&mut |b| external |= matches!(b, crate::model::Binary::External(_)));
    if external {
        return Err(Error::Envelope(
            "a sealed value refers to a blob entry; sealed values hold their bytes inline".into(),
        ));
    }
    Ok(value)
}

/// Opens an envelope and checks that its plaintext is a valid value
/// encoding within `limits` with inline bodies only, without building the
/// value (what [`crate::BackupReader::verify`] does with every sealed record).
pub fn check_sealed(
    key: &MasterKey,
    ctx: &RecordContext<'_>,
    envelope: &[u8],
    limits: &crate::Limits,
) -> Result<()> {
    let plain = zeroize::Zeroizing::new(open_bytes(key, ctx, envelope)?);
    check_value_with(&plain, limits, envelope_version(envelope)?, &mut |_| {
        Err(DecodeError::new(
            "a sealed value refers to a blob entry; sealed values hold their bytes inline",
        ))
    })
    .map_err(|e| match e.limit() {
        Some(l) => Error::limit(format!("{} in a sealed record", l.what), l.limit, l.actual),
        None => Error::Envelope(format!("sealed value: {e}")),
    })?;
    Ok(())
}

/// Opens with `old` and seals again with `new`, for key replacement and for
/// restoring a backup made under another key.
pub fn reseal(
    old: &MasterKey,
    new: &MasterKey,
    ctx: &RecordContext<'_>,
    envelope: &[u8],
) -> Result<Vec<u8>> {
    let plain = zeroize::Zeroizing::new(open_bytes(old, ctx, envelope)?);
    seal_as(new, ctx, envelope_version(envelope)?, &plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(key: &'a Key) -> RecordContext<'a> {
        RecordContext {
            database: "app",
            store: "secrets",
            key,
        }
    }

    #[test]
    fn seal_open_round_trip() {
        let mk = MasterKey::from_bytes([1; 32]);
        let k = Key::from("token");
        let v = Value::object([("pw", Value::string("hunter2"))]);
        let env = seal_value(&mk, &ctx(&k), &v).unwrap();
        assert_eq!(envelope_key_id(&env).unwrap(), mk.id());
        assert!(open_value(&mk, &ctx(&k), &env, 16).unwrap().same(&v));
    }

    #[test]
    fn moved_or_wrong_key_fails() {
        let mk = MasterKey::from_bytes([1; 32]);
        let other = MasterKey::from_bytes([2; 32]);
        let k = Key::from("a");
        let env = seal_bytes(&mk, &ctx(&k), b"x").unwrap();
        let k2 = Key::from("b");
        assert!(matches!(
            open_bytes(&mk, &ctx(&k2), &env),
            Err(Error::DecryptionFailed)
        ));
        let other_store = RecordContext {
            store: "sessions",
            ..ctx(&k)
        };
        assert!(open_bytes(&mk, &other_store, &env).is_err());
        assert!(matches!(
            open_bytes(&other, &ctx(&k), &env),
            Err(Error::WrongKey { .. })
        ));
        // A forged key id with the right length still fails authentication.
        let mut forged = env.clone();
        forged[1..17].copy_from_slice(&other.id().0);
        assert!(matches!(
            open_bytes(&other, &ctx(&k), &forged),
            Err(Error::DecryptionFailed)
        ));
    }

    #[test]
    fn reseal_switches_keys() {
        let a = MasterKey::from_bytes([1; 32]);
        let b = MasterKey::from_bytes([2; 32]);
        let k = Key::Number(4.0);
        let env = seal_bytes(&a, &ctx(&k), b"payload").unwrap();
        let env2 = reseal(&a, &b, &ctx(&k), &env).unwrap();
        assert_eq!(open_bytes(&b, &ctx(&k), &env2).unwrap(), b"payload");
        assert!(open_bytes(&a, &ctx(&k), &env2).is_err());
    }

    #[test]
    fn sealed_values_cannot_refer_to_blob_entries() {
        let mk = MasterKey::from_bytes([1; 32]);
        let k = Key::from("a");
        let v = Value::ArrayBuffer(crate::model::Binary::External(crate::model::BlobRef {
            index: 0,
            len: 5,
        }));
        let plain = crate::codec::encode_value(&v).unwrap();
        let env = seal_bytes(&mk, &ctx(&k), &plain).unwrap();
        assert!(matches!(
            open_value(&mk, &ctx(&k), &env, 8),
            Err(Error::Envelope(_))
        ));
    }

    /// Issue 14: a value holding a view with its buffer is sealed as a
    /// version-2 envelope (its plaintext needs revision 2), any other as
    /// version 1, which older readers still open; re-sealing keeps the
    /// version, and a version-1 envelope may not hold tag 0x21.
    #[test]
    fn envelope_version_follows_the_plaintext() {
        use crate::model::{ViewBuffer, ViewKind};
        let a = MasterKey::from_bytes([1; 32]);
        let b = MasterKey::from_bytes([2; 32]);
        let k = Key::from("v");
        let view = Value::View {
            kind: ViewKind::Uint8,
            byte_offset: 8,
            byte_length: 8,
            buffer: ViewBuffer::ArrayBuffer(vec![7; 64].into()),
        };
        let env = seal_value(&a, &ctx(&k), &view).unwrap();
        assert_eq!(env[0], 2);
        assert!(open_value(&a, &ctx(&k), &env, 8).unwrap().same(&view));
        let again = reseal(&a, &b, &ctx(&k), &env).unwrap();
        assert_eq!(again[0], 2);
        assert!(check_sealed(&b, &ctx(&k), &again, &Limits::default()).is_ok());
        let plain = seal_value(&a, &ctx(&k), &Value::ArrayBuffer(vec![1].into())).unwrap();
        assert_eq!(plain[0], 1);
        // The same plaintext under version 1 does not open as a value.
        let bytes = crate::codec::encode_value(&view).unwrap();
        let v1 = seal_with_nonce_as(&a, &ctx(&k), Revision::V1, &[0; 24], &bytes).unwrap();
        assert!(matches!(
            open_value(&a, &ctx(&k), &v1, 8),
            Err(Error::Envelope(_))
        ));
        assert!(matches!(
            check_sealed(&a, &ctx(&k), &v1, &Limits::default()),
            Err(Error::Envelope(_))
        ));
        assert_eq!(seal_bytes(&a, &ctx(&k), &bytes).unwrap()[0], 2);
    }

    #[test]
    fn malformed_envelopes() {
        assert!(matches!(envelope_key_id(&[1; 10]), Err(Error::Envelope(_))));
        let mut v = vec![9u8; MIN_LEN];
        v[0] = 9;
        assert!(matches!(
            envelope_key_id(&v),
            Err(Error::UnsupportedVersion { .. })
        ));
    }
}
