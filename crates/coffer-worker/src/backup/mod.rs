//! Creating backups.
//!
//! Per database ([`read_database`]): a schema snapshot (the stores'
//! schemas, the key-generator probe and **one readonly transaction** over
//! every selected store, a consistent snapshot: `snapshot.rs`), then each
//! store read page by page into its own sink (`reader.rs` → `sink.rs` →
//! the writer; Blob bodies load in the background, `bodies.rs`), then the
//! key generators recorded. Encoded data waits in a Blob-backed spool and
//! the archive is written into Blob parts, so neither sits in wasm memory.
//! A passphrase locks the whole archive.

use coffer_engine::locked::{lock_writer, Lock};
use coffer_engine::primitives::kdf::KdfParams;
use coffer_engine::{BackupWriter, WriteOptions};
use coffer_protocol::{Backup, BackupDone, ErrorCode, Phase, ProgressInfo, SelectedDb, META_DB};
use web_sys::{Blob, IdbDatabase};

use self::reader::Reading;
use self::sink::StoreSink;
use self::snapshot::{record_generators, Snapshot};
use crate::browser::blobio::{spool_failure, BlobParts, BlobSpool};
use crate::browser::encoder::PageEncoder;
use crate::browser::idb;
use crate::error::{AppError, AppResult};
use crate::timing::{measure, now, time_from_ms};
use crate::{keys, progress_info, Reporter};

mod bodies;
mod reader;
mod sink;
mod snapshot;

pub use reader::PAGE;
pub use sink::Writer;

thread_local! {
    static PAGE_ENCODER: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

/// Whether backups encode plain values in JavaScript ([`PageEncoder`],
/// the default) or convert them one by one (`ToValue`, which a policy
/// forbidding `new Function` leaves). For tests of either path.
pub fn set_page_encoder(on: bool) {
    PAGE_ENCODER.with(|c| c.set(on));
}

fn use_page_encoder() -> bool {
    PAGE_ENCODER.with(std::cell::Cell::get)
}

/// User Timing measures of the last backup: until the first store is read
/// (key, schema, key-generator probe, counts), reading every store, and
/// writing the archive.
const MEASURE_SETUP: &str = "coffer-backup:setup";
/// See [`MEASURE_SETUP`].
const MEASURE_READING: &str = "coffer-backup:reading";
/// See [`MEASURE_SETUP`].
const MEASURE_WRITING: &str = "coffer-backup:writing";

/// Records-part size of browser backups.
pub const PART_SIZE: usize = 4 << 20;

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

/// One database to back up.
struct DbPlan<'a> {
    db: &'a IdbDatabase,
    name: &'a str,
    version: u64,
    /// The selected stores that exist, sorted.
    stores: Vec<String>,
    /// Those of its stores that are registered as encrypted.
    encrypted: Vec<String>,
}

/// Reads the schema, key generators and every record of `plan` into `w`:
/// schema snapshot, each store through its sink, then the generators.
/// Returns when (`performance.now()`) its first store began to be read,
/// after the schema, the key-generator probe and the counts.
async fn read_database(
    w: &mut Writer,
    plan: &DbPlan<'_>,
    rep: &Reporter,
    progress: &mut ProgressInfo,
) -> AppResult<f64> {
    let DbPlan {
        db, name, version, ..
    } = *plan;
    let snap = Snapshot::take(db, name, &plan.stores, &plan.encrypted).await?;
    progress.total_records += snap.records;
    let dbi = w.add_database(snap.schema(name, version))?;
    let began = now();
    let encoder = use_page_encoder().then(PageEncoder::new).flatten();
    let mut reading = Reading::new(w, encoder, rep, progress);
    let mut last = None;
    for (si, schema) in snap.schemas.iter().enumerate() {
        let st = snap.store(&schema.name)?;
        let sink = StoreSink::new(dbi, si, name, &schema.name);
        reading.read_store(&st, schema, sink).await?;
        last = Some(st);
    }
    let max_keys = reading.finish(last.as_ref()).await?;
    let Snapshot { schemas, tx, .. } = snap;
    // The probe after the snapshot waits for it to end.
    drop(tx);
    record_generators(w, dbi, db, &schemas, &max_keys).await?;
    Ok(began)
}

/// Backs up `selection` and returns the archive as a Blob. `local` is the
/// page's localStorage (an array of `[key, value]`), sent when the
/// selection names it.
pub async fn backup(
    req: &Backup,
    local: &wasm_bindgen::JsValue,
    rep: &Reporter,
) -> AppResult<(BackupDone, Blob)> {
    spool_failure();
    let r = write_backup(req, local, rep).await;
    // A spool that could not keep its data makes any error a lack of space.
    match (r, spool_failure()) {
        (Err(e), Some(spooled)) => Err(AppError(Box::new(
            coffer_protocol::Failure::new(
                ErrorCode::BrowserQuota,
                format!("not enough space for the backup's temporary data ({spooled} bytes spooled): {e}"),
            )
            .with_bytes(spooled),
        ))),
        (r, _) => r,
    }
}

async fn write_backup(
    req: &Backup,
    local: &wasm_bindgen::JsValue,
    rep: &Reporter,
) -> AppResult<(BackupDone, Blob)> {
    let (now_ms, passphrase) = (req.now_ms, req.passphrase.as_deref());
    let started = now();
    let mut reading_began = None;
    let master = keys::current_key().await?;
    let reg = crate::registry::registry().await?;
    let existing = idb::databases().await?;
    let mut options = WriteOptions::new(time_from_ms(now_ms));
    options.master_key = Some(master.key.clone());
    // A restore decodes one records part at a time: smaller parts bound its
    // memory (FORMAT.md §4.1 leaves the size to the writer).
    options.part_size = PART_SIZE;
    let mut w = BackupWriter::new(options, BlobSpool::default());
    let mut progress = ProgressInfo::default();
    let mut wanted: Vec<&SelectedDb> = req
        .selection
        .databases
        .iter()
        .filter(|d| !d.stores.is_empty() && d.name != META_DB && req.scope.allows(&d.name))
        .collect();
    wanted.sort_by(|a, b| a.name.cmp(&b.name));
    if wanted.is_empty() && req.selection.parts.is_empty() {
        return Err(AppError::new(
            ErrorCode::NothingSelected,
            "nothing is selected to back up",
        ));
    }
    for sel in wanted {
        let Some((_, version, _)) = existing.iter().find(|(n, ..)| *n == sel.name) else {
            return Err(AppError::new(
                ErrorCode::BrowserNotFound,
                format!("database {:?} no longer exists", sel.name),
            )
            .about(sel.name.clone()));
        };
        // A name with a lone surrogate reaches here altered (U+FFFD).
        if existing
            .iter()
            .any(|(n, _, exact)| *n == sel.name && !exact)
        {
            return Err(idb::inexact_name(
                &format!("database {:?}", sel.name),
                sel.name.clone(),
            ));
        }
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
        if let Some(s) = idb::inexact_store_names(&db)
            .into_iter()
            .find(|s| stores.contains(s))
        {
            db.close();
            return Err(idb::inexact_name(
                &format!("store {s:?} of database {:?}", sel.name),
                format!("{}/{s}", sel.name),
            ));
        }
        if stores.is_empty() {
            db.close();
            continue;
        }
        let encrypted: Vec<String> = reg
            .iter()
            .filter(|(d, _)| *d == sel.name)
            .map(|(_, s)| s.clone())
            .collect();
        let plan = DbPlan {
            db: &db,
            name: &sel.name,
            version: *version,
            stores,
            encrypted,
        };
        let r = read_database(&mut w, &plan, rep, &mut progress).await;
        db.close();
        reading_began.get_or_insert(r?);
    }
    let part_info = crate::parts::backup(
        &mut w,
        &req.selection.parts,
        &req.scope,
        local,
        rep,
        &mut progress,
    )
    .await?;
    rep.progress(Phase::Reading, progress, true);
    let writing_began = now();
    let mut on_progress = |p: coffer_engine::Progress| {
        rep.progress(Phase::Writing, progress_info(p), false);
        Ok(())
    };
    let parts = BlobParts::new(4 << 20);
    let master_lock = req.lock_with_key.then(|| master.key.clone());
    let passphrase = passphrase.filter(|p| !p.is_empty());
    let (parts, summary) = if passphrase.is_some() || master_lock.is_some() {
        let lock = Lock {
            passphrase: passphrase.map(|pass| {
                (
                    zeroize::Zeroizing::new(pass.as_bytes().to_vec()),
                    KdfParams::DEFAULT,
                )
            }),
            master_key: master_lock,
        };
        let sw = lock_writer(parts, &lock)?;
        let (sw, summary) = w.finish_with_progress(sw, &mut on_progress)?;
        (sw.finish().map_err(coffer_engine::Error::from)?, summary)
    } else {
        w.finish_with_progress(parts, &mut on_progress)?
    };
    let bytes = parts.len();
    let blob = parts.into_blob("application/zip")?;
    // Where the time went (User Timing; `bench/run.mjs` reports these).
    let reading_began = reading_began.unwrap_or(writing_began);
    measure(MEASURE_SETUP, started, reading_began);
    measure(MEASURE_READING, reading_began, writing_began);
    measure(MEASURE_WRITING, writing_began, now());
    Ok((
        BackupDone {
            file_name: backup_file_name(now_ms),
            records: summary.records,
            bytes,
            parts: part_info,
            uploaded: None,
        },
        blob,
    ))
}
