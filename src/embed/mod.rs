//! # Embedding Coffer in another app
//!
//! Backup Management as a building block (issue #4, `docs/embed.md`):
//!
//! - **Web component** – the artifact built by `scripts/build-embed.sh`
//!   (`dist-embed/coffer-backup.js`, its wasm and the worker) defines
//!   `<coffer-backup>`: the whole UI in its own Shadow DOM, configured by
//!   attributes, with `backup()`, `restore()`, `inspect()`, `exportKey()`,
//!   `replaceKey()`, `keyId` and `coffer-*` DOM events. The JavaScript half
//!   lives in `src/embed/js/`; the Rust half is [`element`].
//! - **Leptos** – [`BackupManagement`] with a [`BackupConfig`] mounts the
//!   same thing in one line.
//! - **Store API** – [`EncryptedStore`] (Rust) and `openStore()` (JS) keep
//!   a host app's secrets in Coffer-encrypted stores.
//! - **Programmatic operations** – [`api`] (used by both).

pub mod config;
pub mod style;

#[cfg(target_arch = "wasm32")]
pub mod api;
#[cfg(target_arch = "wasm32")]
mod component;
#[cfg(target_arch = "wasm32")]
pub mod element;
#[cfg(target_arch = "wasm32")]
mod store;

#[cfg(target_arch = "wasm32")]
pub use component::BackupManagement;
pub use config::{BackupConfig, Theme};
#[cfg(target_arch = "wasm32")]
pub use element::{mount_in_shadow, Embedded};
#[cfg(target_arch = "wasm32")]
pub use store::EncryptedStore;
