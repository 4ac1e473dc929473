//! wasm-bindgen tests (a dedicated worker of headless Chromium) of
//! the JavaScript page encoder: it writes exactly the engine's encoding of every value type and of random values, refuses what ToValue refuses, and backups without it write the same archives.
#![cfg(target_arch = "wasm32")]

mod common;

use coffer_engine::codec::encode_value;
use coffer_worker::backup;
use coffer_worker::browser::convert::ToValue;
use coffer_worker::browser::encoder::{EncodedPage, PageEncoder};
use coffer_worker::browser::idb::{self};
use common::*;
use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// Record `i` of an encoded page with every body put inline (Blobs read).
fn assemble(page: &EncodedPage, i: usize, threshold: usize) -> Vec<u8> {
    let start = if i == 0 { 0 } else { page.ends[i - 1] as usize };
    let end = page.ends[i] as usize;
    let mut out = Vec::new();
    let mut from = start;
    for (h, &at) in page.holes.iter().enumerate() {
        let at = at as usize;
        if at <= start || at > end {
            continue;
        }
        out.extend_from_slice(&page.bytes[from..at]);
        from = at;
        let body = page.bodies.get(h as u32);
        let bytes = match body.dyn_ref::<web_sys::Blob>() {
            Some(b) => coffer_worker::browser::blobio::read_blob_bytes(b).unwrap(),
            None => {
                let u = js_sys::Uint8Array::new(&body);
                assert!(
                    u.length() as usize > threshold,
                    "an inline body was left out"
                );
                u.to_vec()
            }
        };
        out.push(0);
        coffer_engine::codec::write_varint(&mut out, bytes.len() as u64);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(&page.bytes[from..end]);
    out
}

/// Random values of every kind (seeded): nested objects, arrays (dense,
/// sparse, with properties), Maps, Sets, shared and cyclic structure,
/// strings with non-ASCII text and lone surrogates, odd numbers, bigints,
/// dates, regexps, views, ArrayBuffers, Blobs, Files, boxed values, errors.
const RANDOM_VALUES: &str = "(() => {
    let s = 0x2545F491;
    const r = (n) => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) % n; };
    const strs = ['', 'a', 'héllo', '😀x', 'a\\uD800', '\\uDC00', 'x'.repeat(300), 'ü'.repeat(70), '\\uFFFD', 'tab\\tnl\\n', '0', '12', '4294967295', '-1', '01'];
    const nums = [0, -0, 1.5, -2, NaN, Infinity, -Infinity, 2 ** 53, 5e-324, 123456789];
    const leaf = () => {
        switch (r(16)) {
            case 0: return undefined;
            case 1: return null;
            case 2: return r(2) === 1;
            case 3: return nums[r(nums.length)];
            case 4: return strs[r(strs.length)];
            case 5: return [0n, -1n, 255n, -256n, 2n ** 70n][r(5)];
            case 6: return new Date(r(2) ? 1.7e12 + r(1000) : NaN);
            case 7: return new RegExp('a' + strs[r(4)], ['', 'g', 'gimsuy', 'd'][r(4)]);
            case 8: return new Uint8Array(Array.from({ length: r(40) }, () => r(256))).buffer;
            case 9: { const b = new ArrayBuffer(24); return [new Int16Array(b, 2 * r(4), r(4)), new DataView(b, r(8), r(8)), new Float64Array(b, 8, 1), new BigInt64Array(b, 0, 2)][r(4)]; }
            case 10: return new Blob([strs[r(strs.length)]], { type: ['', 'text/plain', 'X/Y'][r(3)] });
            case 11: return new File(['f'.repeat(r(30))], strs[r(strs.length)], { lastModified: r(1e6) });
            case 12: return [new Number(nums[r(nums.length)]), new String(strs[r(strs.length)]), new Boolean(r(2) === 1), Object(BigInt(r(1000) - 500))][r(4)];
            case 13: { const e = new [Error, TypeError, RangeError][r(3)](strs[r(strs.length)]); if (r(2)) e.stack = undefined; return e; }
            default: return r(1000);
        }
    };
    const made = [];
    const value = (d) => {
        if (d > 4 || r(3) === 0) return made.length && r(8) === 0 ? made[r(made.length)] : leaf();
        let v;
        switch (r(6)) {
            case 0: { v = {}; for (let k = r(5); k > 0; k--) v[strs[r(strs.length)]] = value(d + 1); break; }
            case 1: { v = []; for (let k = r(5); k > 0; k--) v.push(value(d + 1)); if (r(3) === 0) v[r(9)] = value(d + 1); if (r(4) === 0) v.extra = 1; if (r(4) === 0) delete v[0]; break; }
            case 2: { v = new Map(); for (let k = r(4); k > 0; k--) v.set(value(d + 1), value(d + 1)); break; }
            case 3: { v = new Set(); for (let k = r(4); k > 0; k--) v.add(value(d + 1)); break; }
            case 4: { v = Array.from({ length: 5 + r(60) }, () => (r(4) ? r(1e6) / 7 : value(d + 1))); break; }
            default: { v = { self: null, n: r(100) }; if (r(2)) v.self = v; break; }
        }
        made.push(v);
        return v;
    };
    const out = [];
    for (let i = 0; i < 400; i++) { made.length = 0; out.push(value(0)); }
    return out;
})()";

/// The JavaScript page encoder writes exactly the engine's encoding of
/// what `ToValue` reads: every value type, as given and as IndexedDB
/// returns it, and random values; bodies are left out only where allowed.
#[wasm_bindgen_test]
async fn page_encoder_matches_the_engine() {
    let enc = PageEncoder::new().expect("new Function is allowed here");
    let db = fresh_db("t-encoder", "db.createObjectStore('s')").await;
    let given: Vec<JsValue> = VALUES.iter().map(|s| js(s)).collect();
    let pairs: Vec<(JsValue, JsValue)> = given
        .iter()
        .enumerate()
        .map(|(i, v)| (JsValue::from_f64(i as f64), v.clone()))
        .collect();
    put_all(&db, "s", &pairs).await;
    let (_, stored) = get_all(&db, "s").await;
    db.close();
    let random = Array::from(&js(RANDOM_VALUES));
    for (what, values) in [
        ("given", given.iter().collect::<Array>()),
        ("stored", stored),
        ("random", random),
    ] {
        for threshold in [0usize, 16, 65536] {
            let page = match enc.encode(&values, threshold).unwrap() {
                Ok(p) => p,
                Err(f) => panic!("{what}: value {} fails: {}", f.index, f.error.0.message),
            };
            assert_eq!(page.ends.len(), values.length() as usize);
            for i in 0..values.length() as usize {
                let expected = encode_value(&to_value(&values.get(i as u32))).unwrap();
                assert_eq!(
                    assemble(&page, i, threshold),
                    expected,
                    "{what} value {i} (threshold {threshold})"
                );
            }
        }
    }
}

/// Values a backup cannot hold fail in the page encoder with the error
/// `ToValue` gives, naming the value's place in the page.
#[wasm_bindgen_test]
fn page_encoder_refuses_what_to_value_refuses() {
    let enc = PageEncoder::new().expect("new Function is allowed here");
    let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
    for (src, ok) in [
        ("() => 1".to_owned(), false),
        ("{ f: Symbol('s') }".to_owned(), false),
        ("new WeakMap()".to_owned(), false),
        ("[1, { a: new WeakSet() }]".to_owned(), false),
        (deep(200), true),
        (deep(201), false),
    ] {
        let v = js(&src);
        let page = enc.encode(&Array::of2(&JsValue::NULL, &v), 65536).unwrap();
        let mut read = |b: &web_sys::Blob| {
            coffer_worker::browser::blobio::read_blob_bytes(b)
                .map(coffer_engine::model::Binary::Inline)
        };
        let rust = ToValue::new(&mut read).convert(&v);
        match (page, rust) {
            (Ok(p), Ok(model)) if ok => {
                assert_eq!(
                    assemble(&p, 1, 65536),
                    encode_value(&model).unwrap(),
                    "{src}"
                )
            }
            (Err(f), Err(e)) if !ok => {
                assert_eq!(f.index, 1, "{src}");
                assert_eq!(f.error.code(), e.code(), "{src}");
                assert_eq!(f.error.0.message, e.0.message, "{src}");
            }
            (p, r) => panic!("{src}: encoder ok {}, ToValue ok {}", p.is_ok(), r.is_ok()),
        }
    }
}

/// Backups still work where `new Function` is forbidden: values then go
/// through `ToValue` one by one, and restore the same.
#[wasm_bindgen_test]
async fn backups_without_the_page_encoder_round_trip() {
    let db = fresh_db("t-fallback", "db.createObjectStore('s')").await;
    put_all(&db, "s", &value_pairs()).await;
    let (_, before) = get_all(&db, "s").await;
    db.close();
    backup::set_page_encoder(false);
    let blob = backup_of("t-fallback", &["s"]).await;
    backup::set_page_encoder(true);
    let with_encoder = backup_of("t-fallback", &["s"]).await;
    // Same records either way (the archives differ only in nothing: same
    // time, same data).
    let a = coffer_worker::browser::blobio::read_blob_bytes(&blob).unwrap();
    let b = coffer_worker::browser::blobio::read_blob_bytes(&with_encoder).unwrap();
    assert_eq!(a, b, "both paths write the same archive");
    idb::delete_database("t-fallback").await.unwrap();
    restore_from(blob, "t-fallback", &["s"]).await;
    let db = idb::open("t-fallback").await.unwrap();
    let (_, after) = get_all(&db, "s").await;
    db.close();
    assert_eq!(after.length(), before.length());
    for i in 0..before.length() {
        assert_eq!(
            encode_value(&to_value(&after.get(i))).unwrap(),
            encode_value(&to_value(&before.get(i))).unwrap(),
            "{}",
            VALUES[i as usize]
        );
    }
}
