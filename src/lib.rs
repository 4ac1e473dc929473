//! # coffer-app: Backup Management in the browser
//!
//! A Leptos (CSR) page that backs up and restores the IndexedDB data of its
//! origin and manages the master key of its encrypted stores, entirely
//! client-side. How the pieces fit:
//!
//! - [`ui`] renders the page ([`ui::BackupManagement`]) and only relays: it
//!   talks to the engine worker through [`client::EngineClient`].
//! - [`worker`] runs in a dedicated Web Worker (Trunk builds `src/bin/worker.rs`):
//!   it reads and writes IndexedDB ([`idb`]), converts values ([`convert`])
//!   and drives `coffer-engine` (backup writer/reader, sealing, key files)
//!   with Blob-backed I/O ([`blobio`]).
//! - [`protocol`] is the typed, versioned message set both sides share;
//!   [`state`] holds UI logic as plain testable structs; [`strings`] every
//!   sentence shown.
//!
//! See `docs/app.md` for the architecture, the worker protocol and the
//! key-generator approach.

#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod generator;
// Embedding (issue #4): web component, JS/Rust API, Leptos component.
pub mod embed;

pub mod protocol;
pub mod state;
pub mod strings;

#[cfg(target_arch = "wasm32")]
pub mod blobio;
#[cfg(target_arch = "wasm32")]
pub mod client;
#[cfg(target_arch = "wasm32")]
pub mod convert;
#[cfg(target_arch = "wasm32")]
pub mod error;
#[cfg(target_arch = "wasm32")]
pub mod idb;
#[cfg(target_arch = "wasm32")]
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod worker;

#[cfg(target_arch = "wasm32")]
pub use ui::BackupManagement;

/// Mounts the Backup Management page into `<body>` and installs the
/// `window.coffer` store API.
#[cfg(target_arch = "wasm32")]
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(ui::App);
}
