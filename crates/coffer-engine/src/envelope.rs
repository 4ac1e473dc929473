//! Sealed record envelopes: how values of encrypted stores are kept
//! (FORMAT.md §5).
//!
//! ```text
//! envelope = version (0x01) ‖ key id (16) ‖ nonce (24) ‖ ciphertext ‖ tag (16)
//! aad      = "coffer-sealed-record" ‖ version ‖ key id
//!            ‖ varint(len(database)) ‖ database ‖ varint(len(store)) ‖ store
//!            ‖ varint(len(key)) ‖ key        ; lengths in UTF-8 bytes
//! ```
//!
//! The cipher is XChaCha20-Poly1305 under the seal subkey of the master key;
//! the plaintext is the value encoding of FORMAT.md §4.3. The associated
//! data binds the envelope to its database, store and record key, so a
//! sealed value moved to another record no longer opens.

use crate::codec::{decode_value, encode_key, encode_value, write_varint};
use crate::error::{Error, Result};
use crate::keys::{KeyId, MasterKey, KEY_ID_LEN, SEAL_KEY_CONTEXT};
use crate::model::{Key, Value};
use crate::primitives::aead;

/// The envelope version this build writes and reads.
pub const ENVELOPE_VERSION: u8 = 1;
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

fn aad(key_id: &KeyId, ctx: &RecordContext<'_>) -> Result<Vec<u8>> {
    let key = encode_key(ctx.key).map_err(|e| Error::Unencodable(format!("record key: {e}")))?;
    let mut out = Vec::with_capacity(64 + key.len());
    out.extend_from_slice(AAD_LABEL);
    out.push(ENVELOPE_VERSION);
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
    if envelope.len() < MIN_LEN {
        return Err(Error::Envelope(format!(
            "{} bytes is shorter than the {MIN_LEN}-byte minimum",
            envelope.len()
        )));
    }
    if envelope[0] != ENVELOPE_VERSION {
        return Err(Error::UnsupportedVersion {
            what: "sealed record",
            found: u64::from(envelope[0]),
            supported: u64::from(ENVELOPE_VERSION),
        });
    }
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&envelope[1..1 + KEY_ID_LEN]);
    Ok(KeyId(id))
}

/// Seals raw plaintext bytes for the record at `ctx`.
pub fn seal_bytes(key: &MasterKey, ctx: &RecordContext<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
    let mut nonce = [0u8; aead::NONCE_LEN];
    crate::keys::random_bytes(&mut nonce)?;
    seal_bytes_with_nonce(key, ctx, &nonce, plaintext)
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
    let id = key.id();
    let aad = aad(&id, ctx)?;
    let mut out = Vec::with_capacity(MIN_LEN + plaintext.len());
    out.push(ENVELOPE_VERSION);
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

/// The associated data bound into the envelope of the record at `ctx`
/// under key id `key_id` (FORMAT.md §5), exposed for independent readers'
/// test vectors.
pub fn associated_data(key_id: &KeyId, ctx: &RecordContext<'_>) -> Result<Vec<u8>> {
    aad(key_id, ctx)
}

/// Seals a value for the record at `ctx`.
pub fn seal_value(key: &MasterKey, ctx: &RecordContext<'_>, value: &Value) -> Result<Vec<u8>> {
    let plain = zeroize::Zeroizing::new(
        encode_value(value).map_err(|e| Error::Unencodable(format!("value: {e}")))?,
    );
    seal_bytes(key, ctx, &plain)
}

/// Opens an envelope to its plaintext bytes. A different key id is reported
/// as [`Error::WrongKey`] before any decryption is tried.
pub fn open_bytes(key: &MasterKey, ctx: &RecordContext<'_>, envelope: &[u8]) -> Result<Vec<u8>> {
    let id = envelope_key_id(envelope)?;
    let ours = key.id();
    if id != ours {
        return Err(Error::WrongKey {
            expected: id,
            actual: ours,
        });
    }
    let aad = aad(&id, ctx)?;
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
    let value = decode_value(&plain, max_depth).map_err(|e| match e.limit() {
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
    crate::codec::check_value_with(&plain, limits, &mut |_| {
        Err(crate::codec::DecodeError::new(
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
    seal_bytes(new, ctx, &plain)
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
