//! Helpers shared by the worker's browser tests: databases made from a JS
//! setup snippet, records put and read, values of every type, and backups
//! and restores without progress.
#![allow(dead_code)]

use coffer_engine::model::{StoreSchema, Value};
use coffer_protocol::{Backup, Restore, SelectedDb, Selection};
use coffer_worker::browser::convert::ToValue;
use coffer_worker::browser::idb::{self, Opened};
use coffer_worker::{backup, restore, Reporter};
use js_sys::{Array, Function};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::IdbTransactionMode;

pub fn js(src: &str) -> JsValue {
    Function::new_no_args(&format!("return ({src});"))
        .call0(&JsValue::NULL)
        .expect("test expression evaluates")
}

pub async fn fresh_db(name: &str, setup: &str) -> web_sys::IdbDatabase {
    let _ = idb::delete_database(name).await;
    let Ok(Opened::Upgrade { db, request, .. }) = idb::open_versioned(name, 1.0, || {}).await
    else {
        panic!("new database must upgrade");
    };
    let f = Function::new_with_args("db", setup);
    f.call1(&JsValue::NULL, &db).expect("schema setup runs");
    idb::finish_open(&request).await.expect("upgrade commits");
    db
}

pub async fn put_all(db: &web_sys::IdbDatabase, store: &str, pairs: &[(JsValue, JsValue)]) {
    let tx = idb::transaction(db, &[store.to_owned()], IdbTransactionMode::Readwrite).unwrap();
    let st = tx.object_store(store).unwrap();
    for (k, v) in pairs {
        st.put_with_key(v, k).unwrap();
    }
    idb::done(&tx).await.unwrap();
}

/// Puts each JS expression of `values` into `store` (in-line or generated
/// keys), in one transaction.
pub async fn put_values(
    db: &web_sys::IdbDatabase,
    store: &str,
    values: impl IntoIterator<Item = String>,
) {
    let tx = idb::transaction(db, &[store.to_owned()], IdbTransactionMode::Readwrite).unwrap();
    let st = tx.object_store(store).unwrap();
    for v in values {
        st.put(&js(&v)).unwrap();
    }
    idb::done(&tx).await.unwrap();
}

pub async fn get_all(db: &web_sys::IdbDatabase, store: &str) -> (Array, Array) {
    let tx = idb::transaction(db, &[store.to_owned()], IdbTransactionMode::Readonly).unwrap();
    let st = tx.object_store(store).unwrap();
    let k = idb::req("keys", st.get_all_keys()).await.unwrap();
    let v = idb::req("values", st.get_all()).await.unwrap();
    (Array::from(&k), Array::from(&v))
}

pub fn to_value(v: &JsValue) -> Value {
    let mut read = |b: &web_sys::Blob| {
        coffer_worker::browser::blobio::read_blob_bytes(b).map(coffer_engine::model::Binary::Inline)
    };
    ToValue::new(&mut read).convert(v).expect("value converts")
}

pub const VALUES: &[&str] = &[
    "undefined",
    "null",
    "true",
    "-0",
    "NaN",
    "-Infinity",
    "12345678901234567890123n",
    "-5n",
    "'héllo 😀'",
    "'a\\uD800b'",
    "new Date(1700000000000)",
    "new Date(NaN)",
    "/a+b/gimsuy",
    "new Uint8Array([1,2,3]).buffer",
    "new Int16Array(new ArrayBuffer(16), 4, 3)",
    "new Uint8ClampedArray([255, 0])",
    "new Float32Array([1.5])",
    "new Float64Array([Math.PI])",
    "new BigInt64Array([-1n])",
    "new BigUint64Array([2n ** 63n])",
    "new Uint32Array([7])",
    "new Int8Array([-7])",
    "new Uint16Array([65535])",
    "new Int32Array([-1])",
    "new DataView(new ArrayBuffer(10), 2, 5)",
    "new Blob(['blob body'], { type: 'text/plain' })",
    "new File([new Uint8Array(100000)], 'x.bin', { type: 'application/octet-stream', lastModified: 5 })",
    "(() => { const a = [1, , 3]; a.length = 7; a.prop = 'p'; return a; })()",
    "{ b: 1, a: [{}, []], 2: 'two', '__proto__': 'evil' }",
    "new Map([[1, 'one'], [{k: 1}, new Set([1, 'x'])]])",
    "new Set([NaN, -0, 'a'])",
    "[new Number(4), new String('s'), new Boolean(true), Object(3n)]",
    "new TypeError('bad type')",
    "(() => { const e = new Error('custom'); e.name = 'CustomError'; return e; })()",
    "(() => { const o = { name: 'cycle' }; o.self = o; const s = { s: 1 }; return [o, s, s]; })()",
    // Issue 14: views with their whole buffer, shared with other views and
    // with an ArrayBuffer property (35), an ArrayBuffer met before its views
    // (36), and a view over part of a buffer with bytes outside it (37).
    "(() => { const b = new Uint8Array(64).map((_, i) => i).buffer; return { u8: new Uint8Array(b, 8), dv: new DataView(b, 4, 8), b, f: new Float32Array(b, 16, 2) }; })()",
    "(() => { const b = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer; return [b, new Uint16Array(b, 2, 2), new Uint8Array(b, 8)]; })()",
    "new Uint8Array(new Uint8Array(64).map((_, i) => i).buffer, 8, 16)",
    // U+FFFD itself, alone and next to a lone surrogate (which passing a
    // string to wasm also turns into U+FFFD).
    "'\\uFFFD'",
    "'\\uFFFDx\\uDBFF'",
];

/// Every value of [`VALUES`], keyed by its index.
pub fn value_pairs() -> Vec<(JsValue, JsValue)> {
    VALUES
        .iter()
        .enumerate()
        .map(|(i, src)| (JsValue::from_f64(i as f64), js(src)))
        .collect()
}

pub fn select(db: &str, stores: &[&str]) -> Selection {
    Selection {
        databases: vec![SelectedDb {
            name: db.into(),
            stores: stores.iter().map(|s| s.to_string()).collect(),
        }],
        ..Selection::default()
    }
}

/// Backs up `stores` of `db` (no passphrase, no progress) into a Blob.
pub async fn backup_of(db: &str, stores: &[&str]) -> web_sys::Blob {
    backup::backup(
        &backup_req(select(db, stores)),
        &JsValue::UNDEFINED,
        &Reporter::silent(),
    )
    .await
    .unwrap()
    .1
}

/// Restores `stores` of `db` from `blob` (no passphrase or key file).
pub async fn restore_from(blob: web_sys::Blob, db: &str, stores: &[&str]) {
    restore::restore(blob, &restore_req(select(db, stores)), &Reporter::silent())
        .await
        .unwrap();
}

pub async fn schemas(name: &str) -> Vec<StoreSchema> {
    let db = idb::open(name).await.unwrap();
    let names = idb::store_names(&db);
    let tx = idb::transaction(&db, &names, IdbTransactionMode::Readonly).unwrap();
    let out = names
        .iter()
        .map(|n| idb::read_store_schema(&tx.object_store(n).unwrap()).unwrap())
        .collect();
    db.close();
    out
}

pub async fn next_key(name: &str, store: &str, value: &str) -> f64 {
    let db = idb::open(name).await.unwrap();
    let tx = idb::transaction(&db, &[store.to_owned()], IdbTransactionMode::Readwrite).unwrap();
    let k = idb::req("add", tx.object_store(store).unwrap().add(&js(value)))
        .await
        .unwrap();
    tx.abort().unwrap();
    db.close();
    k.as_f64().unwrap()
}

/// The version of database `name`, if it exists.
pub async fn version_of(name: &str) -> Option<u64> {
    idb::database_names()
        .await
        .unwrap()
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

/// Opens a connection to `name` that notes (then obeys) any request to
/// close it for an upgrade, as an app's open connection would.
pub async fn watch_upgrades(
    name: &str,
) -> (web_sys::IdbDatabase, std::rc::Rc<std::cell::Cell<bool>>) {
    use wasm_bindgen::closure::Closure;
    let db = idb::open(name).await.unwrap();
    let asked = std::rc::Rc::new(std::cell::Cell::new(false));
    let (a, d) = (asked.clone(), db.clone());
    let f = Closure::<dyn FnMut(JsValue)>::new(move |_e: JsValue| {
        a.set(true);
        d.close();
    });
    db.set_onversionchange(Some(f.as_ref().unchecked_ref()));
    f.forget();
    (db, asked)
}

/// Starts deleting `name` without waiting: requests opening it from now on
/// queue behind the deletion. Await the future for the deletion's end.
pub fn start_deleting(name: &str) -> wasm_bindgen_futures::JsFuture {
    idb::track(&idb::factory().unwrap().delete_database(name).unwrap())
}

/// A backup request for `selection` (no passphrase, every database in
/// scope).
pub fn backup_req(selection: Selection) -> Backup {
    Backup {
        selection,
        now_ms: 1.7e12,
        ..Backup::default()
    }
}

/// A restore request for `selection` (no passphrase or key file). Many
/// tests restore backups written by the engine without a master key, which
/// carry no MAC: the request accepts unauthenticated backups.
pub fn restore_req(selection: Selection) -> Restore {
    Restore {
        selection,
        accept_unauthenticated: true,
        ..Restore::default()
    }
}
