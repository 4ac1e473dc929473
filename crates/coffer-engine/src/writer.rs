//! [`BackupWriter`]: streams databases into a backup archive (FORMAT.md §3).
//!
//! Writing happens in two phases. While records arrive they are encoded,
//! hashed and parked in a [`Spool`]; large binary bodies move to blob entries
//! of their own. [`BackupWriter::finish`] then writes the ZIP: the manifest
//! (with every size and hash) first, its MAC second, then every entry from
//! the spool, deflated at level 1 unless it is incompressible.

use std::collections::HashSet;
use std::io::Write;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::codec::value::{write_binary, write_inline_binary};
use crate::codec::{
    check_value, check_value_with, encode_key, encode_value_into, write_record_head, Revision,
};
use crate::envelope::envelope_key_id;
use crate::error::{Error, Result};
use crate::format::manifest::{
    DatabaseManifest, EntryInfo, Manifest, ManifestJson, StoreManifest, FORMAT_NAME, HASH_NAME,
};
use crate::format::names::{EntryKind, EntryName, MANIFEST, MANIFEST_MAC};
use crate::keys::{MasterKey, MANIFEST_MAC_CONTEXT};
use crate::limits::Limits;
use crate::model::{Binary, BlobRef, DatabaseSchema, Key, Value};
use crate::progress::Progress;
use crate::spool::Spool;

mod parts;

pub use parts::{CacheEntryMeta, PartsSummary};

/// Deepest value [`BackupWriter::add_encoded_record`] accepts: what
/// readers accept by default.
const MAX_DEPTH: u32 = 256;

/// Why an encoded value was refused.
fn bad_encoding(value: &[u8]) -> Error {
    let why = check_value(value, MAX_DEPTH)
        .map(|n| format!("it refers to {n} blob entries it did not bring"))
        .unwrap_or_else(|e| e.to_string());
    Error::Unencodable(format!("value: not a canonical encoding: {why}"))
}

/// What checking an encoded value learns, when it is a value the writer
/// may store.
fn checked(value: &[u8]) -> Option<crate::codec::Checked> {
    let limits = Limits {
        max_depth: MAX_DEPTH,
        ..Limits::default()
    };
    check_value_with(value, &limits, Revision::LATEST, &mut |_| Ok(())).ok()
}

/// Bytes per spool chunk.
const CHUNK: usize = 1 << 20;
/// Bytes of an entry compressed to decide whether deflate pays off.
const PROBE: usize = 64 * 1024;

/// How a backup is written.
#[derive(Clone, Debug)]
pub struct WriteOptions {
    /// Creation time recorded in the manifest and on every entry.
    pub created: OffsetDateTime,
    /// The master key: its id goes into the manifest, and it keys the
    /// manifest MAC (written whenever a key is given). Required when any
    /// store is encrypted.
    pub master_key: Option<MasterKey>,
    /// Deflate level (1 is fastest; 0 stores every entry, the manifest
    /// included, uncompressed).
    pub deflate_level: u8,
    /// Records parts roll over after this many uncompressed bytes.
    pub part_size: usize,
    /// Binary bodies larger than this move to blob entries of their own.
    pub inline_threshold: usize,
}

impl WriteOptions {
    /// Defaults: deflate level 1, 16 MiB parts, bodies over 64 KiB as blobs.
    pub fn new(created: OffsetDateTime) -> Self {
        WriteOptions {
            created,
            master_key: None,
            deflate_level: 1,
            part_size: 16 << 20,
            inline_threshold: 64 * 1024,
        }
    }

    /// Sets the master key.
    pub fn with_master_key(mut self, key: MasterKey) -> Self {
        self.master_key = Some(key);
        self
    }
}

/// What a finished backup holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackupSummary {
    /// Databases written.
    pub databases: u64,
    /// Stores written.
    pub stores: u64,
    /// Records written.
    pub records: u64,
    /// Uncompressed bytes of all data entries.
    pub bytes: u64,
    /// Number of ZIP entries.
    pub entries: u64,
}

struct OpenEntry {
    chunks: Vec<usize>,
    pending: Vec<u8>,
    size: u64,
    hasher: blake3::Hasher,
    records: u64,
}

impl OpenEntry {
    fn new() -> Self {
        OpenEntry {
            chunks: Vec::new(),
            pending: Vec::new(),
            size: 0,
            hasher: blake3::Hasher::new(),
            records: 0,
        }
    }

    fn append<S: Spool>(&mut self, spool: &mut S, bytes: &[u8]) -> Result<()> {
        self.hasher.update(bytes);
        self.size += bytes.len() as u64;
        let mut rest = bytes;
        while !rest.is_empty() {
            let take = (CHUNK - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == CHUNK {
                let full = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK));
                self.chunks.push(spool.put(full)?);
            }
        }
        Ok(())
    }

    fn close<S: Spool>(mut self, spool: &mut S, records: Option<u64>) -> Result<ClosedEntry> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.chunks.push(spool.put(rest)?);
        }
        Ok(ClosedEntry {
            chunks: self.chunks,
            size: self.size,
            hash: *self.hasher.finalize().as_bytes(),
            records,
        })
    }
}

struct ClosedEntry {
    chunks: Vec<usize>,
    size: u64,
    hash: [u8; 32],
    records: Option<u64>,
}

struct StoreState {
    records: u64,
    last_key: Option<Key>,
    part: Option<OpenEntry>,
    parts: Vec<ClosedEntry>,
    blobs: Vec<ClosedEntry>,
}

struct DbState {
    schema: DatabaseSchema,
    stores: Vec<StoreState>,
}

/// Streams databases into a backup. See the [crate docs](crate) for an
/// example.
pub struct BackupWriter<S: Spool> {
    options: WriteOptions,
    spool: S,
    databases: Vec<DbState>,
    names: HashSet<String>,
    scratch: Vec<u8>,
    /// The lowest format version holding everything added so far
    /// (FORMAT.md §9.1: 2 once a plain record's value needs revision 2).
    format_version: u64,
    parts: parts::PartsState,
}

impl<S: Spool> BackupWriter<S> {
    /// A writer parking encoded data in `spool`.
    pub fn new(options: WriteOptions, spool: S) -> Self {
        BackupWriter {
            options,
            spool,
            databases: Vec::new(),
            names: HashSet::new(),
            scratch: Vec::new(),
            format_version: 1,
            parts: parts::PartsState::default(),
        }
    }

    /// Bodies longer than this many bytes go to blob entries.
    pub fn inline_threshold(&self) -> usize {
        self.options.inline_threshold
    }

    /// Adds a database and returns its index for [`BackupWriter::add_record`].
    pub fn add_database(&mut self, schema: DatabaseSchema) -> Result<usize> {
        if !self.names.insert(schema.name.clone()) {
            return Err(Error::Misuse(format!(
                "database {:?} added twice",
                schema.name
            )));
        }
        let mut store_names = HashSet::new();
        for s in &schema.stores {
            if !store_names.insert(s.name.as_str()) {
                return Err(Error::Misuse(format!(
                    "store {:?} appears twice in database {:?}",
                    s.name, schema.name
                )));
            }
        }
        if schema.stores.iter().any(|s| s.encrypted) && self.options.master_key.is_none() {
            return Err(Error::Misuse(format!(
                "database {:?} has encrypted stores but the writer has no master key",
                schema.name
            )));
        }
        let stores = schema
            .stores
            .iter()
            .map(|_| StoreState {
                records: 0,
                last_key: None,
                part: None,
                parts: Vec::new(),
                blobs: Vec::new(),
            })
            .collect();
        self.databases.push(DbState { schema, stores });
        Ok(self.databases.len() - 1)
    }

    /// Sets the key generator's current number of an auto-increment store,
    /// any time before [`BackupWriter::finish`]. Lets a caller read the
    /// generator after its snapshot and record the higher of that and the
    /// largest key it saw.
    pub fn set_key_generator(&mut self, db: usize, store: usize, value: u64) -> Result<()> {
        let d = self
            .databases
            .get_mut(db)
            .ok_or_else(|| Error::Misuse(format!("no database with index {db}")))?;
        let name = d.schema.name.clone();
        let s = d
            .schema
            .stores
            .get_mut(store)
            .ok_or_else(|| Error::Misuse(format!("database {name:?} has no store {store}")))?;
        if !s.auto_increment {
            return Err(Error::Misuse(format!(
                "store {:?} has no key generator",
                s.name
            )));
        }
        if value > 1 << 53 {
            return Err(Error::Misuse(format!(
                "key generator value {value} is beyond 2^53"
            )));
        }
        s.key_generator = Some(value);
        Ok(())
    }

    fn store_mut(&mut self, db: usize, store: usize, sealed: bool) -> Result<()> {
        let d = self
            .databases
            .get(db)
            .ok_or_else(|| Error::Misuse(format!("no database with index {db}")))?;
        let s = d.schema.stores.get(store).ok_or_else(|| {
            Error::Misuse(format!("database {:?} has no store {store}", d.schema.name))
        })?;
        if s.encrypted != sealed {
            return Err(Error::Misuse(format!(
                "store {:?} is {}encrypted: use {}",
                s.name,
                if s.encrypted { "" } else { "not " },
                if s.encrypted {
                    "add_sealed_record"
                } else {
                    "add_record"
                }
            )));
        }
        Ok(())
    }

    /// Adds a record to a plain store. Large binary bodies inside `value`
    /// move to blob entries. Records of a store must arrive in strictly
    /// ascending key order ([`Key::idb_cmp`]), as IndexedDB returns them.
    pub fn add_record(&mut self, db: usize, store: usize, key: &Key, value: Value) -> Result<()> {
        self.store_mut(db, store, false)?;
        self.keeping_blobs_only_on_success(db, store, |w| {
            w.add_record_unchecked(db, store, key, value)
        })
    }

    /// Runs `f`, which may add blobs for one record, and drops the blobs it
    /// added if it fails: every blob must be referenced by a record, exactly
    /// once and in order (FORMAT.md §4.3), or the backup does not read back.
    fn keeping_blobs_only_on_success(
        &mut self,
        db: usize,
        store: usize,
        f: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()> {
        let before = self.databases[db].stores[store].blobs.len();
        let r = f(self);
        if r.is_err() {
            self.databases[db].stores[store].blobs.truncate(before);
        }
        r
    }

    fn add_record_unchecked(
        &mut self,
        db: usize,
        store: usize,
        key: &Key,
        mut value: Value,
    ) -> Result<()> {
        let threshold = self.options.inline_threshold;
        let mut failure = None;
        let mut big = Vec::new();
        value.for_each_binary_mut(&mut |b| match b {
            Binary::Inline(bytes) if bytes.len() > threshold => {
                big.push(std::mem::take(bytes));
                // Placeholder; the index is filled in below, in the same order.
                *b = Binary::External(BlobRef {
                    index: u32::MAX,
                    len: 0,
                });
            }
            Binary::External(_) => {
                failure = Some(Error::Misuse(
                    "a value refers to a blob entry of another backup; resolve it first".into(),
                ))
            }
            Binary::Inline(_) => {}
        });
        if let Some(e) = failure {
            return Err(e);
        }
        let mut refs = Vec::with_capacity(big.len());
        for bytes in big {
            refs.push(self.add_blob(db, store, &bytes)?);
        }
        let mut refs = refs.into_iter();
        value.for_each_binary_mut(&mut |b| {
            if let Binary::External(r) = b {
                if r.index == u32::MAX {
                    if let Some(new) = refs.next() {
                        *r = new;
                    }
                }
            }
        });
        self.scratch.clear();
        let revision = encode_value_into(&mut self.scratch, &value)
            .map_err(|e| Error::Unencodable(format!("value: {e}")))?;
        let encoded = std::mem::take(&mut self.scratch);
        let r = self.append_record(db, store, key, &encoded, revision);
        self.scratch = encoded;
        r
    }

    /// Adds a record to a plain store whose value the caller has already
    /// encoded (FORMAT.md §4.3) except for its binary bodies: each of
    /// `bodies` is `(offset, body)`, the place in `value` where that body's
    /// `binary` belongs (offsets non-decreasing, at most `value.len()`).
    /// Bodies longer than the inline threshold move to blob entries, like
    /// [`BackupWriter::add_record`]'s; the rest go inline. The assembled
    /// encoding must be canonical, or the record is refused
    /// ([`Error::Unencodable`]), so what the writer stores always reads
    /// back. Lets a caller encode values where they live (such as a
    /// browser's JavaScript) without building a [`Value`].
    pub fn add_encoded_record(
        &mut self,
        db: usize,
        store: usize,
        key: &Key,
        value: &[u8],
        bodies: &[(usize, &[u8])],
    ) -> Result<()> {
        self.store_mut(db, store, false)?;
        self.keeping_blobs_only_on_success(db, store, |w| {
            w.add_encoded_record_unchecked(db, store, key, value, bodies)
        })
    }

    fn add_encoded_record_unchecked(
        &mut self,
        db: usize,
        store: usize,
        key: &Key,
        value: &[u8],
        bodies: &[(usize, &[u8])],
    ) -> Result<()> {
        if bodies.is_empty() {
            let checked = checked(value)
                .filter(|c| c.external == 0)
                .ok_or_else(|| bad_encoding(value))?;
            return self.append_record(db, store, key, value, checked.revision);
        }
        let mut prev = 0;
        for (at, _) in bodies {
            if *at < prev || *at > value.len() {
                return Err(Error::Misuse(format!(
                    "body offsets must be non-decreasing and within the value; got {at}"
                )));
            }
            prev = *at;
        }
        let threshold = self.options.inline_threshold;
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        let mut from = 0;
        let mut external = 0;
        for (at, body) in bodies {
            out.extend_from_slice(&value[from..*at]);
            from = *at;
            if body.len() > threshold {
                let r = self.add_blob(db, store, body)?;
                write_binary(&mut out, &Binary::External(r));
                external += 1;
            } else {
                write_inline_binary(&mut out, body);
            }
        }
        out.extend_from_slice(&value[from..]);
        // Only the external bodies placed here may be in it.
        let r = match checked(&out) {
            Some(c) if c.external == external => {
                self.append_record(db, store, key, &out, c.revision)
            }
            _ => Err(bad_encoding(&out)),
        };
        self.scratch = out;
        r
    }

    /// Adds a record to an encrypted store: `envelope` is copied as is. Its
    /// key id must be the writer's master key id.
    pub fn add_sealed_record(
        &mut self,
        db: usize,
        store: usize,
        key: &Key,
        envelope: &[u8],
    ) -> Result<()> {
        self.store_mut(db, store, true)?;
        let id = envelope_key_id(envelope)?;
        let ours = self
            .options
            .master_key
            .as_ref()
            .map(MasterKey::id)
            .ok_or_else(|| Error::Misuse("sealed records need a master key".into()))?;
        if id != ours {
            // The envelope needs key `id`; the writer was given `ours`.
            return Err(Error::WrongKey {
                expected: id,
                actual: ours,
            });
        }
        // Envelopes are versioned on their own (FORMAT.md §9).
        self.append_record(db, store, key, envelope, Revision::V1)
    }

    fn add_blob(&mut self, db: usize, store: usize, bytes: &[u8]) -> Result<BlobRef> {
        let mut e = OpenEntry::new();
        e.append(&mut self.spool, bytes)?;
        let closed = e.close(&mut self.spool, None)?;
        let st = &mut self.databases[db].stores[store];
        let index =
            u32::try_from(st.blobs.len()).map_err(|_| Error::Misuse("too many blobs".into()))?;
        st.blobs.push(closed);
        Ok(BlobRef {
            index,
            len: bytes.len() as u64,
        })
    }

    fn append_record(
        &mut self,
        db: usize,
        store: usize,
        key: &Key,
        value: &[u8],
        revision: Revision,
    ) -> Result<()> {
        let st = &mut self.databases[db].stores[store];
        if let Some(prev) = &st.last_key {
            if prev.idb_cmp(key) != std::cmp::Ordering::Less {
                return Err(Error::Misuse(format!(
                    "records must be added in strictly ascending key order (as IndexedDB returns them); {key:?} follows {prev:?}"
                )));
            }
        }
        st.last_key = Some(key.clone());
        let key = encode_key(key).map_err(|e| Error::Unencodable(format!("key: {e}")))?;
        let mut head = Vec::with_capacity(key.len() + 20);
        write_record_head(&mut head, &key, value.len());
        let part_size = self.options.part_size as u64;
        let st = &mut self.databases[db].stores[store];
        let part = st.part.get_or_insert_with(OpenEntry::new);
        part.append(&mut self.spool, &head)?;
        part.append(&mut self.spool, value)?;
        part.records += 1;
        st.records += 1;
        self.format_version = self.format_version.max(u64::from(revision.number()));
        if part.size >= part_size {
            if let Some(full) = st.part.take() {
                let n = full.records;
                st.parts.push(full.close(&mut self.spool, Some(n))?);
            }
        }
        Ok(())
    }

    /// Writes the archive to `out` and returns it with a summary.
    pub fn finish<W: Write>(self, out: W) -> Result<(W, BackupSummary)> {
        self.finish_with_progress(out, &mut |_| Ok(()))
    }

    /// Like [`BackupWriter::finish`], reporting progress; `progress` may
    /// return [`Error::Cancelled`] to stop.
    ///
    /// Three steps: close the open records parts, build the manifest (with
    /// its MAC when there is a master key), then write the ZIP from the spool.
    pub fn finish_with_progress<W: Write>(
        mut self,
        out: W,
        progress: &mut dyn FnMut(Progress) -> Result<()>,
    ) -> Result<(W, BackupSummary)> {
        self.close_parts()?;
        let created = self
            .options
            .created
            .replace_nanosecond(0)
            .map_err(|e| Error::Misuse(e.to_string()))?
            .to_offset(time::UtcOffset::UTC);
        let (part_bytes, part_entries) = self.parts.sizes();
        let built = std::mem::take(&mut self.parts).build();
        let manifest = self.build_manifest(created, &built)?;
        let mut summary = self.summary(&manifest);
        summary.bytes += part_bytes;
        summary.entries += part_entries;
        let out = self.write_zip(out, &manifest, created, built.entries, progress)?;
        Ok((out, summary))
    }

    /// Closes every store's open records part.
    fn close_parts(&mut self) -> Result<()> {
        for d in &mut self.databases {
            for st in &mut d.stores {
                if let Some(part) = st.part.take() {
                    let n = part.records;
                    st.parts.push(part.close(&mut self.spool, Some(n))?);
                }
            }
        }
        Ok(())
    }

    /// The validated manifest of everything added, created at `created`.
    fn build_manifest(
        &self,
        created: OffsetDateTime,
        parts: &parts::BuiltParts,
    ) -> Result<Manifest> {
        let mut databases = Vec::new();
        for (di, d) in self.databases.iter().enumerate() {
            let mut stores = Vec::new();
            for (si, (schema, st)) in d.schema.stores.iter().zip(&d.stores).enumerate() {
                let info = |kind, i: usize, e: &ClosedEntry| EntryInfo {
                    entry: EntryName {
                        database: di as u32,
                        store: si as u32,
                        kind,
                        index: i as u32,
                    }
                    .to_name(),
                    size: e.size,
                    blake3: hex::encode(e.hash),
                    records: e.records,
                };
                stores.push(StoreManifest {
                    schema: schema.clone(),
                    records: st.records,
                    parts: st
                        .parts
                        .iter()
                        .enumerate()
                        .map(|(i, e)| info(EntryKind::Records, i, e))
                        .collect(),
                    blobs: st
                        .blobs
                        .iter()
                        .enumerate()
                        .map(|(i, e)| info(EntryKind::Blob, i, e))
                        .collect(),
                });
            }
            databases.push(DatabaseManifest {
                name: d.schema.name.clone(),
                version: d.schema.version,
                stores,
            });
        }
        let has_parts =
            parts.local_storage.is_some() || parts.opfs.is_some() || parts.caches.is_some();
        let json = ManifestJson {
            format: FORMAT_NAME.into(),
            // Version 1 unless something needs more: a value of revision 2
            // (views with their buffers) or a part beyond IndexedDB
            // (FORMAT.md §9.1).
            format_version: if has_parts {
                self.format_version.max(2)
            } else {
                self.format_version
            },
            coffer_version: crate::COFFER_VERSION.into(),
            created: created
                .format(&Rfc3339)
                .map_err(|e| Error::Misuse(format!("cannot format time: {e}")))?,
            key_id: self.options.master_key.as_ref().map(MasterKey::id),
            hash: HASH_NAME.into(),
            databases,
            local_storage: parts.local_storage.clone(),
            opfs: parts.opfs.clone(),
            caches: parts.caches.clone(),
        };
        // What the writer makes must read back; only the size caps, which
        // a reader may raise, are not the writer's business.
        let limits = Limits {
            max_entries: u64::MAX,
            max_total_size: u64::MAX,
            max_entry_size: u64::MAX,
            ..Limits::default()
        };
        Manifest::validate(json, &limits)
    }

    /// What the archive will hold.
    fn summary(&self, manifest: &Manifest) -> BackupSummary {
        let entries = || self.databases.iter().flat_map(|d| &d.stores);
        let data = entries()
            .map(|s| s.parts.len() + s.blobs.len())
            .sum::<usize>() as u64;
        BackupSummary {
            databases: self.databases.len() as u64,
            stores: entries().count() as u64,
            records: entries().map(|s| s.records).sum(),
            bytes: entries()
                .flat_map(|s| s.parts.iter().chain(&s.blobs))
                .map(|e| e.size)
                .sum(),
            entries: 1 + u64::from(manifest.json().key_id.is_some()) + data,
        }
    }

    /// Writes the ZIP: the manifest, its MAC, then every entry from the
    /// spool in manifest order.
    fn write_zip<W: Write>(
        mut self,
        out: W,
        manifest: &Manifest,
        created: OffsetDateTime,
        part_entries: Vec<(crate::format::parts::PartEntry, ClosedEntry)>,
        progress: &mut dyn FnMut(Progress) -> Result<()>,
    ) -> Result<W> {
        let mut manifest_bytes = serde_json::to_vec_pretty(manifest.json())
            .map_err(|e| Error::Misuse(format!("cannot serialise the manifest: {e}")))?;
        manifest_bytes.push(b'\n');
        // With a master key the MAC authenticates the manifest (and so the
        // key id and every entry hash); without one there is nothing to key it.
        let mac = self
            .options
            .master_key
            .as_ref()
            .map(|key| manifest_mac(key, &manifest_bytes));
        let opts = EntryOptions::new(created, self.options.deflate_level);

        let mut zip = ZipWriter::new_stream(out);
        zip.start_file(MANIFEST, opts.deflate)
            .map_err(zip_write_error)?;
        zip.write_all(&manifest_bytes)?;
        if let Some(mac) = &mac {
            zip.start_file(MANIFEST_MAC, opts.stored)
                .map_err(zip_write_error)?;
            zip.write_all(mac.as_bytes())?;
        }

        let mut p = Progress {
            total_bytes: self
                .databases
                .iter()
                .flat_map(|d| &d.stores)
                .flat_map(|s| s.parts.iter().chain(&s.blobs))
                .map(|e| e.size)
                .sum::<u64>()
                + part_entries.iter().map(|(_, e)| e.size).sum::<u64>(),
            total_records: self
                .databases
                .iter()
                .flat_map(|d| &d.stores)
                .map(|s| s.records)
                .sum(),
            ..Progress::default()
        };
        progress(p)?;
        let databases = std::mem::take(&mut self.databases);
        for (d, db) in databases.into_iter().enumerate() {
            for (s, st) in db.stores.into_iter().enumerate() {
                let encrypted = db.schema.stores[s].encrypted;
                let parts = st.parts.into_iter().map(|e| (EntryKind::Records, e));
                let blobs = st.blobs.into_iter().map(|e| (EntryKind::Blob, e));
                for (i, (kind, entry)) in parts.enumerate().chain(blobs.enumerate()) {
                    let name = EntryName {
                        database: d as u32,
                        store: s as u32,
                        kind,
                        index: i as u32,
                    }
                    .to_name();
                    // Ciphertext does not deflate.
                    let compressible = !(encrypted && kind == EntryKind::Records);
                    let records = entry.records;
                    write_entry(
                        &mut zip,
                        &mut self.spool,
                        &name,
                        entry,
                        &opts,
                        compressible,
                        &mut |done| {
                            p.done_bytes += done;
                            progress(p)
                        },
                    )?;
                    if let Some(n) = records {
                        p.done_records += n;
                    }
                }
            }
        }
        for (name, entry) in part_entries {
            write_entry(
                &mut zip,
                &mut self.spool,
                &name.to_name(),
                entry,
                &opts,
                true,
                &mut |done| {
                    p.done_bytes += done;
                    progress(p)
                },
            )?;
        }
        progress(p)?;
        Ok(zip.finish().map_err(zip_write_error)?.into_inner())
    }
}

/// The ZIP options of an archive's entries.
struct EntryOptions {
    stored: SimpleFileOptions,
    deflate: SimpleFileOptions,
    /// Whether entries may be deflated at all (level > 0).
    deflating: bool,
}

impl EntryOptions {
    fn new(created: OffsetDateTime, level: u8) -> Self {
        let base = SimpleFileOptions::default()
            .last_modified_time(zip_time(created))
            .unix_permissions(0o644);
        let stored = base.compression_method(CompressionMethod::Stored);
        let deflate = if level == 0 {
            stored
        } else {
            base.compression_method(CompressionMethod::Deflated)
                .compression_level(Some(i64::from(level.min(9))))
        };
        EntryOptions {
            stored,
            deflate,
            deflating: level > 0,
        }
    }
}

fn zip_write_error(e: zip::result::ZipError) -> Error {
    Error::Io(std::io::Error::other(e))
}

/// Writes one spooled entry, deflated when `compressible` and a trial
/// deflate of its start pays off. `done` hears of every chunk written.
fn write_entry<W: Write, S: Spool>(
    zip: &mut ZipWriter<zip::write::StreamWriter<W>>,
    spool: &mut S,
    name: &str,
    entry: ClosedEntry,
    opts: &EntryOptions,
    compressible: bool,
    done: &mut dyn FnMut(u64) -> Result<()>,
) -> Result<()> {
    let mut chunks = entry.chunks.into_iter();
    let first = match chunks.next() {
        Some(id) => spool.take(id)?,
        None => Vec::new(),
    };
    let compress =
        opts.deflating && compressible && worth_deflating(&first[..first.len().min(PROBE)]);
    let o = if compress { opts.deflate } else { opts.stored };
    zip.start_file(name, o.large_file(entry.size >= u64::from(u32::MAX)))
        .map_err(zip_write_error)?;
    let mut chunk = first;
    loop {
        zip.write_all(&chunk)?;
        done(chunk.len() as u64)?;
        match chunks.next() {
            Some(id) => chunk = spool.take(id)?,
            None => return Ok(()),
        }
    }
}

/// The manifest MAC: BLAKE3 keyed with the master key's manifest-MAC subkey
/// over the exact manifest bytes, as 64 lowercase hex digits.
pub(crate) fn manifest_mac(key: &MasterKey, manifest: &[u8]) -> String {
    let k = key.derive(MANIFEST_MAC_CONTEXT);
    blake3::keyed_hash(&k.0, manifest).to_hex().to_string()
}

fn worth_deflating(sample: &[u8]) -> bool {
    if sample.len() < 64 {
        return true;
    }
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    if enc.write_all(sample).is_err() {
        return true;
    }
    match enc.finish() {
        Ok(c) => (c.len() as f64) < sample.len() as f64 * 0.9,
        Err(_) => true,
    }
}

fn zip_time(t: OffsetDateTime) -> zip::DateTime {
    let clamp = |t: OffsetDateTime| {
        zip::DateTime::from_date_and_time(
            t.year().clamp(1980, 2107) as u16,
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
        )
    };
    clamp(t).unwrap_or_default()
}

#[cfg(test)]
mod tests;
