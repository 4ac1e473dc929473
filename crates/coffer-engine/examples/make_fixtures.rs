//! Regenerates the committed fixtures in `tests/fixtures/` at the repository
//! root:
//!
//! ```text
//! cargo run -p coffer-engine --example make_fixtures
//! ```
//!
//! - `plain.zip`: no encrypted stores; every value type, indexes, compound
//!   key paths, a key generator, and bodies large enough for blob entries.
//! - `sealed.zip` and `sealed.key`: a database with encrypted `secrets` and
//!   `sessions` stores, and the (public, test-only) master key file.
//! - `locked.zip` and `locked.passphrase`: `plain.zip`'s data, whole-backup
//!   encrypted with the passphrase in `locked.passphrase`.
//!
//! Plain backups are byte-for-byte reproducible; sealed and locked ones draw
//! fresh random nonces and salts each time.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use coffer_engine::envelope::{seal_value, RecordContext};
use coffer_engine::keyfile::write_key_file;
use coffer_engine::locked::{lock_writer, Lock};
use coffer_engine::model::{
    BigInt, DatabaseSchema, IndexSchema, JsString, Key, KeyPath, StoreSchema, Value, ViewKind,
};
use coffer_engine::primitives::kdf::KdfParams;
use coffer_engine::{BackupWriter, MasterKey, MemorySpool, WriteOptions};
use time::macros::datetime;

const CREATED: time::OffsetDateTime = datetime!(2026-11-26 12:00 UTC);
const PASSPHRASE: &str = "correct horse battery staple";

/// The fixtures' master key: public, for tests only.
fn fixture_key() -> MasterKey {
    MasterKey::from_bytes(blake3::derive_key(
        "coffer fixtures: public test master key",
        b"",
    ))
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn note(id: u32) -> Value {
    Value::object([
        ("id", Value::Number(f64::from(id))),
        ("title", Value::string(&format!("Note {id}"))),
        (
            "body",
            Value::string("Remember to back up before upgrading."),
        ),
        (
            "tags",
            Value::array(vec![
                Value::string("work"),
                Value::string(if id % 2 == 0 { "even" } else { "odd" }),
            ]),
        ),
        (
            "created",
            Value::Date(1_764_000_000_000.0 + f64::from(id) * 86_400_000.0),
        ),
        (
            "author",
            Value::object([
                ("last", Value::string("Lovelace")),
                ("first", Value::string(&format!("Ada{id}"))),
            ]),
        ),
    ])
}

fn every_type() -> Vec<(Key, Value)> {
    let typed = |kind: ViewKind, bytes: Vec<u8>, offset: u64, extra: u64| Value::PartialView {
        kind,
        byte_offset: offset,
        buffer_len: offset + bytes.len() as u64 + extra,
        bytes: bytes.into(),
    };
    let mut out = vec![
        ("01-undefined", Value::Undefined),
        ("02-null", Value::Null),
        (
            "03-booleans",
            Value::array(vec![Value::Bool(true), Value::Bool(false)]),
        ),
        (
            "04-numbers",
            Value::array(vec![
                Value::Number(0.0),
                Value::Number(-0.0),
                Value::Number(f64::NAN),
                Value::Number(f64::INFINITY),
                Value::Number(f64::NEG_INFINITY),
                Value::Number(f64::MIN_POSITIVE),
                Value::Number(9_007_199_254_740_993.0),
            ]),
        ),
        (
            "05-bigint",
            Value::BigInt(
                BigInt::parse_decimal("-170141183460469231731687303715884105728").expect("literal"),
            ),
        ),
        (
            "06-strings",
            Value::array(vec![
                Value::string(""),
                Value::string("ascii"),
                Value::string("Grüße 世界 😀"),
                Value::String(JsString::from_utf16(vec![0xD800])),
                Value::String(JsString::from_utf16(vec![0x61, 0xDFFF, 0x62])),
            ]),
        ),
        (
            "07-dates",
            Value::array(vec![
                Value::Date(0.0),
                Value::Date(1_764_158_400_000.0),
                Value::Date(f64::NAN),
            ]),
        ),
        (
            "08-regexp",
            Value::RegExp {
                source: "^(?<word>\\w+)\\s\\/".into(),
                flags: "dgimsuy".into(),
            },
        ),
        ("09-arraybuffer", Value::ArrayBuffer(pattern(33, 1).into())),
        (
            "10-empty-arraybuffer",
            Value::ArrayBuffer(Vec::new().into()),
        ),
        (
            "20-blob",
            Value::Blob {
                mime: "text/plain;charset=utf-8".into(),
                data: b"hello from a Blob".to_vec().into(),
            },
        ),
        (
            "21-file",
            Value::File {
                name: "notes.txt".into(),
                mime: "text/plain".into(),
                last_modified: 1_764_000_000_123.0,
                data: b"file body".to_vec().into(),
            },
        ),
        (
            "22-sparse-array",
            Value::Array {
                length: 100,
                items: vec![(0, Value::string("first")), (99, Value::string("last"))],
                props: vec![("extra".into(), Value::Number(1.0))],
            },
        ),
        (
            "23-nested",
            Value::object([(
                "a",
                Value::object([("b", Value::object([("c", Value::array(vec![Value::Null]))]))]),
            )]),
        ),
        (
            "24-map",
            Value::Map(vec![
                (Value::string("k"), Value::Number(1.0)),
                (Value::Date(5.0), Value::Set(vec![])),
            ]),
        ),
        (
            "25-set",
            Value::Set(vec![
                Value::Number(1.0),
                Value::string("1"),
                Value::BigInt(BigInt::from_i128(1)),
            ]),
        ),
        (
            "26-boxed",
            Value::array(vec![
                Value::BoxedBool(true),
                Value::BoxedNumber(-0.0),
                Value::BoxedBigInt(BigInt::from_i128(-42)),
                Value::BoxedString("boxed".into()),
            ]),
        ),
        (
            "27-error",
            Value::Error {
                name: "TypeError".into(),
                message: "x is not a function".into(),
                stack: Some("TypeError: x is not a function\n    at <anonymous>:1:1".into()),
            },
        ),
        // {shared, shared, self}: object 0 is the outer object, 1 the shared one.
        (
            "28-shared-and-cyclic",
            Value::object([
                ("one", Value::object([("n", Value::Number(1.0))])),
                ("again", Value::Ref(1)),
                ("self", Value::Ref(0)),
            ]),
        ),
    ];
    let views: Vec<(&str, Value)> = vec![
        ("11-int8", typed(ViewKind::Int8, vec![0x80, 0x7f], 1, 1)),
        ("12-uint8", typed(ViewKind::Uint8, vec![1, 2, 3], 0, 0)),
        (
            "13-uint8clamped",
            typed(ViewKind::Uint8Clamped, vec![255], 2, 0),
        ),
        (
            "14-int16-uint16",
            Value::array(vec![
                typed(ViewKind::Int16, (-2i16).to_le_bytes().to_vec(), 2, 2),
                typed(ViewKind::Uint16, 65535u16.to_le_bytes().to_vec(), 0, 0),
            ]),
        ),
        (
            "15-int32-uint32",
            Value::array(vec![
                typed(ViewKind::Int32, (-3i32).to_le_bytes().to_vec(), 4, 0),
                typed(ViewKind::Uint32, u32::MAX.to_le_bytes().to_vec(), 0, 4),
            ]),
        ),
        (
            "16-float32-float64",
            Value::array(vec![
                typed(ViewKind::Float32, f32::NAN.to_le_bytes().to_vec(), 0, 0),
                typed(ViewKind::Float64, (-0.0f64).to_le_bytes().to_vec(), 8, 8),
            ]),
        ),
        (
            "17-bigint64",
            Value::array(vec![
                typed(ViewKind::BigInt64, i64::MIN.to_le_bytes().to_vec(), 0, 0),
                typed(ViewKind::BigUint64, u64::MAX.to_le_bytes().to_vec(), 8, 0),
            ]),
        ),
        (
            "18-dataview",
            typed(ViewKind::DataView, vec![9, 8, 7], 3, 2),
        ),
    ];
    out.extend(views);
    let mut out: Vec<(Key, Value)> = out.into_iter().map(|(k, v)| (Key::from(k), v)).collect();
    out.sort_by(|a, b| a.0.idb_cmp(&b.0));
    out
}

fn write_plain_data(w: &mut BackupWriter<MemorySpool>) {
    let demo = DatabaseSchema {
        name: "demo".into(),
        version: 2,
        stores: vec![
            StoreSchema::new("attachments"),
            StoreSchema {
                name: "notes".into(),
                key_path: Some(KeyPath::Single("id".into())),
                auto_increment: true,
                key_generator: Some(12),
                indexes: vec![
                    IndexSchema {
                        name: "by_author".into(),
                        key_path: KeyPath::Compound(vec![
                            "author.last".into(),
                            "author.first".into(),
                        ]),
                        unique: false,
                        multi_entry: false,
                    },
                    IndexSchema {
                        name: "by_tag".into(),
                        key_path: KeyPath::Single("tags".into()),
                        unique: false,
                        multi_entry: true,
                    },
                    IndexSchema {
                        name: "by_title".into(),
                        key_path: KeyPath::Single("title".into()),
                        unique: true,
                        multi_entry: false,
                    },
                ],
                encrypted: false,
            },
            StoreSchema::new("types"),
        ],
    };
    let db = w.add_database(demo).expect("demo");
    let attachments = [
        (
            Key::Array(vec![Key::Number(1.0), Key::from("diagram.png")]),
            Value::File {
                name: "diagram.png".into(),
                mime: "image/png".into(),
                last_modified: 1_764_000_000_000.0,
                data: pattern(150_000, 7).into(),
            },
        ),
        (
            Key::Array(vec![Key::Number(2.0), Key::from("report.bin")]),
            Value::Blob {
                mime: "application/octet-stream".into(),
                data: pattern(70_000, 9).into(),
            },
        ),
        (
            Key::Binary(vec![0xca, 0xfe]),
            Value::ArrayBuffer(vec![0u8; 100_000].into()),
        ),
    ];
    let mut attachments = attachments.to_vec();
    attachments.sort_by(|a, b| a.0.idb_cmp(&b.0));
    for (k, v) in attachments {
        w.add_record(db, 0, &k, v).expect("attachment");
    }
    for id in [1, 2, 3, 5, 8, 12] {
        w.add_record(db, 1, &Key::Number(f64::from(id)), note(id))
            .expect("note");
    }
    for (k, v) in every_type() {
        w.add_record(db, 2, &k, v).expect("type");
    }
    let settings = DatabaseSchema {
        name: "settings".into(),
        version: 1,
        stores: vec![StoreSchema {
            key_path: Some(KeyPath::Single("name".into())),
            ..StoreSchema::new("prefs")
        }],
    };
    let s = w.add_database(settings).expect("settings");
    for (name, value) in [
        ("locale", Value::string("de-DE")),
        ("theme", Value::string("dark")),
    ] {
        w.add_record(
            s,
            0,
            &Key::from(name),
            Value::object([("name", Value::string(name)), ("value", value)]),
        )
        .expect("pref");
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    fs::create_dir_all(&dir)?;

    // plain.zip
    let mut w = BackupWriter::new(WriteOptions::new(CREATED), MemorySpool::default());
    write_plain_data(&mut w);
    let (plain, summary) = w.finish(Vec::new())?;
    fs::write(dir.join("plain.zip"), &plain)?;
    println!(
        "plain.zip: {} bytes, {} records",
        plain.len(),
        summary.records
    );

    // sealed.zip + sealed.key
    let key = fixture_key();
    let mut w = BackupWriter::new(
        WriteOptions::new(CREATED).with_master_key(key.clone()),
        MemorySpool::default(),
    );
    let vault = DatabaseSchema {
        name: "vault".into(),
        version: 1,
        stores: vec![
            StoreSchema {
                key_path: Some(KeyPath::Single("id".into())),
                ..StoreSchema::new("profile")
            },
            StoreSchema {
                encrypted: true,
                ..StoreSchema::new("secrets")
            },
            StoreSchema {
                encrypted: true,
                auto_increment: true,
                key_generator: Some(3),
                ..StoreSchema::new("sessions")
            },
        ],
    };
    let db = w.add_database(vault)?;
    w.add_record(
        db,
        0,
        &Key::from("me"),
        Value::object([("id", Value::string("me")), ("name", Value::string("Ada"))]),
    )?;
    let secrets = [
        ("api-token", Value::string("tok_live_0123456789")),
        (
            "recovery-codes",
            Value::array(vec![Value::string("1111-2222"), Value::string("3333-4444")]),
        ),
        (
            "ssh-key",
            Value::Blob {
                mime: "application/x-pem-file".into(),
                data: b"-----BEGIN OPENSSH PRIVATE KEY-----\n...".to_vec().into(),
            },
        ),
    ];
    for (name, value) in secrets {
        let k = Key::from(name);
        let env = seal_value(
            &key,
            &RecordContext {
                database: "vault",
                store: "secrets",
                key: &k,
            },
            &value,
        )?;
        w.add_sealed_record(db, 1, &k, &env)?;
    }
    for id in 1..=3 {
        let k = Key::Number(f64::from(id));
        let v = Value::object([
            ("user", Value::string("ada")),
            ("expires", Value::Date(1_800_000_000_000.0)),
        ]);
        let env = seal_value(
            &key,
            &RecordContext {
                database: "vault",
                store: "sessions",
                key: &k,
            },
            &v,
        )?;
        w.add_sealed_record(db, 2, &k, &env)?;
    }
    let (sealed, summary) = w.finish(Vec::new())?;
    fs::write(dir.join("sealed.zip"), &sealed)?;
    fs::write(dir.join("sealed.key"), write_key_file(&key, CREATED, None)?)?;
    println!(
        "sealed.zip: {} bytes, {} records, key id {}",
        sealed.len(),
        summary.records,
        key.id()
    );

    // locked.zip + locked.passphrase
    let lock = Lock {
        passphrase: Some((PASSPHRASE.as_bytes().to_vec().into(), KdfParams::DEFAULT)),
        master_key: None,
    };
    let mut out = lock_writer(Vec::new(), &lock)?;
    out.write_all(&plain)?;
    let locked = out.finish()?;
    fs::write(dir.join("locked.zip"), &locked)?;
    fs::write(dir.join("locked.passphrase"), format!("{PASSPHRASE}\n"))?;
    println!("locked.zip: {} bytes", locked.len());
    Ok(())
}
