//! Small helpers for calling browser APIs by name (the origin private file
//! system and Cache Storage are used through these rather than through
//! web-sys bindings, several of which are unstable).

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::error::{AppError, AppResult};

/// `o[k]` (undefined when absent).
pub fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

/// `o[method](...args)`; what it throws is the error.
pub fn call(o: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = get(o, method).dyn_into().map_err(|_| {
        JsValue::from(js_sys::TypeError::new(&format!(
            "{method} is not a function"
        )))
    })?;
    f.apply(o, &args.iter().collect::<js_sys::Array>())
}

/// `await o[method](...args)`.
pub async fn call_await(o: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let r = call(o, method, args)?;
    match r.dyn_into::<Promise>() {
        Ok(p) => JsFuture::from(p).await,
        Err(v) => Ok(v),
    }
}

/// A plain object `{k: v, …}`.
pub fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

/// The worker's global object.
pub fn global() -> JsValue {
    js_sys::global().into()
}

/// `name` of a thrown DOMException or Error.
pub fn error_name(e: &JsValue) -> String {
    crate::error::describe_js_error(e).0
}

/// Waits `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        let _ = call(
            &global(),
            "setTimeout",
            &[resolve.into(), JsValue::from(ms)],
        );
    });
    let _ = JsFuture::from(p).await;
}

/// Every value of an async iterator (`for await`).
pub async fn collect_async(iter: &JsValue) -> Result<Vec<JsValue>, JsValue> {
    let mut out = Vec::new();
    loop {
        let step = call_await(iter, "next", &[]).await?;
        if get(&step, "done").is_truthy() {
            return Ok(out);
        }
        out.push(get(&step, "value"));
    }
}

/// An [`AppError`] for a browser API failure, with what was being done.
pub fn fail(what: &str) -> impl Fn(JsValue) -> AppError + '_ {
    move |e| AppError::js(what, e)
}

/// Whether the browser has `global[name]`.
pub fn has_global(name: &str) -> bool {
    !get(&global(), name).is_undefined()
}

/// `navigator.storage`, if there is one.
pub fn storage_manager() -> AppResult<JsValue> {
    let s = get(&get(&global(), "navigator"), "storage");
    if s.is_undefined() {
        return Err(AppError::new(
            coffer_protocol::ErrorCode::BrowserUnsupported,
            "navigator.storage is not available",
        ));
    }
    Ok(s)
}
