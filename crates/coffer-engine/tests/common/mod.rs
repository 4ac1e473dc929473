//! Helpers shared by the engine's integration tests: sample backups and a
//! way to rebuild archives with altered entries.
#![allow(dead_code)]

use std::io::{Cursor, Read, Write};

use coffer_engine::envelope::{seal_value, RecordContext};
use coffer_engine::model::{
    BigInt, DatabaseSchema, IndexSchema, JsString, Key, KeyPath, StoreSchema, Value, ViewKind,
};
use coffer_engine::{BackupWriter, MasterKey, MemorySpool, WriteOptions};
use time::macros::datetime;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

pub fn master_key() -> MasterKey {
    MasterKey::from_bytes([0x11; 32])
}

pub fn other_key() -> MasterKey {
    MasterKey::from_bytes([0x22; 32])
}

/// A value holding every structured-clone type the model knows.
pub fn every_type(big: usize) -> Value {
    Value::object([
        ("undefined", Value::Undefined),
        ("null", Value::Null),
        ("true", Value::Bool(true)),
        (
            "numbers",
            Value::array(vec![
                Value::Number(f64::NAN),
                Value::Number(-0.0),
                Value::Number(f64::INFINITY),
                Value::Number(f64::NEG_INFINITY),
                Value::Number(3.25),
            ]),
        ),
        (
            "bigint",
            Value::BigInt(
                BigInt::parse_decimal("-123456789012345678901234567890").expect("literal"),
            ),
        ),
        (
            "lone surrogate",
            Value::String(JsString::from_utf16(vec![0x41, 0xD800])),
        ),
        ("unicode", Value::string("Grüße, 世界 😀")),
        ("date", Value::Date(1_764_000_000_000.0)),
        (
            "regexp",
            Value::RegExp {
                source: "^co(ff)?er$".into(),
                flags: "iu".into(),
            },
        ),
        ("buffer", Value::ArrayBuffer(vec![0, 1, 2, 3].into())),
        (
            "f32",
            Value::View {
                kind: ViewKind::Float32,
                byte_offset: 4,
                buffer_len: 16,
                bytes: 1.5f32.to_le_bytes().to_vec().into(),
            },
        ),
        (
            "big64",
            Value::View {
                kind: ViewKind::BigInt64,
                byte_offset: 0,
                buffer_len: 8,
                bytes: (-5i64).to_le_bytes().to_vec().into(),
            },
        ),
        (
            "dataview",
            Value::View {
                kind: ViewKind::DataView,
                byte_offset: 1,
                buffer_len: 3,
                bytes: vec![7].into(),
            },
        ),
        (
            "blob",
            Value::Blob {
                mime: "text/plain".into(),
                data: b"attachment".to_vec().into(),
            },
        ),
        (
            "file",
            Value::File {
                name: "photo.raw".into(),
                mime: "application/octet-stream".into(),
                last_modified: 1_700_000_000_123.0,
                data: (0..big)
                    .map(|i| (i * 7 % 251) as u8)
                    .collect::<Vec<u8>>()
                    .into(),
            },
        ),
        (
            "sparse",
            Value::Array {
                length: 10,
                items: vec![(2, Value::Null), (9, Value::Bool(false))],
                props: vec![("tag".into(), Value::string("x"))],
            },
        ),
        (
            "map",
            Value::Map(vec![
                (Value::string("k"), Value::Number(1.0)),
                (Value::Number(2.0), Value::Null),
            ]),
        ),
        (
            "set",
            Value::Set(vec![Value::Number(1.0), Value::string("two")]),
        ),
        (
            "boxed",
            Value::array(vec![
                Value::BoxedBool(false),
                Value::BoxedNumber(f64::NAN),
                Value::BoxedBigInt(BigInt::from_i128(1 << 70)),
                Value::BoxedString("boxed".into()),
            ]),
        ),
        (
            "error",
            Value::Error {
                name: "RangeError".into(),
                message: "out of range".into(),
                stack: None,
            },
        ),
        ("cycle", Value::Ref(0)),
    ])
}

pub fn app_schema() -> DatabaseSchema {
    DatabaseSchema {
        name: "app".into(),
        version: 3,
        stores: vec![
            StoreSchema {
                name: "notes".into(),
                key_path: Some(KeyPath::Single("id".into())),
                auto_increment: true,
                key_generator: Some(42),
                indexes: vec![
                    IndexSchema {
                        name: "by_tag".into(),
                        key_path: KeyPath::Single("tags".into()),
                        unique: false,
                        multi_entry: true,
                    },
                    IndexSchema {
                        name: "by_name".into(),
                        key_path: KeyPath::Compound(vec!["last".into(), "first".into()]),
                        unique: true,
                        multi_entry: false,
                    },
                ],
                encrypted: false,
            },
            StoreSchema::new("misc"),
            StoreSchema {
                encrypted: true,
                ..StoreSchema::new("secrets")
            },
        ],
    }
}

/// A backup with a plain store of notes, a store of every value type (with a
/// blob large enough to become its own entry) and an encrypted store.
pub fn sample_backup() -> Vec<u8> {
    sample_backup_with(&master_key())
}

pub fn sample_backup_with(key: &MasterKey) -> Vec<u8> {
    let opts = WriteOptions::new(datetime!(2026-11-26 10:00 UTC)).with_master_key(key.clone());
    let mut w = BackupWriter::new(opts, MemorySpool::default());
    let schema = app_schema();
    let db = w.add_database(schema).expect("db");
    for i in 1..=5 {
        let v = Value::object([
            ("id", Value::Number(f64::from(i))),
            ("title", Value::string(&format!("note {i}"))),
            (
                "tags",
                Value::array(vec![Value::string("a"), Value::string("b")]),
            ),
            ("created", Value::Date(1_700_000_000_000.0 + f64::from(i))),
        ]);
        w.add_record(db, 0, &Key::Number(f64::from(i)), v)
            .expect("note");
    }
    w.add_record(db, 1, &Key::from("every"), every_type(200_000))
        .expect("every");
    w.add_record(
        db,
        1,
        &Key::Array(vec![Key::from("z"), Key::Binary(vec![1])]),
        Value::Null,
    )
    .expect("misc");
    for name in ["api-token", "password"] {
        let k = Key::from(name);
        let ctx = RecordContext {
            database: "app",
            store: "secrets",
            key: &k,
        };
        let env = seal_value(key, &ctx, &Value::string(&format!("secret {name}"))).expect("seal");
        w.add_sealed_record(db, 2, &k, &env).expect("sealed");
    }
    let db2 = w
        .add_database(DatabaseSchema {
            name: "empty".into(),
            version: 1,
            stores: vec![StoreSchema::new("nothing")],
        })
        .expect("db2");
    let _ = db2;
    w.finish(Vec::new()).expect("finish").0
}

/// A backup without encrypted stores.
pub fn plain_backup() -> Vec<u8> {
    let opts = WriteOptions::new(datetime!(2026-11-26 10:00 UTC));
    let mut w = BackupWriter::new(opts, MemorySpool::default());
    let db = w
        .add_database(DatabaseSchema {
            name: "plain".into(),
            version: 1,
            stores: vec![StoreSchema::new("kv")],
        })
        .expect("db");
    for i in 0..20 {
        w.add_record(
            db,
            0,
            &Key::Number(f64::from(i)),
            Value::string(&"x".repeat(100)),
        )
        .expect("rec");
    }
    w.add_record(
        db,
        0,
        &Key::from("blob"),
        Value::ArrayBuffer(vec![9u8; 100_000].into()),
    )
    .expect("blob");
    w.finish(Vec::new()).expect("finish").0
}

/// All entries of an archive, in order.
pub fn entries(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut a = ZipArchive::new(Cursor::new(zip)).expect("zip");
    (0..a.len())
        .map(|i| {
            let mut f = a.by_index(i).expect("entry");
            let mut b = Vec::new();
            f.read_to_end(&mut b).expect("read");
            (f.name().expect("name").into_owned(), b)
        })
        .collect()
}

/// Writes entries into a fresh archive (deflate level 1, or as given).
pub fn build(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    build_with(entries, CompressionMethod::Deflated, Some(1))
}

pub fn build_with(
    entries: &[(String, Vec<u8>)],
    method: CompressionMethod,
    level: Option<i64>,
) -> Vec<u8> {
    let mut z = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(method)
        .compression_level(level);
    for (name, bytes) in entries {
        z.start_file(name.as_str(), opts).expect("start");
        z.write_all(bytes).expect("write");
    }
    z.finish().expect("finish").into_inner()
}

/// Rewrites the manifest (as JSON) of an entry list.
pub fn edit_manifest(entries: &mut [(String, Vec<u8>)], f: impl FnOnce(&mut serde_json::Value)) {
    let m = entries
        .iter_mut()
        .find(|(n, _)| n == "manifest.json")
        .expect("manifest");
    let mut json: serde_json::Value = serde_json::from_slice(&m.1).expect("json");
    f(&mut json);
    m.1 = serde_json::to_vec_pretty(&json).expect("ser");
}

/// Recomputes the manifest's size and hash for entry `name` after its bytes
/// changed (a tamperer who knows the format).
pub fn rehash(entries: &mut [(String, Vec<u8>)], name: &str) {
    let bytes = entries
        .iter()
        .find(|(n, _)| n == name)
        .expect("entry")
        .1
        .clone();
    edit_manifest(entries, |m| {
        for db in m["databases"].as_array_mut().expect("dbs") {
            for st in db["stores"].as_array_mut().expect("stores") {
                for list in ["parts", "blobs"] {
                    for e in st[list].as_array_mut().expect("list") {
                        if e["entry"] == name {
                            e["size"] = bytes.len().into();
                            e["blake3"] = blake3::hash(&bytes).to_hex().to_string().into();
                        }
                    }
                }
            }
        }
    });
}

/// Appends one framed record (FORMAT.md §4.1) to a part.
pub fn frame(part: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    coffer_engine::codec::write_record_head(part, key, value.len());
    part.extend_from_slice(value);
}

/// The key encoding of number `n`.
pub fn num_key(n: f64) -> Vec<u8> {
    coffer_engine::codec::encode_key(&Key::Number(n)).expect("key")
}

/// A store of a crafted backup: raw parts (with their record counts) and
/// blobs, which need not be what any writer makes.
#[derive(Clone, Default)]
pub struct CraftStore {
    pub name: String,
    pub encrypted: bool,
    pub parts: Vec<(u64, Vec<u8>)>,
    pub blobs: Vec<Vec<u8>>,
}

/// A crafted backup: a manifest with correct sizes and hashes for whatever
/// entries are given, its MAC under `key` when there is one.
#[derive(Clone, Default)]
pub struct Craft {
    pub key: Option<MasterKey>,
    pub databases: Vec<(String, Vec<CraftStore>)>,
}

impl Craft {
    /// One database `db` with the given stores.
    pub fn stores(stores: Vec<CraftStore>) -> Craft {
        Craft {
            key: None,
            databases: vec![("db".into(), stores)],
        }
    }

    /// The manifest JSON and the data entries.
    pub fn entries(&self) -> Vec<(String, Vec<u8>)> {
        let mut data = Vec::new();
        let mut dbs = Vec::new();
        for (d, (name, stores)) in self.databases.iter().enumerate() {
            let mut sts = Vec::new();
            for (s, st) in stores.iter().enumerate() {
                let mut info = |kind: &str, i: usize, bytes: &[u8], records: Option<u64>| {
                    let entry = format!("databases/{d}/stores/{s}/{kind}/{i:06}.bin");
                    data.push((entry.clone(), bytes.to_vec()));
                    let mut j = serde_json::json!({
                        "entry": entry, "size": bytes.len(),
                        "blake3": blake3::hash(bytes).to_hex().to_string(),
                    });
                    if let Some(n) = records {
                        j["records"] = n.into();
                    }
                    j
                };
                let parts: Vec<_> = st
                    .parts
                    .iter()
                    .enumerate()
                    .map(|(i, (n, b))| info("records", i, b, Some(*n)))
                    .collect();
                let blobs: Vec<_> = st
                    .blobs
                    .iter()
                    .enumerate()
                    .map(|(i, b)| info("blobs", i, b, None))
                    .collect();
                sts.push(serde_json::json!({
                    "schema": {"name": st.name, "key_path": null, "auto_increment": false,
                               "key_generator": null, "indexes": [], "encrypted": st.encrypted},
                    "records": st.parts.iter().map(|p| p.0).sum::<u64>(),
                    "parts": parts, "blobs": blobs,
                }));
            }
            dbs.push(serde_json::json!({"name": name, "version": 1, "stores": sts}));
        }
        let manifest = serde_json::json!({
            "format": "coffer-backup", "format_version": 1, "coffer_version": "0.1.0",
            "created": "2026-11-26T12:00:00Z",
            "key_id": self.key.as_ref().map(|k| k.id().to_hex()),
            "hash": "blake3", "databases": dbs,
        });
        let mut m = serde_json::to_vec_pretty(&manifest).expect("json");
        m.push(b'\n');
        let mut out = vec![("manifest.json".to_owned(), m.clone())];
        if let Some(k) = &self.key {
            let mk = blake3::derive_key("coffer 2026-11 manifest mac key v1", k.expose_bytes());
            let mac = blake3::keyed_hash(&mk, &m).to_hex().to_string();
            out.push(("manifest.mac".to_owned(), mac.into_bytes()));
        }
        out.extend(data);
        out
    }

    /// The archive.
    pub fn build(&self) -> Vec<u8> {
        build(&self.entries())
    }
}

/// A crafted backup of one plain store holding one record (key 1) whose
/// value encoding is `value`.
pub fn one_value(value: &[u8]) -> Vec<u8> {
    let mut part = Vec::new();
    frame(&mut part, &num_key(1.0), value);
    Craft::stores(vec![CraftStore {
        name: "s".into(),
        parts: vec![(1, part)],
        ..CraftStore::default()
    }])
    .build()
}
