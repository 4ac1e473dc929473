//! # coffer-embed: Coffer's Backup Management as a building block
//!
//! (`docs/embed.md`)
//!
//! - **Web component**: the artifact built by `scripts/build-embed.sh`
//!   (`dist-embed/coffer-backup.js`, its wasm and the worker) defines
//!   `<coffer-backup>`: the whole UI in its own Shadow DOM, configured by
//!   attributes, with `backup()`, `restore()`, `inspect()`, `exportKey()`,
//!   `replaceKey()`, `keyId` and `coffer-*` DOM events. Its JavaScript half
//!   lives in `js/`; the Rust half is [`element`] and the binary's wasm
//!   exports (`src/js.rs`).
//! - **Leptos**: [`BackupManagement`] with a [`BackupConfig`] mounts the
//!   same thing in one line.
//! - **Store API**: [`EncryptedStore`] (Rust) and `openStore()` (JS) keep
//!   a host app's secrets in Coffer-encrypted stores.
//!
//! All of them go through the page's one typed client API,
//! `coffer_app::client::api`.

#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod component;
pub mod config;
pub mod element;
mod store;
pub mod style;

pub use component::BackupManagement;
pub use config::{BackupConfig, Theme};
pub use element::{mount_in_shadow, Embedded};
pub use store::EncryptedStore;
