//! The manifest (FORMAT.md §3.3): a JSON document, the archive's first
//! entry, describing every database, store and entry with sizes and hashes.
//!
//! [`ManifestJson`] is the raw document; [`Manifest::validate`] validates
//! it (versions, names, counts, sizes, limits) so code holding a
//! [`Manifest`] can trust its internal consistency.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::names::{EntryKind, EntryName};
use super::parts::{self, CacheManifest, LocalStorageManifest, OpfsManifest, PartEntry};
use crate::error::{Error, Result};
use crate::keys::KeyId;
use crate::limits::Limits;
use crate::model::{DatabaseSchema, KeyPath, StoreSchema};

/// The `format` field.
pub const FORMAT_NAME: &str = "coffer-backup";
/// The newest format version this build writes and reads. It reads every
/// version from 1 on; it writes 2 only for backups whose values need it
/// (views with their buffers, FORMAT.md §9; localStorage, the origin
/// private file system or Cache Storage, §3.5), and 1 otherwise.
pub const FORMAT_VERSION: u64 = 2;
/// The hash algorithm name in the `hash` field.
pub const HASH_NAME: &str = "blake3";

/// One entry's size and hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryInfo {
    /// The entry name.
    pub entry: String,
    /// Uncompressed size in bytes.
    pub size: u64,
    /// BLAKE3-256 of the uncompressed bytes, 64 lowercase hex digits.
    pub blake3: String,
    /// Records in this part (records parts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<u64>,
}

/// A store in the manifest: schema plus contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreManifest {
    /// The schema.
    pub schema: StoreSchema,
    /// Total records.
    pub records: u64,
    /// Records parts, in order.
    pub parts: Vec<EntryInfo>,
    /// Blob entries, in index order.
    pub blobs: Vec<EntryInfo>,
}

/// A database in the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseManifest {
    /// Database name.
    pub name: String,
    /// Database version.
    pub version: u64,
    /// Stores, in backup order.
    pub stores: Vec<StoreManifest>,
}

impl DatabaseManifest {
    /// The database's schema without contents.
    pub fn schema(&self) -> DatabaseSchema {
        DatabaseSchema {
            name: self.name.clone(),
            version: self.version,
            stores: self.stores.iter().map(|s| s.schema.clone()).collect(),
        }
    }
}

/// The raw manifest document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestJson {
    /// Always `"coffer-backup"`.
    pub format: String,
    /// Format version (1).
    pub format_version: u64,
    /// The Coffer version that wrote the backup.
    pub coffer_version: String,
    /// Creation time, RFC 3339.
    pub created: String,
    /// Id of the master key the encrypted stores are sealed under.
    pub key_id: Option<KeyId>,
    /// The entry hash algorithm (`"blake3"`).
    pub hash: String,
    /// The databases.
    pub databases: Vec<DatabaseManifest>,
    /// The origin's localStorage (version 2).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub local_storage: Option<LocalStorageManifest>,
    /// The origin private file system (version 2).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub opfs: Option<OpfsManifest>,
    /// Cache Storage (version 2).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub caches: Option<Vec<CacheManifest>>,
}

/// A member that is either absent (`None`, by `default`) or holds a value:
/// unlike `key_id`, the parts' members cannot be `null` (FORMAT.md §3.3).
fn present<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

impl ManifestJson {
    /// Whether the manifest has any part beyond IndexedDB (and so needs
    /// format version 2).
    pub fn has_parts(&self) -> bool {
        self.local_storage.is_some() || self.opfs.is_some() || self.caches.is_some()
    }
}

/// A validated manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest(ManifestJson);

impl Manifest {
    /// The document.
    pub fn json(&self) -> &ManifestJson {
        &self.0
    }

    /// The databases.
    pub fn databases(&self) -> &[DatabaseManifest] {
        &self.0.databases
    }

    /// Whether any store is encrypted.
    pub fn has_encrypted_stores(&self) -> bool {
        self.0
            .databases
            .iter()
            .any(|d| d.stores.iter().any(|s| s.schema.encrypted))
    }

    /// Every data entry name with its info and parsed name, in archive order.
    pub fn entries(&self) -> Vec<(EntryName, &EntryInfo)> {
        let mut out = Vec::new();
        for (d, db) in self.0.databases.iter().enumerate() {
            for (s, st) in db.stores.iter().enumerate() {
                for (kind, list) in [
                    (EntryKind::Records, &st.parts),
                    (EntryKind::Blob, &st.blobs),
                ] {
                    for (i, info) in list.iter().enumerate() {
                        out.push((
                            EntryName {
                                database: d as u32,
                                store: s as u32,
                                kind,
                                index: i as u32,
                            },
                            info,
                        ));
                    }
                }
            }
        }
        out
    }

    /// Every entry of the parts beyond IndexedDB (FORMAT.md §3.5) with its
    /// size and hash, in archive order: localStorage, OPFS files, cache
    /// bodies.
    pub fn part_entries(&self) -> Vec<(PartEntry, u64, &str)> {
        let j = &self.0;
        let mut out = Vec::new();
        if let Some(ls) = &j.local_storage {
            out.push((PartEntry::LocalStorage, ls.size, ls.blake3.as_str()));
        }
        if let Some(o) = &j.opfs {
            for (i, f) in o.files.iter().enumerate() {
                out.push((PartEntry::OpfsFile(i as u32), f.size, f.blake3.as_str()));
            }
        }
        for (c, cache) in j.caches.iter().flatten().enumerate() {
            for (i, e) in cache.entries.iter().enumerate() {
                out.push((
                    PartEntry::CacheBody(c as u32, i as u32),
                    e.size,
                    e.blake3.as_str(),
                ));
            }
        }
        out
    }

    /// The localStorage member, if the backup holds localStorage.
    pub fn local_storage(&self) -> Option<&LocalStorageManifest> {
        self.0.local_storage.as_ref()
    }

    /// The OPFS member, if the backup holds the origin private file system.
    pub fn opfs(&self) -> Option<&OpfsManifest> {
        self.0.opfs.as_ref()
    }

    /// The caches, if the backup holds Cache Storage (empty otherwise).
    pub fn caches(&self) -> &[CacheManifest] {
        self.0.caches.as_deref().unwrap_or_default()
    }

    /// Parses and validates manifest bytes.
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Manifest> {
        let [format, format_version] = super::probe::probe(bytes, ["format", "format_version"])
            .map_err(|e| Error::Manifest(format!("not a JSON object: {e}")))?;
        if format.as_ref().and_then(|f| f.as_str()) != Some(FORMAT_NAME) {
            return Err(Error::Manifest(format!(
                "the \"format\" field is not {FORMAT_NAME:?}"
            )));
        }
        match format_version.as_ref().and_then(|v| v.as_u64()) {
            Some(1..=FORMAT_VERSION) => {}
            Some(v) => {
                return Err(Error::UnsupportedVersion {
                    what: "backup format",
                    found: v,
                    supported: FORMAT_VERSION,
                })
            }
            None => {
                return Err(Error::Manifest(match &format_version {
                    None => "\"format_version\" is missing".into(),
                    Some(v) => format!("\"format_version\" is not an integer: {v}"),
                }))
            }
        }
        let json: ManifestJson =
            serde_json::from_slice(bytes).map_err(|e| Error::Manifest(e.to_string()))?;
        Manifest::validate(json, limits)
    }

    /// Validates a document.
    pub fn validate(json: ManifestJson, limits: &Limits) -> Result<Manifest> {
        let bad = |m: String| Err(Error::Manifest(m));
        if json.format != FORMAT_NAME {
            return bad(format!("the \"format\" field is not {FORMAT_NAME:?}"));
        }
        if !(1..=FORMAT_VERSION).contains(&json.format_version) {
            return Err(Error::UnsupportedVersion {
                what: "backup format",
                found: json.format_version,
                supported: FORMAT_VERSION,
            });
        }
        // Version 1 has no members beyond the databases: to a version 1
        // manifest they are unknown members (FORMAT.md §3.5, §9).
        if json.format_version == 1 && json.has_parts() {
            return bad(
                "format version 1 has no \"local_storage\", \"opfs\" or \"caches\" member".into(),
            );
        }
        if json.hash != HASH_NAME {
            return bad(format!("unsupported hash algorithm {:?}", json.hash));
        }
        if !super::time::is_rfc3339(&json.created) {
            return bad(format!(
                "\"created\" is not an RFC 3339 time: {:?}",
                json.created
            ));
        }
        let mut db_names = HashSet::new();
        let mut entries: u64 = 0;
        let mut total: u64 = 0;
        let mut any_encrypted = false;
        let count = |what: &str, limit: u64, actual: u64| {
            if actual > limit {
                Err(Error::limit(what, limit, actual))
            } else {
                Ok(())
            }
        };
        count(
            "number of databases",
            limits.max_databases,
            json.databases.len() as u64,
        )?;
        let stores: u64 = json.databases.iter().map(|d| d.stores.len() as u64).sum();
        count("number of stores", limits.max_stores, stores)?;
        let indexes: u64 = json
            .databases
            .iter()
            .flat_map(|d| &d.stores)
            .map(|s| s.schema.indexes.len() as u64)
            .sum();
        count("number of indexes", limits.max_indexes, indexes)?;
        for (d, db) in json.databases.iter().enumerate() {
            if !db_names.insert(db.name.as_str()) {
                return bad(format!("database {:?} appears twice", db.name));
            }
            if db.version == 0 {
                return bad(format!("database {:?} has version 0", db.name));
            }
            let mut store_names = HashSet::new();
            for (s, st) in db.stores.iter().enumerate() {
                let label = format!("{}/{}", db.name, st.schema.name);
                if !store_names.insert(st.schema.name.as_str()) {
                    return bad(format!("store {label:?} appears twice"));
                }
                check_store_schema(&label, &st.schema)?;
                any_encrypted |= st.schema.encrypted;
                if st.schema.encrypted && !st.blobs.is_empty() {
                    return bad(format!("encrypted store {label:?} lists blob entries"));
                }
                let mut part_records: u64 = 0;
                for (kind, list) in [
                    (EntryKind::Records, &st.parts),
                    (EntryKind::Blob, &st.blobs),
                ] {
                    for (i, info) in list.iter().enumerate() {
                        let expected = EntryName {
                            database: d as u32,
                            store: s as u32,
                            kind,
                            index: u32::try_from(i)
                                .map_err(|_| Error::Manifest("too many entries".into()))?,
                        }
                        .to_name();
                        if info.entry != expected {
                            return bad(format!(
                                "entry {:?} of {label:?} should be named {expected:?}",
                                info.entry
                            ));
                        }
                        if info.blake3.len() != 64
                            || !info
                                .blake3
                                .bytes()
                                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                        {
                            return bad(format!("entry {:?} has a malformed hash", info.entry));
                        }
                        match (kind, info.records) {
                            (EntryKind::Records, Some(0)) => {
                                return bad(format!(
                                    "records part {:?} holds no records (empty parts are never written)",
                                    info.entry
                                ))
                            }
                            (EntryKind::Records, Some(n)) => {
                                part_records = part_records.checked_add(n).ok_or_else(|| {
                                    Error::Manifest("record count overflows".into())
                                })?
                            }
                            (EntryKind::Records, None) => {
                                return bad(format!(
                                    "records part {:?} has no record count",
                                    info.entry
                                ))
                            }
                            (EntryKind::Blob, Some(_)) => {
                                return bad(format!("blob {:?} has a record count", info.entry))
                            }
                            (EntryKind::Blob, None) => {}
                        }
                        if info.size > limits.max_entry_size {
                            return Err(Error::limit(
                                format!("size of entry {:?}", info.entry),
                                limits.max_entry_size,
                                info.size,
                            ));
                        }
                        if kind == EntryKind::Records && info.size > limits.max_part_size {
                            return Err(Error::limit(
                                format!("size of records part {:?}", info.entry),
                                limits.max_part_size,
                                info.size,
                            ));
                        }
                        total = total.saturating_add(info.size);
                        entries += 1;
                    }
                }
                if part_records != st.records {
                    return bad(format!(
                        "store {label:?} claims {} records but its parts hold {part_records}",
                        st.records
                    ));
                }
            }
        }
        if entries.saturating_add(2) > limits.max_entries {
            return Err(Error::limit(
                "number of entries",
                limits.max_entries,
                entries + 2,
            ));
        }
        if total > limits.max_total_size {
            return Err(Error::limit(
                "total uncompressed size",
                limits.max_total_size,
                total,
            ));
        }
        if any_encrypted && json.key_id.is_none() {
            return bad("the backup has encrypted stores but no key id".into());
        }
        // The parts beyond IndexedDB (steps 6m to 6p), then the limits on
        // the whole backup again, with their entries counted.
        let mut tally = parts::Tally::default();
        if let Some(ls) = &json.local_storage {
            parts::validate_local_storage(ls, limits, &mut tally)?;
        }
        if let Some(o) = &json.opfs {
            parts::validate_opfs(o, limits, &mut tally)?;
        }
        if let Some(c) = &json.caches {
            parts::validate_caches(c, limits, &mut tally)?;
        }
        if tally.entries > 0 {
            let entries = entries.saturating_add(tally.entries).saturating_add(2);
            if entries > limits.max_entries {
                return Err(Error::limit(
                    "number of entries",
                    limits.max_entries,
                    entries,
                ));
            }
            let total = total.saturating_add(tally.total);
            if total > limits.max_total_size {
                return Err(Error::limit(
                    "total uncompressed size",
                    limits.max_total_size,
                    total,
                ));
            }
        }
        Ok(Manifest(json))
    }
}

fn check_key_path(label: &str, kp: &KeyPath, allow_empty: bool) -> Result<()> {
    let ok = match kp {
        KeyPath::Single(s) => allow_empty || !s.is_empty(),
        KeyPath::Compound(v) => !v.is_empty() && v.iter().all(|s| !s.is_empty()),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::Manifest(format!(
            "{label:?} has an invalid key path {kp:?}"
        )))
    }
}

fn check_store_schema(label: &str, s: &StoreSchema) -> Result<()> {
    if let Some(kp) = &s.key_path {
        check_key_path(label, kp, true)?;
        if s.auto_increment
            && (matches!(kp, KeyPath::Compound(_)) || kp == &KeyPath::Single(String::new()))
        {
            return Err(Error::Manifest(format!(
                "{label:?} cannot auto-increment with key path {kp:?}"
            )));
        }
    }
    if s.auto_increment != s.key_generator.is_some() {
        return Err(Error::Manifest(format!(
            "{label:?}: a key generator value belongs exactly to auto-increment stores"
        )));
    }
    if s.key_generator.is_some_and(|g| g > 1 << 53) {
        return Err(Error::Manifest(format!(
            "{label:?}: key generator beyond 2^53"
        )));
    }
    let mut names = HashSet::new();
    for ix in &s.indexes {
        if !names.insert(ix.name.as_str()) {
            return Err(Error::Manifest(format!(
                "{label:?} has index {:?} twice",
                ix.name
            )));
        }
        check_key_path(label, &ix.key_path, true)?;
        if ix.multi_entry && matches!(ix.key_path, KeyPath::Compound(_)) {
            return Err(Error::Manifest(format!(
                "{label:?}: multi-entry index {:?} cannot have a compound key path",
                ix.name
            )));
        }
    }
    Ok(())
}
