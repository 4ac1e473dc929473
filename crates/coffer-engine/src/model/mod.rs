//! The engine's data model: what a backup holds, independent of any encoding.
//!
//! Databases ([`DatabaseSchema`]) contain object stores ([`StoreSchema`]) whose
//! records are pairs of an IndexedDB [`Key`] and a structured-clone [`Value`].

mod bigint;
mod key;
mod schema;
mod string;
mod value;

pub use bigint::BigInt;
pub use key::Key;
pub use schema::{DatabaseSchema, IndexSchema, KeyPath, StoreSchema};
pub use string::JsString;
pub use value::{Binary, BlobRef, Value, ViewBuffer, ViewKind};
