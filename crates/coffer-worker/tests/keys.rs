//! wasm-bindgen tests (a dedicated worker of headless Chromium) of the
//! master key against the encrypted-store API: a value written while a
//! key replacement re-seals its store is sealed under the key that stays.
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use coffer_engine::envelope::envelope_key_id;
use coffer_protocol::{KeySource, Phase};
use coffer_worker::browser::idb;
use coffer_worker::{keys, stores, Reporter};
use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn value(i: u32) -> JsValue {
    let o = js_sys::Object::new();
    let _ = Reflect::set(&o, &"i".into(), &JsValue::from(i));
    let _ = Reflect::set(&o, &"pad".into(), &JsValue::from_str(&"p".repeat(1000)));
    o.into()
}

async fn pause(ms: i32) {
    let p = js_sys::Promise::new(&mut |ok, _| {
        let g: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let _ = g.set_timeout_with_callback_and_timeout_and_arguments_0(&ok, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
}

/// A `put` (from this or another tab) arrives while a key replacement
/// re-seals: it must not be sealed under the key being replaced (which is
/// gone once the replacement ends), or the record never opens again and
/// every later backup refuses it. Here the put goes to a database that the
/// replacement has already re-sealed, while it re-seals the next one (whose
/// stores it reads and writes one after the other, so the put's own
/// requests run in between).
#[wasm_bindgen_test]
async fn a_put_during_a_key_replacement_is_sealed_under_the_key_that_stays() {
    let store = "vault";
    let (first, second) = ("t-key-race-a", "t-key-race-b");
    // Re-sealed in name order: `first` (50 records), then the 12 stores of
    // `second` (40 records each).
    let fill = |db: &'static str, store: String, n: u32| async move {
        stores::create_encrypted_store(db, &store).await.unwrap();
        for i in 0..n {
            stores::put(
                db,
                &store,
                &JsValue::from_str(&format!("k{i:04}")),
                &value(i),
            )
            .await
            .unwrap();
        }
    };
    fill(first, store.to_owned(), 50).await;
    let others: Vec<String> = (0..12).map(|i| format!("s{i:02}")).collect();
    for s in &others {
        fill(second, s.clone(), 40).await;
    }
    // While `second` is re-sealed, a put into `first` starts.
    let result: Rc<RefCell<Option<Result<(), String>>>> = Rc::default();
    let started = Rc::new(Cell::new(false));
    let rep = {
        let (result, started) = (result.clone(), started.clone());
        Reporter::observed(move |phase, p| {
            if phase != Phase::Resealing || p.done_records <= 50 || started.replace(true) {
                return;
            }
            let result = result.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let r = stores::put(first, store, &JsValue::from_str("late"), &value(9999)).await;
                *result.borrow_mut() = Some(r.map_err(|e| e.to_string()));
            });
        })
    };
    let replaced = keys::replace_key(&KeySource::Generate, 0.0, &rep)
        .await
        .unwrap();
    assert!(started.get(), "the replacement re-sealed records");
    for _ in 0..200 {
        if result.borrow().is_some() {
            break;
        }
        pause(25).await;
    }
    let put = result.borrow_mut().take().expect("the put ended");
    assert_eq!(put, Ok(()));
    // The value opens, and every envelope is under the new key.
    let got = stores::get(first, store, &JsValue::from_str("late"))
        .await
        .map_err(|e| e.to_string())
        .expect("the value written during the replacement opens")
        .expect("it is there");
    assert_eq!(
        Reflect::get(&got.value, &"i".into()).unwrap().as_f64(),
        Some(9999.0)
    );
    let mut all_stores = vec![(first, store.to_owned(), 51)];
    all_stores.extend(others.iter().map(|s| (second, s.clone(), 40)));
    for (db, store, n) in all_stores {
        let conn = idb::open(db).await.unwrap();
        let tx = idb::transaction(
            &conn,
            std::slice::from_ref(&store),
            web_sys::IdbTransactionMode::Readonly,
        )
        .unwrap();
        let all = idb::req("read", tx.object_store(&store).unwrap().get_all())
            .await
            .unwrap();
        conn.close();
        let all = Array::from(&all);
        assert_eq!(all.length(), n);
        for v in all.iter() {
            let env = keys::sealed_bytes(&v).unwrap();
            assert_eq!(
                envelope_key_id(&env).unwrap().to_hex(),
                replaced.key_id,
                "every envelope of {db}/{store} is under the new key"
            );
        }
    }
}
