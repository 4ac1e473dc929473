//! The origin private file system (`navigator.storage.getDirectory()`):
//! walking the tree, and reading and writing files through **sync access
//! handles**, which only a dedicated worker has.
//!
//! A sync access handle is an exclusive lock on its file: while Coffer
//! holds one, no other tab or worker can open the file for writing (their
//! `createSyncAccessHandle()` and `createWritable()` fail), so what Coffer
//! reads is one consistent state of the file. The other way round, a file
//! another context holds open cannot be locked: that is how Coffer knows
//! it is in use. (Chromium lets `getFile()` snapshots read bytes written
//! after the snapshot, without changing `lastModified`, so a snapshot
//! alone proves nothing.)

use std::io::{self, Read, Write};

use coffer_engine::format::parts::OPFS_STAGING_DIR;
use js_sys::Uint8Array;
use wasm_bindgen::JsValue;

use super::js::{call, call_await, collect_async, error_name, get, obj, storage_manager};
use crate::error::{describe_js_error, AppError, AppResult};

/// Bytes per read or write call.
const CHUNK: usize = 1 << 20;

/// The root directory.
pub async fn root() -> AppResult<JsValue> {
    let s = storage_manager()?;
    call_await(&s, "getDirectory", &[])
        .await
        .map_err(|e| AppError::js("cannot open the origin private file system", e))
}

/// Whether the browser has an origin private file system at all.
pub fn available() -> bool {
    storage_manager()
        .map(|s| !get(&s, "getDirectory").is_undefined())
        .unwrap_or(false)
}

/// One entry of a directory.
pub struct Entry {
    /// Its name.
    pub name: String,
    /// Its handle.
    pub handle: JsValue,
    /// Whether it is a directory.
    pub is_dir: bool,
}

/// The entries of `dir`, sorted by name.
pub async fn list(dir: &JsValue) -> Result<Vec<Entry>, JsValue> {
    let it = call(dir, "values", &[])?;
    let mut out: Vec<Entry> = collect_async(&it)
        .await?
        .into_iter()
        .map(|h| Entry {
            name: get(&h, "name").as_string().unwrap_or_default(),
            is_dir: get(&h, "kind").as_string().as_deref() == Some("directory"),
            handle: h,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Subdirectory `name` of `dir`.
pub async fn subdir(dir: &JsValue, name: &str, create: bool) -> Result<JsValue, JsValue> {
    call_await(
        dir,
        "getDirectoryHandle",
        &[name.into(), obj(&[("create", create.into())])],
    )
    .await
}

/// File `name` of `dir`.
pub async fn file(dir: &JsValue, name: &str, create: bool) -> Result<JsValue, JsValue> {
    call_await(
        dir,
        "getFileHandle",
        &[name.into(), obj(&[("create", create.into())])],
    )
    .await
}

/// Removes entry `name` of `dir` (a directory with everything in it).
pub async fn remove(dir: &JsValue, name: &str) -> Result<(), JsValue> {
    call_await(
        dir,
        "removeEntry",
        &[name.into(), obj(&[("recursive", true.into())])],
    )
    .await
    .map(|_| ())
}

/// The directory at `path` (components joined by `/`) under `from`,
/// created with its parents when `create`.
pub async fn dir_at(from: &JsValue, path: &str, create: bool) -> Result<JsValue, JsValue> {
    let mut d = from.clone();
    for c in path.split('/').filter(|c| !c.is_empty()) {
        d = subdir(&d, c, create).await?;
    }
    Ok(d)
}

/// Moves file `handle` into directory `to` as `name`.
pub async fn move_file(handle: &JsValue, to: &JsValue, name: &str) -> Result<(), JsValue> {
    call_await(handle, "move", &[to.clone(), name.into()])
        .await
        .map(|_| ())
}

/// The tree under `dir`: every directory path and every file (path,
/// handle), each list in ascending order of UTF-8 bytes, without Coffer's
/// staging directory when `dir` is the root.
pub async fn walk(dir: &JsValue) -> Result<(Vec<String>, Vec<(String, JsValue)>), JsValue> {
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    let mut todo = vec![(String::new(), dir.clone())];
    while let Some((prefix, d)) = todo.pop() {
        for e in list(&d).await? {
            if prefix.is_empty() && e.name == OPFS_STAGING_DIR {
                continue;
            }
            let path = if prefix.is_empty() {
                e.name.clone()
            } else {
                format!("{prefix}/{}", e.name)
            };
            if e.is_dir {
                dirs.push(path.clone());
                todo.push((path, e.handle));
            } else {
                files.push((path, e.handle));
            }
        }
    }
    dirs.sort();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((dirs, files))
}

/// A sync access handle: Coffer's exclusive lock on one file, closed when
/// dropped.
pub struct SyncHandle {
    h: JsValue,
    closed: bool,
}

/// Why a file cannot be locked.
pub enum LockError {
    /// Another context holds it open (`NoModificationAllowedError`).
    InUse(String),
    /// Anything else.
    Other(JsValue),
}

impl SyncHandle {
    /// Locks `file` (a `FileSystemFileHandle`).
    pub async fn open(file: &JsValue) -> Result<SyncHandle, LockError> {
        match call_await(file, "createSyncAccessHandle", &[]).await {
            Ok(h) => Ok(SyncHandle { h, closed: false }),
            Err(e) => {
                let name = error_name(&e);
                if name == "NoModificationAllowedError" || name == "InvalidStateError" {
                    Err(LockError::InUse(describe_js_error(&e).1))
                } else {
                    Err(LockError::Other(e))
                }
            }
        }
    }

    /// The file's size.
    pub fn size(&self) -> io::Result<u64> {
        call(&self.h, "getSize", &[])
            .map(|v| v.as_f64().unwrap_or(0.0) as u64)
            .map_err(|e| io_err("cannot read the file's size", e))
    }

    /// Empties the file.
    pub fn truncate(&self) -> io::Result<()> {
        call(&self.h, "truncate", &[JsValue::from(0)])
            .map(|_| ())
            .map_err(|e| io_err("cannot truncate the file", e))
    }

    /// Writes everything written so far to disk.
    pub fn flush(&self) -> io::Result<()> {
        call(&self.h, "flush", &[])
            .map(|_| ())
            .map_err(|e| io_err("cannot flush the file", e))
    }

    /// Releases the lock.
    pub fn close(mut self) {
        self.close_now();
    }

    fn close_now(&mut self) {
        if !self.closed {
            self.closed = true;
            let _ = call(&self.h, "close", &[]);
        }
    }

    /// A `Read` of the whole file, from the start.
    pub fn reader(&self) -> io::Result<SyncReader<'_>> {
        Ok(SyncReader {
            h: self,
            pos: 0,
            size: self.size()?,
        })
    }

    /// A `Write` from the start of the (truncated) file.
    pub fn writer(&self) -> io::Result<SyncWriter<'_>> {
        self.truncate()?;
        Ok(SyncWriter { h: self, pos: 0 })
    }
}

impl Drop for SyncHandle {
    fn drop(&mut self) {
        self.close_now();
    }
}

fn io_err(what: &str, e: JsValue) -> io::Error {
    let (name, msg) = describe_js_error(&e);
    io::Error::other(format!("{what}: {name}: {msg}"))
}

/// Reads a locked file.
pub struct SyncReader<'a> {
    h: &'a SyncHandle,
    pos: u64,
    size: u64,
}

impl Read for SyncReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.size || out.is_empty() {
            return Ok(0);
        }
        let want = out.len().min(CHUNK).min((self.size - self.pos) as usize);
        let buf = Uint8Array::new_with_length(want as u32);
        let n = call(
            &self.h.h,
            "read",
            &[buf.clone().into(), obj(&[("at", (self.pos as f64).into())])],
        )
        .map_err(|e| io_err("cannot read the file", e))?
        .as_f64()
        .unwrap_or(0.0) as usize;
        let n = n.min(want);
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file got shorter while it was read",
            ));
        }
        buf.subarray(0, n as u32).copy_to(&mut out[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

/// Writes a locked file.
pub struct SyncWriter<'a> {
    h: &'a SyncHandle,
    pos: u64,
}

impl Write for SyncWriter<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let data = &data[..data.len().min(CHUNK)];
        let n = call(
            &self.h.h,
            "write",
            &[
                Uint8Array::from(data).into(),
                obj(&[("at", (self.pos as f64).into())]),
            ],
        )
        .map_err(|e| io_err("cannot write the file", e))?
        .as_f64()
        .unwrap_or(0.0) as usize;
        if n == 0 && !data.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "nothing was written",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.h.flush()
    }
}

/// The quota error of a write, if that is why it failed (the browser's
/// `QuotaExceededError` inside an I/O error).
pub fn is_quota(e: &io::Error) -> bool {
    e.to_string().contains("QuotaExceededError")
}
