//! The parts of an origin's storage beyond IndexedDB: localStorage, the
//! origin private file system (OPFS) and Cache Storage. What a selection
//! names of them, and what the overview, a preview, a backup and a restore
//! say about them.
//!
//! In `include`/`exclude` (a [`crate::Scope`]) the parts have reserved
//! names: `@local-storage`, `@opfs`, `@caches` (every cache) and
//! `@caches/<name>` (one cache).

use serde::{Deserialize, Serialize};

/// A part of the origin's storage beyond IndexedDB.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    /// `localStorage` (read and written by the page: it exists only there).
    LocalStorage,
    /// The origin private file system, `navigator.storage.getDirectory()`.
    Opfs,
    /// Cache Storage, `caches`.
    Caches,
}

impl Part {
    /// Every part, in display order.
    pub const ALL: [Part; 3] = [Part::LocalStorage, Part::Opfs, Part::Caches];

    /// The part's reserved name in `include`/`exclude`.
    pub fn scope_name(self) -> &'static str {
        match self {
            Part::LocalStorage => "@local-storage",
            Part::Opfs => "@opfs",
            Part::Caches => "@caches",
        }
    }

    /// The part's name in events and hook details.
    pub fn as_str(self) -> &'static str {
        match self {
            Part::LocalStorage => "local-storage",
            Part::Opfs => "opfs",
            Part::Caches => "caches",
        }
    }
}

/// Which parts beyond IndexedDB an operation covers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SelectedParts {
    /// All of localStorage.
    #[serde(default)]
    pub local_storage: bool,
    /// The whole OPFS tree.
    #[serde(default)]
    pub opfs: bool,
    /// These caches of Cache Storage (by name).
    #[serde(default)]
    pub caches: Vec<String>,
}

impl SelectedParts {
    /// Whether no part is selected.
    pub fn is_empty(&self) -> bool {
        !self.local_storage && !self.opfs && self.caches.is_empty()
    }

    /// The parts selected (for hook details).
    pub fn parts(&self) -> Vec<Part> {
        let mut out = Vec::new();
        if self.local_storage {
            out.push(Part::LocalStorage);
        }
        if self.opfs {
            out.push(Part::Opfs);
        }
        if !self.caches.is_empty() {
            out.push(Part::Caches);
        }
        out
    }
}

/// A cached response that cannot be backed up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedInfo {
    /// The cache.
    pub cache: String,
    /// The request's URL.
    pub url: String,
    /// Why: `opaque` or `opaqueredirect`.
    pub reason: String,
}

/// localStorage in the overview, a preview or a backup.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalStorageInfo {
    /// Items.
    pub items: u64,
    /// Bytes (UTF-16 code units × 2 of keys and values, as browsers count
    /// their quota).
    pub bytes: u64,
}

/// The OPFS tree in the overview, a preview or a backup.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpfsInfo {
    /// Files.
    pub files: u64,
    /// Directories (the root not counted).
    pub directories: u64,
    /// Bytes of all files.
    pub bytes: u64,
}

/// One cache in the overview, a preview or a backup.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheInfo {
    /// The cache's name.
    pub name: String,
    /// Responses that are (or will be) backed up.
    pub entries: u64,
    /// Their bodies' bytes.
    pub bytes: u64,
    /// Responses that cannot be backed up (opaque ones), listed.
    pub skipped: Vec<SkippedInfo>,
    /// For a preview: whether a cache of that name exists now (and would
    /// be replaced).
    pub exists: bool,
}

/// The parts beyond IndexedDB, as far as they are present (and allowed by
/// the scope): `None` where a part is absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartsInfo {
    /// localStorage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_storage: Option<LocalStorageInfo>,
    /// The OPFS tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opfs: Option<OpfsInfo>,
    /// The caches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caches: Option<Vec<CacheInfo>>,
}

impl PartsInfo {
    /// Whether no part is present.
    pub fn is_empty(&self) -> bool {
        self.local_storage.is_none() && self.opfs.is_none() && self.caches.is_none()
    }

    /// Every part present, selected (every cache).
    pub fn everything(&self) -> SelectedParts {
        SelectedParts {
            local_storage: self.local_storage.is_some(),
            opfs: self.opfs.is_some(),
            caches: self
                .caches
                .iter()
                .flatten()
                .map(|c| c.name.clone())
                .collect(),
        }
    }

    /// Responses that cannot be (or were not) backed up.
    pub fn skipped(&self) -> Vec<&SkippedInfo> {
        self.caches
            .iter()
            .flatten()
            .flat_map(|c| &c.skipped)
            .collect()
    }

    /// Bytes of every part.
    pub fn bytes(&self) -> u64 {
        self.local_storage.map_or(0, |l| l.bytes)
            + self.opfs.as_ref().map_or(0, |o| o.bytes)
            + self.caches.iter().flatten().map(|c| c.bytes).sum::<u64>()
    }
}

/// What a restore wrote of the parts: `None` where a part was not restored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoredParts {
    /// localStorage items (set by the page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_storage: Option<u64>,
    /// OPFS files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opfs_files: Option<u64>,
    /// Cached responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_entries: Option<u64>,
}

impl RestoredParts {
    /// Whether no part was restored.
    pub fn is_empty(&self) -> bool {
        *self == RestoredParts::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_serialise_as_their_names() {
        for p in Part::ALL {
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.as_str())
            );
            assert_eq!(p.scope_name(), format!("@{}", p.as_str()));
        }
    }

    #[test]
    fn everything_present_is_selected() {
        let info = PartsInfo {
            local_storage: Some(LocalStorageInfo { items: 1, bytes: 4 }),
            opfs: None,
            caches: Some(vec![CacheInfo {
                name: "v1".into(),
                entries: 1,
                bytes: 10,
                skipped: vec![SkippedInfo::default()],
                exists: false,
            }]),
        };
        let s = info.everything();
        assert!(s.local_storage && !s.opfs && s.caches == ["v1"]);
        assert_eq!(s.parts(), [Part::LocalStorage, Part::Caches]);
        assert_eq!(info.bytes(), 14);
        assert_eq!(info.skipped().len(), 1);
        assert!(SelectedParts::default().is_empty());
    }
}
