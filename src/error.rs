//! The app's error: a stable machine-readable code plus a sentence for
//! people. Engine errors keep their code; browser errors get `browser-*`
//! codes. Messages never contain key material.

use std::fmt;

use wasm_bindgen::{JsCast, JsValue};

/// An error the UI can show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppError {
    /// Machine-readable code, e.g. `wrong-passphrase` or `browser-constraint`.
    pub code: String,
    /// A human-readable sentence.
    pub message: String,
}

/// The app's result type.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// An error with the given code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        AppError {
            code: code.into(),
            message: message.into(),
        }
    }

    /// A browser API failed; `what` says what was being done.
    pub fn js(what: &str, e: JsValue) -> Self {
        let (name, msg) = describe_js_error(&e);
        let code = match name.as_str() {
            "ConstraintError" => "browser-constraint",
            "QuotaExceededError" => "browser-quota",
            "AbortError" => "browser-aborted",
            "VersionError" => "browser-version",
            "DataError" | "DataCloneError" => "browser-data",
            "NotFoundError" => "browser-not-found",
            _ => "browser-error",
        };
        AppError::new(
            code,
            format!(
                "{what}: {name}{}{msg}",
                if msg.is_empty() { "" } else { ": " }
            ),
        )
    }
}

/// Name and message of a thrown JS value (DOMException, Error or other).
pub fn describe_js_error(e: &JsValue) -> (String, String) {
    if let Some(d) = e.dyn_ref::<web_sys::DomException>() {
        return (d.name(), d.message());
    }
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return (String::from(err.name()), String::from(err.message()));
    }
    if let Some(ev) = e.dyn_ref::<web_sys::Event>() {
        // An IDB error event: report its target's error.
        if let Some(t) = ev.target() {
            if let Ok(err) = js_sys::Reflect::get(&t, &JsValue::from_str("error")) {
                if !err.is_null() && !err.is_undefined() {
                    return describe_js_error(&err);
                }
            }
        }
        return (ev.type_(), String::new());
    }
    (
        "Error".into(),
        e.as_string().unwrap_or_else(|| format!("{e:?}")),
    )
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}

impl From<coffer_engine::Error> for AppError {
    fn from(e: coffer_engine::Error) -> Self {
        AppError::new(e.code(), e.to_string())
    }
}

impl From<AppError> for coffer_engine::Error {
    fn from(e: AppError) -> Self {
        coffer_engine::Error::Io(std::io::Error::other(e.message))
    }
}
