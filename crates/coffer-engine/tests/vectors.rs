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
use coffer_engine::codec::{
    decode_key, decode_value, decode_value_in, encode_key, encode_value, Budget, Revision,
};
use coffer_engine::envelope::{associated_data, open_value, seal_bytes_with_nonce, RecordContext};
use coffer_engine::format::locked::{LockedHeader, Stanza};
use coffer_engine::keyfile::{read_key_file, write_key_file};
use coffer_engine::locked::{open_backup, Unlock};
use coffer_engine::model::{
    BigInt, Binary, BlobRef, DatabaseSchema, IndexSchema, JsString, Key, KeyPath, StoreSchema,
    Value, ViewBuffer, ViewKind,
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
            "Uint16Array(2) at byte 2 of an 8-byte buffer, window only (`0x13`, format_version 1)",
            Value::PartialView {
                kind: ViewKind::Uint16,
                byte_offset: 2,
                buffer_len: 8,
                bytes: vec![1, 0, 2, 0].into(),
            },
            "13050208000401000200",
        ),
        (
            "Uint16Array(2) at byte 2 of the buffer 00 00 01 00 02 00 ff ff",
            Value::View {
                kind: ViewKind::Uint16,
                byte_offset: 2,
                byte_length: 4,
                buffer: ViewBuffer::ArrayBuffer(vec![0, 0, 1, 0, 2, 0, 0xff, 0xff].into()),
            },
            "21050204120008000001000200ffff", /* view 0, buffer 1 */
        ),
        (
            "b = ArrayBuffer 01 02 03 04; [new DataView(b, 1, 2), b]",
            Value::array(vec![
                Value::View {
                    kind: ViewKind::DataView,
                    byte_offset: 1,
                    byte_length: 2,
                    buffer: ViewBuffer::ArrayBuffer(vec![1, 2, 3, 4].into()),
                },
                Value::Ref(2),
            ]),
            "1702210c010212000401020304200200", /* array 0, view 1, b 2 */
        ),
        (
            "b as above; [new Uint8Array(b, 0, 2), new Int8Array(b, 2)]",
            Value::array(vec![
                Value::View {
                    kind: ViewKind::Uint8,
                    byte_offset: 0,
                    byte_length: 2,
                    buffer: ViewBuffer::ArrayBuffer(vec![1, 2, 3, 4].into()),
                },
                Value::View {
                    kind: ViewKind::Int8,
                    byte_offset: 2,
                    byte_length: 2,
                    buffer: ViewBuffer::Ref(2),
                },
            ]),
            "1702210200021200040102030421010202200200", /* views 1 and 3, b 2 */
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
        let bytes = hex::decode(expected).expect("hex");
        let back = decode_value(&bytes, 256).expect("decodes");
        assert!(back.same(&value), "{what}: {back:?}");
        // Views with their buffers (0x21) only where revision 2 is admitted.
        let v1 = decode_value_in(
            &bytes,
            &Limits::default(),
            Revision::V1,
            &mut Budget::new(1 << 20),
        );
        assert_eq!(v1.is_ok(), !uses_buffer_view(&value), "{what}");
    }
}

/// Whether `v` holds a view with its buffer (tag 0x21).
fn uses_buffer_view(v: &Value) -> bool {
    match v {
        Value::View { .. } => true,
        Value::Array { items, props, .. } => {
            items.iter().any(|(_, v)| uses_buffer_view(v))
                || props.iter().any(|(_, v)| uses_buffer_view(v))
        }
        Value::Object(props) => props.iter().any(|(_, v)| uses_buffer_view(v)),
        _ => false,
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
        (
            "view whose buffer is a reference to an object",
            "1702180021020000200100",
        ),
        ("view whose buffer is a string", "21020000060278"),
        ("view past the end of its buffer", "210200031200020102"),
        ("Int16Array at an odd offset", "2104010212000400000000"),
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
    let aad = associated_data(Revision::V1, &mk.id(), &ctx).expect("aad");
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

/// A version-2 envelope (FORMAT.md §5): the same record holding
/// `new Uint8Array([1, 2])`, whose plaintext uses tag 0x21.
const V_SEAL_V2_PLAINTEXT: &str = "210200021200020102";
const V_SEAL_V2_AAD: &str = "636f666665722d7365616c65642d7265636f726402e16732d6dbec146ab23c6adda904b5b3056e6f74657307736563726574730403046e31";
const V_ENVELOPE_V2: &str = "02e16732d6dbec146ab23c6adda904b5b3404142434445464748494a4b4c4d4e4f5051525354555657d798ecd9500db590b036501b6a9206f198f0a2f60549ad6bc3";

fn sealed_view() -> Value {
    Value::View {
        kind: ViewKind::Uint8,
        byte_offset: 0,
        byte_length: 2,
        buffer: ViewBuffer::ArrayBuffer(vec![1, 2].into()),
    }
}

fn envelope_v2() -> Vec<u8> {
    let nonce: [u8; 24] = std::array::from_fn(|i| 0x40 + i as u8);
    let key = sealed_key();
    let plain = encode_value(&sealed_view()).expect("encodable");
    seal_bytes_with_nonce(&master_key(), &sealed_ctx(&key), &nonce, &plain).expect("seals")
}

/// A version-1 envelope of a plaintext holding tag 0x21, which version 1
/// does not admit, built from first principles (Coffer seals it as
/// version 2).
fn envelope_v1_with_view() -> Vec<u8> {
    let mk = master_key();
    let key = sealed_key();
    let aad = associated_data(Revision::V1, &mk.id(), &sealed_ctx(&key)).expect("aad");
    let nonce: [u8; 24] = std::array::from_fn(|i| 0x40 + i as u8);
    let ct = XChaCha20Poly1305::new(&subkey(SEAL_KEY_CONTEXT).into())
        .encrypt(
            nonce.as_slice().into(),
            Payload {
                msg: &hex::decode(V_SEAL_V2_PLAINTEXT).expect("hex"),
                aad: &aad,
            },
        )
        .expect("encrypts");
    [&[0x01][..], &mk.id().0, &nonce, &ct].concat()
}

#[test]
fn c_sealed_record_version_2() {
    let mk = master_key();
    let key = sealed_key();
    let ctx = sealed_ctx(&key);
    let plain = encode_value(&sealed_view()).expect("encodable");
    check!(hex::encode(&plain), V_SEAL_V2_PLAINTEXT);
    let aad = associated_data(Revision::V2, &mk.id(), &ctx).expect("aad");
    check!(hex::encode(&aad), V_SEAL_V2_AAD);
    // As version 1's, with the version byte 0x02.
    let mut ours = associated_data(Revision::V1, &mk.id(), &ctx).expect("aad");
    ours[20] = 0x02;
    assert_eq!(ours, aad);
    let env = envelope_v2();
    check!(hex::encode(&env), V_ENVELOPE_V2);
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
    assert_eq!(env, [&[0x02][..], &mk.id().0, &nonce, &ct].concat());
    assert!(open_value(&mk, &ctx, &env, 256)
        .expect("opens")
        .same(&sealed_view()));
    // Version 1 does not admit the plaintext.
    assert!(open_value(&mk, &ctx, &envelope_v1_with_view(), 256).is_err());
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
        V_SEAL_V2_PLAINTEXT,
        V_SEAL_V2_AAD,
        V_ENVELOPE_V2,
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

// ---------------------------------------------------------------------------
// (h) Whole files, accepted and rejected (FORMAT.md §10.8, vectors.json)
// ---------------------------------------------------------------------------

/// What a reader must decide about one file.
enum Outcome {
    /// Accepted, with this authentication state (`verified`, `no-mac`,
    /// `key-not-given`).
    Accept(&'static str),
    /// Rejected with this error code.
    Reject(&'static str),
}

/// One file vector: the bytes, what to unlock it with, and the outcome.
struct FileVector {
    file: String,
    what: &'static str,
    section: &'static str,
    bytes: Vec<u8>,
    key_file: Option<&'static str>,
    passphrase: bool,
    outcome: Outcome,
}

type Entries = Vec<(String, Vec<u8>)>;

/// The entries of `backup.zip` (§10.4), uncompressed.
fn base_entries() -> Entries {
    let zip = backup();
    let mut a = zip::ZipArchive::new(Cursor::new(&zip)).expect("zip");
    (0..a.len())
        .map(|i| {
            let mut f = a.by_index(i).expect("entry");
            let mut b = Vec::new();
            f.read_to_end(&mut b).expect("read");
            (f.name().expect("name").into_owned(), b)
        })
        .collect()
}

/// A deterministic archive of `entries`, every entry stored (so the bytes do
/// not depend on a deflate implementation), in streaming form.
fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut z = zip::ZipWriter::new_stream(Vec::new());
    for (name, bytes) in entries {
        z.start_file(name.as_str(), opts).expect("start");
        z.write_all(bytes).expect("write");
    }
    z.finish().expect("finish").into_inner()
}

fn manifest_of(e: &Entries) -> serde_json::Value {
    serde_json::from_slice(&e[0].1).expect("manifest json")
}

/// Replaces the manifest and, when the entries carry a MAC, recomputes it
/// (so a vector fails for its own fault, not the MAC's).
fn set_manifest(e: &mut Entries, m: &serde_json::Value) {
    let mut bytes = serde_json::to_vec_pretty(m).expect("json");
    bytes.push(b'\n');
    set_manifest_bytes(e, bytes);
}

fn set_manifest_bytes(e: &mut Entries, bytes: Vec<u8>) {
    if let Some(mac) = e.iter_mut().find(|(n, _)| n == "manifest.mac") {
        let k = subkey(MANIFEST_MAC_CONTEXT);
        mac.1 = blake3::keyed_hash(&k, &bytes).to_hex().as_bytes().to_vec();
    }
    e[0].1 = bytes;
}

fn edit(f: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut e = base_entries();
    let mut m = manifest_of(&e);
    f(&mut m);
    set_manifest(&mut e, &m);
    zip_of(&e)
}

/// Replaces entry `name` and its size and hash in the manifest.
fn replace_entry(e: &mut Entries, name: &str, bytes: Vec<u8>) {
    let mut m = manifest_of(e);
    for db in m["databases"].as_array_mut().expect("dbs") {
        for st in db["stores"].as_array_mut().expect("stores") {
            for list in ["parts", "blobs"] {
                for info in st[list].as_array_mut().expect("list") {
                    if info["entry"] == name {
                        info["size"] = bytes.len().into();
                        info["blake3"] = blake3::hash(&bytes).to_hex().to_string().into();
                    }
                }
            }
        }
    }
    e.iter_mut().find(|(n, _)| n == name).expect("entry").1 = bytes;
    set_manifest(e, &m);
}

const NOTES_PART: &str = "databases/0/stores/0/records/000000.bin";
const SECRETS_PART: &str = "databases/0/stores/1/records/000000.bin";
const NOTES_BLOB: &str = "databases/0/stores/0/blobs/000000.bin";

/// A plain part holding one record (key 1) with value encoding `value`.
fn one_record_part(value: &[u8]) -> Vec<u8> {
    let mut part = Vec::new();
    coffer_engine::codec::write_record_head(
        &mut part,
        &encode_key(&Key::Number(1.0)).expect("key"),
        value.len(),
    );
    part.extend_from_slice(value);
    part
}

/// The notes part with its value replaced by `value` (its blob then unused
/// unless `value` refers to it).
fn with_note_value(value: &[u8]) -> Vec<u8> {
    let mut e = base_entries();
    replace_entry(&mut e, NOTES_PART, one_record_part(value));
    zip_of(&e)
}

/// backup.zip with the notes record's value replaced by `value` and the
/// manifest's `format_version` set to `version`; the store's blob is kept
/// only with `keep_blob` (then `value` must refer to it).
fn with_value_at(value: &[u8], version: u64, keep_blob: bool) -> Vec<u8> {
    let mut e = base_entries();
    replace_entry(&mut e, NOTES_PART, one_record_part(value));
    let mut m = manifest_of(&e);
    if !keep_blob {
        e.retain(|(n, _)| n != NOTES_BLOB);
        m["databases"][0]["stores"][0]["blobs"] = serde_json::json!([]);
    }
    m["format_version"] = version.into();
    set_manifest(&mut e, &m);
    zip_of(&e)
}

/// backup.zip with the encrypted store's one record (key "n1") holding
/// `envelope`.
fn with_sealed(envelope: &[u8]) -> Vec<u8> {
    let mut part = Vec::new();
    coffer_engine::codec::write_record_head(
        &mut part,
        &encode_key(&sealed_key()).expect("key"),
        envelope.len(),
    );
    part.extend_from_slice(envelope);
    let mut e = base_entries();
    replace_entry(&mut e, SECRETS_PART, part);
    zip_of(&e)
}

/// A locked backup with the header of `locked.zip` (§10.7) and `payload`
/// encrypted under its payload key.
fn relocked(payload: &[u8]) -> Vec<u8> {
    let (file, header_len) = locked();
    let mut material: Vec<u8> = (0..32).map(|i| 0xc0 + i as u8).collect();
    material.extend((0..16).map(|i| 0xe0 + i as u8));
    let key = blake3::derive_key(LOCK_PAYLOAD_CONTEXT, &material);
    let mut w = StreamWriter::new(file[..header_len].to_vec(), &key);
    w.write_all(payload).expect("writes");
    w.finish().expect("finishes")
}

/// Offsets in a stored archive made by [`zip_of`]: (local header offsets,
/// central directory offset).
fn layout(z: &[u8]) -> (Vec<u64>, usize) {
    let mut r = Cursor::new(z);
    let d = coffer_engine::format::zip::ZipDirectory::read(&mut r, z.len() as u64, 100)
        .expect("directory");
    (
        d.entries.iter().map(|e| e.header_offset).collect(),
        d.cd_offset as usize,
    )
}

/// `str(key) ‖ str(value)` items of §3.5.1 (UTF-8 form; the strings here
/// hold no lone surrogates).
fn items_of(items: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in items.iter().flat_map(|(k, v)| [k, v]) {
        coffer_engine::codec::write_varint(&mut out, 2 * s.len() as u64);
        out.extend_from_slice(s.as_bytes());
    }
    out
}

const PARTS_LOCAL: &[(&str, &str)] = &[("", ""), ("a", "1"), ("theme", "dark")];
const PARTS_DB_FILE: &[u8] = b"SQLite format 3\0 (the first bytes of a database)";
const PARTS_README: &[u8] = b"hello\n";
const PARTS_BODY: &[u8] = b"console.log('cached');\n";

fn info(entry: &str, bytes: &[u8]) -> serde_json::Value {
    serde_json::json!({
        "entry": entry,
        "size": bytes.len(),
        "blake3": blake3::hash(bytes).to_hex().to_string(),
    })
}

/// `backup.zip` (§10.4) with localStorage, an OPFS tree and one cache
/// (§3.5): format version 2, every entry stored.
fn parts_entries() -> Entries {
    let mut e = base_entries();
    let local = items_of(PARTS_LOCAL);
    let mut m = manifest_of(&e);
    m["format_version"] = 2.into();
    let mut ls = info("local-storage.bin", &local);
    ls["items"] = PARTS_LOCAL.len().into();
    m["local_storage"] = ls;
    let mut f0 = info("opfs/000000.bin", PARTS_DB_FILE);
    f0["path"] = "db/main.sqlite3".into();
    let mut f1 = info("opfs/000001.bin", PARTS_README);
    f1["path"] = "readme.txt".into();
    let reorder = |f: serde_json::Value| serde_json::json!({"path": f["path"], "entry": f["entry"], "size": f["size"], "blake3": f["blake3"]});
    m["opfs"] = serde_json::json!({
        "directories": ["db", "db/empty"],
        "files": [reorder(f0), reorder(f1)],
    });
    let body = info("caches/0/000000.bin", PARTS_BODY);
    m["caches"] = serde_json::json!([{
        "name": "app-v1",
        "entries": [{
            "url": "https://example.com/app.js",
            "method": "GET",
            "request_headers": [],
            "status": 200,
            "status_text": "OK",
            "response_headers": [["content-type", "text/javascript"], ["etag", "\"7\""]],
            "entry": body["entry"],
            "size": body["size"],
            "blake3": body["blake3"],
        }],
        "skipped": [{"url": "https://cdn.example.net/font.woff2", "method": "GET", "reason": "opaque"}],
    }]);
    e.push(("local-storage.bin".into(), local));
    e.push(("opfs/000000.bin".into(), PARTS_DB_FILE.to_vec()));
    e.push(("opfs/000001.bin".into(), PARTS_README.to_vec()));
    e.push(("caches/0/000000.bin".into(), PARTS_BODY.to_vec()));
    set_manifest(&mut e, &m);
    e
}

fn parts_edit(f: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut e = parts_entries();
    let mut m = manifest_of(&e);
    f(&mut m);
    set_manifest(&mut e, &m);
    zip_of(&e)
}

/// The parts backup with entry `name` replaced by `bytes` (its size and
/// hash in the manifest updated when `rehash`).
fn parts_with_entry(name: &str, bytes: Vec<u8>, rehash: bool) -> Vec<u8> {
    let mut e = parts_entries();
    if rehash {
        let mut m = manifest_of(&e);
        let h = blake3::hash(&bytes).to_hex().to_string();
        let fix = |v: &mut serde_json::Value| {
            if v["entry"] == name {
                v["size"] = bytes.len().into();
                v["blake3"] = h.clone().into();
            }
        };
        fix(&mut m["local_storage"]);
        for f in m["opfs"]["files"].as_array_mut().expect("files") {
            fix(f);
        }
        for c in m["caches"].as_array_mut().expect("caches") {
            for en in c["entries"].as_array_mut().expect("entries") {
                fix(en);
            }
        }
        set_manifest(&mut e, &m);
    }
    e.iter_mut().find(|(n, _)| n == name).expect("entry").1 = bytes;
    zip_of(&e)
}

/// Makes a file vector: file, section, description, bytes, outcome.
type MakeVector<'a> = &'a dyn Fn(&str, &'static str, &'static str, Vec<u8>, Outcome) -> FileVector;

/// The whole-file vectors of §3.5's parts.
fn parts_vectors(v: MakeVector<'_>) -> Vec<FileVector> {
    use Outcome::*;
    let mut out = Vec::new();
    let ok = zip_of(&parts_entries());
    out.push(v(
        "parts.zip",
        "§3.5",
        "backup.zip with localStorage, an OPFS tree and a cache (format version 2)",
        ok,
        Accept("verified"),
    ));
    out.push(v(
        "parts-version-1.bin",
        "§7.1 6e",
        "the parts under format_version 1",
        parts_edit(|m| m["format_version"] = 1.into()),
        Reject("invalid-manifest"),
    ));
    out.push(v(
        "parts-opfs-null.bin",
        "§7.1 6e",
        "\"opfs\": null (absent is the only way to leave a part out)",
        parts_edit(|m| m["opfs"] = serde_json::Value::Null),
        Reject("invalid-manifest"),
    ));
    out.push(v(
        "parts-local-storage-part-size.bin",
        "§7.1 6m",
        "local-storage.bin larger than max_part_size",
        parts_edit(|m| m["local_storage"]["size"] = (1u64 << 30 | 1).into()),
        Reject("limit-exceeded"),
    ));
    out.push(v(
        "parts-opfs-dotdot.bin",
        "§7.1 6n",
        "an OPFS file at ../readme.txt",
        parts_edit(|m| m["opfs"]["files"][1]["path"] = "../readme.txt".into()),
        Reject("invalid-manifest"),
    ));
    out.push(v(
        "parts-opfs-staging.bin",
        "§7.1 6n",
        "an OPFS directory inside .coffer-staging",
        parts_edit(|m| {
            m["opfs"]["directories"] = serde_json::json!([".coffer-staging", "db", "db/empty"])
        }),
        Reject("invalid-manifest"),
    ));
    out.push(v(
        "parts-opfs-parent.bin",
        "§7.1 6n",
        "an OPFS file whose directory is not listed",
        parts_edit(|m| m["opfs"]["directories"] = serde_json::json!([])),
        Reject("invalid-manifest"),
    ));
    out.push(v(
        "parts-opfs-order.bin",
        "§7.1 6n",
        "OPFS files out of order (with their entries in place)",
        parts_edit(|m| {
            let files = m["opfs"]["files"].as_array_mut().expect("files");
            let (a, b) = (files[0]["path"].clone(), files[1]["path"].clone());
            files[0]["path"] = b;
            files[1]["path"] = a;
        }),
        Reject("invalid-manifest"),
    ));
    out.push(v(
        "parts-opfs-size-limit.bin",
        "§7.1 6n",
        "an OPFS file larger than max_entry_size",
        parts_edit(|m| m["opfs"]["files"][1]["size"] = (1u64 << 34 | 1).into()),
        Reject("limit-exceeded"),
    ));
    out.push(v(
        "parts-cache-headers.bin",
        "§7.1 6o",
        "1025 response headers (a limit) before an invalid URL",
        parts_edit(|m| {
            let e = &mut m["caches"][0]["entries"][0];
            e["response_headers"] = (0..1025)
                .map(|i| serde_json::json!([format!("x-{i}"), "1"]))
                .collect();
            e["status"] = 600.into();
        }),
        Reject("limit-exceeded"),
    ));
    out.push(v(
        "parts-cache-header-upper.bin",
        "§7.1 6o",
        "a response header name with an upper-case letter",
        parts_edit(|m| {
            m["caches"][0]["entries"][0]["response_headers"][0][0] = "Content-Type".into()
        }),
        Reject("invalid-manifest"),
    ));
    out.push(v(
        "parts-cache-204-body.bin",
        "§7.1 6o",
        "a 204 response with a body",
        parts_edit(|m| m["caches"][0]["entries"][0]["status"] = 204.into()),
        Reject("invalid-manifest"),
    ));
    out.push(v(
        "parts-cache-skipped-url.bin",
        "§7.1 6o",
        "a skipped response whose URL is not http(s)",
        parts_edit(|m| m["caches"][0]["skipped"][0]["url"] = "data:,x".into()),
        Reject("invalid-manifest"),
    ));
    let mut e = parts_entries();
    e.push(("opfs/000002.bin".into(), b"stray".to_vec()));
    out.push(v(
        "parts-opfs-unlisted.bin",
        "§7.1 9",
        "an OPFS entry the manifest does not list",
        zip_of(&e),
        Reject("unexpected-entry"),
    ));
    out.push(v(
        "parts-local-storage-order.bin",
        "§7.2 16b",
        "localStorage keys out of order",
        parts_with_entry(
            "local-storage.bin",
            items_of(&[("a", "1"), ("", ""), ("theme", "dark")]),
            true,
        ),
        Reject("corrupt-record"),
    ));
    out.push(v(
        "parts-local-storage-cut.bin",
        "§7.2 16b",
        "a localStorage key without its value",
        parts_with_entry(
            "local-storage.bin",
            {
                let mut b = items_of(PARTS_LOCAL);
                b.extend(items_of(&[("z", "")]).iter().take(2));
                b
            },
            true,
        ),
        Reject("corrupt-record"),
    ));
    out.push(v(
        "parts-local-storage-count.bin",
        "§7.2 16d",
        "localStorage holding one item more than items",
        parts_with_entry(
            "local-storage.bin",
            {
                let mut b = items_of(PARTS_LOCAL);
                b.extend(items_of(&[("z", "")]));
                b
            },
            true,
        ),
        Reject("record-count-mismatch"),
    ));
    out.push(v(
        "parts-opfs-hash.bin",
        "§7.2 17",
        "an OPFS file altered (same size, CRC-32 recomputed)",
        parts_with_entry("opfs/000001.bin", b"hellO\n".to_vec(), false),
        Reject("hash-mismatch"),
    ));
    out.push(v(
        "parts-cache-body-hash.bin",
        "§7.2 18",
        "a cached body altered (same size, CRC-32 recomputed)",
        parts_with_entry(
            "caches/0/000000.bin",
            b"console.log('CACHED');\n".to_vec(),
            false,
        ),
        Reject("hash-mismatch"),
    ));
    out
}

/// §3.5.1 and §10.9: the localStorage entry, as FORMAT.md prints it.
#[test]
fn i_local_storage_items() {
    use coffer_engine::codec::items::{decode_items, encode_items, sort_items};
    use coffer_engine::model::JsString;
    let spec = std::fs::read_to_string(root().join("../../FORMAT.md")).expect("FORMAT.md");
    let squeezed: String = spec.chars().filter(|c| !c.is_whitespace()).collect();
    let lone = JsString::from_utf16(vec![0xd800]);
    let cases: [Vec<(JsString, JsString)>; 2] = [
        vec![("a".into(), "1".into()), ("".into(), "".into())],
        vec![(lone.clone(), "x".into()), ("x".into(), lone.clone())],
    ];
    for mut items in cases.clone() {
        sort_items(&mut items).expect("distinct keys");
        let bytes = encode_items(&items);
        let back = decode_items(&bytes, 1 << 20).expect("decodes");
        assert_eq!(back, items);
    }
    let mut a = cases[0].clone();
    sort_items(&mut a).expect("sorted");
    assert_eq!(hex::encode(encode_items(&a)), "000002610231");
    assert!(
        squeezed.contains("000002610231"),
        "FORMAT.md prints 000002610231"
    );
    let mut b = cases[1].clone();
    sort_items(&mut b).expect("sorted");
    // "x" (U+0078) sorts before U+D800.
    let want = "02780300d80300d80278";
    assert_eq!(hex::encode(encode_items(&b)), want);
    assert!(squeezed.contains(want), "FORMAT.md prints {want}");
    assert!(items_of(&[("", ""), ("a", "1")]) == hex::decode("000002610231").expect("hex"));
    // §10.9 prints the manifest members of files/parts.zip as written.
    let m = String::from_utf8(parts_entries()[0].1.clone()).expect("manifest text");
    let start = m.find("  \"local_storage\"").expect("local_storage member");
    let end = m.rfind("\n}").expect("end");
    assert!(
        spec.contains(&m[start..end]),
        "FORMAT.md §10.9 prints the parts' manifest members:\n{}",
        &m[start..end]
    );
}

fn file_vectors() -> Vec<FileVector> {
    use Outcome::*;
    let key = Some("keyfile-plain.json");
    let v = |file: &str, section, what, bytes, outcome| FileVector {
        file: format!("files/{file}"),
        what,
        section,
        bytes,
        key_file: key,
        passphrase: false,
        outcome,
    };
    let base = zip_of(&base_entries());
    let (offsets, cd) = layout(&base);
    let mut out = Vec::new();

    // Accepted files and their authentication.
    out.push(v(
        "restored.zip",
        "§3.4",
        "backup.zip rewritten with every entry stored",
        base.clone(),
        Accept("verified"),
    ));
    let mut a = v(
        "restored.zip",
        "§3.4",
        "the same without the key: sound, MAC not checked",
        base.clone(),
        Accept("key-not-given"),
    );
    a.key_file = None;
    out.push(a);
    let mut plain = base_entries();
    plain.retain(|(n, _)| n != "manifest.mac" && n != SECRETS_PART);
    let mut m = manifest_of(&plain);
    m["key_id"] = serde_json::Value::Null;
    m["databases"][0]["stores"]
        .as_array_mut()
        .expect("stores")
        .truncate(1);
    set_manifest(&mut plain, &m);
    out.push(v(
        "unauthenticated.zip",
        "§3.4",
        "no key id and no MAC: sound but unauthenticated (the key is not used)",
        zip_of(&plain),
        Accept("no-mac"),
    ));
    let mut l = v(
        "locked-passphrase.bin",
        "§6",
        "locked.zip unlocked by passphrase; the inner MAC is not checked without the key",
        locked().0,
        Accept("key-not-given"),
    );
    l.key_file = None;
    l.passphrase = true;
    out.push(l);

    // §7.1 step 1: kind.
    out.push(v(
        "empty.bin",
        "§7.1 1",
        "an empty file",
        Vec::new(),
        Reject("not-a-backup"),
    ));
    out.push(v(
        "text.bin",
        "§7.1 1",
        "text, not a ZIP archive",
        b"hello, not a backup\n".to_vec(),
        Reject("not-a-backup"),
    ));
    // Step 2: the ZIP directory.
    let mut b = base.clone();
    b.push(0);
    out.push(v(
        "zip-appended-byte.bin",
        "§7.1 2",
        "one byte after the end record",
        b,
        Reject("damaged-zip"),
    ));
    let mut b = base.clone();
    let n = b.len();
    b[n - 2] = 2;
    b.extend_from_slice(b"hi");
    out.push(v(
        "zip-comment.bin",
        "§7.1 2",
        "an archive comment",
        b,
        Reject("damaged-zip"),
    ));
    out.push(v(
        "zip-cut.bin",
        "§7.1 2",
        "the last 10 bytes cut off",
        base[..base.len() - 10].to_vec(),
        Reject("truncated"),
    ));
    let mut b = base[..cd].to_vec();
    b.extend_from_slice(&[0u8; 4]);
    b.extend_from_slice(&base[cd..]);
    let n = b.len();
    b[n - 6..n - 2].copy_from_slice(&(cd as u32 + 4).to_le_bytes());
    out.push(v(
        "zip-gap.bin",
        "§7.1 2",
        "4 unused bytes between the last entry and the central directory",
        b,
        Reject("damaged-zip"),
    ));
    let mut b = base.clone();
    b[offsets[2] as usize + 8] = 12;
    let c2 = cd
        + (0..2).fold(0, |at, _| {
            at + 46 + u16::from_le_bytes([base[cd + at + 28], base[cd + at + 29]]) as usize
        });
    b[c2 + 10] = 12;
    out.push(v(
        "zip-method.bin",
        "§7.1 2",
        "an entry compressed with method 12 (bzip2)",
        b,
        Reject("damaged-zip"),
    ));
    let mut b = base.clone();
    b[offsets[2] as usize + 6] |= 1;
    b[c2 + 8] |= 1;
    out.push(v(
        "zip-encrypted.bin",
        "§7.1 2",
        "an entry flagged as ZIP-encrypted",
        b,
        Reject("damaged-zip"),
    ));
    // Step 3: names.
    let mut e = base_entries();
    e.push(("../evil".into(), b"x".to_vec()));
    out.push(v(
        "name-unsafe.bin",
        "§7.1 3",
        "an entry named ../evil",
        zip_of(&e),
        Reject("unsafe-entry-name"),
    ));
    // The zip crate refuses to write a name twice: write another name of
    // the same length and patch it (local header and directory).
    let mut e = base_entries();
    let (name, data) = e[2].clone();
    let other = name.replace("000000", "000009");
    e.push((other.clone(), data));
    let mut b = zip_of(&e);
    let mut at = 0;
    while let Some(i) = b[at..]
        .windows(other.len())
        .position(|w| w == other.as_bytes())
    {
        b[at + i..at + i + other.len()].copy_from_slice(name.as_bytes());
        at += i + other.len();
    }
    out.push(v(
        "name-duplicate.bin",
        "§7.1 3",
        "a data entry twice",
        b,
        Reject("duplicate-entry"),
    ));
    let mut e = base_entries();
    e.swap(0, 1);
    out.push(v(
        "name-manifest-second.bin",
        "§7.1 3",
        "manifest.mac before manifest.json",
        zip_of(&e),
        Reject("invalid-manifest"),
    ));
    // Step 4: local headers.
    let mut b = base.clone();
    b[offsets[2] as usize + 8] = 8;
    out.push(v(
        "local-method.bin",
        "§7.1 4",
        "a local header says deflate, the directory says stored",
        b,
        Reject("damaged-zip"),
    ));
    let mut b = base.clone();
    let name_len =
        u16::from_le_bytes([b[offsets[2] as usize + 26], b[offsets[2] as usize + 27]]) as usize;
    b[offsets[2] as usize + 30 + name_len - 5] = b'7';
    out.push(v(
        "local-name.bin",
        "§7.1 4",
        "a local header names another entry",
        b,
        Reject("damaged-zip"),
    ));
    let mut b = base.clone();
    let desc = offsets[3] as usize - 16;
    assert_eq!(&b[desc..desc + 4], b"PK\x07\x08");
    b[desc + 4] ^= 1;
    out.push(v(
        "local-descriptor-crc.bin",
        "§7.1 4",
        "a data descriptor's CRC differs from the directory",
        b,
        Reject("damaged-zip"),
    ));
    // Step 6: the manifest.
    out.push(v(
        "manifest-version-3.bin",
        "§7.1 6",
        "format_version 3",
        edit(|m| m["format_version"] = 3.into()),
        Reject("unsupported-version"),
    ));
    out.push(v(
        "manifest-version-2.bin",
        "§9",
        "format_version 2 without any member that needs it",
        edit(|m| m["format_version"] = 2.into()),
        Accept("verified"),
    ));
    out.push(v(
        "manifest-version-float.bin",
        "§7.1 6",
        "format_version 1.0 (not an integer)",
        edit(|m| m["format_version"] = serde_json::json!(1.0)),
        Reject("invalid-manifest"),
    ));
    out.push(v(
        "manifest-unknown-member.bin",
        "§7.1 6",
        "an unknown top-level member",
        edit(|m| m["extra"] = true.into()),
        Reject("invalid-manifest"),
    ));
    out.push(v(
        "manifest-created.bin",
        "§7.1 6",
        "created with a space instead of T",
        edit(|m| m["created"] = "2026-11-26 12:00:00Z".into()),
        Reject("invalid-manifest"),
    ));
    out.push(v(
        "manifest-key-id-upper.bin",
        "§7.1 6",
        "an upper-case key id",
        edit(|m| m["key_id"] = V_KEY_ID.to_uppercase().into()),
        Reject("invalid-manifest"),
    ));
    let mut e = base_entries();
    let mut m = manifest_of(&e);
    m["databases"][0]["stores"][1]["parts"][0]["records"] = 0.into();
    m["databases"][0]["stores"][1]["records"] = 0.into();
    set_manifest(&mut e, &m);
    out.push(v(
        "manifest-empty-part.bin",
        "§7.1 6",
        "a records part that claims no records",
        zip_of(&e),
        Reject("invalid-manifest"),
    ));
    // Step 7: the MAC entry.
    let mut e = base_entries();
    e.retain(|(n, _)| n != "manifest.mac");
    out.push(v(
        "mac-stripped.bin",
        "§7.1 7",
        "the MAC entry removed from a backup that names a key",
        zip_of(&e),
        Reject("mac-missing"),
    ));
    let mut e = plain.clone();
    e.insert(1, ("manifest.mac".into(), vec![b'0'; 64]));
    out.push(v(
        "mac-without-key-id.bin",
        "§7.1 7",
        "a MAC in a backup that names no key",
        zip_of(&e),
        Reject("unexpected-entry"),
    ));
    let mut e = base_entries();
    e[1].1 = e[1].1.to_ascii_uppercase();
    out.push(v(
        "mac-upper.bin",
        "§7.1 7",
        "an upper-case MAC",
        zip_of(&e),
        Reject("invalid-manifest"),
    ));
    // Step 8 and 9: listed entries.
    let mut e = base_entries();
    e.retain(|(n, _)| n != NOTES_BLOB);
    out.push(v(
        "entry-missing.bin",
        "§7.1 8",
        "a listed blob missing",
        zip_of(&e),
        Reject("missing-entry"),
    ));
    out.push(v(
        "entry-size.bin",
        "§7.1 8",
        "the manifest's size of a part off by one",
        edit(|m| {
            let s = m["databases"][0]["stores"][0]["parts"][0]["size"]
                .as_u64()
                .expect("size");
            m["databases"][0]["stores"][0]["parts"][0]["size"] = (s + 1).into();
        }),
        Reject("size-mismatch"),
    ));
    let mut e = base_entries();
    e.push((
        "databases/0/stores/0/blobs/000001.bin".into(),
        b"x".to_vec(),
    ));
    out.push(v(
        "entry-unlisted.bin",
        "§7.1 9",
        "a data entry the manifest does not list",
        zip_of(&e),
        Reject("unexpected-entry"),
    ));
    // Step 10: the key and the MAC.
    let mut e = base_entries();
    e[1].1[0] = if e[1].1[0] == b'0' { b'1' } else { b'0' };
    out.push(v(
        "mac-altered.bin",
        "§7.2 10",
        "a MAC that does not verify",
        zip_of(&e),
        Reject("mac-mismatch"),
    ));
    let mut w = v(
        "wrong-key.bin",
        "§7.2 10",
        "backup.zip checked with another key file",
        base.clone(),
        Reject("wrong-key"),
    );
    w.key_file = Some("keyfile-other.json");
    out.push(w);
    // Step 11: entry data.
    let mut e = base_entries();
    let mut m = manifest_of(&e);
    m["databases"][0]["stores"][0]["parts"][0]["blake3"] =
        blake3::hash(b"other").to_hex().to_string().into();
    set_manifest(&mut e, &m);
    out.push(v(
        "entry-hash.bin",
        "§7.2 11",
        "a part whose BLAKE3 differs from the manifest",
        zip_of(&e),
        Reject("hash-mismatch"),
    ));
    let mut b = base.clone();
    b[c2 + 16] ^= 1; // the directory's CRC of the notes part
    let desc = offsets[3] as usize - 16;
    b[desc + 4] = b[c2 + 16];
    out.push(v(
        "entry-crc.bin",
        "§7.2 11",
        "a part whose CRC-32 (directory and descriptor) is wrong",
        b,
        Reject("damaged-zip"),
    ));
    // Step 12: records.
    let mut blob_twice = Vec::new();
    for k in [1.0, 2.0] {
        let v = [
            0x14, 0x14, b't', b'e', b'x', b't', b'/', b'p', b'l', b'a', b'i', b'n', 0x01, 0x00,
            0x25,
        ];
        coffer_engine::codec::write_record_head(
            &mut blob_twice,
            &encode_key(&Key::Number(k)).expect("key"),
            v.len(),
        );
        blob_twice.extend_from_slice(&v);
    }
    let mut e = base_entries();
    replace_entry(&mut e, NOTES_PART, blob_twice);
    let mut m = manifest_of(&e);
    m["databases"][0]["stores"][0]["parts"][0]["records"] = 2.into();
    m["databases"][0]["stores"][0]["records"] = 2.into();
    set_manifest(&mut e, &m);
    out.push(v(
        "blob-twice.bin",
        "§7.2 12",
        "two records refer to the same blob",
        zip_of(&e),
        Reject("corrupt-record"),
    ));
    out.push(v(
        "blob-unreferenced.bin",
        "§7.2 12",
        "no record refers to the store's blob",
        with_note_value(&[0x01]),
        Reject("corrupt-record"),
    ));
    let mut big = vec![0x05, 0x00];
    coffer_engine::codec::write_varint(&mut big, 8193);
    big.extend(std::iter::repeat_n(0x01, 8193));
    let mut e = base_entries();
    replace_entry(&mut e, NOTES_PART, one_record_part(&big));
    e.retain(|(n, _)| n != NOTES_BLOB);
    let mut m = manifest_of(&e);
    m["databases"][0]["stores"][0]["blobs"] = serde_json::json!([]);
    set_manifest(&mut e, &m);
    out.push(v(
        "bigint-over-limit.bin",
        "§7.2 12",
        "a bigint of 8193 magnitude bytes (max_bigint_bytes is 8192)",
        zip_of(&e),
        Reject("limit-exceeded"),
    ));
    let mut nested = Vec::new();
    for _ in 0..20 {
        nested.push(0x19);
        let left = (4000 - nested.len()) as u64;
        coffer_engine::codec::write_varint(&mut nested, left);
    }
    nested.resize(4000, 0);
    let mut e = base_entries();
    replace_entry(&mut e, NOTES_PART, one_record_part(&nested));
    out.push(v(
        "value-nested-counts.bin",
        "§7.2 12",
        "nested Maps declaring more entries than the data holds",
        zip_of(&e),
        Reject("corrupt-record"),
    ));
    // Views with their buffers (§4.3, tag 0x21): format_version 2 only.
    let over_blob = hex::decode("2102081012010025").expect("hex");
    out.push(v(
        "view-external-buffer.bin",
        "§4.3",
        "format_version 2: a Uint8Array(16) at byte 8 of the 37-byte ArrayBuffer held in blob 0",
        with_value_at(&over_blob, 2, true),
        Accept("verified"),
    ));
    let shared = encode_value(&Value::object([
        (
            "v",
            Value::View {
                kind: ViewKind::Uint8,
                byte_offset: 0,
                byte_length: 2,
                buffer: ViewBuffer::ArrayBuffer(vec![1, 2, 3, 4].into()),
            },
        ),
        ("b", Value::Ref(2)),
        (
            "w",
            Value::View {
                kind: ViewKind::Int8,
                byte_offset: 2,
                byte_length: 2,
                buffer: ViewBuffer::Ref(2),
            },
        ),
    ]))
    .expect("encodable");
    out.push(v(
        "view-shared-buffer.bin",
        "§4.3",
        "format_version 2: two views and an ArrayBuffer property sharing one buffer",
        with_value_at(&shared, 2, false),
        Accept("verified"),
    ));
    out.push(v(
        "view-partial-in-version-2.bin",
        "§4.3",
        "format_version 2: a view in the window-only form of format_version 1 (0x13)",
        with_value_at(&hex::decode("13050208000401000200").expect("hex"), 2, false),
        Accept("verified"),
    ));
    out.push(v(
        "view-in-version-1.bin",
        "§7.2 12",
        "format_version 1: a view with its buffer (tag 0x21)",
        with_value_at(&over_blob, 1, true),
        Reject("corrupt-record"),
    ));
    out.push(v(
        "view-buffer-not-arraybuffer.bin",
        "§7.2 12",
        "format_version 2: a view whose buffer refers to a plain object",
        with_value_at(
            &hex::decode("1702180021020000200100").expect("hex"),
            2,
            false,
        ),
        Reject("corrupt-record"),
    ));
    out.push(v(
        "view-past-shared-buffer.bin",
        "§7.2 12",
        "format_version 2: a view reaching past the end of the buffer it shares",
        with_value_at(
            &hex::decode("170212000401020304210202042001 00".replace(' ', "")).expect("hex"),
            2,
            false,
        ),
        Reject("corrupt-record"),
    ));
    let mut e = base_entries();
    let mut m = manifest_of(&e);
    m["databases"][0]["stores"][0]["parts"][0]["records"] = 2.into();
    m["databases"][0]["stores"][0]["records"] = 2.into();
    set_manifest(&mut e, &m);
    out.push(v(
        "record-count.bin",
        "§7.2 12",
        "a part holding 1 record that claims 2",
        zip_of(&e),
        Reject("record-count-mismatch"),
    ));
    let mut e = base_entries();
    let part = e[4].1.clone();
    let mut m = manifest_of(&e);
    let info = m["databases"][0]["stores"][1]["parts"][0].clone();
    let mut second = info.clone();
    second["entry"] = "databases/0/stores/1/records/000001.bin".into();
    m["databases"][0]["stores"][1]["parts"] = serde_json::json!([info, second]);
    m["databases"][0]["stores"][1]["records"] = 2.into();
    set_manifest(&mut e, &m);
    e.push(("databases/0/stores/1/records/000001.bin".into(), part));
    out.push(v(
        "record-repeated-across-parts.bin",
        "§7.2 12",
        "the same record in two parts of a store",
        zip_of(&e),
        Reject("corrupt-record"),
    ));
    // Step 13: sealed records.
    let mut e = base_entries();
    let mut part = e[4].1.clone();
    let last = part.len() - 1;
    part[last] ^= 1;
    replace_entry(&mut e, SECRETS_PART, part);
    out.push(v(
        "sealed-tampered.bin",
        "§7.2 13",
        "a sealed record's tag altered (hash and MAC recomputed)",
        zip_of(&e),
        Reject("decryption-failed"),
    ));
    // Version-2 envelopes (§5): plaintexts with tag 0x21.
    out.push(v(
        "sealed-version-2.bin",
        "§5",
        "the encrypted store's record sealed as a version-2 envelope of a view",
        with_sealed(&envelope_v2()),
        Accept("verified"),
    ));
    out.push(v(
        "sealed-view-in-version-1.bin",
        "§7.2 12",
        "a version-1 envelope whose plaintext holds a view with its buffer (tag 0x21)",
        with_sealed(&envelope_v1_with_view()),
        Reject("invalid-sealed-record"),
    ));
    let mut env = envelope_v2();
    env[0] = 3;
    out.push(v(
        "sealed-version-3.bin",
        "§7.2 12",
        "an envelope of version 3",
        with_sealed(&env),
        Reject("unsupported-version"),
    ));
    // The resolutions of the second reader's disagreements D1-D7
    // (tests/second-reader/SPEC-QUESTIONS.md), one file each.
    let base_text = String::from_utf8(base_entries()[0].1.clone()).expect("manifest text");
    let text_manifest = |t: String| {
        let mut e = base_entries();
        set_manifest_bytes(&mut e, t.into_bytes());
        zip_of(&e)
    };
    out.push(v(
        "manifest-version-repeated.bin",
        "§7.1 6",
        "format_version given twice, both 3 (a repeated probed member)",
        text_manifest(base_text.replace(
            "\"format_version\": 1,",
            "\"format_version\": 3,\n  \"format_version\": 3,",
        )),
        Reject("invalid-manifest"),
    ));
    out.push(v(
        "manifest-lone-surrogate.bin",
        "§7.1 6",
        "format_version 3 and a lone-surrogate escape in coffer_version",
        text_manifest(
            base_text
                .replace("\"format_version\": 1,", "\"format_version\": 3,")
                .replace(
                    "\"coffer_version\": \"0.1.0\"",
                    "\"coffer_version\": \"\\udc00x\"",
                ),
        ),
        Reject("unsupported-version"),
    ));
    let mut short = vec![0x05, 0x00];
    coffer_engine::codec::write_varint(&mut short, 8193);
    short.extend([0x01; 10]);
    out.push(v(
        "bigint-declared-over-limit.bin",
        "§7.2 12",
        "a bigint declaring 8193 magnitude bytes, of which 10 follow",
        with_note_value(&short),
        Reject("limit-exceeded"),
    ));
    let mut sparse = vec![0x16, 0x01, 0x01, 0x00, 0x05, 0x00];
    coffer_engine::codec::write_varint(&mut sparse, 8193);
    sparse.extend(std::iter::repeat_n(0x01, 8193));
    sparse.push(0x00);
    out.push(v(
        "sparse-array-full.bin",
        "§7.2 12",
        "a sparse array of length 1 holding 1 element, a bigint over the limit",
        with_note_value(&sparse),
        Reject("corrupt-record"),
    ));
    // Entry 2's directory header: uncompressed size all ones, and a ZIP64
    // field holding both sizes (the compressed one is not all ones).
    let cd2 = cd
        + (0..2).fold(0, |at, _| {
            at + 46
                + u16::from_le_bytes([base[cd + at + 28], base[cd + at + 29]]) as usize
                + u16::from_le_bytes([base[cd + at + 30], base[cd + at + 31]]) as usize
        });
    let name_len = u16::from_le_bytes([base[cd2 + 28], base[cd2 + 29]]) as usize;
    let (csize, usize_) = (
        u32::from_le_bytes(base[cd2 + 20..cd2 + 24].try_into().expect("4")),
        u32::from_le_bytes(base[cd2 + 24..cd2 + 28].try_into().expect("4")),
    );
    assert_eq!(base[cd2 + 30..cd2 + 32], [0, 0], "no extra field yet");
    let mut extra = vec![0x01, 0x00, 16, 0];
    extra.extend_from_slice(&u64::from(usize_).to_le_bytes());
    extra.extend_from_slice(&u64::from(csize).to_le_bytes());
    let at = cd2 + 46 + name_len;
    let mut b = base[..at].to_vec();
    b[cd2 + 24..cd2 + 28].copy_from_slice(&u32::MAX.to_le_bytes());
    b[cd2 + 30..cd2 + 32].copy_from_slice(&(extra.len() as u16).to_le_bytes());
    b.extend_from_slice(&extra);
    b.extend_from_slice(&base[at..]);
    let n = b.len();
    let cd_size = u32::from_le_bytes(b[n - 10..n - 6].try_into().expect("4")) + extra.len() as u32;
    b[n - 10..n - 6].copy_from_slice(&cd_size.to_le_bytes());
    out.push(v(
        "zip64-extra-surplus.bin",
        "§7.1 2",
        "a directory ZIP64 field holding a compressed size no field needs",
        b,
        Reject("damaged-zip"),
    ));
    // §6: locked backups.
    let lv = |file: &str, what, bytes, outcome| {
        let mut x = v(file, "§6", what, bytes, outcome);
        x.key_file = None;
        x.passphrase = true;
        x
    };
    let (locked_file, header_len) = locked();
    out.push(lv(
        "locked-header-cut.bin",
        "a locked header cut short",
        locked_file[..100].to_vec(),
        Reject("truncated"),
    ));
    let mut b = locked_file.clone();
    b[8] = 2;
    out.push(lv(
        "locked-version-2.bin",
        "locked header version 2",
        b,
        Reject("unsupported-version"),
    ));
    let mut b = locked_file.clone();
    b[9] = 3;
    out.push(lv(
        "locked-three-stanzas.bin",
        "a stanza count of 3",
        b,
        Reject("not-a-backup"),
    ));
    let mut b = locked_file.clone();
    b[19..23].copy_from_slice(&0u32.to_le_bytes()); // p = 0
    out.push(lv(
        "locked-argon2-p0.bin",
        "Argon2id parallelism 0 in the passphrase stanza",
        b,
        Reject("not-a-backup"),
    ));
    let mut b = locked_file.clone();
    b[11..15].copy_from_slice(&(2u32 << 20).to_le_bytes()); // m = 2 GiB
    out.push(lv(
        "locked-argon2-memory.bin",
        "Argon2id memory of 2 GiB (max_kdf_memory_kib is 1 GiB)",
        b,
        Reject("limit-exceeded"),
    ));
    let mut b = locked_file.clone();
    b[header_len - 1] ^= 1;
    out.push(lv(
        "locked-header-mac.bin",
        "the header MAC altered",
        b,
        Reject("decryption-failed"),
    ));
    out.push(lv(
        "locked-payload-short.bin",
        "a payload of 10 bytes",
        locked_file[..header_len + 10].to_vec(),
        Reject("truncated"),
    ));
    out.push(lv(
        "locked-payload-cut.bin",
        "the payload's last 5 bytes cut off",
        locked_file[..locked_file.len() - 5].to_vec(),
        Reject("decryption-failed"),
    ));
    out.push(lv(
        "locked-payload-empty.bin",
        "an empty payload (no archive inside)",
        relocked(&[]),
        Reject("not-a-backup"),
    ));
    out.push(lv(
        "locked-nested.bin",
        "a locked backup inside a locked backup",
        relocked(&locked_file),
        Reject("not-a-backup"),
    ));
    let mut b = locked_file[..10 + 101].to_vec();
    b.extend_from_slice(&[0x01, 0x00, 0x04]);
    out.push(lv(
        "locked-stanza-repeated.bin",
        "a second passphrase stanza, cut short after its type byte",
        b,
        Reject("not-a-backup"),
    ));
    // A payload of 3 chunks whose middle one is damaged where only the
    // end-record search window reads it, opened with another key.
    let mut e = base_entries();
    let mut big = vec![0x06];
    coffer_engine::codec::write_varint(&mut big, 2 * 150_000);
    big.extend(std::iter::repeat_n(b'a', 150_000));
    replace_entry(&mut e, NOTES_PART, one_record_part(&big));
    e.retain(|(n, _)| n != NOTES_BLOB);
    let mut m = manifest_of(&e);
    m["databases"][0]["stores"][0]["blobs"] = serde_json::json!([]);
    set_manifest(&mut e, &m);
    let plain = zip_of(&e);
    assert!(plain.len() > 2 * CHUNK_SIZE && plain.len() - 65_557 < 2 * CHUNK_SIZE - 1000);
    let mut b = relocked(&plain);
    b[header_len + (CHUNK_SIZE + 16) + CHUNK_SIZE - 100] ^= 1;
    let mut w = lv(
        "locked-window-chunk.bin",
        "the middle of 3 STREAM chunks damaged inside the end-record search window; another key",
        b,
        Reject("decryption-failed"),
    );
    w.key_file = Some("keyfile-other.json");
    out.push(w);
    let mut w = lv(
        "locked-wrong-passphrase.bin",
        "locked.zip with another passphrase",
        locked_file.clone(),
        Reject("wrong-passphrase"),
    );
    w.file = "files/locked-wrong-passphrase.bin".into();
    out.push(w);
    out.extend(parts_vectors(&v));
    out
}

/// Runs the engine on a file vector: "accept:<authentication>" or the code.
fn run_file_vector(fv: &FileVector, passphrase: &[u8]) -> String {
    let key = fv.key_file.map(|k| {
        let text = std::fs::read_to_string(root().join("tests/vectors").join(k)).expect("key file");
        read_key_file(&text, None, &Limits::default()).expect("key")
    });
    let unlock = Unlock {
        passphrase: fv.passphrase.then_some(passphrase),
        master_key: key.as_ref(),
    };
    let r = open_backup(Cursor::new(&fv.bytes), unlock, Limits::default())
        .and_then(|mut r| r.verify(key.as_ref(), &mut |_| Ok(())));
    match r {
        Ok(report) => format!(
            "accept:{}",
            match report.authentication {
                coffer_engine::Authentication::Verified { .. } => "verified",
                coffer_engine::Authentication::Unauthenticated {
                    reason: coffer_engine::Unauthenticated::KeyNotGiven { .. },
                } => "key-not-given",
                _ => "no-mac",
            }
        ),
        Err(e) => e.code().to_owned(),
    }
}

#[test]
fn h_file_vectors() {
    let other = write_key_file(
        &MasterKey::from_bytes([0x5a; 32]),
        datetime!(2026-11-26 12:00 UTC),
        None,
    )
    .expect("key file");
    artifact("keyfile-other.json", other.as_bytes());
    let vectors = file_vectors();
    let mut index = Vec::new();
    let mut files = std::collections::BTreeSet::new();
    for fv in &vectors {
        let pass: &[u8] = if fv.file.contains("wrong-passphrase") {
            b"not the passphrase"
        } else {
            V_PASSPHRASE.as_bytes()
        };
        let got = run_file_vector(fv, pass);
        let (outcome, code, auth) = match fv.outcome {
            Outcome::Accept(a) => ("accept", None, Some(a)),
            Outcome::Reject(c) => ("reject", Some(c), None),
        };
        let want = match fv.outcome {
            Outcome::Accept(a) => format!("accept:{a}"),
            Outcome::Reject(c) => c.to_owned(),
        };
        assert_eq!(got, want, "{}: {}", fv.file, fv.what);
        if files.insert(fv.file.clone()) {
            artifact(&fv.file, &fv.bytes);
        }
        index.push(serde_json::json!({
            "file": fv.file,
            "description": fv.what,
            "section": fv.section,
            "key_file": fv.key_file,
            "passphrase": fv.passphrase.then(|| String::from_utf8_lossy(pass).into_owned()),
            "outcome": outcome,
            "code": code,
            "authentication": auth,
        }));
    }
    assert!(index.len() >= 40, "{} vectors", index.len());
    let doc = serde_json::json!({
        "about": "Whole-file test vectors of FORMAT.md §10.8. For each file: open it (§7.1, unlocking a locked backup with the passphrase and/or the master key of key_file) and verify it completely (§7.2, with the key of key_file when given), with the default limits of §7.3. outcome \"reject\": the first failing check has error code `code`; outcome \"accept\": the file is sound and its authentication (§3.4) is `authentication` (verified, no-mac or key-not-given). Paths are relative to this file.",
        "vectors": index,
    });
    let text = format!("{}\n", serde_json::to_string_pretty(&doc).expect("json"));
    artifact("vectors.json", text.as_bytes());

    // FORMAT.md §10.8 prints every file vector with its outcome.
    let spec = std::fs::read_to_string(root().join("../../FORMAT.md")).expect("FORMAT.md");
    for v in doc["vectors"].as_array().expect("vectors") {
        let outcome = match v["code"].as_str() {
            Some(code) => format!("`{code}`"),
            None => format!("accept, {}", v["authentication"].as_str().expect("auth")),
        };
        let file = format!("`{}`", v["file"].as_str().expect("file"));
        let what = v["description"].as_str().expect("description");
        assert!(
            spec.lines().any(|l| l.starts_with(&format!("| {file} |"))
                && l.contains(what)
                && l.ends_with(&format!("| {outcome} |"))),
            "FORMAT.md §10.8 does not print {file} ({what}) -> {outcome}"
        );
    }
}
