//! Reading the parts beyond IndexedDB (FORMAT.md §3.5, §7.2 steps 16–18):
//! the localStorage items, OPFS files and cached response bodies, each
//! entry checked against its size, CRC-32 and hash as it streams out.

use std::io::{self, Read, Seek, Write};

use super::{read_entry, BackupReader};
use crate::codec::items::decode_items;
use crate::error::{Error, Result};
use crate::format::parts::{PartEntry, LOCAL_STORAGE_ENTRY};
use crate::model::JsString;
use crate::progress::Progress;

/// What a verified backup holds beyond IndexedDB.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartsReport {
    /// localStorage items (`None`: the backup holds no localStorage).
    pub local_storage_items: Option<u64>,
    /// OPFS files (`None`: the backup holds no OPFS tree).
    pub opfs_files: Option<u64>,
    /// OPFS directories.
    pub opfs_directories: u64,
    /// Cached responses (`None`: the backup holds no Cache Storage).
    pub cache_entries: Option<u64>,
    /// Caches.
    pub caches: u64,
    /// Cached responses that were not backed up (opaque).
    pub skipped_responses: u64,
}

impl<R: Read + Seek> BackupReader<R> {
    /// Streams a part's entry into `out`, checking its size, CRC-32 and
    /// hash. On error, what was written must be discarded.
    fn copy_part_entry(&mut self, which: PartEntry, out: &mut dyn Write) -> Result<u64> {
        let (size, hash) = self
            .manifest
            .part_entries()
            .into_iter()
            .find(|(n, _, _)| *n == which)
            .map(|(_, size, hash)| (size, hash.to_owned()))
            .ok_or_else(|| Error::Misuse(format!("the backup has no entry {}", which.to_name())))?;
        let name = which.to_name();
        let i = self
            .index
            .get(&name)
            .copied()
            .ok_or_else(|| Error::MissingEntry(name.clone()))?;
        let e = self.zip.entries[i].clone();
        debug_assert_eq!(e.size, size);
        read_entry(&mut self.inner, &e, &name, Some(&hash), out)
    }

    /// The localStorage items of the backup, verified (FORMAT.md §3.5.1),
    /// in the entry's order; `None` if the backup holds no localStorage.
    pub fn local_storage(&mut self) -> Result<Option<Vec<(JsString, JsString)>>> {
        let Some(ls) = self.manifest.local_storage().cloned() else {
            return Ok(None);
        };
        let mut bytes = Vec::with_capacity(ls.size.min(64 << 20) as usize);
        self.copy_part_entry(PartEntry::LocalStorage, &mut bytes)?;
        let items =
            decode_items(&bytes, self.limits.max_value_memory).map_err(|e| match e.limit() {
                Some(l) => Error::limit(
                    format!("{} in {LOCAL_STORAGE_ENTRY:?}", l.what),
                    l.limit,
                    l.actual,
                ),
                None => Error::corrupt(LOCAL_STORAGE_ENTRY, e.to_string()),
            })?;
        if items.len() as u64 != ls.items {
            return Err(Error::RecordCountMismatch {
                store: "localStorage".into(),
                expected: ls.items,
                actual: items.len() as u64,
            });
        }
        Ok(Some(items))
    }

    /// Streams OPFS file `index` (of the manifest's `opfs.files`) into
    /// `out`, verified as it goes; on error, what was written must be
    /// discarded.
    pub fn copy_opfs_file(&mut self, index: usize, out: &mut dyn Write) -> Result<u64> {
        let index = u32::try_from(index).map_err(|_| Error::Misuse("no such file".into()))?;
        self.copy_part_entry(PartEntry::OpfsFile(index), out)
    }

    /// Streams the body of entry `entry` of cache `cache` into `out`,
    /// verified as it goes; on error, what was written must be discarded.
    pub fn copy_cache_body(
        &mut self,
        cache: usize,
        entry: usize,
        out: &mut dyn Write,
    ) -> Result<u64> {
        let c = u32::try_from(cache).map_err(|_| Error::Misuse("no such cache".into()))?;
        let e = u32::try_from(entry).map_err(|_| Error::Misuse("no such entry".into()))?;
        self.copy_part_entry(PartEntry::CacheBody(c, e), out)
    }

    /// Reads and checks every entry of the parts (FORMAT.md §7.2 steps
    /// 16–18), counting their bytes into `p`.
    pub(super) fn verify_parts(
        &mut self,
        p: &mut Progress,
        progress: &mut dyn FnMut(Progress) -> Result<()>,
    ) -> Result<PartsReport> {
        let mut report = PartsReport::default();
        if let Some(items) = self.local_storage()? {
            report.local_storage_items = Some(items.len() as u64);
            p.done_bytes += self.manifest.local_storage().map_or(0, |l| l.size);
            progress(*p)?;
        }
        let (files, dirs) = self
            .manifest
            .opfs()
            .map(|o| {
                (
                    o.files.iter().map(|f| f.size).collect::<Vec<_>>(),
                    o.directories.len(),
                )
            })
            .unzip();
        if let Some(files) = files {
            report.opfs_files = Some(files.len() as u64);
            report.opfs_directories = dirs.unwrap_or(0) as u64;
            for (i, size) in files.iter().enumerate() {
                self.copy_opfs_file(i, &mut io::sink())?;
                p.done_bytes += size;
                progress(*p)?;
            }
        }
        if self.manifest.json().caches.is_some() {
            let caches: Vec<Vec<u64>> = self
                .manifest
                .caches()
                .iter()
                .map(|c| c.entries.iter().map(|e| e.size).collect())
                .collect();
            report.caches = caches.len() as u64;
            report.skipped_responses = self
                .manifest
                .caches()
                .iter()
                .map(|c| c.skipped.len() as u64)
                .sum();
            let mut n = 0;
            for (c, sizes) in caches.iter().enumerate() {
                for (e, size) in sizes.iter().enumerate() {
                    self.copy_cache_body(c, e, &mut io::sink())?;
                    p.done_bytes += size;
                    n += 1;
                    progress(*p)?;
                }
            }
            report.cache_entries = Some(n);
        }
        Ok(report)
    }
}
