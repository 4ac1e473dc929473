//! # coffer-app: the Backup Management page
//!
//! A Leptos (CSR) page that backs up and restores the local data of its
//! origin and manages the master key of its encrypted stores, entirely
//! client-side. This crate is the page's thread only: it depends on
//! [`coffer_protocol`], never on the engine, which runs in the worker
//! (`crates/coffer-worker`). How the pieces fit:
//!
//! - [`ui`] renders the page ([`ui::BackupManagement`]); components only
//!   render and relay;
//! - [`client`] owns the engine worker ([`client::EngineClient`]) and is
//!   the one typed API everything on the page calls ([`client::api`]);
//! - [`state`] holds UI logic as plain testable structs;
//! - [`js_api`] installs `window.coffer` for the page's scripts.
//!
//! The embeddable `<coffer-backup>` element and the Leptos component for
//! host apps are `crates/coffer-embed`. See `docs/app.md`.

#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod client;
pub mod destform;
pub mod js_api;
pub mod schedule;
pub mod state;
pub mod ui;

pub use ui::BackupManagement;

/// Mounts the Backup Management page into `<body>` and installs the
/// `window.coffer` store API.
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(ui::App);
}
