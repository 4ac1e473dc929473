//! # coffer-worker: everything that runs in Coffer's engine worker
//!
//! The page never touches the engine: it posts typed requests
//! ([`coffer_protocol`]) to a dedicated Web Worker built from this crate
//! (`src/main.rs`), which does the heavy work off the UI thread and posts
//! progress, wait reasons and typed outcomes back.
//!
//! - [`dispatch`]: the message loop. Each request runs as its own task;
//!   backup, restore and key replacement hold the origin-wide Web Lock
//!   ([`lock`]), so tabs never overlap. Cancelling is done by the page
//!   terminating the worker: every write happens in a transaction that
//!   then aborts, and the lock is released with the worker.
//! - [`backup`] (IndexedDB → `coffer_engine::BackupWriter` → Blob),
//!   [`restore`] (File → `coffer_engine::BackupReader` → IndexedDB),
//!   [`overview`] (the census of databases and stores), [`keys`] (master
//!   key, export, replacement), [`registry`] (the encrypted stores, and a
//!   restore's journal), [`meta`] (Coffer's own database), [`parts`]
//!   (localStorage, the origin private file system and Cache Storage),
//!   [`stores`] (the
//!   encrypted-store API), [`sample`] (the demo database), [`measure`].
//! - [`browser`]: the adapters to browser APIs: IndexedDB, structured-clone
//!   conversion, Blob I/O and the JavaScript page encoder.
//! - [`history`]: the audit log; [`auto`]: automatic backups into a
//!   folder.
//! - [`report`] posts events; [`timing`] and [`tabs`] are small helpers;
//!   [`generator`] and [`generators`] handle key generators.
//!
//! See `docs/app.md` for the architecture and the worker protocol.

#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod auto;
pub mod backup;
pub mod browser;
pub mod destinations;
pub mod dispatch;
pub mod error;
pub mod generator;
pub mod generators;
pub mod history;
pub mod keys;
pub mod lock;
pub mod measure;
pub mod meta;
pub mod overview;
pub mod parts;
pub mod registry;
pub mod remote;
pub mod report;
pub mod restore;
pub mod sample;
pub mod stores;
pub mod tabs;
pub mod timing;

pub use dispatch::run;
pub use report::{progress_info, Reporter};
