//! Issue 13, "Hostile files": each attack reported against the reader, as a
//! small crafted file, must now fail with its specific error code (or, for a
//! sound but costly file, be read within the limits). Memory peaks are
//! measured in `tests/alloc.rs`.

mod common;

use std::io::Cursor;

use coffer_engine::codec::write_varint;
use coffer_engine::envelope::{seal_bytes, RecordContext};
use coffer_engine::locked::{lock_writer, open_backup, Lock, Unlock};
use coffer_engine::primitives::kdf::KdfParams;
use coffer_engine::{Authentication, BackupReader, Limits, MasterKey};
use common::*;

/// Opens and verifies; the error code or "ok".
fn verify(bytes: &[u8], key: Option<&MasterKey>, limits: Limits) -> &'static str {
    let unlock = Unlock {
        passphrase: Some(b"pw"),
        master_key: key,
    };
    match open_backup(Cursor::new(bytes), unlock, limits) {
        Err(e) => e.code(),
        Ok(mut r) => match r.verify(key, &mut |_| Ok(())) {
            Err(e) => {
                eprintln!("verify: {e}");
                e.code()
            }
            Ok(_) => "ok",
        },
    }
}

/// Opens and decodes every store with `next_part`; the error code or "ok".
fn decode_all(bytes: &[u8], limits: Limits) -> &'static str {
    let unlock = Unlock {
        passphrase: Some(b"pw"),
        master_key: None,
    };
    let mut r = match open_backup(Cursor::new(bytes), unlock, limits) {
        Err(e) => return e.code(),
        Ok(r) => r,
    };
    let stores: Vec<(usize, usize)> = r
        .manifest()
        .databases()
        .iter()
        .enumerate()
        .flat_map(|(d, db)| (0..db.stores.len()).map(move |s| (d, s)))
        .collect();
    for (d, s) in stores {
        let mut scan = r.scan_store(d, s).expect("store");
        loop {
            match r.next_part(&mut scan) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    eprintln!("decode: {e}");
                    return e.code();
                }
            }
        }
    }
    "ok"
}

fn locked(bytes: &[u8]) -> Vec<u8> {
    let lock = Lock {
        passphrase: Some((b"pw".to_vec().into(), KdfParams::INSECURE_FAST)),
        master_key: None,
    };
    let mut w = lock_writer(Vec::new(), &lock).expect("lock");
    std::io::Write::write_all(&mut w, bytes).expect("write");
    w.finish().expect("finish")
}

/// A value of `levels` nested collections of kind `tag`, each declaring as
/// many elements as bytes remain, then zero bytes up to `len` in all.
pub fn nested(tag: u8, levels: usize, len: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..levels {
        v.push(tag);
        let left = (len - v.len()) as u64;
        if tag == 0x16 {
            write_varint(&mut v, left); // sparse: length, then count
        }
        write_varint(&mut v, left);
    }
    v.resize(len, 0);
    v
}

/// Issue 13: nested Maps, Sets, objects and sparse arrays declaring huge
/// counts made the decoder reserve memory per declared element at every
/// level, and a 2 KB file aborted the process. Now they fail as corrupt
/// records, in plain stores, sealed records and locked backups alike.
#[test]
fn nested_collections_declaring_huge_counts() {
    for tag in [0x19u8, 0x1a, 0x18, 0x16, 0x17] {
        let value = nested(tag, 200, 1 << 20);
        let file = one_value(&value);
        assert!(file.len() < 16 << 10, "{} bytes", file.len());
        assert_eq!(verify(&file, None, Limits::default()), "corrupt-record");
        assert_eq!(decode_all(&file, Limits::default()), "corrupt-record");
        assert_eq!(
            verify(&locked(&file), None, Limits::default()),
            "corrupt-record"
        );
        // Inside a sealed record, opened with the key.
        let key = master_key();
        let k = coffer_engine::Key::Number(1.0);
        let ctx = RecordContext {
            database: "db",
            store: "s",
            key: &k,
        };
        let env = seal_bytes(&key, &ctx, &value).expect("seal");
        let mut part = Vec::new();
        frame(&mut part, &num_key(1.0), &env);
        let sealed = Craft {
            key: Some(key.clone()),
            databases: vec![(
                "db".into(),
                vec![CraftStore {
                    name: "s".into(),
                    encrypted: true,
                    parts: vec![(1, part)],
                    ..CraftStore::default()
                }],
            )],
        }
        .build();
        assert_eq!(
            verify(&sealed, Some(&key), Limits::default()),
            "invalid-sealed-record"
        );
        let mut r = BackupReader::open(Cursor::new(&sealed), Limits::default()).expect("open");
        let rec = r.read_part(0, 0, 0).expect("part").remove(0);
        let coffer_engine::RecordValue::Sealed(env) = rec.value else {
            panic!("sealed")
        };
        let opened = coffer_engine::envelope::open_value(&key, &ctx, &env, 256);
        assert_eq!(opened.unwrap_err().code(), "invalid-sealed-record");
    }
}

/// A sound value that decodes to far more memory than it takes on disk:
/// verify checks it without building it; decoding it is held to
/// `max_value_memory` (`limit-exceeded`).
#[test]
fn a_big_set_of_tiny_members() {
    let n = 1_000_000usize;
    let mut value = vec![0x1a];
    write_varint(&mut value, n as u64);
    value.extend((0..n).map(|i| (i % 4) as u8)); // undefined, null, false, true
    let file = one_value(&value);
    assert_eq!(verify(&file, None, Limits::default()), "ok");
    assert_eq!(decode_all(&file, Limits::default()), "ok");
    let small = Limits {
        max_value_memory: 16 << 20,
        ..Limits::default()
    };
    assert_eq!(verify(&file, None, small.clone()), "ok");
    assert_eq!(decode_all(&file, small), "limit-exceeded");
}

/// Issue 13: a 1 MB bigint made `extract` convert it to decimal for many
/// minutes (quadratic). Bigints are capped at `max_bigint_bytes`.
#[test]
fn a_huge_bigint_is_over_the_limit() {
    let mut value = vec![0x05, 0x00];
    write_varint(&mut value, 1 << 20);
    value.extend(std::iter::repeat_n(0x01u8, 1 << 20));
    let file = one_value(&value);
    assert!(file.len() < 16 << 10);
    assert_eq!(verify(&file, None, Limits::default()), "limit-exceeded");
    assert_eq!(decode_all(&file, Limits::default()), "limit-exceeded");
    // At the limit it reads, and converts to decimal quickly.
    let max = Limits::default().max_bigint_bytes as usize;
    let mut value = vec![0x05, 0x00];
    write_varint(&mut value, max as u64);
    value.extend(std::iter::repeat_n(0xffu8, max));
    let file = one_value(&value);
    assert_eq!(verify(&file, None, Limits::default()), "ok");
    let v = coffer_engine::codec::decode_value(&value, 256).expect("decode");
    let coffer_engine::Value::BigInt(b) = v else {
        panic!("bigint")
    };
    let t = std::time::Instant::now();
    let digits = b.to_decimal();
    assert_eq!(digits.len(), 19_729); // 2^65536 - 1
    assert!(t.elapsed().as_secs_f64() < 1.0, "{:?}", t.elapsed());
}

fn blob_value(index: u8, len: usize) -> Vec<u8> {
    // ArrayBuffer with an external body: blob `index`, `len` bytes.
    let mut v = vec![0x12, 0x01, index];
    write_varint(&mut v, len as u64);
    v
}

fn store_with_blobs(refs: &[u8], blobs: usize) -> Vec<u8> {
    let mut part = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        frame(&mut part, &num_key(i as f64), &blob_value(*r, 1000));
    }
    Craft::stores(vec![CraftStore {
        name: "s".into(),
        parts: vec![(refs.len() as u64, part)],
        blobs: vec![vec![7u8; 1000]; blobs],
        ..CraftStore::default()
    }])
    .build()
}

/// Issue 13: one blob referenced a thousand times passed verify and made
/// extract write 1 GB from 2 KB. Each blob is referenced exactly once, in
/// order.
#[test]
fn blobs_are_referenced_once_and_in_order() {
    assert_eq!(
        verify(&store_with_blobs(&[0, 1], 2), None, Limits::default()),
        "ok"
    );
    assert_eq!(
        decode_all(&store_with_blobs(&[0, 1], 2), Limits::default()),
        "ok"
    );
    for (refs, blobs) in [(&[0u8, 0][..], 1), (&[1, 0], 2), (&[0], 2), (&[0; 1000], 1)] {
        let file = store_with_blobs(refs, blobs);
        assert_eq!(
            verify(&file, None, Limits::default()),
            "corrupt-record",
            "{refs:?}"
        );
        assert_eq!(
            decode_all(&file, Limits::default()),
            "corrupt-record",
            "{refs:?}"
        );
    }
}

/// Issue 13: 560,000 empty stores took 1.5 GB and minutes. The number of
/// databases, stores and indexes is capped.
#[test]
fn too_many_stores() {
    let stores = |n: usize| {
        Craft::stores(
            (0..n)
                .map(|i| CraftStore {
                    name: format!("s{i}"),
                    ..CraftStore::default()
                })
                .collect(),
        )
        .build()
    };
    let max = Limits::default().max_stores as usize;
    let t = std::time::Instant::now();
    assert_eq!(
        verify(&stores(max + 1), None, Limits::default()),
        "limit-exceeded"
    );
    assert!(t.elapsed().as_secs() < 30);
    let few = Limits {
        max_stores: 3,
        ..Limits::default()
    };
    assert_eq!(verify(&stores(3), None, few.clone()), "ok");
    assert_eq!(verify(&stores(4), None, few), "limit-exceeded");
    let dbs = |n: usize| {
        Craft {
            key: None,
            databases: (0..n).map(|i| (format!("d{i}"), Vec::new())).collect(),
        }
        .build()
    };
    let few = Limits {
        max_databases: 2,
        ..Limits::default()
    };
    assert_eq!(verify(&dbs(2), None, few.clone()), "ok");
    assert_eq!(verify(&dbs(3), None, few), "limit-exceeded");
}

/// Issue 13: `extract` read parts one by one and wrote a record repeated in
/// two parts twice. Keys ascend across parts for every reader of a store.
#[test]
fn a_record_repeated_in_two_parts() {
    let mut p0 = Vec::new();
    frame(&mut p0, &num_key(1.0), &[0x01]);
    let file = Craft::stores(vec![CraftStore {
        name: "s".into(),
        parts: vec![(1, p0.clone()), (1, p0)],
        ..CraftStore::default()
    }])
    .build();
    assert_eq!(verify(&file, None, Limits::default()), "corrupt-record");
    assert_eq!(decode_all(&file, Limits::default()), "corrupt-record");
    let mut r = BackupReader::open(Cursor::new(&file), Limits::default()).expect("open");
    let mut seen = 0;
    let e = r.for_each_record(0, 0, &mut |_| {
        seen += 1;
        Ok(())
    });
    assert_eq!(e.unwrap_err().code(), "corrupt-record");
    assert_eq!(seen, 1);
}

/// Issue 13: a key id without a MAC is `mac-missing` for every reader; a
/// backup without either is unauthenticated, and so is one whose key is not
/// at hand.
#[test]
fn authentication_rules() {
    let key = master_key();
    let mut with_key = Craft::stores(vec![CraftStore {
        name: "s".into(),
        ..CraftStore::default()
    }]);
    with_key.key = Some(key.clone());
    let file = with_key.build();
    let open = |b: &[u8]| BackupReader::open(Cursor::new(b.to_vec()), Limits::default());
    let r = open(&file).expect("open");
    assert_eq!(
        r.authenticate(Some(&key)).unwrap(),
        Authentication::Verified { key_id: key.id() }
    );
    assert_eq!(
        r.authenticate(None).unwrap(),
        Authentication::Unauthenticated {
            reason: coffer_engine::Unauthenticated::KeyNotGiven { key_id: key.id() }
        }
    );
    assert_eq!(
        r.authenticate(Some(&other_key())).unwrap_err().code(),
        "wrong-key"
    );
    // The MAC stripped off.
    let stripped: Vec<_> = with_key
        .entries()
        .into_iter()
        .filter(|(n, _)| n != "manifest.mac")
        .collect();
    assert_eq!(
        verify(&build(&stripped), Some(&key), Limits::default()),
        "mac-missing"
    );
    assert_eq!(
        verify(&build(&stripped), None, Limits::default()),
        "mac-missing"
    );
    // Neither key id nor MAC.
    let mut plain = with_key.clone();
    plain.key = None;
    let r = open(&plain.build()).expect("open");
    let report = BackupReader::open(Cursor::new(plain.build()), Limits::default())
        .expect("open")
        .verify(Some(&key), &mut |_| Ok(()))
        .expect("verify");
    assert_eq!(
        report.authentication,
        Authentication::Unauthenticated {
            reason: coffer_engine::Unauthenticated::NoMac
        }
    );
    assert!(!report.mac_verified);
    assert!(!r.authenticate(None).unwrap().is_verified());
}

/// Issue 13: misleading messages. `format_version: 1.0` is "not an
/// integer"; an empty locked payload and a locked backup inside a locked
/// one say so instead of "the file is empty" / "needs its passphrase".
#[test]
fn messages_name_the_real_fault() {
    let mut e = entries(&plain_backup());
    edit_manifest(&mut e, |m| m["format_version"] = serde_json::json!(1.0));
    let err = BackupReader::open(Cursor::new(build(&e)), Limits::default()).unwrap_err();
    assert_eq!(err.code(), "invalid-manifest");
    assert!(err.to_string().contains("not an integer"), "{err}");

    let unlock = Unlock {
        passphrase: Some(b"pw"),
        master_key: None,
    };
    let err = open_backup(Cursor::new(locked(&[])), unlock, Limits::default()).unwrap_err();
    assert_eq!(err.code(), "not-a-backup");
    assert!(err.to_string().contains("payload is empty"), "{err}");
    let twice = locked(&locked(&plain_backup()));
    let err = open_backup(Cursor::new(twice), unlock, Limits::default()).unwrap_err();
    assert_eq!(err.code(), "not-a-backup");
    assert!(err.to_string().contains("another locked backup"), "{err}");
}

/// Issue 13: found by `cargo fuzz run backup_reader` within seconds: a
/// locked header whose Argon2id parallelism makes `8 * p` overflow u32
/// panicked ("attempt to multiply with overflow", primitives/kdf.rs). The
/// input below is such a header (p = 0x2000_0001); it is now rejected.
#[test]
fn fuzz_kdf_parallelism_overflow() {
    let mut h = b"COFFERLK\x01\x01\x01".to_vec();
    h.extend_from_slice(&8u32.to_le_bytes()); // m
    h.extend_from_slice(&1u32.to_le_bytes()); // t
    h.extend_from_slice(&0x2000_0001u32.to_le_bytes()); // p: 8 * p wraps to 8
    h.extend_from_slice(&[0u8; 16 + 72 + 16 + 32 + 16]);
    let unlock = Unlock {
        passphrase: Some(b"fuzz"),
        master_key: None,
    };
    let err = open_backup(Cursor::new(&h), unlock, Limits::default()).unwrap_err();
    assert_eq!(err.code(), "not-a-backup");
    assert!(err.to_string().contains("Argon2id"), "{err}");
}

/// Keys are decoded by every reader (to check their order), so their size
/// is capped on its own (`max_key_size`).
#[test]
fn key_size_is_capped() {
    let mut part = Vec::new();
    let key =
        coffer_engine::codec::encode_key(&coffer_engine::Key::Binary(vec![7; 100])).expect("key");
    frame(&mut part, &key, &[0x01]);
    let file = Craft::stores(vec![CraftStore {
        name: "s".into(),
        parts: vec![(1, part)],
        ..CraftStore::default()
    }])
    .build();
    assert_eq!(verify(&file, None, Limits::default()), "ok");
    let small = Limits {
        max_key_size: 50,
        ..Limits::default()
    };
    assert_eq!(verify(&file, None, small.clone()), "limit-exceeded");
    assert_eq!(decode_all(&file, small), "limit-exceeded");
}

/// One attack of the issue, rebuilt at its reported size.
struct Attack {
    /// File name stem (`tests/e2e` restores each file in the browser).
    slug: &'static str,
    class: &'static str,
    bytes: Vec<u8>,
    /// Whether the attack needs values decoded (restore, extract) rather
    /// than only a verify.
    decode: bool,
    limit: &'static str,
    /// The engine's code, or "ok".
    expected: &'static str,
}

/// Every attack reported against the reader (issue 13).
fn attacks() -> Vec<Attack> {
    let mut all = Vec::new();
    let mut add = |slug: &'static str,
                   class: &'static str,
                   bytes: &[u8],
                   decode: bool,
                   limit: &'static str,
                   expected: &'static str| {
        all.push(Attack {
            slug,
            class,
            bytes: bytes.to_vec(),
            decode,
            limit,
            expected,
        });
    };
    let nested_file = one_value(&nested(0x19, 200, 1 << 20));
    add(
        "nested-maps","Nested Maps declaring ~1M entries each, 200 levels (Sets, objects, sparse arrays alike; also sealed or locked)", &nested_file, true,
        "at most 256 elements reserved before they are decoded; `max_value_memory` 512 MiB", "corrupt-record");
    let n = 25_000_000usize;
    let mut set = vec![0x1a];
    write_varint(&mut set, n as u64);
    set.extend((0..n).map(|i| (i * 7 % 4) as u8));
    let set_file = one_value(&set);
    drop(set);
    add(
        "big-set-verify",
        "One Set of 25 million one-byte members: verify",
        &set_file,
        false,
        "verify builds no values (memory ≈ one part; `tests/alloc.rs` caps it at +80 MiB)",
        "ok",
    );
    add(
        "big-set-decode",
        "… the same, decoded for restore or extract",
        &set_file,
        true,
        "`max_value_memory` 512 MiB",
        "limit-exceeded",
    );
    let mut big = vec![0x05, 0x00];
    write_varint(&mut big, 1 << 20);
    big.extend(std::iter::repeat_n(0x01u8, 1 << 20));
    add(
        "huge-bigint",
        "A 1 MB BigInt (quadratic decimal conversion in extract)",
        &one_value(&big),
        false,
        "`max_bigint_bytes` 8192 (65,536 bits)",
        "limit-exceeded",
    );
    add(
        "blob-referenced-1000-times",
        "One blob entry referenced 1,000 times (1 GB of extract output)",
        &store_with_blobs(&[0; 1000], 1),
        false,
        "each blob referenced exactly once, in order (§4.3)",
        "corrupt-record",
    );
    let stores = Craft::stores(
        (0..100_001)
            .map(|i| CraftStore {
                name: format!("s{i}"),
                ..CraftStore::default()
            })
            .collect(),
    )
    .build();
    add(
        "too-many-stores",
        "100,001 empty stores (560,000 took 1.5 GB and minutes)",
        &stores,
        false,
        "`max_stores` 100,000 (`max_databases` 10,000, `max_indexes` 100,000)",
        "limit-exceeded",
    );
    let mut p0 = Vec::new();
    frame(&mut p0, &num_key(1.0), &[0x01]);
    let repeated = Craft::stores(vec![CraftStore {
        name: "s".into(),
        parts: vec![(1, p0.clone()), (1, p0)],
        ..CraftStore::default()
    }])
    .build();
    add(
        "record-in-two-parts",
        "A record repeated in two parts (extract wrote it twice)",
        &repeated,
        true,
        "keys ascend across parts for every reader of a store",
        "corrupt-record",
    );
    let mut h = b"COFFERLK\x01\x01\x01".to_vec();
    h.extend_from_slice(&8u32.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes());
    h.extend_from_slice(&0x2000_0001u32.to_le_bytes());
    h.extend_from_slice(&[0u8; 16 + 72 + 16 + 32 + 16]);
    add(
        "locked-kdf-overflow",
        "Locked header with Argon2id p = 0x20000001 (found by fuzzing: overflow panic)",
        &h,
        false,
        "`p ≥ 1`, `t ≥ 1`, `m ≥ 8·p` computed in 64 bits, before any Argon2 work",
        "not-a-backup",
    );
    let key = master_key();
    let mut with_key = Craft::stores(vec![CraftStore {
        name: "s".into(),
        ..CraftStore::default()
    }]);
    with_key.key = Some(key);
    let stripped: Vec<_> = with_key
        .entries()
        .into_iter()
        .filter(|(n, _)| n != "manifest.mac")
        .collect();
    add(
        "mac-stripped",
        "A backup whose MAC was stripped off (key id kept)",
        &build(&stripped),
        false,
        "a key id promises a MAC (§3.4)",
        "mac-missing",
    );
    all
}

/// Writes every attack to `$COFFER_HOSTILE_OUT/<slug>.bin` with an
/// `index.json` of what the engine says of it, for the browser test
/// (`tests/e2e/embed.spec.mjs`) that restores the same files through the
/// worker. Does nothing without the variable.
#[test]
fn write_files() {
    let Some(dir) = std::env::var_os("COFFER_HOSTILE_OUT") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut index = Vec::new();
    for a in attacks() {
        let file = format!("{}.bin", a.slug);
        std::fs::write(dir.join(&file), &a.bytes).expect("write");
        index.push(serde_json::json!({
            "file": file, "class": a.class, "decode": a.decode, "expected": a.expected,
        }));
    }
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_string_pretty(&index).expect("json"),
    )
    .expect("write");
}

/// Writes `reliability/hostile-inputs.json` (RELIABILITY.md's table of the
/// hostile-input classes) with each attack rebuilt at its reported size,
/// the limit that stops it, the code, and the time to reject it. Runs only
/// with `COFFER_WRITE_RELIABILITY=1` (release build recommended):
/// `COFFER_WRITE_RELIABILITY=1 cargo test --release -p coffer-engine --test hostile reliability`
#[test]
fn reliability_table() {
    if std::env::var_os("COFFER_WRITE_RELIABILITY").is_none() {
        return;
    }
    let mut rows = Vec::new();
    for a in attacks() {
        let t = std::time::Instant::now();
        let code = if a.decode {
            decode_all(&a.bytes, Limits::default())
        } else {
            verify(&a.bytes, None, Limits::default())
        };
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(code, a.expected, "{}", a.class);
        rows.push(serde_json::json!([
            a.class,
            format!("{:.1} KB", a.bytes.len() as f64 / 1000.0),
            a.limit,
            format!("`{code}`"),
            format!("{ms:.0} ms"),
        ]));
    }
    let doc = serde_json::json!({
        "title": "Hostile files",
        "text": [
            "Each attack reported against the reader (issue 13), rebuilt at its reported size by `crates/coffer-engine/tests/hostile.rs` (`COFFER_WRITE_RELIABILITY=1 cargo test --release -p coffer-engine --test hostile reliability`), with the rule or limit of FORMAT.md §7 that now stops it, the error code, and the time to open and verify (or, for decoded rows, decode every store) on this machine. Each class is also a regular test. `coffer extract` adds one more bound: its output is at most `max_compression_ratio` × the backup's size, every file counted as 4 KiB at least (300,000 tiny inline bodies no longer become 300,000 files; `extract_output_is_bounded_by_the_ratio_limit` in the CLI tests).",
        ],
        "tables": [{
            "columns": ["attack", "file size", "what stops it", "code", "time"],
            "rows": rows,
        }],
    });
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../reliability/hostile-inputs.json");
    std::fs::write(
        &path,
        format!("{}\n", serde_json::to_string_pretty(&doc).expect("json")),
    )
    .expect("write");
}
