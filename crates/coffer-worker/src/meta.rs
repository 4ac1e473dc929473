//! Coffer's own database, [`META_DB`]: never shown, never part of a backup.
//!
//! Layout (version [`META_VERSION`]):
//! - `keys`: `"current"` and, during a replacement, `"pending"`, each
//!   `{ id: "<hex key id>", key: Uint8Array(32), created: <ms> }`
//!   ([`crate::keys`]);
//! - `encrypted-stores`: one record per encrypted store, key
//!   `[database, store]`, value `{ database, store }`
//!   ([`crate::registry`]);
//! - `destinations` (from version 4): the S3 and WebDAV destinations, by
//!   id, each a sealed envelope of its settings and credentials
//!   ([`crate::destinations`]);
//! - `journal`: what an operation that writes other databases will write
//!   here once they committed, so that a crash in between is finished or
//!   undone on the next start ([`crate::registry::settle_restore`]);
//! - `history` (version 3): the audit log, one JSON text per entry under an
//!   auto-increment key ([`crate::history`]);
//! - `auto` (version 3): automatic backups' `"settings"` (JSON text), the
//!   `"folder"` handle and the `"written"` files (JSON text)
//!   ([`crate::auto`]).

use coffer_protocol::META_DB;
use web_sys::IdbDatabase;

use crate::browser::idb::{self, Opened};
use crate::error::{AppError, AppResult};

/// The master keys.
pub const KEYS: &str = "keys";
/// The encrypted-store registry.
pub const REGISTRY: &str = "encrypted-stores";
/// Intents of operations in progress.
pub const JOURNAL: &str = "journal";
/// Sealed destinations.
pub const DESTINATIONS: &str = "destinations";

/// The history (audit log).
pub const HISTORY: &str = "history";
/// Automatic backups' settings, folder and files.
pub const AUTO: &str = "auto";

/// The schema version this build writes.
pub const META_VERSION: u32 = 4;

const STORES: [&str; 6] = [KEYS, REGISTRY, JOURNAL, HISTORY, AUTO, DESTINATIONS];

/// Opens Coffer's own database, creating it or adding missing stores when
/// it is older than [`META_VERSION`] (a newer version, written by a newer
/// Coffer in another tab, is opened as it is).
pub async fn open() -> AppResult<IdbDatabase> {
    if let Some(db) = idb::open_existing(META_DB).await? {
        if db.version() >= f64::from(META_VERSION) {
            return Ok(db);
        }
        db.close();
    }
    match idb::open_versioned(META_DB, f64::from(META_VERSION), || {}).await? {
        Opened::Open(db) => Ok(db),
        Opened::Upgrade { db, request, .. } => {
            let names = idb::store_names(&db);
            for s in STORES {
                if !names.iter().any(|n| n == s) {
                    let params = web_sys::IdbObjectStoreParameters::new();
                    params.set_auto_increment(s == HISTORY);
                    db.create_object_store_with_optional_parameters(s, &params)
                        .map_err(|e| AppError::js("cannot set up Coffer's own storage", e))?;
                }
            }
            idb::finish_open(&request).await?;
            Ok(db)
        }
    }
}

/// Puts `value` under `key` in the journal (one transaction).
pub async fn journal_put(key: &str, value: &wasm_bindgen::JsValue) -> AppResult<()> {
    let db = open().await?;
    let r = async {
        let tx = idb::transaction(
            &db,
            &[JOURNAL.into()],
            web_sys::IdbTransactionMode::Readwrite,
        )?;
        tx.object_store(JOURNAL)
            .and_then(|s| s.put_with_key(value, &key.into()))
            .map_err(|e| AppError::js("cannot write Coffer's journal", e))?;
        idb::done(&tx).await
    }
    .await;
    db.close();
    r
}

/// Deletes `key` from the journal.
pub async fn journal_delete(key: &str) -> AppResult<()> {
    let db = open().await?;
    let r = async {
        let tx = idb::transaction(
            &db,
            &[JOURNAL.into()],
            web_sys::IdbTransactionMode::Readwrite,
        )?;
        tx.object_store(JOURNAL)
            .and_then(|s| s.delete(&key.into()))
            .map_err(|e| AppError::js("cannot write Coffer's journal", e))?;
        idb::done(&tx).await
    }
    .await;
    db.close();
    r
}

/// Every journal entry whose key starts with `prefix`, as `(key, value)`.
pub async fn journal_entries(prefix: &str) -> AppResult<Vec<(String, wasm_bindgen::JsValue)>> {
    let db = open().await?;
    let r = async {
        let tx = idb::transaction(
            &db,
            &[JOURNAL.into()],
            web_sys::IdbTransactionMode::Readonly,
        )?;
        let s = tx
            .object_store(JOURNAL)
            .map_err(|e| AppError::js("cannot read Coffer's journal", e))?;
        let keys = idb::req("cannot read Coffer's journal", s.get_all_keys()).await?;
        let values = idb::req("cannot read Coffer's journal", s.get_all()).await?;
        let (keys, values) = (js_sys::Array::from(&keys), js_sys::Array::from(&values));
        Ok(keys
            .iter()
            .zip(values.iter())
            .filter_map(|(k, v)| k.as_string().map(|k| (k, v)))
            .filter(|(k, _)| k.starts_with(prefix))
            .collect())
    }
    .await;
    db.close();
    r
}
