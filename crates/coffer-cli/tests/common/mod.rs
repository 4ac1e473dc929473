//! Test backups and key files, built with the engine API.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use coffer_engine::envelope::{seal_value, RecordContext};
use coffer_engine::keyfile::write_key_file;
use coffer_engine::locked::{lock_writer, Lock};
use coffer_engine::model::{Binary, DatabaseSchema, JsString, StoreSchema};
use coffer_engine::primitives::kdf::KdfParams;
use coffer_engine::{BackupWriter, Key, MasterKey, MemorySpool, Value, WriteOptions};
use time::macros::datetime;
use time::OffsetDateTime;

/// Creation time of every test backup.
pub const CREATED: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

/// The master key of the sealed test backups.
pub fn master_key() -> MasterKey {
    MasterKey::from_bytes([0x11; 32])
}

/// Some other key.
pub fn other_key() -> MasterKey {
    MasterKey::from_bytes([0x22; 32])
}

/// The large body: over the 64 KiB inline threshold, so it becomes a blob entry.
pub fn big_body() -> Vec<u8> {
    (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect()
}

/// The plain records of store `app/notes`, in key order.
pub fn notes() -> Vec<(Key, Value)> {
    vec![
        (
            Key::from("a"),
            Value::object([
                ("title", Value::string("hello")),
                ("n", Value::Number(1.5)),
                (
                    "tags",
                    Value::array(vec![Value::string("x"), Value::string("y")]),
                ),
                ("when", Value::Date(0.0)),
            ]),
        ),
        (
            Key::from("b"),
            Value::ArrayBuffer(Binary::Inline(vec![1, 2, 3, 4, 5])),
        ),
        (
            Key::from("c"),
            Value::Blob {
                mime: JsString::from("application/octet-stream"),
                data: Binary::Inline(big_body()),
            },
        ),
    ]
}

/// The records of the encrypted store `app/secrets`, before sealing.
pub fn secrets() -> Vec<(Key, Value)> {
    vec![
        (Key::from("api"), Value::string("tok_123")),
        (
            Key::from("codes"),
            Value::array(vec![Value::Number(1.0), Value::Number(2.0)]),
        ),
    ]
}

fn schemas(encrypted: bool) -> Vec<DatabaseSchema> {
    let mut stores = vec![StoreSchema::new("notes")];
    if encrypted {
        let mut s = StoreSchema::new("secrets");
        s.encrypted = true;
        stores.push(s);
    }
    vec![
        DatabaseSchema {
            name: "app".into(),
            version: 3,
            stores,
        },
        // Hostile names: extraction must keep them inside the output.
        DatabaseSchema {
            name: "../evil".into(),
            version: 1,
            stores: vec![StoreSchema::new("a/b")],
        },
    ]
}

/// Builds a backup: `app/notes` (plain), `app/secrets` (sealed, when
/// `encrypted`), and `../evil/a/b` with one record.
pub fn backup(encrypted: bool) -> Vec<u8> {
    let mut opts = WriteOptions::new(CREATED);
    if encrypted {
        opts = opts.with_master_key(master_key());
    }
    let mut w = BackupWriter::new(opts, MemorySpool::default());
    let mut dbs = schemas(encrypted).into_iter();
    let app = w.add_database(dbs.next().expect("app")).expect("add app");
    for (k, v) in notes() {
        w.add_record(app, 0, &k, v).expect("add note");
    }
    if encrypted {
        for (k, v) in secrets() {
            let ctx = RecordContext {
                database: "app",
                store: "secrets",
                key: &k,
            };
            let env = seal_value(&master_key(), &ctx, &v).expect("seal");
            w.add_sealed_record(app, 1, &k, &env).expect("add sealed");
        }
    }
    let evil = w.add_database(dbs.next().expect("evil")).expect("add evil");
    w.add_record(evil, 0, &Key::Number(1.0), Value::Null)
        .expect("add evil record");
    w.finish(Vec::new()).expect("finish").0
}

/// `bytes` locked with a passphrase (cheap KDF parameters).
pub fn lock(bytes: &[u8], passphrase: &[u8]) -> Vec<u8> {
    let lock = Lock {
        passphrase: Some((
            zeroize::Zeroizing::new(passphrase.to_vec()),
            KdfParams::INSECURE_FAST,
        )),
        master_key: None,
    };
    let mut w = lock_writer(Vec::new(), &lock).expect("lock");
    std::io::Write::write_all(&mut w, bytes).expect("write");
    w.finish().expect("finish")
}

/// `bytes` locked with the master key only.
pub fn lock_with_key(bytes: &[u8]) -> Vec<u8> {
    let lock = Lock {
        passphrase: None,
        master_key: Some(master_key()),
    };
    let mut w = lock_writer(Vec::new(), &lock).expect("lock");
    std::io::Write::write_all(&mut w, bytes).expect("write");
    w.finish().expect("finish")
}

/// A key file for `key`, passphrase-protected (cheap KDF) when `pass` is given.
pub fn key_file(key: &MasterKey, pass: Option<&[u8]>) -> String {
    write_key_file(key, CREATED, pass.map(|p| (p, KdfParams::INSECURE_FAST))).expect("key file")
}

/// A scratch directory with the usual test files in it.
pub struct Files {
    /// The directory (removed on drop).
    pub dir: tempfile::TempDir,
}

impl Files {
    /// Writes the standard set: plain.zip, sealed.zip, locked.zip,
    /// locked-key.zip, master.key, other.key, wrapped.key, pass.txt,
    /// wrong-pass.txt, notzip.txt, empty.zip.
    pub fn new() -> Files {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = Files { dir };
        f.write("plain.zip", &backup(false));
        let sealed = backup(true);
        f.write("sealed.zip", &sealed);
        f.write("locked.zip", &lock(&backup(false), b"correct horse"));
        f.write("locked-key.zip", &lock_with_key(&sealed));
        f.write("master.key", key_file(&master_key(), None).as_bytes());
        f.write("other.key", key_file(&other_key(), None).as_bytes());
        f.write(
            "wrapped.key",
            key_file(&master_key(), Some(b"key pass")).as_bytes(),
        );
        f.write("pass.txt", b"correct horse\n");
        f.write("pass-crlf.txt", b"correct horse\r\nignored second line\n");
        f.write("key-pass.txt", b"key pass\n");
        f.write("wrong-pass.txt", b"battery staple\n");
        f.write("notzip.txt", b"this is not a backup\n");
        f.write("empty.zip", b"");
        f
    }

    /// The path of `name` in the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `name`.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).expect("write test file");
        p
    }

    /// Copies `name` to `copy`, flipping one bit at `offset` (from the end
    /// when negative).
    pub fn tampered(&self, name: &str, copy: &str, offset: isize) -> PathBuf {
        let mut bytes = std::fs::read(self.path(name)).expect("read");
        let i = if offset < 0 {
            bytes.len() - offset.unsigned_abs()
        } else {
            offset as usize
        };
        bytes[i] ^= 0x01;
        self.write(copy, &bytes)
    }
}

/// The repository root (for the committed fixtures).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Flips a bit in the first data byte of ZIP entry `name` (found through
/// its local header). For a stored entry that changes its contents; for a
/// deflated one it changes the block type, so the data no longer inflates
/// to the same bytes. (A bit flipped at an arbitrary offset of deflated
/// data can leave the inflated contents unchanged, which no reader can or
/// should detect.)
pub fn tamper_entry(bytes: &mut [u8], name: &str) {
    let n = name.as_bytes();
    let pos = bytes
        .windows(n.len())
        .enumerate()
        .find(|(i, w)| *w == n && *i >= 30 && bytes[i - 30..i - 26] == *b"PK\x03\x04")
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("no local header for {name}"));
    let header = pos - 30;
    let extra = u16::from_le_bytes([bytes[header + 28], bytes[header + 29]]) as usize;
    let data = pos + n.len() + extra;
    bytes[data] ^= 0x02;
}

impl Files {
    /// Copies `name` to `copy` with entry `entry` tampered ([`tamper_entry`]).
    pub fn tampered_entry(&self, name: &str, copy: &str, entry: &str) -> PathBuf {
        let mut bytes = std::fs::read(self.path(name)).expect("read");
        tamper_entry(&mut bytes, entry);
        self.write(copy, &bytes)
    }
}
