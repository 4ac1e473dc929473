//! Structured-clone values.

use super::{BigInt, JsString};

/// The bytes of a binary body (`ArrayBuffer`, typed array, `Blob`, `File`).
///
/// Values built by an application hold [`Binary::Inline`] bytes. When a
/// backup is written, large bodies move to entries of their own and the
/// value read back holds a [`Binary::External`] reference, which the reader
/// resolves on demand so big bodies never have to sit in memory at once.
#[derive(Clone, Debug, PartialEq)]
pub enum Binary {
    /// The bytes themselves.
    Inline(Vec<u8>),
    /// A reference to a blob entry of the same store.
    External(BlobRef),
}

/// A reference from a value to a blob entry of its store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobRef {
    /// Index of the blob entry within its store.
    pub index: u32,
    /// Length of the body in bytes.
    pub len: u64,
}

impl Binary {
    /// Length of the body in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Binary::Inline(b) => b.len() as u64,
            Binary::External(r) => r.len,
        }
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The inline bytes, if the body is inline.
    pub fn as_inline(&self) -> Option<&[u8]> {
        match self {
            Binary::Inline(b) => Some(b),
            Binary::External(_) => None,
        }
    }
}

impl From<Vec<u8>> for Binary {
    fn from(v: Vec<u8>) -> Self {
        Binary::Inline(v)
    }
}

/// The kind of an `ArrayBufferView`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ViewKind {
    /// `Int8Array`
    Int8 = 1,
    /// `Uint8Array`
    Uint8 = 2,
    /// `Uint8ClampedArray`
    Uint8Clamped = 3,
    /// `Int16Array`
    Int16 = 4,
    /// `Uint16Array`
    Uint16 = 5,
    /// `Int32Array`
    Int32 = 6,
    /// `Uint32Array`
    Uint32 = 7,
    /// `Float32Array`
    Float32 = 8,
    /// `Float64Array`
    Float64 = 9,
    /// `BigInt64Array`
    BigInt64 = 10,
    /// `BigUint64Array`
    BigUint64 = 11,
    /// `DataView`
    DataView = 12,
    /// `Float16Array`
    Float16 = 13,
}

impl ViewKind {
    /// Every kind, in code order.
    pub const ALL: [ViewKind; 13] = [
        ViewKind::Int8,
        ViewKind::Uint8,
        ViewKind::Uint8Clamped,
        ViewKind::Int16,
        ViewKind::Uint16,
        ViewKind::Int32,
        ViewKind::Uint32,
        ViewKind::Float32,
        ViewKind::Float64,
        ViewKind::BigInt64,
        ViewKind::BigUint64,
        ViewKind::DataView,
        ViewKind::Float16,
    ];

    /// The one-byte code of this kind in the value encoding.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The kind with the given code.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.code() == code)
    }

    /// Bytes per element (1 for `DataView`).
    pub fn element_size(self) -> u64 {
        match self {
            ViewKind::Int8 | ViewKind::Uint8 | ViewKind::Uint8Clamped | ViewKind::DataView => 1,
            ViewKind::Int16 | ViewKind::Uint16 | ViewKind::Float16 => 2,
            ViewKind::Int32 | ViewKind::Uint32 | ViewKind::Float32 => 4,
            ViewKind::Float64 | ViewKind::BigInt64 | ViewKind::BigUint64 => 8,
        }
    }

    /// The JavaScript constructor name.
    pub fn js_name(self) -> &'static str {
        match self {
            ViewKind::Int8 => "Int8Array",
            ViewKind::Uint8 => "Uint8Array",
            ViewKind::Uint8Clamped => "Uint8ClampedArray",
            ViewKind::Int16 => "Int16Array",
            ViewKind::Uint16 => "Uint16Array",
            ViewKind::Int32 => "Int32Array",
            ViewKind::Uint32 => "Uint32Array",
            ViewKind::Float32 => "Float32Array",
            ViewKind::Float64 => "Float64Array",
            ViewKind::BigInt64 => "BigInt64Array",
            ViewKind::BigUint64 => "BigUint64Array",
            ViewKind::DataView => "DataView",
            ViewKind::Float16 => "Float16Array",
        }
    }

    /// The kind with the given JavaScript constructor name.
    pub fn from_js_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.js_name() == name)
    }
}

/// The `ArrayBuffer` of a [`Value::View`].
#[derive(Clone, Debug, PartialEq)]
pub enum ViewBuffer {
    /// The buffer, met here first: it takes the pre-order number right
    /// after the view's.
    ArrayBuffer(Binary),
    /// An `ArrayBuffer` met before (as a value or as another view's
    /// buffer), by its pre-order number.
    Ref(u32),
}

impl ViewBuffer {
    /// The buffer's bytes, when this is where they are.
    pub fn binary(&self) -> Option<&Binary> {
        match self {
            ViewBuffer::ArrayBuffer(b) => Some(b),
            ViewBuffer::Ref(_) => None,
        }
    }
}

/// A structured-clone value.
///
/// Object-like variants (everything from [`Value::Date`] on, except
/// [`Value::Ref`]) are numbered in pre-order as they are encountered (a
/// [`Value::View`]'s own [`ViewBuffer::ArrayBuffer`] right after the view);
/// a [`Value::Ref`] points back at an earlier one, which is how shared and
/// cyclic structure is kept.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `undefined`
    Undefined,
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, bit-exact (NaN, `-0`, ±Infinity included).
    Number(f64),
    /// A `bigint`.
    BigInt(BigInt),
    /// A string.
    String(JsString),
    /// A `Date`: milliseconds since the epoch (NaN for an invalid date).
    Date(f64),
    /// A `RegExp`.
    RegExp {
        /// The pattern source.
        source: JsString,
        /// The flags, such as `"gi"`.
        flags: String,
    },
    /// An `ArrayBuffer`.
    ArrayBuffer(Binary),
    /// A typed array or `DataView` with its whole `ArrayBuffer` (FORMAT.md
    /// §4.3, tag `0x21`). Views over one buffer, and an `ArrayBuffer` value
    /// of that buffer, share it: the first holds the bytes, the others a
    /// [`ViewBuffer::Ref`] to it.
    View {
        /// Which view.
        kind: ViewKind,
        /// Offset of the view in its buffer, in bytes.
        byte_offset: u64,
        /// Length of the view, in bytes (`byteLength`).
        byte_length: u64,
        /// The buffer the view is over.
        buffer: ViewBuffer,
    },
    /// A typed array or `DataView` of which only the viewed bytes were kept,
    /// as backups of `format_version` 1 store views (FORMAT.md §4.3, tag
    /// `0x13`): the rest of its buffer is unknown (zeros when restored), and
    /// it shares its buffer with nothing.
    PartialView {
        /// Which view.
        kind: ViewKind,
        /// Offset of the view in its buffer, in bytes.
        byte_offset: u64,
        /// Length of the whole underlying buffer, in bytes.
        buffer_len: u64,
        /// The viewed bytes (`byteLength` of the view).
        bytes: Binary,
    },
    /// A `Blob`.
    Blob {
        /// The MIME type (`blob.type`).
        mime: JsString,
        /// The contents.
        data: Binary,
    },
    /// A `File`.
    File {
        /// The file name.
        name: JsString,
        /// The MIME type.
        mime: JsString,
        /// `lastModified`, in milliseconds since the epoch.
        last_modified: f64,
        /// The contents.
        data: Binary,
    },
    /// An `Array`, possibly sparse, possibly with extra named properties.
    Array {
        /// The `length` property.
        length: u32,
        /// Present elements as `(index, value)`, indices strictly increasing
        /// and below `length`; missing indices are holes.
        items: Vec<(u32, Value)>,
        /// Non-index own enumerable properties.
        props: Vec<(JsString, Value)>,
    },
    /// A plain object's own enumerable string-keyed properties, in order.
    Object(Vec<(JsString, Value)>),
    /// A `Map`, in insertion order.
    Map(Vec<(Value, Value)>),
    /// A `Set`, in insertion order.
    Set(Vec<Value>),
    /// `new Boolean(..)`
    BoxedBool(bool),
    /// `new Number(..)`
    BoxedNumber(f64),
    /// `Object(1n)`
    BoxedBigInt(BigInt),
    /// `new String(..)`
    BoxedString(JsString),
    /// An `Error` (or subclass, by name).
    Error {
        /// `name`, such as `"TypeError"`.
        name: JsString,
        /// `message`.
        message: JsString,
        /// `stack`, when present.
        stack: Option<JsString>,
    },
    /// A reference to the object-like value with this pre-order number.
    Ref(u32),
}

impl Value {
    /// Whether this variant takes a number in the pre-order object numbering.
    pub fn is_object_like(&self) -> bool {
        !matches!(
            self,
            Value::Undefined
                | Value::Null
                | Value::Bool(_)
                | Value::Number(_)
                | Value::BigInt(_)
                | Value::String(_)
                | Value::Ref(_)
        )
    }

    /// A dense array of the given elements.
    pub fn array(items: Vec<Value>) -> Value {
        let length = u32::try_from(items.len()).unwrap_or(u32::MAX);
        Value::Array {
            length,
            items: (0u32..).zip(items).collect(),
            props: Vec::new(),
        }
    }

    /// A plain object from `(name, value)` pairs.
    pub fn object<K: Into<JsString>>(props: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(props.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A string value.
    pub fn string(s: &str) -> Value {
        Value::String(s.into())
    }

    /// Calls `f` on every binary body in this value, depth first.
    pub fn for_each_binary(&self, f: &mut dyn FnMut(&Binary)) {
        match self {
            Value::ArrayBuffer(b)
            | Value::View {
                buffer: ViewBuffer::ArrayBuffer(b),
                ..
            }
            | Value::PartialView { bytes: b, .. }
            | Value::Blob { data: b, .. }
            | Value::File { data: b, .. } => f(b),
            Value::Array { items, props, .. } => {
                items.iter().for_each(|(_, v)| v.for_each_binary(f));
                props.iter().for_each(|(_, v)| v.for_each_binary(f));
            }
            Value::Object(props) => props.iter().for_each(|(_, v)| v.for_each_binary(f)),
            Value::Map(entries) => entries.iter().for_each(|(k, v)| {
                k.for_each_binary(f);
                v.for_each_binary(f);
            }),
            Value::Set(items) => items.iter().for_each(|v| v.for_each_binary(f)),
            _ => {}
        }
    }

    /// Calls `f` on every binary body in this value, depth first, mutably.
    pub fn for_each_binary_mut(&mut self, f: &mut dyn FnMut(&mut Binary)) {
        match self {
            Value::ArrayBuffer(b)
            | Value::View {
                buffer: ViewBuffer::ArrayBuffer(b),
                ..
            }
            | Value::PartialView { bytes: b, .. }
            | Value::Blob { data: b, .. }
            | Value::File { data: b, .. } => f(b),
            Value::Array { items, props, .. } => {
                items.iter_mut().for_each(|(_, v)| v.for_each_binary_mut(f));
                props.iter_mut().for_each(|(_, v)| v.for_each_binary_mut(f));
            }
            Value::Object(props) => props.iter_mut().for_each(|(_, v)| v.for_each_binary_mut(f)),
            Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
                k.for_each_binary_mut(f);
                v.for_each_binary_mut(f);
            }),
            Value::Set(items) => items.iter_mut().for_each(|v| v.for_each_binary_mut(f)),
            _ => {}
        }
    }

    /// Structural equality that treats numbers bit-exactly (so NaN equals
    /// NaN and `-0` differs from `0`), as a round trip must preserve them.
    pub fn same(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Number(a), Number(b)) | (Date(a), Date(b)) | (BoxedNumber(a), BoxedNumber(b)) => {
                a.to_bits() == b.to_bits()
            }
            (
                File {
                    name,
                    mime,
                    last_modified,
                    data,
                },
                File {
                    name: n2,
                    mime: m2,
                    last_modified: l2,
                    data: d2,
                },
            ) => name == n2 && mime == m2 && last_modified.to_bits() == l2.to_bits() && data == d2,
            (
                Array {
                    length,
                    items,
                    props,
                },
                Array {
                    length: l2,
                    items: i2,
                    props: p2,
                },
            ) => {
                length == l2
                    && items.len() == i2.len()
                    && items
                        .iter()
                        .zip(i2)
                        .all(|(a, b)| a.0 == b.0 && a.1.same(&b.1))
                    && same_props(props, p2)
            }
            (Object(a), Object(b)) => same_props(a, b),
            (Map(a), Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(x, y)| x.0.same(&y.0) && x.1.same(&y.1))
            }
            (Set(a), Set(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y)),
            (a, b) => a == b,
        }
    }
}

fn same_props(a: &[(JsString, Value)], b: &[(JsString, Value)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.0 == y.0 && x.1.same(&y.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_kind_codes_round_trip() {
        for k in ViewKind::ALL {
            assert_eq!(ViewKind::from_code(k.code()), Some(k));
            assert_eq!(ViewKind::from_js_name(k.js_name()), Some(k));
        }
        assert_eq!(ViewKind::from_code(0), None);
        assert_eq!(ViewKind::from_code(14), None);
    }

    #[test]
    fn same_is_bit_exact() {
        assert!(Value::Number(f64::NAN).same(&Value::Number(f64::NAN)));
        assert!(!Value::Number(0.0).same(&Value::Number(-0.0)));
        assert!(Value::array(vec![Value::Number(f64::NAN)])
            .same(&Value::array(vec![Value::Number(f64::NAN)])));
    }
}
