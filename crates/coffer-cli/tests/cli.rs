//! End-to-end tests of the `coffer` binary on backups built with the
//! engine API.

mod common;

use std::path::Path;
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use coffer_engine::envelope::{open_value, RecordContext};
use common::*;
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::{json, Value as Json};

fn coffer() -> Command {
    let mut c = Command::cargo_bin("coffer").expect("coffer binary");
    c.env_remove("RUST_BACKTRACE");
    c
}

fn read_jsonl(path: &Path) -> Vec<Json> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

// ---------------------------------------------------------------- inspect

#[test]
fn inspect_plain_text() {
    let f = Files::new();
    coffer()
        .arg("inspect")
        .arg(f.path("plain.zip"))
        .assert()
        .success()
        .stdout(contains("format version:  1"))
        .stdout(contains("created:         2026-11-26T12:00:00Z"))
        .stdout(contains("key id:          none"))
        .stdout(contains("2 databases, 2 stores (0 encrypted), 4 records"))
        .stdout(contains("database 0: \"app\" (version 3)"))
        .stdout(contains("store 0: \"notes\": 3 records"))
        .stdout(contains("1 blob"))
        .stdout(contains("database 1: \"../evil\""));
}

#[test]
fn inspect_sealed_json() {
    let f = Files::new();
    let out = coffer()
        .args(["inspect", "--json"])
        .arg(f.path("sealed.zip"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j: Json = serde_json::from_slice(&out).expect("JSON");
    assert_eq!(j["format_version"], 1);
    assert_eq!(j["key_id"], master_key().id().to_hex());
    assert_eq!(j["locked"], false);
    assert_eq!(j["records"], 6);
    assert_eq!(j["encrypted_stores"], 1);
    assert_eq!(j["mac_verified"], Json::Bool(false));
    assert_eq!(j["authentication"], "key-not-given");
    assert_eq!(j["created"], "2026-11-26T12:00:00Z");
    let stores = &j["databases"][0]["stores"];
    assert_eq!(stores[0]["name"], "notes");
    assert_eq!(stores[0]["records"], 3);
    assert_eq!(stores[0]["blobs"], 1);
    assert_eq!(stores[1]["name"], "secrets");
    assert_eq!(stores[1]["encrypted"], true);
    assert_eq!(stores[1]["records"], 2);
}

#[test]
fn inspect_with_key_checks_the_mac() {
    let f = Files::new();
    coffer()
        .args(["inspect", "--key"])
        .arg(f.path("master.key"))
        .arg(f.path("sealed.zip"))
        .assert()
        .success()
        .stdout(contains("authenticated: manifest MAC verified with key id"));
}

#[test]
fn inspect_locked_without_passphrase_says_how_to_unlock() {
    let f = Files::new();
    coffer()
        .arg("inspect")
        .arg(f.path("locked.zip"))
        .assert()
        .success()
        .stdout(contains("locked:          yes"))
        .stdout(contains("passphrase (--passphrase-file)"));
    let id = master_key().id().to_hex();
    let out = coffer()
        .args(["inspect", "--json"])
        .arg(f.path("locked-key.zip"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j: Json = serde_json::from_slice(&out).expect("JSON");
    assert_eq!(j["locked"], true);
    assert_eq!(j["unlock"], json!({"passphrase": false, "key_id": id}));
}

#[test]
fn inspect_locked_with_passphrase_shows_contents() {
    let f = Files::new();
    coffer()
        .arg("inspect")
        .arg(f.path("locked.zip"))
        .arg("--passphrase-file")
        .arg(f.path("pass.txt"))
        .assert()
        .success()
        .stdout(contains("locked:          yes (unlock with: passphrase"))
        .stdout(contains("store 0: \"notes\": 3 records"));
}

// ---------------------------------------------------------------- verify

#[test]
fn verify_plain() {
    let f = Files::new();
    coffer()
        .arg("verify")
        .arg(f.path("plain.zip"))
        .assert()
        .code(0)
        .stdout(contains("plain.zip: OK"))
        .stdout(contains("2 databases, 2 stores, 4 records"));
}

#[test]
fn verify_sealed_with_key_checks_mac_and_opens_everything() {
    let f = Files::new();
    coffer()
        .arg("verify")
        .arg(f.path("sealed.zip"))
        .arg("--key")
        .arg(f.path("master.key"))
        .assert()
        .code(0)
        .stdout(contains("authenticated: manifest MAC verified with key id"))
        .stdout(contains("sealed records: all 2 opened"));
}

#[test]
fn verify_sealed_without_key_says_what_was_not_checked() {
    let f = Files::new();
    let id = master_key().id().to_hex();
    coffer()
        .arg("verify")
        .arg(f.path("sealed.zip"))
        .assert()
        .code(0)
        .stdout(contains(
            "UNAUTHENTICATED: the manifest MAC was not checked (no key given",
        ))
        .stdout(contains("sealed records: 2 not opened"))
        .stderr(contains(format!(
            "pass --key with the key file of key id {id}"
        )));
    // --quiet silences the note.
    coffer()
        .args(["--quiet", "verify"])
        .arg(f.path("sealed.zip"))
        .assert()
        .code(0)
        .stderr("");
}

#[test]
fn verify_wrong_key_names_the_needed_key() {
    let f = Files::new();
    let id = master_key().id().to_hex();
    coffer()
        .arg("verify")
        .arg(f.path("sealed.zip"))
        .arg("--key")
        .arg(f.path("other.key"))
        .assert()
        .code(2)
        .stderr(contains("wrong master key"))
        .stderr(contains(format!(
            "hint: this backup needs key id {id}; pass --key with that key file"
        )));
}

#[test]
fn verify_rejects_tampered_backups() {
    let f = Files::new();
    for (i, entry) in [
        "manifest.json",
        "databases/0/stores/0/records/000000.bin",
        "databases/0/stores/0/blobs/000000.bin",
        "databases/0/stores/1/records/000000.bin",
    ]
    .into_iter()
    .enumerate()
    {
        let copy = f.tampered_entry("sealed.zip", &format!("t{i}.zip"), entry);
        coffer()
            .arg("verify")
            .arg(&copy)
            .arg("--key")
            .arg(f.path("master.key"))
            .assert()
            .code(1)
            .stderr(contains("error: "))
            .stderr(contains("hint: "))
            .stdout("");
    }
    // The end of the archive (central directory) matters too.
    let copy = f.tampered("plain.zip", "tp.zip", -30);
    coffer()
        .arg("verify")
        .arg(&copy)
        .assert()
        .code(1)
        .stderr(contains("hint:"));
}

#[test]
fn verify_wrapped_key_needs_its_passphrase() {
    let f = Files::new();
    coffer()
        .arg("verify")
        .arg(f.path("sealed.zip"))
        .arg("--key")
        .arg(f.path("wrapped.key"))
        .assert()
        .code(2)
        .stderr(contains("protected by a passphrase"))
        .stderr(contains("--key-passphrase-file"));
    coffer()
        .arg("verify")
        .arg(f.path("sealed.zip"))
        .arg("--key")
        .arg(f.path("wrapped.key"))
        .arg("--key-passphrase-file")
        .arg(f.path("wrong-pass.txt"))
        .assert()
        .code(2)
        .stderr(contains("wrong passphrase"));
    coffer()
        .arg("verify")
        .arg(f.path("sealed.zip"))
        .arg("--key")
        .arg(f.path("wrapped.key"))
        .arg("--key-passphrase-file")
        .arg(f.path("key-pass.txt"))
        .assert()
        .code(0)
        .stdout(contains("authenticated: manifest MAC verified with key id"));
}

#[test]
fn verify_locked() {
    let f = Files::new();
    for pass in ["pass.txt", "pass-crlf.txt"] {
        coffer()
            .arg("verify")
            .arg(f.path("locked.zip"))
            .arg("--passphrase-file")
            .arg(f.path(pass))
            .assert()
            .code(0)
            .stdout(contains("locked.zip: OK"))
            .stdout(contains("locked: unlocked and decrypted"));
    }
    coffer()
        .arg("verify")
        .arg(f.path("locked-key.zip"))
        .arg("--key")
        .arg(f.path("master.key"))
        .assert()
        .code(0)
        .stdout(contains("authenticated: manifest MAC verified with key id"));
}

#[test]
fn verify_locked_without_passphrase_fails_with_a_hint() {
    let f = Files::new();
    coffer()
        .arg("verify")
        .arg(f.path("locked.zip"))
        .assert()
        .code(2)
        .stderr(contains(
            "is a locked backup; it cannot be read without its passphrase",
        ))
        .stderr(contains("hint: pass --passphrase-file FILE"));
    let id = master_key().id().to_hex();
    coffer()
        .arg("verify")
        .arg(f.path("locked-key.zip"))
        .assert()
        .code(2)
        .stderr(contains(format!("the master key with id {id}")));
}

#[test]
fn verify_locked_wrong_passphrase() {
    let f = Files::new();
    coffer()
        .arg("verify")
        .arg(f.path("locked.zip"))
        .arg("--passphrase-file")
        .arg(f.path("wrong-pass.txt"))
        .assert()
        .code(2)
        .stderr(contains("wrong passphrase"))
        .stderr(contains("hint: the passphrase is the first line"));
}

#[test]
fn verify_rejects_tampered_locked_backup() {
    let f = Files::new();
    let copy = f.tampered("locked.zip", "tl.zip", -100);
    coffer()
        .arg("verify")
        .arg(&copy)
        .arg("--passphrase-file")
        .arg(f.path("pass.txt"))
        .assert()
        .code(1)
        .stderr(contains("error: "));
}

#[test]
fn verify_rejects_non_backups() {
    let f = Files::new();
    coffer()
        .arg("verify")
        .arg(f.path("notzip.txt"))
        .assert()
        .code(1)
        .stderr(contains(
            "not a Coffer backup: it does not start with a ZIP entry",
        ));
    coffer()
        .arg("verify")
        .arg(f.path("empty.zip"))
        .assert()
        .code(1)
        .stderr(contains("not a Coffer backup: the file is empty"));
    coffer()
        .arg("verify")
        .arg(f.path("missing.zip"))
        .assert()
        .code(2)
        .stderr(contains("cannot read backup"));
}

#[test]
fn limits_are_enforced() {
    let f = Files::new();
    coffer()
        .args(["verify", "--max-size", "1K"])
        .arg(f.path("plain.zip"))
        .assert()
        .code(1)
        .stderr(contains("limit exceeded"))
        .stderr(contains("--max-size"));
    coffer()
        .args(["verify", "--max-size", "1G", "--max-ratio", "1000"])
        .arg(f.path("plain.zip"))
        .assert()
        .code(0);
    coffer()
        .args(["verify", "--max-size", "lots"])
        .arg(f.path("plain.zip"))
        .assert()
        .code(2);
}

#[test]
fn empty_passphrase_file_is_refused() {
    let f = Files::new();
    let empty = f.write("empty-pass.txt", b"\n");
    coffer()
        .arg("verify")
        .arg(f.path("locked.zip"))
        .arg("--passphrase-file")
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(contains("is empty"));
}

// ---------------------------------------------------------------- extract

#[test]
fn extract_plain_writes_tagged_json_and_files() {
    let f = Files::new();
    let out = f.path("out");
    coffer()
        .arg("extract")
        .arg(f.path("plain.zip"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("extracted 4 records from 2 stores of 2 databases"));
    let notes = read_jsonl(&out.join("000-app/000-notes.jsonl"));
    assert_eq!(
        notes,
        vec![
            json!({"key": "a", "value": {"title": "hello", "n": 1.5, "tags": ["x", "y"], "when": {"$": "date", "ms": 0.0}}}),
            json!({"key": "b", "value": {"$": "arraybuffer", "size": 5, "file": "files/000001.bin"}}),
            json!({"key": "c", "value": {"$": "blob", "type": "application/octet-stream", "size": 100_000, "file": "files/000002.bin"}}),
        ]
    );
    assert_eq!(
        std::fs::read(out.join("000-app/files/000001.bin")).expect("bin"),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(
        std::fs::read(out.join("000-app/files/000002.bin")).expect("bin"),
        big_body()
    );
    // The manifest is copied byte for byte, and hostile names stay inside.
    let manifest: Json =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("manifest JSON");
    assert_eq!(manifest["format"], "coffer-backup");
    let evil = read_jsonl(&out.join("001-___evil/000-a_b.jsonl"));
    assert_eq!(evil, vec![json!({"key": 1.0, "value": null})]);
    assert!(!f.path("evil").exists());
    let index: Json =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).expect("index"))
            .expect("JSON");
    assert_eq!(index["databases"][1]["name"], "../evil");
    assert_eq!(
        index["databases"][1]["stores"][0]["file"],
        "001-___evil/000-a_b.jsonl"
    );
}

/// Issue 14: the parts beyond IndexedDB come out as files: localStorage as
/// JSON, the file system as its tree, each cache's responses with an index.
#[test]
fn extract_writes_the_parts_as_files() {
    let f = Files::new();
    let out = f.path("out");
    let backup = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../coffer-engine/tests/vectors/files/parts.zip");
    coffer()
        .arg("extract")
        .arg(&backup)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("localStorage: 3 items in local-storage.json"))
        .stdout(contains("file system: 2 files under opfs/"))
        .stdout(contains("caches: 1 response under caches/"));
    let ls: Json =
        serde_json::from_slice(&std::fs::read(out.join("local-storage.json")).expect("ls"))
            .expect("JSON");
    assert_eq!(
        ls,
        json!([{"key": "", "value": ""}, {"key": "a", "value": "1"}, {"key": "theme", "value": "dark"}])
    );
    assert_eq!(
        std::fs::read(out.join("opfs/readme.txt")).expect("file"),
        b"hello\n"
    );
    assert!(std::fs::read(out.join("opfs/db/main.sqlite3"))
        .expect("file")
        .starts_with(b"SQLite format 3"));
    assert!(out.join("opfs/db/empty").is_dir(), "empty directories too");
    let cache: Json = serde_json::from_slice(
        &std::fs::read(out.join("caches/000-app-v1/index.json")).expect("cache index"),
    )
    .expect("JSON");
    assert_eq!(cache["entries"][0]["url"], "https://example.com/app.js");
    assert_eq!(cache["entries"][0]["status"], 200);
    assert_eq!(cache["skipped"][0]["reason"], "opaque");
    let body = out
        .join("caches/000-app-v1")
        .join(cache["entries"][0]["body"].as_str().expect("body"));
    assert_eq!(std::fs::metadata(body).expect("body").len(), 23);
    let index: Json =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).expect("index"))
            .expect("JSON");
    assert_eq!(index["opfs"]["files"][0]["path"], "db/main.sqlite3");
    assert_eq!(index["caches"][0]["directory"], "caches/000-app-v1");
}

#[test]
fn extract_sealed_without_key_keeps_envelopes() {
    let f = Files::new();
    let out = f.path("out");
    coffer()
        .arg("extract")
        .arg(f.path("sealed.zip"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("2 records left sealed"))
        .stderr(contains("1 encrypted store left sealed"));
    let lines = read_jsonl(&out.join("000-app/001-secrets.jsonl"));
    assert_eq!(lines.len(), secrets().len());
    for (line, (key, value)) in lines.iter().zip(secrets()) {
        assert_eq!(line["key"], coffer_engine::export::key_to_json(&key));
        assert!(line.get("value").is_none());
        let env = B64
            .decode(line["sealed"].as_str().expect("sealed string"))
            .expect("base64");
        let ctx = RecordContext {
            database: "app",
            store: "secrets",
            key: &key,
        };
        let opened = open_value(&master_key(), &ctx, &env, 64).expect("the envelope opens");
        assert!(opened.same(&value));
    }
}

#[test]
fn extract_sealed_with_key_decrypts() {
    let f = Files::new();
    let out = f.path("out");
    coffer()
        .arg("extract")
        .arg(f.path("sealed.zip"))
        .arg("--out")
        .arg(&out)
        .arg("--key")
        .arg(f.path("master.key"))
        .assert()
        .success()
        .stderr("");
    let lines = read_jsonl(&out.join("000-app/001-secrets.jsonl"));
    assert_eq!(
        lines,
        vec![
            json!({"key": "api", "value": "tok_123"}),
            json!({"key": "codes", "value": [1.0, 2.0]}),
        ]
    );
}

#[test]
fn extract_refuses_non_empty_directory_unless_forced() {
    let f = Files::new();
    let out = f.path("out");
    std::fs::create_dir(&out).expect("mkdir");
    std::fs::write(out.join("keep.txt"), b"x").expect("write");
    coffer()
        .arg("extract")
        .arg(f.path("plain.zip"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("is not empty"))
        .stderr(contains("--force"));
    for _ in 0..2 {
        coffer()
            .arg("extract")
            .arg(f.path("plain.zip"))
            .arg("--out")
            .arg(&out)
            .arg("--force")
            .assert()
            .success();
    }
    assert!(out.join("keep.txt").exists());
    assert_eq!(read_jsonl(&out.join("000-app/000-notes.jsonl")).len(), 3);
    // A file is not a directory.
    coffer()
        .arg("extract")
        .arg(f.path("plain.zip"))
        .arg("--out")
        .arg(f.path("notzip.txt"))
        .assert()
        .code(2)
        .stderr(contains("is not a directory"));
}

#[test]
fn extract_wrong_key_fails_before_writing() {
    let f = Files::new();
    let out = f.path("out");
    coffer()
        .arg("extract")
        .arg(f.path("sealed.zip"))
        .arg("--out")
        .arg(&out)
        .arg("--key")
        .arg(f.path("other.key"))
        .assert()
        .code(2)
        .stderr(contains("needs key id"));
    assert!(!out.exists());
}

// ---------------------------------------------------------------- key

#[test]
fn key_new_and_show() {
    let f = Files::new();
    let path = f.path("new.key");
    let out = coffer()
        .args(["key", "new", "--out"])
        .arg(&path)
        .assert()
        .success()
        .stderr(contains("unprotected"))
        .get_output()
        .stdout
        .clone();
    let id = String::from_utf8(out).expect("utf8");
    let id = id.trim_end();
    assert_eq!(id.len(), 32, "only the key id is printed: {id:?}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    coffer()
        .args(["key", "show"])
        .arg(&path)
        .assert()
        .success()
        .stdout(contains(format!("key id:      {id}")))
        .stdout(contains("protection:  none"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o077, 0, "key files are private");
    }
    // Never overwritten.
    let before = std::fs::read(&path).expect("read");
    coffer()
        .args(["key", "new", "--out"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(contains("already exists"));
    assert_eq!(std::fs::read(&path).expect("read"), before);
    // The new key works for verification of a backup without encrypted stores.
    coffer()
        .arg("verify")
        .arg(f.path("plain.zip"))
        .arg("--key")
        .arg(&path)
        .assert()
        .success();
}

#[test]
fn key_new_with_passphrase_uses_default_kdf() {
    let f = Files::new();
    let path = f.path("wrapped-new.key");
    let out = coffer()
        .args(["key", "new", "--out"])
        .arg(&path)
        .arg("--passphrase-file")
        .arg(f.path("key-pass.txt"))
        .assert()
        .success()
        .stderr("")
        .get_output()
        .stdout
        .clone();
    let id = String::from_utf8(out).expect("utf8").trim_end().to_owned();
    let out = coffer()
        .args(["key", "show", "--json"])
        .arg(&path)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j: Json = serde_json::from_slice(&out).expect("JSON");
    assert_eq!(j["key_id"], id);
    assert_eq!(j["protection"], "argon2id");
    assert_eq!(
        j["kdf"],
        json!({"memory_kib": 65536, "iterations": 3, "parallelism": 1})
    );
}

#[test]
fn key_show_never_prints_the_key() {
    let f = Files::new();
    let secret = B64.encode(master_key().expose_bytes());
    for args in [vec!["key", "show"], vec!["key", "show", "--json"]] {
        coffer()
            .args(&args)
            .arg(f.path("master.key"))
            .assert()
            .success()
            .stdout(contains(master_key().id().to_hex()))
            .stdout(contains(secret.as_str()).not());
    }
    coffer()
        .args(["key", "show"])
        .arg(f.path("wrapped.key"))
        .assert()
        .success()
        .stdout(contains("protection:  argon2id (passphrase)"))
        .stdout(contains("memory 1024 KiB, 1 iterations, parallelism 1"));
    coffer()
        .args(["key", "show"])
        .arg(f.path("notzip.txt"))
        .assert()
        .code(2)
        .stderr(contains("invalid key file"));
}

// ---------------------------------------------------------------- misc

#[test]
fn usage_errors_exit_2_and_help_documents_exit_codes() {
    coffer().arg("frobnicate").assert().code(2);
    coffer().args(["verify"]).assert().code(2);
    coffer()
        .args(["extract", "x.zip"])
        .assert()
        .code(2)
        .stderr(contains("--out"));
    for cmd in [
        vec!["--help"],
        vec!["verify", "--help"],
        vec!["extract", "--help"],
        vec!["key", "new", "--help"],
    ] {
        coffer()
            .args(&cmd)
            .assert()
            .success()
            .stdout(contains("Exit status:"))
            .stdout(contains("2  usage or I/O error"));
    }
}

#[test]
fn closed_stdout_is_not_an_error() {
    let f = Files::new();
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("coffer"))
        .args(["inspect", "--json"])
        .arg(f.path("plain.zip"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ------------------------------------------------- committed fixtures

/// The lead's fixtures under tests/fixtures in the repository root.
fn fixture(name: &str) -> std::path::PathBuf {
    let p = repo_root().join("tests/fixtures").join(name);
    assert!(p.exists(), "missing committed fixture {}", p.display());
    p
}

#[test]
fn committed_fixtures_verify() {
    coffer()
        .arg("verify")
        .arg(fixture("plain.zip"))
        .assert()
        .success();
    coffer()
        .arg("verify")
        .arg(fixture("sealed.zip"))
        .arg("--key")
        .arg(fixture("sealed.key"))
        .assert()
        .success()
        .stdout(contains("authenticated: manifest MAC verified with key id"));
    coffer()
        .arg("verify")
        .arg(fixture("locked.zip"))
        .arg("--passphrase-file")
        .arg(fixture("locked.passphrase"))
        .assert()
        .success();
}

#[test]
fn tampered_committed_fixtures_are_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = vec![
        "--key".to_owned(),
        fixture("sealed.key").display().to_string(),
    ];
    let pass = vec![
        "--passphrase-file".to_owned(),
        fixture("locked.passphrase").display().to_string(),
    ];
    let cases: Vec<(&str, Option<&str>, Vec<String>)> = vec![
        ("plain.zip", Some("manifest.json"), vec![]),
        (
            "plain.zip",
            Some("databases/0/stores/1/records/000000.bin"),
            vec![],
        ),
        ("sealed.zip", Some("manifest.json"), key.clone()),
        (
            "sealed.zip",
            Some("databases/0/stores/1/records/000000.bin"),
            key.clone(),
        ),
        // Locked payloads are authenticated: any flipped byte is caught.
        ("locked.zip", None, pass),
    ];
    for (i, (name, entry, extra)) in cases.into_iter().enumerate() {
        let mut bytes = std::fs::read(fixture(name)).expect("read fixture");
        match entry {
            Some(e) => tamper_entry(&mut bytes, e),
            None => {
                let i = bytes.len() / 2;
                bytes[i] ^= 0x01;
            }
        }
        let copy = dir.path().join(format!("{i}-{name}"));
        std::fs::write(&copy, &bytes).expect("write");
        coffer()
            .arg("verify")
            .arg(&copy)
            .args(&extra)
            .assert()
            .code(1)
            .stderr(contains("error: "));
    }
}

#[test]
fn extract_locked_backups() {
    let f = Files::new();
    let out = f.path("out-pass");
    coffer()
        .arg("extract")
        .arg(f.path("locked.zip"))
        .arg("--passphrase-file")
        .arg(f.path("pass.txt"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(read_jsonl(&out.join("000-app/000-notes.jsonl")).len(), 3);
    assert_eq!(
        std::fs::read(out.join("000-app/files/000002.bin")).expect("bin"),
        big_body()
    );
    let out = f.path("out-key");
    coffer()
        .arg("extract")
        .arg(f.path("locked-key.zip"))
        .arg("--key")
        .arg(f.path("master.key"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stderr("");
    assert_eq!(
        read_jsonl(&out.join("000-app/001-secrets.jsonl"))[0],
        json!({"key": "api", "value": "tok_123"})
    );
    // Without a passphrase nothing is written.
    let out = f.path("out-none");
    coffer()
        .arg("extract")
        .arg(f.path("locked.zip"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("locked backup"));
    assert!(!out.exists());
}

#[test]
fn extract_committed_sealed_fixture_with_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    coffer()
        .arg("extract")
        .arg(fixture("sealed.zip"))
        .arg("--key")
        .arg(fixture("sealed.key"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let manifest: Json =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("JSON");
    let index: Json =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).expect("index"))
            .expect("JSON");
    for (d, db) in manifest["databases"]
        .as_array()
        .expect("databases")
        .iter()
        .enumerate()
    {
        for (s, st) in db["stores"].as_array().expect("stores").iter().enumerate() {
            let file = index["databases"][d]["stores"][s]["file"]
                .as_str()
                .expect("file");
            let lines = read_jsonl(&out.join(file));
            assert_eq!(
                lines.len() as u64,
                st["records"].as_u64().expect("records"),
                "{file}"
            );
            assert!(lines
                .iter()
                .all(|l| l.get("value").is_some() && l.get("sealed").is_none()));
        }
    }
}

#[test]
fn extract_stops_at_damage_and_says_so() {
    let f = Files::new();
    let copy = f.tampered_entry(
        "plain.zip",
        "damaged.zip",
        "databases/0/stores/0/blobs/000000.bin",
    );
    let out = f.path("out");
    coffer()
        .arg("extract")
        .arg(&copy)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(contains("holds incomplete output"))
        .stderr(contains("error: "));
    // The damaged body itself is not left behind.
    assert!(!out.join("000-app/files/000002.bin").exists());
}

/// Issue 13: 300,000 tiny inline bodies became 300,000 files. `extract`'s
/// output (bytes written, 4 KiB per file or directory) is bounded by the
/// compression-ratio limit times the backup's size.
#[test]
fn extract_output_is_bounded_by_the_ratio_limit() {
    use coffer_engine::model::{DatabaseSchema, StoreSchema};
    use coffer_engine::{BackupWriter, Key, MemorySpool, Value, WriteOptions};
    let f = Files::new();
    let mut w = BackupWriter::new(WriteOptions::new(CREATED), MemorySpool::default());
    let db = w
        .add_database(DatabaseSchema {
            name: "db".into(),
            version: 1,
            stores: vec![StoreSchema::new("s")],
        })
        .expect("db");
    for i in 0..30_000 {
        w.add_record(
            db,
            0,
            &Key::Number(f64::from(i)),
            Value::ArrayBuffer(Vec::new().into()),
        )
        .expect("record");
    }
    let backup = w.finish(Vec::new()).expect("finish").0;
    assert!(backup.len() < 128 << 10, "{} bytes", backup.len());
    let path = f.write("tiny.zip", &backup);
    coffer().arg("verify").arg(&path).assert().success();
    let out = f.path("out");
    coffer()
        .args(["-q", "extract", "--out"])
        .arg(&out)
        .arg(&path)
        .assert()
        .code(1)
        .stderr(contains("limit exceeded: bytes extract would write"))
        .stderr(contains("code: limit-exceeded"));
    let files = std::fs::read_dir(out.join("000-db/files"))
        .expect("files dir")
        .count();
    assert!(files < 30_000 / 2, "{files} files written");
    // Raising the ratio limit lets it through.
    let out2 = f.path("out2");
    coffer()
        .args(["-q", "extract", "--max-ratio", "100000", "--out"])
        .arg(&out2)
        .arg(&path)
        .assert()
        .success();
}

/// Issue 14: `extract` shows a view's window and its whole buffer, once:
/// views sharing a buffer, and an `ArrayBuffer` property of it, refer to
/// it (FORMAT.md §8.1); a large buffer moved to a blob entry is written
/// whole too.
#[test]
fn extract_shows_views_with_their_whole_buffer() {
    use coffer_engine::model::{DatabaseSchema, StoreSchema, ViewBuffer, ViewKind};
    use coffer_engine::{BackupWriter, Key, MemorySpool, Value, WriteOptions};
    let f = Files::new();
    let mut w = BackupWriter::new(WriteOptions::new(CREATED), MemorySpool::default());
    let db = w
        .add_database(DatabaseSchema {
            name: "db".into(),
            version: 1,
            stores: vec![StoreSchema::new("s")],
        })
        .expect("db");
    let buffer: Vec<u8> = (0..64).collect();
    let view = |kind, byte_offset, byte_length, buffer| Value::View {
        kind,
        byte_offset,
        byte_length,
        buffer,
    };
    // {u8: Uint8Array(b, 8), dv: DataView(b, 4, 8), b}: object 0, u8 1, b 2, dv 3.
    let shared = Value::object([
        (
            "u8",
            view(
                ViewKind::Uint8,
                8,
                56,
                ViewBuffer::ArrayBuffer(buffer.clone().into()),
            ),
        ),
        ("dv", view(ViewKind::DataView, 4, 8, ViewBuffer::Ref(2))),
        ("b", Value::Ref(2)),
    ]);
    w.add_record(db, 0, &Key::Number(1.0), shared)
        .expect("record");
    let big = view(
        ViewKind::Float64,
        8,
        8,
        ViewBuffer::ArrayBuffer(vec![3u8; 100_000].into()),
    );
    w.add_record(db, 0, &Key::Number(2.0), big).expect("record");
    let path = f.write("views.zip", &w.finish(Vec::new()).expect("finish").0);
    coffer().arg("verify").arg(&path).assert().success();
    let out = f.path("out");
    coffer()
        .args(["-q", "extract", "--out"])
        .arg(&out)
        .arg(&path)
        .assert()
        .success();
    let rows = read_jsonl(&out.join("000-db/000-s.jsonl"));
    assert_eq!(
        rows,
        vec![
            json!({"key": 1.0, "value": {
                "u8": {"$": "Uint8Array", "byteOffset": 8, "byteLength": 56,
                       "buffer": {"$": "arraybuffer", "size": 64, "file": "files/000001.bin"}},
                "dv": {"$": "DataView", "byteOffset": 4, "byteLength": 8,
                       "buffer": {"$": "ref", "id": 2}},
                "b": {"$": "ref", "id": 2},
            }}),
            json!({"key": 2.0, "value": {"$": "Float64Array", "byteOffset": 8, "byteLength": 8,
                "buffer": {"$": "arraybuffer", "size": 100_000, "file": "files/000002.bin"}}}),
        ]
    );
    assert_eq!(
        std::fs::read(out.join("000-db/files/000001.bin")).expect("bin"),
        buffer
    );
    assert_eq!(
        std::fs::read(out.join("000-db/files/000002.bin")).expect("bin"),
        vec![3u8; 100_000]
    );
    assert!(!out.join("000-db/files/000003.bin").exists());
    let manifest: Json =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("manifest JSON");
    assert_eq!(manifest["format_version"], 2);
}

/// Issue 13: the CLI reads every test vector of FORMAT.md §10.8 as the
/// engine does: rejected files exit 1 with the stated code.
#[test]
fn cli_agrees_with_the_vector_index() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../coffer-engine/tests/vectors");
    let index: Json =
        serde_json::from_slice(&std::fs::read(dir.join("vectors.json")).expect("index"))
            .expect("json");
    let mut n = 0;
    for v in index["vectors"].as_array().expect("vectors") {
        let mut cmd = coffer();
        cmd.arg("-q")
            .arg("verify")
            .arg(dir.join(v["file"].as_str().expect("file")));
        if let Some(p) = v["passphrase"].as_str() {
            let pf = tempfile::NamedTempFile::new().expect("tmp");
            std::fs::write(pf.path(), format!("{p}\n")).expect("write");
            let (_, kept) = pf.keep().expect("keep");
            cmd.arg("--passphrase-file").arg(kept);
        }
        if let Some(k) = v["key_file"].as_str() {
            cmd.arg("--key").arg(dir.join(k));
        }
        let a = cmd.assert();
        match v["outcome"].as_str() {
            Some("accept") => {
                a.success();
            }
            _ => {
                let code = v["code"].as_str().expect("code");
                let status = if matches!(
                    code,
                    "wrong-key" | "wrong-passphrase" | "passphrase-required" | "key-required"
                ) {
                    2
                } else {
                    1
                };
                a.code(status).stderr(contains(format!("code: {code}")));
            }
        }
        n += 1;
    }
    assert!(n >= 30, "{n} vectors");
}
