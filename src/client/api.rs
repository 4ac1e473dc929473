//! The typed operations of Coffer, for everything on the page: the cards,
//! the overview, `window.coffer`, the `<coffer-backup>` element and the
//! encrypted-store API all call these. Each sends one request, turns its
//! outcome into a result (with the attached Blob or value where there is
//! one) and tells the engine's [`Observer`](super::Observer) how it ended.

use coffer_protocol as p;
use coffer_protocol::{
    ErrorCode, Failure, KeyFileInput, KeyReplaced, KeySource, OverviewData, Part, Preview,
    Restored, Scope, Selection, Timing,
};
use wasm_bindgen::JsValue;
use web_sys::Blob;

use super::engine::{Attached, Attachments, EngineClient, HookOp, Progress};
use super::local;

/// A result of the API.
pub type ApiResult<T> = Result<T, Failure>;

/// Tells the observer how `r` ended: `ok` on success, `failed` otherwise.
fn report<T>(engine: &EngineClient, r: ApiResult<T>, ok: impl FnOnce(&T)) -> ApiResult<T> {
    match &r {
        Ok(v) => ok(v),
        Err(f) => engine.observe(|o| o.failed(f)),
    }
    r
}

fn no_progress(_: Progress) {}

fn missing(what: &str) -> Failure {
    Failure::new(
        ErrorCode::Protocol,
        format!("the engine worker sent no {what}"),
    )
}

/// The origin's databases and other storage that `scope` allows, and the
/// current key id. localStorage is counted here, on the page.
pub async fn overview(engine: &EngineClient, scope: &Scope) -> ApiResult<OverviewData> {
    let r = engine
        .call(
            p::Overview {
                scope: scope.clone(),
            },
            Attachments::default(),
            no_progress,
        )
        .await
        .map(|(mut o, _)| {
            if scope.allows_part(Part::LocalStorage) {
                o.parts.local_storage = local::info();
            }
            o
        });
    report(engine, r, |o| engine.observe(|ob| ob.overview(o)))
}

/// What a hook hears: `{operation, parts, databases}` (and `ok` after).
fn hook_detail(op: HookOp, selection: &Selection) -> JsValue {
    let o = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&o, &k.into(), &v);
    };
    set(
        "operation",
        match op {
            HookOp::Backup => "backup",
            HookOp::Restore => "restore",
        }
        .into(),
    );
    let parts: js_sys::Array = selection
        .parts
        .parts()
        .iter()
        .map(|p| JsValue::from_str(p.as_str()))
        .collect();
    set("parts", parts.into());
    let dbs: js_sys::Array = selection
        .databases
        .iter()
        .filter(|d| !d.stores.is_empty())
        .map(|d| JsValue::from_str(&d.name))
        .collect();
    set("databases", dbs.into());
    o.into()
}

/// Runs the host app's hook before (or after) an operation. A `before`
/// hook that throws or rejects fails the operation (`hook-failed`);
/// an `after` hook's failure is only logged.
async fn run_hook(
    engine: &EngineClient,
    op: HookOp,
    before: bool,
    detail: &JsValue,
) -> ApiResult<()> {
    let Some(h) = engine.hooks() else {
        return Ok(());
    };
    let name = match (op, before) {
        (HookOp::Backup, true) => "beforeBackup",
        (HookOp::Backup, false) => "afterBackup",
        (HookOp::Restore, true) => "beforeRestore",
        (HookOp::Restore, false) => "afterRestore",
    };
    let promise = if before {
        h.before(op, detail)
    } else {
        h.after(op, detail)
    };
    let Some(promise) = promise else {
        return Ok(());
    };
    match wasm_bindgen_futures::JsFuture::from(promise).await {
        Ok(_) => Ok(()),
        Err(e) if before => {
            let why = js_sys::Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .or_else(|| e.as_string())
                .unwrap_or_default();
            Err(Failure::new(
                ErrorCode::HookFailed,
                format!("the host app's {name} hook failed: {why}"),
            )
            .about(name))
        }
        Err(e) => {
            web_sys::console::warn_2(&format!("Coffer: the {name} hook failed").into(), &e);
            Ok(())
        }
    }
}

/// Runs `f` between the host app's `before` and `after` hooks.
async fn hooked<T>(
    engine: &EngineClient,
    op: HookOp,
    selection: &Selection,
    f: impl std::future::Future<Output = ApiResult<T>>,
) -> ApiResult<T> {
    let detail = hook_detail(op, selection);
    run_hook(engine, op, true, &detail).await?;
    let r = f.await;
    let _ = js_sys::Reflect::set(&detail, &"ok".into(), &r.is_ok().into());
    let _ = run_hook(engine, op, false, &detail).await;
    r
}

/// What to back up.
#[derive(Clone, Debug, Default)]
pub struct BackupOptions {
    /// The stores to back up.
    pub selection: Selection,
    /// Databases outside it are never read.
    pub scope: Scope,
    /// Lock the whole backup with this passphrase.
    pub passphrase: Option<String>,
    /// The page will download the file (the worker makes its object URL).
    pub download: bool,
    /// Lock the whole backup with the master key.
    pub lock_with_key: bool,
    /// Also upload it to the stored destination of this id.
    pub destination: Option<String>,
}

/// A finished backup.
#[derive(Clone, Debug)]
pub struct BackupFile {
    /// The backup (a zip archive).
    pub blob: Blob,
    /// An object URL of `blob`, when a download was asked for.
    pub url: Option<String>,
    /// Suggested file name.
    pub file_name: String,
    /// Records written.
    pub records: u64,
    /// Size in bytes.
    pub bytes: u64,
    /// Cached responses that could not be read (opaque) and are not in it.
    pub skipped: u64,
    /// What it holds beyond IndexedDB.
    pub parts: p::PartsInfo,
    /// Where it was uploaded, when a destination was asked for.
    pub uploaded: Option<p::Uploaded>,
}

/// Backs up `opts.selection`, between the host app's `beforeBackup` and
/// `afterBackup` hooks.
pub async fn backup(
    engine: &EngineClient,
    opts: BackupOptions,
    on_progress: impl FnMut(Progress) + 'static,
) -> ApiResult<BackupFile> {
    let selection = opts.selection.clone();
    let r = hooked(engine, HookOp::Backup, &selection, async {
        if opts.selection.is_empty() {
            return Err(Failure::new(
                ErrorCode::NothingSelected,
                "there is no data to back up (no database with stores and no other storage is selected)",
            ));
        }
        // localStorage lives on this thread: it travels with the request.
        let value = if opts.selection.parts.local_storage {
            Some(local::read_all()?.into())
        } else {
            None
        };
        let (done, att) = engine
            .call(
                p::Backup {
                    selection: opts.selection,
                    scope: opts.scope,
                    passphrase: opts.passphrase.filter(|p| !p.is_empty()),
                    now_ms: js_sys::Date::now(),
                    download: opts.download,
                    lock_with_key: opts.lock_with_key,
                    destination: opts.destination,
                },
                Attachments {
                    value,
                    ..Attachments::default()
                },
                on_progress,
            )
            .await?;
        let skipped = done.skipped().len() as u64;
        Ok(BackupFile {
            blob: att.file.ok_or_else(|| missing("backup file"))?,
            url: att.url,
            skipped,
            file_name: done.file_name,
            records: done.records,
            bytes: done.bytes,
            parts: done.parts,
            uploaded: done.uploaded,
        })
    })
    .await;
    report(engine, r, |b| engine.observe(|o| o.backup_done(b)))
}

/// How to open a backup.
#[derive(Clone, Debug, Default)]
pub struct UnlockOptions {
    /// The passphrase of a locked backup.
    pub passphrase: Option<String>,
    /// The key file of the master key the backup's encrypted stores were
    /// sealed under, when that is not this origin's key.
    pub key_file: Option<KeyFileInput>,
    /// Restore a backup that proves nothing about who made it (the user
    /// confirmed it).
    pub accept_unauthenticated: bool,
}

impl UnlockOptions {
    /// Options from optional texts; empty strings count as absent.
    pub fn new(
        passphrase: Option<String>,
        key_text: Option<String>,
        key_passphrase: Option<String>,
    ) -> Self {
        UnlockOptions {
            passphrase: passphrase.filter(|p| !p.is_empty()),
            key_file: key_text.map(|text| KeyFileInput {
                text,
                passphrase: key_passphrase.filter(|p| !p.is_empty()),
            }),
            accept_unauthenticated: false,
        }
    }
}

/// Validates a backup completely and describes the databases of it that
/// `scope` allows; writes nothing.
pub async fn inspect(
    engine: &EngineClient,
    file: &Blob,
    scope: &Scope,
    unlock: &UnlockOptions,
    on_progress: impl FnMut(Progress) + 'static,
) -> ApiResult<Preview> {
    let r = engine
        .call(
            p::Inspect {
                scope: scope.clone(),
                passphrase: unlock.passphrase.clone(),
                key_file: unlock.key_file.clone(),
            },
            Attachments::file(file.clone()),
            on_progress,
        )
        .await
        .map(|(o, _)| o);
    report(engine, r, |_| {})
}

/// Restores `selection` (within `scope`) from `file`: the worker validates
/// it again (unless it just did), then replaces those stores, one
/// transaction per database, and the selected parts (each all or
/// nothing); localStorage last, here on the page, all or nothing (the old
/// items are put back if a write fails). An unauthenticated backup is
/// restored only with `unlock.accept_unauthenticated`. Runs between the
/// host app's `beforeRestore` and `afterRestore` hooks.
pub async fn restore(
    engine: &EngineClient,
    file: &Blob,
    selection: Selection,
    scope: &Scope,
    unlock: &UnlockOptions,
    on_progress: impl FnMut(Progress) + 'static,
) -> ApiResult<Restored> {
    let sel = selection.clone();
    let r = hooked(engine, HookOp::Restore, &sel, async {
        let (mut done, att) = engine
            .call(
                p::Restore {
                    selection,
                    scope: scope.clone(),
                    passphrase: unlock.passphrase.clone(),
                    key_file: unlock.key_file.clone(),
                    accept_unauthenticated: unlock.accept_unauthenticated,
                },
                Attachments::file(file.clone()),
                on_progress,
            )
            .await?;
        if done.parts.local_storage.is_some() {
            done.parts.local_storage = Some(local::replace_all(&att.value)?);
        }
        Ok(done)
    })
    .await;
    report(engine, r, |x| engine.observe(|o| o.restored(x)))
}

/// Validates `file`, then restores every store of the databases it holds
/// that `scope` allows (and `only` names, when given) and every part it
/// holds that the scope allows (and `only_parts` names, when given; none
/// when only `only` is given).
pub async fn restore_all(
    engine: &EngineClient,
    file: &Blob,
    scope: &Scope,
    unlock: &UnlockOptions,
    only: Option<&[String]>,
    only_parts: Option<&[Part]>,
    on_progress: impl FnMut(Progress) + Clone + 'static,
) -> ApiResult<Restored> {
    let preview = inspect(engine, file, scope, unlock, on_progress.clone()).await?;
    let selection =
        Selection::everything(&preview.databases, &preview.parts, scope, only, only_parts);
    if selection.is_empty() {
        let f = Failure::new(
            ErrorCode::NothingSelected,
            "the backup holds none of the selected databases",
        );
        engine.observe(|o| o.failed(&f));
        return Err(f);
    }
    restore(engine, file, selection, scope, unlock, on_progress).await
}

/// Backs up every store of the databases `scope` allows (and `only`
/// names, when given) and every part the scope allows (and `only_parts`
/// names, when given; none when only `only` is given).
pub async fn backup_all(
    engine: &EngineClient,
    scope: &Scope,
    only: Option<&[String]>,
    only_parts: Option<&[Part]>,
    passphrase: Option<String>,
    on_progress: impl FnMut(Progress) + 'static,
) -> ApiResult<BackupFile> {
    let o = overview(engine, scope).await?;
    backup(
        engine,
        BackupOptions {
            selection: Selection::everything(&o.databases, &o.parts, scope, only, only_parts),
            scope: scope.clone(),
            passphrase,
            download: false,
            ..BackupOptions::default()
        },
        on_progress,
    )
    .await
}

/// An exported master key.
#[derive(Clone, Debug)]
pub struct ExportedKey {
    /// The key file (JSON).
    pub blob: Blob,
    /// An object URL of `blob`, when a download was asked for.
    pub url: Option<String>,
    /// Suggested file name.
    pub file_name: String,
    /// The key id.
    pub key_id: String,
}

/// Exports the master key as a key file, protected by `passphrase` if
/// given. The key never reaches the page other than inside this Blob.
pub async fn export_key(
    engine: &EngineClient,
    passphrase: Option<String>,
    download: bool,
) -> ApiResult<ExportedKey> {
    let r = async {
        let (k, att) = engine
            .call(
                p::ExportKey {
                    passphrase: passphrase.filter(|p| !p.is_empty()),
                    download,
                },
                Attachments::default(),
                no_progress,
            )
            .await?;
        Ok(ExportedKey {
            blob: att.file.ok_or_else(|| missing("key file"))?,
            url: att.url,
            file_name: k.file_name,
            key_id: k.key_id,
        })
    }
    .await;
    report(engine, r, |k| engine.observe(|o| o.key_exported(k)))
}

/// Replaces the master key (a fresh one, or the one in a key file),
/// re-sealing every encrypted store.
pub async fn replace_key(
    engine: &EngineClient,
    source: KeySource,
    on_progress: impl FnMut(Progress) + 'static,
) -> ApiResult<KeyReplaced> {
    let r = engine
        .call(
            p::ReplaceKey {
                source,
                now_ms: js_sys::Date::now(),
            },
            Attachments::default(),
            on_progress,
        )
        .await
        .map(|(o, _)| o);
    report(engine, r, |k| engine.observe(|o| o.key_replaced(k)))
}

/// Creates the demo database; resolves to the number of records.
pub async fn load_sample(engine: &EngineClient) -> ApiResult<u64> {
    let r = engine
        .call(
            p::LoadSample {
                now_ms: js_sys::Date::now(),
            },
            Attachments::default(),
            no_progress,
        )
        .await
        .map(|(o, _)| o.records);
    report(engine, r, |_| {})
}

/// Deletes databases (never Coffer's own).
pub async fn delete_databases(engine: &EngineClient, names: Vec<String>) -> ApiResult<()> {
    let r = engine
        .call(
            p::DeleteDatabases { names },
            Attachments::default(),
            no_progress,
        )
        .await
        .map(|_| ());
    report(engine, r, |_| {})
}

/// Times the engine's sealing in the worker on `mib` MiB.
pub async fn measure(engine: &EngineClient, mib: u32) -> ApiResult<Vec<Timing>> {
    let r = engine
        .call(p::Measure { mib }, Attachments::default(), no_progress)
        .await
        .map(|(o, _)| o.timings);
    report(engine, r, |_| {})
}

/// Store API: creates `db`/`store` if missing and registers it as an
/// encrypted store.
pub async fn store_create(engine: &EngineClient, db: &str, store: &str) -> ApiResult<()> {
    let req = p::StoreCreate {
        db: db.to_owned(),
        store: store.to_owned(),
    };
    let r = engine
        .call(req, Attachments::default(), no_progress)
        .await
        .map(|_| ());
    report(engine, r, |_| {})
}

fn store_attachments(key: Option<&JsValue>, value: Option<&JsValue>) -> Attachments {
    Attachments {
        key: key.cloned(),
        value: value.cloned(),
        ..Attachments::default()
    }
}

/// Store API: seals `value` and stores it under `key`.
pub async fn store_put(
    engine: &EngineClient,
    db: &str,
    store: &str,
    key: &JsValue,
    value: &JsValue,
) -> ApiResult<()> {
    let req = p::StorePut {
        db: db.to_owned(),
        store: store.to_owned(),
    };
    let r = engine
        .call(req, store_attachments(Some(key), Some(value)), no_progress)
        .await
        .map(|_| ());
    report(engine, r, |_| {})
}

/// Store API: the opened value under `key`, or `None`.
pub async fn store_get(
    engine: &EngineClient,
    db: &str,
    store: &str,
    key: &JsValue,
) -> ApiResult<Option<JsValue>> {
    let req = p::StoreGet {
        db: db.to_owned(),
        store: store.to_owned(),
    };
    let r = engine
        .call(req, store_attachments(Some(key), None), no_progress)
        .await
        .map(|(o, Attached { value, .. })| o.found.then_some(value));
    report(engine, r, |_| {})
}

/// Store API: deletes the record under `key`.
pub async fn store_delete(
    engine: &EngineClient,
    db: &str,
    store: &str,
    key: &JsValue,
) -> ApiResult<()> {
    let req = p::StoreDelete {
        db: db.to_owned(),
        store: store.to_owned(),
    };
    let r = engine
        .call(req, store_attachments(Some(key), None), no_progress)
        .await
        .map(|_| ());
    report(engine, r, |_| {})
}

/// Store API: the keys of an encrypted store (a JS array).
pub async fn store_list(engine: &EngineClient, db: &str, store: &str) -> ApiResult<js_sys::Array> {
    let req = p::StoreList {
        db: db.to_owned(),
        store: store.to_owned(),
    };
    let r = engine
        .call(req, Attachments::default(), no_progress)
        .await
        .map(|(_, att)| js_sys::Array::from(&att.value));
    report(engine, r, |_| {})
}

/// The history (audit log), newest first (of `kind`, when given).
pub async fn history(
    engine: &EngineClient,
    kind: Option<p::HistoryKind>,
) -> ApiResult<Vec<p::HistoryEntry>> {
    engine
        .call(p::History { kind }, Attachments::default(), no_progress)
        .await
        .map(|(o, _)| o.entries)
}

/// Automatic backups' settings, folder and state.
pub async fn auto_state(engine: &EngineClient) -> ApiResult<p::AutoState> {
    auto_state_and_folder(engine).await.map(|(s, _)| s)
}

/// Automatic backups' state and the folder's handle (`undefined` when none
/// was chosen), to ask for permission again.
pub async fn auto_state_and_folder(engine: &EngineClient) -> ApiResult<(p::AutoState, JsValue)> {
    engine
        .call(p::AutoGet {}, Attachments::default(), no_progress)
        .await
        .map(|(o, att)| (o, att.value))
}

/// Stores automatic backups' settings and, when given, a new folder (a
/// `FileSystemDirectoryHandle`).
pub async fn auto_set(
    engine: &EngineClient,
    settings: p::AutoSettings,
    folder: Option<JsValue>,
) -> ApiResult<p::AutoState> {
    engine
        .call(
            p::AutoSet { settings },
            Attachments {
                value: folder,
                ..Attachments::default()
            },
            no_progress,
        )
        .await
        .map(|(o, _)| o)
}

/// Runs an automatic backup if one is due (or `force`).
pub async fn auto_run(
    engine: &EngineClient,
    force: bool,
    on_progress: impl FnMut(Progress) + 'static,
) -> ApiResult<p::AutoRan> {
    let r = engine
        .call(
            p::AutoRun {
                now_ms: js_sys::Date::now(),
                force,
            },
            // localStorage lives on this thread: it travels with the
            // request (a page without one backs up the rest).
            Attachments {
                value: local::read_all().ok().map(Into::into),
                ..Attachments::default()
            },
            on_progress,
        )
        .await
        .map(|(o, _)| o);
    report(engine, r, |_| {})
}

/// The stored destinations (no secrets).
pub async fn dest_list(engine: &EngineClient) -> ApiResult<Vec<p::DestinationInfo>> {
    engine
        .call(p::DestList {}, Attachments::default(), no_progress)
        .await
        .map(|(o, _)| o.destinations)
}

/// Adds or updates destination `id`; the worker checks the settings and
/// seals them under the master key. The stored destinations after.
pub async fn dest_save(
    engine: &EngineClient,
    id: &str,
    settings: p::DestinationSettings,
) -> ApiResult<Vec<p::DestinationInfo>> {
    let r = engine
        .call(
            p::DestSave {
                id: id.to_owned(),
                settings,
            },
            Attachments::default(),
            no_progress,
        )
        .await
        .map(|(o, _)| o.destinations);
    report(engine, r, |_| {})
}

/// Forgets destination `id`. The stored destinations after.
pub async fn dest_remove(engine: &EngineClient, id: &str) -> ApiResult<Vec<p::DestinationInfo>> {
    let r = engine
        .call(
            p::DestRemove { id: id.to_owned() },
            Attachments::default(),
            no_progress,
        )
        .await
        .map(|(o, _)| o.destinations);
    report(engine, r, |_| {})
}

/// Tests destination `id`: list, write and delete a probe file.
pub async fn dest_test(engine: &EngineClient, id: &str) -> ApiResult<p::DestTested> {
    let r = engine
        .call(
            p::DestTest { id: id.to_owned() },
            Attachments::default(),
            no_progress,
        )
        .await
        .map(|(o, _)| o);
    report(engine, r, |_| {})
}

/// The Coffer backups on destination `id`, newest name first.
pub async fn dest_backups(engine: &EngineClient, id: &str) -> ApiResult<Vec<p::RemoteBackup>> {
    let r = engine
        .call(
            p::DestBackups { id: id.to_owned() },
            Attachments::default(),
            no_progress,
        )
        .await
        .map(|(o, _)| o.backups);
    report(engine, r, |_| {})
}

/// Downloads backup `name` from destination `id`, as a `File` for
/// [`inspect`] and [`restore`].
pub async fn dest_fetch(
    engine: &EngineClient,
    id: &str,
    name: &str,
) -> ApiResult<(p::Fetched, web_sys::File)> {
    let r = engine
        .call(
            p::DestFetch {
                id: id.to_owned(),
                name: name.to_owned(),
            },
            Attachments::default(),
            no_progress,
        )
        .await
        .and_then(|(o, att)| {
            let file = att
                .file
                .and_then(|f| wasm_bindgen::JsCast::dyn_into::<web_sys::File>(f).ok())
                .ok_or_else(|| missing("downloaded file"))?;
            Ok((o, file))
        });
    report(engine, r, |_| {})
}

/// Uploads `file` as `name` to destination `id`.
pub async fn dest_upload(
    engine: &EngineClient,
    id: &str,
    name: &str,
    file: &Blob,
    on_progress: impl FnMut(Progress) + 'static,
) -> ApiResult<p::Uploaded> {
    let r = engine
        .call(
            p::DestUpload {
                id: id.to_owned(),
                name: name.to_owned(),
            },
            Attachments::file(file.clone()),
            on_progress,
        )
        .await
        .map(|(o, _)| o);
    report(engine, r, |_| {})
}
