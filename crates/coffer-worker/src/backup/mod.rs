//! Creating backups, and the store overview.
//!
//! Per database: the schema is read, the key generators of auto-increment
//! stores are probed, and every selected store is read in **one readonly
//! transaction** (a consistent snapshot), in pages of [`PAGE`] records
//! (`getAllRecords`, or `getAllKeys` + `getAll`). Plain values are encoded
//! a page at a time in JavaScript ([`crate::encoder`]) and handed to the
//! engine while the snapshot is open; Blob bodies load in the background
//! ([`crate::bodies`]) with a bound on the bytes in flight. Encoded data
//! waits in a Blob-backed spool and the archive is written into Blob
//! parts, so neither sits in wasm memory.
//!
//! Key generators: IndexedDB has no getter, so a throw-away readwrite
//! transaction `add`s a record without key to each auto-increment store
//! (the generated key is the next key), then aborts, which reverts both
//! the record and the generator. This probe runs right before the snapshot
//! and again after it; the backup records the largest of both probes and
//! of the largest numeric key read ([`crate::generator::recorded`]), set
//! with `BackupWriter::set_key_generator` once the records are in. So ids
//! that any tab used (even if it deleted them again) while the backup ran
//! are never handed out again after a restore.

use coffer_engine::locked::{lock_writer, Lock};
use coffer_engine::model::DatabaseSchema;
use coffer_engine::primitives::kdf::KdfParams;
use std::cell::RefCell;

use coffer_engine::{BackupWriter, Key, WriteOptions};
use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, IdbDatabase, IdbKeyRange, IdbObjectStore, IdbRequest, IdbTransactionMode};

use coffer_protocol::{Backup, BackupDone, ErrorCode, Phase, ProgressInfo, SelectedDb, META_DB};

use self::bodies::{Bodies, Body, Pending, MAX_IN_FLIGHT};
use crate::browser::blobio::{BlobBatch, BlobParts, BlobSpool};
use crate::browser::convert::{js_to_key, ToValue};
use crate::browser::encoder::{EncodeFailure, EncodedPage, PageEncoder};
use crate::browser::idb;
use crate::error::{AppError, AppResult};
use crate::generator;
use crate::generators::Probe;
use crate::timing::{measure, now, time_from_ms};
use crate::{keys, progress_info, Reporter};

mod bodies;

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

/// Records read per request.
pub const PAGE: u32 = 500;

/// Records-part size of browser backups.
pub const PART_SIZE: usize = 4 << 20;

/// Blob bytes read with one `FileReaderSync` call (at most, plus one Blob).
const BLOB_BATCH: u64 = 8 << 20;

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

/// Reads schema, key generators and all records of `stores` of `db` into
/// the writer. Returns when (`performance.now()`) its first store began to
/// be read, after the schema, the key-generator probe and the counts.
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
) -> AppResult<f64> {
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
            ErrorCode::InvalidEncryptedStore,
            format!(
                "encrypted store {name}/{} has inline keys; encrypted stores need out-of-line keys",
                s.name
            ),
        ));
    }
    // Key generator probe (aborted), then the snapshot, created back to back.
    let probe = Probe::start(db, &schemas)?;
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
    for (store, g) in probe.finish().await {
        if let Some(s) = schemas.iter_mut().find(|s| s.name == store) {
            s.key_generator = g;
        }
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
    let batch = RefCell::new(BlobBatch::default());
    let encoder = if use_page_encoder() {
        PageEncoder::new()
    } else {
        None
    };
    let threshold = w.inline_threshold();
    let mut read_blob = |b: &Blob| Ok(batch.borrow_mut().defer(b));
    let mut conv = ToValue::new(&mut read_blob);
    let mut max_keys: Vec<Option<f64>> = vec![None; schemas.len()];
    // Earlier stores' records still waiting for Blob bodies: their reads go
    // on while later stores are read (the writer takes stores in any
    // order, each in key order).
    let mut earlier: Vec<(usize, Bodies)> = Vec::new();
    let mut last_store = None;
    let began = now();
    for (si, schema) in schemas.iter().enumerate() {
        let st = snap
            .object_store(&schema.name)
            .map_err(|e| AppError::js("cannot open a store", e))?;
        let store = schema.name.as_str();
        // Keep at most MAX_IN_FLIGHT bytes of earlier stores being read.
        while earlier.iter().map(|(_, b)| b.in_flight()).sum::<u64>() >= MAX_IN_FLIGHT {
            let Some((ei, b)) = earlier.first_mut() else {
                break;
            };
            let e_store = schemas[*ei].name.as_str();
            b.wait_front(&st, &mut adder(w, dbi, *ei, name, e_store))
                .await?;
            earlier.retain(|(_, b)| !b.is_empty());
        }
        // Records waiting for their Blob bodies (read in the background).
        let mut bodies = Bodies::default();
        // Pipelined: the next page is requested before this one is
        // converted, so IndexedDB reads while the engine encodes.
        let gar = get_all_records(&st, encoder.as_ref());
        let mut next = Some(request_page(&st, None, gar.as_ref())?);
        while let Some(request) = next.take() {
            let (ks, vs) = request
                .receive(encoder.as_ref(), |n, last| {
                    if n == PAGE {
                        next = Some(request_page(&st, Some(last), gar.as_ref())?);
                    }
                    Ok(())
                })
                .await?;
            let n = ks.length();
            bodies.drain_ready(&mut adder(w, dbi, si, name, store))?;
            for (ei, b) in &mut earlier {
                let e_store = schemas[*ei].name.as_str();
                b.drain_ready(&mut adder(w, dbi, *ei, name, e_store))?;
            }
            earlier.retain(|(_, b)| !b.is_empty());
            // Plain stores: the whole page encoded in JavaScript at once.
            let page = match (&encoder, schema.encrypted) {
                (Some(enc), false) => match enc.encode(&vs, threshold)? {
                    Ok(p) => Some(p),
                    Err(EncodeFailure { index, error }) => {
                        let key = js_to_key(&ks.get(index))?;
                        return Err(located(name, store, &key, error));
                    }
                },
                _ => None,
            };
            let mut hole = 0;
            for i in 0..n {
                let kjs = ks.get(i);
                let key: Key = js_to_key(&kjs)?;
                if let Key::Number(n) = key {
                    max_keys[si] = Some(max_keys[si].map_or(n, |m| m.max(n)));
                }
                if let Some(page) = &page {
                    let record = encoded_record(page, i as usize, &mut hole, &batch)?;
                    match record {
                        Ok(bytes) if bodies.idle(&batch.borrow()) => w
                            .add_encoded_record(dbi, si, &key, bytes, &[])
                            .map_err(|e| located(name, store, &key, e.into()))?,
                        Ok(bytes) => bodies.push(
                            &batch.borrow(),
                            key,
                            Pending::Encoded {
                                bytes: bytes.to_vec(),
                                bodies: Vec::new(),
                            },
                            &mut adder(w, dbi, si, name, store),
                        )?,
                        Err(p) => bodies.push(
                            &batch.borrow(),
                            key,
                            p,
                            &mut adder(w, dbi, si, name, store),
                        )?,
                    }
                } else if schema.encrypted {
                    let vjs = vs.get(i);
                    let env = keys::sealed_bytes(&vjs).ok_or_else(|| {
                        located(
                            name,
                            store,
                            &key,
                            AppError::new(
                                ErrorCode::InvalidSealedRecord,
                                "the value of an encrypted store is not sealed",
                            ),
                        )
                    })?;
                    progress.done_bytes += env.len() as u64;
                    w.add_sealed_record(dbi, si, &key, &env)
                        .map_err(|e| located(name, store, &key, e.into()))?;
                    progress.done_records += 1;
                    continue;
                } else {
                    let v = conv
                        .convert(&vs.get(i))
                        .map_err(|e| located(name, store, &key, e))?;
                    bodies.push(
                        &batch.borrow(),
                        key,
                        Pending::Value(v),
                        &mut adder(w, dbi, si, name, store),
                    )?;
                }
                if batch.borrow().bytes() >= BLOB_BATCH {
                    bodies.flush(&mut batch.borrow_mut());
                    if bodies.full() {
                        bodies
                            .wait_front(&st, &mut adder(w, dbi, si, name, store))
                            .await?;
                    }
                }
                progress.done_records += 1;
            }
            bodies.flush(&mut batch.borrow_mut());
            rep.progress(Phase::Reading, *progress, false);
        }
        bodies.flush(&mut batch.borrow_mut());
        if !bodies.is_empty() {
            earlier.push((si, bodies));
        }
        last_store = Some(st);
    }
    if let Some(st) = &last_store {
        for (ei, b) in &mut earlier {
            let e_store = schemas[*ei].name.as_str();
            b.finish(&batch, st, &mut adder(w, dbi, *ei, name, e_store))
                .await?;
        }
    }
    // Probe again once the snapshot is done (the readwrite transaction
    // waits for it): ids another tab used in the meantime count too.
    drop(snap);
    let after = Probe::start(db, &schemas)?.finish().await;
    for (si, schema) in schemas.iter().enumerate() {
        if !schema.auto_increment {
            continue;
        }
        let post = after
            .iter()
            .find(|(n, _)| *n == schema.name)
            .and_then(|(_, g)| *g);
        if let Some(g) = generator::recorded(schema.key_generator, max_keys[si], post) {
            w.set_key_generator(dbi, si, g)?;
        }
    }
    Ok(began)
}

/// A page of records being read.
enum PageRequest {
    /// `getAllKeys` + `getAll`.
    Split(
        wasm_bindgen_futures::JsFuture,
        wasm_bindgen_futures::JsFuture,
    ),
    /// `getAllRecords` (one request, where the browser has it).
    Records(wasm_bindgen_futures::JsFuture),
}

impl PageRequest {
    /// The page's primary keys and values. As soon as the page's size and
    /// last primary key are known, before its values are touched (reading
    /// a value deserializes it), `then(size, last_key)` runs: requesting
    /// the next page there lets IndexedDB read it while this one is
    /// deserialized.
    async fn receive(
        self,
        encoder: Option<&PageEncoder>,
        then: impl FnOnce(u32, &JsValue) -> AppResult<()>,
    ) -> AppResult<(Array, Array)> {
        let last = |a: &Array, n: u32| {
            if n == 0 {
                JsValue::UNDEFINED
            } else {
                a.get(n - 1)
            }
        };
        match (self, encoder) {
            (PageRequest::Split(kf, vf), _) => {
                let ks = Array::from(&kf.await.map_err(|e| AppError::js("cannot read keys", e))?);
                then(ks.length(), &last(&ks, ks.length()))?;
                let vs = vf
                    .await
                    .map_err(|e| AppError::js("cannot read records", e))?;
                Ok((ks, Array::from(&vs)))
            }
            (PageRequest::Records(rf), Some(enc)) => {
                let records = Array::from(
                    &rf.await
                        .map_err(|e| AppError::js("cannot read records", e))?,
                );
                let n = records.length();
                let key = match n {
                    0 => JsValue::UNDEFINED,
                    _ => js_sys::Reflect::get(&last(&records, n), &"primaryKey".into())
                        .map_err(|e| AppError::js("cannot read records", e))?,
                };
                then(n, &key)?;
                enc.split(&records)
            }
            (PageRequest::Records(_), None) => Err(AppError::new(
                ErrorCode::BrowserError,
                "records read with getAllRecords need the page encoder",
            )),
        }
    }
}

/// `getAllRecords` of `st`, when the browser has it and `encoder` (which
/// splits its result) exists.
fn get_all_records(st: &IdbObjectStore, encoder: Option<&PageEncoder>) -> Option<js_sys::Function> {
    encoder?;
    js_sys::Reflect::get(st, &"getAllRecords".into())
        .ok()?
        .dyn_into()
        .ok()
}

/// Requests the page of records after `after` (from the start: `None`),
/// with `get_all_records` when given, else `getAllKeys` + `getAll`.
fn request_page(
    st: &IdbObjectStore,
    after: Option<&JsValue>,
    get_all_records: Option<&js_sys::Function>,
) -> AppResult<PageRequest> {
    let q: JsValue = match after {
        Some(k) => IdbKeyRange::lower_bound_with_open(k, true)
            .map_err(|e| AppError::js("cannot page records", e))?
            .into(),
        None => JsValue::UNDEFINED,
    };
    if let Some(f) = get_all_records {
        let options = Object::new();
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&options, &k.into(), v);
        if !q.is_undefined() {
            let _ = set("query", &q);
        }
        let _ = set("count", &JsValue::from(PAGE));
        let r: IdbRequest = f
            .call1(st, &options)
            .map_err(|e| AppError::js("cannot read records", e))?
            .unchecked_into();
        return Ok(PageRequest::Records(idb::track(&r)));
    }
    let kr = st
        .get_all_keys_with_key_and_limit(&q, PAGE)
        .map_err(|e| AppError::js("cannot read keys", e))?;
    let vr = st
        .get_all_with_key_and_limit(&q, PAGE)
        .map_err(|e| AppError::js("cannot read records", e))?;
    Ok(PageRequest::Split(idb::track(&kr), idb::track(&vr)))
}

/// Record `i` of an encoded page: its bytes when it has no bodies, else
/// the record with its bodies (Blobs deferred to `batch`). `hole` is the
/// page's first hole not yet taken.
fn encoded_record<'p>(
    page: &'p EncodedPage,
    i: usize,
    hole: &mut usize,
    batch: &RefCell<BlobBatch>,
) -> AppResult<Result<&'p [u8], Pending>> {
    let start = if i == 0 { 0 } else { page.ends[i - 1] as usize };
    let end = page.ends[i] as usize;
    let bytes = page.bytes.get(start..end).ok_or_else(|| {
        AppError::new(
            ErrorCode::BrowserError,
            "the record encoder returned too little",
        )
    })?;
    let mut bodies = Vec::new();
    while let Some(&at) = page.holes.get(*hole) {
        let at = at as usize;
        // Every value starts with a tag, so a hole is never at a value's
        // start; one at its end is its own (its last body).
        if at > end {
            break;
        }
        if at == start {
            return Err(AppError::new(
                ErrorCode::BrowserError,
                "the record encoder misplaced a body",
            ));
        }
        let body = page.bodies.get(*hole as u32);
        let body = match body.dyn_ref::<Blob>() {
            Some(b) => Body::Deferred(batch.borrow_mut().defer_index(b)),
            None => Body::Bytes(Uint8Array::new(&body).to_vec()),
        };
        bodies.push((at - start, body));
        *hole += 1;
    }
    if bodies.is_empty() {
        return Ok(Ok(bytes));
    }
    Ok(Err(Pending::Encoded {
        bytes: bytes.to_vec(),
        bodies,
    }))
}

/// `e`, with the record it concerns in front of its message.
fn located(db: &str, store: &str, key: &Key, e: AppError) -> AppError {
    let mut e = e.about(format!("{db}/{store}"));
    e.0.message = format!("{db}/{store}, key {key:?}: {}", e.0.message);
    e
}

/// Adds plain records of store `si` of database `dbi` to `w`.
fn adder<'a>(
    w: &'a mut BackupWriter<BlobSpool>,
    dbi: usize,
    si: usize,
    db: &'a str,
    store: &'a str,
) -> impl FnMut(Key, Pending) -> AppResult<()> + 'a {
    move |key, p| {
        let r = match p {
            Pending::Value(v) => w.add_record(dbi, si, &key, v),
            Pending::Encoded { bytes, bodies } => {
                let mut parts = Vec::with_capacity(bodies.len());
                for (at, b) in &bodies {
                    match b {
                        Body::Bytes(x) => parts.push((*at, x.as_slice())),
                        Body::Deferred(_) => {
                            return Err(located(
                                db,
                                store,
                                &key,
                                AppError::new(ErrorCode::Io, "a Blob body was not read"),
                            ))
                        }
                    }
                }
                w.add_encoded_record(dbi, si, &key, &bytes, &parts)
            }
        };
        r.map_err(|e| located(db, store, &key, e.into()))
    }
}

/// Backs up `selection` and returns the archive as a Blob.
pub async fn backup(req: &Backup, rep: &Reporter) -> AppResult<(BackupDone, Blob)> {
    let (now_ms, passphrase) = (req.now_ms, req.passphrase.as_deref());
    let started = now();
    let mut reading_began = None;
    let master = keys::current_key().await?;
    let reg = keys::registry().await?;
    let existing = idb::database_names().await?;
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
    if wanted.is_empty() {
        return Err(AppError::new(
            ErrorCode::NothingSelected,
            "nothing is selected to back up",
        ));
    }
    for sel in wanted {
        let Some((_, version)) = existing.iter().find(|(n, _)| *n == sel.name) else {
            return Err(AppError::new(
                ErrorCode::BrowserNotFound,
                format!("database {:?} no longer exists", sel.name),
            )
            .about(sel.name.clone()));
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
        reading_began.get_or_insert(r?);
    }
    rep.progress(Phase::Reading, progress, true);
    let writing_began = now();
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
        },
        blob,
    ))
}
