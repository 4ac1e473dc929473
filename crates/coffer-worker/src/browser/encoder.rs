//! Encoding a page of records in JavaScript (`encode.js`).
//!
//! Converting a value with [`crate::browser::convert::ToValue`] crosses between wasm
//! and JavaScript for every property, string and number, which made that
//! conversion the largest part of a backup's time. [`PageEncoder`] runs the
//! same encoding (FORMAT.md §4.3) in JavaScript over a whole page and hands
//! wasm one buffer; the engine checks every value
//! (`BackupWriter::add_encoded_record`), so a fault here is refused, never
//! written.
//!
//! The encoder is compiled with `new Function`, which a Content Security
//! Policy without `'unsafe-eval'` forbids; backups then use `ToValue`.

use js_sys::{Array, Function, Uint32Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{AppError, AppResult};
use coffer_protocol::ErrorCode;

/// The encoder's source: the body of a function returning
/// `[encodePage, splitRecords]`.
const SOURCE: &str = include_str!("encode.js");

/// A page of values, encoded ([`PageEncoder::encode`]).
pub struct EncodedPage {
    /// The values' encodings, one after the other, bodies left out.
    pub bytes: Vec<u8>,
    /// Where each value's encoding ends in `bytes`.
    pub ends: Vec<u32>,
    /// Offsets in `bytes` where a body belongs, ascending.
    pub holes: Vec<u32>,
    /// The body of each hole: a `Blob`, or a `Uint8Array` of bytes.
    pub bodies: Array,
}

/// Why a value of a page could not be encoded.
pub struct EncodeFailure {
    /// The value's index in the page.
    pub index: u32,
    /// What went wrong.
    pub error: AppError,
}

/// The JavaScript page encoder.
pub struct PageEncoder {
    encode_page: Function,
    split_records: Function,
}

impl PageEncoder {
    /// Compiles the encoder; `None` where the page's policy forbids it.
    pub fn new() -> Option<PageEncoder> {
        let factory = Function::new_no_args(SOURCE);
        let made = Array::from(&factory.call0(&JsValue::NULL).ok()?);
        Some(PageEncoder {
            encode_page: made.get(0).dyn_into().ok()?,
            split_records: made.get(1).dyn_into().ok()?,
        })
    }

    /// The primary keys and the values of `records` (`IDBRecord`s, as
    /// `getAllRecords` gives them).
    pub fn split(&self, records: &JsValue) -> AppResult<(Array, Array)> {
        let out = self
            .split_records
            .call1(&JsValue::NULL, records)
            .map_err(|e| AppError::js("cannot read records", e))?;
        let out = Array::from(&out);
        Ok((out.get(0).into(), out.get(1).into()))
    }

    /// Encodes `values`, leaving out every Blob body and every other body
    /// longer than `threshold` bytes.
    pub fn encode(
        &self,
        values: &Array,
        threshold: usize,
    ) -> AppResult<Result<EncodedPage, EncodeFailure>> {
        let out = self
            .encode_page
            .call2(&JsValue::NULL, values, &JsValue::from_f64(threshold as f64))
            .map_err(|e| AppError::js("cannot encode records", e))?;
        let out = Array::from(&out);
        let bytes = out.get(0);
        if bytes.is_null() {
            let index = out.get(1).as_f64().unwrap_or(0.0) as u32;
            let message = out.get(2).as_string().unwrap_or_default();
            let error = if out.get(3).is_truthy() {
                AppError::new(ErrorCode::UnsupportedValue, message)
            } else {
                AppError::new(
                    ErrorCode::BrowserError,
                    format!("cannot encode a record: {message}"),
                )
            };
            return Ok(Err(EncodeFailure { index, error }));
        }
        Ok(Ok(EncodedPage {
            bytes: bytes.unchecked_into::<Uint8Array>().to_vec(),
            ends: out.get(1).unchecked_into::<Uint32Array>().to_vec(),
            holes: out.get(2).unchecked_into::<Uint32Array>().to_vec(),
            bodies: out.get(3).unchecked_into(),
        }))
    }
}
