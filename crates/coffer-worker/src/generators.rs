//! Key generators of auto-increment stores: reading them (IndexedDB has no
//! getter) and raising them.
//!
//! A **probe** is a throw-away readwrite transaction that `add`s a record
//! without key to each auto-increment store (the generated key is the next
//! key), then aborts, which reverts both the record and the generator.
//! **Raising** writes a record at the wanted number and deletes it again
//! in the caller's transaction; a generator never goes down.

use coffer_engine::model::{KeyPath, StoreSchema};
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;
use web_sys::{IdbDatabase, IdbObjectStore, IdbRequest, IdbTransaction, IdbTransactionMode};

use crate::browser::idb;
use crate::error::{AppError, AppResult};
use crate::generator;

/// A value without key for `schema`'s store, for `add`.
fn dummy_for(schema: &StoreSchema) -> JsValue {
    match &schema.key_path {
        // Inline keys: the generated key is injected into an empty object.
        Some(_) => Object::new().into(),
        None => JsValue::from_f64(0.0),
    }
}

/// A key-generator probe: a readwrite transaction that `add`s a record
/// without key to every auto-increment store, reads the generated keys and
/// is then aborted (which reverts records and generators).
pub struct Probe {
    tx: Option<IdbTransaction>,
    requests: Vec<(String, wasm_bindgen_futures::JsFuture, IdbRequest)>,
}

impl Probe {
    /// Issues the probe requests (nothing is awaited yet).
    pub fn start(db: &IdbDatabase, schemas: &[StoreSchema]) -> AppResult<Probe> {
        let auto: Vec<String> = schemas
            .iter()
            .filter(|s| s.auto_increment)
            .map(|s| s.name.clone())
            .collect();
        if auto.is_empty() {
            return Ok(Probe {
                tx: None,
                requests: Vec::new(),
            });
        }
        let tx = idb::transaction(db, &auto, IdbTransactionMode::Readwrite)?;
        let mut requests = Vec::new();
        for s in schemas.iter().filter(|s| s.auto_increment) {
            let st = tx
                .object_store(&s.name)
                .map_err(|e| AppError::js("cannot open a store", e))?;
            let r = st
                .add(&dummy_for(s))
                .map_err(|e| AppError::js("cannot probe the key generator", e))?;
            requests.push((s.name.clone(), idb::track(&r), r));
        }
        Ok(Probe {
            tx: Some(tx),
            requests,
        })
    }

    /// The generators' current numbers, then aborts the transaction. A
    /// failed probe (a ConstraintError: the generator is exhausted) gives
    /// `None`.
    pub async fn finish(self) -> Vec<(String, Option<u64>)> {
        let mut out = Vec::new();
        for (store, fut, _r) in self.requests {
            let g = fut
                .await
                .ok()
                .and_then(|k| k.as_f64())
                .and_then(generator::from_probe);
            out.push((store, g));
        }
        if let Some(tx) = self.tx {
            let _ = tx.abort();
        }
        out
    }
}

/// Raises the generator of `st` (in the caller's readwrite or versionchange
/// transaction) to the current number `g`, unless a key already written,
/// at most `max_numeric`, raised it that far.
pub async fn raise(
    st: &IdbObjectStore,
    schema: &StoreSchema,
    g: u64,
    max_numeric: f64,
) -> AppResult<()> {
    let g = g as f64;
    if !(schema.auto_increment && g >= 1.0 && g > max_numeric) {
        return Ok(());
    }
    let dummy = dummy_with_key(&schema.key_path, g);
    let r = if schema.key_path.is_some() {
        st.put(&dummy)
    } else {
        st.put_with_key(&dummy, &JsValue::from_f64(g))
    };
    r.map_err(|e| AppError::js("cannot set the key generator", e))?;
    let d = st
        .delete(&JsValue::from_f64(g))
        .map_err(|e| AppError::js("cannot set the key generator", e))?;
    idb::wait(&d)
        .await
        .map_err(|e| AppError::js("cannot set the key generator", e))?;
    Ok(())
}

/// Raises the generator of a store just restored from the backup
/// (`schema`, its generator already at the backup's) to `live`, the number
/// the live store it replaces had reached, when that is further: ids handed
/// out since the backup are not handed out again, as with a restore in
/// place (where the generator simply stays).
pub async fn keep_live(
    st: &IdbObjectStore,
    schema: &StoreSchema,
    live: Option<u64>,
) -> AppResult<()> {
    match (schema.key_generator, live) {
        // Every numeric key of the backup is at most its generator, so the
        // number is free.
        (Some(backup), Some(live)) if live > backup => raise(st, schema, live, backup as f64).await,
        _ => Ok(()),
    }
}

/// The key generator `live` (store name, number) has for `store`.
pub fn of(live: &[(String, Option<u64>)], store: &str) -> Option<u64> {
    live.iter().find(|(n, _)| n == store).and_then(|(_, g)| *g)
}

/// A value whose in-line key (at `path`) is `n`, or a plain number for
/// out-of-line keys.
fn dummy_with_key(path: &Option<KeyPath>, n: f64) -> JsValue {
    match path {
        Some(KeyPath::Single(p)) if !p.is_empty() => {
            let root = Object::new();
            let mut cur = root.clone();
            let parts: Vec<&str> = p.split('.').collect();
            for (i, part) in parts.iter().enumerate() {
                if i + 1 == parts.len() {
                    let _ = Reflect::set(&cur, &(*part).into(), &JsValue::from_f64(n));
                } else {
                    let next = Object::new();
                    let _ = Reflect::set(&cur, &(*part).into(), &next);
                    cur = next;
                }
            }
            root.into()
        }
        _ => JsValue::from_f64(0.0),
    }
}
