//! Inspecting and restoring backups.
//!
//! A backup is validated completely by the engine (every hash, record,
//! sealed record and the MAC) before anything is written. Each database is
//! then restored all or nothing ([`Target`] is what one database's restore
//! writes with): **in place**, in one readwrite transaction, when every
//! selected store already has the backup's shape and no key generator is
//! past the backup's; otherwise **by an upgrade**, in one versionchange
//! transaction that deletes and recreates the selected stores. Stores that
//! are not selected or not in the backup are left alone.
//!
//! Records of encrypted stores sealed under another master key are
//! re-sealed to the current key, given that key's file.

use std::cell::RefCell;
use std::io::Read;

use coffer_engine::envelope::{reseal, RecordContext};
use coffer_engine::locked::{is_locked, open_backup, Input, Unlock};
use coffer_engine::model::{BlobRef, StoreSchema};
use coffer_engine::{BackupReader, Key, Limits, MasterKey, RecordValue};
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, IdbObjectStore, IdbTransactionMode};

use coffer_protocol::{
    DbInfo, ErrorCode, Inspect, KeyFileInput, Phase, Preview, ProgressInfo, Restore, Restored,
    Scope, StoreInfo, WaitReason, META_DB,
};

use crate::browser::blobio::{read_blob_buffer, BlobParts, BlobReader};
use crate::browser::convert::{key_to_js, ToJs};
use crate::browser::idb::{self, Opened};
use crate::browser::storage;
use crate::error::{AppError, AppResult};
use crate::generators::{self, Probe};
use crate::registry::RestoreJournal;
use crate::timing::date_now;
use crate::{keys, progress_info, tabs, Reporter};

type Reader = BackupReader<Input<BlobReader>>;

struct Opened2 {
    reader: Reader,
    locked: bool,
    /// The key the backup's sealed records are under, if at hand.
    backup_key: Option<MasterKey>,
    current: MasterKey,
}

async fn open_file(
    file: Blob,
    passphrase: Option<&str>,
    key_file: Option<&KeyFileInput>,
) -> AppResult<Opened2> {
    let mut head = [0u8; 8];
    let mut probe = BlobReader::new(file.clone(), 64)?;
    let n = probe.read(&mut head).map_err(coffer_engine::Error::from)?;
    let locked = is_locked(&head[..n]);
    let pass = passphrase.filter(|p| !p.is_empty()).map(str::as_bytes);
    let reader = open_backup(
        BlobReader::new(file, 1 << 20)?,
        Unlock {
            passphrase: pass,
            master_key: None,
        },
        Limits::default(),
    )?;
    let current = keys::current_key().await?.key;
    let mut backup_key = None;
    if reader.manifest().has_encrypted_stores() {
        let needed = reader.key_id();
        if needed == Some(current.id()) {
            backup_key = Some(current.clone());
        } else if let Some(kf) = key_file {
            let k = keys::key_from_file(&kf.text, kf.passphrase.as_deref())?;
            if Some(k.id()) != needed {
                return Err(AppError::new(
                    ErrorCode::WrongKey,
                    format!(
                        "the key file holds key id {}, but this backup needs key id {}",
                        k.id(),
                        needed.map(|n| n.to_hex()).unwrap_or_default()
                    ),
                ));
            }
            backup_key = Some(k);
        }
    }
    Ok(Opened2 {
        reader,
        locked,
        backup_key,
        current,
    })
}

fn verify(o: &mut Opened2, rep: &Reporter) -> AppResult<()> {
    let mut on = |p: coffer_engine::Progress| {
        rep.progress(Phase::Verifying, progress_info(p), false);
        Ok(())
    };
    o.reader.verify(o.backup_key.as_ref(), &mut on)?;
    Ok(())
}

async fn preview(o: &Opened2, scope: &Scope) -> AppResult<Preview> {
    let m = o.reader.manifest();
    let mut databases = Vec::new();
    let mut records = 0;
    let mut bytes = 0;
    for d in m.databases().iter().filter(|d| scope.allows(&d.name)) {
        let (exists, present) = match idb::open_existing(&d.name).await? {
            Some(db) => {
                let s = idb::store_names(&db);
                db.close();
                (true, s)
            }
            None => (false, Vec::new()),
        };
        let stores = d
            .stores
            .iter()
            .map(|s| {
                let size = s.parts.iter().chain(&s.blobs).map(|e| e.size).sum::<u64>();
                records += s.records;
                bytes += size;
                StoreInfo {
                    name: s.schema.name.clone(),
                    records: s.records,
                    bytes: size,
                    encrypted: s.schema.encrypted,
                    exists: present.contains(&s.schema.name),
                }
            })
            .collect();
        databases.push(DbInfo {
            name: d.name.clone(),
            version: d.version,
            stores,
            exists,
        });
    }
    let needs_key = m.has_encrypted_stores();
    Ok(Preview {
        created: m.json().created.clone(),
        locked: o.locked,
        backup_key_id: o.reader.key_id().map(|k| k.to_hex()),
        current_key_id: Some(o.current.id().to_hex()),
        key_ok: !needs_key || o.backup_key.is_some(),
        reseal: needs_key && o.reader.key_id() != Some(o.current.id()),
        databases,
        records,
        bytes,
    })
}

/// How long a successful inspection spares the restore its own full
/// verification.
const VERIFIED_FOR_MS: f64 = 10.0 * 60.0 * 1000.0;

/// What the last successful inspection of this worker verified: the file
/// (name, size, type, modification time), the exact manifest bytes it
/// found, and the key the sealed records were opened with.
#[derive(Clone, Debug, PartialEq)]
struct Verified {
    file: (String, f64, String, f64),
    manifest: Vec<u8>,
    key_id: Option<String>,
}

thread_local! {
    static VERIFIED: RefCell<Option<(Verified, f64)>> = const { RefCell::new(None) };
}

fn fingerprint(file: &Blob, o: &Opened2) -> Verified {
    let f = file.dyn_ref::<web_sys::File>();
    Verified {
        file: (
            f.map(|f| f.name()).unwrap_or_default(),
            file.size(),
            file.type_(),
            f.map(|f| f.last_modified()).unwrap_or(0.0),
        ),
        manifest: o.reader.manifest_bytes().to_vec(),
        key_id: o.backup_key.as_ref().map(|k| k.id().to_hex()),
    }
}

/// Whether this worker fully verified the same file, with the same
/// manifest and key, moments ago. Used once: a second restore verifies.
fn recently_verified(file: &Blob, o: &Opened2) -> bool {
    let now = date_now();
    VERIFIED.with(|v| match v.borrow_mut().take() {
        Some((seen, at)) => now - at < VERIFIED_FOR_MS && seen == fingerprint(file, o),
        None => false,
    })
}

/// Validates a backup completely and describes it.
pub async fn inspect(file: Blob, req: &Inspect, rep: &Reporter) -> AppResult<Preview> {
    VERIFIED.with(|v| v.borrow_mut().take());
    let mut o = open_file(
        file.clone(),
        req.passphrase.as_deref(),
        req.key_file.as_ref(),
    )
    .await?;
    verify(&mut o, rep)?;
    let p = preview(&o, &req.scope).await?;
    let seen = fingerprint(&file, &o);
    VERIFIED.with(|v| *v.borrow_mut() = Some((seen, date_now())));
    Ok(p)
}

/// What a database restore writes with, and where the records go.
struct Target<'a> {
    reader: &'a mut Reader,
    di: usize,
    stores: &'a [usize],
    old_key: Option<&'a MasterKey>,
    current: &'a MasterKey,
    rep: &'a Reporter,
    progress: &'a mut ProgressInfo,
    resealed: &'a mut u64,
}

impl Target<'_> {
    /// Writes the records of store `si` into `st` (empty, inside the
    /// restore's transaction) and raises its key generator.
    async fn fill(&mut self, st: &IdbObjectStore, si: usize) -> AppResult<()> {
        let di = self.di;
        let dm = &self.reader.manifest().databases()[di];
        let (db_name, store) = (dm.name.clone(), &dm.stores[si]);
        let (schema, parts) = (store.schema.clone(), store.parts.len());
        let reader = &mut *self.reader;
        let (progress, rep) = (&mut *self.progress, self.rep);
        let (old_key, current, resealed) = (self.old_key, self.current, &mut *self.resealed);
        let mut max_numeric: f64 = 0.0;
        // The previous part's last request: its part is being written while
        // this one is decoded, and it is awaited once this part is queued
        // (two parts in flight at most).
        let mut in_flight: Option<wasm_bindgen_futures::JsFuture> = None;
        let failed = |e: JsValue| {
            AppError::js(
                &format!("cannot write a record of {db_name}/{}", schema.name),
                e,
            )
        };
        for p in 0..parts {
            let records = reader.read_part(di, si, p)?;
            let mut last = None;
            for rec in records {
                if let Key::Number(n) = rec.key {
                    max_numeric = max_numeric.max(n);
                }
                let kjs = key_to_js(&rec.key);
                let value = match rec.value {
                    RecordValue::Plain(v) => {
                        let r = &mut *reader;
                        let mut resolve = |b: BlobRef| -> AppResult<Blob> {
                            let mut out = BlobParts::new(4 << 20);
                            r.copy_blob(di, si, b.index, &mut out)?;
                            out.into_blob("")
                        };
                        let mut to_buffer = |b: &Blob| read_blob_buffer(b);
                        let mut conv = ToJs::with_resolver(&mut resolve, &mut to_buffer);
                        conv.convert(&v)?
                    }
                    RecordValue::Sealed(env) => {
                        let ctx = RecordContext {
                            database: &db_name,
                            store: &schema.name,
                            key: &rec.key,
                        };
                        let env = match old_key {
                            Some(old) if old.id() != current.id() => {
                                *resealed += 1;
                                reseal(old, current, &ctx, &env)?
                            }
                            _ => env,
                        };
                        Uint8Array::from(env.as_slice()).into()
                    }
                };
                let r = if schema.key_path.is_some() {
                    st.put(&value)
                } else {
                    st.put_with_key(&value, &kjs)
                };
                let r = r.map_err(|e| {
                    AppError::js(
                        &format!("cannot write a record of {db_name}/{}", schema.name),
                        e,
                    )
                })?;
                // Only the part's last request is awaited: a failed put aborts
                // the transaction, which fails every later request too.
                last = Some(r);
                progress.done_records += 1;
                rep.progress(Phase::Restoring, *progress, false);
            }
            // Listen at once: the request may succeed during the next await.
            let this = last.as_ref().map(idb::track);
            if let Some(f) = std::mem::replace(&mut in_flight, this) {
                f.await.map_err(failed)?;
            }
            rep.progress(Phase::Restoring, *progress, false);
        }
        if let Some(f) = in_flight {
            f.await.map_err(failed)?;
        }
        if let Some(g) = schema.key_generator {
            generators::raise(st, &schema, g, max_numeric).await?;
        }
        Ok(())
    }
}

/// Whether an existing store has the shape `backup` needs: key path, key
/// generator flag and indexes (in any order).
fn same_shape(existing: &StoreSchema, backup: &StoreSchema) -> bool {
    let sorted = |s: &StoreSchema| {
        let mut ix = s.indexes.clone();
        ix.sort_by(|a, b| a.name.cmp(&b.name));
        ix
    };
    existing.key_path == backup.key_path
        && existing.auto_increment == backup.auto_increment
        && sorted(existing) == sorted(backup)
}

/// Restores the selected stores of `t`'s database, all or nothing: in place
/// when it can ([`restore_in_place`]), else by an upgrade
/// ([`restore_by_upgrade`]). `existing_version` is the database's version
/// now (`None`: it does not exist).
async fn restore_database(t: &mut Target<'_>, existing_version: Option<u64>) -> AppResult<()> {
    let version = t.reader.manifest().databases()[t.di].version;
    if existing_version.is_some_and(|v| v >= version) && restore_in_place(t).await? {
        return Ok(());
    }
    restore_by_upgrade(t, existing_version).await
}

/// Restores in **one readwrite transaction with relaxed durability**, the
/// database's version and other tabs' connections untouched: each selected
/// store is cleared and refilled. Only when every selected store exists
/// with the backup's shape, and no key generator is already past the
/// backup's (a generator never goes down; only recreating the store resets
/// it). Returns `false`, having written nothing, when that does not hold.
/// On any error the transaction is aborted.
async fn restore_in_place(t: &mut Target<'_>) -> AppResult<bool> {
    let dm = t.reader.manifest().databases()[t.di].clone();
    let Some(db) = idb::open_existing(&dm.name).await? else {
        return Ok(false);
    };
    let result = async {
        let present = idb::store_names(&db);
        let wanted: Vec<StoreSchema> = t
            .stores
            .iter()
            .map(|&si| dm.stores[si].schema.clone())
            .collect();
        if wanted.iter().any(|s| !present.contains(&s.name)) {
            return Ok(false);
        }
        let names: Vec<String> = wanted.iter().map(|s| s.name.clone()).collect();
        let tx = idb::transaction(&db, &names, IdbTransactionMode::Readonly)?;
        for s in &wanted {
            let st = tx
                .object_store(&s.name)
                .map_err(|e| AppError::js("cannot open a store", e))?;
            if !same_shape(&idb::read_store_schema(&st)?, s) {
                return Ok(false);
            }
        }
        for (store, now) in Probe::start(&db, &wanted)?.finish().await {
            let backup = wanted
                .iter()
                .find(|s| s.name == store)
                .and_then(|s| s.key_generator)
                .unwrap_or(0);
            // `None`: the generator is exhausted (or the probe failed).
            if now.is_none_or(|n| n > backup) {
                return Ok(false);
            }
        }
        let tx = idb::transaction(&db, &names, IdbTransactionMode::Readwrite)?;
        let work = async {
            for &si in t.stores {
                let name = &dm.stores[si].schema.name;
                let st = tx
                    .object_store(name)
                    .map_err(|e| AppError::js("cannot open a store", e))?;
                st.clear()
                    .map_err(|e| AppError::js(&format!("cannot clear store {name:?}"), e))?;
                t.fill(&st, si).await?;
            }
            Ok::<(), AppError>(())
        };
        match work.await {
            Ok(()) => idb::done(&tx).await.map(|()| true),
            Err(e) => {
                let _ = tx.abort();
                Err(e)
            }
        }
    }
    .await;
    db.close();
    result
}

/// Restores in **one versionchange transaction**: the selected stores are
/// deleted and recreated with the backup's schema, then filled. The
/// database gets the backup's version, or `existing + 1` if it is already
/// at that version or past it. On any error the transaction is aborted.
async fn restore_by_upgrade(t: &mut Target<'_>, existing_version: Option<u64>) -> AppResult<()> {
    let dm = t.reader.manifest().databases()[t.di].clone();
    let rep = t.rep;
    let target = match existing_version {
        Some(v) => dm.version.max(v + 1),
        None => dm.version.max(1),
    };
    let name = dm.name.clone();
    let id = rep.id();
    let waiting = WaitReason::DatabaseInUse {
        database: name.clone(),
    };
    let opened = idb::open_versioned(&name, target as f64, move || {
        Reporter::new(id).waiting(waiting.clone());
    })
    .await?;
    let Opened::Upgrade {
        db, tx, request, ..
    } = opened
    else {
        return Err(AppError::new(
            ErrorCode::BrowserVersion,
            format!("database {name:?} could not be upgraded"),
        ));
    };
    let work = async {
        let present = idb::store_names(&db);
        for &si in t.stores {
            let schema = &dm.stores[si].schema;
            if present.contains(&schema.name) {
                db.delete_object_store(&schema.name)
                    .map_err(|e| AppError::js("cannot replace a store", e))?;
            }
            let st = idb::create_store(&db, schema)?;
            t.fill(&st, si).await?;
        }
        Ok::<(), AppError>(())
    };
    match work.await {
        Ok(()) => {
            idb::finish_open(&request).await?;
            db.close();
            Ok(())
        }
        Err(e) => {
            let _ = tx.abort();
            let _ = idb::finish_open(&request).await;
            db.close();
            Err(e)
        }
    }
}

/// Not enough space: `needed` bytes, `free` available.
fn quota_failure(needed: u64, free: u64) -> AppError {
    let short = needed.saturating_sub(free).max(1);
    AppError(Box::new(
        coffer_protocol::Failure::new(
            ErrorCode::BrowserQuota,
            format!(
                "not enough storage space: the restore needs {needed} bytes, {free} are available"
            ),
        )
        .with_bytes(short),
    ))
}

/// Restores `req.selection` (within `req.scope`) from a backup (the caller
/// holds the lock).
pub async fn restore(file: Blob, req: &Restore, rep: &Reporter) -> AppResult<Restored> {
    let mut o = open_file(
        file.clone(),
        req.passphrase.as_deref(),
        req.key_file.as_ref(),
    )
    .await?;
    // Which (database, stores) to restore, by index.
    let plan: Vec<(usize, Vec<usize>)> = o
        .reader
        .manifest()
        .databases()
        .iter()
        .enumerate()
        .filter(|(_, d)| d.name != META_DB && req.scope.allows(&d.name))
        .map(|(di, d)| {
            let stores = d
                .stores
                .iter()
                .enumerate()
                .filter(|(_, s)| req.selection.contains(&d.name, &s.schema.name))
                .map(|(si, _)| si)
                .collect::<Vec<_>>();
            (di, stores)
        })
        .filter(|(_, s)| !s.is_empty())
        .collect();
    if plan.is_empty() {
        return Err(AppError::new(
            ErrorCode::NothingSelected,
            "the selection matches no store of the backup",
        ));
    }
    let m = o.reader.manifest();
    let needs_key = plan.iter().any(|(di, ss)| {
        ss.iter()
            .any(|&si| m.databases()[*di].stores[si].schema.encrypted)
    });
    if needs_key && o.backup_key.is_none() {
        let id = o.reader.key_id().map(|k| k.to_hex()).unwrap_or_default();
        return Err(AppError(Box::new(
            coffer_protocol::Failure::new(
                ErrorCode::KeyRequired,
                format!("this backup's encrypted stores were sealed under master key id {id}; supply that key file, or deselect the encrypted stores"),
            )
            .with_key_id(id),
        )));
    }
    // The file could have changed since it was inspected: verify it again,
    // unless this worker verified this very file (same manifest bytes, so
    // the same entry hashes, which `read_part`/`copy_blob` check again on
    // every read) with the same key moments ago.
    if !recently_verified(&file, &o) {
        verify(&mut o, rep)?;
    }
    // A restore that cannot fit fails now, before it writes, saying how
    // much more space it needs (a write that still hits the quota aborts
    // its transaction and is reported the same way).
    let needed: u64 = plan
        .iter()
        .flat_map(|(di, ss)| {
            let d = &o.reader.manifest().databases()[*di];
            ss.iter().map(move |&si| &d.stores[si])
        })
        .flat_map(|s| s.parts.iter().chain(&s.blobs))
        .map(|e| e.size)
        .sum();
    let available = storage::available().await;
    if let Some(free) = available.filter(|&free| free < needed) {
        return Err(quota_failure(needed, free));
    }
    let mut progress = ProgressInfo::default();
    let mut to_register = Vec::new();
    for (di, ss) in &plan {
        let d = &o.reader.manifest().databases()[*di];
        for &si in ss {
            let s = &d.stores[si];
            progress.total_records += s.records;
            if s.schema.encrypted {
                to_register.push((d.name.clone(), s.schema.name.clone()));
            }
        }
    }
    let mut journal = RestoreJournal::begin(to_register).await?;
    let existing = idb::database_names().await?;
    let mut resealed = 0;
    let mut stores_done = 0;
    let Opened2 {
        mut reader,
        backup_key,
        current,
        ..
    } = o;
    for (di, ss) in &plan {
        let name = reader.manifest().databases()[*di].name.clone();
        let ev = existing.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        let mut t = Target {
            reader: &mut reader,
            di: *di,
            stores: ss,
            old_key: backup_key.as_ref(),
            current: &current,
            rep,
            progress: &mut progress,
            resealed: &mut resealed,
        };
        if let Err(e) = restore_database(&mut t, ev).await {
            journal.end().await?;
            if e.code() == ErrorCode::BrowserQuota {
                let free = storage::available().await.or(available).unwrap_or(0);
                return Err(quota_failure(needed, free));
            }
            return Err(e);
        }
        journal.committed(&name).await?;
        stores_done += ss.len() as u64;
    }
    journal.end().await?;
    rep.progress(Phase::Restoring, progress, true);
    tabs::broadcast("restored");
    Ok(Restored {
        databases: plan.len() as u64,
        stores: stores_done,
        records: progress.done_records,
        resealed,
    })
}
