//! Entry names (FORMAT.md §3.2). Names are built only from indices, never
//! from user-controlled database or store names, and a reader accepts only
//! names in exactly these forms, so no name can point outside the archive.

/// The manifest entry; always the first entry of the archive.
pub const MANIFEST: &str = "manifest.json";
/// The manifest MAC entry; the second entry when present.
pub const MANIFEST_MAC: &str = "manifest.mac";

/// The kind of a data entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    /// A part of a store's records.
    Records,
    /// A large binary body referenced from a record.
    Blob,
}

/// A parsed data-entry name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryName {
    /// Database index.
    pub database: u32,
    /// Store index within the database.
    pub store: u32,
    /// Records part or blob.
    pub kind: EntryKind,
    /// Part or blob index within the store.
    pub index: u32,
}

impl EntryName {
    /// The canonical name string.
    pub fn to_name(&self) -> String {
        let kind = match self.kind {
            EntryKind::Records => "records",
            EntryKind::Blob => "blobs",
        };
        format!(
            "databases/{}/stores/{}/{}/{:06}.bin",
            self.database, self.store, kind, self.index
        )
    }

    /// Parses a name, accepting only the exact canonical form.
    pub fn parse(name: &str) -> Option<EntryName> {
        let mut parts = name.split('/');
        if parts.next()? != "databases" {
            return None;
        }
        let database = index(parts.next()?)?;
        if parts.next()? != "stores" {
            return None;
        }
        let store = index(parts.next()?)?;
        let kind = match parts.next()? {
            "records" => EntryKind::Records,
            "blobs" => EntryKind::Blob,
            _ => return None,
        };
        let file = parts.next()?.strip_suffix(".bin")?;
        if parts.next().is_some() || file.len() < 6 || !file.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let idx: u32 = file.parse().ok()?;
        let parsed = EntryName {
            database,
            store,
            kind,
            index: idx,
        };
        (parsed.to_name() == name).then_some(parsed)
    }
}

fn index(s: &str) -> Option<u32> {
    if s.is_empty() || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let n = EntryName {
            database: 2,
            store: 10,
            kind: EntryKind::Blob,
            index: 7,
        };
        assert_eq!(n.to_name(), "databases/2/stores/10/blobs/000007.bin");
        assert_eq!(EntryName::parse(&n.to_name()), Some(n));
    }

    #[test]
    fn rejects_tricks() {
        for bad in [
            "/databases/0/stores/0/records/000000.bin",
            "databases/0/stores/0/records/../../../etc/passwd",
            "databases/00/stores/0/records/000000.bin",
            "databases/0/stores/0/records/0.bin",
            "databases/0/stores/0/records/000000.bin\0",
            "databases/0/stores/0/records/000000.bin/x",
            "databases\\0\\stores\\0\\records\\000000.bin",
            "databases/-1/stores/0/records/000000.bin",
            "databases/0/stores/0/other/000000.bin",
            "",
        ] {
            assert_eq!(EntryName::parse(bad), None, "{bad:?}");
        }
    }
}
