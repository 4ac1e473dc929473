//! The page's `localStorage`, which exists only on the page's thread: read
//! whole for a backup and replaced whole by a restore, all or nothing.
//!
//! Keys and values stay JavaScript strings here, never Rust strings, so
//! lone surrogates survive exactly (a Rust `String` would turn them into
//! U+FFFD).

use coffer_protocol::{ErrorCode, Failure, LocalStorageInfo};
use js_sys::{Array, Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

fn storage() -> Option<JsValue> {
    let w = web_sys::window()?;
    // Reading the property throws where storage is disabled.
    Reflect::get(&w, &"localStorage".into())
        .ok()
        .filter(|s| !s.is_null() && !s.is_undefined())
}

fn call(o: &JsValue, m: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(o, &m.into())?.dyn_into()?;
    f.apply(o, &args.iter().collect::<Array>())
}

fn failure(what: &str, e: &JsValue) -> Failure {
    let name = Reflect::get(e, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    let msg = Reflect::get(e, &"message".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    Failure::new(
        ErrorCode::from_dom_exception(&name),
        format!("{what}: {name}: {msg}"),
    )
    .about("localStorage")
}

/// Whether this page has a localStorage.
pub fn available() -> bool {
    storage().is_some()
}

/// Every item, as an array of `[key, value]` (exact JS strings).
pub fn read_all() -> Result<Array, Failure> {
    let s = storage().ok_or_else(|| {
        Failure::new(
            ErrorCode::BrowserUnsupported,
            "localStorage is not available on this page",
        )
    })?;
    let fail = |e: JsValue| failure("cannot read localStorage", &e);
    let n = Reflect::get(&s, &"length".into())
        .map_err(fail)?
        .as_f64()
        .unwrap_or(0.0) as u32;
    let out = Array::new();
    for i in 0..n {
        let k = call(&s, "key", &[JsValue::from(i)]).map_err(fail)?;
        if k.is_null() {
            continue;
        }
        let v = call(&s, "getItem", std::slice::from_ref(&k)).map_err(fail)?;
        out.push(&[k, v].iter().collect::<Array>());
    }
    Ok(out)
}

/// Items and bytes (UTF-16, as browsers count the quota).
pub fn info() -> Option<LocalStorageInfo> {
    let all = read_all().ok()?;
    let mut bytes = 0u64;
    for pair in all.iter() {
        let p = Array::from(&pair);
        for x in [p.get(0), p.get(1)] {
            bytes += x.unchecked_ref::<js_sys::JsString>().length() as u64 * 2;
        }
    }
    Some(LocalStorageInfo {
        items: all.length() as u64,
        bytes,
    })
}

/// Sets `items` (an array of `[key, value]`) after clearing every other
/// item.
fn set_all(s: &JsValue, items: &Array) -> Result<(), JsValue> {
    call(s, "clear", &[])?;
    for pair in items.iter() {
        let p = Array::from(&pair);
        call(s, "setItem", &[p.get(0), p.get(1)])?;
    }
    Ok(())
}

/// Replaces all of localStorage by `items` (an array of `[key, value]`),
/// all or nothing: when a write fails midway (a `QuotaExceededError`), the
/// old items are put back and the failure is returned. Returns the number
/// of items set.
pub fn replace_all(items: &JsValue) -> Result<u64, Failure> {
    let s = storage().ok_or_else(|| {
        Failure::new(
            ErrorCode::BrowserUnsupported,
            "localStorage is not available on this page",
        )
    })?;
    if !Array::is_array(items) {
        return Err(Failure::new(
            ErrorCode::Protocol,
            "the engine worker sent no localStorage items",
        ));
    }
    let items = Array::from(items);
    let old = read_all()?;
    if let Err(e) = set_all(&s, &items) {
        let f = failure("cannot restore localStorage; it was left as it was", &e);
        if let Err(again) = set_all(&s, &old) {
            return Err(failure(
                "cannot restore localStorage, nor put its old items back",
                &again,
            ));
        }
        return Err(f);
    }
    Ok(items.length() as u64)
}
