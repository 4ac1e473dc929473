//! The messages between the page and the engine worker.
//!
//! Every message is one JavaScript object `{ msg, file?, url?, key?, value? }`:
//! `msg` is the JSON of a [`ToWorker`] or [`FromWorker`] (typed, versioned,
//! with a request id), and the optional fields carry what JSON cannot: a
//! `File`/`Blob` (backup input or output, key file), an object URL of it
//! made by the worker, and, for the store API, a structured-clone key and
//! value. Nothing else travels.
//!
//! Each request type (a struct) has exactly one outcome type, declared with
//! [`Call`]; the [`Request`] and [`Outcome`] enums wrap them for the wire.
//! The worker posts [`Event::Ready`] once its wasm has loaded; the client
//! queues requests until then.

use serde::{Deserialize, Serialize};

use crate::auto::{AutoGet, AutoRan, AutoRun, AutoSet, AutoState};
use crate::destinations::{
    DestBackups, DestFetch, DestList, DestRemove, DestSave, DestTest, DestTested, DestUpload,
    DestinationList, Fetched, RemoteBackups, Uploaded,
};
use crate::error::Failure;
use crate::history::{History, HistoryList};
use crate::parts::{PartsInfo, RestoredParts, SelectedParts, SkippedInfo};
use crate::scope::Scope;

/// Version of this protocol; both sides must agree.
pub const PROTOCOL_VERSION: u32 = 3;

/// Name of Coffer's own IndexedDB database (master key, encrypted-store
/// registry). It is never part of a backup.
pub const META_DB: &str = "coffer-meta";

/// Name of the Web Lock that serializes backup, restore and key
/// replacement across the tabs of an origin.
pub const LOCK_NAME: &str = "coffer-exclusive";

/// Name of the BroadcastChannel on which tabs hear about key changes and
/// restores.
pub const CHANNEL_NAME: &str = "coffer";

/// A request from the page to the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToWorker {
    /// [`PROTOCOL_VERSION`].
    pub v: u32,
    /// Request id, echoed in every event about this request.
    pub id: u32,
    /// What to do.
    pub req: Request,
}

/// An event from the worker to the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FromWorker {
    /// [`PROTOCOL_VERSION`].
    pub v: u32,
    /// The request this is about (0 for unsolicited events).
    pub id: u32,
    /// What happened.
    pub ev: Event,
}

/// Which stores of which databases, and which parts beyond IndexedDB,
/// an operation covers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Selection {
    /// Selected databases, each with its selected stores.
    pub databases: Vec<SelectedDb>,
    /// Selected parts: localStorage, the OPFS tree, caches.
    #[serde(default)]
    pub parts: SelectedParts,
}

/// One selected database.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SelectedDb {
    /// Database name.
    pub name: String,
    /// Selected store names.
    pub stores: Vec<String>,
}

impl Selection {
    /// Whether `store` of `db` is selected.
    pub fn contains(&self, db: &str, store: &str) -> bool {
        self.databases
            .iter()
            .any(|d| d.name == db && d.stores.iter().any(|s| s == store))
    }

    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.databases.iter().all(|d| d.stores.is_empty()) && self.parts.is_empty()
    }

    /// Every store of every database in `dbs` that `scope` allows, further
    /// limited to `only` (database names) when given, and every part of
    /// `parts` that the scope allows, further limited to `only_parts` when
    /// given (when only `only` is given, no part: a list of databases
    /// names no part).
    pub fn everything(
        dbs: &[DbInfo],
        parts: &PartsInfo,
        scope: &Scope,
        only: Option<&[String]>,
        only_parts: Option<&[crate::Part]>,
    ) -> Selection {
        use crate::Part;
        let wanted = |part: Part| match only_parts {
            Some(ps) => ps.contains(&part),
            None => only.is_none(),
        } && scope.allows_part(part);
        let mut p = parts.everything();
        p.local_storage &= wanted(Part::LocalStorage);
        p.opfs &= wanted(Part::Opfs);
        if wanted(Part::Caches) {
            p.caches.retain(|c| scope.allows_cache(c));
        } else {
            p.caches.clear();
        }
        Selection {
            parts: p,
            databases: dbs
                .iter()
                .filter(|d| scope.allows(&d.name))
                .filter(|d| only.is_none_or(|o| o.iter().any(|n| n == &d.name)))
                .filter(|d| !d.stores.is_empty())
                .map(|d| SelectedDb {
                    name: d.name.clone(),
                    stores: d.stores.iter().map(|s| s.name.clone()).collect(),
                })
                .collect(),
        }
    }
}

/// Where a new master key comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum KeySource {
    /// A fresh random key.
    Generate,
    /// A key file's text, optionally passphrase-protected.
    Import {
        /// The key file's contents.
        text: String,
        /// Its passphrase, if it has one.
        passphrase: Option<String>,
    },
}

/// A key file to unlock a backup sealed under another master key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyFileInput {
    /// The key file's contents.
    pub text: String,
    /// Its passphrase, if it has one.
    pub passphrase: Option<String>,
}

/// One timed engine operation ([`Measure`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timing {
    /// What was timed.
    pub name: String,
    /// Bytes (or records, for per-record figures) processed.
    pub amount: u64,
    /// Time taken, in microseconds.
    pub micros: u64,
}

/// Which long operation a progress event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Reading IndexedDB.
    Reading,
    /// Writing the archive.
    Writing,
    /// Validating a backup.
    Verifying,
    /// Writing IndexedDB.
    Restoring,
    /// Re-sealing encrypted stores.
    Resealing,
}

impl Phase {
    /// The phase's name in events and `onProgress` details.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Reading => "reading",
            Phase::Writing => "writing",
            Phase::Verifying => "verifying",
            Phase::Restoring => "restoring",
            Phase::Resealing => "resealing",
        }
    }
}

/// Progress of a long operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressInfo {
    /// Bytes done.
    pub done_bytes: u64,
    /// Bytes in total (0 when unknown).
    pub total_bytes: u64,
    /// Records done.
    pub done_records: u64,
    /// Records in total (0 when unknown).
    pub total_records: u64,
}

/// One store in the overview or a backup preview.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreInfo {
    /// Store name.
    pub name: String,
    /// Number of records.
    pub records: u64,
    /// Approximate size in bytes.
    pub bytes: u64,
    /// Whether it is a registered encrypted store.
    pub encrypted: bool,
    /// For a preview: whether the store exists in this origin now (and
    /// would be overwritten).
    pub exists: bool,
}

/// One database in the overview or a backup preview.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DbInfo {
    /// Database name.
    pub name: String,
    /// Its version.
    pub version: u64,
    /// Its stores.
    pub stores: Vec<StoreInfo>,
    /// For a preview: whether the database exists now.
    pub exists: bool,
}

/// Why the worker waits before it starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum WaitReason {
    /// Another tab holds the lock: it runs a backup, restore or key
    /// replacement.
    OtherTab,
    /// Other connections keep a database open that must be upgraded.
    DatabaseInUse {
        /// The database.
        database: String,
    },
}

/// Events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Event {
    /// The worker has loaded and takes requests.
    Ready {
        /// A random id of this worker instance; it tags the worker's
        /// BroadcastChannel messages so a tab can ignore its own.
        instance: u32,
    },
    /// Progress of request `id`.
    Progress {
        /// What is happening.
        phase: Phase,
        /// How far.
        progress: ProgressInfo,
    },
    /// Waiting for something outside (another tab's lock or connection).
    Waiting(WaitReason),
    /// Request `id` succeeded.
    Done(Outcome),
    /// Request `id` failed; nothing was written.
    Failed(Failure),
}

/// A request type and the one outcome type it ends with.
pub trait Call: Into<Request> {
    /// What a successful call yields.
    type Outcome;
    /// Wraps the outcome for the wire (the worker's side).
    fn wrap(outcome: Self::Outcome) -> Outcome;
    /// Unwraps the outcome of this request; `None` if `outcome` belongs to
    /// another request (the page's side reports that once, as
    /// [`Failure::unexpected`]).
    fn unwrap(outcome: Outcome) -> Option<Self::Outcome>;
}

macro_rules! calls {
    ($($(#[doc = $doc:literal])* $name:ident => $out:ty;)*) => {
        /// Every request, for the wire. Those marked "file" carry a
        /// `File`/`Blob` in the message's `file` field.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "type", rename_all = "kebab-case")]
        pub enum Request {
            $($(#[doc = $doc])* $name($name),)*
        }

        /// Every outcome, for the wire: one variant per request.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
        pub enum Outcome {
            $($(#[doc = $doc])* $name($out),)*
        }

        $(
            impl From<$name> for Request {
                fn from(r: $name) -> Request {
                    Request::$name(r)
                }
            }

            impl Call for $name {
                type Outcome = $out;
                fn wrap(outcome: $out) -> Outcome {
                    Outcome::$name(outcome)
                }
                fn unwrap(outcome: Outcome) -> Option<$out> {
                    match outcome {
                        Outcome::$name(o) => Some(o),
                        #[allow(unreachable_patterns)]
                        _ => None,
                    }
                }
            }
        )*
    };
}

calls! {
    /// List databases and stores with counts and sizes.
    Overview => OverviewData;
    /// Create a backup.
    Backup => BackupDone;
    /// (file) Validate a backup completely and describe it.
    Inspect => Preview;
    /// (file) Restore from a backup.
    Restore => Restored;
    /// Export the master key as a key file (attached as `file`).
    ExportKey => KeyExported;
    /// Replace the master key, re-sealing every encrypted store.
    ReplaceKey => KeyReplaced;
    /// Create the demo database.
    LoadSample => SampleLoaded;
    /// Delete databases.
    DeleteDatabases => Empty;
    /// Store API: create (if needed) and register an encrypted store.
    StoreCreate => Empty;
    /// Store API: seal and put the attached `value` under the attached `key`.
    StorePut => Empty;
    /// Store API: get and open the value under the attached `key`.
    StoreGet => StoreValue;
    /// Store API: delete the record under the attached `key`.
    StoreDelete => Empty;
    /// Store API: list the keys of an encrypted store.
    StoreList => StoreKeys;
    /// Benchmark: time the engine's sealing in the worker.
    Measure => Measured;
    /// The history (audit log), newest first.
    History => HistoryList;
    /// Automatic backups: settings, folder and state (the folder's handle
    /// attached as `value`).
    AutoGet => AutoState;
    /// Automatic backups: store the settings (and a new folder handle,
    /// attached as `value`).
    AutoSet => AutoState;
    /// Automatic backups: run one now if due (or forced).
    AutoRun => AutoRan;
    /// Destinations: the stored ones, without secrets.
    DestList => DestinationList;
    /// Destinations: add or update one (sealed in the worker).
    DestSave => DestinationList;
    /// Destinations: forget one.
    DestRemove => DestinationList;
    /// Destinations: test the connection and the permissions.
    DestTest => DestTested;
    /// Destinations: the Coffer backups on one.
    DestBackups => RemoteBackups;
    /// Destinations: download a backup (attached as `file`).
    DestFetch => Fetched;
    /// (file) Destinations: upload a backup.
    DestUpload => Uploaded;
}

/// List databases and stores (those `scope` allows) with counts and sizes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    /// Which databases to list.
    #[serde(default)]
    pub scope: Scope,
}

/// Create a backup of `selection` (within `scope`); locked with
/// `passphrase` if given.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Backup {
    /// What to back up.
    pub selection: Selection,
    /// Databases outside it are never read.
    #[serde(default)]
    pub scope: Scope,
    /// Whole-backup passphrase.
    pub passphrase: Option<String>,
    /// `Date.now()` of the page, the backup's creation time.
    pub now_ms: f64,
    /// The page will download the file: the worker sends an object URL
    /// with it.
    #[serde(default)]
    pub download: bool,
    /// Lock the whole archive with the master key (also with the
    /// passphrase, when one is given).
    #[serde(default)]
    pub lock_with_key: bool,
    /// Also upload it to the stored destination of this id (the file is
    /// attached to the outcome all the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
}

/// (file) Validate a backup completely and describe the databases of it
/// that `scope` allows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Inspect {
    /// Which databases to describe.
    #[serde(default)]
    pub scope: Scope,
    /// Passphrase of a locked backup.
    pub passphrase: Option<String>,
    /// The key file for encrypted stores sealed under another key.
    pub key_file: Option<KeyFileInput>,
}

/// (file) Restore `selection` (within `scope`) from a backup.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Restore {
    /// What to restore.
    pub selection: Selection,
    /// Databases outside it are never written.
    #[serde(default)]
    pub scope: Scope,
    /// Passphrase of a locked backup.
    pub passphrase: Option<String>,
    /// The key file for encrypted stores sealed under another key.
    pub key_file: Option<KeyFileInput>,
    /// Restore also a backup that proves nothing about who made it (the
    /// user confirmed it).
    #[serde(default)]
    pub accept_unauthenticated: bool,
}

/// Export the master key as a key file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportKey {
    /// Protect the file with this passphrase.
    pub passphrase: Option<String>,
    /// The page will download the file: the worker sends an object URL
    /// with it.
    #[serde(default)]
    pub download: bool,
}

/// Replace the master key, re-sealing every encrypted store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplaceKey {
    /// The new key.
    pub source: KeySource,
    /// `Date.now()` of the page, the new key's creation time.
    pub now_ms: f64,
}

/// Create the demo database.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadSample {
    /// `Date.now()` of the page.
    pub now_ms: f64,
}

/// Delete databases (the "wipe" of the end-to-end tests).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteDatabases {
    /// Their names.
    pub names: Vec<String>,
}

macro_rules! store_requests {
    ($($(#[doc = $doc:literal])* $name:ident;)*) => {$(
        $(#[doc = $doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            /// Database name.
            pub db: String,
            /// Store name.
            pub store: String,
        }
    )*};
}

store_requests! {
    /// Store API: create (if needed) and register an encrypted store.
    StoreCreate;
    /// Store API: seal and put the attached `value` under the attached `key`.
    StorePut;
    /// Store API: get and open the value under the attached `key`.
    StoreGet;
    /// Store API: delete the record under the attached `key`.
    StoreDelete;
    /// Store API: list the keys of an encrypted store.
    StoreList;
}

/// Benchmark: time the engine's sealing in this worker on `mib` MiB of
/// random data under a throw-away key (the page's `coffer.measure()`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Measure {
    /// Data per figure, in MiB.
    pub mib: u32,
}

/// The origin's databases, its other storage and the current key id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverviewData {
    /// Databases of the origin (within the request's scope, never Coffer's
    /// own).
    pub databases: Vec<DbInfo>,
    /// The OPFS tree and caches (within the scope); localStorage is added
    /// by the page, which alone can read it.
    #[serde(default)]
    pub parts: PartsInfo,
    /// The current master key's id, if one exists.
    pub key_id: Option<String>,
}

/// A finished backup (its Blob is attached as `file`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupDone {
    /// Suggested file name.
    pub file_name: String,
    /// Records written.
    pub records: u64,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// What it holds beyond IndexedDB.
    #[serde(default)]
    pub parts: PartsInfo,
    /// Where it was uploaded, when a destination was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uploaded: Option<Uploaded>,
}

impl BackupDone {
    /// Cached responses that could not be backed up (opaque ones).
    pub fn skipped(&self) -> Vec<&SkippedInfo> {
        self.parts.skipped()
    }
}

/// Whether a backup proves who made it (FORMAT.md §3.4).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Authentication {
    /// Its MAC verified under this origin's key or the key file given.
    #[default]
    Verified,
    /// It carries no MAC (made without a master key, e.g. by an older
    /// Coffer): anyone could have altered it.
    NoMac,
    /// It carries a MAC under a key that is not at hand, so it could not
    /// be checked.
    KeyNotGiven {
        /// The key id its MAC needs.
        #[serde(rename = "keyId")]
        key_id: String,
    },
}

impl Authentication {
    /// Whether the backup is authenticated.
    pub fn is_verified(&self) -> bool {
        matches!(self, Authentication::Verified)
    }
}

/// What a validated backup holds and how it relates to this origin.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// The backup's creation time (RFC 3339).
    pub created: String,
    /// Whether the whole backup was passphrase-locked.
    pub locked: bool,
    /// The key id the backup's encrypted stores were sealed under.
    pub backup_key_id: Option<String>,
    /// The current master key's id.
    pub current_key_id: Option<String>,
    /// Whether the backup's encrypted stores can be restored with the keys
    /// at hand (same key, or the right key file given).
    pub key_ok: bool,
    /// Whether the backup's key differs from the current one (records will
    /// be re-sealed).
    pub reseal: bool,
    /// Databases in the backup.
    pub databases: Vec<DbInfo>,
    /// Records in total.
    pub records: u64,
    /// Uncompressed bytes of data.
    pub bytes: u64,
    /// What the backup holds beyond IndexedDB (within the scope).
    #[serde(default)]
    pub parts: PartsInfo,
    /// Whether the backup proves who made it; an unauthenticated one is
    /// restored only with `acceptUnauthenticated`.
    #[serde(default)]
    pub authentication: Authentication,
}

/// A finished restore.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Restored {
    /// Databases restored.
    pub databases: u64,
    /// Stores restored.
    pub stores: u64,
    /// Records restored.
    pub records: u64,
    /// Records re-sealed to the current key.
    pub resealed: u64,
    /// What was restored beyond IndexedDB. localStorage items travel to
    /// the page as the attached `value` (an array of `[key, value]`), and
    /// the page sets them.
    #[serde(default)]
    pub parts: RestoredParts,
}

/// An exported key file (attached as `file`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyExported {
    /// Suggested file name.
    pub file_name: String,
    /// The key id.
    pub key_id: String,
}

/// A replaced key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyReplaced {
    /// The old key id.
    pub old_key_id: Option<String>,
    /// The new key id.
    pub key_id: String,
    /// Records re-sealed.
    pub resealed: u64,
}

/// Sample data loaded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SampleLoaded {
    /// Records created.
    pub records: u64,
}

/// Done, nothing to report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Empty {}

/// A store API value (attached as `value`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreValue {
    /// Whether a record was found.
    pub found: bool,
}

/// A store API key list (attached as `value`, an array).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreKeys {
    /// Number of keys.
    pub count: u64,
}

/// Engine timings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Measured {
    /// The figures.
    pub timings: Vec<Timing>,
}

impl ToWorker {
    /// A request with the current protocol version.
    pub fn new(id: u32, req: Request) -> Self {
        ToWorker {
            v: PROTOCOL_VERSION,
            id,
            req,
        }
    }
}

impl FromWorker {
    /// An event with the current protocol version.
    pub fn new(id: u32, ev: Event) -> Self {
        FromWorker {
            v: PROTOCOL_VERSION,
            id,
            ev,
        }
    }
}

/// Why a message could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a [`ToWorker`], checking the version.
pub fn decode_request(json: &str) -> Result<ToWorker, DecodeError> {
    let m: ToWorker =
        serde_json::from_str(json).map_err(|e| DecodeError(format!("malformed request: {e}")))?;
    if m.v != PROTOCOL_VERSION {
        return Err(DecodeError(format!(
            "protocol version {} (this worker speaks {PROTOCOL_VERSION})",
            m.v
        )));
    }
    Ok(m)
}

/// Parses a [`FromWorker`], checking the version.
pub fn decode_event(json: &str) -> Result<FromWorker, DecodeError> {
    let m: FromWorker =
        serde_json::from_str(json).map_err(|e| DecodeError(format!("malformed event: {e}")))?;
    if m.v != PROTOCOL_VERSION {
        return Err(DecodeError(format!(
            "protocol version {} (this page speaks {PROTOCOL_VERSION})",
            m.v
        )));
    }
    Ok(m)
}

/// Encodes a message as JSON (cannot fail for these types).
pub fn encode<T: Serialize>(m: &T) -> String {
    serde_json::to_string(m).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn requests_round_trip() {
        let reqs: Vec<Request> = vec![
            Overview::default().into(),
            Backup {
                selection: Selection {
                    databases: vec![SelectedDb {
                        name: "a".into(),
                        stores: vec!["s".into()],
                    }],
                    parts: SelectedParts {
                        local_storage: true,
                        opfs: false,
                        caches: vec!["v1".into()],
                    },
                },
                scope: Scope {
                    include: vec!["a".into()],
                    exclude: vec![],
                },
                passphrase: Some("pw".into()),
                now_ms: 1.5e12,
                download: true,
                lock_with_key: false,
                destination: Some("work".into()),
            }
            .into(),
            ReplaceKey {
                source: KeySource::Import {
                    text: "{}".into(),
                    passphrase: None,
                },
                now_ms: 0.0,
            }
            .into(),
            StorePut {
                db: "d".into(),
                store: "s".into(),
            }
            .into(),
            Measure { mib: 4 }.into(),
            DestSave {
                id: "work".into(),
                settings: crate::DestinationSettings::WebDav {
                    url: "http://127.0.0.1:8651/".into(),
                    user: "u".into(),
                    password: "p".into(),
                },
            }
            .into(),
            DestFetch {
                id: "work".into(),
                name: "coffer-backup-1.zip".into(),
            }
            .into(),
            DestUpload::default().into(),
        ];
        for (i, r) in reqs.into_iter().enumerate() {
            let m = ToWorker::new(i as u32, r);
            assert_eq!(decode_request(&encode(&m)), Ok(m));
        }
    }

    #[test]
    fn events_round_trip_and_versions_are_checked() {
        let done = FromWorker::new(
            3,
            Event::Done(Restore::wrap(Restored {
                databases: 1,
                stores: 2,
                records: 3,
                resealed: 0,
                parts: RestoredParts {
                    local_storage: Some(1),
                    opfs_files: None,
                    cache_entries: Some(0),
                },
            })),
        );
        let waiting = FromWorker::new(
            4,
            Event::Waiting(WaitReason::DatabaseInUse {
                database: "db".into(),
            }),
        );
        let failed = FromWorker::new(
            5,
            Event::Failed(Failure::new(ErrorCode::KeyRequired, "x").with_key_id("ab")),
        );
        let empty = FromWorker::new(6, Event::Done(StoreCreate::wrap(Empty {})));
        for m in [done.clone(), waiting, failed, empty] {
            assert_eq!(decode_event(&encode(&m)), Ok(m));
        }
        let mut old = done;
        old.v = 99;
        assert!(decode_event(&encode(&old)).is_err());
        assert!(decode_event("nonsense").is_err());
    }

    #[test]
    fn each_request_unwraps_only_its_own_outcome() {
        let o = Backup::wrap(BackupDone::default());
        assert!(Backup::unwrap(o.clone()).is_some());
        assert!(Inspect::unwrap(o.clone()).is_none());
        // Requests sharing an outcome type still have their own variant.
        let e = StorePut::wrap(Empty {});
        assert!(StorePut::unwrap(e.clone()).is_some());
        assert!(StoreDelete::unwrap(e).is_none());
        let l = DestSave::wrap(DestinationList::default());
        assert!(DestSave::unwrap(l.clone()).is_some());
        assert!(DestList::unwrap(l).is_none());
    }

    fn db(name: &str, stores: &[&str]) -> DbInfo {
        DbInfo {
            name: name.into(),
            stores: stores
                .iter()
                .map(|s| StoreInfo {
                    name: (*s).into(),
                    ..StoreInfo::default()
                })
                .collect(),
            ..DbInfo::default()
        }
    }

    #[test]
    fn selection_of_everything_in_scope() {
        let scope = Scope {
            include: vec![],
            exclude: vec!["skip".into()],
        };
        let dbs = vec![db("a", &["x", "y"]), db("skip", &["z"]), db("empty", &[])];
        let sel = Selection::everything(&dbs, &PartsInfo::default(), &scope, None, None);
        assert_eq!(sel.databases.len(), 1);
        assert!(sel.contains("a", "x") && sel.contains("a", "y"));
        assert!(!sel.contains("a", "z"));
        assert!(Selection::everything(
            &dbs,
            &PartsInfo::default(),
            &scope,
            Some(&["other".to_owned()]),
            None
        )
        .databases
        .is_empty());
    }

    #[test]
    fn selection_of_parts_follows_scope_and_the_lists_given() {
        use crate::{CacheInfo, LocalStorageInfo, OpfsInfo, Part};
        let parts = PartsInfo {
            local_storage: Some(LocalStorageInfo::default()),
            opfs: Some(OpfsInfo::default()),
            caches: Some(vec![
                CacheInfo {
                    name: "v1".into(),
                    ..CacheInfo::default()
                },
                CacheInfo {
                    name: "big".into(),
                    ..CacheInfo::default()
                },
            ]),
        };
        let dbs = vec![db("a", &["x"])];
        let scope = Scope {
            include: vec![],
            exclude: vec!["@caches/big".into()],
        };
        let all = Selection::everything(&dbs, &parts, &scope, None, None);
        assert!(all.parts.local_storage && all.parts.opfs);
        assert_eq!(all.parts.caches, ["v1"]);
        // A list of databases alone names no part.
        let dbs_only = Selection::everything(&dbs, &parts, &scope, Some(&["a".into()]), None);
        assert!(dbs_only.parts.is_empty() && !dbs_only.is_empty());
        let opfs = Selection::everything(&dbs, &parts, &scope, Some(&[]), Some(&[Part::Opfs]));
        assert!(opfs.parts.opfs && !opfs.parts.local_storage && opfs.databases.is_empty());
        // An embedding that includes its database only gets no part.
        let app = Scope {
            include: vec!["a".into()],
            exclude: vec![],
        };
        assert!(Selection::everything(&dbs, &parts, &app, None, None)
            .parts
            .is_empty());
    }
}
