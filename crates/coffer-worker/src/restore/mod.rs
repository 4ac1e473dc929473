//! Inspecting and restoring backups.
//!
//! A backup is validated completely by the engine (every hash, record,
//! sealed record and the MAC) before anything is written. Each database is
//! then restored all or nothing to the backup's version ([`Target`] is what
//! one database's restore writes with; `database` says which way): **in
//! place**, in one readwrite transaction, when every selected store
//! already has the backup's shape; **by an upgrade** when the database is
//! missing or older; otherwise **through a staging database**. A key
//! generator the live store had moved past the backup's stays there every
//! way, so ids are never handed out twice. Stores that are not selected or
//! not in the backup are left alone.
//!
//! Records of encrypted stores sealed under another master key are
//! re-sealed to the current key, given that key's file.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use coffer_engine::locked::{open_backup, Input, Unlock};
use coffer_engine::{BackupReader, Limits, MasterKey};
use wasm_bindgen::JsCast;
use web_sys::Blob;

use coffer_protocol::{
    Authentication, DbInfo, ErrorCode, Inspect, KeyFileInput, Phase, Preview, ProgressInfo,
    Restore, Restored, Scope, StoreInfo, META_DB,
};

use self::database::restore_database;
use self::target::Target;
use crate::browser::blobio::BlobReader;
use crate::browser::idb;
use crate::browser::storage;
use crate::error::{AppError, AppResult};
use crate::registry::RestoreJournal;
use crate::timing::date_now;
use crate::{keys, progress_info, tabs, Reporter};

mod database;
pub mod staging;
mod target;

/// Work a test does before each database of a restore is restored (the
/// database's name), as another tab's would be done meanwhile.
pub type BeforeDatabase = Rc<dyn Fn(String) -> Pin<Box<dyn Future<Output = ()>>>>;

thread_local! {
    static BEFORE_DATABASE: RefCell<Option<BeforeDatabase>> = const { RefCell::new(None) };
}

/// Tests: runs `hook` (and waits for it) before each database of a restore
/// is restored; `None` removes it.
pub fn before_each_database(hook: Option<BeforeDatabase>) {
    BEFORE_DATABASE.with(|h| *h.borrow_mut() = hook);
}

async fn run_before_database(name: &str) {
    let hook = BEFORE_DATABASE.with(|h| h.borrow().clone());
    if let Some(hook) = hook {
        hook(name.to_owned()).await;
    }
}

/// The open backup.
pub type Reader = BackupReader<Input<BlobReader>>;

struct Opened2 {
    reader: Reader,
    /// The key the backup names (its MAC and sealed records are under
    /// it), if at hand: this origin's, or the one in the key file given.
    backup_key: Option<MasterKey>,
    current: MasterKey,
}

impl Opened2 {
    /// Whether the backup proves who made it (its MAC, checked with
    /// [`Opened2::backup_key`]).
    fn authentication(&self) -> AppResult<Authentication> {
        use coffer_engine::{Authentication as A, Unauthenticated as U};
        Ok(match self.reader.authenticate(self.backup_key.as_ref())? {
            A::Verified { .. } => Authentication::Verified,
            A::Unauthenticated {
                reason: U::KeyNotGiven { key_id },
            } => Authentication::KeyNotGiven {
                key_id: key_id.to_hex(),
            },
            _ => Authentication::NoMac,
        })
    }
}

/// Opens `file` once: the engine unlocks it (if locked) and says so.
async fn open_file(
    file: Blob,
    passphrase: Option<&str>,
    key_file: Option<&KeyFileInput>,
) -> AppResult<Opened2> {
    let pass = passphrase.filter(|p| !p.is_empty()).map(str::as_bytes);
    let current = keys::current_key().await?.key;
    // A backup locked with the master key opens with this origin's key,
    // or with the key file given (a backup of another origin or key).
    let open = |master_key| {
        Ok::<_, AppError>(open_backup(
            BlobReader::new(file.clone(), 1 << 20)?,
            Unlock {
                passphrase: pass,
                master_key,
            },
            Limits::default(),
        ))
    };
    let reader = match open(Some(&current))? {
        Err(coffer_engine::Error::KeyRequired(_) | coffer_engine::Error::WrongKey { .. })
            if key_file.is_some() =>
        {
            let kf = key_file.ok_or_else(|| AppError::new(ErrorCode::NoKeyFile, "no key file"))?;
            let k = keys::key_from_file(&kf.text, kf.passphrase.as_deref())?;
            open(Some(&k))??
        }
        r => r?,
    };
    let needed = reader.key_id();
    let backup_key = match (needed, key_file) {
        (None, _) => None,
        (Some(id), _) if id == current.id() => Some(current.clone()),
        (Some(id), Some(kf)) => {
            let k = keys::key_from_file(&kf.text, kf.passphrase.as_deref())?;
            if k.id() != id {
                return Err(AppError(Box::new(
                    coffer_protocol::Failure::new(
                        ErrorCode::WrongKey,
                        format!(
                            "the key file holds key id {}, but this backup needs key id {id}",
                            k.id()
                        ),
                    )
                    .with_key_id(id.to_hex()),
                )));
            }
            Some(k)
        }
        (Some(_), None) => None,
    };
    Ok(Opened2 {
        reader,
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
    let parts = crate::parts::preview(m, scope).await?;
    bytes += parts.bytes();
    Ok(Preview {
        created: m.json().created.clone(),
        locked: o.reader.locked().is_some(),
        backup_key_id: o.reader.key_id().map(|k| k.to_hex()),
        current_key_id: Some(o.current.id().to_hex()),
        key_ok: !needs_key || o.backup_key.is_some(),
        reseal: needs_key && o.reader.key_id() != Some(o.current.id()),
        databases,
        records,
        bytes,
        parts,
        authentication: o.authentication()?,
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

/// Not enough space: the restore needs `needed` bytes; the browser said
/// `free` were available (its estimate can be coarse, or fake in private
/// windows, so the failure names what the restore needs).
fn quota_failure(needed: u64, free: Option<u64>) -> AppError {
    let said = free.map_or_else(String::new, |f| {
        format!(", the browser estimated {f} available")
    });
    AppError(Box::new(
        coffer_protocol::Failure::new(
            ErrorCode::BrowserQuota,
            format!("not enough storage space: the restore needs {needed} bytes{said}"),
        )
        .with_bytes(needed),
    ))
}

/// Restores `req.selection` (within `req.scope`) from a backup (the caller
/// holds the lock). Returns, besides the report, the backup's localStorage
/// items for the page to set (an array of `[key, value]`) when the
/// selection names localStorage.
pub async fn restore(
    file: Blob,
    req: &Restore,
    rep: &Reporter,
) -> AppResult<(Restored, Option<wasm_bindgen::JsValue>)> {
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
    let parts_plan =
        crate::parts::PartsPlan::new(o.reader.manifest(), &req.selection.parts, &req.scope);
    if plan.is_empty() && parts_plan.is_empty() {
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
    // An unauthenticated backup only when the user confirmed it.
    let auth = o.authentication()?;
    if !auth.is_verified() && !req.accept_unauthenticated {
        let mut f = coffer_protocol::Failure::new(
            ErrorCode::Unauthenticated,
            "this backup is unauthenticated: nothing proves who made it; restore it only after confirming",
        );
        if let Authentication::KeyNotGiven { key_id } = &auth {
            f = f.with_key_id(key_id.clone());
        }
        return Err(AppError(Box::new(f)));
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
        .sum::<u64>()
        + parts_plan.bytes(o.reader.manifest());
    let available = storage::available().await;
    if let Some(free) = available.filter(|&free| free < needed) {
        return Err(quota_failure(needed, Some(free)));
    }
    // Files another context holds open cannot be replaced: say so before
    // anything is written.
    if parts_plan.opfs {
        crate::parts::opfs::check_free().await?;
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
        run_before_database(&name).await;
        // Its version now, not when the restore began: while the databases
        // before it were restored, another tab (an app update, say) may
        // have created it or changed its version, and the way it is
        // restored depends on that.
        let ev = idb::database_names()
            .await?
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v);
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
                return Err(quota_failure(
                    needed,
                    storage::available().await.or(available),
                ));
            }
            return Err(e);
        }
        journal.committed(&name).await?;
        stores_done += ss.len() as u64;
    }
    journal.end().await?;
    let (parts, local) =
        match crate::parts::restore(&mut reader, &parts_plan, rep, &mut progress).await {
            Ok(r) => r,
            Err(e) if e.code() == ErrorCode::BrowserQuota => {
                let free = storage::available().await.or(available);
                return Err(quota_failure(needed, free));
            }
            Err(e) => return Err(e),
        };
    rep.progress(Phase::Restoring, progress, true);
    tabs::broadcast("restored");
    Ok((
        Restored {
            databases: plan.len() as u64,
            stores: stores_done,
            records: progress.done_records,
            resealed,
            parts,
        },
        local,
    ))
}
