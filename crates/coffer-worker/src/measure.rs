//! In-browser engine benchmark ([`Request::Measure`](coffer_protocol::Request::Measure)):
//! sealing and opening throughput of the wasm engine, timed in this worker
//! with `performance.now()` under a throw-away key. `scripts/bench.sh`
//! reports the figures in `BENCHMARKS.md`.

use coffer_engine::envelope::{open_bytes, seal_bytes, RecordContext};
use coffer_engine::{Key, MasterKey};

use crate::error::AppResult;
use crate::timing::now;
use coffer_protocol::Timing;

/// Size of the large records.
const LARGE: usize = 64 << 10;
/// Size of the small records.
const SMALL: usize = 200;

fn timing(name: &str, amount: u64, ms: f64) -> Timing {
    Timing {
        name: name.to_owned(),
        amount,
        micros: (ms * 1000.0).max(1.0) as u64,
    }
}

/// Seals and opens `mib` MiB as 64 KiB records, then seals the same amount
/// of 200-byte records (capped at 100,000), and returns the timings.
pub fn measure(mib: u32) -> AppResult<Vec<Timing>> {
    let key = MasterKey::generate()?;
    // Content does not change the cipher's speed: any bytes will do.
    let data: Vec<u8> = (0..LARGE as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let records = (mib as usize * (1 << 20) / LARGE).max(1);
    let keys: Vec<Key> = (0..records).map(|i| Key::Number(i as f64)).collect();
    let ctx = |k| RecordContext {
        database: "bench",
        store: "sealed",
        key: k,
    };
    let t = now();
    let sealed = keys
        .iter()
        .map(|k| seal_bytes(&key, &ctx(k), &data))
        .collect::<Result<Vec<_>, _>>()?;
    let seal_ms = now() - t;
    let t = now();
    for (k, env) in keys.iter().zip(&sealed) {
        open_bytes(&key, &ctx(k), env)?;
    }
    let open_ms = now() - t;
    drop(sealed);
    let bytes = (records * LARGE) as u64;
    let small = (records * LARGE / SMALL).min(100_000);
    let k = Key::Number(1.0);
    let t = now();
    for _ in 0..small {
        seal_bytes(&key, &ctx(&k), &data[..SMALL])?;
    }
    let small_ms = now() - t;
    Ok(vec![
        timing("seal 64 KiB records", bytes, seal_ms),
        timing("open 64 KiB records", bytes, open_ms),
        timing("seal 200-byte records (records)", small as u64, small_ms),
    ])
}
