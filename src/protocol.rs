//! The messages between the UI thread and the engine worker.
//!
//! Every message is one JavaScript object `{ msg, file?, key?, value? }`:
//! `msg` is the JSON of a [`ToWorker`] or [`FromWorker`] (typed, versioned,
//! with a request id), and the optional fields carry what JSON cannot: a
//! `File`/`Blob` (backup input or output, key file download) and, for the
//! store API, a structured-clone key and value. Nothing else travels.
//!
//! The worker posts [`Event::Ready`] once its wasm has loaded; the client
//! queues requests until then.

use serde::{Deserialize, Serialize};

/// Version of this protocol; both sides must agree.
pub const PROTOCOL_VERSION: u32 = 1;

/// Name of Coffer's own IndexedDB database (master key, encrypted-store
/// registry). It is never part of a backup.
pub const META_DB: &str = "coffer-meta";

/// Name of the Web Lock that serializes backup, restore and key
/// replacement across the tabs of an origin.
pub const LOCK_NAME: &str = "coffer-exclusive";

/// Name of the BroadcastChannel on which tabs hear about key changes and
/// restores.
pub const CHANNEL_NAME: &str = "coffer";

/// A request from the UI to the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToWorker {
    /// [`PROTOCOL_VERSION`].
    pub v: u32,
    /// Request id, echoed in every event about this request.
    pub id: u32,
    /// What to do.
    pub req: Request,
}

/// An event from the worker to the UI.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FromWorker {
    /// [`PROTOCOL_VERSION`].
    pub v: u32,
    /// The request this is about (0 for unsolicited events).
    pub id: u32,
    /// What happened.
    pub ev: Event,
}

/// Which stores of which databases an operation covers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// Selected databases, each with its selected stores.
    pub databases: Vec<SelectedDb>,
}

/// One selected database.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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

    /// The stores selected in `db`, if the database is selected at all.
    pub fn stores_of(&self, db: &str) -> Option<&[String]> {
        self.databases
            .iter()
            .find(|d| d.name == db && !d.stores.is_empty())
            .map(|d| d.stores.as_slice())
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
pub struct KeyFileInput {
    /// The key file's contents.
    pub text: String,
    /// Its passphrase, if it has one.
    pub passphrase: Option<String>,
}

/// Requests. Those marked "file" carry a `File`/`Blob` in the `file` field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Request {
    /// List databases and stores with counts and sizes.
    Overview,
    /// Create a backup of `selection`; locked with `passphrase` if given.
    Backup {
        /// What to back up.
        selection: Selection,
        /// Whole-backup passphrase.
        passphrase: Option<String>,
        /// `Date.now()` of the UI, the backup's creation time.
        now_ms: f64,
        /// The UI will download the file: the worker sends an object URL
        /// with it.
        #[serde(default)]
        download: bool,
    },
    /// (file) Validate a backup completely and describe it.
    Inspect {
        /// Passphrase of a locked backup.
        passphrase: Option<String>,
        /// The key file for encrypted stores sealed under another key.
        key_file: Option<KeyFileInput>,
    },
    /// (file) Restore `selection` from a backup.
    Restore {
        /// What to restore.
        selection: Selection,
        /// Passphrase of a locked backup.
        passphrase: Option<String>,
        /// The key file for encrypted stores sealed under another key.
        key_file: Option<KeyFileInput>,
    },
    /// Export the master key as a key file.
    ExportKey {
        /// Protect the file with this passphrase.
        passphrase: Option<String>,
        /// The UI will download the file: the worker sends an object URL
        /// with it.
        #[serde(default)]
        download: bool,
    },
    /// Replace the master key, re-sealing every encrypted store.
    ReplaceKey {
        /// The new key.
        source: KeySource,
        /// `Date.now()` of the UI, the new key's creation time.
        now_ms: f64,
    },
    /// Create the demo database.
    LoadSample {
        /// `Date.now()` of the UI.
        now_ms: f64,
    },
    /// Delete databases (the "wipe" of the e2e tests and the overview).
    DeleteDatabases {
        /// Their names.
        names: Vec<String>,
    },
    /// Store API: create (if needed) and register an encrypted store.
    StoreCreate {
        /// Database name.
        db: String,
        /// Store name.
        store: String,
    },
    /// Store API: seal and put the `value` under `key` (both attached).
    StorePut {
        /// Database name.
        db: String,
        /// Store name.
        store: String,
    },
    /// Store API: get and open the value under `key` (attached).
    StoreGet {
        /// Database name.
        db: String,
        /// Store name.
        store: String,
    },
    /// Store API: delete the record under `key` (attached).
    StoreDelete {
        /// Database name.
        db: String,
        /// Store name.
        store: String,
    },
    /// Store API: list the keys of an encrypted store.
    StoreList {
        /// Database name.
        db: String,
        /// Store name.
        store: String,
    },
    /// Benchmark: time the engine's sealing in this worker on `mib` MiB of
    /// random data under a throw-away key (the page's `coffer.measure()`).
    Measure {
        /// Data per figure, in MiB.
        mib: u32,
    },
}

/// One timed engine operation ([`Request::Measure`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// Progress of a long operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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

/// What a validated backup holds and how it relates to this origin.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// How an operation ended successfully.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Outcome {
    /// The overview.
    Overview {
        /// Databases of the origin.
        databases: Vec<DbInfo>,
        /// The current master key's id, if one exists.
        key_id: Option<String>,
    },
    /// Engine timings ([`Request::Measure`]).
    Measured {
        /// The figures.
        timings: Vec<Timing>,
    },
    /// A backup (the Blob is attached as `file`).
    Backup {
        /// Suggested file name.
        file_name: String,
        /// Records written.
        records: u64,
        /// Size of the file in bytes.
        bytes: u64,
    },
    /// A validated backup.
    Preview(Preview),
    /// A finished restore.
    Restored {
        /// Databases restored.
        databases: u64,
        /// Stores restored.
        stores: u64,
        /// Records restored.
        records: u64,
        /// Records re-sealed to the current key.
        resealed: u64,
    },
    /// An exported key file (attached as `file`).
    KeyExported {
        /// Suggested file name.
        file_name: String,
        /// The key id.
        key_id: String,
    },
    /// A replaced key.
    KeyReplaced {
        /// The old key id.
        old_key_id: Option<String>,
        /// The new key id.
        new_key_id: String,
        /// Records re-sealed.
        resealed: u64,
    },
    /// Sample data loaded.
    SampleLoaded {
        /// Records created.
        records: u64,
    },
    /// Done, nothing to report (delete, store put/delete/create).
    Ok,
    /// A store API result value (attached as `value`).
    Value {
        /// Whether a record was found.
        found: bool,
    },
    /// A store API key list (attached as `value`, an array).
    Keys {
        /// Number of keys.
        count: u64,
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
    Waiting {
        /// A sentence saying what for.
        message: String,
    },
    /// Request `id` succeeded.
    Done(Outcome),
    /// Request `id` failed; nothing was written unless the message says so.
    Failed {
        /// Machine-readable code (the engine's codes plus app codes).
        code: String,
        /// A human-readable sentence.
        message: String,
    },
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
            "protocol version {} (this app speaks {PROTOCOL_VERSION})",
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

    #[test]
    fn requests_round_trip() {
        let reqs = vec![
            Request::Overview,
            Request::Backup {
                selection: Selection {
                    databases: vec![SelectedDb {
                        name: "a".into(),
                        stores: vec!["s".into()],
                    }],
                },
                passphrase: Some("pw".into()),
                now_ms: 1.5e12,
                download: true,
            },
            Request::ReplaceKey {
                source: KeySource::Import {
                    text: "{}".into(),
                    passphrase: None,
                },
                now_ms: 0.0,
            },
            Request::StorePut {
                db: "d".into(),
                store: "s".into(),
            },
            Request::Measure { mib: 4 },
        ];
        for (i, r) in reqs.into_iter().enumerate() {
            let m = ToWorker::new(i as u32, r);
            assert_eq!(decode_request(&encode(&m)), Ok(m));
        }
    }

    #[test]
    fn events_round_trip_and_versions_are_checked() {
        let m = FromWorker::new(
            3,
            Event::Done(Outcome::Restored {
                databases: 1,
                stores: 2,
                records: 3,
                resealed: 0,
            }),
        );
        assert_eq!(decode_event(&encode(&m)), Ok(m.clone()));
        let mut old = m;
        old.v = 99;
        assert!(decode_event(&encode(&old)).is_err());
        assert!(decode_event("nonsense").is_err());
    }

    #[test]
    fn selection_lookup() {
        let s = Selection {
            databases: vec![SelectedDb {
                name: "a".into(),
                stores: vec!["x".into()],
            }],
        };
        assert!(s.contains("a", "x"));
        assert!(!s.contains("a", "y"));
        assert_eq!(s.stores_of("a").map(|s| s.len()), Some(1));
        assert_eq!(s.stores_of("b"), None);
    }
}
