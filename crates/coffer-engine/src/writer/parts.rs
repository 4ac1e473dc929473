//! Writing the parts beyond IndexedDB (FORMAT.md §3.5): localStorage, the
//! origin private file system and Cache Storage. File contents and
//! response bodies are streamed into the spool chunk by chunk, so none is
//! ever held whole in memory.

use std::collections::BTreeSet;
use std::io::Read;

use super::{BackupWriter, ClosedEntry, OpenEntry, CHUNK};
use crate::codec::items::{encode_items, sort_items};
use crate::error::{Error, Result};
use crate::format::parts::{
    self, check_opfs_path, CacheEntry, CacheManifest, Header, LocalStorageManifest, OpfsFile,
    OpfsManifest, PartEntry, SkippedResponse,
};
use crate::model::JsString;
use crate::spool::Spool;

/// What a cached request and its response are, besides the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheEntryMeta {
    /// The request's URL.
    pub url: String,
    /// The request's method.
    pub method: String,
    /// The request's headers.
    pub request_headers: Vec<Header>,
    /// The response's status.
    pub status: u16,
    /// The response's status text.
    pub status_text: String,
    /// The response's headers.
    pub response_headers: Vec<Header>,
}

struct CacheState {
    name: String,
    entries: Vec<(CacheEntryMeta, ClosedEntry)>,
    skipped: Vec<SkippedResponse>,
}

/// The OPFS tree added so far: its directories, and its files with their
/// entries.
type OpfsState = (BTreeSet<String>, Vec<(String, ClosedEntry)>);

/// The parts added to a writer so far.
#[derive(Default)]
pub(super) struct PartsState {
    local_storage: Option<(ClosedEntry, u64)>,
    opfs: Option<OpfsState>,
    caches: Option<Vec<CacheState>>,
}

/// What a backup holds beyond IndexedDB.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartsSummary {
    /// localStorage items (`None`: not in the backup).
    pub local_storage_items: Option<u64>,
    /// OPFS files and directories (`None`: not in the backup).
    pub opfs: Option<(u64, u64)>,
    /// Caches, their entries and skipped responses (`None`: not in the
    /// backup).
    pub caches: Option<(u64, u64, u64)>,
}

/// Streams `data` into a new entry of `spool`.
fn stream<S: Spool>(spool: &mut S, data: &mut dyn Read) -> Result<ClosedEntry> {
    let mut e = OpenEntry::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match data.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(Error::Io(err)),
        };
        e.append(spool, &buf[..n])?;
    }
    e.close(spool, None)
}

fn unencodable(what: String) -> Error {
    Error::Unencodable(what)
}

impl<S: Spool> BackupWriter<S> {
    /// Sets the origin's localStorage: every item, in any order (the
    /// writer sorts them). A key given twice is refused.
    pub fn set_local_storage(&mut self, mut items: Vec<(JsString, JsString)>) -> Result<()> {
        sort_items(&mut items)
            .map_err(|k| Error::Misuse(format!("localStorage key {k:?} is given twice")))?;
        let bytes = encode_items(&items);
        let mut e = OpenEntry::new();
        e.append(&mut self.spool, &bytes)?;
        let closed = e.close(&mut self.spool, None)?;
        self.parts.local_storage = Some((closed, items.len() as u64));
        Ok(())
    }

    fn opfs(&mut self) -> &mut (BTreeSet<String>, Vec<(String, ClosedEntry)>) {
        self.parts.opfs.get_or_insert_with(Default::default)
    }

    /// Puts the origin private file system into the backup, also when no
    /// directory or file is added (an empty tree, which a restore makes
    /// empty again).
    pub fn include_opfs(&mut self) {
        self.opfs();
    }

    /// Adds an OPFS directory (and its parents), by its path from the root
    /// (components joined by `/`, FORMAT.md §3.5.2).
    pub fn add_opfs_directory(&mut self, path: &str) -> Result<()> {
        if let Some(why) = check_opfs_path(path) {
            return Err(unencodable(format!("OPFS path {path:?}: {why}")));
        }
        let dirs = &mut self.opfs().0;
        let mut at = 0;
        for c in path.split('/') {
            at += c.len();
            dirs.insert(path[..at].to_owned());
            at += 1;
        }
        Ok(())
    }

    /// Adds an OPFS file (and its parent directories), streaming its
    /// contents from `data` until it ends. If reading fails, the file is
    /// not added. Returns its size.
    pub fn add_opfs_file(&mut self, path: &str, data: &mut dyn Read) -> Result<u64> {
        if let Some(why) = check_opfs_path(path) {
            return Err(unencodable(format!("OPFS path {path:?}: {why}")));
        }
        if self.opfs().1.iter().any(|(p, _)| p == path) {
            return Err(Error::Misuse(format!("OPFS file {path:?} added twice")));
        }
        let closed = stream(&mut self.spool, data)?;
        let size = closed.size;
        if let Some((dir, _)) = path.rsplit_once('/') {
            self.add_opfs_directory(dir)?;
        }
        self.opfs().1.push((path.to_owned(), closed));
        Ok(size)
    }

    /// Puts Cache Storage into the backup, also when no cache is added.
    pub fn include_caches(&mut self) {
        self.parts.caches.get_or_insert_with(Vec::new);
    }

    /// Adds a cache and returns its index for
    /// [`BackupWriter::add_cache_entry`].
    pub fn add_cache(&mut self, name: &str) -> Result<usize> {
        let caches = self.parts.caches.get_or_insert_with(Vec::new);
        if caches.iter().any(|c| c.name == name) {
            return Err(Error::Misuse(format!("cache {name:?} added twice")));
        }
        caches.push(CacheState {
            name: name.to_owned(),
            entries: Vec::new(),
            skipped: Vec::new(),
        });
        Ok(caches.len() - 1)
    }

    fn cache(&mut self, cache: usize) -> Result<&mut CacheState> {
        self.parts
            .caches
            .as_mut()
            .and_then(|c| c.get_mut(cache))
            .ok_or_else(|| Error::Misuse(format!("no cache with index {cache}")))
    }

    /// Adds a request and its response to a cache, streaming the body
    /// from `body`. The request and response must be what FORMAT.md §3.5.3
    /// allows (an `http(s)` URL, token method, lower-case header names,
    /// status 200–599, no body for 204, 205 and 304), or the entry is
    /// refused ([`Error::Unencodable`]). Returns the body's size.
    pub fn add_cache_entry(
        &mut self,
        cache: usize,
        meta: CacheEntryMeta,
        body: &mut dyn Read,
    ) -> Result<u64> {
        self.cache(cache)?;
        check_meta(&meta)?;
        let closed = stream(&mut self.spool, body)?;
        if parts::is_null_body_status(meta.status) && closed.size != 0 {
            return Err(unencodable(format!(
                "cached response {}: a {} response has a body",
                meta.url, meta.status
            )));
        }
        let size = closed.size;
        self.cache(cache)?.entries.push((meta, closed));
        Ok(size)
    }

    /// Lists a cached response that could not be read (an opaque one) in
    /// the backup, without its contents.
    pub fn skip_cache_entry(&mut self, cache: usize, skipped: SkippedResponse) -> Result<()> {
        if !parts::is_cache_url(&skipped.url) || !parts::is_method(&skipped.method) {
            return Err(unencodable(format!(
                "skipped response {:?}: invalid URL or method",
                skipped.url
            )));
        }
        self.cache(cache)?.skipped.push(skipped);
        Ok(())
    }

    /// What was added beyond IndexedDB.
    pub fn parts_summary(&self) -> PartsSummary {
        let p = &self.parts;
        PartsSummary {
            local_storage_items: p.local_storage.as_ref().map(|(_, n)| *n),
            opfs: p
                .opfs
                .as_ref()
                .map(|(d, f)| (f.len() as u64, d.len() as u64)),
            caches: p.caches.as_ref().map(|c| {
                (
                    c.len() as u64,
                    c.iter().map(|c| c.entries.len() as u64).sum(),
                    c.iter().map(|c| c.skipped.len() as u64).sum(),
                )
            }),
        }
    }
}

fn check_meta(m: &CacheEntryMeta) -> Result<()> {
    let bad = |why: &str| Err(unencodable(format!("cached request {:?}: {why}", m.url)));
    if !parts::is_cache_url(&m.url) {
        return bad("not an http(s) URL in its serialised form");
    }
    if !parts::is_method(&m.method) {
        return bad("invalid method");
    }
    if !(200..=599).contains(&m.status) {
        return bad("status outside 200-599");
    }
    if !parts::is_status_text(&m.status_text) {
        return bad("invalid status text");
    }
    for (n, v) in m.request_headers.iter().chain(&m.response_headers) {
        if !parts::is_header_name(n) || !parts::is_header_value(v) {
            return bad("invalid header");
        }
    }
    for list in [&m.request_headers, &m.response_headers] {
        let mut names: Vec<&str> = list.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return bad("a header appears twice");
        }
    }
    Ok(())
}

/// The manifest members of the parts, and their entries in archive order
/// (the spool chunks to write).
pub(super) struct BuiltParts {
    pub local_storage: Option<LocalStorageManifest>,
    pub opfs: Option<OpfsManifest>,
    pub caches: Option<Vec<CacheManifest>>,
    pub entries: Vec<(PartEntry, ClosedEntry)>,
}

impl PartsState {
    /// Bytes and entries of the parts.
    pub fn sizes(&self) -> (u64, u64) {
        let mut bytes = 0;
        let mut entries = 0;
        let mut add = |e: &ClosedEntry| {
            bytes += e.size;
            entries += 1;
        };
        if let Some((e, _)) = &self.local_storage {
            add(e);
        }
        if let Some((_, files)) = &self.opfs {
            files.iter().for_each(|(_, e)| add(e));
        }
        for c in self.caches.iter().flatten() {
            c.entries.iter().for_each(|(_, e)| add(e));
        }
        (bytes, entries)
    }

    /// The manifest members, files sorted by path, and the entries.
    pub fn build(self) -> BuiltParts {
        let mut entries = Vec::new();
        let local_storage = self.local_storage.map(|(e, items)| {
            let m = LocalStorageManifest {
                entry: PartEntry::LocalStorage.to_name(),
                size: e.size,
                blake3: hex::encode(e.hash),
                items,
            };
            entries.push((PartEntry::LocalStorage, e));
            m
        });
        let opfs = self.opfs.map(|(dirs, mut files)| {
            files.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            let mut out = OpfsManifest {
                directories: {
                    let mut d: Vec<String> = dirs.into_iter().collect();
                    d.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
                    d
                },
                files: Vec::new(),
            };
            for (i, (path, e)) in files.into_iter().enumerate() {
                let name = PartEntry::OpfsFile(i as u32);
                out.files.push(OpfsFile {
                    path,
                    entry: name.to_name(),
                    size: e.size,
                    blake3: hex::encode(e.hash),
                });
                entries.push((name, e));
            }
            out
        });
        let caches = self.caches.map(|caches| {
            caches
                .into_iter()
                .enumerate()
                .map(|(c, cache)| {
                    let mut m = CacheManifest {
                        name: cache.name,
                        entries: Vec::new(),
                        skipped: cache.skipped,
                    };
                    for (i, (meta, e)) in cache.entries.into_iter().enumerate() {
                        let name = PartEntry::CacheBody(c as u32, i as u32);
                        m.entries.push(CacheEntry {
                            url: meta.url,
                            method: meta.method,
                            request_headers: meta.request_headers,
                            status: meta.status,
                            status_text: meta.status_text,
                            response_headers: meta.response_headers,
                            entry: name.to_name(),
                            size: e.size,
                            blake3: hex::encode(e.hash),
                        });
                        entries.push((name, e));
                    }
                    m
                })
                .collect()
        });
        BuiltParts {
            local_storage,
            opfs,
            caches,
            entries,
        }
    }
}
