//! Native engine benchmark: write, read and seal throughput on 64 MiB.
//!
//! ```text
//! cargo run --release -p coffer-engine --example bench
//! ```
//!
//! Prints a table and rewrites the "Native engine" section of
//! `BENCHMARKS.md` at the repository root (between the
//! `<!-- native-bench:begin -->` and `<!-- native-bench:end -->` markers).
//! Every figure is the median of five runs.

use std::fs;
use std::io::{Cursor, Read, Write};
use std::path::PathBuf;
use std::time::Instant;

use coffer_engine::envelope::{open_bytes, seal_bytes, RecordContext};
use coffer_engine::locked::{lock_writer, open_input, Lock, Unlock};
use coffer_engine::model::{DatabaseSchema, Key, StoreSchema, Value};
use coffer_engine::primitives::kdf::KdfParams;
use coffer_engine::{
    BackupReader, BackupWriter, Limits, MasterKey, MemorySpool, RecordValue, WriteOptions,
};

const MIB: usize = 1 << 20;
const TOTAL: usize = 64 * MIB;
const RUNS: usize = 5;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Seconds for `f`, median of RUNS.
fn time(mut f: impl FnMut()) -> f64 {
    median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

/// 64 MiB of application-like data: half structured records (~1 KiB
/// objects), half 64 KiB binary attachments (incompressible).
/// Records of one store, in key order.
type Records = Vec<(Key, Value)>;

fn dataset() -> (Records, Records) {
    let mut records = Vec::new();
    let mut i = 0u32;
    let mut bytes = 0;
    while bytes < TOTAL / 2 {
        let body = format!("{} {}", "lorem ipsum dolor sit amet".repeat(30), i);
        bytes += body.len() + 64;
        records.push((
            Key::Number(f64::from(i)),
            Value::object([
                ("id", Value::Number(f64::from(i))),
                ("title", Value::string(&format!("record {i}"))),
                ("body", Value::string(&body)),
                ("created", Value::Date(1.7e12 + f64::from(i))),
                (
                    "tags",
                    Value::array(vec![Value::string("a"), Value::string("b")]),
                ),
            ]),
        ));
        i += 1;
    }
    let blobs = (0..(TOTAL / 2) / (64 * 1024))
        .map(|j| {
            (
                Key::Number(j as f64),
                Value::Blob {
                    mime: "application/octet-stream".into(),
                    data: noise(64 * 1024, j as u32 + 1).into(),
                },
            )
        })
        .collect();
    (records, blobs)
}

fn write_backup(records: &[(Key, Value)], blobs: &[(Key, Value)]) -> Vec<u8> {
    let mut w = BackupWriter::new(
        WriteOptions::new(time::OffsetDateTime::UNIX_EPOCH),
        MemorySpool::default(),
    );
    let db = w
        .add_database(DatabaseSchema {
            name: "bench".into(),
            version: 1,
            stores: vec![StoreSchema::new("records"), StoreSchema::new("blobs")],
        })
        .expect("db");
    for (k, v) in records {
        w.add_record(db, 0, k, v.clone()).expect("record");
    }
    for (k, v) in blobs {
        w.add_record(db, 1, k, v.clone()).expect("blob");
    }
    w.finish(Vec::with_capacity(TOTAL)).expect("finish").0
}

fn read_backup(zip: &[u8]) -> u64 {
    let mut r = BackupReader::open(Cursor::new(zip), Limits::default()).expect("open");
    let report = r.verify(None, &mut |_| Ok(())).expect("verify");
    let mut n = 0u64;
    for s in 0..2 {
        let mut values = Vec::new();
        r.for_each_record(0, s, &mut |rec| {
            if let RecordValue::Plain(v) = rec.value {
                values.push(v);
            }
            Ok(())
        })
        .expect("records");
        for mut v in values {
            r.resolve_blobs(0, s, &mut v).expect("blobs");
            n += 1;
        }
    }
    assert_eq!(n, report.records);
    n
}

fn mbps(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / secs / 1e6
}

fn main() {
    let key = MasterKey::from_bytes([7; 32]);
    let (records, blobs) = dataset();
    let mut rows: Vec<(String, String)> = Vec::new();

    // Sealing: 1,024 records of 64 KiB each.
    let chunk = noise(64 * 1024, 99);
    let keys: Vec<Key> = (0..1024).map(|i| Key::Number(f64::from(i))).collect();
    let ctx = |k| RecordContext {
        database: "bench",
        store: "secrets",
        key: k,
    };
    let mut sealed = Vec::new();
    let t_seal = time(|| {
        sealed = keys
            .iter()
            .map(|k| seal_bytes(&key, &ctx(k), &chunk).expect("seal"))
            .collect();
    });
    let t_open = time(|| {
        for (k, env) in keys.iter().zip(&sealed) {
            open_bytes(&key, &ctx(k), env).expect("open");
        }
    });
    rows.push((
        "seal (XChaCha20-Poly1305, 64 KiB records)".into(),
        format!("{:.0} MB/s", mbps(TOTAL, t_seal)),
    ));
    rows.push((
        "open (XChaCha20-Poly1305, 64 KiB records)".into(),
        format!("{:.0} MB/s", mbps(TOTAL, t_open)),
    ));
    // Small records are dominated by per-record overhead.
    let small = noise(200, 5);
    let small_keys: Vec<Key> = (0..100_000).map(|i| Key::Number(f64::from(i))).collect();
    let t_small = time(|| {
        for k in &small_keys {
            seal_bytes(&key, &ctx(k), &small).expect("seal");
        }
    });
    rows.push((
        "seal, 200-byte records".into(),
        format!("{:.0} k records/s", small_keys.len() as f64 / t_small / 1e3),
    ));

    // Backup write and read.
    let mut zip = Vec::new();
    let t_write = time(|| zip = write_backup(&records, &blobs));
    let t_read = time(|| {
        read_backup(&zip);
    });
    rows.push((
        "backup write (encode + deflate level 1 + ZIP)".into(),
        format!("{:.0} MB/s", mbps(TOTAL, t_write)),
    ));
    rows.push((
        "backup read (open + verify + decode + resolve blobs)".into(),
        format!("{:.0} MB/s", mbps(TOTAL, t_read)),
    ));
    rows.push((
        "archive size for 64 MiB of data".into(),
        format!("{:.1} MiB", zip.len() as f64 / MIB as f64),
    ));

    // Whole-backup encryption (STREAM), excluding the one-off Argon2id.
    let lock = Lock {
        passphrase: None,
        master_key: Some(key.clone()),
    };
    let mut locked = Vec::new();
    let t_lock = time(|| {
        let mut w = lock_writer(Vec::with_capacity(zip.len() + MIB), &lock).expect("lock");
        w.write_all(&zip).expect("write");
        locked = w.finish().expect("finish");
    });
    let t_unlock = time(|| {
        let mut r = open_input(
            Cursor::new(&locked),
            Unlock {
                passphrase: None,
                master_key: Some(&key),
            },
            &Limits::default(),
        )
        .expect("unlock");
        let mut out = Vec::with_capacity(zip.len());
        r.read_to_end(&mut out).expect("read");
    });
    rows.push((
        "lock (STREAM ChaCha20-Poly1305, 64 KiB chunks)".into(),
        format!("{:.0} MB/s", mbps(zip.len(), t_lock)),
    ));
    rows.push((
        "unlock (STREAM)".into(),
        format!("{:.0} MB/s", mbps(zip.len(), t_unlock)),
    ));
    let t_kdf = time(|| {
        coffer_engine::primitives::kdf::derive(b"passphrase", &[0; 16], KdfParams::DEFAULT)
            .expect("kdf");
    });
    rows.push((
        "Argon2id m=64 MiB t=3 p=1 (once per passphrase)".into(),
        format!("{:.0} ms", t_kdf * 1e3),
    ));

    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mut table = String::new();
    table.push_str(&format!(
        "Measured by `cargo run --release -p coffer-engine --example bench` on {} ({} threads), median of {RUNS} runs, {}.\n\n",
        cpu,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "64 MiB of data: 32 MiB of ~1 KiB objects and 32 MiB of incompressible 64 KiB Blobs"
    ));
    table.push_str("| operation | throughput |\n|---|---|\n");
    for (name, value) in &rows {
        table.push_str(&format!("| {name} | {value} |\n"));
        println!("{name:<55} {value}");
    }

    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../BENCHMARKS.md");
    let begin = "<!-- native-bench:begin -->";
    let end = "<!-- native-bench:end -->";
    let existing = fs::read_to_string(&path).unwrap_or_else(|_| {
        format!("# Benchmarks\n\nFigures are regenerated by the commands named in each section; absolute times on a shared 2-core machine are noisy.\n\n## Native engine\n\n{begin}\n{end}\n")
    });
    let updated = match (existing.find(begin), existing.find(end)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{begin}\n{table}{}", &existing[..b], &existing[e..])
        }
        _ => format!("{existing}\n## Native engine\n\n{begin}\n{table}{end}\n"),
    };
    fs::write(&path, updated).expect("write BENCHMARKS.md");
    println!("\nwrote BENCHMARKS.md");
}
