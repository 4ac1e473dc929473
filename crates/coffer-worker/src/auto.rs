//! Automatic backups into a folder the user chose (File System Access):
//! the folder handle, settings and the list of files Coffer wrote live in
//! Coffer's own database ([`crate::meta`], store `auto`). A run backs up
//! every database (like "Create backup" with everything selected),
//! optionally locked with the master key, writes the archive — a Blob made
//! of Blob parts, never one buffer in wasm memory — through the file's
//! `FileSystemWritableFileStream` (which replaces the file only when it is
//! closed), then deletes the files the retention lets go, and only files
//! Coffer wrote. Every run is recorded in the history; a folder that cannot
//! be written fails the run with `folder-unavailable` (or `browser-quota`)
//! and the next run tries again.

use coffer_protocol::auto::{self, to_delete, AutoSettings, WrittenFile};
use coffer_protocol::history::{HistoryKind, HistoryOutcome};
use coffer_protocol::{
    encode, AutoRan, AutoRun, AutoState, Backup, BackupDone, ErrorCode, Scope, Selection,
};
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, IdbTransactionMode};

use crate::browser::idb;
use crate::error::{describe_js_error, AppError, AppResult};
use crate::history::{self, Pending};
use crate::meta::{self, AUTO};
use crate::remote::Transport as _;
use crate::timing::time_from_ms;
use crate::{backup, keys, overview, Reporter};

const SETTINGS: &str = "settings";
const FOLDER: &str = "folder";
const WRITTEN: &str = "written";

/// A failure of the folder: permission or existence problems become
/// `folder-unavailable`, a full disk `browser-quota`.
fn folder_error(what: &str, e: JsValue) -> AppError {
    let (name, msg) = describe_js_error(&e);
    let code = match name.as_str() {
        "QuotaExceededError" => ErrorCode::BrowserQuota,
        "NotAllowedError"
        | "NotFoundError"
        | "SecurityError"
        | "InvalidStateError"
        | "NoModificationAllowedError"
        | "TypeMismatchError" => ErrorCode::FolderUnavailable,
        _ => ErrorCode::BrowserError,
    };
    AppError::new(code, format!("{what}: {name}: {msg}"))
}

/// Calls `obj.method(...args)` and awaits it when it returns a Promise.
async fn call(what: &str, obj: &JsValue, method: &str, args: &[JsValue]) -> AppResult<JsValue> {
    let f: Function = Reflect::get(obj, &method.into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::BrowserUnsupported,
                format!("{what}: this browser has no {method}()"),
            )
        })?;
    let arr: Array = args.iter().collect();
    let r = f.apply(obj, &arr).map_err(|e| folder_error(what, e))?;
    match r.dyn_into::<Promise>() {
        Ok(p) => JsFuture::from(p).await.map_err(|e| folder_error(what, e)),
        Err(v) => Ok(v),
    }
}

fn opts(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &(*k).into(), v);
    }
    o.into()
}

async fn get(key: &str) -> AppResult<JsValue> {
    let db = meta::open().await?;
    let r = async {
        let tx = idb::transaction(&db, &[AUTO.into()], IdbTransactionMode::Readonly)?;
        let s = tx
            .object_store(AUTO)
            .map_err(|e| AppError::js("cannot read the automatic backup settings", e))?;
        idb::req(
            "cannot read the automatic backup settings",
            s.get(&key.into()),
        )
        .await
    }
    .await;
    db.close();
    r
}

async fn put(entries: &[(&str, JsValue)]) -> AppResult<()> {
    let db = meta::open().await?;
    let r = async {
        let tx = idb::transaction(&db, &[AUTO.into()], IdbTransactionMode::Readwrite)?;
        let s = tx
            .object_store(AUTO)
            .map_err(|e| AppError::js("cannot save the automatic backup settings", e))?;
        for (k, v) in entries {
            s.put_with_key(v, &(*k).into())
                .map_err(|e| AppError::js("cannot save the automatic backup settings", e))?;
        }
        idb::done(&tx).await
    }
    .await;
    db.close();
    r
}

/// The stored settings (defaults when never set).
pub async fn settings() -> AppResult<AutoSettings> {
    Ok(get(SETTINGS)
        .await?
        .as_string()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default())
}

/// The stored folder handle.
pub async fn folder() -> AppResult<Option<JsValue>> {
    let f = get(FOLDER).await?;
    Ok((!f.is_undefined() && !f.is_null()).then_some(f))
}

/// The files Coffer wrote into the folder (and has not deleted).
pub async fn written() -> AppResult<Vec<WrittenFile>> {
    Ok(get(WRITTEN)
        .await?
        .as_string()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default())
}

fn folder_name(handle: &JsValue) -> Option<String> {
    Reflect::get(handle, &"name".into()).ok()?.as_string()
}

/// Stores `settings`, and `handle` as the new folder when given (it must
/// be a `FileSystemDirectoryHandle`). A new folder starts a new list of
/// written files: Coffer never deletes in a folder what it did not write
/// there.
pub async fn set(s: AutoSettings, handle: Option<JsValue>) -> AppResult<AutoState> {
    let s = s
        .validated()
        .map_err(|c| AppError::new(c, "the interval must be a positive number of hours"))?;
    let mut entries = vec![(SETTINGS, JsValue::from_str(&encode(&s)))];
    if let Some(h) = handle.filter(|h| !h.is_undefined() && !h.is_null()) {
        let kind = Reflect::get(&h, &"kind".into())
            .ok()
            .and_then(|k| k.as_string());
        if kind.as_deref() != Some("directory") {
            return Err(AppError::new(
                ErrorCode::BadArgument,
                "the folder must be a FileSystemDirectoryHandle",
            ));
        }
        entries.push((FOLDER, h));
        entries.push((WRITTEN, JsValue::from_str("[]")));
    }
    put(&entries).await?;
    state().await
}

/// Settings, folder, last backup and the last automatic run's failure.
pub async fn state() -> AppResult<AutoState> {
    let entries = history::list(None).await?;
    let last_failure = entries
        .iter()
        .find(|e| e.kind == HistoryKind::AutoBackup && e.outcome != HistoryOutcome::Running)
        .and_then(|e| match e.outcome {
            HistoryOutcome::Failed { code } => Some(code),
            _ => None,
        });
    let settings = settings().await?;
    let mut files = match &settings.destination {
        Some(id) => written_to(id).await?,
        None => written().await?,
    };
    files.sort_by(|a, b| b.time_ms.total_cmp(&a.time_ms));
    Ok(AutoState {
        settings,
        folder: folder().await?.as_ref().and_then(folder_name),
        last_backup_ms: coffer_protocol::history::last_backup_ms(&entries),
        last_failure,
        files: files.into_iter().map(|f| f.name).collect(),
    })
}

/// The file name of an automatic backup made at `now_ms`.
pub fn file_name(now_ms: f64) -> String {
    let t = time_from_ms(now_ms);
    auto::auto_file_name(
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    )
}

/// Asks for write permission where the browser knows permissions (a
/// handle from a picker; the origin private file system needs none).
async fn check_permission(dir: &JsValue) -> AppResult<()> {
    let has = Reflect::get(dir, &"queryPermission".into())
        .ok()
        .is_some_and(|f| f.is_function());
    if !has {
        return Ok(());
    }
    let mode = opts(&[("mode", "readwrite".into())]);
    let state = call(
        "cannot check the folder's permission",
        dir,
        "queryPermission",
        &[mode],
    )
    .await?
    .as_string()
    .unwrap_or_default();
    if state == "granted" {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::FolderUnavailable,
            format!("no permission to write into the folder ({state}); choose it again"),
        ))
    }
}

/// Writes `blob` as `name` into `dir` through a writable stream.
pub async fn write_file(dir: &JsValue, name: &str, blob: &Blob) -> AppResult<()> {
    let create = opts(&[("create", JsValue::TRUE)]);
    let file = call(
        "cannot create the backup file",
        dir,
        "getFileHandle",
        &[name.into(), create],
    )
    .await?;
    let w = call("cannot write the backup file", &file, "createWritable", &[]).await?;
    let r = async {
        call("cannot write the backup file", &w, "write", &[blob.into()]).await?;
        call("cannot write the backup file", &w, "close", &[]).await
    }
    .await;
    if let Err(e) = r {
        // Nothing half-written stays: the stream's swap file is dropped,
        // and the empty file `getFileHandle` created is removed.
        let _ = call("abort", &w, "abort", &[]).await;
        let _ = call("remove", dir, "removeEntry", &[name.into()]).await;
        return Err(e);
    }
    Ok(())
}

/// Runs an automatic backup if one is due (or `req.force`); `local` is
/// the page's localStorage (`[key, value]` pairs) or `undefined`. Call it
/// holding the Web Lock.
pub async fn run(req: &AutoRun, local: &JsValue, rep: &Reporter) -> AppResult<AutoRan> {
    let s = settings().await?;
    let last = coffer_protocol::history::last_backup_ms(&history::list(None).await?);
    if !req.force && !s.is_due(last, req.now_ms) {
        return Ok(AutoRan::default());
    }
    if let Some(id) = s.destination.clone() {
        let name = backup::backup_file_name(req.now_ms);
        let d = crate::destinations::get(&id).await;
        let label = match &d {
            Ok(d) => crate::destinations::info(&id, d).label(&name),
            Err(_) => format!("{id}/{name}"),
        };
        return recorded(label, async {
            run_remote(&s, &id, d?, &name, req.now_ms, local, rep).await
        })
        .await;
    }
    let dir = folder().await?;
    let name = file_name(req.now_ms);
    let dest = dir
        .as_ref()
        .and_then(folder_name)
        .map_or_else(|| name.clone(), |f| format!("{f}/{name}"));
    recorded(dest, run_in(&s, dir, &name, req.now_ms, local, rep)).await
}

/// What a run made: the outcome, the databases and the number of stores.
type Ran = (AutoRan, Vec<String>, u64);

/// Runs `run` between a `running` history entry (going to `destination`)
/// and its outcome.
async fn recorded(
    destination: String,
    run: impl std::future::Future<Output = AppResult<Ran>>,
) -> AppResult<AutoRan> {
    let pending = Pending::new(HistoryKind::AutoBackup)
        .with(|e| e.destination = Some(destination))
        .started()
        .await;
    let r = run.await;
    let key_id = keys::current_key().await.ok().map(|k| k.key.id().to_hex());
    pending
        .finish(&r, |e, (ran, dbs, stores): &Ran| {
            e.databases = dbs.clone();
            e.stores = *stores;
            e.records = ran.records;
            e.bytes = ran.bytes;
            e.key_id = key_id;
        })
        .await;
    r.map(|(ran, _, _)| ran)
}

/// A backup of everything: the databases, Cache Storage, the origin
/// private file system unless `without_opfs`, and the page's localStorage
/// when it came with the request (`local`). Returns the backup, its
/// databases and its number of stores.
async fn back_up_everything(
    s: &AutoSettings,
    now_ms: f64,
    local: &JsValue,
    without_opfs: bool,
    rep: &Reporter,
) -> AppResult<(BackupDone, Blob, Vec<String>, u64)> {
    let all = overview::overview(&Scope::default()).await?;
    let mut selection =
        Selection::everything(&all.databases, &all.parts, &Scope::default(), None, None);
    selection.parts.local_storage = local.is_array();
    selection.parts.opfs &= !without_opfs;
    let (dbs, stores) = history::describe(&selection, |_| true);
    let (done, blob) = backup::backup(
        &Backup {
            selection,
            now_ms,
            lock_with_key: s.lock,
            ..Backup::default()
        },
        local,
        rep,
    )
    .await?;
    Ok((done, blob, dbs, stores))
}

/// Whether `dir` lies in the origin private file system.
async fn inside_opfs(dir: &JsValue) -> bool {
    let Ok(root) = crate::browser::opfs::root().await else {
        return false;
    };
    call(
        "cannot resolve the folder",
        &root,
        "resolve",
        std::slice::from_ref(dir),
    )
    .await
    .is_ok_and(|path| !path.is_null() && !path.is_undefined())
}

async fn run_in(
    s: &AutoSettings,
    dir: Option<JsValue>,
    name: &str,
    now_ms: f64,
    local: &JsValue,
    rep: &Reporter,
) -> AppResult<Ran> {
    let dir = dir.ok_or_else(|| {
        AppError::new(
            ErrorCode::FolderUnavailable,
            "no folder is chosen for automatic backups",
        )
    })?;
    check_permission(&dir).await?;
    // A folder inside the origin private file system (the tests', or an
    // app's own) would put every earlier backup into the next one.
    let (done, blob, dbs, stores) =
        back_up_everything(s, now_ms, local, inside_opfs(&dir).await, rep).await?;
    write_file(&dir, name, &blob).await?;
    let mut files = add_written(WRITTEN, written().await?, name, now_ms).await?;
    // Retention: only files of the list (Coffer wrote them) are deleted.
    let mut deleted = Vec::new();
    for old in to_delete(&files, s, now_ms) {
        match call(
            "cannot delete an old backup",
            &dir,
            "removeEntry",
            &[old.as_str().into()],
        )
        .await
        {
            Ok(_) => deleted.push(old),
            // Gone already (the user deleted it): forget it too.
            Err(e)
                if e.code() == ErrorCode::FolderUnavailable
                    || e.code() == ErrorCode::BrowserNotFound =>
            {
                deleted.push(old)
            }
            Err(_) => {}
        }
    }
    files.retain(|f| !deleted.contains(&f.name));
    put(&[(WRITTEN, JsValue::from_str(&encode(&files)))]).await?;
    Ok((
        AutoRan {
            ran: true,
            file_name: Some(name.to_owned()),
            records: done.records,
            bytes: done.bytes,
            deleted,
        },
        dbs,
        stores,
    ))
}

/// The store key of the files automatic backups wrote to destination `id`.
fn written_key(id: &str) -> String {
    format!("{WRITTEN}:{id}")
}

/// The files automatic backups wrote to destination `id` (and have not
/// deleted).
pub async fn written_to(id: &str) -> AppResult<Vec<WrittenFile>> {
    Ok(get(&written_key(id))
        .await?
        .as_string()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default())
}

/// An automatic backup sent to destination `id` (`coffer-backup-….zip`,
/// so that it lists and restores like any other), then the retention over
/// the files the automatic backups wrote there: no other file on the
/// destination is ever deleted.
async fn run_remote(
    s: &AutoSettings,
    id: &str,
    d: coffer_remote::Destination,
    name: &str,
    now_ms: f64,
    local: &JsValue,
    rep: &Reporter,
) -> AppResult<Ran> {
    let (done, blob, dbs, stores) = back_up_everything(s, now_ms, local, false, rep).await?;
    crate::remote::upload_to(id, &d, name, &blob, rep).await?;
    let key = written_key(id);
    let mut files = add_written(&key, written_to(id).await?, name, now_ms).await?;
    let remote = crate::remote::checked(&d)?;
    let mut deleted = Vec::new();
    for old in to_delete(&files, s, now_ms) {
        // Only names Coffer writes, and only those this list holds.
        if !coffer_remote::is_coffer_name(&old) {
            continue;
        }
        let Ok(req) = remote.delete(&old) else {
            continue;
        };
        match crate::remote::Fetch.send(&req, None, false).await {
            Ok(_) => deleted.push(old),
            Err(crate::remote::NetError::Remote(coffer_remote::RemoteError::NotFound {
                ..
            })) => deleted.push(old),
            Err(_) => {}
        }
    }
    files.retain(|f| !deleted.contains(&f.name));
    put(&[(key.as_str(), JsValue::from_str(&encode(&files)))]).await?;
    Ok((
        AutoRan {
            ran: true,
            file_name: Some(name.to_owned()),
            records: done.records,
            bytes: done.bytes,
            deleted,
        },
        dbs,
        stores,
    ))
}

/// Adds `name` (written at `now_ms`) to `files`, the list kept under
/// `key`, and stores it before any retention runs.
async fn add_written(
    key: &str,
    mut files: Vec<WrittenFile>,
    name: &str,
    now_ms: f64,
) -> AppResult<Vec<WrittenFile>> {
    files.retain(|f| f.name != name);
    files.push(WrittenFile {
        name: name.to_owned(),
        time_ms: now_ms,
    });
    put(&[(key, JsValue::from_str(&encode(&files)))]).await?;
    Ok(files)
}
