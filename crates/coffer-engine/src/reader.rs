//! [`BackupReader`]: opens a backup archive, validates all of it, and hands
//! records back out (FORMAT.md §3, §7).
//!
//! [`BackupReader::open`] checks the container before any data is read: a ZIP
//! whose first entry is the manifest, only canonical entry names, no
//! duplicates, exactly the entries the manifest lists with the sizes it
//! lists, and no entry that decompresses suspiciously well. [`BackupReader::verify`]
//! then reads every byte: hashes, record framing, every key and value, the
//! manifest MAC and, given the master key, every sealed record. Records are
//! released a part at a time, and only after that part's hash has verified.

use std::collections::HashMap;
use std::io::{self, Read, Seek, Write};

use zip::result::ZipError;
use zip::{CompressionMethod, ZipArchive};

use crate::codec::{decode_key, decode_value, Frame, Frames};
use crate::envelope::{envelope_key_id, open_value, RecordContext};
use crate::error::{Error, Result};
use crate::format::manifest::{EntryInfo, Manifest};
use crate::format::names::{EntryName, MANIFEST, MANIFEST_MAC};
use crate::keys::{KeyId, MasterKey};
use crate::limits::Limits;
use crate::locked::LockedInfo;
use crate::model::{Binary, BlobRef, Key, Value};
use crate::progress::Progress;
use crate::writer::manifest_mac;

/// The value of a record as stored in the backup.
#[derive(Clone, Debug, PartialEq)]
pub enum RecordValue {
    /// A plain store's value. Large bodies are [`Binary::External`]; see
    /// [`BackupReader::resolve_blobs`].
    Plain(Value),
    /// An encrypted store's sealed envelope, exactly as the app stored it.
    Sealed(Vec<u8>),
}

/// One record.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The record's key.
    pub key: Key,
    /// Its value.
    pub value: RecordValue,
}

/// What a full verification found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Databases in the backup.
    pub databases: u64,
    /// Stores in the backup.
    pub stores: u64,
    /// Records in the backup.
    pub records: u64,
    /// Uncompressed bytes of all data entries.
    pub bytes: u64,
    /// Records in encrypted stores.
    pub sealed_records: u64,
    /// Whether every sealed record was opened (a key was given).
    pub sealed_opened: bool,
    /// Whether the manifest MAC was checked (`false` without a key, or for
    /// backups without encrypted stores, which carry no MAC).
    pub mac_verified: bool,
    /// The key id the backup names.
    pub key_id: Option<KeyId>,
}

/// An open, structurally valid backup archive.
pub struct BackupReader<R: Read + Seek> {
    archive: ZipArchive<R>,
    manifest: Manifest,
    manifest_bytes: Vec<u8>,
    mac: Option<String>,
    limits: Limits,
    index: HashMap<String, usize>,
    locked: Option<LockedInfo>,
}

impl<R: Read + Seek> std::fmt::Debug for BackupReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupReader")
            .field("manifest", &self.manifest)
            .finish_non_exhaustive()
    }
}

pub(crate) fn zip_error(e: ZipError) -> Error {
    match e {
        ZipError::Io(io) if io.kind() == io::ErrorKind::UnexpectedEof => {
            Error::Truncated("the archive ends inside an entry".into())
        }
        ZipError::Io(io) => Error::Io(io),
        ZipError::InvalidArchive(m)
            if m.contains("EOCD")
                || m.contains("end of central directory")
                || m.contains("Unexpected end") =>
        {
            Error::Truncated("the ZIP end-of-central-directory record is missing".into())
        }
        other => Error::Zip(other.to_string()),
    }
}

/// The ZIP local-file-header signature every archive starts with.
pub(crate) const ZIP_MAGIC: [u8; 4] = *b"PK\x03\x04";

impl<R: Read + Seek> BackupReader<R> {
    /// Opens a (not locked) backup archive and checks its structure.
    pub fn open(mut reader: R, limits: Limits) -> Result<Self> {
        let mut head = [0u8; 8];
        let n = read_up_to(&mut reader, &mut head)?;
        if n == 0 {
            return Err(Error::NotABackup("the file is empty".into()));
        }
        if head[..n].starts_with(crate::format::locked::MAGIC) {
            return Err(Error::PassphraseRequired("locked backup"));
        }
        if n < 4 || head[..4] != ZIP_MAGIC {
            return Err(Error::NotABackup(
                "it does not start with a ZIP entry".into(),
            ));
        }
        reader.rewind()?;
        let mut archive = ZipArchive::new(reader).map_err(zip_error)?;
        let count = archive.len() as u64;
        if count > limits.max_entries {
            return Err(Error::limit("number of entries", limits.max_entries, count));
        }
        if archive.has_duplicate_names() {
            return Err(Error::DuplicateEntry(
                "(a name the ZIP directory lists twice)".into(),
            ));
        }
        if count == 0 {
            return Err(Error::Manifest("the archive is empty".into()));
        }
        // Names: canonical, unique, manifest first, MAC second.
        let mut index = HashMap::with_capacity(archive.len());
        for i in 0..archive.len() {
            let name = archive
                .name_for_index(i)
                .ok_or_else(|| Error::Zip(format!("entry {i} has no name")))?
                .map_err(zip_error)?
                .into_owned();
            let known = (name == MANIFEST && i == 0)
                || (name == MANIFEST_MAC && i == 1)
                || EntryName::parse(&name).is_some();
            if !known {
                if name == MANIFEST || name == MANIFEST_MAC {
                    return Err(Error::Manifest(format!(
                        "{name:?} is not where it belongs (entry {i})"
                    )));
                }
                return Err(Error::UnsafeEntryName(name));
            }
            if index.insert(name.clone(), i).is_some() {
                return Err(Error::DuplicateEntry(name));
            }
        }
        if !index.contains_key(MANIFEST) {
            return Err(Error::Manifest(
                "the first entry is not manifest.json".into(),
            ));
        }
        // Local headers must agree with the central directory (names, sizes,
        // CRCs), entries must not overlap, and no unlisted entry may hide
        // between them.
        archive.validate_header_consistency().map_err(|e| match e {
            ZipError::Io(io) if io.kind() == io::ErrorKind::UnexpectedEof => {
                Error::Truncated("an entry header is cut short".into())
            }
            ZipError::Io(io) => Error::Io(io),
            other => Error::Zip(other.to_string()),
        })?;
        // Manifest.
        let manifest_bytes = read_small(&mut archive, 0, MANIFEST, limits.max_manifest_size)?;
        let manifest = Manifest::parse(&manifest_bytes, &limits)?;
        let mac = match index.get(MANIFEST_MAC) {
            Some(&i) => {
                let bytes = read_small(&mut archive, i, MANIFEST_MAC, 64)?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    Error::Manifest("manifest.mac is not 64 lowercase hex digits".into())
                })?;
                if text.len() != 64 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                {
                    return Err(Error::Manifest(
                        "manifest.mac is not 64 lowercase hex digits".into(),
                    ));
                }
                if manifest.json().key_id.is_none() {
                    // A MAC is keyed from the master key the manifest names.
                    return Err(Error::UnexpectedEntry(MANIFEST_MAC.into()));
                }
                Some(text)
            }
            None if manifest.has_encrypted_stores() => return Err(Error::MacMissing),
            None => None,
        };
        // Entries: exactly those listed, with the listed sizes.
        let listed = manifest.entries();
        let expected_count = listed.len() + 1 + usize::from(mac.is_some());
        for (name, info) in &listed {
            let n = name.to_name();
            let &i = index
                .get(&n)
                .ok_or_else(|| Error::MissingEntry(n.clone()))?;
            // Central-directory metadata only: the local headers were already
            // read once by the consistency check above.
            let f = archive.by_index_data(i).map_err(zip_error)?;
            check_entry_header(&f, info, &limits)?;
        }
        if index.len() != expected_count {
            let listed: std::collections::HashSet<String> =
                listed.iter().map(|(n, _)| n.to_name()).collect();
            let mut extra: Vec<&String> = index
                .keys()
                .filter(|k| *k != MANIFEST && *k != MANIFEST_MAC && !listed.contains(*k))
                .collect();
            extra.sort();
            if let Some(e) = extra.first() {
                return Err(Error::UnexpectedEntry((*e).clone()));
            }
        }
        Ok(BackupReader {
            archive,
            manifest,
            manifest_bytes,
            mac,
            limits,
            index,
            locked: None,
        })
    }

    pub(crate) fn with_locked(mut self, info: Option<LockedInfo>) -> Self {
        self.locked = info;
        self
    }

    /// Whether the backup was locked (FORMAT.md §6), and who could unlock it.
    /// `None` for a plain backup, or one opened with [`BackupReader::open`]
    /// (which reads plain archives only); set by
    /// [`open_backup`](crate::locked::open_backup).
    pub fn locked(&self) -> Option<&LockedInfo> {
        self.locked.as_ref()
    }

    /// The validated manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The exact manifest bytes (what the MAC covers).
    pub fn manifest_bytes(&self) -> &[u8] {
        &self.manifest_bytes
    }

    /// The key id the backup names, if any.
    pub fn key_id(&self) -> Option<KeyId> {
        self.manifest.json().key_id
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Checks that `key` is the backup's key and, when the backup carries a
    /// MAC, that the MAC verifies. Nothing else is read.
    pub fn check_key(&self, key: &MasterKey) -> Result<bool> {
        if let Some(expected) = self.key_id() {
            if expected != key.id() {
                return Err(Error::WrongKey {
                    expected,
                    actual: key.id(),
                });
            }
        }
        match &self.mac {
            Some(mac) => {
                let ours = manifest_mac(key, &self.manifest_bytes);
                if subtle::ConstantTimeEq::ct_eq(ours.as_bytes(), mac.as_bytes()).into() {
                    Ok(true)
                } else {
                    Err(Error::MacMismatch)
                }
            }
            None => Ok(false),
        }
    }

    fn entry_index(&self, name: &EntryName) -> Result<usize> {
        let n = name.to_name();
        self.index.get(&n).copied().ok_or(Error::MissingEntry(n))
    }

    fn store_label(&self, db: usize, store: usize) -> Result<(String, String)> {
        let d = self
            .manifest
            .databases()
            .get(db)
            .ok_or_else(|| Error::Misuse(format!("no database with index {db}")))?;
        let s = d
            .stores
            .get(store)
            .ok_or_else(|| Error::Misuse(format!("database {:?} has no store {store}", d.name)))?;
        Ok((d.name.clone(), s.schema.name.clone()))
    }

    /// Reads, verifies and decodes one records part. Records are returned
    /// only if the whole part matches its size and hash.
    pub fn read_part(&mut self, db: usize, store: usize, part: usize) -> Result<Vec<Record>> {
        self.store_label(db, store)?;
        let sm = &self.manifest.databases()[db].stores[store];
        let info = sm
            .parts
            .get(part)
            .ok_or_else(|| Error::Misuse(format!("store has no part {part}")))?
            .clone();
        let encrypted = sm.schema.encrypted;
        let blobs: Vec<u64> = sm.blobs.iter().map(|b| b.size).collect();
        let name = EntryName {
            database: db as u32,
            store: store as u32,
            kind: crate::format::names::EntryKind::Records,
            index: part as u32,
        };
        let i = self.entry_index(&name)?;
        let bytes = read_verified(&mut self.archive, i, &info)?;
        let entry = info.entry.as_str();
        let mut records = Vec::new();
        let mut prev: Option<Key> = None;
        let max_key_id = self.key_id();
        for frame in Frames::new(&bytes) {
            let Frame {
                key: kbytes,
                value: vbytes,
            } = frame.map_err(|e| Error::corrupt(entry, e.to_string()))?;
            let size = (kbytes.len() + vbytes.len()) as u64;
            if size > self.limits.max_record_size {
                return Err(Error::limit(
                    format!("record size in {entry:?}"),
                    self.limits.max_record_size,
                    size,
                ));
            }
            let key = decode_key(kbytes).map_err(|e| Error::corrupt(entry, format!("key: {e}")))?;
            if let Some(p) = &prev {
                if p.idb_cmp(&key) != std::cmp::Ordering::Less {
                    return Err(Error::corrupt(
                        entry,
                        "record keys are not in strictly ascending order",
                    ));
                }
            }
            let value = if encrypted {
                let id = envelope_key_id(vbytes)?;
                if Some(id) != max_key_id {
                    return Err(Error::corrupt(
                        entry,
                        format!("a record is sealed under key id {id}, not the backup's key"),
                    ));
                }
                RecordValue::Sealed(vbytes.to_vec())
            } else {
                let v = decode_value(vbytes, self.limits.max_depth)
                    .map_err(|e| Error::corrupt(entry, format!("value: {e}")))?;
                let mut bad = None;
                v.for_each_binary(&mut |b| {
                    if let Binary::External(r) = b {
                        match blobs.get(r.index as usize) {
                            Some(&size) if size == r.len => {}
                            _ => bad = Some(*r),
                        }
                    }
                });
                if let Some(r) = bad {
                    return Err(Error::corrupt(
                        entry,
                        format!(
                            "a value refers to blob {} of {} bytes, which the store does not hold",
                            r.index, r.len
                        ),
                    ));
                }
                RecordValue::Plain(v)
            };
            prev = Some(key.clone());
            records.push(Record { key, value });
        }
        if records.len() as u64 != info.records.unwrap_or(0) {
            let (d, s) = self.store_label(db, store)?;
            return Err(Error::RecordCountMismatch {
                store: format!("{d}/{s} (part {:?})", info.entry),
                expected: info.records.unwrap_or(0),
                actual: records.len() as u64,
            });
        }
        Ok(records)
    }

    /// Streams blob `index` of a store into `out`, then checks its size and
    /// hash. On error, what was written must be discarded.
    pub fn copy_blob(
        &mut self,
        db: usize,
        store: usize,
        index: u32,
        out: &mut dyn Write,
    ) -> Result<u64> {
        self.store_label(db, store)?;
        let info = self.manifest.databases()[db].stores[store]
            .blobs
            .get(index as usize)
            .ok_or_else(|| Error::Misuse(format!("store has no blob {index}")))?
            .clone();
        let name = EntryName {
            database: db as u32,
            store: store as u32,
            kind: crate::format::names::EntryKind::Blob,
            index,
        };
        let i = self.entry_index(&name)?;
        stream_verified(&mut self.archive, i, &info, out)
    }

    /// Reads blob `r` of a store into memory, verified.
    pub fn read_blob(&mut self, db: usize, store: usize, r: BlobRef) -> Result<Vec<u8>> {
        if r.len > self.limits.max_record_size {
            return Err(Error::limit(
                "blob size held in memory",
                self.limits.max_record_size,
                r.len,
            ));
        }
        let mut out = Vec::with_capacity(r.len as usize);
        self.copy_blob(db, store, r.index, &mut out)?;
        Ok(out)
    }

    /// Replaces every [`Binary::External`] in `value` with its bytes.
    pub fn resolve_blobs(&mut self, db: usize, store: usize, value: &mut Value) -> Result<()> {
        let mut refs = Vec::new();
        value.for_each_binary(&mut |b| {
            if let Binary::External(r) = b {
                refs.push(*r);
            }
        });
        let mut bodies = Vec::with_capacity(refs.len());
        for r in refs {
            bodies.push(self.read_blob(db, store, r)?);
        }
        let mut bodies = bodies.into_iter();
        value.for_each_binary_mut(&mut |b| {
            if matches!(b, Binary::External(_)) {
                if let Some(body) = bodies.next() {
                    *b = Binary::Inline(body);
                }
            }
        });
        Ok(())
    }

    /// Calls `f` with every record of a store, a verified part at a time.
    pub fn for_each_record(
        &mut self,
        db: usize,
        store: usize,
        f: &mut dyn FnMut(Record) -> Result<()>,
    ) -> Result<()> {
        self.store_label(db, store)?;
        let parts = self.manifest.databases()[db].stores[store].parts.clone();
        let mut last: Option<Key> = None;
        for (p, info) in parts.iter().enumerate() {
            let records = self.read_part(db, store, p)?;
            check_part_order(&mut last, &records, &info.entry)?;
            for r in records {
                f(r)?;
            }
        }
        Ok(())
    }

    /// Reads and checks every byte of the backup. With `key`, also checks
    /// the key id, the manifest MAC and opens every sealed record. Progress
    /// goes to `progress`, which may return [`Error::Cancelled`].
    pub fn verify(
        &mut self,
        key: Option<&MasterKey>,
        progress: &mut dyn FnMut(Progress) -> Result<()>,
    ) -> Result<VerifyReport> {
        let mut report = VerifyReport {
            key_id: self.key_id(),
            ..VerifyReport::default()
        };
        if let Some(k) = key {
            report.mac_verified = self.check_key(k)?;
        }
        let entries: Vec<(EntryName, EntryInfo)> = self
            .manifest
            .entries()
            .into_iter()
            .map(|(n, i)| (n, i.clone()))
            .collect();
        let mut p = Progress {
            total_bytes: entries.iter().map(|(_, i)| i.size).sum(),
            total_records: self
                .manifest
                .databases()
                .iter()
                .flat_map(|d| &d.stores)
                .map(|s| s.records)
                .sum(),
            ..Progress::default()
        };
        progress(p)?;
        let dbs = self.manifest.databases().to_vec();
        for (d, db) in dbs.iter().enumerate() {
            report.databases += 1;
            for (s, st) in db.stores.iter().enumerate() {
                report.stores += 1;
                let mut count = 0u64;
                let mut last: Option<Key> = None;
                for part in 0..st.parts.len() {
                    let records = self.read_part(d, s, part)?;
                    check_part_order(&mut last, &records, &st.parts[part].entry)?;
                    count += records.len() as u64;
                    if let Some(k) = key.filter(|_| st.schema.encrypted) {
                        for r in &records {
                            if let RecordValue::Sealed(env) = &r.value {
                                let ctx = RecordContext {
                                    database: &db.name,
                                    store: &st.schema.name,
                                    key: &r.key,
                                };
                                open_value(k, &ctx, env, self.limits.max_depth)?;
                            }
                        }
                    }
                    p.done_bytes += st.parts[part].size;
                    p.done_records += records.len() as u64;
                    progress(p)?;
                }
                if count != st.records {
                    return Err(Error::RecordCountMismatch {
                        store: format!("{}/{}", db.name, st.schema.name),
                        expected: st.records,
                        actual: count,
                    });
                }
                if st.schema.encrypted {
                    report.sealed_records += count;
                }
                report.records += count;
                for b in 0..st.blobs.len() {
                    self.copy_blob(d, s, b as u32, &mut io::sink())?;
                    p.done_bytes += st.blobs[b].size;
                    progress(p)?;
                }
            }
        }
        report.bytes = p.total_bytes;
        report.sealed_opened = key.is_some();
        Ok(report)
    }
}

/// Keys ascend across parts too: the first key of a part must follow the
/// last key of the part before it.
fn check_part_order(last: &mut Option<Key>, records: &[Record], entry: &str) -> Result<()> {
    if let (Some(prev), Some(first)) = (last.as_ref(), records.first()) {
        if prev.idb_cmp(&first.key) != std::cmp::Ordering::Less {
            return Err(Error::corrupt(
                entry,
                "record keys are not in strictly ascending order across parts",
            ));
        }
    }
    if let Some(r) = records.last() {
        *last = Some(r.key.clone());
    }
    Ok(())
}

fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn check_entry_header(
    f: &zip::read::ZipFileEntry<'_>,
    info: &EntryInfo,
    limits: &Limits,
) -> Result<()> {
    if f.encrypted() {
        return Err(Error::Zip(format!(
            "entry {:?} uses ZIP encryption, which Coffer never writes",
            info.entry
        )));
    }
    match f.compression() {
        CompressionMethod::Stored | CompressionMethod::Deflated => {}
        other => {
            return Err(Error::Zip(format!(
                "entry {:?} uses compression method {other}, which Coffer never writes",
                info.entry
            )))
        }
    }
    if f.size() != info.size {
        return Err(Error::SizeMismatch {
            entry: info.entry.clone(),
            expected: info.size,
            actual: f.size(),
        });
    }
    let compressed = f.compressed_size().max(1);
    if f.size() > limits.ratio_threshold && f.size() / compressed > limits.max_compression_ratio {
        return Err(Error::limit(
            format!("compression ratio of entry {:?}", info.entry),
            limits.max_compression_ratio,
            f.size() / compressed,
        ));
    }
    Ok(())
}

fn entry_read_error(entry: &str, e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => Error::Truncated(format!("entry {entry:?} ends early")),
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::Other => {
            Error::Zip(format!("entry {entry:?} is damaged: {e}"))
        }
        _ => Error::Io(e),
    }
}

fn read_small<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    i: usize,
    name: &str,
    max: u64,
) -> Result<Vec<u8>> {
    let f = archive.by_index(i).map_err(zip_error)?;
    if f.size() > max {
        return Err(Error::limit(format!("size of {name}"), max, f.size()));
    }
    let mut out = Vec::with_capacity(f.size() as usize);
    f.take(max + 1)
        .read_to_end(&mut out)
        .map_err(|e| entry_read_error(name, e))?;
    if out.len() as u64 > max {
        return Err(Error::limit(
            format!("size of {name}"),
            max,
            out.len() as u64,
        ));
    }
    Ok(out)
}

/// Streams an entry into `out`, enforcing its size, then checks its hash.
fn stream_verified<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    i: usize,
    info: &EntryInfo,
    out: &mut dyn Write,
) -> Result<u64> {
    let f = archive.by_index(i).map_err(zip_error)?;
    let mut limited = f.take(info.size + 1);
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total: u64 = 0;
    loop {
        let n = match limited.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(entry_read_error(&info.entry, e)),
        };
        total += n as u64;
        if total > info.size {
            return Err(Error::SizeMismatch {
                entry: info.entry.clone(),
                expected: info.size,
                actual: total,
            });
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
    }
    if total != info.size {
        return Err(Error::SizeMismatch {
            entry: info.entry.clone(),
            expected: info.size,
            actual: total,
        });
    }
    if hasher.finalize().to_hex().as_str() != info.blake3 {
        return Err(Error::HashMismatch(info.entry.clone()));
    }
    Ok(total)
}

fn read_verified<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    i: usize,
    info: &EntryInfo,
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(info.size.min(64 << 20) as usize);
    stream_verified(archive, i, info, &mut out)?;
    Ok(out)
}
