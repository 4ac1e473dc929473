//! wasm-bindgen tests (a dedicated worker of headless Chromium) of
//! backups and the overview: Blob bodies read in batches keep their places, the Blob spool gives every chunk back once, and no overview or open creates a database that is being deleted.
#![cfg(target_arch = "wasm32")]

mod common;

use coffer_worker::browser::idb::{self};
use coffer_worker::{backup, Reporter};
use common::*;
use js_sys::{Array, Function};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// Blob bodies are read in the background in batches of ~8 MiB and put
/// back in place: across pages of records, across batch flushes, several
/// per record, nested in Maps and arrays, inline and external. The backup
/// waits for reads while the snapshot must stay open (more than 16 MiB in
/// flight, and at the end of store `b`, before store `c` is read).
#[wasm_bindgen_test]
async fn blob_bodies_read_in_batches_keep_their_places() {
    let db = fresh_db(
        "t-blobs",
        "db.createObjectStore('b'); db.createObjectStore('c');",
    )
    .await;
    // 1,100 records (three pages): a Blob of 36,000 + i bytes filled with
    // i % 251, a File in a Map whose bytes are (i + 1) % 251, and every
    // 97th record a 100 KiB Blob (an external body) in an array. About
    // 18 MiB of bodies per page: two batch flushes inside every full page.
    let records = js("(() => {
        const fill = (n, b) => new Uint8Array(n).fill(b);
        const out = [];
        for (let i = 0; i < 1100; i++) {
            const v = {
                i,
                a: new Blob([fill(36000 + i, i % 251)], { type: 'x/a' }),
                m: new Map([['f', new File([fill(300, (i + 1) % 251)], 'f' + i, { lastModified: i })]]),
            };
            if (i % 97 === 0) v.big = [new Blob([fill(100 * 1024, (i + 2) % 251)])];
            out.push(v);
        }
        return out;
    })()");
    let pairs: Vec<(JsValue, JsValue)> = Array::from(&records)
        .iter()
        .enumerate()
        .map(|(i, v)| (JsValue::from_f64(i as f64), v))
        .collect();
    put_all(&db, "b", &pairs).await;
    let tail: Vec<(JsValue, JsValue)> = (0..3)
        .map(|i| {
            let v = js(&format!("[new Blob(['c{i}']), 'plain {i}']"));
            (JsValue::from_f64(f64::from(i)), v)
        })
        .collect();
    put_all(&db, "c", &tail).await;
    db.close();
    let blob = backup_of("t-blobs", &["b", "c"]).await;
    idb::delete_database("t-blobs").await.unwrap();
    restore_from(blob, "t-blobs", &["b", "c"]).await;
    let db = idb::open("t-blobs").await.unwrap();
    let (_, values) = get_all(&db, "b").await;
    let (_, tail) = get_all(&db, "c").await;
    db.close();
    assert_eq!(values.length(), 1100);
    let tail_check = Function::new_with_args(
        "values",
        "const r = new FileReaderSync();
         return values.map((v, i) => r.readAsText(v[0]) === 'c' + i && v[1] === 'plain ' + i).join();",
    );
    assert_eq!(
        tail_check.call1(&JsValue::NULL, &tail).unwrap().as_string(),
        Some("true,true,true".to_owned())
    );
    // Checked in JS: sizes, every byte, types, names.
    let check = Function::new_with_args(
        "values",
        "const r = new FileReaderSync();
         const same = (blob, n, b) => {
             const u = new Uint8Array(r.readAsArrayBuffer(blob));
             return u.length === n && u.every((x) => x === b);
         };
         for (let i = 0; i < values.length; i++) {
             const v = values[i];
             if (v.i !== i) return 'record ' + i + ' holds ' + v.i;
             if (v.a.type !== 'x/a' || !same(v.a, 36000 + i, i % 251)) return 'a of ' + i;
             const f = v.m.get('f');
             if (f.name !== 'f' + i || f.lastModified !== i || !same(f, 300, (i + 1) % 251)) return 'f of ' + i;
             if ((i % 97 === 0) !== ('big' in v)) return 'big of ' + i;
             if (v.big && !same(v.big[0], 100 * 1024, (i + 2) % 251)) return 'big body of ' + i;
         }
         return 'ok';",
    );
    assert_eq!(
        check.call1(&JsValue::NULL, &values).unwrap().as_string(),
        Some("ok".to_owned())
    );
}

/// The Blob spool packs chunks into few Blobs and gives every chunk back
/// once, whole, in any order: chunks still pending, packed ones, ones
/// bigger than a Blob, empty ones, and chunks put after others were taken.
#[wasm_bindgen_test]
fn the_blob_spool_packs_chunks_and_gives_each_back_once() {
    use coffer_engine::Spool;
    use coffer_worker::browser::blobio::BlobSpool;
    const BLOB: usize = 64 * 1024;
    let chunk = |i: usize| -> Vec<u8> {
        let len = match i % 50 {
            0 => BLOB + 1000 + i, // bigger than a Blob
            7 => 0,
            _ => 500 + (i * 37) % 3000,
        };
        (0..len).map(|j| (i * 31 + j * 7) as u8).collect()
    };
    let mut spool = BlobSpool::new(BLOB);
    let mut ids = Vec::new();
    for i in 0..400 {
        ids.push((i, spool.put(chunk(i)).unwrap()));
    }
    let bytes: usize = (0..400).map(|i| chunk(i).len()).sum();
    let big = 400 / 50;
    assert!(
        spool.blobs_made() <= bytes / BLOB + big + 1,
        "{} Blobs for {bytes} bytes: chunks are not packed",
        spool.blobs_made()
    );
    // The last chunks are still pending: take one of them first.
    let (i, id) = ids.remove(ids.len() - 2);
    assert_eq!(spool.take(id).unwrap(), chunk(i));
    // Every other one, in a scrambled order, with new chunks put halfway.
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by_key(|&k| (k * 7919) % ids.len());
    for (n, &k) in order.iter().enumerate() {
        let (i, id) = ids[k];
        assert_eq!(spool.take(id).unwrap(), chunk(i), "chunk {i}");
        if n == order.len() / 2 {
            let later: Vec<(usize, usize)> = (400..420)
                .map(|i| (i, spool.put(chunk(i)).unwrap()))
                .collect();
            for (i, id) in later.into_iter().rev() {
                assert_eq!(spool.take(id).unwrap(), chunk(i), "chunk {i}");
            }
        }
    }
    // An empty chunk waiting alone, then one bigger than a Blob: each keeps
    // its own place.
    let empty = spool.put(Vec::new()).unwrap();
    let big = spool.put(chunk(50)).unwrap();
    let small = spool.put(chunk(1)).unwrap();
    assert_eq!(spool.take(empty).unwrap(), Vec::<u8>::new());
    assert_eq!(spool.take(big).unwrap(), chunk(50));
    assert_eq!(spool.take(small).unwrap(), chunk(1));
    // Each chunk is given back once.
    assert!(spool.take(ids[0].1).is_err());
    assert!(spool.take(9999).is_err());
}

#[wasm_bindgen_test]
async fn a_database_deleted_meanwhile_is_never_created_again() {
    // `indexedDB.open` creates a missing database; Coffer's opens must not,
    // or a census racing the app's deletion brings the database back.
    assert!(idb::open_existing("coffer-test-never-made")
        .await
        .unwrap()
        .is_none());
    assert_eq!(version_of("coffer-test-never-made").await, None);
    let err = idb::open("coffer-test-never-made").await.unwrap_err();
    assert_eq!(err.code(), coffer_protocol::ErrorCode::BrowserNotFound);
    assert_eq!(version_of("coffer-test-never-made").await, None);

    // An open queued behind a deletion finds no database.
    let name = "coffer-test-vanishing";
    fresh_db(name, "db.createObjectStore('s');").await.close();
    let deleting = start_deleting(name);
    assert!(idb::open_existing(name).await.unwrap().is_none());
    deleting.await.unwrap();
    assert_eq!(version_of(name).await, None);

    // The overview, whether or not its listing still saw the database.
    let db = fresh_db(name, "db.createObjectStore('s');").await;
    put_all(&db, "s", &[(js("1"), js("'x'"))]).await;
    db.close();
    let deleting = start_deleting(name);
    let outcome = coffer_worker::overview::overview(&coffer_protocol::Scope::all())
        .await
        .unwrap();
    deleting.await.unwrap();
    let databases = outcome.databases;
    assert!(databases
        .iter()
        .all(|d| d.name != name || d.stores.len() == 1));
    assert_eq!(
        version_of(name).await,
        None,
        "the overview created it again"
    );
}

/// Issue 13: a backup whose spool cannot keep its data (the browser has no
/// room left for Blob data; injected, since no DevTools setting limits it)
/// fails with a clear quota error naming the space, and offers no file.
#[wasm_bindgen_test]
async fn a_backup_whose_spool_cannot_be_written_fails_with_a_quota_error() {
    use coffer_worker::browser::blobio::limit_spool;
    let db = fresh_db("t-spool", "db.createObjectStore('bin')").await;
    put_values(&db, "bin", std::iter::empty::<String>()).await;
    let pairs: Vec<(JsValue, JsValue)> = (0..96)
        .map(|i| {
            (
                JsValue::from_f64(f64::from(i)),
                js("(() => { const b = new Uint8Array(65536); crypto.getRandomValues(b); return b; })()"),
            )
        })
        .collect();
    put_all(&db, "bin", &pairs).await;
    db.close();
    limit_spool(Some(1 << 20));
    let r = backup::backup(
        &backup_req(select("t-spool", &["bin"])),
        &JsValue::UNDEFINED,
        &Reporter::silent(),
    )
    .await;
    limit_spool(None);
    let err = r.expect_err("the spool is full");
    assert_eq!(
        err.code(),
        coffer_protocol::ErrorCode::BrowserQuota,
        "{err:?}"
    );
    assert!(err.0.bytes.is_some_and(|b| b >= 1 << 20), "{err:?}");
    // With room again, the same backup works.
    let blob = backup_of("t-spool", &["bin"]).await;
    assert!(blob.size() > 6e6);
}

/// Issue 14: a database, store or index name (or key path) with a lone
/// surrogate reaches wasm altered (U+FFFD), so a backup that selects it is
/// refused with `unsupported-value` naming it, never written altered; the
/// database's other stores still back up.
#[wasm_bindgen_test]
async fn names_with_lone_surrogates_are_refused_at_backup() {
    use coffer_protocol::ErrorCode;
    let name = "coffer-test-lone-names";
    fresh_db(
        name,
        "db.createObjectStore('ok');
         db.createObjectStore('s\\uD800');
         db.createObjectStore('t').createIndex('i\\uDC00', 'k');",
    )
    .await
    .close();
    let e = refused(name, &["ok", "s\u{FFFD}"]).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::UnsupportedValue);
    assert_eq!(
        e.0.subject.as_deref(),
        Some("coffer-test-lone-names/s\u{FFFD}")
    );
    assert!(
        e.0.message.contains("store \"s\u{FFFD}\""),
        "{}",
        e.0.message
    );
    assert!(e.0.message.contains("lone surrogate"), "{}", e.0.message);
    let e = refused(name, &["t"]).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::UnsupportedValue);
    assert_eq!(e.0.subject.as_deref(), Some("coffer-test-lone-names/t"));
    assert!(
        e.0.message.contains("index \"i\u{FFFD}\""),
        "{}",
        e.0.message
    );
    // (Chromium refuses a key path with a lone surrogate when it is made,
    // so that check is covered natively only.)
    // The overview still lists the database, the odd store without counts.
    let seen = coffer_worker::overview::overview(&coffer_protocol::Scope::all())
        .await
        .expect("the overview copes with names it cannot pass back");
    let db = seen
        .databases
        .iter()
        .find(|d| d.name == name)
        .expect("listed");
    assert_eq!(db.stores.len(), 3);
    refused(name, &["ok"])
        .await
        .expect("the other stores back up");

    // A database's own name.
    let made: js_sys::Promise = js("new Promise((ok, no) => {
        const r = indexedDB.open('coffer-test-lone-\\uD800');
        r.onupgradeneeded = () => r.result.createObjectStore('s');
        r.onsuccess = () => { r.result.close(); ok(); };
        r.onerror = () => no(r.error);
    })")
    .into();
    wasm_bindgen_futures::JsFuture::from(made).await.unwrap();
    let e = backup::backup(
        &backup_req(select("coffer-test-lone-\u{FFFD}", &["s"])),
        &JsValue::UNDEFINED,
        &Reporter::silent(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::UnsupportedValue);
    assert_eq!(e.0.subject.as_deref(), Some("coffer-test-lone-\u{FFFD}"));
    assert!(
        e.0.message
            .contains("database \"coffer-test-lone-\u{FFFD}\""),
        "{}",
        e.0.message
    );
    assert!(
        !idb::databases()
            .await
            .unwrap()
            .iter()
            .any(|(n, _, exact)| n == "coffer-test-lone-\u{FFFD}" && *exact),
        "the altered name was never opened (which would create it)"
    );
    let gone: js_sys::Promise = js("new Promise((ok) => {
        const r = indexedDB.deleteDatabase('coffer-test-lone-\\uD800');
        r.onsuccess = r.onerror = () => ok();
    })")
    .into();
    wasm_bindgen_futures::JsFuture::from(gone).await.unwrap();
}

/// Backs up `stores` of `db`, giving the error.
async fn refused(db: &str, stores: &[&str]) -> Result<(), coffer_worker::error::AppError> {
    backup::backup(
        &backup_req(select(db, stores)),
        &JsValue::UNDEFINED,
        &Reporter::silent(),
    )
    .await
    .map(|_| ())
}
