//! [`BackupReader`]: opens a backup archive, validates all of it, and hands
//! records back out (FORMAT.md §3, §7).
//!
//! [`BackupReader::open`] checks the container before any data is read, in
//! the order of FORMAT.md §7.1: the ZIP profile (end record, central
//! directory, local headers, no unaccounted bytes), canonical and unique
//! entry names with the manifest first, the manifest itself, the MAC entry,
//! and exactly the entries the manifest lists with the sizes it lists.
//! [`BackupReader::verify`] then reads every byte (§7.2): sizes, CRC-32s,
//! hashes, record framing, every key and value, the blob references, the
//! manifest MAC and, given the master key, every sealed record. Records are
//! released a part at a time, and only after that part's hash has verified.

use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom, Write};

use crate::codec::{
    check_value_with, decode_key_in, decode_value_in, Budget, DecodeError, Frame, Frames, Revision,
};
use crate::envelope::{check_sealed, envelope_key_id, RecordContext};
use crate::error::{Error, Result};
use crate::format::manifest::{EntryInfo, Manifest};
use crate::format::names::{EntryKind, EntryName, MANIFEST, MANIFEST_MAC};
use crate::format::zip::{EntryReader, ZipDirectory, ZipEntry};
use crate::keys::{KeyId, MasterKey};
use crate::limits::Limits;
use crate::locked::LockedInfo;
use crate::model::{Binary, BlobRef, Key, Value};
use crate::primitives::stream::is_authentication_failure;
use crate::progress::Progress;
use crate::writer::manifest_mac;

mod parts;

pub use parts::PartsReport;

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

/// Whether anything proves a backup unaltered since its writer made it
/// (FORMAT.md §3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Authentication {
    /// The manifest MAC verified under the master key with this id: the whole
    /// backup is as its writer made it.
    Verified {
        /// The id of the key the MAC verified under.
        key_id: KeyId,
    },
    /// Nothing proves who wrote the backup: anyone could have altered it
    /// (its hashes only catch accidental damage).
    Unauthenticated {
        /// Why.
        reason: Unauthenticated,
    },
}

/// Why a backup is unauthenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unauthenticated {
    /// The backup names no key and carries no MAC (it was written without a
    /// master key).
    NoMac,
    /// The backup carries a MAC, but the master key it names was not at hand
    /// to check it.
    KeyNotGiven {
        /// The key the MAC needs.
        key_id: KeyId,
    },
}

impl Default for Authentication {
    fn default() -> Self {
        Authentication::Unauthenticated {
            reason: Unauthenticated::NoMac,
        }
    }
}

impl Authentication {
    /// Whether the MAC verified.
    pub fn is_verified(&self) -> bool {
        matches!(self, Authentication::Verified { .. })
    }
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
    /// backups that carry no MAC).
    pub mac_verified: bool,
    /// The key id the backup names.
    pub key_id: Option<KeyId>,
    /// Whether the backup is authenticated.
    pub authentication: Authentication,
    /// What it holds beyond IndexedDB.
    pub parts: PartsReport,
}

/// An open, structurally valid backup archive.
pub struct BackupReader<R: Read + Seek> {
    inner: R,
    zip: ZipDirectory,
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

/// The ZIP local-file-header signature every archive starts with.
pub(crate) const ZIP_MAGIC: [u8; 4] = *b"PK\x03\x04";

/// An I/O error met while reading the archive, as the engine reports it: a
/// STREAM chunk of a locked backup failing authentication is
/// `decryption-failed`, an early end `truncated`, bad entry data
/// `damaged-zip`.
fn read_error(context: &str, e: io::Error) -> Error {
    if is_authentication_failure(&e) {
        return Error::DecryptionFailed;
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof => Error::Truncated(format!("{context} ends early")),
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput => {
            Error::Zip(format!("{context} is damaged: {e}"))
        }
        _ => Error::Io(e),
    }
}

/// Maps I/O errors of structural reads the same way.
fn structural(e: Error) -> Error {
    match e {
        Error::Io(io) => read_error("the archive", io),
        other => other,
    }
}

/// A value or key that failed to decode: a limit hit is `limit-exceeded`,
/// anything else `corrupt-record`.
fn decode_error(entry: &str, what: &str, e: DecodeError) -> Error {
    match e.limit() {
        Some(l) => Error::limit(format!("{} in {entry:?}", l.what), l.limit, l.actual),
        None => Error::corrupt(entry, format!("{what}: {e}")),
    }
}

impl<R: Read + Seek> BackupReader<R> {
    /// Opens a (not locked) backup archive and checks its structure
    /// (FORMAT.md §7.1).
    pub fn open(mut reader: R, limits: Limits) -> Result<Self> {
        // 1. Kind.
        let len = reader
            .seek(SeekFrom::End(0))
            .map_err(|e| read_error("the archive", e))?;
        reader.rewind()?;
        let mut head = [0u8; 8];
        let n = read_up_to(&mut reader, &mut head).map_err(|e| read_error("the archive", e))?;
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
        // 2. ZIP directory.
        let mut zip =
            ZipDirectory::read(&mut reader, len, limits.max_entries).map_err(structural)?;
        // 3. Names: canonical, unique, manifest first, MAC second.
        let mut index = HashMap::with_capacity(zip.entries.len());
        for (i, e) in zip.entries.iter().enumerate() {
            let name = String::from_utf8_lossy(&e.name).into_owned();
            let known = std::str::from_utf8(&e.name).is_ok()
                && ((name == MANIFEST && i == 0)
                    || (name == MANIFEST_MAC && i == 1)
                    || EntryName::parse(&name).is_some()
                    || crate::format::parts::PartEntry::parse(&name).is_some());
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
        // 4. Local headers and contiguity (no overlap, no hidden bytes).
        zip.check_local_headers(&mut reader).map_err(structural)?;
        // 5. Manifest size and ratio; 6. the manifest.
        let m = &zip.entries[0];
        if m.size > limits.max_manifest_size {
            return Err(Error::limit(
                format!("size of {MANIFEST}"),
                limits.max_manifest_size,
                m.size,
            ));
        }
        check_ratio(MANIFEST, m, &limits)?;
        let mut manifest_bytes = Vec::new();
        read_entry(&mut reader, m, MANIFEST, None, &mut manifest_bytes)?;
        let manifest = Manifest::parse(&manifest_bytes, &limits)?;
        // 7. The MAC entry.
        let mac = match index.get(MANIFEST_MAC) {
            Some(&i) => {
                let e = &zip.entries[i];
                if e.size > 64 {
                    return Err(Error::limit(format!("size of {MANIFEST_MAC}"), 64, e.size));
                }
                let mut bytes = Vec::new();
                read_entry(&mut reader, e, MANIFEST_MAC, None, &mut bytes)?;
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
            // A key id promises a MAC: one stripped off must not pass for
            // an unauthenticated backup.
            None if manifest.json().key_id.is_some() => return Err(Error::MacMissing),
            None => None,
        };
        // 8. Entries: exactly those listed, with the listed sizes.
        // Database entries, then the parts' (FORMAT.md §3.5), in manifest
        // order.
        let listed: Vec<(String, u64)> = manifest
            .entries()
            .iter()
            .map(|(n, info)| (n.to_name(), info.size))
            .chain(
                manifest
                    .part_entries()
                    .iter()
                    .map(|(n, size, _)| (n.to_name(), *size)),
            )
            .collect();
        let expected_count = listed.len() + 1 + usize::from(mac.is_some());
        for (n, size) in &listed {
            let &i = index.get(n).ok_or_else(|| Error::MissingEntry(n.clone()))?;
            let e = &zip.entries[i];
            if e.size != *size {
                return Err(Error::SizeMismatch {
                    entry: n.clone(),
                    expected: *size,
                    actual: e.size,
                });
            }
            check_ratio(n, e, &limits)?;
        }
        // 9. Nothing unlisted.
        if index.len() != expected_count {
            let listed: std::collections::HashSet<String> =
                listed.into_iter().map(|(n, _)| n).collect();
            if let Some(e) = zip.entries.iter().enumerate().find_map(|(i, e)| {
                let n = String::from_utf8_lossy(&e.name);
                (i > usize::from(mac.is_some()) && !listed.contains(n.as_ref()))
                    .then(|| n.into_owned())
            }) {
                return Err(Error::UnexpectedEntry(e));
            }
        }
        Ok(BackupReader {
            inner: reader,
            zip,
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

    /// The revision of the value encoding that the backup's plain records
    /// use: that of its `format_version` (FORMAT.md §9).
    pub fn value_revision(&self) -> Result<Revision> {
        let v = self.manifest.json().format_version;
        Revision::from_number(v).ok_or(Error::UnsupportedVersion {
            what: "backup format",
            found: v,
            supported: crate::format::manifest::FORMAT_VERSION,
        })
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
    /// MAC, that the MAC verifies; returns whether there was a MAC.
    /// Nothing else is read. See also [`BackupReader::authenticate`].
    pub fn check_key(&self, key: &MasterKey) -> Result<bool> {
        Ok(self.authenticate(Some(key))?.is_verified())
    }

    /// Says whether the backup is authenticated (FORMAT.md §3.4): with the
    /// key it names at hand, the MAC must verify (`wrong-key` for another
    /// key, `mac-mismatch`); without it, or for a backup that names no key,
    /// the backup is [`Authentication::Unauthenticated`]. A key given for a
    /// backup that names none is not used.
    pub fn authenticate(&self, key: Option<&MasterKey>) -> Result<Authentication> {
        let (Some(expected), Some(mac)) = (self.key_id(), &self.mac) else {
            return Ok(Authentication::Unauthenticated {
                reason: Unauthenticated::NoMac,
            });
        };
        let Some(key) = key else {
            return Ok(Authentication::Unauthenticated {
                reason: Unauthenticated::KeyNotGiven { key_id: expected },
            });
        };
        if expected != key.id() {
            return Err(Error::WrongKey {
                expected,
                actual: key.id(),
            });
        }
        let ours = manifest_mac(key, &self.manifest_bytes);
        if subtle::ConstantTimeEq::ct_eq(ours.as_bytes(), mac.as_bytes()).into() {
            Ok(Authentication::Verified { key_id: expected })
        } else {
            Err(Error::MacMismatch)
        }
    }

    fn entry(&self, name: &EntryName) -> Result<&ZipEntry> {
        let n = name.to_name();
        let i = self.index.get(&n).copied().ok_or(Error::MissingEntry(n))?;
        Ok(&self.zip.entries[i])
    }

    fn store_manifest(
        &self,
        db: usize,
        store: usize,
    ) -> Result<&crate::format::manifest::StoreManifest> {
        let d = self
            .manifest
            .databases()
            .get(db)
            .ok_or_else(|| Error::Misuse(format!("no database with index {db}")))?;
        d.stores
            .get(store)
            .ok_or_else(|| Error::Misuse(format!("database {:?} has no store {store}", d.name)))
    }

    /// Reads a records part into memory, verified (size, CRC-32, BLAKE3).
    fn part_bytes(&mut self, db: usize, store: usize, part: usize) -> Result<(EntryInfo, Vec<u8>)> {
        let sm = self.store_manifest(db, store)?;
        let info = sm
            .parts
            .get(part)
            .ok_or_else(|| Error::Misuse(format!("store has no part {part}")))?
            .clone();
        let name = EntryName {
            database: db as u32,
            store: store as u32,
            kind: EntryKind::Records,
            index: part as u32,
        };
        let e = self.entry(&name)?.clone();
        let mut bytes = Vec::with_capacity(info.size.min(64 << 20) as usize);
        read_entry(
            &mut self.inner,
            &e,
            &info.entry,
            Some(&info.blake3),
            &mut bytes,
        )?;
        Ok((info, bytes))
    }

    /// Reads, verifies and decodes one records part. Records are returned
    /// only if the whole part matches its size and hash. Checks what one
    /// part can show (framing, keys and values, order within the part, blob
    /// references that exist with the right size, the count); the rules that
    /// span a store (order across parts, each blob referenced once and in
    /// order) need [`BackupReader::next_part`] or [`BackupReader::verify`].
    /// The decoded records may take at most [`Limits::max_value_memory`].
    pub fn read_part(&mut self, db: usize, store: usize, part: usize) -> Result<Vec<Record>> {
        let mut scan = StoreScan::new(db, store);
        scan.next_part = part;
        scan.per_part_only = true;
        self.scan_part(&mut scan, Mode::Decode)
            .map(|r| r.unwrap_or_default())
    }

    /// Starts reading a store's records part by part with
    /// [`BackupReader::next_part`].
    pub fn scan_store(&self, db: usize, store: usize) -> Result<StoreScan> {
        self.store_manifest(db, store)?;
        Ok(StoreScan::new(db, store))
    }

    /// The next verified part of the store `scan` reads, decoded, or `None`
    /// after the last part, once the store-wide checks passed: keys ascend
    /// across parts, each blob is referenced exactly once and in order, and
    /// the record total matches (FORMAT.md §7.2).
    pub fn next_part(&mut self, scan: &mut StoreScan) -> Result<Option<Vec<Record>>> {
        self.scan_part(scan, Mode::Decode)
    }

    fn scan_part(&mut self, scan: &mut StoreScan, mode: Mode<'_>) -> Result<Option<Vec<Record>>> {
        let (db, store) = (scan.db, scan.store);
        let sm = self.store_manifest(db, store)?;
        let (db_name, store_name) = (
            self.manifest.databases()[db].name.clone(),
            sm.schema.name.clone(),
        );
        let encrypted = sm.schema.encrypted;
        let parts = sm.parts.len();
        let blob_sizes: Vec<u64> = sm.blobs.iter().map(|b| b.size).collect();
        let store_records = sm.records;
        if scan.next_part >= parts {
            if scan.per_part_only {
                return Err(Error::Misuse(format!(
                    "store has no part {}",
                    scan.next_part
                )));
            }
            if scan.finished {
                return Ok(None);
            }
            scan.finished = true;
            if scan.records != store_records {
                return Err(Error::RecordCountMismatch {
                    store: format!("{db_name}/{store_name}"),
                    expected: store_records,
                    actual: scan.records,
                });
            }
            if (scan.next_blob as usize) < blob_sizes.len() {
                let entry = EntryName {
                    database: db as u32,
                    store: store as u32,
                    kind: EntryKind::Blob,
                    index: scan.next_blob,
                }
                .to_name();
                return Err(Error::corrupt(
                    &entry,
                    "no record refers to this blob (each blob is referenced exactly once)",
                ));
            }
            return Ok(None);
        }
        let part = scan.next_part;
        let (info, bytes) = self.part_bytes(db, store, part)?;
        let entry = info.entry.as_str();
        let key_id = self.key_id();
        let limits = self.limits.clone();
        let revision = self.value_revision()?;
        let mut budget = Budget::new(limits.max_value_memory);
        let mut records = Vec::new();
        let mut count: u64 = 0;
        let mut last = if scan.per_part_only {
            None
        } else {
            scan.last_key.take()
        };
        for frame in Frames::new(&bytes) {
            let Frame {
                key: kbytes,
                value: vbytes,
            } = frame.map_err(|e| Error::corrupt(entry, format!("framing: {e}")))?;
            let size = (kbytes.len() + vbytes.len()) as u64;
            if size > limits.max_record_size {
                return Err(Error::limit(
                    format!("record size in {entry:?}"),
                    limits.max_record_size,
                    size,
                ));
            }
            if kbytes.len() as u64 > limits.max_key_size {
                return Err(Error::limit(
                    format!("key size in {entry:?}"),
                    limits.max_key_size,
                    kbytes.len() as u64,
                ));
            }
            // Keys held for ordering are charged too; one at a time when
            // the values are only checked.
            let mut key_budget = Budget::new(limits.max_value_memory);
            let key = decode_key_in(
                kbytes,
                if matches!(mode, Mode::Decode) {
                    &mut budget
                } else {
                    &mut key_budget
                },
            )
            .map_err(|e| decode_error(entry, "key", e))?;
            if let Some(p) = &last {
                if p.idb_cmp(&key) != std::cmp::Ordering::Less {
                    let across = count == 0;
                    return Err(Error::corrupt(
                        entry,
                        if across {
                            "record keys are not in strictly ascending order across parts"
                        } else {
                            "record keys are not in strictly ascending order"
                        },
                    ));
                }
            }
            let value = if encrypted {
                let id = envelope_key_id(vbytes)?;
                if Some(id) != key_id {
                    return Err(Error::corrupt(
                        entry,
                        format!("a record is sealed under key id {id}, not the backup's key"),
                    ));
                }
                None
            } else {
                // Blob references: existing, of the right size, and (across
                // the store) the next blob in order.
                let next_blob = &mut scan.next_blob;
                let per_part = scan.per_part_only;
                let mut on_ref = |r: BlobRef| -> std::result::Result<(), DecodeError> {
                    match blob_sizes.get(r.index as usize) {
                        Some(&size) if size == r.len => {}
                        _ => {
                            return Err(DecodeError::new(format!(
                            "a value refers to blob {} of {} bytes, which the store does not hold",
                            r.index, r.len
                        )))
                        }
                    }
                    if !per_part {
                        if r.index != *next_blob {
                            return Err(DecodeError::new(format!(
                                "a value refers to blob {} where blob {} is next (each blob is referenced exactly once, in order)",
                                r.index, next_blob
                            )));
                        }
                        *next_blob += 1;
                    }
                    Ok(())
                };
                match mode {
                    Mode::Check { .. } => {
                        check_value_with(vbytes, &limits, revision, &mut on_ref)
                            .map_err(|e| decode_error(entry, "value", e))?;
                        None
                    }
                    Mode::Decode => {
                        let v = decode_value_in(vbytes, &limits, revision, &mut budget)
                            .map_err(|e| decode_error(entry, "value", e))?;
                        let mut bad = None;
                        v.for_each_binary(&mut |b| {
                            if let (Binary::External(r), None) = (b, &bad) {
                                bad = on_ref(*r).err();
                            }
                        });
                        if let Some(e) = bad {
                            return Err(decode_error(entry, "value", e));
                        }
                        Some(RecordValue::Plain(v))
                    }
                }
            };
            if let Mode::Check { key: Some(k) } = mode {
                if encrypted {
                    let ctx = RecordContext {
                        database: &db_name,
                        store: &store_name,
                        key: &key,
                    };
                    // Opened and checked, never built: memory stays flat.
                    check_sealed(k, &ctx, vbytes, &limits)?;
                }
            }
            count += 1;
            match (mode, value) {
                (Mode::Decode, value) => {
                    let value = match value {
                        Some(v) => v,
                        None => {
                            budget
                                .charge(vbytes.len() as u64)
                                .map_err(|e| decode_error(entry, "value", e))?;
                            RecordValue::Sealed(vbytes.to_vec())
                        }
                    };
                    last = Some(key.clone());
                    records.push(Record { key, value });
                }
                (Mode::Check { .. }, _) => last = Some(key),
            }
        }
        if count != info.records.unwrap_or(0) {
            return Err(Error::RecordCountMismatch {
                store: format!("{db_name}/{store_name} (part {:?})", info.entry),
                expected: info.records.unwrap_or(0),
                actual: count,
            });
        }
        scan.last_key = last;
        scan.records += count;
        scan.next_part += 1;
        Ok(Some(records))
    }

    /// Streams blob `index` of a store into `out`, then checks its size, its
    /// CRC-32 and its hash. On error, what was written must be discarded.
    pub fn copy_blob(
        &mut self,
        db: usize,
        store: usize,
        index: u32,
        out: &mut dyn Write,
    ) -> Result<u64> {
        let info = self
            .store_manifest(db, store)?
            .blobs
            .get(index as usize)
            .ok_or_else(|| Error::Misuse(format!("store has no blob {index}")))?
            .clone();
        let name = EntryName {
            database: db as u32,
            store: store as u32,
            kind: EntryKind::Blob,
            index,
        };
        let e = self.entry(&name)?.clone();
        read_entry(&mut self.inner, &e, &info.entry, Some(&info.blake3), out)
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

    /// Calls `f` with every record of a store, a verified part at a time,
    /// with the store-wide checks of [`BackupReader::next_part`].
    pub fn for_each_record(
        &mut self,
        db: usize,
        store: usize,
        f: &mut dyn FnMut(Record) -> Result<()>,
    ) -> Result<()> {
        let mut scan = self.scan_store(db, store)?;
        while let Some(records) = self.next_part(&mut scan)? {
            for r in records {
                f(r)?;
            }
        }
        Ok(())
    }

    /// Reads and checks every byte of the backup (FORMAT.md §7.2). With
    /// `key`, also checks the key id, the manifest MAC and opens every
    /// sealed record. Values are checked without being built, so memory
    /// stays at about one records part. Progress goes to `progress`, which
    /// may return [`Error::Cancelled`].
    pub fn verify(
        &mut self,
        key: Option<&MasterKey>,
        progress: &mut dyn FnMut(Progress) -> Result<()>,
    ) -> Result<VerifyReport> {
        let authentication = self.authenticate(key)?;
        let mut report = VerifyReport {
            key_id: self.key_id(),
            mac_verified: authentication.is_verified(),
            authentication,
            ..VerifyReport::default()
        };
        let mut p = Progress {
            total_bytes: self
                .manifest
                .entries()
                .iter()
                .map(|(_, i)| i.size)
                .sum::<u64>()
                + self
                    .manifest
                    .part_entries()
                    .iter()
                    .map(|(_, size, _)| size)
                    .sum::<u64>(),
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
        // What the loop needs of the manifest, so the reader can be borrowed.
        struct Shape {
            encrypted: bool,
            parts: Vec<u64>,
            blobs: Vec<u64>,
        }
        let shape: Vec<Vec<Shape>> = self
            .manifest
            .databases()
            .iter()
            .map(|d| {
                d.stores
                    .iter()
                    .map(|s| Shape {
                        encrypted: s.schema.encrypted,
                        parts: s.parts.iter().map(|e| e.size).collect(),
                        blobs: s.blobs.iter().map(|e| e.size).collect(),
                    })
                    .collect()
            })
            .collect();
        for (d, stores) in shape.iter().enumerate() {
            report.databases += 1;
            for (
                s,
                Shape {
                    encrypted,
                    parts,
                    blobs,
                },
            ) in stores.iter().enumerate()
            {
                report.stores += 1;
                let mut scan = StoreScan::new(d, s);
                let mode = Mode::Check {
                    key: key.filter(|_| *encrypted),
                };
                for size in parts {
                    let before = scan.records;
                    self.scan_part(&mut scan, mode)?;
                    p.done_bytes += size;
                    p.done_records += scan.records - before;
                    progress(p)?;
                }
                // Store-wide checks: record total, every blob referenced.
                self.scan_part(&mut scan, mode)?;
                if *encrypted {
                    report.sealed_records += scan.records;
                }
                report.records += scan.records;
                for (b, size) in blobs.iter().enumerate() {
                    self.copy_blob(d, s, b as u32, &mut io::sink())?;
                    p.done_bytes += size;
                    progress(p)?;
                }
            }
        }
        report.parts = self.verify_parts(&mut p, progress)?;
        report.bytes = p.total_bytes;
        report.sealed_opened = key.is_some();
        Ok(report)
    }
}

/// How a part is scanned: decoded into records, or only checked (optionally
/// opening sealed records with a key).
#[derive(Clone, Copy)]
enum Mode<'k> {
    Decode,
    Check { key: Option<&'k MasterKey> },
}

/// Where a reading of one store's records is, for
/// [`BackupReader::next_part`]: what the store-wide checks need to carry
/// from one part to the next.
#[derive(Clone, Debug)]
pub struct StoreScan {
    db: usize,
    store: usize,
    next_part: usize,
    last_key: Option<Key>,
    next_blob: u32,
    records: u64,
    finished: bool,
    per_part_only: bool,
}

impl StoreScan {
    fn new(db: usize, store: usize) -> Self {
        StoreScan {
            db,
            store,
            next_part: 0,
            last_key: None,
            next_blob: 0,
            records: 0,
            finished: false,
            per_part_only: false,
        }
    }

    /// The database and store being read.
    pub fn store(&self) -> (usize, usize) {
        (self.db, self.store)
    }

    /// The index of the part [`BackupReader::next_part`] reads next.
    pub fn next_part_index(&self) -> usize {
        self.next_part
    }
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

/// The compression-ratio limit of an entry (FORMAT.md §7.3).
fn check_ratio(name: &str, e: &ZipEntry, limits: &Limits) -> Result<()> {
    let compressed = e.compressed_size.max(1);
    if e.size > limits.ratio_threshold && e.size / compressed > limits.max_compression_ratio {
        return Err(Error::limit(
            format!("compression ratio of entry {name:?}"),
            limits.max_compression_ratio,
            e.size / compressed,
        ));
    }
    Ok(())
}

/// Streams an entry's uncompressed bytes into `out` (FORMAT.md §7.2 step
/// 11): damaged deflate data, more or fewer bytes than the directory record
/// says and a wrong CRC-32 are `damaged-zip` (the ZIP layer), then a BLAKE3
/// other than `blake3` (when given) is `hash-mismatch`.
fn read_entry<R: Read + Seek>(
    inner: &mut R,
    e: &ZipEntry,
    name: &str,
    blake3: Option<&str>,
    out: &mut dyn Write,
) -> Result<u64> {
    let mut r = EntryReader::new(inner, e).map_err(structural)?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total: u64 = 0;
    loop {
        let want = buf
            .len()
            .min(usize::try_from(e.size + 1 - total).unwrap_or(usize::MAX));
        let n = match r.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(read_error(&format!("entry {name:?}"), err)),
        };
        total += n as u64;
        if total > e.size {
            return Err(Error::Zip(format!(
                "entry {name:?} inflates to more than the {} bytes its directory record says",
                e.size
            )));
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
    }
    if total != e.size {
        return Err(Error::Zip(format!(
            "entry {name:?} inflates to {total} bytes, not the {} its directory record says",
            e.size
        )));
    }
    if r.crc32() != e.crc32 {
        return Err(Error::Zip(format!(
            "entry {name:?} does not match its CRC-32"
        )));
    }
    if let Some(h) = blake3 {
        if hasher.finalize().to_hex().as_str() != h {
            return Err(Error::HashMismatch(name.to_owned()));
        }
    }
    Ok(total)
}
