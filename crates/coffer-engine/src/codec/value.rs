//! Structured-clone value encoding (FORMAT.md §4.3).
//!
//! One tag byte per value, then its body. Object-like values are numbered in
//! pre-order as they are decoded; `REF` names an earlier number, which keeps
//! shared and cyclic structure.

use super::cursor::{write_varint, Budget, Cursor, DecodeError, RESERVE_MAX};
use super::jsstr::{check_str, check_utf8, read_str, read_utf8, write_str, write_utf8};
use crate::limits::Limits;
use crate::model::{BigInt, Binary, BlobRef, JsString, Value, ViewKind};

const UNDEFINED: u8 = 0x00;
const NULL: u8 = 0x01;
const FALSE: u8 = 0x02;
const TRUE: u8 = 0x03;
const NUMBER: u8 = 0x04;
const BIGINT: u8 = 0x05;
const STRING: u8 = 0x06;
const DATE: u8 = 0x10;
const REGEXP: u8 = 0x11;
const ARRAY_BUFFER: u8 = 0x12;
const VIEW: u8 = 0x13;
const BLOB: u8 = 0x14;
const FILE: u8 = 0x15;
const SPARSE_ARRAY: u8 = 0x16;
const DENSE_ARRAY: u8 = 0x17;
const OBJECT: u8 = 0x18;
const MAP: u8 = 0x19;
const SET: u8 = 0x1a;
const BOXED_BOOL: u8 = 0x1b;
const BOXED_NUMBER: u8 = 0x1c;
const BOXED_BIGINT: u8 = 0x1d;
const BOXED_STRING: u8 = 0x1e;
const ERROR: u8 = 0x1f;
const REF: u8 = 0x20;

const BIN_INLINE: u8 = 0x00;
const BIN_EXTERNAL: u8 = 0x01;

/// Encodes a value.
pub fn encode_value(value: &Value) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(64);
    encode_value_into(&mut out, value)?;
    Ok(out)
}

/// Appends the encoding of `value` to `out`. Fails on structure the format
/// cannot express: unsorted or out-of-range array indices, a reference to an
/// object not yet numbered, non-canonical bigints, or views whose geometry
/// is impossible.
pub fn encode_value_into(out: &mut Vec<u8>, value: &Value) -> Result<(), DecodeError> {
    let mut e = Encoder {
        out,
        objects: 0,
        bodies: None,
    };
    e.value(value, 0)
}

/// Binary bodies left out of an encoding, each with the offset where its
/// `binary` belongs.
pub type Bodies = Vec<(usize, Vec<u8>)>;

/// Encodes `value` with its inline binary bodies left out: the encoding,
/// and each body with the offset where its `binary` belongs. The form
/// [`crate::BackupWriter::add_encoded_record`] takes.
pub fn encode_value_without_bodies(value: &Value) -> Result<(Vec<u8>, Bodies), DecodeError> {
    let mut out = Vec::with_capacity(64);
    let mut bodies = Vec::new();
    let mut e = Encoder {
        out: &mut out,
        objects: 0,
        bodies: Some(&mut bodies),
    };
    e.value(value, 0)?;
    Ok((out, bodies))
}

struct Encoder<'a> {
    out: &'a mut Vec<u8>,
    objects: u32,
    /// Where inline bodies go instead of `out`, if anywhere.
    bodies: Option<&'a mut Bodies>,
}

/// Deepest nesting the encoder produces; matches the default read limit.
const MAX_ENCODE_DEPTH: u32 = 256;

impl Encoder<'_> {
    fn value(&mut self, v: &Value, depth: u32) -> Result<(), DecodeError> {
        if depth > MAX_ENCODE_DEPTH {
            return Err(DecodeError::new("value nested too deeply"));
        }
        if v.is_object_like() {
            self.objects = self
                .objects
                .checked_add(1)
                .ok_or_else(|| DecodeError::new("too many objects"))?;
        }
        let out = &mut *self.out;
        match v {
            Value::Undefined => out.push(UNDEFINED),
            Value::Null => out.push(NULL),
            Value::Bool(false) => out.push(FALSE),
            Value::Bool(true) => out.push(TRUE),
            Value::Number(n) => num(out, NUMBER, *n),
            Value::BigInt(b) => {
                out.push(BIGINT);
                bigint(out, b)?;
            }
            Value::String(s) => {
                out.push(STRING);
                write_str(out, s);
            }
            Value::Date(n) => num(out, DATE, *n),
            Value::RegExp { source, flags } => {
                out.push(REGEXP);
                write_str(out, source);
                write_utf8(out, flags);
            }
            Value::ArrayBuffer(b) => {
                out.push(ARRAY_BUFFER);
                split(out, &mut self.bodies, b);
            }
            Value::View {
                kind,
                byte_offset,
                buffer_len,
                bytes,
            } => {
                check_view(*kind, *byte_offset, *buffer_len, bytes.len())?;
                out.push(VIEW);
                out.push(kind.code());
                write_varint(out, *byte_offset);
                write_varint(out, *buffer_len);
                split(out, &mut self.bodies, bytes);
            }
            Value::Blob { mime, data } => {
                out.push(BLOB);
                write_str(out, mime);
                split(out, &mut self.bodies, data);
            }
            Value::File {
                name,
                mime,
                last_modified,
                data,
            } => {
                out.push(FILE);
                write_str(out, name);
                write_str(out, mime);
                out.extend_from_slice(&last_modified.to_le_bytes());
                split(out, &mut self.bodies, data);
            }
            Value::Array {
                length,
                items,
                props,
            } => {
                let dense = items.len() as u64 == u64::from(*length)
                    && items
                        .iter()
                        .enumerate()
                        .all(|(i, (idx, _))| i as u64 == u64::from(*idx));
                if dense {
                    out.push(DENSE_ARRAY);
                    write_varint(out, u64::from(*length));
                    for (_, item) in items {
                        self.value(item, depth + 1)?;
                    }
                } else {
                    out.push(SPARSE_ARRAY);
                    write_varint(out, u64::from(*length));
                    write_varint(out, items.len() as u64);
                    let mut prev: Option<u32> = None;
                    for (idx, item) in items {
                        if *idx >= *length || prev.is_some_and(|p| p >= *idx) {
                            return Err(DecodeError::new(
                                "array indices must increase and stay below the length",
                            ));
                        }
                        prev = Some(*idx);
                        write_varint(self.out, u64::from(*idx));
                        self.value(item, depth + 1)?;
                    }
                }
                self.props(props, depth)?;
            }
            Value::Object(props) => {
                out.push(OBJECT);
                self.props(props, depth)?;
            }
            Value::Map(entries) => {
                out.push(MAP);
                write_varint(out, entries.len() as u64);
                for (k, v) in entries {
                    self.value(k, depth + 1)?;
                    self.value(v, depth + 1)?;
                }
            }
            Value::Set(items) => {
                out.push(SET);
                write_varint(out, items.len() as u64);
                for v in items {
                    self.value(v, depth + 1)?;
                }
            }
            Value::BoxedBool(b) => {
                out.push(BOXED_BOOL);
                out.push(u8::from(*b));
            }
            Value::BoxedNumber(n) => num(out, BOXED_NUMBER, *n),
            Value::BoxedBigInt(b) => {
                out.push(BOXED_BIGINT);
                bigint(out, b)?;
            }
            Value::BoxedString(s) => {
                out.push(BOXED_STRING);
                write_str(out, s);
            }
            Value::Error {
                name,
                message,
                stack,
            } => {
                out.push(ERROR);
                write_str(out, name);
                write_str(out, message);
                match stack {
                    None => out.push(0),
                    Some(s) => {
                        out.push(1);
                        write_str(out, s);
                    }
                }
            }
            Value::Ref(id) => {
                if *id >= self.objects {
                    return Err(DecodeError::new(format!(
                        "reference to object {id} before it is defined"
                    )));
                }
                out.push(REF);
                write_varint(out, u64::from(*id));
            }
        }
        Ok(())
    }

    fn props(&mut self, props: &[(JsString, Value)], depth: u32) -> Result<(), DecodeError> {
        write_varint(self.out, props.len() as u64);
        for (k, v) in props {
            write_str(self.out, k);
            self.value(v, depth + 1)?;
        }
        Ok(())
    }
}

fn num(out: &mut Vec<u8>, tag: u8, n: f64) {
    out.push(tag);
    out.extend_from_slice(&n.to_le_bytes());
}

fn bigint(out: &mut Vec<u8>, b: &BigInt) -> Result<(), DecodeError> {
    let max = Limits::default().max_bigint_bytes;
    if b.magnitude().len() as u64 > max {
        return Err(DecodeError::over_limit(
            "bigint magnitude (bytes)",
            max,
            b.magnitude().len() as u64,
        ));
    }
    out.push(u8::from(b.is_negative()));
    write_varint(out, b.magnitude().len() as u64);
    out.extend_from_slice(b.magnitude());
    Ok(())
}

/// Writes `b`, or (inline, with `bodies`) records it there.
fn split(out: &mut Vec<u8>, bodies: &mut Option<&mut Bodies>, b: &Binary) {
    match (bodies, b) {
        (Some(bodies), Binary::Inline(bytes)) => bodies.push((out.len(), bytes.clone())),
        _ => write_binary(out, b),
    }
}

/// Appends a `binary` (§4.3): inline bytes or a reference to a blob entry.
pub(crate) fn write_binary(out: &mut Vec<u8>, b: &Binary) {
    match b {
        Binary::Inline(bytes) => write_inline_binary(out, bytes),
        Binary::External(r) => {
            out.push(BIN_EXTERNAL);
            write_varint(out, u64::from(r.index));
            write_varint(out, r.len);
        }
    }
}

/// Appends an inline `binary` holding `bytes`.
pub(crate) fn write_inline_binary(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(BIN_INLINE);
    write_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn check_view(kind: ViewKind, offset: u64, buffer_len: u64, len: u64) -> Result<(), DecodeError> {
    let size = kind.element_size();
    if len % size != 0 || offset % size != 0 {
        return Err(DecodeError::new(format!(
            "{} geometry is not aligned to its element size",
            kind.js_name()
        )));
    }
    match offset.checked_add(len) {
        Some(end) if end <= buffer_len => Ok(()),
        _ => Err(DecodeError::new(format!(
            "{} extends past the end of its buffer",
            kind.js_name()
        ))),
    }
}

/// Decodes one value that must span all of `bytes`, nesting at most
/// `max_depth` levels, within the other default limits (FORMAT.md §7.3:
/// `max_value_memory`, `max_bigint_bytes`).
pub fn decode_value(bytes: &[u8], max_depth: u32) -> Result<Value, DecodeError> {
    let limits = Limits {
        max_depth,
        ..Limits::default()
    };
    decode_value_in(bytes, &limits, &mut Budget::new(limits.max_value_memory))
}

/// Decodes one value that must span all of `bytes` within `limits`
/// (`max_depth`, `max_bigint_bytes`), charging what it allocates to
/// `budget`. Memory grows with the values actually decoded, never with the
/// counts the input declares.
pub fn decode_value_in(
    bytes: &[u8],
    limits: &Limits,
    budget: &mut Budget,
) -> Result<Value, DecodeError> {
    let mut c = Cursor::new(bytes);
    let mut d = Decoder {
        objects: 0,
        max_depth: limits.max_depth,
        max_bigint: limits.max_bigint_bytes,
        budget,
    };
    let v = d.value(&mut c, 0)?;
    c.finish()?;
    Ok(v)
}

struct Decoder<'b> {
    objects: u32,
    max_depth: u32,
    max_bigint: u64,
    budget: &'b mut Budget,
}

impl Decoder<'_> {
    fn value(&mut self, c: &mut Cursor<'_>, depth: u32) -> Result<Value, DecodeError> {
        let tag = read_tag(c, &mut self.objects, depth, self.max_depth)?;
        Ok(match tag {
            UNDEFINED => Value::Undefined,
            NULL => Value::Null,
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            NUMBER => Value::Number(c.f64()?),
            BIGINT => Value::BigInt(self.bigint(c)?),
            STRING => Value::String(read_str(c, self.budget)?),
            DATE => Value::Date(c.f64()?),
            REGEXP => Value::RegExp {
                source: read_str(c, self.budget)?,
                flags: read_utf8(c, "regexp flags", self.budget)?,
            },
            ARRAY_BUFFER => Value::ArrayBuffer(read_binary(c, self.budget)?),
            VIEW => {
                let code = c.u8()?;
                let kind = ViewKind::from_code(code)
                    .ok_or_else(|| DecodeError::new(format!("unknown view kind {code}")))?;
                let byte_offset = c.varint()?;
                let buffer_len = c.varint()?;
                let bytes = read_binary(c, self.budget)?;
                check_view(kind, byte_offset, buffer_len, bytes.len())?;
                Value::View {
                    kind,
                    byte_offset,
                    buffer_len,
                    bytes,
                }
            }
            BLOB => Value::Blob {
                mime: read_str(c, self.budget)?,
                data: read_binary(c, self.budget)?,
            },
            FILE => Value::File {
                name: read_str(c, self.budget)?,
                mime: read_str(c, self.budget)?,
                last_modified: c.f64()?,
                data: read_binary(c, self.budget)?,
            },
            DENSE_ARRAY => {
                let length = read_u32(c, "array length")?;
                if length as usize > c.remaining() {
                    return Err(DecodeError::new("array length exceeds the data"));
                }
                let mut items = Vec::with_capacity((length as usize).min(RESERVE_MAX));
                for i in 0..length {
                    self.budget.charge_n::<(u32, Value)>(1)?;
                    items.push((i, self.value(c, depth + 1)?));
                }
                let props = self.props(c, depth)?;
                Value::Array {
                    length,
                    items,
                    props,
                }
            }
            SPARSE_ARRAY => {
                let length = read_u32(c, "array length")?;
                let n = sparse_count(c, length)?;
                let mut items = Vec::with_capacity(n.min(RESERVE_MAX));
                let mut prev: Option<u32> = None;
                for _ in 0..n {
                    let idx = read_u32(c, "array index")?;
                    check_sparse_index(idx, prev, length)?;
                    prev = Some(idx);
                    self.budget.charge_n::<(u32, Value)>(1)?;
                    items.push((idx, self.value(c, depth + 1)?));
                }
                let props = self.props(c, depth)?;
                Value::Array {
                    length,
                    items,
                    props,
                }
            }
            OBJECT => Value::Object(self.props(c, depth)?),
            MAP => {
                let n = c.len()?;
                let mut entries = Vec::with_capacity(n.min(RESERVE_MAX));
                for _ in 0..n {
                    self.budget.charge_n::<(Value, Value)>(1)?;
                    let k = self.value(c, depth + 1)?;
                    let v = self.value(c, depth + 1)?;
                    entries.push((k, v));
                }
                Value::Map(entries)
            }
            SET => {
                let n = c.len()?;
                let mut items = Vec::with_capacity(n.min(RESERVE_MAX));
                for _ in 0..n {
                    self.budget.charge_n::<Value>(1)?;
                    items.push(self.value(c, depth + 1)?);
                }
                Value::Set(items)
            }
            BOXED_BOOL => match c.u8()? {
                0 => Value::BoxedBool(false),
                1 => Value::BoxedBool(true),
                b => return Err(DecodeError::new(format!("invalid boolean byte {b}"))),
            },
            BOXED_NUMBER => Value::BoxedNumber(c.f64()?),
            BOXED_BIGINT => Value::BoxedBigInt(self.bigint(c)?),
            BOXED_STRING => Value::BoxedString(read_str(c, self.budget)?),
            ERROR => {
                let name = read_str(c, self.budget)?;
                let message = read_str(c, self.budget)?;
                let stack = match c.u8()? {
                    0 => None,
                    1 => Some(read_str(c, self.budget)?),
                    b => return Err(DecodeError::new(format!("invalid stack flag {b}"))),
                };
                Value::Error {
                    name,
                    message,
                    stack,
                }
            }
            REF => {
                let id = read_u32(c, "reference")?;
                if id >= self.objects {
                    return Err(DecodeError::new(format!(
                        "reference to object {id} before it is defined"
                    )));
                }
                Value::Ref(id)
            }
            other => return Err(DecodeError::new(format!("unknown value tag 0x{other:02x}"))),
        })
    }

    fn props(
        &mut self,
        c: &mut Cursor<'_>,
        depth: u32,
    ) -> Result<Vec<(JsString, Value)>, DecodeError> {
        let n = c.len()?;
        let mut props = Vec::with_capacity(n.min(RESERVE_MAX));
        for _ in 0..n {
            self.budget.charge_n::<(JsString, Value)>(1)?;
            let k = read_str(c, self.budget)?;
            props.push((k, self.value(c, depth + 1)?));
        }
        Ok(props)
    }

    fn bigint(&mut self, c: &mut Cursor<'_>) -> Result<BigInt, DecodeError> {
        let (negative, mag) = bigint_parts(c, self.max_bigint)?;
        self.budget.charge(mag.len() as u64)?;
        Ok(BigInt::from_parts(negative, mag.to_vec()))
    }
}

/// Checks that `bytes` are exactly one canonical value encoding, as
/// [`decode_value`] would accept it, without building the value. Returns
/// how many external bodies (`binary` in its external form) it holds.
pub fn check_value(bytes: &[u8], max_depth: u32) -> Result<u64, DecodeError> {
    let limits = Limits {
        max_depth,
        ..Limits::default()
    };
    check_value_with(bytes, &limits, &mut |_| Ok(()))
}

/// [`check_value`] within `limits` (`max_depth`, `max_bigint_bytes`),
/// calling `on_external` with every external body in encoding order. Uses
/// memory only for the nesting, whatever the value holds.
pub fn check_value_with(
    bytes: &[u8],
    limits: &Limits,
    on_external: &mut dyn FnMut(BlobRef) -> Result<(), DecodeError>,
) -> Result<u64, DecodeError> {
    let mut c = Cursor::new(bytes);
    let mut k = Checker {
        objects: 0,
        max_depth: limits.max_depth,
        max_bigint: limits.max_bigint_bytes,
        external: 0,
        on_external,
    };
    k.value(&mut c, 0)?;
    c.finish()?;
    Ok(k.external)
}

/// [`Decoder`]'s rules, minus the building ([`check_value`]).
struct Checker<'f> {
    objects: u32,
    max_depth: u32,
    max_bigint: u64,
    external: u64,
    on_external: &'f mut dyn FnMut(BlobRef) -> Result<(), DecodeError>,
}

impl Checker<'_> {
    fn value(&mut self, c: &mut Cursor<'_>, depth: u32) -> Result<(), DecodeError> {
        let tag = read_tag(c, &mut self.objects, depth, self.max_depth)?;
        match tag {
            UNDEFINED | NULL | FALSE | TRUE => {}
            NUMBER | DATE | BOXED_NUMBER => {
                c.f64()?;
            }
            BIGINT | BOXED_BIGINT => {
                bigint_parts(c, self.max_bigint)?;
            }
            STRING | BOXED_STRING => check_str(c)?,
            REGEXP => {
                check_str(c)?;
                check_utf8(c, "regexp flags")?;
            }
            ARRAY_BUFFER => {
                self.binary(c)?;
            }
            VIEW => {
                let code = c.u8()?;
                let kind = ViewKind::from_code(code)
                    .ok_or_else(|| DecodeError::new(format!("unknown view kind {code}")))?;
                let byte_offset = c.varint()?;
                let buffer_len = c.varint()?;
                let len = self.binary(c)?;
                check_view(kind, byte_offset, buffer_len, len)?;
            }
            BLOB => {
                check_str(c)?;
                self.binary(c)?;
            }
            FILE => {
                check_str(c)?;
                check_str(c)?;
                c.f64()?;
                self.binary(c)?;
            }
            DENSE_ARRAY => {
                let length = read_u32(c, "array length")?;
                if length as usize > c.remaining() {
                    return Err(DecodeError::new("array length exceeds the data"));
                }
                for _ in 0..length {
                    self.value(c, depth + 1)?;
                }
                self.props(c, depth)?;
            }
            SPARSE_ARRAY => {
                let length = read_u32(c, "array length")?;
                let n = sparse_count(c, length)?;
                let mut prev: Option<u32> = None;
                for _ in 0..n {
                    let idx = read_u32(c, "array index")?;
                    check_sparse_index(idx, prev, length)?;
                    prev = Some(idx);
                    self.value(c, depth + 1)?;
                }
                self.props(c, depth)?;
            }
            OBJECT => self.props(c, depth)?,
            MAP => {
                let n = c.len()?;
                for _ in 0..n {
                    self.value(c, depth + 1)?;
                    self.value(c, depth + 1)?;
                }
            }
            SET => {
                let n = c.len()?;
                for _ in 0..n {
                    self.value(c, depth + 1)?;
                }
            }
            BOXED_BOOL => match c.u8()? {
                0 | 1 => {}
                b => return Err(DecodeError::new(format!("invalid boolean byte {b}"))),
            },
            ERROR => {
                check_str(c)?;
                check_str(c)?;
                match c.u8()? {
                    0 => {}
                    1 => check_str(c)?,
                    b => return Err(DecodeError::new(format!("invalid stack flag {b}"))),
                }
            }
            REF => {
                let id = read_u32(c, "reference")?;
                if id >= self.objects {
                    return Err(DecodeError::new(format!(
                        "reference to object {id} before it is defined"
                    )));
                }
            }
            other => return Err(DecodeError::new(format!("unknown value tag 0x{other:02x}"))),
        }
        Ok(())
    }

    fn props(&mut self, c: &mut Cursor<'_>, depth: u32) -> Result<(), DecodeError> {
        let n = c.len()?;
        for _ in 0..n {
            check_str(c)?;
            self.value(c, depth + 1)?;
        }
        Ok(())
    }

    /// Checks a `binary`; returns the body's length.
    fn binary(&mut self, c: &mut Cursor<'_>) -> Result<u64, DecodeError> {
        match c.u8()? {
            BIN_INLINE => Ok(c.bytes()?.len() as u64),
            BIN_EXTERNAL => {
                let index = read_u32(c, "blob index")?;
                let len = c.varint()?;
                self.external += 1;
                (self.on_external)(BlobRef { index, len })?;
                Ok(len)
            }
            b => Err(DecodeError::new(format!("unknown binary form {b}"))),
        }
    }
}

fn read_u32(c: &mut Cursor<'_>, what: &str) -> Result<u32, DecodeError> {
    u32::try_from(c.varint()?).map_err(|_| DecodeError::new(format!("{what} exceeds 2^32-1")))
}

/// Reads a value's tag at `depth`, numbering it in `objects` when it is
/// object-like (the rules [`Decoder`] and [`Checker`] share).
fn read_tag(
    c: &mut Cursor<'_>,
    objects: &mut u32,
    depth: u32,
    max_depth: u32,
) -> Result<u8, DecodeError> {
    if depth > max_depth {
        return Err(DecodeError::new(format!(
            "value nested deeper than {max_depth} levels"
        )));
    }
    let tag = c.u8()?;
    if (DATE..=ERROR).contains(&tag) {
        *objects = objects
            .checked_add(1)
            .ok_or_else(|| DecodeError::new("too many objects"))?;
    }
    Ok(tag)
}

/// Checks a sparse array's next index against the previous one and the
/// length.
fn check_sparse_index(idx: u32, prev: Option<u32>, length: u32) -> Result<(), DecodeError> {
    if idx >= length || prev.is_some_and(|p| p >= idx) {
        return Err(DecodeError::new(
            "array indices must increase and stay below the length",
        ));
    }
    Ok(())
}

/// The element count of a sparse array of `length`, checked as soon as it
/// is read (FORMAT.md §4.3): a sparse array holds fewer elements than its
/// length, or it would be dense.
fn sparse_count(c: &mut Cursor<'_>, length: u32) -> Result<usize, DecodeError> {
    let n = c.len()?;
    if n as u64 >= u64::from(length) {
        return Err(DecodeError::new(
            "a sparse array holds at least as many elements as its length (non-canonical)",
        ));
    }
    Ok(n)
}

/// A canonical bigint's sign and magnitude, at most `max` bytes of it.
fn bigint_parts<'a>(c: &mut Cursor<'a>, max: u64) -> Result<(bool, &'a [u8]), DecodeError> {
    let negative = match c.u8()? {
        0 => false,
        1 => true,
        b => return Err(DecodeError::new(format!("invalid bigint sign byte {b}"))),
    };
    // The declared length is checked against the limit as soon as it is
    // read, before the bytes it promises and their form (FORMAT.md §4.3).
    let m = c.varint()?;
    if m > max {
        return Err(DecodeError::over_limit("bigint magnitude (bytes)", max, m));
    }
    let m = usize::try_from(m).map_err(|_| DecodeError::new("length does not fit in memory"))?;
    let mag = c.take(m)?;
    if mag.last() == Some(&0) || (negative && mag.is_empty()) {
        return Err(DecodeError::new("non-canonical bigint"));
    }
    Ok((negative, mag))
}

fn read_binary(c: &mut Cursor<'_>, budget: &mut Budget) -> Result<Binary, DecodeError> {
    match c.u8()? {
        BIN_INLINE => {
            let bytes = c.bytes()?;
            budget.charge(bytes.len() as u64)?;
            Ok(Binary::Inline(bytes.to_vec()))
        }
        BIN_EXTERNAL => {
            let index = read_u32(c, "blob index")?;
            let len = c.varint()?;
            Ok(Binary::External(BlobRef { index, len }))
        }
        b => Err(DecodeError::new(format!("unknown binary form {b}"))),
    }
}

#[cfg(test)]
pub(crate) mod tests;
