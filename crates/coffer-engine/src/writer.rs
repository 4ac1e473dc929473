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

use crate::codec::{check_value, encode_key, encode_value_into, write_varint};
use crate::envelope::envelope_key_id;
use crate::error::{Error, Result};
use crate::format::manifest::{
    DatabaseManifest, EntryInfo, Manifest, ManifestJson, StoreManifest, FORMAT_NAME,
    FORMAT_VERSION, HASH_NAME,
};
use crate::format::names::{EntryKind, EntryName, MANIFEST, MANIFEST_MAC};
use crate::keys::{MasterKey, MANIFEST_MAC_CONTEXT};
use crate::limits::Limits;
use crate::model::{Binary, BlobRef, DatabaseSchema, Key, Value};
use crate::progress::Progress;
use crate::spool::Spool;

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
    pub fn add_record(
        &mut self,
        db: usize,
        store: usize,
        key: &Key,
        mut value: Value,
    ) -> Result<()> {
        self.store_mut(db, store, false)?;
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
        encode_value_into(&mut self.scratch, &value)
            .map_err(|e| Error::Unencodable(format!("value: {e}")))?;
        let encoded = std::mem::take(&mut self.scratch);
        let r = self.append_record(db, store, key, &encoded);
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
        if bodies.is_empty() {
            check_value(value, MAX_DEPTH)
                .ok()
                .filter(|external| *external == 0)
                .ok_or_else(|| bad_encoding(value))?;
            return self.append_record(db, store, key, value);
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
                out.push(0x01);
                write_varint(&mut out, u64::from(r.index));
                write_varint(&mut out, r.len);
                external += 1;
            } else {
                out.push(0x00);
                write_varint(&mut out, body.len() as u64);
                out.extend_from_slice(body);
            }
        }
        out.extend_from_slice(&value[from..]);
        // Only the external bodies placed here may be in it.
        let r = match check_value(&out, MAX_DEPTH) {
            Ok(n) if n == external => self.append_record(db, store, key, &out),
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
        self.append_record(db, store, key, envelope)
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

    fn append_record(&mut self, db: usize, store: usize, key: &Key, value: &[u8]) -> Result<()> {
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
        write_varint(&mut head, key.len() as u64);
        head.extend_from_slice(&key);
        write_varint(&mut head, value.len() as u64);
        let part_size = self.options.part_size as u64;
        let st = &mut self.databases[db].stores[store];
        let part = st.part.get_or_insert_with(OpenEntry::new);
        part.append(&mut self.spool, &head)?;
        part.append(&mut self.spool, value)?;
        part.records += 1;
        st.records += 1;
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
    pub fn finish_with_progress<W: Write>(
        mut self,
        out: W,
        progress: &mut dyn FnMut(Progress) -> Result<()>,
    ) -> Result<(W, BackupSummary)> {
        // Close open parts.
        for d in &mut self.databases {
            for st in &mut d.stores {
                if let Some(part) = st.part.take() {
                    let n = part.records;
                    st.parts.push(part.close(&mut self.spool, Some(n))?);
                }
            }
        }
        let created = self
            .options
            .created
            .replace_nanosecond(0)
            .map_err(|e| Error::Misuse(e.to_string()))?
            .to_offset(time::UtcOffset::UTC);
        let mut summary = BackupSummary::default();
        let mut databases = Vec::new();
        for (di, d) in self.databases.iter().enumerate() {
            summary.databases += 1;
            let mut stores = Vec::new();
            for (si, (schema, st)) in d.schema.stores.iter().zip(&d.stores).enumerate() {
                summary.stores += 1;
                summary.records += st.records;
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
        let json = ManifestJson {
            format: FORMAT_NAME.into(),
            format_version: FORMAT_VERSION,
            coffer_version: crate::COFFER_VERSION.into(),
            created: created
                .format(&Rfc3339)
                .map_err(|e| Error::Misuse(format!("cannot format time: {e}")))?,
            key_id: self.options.master_key.as_ref().map(MasterKey::id),
            hash: HASH_NAME.into(),
            databases,
        };
        let limits = Limits {
            max_entries: u64::MAX,
            max_total_size: u64::MAX,
            max_entry_size: u64::MAX,
            ..Limits::default()
        };
        let manifest = Manifest::validate(json, &limits)?;
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

        let mtime = zip_time(created);
        let level = self.options.deflate_level;
        let base = SimpleFileOptions::default()
            .last_modified_time(mtime)
            .unix_permissions(0o644);
        let stored = base.compression_method(CompressionMethod::Stored);
        let deflate = if level == 0 {
            stored
        } else {
            base.compression_method(CompressionMethod::Deflated)
                .compression_level(Some(i64::from(level.min(9))))
        };
        let zerr = |e: zip::result::ZipError| Error::Io(std::io::Error::other(e));

        let mut zip = ZipWriter::new_stream(out);
        zip.start_file(MANIFEST, deflate).map_err(zerr)?;
        zip.write_all(&manifest_bytes)?;
        if let Some(mac) = &mac {
            zip.start_file(MANIFEST_MAC, stored).map_err(zerr)?;
            zip.write_all(mac.as_bytes())?;
        }
        summary.entries = 1 + u64::from(mac.is_some());

        let mut p = Progress {
            total_bytes: self
                .databases
                .iter()
                .flat_map(|d| &d.stores)
                .flat_map(|s| s.parts.iter().chain(&s.blobs))
                .map(|e| e.size)
                .sum(),
            total_records: summary.records,
            ..Progress::default()
        };
        progress(p)?;
        let databases = std::mem::take(&mut self.databases);
        for (d, (dm, db)) in manifest.databases().iter().zip(databases).enumerate() {
            for (s, (sm, st)) in dm.stores.iter().zip(db.stores).enumerate() {
                let encrypted = db.schema.stores[s].encrypted;
                let entries = st
                    .parts
                    .into_iter()
                    .map(|e| (EntryKind::Records, e))
                    .enumerate();
                let blobs = st
                    .blobs
                    .into_iter()
                    .map(|e| (EntryKind::Blob, e))
                    .enumerate();
                let _ = (d, sm);
                for (i, (kind, entry)) in entries.chain(blobs) {
                    let name = EntryName {
                        database: d as u32,
                        store: s as u32,
                        kind,
                        index: i as u32,
                    }
                    .to_name();
                    let mut chunks = entry.chunks.into_iter();
                    let first = match chunks.next() {
                        Some(id) => self.spool.take(id)?,
                        None => Vec::new(),
                    };
                    let compress = level > 0
                        && !(encrypted && kind == EntryKind::Records)
                        && worth_deflating(&first[..first.len().min(PROBE)]);
                    let opts = if compress { deflate } else { stored };
                    zip.start_file(&name, opts.large_file(entry.size >= u64::from(u32::MAX)))
                        .map_err(zerr)?;
                    let mut chunk = first;
                    loop {
                        zip.write_all(&chunk)?;
                        p.done_bytes += chunk.len() as u64;
                        progress(p)?;
                        match chunks.next() {
                            Some(id) => chunk = self.spool.take(id)?,
                            None => break,
                        }
                    }
                    if let Some(n) = entry.records {
                        p.done_records += n;
                    }
                    summary.bytes += entry.size;
                    summary.entries += 1;
                }
            }
        }
        progress(p)?;
        let out = zip.finish().map_err(zerr)?.into_inner();
        Ok((out, summary))
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
mod tests {
    use super::*;
    use crate::codec::value::tests::arb_value;
    use crate::model::{IndexSchema, KeyPath, StoreSchema};
    use crate::reader::{BackupReader, RecordValue};
    use crate::spool::MemorySpool;
    use proptest::prelude::*;
    use std::io::Cursor;

    fn arb_key() -> impl Strategy<Value = Key> {
        let leaf = prop_oneof![
            (-1e9f64..1e9).prop_map(Key::Number),
            (0f64..1e13).prop_map(Key::Date),
            ".{0,8}".prop_map(|s: String| Key::String(s.into())),
            proptest::collection::vec(any::<u8>(), 0..8).prop_map(Key::Binary),
        ];
        leaf.prop_recursive(2, 8, 3, |inner| {
            proptest::collection::vec(inner, 0..3).prop_map(Key::Array)
        })
    }

    fn arb_schema() -> impl Strategy<Value = StoreSchema> {
        (
            "[a-z]{1,6}",
            proptest::option::of(prop_oneof![
                "[a-z]{1,4}".prop_map(KeyPath::Single),
                proptest::collection::vec("[a-z]{1,4}", 1..3).prop_map(KeyPath::Compound),
            ]),
            proptest::option::of(0u64..1 << 53),
            proptest::collection::vec(("[a-z]{1,5}", any::<bool>(), any::<bool>()), 0..3),
        )
            .prop_map(|(name, key_path, generator, idx)| {
                let auto = generator.is_some() && !matches!(key_path, Some(KeyPath::Compound(_)));
                let mut seen = HashSet::new();
                StoreSchema {
                    name,
                    key_path,
                    auto_increment: auto,
                    key_generator: if auto { generator } else { None },
                    indexes: idx
                        .into_iter()
                        .filter(|(n, _, _)| seen.insert(n.clone()))
                        .map(|(n, unique, multi)| IndexSchema {
                            name: n.clone(),
                            key_path: KeyPath::Single(n),
                            unique,
                            multi_entry: multi,
                        })
                        .collect(),
                    encrypted: false,
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_store_round_trips(
            schema in arb_schema(),
            mut records in proptest::collection::vec((arb_key(), arb_value()), 0..12),
            part_size in 1usize..4096,
            threshold in 0usize..64,
        ) {
            records.sort_by(|a, b| a.0.idb_cmp(&b.0));
            records.dedup_by(|a, b| a.0.idb_cmp(&b.0) == std::cmp::Ordering::Equal);
            let mut opts = WriteOptions::new(OffsetDateTime::UNIX_EPOCH);
            opts.part_size = part_size;
            opts.inline_threshold = threshold;
            let mut w = BackupWriter::new(opts, MemorySpool::default());
            let db = DatabaseSchema { name: "db".into(), version: 7, stores: vec![schema.clone()] };
            let d = w.add_database(db).unwrap();
            for (k, v) in &records {
                w.add_record(d, 0, k, v.clone()).unwrap();
            }
            let (zip, summary) = w.finish(Vec::new()).unwrap();
            prop_assert_eq!(summary.records, records.len() as u64);
            let mut r = BackupReader::open(Cursor::new(zip), Limits::default()).unwrap();
            prop_assert_eq!(&r.manifest().databases()[0].stores[0].schema, &schema);
            prop_assert_eq!(r.manifest().databases()[0].version, 7);
            r.verify(None, &mut |_| Ok(())).unwrap();
            let mut back = Vec::new();
            r.for_each_record(0, 0, &mut |rec| { back.push(rec); Ok(()) }).unwrap();
            prop_assert_eq!(back.len(), records.len());
            for (rec, (k, v)) in back.into_iter().zip(&records) {
                prop_assert_eq!(&rec.key, k);
                let RecordValue::Plain(mut value) = rec.value else { panic!("plain store") };
                r.resolve_blobs(0, 0, &mut value).unwrap();
                prop_assert!(value.same(v), "{:?} != {:?}", value, v);
            }
        }
    }

    /// A writer with one database `db` holding one plain store `s`.
    fn one_store(opts: WriteOptions) -> (BackupWriter<MemorySpool>, usize) {
        let mut w = BackupWriter::new(opts, MemorySpool::default());
        let d = w
            .add_database(DatabaseSchema {
                name: "db".into(),
                version: 1,
                stores: vec![StoreSchema::new("s")],
            })
            .unwrap();
        (w, d)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Values encoded by the caller (bodies apart) write exactly the
        /// archive that [`BackupWriter::add_record`] writes.
        #[test]
        fn encoded_records_write_the_same_archive(
            mut records in proptest::collection::vec((arb_key(), arb_value()), 0..10),
            threshold in 0usize..48,
        ) {
            records.sort_by(|a, b| a.0.idb_cmp(&b.0));
            records.dedup_by(|a, b| a.0.idb_cmp(&b.0) == std::cmp::Ordering::Equal);
            let schema = DatabaseSchema { name: "db".into(), version: 1, stores: vec![StoreSchema::new("s")] };
            let writer = || {
                let mut opts = WriteOptions::new(OffsetDateTime::UNIX_EPOCH);
                opts.inline_threshold = threshold;
                opts.part_size = 512;
                BackupWriter::new(opts, MemorySpool::default())
            };
            let mut model = writer();
            let d = model.add_database(schema.clone()).unwrap();
            for (k, v) in &records {
                model.add_record(d, 0, k, v.clone()).unwrap();
            }
            let (expected, _) = model.finish(Vec::new()).unwrap();
            let mut encoded = writer();
            let d = encoded.add_database(schema).unwrap();
            for (k, v) in &records {
                let (head, bodies) = crate::codec::encode_value_without_bodies(v).unwrap();
                let bodies: Vec<(usize, &[u8])> = bodies.iter().map(|(at, b)| (*at, b.as_slice())).collect();
                encoded.add_encoded_record(d, 0, k, &head, &bodies).unwrap();
            }
            let (actual, _) = encoded.finish(Vec::new()).unwrap();
            prop_assert!(actual == expected, "archives differ");
        }
    }

    #[test]
    fn encoded_records_must_be_canonical() {
        assert_eq!(MAX_DEPTH, Limits::default().max_depth);
        let mut opts = WriteOptions::new(OffsetDateTime::UNIX_EPOCH);
        opts.inline_threshold = 4;
        let (mut w, d) = one_store(opts);
        let k = Key::Number(1.0);
        let refused =
            |r: Result<()>| matches!(r, Err(Error::Unencodable(m)) if m.contains("canonical"));
        // Trailing bytes, an unknown tag, a non-canonical string.
        assert!(refused(w.add_encoded_record(d, 0, &k, &[0x01, 0x01], &[])));
        assert!(refused(w.add_encoded_record(d, 0, &k, &[0x7f], &[])));
        assert!(refused(w.add_encoded_record(
            d,
            0,
            &k,
            &[0x06, 0x03, b'a', 0],
            &[]
        )));
        // An external body the caller did not bring.
        assert!(refused(w.add_encoded_record(
            d,
            0,
            &k,
            &[0x12, 0x01, 0x00, 0x09],
            &[]
        )));
        // A body where no binary belongs (after the tag of a number).
        assert!(refused(w.add_encoded_record(
            d,
            0,
            &k,
            &[0x04],
            &[(1, &[0; 8])]
        )));
        // Offsets out of order or beyond the value: misuse.
        assert!(matches!(
            w.add_encoded_record(d, 0, &k, &[0x12], &[(1, &[1]), (0, &[2])]),
            Err(Error::Misuse(_))
        ));
        assert!(matches!(
            w.add_encoded_record(d, 0, &k, &[0x12], &[(2, &[1])]),
            Err(Error::Misuse(_))
        ));
        // Accepted: an ArrayBuffer whose 9-byte body moves to a blob entry,
        // in an array with a 2-byte one that stays inline.
        let head = [0x17, 0x02, 0x12, 0x12, 0x00];
        w.add_encoded_record(d, 0, &k, &head, &[(3, &[9; 9]), (4, &[2, 2])])
            .unwrap();
        let (zip, _) = w.finish(Vec::new()).unwrap();
        let mut r = BackupReader::open(Cursor::new(zip), Limits::default()).unwrap();
        r.verify(None, &mut |_| Ok(())).unwrap();
        let mut back = Vec::new();
        r.for_each_record(0, 0, &mut |rec| {
            back.push(rec);
            Ok(())
        })
        .unwrap();
        assert_eq!(back.len(), 1);
        let RecordValue::Plain(mut v) = back.remove(0).value else {
            panic!("plain store")
        };
        r.resolve_blobs(0, 0, &mut v).unwrap();
        let expected = Value::Array {
            length: 2,
            items: vec![
                (0, Value::ArrayBuffer(Binary::Inline(vec![9; 9]))),
                (1, Value::ArrayBuffer(Binary::Inline(vec![2, 2]))),
            ],
            props: Vec::new(),
        };
        assert!(v.same(&expected), "{v:?}");
    }

    #[test]
    fn out_of_order_and_misrouted_records_are_refused() {
        let (mut w, d) = one_store(WriteOptions::new(OffsetDateTime::UNIX_EPOCH));
        w.add_record(d, 0, &Key::Number(2.0), Value::Null).unwrap();
        assert!(matches!(
            w.add_record(d, 0, &Key::Number(1.0), Value::Null),
            Err(Error::Misuse(_))
        ));
        assert!(matches!(
            w.add_record(d, 0, &Key::Number(2.0), Value::Null),
            Err(Error::Misuse(_))
        ));
        assert!(matches!(
            w.add_sealed_record(d, 0, &Key::Number(3.0), &[0; 64]),
            Err(Error::Misuse(_))
        ));
        assert!(matches!(
            w.add_record(d, 5, &Key::Number(3.0), Value::Null),
            Err(Error::Misuse(_))
        ));
        let enc = DatabaseSchema {
            name: "enc".into(),
            version: 1,
            stores: vec![StoreSchema {
                encrypted: true,
                ..StoreSchema::new("s")
            }],
        };
        assert!(
            matches!(w.add_database(enc), Err(Error::Misuse(_))),
            "no master key"
        );
    }

    #[test]
    fn key_generator_can_be_set_before_finish() {
        let mut w = BackupWriter::new(
            WriteOptions::new(OffsetDateTime::UNIX_EPOCH),
            MemorySpool::default(),
        );
        let auto = StoreSchema {
            auto_increment: true,
            key_generator: Some(1),
            ..StoreSchema::new("auto")
        };
        let d = w
            .add_database(DatabaseSchema {
                name: "db".into(),
                version: 1,
                stores: vec![auto, StoreSchema::new("plain")],
            })
            .unwrap();
        w.set_key_generator(d, 0, 77).unwrap();
        assert!(matches!(
            w.set_key_generator(d, 1, 5),
            Err(Error::Misuse(_))
        ));
        assert!(matches!(
            w.set_key_generator(d, 0, (1 << 53) + 1),
            Err(Error::Misuse(_))
        ));
        assert!(matches!(
            w.set_key_generator(d, 9, 5),
            Err(Error::Misuse(_))
        ));
        let (zip, _) = w.finish(Vec::new()).unwrap();
        let r = BackupReader::open(Cursor::new(zip), Limits::default()).unwrap();
        assert_eq!(
            r.manifest().databases()[0].stores[0].schema.key_generator,
            Some(77)
        );
    }

    #[test]
    fn sealed_records_must_use_the_writers_key() {
        let key = MasterKey::from_bytes([1; 32]);
        let other = MasterKey::from_bytes([2; 32]);
        let opts = WriteOptions::new(OffsetDateTime::UNIX_EPOCH).with_master_key(key);
        let mut w = BackupWriter::new(opts, MemorySpool::default());
        let d = w
            .add_database(DatabaseSchema {
                name: "db".into(),
                version: 1,
                stores: vec![StoreSchema {
                    encrypted: true,
                    ..StoreSchema::new("s")
                }],
            })
            .unwrap();
        let k = Key::from("a");
        let ctx = crate::envelope::RecordContext {
            database: "db",
            store: "s",
            key: &k,
        };
        let env = crate::envelope::seal_bytes(&other, &ctx, b"x").unwrap();
        assert!(matches!(
            w.add_sealed_record(d, 0, &k, &env),
            Err(Error::WrongKey { .. })
        ));
    }

    #[test]
    fn incompressible_entries_are_stored() {
        let (mut w, d) = one_store(WriteOptions::new(OffsetDateTime::UNIX_EPOCH));
        let mut noise = vec![0u8; 200_000];
        let mut x: u32 = 1;
        for b in noise.iter_mut() {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *b = (x >> 24) as u8;
        }
        w.add_record(d, 0, &Key::Number(1.0), Value::ArrayBuffer(noise.into()))
            .unwrap();
        w.add_record(
            d,
            0,
            &Key::Number(2.0),
            Value::ArrayBuffer(vec![0u8; 200_000].into()),
        )
        .unwrap();
        let (zip, _) = w.finish(Vec::new()).unwrap();
        let mut a = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
        let noise_entry = a.by_name("databases/0/stores/0/blobs/000000.bin").unwrap();
        assert_eq!(noise_entry.compression(), CompressionMethod::Stored);
        drop(noise_entry);
        let zeros = a.by_name("databases/0/stores/0/blobs/000001.bin").unwrap();
        assert_eq!(zeros.compression(), CompressionMethod::Deflated);
        assert!(zeros.compressed_size() < 10_000);
    }
}
