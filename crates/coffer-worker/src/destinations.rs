//! Destinations (S3-compatible storage, WebDAV) kept in Coffer's own
//! database, store [`DESTINATIONS`]: each one's settings and credentials
//! are one envelope sealed under the master key (bound to `coffer-meta`,
//! the store and the destination's id), never in localStorage, URLs or
//! logs. A key replacement re-seals them with the encrypted stores.

use coffer_engine::envelope::{envelope_key_id, open_bytes, seal_bytes, RecordContext};
use coffer_engine::{Key, MasterKey};
use coffer_protocol::{DestinationInfo, DestinationKind, DestinationSettings, ErrorCode, META_DB};
use coffer_remote::{Destination, Remote, S3Destination, Secret, WebDavDestination};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsValue;
use web_sys::IdbTransactionMode;
use zeroize::Zeroizing;

use crate::browser::idb;
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::meta::{self, DESTINATIONS};

/// Longest destination id.
const MAX_ID: usize = 64;

fn check_id(id: &str) -> AppResult<()> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::BadArgument,
            "a destination id is 1-64 letters, digits, '-' or '_'",
        ))
    }
}

/// Seals `destination` (settings and credentials) under `key` as record `id`.
pub fn seal(key: &MasterKey, id: &str, destination: &Destination) -> AppResult<Vec<u8>> {
    check_id(id)?;
    let record = Key::from(id);
    let ctx = RecordContext {
        database: META_DB,
        store: DESTINATIONS,
        key: &record,
    };
    let json = Zeroizing::new(serde_json::to_vec(destination).map_err(|_| {
        AppError::new(
            ErrorCode::InternalError,
            "a destination could not be encoded",
        )
    })?);
    Ok(seal_bytes(key, &ctx, &json)?)
}

/// Opens record `id` with whichever of `keys` it was sealed under.
pub fn open(keys: &[MasterKey], id: &str, envelope: &[u8]) -> AppResult<Destination> {
    let record = Key::from(id);
    let ctx = RecordContext {
        database: META_DB,
        store: DESTINATIONS,
        key: &record,
    };
    let kid = envelope_key_id(envelope)?;
    let key = keys.iter().find(|k| k.id() == kid).ok_or_else(|| {
        AppError::new(
            ErrorCode::KeyStorage,
            "a stored destination is sealed under a key this origin no longer has",
        )
        .about(id.to_owned())
    })?;
    let json = Zeroizing::new(open_bytes(key, &ctx, envelope)?);
    serde_json::from_slice(&json).map_err(|_| {
        AppError::new(
            ErrorCode::KeyStorage,
            "a stored destination could not be read",
        )
        .about(id.to_owned())
    })
}

/// Record `id` sealed under `new`: re-sealed from `old`, or unchanged if
/// it already is under `new` (an interrupted replacement resumes).
pub fn reseal(
    old: &MasterKey,
    new: &MasterKey,
    id: &str,
    envelope: &[u8],
) -> AppResult<Option<Vec<u8>>> {
    if envelope_key_id(envelope)? == new.id() {
        return Ok(None);
    }
    let d = open(std::slice::from_ref(old), id, envelope)?;
    Ok(Some(seal(new, id, &d)?))
}

/// Checks the settings and stores `destination` as `id` (replacing one of
/// that id), sealed under the current master key.
pub async fn save(id: &str, destination: &Destination) -> AppResult<()> {
    check_id(id)?;
    Remote::new(destination).map_err(|e| crate::remote::remote_error(&e))?;
    let key = keys::current_key().await?;
    let envelope = seal(&key.key, id, destination)?;
    let db = meta::open().await?;
    let tx = idb::transaction(&db, &[DESTINATIONS.into()], IdbTransactionMode::Readwrite)?;
    let store = tx
        .object_store(DESTINATIONS)
        .map_err(|e| AppError::js("destinations", e))?;
    let value: JsValue = Uint8Array::from(envelope.as_slice()).into();
    store
        .put_with_key(&value, &JsValue::from_str(id))
        .map_err(|e| AppError::js("cannot store the destination", e))?;
    let r = idb::done(&tx).await;
    db.close();
    r
}

/// Every stored destination, opened, by id.
pub async fn list() -> AppResult<Vec<(String, Destination)>> {
    let usable = keys::usable_keys().await?;
    let (ids, envelopes) = read_all().await?;
    ids.iter()
        .zip(envelopes.iter())
        .map(|(id, env)| Ok((id.clone(), open(&usable, id, env)?)))
        .collect()
}

async fn read_all() -> AppResult<(Vec<String>, Vec<Vec<u8>>)> {
    let db = meta::open().await?;
    let tx = idb::transaction(&db, &[DESTINATIONS.into()], IdbTransactionMode::Readonly)?;
    let store = tx
        .object_store(DESTINATIONS)
        .map_err(|e| AppError::js("destinations", e))?;
    let ids = idb::req("cannot read the destinations", store.get_all_keys()).await?;
    let values = idb::req("cannot read the destinations", store.get_all()).await?;
    db.close();
    let ids: Vec<String> = Array::from(&ids)
        .iter()
        .filter_map(|k| k.as_string())
        .collect();
    let envelopes: Vec<Vec<u8>> = Array::from(&values)
        .iter()
        .map(|v| keys::sealed_bytes(&v).unwrap_or_default())
        .collect();
    Ok((ids, envelopes))
}

/// What the page may see of `d`: no secret.
pub fn info(id: &str, d: &Destination) -> DestinationInfo {
    match d {
        Destination::S3(s) => DestinationInfo {
            id: id.into(),
            kind: DestinationKind::S3,
            location: format!(
                "{}/{}/{}",
                s.endpoint.trim().trim_end_matches('/'),
                s.bucket.trim(),
                s.prefix.trim().trim_matches('/')
            )
            .trim_end_matches('/')
            .to_owned(),
            account: s.access_key_id.clone(),
            settings: DestinationSettings::S3 {
                endpoint: s.endpoint.clone(),
                region: s.region.clone(),
                bucket: s.bucket.clone(),
                prefix: s.prefix.clone(),
                access_key_id: s.access_key_id.clone(),
                secret: String::new(),
            },
        },
        Destination::WebDav(w) => DestinationInfo {
            id: id.into(),
            kind: DestinationKind::WebDav,
            location: w.url.trim().to_owned(),
            account: w.user.clone(),
            settings: DestinationSettings::WebDav {
                url: w.url.clone(),
                user: w.user.clone(),
                password: String::new(),
            },
        },
    }
}

/// The destination `settings` describe; an empty secret takes the one of
/// `old` (the stored destination of that id) when it is of the same kind.
pub fn from_settings(settings: &DestinationSettings, old: Option<&Destination>) -> Destination {
    match settings {
        DestinationSettings::S3 {
            endpoint,
            region,
            bucket,
            prefix,
            access_key_id,
            secret,
        } => {
            let secret = match old {
                Some(Destination::S3(o)) if secret.is_empty() => o.secret.clone(),
                _ => Secret::new(secret.clone()),
            };
            Destination::S3(S3Destination {
                endpoint: endpoint.trim().into(),
                region: region.trim().into(),
                bucket: bucket.trim().into(),
                prefix: prefix.trim().into(),
                access_key_id: access_key_id.trim().into(),
                secret,
            })
        }
        DestinationSettings::WebDav {
            url,
            user,
            password,
        } => {
            let password = match old {
                Some(Destination::WebDav(o)) if password.is_empty() => o.password.clone(),
                _ => Secret::new(password.clone()),
            };
            Destination::WebDav(WebDavDestination {
                url: url.trim().into(),
                user: user.clone(),
                password,
            })
        }
    }
}

/// Destination `id`, opened.
pub async fn get(id: &str) -> AppResult<Destination> {
    list()
        .await?
        .into_iter()
        .find(|(i, _)| i == id)
        .map(|(_, d)| d)
        .ok_or_else(|| {
            AppError::new(ErrorCode::NoDestination, "no destination of that id")
                .about(id.to_owned())
        })
}

/// Every stored destination, as the page sees them.
pub async fn infos() -> AppResult<Vec<DestinationInfo>> {
    Ok(list().await?.iter().map(|(id, d)| info(id, d)).collect())
}

/// Deletes destination `id` (its backups stay where they are).
pub async fn remove(id: &str) -> AppResult<()> {
    let db = meta::open().await?;
    let tx = idb::transaction(&db, &[DESTINATIONS.into()], IdbTransactionMode::Readwrite)?;
    let store = tx
        .object_store(DESTINATIONS)
        .map_err(|e| AppError::js("destinations", e))?;
    store
        .delete(&JsValue::from_str(id))
        .map_err(|e| AppError::js("cannot delete the destination", e))?;
    let r = idb::done(&tx).await;
    db.close();
    r
}

/// Re-seals every stored destination from `old` to `new`, in one
/// transaction; returns how many were re-sealed.
pub async fn reseal_all(old: &MasterKey, new: &MasterKey) -> AppResult<u64> {
    let (ids, envelopes) = read_all().await?;
    let mut updated = Vec::new();
    for (id, env) in ids.iter().zip(envelopes.iter()) {
        if let Some(sealed) = reseal(old, new, id, env)? {
            updated.push((id, sealed));
        }
    }
    if updated.is_empty() {
        return Ok(0);
    }
    let db = meta::open().await?;
    let tx = idb::transaction(&db, &[DESTINATIONS.into()], IdbTransactionMode::Readwrite)?;
    let store = tx
        .object_store(DESTINATIONS)
        .map_err(|e| AppError::js("destinations", e))?;
    for (id, sealed) in &updated {
        let value: JsValue = Uint8Array::from(sealed.as_slice()).into();
        store
            .put_with_key(&value, &JsValue::from_str(id))
            .map_err(|e| AppError::js("cannot re-seal a destination", e))?;
    }
    let r = idb::done(&tx).await;
    db.close();
    r.map(|()| updated.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest() -> Destination {
        Destination::S3(S3Destination {
            endpoint: "https://s3.example".into(),
            region: "eu-central-1".into(),
            bucket: "b".into(),
            prefix: "laptop".into(),
            access_key_id: "AKID".into(),
            secret: Secret::new("top-secret-value"),
        })
    }

    #[test]
    fn sealed_destinations_hide_the_secret_and_open_only_as_their_record() {
        let key = MasterKey::from_bytes([7; 32]);
        let env = seal(&key, "work", &dest()).expect("seal");
        assert!(!env.windows(16).any(|w| w == b"top-secret-value"));
        assert_eq!(
            open(std::slice::from_ref(&key), "work", &env).expect("open"),
            dest()
        );
        // Bound to its id: moved to another record it no longer opens.
        assert!(open(std::slice::from_ref(&key), "home", &env).is_err());
        let other = MasterKey::from_bytes([8; 32]);
        assert_eq!(
            open(std::slice::from_ref(&other), "work", &env)
                .unwrap_err()
                .code(),
            ErrorCode::KeyStorage
        );
    }

    #[test]
    fn key_replacement_reseals_once() {
        let (old, new) = (
            MasterKey::from_bytes([1; 32]),
            MasterKey::from_bytes([2; 32]),
        );
        let env = seal(&old, "d1", &dest()).expect("seal");
        let moved = reseal(&old, &new, "d1", &env)
            .expect("reseal")
            .expect("changed");
        assert_eq!(envelope_key_id(&moved).expect("id"), new.id());
        assert_eq!(
            open(std::slice::from_ref(&new), "d1", &moved).expect("open"),
            dest()
        );
        assert_eq!(reseal(&old, &new, "d1", &moved).expect("again"), None);
    }

    #[test]
    fn infos_hold_no_secret_and_updates_keep_the_stored_one() {
        let i = info("work", &dest());
        assert_eq!(i.location, "https://s3.example/b/laptop");
        assert!(!format!("{i:?}").contains("top-secret"));
        let settings = DestinationSettings::S3 {
            endpoint: "https://s3.example".into(),
            region: "eu-central-1".into(),
            bucket: "b".into(),
            prefix: "laptop".into(),
            access_key_id: "AKID".into(),
            secret: String::new(),
        };
        assert_eq!(from_settings(&settings, Some(&dest())), dest());
        let Destination::S3(fresh) = from_settings(&settings, None) else {
            panic!("kind")
        };
        assert_eq!(fresh.secret.expose(), "");
    }

    #[test]
    fn bad_ids_are_refused() {
        let key = MasterKey::from_bytes([7; 32]);
        assert_eq!(
            seal(&key, "", &dest()).unwrap_err().code(),
            ErrorCode::BadArgument
        );
        assert!(seal(&key, "a/b", &dest()).is_err());
    }
}
