//! The parts beyond IndexedDB (FORMAT.md §3.5): localStorage, the origin
//! private file system and Cache Storage, written and read back exactly,
//! streamed, and every malformed manifest or entry refused with its code.

mod common;

use std::io::{Cursor, Read};

use coffer_engine::format::parts::{SkipReason, SkippedResponse};
use coffer_engine::model::{DatabaseSchema, JsString, Key, StoreSchema, Value};
use coffer_engine::{
    BackupReader, BackupWriter, CacheEntryMeta, FileSpool, Limits, MemorySpool, WriteOptions,
};
use common::{build, edit_manifest, entries, master_key};
use time::macros::datetime;

fn options() -> WriteOptions {
    WriteOptions::new(datetime!(2026-11-26 12:00 UTC)).with_master_key(master_key())
}

fn js(s: &str) -> JsString {
    JsString::from(s)
}

/// Pseudo-random bytes without holding them: a `Read` of `len` bytes.
struct Gen {
    left: u64,
    state: u32,
}

impl Read for Gen {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        for b in &mut buf[..n] {
            self.state = self.state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            *b = (self.state >> 16) as u8;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn gen(len: u64, seed: u32) -> Gen {
    Gen {
        left: len,
        state: seed,
    }
}

fn gen_bytes(len: u64, seed: u32) -> Vec<u8> {
    let mut v = Vec::new();
    gen(len, seed).read_to_end(&mut v).unwrap();
    v
}

fn meta(url: &str, status: u16) -> CacheEntryMeta {
    CacheEntryMeta {
        url: url.into(),
        method: "GET".into(),
        request_headers: vec![("accept".into(), "text/html".into())],
        status,
        status_text: if status == 200 {
            "OK".into()
        } else {
            String::new()
        },
        response_headers: vec![
            ("content-type".into(), "text/plain; charset=\u{e9}".into()),
            ("vary".into(), "accept".into()),
        ],
    }
}

/// A backup with a database, localStorage, an OPFS tree and two caches.
fn parts_backup() -> Vec<u8> {
    let mut w = BackupWriter::new(options(), MemorySpool::default());
    let db = w
        .add_database(DatabaseSchema {
            name: "app".into(),
            version: 1,
            stores: vec![StoreSchema::new("s")],
        })
        .unwrap();
    w.add_record(db, 0, &Key::from("k"), Value::string("v"))
        .unwrap();
    w.set_local_storage(vec![
        (js("theme"), js("dark")),
        (
            JsString::from_utf16(vec![0x6b, 0xd800]),
            JsString::from_utf16(vec![0xdfff]),
        ),
        (js(""), js("empty key")),
    ])
    .unwrap();
    w.add_opfs_directory("empty/dir").unwrap();
    w.add_opfs_file("db/main.sqlite3", &mut gen(200_000, 1))
        .unwrap();
    w.add_opfs_file("a.txt", &mut &b"hello"[..]).unwrap();
    w.add_opfs_file("zero", &mut &b""[..]).unwrap();
    let c = w.add_cache("v1").unwrap();
    w.add_cache_entry(
        c,
        meta("https://example.com/a.js", 200),
        &mut &b"console.log(1)"[..],
    )
    .unwrap();
    w.add_cache_entry(c, meta("https://example.com/gone", 204), &mut &b""[..])
        .unwrap();
    w.skip_cache_entry(
        c,
        SkippedResponse {
            url: "https://cdn.example.net/pic.png".into(),
            method: "GET".into(),
            reason: SkipReason::Opaque,
        },
    )
    .unwrap();
    w.add_cache("empty").unwrap();
    w.finish(Vec::new()).unwrap().0
}

fn open(zip: &[u8]) -> coffer_engine::Result<BackupReader<Cursor<Vec<u8>>>> {
    BackupReader::open(Cursor::new(zip.to_vec()), Limits::default())
}

fn code(zip: &[u8]) -> &'static str {
    match open(zip).and_then(|mut r| r.verify(Some(&master_key()), &mut |_| Ok(()))) {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

#[test]
fn every_part_round_trips_exactly() {
    let zip = parts_backup();
    let mut r = open(&zip).unwrap();
    assert_eq!(r.manifest().json().format_version, 2);
    let report = r.verify(Some(&master_key()), &mut |_| Ok(())).unwrap();
    assert!(report.authentication.is_verified());
    assert_eq!(report.parts.local_storage_items, Some(3));
    assert_eq!(report.parts.opfs_files, Some(3));
    assert_eq!(report.parts.opfs_directories, 3);
    assert_eq!(report.parts.cache_entries, Some(2));
    assert_eq!(report.parts.caches, 2);
    assert_eq!(report.parts.skipped_responses, 1);

    let items = r.local_storage().unwrap().unwrap();
    assert_eq!(
        items,
        vec![
            (js(""), js("empty key")),
            (
                JsString::from_utf16(vec![0x6b, 0xd800]),
                JsString::from_utf16(vec![0xdfff])
            ),
            (js("theme"), js("dark")),
        ]
    );
    let o = r.manifest().opfs().unwrap().clone();
    assert_eq!(o.directories, ["db", "empty", "empty/dir"]);
    let paths: Vec<&str> = o.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["a.txt", "db/main.sqlite3", "zero"]);
    let mut out = Vec::new();
    r.copy_opfs_file(1, &mut out).unwrap();
    assert_eq!(out, gen_bytes(200_000, 1));
    let caches = r.manifest().caches().to_vec();
    assert_eq!(caches.len(), 2);
    assert_eq!(
        caches[0].entries[0].response_headers[0].1,
        "text/plain; charset=\u{e9}"
    );
    assert_eq!(caches[0].skipped[0].reason, SkipReason::Opaque);
    let mut body = Vec::new();
    r.copy_cache_body(0, 0, &mut body).unwrap();
    assert_eq!(body, b"console.log(1)");
    // The entries follow the databases' in the archive.
    let names: Vec<String> = entries(&zip).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "manifest.json",
            "manifest.mac",
            "databases/0/stores/0/records/000000.bin",
            "local-storage.bin",
            "opfs/000000.bin",
            "opfs/000001.bin",
            "opfs/000002.bin",
            "caches/0/000000.bin",
            "caches/0/000001.bin",
        ]
    );
}

#[test]
fn backups_of_indexeddb_alone_stay_version_1() {
    let mut w = BackupWriter::new(options(), MemorySpool::default());
    w.add_database(DatabaseSchema {
        name: "app".into(),
        version: 1,
        stores: vec![StoreSchema::new("s")],
    })
    .unwrap();
    let zip = w.finish(Vec::new()).unwrap().0;
    let r = open(&zip).unwrap();
    assert_eq!(r.manifest().json().format_version, 1);
    let text = String::from_utf8(r.manifest_bytes().to_vec()).unwrap();
    for member in ["local_storage", "opfs", "caches"] {
        assert!(!text.contains(member), "{member}");
    }
    // An empty tree and no caches are still parts: a restore empties them.
    let mut w = BackupWriter::new(options(), MemorySpool::default());
    w.include_opfs();
    w.include_caches();
    let zip = w.finish(Vec::new()).unwrap().0;
    let mut r = open(&zip).unwrap();
    assert_eq!(r.manifest().json().format_version, 2);
    let rep = r.verify(None, &mut |_| Ok(())).unwrap();
    assert_eq!(
        (rep.parts.opfs_files, rep.parts.cache_entries),
        (Some(0), Some(0))
    );
    assert_eq!(rep.parts.local_storage_items, None);
}

#[test]
fn a_large_file_streams_through_a_file_spool() {
    // 48 MiB through the spool in 1 MiB chunks; the writer never holds
    // the file (tests/alloc.rs-style bounds are the spool's business).
    let dir = std::env::temp_dir().join(format!("coffer-parts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spool = FileSpool::new_in(&dir).unwrap();
    let mut w = BackupWriter::new(options(), spool);
    let len = 48 << 20;
    assert_eq!(w.add_opfs_file("big.bin", &mut gen(len, 7)).unwrap(), len);
    let zip = w.finish(Vec::new()).unwrap().0;
    let mut r = open(&zip).unwrap();
    let f = &r.manifest().opfs().unwrap().files[0];
    assert_eq!(f.size, len);
    let mut h = blake3::Hasher::new();
    std::io::copy(&mut gen(len, 7), &mut h).unwrap();
    assert_eq!(f.blake3, h.finalize().to_hex().as_str());
    r.verify(Some(&master_key()), &mut |_| Ok(())).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failing_read_adds_no_file() {
    struct Fails(u32);
    impl Read for Fails {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("NotReadableError: the file changed"));
            }
            self.0 -= 1;
            buf[0] = 1;
            Ok(1)
        }
    }
    let mut w = BackupWriter::new(options(), MemorySpool::default());
    assert_eq!(
        w.add_opfs_file("torn", &mut Fails(3)).unwrap_err().code(),
        "io"
    );
    w.add_opfs_file("ok", &mut &b"1"[..]).unwrap();
    let zip = w.finish(Vec::new()).unwrap().0;
    let r = open(&zip).unwrap();
    let paths: Vec<_> = r
        .manifest()
        .opfs()
        .unwrap()
        .files
        .iter()
        .map(|f| f.path.clone())
        .collect();
    assert_eq!(paths, ["ok"]);
}

#[test]
fn the_writer_refuses_what_readers_would_reject() {
    let mut w = BackupWriter::new(options(), MemorySpool::default());
    for bad in ["", "/a", "a/../b", "a\\b", ".coffer-staging/x", "a//b"] {
        assert_eq!(
            w.add_opfs_file(bad, &mut &b""[..]).unwrap_err().code(),
            "unencodable",
            "{bad:?}"
        );
    }
    assert_eq!(
        w.set_local_storage(vec![(js("a"), js("1")), (js("a"), js("2"))])
            .unwrap_err()
            .code(),
        "misuse"
    );
    let c = w.add_cache("c").unwrap();
    assert!(w.add_cache("c").is_err());
    for m in [
        meta("file:///etc/passwd", 200),
        meta("https://example.com/a b", 200),
        meta("https://example.com/", 199),
        CacheEntryMeta {
            method: "G T".into(),
            ..meta("https://example.com/", 200)
        },
        CacheEntryMeta {
            response_headers: vec![("Content-Type".into(), "x".into())],
            ..meta("https://example.com/", 200)
        },
        CacheEntryMeta {
            response_headers: vec![("x".into(), "1".into()), ("x".into(), "2".into())],
            ..meta("https://example.com/", 200)
        },
    ] {
        assert_eq!(
            w.add_cache_entry(c, m.clone(), &mut &b""[..])
                .unwrap_err()
                .code(),
            "unencodable",
            "{m:?}"
        );
    }
    assert_eq!(
        w.add_cache_entry(c, meta("https://example.com/", 304), &mut &b"x"[..])
            .unwrap_err()
            .code(),
        "unencodable"
    );
    // What it refused left nothing behind.
    let zip = w.finish(Vec::new()).unwrap().0;
    assert_eq!(code(&zip), "ok");
}

/// `parts_backup()` with its manifest edited by `f` (the MAC recomputed).
fn edited(f: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut e = entries(&parts_backup());
    edit_manifest(&mut e, f);
    remac(&mut e);
    build(&e)
}

fn remac(e: &mut [(String, Vec<u8>)]) {
    let manifest = e[0].1.clone();
    let k = blake3::derive_key("coffer 2026-11 manifest mac key v1", &[0x11; 32]);
    e[1].1 = blake3::keyed_hash(&k, &manifest)
        .to_hex()
        .as_bytes()
        .to_vec();
}

fn rehash_part(e: &mut [(String, Vec<u8>)], name: &str) {
    let bytes = e.iter().find(|(n, _)| n == name).unwrap().1.clone();
    let (size, hash) = (bytes.len(), blake3::hash(&bytes).to_hex().to_string());
    edit_manifest(e, |m| {
        let fix = |x: &mut serde_json::Value| {
            if x["entry"] == name {
                x["size"] = size.into();
                x["blake3"] = hash.clone().into();
            }
        };
        fix(&mut m["local_storage"]);
        m["opfs"]["files"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .for_each(fix);
        for c in m["caches"].as_array_mut().unwrap() {
            c["entries"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .for_each(fix);
        }
    });
    remac(e);
}

/// A change to a manifest.
type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;

#[test]
fn malformed_part_manifests_are_refused_with_their_codes() {
    use serde_json::json;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "version 1 with parts",
            Box::new(|m| m["format_version"] = 1.into()),
            "invalid-manifest",
        ),
        (
            "version 3",
            Box::new(|m| m["format_version"] = 3.into()),
            "unsupported-version",
        ),
        (
            "unknown member",
            Box::new(|m| m["opfs"]["links"] = json!([])),
            "invalid-manifest",
        ),
        (
            "dotdot",
            Box::new(|m| m["opfs"]["files"][0]["path"] = "../a.txt".into()),
            "invalid-manifest",
        ),
        (
            "absolute",
            Box::new(|m| m["opfs"]["files"][0]["path"] = "/a.txt".into()),
            "invalid-manifest",
        ),
        (
            "backslash",
            Box::new(|m| m["opfs"]["files"][0]["path"] = "a\\txt".into()),
            "invalid-manifest",
        ),
        (
            "NUL",
            Box::new(|m| m["opfs"]["files"][0]["path"] = "a\u{0}".into()),
            "invalid-manifest",
        ),
        (
            "staging",
            Box::new(|m| m["opfs"]["directories"][0] = ".coffer-staging".into()),
            "invalid-manifest",
        ),
        (
            "order",
            Box::new(|m| m["opfs"]["files"][0]["path"] = "zz".into()),
            "invalid-manifest",
        ),
        (
            "parent missing",
            Box::new(|m| m["opfs"]["directories"] = json!(["empty", "empty/dir"])),
            "invalid-manifest",
        ),
        (
            "file and dir",
            Box::new(|m| m["opfs"]["directories"] = json!(["a.txt", "db", "empty", "empty/dir"])),
            "invalid-manifest",
        ),
        (
            "wrong entry name",
            Box::new(|m| m["opfs"]["files"][0]["entry"] = "opfs/000001.bin".into()),
            "invalid-manifest",
        ),
        (
            "upper-case hash",
            Box::new(|m| {
                let h = m["local_storage"]["blake3"]
                    .as_str()
                    .unwrap()
                    .to_uppercase();
                m["local_storage"]["blake3"] = h.into();
            }),
            "invalid-manifest",
        ),
        (
            "cache twice",
            Box::new(|m| m["caches"][1]["name"] = "v1".into()),
            "invalid-manifest",
        ),
        (
            "bad url",
            Box::new(|m| m["caches"][0]["entries"][0]["url"] = "javascript:1".into()),
            "invalid-manifest",
        ),
        (
            "status",
            Box::new(|m| m["caches"][0]["entries"][0]["status"] = 101.into()),
            "invalid-manifest",
        ),
        (
            "header case",
            Box::new(|m| {
                m["caches"][0]["entries"][0]["response_headers"][0][0] = "Content-Type".into()
            }),
            "invalid-manifest",
        ),
        (
            "header value",
            Box::new(|m| m["caches"][0]["entries"][0]["request_headers"][0][1] = "a\u{100}".into()),
            "invalid-manifest",
        ),
        (
            "skip reason",
            Box::new(|m| m["caches"][0]["skipped"][0]["reason"] = "cors".into()),
            "invalid-manifest",
        ),
        (
            "no-body status with a body",
            Box::new(|m| m["caches"][0]["entries"][0]["status"] = 304.into()),
            "invalid-manifest",
        ),
        (
            "local storage over max_part_size",
            Box::new(|m| m["local_storage"]["size"] = (1u64 << 31).into()),
            "limit-exceeded",
        ),
        (
            "size differs",
            Box::new(|m| m["opfs"]["files"][0]["size"] = 6.into()),
            "size-mismatch",
        ),
        (
            "item count",
            Box::new(|m| m["local_storage"]["items"] = 2.into()),
            "record-count-mismatch",
        ),
    ];
    for (what, f, want) in cases {
        assert_eq!(code(&edited(f)), want, "{what}");
    }
}

#[test]
fn damaged_and_stray_part_entries_are_refused() {
    let base = entries(&parts_backup());
    // A file's bytes altered: hash-mismatch.
    let mut e = base.clone();
    e.iter_mut()
        .find(|(n, _)| n == "opfs/000000.bin")
        .unwrap()
        .1 = b"jello".to_vec();
    assert_eq!(code(&build(&e)), "hash-mismatch");
    // Items out of order (hash and MAC recomputed): corrupt-record.
    let mut e = base.clone();
    let ls = &mut e
        .iter_mut()
        .find(|(n, _)| n == "local-storage.bin")
        .unwrap()
        .1;
    let mut swapped = coffer_engine::codec::items::encode_items(&[(js("b"), js("1"))]);
    swapped.extend(coffer_engine::codec::items::encode_items(&[
        (js("a"), js("1")),
        (js("c"), js("1")),
    ]));
    *ls = swapped;
    rehash_part(&mut e, "local-storage.bin");
    assert_eq!(code(&build(&e)), "corrupt-record");
    // A listed entry missing, an unlisted one added, a name that is not
    // canonical, one twice.
    let mut e = base.clone();
    e.retain(|(n, _)| n != "caches/0/000001.bin");
    assert_eq!(code(&build(&e)), "missing-entry");
    let mut e = base.clone();
    e.push(("opfs/000003.bin".into(), b"x".to_vec()));
    assert_eq!(code(&build(&e)), "unexpected-entry");
    for name in ["opfs/3.bin", "opfs/../x", "caches/00/000000.bin"] {
        let mut e = base.clone();
        e.push((name.into(), b"x".to_vec()));
        assert_eq!(code(&build(&e)), "unsafe-entry-name", "{name}");
    }
    // The same name twice (renamed in place: the ZIP writer refuses it).
    let mut e = base.clone();
    e.push(("opfs/000009.bin".into(), b"hello".to_vec()));
    let mut zip = build(&e);
    let (from, to) = (b"opfs/000009.bin", b"opfs/000000.bin");
    for i in 0..zip.len() - from.len() {
        if &zip[i..i + from.len()] == from {
            zip[i..i + from.len()].copy_from_slice(to);
        }
    }
    assert_eq!(code(&zip), "duplicate-entry");
}
