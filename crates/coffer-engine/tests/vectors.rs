//! The test vectors of FORMAT.md §10, computed and asserted.
//!
//! Every constant below is printed in FORMAT.md, and
//! [`format_md_prints_every_vector`] checks that it still is, so the
//! specification and the code cannot drift apart. Most vectors are computed
//! twice: once through the engine, once from first principles (BLAKE3,
//! XChaCha20-Poly1305, ChaCha20-Poly1305, Argon2id) exactly as FORMAT.md
//! describes them, so they also check that the description is complete.
//!
//! The binary artifacts in `tests/vectors/` are compared byte for byte; set
//! `COFFER_REGENERATE_VECTORS=1` to rewrite them (see `tests/vectors/README.md`).

use std::io::{Cursor, Read, Write};
use std::path::PathBuf;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, XChaCha20Poly1305};
use coffer_engine::codec::{decode_key, decode_value, encode_key, encode_value};
use coffer_engine::envelope::{associated_data, open_value, seal_bytes_with_nonce, RecordContext};
use coffer_engine::format::locked::{LockedHeader, Stanza};
use coffer_engine::keyfile::{read_key_file, write_key_file};
use coffer_engine::locked::{open_backup, Unlock};
use coffer_engine::model::{
    BigInt, Binary, BlobRef, DatabaseSchema, IndexSchema, JsString, Key, KeyPath, StoreSchema,
    Value, ViewKind,
};
use coffer_engine::primitives::kdf::{self, KdfParams};
use coffer_engine::primitives::stream::{StreamWriter, CHUNK_SIZE};
use coffer_engine::{
    BackupReader, BackupWriter, Limits, MasterKey, MemorySpool, RecordValue, WriteOptions,
};
use time::macros::datetime;

/// Asserts that a computed vector equals the constant FORMAT.md prints. With
/// `COFFER_PRINT_VECTORS` set, prints the computed value instead, for
/// regenerating the constants (see `tests/vectors/README.md`).
macro_rules! check {
    ($actual:expr, $expected:ident) => {{
        match $actual {
            actual => {
                if std::env::var_os("COFFER_PRINT_VECTORS").is_some() {
                    println!("{} = {:?}", stringify!($expected), actual);
                } else {
                    assert_eq!(actual, $expected, "{}", stringify!($expected));
                }
            }
        }
    }};
}

// ---------------------------------------------------------------------------
// (a) Master key, key id and subkeys (FORMAT.md §10.1)
// ---------------------------------------------------------------------------

const KEY_ID_CONTEXT: &str = "coffer 2026-11 master key id v1";
const SEAL_KEY_CONTEXT: &str = "coffer 2026-11 record seal key v1";
const MANIFEST_MAC_CONTEXT: &str = "coffer 2026-11 manifest mac key v1";
const LOCK_WRAP_CONTEXT: &str = "coffer 2026-11 locked backup wrap key v1";
const LOCK_HEADER_MAC_CONTEXT: &str = "coffer 2026-11 locked backup header mac v1";
const LOCK_PAYLOAD_CONTEXT: &str = "coffer 2026-11 locked backup payload key v1";

const V_MASTER_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const V_KEY_ID: &str = "e16732d6dbec146ab23c6adda904b5b3";
const V_SEAL_KEY: &str = "42c6bfb5d257ec8d7c63f94281d0394a91f6d740c5d849efa86062e90631bb85";
const V_MANIFEST_MAC_KEY: &str = "4fae2102114aba4278a2fd3809ed6a9d705d251c759f2c4b47c3da05a3f7fd3c";
const V_LOCK_WRAP_KEY: &str = "472c4a48d1c386dec8ee1582017ad5cf0be5d72ad0826581182f3528e520d653";

fn master_key() -> MasterKey {
    MasterKey::from_bytes(std::array::from_fn(|i| i as u8))
}

fn subkey(context: &str) -> [u8; 32] {
    blake3::derive_key(context, master_key().expose_bytes())
}

#[test]
fn a_master_key_and_subkeys() {
    let mk = master_key();
    check!(hex::encode(mk.expose_bytes()), V_MASTER_KEY);
    check!(mk.id().to_hex(), V_KEY_ID);
    check!(
        hex::encode(&blake3::derive_key(KEY_ID_CONTEXT, mk.expose_bytes())[..16]),
        V_KEY_ID
    );
    check!(hex::encode(subkey(SEAL_KEY_CONTEXT)), V_SEAL_KEY);
    check!(
        hex::encode(subkey(MANIFEST_MAC_CONTEXT)),
        V_MANIFEST_MAC_KEY
    );
    check!(hex::encode(subkey(LOCK_WRAP_CONTEXT)), V_LOCK_WRAP_KEY);
}

// ---------------------------------------------------------------------------
// (b) Key and value encodings (FORMAT.md §10.2)
// ---------------------------------------------------------------------------

fn key_vectors() -> Vec<(&'static str, Key, &'static str)> {
    vec![
        ("number 1", Key::Number(1.0), "01000000000000f03f"),
        ("number -0", Key::Number(-0.0), "010000000000000080"),
        ("date 0", Key::Date(0.0), "020000000000000000"),
        (
            "string \"n1\"",
            Key::from("n1"),
            "03046e31", /* h = 2·2 */
        ),
        ("string \"\"", Key::from(""), "0300"),
        ("string \"é\"", Key::from("é"), "0304c3a9"),
        (
            "string [0xD800] (lone surrogate)",
            Key::String(JsString::from_utf16(vec![0xD800])),
            "030300d8",
        ),
        ("binary ab cd", Key::Binary(vec![0xab, 0xcd]), "0402abcd"),
        (
            "array [1, \"a\"]",
            Key::Array(vec![Key::Number(1.0), Key::from("a")]),
            "050201000000000000f03f030261",
        ),
        ("array []", Key::Array(vec![]), "0500"),
    ]
}

fn value_vectors() -> Vec<(&'static str, Value, &'static str)> {
    vec![
        ("undefined", Value::Undefined, "00"),
        ("null", Value::Null, "01"),
        ("false", Value::Bool(false), "02"),
        ("true", Value::Bool(true), "03"),
        ("number 1.5", Value::Number(1.5), "04000000000000f83f"),
        ("number NaN", Value::Number(f64::NAN), "04000000000000f87f"),
        ("bigint 0n", Value::BigInt(BigInt::from_i128(0)), "050000"),
        (
            "bigint -256n",
            Value::BigInt(BigInt::from_i128(-256)),
            "0501020001",
        ),
        ("string \"hello\"", Value::string("hello"), "060a68656c6c6f"),
        (
            "string \"a\\uD800\" (lone surrogate)",
            Value::String(JsString::from_utf16(vec![0x61, 0xD800])),
            "0605610000d8", /* h = 2·2+1 */
        ),
        ("date 0", Value::Date(0.0), "100000000000000000"),
        (
            "/a+/gi",
            Value::RegExp {
                source: "a+".into(),
                flags: "gi".into(),
            },
            "1104612b046769",
        ),
        (
            "ArrayBuffer 01 02",
            Value::ArrayBuffer(vec![1, 2].into()),
            "1200020102",
        ),
        (
            "Uint16Array(2) at byte 2 of an 8-byte buffer",
            Value::View {
                kind: ViewKind::Uint16,
                byte_offset: 2,
                buffer_len: 8,
                bytes: vec![1, 0, 2, 0].into(),
            },
            "13050208000401000200",
        ),
        (
            "Blob text/plain, body in blob entry 0 (100000 bytes)",
            Value::Blob {
                mime: "text/plain".into(),
                data: Binary::External(BlobRef {
                    index: 0,
                    len: 100_000,
                }),
            },
            "1414746578742f706c61696e0100a08d06",
        ),
        (
            "dense [null, \"x\"]",
            Value::array(vec![Value::Null, Value::string("x")]),
            "17020106027800",
        ),
        (
            "sparse length 5, [3] = true, plus p: null",
            Value::Array {
                length: 5,
                items: vec![(3, Value::Bool(true))],
                props: vec![("p".into(), Value::Null)],
            },
            "160501030301027001",
        ),
        (
            "{a: 1}",
            Value::object([("a", Value::Number(1.0))]),
            "1801026104000000000000f03f",
        ),
        (
            "Map {1 => \"one\"}",
            Value::Map(vec![(Value::Number(1.0), Value::string("one"))]),
            "190104000000000000f03f06066f6e65",
        ),
        (
            "o = {}; [o, o] (shared)",
            Value::array(vec![Value::Object(vec![]), Value::Ref(1)]),
            "17021800200100", /* array is object 0, {} object 1 */
        ),
        (
            "o = {}; o.self = o (cyclic)",
            Value::object([("self", Value::Ref(0))]),
            "18010873656c662000",
        ),
        (
            "new Boolean(true), new Number(-0)",
            Value::array(vec![Value::BoxedBool(true), Value::BoxedNumber(-0.0)]),
            "17021b011c000000000000008000",
        ),
        (
            "TypeError(\"bad\") without stack",
            Value::Error {
                name: "TypeError".into(),
                message: "bad".into(),
                stack: None,
            },
            "1f12547970654572726f720662616400",
        ),
    ]
}

#[test]
fn b_key_and_value_encodings() {
    let mut bad = Vec::new();
    for (what, key, expected) in key_vectors() {
        let enc = hex::encode(encode_key(&key).expect("encodable"));
        if enc != expected {
            bad.push(format!("key {what}: {enc}"));
        }
    }
    for (what, value, expected) in value_vectors() {
        let enc = hex::encode(encode_value(&value).expect("encodable"));
        if enc != expected {
            bad.push(format!("value {what}: {enc}"));
        }
    }
    if std::env::var_os("COFFER_PRINT_VECTORS").is_some() {
        for (what, key, _) in key_vectors() {
            println!(
                "VECTOR key|{what}|{}",
                hex::encode(encode_key(&key).expect("encodable"))
            );
        }
        for (what, value, _) in value_vectors() {
            println!(
                "VECTOR value|{what}|{}",
                hex::encode(encode_value(&value).expect("encodable"))
            );
        }
    }
    assert!(bad.is_empty(), "encodings differ:\n{}", bad.join("\n"));
    for (what, key, expected) in key_vectors() {
        let back = decode_key(&hex::decode(expected).expect("hex")).expect("decodes");
        assert_eq!(format!("{back:?}"), format!("{key:?}"), "{what}");
    }
    for (what, value, expected) in value_vectors() {
        let back = decode_value(&hex::decode(expected).expect("hex"), 256).expect("decodes");
        assert!(back.same(&value), "{what}: {back:?}");
    }
}

#[test]
fn b_non_canonical_encodings_are_rejected() {
    for (what, hex_bytes) in [
        ("varint with a redundant 0x80 00", "0680006100"),
        ("well-formed string stored as UTF-16", "06036100"),
        ("bigint with a most significant zero byte", "0500020100"),
        ("negative zero bigint", "050100"),
        ("dense array stored as sparse", "1601010001"),
        ("sparse indices not increasing", "1605020101010100"),
        ("reference to an object not yet numbered", "2000"),
        ("NaN number key", "01000000000000f87f"),
        ("trailing byte", "0100"),
    ] {
        let bytes = hex::decode(hex_bytes).expect("hex");
        let as_value = decode_value(&bytes, 256);
        let as_key = decode_key(&bytes);
        let rejected = if what.ends_with("key") {
            as_key.is_err()
        } else {
            as_value.is_err()
        };
        assert!(rejected, "{what} ({hex_bytes}) must be rejected");
    }
}

// ---------------------------------------------------------------------------
// (c) A sealed record (FORMAT.md §10.3)
// ---------------------------------------------------------------------------

const V_SEAL_NONCE: &str = "404142434445464748494a4b4c4d4e4f5051525354555657";
const V_SEAL_PLAINTEXT: &str = "1801047077060e68756e74657232";
const V_SEAL_AAD: &str = "636f666665722d7365616c65642d7265636f726401e16732d6dbec146ab23c6adda904b5b3056e6f74657307736563726574730403046e31";
const V_ENVELOPE: &str = "01e16732d6dbec146ab23c6adda904b5b3404142434445464748494a4b4c4d4e4f5051525354555657ee9be8ab350bb9f9c7928588e334c6a317194c8c3bc08ed542aba14040ee";

fn sealed_key() -> Key {
    Key::from("n1")
}

fn sealed_ctx(key: &Key) -> RecordContext<'_> {
    RecordContext {
        database: "notes",
        store: "secrets",
        key,
    }
}

fn sealed_value() -> Value {
    Value::object([("pw", Value::string("hunter2"))])
}

fn envelope() -> Vec<u8> {
    let nonce: [u8; 24] = std::array::from_fn(|i| 0x40 + i as u8);
    let key = sealed_key();
    let plain = encode_value(&sealed_value()).expect("encodable");
    seal_bytes_with_nonce(&master_key(), &sealed_ctx(&key), &nonce, &plain).expect("seals")
}

#[test]
fn c_sealed_record() {
    let mk = master_key();
    let key = sealed_key();
    let ctx = sealed_ctx(&key);
    let plain = encode_value(&sealed_value()).expect("encodable");
    check!(hex::encode(&plain), V_SEAL_PLAINTEXT);
    let aad = associated_data(&mk.id(), &ctx).expect("aad");
    check!(hex::encode(&aad), V_SEAL_AAD);
    // The associated data from first principles.
    let mut ours = b"coffer-sealed-record".to_vec();
    ours.push(0x01);
    ours.extend_from_slice(&mk.id().0);
    ours.extend_from_slice(b"\x05notes\x07secrets");
    let k = encode_key(&key).expect("key");
    ours.push(k.len() as u8);
    ours.extend_from_slice(&k);
    assert_eq!(ours, aad);

    let env = envelope();
    check!(hex::encode(&env), V_ENVELOPE);
    // The envelope from first principles.
    let nonce = hex::decode(V_SEAL_NONCE).expect("hex");
    let ct = XChaCha20Poly1305::new(&subkey(SEAL_KEY_CONTEXT).into())
        .encrypt(
            nonce.as_slice().into(),
            Payload {
                msg: &plain,
                aad: &aad,
            },
        )
        .expect("encrypts");
    let mut expected = vec![0x01];
    expected.extend_from_slice(&mk.id().0);
    expected.extend_from_slice(&nonce);
    expected.extend_from_slice(&ct);
    assert_eq!(env, expected);
    assert_eq!(env.len(), 1 + 16 + 24 + plain.len() + 16);

    assert!(open_value(&mk, &ctx, &env, 256)
        .expect("opens")
        .same(&sealed_value()));
    let moved = Key::from("n2");
    assert!(
        open_value(&mk, &sealed_ctx(&moved), &env, 256).is_err(),
        "bound to its record key"
    );
}

// ---------------------------------------------------------------------------
// (d) A small backup (FORMAT.md §10.4)
// ---------------------------------------------------------------------------

const V_MANIFEST: &str = "{\n  \"format\": \"coffer-backup\",\n  \"format_version\": 1,\n  \"coffer_version\": \"0.1.0\",\n  \"created\": \"2026-11-26T12:00:00Z\",\n  \"key_id\": \"e16732d6dbec146ab23c6adda904b5b3\",\n  \"hash\": \"blake3\",\n  \"databases\": [\n    {\n      \"name\": \"notes\",\n      \"version\": 1,\n      \"stores\": [\n        {\n          \"schema\": {\n            \"name\": \"notes\",\n            \"key_path\": \"id\",\n            \"auto_increment\": true,\n            \"key_generator\": 1,\n            \"indexes\": [\n              {\n                \"name\": \"by_title\",\n                \"key_path\": \"title\",\n                \"unique\": false,\n                \"multi_entry\": false\n              }\n            ],\n            \"encrypted\": false\n          },\n          \"records\": 1,\n          \"parts\": [\n            {\n              \"entry\": \"databases/0/stores/0/records/000000.bin\",\n              \"size\": 58,\n              \"blake3\": \"8b350b4106b7ee2858f69fb709ae4127a51dc35e4e295c64b622dad95cdc2654\",\n              \"records\": 1\n            }\n          ],\n          \"blobs\": [\n            {\n              \"entry\": \"databases/0/stores/0/blobs/000000.bin\",\n              \"size\": 37,\n              \"blake3\": \"92267ab3857530bf1941de8ae771374c53243c8bd9b5254cfffdf91851306a19\"\n            }\n          ]\n        },\n        {\n          \"schema\": {\n            \"name\": \"secrets\",\n            \"key_path\": null,\n            \"auto_increment\": false,\n            \"key_generator\": null,\n            \"indexes\": [],\n            \"encrypted\": true\n          },\n          \"records\": 1,\n          \"parts\": [\n            {\n              \"entry\": \"databases/0/stores/1/records/000000.bin\",\n              \"size\": 77,\n              \"blake3\": \"32f36c896316d28fe536877ea20e9d4c7da68c2e04ffea5d500ff202051307d3\",\n              \"records\": 1\n            }\n          ],\n          \"blobs\": []\n        }\n      ]\n    }\n  ]\n}\n";
const V_MANIFEST_MAC: &str = "51c7fb2375694530e629ffbf4d4c42c425fab7784d41bef48e2cbea70683b637";
const V_NOTES_PART: &str = "0901000000000000f03f2f180304696404000000000000f03f0a7469746c65060a68656c6c6f08626f64791414746578742f706c61696e010025";
const V_SECRETS_PART: &str = "0403046e314701e16732d6dbec146ab23c6adda904b5b3404142434445464748494a4b4c4d4e4f5051525354555657ee9be8ab350bb9f9c7928588e334c6a317194c8c3bc08ed542aba14040ee";
const V_BLOB: &str = "52656d656d62657220746f206261636b207570206265666f726520757067726164696e672e";
const V_ARCHIVE_LEN: usize = 1772;
const V_ARCHIVE_BLAKE3: &str = "83e900b5cb69985b5fea47ece0447c964a9d77813a83a290f90db5c45792df8a";

fn attachment() -> Vec<u8> {
    b"Remember to back up before upgrading.".to_vec()
}

fn backup() -> Vec<u8> {
    let mut options =
        WriteOptions::new(datetime!(2026-11-26 12:00 UTC)).with_master_key(master_key());
    options.inline_threshold = 16;
    let mut w = BackupWriter::new(options, MemorySpool::default());
    let notes = StoreSchema {
        name: "notes".into(),
        key_path: Some(KeyPath::Single("id".into())),
        auto_increment: true,
        key_generator: Some(1),
        indexes: vec![IndexSchema {
            name: "by_title".into(),
            key_path: KeyPath::Single("title".into()),
            unique: false,
            multi_entry: false,
        }],
        encrypted: false,
    };
    let secrets = StoreSchema {
        encrypted: true,
        ..StoreSchema::new("secrets")
    };
    let db = w
        .add_database(DatabaseSchema {
            name: "notes".into(),
            version: 1,
            stores: vec![notes, secrets],
        })
        .expect("database");
    let note = Value::object([
        ("id", Value::Number(1.0)),
        ("title", Value::string("hello")),
        (
            "body",
            Value::Blob {
                mime: "text/plain".into(),
                data: attachment().into(),
            },
        ),
    ]);
    w.add_record(db, 0, &Key::Number(1.0), note)
        .expect("record");
    w.add_sealed_record(db, 1, &sealed_key(), &envelope())
        .expect("sealed record");
    w.finish(Vec::new()).expect("finishes").0
}

fn entry(zip: &[u8], name: &str) -> Vec<u8> {
    let mut a = zip::ZipArchive::new(Cursor::new(zip)).expect("zip");
    let mut f = a.by_name(name).expect("entry");
    let mut out = Vec::new();
    f.read_to_end(&mut out).expect("reads");
    out
}

#[test]
fn d_small_backup() {
    let zip = backup();
    assert_eq!(zip, backup(), "the writer is deterministic");
    let manifest = String::from_utf8(entry(&zip, "manifest.json")).expect("utf8");
    check!(manifest.as_str(), V_MANIFEST);
    let mac = String::from_utf8(entry(&zip, "manifest.mac")).expect("utf8");
    check!(mac.as_str(), V_MANIFEST_MAC);
    assert_eq!(
        mac,
        blake3::keyed_hash(&subkey(MANIFEST_MAC_CONTEXT), manifest.as_bytes())
            .to_hex()
            .as_str()
    );
    let notes = entry(&zip, "databases/0/stores/0/records/000000.bin");
    check!(hex::encode(&notes), V_NOTES_PART);
    let secrets = entry(&zip, "databases/0/stores/1/records/000000.bin");
    check!(hex::encode(&secrets), V_SECRETS_PART);
    let blob = entry(&zip, "databases/0/stores/0/blobs/000000.bin");
    check!(hex::encode(&blob), V_BLOB);
    assert_eq!(blob, attachment());
    // The secrets part is one framed record holding the envelope of (c).
    let mut framed = vec![0x04];
    framed.extend_from_slice(&encode_key(&sealed_key()).expect("key"));
    framed.push(envelope().len() as u8);
    framed.extend_from_slice(&envelope());
    assert_eq!(secrets, framed);

    // Archive order and compression methods.
    let mut a = zip::ZipArchive::new(Cursor::new(&zip)).expect("zip");
    let layout: Vec<(String, zip::CompressionMethod)> = (0..a.len())
        .map(|i| {
            let f = a.by_index_raw(i).expect("entry");
            (f.name().expect("name").into_owned(), f.compression())
        })
        .collect();
    use zip::CompressionMethod::{Deflated, Stored};
    assert_eq!(
        layout,
        [
            ("manifest.json".to_owned(), Deflated),
            ("manifest.mac".to_owned(), Stored),
            (
                "databases/0/stores/0/records/000000.bin".to_owned(),
                Deflated
            ),
            ("databases/0/stores/0/blobs/000000.bin".to_owned(), Deflated),
            ("databases/0/stores/1/records/000000.bin".to_owned(), Stored),
        ]
    );

    assert_eq!(coffer_engine::COFFER_VERSION, "0.1.0", "the manifest records the crate version: regenerate (d) and (g), see tests/vectors/README.md");
    check!(zip.len(), V_ARCHIVE_LEN);
    check!(blake3::hash(&zip).to_hex().as_str(), V_ARCHIVE_BLAKE3);
    artifact("backup.zip", &zip);

    let mut r = BackupReader::open(Cursor::new(&zip), Limits::default()).expect("opens");
    let report = r
        .verify(Some(&master_key()), &mut |_| Ok(()))
        .expect("verifies");
    assert!(report.mac_verified && report.sealed_opened);
    assert_eq!((report.records, report.sealed_records), (2, 1));
    let records = r.read_part(0, 0, 0).expect("part");
    let RecordValue::Plain(Value::Object(props)) = &records[0].value else {
        panic!("plain object")
    };
    assert!(matches!(
        props[2].1,
        Value::Blob {
            data: Binary::External(BlobRef { index: 0, len: 37 }),
            ..
        }
    ));
}

// ---------------------------------------------------------------------------
// (e) Key files (FORMAT.md §10.5)
// ---------------------------------------------------------------------------

const V_KEY_FILE_PLAIN: &str = "{\n  \"type\": \"coffer-master-key\",\n  \"version\": 1,\n  \"key_id\": \"e16732d6dbec146ab23c6adda904b5b3\",\n  \"created\": \"2026-11-26T12:00:00Z\",\n  \"protection\": \"none\",\n  \"key\": \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"\n}\n";
const V_KEY_FILE_ARGON2ID: &str = "{\n  \"type\": \"coffer-master-key\",\n  \"version\": 1,\n  \"key_id\": \"e16732d6dbec146ab23c6adda904b5b3\",\n  \"created\": \"2026-11-26T12:00:00Z\",\n  \"protection\": \"argon2id\",\n  \"kdf\": {\n    \"memory_kib\": 1024,\n    \"iterations\": 1,\n    \"parallelism\": 1\n  },\n  \"salt\": \"YGFiY2RlZmdoaWprbG1ubw==\",\n  \"wrapped_key\": \"gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaXihwcfWg6rE5w9em+N0t07Dd2Rsa2E6AA/jEVS1VotoNwgVkerLS4zC3mBmC2OTlY\"\n}\n";
const V_PASSPHRASE: &str = "correct horse battery staple";
const V_KEY_FILE_SALT: &str = "606162636465666768696a6b6c6d6e6f";
const V_KEY_FILE_WRAP_KEY: &str =
    "f99724652689b22eb007c5472f1f72fcdce7d06435957534a04d3828a89e727c";
const V_KEY_FILE_AAD: &str = "636f666665722d6b65792d66696c65207631e16732d6dbec146ab23c6adda904b5b314000000323032362d31312d32365431323a30303a30305a000400000100000001000000606162636465666768696a6b6c6d6e6f";

#[test]
fn e_key_files() {
    let created = datetime!(2026-11-26 12:00 UTC);
    let plain = write_key_file(&master_key(), created, None).expect("writes");
    check!(plain.as_str(), V_KEY_FILE_PLAIN);
    let back = read_key_file(V_KEY_FILE_PLAIN, None, &Limits::default()).expect("reads");
    assert_eq!(back.expose_bytes(), master_key().expose_bytes());
    artifact("keyfile-plain.json", plain.as_bytes());

    // A passphrase-protected file, built from first principles with a fixed
    // salt and nonce (the engine draws random ones), must open.
    let params = KdfParams::INSECURE_FAST;
    let salt: [u8; 16] = std::array::from_fn(|i| 0x60 + i as u8);
    check!(hex::encode(salt), V_KEY_FILE_SALT);
    let nonce: [u8; 24] = std::array::from_fn(|i| 0x80 + i as u8);
    let wrap_key = kdf::derive(V_PASSPHRASE.as_bytes(), &salt, params).expect("argon2id");
    check!(hex::encode(*wrap_key), V_KEY_FILE_WRAP_KEY);
    let created_text = "2026-11-26T12:00:00Z";
    let mut aad = b"coffer-key-file v1".to_vec();
    aad.extend_from_slice(&master_key().id().0);
    aad.extend_from_slice(&(created_text.len() as u32).to_le_bytes());
    aad.extend_from_slice(created_text.as_bytes());
    for n in [params.memory_kib, params.iterations, params.parallelism] {
        aad.extend_from_slice(&n.to_le_bytes());
    }
    aad.extend_from_slice(&salt);
    check!(hex::encode(&aad), V_KEY_FILE_AAD);
    let ct = XChaCha20Poly1305::new(wrap_key.as_ref().into())
        .encrypt(
            (&nonce).into(),
            Payload {
                msg: master_key().expose_bytes(),
                aad: &aad,
            },
        )
        .expect("encrypts");
    let mut wrapped = nonce.to_vec();
    wrapped.extend_from_slice(&ct);
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let text = format!(
        "{{\n  \"type\": \"coffer-master-key\",\n  \"version\": 1,\n  \"key_id\": \"{}\",\n  \"created\": \"{created_text}\",\n  \"protection\": \"argon2id\",\n  \"kdf\": {{\n    \"memory_kib\": {},\n    \"iterations\": {},\n    \"parallelism\": {}\n  }},\n  \"salt\": \"{}\",\n  \"wrapped_key\": \"{}\"\n}}\n",
        V_KEY_ID,
        params.memory_kib,
        params.iterations,
        params.parallelism,
        b64.encode(salt),
        b64.encode(&wrapped),
    );
    check!(text.as_str(), V_KEY_FILE_ARGON2ID);
    let l = Limits::default();
    let back = read_key_file(&text, Some(V_PASSPHRASE.as_bytes()), &l).expect("unlocks");
    assert_eq!(back.expose_bytes(), master_key().expose_bytes());
    assert!(read_key_file(&text, Some(b"wrong"), &l).is_err());
    // The engine's own output has the same shape (different salt and nonce).
    let engine = write_key_file(
        &master_key(),
        created,
        Some((V_PASSPHRASE.as_bytes(), params)),
    )
    .expect("writes");
    assert_eq!(engine.len(), text.len());
    artifact("keyfile-argon2id.json", text.as_bytes());
}

// ---------------------------------------------------------------------------
// (f) STREAM (FORMAT.md §10.6)
// ---------------------------------------------------------------------------

const V_STREAM_KEY: &str = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";
const V_STREAM_PLAINTEXT: &str = "hello, coffer";
const V_STREAM_CIPHERTEXT: &str = "a365f19e6270cbae293f1a3785b4419d92ade0fd9ea626ab33a71c5ecd";
const V_STREAM_EMPTY: &str = "52e58ca641ffc730fb0fd8e2dd5789d4";
const V_STREAM_TWO_CHUNKS_BLAKE3: &str =
    "3566016696570e0eab84cfa1296df1058a40a075cd6275e98d7826d7a662f4df";

fn stream_key() -> [u8; 32] {
    std::array::from_fn(|i| 0xa0 + i as u8)
}

fn stream(plain: &[u8]) -> Vec<u8> {
    let mut w = StreamWriter::new(Vec::new(), &stream_key());
    w.write_all(plain).expect("writes");
    w.finish().expect("finishes")
}

fn chunk(counter: u64, last: bool, plain: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; 12];
    nonce[3..11].copy_from_slice(&counter.to_be_bytes());
    nonce[11] = u8::from(last);
    ChaCha20Poly1305::new(&stream_key().into())
        .encrypt((&nonce).into(), plain)
        .expect("encrypts")
}

#[test]
fn f_stream() {
    check!(hex::encode(stream_key()), V_STREAM_KEY);
    let ct = stream(V_STREAM_PLAINTEXT.as_bytes());
    check!(hex::encode(&ct), V_STREAM_CIPHERTEXT);
    assert_eq!(ct, chunk(0, true, V_STREAM_PLAINTEXT.as_bytes()));
    let empty = stream(b"");
    check!(hex::encode(&empty), V_STREAM_EMPTY);
    assert_eq!(empty, chunk(0, true, b""));
    // 65537 bytes: one full chunk (last flag 0) and a one-byte final chunk.
    let plain: Vec<u8> = (0..CHUNK_SIZE + 1).map(|i| (i % 251) as u8).collect();
    let ct = stream(&plain);
    let mut expected = chunk(0, false, &plain[..CHUNK_SIZE]);
    expected.extend_from_slice(&chunk(1, true, &plain[CHUNK_SIZE..]));
    assert_eq!(ct, expected);
    assert_eq!(ct.len(), CHUNK_SIZE + 16 + 1 + 16);
    check!(
        blake3::hash(&ct).to_hex().as_str(),
        V_STREAM_TWO_CHUNKS_BLAKE3
    );
}

// ---------------------------------------------------------------------------
// (g) A locked backup (FORMAT.md §10.7)
// ---------------------------------------------------------------------------

const V_FILE_KEY: &str = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf";
const V_PAYLOAD_SALT: &str = "e0e1e2e3e4e5e6e7e8e9eaebecedeeef";
const V_PAYLOAD_KEY: &str = "4131ee1c4cbc89600859143d1f8a6567448ac41a842bcf6b06ff7a7628408b1c";
const V_HEADER_MAC_KEY: &str = "26ea8e0eb3d2df5370b768096c6a674eaeffa6b185017476f7a0eafd77cf9b74";
const V_LOCKED_HEADER: &str = "434f464645524c4b010201000400000100000001000000606162636465666768696a6b6c6d6e6f808182838485868788898a8b8c8d8e8f90919293949596974adcdcbda8fa6c8eb035297ef78bb42cf7b6860676d360c03ef1d58b95a87643cb5e038f711064cd5aeb014a78bd0cad02e16732d6dbec146ab23c6adda904b5b3909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7422f9a1003061f2891da96891f0d2fec9f5e44eee8826d2aa093b48aac0729dee2701c865b2901b552bdfde90c644f8ce0e1e2e3e4e5e6e7e8e9eaebecedeeefcbd7ffc2401eb3b91faf838b42ace776fce5a1ed6beed0603d9976e7c6d797e2";
const V_LOCKED_LEN: usize = 2036;
const V_LOCKED_BLAKE3: &str = "e5041de0856d163fc25816ade69d5e78655139b0d6d90f2905f61646f90a8296";

/// Builds a locked backup from FORMAT.md §6 alone, with fixed randomness.
fn locked() -> (Vec<u8>, usize) {
    let file_key: [u8; 32] = std::array::from_fn(|i| 0xc0 + i as u8);
    let payload_salt: [u8; 16] = std::array::from_fn(|i| 0xe0 + i as u8);
    let params = KdfParams::INSECURE_FAST;
    let pass_salt: [u8; 16] = std::array::from_fn(|i| 0x60 + i as u8);
    let seal = |key: &[u8; 32], nonce: [u8; 24], aad: &[u8]| {
        let mut out = nonce.to_vec();
        out.extend(
            XChaCha20Poly1305::new(key.into())
                .encrypt(
                    (&nonce).into(),
                    Payload {
                        msg: &file_key,
                        aad,
                    },
                )
                .expect("encrypts"),
        );
        out
    };
    let mut pass = Stanza::Passphrase {
        params,
        salt: pass_salt,
        wrapped: Vec::new(),
    };
    let mut aad = b"coffer-locked-stanza v1".to_vec();
    aad.push(0x01);
    for n in [params.memory_kib, params.iterations, params.parallelism] {
        aad.extend_from_slice(&n.to_le_bytes());
    }
    aad.extend_from_slice(&pass_salt);
    assert_eq!(aad, pass.aad());
    let wrap = kdf::derive(V_PASSPHRASE.as_bytes(), &pass_salt, params).expect("argon2id");
    let w = seal(&wrap, std::array::from_fn(|i| 0x80 + i as u8), &aad);
    if let Stanza::Passphrase { wrapped, .. } = &mut pass {
        *wrapped = w;
    }
    let mut by_key = Stanza::MasterKey {
        key_id: master_key().id(),
        wrapped: Vec::new(),
    };
    let mut aad = b"coffer-locked-stanza v1".to_vec();
    aad.push(0x02);
    aad.extend_from_slice(&master_key().id().0);
    assert_eq!(aad, by_key.aad());
    let w = seal(
        &subkey(LOCK_WRAP_CONTEXT),
        std::array::from_fn(|i| 0x90 + i as u8),
        &aad,
    );
    if let Stanza::MasterKey { wrapped, .. } = &mut by_key {
        *wrapped = w;
    }

    let mut header = b"COFFERLK\x01\x02".to_vec();
    for s in [&pass, &by_key] {
        header.extend_from_slice(&s.prefix());
        header.extend_from_slice(s.wrapped());
    }
    header.extend_from_slice(&payload_salt);
    let stanzas = [pass, by_key];
    assert_eq!(header, LockedHeader::mac_input(&stanzas, &payload_salt));
    let mac_key = blake3::derive_key(LOCK_HEADER_MAC_CONTEXT, &file_key);
    check!(hex::encode(mac_key), V_HEADER_MAC_KEY);
    header.extend_from_slice(blake3::keyed_hash(&mac_key, &header).as_bytes());
    let header_len = header.len();

    let mut material = file_key.to_vec();
    material.extend_from_slice(&payload_salt);
    let payload_key = blake3::derive_key(LOCK_PAYLOAD_CONTEXT, &material);
    check!(hex::encode(file_key), V_FILE_KEY);
    check!(hex::encode(payload_salt), V_PAYLOAD_SALT);
    check!(hex::encode(payload_key), V_PAYLOAD_KEY);
    let mut w = StreamWriter::new(header, &payload_key);
    w.write_all(&backup()).expect("writes");
    (w.finish().expect("finishes"), header_len)
}

#[test]
fn g_locked_backup() {
    let (file, header_len) = locked();
    assert_eq!(header_len, 248);
    check!(hex::encode(&file[..header_len]), V_LOCKED_HEADER);
    assert_eq!(LockedHeader::parse(&file).expect("parses").len, header_len);
    check!(file.len(), V_LOCKED_LEN);
    check!(blake3::hash(&file).to_hex().as_str(), V_LOCKED_BLAKE3);
    artifact("locked.zip", &file);

    for unlock in [
        Unlock {
            passphrase: None,
            master_key: Some(&master_key()),
        },
        Unlock {
            passphrase: Some(V_PASSPHRASE.as_bytes()),
            master_key: None,
        },
    ] {
        let mut r = open_backup(Cursor::new(&file), unlock, Limits::default()).expect("unlocks");
        let report = r
            .verify(Some(&master_key()), &mut |_| Ok(()))
            .expect("verifies");
        assert_eq!(report.records, 2);
        assert_eq!(r.manifest_bytes(), V_MANIFEST.as_bytes());
    }
}

// ---------------------------------------------------------------------------
// FORMAT.md and the committed artifacts
// ---------------------------------------------------------------------------

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compares `bytes` with `tests/vectors/<name>`, or rewrites it when
/// `COFFER_REGENERATE_VECTORS` is set.
fn artifact(name: &str, bytes: &[u8]) {
    let path = root().join("tests/vectors").join(name);
    if std::env::var_os("COFFER_REGENERATE_VECTORS").is_some() {
        std::fs::write(&path, bytes).expect("writes the artifact");
        return;
    }
    let stored = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set COFFER_REGENERATE_VECTORS=1)", path.display()));
    assert!(
        stored == bytes,
        "{} differs from the computed vector",
        path.display()
    );
}

#[test]
fn format_md_prints_every_vector() {
    let spec = std::fs::read_to_string(root().join("../../FORMAT.md")).expect("FORMAT.md");
    let squeezed: String = spec.chars().filter(|c| !c.is_whitespace()).collect();
    let mut hexes: Vec<String> = vec![
        V_MASTER_KEY,
        V_KEY_ID,
        V_SEAL_KEY,
        V_MANIFEST_MAC_KEY,
        V_LOCK_WRAP_KEY,
        V_SEAL_NONCE,
        V_SEAL_PLAINTEXT,
        V_SEAL_AAD,
        V_ENVELOPE,
        V_MANIFEST_MAC,
        V_NOTES_PART,
        V_SECRETS_PART,
        V_BLOB,
        V_ARCHIVE_BLAKE3,
        V_KEY_FILE_SALT,
        V_KEY_FILE_WRAP_KEY,
        V_KEY_FILE_AAD,
        V_STREAM_KEY,
        V_STREAM_CIPHERTEXT,
        V_STREAM_EMPTY,
        V_STREAM_TWO_CHUNKS_BLAKE3,
        V_FILE_KEY,
        V_PAYLOAD_SALT,
        V_PAYLOAD_KEY,
        V_HEADER_MAC_KEY,
        V_LOCKED_HEADER,
        V_LOCKED_BLAKE3,
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    hexes.extend(key_vectors().into_iter().map(|(_, _, h)| h.to_owned()));
    hexes.extend(value_vectors().into_iter().map(|(_, _, h)| h.to_owned()));
    let mut missing: Vec<String> = hexes
        .into_iter()
        .filter(|h| !squeezed.contains(h.as_str()))
        .collect();
    for text in [V_MANIFEST, V_KEY_FILE_PLAIN, V_KEY_FILE_ARGON2ID] {
        if !spec.contains(text) {
            missing.push(text.lines().next().unwrap_or_default().to_owned() + " ...");
        }
    }
    for n in [V_ARCHIVE_LEN, V_LOCKED_LEN] {
        if !spec.contains(&n.to_string()) {
            missing.push(n.to_string());
        }
    }
    assert!(missing.is_empty(), "FORMAT.md does not print: {missing:#?}");
}
