//! # coffer-engine
//!
//! The pure-Rust core of Coffer: it writes and reads Coffer backups, seals
//! and opens encrypted-store records, and reads and writes master-key files.
//! It has no browser dependencies and builds for native targets and
//! `wasm32-unknown-unknown` alike; the browser app, the `coffer` CLI and any
//! future reader share it. The byte-level contract is `FORMAT.md`.
//!
//! How the pieces fit:
//! - [`model`] is what a backup holds: database and store schemas, IndexedDB
//!   [`Key`]s and structured-clone [`Value`]s.
//! - [`codec`] turns keys and values into bytes and back.
//! - [`BackupWriter`] streams databases into a ZIP archive whose first entry
//!   is the manifest; [`BackupReader`] opens one, validates all of it in the
//!   order of FORMAT.md §7 (the `zip` crate reads the archive's directory,
//!   [`format::zip`] checks Coffer's strict profile on top of it) and
//!   streams records back out, a store at a time with
//!   [`BackupReader::next_part`]. [`BackupReader::authenticate`] says whether
//!   a backup is [`Authentication::Verified`] by its MAC or unauthenticated.
//! - Every size and count a file declares is held to [`Limits`]; decoders
//!   charge what they build to a memory budget, so memory follows the bytes
//!   read, never the counts declared.
//! - [`envelope`] seals values of encrypted stores under the [`MasterKey`];
//!   [`keyfile`] exports and imports that key.
//! - [`locked`] wraps a whole backup in passphrase or master-key encryption;
//!   [`locked::identify`] and [`BackupReader::locked`] say whether a file is
//!   locked, so callers never sniff its bytes themselves.
//!
//! ```
//! use coffer_engine::{BackupWriter, BackupReader, WriteOptions, Limits, MemorySpool};
//! use coffer_engine::model::{DatabaseSchema, StoreSchema, Key, Value};
//!
//! let mut w = BackupWriter::new(WriteOptions::new(time::OffsetDateTime::UNIX_EPOCH), MemorySpool::default());
//! let db = w.add_database(DatabaseSchema {
//!     name: "notes".into(), version: 1, stores: vec![StoreSchema::new("notes")],
//! })?;
//! w.add_record(db, 0, &Key::from("n1"), Value::string("hello"))?;
//! let (zip, _) = w.finish(Vec::new())?;
//!
//! let mut r = BackupReader::open(std::io::Cursor::new(zip), Limits::default())?;
//! let report = r.verify(None, &mut |_| Ok(()))?;
//! assert_eq!(report.records, 1);
//! # Ok::<(), coffer_engine::Error>(())
//! ```

#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod codec;
pub mod envelope;
mod error;
pub mod export;
pub mod format;
pub mod keyfile;
mod keys;
mod limits;
pub mod locked;
pub mod model;
pub mod primitives;
mod progress;
mod reader;
mod spool;
mod writer;

pub use error::{Error, Result};
pub use keys::{KeyId, MasterKey, KEY_ID_LEN, KEY_LEN};
pub use limits::Limits;
pub use model::{Key, Value};
pub use progress::Progress;
pub use reader::{
    Authentication, BackupReader, PartsReport, Record, RecordValue, StoreScan, Unauthenticated,
    VerifyReport,
};
pub use spool::FileSpool;
pub use spool::{MemorySpool, Spool};
pub use writer::{BackupSummary, BackupWriter, CacheEntryMeta, PartsSummary, WriteOptions};

/// This crate's version, written into every manifest.
pub const COFFER_VERSION: &str = env!("CARGO_PKG_VERSION");
