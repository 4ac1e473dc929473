//! The tagged-JSON form of keys and values used by `coffer extract`
//! (FORMAT.md §8).
//!
//! JSON-native values map to themselves (`null`, booleans, finite numbers
//! other than `-0`, well-formed strings, dense arrays, plain objects with no
//! `"$"` property). Everything else is an object whose `"$"` property names
//! the type, such as `{"$": "date", "ms": 1700000000000}`. Binary bodies are
//! never inlined: the caller stores them as files and the JSON names the file.

use serde_json::{json, Map, Value as Json};

use crate::error::Result;
use crate::model::{Binary, JsString, Key, Value, ViewBuffer};

fn number(n: f64) -> Json {
    if n.is_finite() && !(n == 0.0 && n.is_sign_negative()) {
        json!(n)
    } else {
        let s = if n.is_nan() {
            "NaN"
        } else if n == f64::INFINITY {
            "Infinity"
        } else if n == f64::NEG_INFINITY {
            "-Infinity"
        } else {
            "-0"
        };
        json!({"$": "number", "v": s})
    }
}

fn ms(n: f64) -> Json {
    if n.is_finite() {
        json!(n)
    } else {
        json!(if n.is_nan() {
            "NaN"
        } else if n > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        })
    }
}

fn string(s: &JsString) -> Json {
    match s.as_str() {
        Some(s) => Json::String(s.to_owned()),
        None => json!({"$": "string", "utf16": s.to_utf16()}),
    }
}

/// The tagged JSON of a key. Binary keys are small and inlined as hex.
pub fn key_to_json(key: &Key) -> Json {
    match key {
        Key::Number(n) => number(*n),
        Key::Date(n) => json!({"$": "date", "ms": ms(*n)}),
        Key::String(s) => string(s),
        Key::Binary(b) => json!({"$": "binary", "hex": hex::encode(b)}),
        Key::Array(items) => Json::Array(items.iter().map(key_to_json).collect()),
    }
}

/// The tagged JSON of a value. `file_for` stores a binary body and returns
/// the relative path the JSON should name.
pub fn value_to_json(
    value: &Value,
    file_for: &mut dyn FnMut(&Binary) -> Result<String>,
) -> Result<Json> {
    Ok(match value {
        Value::Undefined => json!({"$": "undefined"}),
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Number(n) => number(*n),
        Value::BigInt(b) => json!({"$": "bigint", "v": b.to_decimal()}),
        Value::String(s) => string(s),
        Value::Date(n) => json!({"$": "date", "ms": ms(*n)}),
        Value::RegExp { source, flags } => {
            json!({"$": "regexp", "source": string(source), "flags": flags})
        }
        Value::ArrayBuffer(b) => array_buffer(b, file_for)?,
        Value::View {
            kind,
            byte_offset,
            byte_length,
            buffer,
        } => json!({
            "$": kind.js_name(),
            "byteOffset": byte_offset,
            "byteLength": byte_length,
            "buffer": match buffer {
                ViewBuffer::ArrayBuffer(b) => array_buffer(b, file_for)?,
                ViewBuffer::Ref(id) => json!({"$": "ref", "id": id}),
            },
        }),
        Value::PartialView {
            kind,
            byte_offset,
            buffer_len,
            bytes,
        } => json!({
            "$": kind.js_name(),
            "byteOffset": byte_offset,
            "bufferLength": buffer_len,
            "size": bytes.len(),
            "file": file_for(bytes)?,
        }),
        Value::Blob { mime, data } => {
            json!({"$": "blob", "type": string(mime), "size": data.len(), "file": file_for(data)?})
        }
        Value::File {
            name,
            mime,
            last_modified,
            data,
        } => json!({
            "$": "file",
            "name": string(name),
            "type": string(mime),
            "lastModified": ms(*last_modified),
            "size": data.len(),
            "file": file_for(data)?,
        }),
        Value::Array {
            length,
            items,
            props,
        } => {
            let dense = props.is_empty()
                && items.len() as u64 == u64::from(*length)
                && items
                    .iter()
                    .enumerate()
                    .all(|(i, (idx, _))| i as u64 == u64::from(*idx));
            if dense {
                let mut out = Vec::with_capacity(items.len());
                for (_, v) in items {
                    out.push(value_to_json(v, file_for)?);
                }
                Json::Array(out)
            } else {
                let mut its = Map::new();
                for (i, v) in items {
                    its.insert(i.to_string(), value_to_json(v, file_for)?);
                }
                json!({"$": "array", "length": length, "items": its, "props": props_json(props, file_for)?})
            }
        }
        Value::Object(props) => {
            let obj = props_json(props, file_for)?;
            if props.iter().any(|(k, _)| k.as_str() == Some("$"))
                || props.iter().any(|(k, _)| k.as_str().is_none())
            {
                json!({"$": "object", "props": obj})
            } else {
                obj
            }
        }
        Value::Map(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                out.push(json!([
                    value_to_json(k, file_for)?,
                    value_to_json(v, file_for)?
                ]));
            }
            json!({"$": "map", "entries": out})
        }
        Value::Set(items) => {
            let mut out = Vec::with_capacity(items.len());
            for v in items {
                out.push(value_to_json(v, file_for)?);
            }
            json!({"$": "set", "values": out})
        }
        Value::BoxedBool(b) => json!({"$": "Boolean", "v": b}),
        Value::BoxedNumber(n) => json!({"$": "Number", "v": number(*n)}),
        Value::BoxedBigInt(b) => json!({"$": "BigInt", "v": b.to_decimal()}),
        Value::BoxedString(s) => json!({"$": "String", "v": string(s)}),
        Value::Error {
            name,
            message,
            stack,
        } => json!({
            "$": "error",
            "name": string(name),
            "message": string(message),
            "stack": stack.as_ref().map(string),
        }),
        Value::Ref(id) => json!({"$": "ref", "id": id}),
    })
}

/// An `ArrayBuffer`: its size and the file holding its bytes.
fn array_buffer(b: &Binary, file_for: &mut dyn FnMut(&Binary) -> Result<String>) -> Result<Json> {
    Ok(json!({"$": "arraybuffer", "size": b.len(), "file": file_for(b)?}))
}

fn props_json(
    props: &[(JsString, Value)],
    file_for: &mut dyn FnMut(&Binary) -> Result<String>,
) -> Result<Json> {
    let mut m = Map::new();
    for (k, v) in props {
        // Property names with lone surrogates are shown with U+FFFD.
        m.insert(k.to_string_lossy(), value_to_json(v, file_for)?);
    }
    Ok(Json::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_non_json_values() {
        let mut files = 0;
        let mut file_for = |_: &Binary| -> Result<String> {
            files += 1;
            Ok(format!("files/{files:06}.bin"))
        };
        let v = Value::object([
            ("n", Value::Number(1.5)),
            ("neg0", Value::Number(-0.0)),
            ("nan", Value::Number(f64::NAN)),
            ("d", Value::Date(0.0)),
            ("ab", Value::ArrayBuffer(vec![1].into())),
        ]);
        let j = value_to_json(&v, &mut file_for).unwrap();
        assert_eq!(
            j,
            json!({
                "n": 1.5,
                "neg0": {"$": "number", "v": "-0"},
                "nan": {"$": "number", "v": "NaN"},
                "d": {"$": "date", "ms": 0.0},
                "ab": {"$": "arraybuffer", "size": 1, "file": "files/000001.bin"},
            })
        );
        let dollar = Value::object([("$", Value::Null)]);
        assert_eq!(
            value_to_json(&dollar, &mut |_| Ok(String::new())).unwrap(),
            json!({"$": "object", "props": {"$": null}})
        );
        assert_eq!(
            key_to_json(&Key::Array(vec![Key::Binary(vec![0xab])])),
            json!([{"$": "binary", "hex": "ab"}])
        );
    }

    /// Issue 14: a view shows its window and its whole buffer, once; a
    /// view sharing it shows a reference.
    #[test]
    fn views_show_their_whole_buffer() {
        use crate::model::ViewKind;
        let mut sizes = Vec::new();
        let mut file_for = |b: &Binary| -> Result<String> {
            sizes.push(b.len());
            Ok(format!("files/{:06}.bin", sizes.len()))
        };
        let v = Value::array(vec![
            Value::View {
                kind: ViewKind::Uint8,
                byte_offset: 8,
                byte_length: 56,
                buffer: ViewBuffer::ArrayBuffer(vec![0; 64].into()),
            },
            Value::View {
                kind: ViewKind::DataView,
                byte_offset: 4,
                byte_length: 8,
                buffer: ViewBuffer::Ref(2),
            },
            Value::PartialView {
                kind: ViewKind::Int16,
                byte_offset: 2,
                buffer_len: 8,
                bytes: vec![1, 0].into(),
            },
        ]);
        assert_eq!(
            value_to_json(&v, &mut file_for).unwrap(),
            json!([
                {"$": "Uint8Array", "byteOffset": 8, "byteLength": 56,
                 "buffer": {"$": "arraybuffer", "size": 64, "file": "files/000001.bin"}},
                {"$": "DataView", "byteOffset": 4, "byteLength": 8,
                 "buffer": {"$": "ref", "id": 2}},
                {"$": "Int16Array", "byteOffset": 2, "bufferLength": 8, "size": 2,
                 "file": "files/000002.bin"},
            ])
        );
        assert_eq!(sizes, [64, 2], "the shared buffer is written once");
    }
}
