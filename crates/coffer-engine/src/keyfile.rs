//! Master-key files, version 1 (FORMAT.md §2).
//!
//! A key file is a small JSON document holding the 32-byte master key in
//! canonical base64, either as is (`"protection": "none"`) or wrapped with a
//! passphrase (`"protection": "argon2id"`). The key id doubles as a
//! checksum: a key that does not hash to it is rejected. Wrapped files
//! authenticate the key id, creation time, KDF parameters and salt as
//! associated data, so none of them can be altered without detection.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::keys::{random_bytes, KeyId, MasterKey, KEY_LEN};
use crate::limits::Limits;
use crate::primitives::aead;
use crate::primitives::kdf::{self, KdfParams, SALT_LEN};

/// The `type` field of every key file.
pub const KEY_FILE_TYPE: &str = "coffer-master-key";
/// The key-file version this build writes and reads.
pub const KEY_FILE_VERSION: u64 = 1;
/// Largest key file accepted, in bytes.
pub const MAX_KEY_FILE_LEN: usize = 16 * 1024;
const WRAP_AAD_LABEL: &[u8] = b"coffer-key-file v1";

/// How the key inside a key file is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protection {
    /// The key is stored as is.
    None,
    /// The key is wrapped with a key derived from a passphrase by Argon2id.
    Argon2id,
}

/// What a key file says about itself (no secrets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFileInfo {
    /// The id of the key inside.
    pub key_id: KeyId,
    /// When the key was created (RFC 3339).
    pub created: String,
    /// How the key is protected.
    pub protection: Protection,
    /// The KDF parameters, for passphrase-protected files.
    pub kdf: Option<KdfParams>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileJson {
    #[serde(rename = "type")]
    kind: String,
    version: u64,
    key_id: KeyId,
    created: String,
    protection: Protection,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kdf: Option<KdfParams>,
    #[serde(skip_serializing_if = "Option::is_none")]
    salt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wrapped_key: Option<String>,
}

fn wrap_aad(id: &KeyId, created: &str, params: &KdfParams, salt: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(96);
    out.extend_from_slice(WRAP_AAD_LABEL);
    out.extend_from_slice(&id.0);
    out.extend_from_slice(&(created.len() as u32).to_le_bytes());
    out.extend_from_slice(created.as_bytes());
    out.extend_from_slice(&params.memory_kib.to_le_bytes());
    out.extend_from_slice(&params.iterations.to_le_bytes());
    out.extend_from_slice(&params.parallelism.to_le_bytes());
    out.extend_from_slice(salt);
    out
}

fn format_time(t: OffsetDateTime) -> Result<String> {
    t.replace_nanosecond(0)
        .map_err(|e| Error::Misuse(e.to_string()))?
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(|e| Error::Misuse(format!("cannot format time: {e}")))
}

/// Writes a key file for `key`. With a passphrase, the key is wrapped under
/// Argon2id with `params` (use [`KdfParams::DEFAULT`]).
pub fn write_key_file(
    key: &MasterKey,
    created: OffsetDateTime,
    passphrase: Option<(&[u8], KdfParams)>,
) -> Result<String> {
    let id = key.id();
    let created = format_time(created)?;
    let mut json = KeyFileJson {
        kind: KEY_FILE_TYPE.into(),
        version: KEY_FILE_VERSION,
        key_id: id,
        created,
        protection: Protection::None,
        key: None,
        kdf: None,
        salt: None,
        wrapped_key: None,
    };
    match passphrase {
        None => json.key = Some(B64.encode(key.expose_bytes())),
        Some((pass, params)) => {
            if pass.is_empty() {
                return Err(Error::Misuse("the passphrase is empty".into()));
            }
            params.check(&Limits::default())?;
            let mut salt = [0u8; SALT_LEN];
            random_bytes(&mut salt)?;
            let wrap_key = kdf::derive(pass, &salt, params)?;
            let aad = wrap_aad(&id, &json.created, &params, &salt);
            let mut wrapped = Vec::new();
            aead::seal_into(&wrap_key, &aad, key.expose_bytes(), &mut wrapped)?;
            json.protection = Protection::Argon2id;
            json.kdf = Some(params);
            json.salt = Some(B64.encode(salt));
            json.wrapped_key = Some(B64.encode(wrapped));
        }
    }
    let mut text = serde_json::to_string_pretty(&json)
        .map_err(|e| Error::Misuse(format!("cannot serialise key file: {e}")))?;
    text.push('\n');
    Ok(text)
}

fn parse(text: &str) -> Result<KeyFileJson> {
    if text.len() > MAX_KEY_FILE_LEN {
        return Err(Error::KeyFile(format!(
            "{} bytes is larger than any key file ({MAX_KEY_FILE_LEN} bytes at most)",
            text.len()
        )));
    }
    let [kind, version] = crate::format::probe::probe(text.as_bytes(), ["type", "version"])
        .map_err(|e| Error::KeyFile(format!("not a Coffer key file (not a JSON object: {e})")))?;
    match kind.as_ref().and_then(|k| k.as_str()) {
        Some(KEY_FILE_TYPE) => {}
        _ => {
            return Err(Error::KeyFile(format!(
                "not a Coffer key file (the \"type\" field is not {KEY_FILE_TYPE:?})"
            )))
        }
    }
    match version.as_ref().and_then(|v| v.as_u64()) {
        Some(KEY_FILE_VERSION) => {}
        Some(v) => {
            return Err(Error::UnsupportedVersion {
                what: "key file",
                found: v,
                supported: KEY_FILE_VERSION,
            })
        }
        None => {
            return Err(Error::KeyFile(
                "the \"version\" field is missing or not a number".into(),
            ))
        }
    }
    let json: KeyFileJson =
        serde_json::from_str(text).map_err(|e| Error::KeyFile(format!("malformed: {e}")))?;
    if !crate::format::time::is_rfc3339(&json.created) {
        return Err(Error::KeyFile(format!(
            "\"created\" is not an RFC 3339 time: {:?}",
            json.created
        )));
    }
    Ok(json)
}

fn b64_field(value: &Option<String>, field: &str, len: usize) -> Result<Zeroizing<Vec<u8>>> {
    let s = value
        .as_deref()
        .ok_or_else(|| Error::KeyFile(format!("the {field:?} field is missing")))?;
    let bytes = Zeroizing::new(
        B64.decode(s)
            .map_err(|_| Error::KeyFile(format!("{field:?} is not canonical base64")))?,
    );
    if B64.encode(&bytes) != s {
        return Err(Error::KeyFile(format!("{field:?} is not canonical base64")));
    }
    if bytes.len() != len {
        return Err(Error::KeyFile(format!(
            "{field:?} holds {} bytes, expected {len}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

fn forbid(value: &Option<impl Sized>, field: &str, protection: &str) -> Result<()> {
    match value {
        Some(_) => Err(Error::KeyFile(format!(
            "the {field:?} field does not belong in a key file with protection {protection:?}"
        ))),
        None => Ok(()),
    }
}

/// Reads what a key file says about itself without unlocking it.
pub fn inspect_key_file(text: &str) -> Result<KeyFileInfo> {
    let json = parse(text)?;
    Ok(KeyFileInfo {
        key_id: json.key_id,
        created: json.created,
        protection: json.protection,
        kdf: json.kdf,
    })
}

/// Reads the master key from a key file, unlocking it with `passphrase`
/// when it is wrapped. KDF parameters are checked against `limits` before
/// any work is done.
pub fn read_key_file(text: &str, passphrase: Option<&[u8]>, limits: &Limits) -> Result<MasterKey> {
    let json = parse(text)?;
    let mut raw = [0u8; KEY_LEN];
    match json.protection {
        Protection::None => {
            forbid(&json.kdf, "kdf", "none")?;
            forbid(&json.salt, "salt", "none")?;
            forbid(&json.wrapped_key, "wrapped_key", "none")?;
            raw.copy_from_slice(&b64_field(&json.key, "key", KEY_LEN)?);
        }
        Protection::Argon2id => {
            forbid(&json.key, "key", "argon2id")?;
            let params = json
                .kdf
                .ok_or_else(|| Error::KeyFile("the \"kdf\" field is missing".into()))?;
            params.check(limits)?;
            let salt = b64_field(&json.salt, "salt", SALT_LEN)?;
            let wrapped = b64_field(
                &json.wrapped_key,
                "wrapped_key",
                aead::NONCE_LEN + KEY_LEN + aead::TAG_LEN,
            )?;
            let pass = passphrase.ok_or(Error::PassphraseRequired("key file"))?;
            let wrap_key = kdf::derive(pass, &salt, params)?;
            let aad = wrap_aad(&json.key_id, &json.created, &params, &salt);
            let key = Zeroizing::new(
                aead::open(&wrap_key, &aad, &wrapped)
                    .map_err(|_| Error::WrongPassphrase("key file"))?,
            );
            raw.copy_from_slice(&key);
        }
    }
    let key = MasterKey::from_bytes(raw);
    zeroize::Zeroize::zeroize(&mut raw);
    if key.id() != json.key_id {
        return Err(Error::KeyFile(format!(
            "checksum mismatch: the key inside does not match key id {}",
            json.key_id
        )));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

    fn key() -> MasterKey {
        MasterKey::from_bytes([0x42; 32])
    }

    #[test]
    fn plain_round_trip() {
        let text = write_key_file(&key(), T, None).unwrap();
        let info = inspect_key_file(&text).unwrap();
        assert_eq!(info.key_id, key().id());
        assert_eq!(info.created, "2026-11-26T12:00:00Z");
        assert_eq!(info.protection, Protection::None);
        let back = read_key_file(&text, None, &Limits::default()).unwrap();
        assert_eq!(back.expose_bytes(), key().expose_bytes());
    }

    #[test]
    fn wrapped_round_trip_and_wrong_passphrase() {
        let text = write_key_file(
            &key(),
            T,
            Some((b"correct horse", KdfParams::INSECURE_FAST)),
        )
        .unwrap();
        assert!(!text.contains(&B64.encode(key().expose_bytes())));
        let l = Limits::default();
        assert_eq!(
            read_key_file(&text, Some(b"correct horse"), &l)
                .unwrap()
                .id(),
            key().id()
        );
        assert!(matches!(
            read_key_file(&text, Some(b"wrong"), &l),
            Err(Error::WrongPassphrase(_))
        ));
        assert!(matches!(
            read_key_file(&text, None, &l),
            Err(Error::PassphraseRequired(_))
        ));
    }

    #[test]
    fn wrapped_parameters_are_authenticated() {
        let text = write_key_file(&key(), T, Some((b"pw", KdfParams::INSECURE_FAST))).unwrap();
        let tampered = text.replace("2026-11-26T12:00:00Z", "2026-11-27T12:00:00Z");
        assert!(matches!(
            read_key_file(&tampered, Some(b"pw"), &Limits::default()),
            Err(Error::WrongPassphrase(_))
        ));
    }

    #[test]
    fn strict_parser_errors() {
        let l = Limits::default();
        let good = write_key_file(&key(), T, None).unwrap();
        let cases: Vec<(String, &str)> = vec![
            ("not json".into(), "invalid-key-file"),
            (
                "{\"type\":\"something-else\",\"version\":1}".into(),
                "invalid-key-file",
            ),
            (
                good.replace("\"version\": 1", "\"version\": 2"),
                "unsupported-version",
            ),
            (
                good.replace("\"key\": \"", "\"key\": \"!"),
                "invalid-key-file",
            ),
            (
                good.replace(
                    &key().id().to_hex(),
                    &MasterKey::from_bytes([1; 32]).id().to_hex(),
                ),
                "invalid-key-file",
            ),
            (
                good.replace("\"protection\"", "\"extra\": 1, \"protection\""),
                "invalid-key-file",
            ),
            ("x".repeat(MAX_KEY_FILE_LEN + 1), "invalid-key-file"),
        ];
        for (text, code) in cases {
            let err = read_key_file(&text, None, &l).expect_err("must fail");
            assert_eq!(err.code(), code, "{err}");
        }
        let err = read_key_file(
            &good.replace(
                &key().id().to_hex(),
                &MasterKey::from_bytes([1; 32]).id().to_hex(),
            ),
            None,
            &l,
        )
        .unwrap_err();
        assert!(err.to_string().contains("checksum mismatch"), "{err}");
    }

    #[test]
    fn hostile_kdf_parameters_are_refused_before_work() {
        let text = write_key_file(&key(), T, Some((b"pw", KdfParams::INSECURE_FAST))).unwrap();
        let hostile = text.replace("\"memory_kib\": 1024", "\"memory_kib\": 4000000000");
        assert!(matches!(
            read_key_file(&hostile, Some(b"pw"), &Limits::default()),
            Err(Error::LimitExceeded { .. })
        ));
    }
}
