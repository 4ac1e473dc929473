//! Programmatic operations over an [`EngineClient`]: what the element's
//! `backup()`, `restore()`, `inspect()`, `exportKey()` and `replaceKey()`
//! do, usable from Rust as well. Each takes a progress callback that hears
//! the worker's [`Event::Progress`] events.

use web_sys::Blob;

use super::config::BackupConfig;
use crate::client::{Attachments, EngineClient};
use crate::error::{AppError, AppResult};
use crate::protocol::{DbInfo, Event, KeyFileInput, KeySource, Outcome, Preview, Request};

/// Codes of errors raised here rather than by the worker.
pub const LOCAL_CODES: &[&str] = &["nothing-selected", "protocol", "bad-argument"];

fn unexpected() -> AppError {
    AppError::new("protocol", "unexpected answer from the engine worker")
}

/// The origin's databases (without Coffer's own) and the current key id.
pub async fn overview(engine: &EngineClient) -> AppResult<(Vec<DbInfo>, Option<String>)> {
    match engine
        .call(Request::Overview, Attachments::default(), |_| {})
        .await?
    {
        (Outcome::Overview { databases, key_id }, _) => Ok((databases, key_id)),
        _ => Err(unexpected()),
    }
}

/// What to back up.
#[derive(Clone, Debug, Default)]
pub struct BackupOptions {
    /// Only these databases (still within the configuration); `None`: all
    /// the configuration allows.
    pub databases: Option<Vec<String>>,
    /// Lock the whole backup with this passphrase.
    pub passphrase: Option<String>,
}

/// A finished backup.
#[derive(Clone, Debug)]
pub struct BackupFile {
    /// The backup (a zip archive).
    pub blob: Blob,
    /// Suggested file name.
    pub file_name: String,
    /// Records written.
    pub records: u64,
    /// Size in bytes.
    pub bytes: u64,
}

/// Backs up every store of the databases `config` allows (and `opts`
/// selects).
pub async fn backup(
    engine: &EngineClient,
    config: &BackupConfig,
    opts: BackupOptions,
    on_progress: impl FnMut(&Event) + 'static,
) -> AppResult<BackupFile> {
    let (dbs, _) = overview(engine).await?;
    let selection = config.selection(&dbs, opts.databases.as_deref());
    if selection.databases.is_empty() {
        return Err(AppError::new(
            "nothing-selected",
            "there is no data to back up (no database with stores is selected)",
        ));
    }
    let r = engine
        .call(
            Request::Backup {
                selection,
                passphrase: opts.passphrase,
                now_ms: js_sys::Date::now(),
                download: false,
            },
            Attachments::default(),
            on_progress,
        )
        .await?;
    match r {
        (
            Outcome::Backup {
                file_name,
                records,
                bytes,
            },
            att,
        ) => Ok(BackupFile {
            blob: att.file.ok_or_else(unexpected)?,
            file_name,
            records,
            bytes,
        }),
        _ => Err(unexpected()),
    }
}

/// How to open a backup.
#[derive(Clone, Debug, Default)]
pub struct UnlockOptions {
    /// The passphrase of a locked backup.
    pub passphrase: Option<String>,
    /// The key file of the master key the backup's encrypted stores were
    /// sealed under, when that is not this origin's key.
    pub key_file: Option<KeyFileInput>,
}

/// Validates a backup completely and describes it; writes nothing.
pub async fn inspect(
    engine: &EngineClient,
    file: &Blob,
    unlock: &UnlockOptions,
    on_progress: impl FnMut(&Event) + 'static,
) -> AppResult<Preview> {
    let r = engine
        .call(
            Request::Inspect {
                passphrase: unlock.passphrase.clone(),
                key_file: unlock.key_file.clone(),
            },
            Attachments::file(file.clone()),
            on_progress,
        )
        .await?;
    match r {
        (Outcome::Preview(p), _) => Ok(p),
        _ => Err(unexpected()),
    }
}

/// What a restore did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RestoreReport {
    /// Databases restored.
    pub databases: u64,
    /// Stores restored.
    pub stores: u64,
    /// Records restored.
    pub records: u64,
    /// Records re-sealed to the current master key.
    pub resealed: u64,
}

/// Restores every store of the backup's databases that `config` allows
/// (and `databases` names): validates first, then replaces those stores.
pub async fn restore(
    engine: &EngineClient,
    config: &BackupConfig,
    file: &Blob,
    unlock: &UnlockOptions,
    databases: Option<Vec<String>>,
    on_progress: impl FnMut(&Event) + Clone + 'static,
) -> AppResult<RestoreReport> {
    let preview = inspect(engine, file, unlock, on_progress.clone()).await?;
    let selection = config.selection(&preview.databases, databases.as_deref());
    if selection.databases.is_empty() {
        return Err(AppError::new(
            "nothing-selected",
            "the backup holds none of the selected databases",
        ));
    }
    let r = engine
        .call(
            Request::Restore {
                selection,
                passphrase: unlock.passphrase.clone(),
                key_file: unlock.key_file.clone(),
            },
            Attachments::file(file.clone()),
            on_progress,
        )
        .await?;
    match r {
        (
            Outcome::Restored {
                databases,
                stores,
                records,
                resealed,
            },
            _,
        ) => Ok(RestoreReport {
            databases,
            stores,
            records,
            resealed,
        }),
        _ => Err(unexpected()),
    }
}

/// An exported master key.
#[derive(Clone, Debug)]
pub struct ExportedKey {
    /// The key file (JSON).
    pub blob: Blob,
    /// Suggested file name.
    pub file_name: String,
    /// The key id.
    pub key_id: String,
}

/// Exports the master key as a key file, protected by `passphrase` if
/// given. The key never passes through the UI thread unencrypted other than
/// inside this Blob.
pub async fn export_key(
    engine: &EngineClient,
    passphrase: Option<String>,
) -> AppResult<ExportedKey> {
    let r = engine
        .call(
            Request::ExportKey {
                passphrase,
                download: false,
            },
            Attachments::default(),
            |_| {},
        )
        .await?;
    match r {
        (Outcome::KeyExported { file_name, key_id }, att) => Ok(ExportedKey {
            blob: att.file.ok_or_else(unexpected)?,
            file_name,
            key_id,
        }),
        _ => Err(unexpected()),
    }
}

/// A replaced master key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplacedKey {
    /// The old key id.
    pub old_key_id: Option<String>,
    /// The new key id.
    pub new_key_id: String,
    /// Records re-sealed.
    pub resealed: u64,
}

/// Replaces the master key (a fresh one, or the one in a key file),
/// re-sealing every encrypted store.
pub async fn replace_key(
    engine: &EngineClient,
    source: KeySource,
    on_progress: impl FnMut(&Event) + 'static,
) -> AppResult<ReplacedKey> {
    let r = engine
        .call(
            Request::ReplaceKey {
                source,
                now_ms: js_sys::Date::now(),
            },
            Attachments::default(),
            on_progress,
        )
        .await?;
    match r {
        (
            Outcome::KeyReplaced {
                old_key_id,
                new_key_id,
                resealed,
            },
            _,
        ) => Ok(ReplacedKey {
            old_key_id,
            new_key_id,
            resealed,
        }),
        _ => Err(unexpected()),
    }
}
