//! The origin private file system: backed up as one consistent copy and
//! restored all or nothing.
//!
//! **Backup.** Every file is locked first (a sync access handle each: no
//! other context can then write it), then read, then released. A file some
//! other tab or worker holds open cannot be locked; after a short wait for
//! handles that are being released (a worker that just ended), the backup
//! fails with `files-in-use`, naming each such file and why. It never
//! copies a file another context may be writing. The host app can release
//! its files around the backup (`beforeBackup`/`afterBackup` on the
//! element; SQLite's sahpool VFS has `pauseVfs()`/`unpauseVfs()`).
//!
//! **Restore.** The backup's tree is written aside into
//! [`OPFS_STAGING_DIR`]`/new` (step `staging` in Coffer's journal); every
//! live file is checked to be free; then (step `swap-out`) the live tree is
//! moved file by file into [`OPFS_STAGING_DIR`]`/old` and (step `swap-in`)
//! the new tree moved into the root, and the staging directory removed. A
//! failure before `swap-out`, or a failed move while moving out, leaves
//! (or puts back) the old tree whole; the next start deletes a staging
//! directory left before `swap-out` and finishes a swap stopped after it
//! ([`settle`]).

use std::cell::Cell;

use coffer_engine::format::parts::OPFS_STAGING_DIR;
use coffer_protocol::{ErrorCode, OpfsInfo, Phase, ProgressInfo};
use js_sys::Reflect;
use wasm_bindgen::JsValue;

use crate::backup::Writer;
use crate::browser::js::{get, sleep};
use crate::browser::opfs::{self, LockError, SyncHandle};
use crate::error::{describe_js_error, AppError, AppResult};
use crate::restore::Reader;
use crate::{meta, Reporter};

/// The journal key of an OPFS restore.
const JOURNAL_KEY: &str = "opfs";

/// How long a backup or restore waits for files to be released.
const RELEASE_WAIT_MS: i32 = 3000;

/// A step after which a test can make a restore stop as if the browser
/// had died there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The new tree is written aside.
    Staged,
    /// The live tree was moved out.
    MovedOut,
}

thread_local! {
    static STOP_AFTER: Cell<Option<Step>> = const { Cell::new(None) };
    static FAIL_AFTER_FILES: Cell<Option<u32>> = const { Cell::new(None) };
}

/// Makes the next OPFS restores stop after `step` (tests of crash
/// recovery); `None` lets them run.
pub fn stop_after(step: Option<Step>) {
    STOP_AFTER.with(|s| s.set(step));
}

/// Makes the next OPFS restores fail (`browser-quota`) after writing `n`
/// files aside (tests of a failure midway); `None` lets them run.
pub fn fail_after_files(n: Option<u32>) {
    FAIL_AFTER_FILES.with(|s| s.set(n));
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

fn fs_err(what: &str) -> impl Fn(JsValue) -> AppError + '_ {
    move |e| AppError::js(what, e)
}

/// Files in use: one failure naming them all, with why.
fn in_use(files: &[(String, String)], restore: bool) -> AppError {
    let list = files
        .iter()
        .map(|(p, _)| p.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let why = files.first().map(|(_, w)| w.clone()).unwrap_or_default();
    AppError::new(
        ErrorCode::FilesInUse,
        format!(
            "{} file(s) of the origin private file system are held open by another tab or worker, so they cannot be {} consistently: {list} ({why}); let the app release them (the element's {} hook) and try again",
            files.len(),
            if restore { "replaced" } else { "copied" },
            if restore { "beforeRestore" } else { "beforeBackup" },
        ),
    )
    .about(list)
}

/// Locks every file of `files`, waiting a little (at most
/// `RELEASE_WAIT_MS` in all) for handles being released; the ones that
/// stay in use are returned with why.
async fn lock_all(
    files: &[(String, JsValue)],
) -> AppResult<(Vec<SyncHandle>, Vec<(String, String)>)> {
    let mut locked = Vec::with_capacity(files.len());
    let mut busy = Vec::new();
    // One wait for all files: handles being released go together.
    let mut waited = 0;
    for (path, h) in files {
        loop {
            match SyncHandle::open(h).await {
                Ok(s) => {
                    locked.push(s);
                    break;
                }
                Err(LockError::InUse(why)) if waited >= RELEASE_WAIT_MS => {
                    busy.push((path.clone(), why));
                    break;
                }
                Err(LockError::InUse(_)) => {
                    sleep(100).await;
                    waited += 100;
                }
                Err(LockError::Other(e)) => {
                    return Err(AppError::js(&format!("cannot open OPFS file {path:?}"), e))
                }
            }
        }
    }
    Ok((locked, busy))
}

/// The OPFS tree's figures (sizes from `getFile()`, which locks nothing).
pub async fn info() -> AppResult<Option<OpfsInfo>> {
    if !opfs::available() {
        return Ok(None);
    }
    let root = opfs::root().await?;
    let (dirs, files) = opfs::walk(&root)
        .await
        .map_err(fs_err("cannot list the origin private file system"))?;
    let mut bytes = 0;
    for (_, h) in &files {
        if let Ok(f) = crate::browser::js::call_await(h, "getFile", &[]).await {
            bytes += get(&f, "size").as_f64().unwrap_or(0.0) as u64;
        }
    }
    Ok(Some(OpfsInfo {
        files: files.len() as u64,
        directories: dirs.len() as u64,
        bytes,
    }))
}

/// Backs up the whole tree into `w`: every file locked, then read.
pub async fn backup(
    w: &mut Writer,
    rep: &Reporter,
    progress: &mut ProgressInfo,
) -> AppResult<OpfsInfo> {
    let root = opfs::root().await?;
    let (dirs, files) = opfs::walk(&root)
        .await
        .map_err(fs_err("cannot list the origin private file system"))?;
    let (locked, busy) = lock_all(&files).await?;
    if !busy.is_empty() {
        drop(locked);
        return Err(in_use(&busy, false));
    }
    let mut info = OpfsInfo {
        files: files.len() as u64,
        directories: dirs.len() as u64,
        bytes: 0,
    };
    for h in &locked {
        progress.total_bytes += h.size().unwrap_or(0);
    }
    w.include_opfs();
    for d in &dirs {
        w.add_opfs_directory(d)?;
    }
    for ((path, _), h) in files.iter().zip(&locked) {
        let mut r = h.reader().map_err(|e| {
            AppError::new(ErrorCode::BrowserError, e.to_string()).about(path.clone())
        })?;
        let n = w.add_opfs_file(path, &mut r)?;
        info.bytes += n;
        progress.done_bytes += n;
        rep.progress(Phase::Reading, *progress, false);
    }
    drop(locked);
    Ok(info)
}

fn intent(step: &str) -> JsValue {
    let o = js_sys::Object::new();
    let _ = Reflect::set(&o, &"step".into(), &step.into());
    o.into()
}

/// The path of `path`'s parent and its name.
fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

/// Fails with `files-in-use` when another context holds a live file open,
/// so a restore can refuse before it writes anything (the swap checks
/// again, in case a file was opened since).
pub async fn check_free() -> AppResult<()> {
    if !opfs::available() {
        return Ok(());
    }
    let root = opfs::root().await?;
    let (_, live) = opfs::walk(&root)
        .await
        .map_err(fs_err("cannot list the origin private file system"))?;
    let (locked, busy) = lock_all(&live).await?;
    drop(locked);
    if busy.is_empty() {
        Ok(())
    } else {
        Err(in_use(&busy, true))
    }
}

/// Restores the backup's tree (see the module docs); returns the files
/// written.
pub async fn restore(
    reader: &mut Reader,
    rep: &Reporter,
    progress: &mut ProgressInfo,
) -> AppResult<u64> {
    let Some(tree) = reader.manifest().opfs().cloned() else {
        return Ok(0);
    };
    let root = opfs::root().await?;
    let _ = opfs::remove(&root, OPFS_STAGING_DIR).await;
    meta::journal_put(JOURNAL_KEY, &intent("staging")).await?;
    let staged = async {
        let staging = opfs::subdir(&root, OPFS_STAGING_DIR, true)
            .await
            .map_err(fs_err("cannot create Coffer's staging directory"))?;
        let new = opfs::subdir(&staging, "new", true)
            .await
            .map_err(fs_err("cannot create Coffer's staging directory"))?;
        for d in &tree.directories {
            opfs::dir_at(&new, d, true)
                .await
                .map_err(fs_err("cannot create a directory"))?;
        }
        let fail_after = FAIL_AFTER_FILES.with(Cell::get);
        for (i, f) in tree.files.iter().enumerate() {
            if fail_after == Some(i as u32) {
                return Err(AppError::new(
                    ErrorCode::BrowserQuota,
                    "QuotaExceededError: a failure midway (a test)",
                ));
            }
            let (dir, name) = split(&f.path);
            let d = opfs::dir_at(&new, dir, true)
                .await
                .map_err(fs_err("cannot create a directory"))?;
            let fh = opfs::file(&d, name, true)
                .await
                .map_err(fs_err("cannot create a file"))?;
            let h = SyncHandle::open(&fh).await.map_err(|e| match e {
                LockError::InUse(m) => AppError::new(ErrorCode::BrowserError, m),
                LockError::Other(e) => AppError::js("cannot open a new file", e),
            })?;
            let mut out = h.writer().map_err(write_err)?;
            reader.copy_opfs_file(i, &mut out).map_err(|e| match e {
                coffer_engine::Error::Io(io) if opfs::is_quota(&io) => AppError::new(
                    ErrorCode::BrowserQuota,
                    format!("cannot write OPFS file {:?}: {io}", f.path),
                ),
                e => AppError::from(e),
            })?;
            h.flush().map_err(write_err)?;
            h.close();
            progress.done_bytes += f.size;
            rep.progress(Phase::Restoring, *progress, false);
        }
        // Every live file must be free before anything moves.
        let (_, live) = opfs::walk(&root)
            .await
            .map_err(fs_err("cannot list the origin private file system"))?;
        let (locked, busy) = lock_all(&live).await?;
        drop(locked);
        if !busy.is_empty() {
            return Err(in_use(&busy, true));
        }
        Ok(())
    }
    .await;
    if let Err(e) = staged {
        let _ = opfs::remove(&root, OPFS_STAGING_DIR).await;
        meta::journal_delete(JOURNAL_KEY).await?;
        return Err(e);
    }
    checkpoint(Step::Staged)?;
    meta::journal_put(JOURNAL_KEY, &intent("swap-out")).await?;
    if let Err(e) = move_out(&root).await {
        // Put back what moved, and leave the old tree whole.
        let back = move_back(&root).await;
        let _ = opfs::remove(&root, OPFS_STAGING_DIR).await;
        meta::journal_delete(JOURNAL_KEY).await?;
        back?;
        return Err(e);
    }
    checkpoint(Step::MovedOut)?;
    meta::journal_put(JOURNAL_KEY, &intent("swap-in")).await?;
    move_in(&root).await?;
    meta::journal_delete(JOURNAL_KEY).await?;
    Ok(tree.files.len() as u64)
}

fn write_err(e: std::io::Error) -> AppError {
    if opfs::is_quota(&e) {
        AppError::new(ErrorCode::BrowserQuota, e.to_string())
    } else {
        AppError::new(ErrorCode::BrowserError, e.to_string())
    }
}

/// Moves every file of `from` (a tree) into the same path under `to`,
/// creating directories (also empty ones).
async fn move_tree(from: &JsValue, to: &JsValue) -> AppResult<()> {
    let (dirs, files) = opfs::walk(from)
        .await
        .map_err(fs_err("cannot list the origin private file system"))?;
    for d in &dirs {
        opfs::dir_at(to, d, true)
            .await
            .map_err(fs_err("cannot create a directory"))?;
    }
    for (path, h) in &files {
        let (dir, name) = split(path);
        let target = opfs::dir_at(to, dir, true)
            .await
            .map_err(fs_err("cannot create a directory"))?;
        opfs::move_file(h, &target, name).await.map_err(|e| {
            if crate::browser::js::error_name(&e) == "NoModificationAllowedError" {
                in_use(&[(path.clone(), describe_js_error(&e).1)], true)
            } else {
                AppError::js(&format!("cannot move OPFS file {path:?}"), e)
            }
        })?;
    }
    Ok(())
}

/// Removes every entry of `dir` but the staging directory (when `dir` is
/// the root).
async fn clear(dir: &JsValue) -> AppResult<()> {
    for e in opfs::list(dir)
        .await
        .map_err(fs_err("cannot list the origin private file system"))?
    {
        if e.name != OPFS_STAGING_DIR {
            opfs::remove(dir, &e.name)
                .await
                .map_err(fs_err("cannot remove an old directory"))?;
        }
    }
    Ok(())
}

async fn staging_dir(root: &JsValue, sub: &str) -> AppResult<JsValue> {
    opfs::dir_at(root, &format!("{OPFS_STAGING_DIR}/{sub}"), true)
        .await
        .map_err(fs_err("cannot open Coffer's staging directory"))
}

/// Step `swap-out`: the live tree into the staging directory's `old`.
async fn move_out(root: &JsValue) -> AppResult<()> {
    let old = staging_dir(root, "old").await?;
    move_tree(root, &old).await?;
    clear(root).await
}

/// Undoes [`move_out`]: the old tree back into the root.
async fn move_back(root: &JsValue) -> AppResult<()> {
    let old = staging_dir(root, "old").await?;
    move_tree(&old, root).await
}

/// Step `swap-in`: the new tree into the root, then the staging directory
/// goes.
async fn move_in(root: &JsValue) -> AppResult<()> {
    let new = staging_dir(root, "new").await?;
    move_tree(&new, root).await?;
    opfs::remove(root, OPFS_STAGING_DIR)
        .await
        .map_err(fs_err("cannot remove Coffer's staging directory"))
}

/// Settles an OPFS restore a previous session did not finish: before
/// `swap-out` the staging directory goes (the live tree is untouched);
/// from `swap-out` on, the swap is completed. Returns whether there was
/// one.
pub async fn settle() -> AppResult<bool> {
    let Some((_, v)) = meta::journal_entries(JOURNAL_KEY)
        .await?
        .into_iter()
        .find(|(k, _)| k == JOURNAL_KEY)
    else {
        return Ok(false);
    };
    let root = opfs::root().await?;
    match get(&v, "step").as_string().as_deref() {
        Some("swap-out") => {
            move_out(&root).await?;
            meta::journal_put(JOURNAL_KEY, &intent("swap-in")).await?;
            move_in(&root).await?;
        }
        Some("swap-in") => move_in(&root).await?,
        _ => {
            let _ = opfs::remove(&root, OPFS_STAGING_DIR).await;
        }
    }
    meta::journal_delete(JOURNAL_KEY).await?;
    Ok(true)
}
