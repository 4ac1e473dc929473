//! The origin's storage quota, as `navigator.storage.estimate()` tells it
//! in the worker: a restore that cannot fit fails before it writes, naming
//! the space it needs.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Bytes the origin may still write (`quota - usage`), if the browser says.
pub async fn available() -> Option<u64> {
    let nav = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let storage = js_sys::Reflect::get(&nav, &"storage".into()).ok()?;
    let estimate: js_sys::Function = js_sys::Reflect::get(&storage, &"estimate".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let p: js_sys::Promise = estimate.call0(&storage).ok()?.dyn_into().ok()?;
    let e = JsFuture::from(p).await.ok()?;
    let get = |k: &str| -> Option<f64> {
        js_sys::Reflect::get(&e, &JsValue::from_str(k))
            .ok()?
            .as_f64()
    };
    let (quota, usage) = (get("quota")?, get("usage")?);
    Some((quota - usage).max(0.0) as u64)
}
