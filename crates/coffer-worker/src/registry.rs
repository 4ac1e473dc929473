//! The registry of encrypted stores, and how a restore changes it all or
//! nothing.
//!
//! A restore may bring encrypted stores that are not registered here yet.
//! Their registration must commit with their data, but the data lives in
//! other databases, and IndexedDB has no transaction across databases. So a
//! restore first writes its intent to the journal ([`RestoreJournal::begin`]),
//! registers a database's encrypted stores in the same `coffer-meta`
//! transaction that marks that database done, right after its data
//! committed ([`RestoreJournal::committed`]), and clears the intent at its
//! end. A failed restore thus changes the registry only for the databases it
//! did restore. If the browser dies between a database's commit and its
//! mark, the next start finds the intent ([`settle_restore`]) and registers
//! a store only if it holds nothing but envelopes sealed under one of this
//! origin's keys, which is what the restore wrote; either way it clears
//! the intent.

use coffer_engine::envelope::envelope_key_id;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;
use web_sys::{IdbDatabase, IdbTransactionMode};

use crate::browser::idb;
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::meta::{self, JOURNAL, REGISTRY};

/// The journal key of a restore's intent.
const RESTORE: &str = "restore";

fn pair_key(db: &str, store: &str) -> JsValue {
    [JsValue::from_str(db), JsValue::from_str(store)]
        .iter()
        .collect::<Array>()
        .into()
}

fn pairs_from(v: &JsValue) -> Vec<(String, String)> {
    Array::from(v)
        .iter()
        .filter_map(|k| {
            let a = Array::from(&k);
            Some((a.get(0).as_string()?, a.get(1).as_string()?))
        })
        .collect()
}

/// Every registered encrypted store as `(database, store)`.
pub async fn registry() -> AppResult<Vec<(String, String)>> {
    let db = meta::open().await?;
    let tx = idb::transaction(&db, &[REGISTRY.into()], IdbTransactionMode::Readonly)?;
    let s = tx
        .object_store(REGISTRY)
        .map_err(|e| AppError::js("registry", e))?;
    let keys = idb::req("cannot read the encrypted-store registry", s.get_all_keys()).await?;
    db.close();
    Ok(pairs_from(&keys))
}

/// Puts `pairs` into the registry store of `tx`.
fn put_pairs(tx: &web_sys::IdbTransaction, pairs: &[(String, String)]) -> AppResult<()> {
    let s = tx
        .object_store(REGISTRY)
        .map_err(|e| AppError::js("registry", e))?;
    for (d, st) in pairs {
        let v = Object::new();
        let _ = Reflect::set(&v, &"database".into(), &JsValue::from_str(d));
        let _ = Reflect::set(&v, &"store".into(), &JsValue::from_str(st));
        s.put_with_key(&v, &pair_key(d, st))
            .map_err(|e| AppError::js("cannot register an encrypted store", e))?;
    }
    Ok(())
}

/// Registers `(database, store)` as encrypted.
pub async fn register(pairs: &[(String, String)]) -> AppResult<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    let db = meta::open().await?;
    let tx = idb::transaction(&db, &[REGISTRY.into()], IdbTransactionMode::Readwrite)?;
    put_pairs(&tx, pairs)?;
    let r = idb::done(&tx).await;
    db.close();
    r
}

/// A restore's intent to register encrypted stores (see the module docs).
pub struct RestoreJournal {
    pending: Vec<(String, String)>,
}

impl RestoreJournal {
    /// Writes the intent to register `pairs` once their databases are
    /// restored. Nothing is written when there are none.
    pub async fn begin(pairs: Vec<(String, String)>) -> AppResult<RestoreJournal> {
        if !pairs.is_empty() {
            let db = meta::open().await?;
            let r = write_intent(&db, &pairs, |_| Ok(())).await;
            db.close();
            r?;
        }
        Ok(RestoreJournal { pending: pairs })
    }

    /// Database `name` committed: registers its stores and takes them out
    /// of the intent, in one transaction.
    pub async fn committed(&mut self, name: &str) -> AppResult<()> {
        let (now, later): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|(d, _)| d == name);
        self.pending = later;
        if now.is_empty() {
            return Ok(());
        }
        let db = meta::open().await?;
        let rest = self.pending.clone();
        let r = write_intent(&db, &rest, |tx| put_pairs(tx, &now)).await;
        db.close();
        r
    }

    /// The restore is over (done or failed): the intent goes, and with
    /// it the registrations of databases that were not restored.
    pub async fn end(self) -> AppResult<()> {
        clear_intent().await
    }
}

/// Replaces the intent by `pairs` (none: deletes it) and runs `also` in the
/// same transaction over the journal and the registry.
async fn write_intent(
    db: &IdbDatabase,
    pairs: &[(String, String)],
    also: impl FnOnce(&web_sys::IdbTransaction) -> AppResult<()>,
) -> AppResult<()> {
    let tx = idb::transaction(
        db,
        &[JOURNAL.into(), REGISTRY.into()],
        IdbTransactionMode::Readwrite,
    )?;
    let j = tx
        .object_store(JOURNAL)
        .map_err(|e| AppError::js("journal", e))?;
    let r = if pairs.is_empty() {
        j.delete(&RESTORE.into())
    } else {
        let list: Array = pairs.iter().map(|(d, s)| pair_key(d, s)).collect();
        j.put_with_key(&list, &RESTORE.into())
    };
    r.map_err(|e| AppError::js("cannot write the restore journal", e))?;
    if let Err(e) = also(&tx) {
        let _ = tx.abort();
        return Err(e);
    }
    idb::done(&tx).await
}

async fn clear_intent() -> AppResult<()> {
    let db = meta::open().await?;
    let r = write_intent(&db, &[], |_| Ok(())).await;
    db.close();
    r
}

/// Finishes or undoes the registrations of a restore the browser did not
/// survive: a store of its intent is registered only if it exists, holds
/// records, and every record is an envelope sealed under one of this
/// origin's keys (what the restore wrote); then the intent goes. Returns
/// the stores registered.
pub async fn settle_restore() -> AppResult<Vec<(String, String)>> {
    let meta_db = meta::open().await?;
    let tx = idb::transaction(&meta_db, &[JOURNAL.into()], IdbTransactionMode::Readonly)?;
    let j = tx
        .object_store(JOURNAL)
        .map_err(|e| AppError::js("journal", e))?;
    let intent = idb::req("cannot read the restore journal", j.get(&RESTORE.into())).await?;
    meta_db.close();
    if intent.is_undefined() {
        return Ok(Vec::new());
    }
    let ids: Vec<_> = keys::usable_keys().await?.iter().map(|k| k.id()).collect();
    let mut restored = Vec::new();
    for (name, store) in pairs_from(&intent) {
        let Some(db) = idb::open_existing(&name).await? else {
            continue;
        };
        let sealed = all_sealed(&db, &store, &ids).await;
        db.close();
        if sealed? {
            restored.push((name, store));
        }
    }
    register(&restored).await?;
    clear_intent().await?;
    Ok(restored)
}

/// Whether `store` of `db` exists, is not empty and holds only envelopes
/// under the key ids `ids`.
async fn all_sealed(
    db: &IdbDatabase,
    store: &str,
    ids: &[coffer_engine::KeyId],
) -> AppResult<bool> {
    if !idb::store_names(db).iter().any(|s| s == store) {
        return Ok(false);
    }
    let tx = idb::transaction(db, &[store.to_owned()], IdbTransactionMode::Readonly)?;
    let s = tx
        .object_store(store)
        .map_err(|e| AppError::js("cannot open a store", e))?;
    let values = Array::from(&idb::req("cannot read values", s.get_all()).await?);
    if values.length() == 0 {
        return Ok(false);
    }
    Ok(values.iter().all(|v| {
        keys::sealed_bytes(&v)
            .and_then(|env| envelope_key_id(&env).ok())
            .is_some_and(|id| ids.contains(&id))
    }))
}
