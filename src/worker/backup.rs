//! Creating backups, and the store overview.
//!
//! Per database: the schema is read, the key generators of auto-increment
//! stores are probed, and every selected store is read in **one readonly
//! transaction** (a consistent snapshot), in pages of [`PAGE`] records with
//! `getAllKeys` + `getAll`. Values are converted and handed to the engine
//! while the snapshot is open; Blob bodies are read synchronously with
//! `FileReaderSync` in the same step, which keeps memory bounded. Encoded
//! data waits in a Blob-backed spool and the archive is written into Blob
//! parts, so neither sits in wasm memory.
//!
//! Key generators: IndexedDB has no getter, so a throw-away readwrite
//! transaction `add`s a record without key to each auto-increment store
//! (the generated key is the next key), then aborts, which reverts both
//! the record and the generator. The snapshot transaction is created in the
//! same task right after the probe, so no write of this tab can come
//! between; a write from another tab in that instant could advance the
//! generator past the recorded value, which is harmless: every restored
//! record with an explicit numeric key raises the generator again, and only
//! ids generated and deleted in that instant could be handed out twice.

use coffer_engine::locked::{lock_writer, Lock};
use coffer_engine::model::{DatabaseSchema, StoreSchema};
use coffer_engine::primitives::kdf::KdfParams;
use coffer_engine::{BackupWriter, Key, WriteOptions};
use js_sys::{Array, Object};
use wasm_bindgen::JsValue;
use web_sys::{Blob, IdbDatabase, IdbKeyRange, IdbTransactionMode};

use super::{keys, progress_info, time_from_ms, Reporter};
use crate::blobio::{read_blob_bytes, BlobParts, BlobSpool};
use crate::convert::{approx_size, js_to_key, ToValue};
use crate::error::{AppError, AppResult};
use crate::idb;
use crate::protocol::{DbInfo, Outcome, Phase, ProgressInfo, Selection, StoreInfo, META_DB};

/// Records read per request.
pub const PAGE: u32 = 500;

/// The origin's databases with counts and approximate sizes.
pub async fn overview() -> AppResult<Outcome> {
    let reg = keys::registry().await?;
    let mut databases = Vec::new();
    for (name, version) in idb::database_names().await? {
        if name == META_DB {
            continue;
        }
        let db = idb::open(&name).await?;
        let stores = idb::store_names(&db);
        let mut info = DbInfo {
            name: name.clone(),
            version,
            stores: Vec::new(),
            exists: true,
        };
        if !stores.is_empty() {
            let tx = idb::transaction(&db, &stores, IdbTransactionMode::Readonly)?;
            for s in &stores {
                let st = tx
                    .object_store(s)
                    .map_err(|e| AppError::js("cannot open a store", e))?;
                let count = idb::req("cannot count records", st.count())
                    .await?
                    .as_f64()
                    .unwrap_or(0.0) as u64;
                let bytes = if count <= 20_000 {
                    let all = idb::req("cannot read records", st.get_all()).await?;
                    Array::from(&all).iter().map(|v| approx_size(&v, 0)).sum()
                } else {
                    0
                };
                info.stores.push(StoreInfo {
                    name: s.clone(),
                    records: count,
                    bytes,
                    encrypted: reg.iter().any(|(d, x)| *d == name && x == s),
                    exists: true,
                });
            }
        }
        db.close();
        databases.push(info);
    }
    Ok(Outcome::Overview {
        databases,
        key_id: keys::current_key_id().await?,
    })
}

/// The file name of a backup made at `now_ms`.
pub fn backup_file_name(now_ms: f64) -> String {
    let t = time_from_ms(now_ms);
    format!(
        "coffer-backup-{:04}-{:02}-{:02}-{:02}{:02}{:02}.zip",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn dummy_for(schema: &StoreSchema) -> JsValue {
    match &schema.key_path {
        // Inline keys: the generated key is injected into an empty object.
        Some(_) => Object::new().into(),
        None => JsValue::from_f64(0.0),
    }
}

/// Reads schema, key generators and all records of `stores` of `db` into
/// the writer.
#[allow(clippy::too_many_arguments)]
async fn read_database(
    w: &mut BackupWriter<BlobSpool>,
    db: &IdbDatabase,
    name: &str,
    version: u64,
    stores: &[String],
    encrypted: &[String],
    rep: &Reporter,
    progress: &mut ProgressInfo,
) -> AppResult<()> {
    // Schema.
    let mut schemas = Vec::new();
    {
        let tx = idb::transaction(db, stores, IdbTransactionMode::Readonly)?;
        for s in stores {
            let st = tx
                .object_store(s)
                .map_err(|e| AppError::js("cannot open a store", e))?;
            let mut schema = idb::read_store_schema(&st)?;
            schema.encrypted = encrypted.contains(s);
            schemas.push(schema);
        }
    }
    if let Some(s) = schemas.iter().find(|s| s.encrypted && s.key_path.is_some()) {
        return Err(AppError::new(
            "invalid-encrypted-store",
            format!(
                "encrypted store {name}/{} has inline keys; encrypted stores need out-of-line keys",
                s.name
            ),
        ));
    }
    // Key generator probe (aborted), then the snapshot, created back to back.
    let auto: Vec<String> = schemas
        .iter()
        .filter(|s| s.auto_increment)
        .map(|s| s.name.clone())
        .collect();
    let mut probes = Vec::new();
    let probe_tx = if auto.is_empty() {
        None
    } else {
        let tx = idb::transaction(db, &auto, IdbTransactionMode::Readwrite)?;
        for s in &schemas {
            if s.auto_increment {
                let st = tx
                    .object_store(&s.name)
                    .map_err(|e| AppError::js("cannot open a store", e))?;
                let r = st
                    .add(&dummy_for(s))
                    .map_err(|e| AppError::js("cannot probe the key generator", e))?;
                probes.push((s.name.clone(), idb::track(&r), r));
            }
        }
        Some(tx)
    };
    let snap = idb::transaction(db, stores, IdbTransactionMode::Readonly)?;
    let mut counts = Vec::new();
    for s in stores {
        let st = snap
            .object_store(s)
            .map_err(|e| AppError::js("cannot open a store", e))?;
        let r = st
            .count()
            .map_err(|e| AppError::js("cannot count records", e))?;
        counts.push(idb::track(&r));
    }
    for (store, fut, _r) in probes {
        // A ConstraintError means the generator is exhausted: record none.
        if let Ok(k) = fut.await {
            if let Some(n) = k.as_f64() {
                if let Some(s) = schemas.iter_mut().find(|s| s.name == store) {
                    s.key_generator = Some((n as u64).saturating_sub(1));
                }
            }
        }
    }
    if let Some(tx) = probe_tx {
        let _ = tx.abort();
    }
    for c in counts {
        let n = c
            .await
            .map_err(|e| AppError::js("cannot count records", e))?;
        progress.total_records += n.as_f64().unwrap_or(0.0) as u64;
    }
    let dbi = w.add_database(DatabaseSchema {
        name: name.to_owned(),
        version,
        stores: schemas.clone(),
    })?;
    let mut read_blob = read_blob_bytes;
    let mut conv = ToValue::new(&mut read_blob);
    for (si, schema) in schemas.iter().enumerate() {
        let st = snap
            .object_store(&schema.name)
            .map_err(|e| AppError::js("cannot open a store", e))?;
        let mut last: Option<JsValue> = None;
        loop {
            let range = match &last {
                Some(k) => Some(
                    IdbKeyRange::lower_bound_with_open(k, true)
                        .map_err(|e| AppError::js("cannot page records", e))?,
                ),
                None => None,
            };
            let q: JsValue = range.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
            let kr = st
                .get_all_keys_with_key_and_limit(&q, PAGE)
                .map_err(|e| AppError::js("cannot read keys", e))?;
            let vr = st
                .get_all_with_key_and_limit(&q, PAGE)
                .map_err(|e| AppError::js("cannot read records", e))?;
            let (kf, vf) = (idb::track(&kr), idb::track(&vr));
            let ks = Array::from(&kf.await.map_err(|e| AppError::js("cannot read keys", e))?);
            let vs = Array::from(
                &vf.await
                    .map_err(|e| AppError::js("cannot read records", e))?,
            );
            let n = ks.length();
            for i in 0..n {
                let kjs = ks.get(i);
                let vjs = vs.get(i);
                let key: Key = js_to_key(&kjs)?;
                let at = |e: AppError| {
                    AppError::new(
                        e.code,
                        format!("{name}/{}, key {key:?}: {}", schema.name, e.message),
                    )
                };
                if schema.encrypted {
                    let env = keys::sealed_bytes(&vjs).ok_or_else(|| {
                        at(AppError::new(
                            "invalid-sealed-record",
                            "the value of an encrypted store is not sealed",
                        ))
                    })?;
                    progress.done_bytes += env.len() as u64;
                    w.add_sealed_record(dbi, si, &key, &env)
                        .map_err(|e| at(e.into()))?;
                } else {
                    let v = conv.convert(&vjs).map_err(at)?;
                    w.add_record(dbi, si, &key, v).map_err(|e| at(e.into()))?;
                }
                progress.done_records += 1;
            }
            rep.progress(Phase::Reading, *progress, false);
            if n < PAGE {
                break;
            }
            last = Some(ks.get(n - 1));
        }
    }
    Ok(())
}

/// Backs up `selection` and returns the archive as a Blob.
pub async fn backup(
    selection: &Selection,
    passphrase: Option<&str>,
    now_ms: f64,
    rep: &Reporter,
) -> AppResult<(Outcome, Blob)> {
    let master = keys::current_key().await?;
    let reg = keys::registry().await?;
    let existing = idb::database_names().await?;
    let mut options = WriteOptions::new(time_from_ms(now_ms));
    options.master_key = Some(master.key.clone());
    let mut w = BackupWriter::new(options, BlobSpool::default());
    let mut progress = ProgressInfo::default();
    let mut wanted: Vec<&crate::protocol::SelectedDb> = selection
        .databases
        .iter()
        .filter(|d| !d.stores.is_empty())
        .collect();
    wanted.sort_by(|a, b| a.name.cmp(&b.name));
    if wanted.is_empty() {
        return Err(AppError::new(
            "nothing-selected",
            crate::strings::NOTHING_SELECTED,
        ));
    }
    for sel in wanted {
        if sel.name == META_DB {
            continue;
        }
        let Some((_, version)) = existing.iter().find(|(n, _)| *n == sel.name) else {
            return Err(AppError::new(
                "browser-not-found",
                format!("database {:?} no longer exists", sel.name),
            ));
        };
        let db = idb::open(&sel.name).await?;
        let present = idb::store_names(&db);
        let mut stores: Vec<String> = sel
            .stores
            .iter()
            .filter(|s| present.contains(s))
            .cloned()
            .collect();
        stores.sort();
        stores.dedup();
        if stores.is_empty() {
            db.close();
            continue;
        }
        let encrypted: Vec<String> = reg
            .iter()
            .filter(|(d, _)| *d == sel.name)
            .map(|(_, s)| s.clone())
            .collect();
        let r = read_database(
            &mut w,
            &db,
            &sel.name,
            *version,
            &stores,
            &encrypted,
            rep,
            &mut progress,
        )
        .await;
        db.close();
        r?;
    }
    rep.progress(Phase::Reading, progress, true);
    let mut on_progress = |p: coffer_engine::Progress| {
        rep.progress(Phase::Writing, progress_info(p), false);
        Ok(())
    };
    let parts = BlobParts::new(4 << 20);
    let (parts, summary) = match passphrase.filter(|p| !p.is_empty()) {
        Some(pass) => {
            let lock = Lock {
                passphrase: Some((
                    zeroize::Zeroizing::new(pass.as_bytes().to_vec()),
                    KdfParams::DEFAULT,
                )),
                master_key: None,
            };
            let sw = lock_writer(parts, &lock)?;
            let (sw, summary) = w.finish_with_progress(sw, &mut on_progress)?;
            (sw.finish().map_err(coffer_engine::Error::from)?, summary)
        }
        None => w.finish_with_progress(parts, &mut on_progress)?,
    };
    let bytes = parts.len();
    let blob = parts.into_blob("application/zip")?;
    Ok((
        Outcome::Backup {
            file_name: backup_file_name(now_ms),
            records: summary.records,
            bytes,
        },
        blob,
    ))
}
