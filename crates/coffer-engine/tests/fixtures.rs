//! The committed fixtures in `tests/fixtures/` (made by
//! `cargo run -p coffer-engine --example make_fixtures`) stay readable, and
//! tampered copies of them are rejected.

use std::fs;
use std::io::Cursor;
use std::path::PathBuf;

use coffer_engine::envelope::{open_value, RecordContext};
use coffer_engine::keyfile::read_key_file;
use coffer_engine::locked::{open_backup, Unlock};
use coffer_engine::model::{Binary, Value};
use coffer_engine::{BackupReader, Limits, RecordValue};

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name);
    fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn passphrase() -> Vec<u8> {
    let text = String::from_utf8(fixture("locked.passphrase")).expect("utf8");
    text.trim_end_matches('\n').as_bytes().to_vec()
}

#[test]
fn plain_fixture_holds_every_value_type() {
    let mut r =
        BackupReader::open(Cursor::new(fixture("plain.zip")), Limits::default()).expect("open");
    let report = r.verify(None, &mut |_| Ok(())).expect("verify");
    assert_eq!(
        (report.databases, report.stores, report.records),
        (2, 4, 38)
    );
    assert!(!report.mac_verified, "plain backups carry no MAC");
    let m = r.manifest().clone();
    let notes = &m.databases()[0].stores[1].schema;
    assert_eq!(notes.key_generator, Some(12));
    assert_eq!(notes.indexes.len(), 3);
    let mut tags = Vec::new();
    r.for_each_record(0, 2, &mut |rec| {
        let RecordValue::Plain(v) = rec.value else {
            panic!("plain")
        };
        tags.push(format!("{:?}", std::mem::discriminant(&v)));
        Ok(())
    })
    .expect("types");
    assert_eq!(tags.len(), 27);
    // Large attachment bodies live in blob entries and resolve byte-exact.
    let mut bodies = Vec::new();
    r.for_each_record(0, 0, &mut |rec| {
        if let RecordValue::Plain(v) = rec.value {
            bodies.push(v);
        }
        Ok(())
    })
    .expect("attachments");
    let mut resolved = 0;
    for mut v in bodies {
        let mut external = 0;
        v.for_each_binary(&mut |b| external += usize::from(matches!(b, Binary::External(_))));
        assert_eq!(external, 1);
        r.resolve_blobs(0, 0, &mut v).expect("resolve");
        v.for_each_binary(&mut |b| {
            assert!(b.as_inline().is_some_and(|x| x.len() >= 70_000));
            resolved += 1;
        });
    }
    assert_eq!(resolved, 3);
}

#[test]
fn sealed_fixture_opens_with_its_key_file() {
    let key = read_key_file(
        std::str::from_utf8(&fixture("sealed.key")).expect("utf8"),
        None,
        &Limits::default(),
    )
    .expect("key file");
    let mut r =
        BackupReader::open(Cursor::new(fixture("sealed.zip")), Limits::default()).expect("open");
    assert_eq!(r.key_id(), Some(key.id()));
    let report = r.verify(Some(&key), &mut |_| Ok(())).expect("verify");
    assert!(report.mac_verified && report.sealed_opened);
    assert_eq!(report.sealed_records, 6);
    let mut secrets = Vec::new();
    r.for_each_record(0, 1, &mut |rec| {
        let RecordValue::Sealed(env) = &rec.value else {
            panic!("sealed")
        };
        let ctx = RecordContext {
            database: "vault",
            store: "secrets",
            key: &rec.key,
        };
        secrets.push(open_value(&key, &ctx, env, 64)?);
        Ok(())
    })
    .expect("secrets");
    assert!(secrets
        .iter()
        .any(|v| v.same(&Value::string("tok_live_0123456789"))));
}

#[test]
fn locked_fixture_opens_with_its_passphrase() {
    let pass = passphrase();
    let mut r = open_backup(
        Cursor::new(fixture("locked.zip")),
        Unlock {
            passphrase: Some(&pass),
            master_key: None,
        },
        Limits::default(),
    )
    .expect("unlock");
    assert_eq!(r.verify(None, &mut |_| Ok(())).expect("verify").records, 38);
    let wrong = open_backup(
        Cursor::new(fixture("locked.zip")),
        Unlock {
            passphrase: Some(b"not it"),
            master_key: None,
        },
        Limits::default(),
    );
    assert_eq!(
        wrong.expect_err("wrong passphrase").code(),
        "wrong-passphrase"
    );
}

/// Everything a reader gets out of a backup: manifest, records, blob bodies.
fn dump(bytes: &[u8], pass: &[u8]) -> coffer_engine::Result<String> {
    let unlock = Unlock {
        passphrase: Some(pass),
        master_key: None,
    };
    let mut r = open_backup(Cursor::new(bytes), unlock, Limits::default())?;
    r.verify(None, &mut |_| Ok(()))?;
    let m = r.manifest().clone();
    let mut out = format!("{:?}\n", m.json());
    for (d, db) in m.databases().iter().enumerate() {
        for s in 0..db.stores.len() {
            let mut records = Vec::new();
            r.for_each_record(d, s, &mut |rec| {
                records.push(rec);
                Ok(())
            })?;
            for mut rec in records {
                if let RecordValue::Plain(v) = &mut rec.value {
                    r.resolve_blobs(d, s, v)?;
                }
                out.push_str(&format!("{rec:?}\n"));
            }
        }
    }
    Ok(out)
}

/// Flipping any byte of a fixture either makes it fail verification or
/// leaves everything a reader gets out of it unchanged (a few bits of ZIP
/// metadata, such as timestamps, and some deflate codes, such as a
/// back-reference distance into a run of zeros, carry no content).
#[test]
fn tampered_fixture_copies_are_rejected() {
    let pass = passphrase();
    for name in ["plain.zip", "sealed.zip", "locked.zip"] {
        let good = fixture(name);
        let original = dump(&good, &pass).expect("fixture dumps");
        let mut rejected = 0;
        // Unlocking runs Argon2id at full cost (~0.2 s), so sample locked.zip
        // more sparsely.
        let step = if name == "locked.zip" { 199 } else { 5 };
        for pos in (0..good.len()).step_by(step) {
            let mut bad = good.clone();
            bad[pos] ^= 0x20;
            match dump(&bad, &pass) {
                Err(_) => rejected += 1,
                Ok(d) => assert_eq!(
                    d, original,
                    "{name}: flipping byte {pos} changed the content unnoticed"
                ),
            }
        }
        assert!(
            rejected > good.len() / step / 3,
            "{name}: only {rejected} flips rejected"
        );
    }
}
