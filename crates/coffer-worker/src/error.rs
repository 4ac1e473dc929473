//! The worker's error: a protocol [`Failure`] (typed code, English message
//! for developers, the facts the page needs to say it in the user's
//! language), made from engine errors and from what browser APIs throw.
//! Messages never contain key material.

use coffer_protocol::{ErrorCode, Failure};
use wasm_bindgen::{JsCast, JsValue};

/// An error of the worker, posted to the page as [`Failure`] (boxed:
/// results stay small, which matters for the converters' deep recursion).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppError(pub Box<Failure>);

/// The worker's result type.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// An error with the given code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError(Box::new(Failure::new(code, message)))
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    /// Names what the error is about.
    pub fn about(mut self, subject: impl Into<String>) -> Self {
        self.0.subject = Some(subject.into());
        self
    }

    /// A browser API failed; `what` says what was being done.
    pub fn js(what: &str, e: JsValue) -> Self {
        let (name, msg) = describe_js_error(&e);
        AppError::new(
            ErrorCode::from_dom_exception(&name),
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

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for AppError {}

/// The protocol failure for an engine error: its code, its message, and
/// the entry, store or key id it names.
pub fn engine_failure(e: &coffer_engine::Error) -> Failure {
    use coffer_engine::Error as E;
    let code = ErrorCode::parse(e.code()).unwrap_or(ErrorCode::InternalError);
    let f = Failure::new(code, e.to_string());
    match e {
        E::MissingEntry(n)
        | E::UnexpectedEntry(n)
        | E::DuplicateEntry(n)
        | E::UnsafeEntryName(n)
        | E::HashMismatch(n) => f.about(n.clone()),
        E::SizeMismatch { entry, .. } | E::CorruptRecord { entry, .. } => f.about(entry.clone()),
        E::RecordCountMismatch { store, .. } => f.about(store.clone()),
        E::LimitExceeded { what, .. } => f.about(what.clone()),
        E::KeyRequired(id) | E::WrongKey { expected: id, .. } => f.with_key_id(id.to_hex()),
        _ => f,
    }
}

impl From<coffer_engine::Error> for AppError {
    fn from(e: coffer_engine::Error) -> Self {
        AppError(Box::new(engine_failure(&e)))
    }
}

impl From<AppError> for coffer_engine::Error {
    fn from(e: AppError) -> Self {
        coffer_engine::Error::Io(std::io::Error::other(e.0.message.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_engine::Error as E;

    #[test]
    fn every_engine_error_keeps_its_code() {
        let key = coffer_engine::MasterKey::from_bytes([7; 32]).id();
        let all = [
            E::NotABackup("x".into()),
            E::Truncated("x".into()),
            E::Zip("x".into()),
            E::UnsupportedVersion {
                what: "backup",
                found: 9,
                supported: 1,
            },
            E::Manifest("x".into()),
            E::MissingEntry("e".into()),
            E::UnexpectedEntry("e".into()),
            E::DuplicateEntry("e".into()),
            E::UnsafeEntryName("e".into()),
            E::SizeMismatch {
                entry: "e".into(),
                expected: 1,
                actual: 2,
            },
            E::HashMismatch("e".into()),
            E::RecordCountMismatch {
                store: "d/s".into(),
                expected: 1,
                actual: 2,
            },
            E::CorruptRecord {
                entry: "e".into(),
                reason: "r".into(),
            },
            E::Unencodable("x".into()),
            E::MacMismatch,
            E::MacMissing,
            E::KeyRequired(key),
            E::WrongKey {
                expected: key,
                actual: key,
            },
            E::DecryptionFailed,
            E::WrongPassphrase("key file"),
            E::PassphraseRequired("key file"),
            E::KeyFile("x".into()),
            E::Envelope("x".into()),
            E::LimitExceeded {
                what: "w".into(),
                limit: 1,
                actual: 2,
            },
            E::Cancelled,
            E::Misuse("x".into()),
            E::Io(std::io::Error::other("x")),
        ];
        for e in &all {
            let f = engine_failure(e);
            assert_eq!(f.code.as_str(), e.code(), "{e}");
            assert_eq!(f.message, e.to_string());
        }
        assert_eq!(
            engine_failure(&E::HashMismatch("db/0.rec".into()))
                .subject
                .as_deref(),
            Some("db/0.rec")
        );
        assert_eq!(
            engine_failure(&E::KeyRequired(key)).key_id,
            Some(key.to_hex())
        );
    }
}
