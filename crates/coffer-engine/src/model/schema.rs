//! Database and object-store schemas as IndexedDB defines them.

use serde::{Deserialize, Serialize};

/// An IndexedDB key path: one property path or a compound (array) path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyPath {
    /// A single dotted property path such as `"id"` or `"a.b"` (may be empty).
    Single(String),
    /// A compound key path such as `["last", "first"]`.
    Compound(Vec<String>),
}

/// An index of an object store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexSchema {
    /// The index name.
    pub name: String,
    /// The index key path.
    pub key_path: KeyPath,
    /// Whether the index enforces unique keys.
    pub unique: bool,
    /// Whether array values add one index entry per element.
    pub multi_entry: bool,
}

/// An object store: its schema, minus records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSchema {
    /// The store name.
    pub name: String,
    /// In-line key path, or `None` for out-of-line keys.
    pub key_path: Option<KeyPath>,
    /// Whether the store has a key generator.
    pub auto_increment: bool,
    /// The key generator's current number (the next generated key is this
    /// plus one), when the store has a key generator.
    pub key_generator: Option<u64>,
    /// The store's indexes, in the order the backup lists them.
    pub indexes: Vec<IndexSchema>,
    /// Whether every value is a sealed envelope under the master key.
    pub encrypted: bool,
}

/// A database and its object stores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSchema {
    /// The database name.
    pub name: String,
    /// The database version (IndexedDB versions are positive integers).
    pub version: u64,
    /// The object stores.
    pub stores: Vec<StoreSchema>,
}

impl StoreSchema {
    /// A plain store with out-of-line keys, no generator, no indexes.
    pub fn new(name: impl Into<String>) -> Self {
        StoreSchema {
            name: name.into(),
            key_path: None,
            auto_increment: false,
            key_generator: None,
            indexes: Vec::new(),
            encrypted: false,
        }
    }
}
