//! The master key, kept in Coffer's own database ([`crate::meta`]): created
//! on first use, exported as a key file, replaced with every encrypted
//! store re-sealed.
//!
//! Replacement is crash-safe: the new key is first saved as `pending`, then
//! every database's encrypted stores are re-sealed in one transaction per
//! database (each envelope names its key id, so a half-done run is resumed
//! record by record), and finally `pending` becomes `current` in one
//! transaction. Readers open an envelope with whichever of the two keys it
//! names, so data stays readable throughout.

use coffer_engine::envelope::{envelope_key_id, reseal, RecordContext};
use coffer_engine::keyfile::{read_key_file, write_key_file};
use coffer_engine::primitives::kdf::KdfParams;
use coffer_engine::{Limits, MasterKey, KEY_LEN};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, IdbDatabase, IdbTransactionMode};

use crate::browser::blobio::blob_from_bytes;
use crate::browser::convert::{js_to_key, key_to_js};
use crate::browser::idb;
use crate::error::{AppError, AppResult};
use crate::lock;
use crate::meta::{self, KEYS};
use crate::registry::registry;
use crate::timing::{date_now, time_from_ms};
use crate::Reporter;
use coffer_protocol::ErrorCode;
use coffer_protocol::{KeyExported, KeyReplaced, KeySource, Phase, ProgressInfo};

/// A master key and when it was created.
pub struct KeyRecord {
    /// The key.
    pub key: MasterKey,
    /// Creation time, JS milliseconds.
    pub created_ms: f64,
}

fn record_to_js(k: &KeyRecord) -> JsValue {
    let o = Object::new();
    let _ = Reflect::set(&o, &"id".into(), &JsValue::from_str(&k.key.id().to_hex()));
    let _ = Reflect::set(
        &o,
        &"key".into(),
        &Uint8Array::from(&k.key.expose_bytes()[..]),
    );
    let _ = Reflect::set(&o, &"created".into(), &JsValue::from_f64(k.created_ms));
    o.into()
}

fn record_from_js(v: &JsValue) -> AppResult<Option<KeyRecord>> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    let bad = || AppError::new(ErrorCode::KeyStorage, "the stored master key is damaged");
    let key = Reflect::get(v, &"key".into()).map_err(|_| bad())?;
    let bytes = key.dyn_into::<Uint8Array>().map_err(|_| bad())?.to_vec();
    let arr: [u8; KEY_LEN] = bytes.try_into().map_err(|_| bad())?;
    let created_ms = Reflect::get(v, &"created".into())
        .ok()
        .and_then(|c| c.as_f64())
        .unwrap_or(0.0);
    Ok(Some(KeyRecord {
        key: MasterKey::from_bytes(arr),
        created_ms,
    }))
}

/// The current and pending keys, as stored.
pub async fn load(db: &IdbDatabase) -> AppResult<(Option<KeyRecord>, Option<KeyRecord>)> {
    let tx = idb::transaction(db, &[KEYS.into()], IdbTransactionMode::Readonly)?;
    let s = tx
        .object_store(KEYS)
        .map_err(|e| AppError::js("key storage", e))?;
    let c = idb::req("cannot read the master key", s.get(&"current".into())).await?;
    let p = idb::req("cannot read the master key", s.get(&"pending".into())).await?;
    Ok((record_from_js(&c)?, record_from_js(&p)?))
}

/// The current master key, generated and saved on first use.
pub async fn current_key() -> AppResult<KeyRecord> {
    let db = meta::open().await?;
    let r = current_key_in(&db).await;
    db.close();
    r
}

async fn current_key_in(db: &IdbDatabase) -> AppResult<KeyRecord> {
    if let (Some(k), _) = load(db).await? {
        return Ok(k);
    }
    let fresh = KeyRecord {
        key: MasterKey::generate()?,
        created_ms: date_now(),
    };
    let tx = idb::transaction(db, &[KEYS.into()], IdbTransactionMode::Readwrite)?;
    let s = tx
        .object_store(KEYS)
        .map_err(|e| AppError::js("key storage", e))?;
    // `add`, not `put`: if another tab generated one meanwhile, keep theirs.
    let added = idb::req(
        "cannot save the master key",
        s.add_with_key(&record_to_js(&fresh), &"current".into()),
    )
    .await;
    if added.is_ok() {
        idb::done(&tx).await?;
        return Ok(fresh);
    }
    match load(db).await? {
        (Some(k), _) => Ok(k),
        _ => Err(AppError::new(
            ErrorCode::KeyStorage,
            "cannot create the master key",
        )),
    }
}

/// Exports the current key as a key file, optionally passphrase-wrapped
/// (Argon2id with the default parameters).
pub async fn export_key(passphrase: Option<&str>) -> AppResult<(KeyExported, Blob)> {
    let k = current_key().await?;
    let pass = passphrase
        .filter(|p| !p.is_empty())
        .map(|p| (p.as_bytes(), KdfParams::DEFAULT));
    let text = zeroize::Zeroizing::new(write_key_file(&k.key, time_from_ms(k.created_ms), pass)?);
    let blob = blob_from_bytes(text.as_bytes(), "application/json")?;
    let id = k.key.id();
    Ok((
        KeyExported {
            file_name: format!("coffer-master-key-{}.json", id.short()),
            key_id: id.to_hex(),
        },
        blob,
    ))
}

/// Reads a key file given as text with an optional passphrase.
pub fn key_from_file(text: &str, passphrase: Option<&str>) -> AppResult<MasterKey> {
    let pass = passphrase.filter(|p| !p.is_empty()).map(str::as_bytes);
    Ok(read_key_file(text, pass, &Limits::default())?)
}

async fn put_key(
    db: &IdbDatabase,
    slot: &str,
    rec: Option<&KeyRecord>,
    other: Option<(&str, Option<&KeyRecord>)>,
) -> AppResult<()> {
    let tx = idb::transaction(db, &[KEYS.into()], IdbTransactionMode::Readwrite)?;
    let s = tx
        .object_store(KEYS)
        .map_err(|e| AppError::js("key storage", e))?;
    let mut pairs = vec![(slot, rec)];
    if let Some(o) = other {
        pairs.push(o);
    }
    for (slot, rec) in pairs {
        let r = match rec {
            Some(r) => s.put_with_key(&record_to_js(r), &slot.into()),
            None => s.delete(&slot.into()),
        };
        r.map_err(|e| AppError::js("cannot save the master key", e))?;
    }
    idb::done(&tx).await
}

/// Re-seals every registered encrypted store from `old` to `new`, one
/// transaction per database. Envelopes already under `new` are skipped.
pub async fn reseal_all(old: &MasterKey, new: &MasterKey, rep: &Reporter) -> AppResult<u64> {
    let reg = registry().await?;
    let mut dbs: Vec<String> = reg.iter().map(|(d, _)| d.clone()).collect();
    dbs.sort();
    dbs.dedup();
    let mut total = 0u64;
    for name in dbs {
        // A registered database that no longer exists has nothing to re-seal.
        let Some(db) = idb::open_existing(&name).await? else {
            continue;
        };
        let present = idb::store_names(&db);
        let stores: Vec<String> = reg
            .iter()
            .filter(|(d, s)| *d == name && present.contains(s))
            .map(|(_, s)| s.clone())
            .collect();
        if stores.is_empty() {
            db.close();
            continue;
        }
        let tx = idb::transaction(&db, &stores, IdbTransactionMode::Readwrite)?;
        let r = reseal_stores(&tx, &name, &stores, old, new, rep, &mut total).await;
        if let Err(e) = r {
            let _ = tx.abort();
            db.close();
            return Err(e);
        }
        idb::done(&tx).await?;
        db.close();
    }
    Ok(total)
}

async fn reseal_stores(
    tx: &web_sys::IdbTransaction,
    db_name: &str,
    stores: &[String],
    old: &MasterKey,
    new: &MasterKey,
    rep: &Reporter,
    total: &mut u64,
) -> AppResult<()> {
    let old_id = old.id();
    for store in stores {
        let s = tx
            .object_store(store)
            .map_err(|e| AppError::js("cannot open a store", e))?;
        let keys = idb::req("cannot read keys", s.get_all_keys()).await?;
        let values = idb::req("cannot read values", s.get_all()).await?;
        let keys = Array::from(&keys);
        let values = Array::from(&values);
        let mut last = None;
        for (k, v) in keys.iter().zip(values.iter()) {
            let env = sealed_bytes(&v).ok_or_else(|| {
                AppError::new(
                    ErrorCode::InvalidSealedRecord,
                    format!("a record of encrypted store {db_name}/{store} is not a sealed value"),
                )
            })?;
            if envelope_key_id(&env)? != old_id {
                continue;
            }
            let key = js_to_key(&k)?;
            let ctx = RecordContext {
                database: db_name,
                store,
                key: &key,
            };
            let fresh = reseal(old, new, &ctx, &env)?;
            last = Some(
                s.put_with_key(&Uint8Array::from(fresh.as_slice()), &key_to_js(&key))
                    .map_err(|e| AppError::js("cannot write a re-sealed record", e))?,
            );
            *total += 1;
            rep.progress(
                Phase::Resealing,
                ProgressInfo {
                    done_records: *total,
                    ..ProgressInfo::default()
                },
                false,
            );
        }
        if let Some(r) = last {
            idb::wait(&r)
                .await
                .map_err(|e| AppError::js("cannot write a re-sealed record", e))?;
        }
    }
    Ok(())
}

/// The bytes of a stored sealed value (`Uint8Array` or `ArrayBuffer`).
pub fn sealed_bytes(v: &JsValue) -> Option<Vec<u8>> {
    if let Some(u) = v.dyn_ref::<Uint8Array>() {
        return Some(u.to_vec());
    }
    if let Some(b) = v.dyn_ref::<js_sys::ArrayBuffer>() {
        return Some(Uint8Array::new(b).to_vec());
    }
    None
}

/// Replaces the master key (the caller holds the lock; this takes
/// [`lock::KEYS_LOCK`] too, so no store-API call seals or opens meanwhile).
pub async fn replace_key(
    source: &KeySource,
    now_ms: f64,
    rep: &Reporter,
) -> AppResult<KeyReplaced> {
    let _keys = lock::keys(false).await?;
    finish_pending().await?;
    let new = match source {
        KeySource::Generate => KeyRecord {
            key: MasterKey::generate()?,
            created_ms: now_ms,
        },
        KeySource::Import { text, passphrase } => KeyRecord {
            key: key_from_file(text, passphrase.as_deref())?,
            created_ms: now_ms,
        },
    };
    let db = meta::open().await?;
    let (current, _) = load(&db).await?;
    let old_id = current.as_ref().map(|c| c.key.id().to_hex());
    if let Some(c) = &current {
        if c.key.id() == new.key.id() {
            db.close();
            return Err(AppError::new(
                ErrorCode::SameKey,
                "that is already the current master key",
            ));
        }
    }
    put_key(&db, "pending", Some(&new), None).await?;
    let resealed = match &current {
        Some(c) => {
            crate::destinations::reseal_all(&c.key, &new.key).await?;
            reseal_all(&c.key, &new.key, rep).await?
        }
        None => 0,
    };
    put_key(&db, "current", Some(&new), Some(("pending", None))).await?;
    db.close();
    let new_id = new.key.id().to_hex();
    crate::tabs::broadcast("key-changed");
    Ok(KeyReplaced {
        old_key_id: old_id,
        key_id: new_id,
        resealed,
    })
}

/// Finishes a replacement that was interrupted (pending key present);
/// returns whether there was one.
pub async fn resume_pending() -> AppResult<bool> {
    let _keys = lock::keys(false).await?;
    finish_pending().await
}

/// [`resume_pending`], for a caller that holds [`lock::KEYS_LOCK`].
async fn finish_pending() -> AppResult<bool> {
    let db = meta::open().await?;
    let (current, pending) = load(&db).await?;
    let finished = pending.is_some();
    if let Some(p) = pending {
        if let Some(c) = &current {
            crate::destinations::reseal_all(&c.key, &p.key).await?;
            reseal_all(&c.key, &p.key, &Reporter::silent()).await?;
        }
        put_key(&db, "current", Some(&p), Some(("pending", None))).await?;
        crate::tabs::broadcast("key-changed");
    }
    db.close();
    Ok(finished)
}

/// Both keys a sealed record may be under right now (current first).
pub async fn usable_keys() -> AppResult<Vec<MasterKey>> {
    let db = meta::open().await?;
    let (c, p) = load(&db).await?;
    db.close();
    let mut out = Vec::new();
    match c {
        Some(c) => out.push(c.key),
        None => out.push(current_key().await?.key),
    }
    if let Some(p) = p {
        out.push(p.key);
    }
    Ok(out)
}
