//! JavaScript values ⇄ the engine's value model, with structured-clone
//! semantics.
//!
//! - Strings keep lone surrogates (UTF-16 code units are copied when a
//!   string is not well formed).
//! - Typed arrays and `DataView`s keep their kind, window and whole
//!   `ArrayBuffer` ([`Value::View`]); a buffer met again (another view's, or
//!   an `ArrayBuffer` value) becomes a [`ViewBuffer::Ref`], so views that
//!   shared a buffer share one again when converted back. Views of backups
//!   made before (window only, [`Value::PartialView`]) come back over a
//!   buffer of their recorded length, zero outside the window.
//! - Sparse arrays keep their holes and extra named properties.
//! - Objects seen twice (shared or cyclic structure) become
//!   [`Value::Ref`] to their pre-order number.
//! - `Blob`/`File` bodies are read through a caller-supplied reader (backups
//!   defer them and read them in the background), and on the way back external bodies are
//!   resolved through a caller-supplied resolver, so big bodies never have to
//!   live in wasm memory.

use coffer_engine::model::{BigInt, Binary, BlobRef, JsString, Key, Value, ViewBuffer, ViewKind};
use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::{AppError, AppResult};
use coffer_protocol::ErrorCode;

thread_local! {
    static OBJECT_TO_STRING: Option<js_sys::Function> = proto_fn("Object", "toString");
    static IS_WELL_FORMED: Option<js_sys::Function> = proto_fn("String", "isWellFormed");
}

fn proto_fn(ctor: &str, name: &str) -> Option<js_sys::Function> {
    let c = Reflect::get(&js_sys::global(), &ctor.into()).ok()?;
    let p = Reflect::get(&c, &"prototype".into()).ok()?;
    Reflect::get(&p, &name.into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()
}

fn is_well_formed(s: &JsValue) -> bool {
    IS_WELL_FORMED.with(|f| match f {
        Some(f) => f.call0(s).ok().and_then(|b| b.as_bool()).unwrap_or(false),
        None => false,
    })
}

fn err(msg: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::UnsupportedValue, msg)
}

/// Reads a JS string exactly (lone surrogates kept).
pub fn js_string(v: &JsValue) -> JsString {
    let text = v.as_string().unwrap_or_default();
    // Passing a string to wasm turns each lone surrogate into U+FFFD, so a
    // result without U+FFFD is exact; only one with it needs the check.
    if !text.contains('\u{FFFD}') || is_well_formed(v) {
        JsString::from(text)
    } else {
        let s: &js_sys::JsString = v.unchecked_ref();
        JsString::from_utf16(s.iter().collect())
    }
}

/// Makes a JS string from a [`JsString`].
pub fn to_js_string(s: &JsString) -> JsValue {
    match s.as_str() {
        Some(s) => JsValue::from_str(s),
        None => {
            let units = s.to_utf16();
            let mut out = js_sys::JsString::from("");
            for chunk in units.chunks(8192) {
                out = out.concat(&js_sys::JsString::from_char_code(chunk));
            }
            out.into()
        }
    }
}

fn tag_of(v: &JsValue) -> String {
    OBJECT_TO_STRING.with(|f| {
        f.as_ref()
            .and_then(|f| f.call0(v).ok())
            .and_then(|s| s.as_string())
            .unwrap_or_default()
    })
}

fn bytes_of_view(v: &JsValue) -> (Vec<u8>, u64, u64) {
    let buffer: ArrayBuffer = Reflect::get(v, &"buffer".into())
        .unwrap_or(JsValue::UNDEFINED)
        .unchecked_into();
    let off = Reflect::get(v, &"byteOffset".into())
        .ok()
        .and_then(|x| x.as_f64())
        .unwrap_or(0.0);
    let len = Reflect::get(v, &"byteLength".into())
        .ok()
        .and_then(|x| x.as_f64())
        .unwrap_or(0.0);
    let u8s = Uint8Array::new_with_byte_offset_and_length(&buffer, off as u32, len as u32);
    (u8s.to_vec(), off as u64, buffer.byte_length() as u64)
}

/// Converts a JS IndexedDB key to a [`Key`].
pub fn js_to_key(v: &JsValue) -> AppResult<Key> {
    if let Some(n) = v.as_f64() {
        return Ok(Key::Number(n));
    }
    if v.is_string() {
        return Ok(Key::String(js_string(v)));
    }
    if Array::is_array(v) {
        let a = Array::from(v);
        return a
            .iter()
            .map(|x| js_to_key(&x))
            .collect::<AppResult<Vec<_>>>()
            .map(Key::Array);
    }
    if let Some(d) = v.dyn_ref::<js_sys::Date>() {
        return Ok(Key::Date(d.get_time()));
    }
    if let Some(b) = v.dyn_ref::<ArrayBuffer>() {
        return Ok(Key::Binary(Uint8Array::new(b).to_vec()));
    }
    if ArrayBuffer::is_view(v) {
        return Ok(Key::Binary(bytes_of_view(v).0));
    }
    Err(err(format!("{} is not a valid IndexedDB key", tag_of(v))))
}

/// Converts a [`Key`] to its JS form (binary keys become `ArrayBuffer`s, as
/// IndexedDB returns them).
pub fn key_to_js(k: &Key) -> JsValue {
    match k {
        Key::Number(n) => JsValue::from_f64(*n),
        Key::Date(t) => js_sys::Date::new(&JsValue::from_f64(*t)).into(),
        Key::String(s) => to_js_string(s),
        Key::Binary(b) => Uint8Array::from(b.as_slice()).buffer().into(),
        Key::Array(items) => items.iter().map(key_to_js).collect::<Array>().into(),
    }
}

/// Reads a `Blob`'s contents (or defers it: [`crate::browser::blobio::BlobBatch`]).
pub type BlobReader<'a> = dyn FnMut(&web_sys::Blob) -> AppResult<Binary> + 'a;

/// Converts JS values to [`Value`]s.
pub struct ToValue<'a> {
    seen: js_sys::Map,
    next: u32,
    read_blob: &'a mut BlobReader<'a>,
}

impl<'a> ToValue<'a> {
    /// A converter reading blob bodies with `read_blob`.
    pub fn new(read_blob: &'a mut BlobReader<'a>) -> Self {
        ToValue {
            seen: js_sys::Map::new(),
            next: 0,
            read_blob,
        }
    }

    /// Converts one value (one record: numbering restarts).
    pub fn convert(&mut self, v: &JsValue) -> AppResult<Value> {
        self.seen.clear();
        self.next = 0;
        self.value(v, 0)
    }

    fn register(&mut self, v: &JsValue) {
        self.seen.set(v, &JsValue::from_f64(f64::from(self.next)));
        self.next += 1;
    }

    fn value(&mut self, v: &JsValue, depth: u32) -> AppResult<Value> {
        if depth > 200 {
            return Err(err("the value is nested too deeply"));
        }
        if v.is_undefined() {
            return Ok(Value::Undefined);
        }
        if v.is_null() {
            return Ok(Value::Null);
        }
        if let Some(b) = v.as_bool() {
            return Ok(Value::Bool(b));
        }
        if let Some(n) = v.as_f64() {
            return Ok(Value::Number(n));
        }
        if v.is_string() {
            return Ok(Value::String(js_string(v)));
        }
        if v.is_bigint() {
            return bigint(v).map(Value::BigInt);
        }
        if !v.is_object() {
            return Err(err("functions and symbols cannot be stored"));
        }
        if let Some(id) = self.seen.get(v).as_f64() {
            return Ok(Value::Ref(id as u32));
        }
        self.register(v);
        if Array::is_array(v) {
            let a: &Array = v.unchecked_ref();
            let length = a.length();
            let mut items = Vec::new();
            let mut props = Vec::new();
            for k in Object::keys(a.unchecked_ref::<Object>()).iter() {
                let name = k.as_string().unwrap_or_default();
                let item =
                    Reflect::get(v, &k).map_err(|e| AppError::js("cannot read an array", e))?;
                match name.parse::<u32>() {
                    Ok(i) if i < u32::MAX && i.to_string() == name => {
                        items.push((i, self.value(&item, depth + 1)?))
                    }
                    _ => props.push((js_string(&k), self.value(&item, depth + 1)?)),
                }
            }
            return Ok(Value::Array {
                length,
                items,
                props,
            });
        }
        let tag = tag_of(v);
        let t = tag.trim_start_matches("[object ").trim_end_matches(']');
        Ok(match t {
            "Date" => Value::Date(v.unchecked_ref::<js_sys::Date>().get_time()),
            "RegExp" => {
                let r: &js_sys::RegExp = v.unchecked_ref();
                Value::RegExp {
                    source: js_string(&r.source().into()),
                    flags: String::from(r.flags()),
                }
            }
            "ArrayBuffer" => Value::ArrayBuffer(Binary::Inline(Uint8Array::new(v).to_vec())),
            "Blob" => {
                let b: &web_sys::Blob = v.unchecked_ref();
                Value::Blob {
                    mime: JsString::from(b.type_()),
                    data: (self.read_blob)(b)?,
                }
            }
            "File" => {
                let f: &web_sys::File = v.unchecked_ref();
                Value::File {
                    name: js_string(&JsValue::from(f.name())),
                    mime: JsString::from(f.type_()),
                    last_modified: f.last_modified(),
                    data: (self.read_blob)(f.unchecked_ref())?,
                }
            }
            "Map" => {
                let m: &js_sys::Map = v.unchecked_ref();
                let mut entries = Vec::new();
                for e in m.entries().into_iter() {
                    let e = Array::from(&e.map_err(|e| AppError::js("cannot read a Map", e))?);
                    let k = self.value(&e.get(0), depth + 1)?;
                    let val = self.value(&e.get(1), depth + 1)?;
                    entries.push((k, val));
                }
                Value::Map(entries)
            }
            "Set" => {
                let s: &js_sys::Set = v.unchecked_ref();
                let mut items = Vec::new();
                for e in s.values().into_iter() {
                    let e = e.map_err(|e| AppError::js("cannot read a Set", e))?;
                    items.push(self.value(&e, depth + 1)?);
                }
                Value::Set(items)
            }
            "Boolean" => Value::BoxedBool(value_of(v).as_bool().unwrap_or(false)),
            "Number" => Value::BoxedNumber(value_of(v).as_f64().unwrap_or(f64::NAN)),
            "String" => Value::BoxedString(js_string(&value_of(v))),
            "BigInt" => Value::BoxedBigInt(bigint(&value_of(v))?),
            "Error" => {
                let get = |k: &str| Reflect::get(v, &k.into()).unwrap_or(JsValue::UNDEFINED);
                let name = get("name");
                let stack = get("stack");
                Value::Error {
                    name: if name.is_string() {
                        js_string(&name)
                    } else {
                        "Error".into()
                    },
                    message: {
                        let m = get("message");
                        if m.is_string() {
                            js_string(&m)
                        } else {
                            JsString::from("")
                        }
                    },
                    stack: stack.is_string().then(|| js_string(&stack)),
                }
            }
            name if ArrayBuffer::is_view(v) => {
                let kind = ViewKind::from_js_name(name)
                    .ok_or_else(|| err(format!("unknown view type {name}")))?;
                let number = |k: &str| {
                    Reflect::get(v, &k.into())
                        .ok()
                        .and_then(|x| x.as_f64())
                        .unwrap_or(0.0) as u64
                };
                let (byte_offset, byte_length) = (number("byteOffset"), number("byteLength"));
                let b = Reflect::get(v, &"buffer".into()).unwrap_or(JsValue::UNDEFINED);
                let bt = tag_of(&b);
                if bt != "[object ArrayBuffer]" {
                    let bt = bt.trim_start_matches("[object ").trim_end_matches(']');
                    return Err(err(format!("views over a {bt} cannot be backed up")));
                }
                // The buffer is numbered right after the view, unless met before.
                let buffer = match self.seen.get(&b).as_f64() {
                    Some(id) => ViewBuffer::Ref(id as u32),
                    None => {
                        self.register(&b);
                        ViewBuffer::ArrayBuffer(Binary::Inline(Uint8Array::new(&b).to_vec()))
                    }
                };
                Value::View {
                    kind,
                    byte_offset,
                    byte_length,
                    buffer,
                }
            }
            "Object" => {
                let mut props = Vec::new();
                for k in Object::keys(v.unchecked_ref::<Object>()).iter() {
                    let item = Reflect::get(v, &k)
                        .map_err(|e| AppError::js("cannot read an object", e))?;
                    props.push((js_string(&k), self.value(&item, depth + 1)?));
                }
                Value::Object(props)
            }
            other => return Err(err(format!("values of type {other} cannot be backed up"))),
        })
    }
}

fn value_of(v: &JsValue) -> JsValue {
    Reflect::get(v, &"valueOf".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call0(v).ok())
        .unwrap_or(JsValue::UNDEFINED)
}

fn bigint(v: &JsValue) -> AppResult<BigInt> {
    let s: String = v
        .unchecked_ref::<js_sys::BigInt>()
        .to_string(10)
        .map_err(|_| err("malformed bigint"))?
        .into();
    BigInt::parse_decimal(&s).ok_or_else(|| err("malformed bigint"))
}

/// Resolves an external blob body to a JS `Blob`.
pub type BlobResolver<'a> = dyn FnMut(BlobRef) -> AppResult<web_sys::Blob> + 'a;
/// Reads a JS `Blob` fully into an `ArrayBuffer` (for external
/// `ArrayBuffer`/view bodies).
pub type BlobToBuffer<'a> = dyn FnMut(&web_sys::Blob) -> AppResult<ArrayBuffer> + 'a;

/// Converts [`Value`]s back to JS.
pub struct ToJs<'a> {
    objects: Vec<JsValue>,
    /// Every `ArrayBuffer` the last conversion made (one per `ArrayBuffer`
    /// value, view's own buffer or window-only view; a buffer met again is
    /// a reference, not a new buffer).
    buffers: Vec<ArrayBuffer>,
    resolve: Option<&'a mut BlobResolver<'a>>,
    to_buffer: Option<&'a mut BlobToBuffer<'a>>,
}

fn global(name: &str) -> AppResult<JsValue> {
    Reflect::get(&js_sys::global(), &name.into())
        .ok()
        .filter(|v| v.is_function())
        .ok_or_else(|| err(format!("this browser has no {name}")))
}

fn construct(name: &str, args: &[JsValue]) -> AppResult<JsValue> {
    let ctor: js_sys::Function = global(name)?.unchecked_into();
    let a: Array = args.iter().collect();
    Reflect::construct(&ctor, &a).map_err(|e| AppError::js(&format!("cannot create a {name}"), e))
}

fn blob_options(mime: &JsString) -> web_sys::BlobPropertyBag {
    let o = web_sys::BlobPropertyBag::new();
    o.set_type(&mime.to_string_lossy());
    o
}

impl<'a> ToJs<'a> {
    /// A converter for values whose bodies are all inline.
    pub fn inline() -> Self {
        ToJs {
            objects: Vec::new(),
            buffers: Vec::new(),
            resolve: None,
            to_buffer: None,
        }
    }

    /// A converter resolving external bodies.
    pub fn with_resolver(
        resolve: &'a mut BlobResolver<'a>,
        to_buffer: &'a mut BlobToBuffer<'a>,
    ) -> Self {
        ToJs {
            objects: Vec::new(),
            buffers: Vec::new(),
            resolve: Some(resolve),
            to_buffer: Some(to_buffer),
        }
    }

    /// Converts one value (numbering restarts).
    pub fn convert(&mut self, v: &Value) -> AppResult<JsValue> {
        self.objects.clear();
        self.buffers.clear();
        self.value(v)
    }

    /// The `ArrayBuffer`s the last conversion made, each once. Only the
    /// converted value holds them, so a worker can transfer them with it
    /// instead of copying.
    pub fn take_buffers(&mut self) -> Vec<ArrayBuffer> {
        std::mem::take(&mut self.buffers)
    }

    fn body_blob(&mut self, b: &Binary, mime: &JsString) -> AppResult<web_sys::Blob> {
        match b {
            Binary::Inline(bytes) => {
                let mime = mime.to_string_lossy();
                crate::browser::blobio::blob_from_bytes(bytes, &mime)
            }
            Binary::External(r) => {
                let resolve = self
                    .resolve
                    .as_mut()
                    .ok_or_else(|| err("an external body cannot be resolved here"))?;
                let blob = resolve(*r)?;
                let parts = Array::of1(&blob);
                web_sys::Blob::new_with_blob_sequence_and_options(&parts, &blob_options(mime))
                    .map_err(|e| AppError::js("cannot create a Blob", e))
            }
        }
    }

    fn body_buffer(&mut self, b: &Binary, buffer_len: u64, offset: u64) -> AppResult<ArrayBuffer> {
        let total = u32::try_from(buffer_len)
            .map_err(|_| err("an ArrayBuffer over 4 GiB cannot be restored"))?;
        let buf = ArrayBuffer::new(total);
        let target = Uint8Array::new(&buf);
        let len = b.len();
        if offset.checked_add(len).is_none_or(|end| end > buffer_len) {
            return Err(err("a view lies outside its buffer"));
        }
        match b {
            Binary::Inline(bytes) => target.set(&Uint8Array::from(bytes.as_slice()), offset as u32),
            Binary::External(r) => {
                let resolve = self
                    .resolve
                    .as_mut()
                    .ok_or_else(|| err("an external body cannot be resolved here"))?;
                let blob = resolve(*r)?;
                let to_buffer = self
                    .to_buffer
                    .as_mut()
                    .ok_or_else(|| err("an external body cannot be read here"))?;
                let ab = to_buffer(&blob)?;
                target.set(&Uint8Array::new(&ab), offset as u32);
            }
        }
        self.buffers.push(buf.clone());
        Ok(buf)
    }

    fn value(&mut self, v: &Value) -> AppResult<JsValue> {
        Ok(match v {
            Value::Undefined => JsValue::UNDEFINED,
            Value::Null => JsValue::NULL,
            Value::Bool(b) => JsValue::from_bool(*b),
            Value::Number(n) => JsValue::from_f64(*n),
            Value::BigInt(b) => make_bigint(b)?,
            Value::String(s) => to_js_string(s),
            Value::Ref(id) => self
                .objects
                .get(*id as usize)
                .cloned()
                .ok_or_else(|| err(format!("reference to unknown object {id}")))?,
            Value::Date(t) => self.push(js_sys::Date::new(&JsValue::from_f64(*t)).into()),
            Value::RegExp { source, flags } => {
                let src: String = source.to_string_lossy();
                self.push(js_sys::RegExp::new(&src, flags).into())
            }
            Value::ArrayBuffer(b) => {
                let len = b.len();
                let buf = self.body_buffer(b, len, 0)?;
                self.push(buf.into())
            }
            Value::View {
                kind,
                byte_offset,
                byte_length,
                buffer,
            } => {
                // The view is numbered before its own buffer: hold its place.
                let slot = self.objects.len();
                self.objects.push(JsValue::UNDEFINED);
                let buf = match buffer {
                    ViewBuffer::ArrayBuffer(b) => {
                        let buf = self.body_buffer(b, b.len(), 0)?;
                        self.push(buf.clone().into());
                        buf
                    }
                    ViewBuffer::Ref(id) => self
                        .objects
                        .get(*id as usize)
                        .and_then(|o| o.dyn_ref::<ArrayBuffer>().cloned())
                        .ok_or_else(|| {
                            err(format!("a view refers to object {id}, not an ArrayBuffer"))
                        })?,
                };
                if byte_offset
                    .checked_add(*byte_length)
                    .is_none_or(|end| end > u64::from(buf.byte_length()))
                {
                    return Err(err("a view lies outside its buffer"));
                }
                let view = construct(
                    kind.js_name(),
                    &[
                        buf.into(),
                        JsValue::from_f64(*byte_offset as f64),
                        JsValue::from_f64((*byte_length / kind.element_size()) as f64),
                    ],
                )?;
                self.objects[slot] = view.clone();
                view
            }
            Value::PartialView {
                kind,
                byte_offset,
                buffer_len,
                bytes,
            } => {
                let buf = self.body_buffer(bytes, *buffer_len, *byte_offset)?;
                let len = bytes.len() / kind.element_size();
                let view = construct(
                    kind.js_name(),
                    &[
                        buf.into(),
                        JsValue::from_f64(*byte_offset as f64),
                        JsValue::from_f64(len as f64),
                    ],
                )?;
                self.push(view)
            }
            Value::Blob { mime, data } => {
                let b = self.body_blob(data, mime)?;
                self.push(b.into())
            }
            Value::File {
                name,
                mime,
                last_modified,
                data,
            } => {
                let body = self.body_blob(data, mime)?;
                let opts = web_sys::FilePropertyBag::new();
                opts.set_type(&mime.to_string_lossy());
                opts.set_last_modified(*last_modified);
                let f = web_sys::File::new_with_blob_sequence_and_options(
                    &Array::of1(&body),
                    &name.to_string_lossy(),
                    &opts,
                )
                .map_err(|e| AppError::js("cannot create a File", e))?;
                self.push(f.into())
            }
            Value::Array {
                length,
                items,
                props,
            } => {
                let a = Array::new_with_length(*length);
                let a = self.push(a.into());
                for (i, item) in items {
                    let x = self.value(item)?;
                    Reflect::set_u32(&a, *i, &x)
                        .map_err(|e| AppError::js("cannot fill an array", e))?;
                }
                for (k, item) in props {
                    let x = self.value(item)?;
                    set_prop(&a, k, &x)?;
                }
                a
            }
            Value::Object(props) => {
                let o = self.push(Object::new().into());
                for (k, item) in props {
                    let x = self.value(item)?;
                    set_prop(&o, k, &x)?;
                }
                o
            }
            Value::Map(entries) => {
                let m = js_sys::Map::new();
                self.push(m.clone().into());
                for (k, item) in entries {
                    let k = self.value(k)?;
                    let x = self.value(item)?;
                    m.set(&k, &x);
                }
                m.into()
            }
            Value::Set(items) => {
                let s = js_sys::Set::new(&JsValue::UNDEFINED);
                self.push(s.clone().into());
                for item in items {
                    let x = self.value(item)?;
                    s.add(&x);
                }
                s.into()
            }
            Value::BoxedBool(b) => self.push(boxed(&JsValue::from_bool(*b))?),
            Value::BoxedNumber(n) => self.push(boxed(&JsValue::from_f64(*n))?),
            Value::BoxedString(s) => self.push(boxed(&to_js_string(s))?),
            Value::BoxedBigInt(b) => self.push(boxed(&make_bigint(b)?)?),
            Value::Error {
                name,
                message,
                stack,
            } => {
                let n = name.to_string_lossy();
                let ctor = match n.as_str() {
                    "EvalError" | "RangeError" | "ReferenceError" | "SyntaxError" | "TypeError"
                    | "URIError" => n.as_str(),
                    _ => "Error",
                };
                let e = construct(ctor, &[to_js_string(message)])?;
                if ctor == "Error" && n != "Error" {
                    set_prop(&e, &JsString::from("name"), &to_js_string(name))?;
                }
                match stack {
                    Some(s) => set_prop(&e, &JsString::from("stack"), &to_js_string(s))?,
                    None => {
                        let _ =
                            Reflect::delete_property(e.unchecked_ref::<Object>(), &"stack".into());
                    }
                }
                self.push(e)
            }
        })
    }

    fn push(&mut self, v: JsValue) -> JsValue {
        self.objects.push(v.clone());
        v
    }
}

thread_local! {
    /// Property names already made into JS strings: records of a store
    /// repeat the same few names, and making a JS string from wasm memory
    /// (UTF-8 decoding) is a large part of a restore.
    static NAMES: std::cell::RefCell<std::collections::HashMap<String, JsValue>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Most names kept in [`NAMES`], and the longest.
const NAMES_MAX: usize = 4096;
const NAME_MAX_LEN: usize = 64;

/// The JS string of property name `k` (from [`NAMES`] when short).
fn prop_name(k: &JsString) -> JsValue {
    match k.as_str() {
        Some(s) if s.len() <= NAME_MAX_LEN => NAMES.with(|n| {
            let mut n = n.borrow_mut();
            if let Some(v) = n.get(s) {
                return v.clone();
            }
            let v = JsValue::from_str(s);
            if n.len() < NAMES_MAX {
                n.insert(s.to_owned(), v.clone());
            }
            v
        }),
        _ => to_js_string(k),
    }
}

fn set_prop(target: &JsValue, k: &JsString, v: &JsValue) -> AppResult<()> {
    let key = prop_name(k);
    if k.as_str() == Some("__proto__") {
        let d = Object::new();
        for (name, val) in [
            ("value", v.clone()),
            ("writable", JsValue::TRUE),
            ("enumerable", JsValue::TRUE),
            ("configurable", JsValue::TRUE),
        ] {
            Reflect::set(&d, &name.into(), &val)
                .map_err(|e| AppError::js("cannot set a property", e))?;
        }
        Object::define_property(target.unchecked_ref::<Object>(), &key, &d);
        return Ok(());
    }
    Reflect::set(target, &key, v)
        .map(|_| ())
        .map_err(|e| AppError::js("cannot set a property", e))
}

fn make_bigint(b: &BigInt) -> AppResult<JsValue> {
    js_sys::BigInt::new(&JsValue::from_str(&b.to_decimal()))
        .map(Into::into)
        .map_err(|e| AppError::js("cannot create a bigint", e.into()))
}

fn boxed(v: &JsValue) -> AppResult<JsValue> {
    let object: js_sys::Function = global("Object")?.unchecked_into();
    object
        .call1(&JsValue::UNDEFINED, v)
        .map_err(|e| AppError::js("cannot box a value", e))
}

/// An approximate size of a JS value in bytes, for the store overview.
pub fn approx_size(v: &JsValue, depth: u32) -> u64 {
    if depth > 64 || v.is_null() || v.is_undefined() {
        return 1;
    }
    if v.as_f64().is_some() {
        return 8;
    }
    if v.as_bool().is_some() {
        return 1;
    }
    if let Some(s) = v.dyn_ref::<js_sys::JsString>() {
        return u64::from(s.length()) * 2;
    }
    if let Some(b) = v.dyn_ref::<web_sys::Blob>() {
        return b.size() as u64;
    }
    if let Some(b) = v.dyn_ref::<ArrayBuffer>() {
        return u64::from(b.byte_length());
    }
    if ArrayBuffer::is_view(v) {
        return Reflect::get(v, &"byteLength".into())
            .ok()
            .and_then(|x| x.as_f64())
            .unwrap_or(0.0) as u64;
    }
    if Array::is_array(v) {
        return Array::from(v)
            .iter()
            .map(|x| approx_size(&x, depth + 1))
            .sum::<u64>()
            + 8;
    }
    if v.is_object() && tag_of(v) == "[object Object]" {
        let o: &Object = v.unchecked_ref();
        return Object::entries(o)
            .iter()
            .map(|e| {
                let e = Array::from(&e);
                approx_size(&e.get(0), depth + 1) + approx_size(&e.get(1), depth + 1)
            })
            .sum::<u64>()
            + 8;
    }
    16
}
