//! `coffer remote` against real servers on 127.0.0.1, started by
//! `scripts/servers.sh start` (s3rver for S3, WsgiDAV for WebDAV; installed
//! by `scripts/setup-servers.sh`). Without `COFFER_REMOTE_TESTS=1` these
//! tests say so and pass without running; `scripts/test.sh` sets it.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use assert_cmd::Command;
use coffer_engine::model::{Binary, DatabaseSchema, JsString, StoreSchema};
use coffer_engine::{BackupWriter, Key, MemorySpool, Value, WriteOptions};
use common::*;
use predicates::prelude::*;
use predicates::str::contains;

fn enabled() -> bool {
    let on = std::env::var("COFFER_REMOTE_TESTS").is_ok_and(|v| v == "1");
    if !on {
        eprintln!("skipped: set COFFER_REMOTE_TESTS=1 and run scripts/servers.sh start");
    }
    on
}

fn port(var: &str, default: u16) -> u16 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn s3_url() -> String {
    format!("http://127.0.0.1:{}", port("COFFER_S3_PORT", 8650))
}

fn dav_url() -> String {
    format!("http://127.0.0.1:{}/", port("COFFER_DAV_PORT", 8651))
}

/// A unique prefix per test, so tests share the servers without clashing.
fn unique(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "t{}-{}-{tag}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn coffer() -> Command {
    let mut c = Command::cargo_bin("coffer").expect("coffer binary");
    c.env_remove("RUST_BACKTRACE")
        .env_remove("COFFER_REMOTE_SECRET");
    c
}

struct Dest {
    args: Vec<String>,
}

impl Dest {
    fn s3(files: &Files, endpoint: &str, bucket: &str, prefix: &str, secret: &str) -> Dest {
        Dest::s3_as(files, endpoint, bucket, prefix, "S3RVER", secret)
    }

    fn s3_as(
        files: &Files,
        endpoint: &str,
        bucket: &str,
        prefix: &str,
        key_id: &str,
        secret: &str,
    ) -> Dest {
        let secret_file = files.write(
            &format!("secret-{prefix}"),
            format!("{secret}\n").as_bytes(),
        );
        Dest {
            args: vec![
                "--s3".into(),
                endpoint.into(),
                "--bucket".into(),
                bucket.into(),
                "--prefix".into(),
                prefix.into(),
                "--access-key-id".into(),
                key_id.into(),
                "--secret-file".into(),
                secret_file.display().to_string(),
            ],
        }
    }

    fn dav(files: &Files, url: &str, password: &str) -> Dest {
        let secret_file = files.write("dav-password", format!("{password}\n").as_bytes());
        Dest {
            args: vec![
                "--webdav".into(),
                url.into(),
                "--user".into(),
                "coffer".into(),
                "--secret-file".into(),
                secret_file.display().to_string(),
            ],
        }
    }

    fn run(&self, cmd: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
        let mut c = coffer();
        c.arg("remote").arg(cmd).args(extra).args(&self.args);
        c.assert()
    }
}

/// A backup of about `mib` MiB: one store with incompressible Blobs, so
/// the file is larger than one multipart part.
fn large_backup(mib: usize) -> Vec<u8> {
    let mut w = BackupWriter::new(WriteOptions::new(CREATED), MemorySpool::default());
    let db = w
        .add_database(DatabaseSchema {
            name: "photos".into(),
            version: 1,
            stores: vec![StoreSchema::new("files")],
        })
        .expect("db");
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..mib {
        let body: Vec<u8> = (0..1 << 20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let value = Value::Blob {
            mime: JsString::from("application/octet-stream"),
            data: Binary::Inline(body),
        };
        w.add_record(db, 0, &Key::Number(i as f64), value)
            .expect("record");
    }
    w.finish(Vec::new()).expect("finish").0
}

fn listed(dest: &Dest) -> serde_json::Value {
    let out = dest
        .run("list", &["--json"])
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).expect("list --json is JSON")
}

/// Upload as multipart (3 parts of 5 MiB), list, get (verified, then
/// byte-identical to what was uploaded) and verify, on S3.
#[test]
fn s3_multipart_upload_list_get_verify() {
    if !enabled() {
        return;
    }
    let files = Files::new();
    let bytes = large_backup(12);
    assert!(bytes.len() > 10 << 20);
    let name = "coffer-backup-2026-12-03T22-00-00.zip";
    let path = files.write(name, &bytes);
    let prefix = unique("multipart");
    let dest = Dest::s3(&files, &s3_url(), "coffer", &prefix, "S3RVER");
    dest.run("put", &[path.to_str().expect("utf-8"), "--part-size", "5M"])
        .success()
        .stdout(contains(format!("uploaded {name}")));
    // A file that is not Coffer's stays out of the listing.
    let list = listed(&dest);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["name"], name);
    assert_eq!(list[0]["size"], bytes.len() as u64);

    let out = files.path("restored.zip");
    dest.run("get", &[name, "--out", out.to_str().expect("utf-8")])
        .success()
        .stdout(contains(format!("{name}: OK")));
    assert_eq!(std::fs::read(&out).expect("written"), bytes);
    dest.run("verify", &[name])
        .success()
        .stdout(contains("12 records"));
}

/// WebDAV: put, list, get with identical bytes, verify; sealed backup
/// verified with its key.
#[test]
fn webdav_put_list_get_verify() {
    if !enabled() {
        return;
    }
    let files = Files::new();
    let bytes = backup(true);
    let name = format!("coffer-backup-{}.zip", unique("dav"));
    let path = files.write(&name, &bytes);
    let dest = Dest::dav(&files, &dav_url(), "coffer-dav-pw");
    dest.run("put", &[path.to_str().expect("utf-8")]).success();
    let list = listed(&dest);
    let entry = list
        .as_array()
        .and_then(|a| a.iter().find(|e| e["name"] == name.as_str()))
        .unwrap_or_else(|| panic!("{name} listed in {list}"));
    assert_eq!(entry["size"], bytes.len() as u64);
    let key = files.write("master.key", key_file(&master_key(), None).as_bytes());
    let out = files.path("got.zip");
    dest.run(
        "get",
        &[
            &name,
            "--out",
            out.to_str().expect("utf-8"),
            "--key",
            key.to_str().expect("utf-8"),
        ],
    )
    .success()
    .stdout(contains("sealed records: all 2 opened"));
    assert_eq!(std::fs::read(&out).expect("written"), bytes);
}

/// A damaged backup on the destination is reported and nothing is written.
#[test]
fn a_damaged_remote_backup_writes_nothing() {
    if !enabled() {
        return;
    }
    let files = Files::new();
    let name = "coffer-backup-damaged.zip";
    files.write(name, &backup(false));
    files.tampered_entry(
        name,
        "damaged-upload.zip",
        "databases/0/stores/0/blobs/000000.bin",
    );
    let dest = Dest::dav(&files, &dav_url(), "coffer-dav-pw");
    let prefixed = format!("coffer-backup-{}.zip", unique("damaged"));
    let damaged = files.path("damaged-upload.zip");
    dest.run(
        "put",
        &[damaged.to_str().expect("utf-8"), "--name", &prefixed],
    )
    .success();
    let dir = files.path("out");
    std::fs::create_dir(&dir).expect("dir");
    let out = dir.join("x.zip");
    dest.run("get", &[&prefixed, "--out", out.to_str().expect("utf-8")])
        .code(1)
        .stderr(contains("error:"));
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(&dir).expect("dir").count(),
        0,
        "no temporary file left"
    );
}

/// Wrong credentials: a typed error naming the credentials, never the
/// secret. (s3rver checks the access key id but not SigV4 signatures, so
/// the S3 case uses an unknown key id.)
#[test]
fn wrong_credentials_are_reported_without_the_secret() {
    if !enabled() {
        return;
    }
    let files = Files::new();
    let s3 = Dest::s3_as(
        &files,
        &s3_url(),
        "coffer",
        "x",
        "NOSUCHKEY",
        "not-the-secret-1234",
    );
    s3.run("list", &[])
        .code(2)
        .stderr(contains("refused the credentials"))
        .stderr(contains("code: remote-wrong-credentials"))
        .stderr(contains("not-the-secret-1234").not());
    let dav = Dest::dav(&files, &dav_url(), "wrong-password-5678");
    dav.run("list", &[])
        .code(2)
        .stderr(contains("refused the credentials"))
        .stderr(contains("wrong-password-5678").not());
}

/// Names Coffer did not write, missing buckets and unreachable servers are
/// specific errors.
#[test]
fn bad_names_missing_buckets_and_dead_servers() {
    if !enabled() {
        return;
    }
    let files = Files::new();
    let s3 = Dest::s3(&files, &s3_url(), "coffer", "y", "S3RVER");
    s3.run(
        "get",
        &[
            "../../etc/passwd",
            "--out",
            files.path("o").to_str().expect("utf-8"),
        ],
    )
    .code(2)
    .stderr(contains("not a Coffer backup name"));
    let missing = Dest::s3(&files, &s3_url(), "no-such-bucket", "y", "S3RVER");
    missing
        .run("list", &[])
        .code(2)
        .stderr(contains("code: remote-not-found"));
    let dead = Dest::s3(&files, "http://127.0.0.1:1", "coffer", "y", "S3RVER");
    dead.run("list", &[])
        .code(2)
        .stderr(contains("cannot reach the destination"));
}

/// A TCP proxy in front of the S3 server that answers `500` to the first
/// `fail` requests for part 2 of a multipart upload and forwards the rest.
struct FaultyProxy {
    port: u16,
    failed: Arc<AtomicUsize>,
    aborts: Arc<AtomicUsize>,
}

impl FaultyProxy {
    fn start(upstream: u16, fail: usize) -> FaultyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let failed = Arc::new(AtomicUsize::new(0));
        let aborts = Arc::new(AtomicUsize::new(0));
        let (counter, abort_counter) = (failed.clone(), aborts.clone());
        thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (counter, abort_counter) = (counter.clone(), abort_counter.clone());
                thread::spawn(move || {
                    let _ = serve(conn, upstream, &counter, &abort_counter, fail);
                });
            }
        });
        FaultyProxy {
            port,
            failed,
            aborts,
        }
    }
}

/// Reads one request, then fails it or forwards it with `Connection: close`.
fn serve(
    mut client: TcpStream,
    upstream: u16,
    failed: &AtomicUsize,
    aborts: &AtomicUsize,
    fail: usize,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte)? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let len: usize = text
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    client.read_exact(&mut body)?;
    let first = text.lines().next().unwrap_or_default().to_owned();
    if first.starts_with("DELETE") && first.contains("uploadId=") {
        aborts.fetch_add(1, Ordering::SeqCst);
    }
    if first.starts_with("PUT")
        && first.contains("partNumber=2")
        && failed.load(Ordering::SeqCst) < fail
    {
        failed.fetch_add(1, Ordering::SeqCst);
        client.write_all(
            b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    }
    let mut rewritten = String::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            rewritten.push_str(line);
            rewritten.push_str("\r\n");
        }
    }
    rewritten.push_str("Connection: close\r\n\r\n");
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    up.write_all(rewritten.as_bytes())?;
    up.write_all(&body)?;
    std::io::copy(&mut up, &mut client)?;
    Ok(())
}

/// A part that fails twice is sent again and the upload completes; a part
/// that keeps failing ends in a clear error, the upload is aborted and no
/// object is left.
#[test]
fn a_failing_part_is_retried_then_the_upload_is_aborted() {
    if !enabled() {
        return;
    }
    let files = Files::new();
    let bytes = large_backup(11);
    let path = files.write("coffer-backup-faulty.zip", &bytes);
    let s3_port = port("COFFER_S3_PORT", 8650);

    let flaky = FaultyProxy::start(s3_port, 2);
    let prefix = unique("flaky");
    let dest = Dest::s3(
        &files,
        &format!("http://127.0.0.1:{}", flaky.port),
        "coffer",
        &prefix,
        "S3RVER",
    );
    dest.run("put", &[path.to_str().expect("utf-8"), "--part-size", "5M"])
        .success();
    assert_eq!(flaky.failed.load(Ordering::SeqCst), 2);
    let direct = Dest::s3(&files, &s3_url(), "coffer", &prefix, "S3RVER");
    let out = files.path("flaky-back.zip");
    direct
        .run(
            "get",
            &[
                "coffer-backup-faulty.zip",
                "--out",
                out.to_str().expect("utf-8"),
            ],
        )
        .success();
    assert_eq!(std::fs::read(&out).expect("written"), bytes);

    let broken = FaultyProxy::start(s3_port, usize::MAX);
    let prefix = unique("broken");
    let dest = Dest::s3(
        &files,
        &format!("http://127.0.0.1:{}", broken.port),
        "coffer",
        &prefix,
        "S3RVER",
    );
    dest.run("put", &[path.to_str().expect("utf-8"), "--part-size", "5M"])
        .code(2)
        .stderr(contains("part 2 of the upload failed 3 times"))
        .stderr(contains("code: remote-upload-failed"));
    assert_eq!(broken.failed.load(Ordering::SeqCst), 3);
    let direct = Dest::s3(&files, &s3_url(), "coffer", &prefix, "S3RVER");
    assert_eq!(listed(&direct), serde_json::json!([]));
    // The upload was aborted. (s3rver does not implement
    // AbortMultipartUpload, it answers 405, so it keeps the stored parts;
    // S3 and Garage drop them.)
    assert_eq!(broken.aborts.load(Ordering::SeqCst), 1);
}
