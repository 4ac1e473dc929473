//! The encrypted-store API: `put/get/delete/list` on registered stores.
//! Values are sealed with the master key ([`coffer_engine::envelope`]),
//! bound to their database, store and key, and stored as a `Uint8Array`.
//! Encrypted stores use out-of-line keys.

use coffer_engine::envelope::{envelope_key_id, open_value, seal_value, RecordContext};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsValue;
use web_sys::IdbTransactionMode;

use crate::browser::blobio::read_blob_bytes;
use crate::browser::convert::{js_to_key, ToJs, ToValue};
use crate::browser::idb::{self, Opened};
use crate::error::{AppError, AppResult};
use crate::{keys, lock};
use coffer_protocol::ErrorCode;
use coffer_protocol::META_DB;

async fn check_registered(db: &str, store: &str) -> AppResult<()> {
    if crate::registry::registry()
        .await?
        .iter()
        .any(|(d, s)| d == db && s == store)
    {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::NotEncrypted,
            format!("{db}/{store} is not a registered encrypted store"),
        ))
    }
}

/// Creates the store (with out-of-line keys) if missing and registers it.
pub async fn create_encrypted_store(db: &str, store: &str) -> AppResult<()> {
    if db == META_DB {
        return Err(AppError::new(
            ErrorCode::Misuse,
            "Coffer's own database cannot hold user stores",
        ));
    }
    let need_store = match idb::open_existing(db).await? {
        Some(conn) => {
            let missing = !idb::store_names(&conn).iter().any(|s| s == store);
            let version = conn.version() as u32;
            conn.close();
            missing.then_some(f64::from(version) + 1.0)
        }
        None => Some(1.0),
    };
    if let Some(version) = need_store {
        match idb::open_versioned(db, version, || {}).await? {
            Opened::Upgrade {
                db: conn, request, ..
            } => {
                conn.create_object_store(store)
                    .map_err(|e| AppError::js("cannot create the store", e))?;
                idb::finish_open(&request).await?;
                conn.close();
            }
            Opened::Open(conn) => conn.close(),
        }
    }
    crate::registry::register(&[(db.to_owned(), store.to_owned())]).await
}

/// Seals `value` and stores it under `key`. Holds [`lock::KEYS_LOCK`]
/// shared from reading the key until the record is written, so a key
/// replacement either re-seals it or has ended before.
pub async fn put(db: &str, store: &str, key: &JsValue, value: &JsValue) -> AppResult<()> {
    let _keys = lock::keys(true).await?;
    check_registered(db, store).await?;
    let k = js_to_key(key)?;
    let mut reader =
        |b: &web_sys::Blob| read_blob_bytes(b).map(coffer_engine::model::Binary::Inline);
    let v = ToValue::new(&mut reader).convert(value)?;
    let mk = keys::current_key().await?;
    let env = seal_value(
        &mk.key,
        &RecordContext {
            database: db,
            store,
            key: &k,
        },
        &v,
    )?;
    let conn = idb::open(db).await?;
    let tx = idb::transaction(&conn, &[store.to_owned()], IdbTransactionMode::Readwrite)?;
    let s = tx
        .object_store(store)
        .map_err(|e| AppError::js("cannot open the store", e))?;
    idb::req(
        "cannot store the record",
        s.put_with_key(&Uint8Array::from(env.as_slice()), key),
    )
    .await?;
    idb::done(&tx).await?;
    conn.close();
    Ok(())
}

/// A value read from an encrypted store, and the `ArrayBuffer`s in it
/// (made for it alone: they can be transferred with it).
pub struct OpenedValue {
    /// The value.
    pub value: JsValue,
    /// Its `ArrayBuffer`s, each once.
    pub buffers: Vec<js_sys::ArrayBuffer>,
}

/// Reads and opens the value under `key` (`None` if absent). Holds
/// [`lock::KEYS_LOCK`] shared: a replacement cannot re-seal the record and
/// drop its key between reading it and opening it.
pub async fn get(db: &str, store: &str, key: &JsValue) -> AppResult<Option<OpenedValue>> {
    let _keys = lock::keys(true).await?;
    check_registered(db, store).await?;
    let k = js_to_key(key)?;
    let conn = idb::open(db).await?;
    let tx = idb::transaction(&conn, &[store.to_owned()], IdbTransactionMode::Readonly)?;
    let s = tx
        .object_store(store)
        .map_err(|e| AppError::js("cannot open the store", e))?;
    let raw = idb::req("cannot read the record", s.get(key)).await?;
    conn.close();
    if raw.is_undefined() {
        return Ok(None);
    }
    let env = keys::sealed_bytes(&raw).ok_or_else(|| {
        AppError::new(
            ErrorCode::InvalidSealedRecord,
            format!("the record in {db}/{store} is not sealed"),
        )
    })?;
    let id = envelope_key_id(&env)?;
    let candidates = keys::usable_keys().await?;
    let mk = candidates.iter().find(|k| k.id() == id).ok_or_else(|| {
        AppError::new(
            ErrorCode::WrongKey,
            format!(
                "the record is sealed under key id {id}, which is not this origin's master key"
            ),
        )
    })?;
    let v = open_value(
        mk,
        &RecordContext {
            database: db,
            store,
            key: &k,
        },
        &env,
        256,
    )?;
    let mut conv = ToJs::inline();
    let value = conv.convert(&v)?;
    Ok(Some(OpenedValue {
        value,
        buffers: conv.take_buffers(),
    }))
}

/// Deletes the record under `key`.
pub async fn delete(db: &str, store: &str, key: &JsValue) -> AppResult<()> {
    check_registered(db, store).await?;
    let conn = idb::open(db).await?;
    let tx = idb::transaction(&conn, &[store.to_owned()], IdbTransactionMode::Readwrite)?;
    let s = tx
        .object_store(store)
        .map_err(|e| AppError::js("cannot open the store", e))?;
    idb::req("cannot delete the record", s.delete(key)).await?;
    idb::done(&tx).await?;
    conn.close();
    Ok(())
}

/// The keys of an encrypted store, in key order.
pub async fn list(db: &str, store: &str) -> AppResult<Array> {
    check_registered(db, store).await?;
    let conn = idb::open(db).await?;
    let tx = idb::transaction(&conn, &[store.to_owned()], IdbTransactionMode::Readonly)?;
    let s = tx
        .object_store(store)
        .map_err(|e| AppError::js("cannot open the store", e))?;
    let keys = idb::req("cannot list the store", s.get_all_keys()).await?;
    conn.close();
    Ok(Array::from(&keys))
}
