//! wasm-bindgen tests (a dedicated worker of headless Chromium) of
//! structured-clone conversion: every value and key type round-trips through IndexedDB and the engine's value model, and converted values hand over their buffers for transfer.
#![cfg(target_arch = "wasm32")]

mod common;

use coffer_engine::codec::{encode_key, encode_value};
use coffer_engine::model::{JsString, Value, ViewBuffer, ViewKind};
use coffer_engine::Key;
use coffer_worker::browser::convert::{js_to_key, key_to_js, ToJs};
use common::*;
use js_sys::{Array, Function, Reflect};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
async fn every_value_type_round_trips_through_indexeddb() {
    let db = fresh_db("t-values", "db.createObjectStore('s')").await;
    put_all(&db, "s", &value_pairs()).await;
    let (_, stored) = get_all(&db, "s").await;
    // JS -> model -> JS -> IndexedDB -> model must be bit-identical.
    let mut again = Vec::new();
    let mut originals = Vec::new();
    for (i, v) in stored.iter().enumerate() {
        let model = to_value(&v);
        let back = ToJs::inline()
            .convert(&model)
            .unwrap_or_else(|e| panic!("{}: {e}", VALUES[i]));
        again.push((JsValue::from_f64(i as f64), back));
        originals.push(model);
    }
    put_all(&db, "s", &again).await;
    let (_, stored2) = get_all(&db, "s").await;
    for (i, v) in stored2.iter().enumerate() {
        let model = to_value(&v);
        assert_eq!(
            encode_value(&model).unwrap(),
            encode_value(&originals[i]).unwrap(),
            "{} changed in a round trip: {:?} vs {:?}",
            VALUES[i],
            model,
            originals[i]
        );
    }
    // Spot checks of the semantics.
    let n = originals.len();
    assert_eq!(
        originals[n - 2],
        Value::String(JsString::from("\u{FFFD}")),
        "a real U+FFFD stays one (well-formed)"
    );
    match &originals[n - 1] {
        Value::String(s) => assert_eq!(s.to_utf16(), vec![0xFFFD, u16::from(b'x'), 0xDBFF]),
        other => panic!("not a string: {other:?}"),
    }
    let view = &originals[14];
    match view {
        Value::View {
            byte_offset,
            byte_length,
            buffer: ViewBuffer::ArrayBuffer(b),
            ..
        } => {
            assert_eq!((*byte_offset, *byte_length, b.len()), (4, 6, 16));
        }
        other => panic!("not a view with its buffer: {other:?}"),
    }
    assert!(
        matches!(&originals[27], Value::Array { length: 7, items, props } if items.len() == 2 && props.len() == 1)
    );
    assert!(
        matches!(&originals[34], Value::Array { items, .. } if matches!(items[2].1, Value::Ref(_)))
    );
    db.close();
}

/// Issue 14: views keep their whole buffer and share it as structured
/// clone does, through the model and back (and IndexedDB in between);
/// window-only views of version-1 backups come back over a buffer of their
/// recorded length, zero outside the window.
#[wasm_bindgen_test]
async fn views_keep_their_whole_shared_buffer() {
    let db = fresh_db("t-views", "db.createObjectStore('s')").await;
    let pairs = [
        (js("1"), js(VALUES[35])),
        (js("2"), js(VALUES[36])),
        (js("3"), js(VALUES[37])),
    ];
    put_all(&db, "s", &pairs).await;
    let (_, stored) = get_all(&db, "s").await;
    let mut again = Vec::new();
    for (i, v) in stored.iter().enumerate() {
        let back = ToJs::inline().convert(&to_value(&v)).unwrap();
        again.push((JsValue::from_f64(i as f64), back));
    }
    put_all(&db, "s", &again).await;
    let (_, stored2) = get_all(&db, "s").await;
    db.close();
    let check = Function::new_with_args(
        "a, b, c",
        "const same = (x, y) => x === y;
         const bytes = (buf) => Array.from(new Uint8Array(buf)).join(',');
         const all = Array.from({ length: 64 }, (_, i) => i).join(',');
         if (!same(a.u8.buffer, a.b) || !same(a.dv.buffer, a.b) || !same(a.f.buffer, a.b)) return 'a: not shared';
         if (bytes(a.b) !== all) return 'a: buffer bytes';
         if (a.u8.byteOffset !== 8 || a.u8.length !== 56 || a.dv.byteOffset !== 4 || a.dv.byteLength !== 8
             || a.f.byteOffset !== 16 || a.f.length !== 2 || !(a.dv instanceof DataView)
             || !(a.f instanceof Float32Array)) return 'a: windows';
         if (!same(b[1].buffer, b[0]) || !same(b[2].buffer, b[0])) return 'b: not shared';
         if (bytes(b[0]) !== '1,2,3,4,5,6,7,8' || b[1].byteOffset !== 2 || b[1].length !== 2
             || b[2].byteOffset !== 8 || b[2].length !== 0) return 'b: windows';
         if (bytes(c.buffer) !== all || c.byteOffset !== 8 || c.length !== 16) return 'c: whole buffer';
         return 'ok';",
    );
    let stored2: Vec<JsValue> = stored2.iter().collect();
    let r = check
        .call3(&JsValue::NULL, &stored2[0], &stored2[1], &stored2[2])
        .unwrap();
    assert_eq!(r.as_string().as_deref(), Some("ok"));

    // The model: the buffer once, then references to it.
    let model = to_value(&stored2[1]);
    let Value::Array { items, .. } = &model else {
        panic!("not an array: {model:?}")
    };
    assert!(matches!(items[0].1, Value::ArrayBuffer(_)));
    assert!(matches!(
        items[1].1,
        Value::View {
            kind: ViewKind::Uint16,
            byte_offset: 2,
            byte_length: 4,
            buffer: ViewBuffer::Ref(1)
        }
    ));

    // A window-only view (format_version 1).
    let partial = Value::array(vec![Value::PartialView {
        kind: ViewKind::Int16,
        byte_offset: 2,
        buffer_len: 8,
        bytes: vec![1, 0].into(),
    }]);
    let back = ToJs::inline().convert(&partial).unwrap();
    let r = Function::new_with_args(
        "a",
        "const v = a[0]; return v instanceof Int16Array && v.byteOffset === 2 && v.length === 1
            && Array.from(new Uint8Array(v.buffer)).join(',') === '0,0,1,0,0,0,0,0';",
    )
    .call1(&JsValue::NULL, &back)
    .unwrap();
    assert_eq!(r.as_bool(), Some(true));
}

#[wasm_bindgen_test]
async fn converted_values_hand_over_their_buffers_for_transfer() {
    let src = js("(() => {
        const b = new Uint8Array([1, 2, 3, 4]).buffer;
        return { a: b, again: b, v: new Uint16Array([5, 6, 7]).subarray(1),
                 d: new DataView(new ArrayBuffer(3)), m: new Map([[1, new Float64Array([1.5])]]),
                 s: 'text', n: [1, 2] };
    })()");
    let model = to_value(&src);
    let mut conv = ToJs::inline();
    let back = conv.convert(&model).unwrap();
    let buffers = conv.take_buffers();
    // a (met again as a reference), v, d and the Map's array: four buffers.
    assert_eq!(buffers.len(), 4);
    assert!(conv.take_buffers().is_empty(), "taken once");
    let a = Reflect::get(&back, &"a".into()).unwrap();
    assert!(js_sys::Object::is(&a, &buffers[0]));
    assert!(js_sys::Object::is(
        &a,
        &Reflect::get(&back, &"again".into()).unwrap()
    ));
    // Posting the value with its buffers as the transfer list moves them
    // (a duplicate or foreign buffer would throw DataCloneError) and the
    // other side gets the same value.
    let list: Array = buffers.iter().collect();
    let post = Function::new_with_args(
        "v, t",
        "return new Promise((ok) => {
            const c = new MessageChannel();
            c.port2.onmessage = (e) => { c.port1.close(); c.port2.close(); ok(e.data); };
            c.port1.postMessage(v, t);
        });",
    );
    let p: js_sys::Promise = post.call2(&JsValue::NULL, &back, &list).unwrap().into();
    let received = wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
    assert!(
        buffers.iter().all(|b| b.byte_length() == 0),
        "transferred, not copied"
    );
    assert_eq!(
        encode_value(&to_value(&received)).unwrap(),
        encode_value(&model).unwrap()
    );
}

#[wasm_bindgen_test]
async fn every_key_type_round_trips() {
    let db = fresh_db("t-keys", "db.createObjectStore('s')").await;
    let keys = [
        "-Infinity",
        "-1",
        "0",
        "3.5",
        "Infinity",
        "new Date(0)",
        "new Date(-5)",
        "''",
        "'a'",
        "'a\\uDC00'",
        "'\\uFF61'",
        "'😀'",
        "new Uint8Array([]).buffer",
        "new Uint8Array([0, 255])",
        "[]",
        "[1, 'a', [new Date(1)]]",
    ];
    let pairs: Vec<(JsValue, JsValue)> =
        keys.iter().map(|k| (js(k), JsValue::from_str(k))).collect();
    put_all(&db, "s", &pairs).await;
    let (stored, _) = get_all(&db, "s").await;
    assert_eq!(stored.length() as usize, keys.len());
    let mut prev: Option<Key> = None;
    for k in stored.iter() {
        let key = js_to_key(&k).unwrap();
        let again = js_to_key(&key_to_js(&key)).unwrap();
        assert_eq!(encode_key(&key).unwrap(), encode_key(&again).unwrap());
        if let Some(p) = &prev {
            assert_eq!(
                p.idb_cmp(&key),
                std::cmp::Ordering::Less,
                "IndexedDB order = model order"
            );
        }
        prev = Some(key);
    }
    db.close();
}
