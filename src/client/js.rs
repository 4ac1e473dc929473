//! JavaScript-facing shapes: one serializer for every object handed to
//! scripts (results, event details, `onProgress` arguments), and the
//! `Error` a failure becomes. Field names are camelCase by the protocol
//! types' serde attributes; numbers stay numbers. The serializer is
//! `serde_json` (which the protocol needs anyway) and `JSON.parse`.

use coffer_protocol::{ErrorCode, Failure, Phase, ProgressInfo};
use serde::Serialize;
use wasm_bindgen::JsValue;

/// `v` as a plain JavaScript object (64-bit integers as numbers, `None`
/// as `null`).
pub fn to_js<T: Serialize + ?Sized>(v: &T) -> JsValue {
    serde_json::to_string(v)
        .ok()
        .and_then(|s| js_sys::JSON::parse(&s).ok())
        .unwrap_or(JsValue::NULL)
}

/// The detail of a `coffer-progress` event and the argument of
/// `onProgress` callbacks: `{phase, doneBytes, totalBytes, doneRecords,
/// totalRecords}`.
#[derive(Serialize)]
pub struct ProgressDetail<'a> {
    /// `reading`, `writing`, `verifying`, `restoring` or `resealing`.
    pub phase: Phase,
    /// The figures.
    #[serde(flatten)]
    pub progress: &'a ProgressInfo,
}

/// The detail of a `coffer-error` event: `{code, message}`.
#[derive(Serialize)]
pub struct ErrorDetail<'a> {
    /// The code.
    pub code: ErrorCode,
    /// The English message.
    pub message: &'a str,
}

/// A JavaScript `Error` for `f`: `name` is `AbortError` for cancellations
/// and `CofferError` otherwise; `code` is the code's text, and `keyId` is
/// set when the failure names a key.
pub fn error(f: &Failure) -> JsValue {
    let err = js_sys::Error::new(&f.message);
    err.set_name(if f.code == ErrorCode::Cancelled {
        "AbortError"
    } else {
        "CofferError"
    });
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&err, &k.into(), &v);
    };
    set("code", f.code.as_str().into());
    if let Some(k) = &f.key_id {
        set("keyId", k.as_str().into());
    }
    err.into()
}

/// Sets `name` on a JS object (`Blob.name`, `Blob.keyId`, …).
pub fn set(target: &JsValue, name: &str, value: impl Into<JsValue>) {
    let _ = js_sys::Reflect::set(target, &name.into(), &value.into());
}
