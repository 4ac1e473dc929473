//! Restoring a database through a staging database.
//!
//! IndexedDB lowers no version and changes no schema without a version
//! change, so a database that is newer than the backup, or has another
//! shape at the backup's version, cannot become the backup's in place. It
//! is rebuilt instead, all or nothing across a crash:
//!
//! 1. the intent goes into Coffer's journal (step `staging`);
//! 2. a staging database (`coffer-staging:<name>`) is built at the
//!    backup's version: the selected stores from the backup (one
//!    versionchange transaction; a key generator the live store had moved
//!    past the backup's stays there), the database's other stores copied
//!    from one readonly snapshot of it, key generators included;
//! 3. the journal says `swap`: from here on the restore goes forward;
//! 4. the live database is deleted and created again at the backup's
//!    version from the staging database, in one versionchange transaction;
//! 5. the staging database and the journal entry go.
//!
//! A restore that stops before step 3 (an error, or the browser dying)
//! leaves the live database untouched, and the next start deletes the
//! staging database; one that stops after it is finished by the next start
//! ([`settle`]), which repeats step 4 (it is idempotent) and 5. So the live
//! database is always either as it was or the backup's (for its selected
//! stores; its other stores keep their records).

use std::cell::Cell;

use coffer_engine::model::StoreSchema;
use coffer_protocol::{ErrorCode, WaitReason};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;
use web_sys::{IdbDatabase, IdbKeyRange, IdbObjectStore, IdbTransactionMode};

use super::target::Target;
use crate::browser::alive::resume_in;
use crate::browser::idb::{self, Opened};
use crate::error::{AppError, AppResult};
use crate::generators::{self, Probe};
use crate::{meta, Reporter};

/// Records copied per request.
const PAGE: u32 = 500;

/// Prefix of a staging database's name.
pub const STAGING_PREFIX: &str = "coffer-staging:";

/// Prefix of the journal keys of staged restores.
const JOURNAL_PREFIX: &str = "staging:";

/// A step after which a test can make a restore stop as if the browser
/// had died there (no clean-up).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The intent is in the journal.
    Intent,
    /// The staging database is complete and the journal says `swap`.
    Staged,
    /// The live database was deleted.
    Deleted,
    /// The live database was rebuilt.
    Rebuilt,
}

thread_local! {
    static STOP_AFTER: Cell<Option<Step>> = const { Cell::new(None) };
}

/// Makes the next staged restores stop after `step` (tests of crash
/// recovery); `None` lets them run.
pub fn stop_after(step: Option<Step>) {
    STOP_AFTER.with(|s| s.set(step));
}

fn checkpoint(step: Step) -> AppResult<()> {
    if STOP_AFTER.with(Cell::get) == Some(step) {
        return Err(AppError::new(
            ErrorCode::InternalError,
            format!("stopped after {step:?} (a test of crash recovery)"),
        ));
    }
    Ok(())
}

/// The staging database of `name`.
pub fn staging_name(name: &str) -> String {
    format!("{STAGING_PREFIX}{name}")
}

fn intent(name: &str, version: u64, step: &str) -> JsValue {
    let o = Object::new();
    let _ = Reflect::set(&o, &"database".into(), &name.into());
    let _ = Reflect::set(&o, &"version".into(), &JsValue::from_f64(version as f64));
    let _ = Reflect::set(&o, &"step".into(), &step.into());
    o.into()
}

fn store_of(tx: &web_sys::IdbTransaction, name: &str) -> AppResult<IdbObjectStore> {
    tx.object_store(name)
        .map_err(|e| AppError::js("cannot open a store", e))
}

/// The schemas of every store of `db`, with their key generators.
pub(super) async fn schemas_of(db: &IdbDatabase) -> AppResult<Vec<StoreSchema>> {
    let names = idb::store_names(db);
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    {
        let tx = idb::transaction(db, &names, IdbTransactionMode::Readonly)?;
        for n in &names {
            out.push(idb::read_store_schema(&store_of(&tx, n)?)?);
        }
    }
    for (store, g) in Probe::start(db, &out)?.finish().await {
        if let Some(s) = out.iter_mut().find(|s| s.name == store) {
            s.key_generator = g;
        }
    }
    Ok(out)
}

/// Restores `t`'s database (now at `live_version`) through a staging
/// database (see the module docs).
pub async fn restore_by_staging(t: &mut Target<'_>, live_version: u64) -> AppResult<()> {
    let dm = t.reader.manifest().databases()[t.di].clone();
    let (name, version) = (dm.name.clone(), dm.version.max(1));
    let staging = staging_name(&name);
    let key = format!("{JOURNAL_PREFIX}{name}");
    idb::delete_database(&staging).await?;
    meta::journal_put(&key, &intent(&name, version, "staging")).await?;
    checkpoint(Step::Intent)?;
    let staged = stage(t, &staging, live_version).await;
    if let Err(e) = staged {
        let _ = idb::delete_database(&staging).await;
        meta::journal_delete(&key).await?;
        return Err(e);
    }
    meta::journal_put(&key, &intent(&name, version, "swap")).await?;
    checkpoint(Step::Staged)?;
    swap(&name, version, t.rep).await
}

/// Builds the staging database: the selected stores from the backup, the
/// live database's other stores copied from one snapshot of it.
async fn stage(t: &mut Target<'_>, staging: &str, live_version: u64) -> AppResult<()> {
    let dm = t.reader.manifest().databases()[t.di].clone();
    let live = idb::open(&dm.name).await?;
    let r = async {
        if live.version() as u64 != live_version {
            return Err(AppError::new(
                ErrorCode::BrowserVersion,
                format!(
                    "database {:?} changed its version during the restore",
                    dm.name
                ),
            )
            .about(dm.name.clone()));
        }
        let selected: Vec<&StoreSchema> =
            t.stores.iter().map(|&si| &dm.stores[si].schema).collect();
        let live_schemas = schemas_of(&live).await?;
        let live_generators: Vec<(String, Option<u64>)> = live_schemas
            .iter()
            .map(|s| (s.name.clone(), s.key_generator))
            .collect();
        let kept: Vec<StoreSchema> = live_schemas
            .into_iter()
            .filter(|s| !selected.iter().any(|b| b.name == s.name))
            .collect();
        let Opened::Upgrade {
            db, tx, request, ..
        } = idb::open_versioned(staging, dm.version.max(1) as f64, || {}).await?
        else {
            return Err(AppError::new(
                ErrorCode::BrowserVersion,
                format!("the staging database {staging:?} exists already"),
            ));
        };
        let filled = async {
            for &si in t.stores {
                let schema = &dm.stores[si].schema;
                let st = idb::create_store(&db, schema)?;
                t.fill(&st, si).await?;
                let live = generators::of(&live_generators, &schema.name);
                generators::keep_live(&st, schema, live).await?;
            }
            for s in &kept {
                idb::create_store(&db, s)?;
            }
            Ok::<(), AppError>(())
        }
        .await;
        if let Err(e) = filled {
            let _ = tx.abort();
            let _ = idb::finish_open(&request).await;
            db.close();
            return Err(e);
        }
        idb::finish_upgrade(&request, &tx).await?;
        let copied = copy_kept(&live, &db, &kept).await;
        db.close();
        copied
    }
    .await;
    live.close();
    r
}

/// Copies the records of `kept` from one readonly snapshot of `live` into
/// `staging` (a readwrite transaction per page), then raises their key
/// generators to the live ones.
async fn copy_kept(
    live: &IdbDatabase,
    staging: &IdbDatabase,
    kept: &[StoreSchema],
) -> AppResult<()> {
    if kept.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = kept.iter().map(|s| s.name.clone()).collect();
    let snap = idb::transaction(live, &names, IdbTransactionMode::Readonly)?;
    let mut writes = Vec::new();
    let mut max_keys = vec![0f64; kept.len()];
    for (i, s) in kept.iter().enumerate() {
        let from = store_of(&snap, &s.name)?;
        let mut after: Option<JsValue> = None;
        loop {
            let (keys, values) = read_page(&from, after.as_ref()).await?;
            let n = keys.length();
            if n == 0 {
                break;
            }
            // A transaction made now is active in this task: the page goes
            // in while the snapshot reads on.
            let tx = idb::transaction(
                staging,
                std::slice::from_ref(&s.name),
                IdbTransactionMode::Readwrite,
            )?;
            writes.push(idb::done_future(&tx));
            let to = store_of(&tx, &s.name)?;
            put_page(&to, s, &keys, &values, &mut max_keys[i])?;
            if n < PAGE {
                break;
            }
            after = Some(keys.get(n - 1));
        }
    }
    for w in writes {
        w.await?;
    }
    // Key generators: as they were in the live database.
    let tx = idb::transaction(staging, &names, IdbTransactionMode::Readwrite)?;
    for (i, s) in kept.iter().enumerate() {
        if let Some(g) = s.key_generator {
            generators::raise(&store_of(&tx, &s.name)?, s, g, max_keys[i]).await?;
        }
    }
    idb::done(&tx).await
}

/// The page of `st` after key `after` (from the start: `None`).
async fn read_page(st: &IdbObjectStore, after: Option<&JsValue>) -> AppResult<(Array, Array)> {
    let q: JsValue = match after {
        Some(k) => IdbKeyRange::lower_bound_with_open(k, true)
            .map_err(|e| AppError::js("cannot page records", e))?
            .into(),
        None => JsValue::UNDEFINED,
    };
    let kr = st
        .get_all_keys_with_key_and_limit(&q, PAGE)
        .map_err(|e| AppError::js("cannot read keys", e))?;
    let vr = st
        .get_all_with_key_and_limit(&q, PAGE)
        .map_err(|e| AppError::js("cannot read records", e))?;
    let (kf, vf) = (idb::track(&kr), idb::track(&vr));
    let keys = kf.await.map_err(|e| AppError::js("cannot read keys", e))?;
    let values = vf
        .await
        .map_err(|e| AppError::js("cannot read records", e))?;
    Ok((Array::from(&keys), Array::from(&values)))
}

/// Puts a page into `to` (in-line keys are in the values), noting the
/// largest numeric key.
fn put_page(
    to: &IdbObjectStore,
    schema: &StoreSchema,
    keys: &Array,
    values: &Array,
    max_key: &mut f64,
) -> AppResult<()> {
    for (k, v) in keys.iter().zip(values.iter()) {
        if let Some(n) = k.as_f64() {
            *max_key = max_key.max(n);
        }
        let r = if schema.key_path.is_some() {
            to.put(&v)
        } else {
            to.put_with_key(&v, &k)
        };
        r.map_err(|e| AppError::js(&format!("cannot copy a record of {:?}", schema.name), e))?;
    }
    Ok(())
}

/// Replaces the live database `name` by its complete staging database, at
/// `version`, then removes the staging database and the journal entry.
/// Idempotent: a swap that stopped midway is simply run again.
async fn swap(name: &str, version: u64, rep: &Reporter) -> AppResult<()> {
    let staging_db_name = staging_name(name);
    let staging = idb::open(&staging_db_name).await?;
    let r = rebuild(name, version, &staging, rep).await;
    staging.close();
    r?;
    checkpoint(Step::Rebuilt)?;
    idb::delete_database(&staging_db_name).await?;
    meta::journal_delete(&format!("{JOURNAL_PREFIX}{name}")).await
}

/// Deletes the live database and creates it again at `version` from
/// `staging`, in one versionchange transaction.
async fn rebuild(name: &str, version: u64, staging: &IdbDatabase, rep: &Reporter) -> AppResult<()> {
    let schemas = schemas_of(staging).await?;
    for _attempt in 0..3 {
        let id = rep.id();
        let waiting = WaitReason::DatabaseInUse {
            database: name.to_owned(),
        };
        idb::delete_database_waiting(name, move || Reporter::new(id).waiting(waiting.clone()))
            .await?;
        checkpoint(Step::Deleted)?;
        // Another tab may have created it again in between: then delete
        // it once more.
        let Opened::Upgrade {
            db, tx, request, ..
        } = idb::open_versioned(name, version as f64, || {}).await?
        else {
            continue;
        };
        let filled = async {
            for s in &schemas {
                let st = idb::create_store(&db, s)?;
                let max_key = copy_store(staging, s, &st).await?;
                if let Some(g) = s.key_generator {
                    generators::raise(&st, s, g, max_key).await?;
                }
            }
            Ok::<(), AppError>(())
        }
        .await;
        return match filled {
            Ok(()) => {
                idb::finish_upgrade(&request, &tx).await?;
                db.close();
                Ok(())
            }
            Err(e) => {
                let _ = tx.abort();
                let _ = idb::finish_open(&request).await;
                db.close();
                Err(e)
            }
        };
    }
    Err(AppError::new(
        ErrorCode::BrowserVersion,
        format!("database {name:?} is created again by another tab while Coffer replaces it"),
    )
    .about(name.to_owned()))
}

/// Copies store `s` of `staging` into `to` (a store of the running
/// versionchange transaction, kept open while staging pages are read).
/// Returns the largest numeric key.
async fn copy_store(staging: &IdbDatabase, s: &StoreSchema, to: &IdbObjectStore) -> AppResult<f64> {
    let mut after: Option<JsValue> = None;
    let mut max_key = 0f64;
    loop {
        // A readonly transaction per page: the staging database does not
        // change, and `to`'s transaction must stay the active one.
        let tx = idb::transaction(
            staging,
            std::slice::from_ref(&s.name),
            IdbTransactionMode::Readonly,
        )?;
        let from = store_of(&tx, &s.name)?;
        let (keys, values) = resume_in(to, read_page(&from, after.as_ref())).await??;
        let n = keys.length();
        put_page(to, s, &keys, &values, &mut max_key)?;
        if n < PAGE {
            return Ok(max_key);
        }
        after = Some(keys.get(n - 1));
    }
}

/// Settles the staged restores a previous session did not finish: before
/// `swap`, the staging database goes (the live one is untouched); from
/// `swap` on, the swap is completed. Returns the databases settled.
pub async fn settle() -> AppResult<Vec<String>> {
    let mut settled = Vec::new();
    for (key, v) in meta::journal_entries(JOURNAL_PREFIX).await? {
        let get = |k: &str| Reflect::get(&v, &k.into()).ok();
        let name = get("database")
            .and_then(|d| d.as_string())
            .unwrap_or_else(|| key.trim_start_matches(JOURNAL_PREFIX).to_owned());
        let version = get("version").and_then(|x| x.as_f64()).unwrap_or(1.0) as u64;
        match get("step").and_then(|s| s.as_string()).as_deref() {
            Some("swap") => swap(&name, version, &Reporter::silent()).await?,
            _ => {
                idb::delete_database(&staging_name(&name)).await?;
                meta::journal_delete(&key).await?;
            }
        }
        settled.push(name);
    }
    Ok(settled)
}
