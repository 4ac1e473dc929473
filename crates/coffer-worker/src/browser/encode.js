// The backup worker's value encoder: FORMAT.md §4.3 in JavaScript, so a
// page of records is encoded where it lives instead of crossing into wasm
// value by value. The body of a function that returns
// [encodePage, splitRecords]; see
// src/worker/encoder.rs, which loads it, and `convert::ToValue`, whose
// reading of JavaScript values this mirrors exactly (the engine's encoder
// then gives the same bytes; tests/browser.rs compares the two). The
// engine checks every value it gets from here (`check_value`).
//
// encodePage(values, threshold) returns [bytes, ends, holes, bodies]:
//   bytes   the encodings of `values`, one after the other (Uint8Array);
//   ends    where each value's encoding ends (Uint32Array);
//   holes   offsets in `bytes` where a `binary` is left out (Uint32Array);
//   bodies  for each hole, its body: a Blob (or File) to read, or the bytes
//           (a Uint8Array view) of an ArrayBuffer (a value, or a view's
//           buffer) longer than `threshold`. Shorter ones are inline.
// or, when value `i` cannot be encoded, [null, i, message, unsupported]:
// `unsupported` is true for a value a backup cannot hold (any other
// failure is the browser's).
'use strict';

const MAX_DEPTH = 200;
const VIEW_KINDS = {
  Int8Array: 1, Uint8Array: 2, Uint8ClampedArray: 3, Int16Array: 4, Uint16Array: 5,
  Int32Array: 6, Uint32Array: 7, Float32Array: 8, Float64Array: 9, BigInt64Array: 10,
  BigUint64Array: 11, DataView: 12, Float16Array: 13,
};
const toTag = Object.prototype.toString;
const objectProto = Object.prototype;
const boolOf = Boolean.prototype.valueOf;
const numberOf = Number.prototype.valueOf;
const stringOf = String.prototype.valueOf;
const bigintOf = BigInt.prototype.valueOf;
const utf8 = new TextEncoder();

class Unsupported extends Error {}

let buf = new Uint8Array(1 << 20);
let view = new DataView(buf.buffer);
let pos = 0;
let holes = [];
let bodies = [];
let threshold = 0;
const seen = new Map();
let next = 0;

function room(n) {
  if (pos + n <= buf.length) return;
  let len = buf.length * 2;
  while (len < pos + n) len *= 2;
  const bigger = new Uint8Array(len);
  bigger.set(buf.subarray(0, pos));
  buf = bigger;
  view = new DataView(buf.buffer);
}

function byte(b) {
  room(1);
  buf[pos++] = b;
}

// Unsigned LEB128, shortest form (FORMAT.md §1.2); v is an integer below 2^53.
function varint(v) {
  room(10);
  if (v < 0x80000000) {
    while (v > 0x7f) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    return;
  }
  while (v > 0x7f) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
}

function float(n) {
  room(8);
  view.setFloat64(pos, n, true);
  pos += 8;
}

function f64(tag, n) {
  byte(tag);
  float(n);
}

// `str`: UTF-8 with an even header when well formed, else UTF-16LE code
// units with an odd one.
function str(s) {
  const n = s.length;
  let bytes = 0;
  let ascii = true;
  let wellFormed = true;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      bytes += 1;
      continue;
    }
    ascii = false;
    if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else {
        wellFormed = false;
        break;
      }
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      wellFormed = false;
      break;
    } else bytes += 3;
  }
  if (!wellFormed) {
    varint(n * 2 + 1);
    room(n * 2);
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      buf[pos++] = c & 0xff;
      buf[pos++] = c >>> 8;
    }
    return;
  }
  varint(bytes * 2);
  room(bytes);
  if (ascii) {
    for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
  } else {
    pos += utf8.encodeInto(s, buf.subarray(pos, pos + bytes)).written;
  }
}

function bigint(b) {
  const negative = b < 0n;
  let m = negative ? -b : b;
  const mag = [];
  while (m > 0n) {
    mag.push(Number(m & 0xffn));
    m >>= 8n;
  }
  byte(negative ? 1 : 0);
  varint(mag.length);
  room(mag.length);
  for (const x of mag) buf[pos++] = x;
}

// `binary` of bytes at hand: inline, or a hole when longer than the threshold.
function bytesBody(u8) {
  if (u8.byteLength > threshold) {
    holes.push(pos);
    bodies.push(u8);
    return;
  }
  varint(0);
  varint(u8.byteLength);
  room(u8.byteLength);
  buf.set(u8, pos);
  pos += u8.byteLength;
}

function props(o, keys, from, depth) {
  varint(keys.length - from);
  for (let i = from; i < keys.length; i++) {
    const k = keys[i];
    str(k);
    value(o[k], depth + 1);
  }
}

// Whether `k` (an own key) is an array index: a canonical number below 2^32 - 1.
function isIndex(k) {
  const c = k.charCodeAt(0);
  if (c < 48 || c > 57) return false;
  const n = Number(k);
  return n < 4294967295 && String(n) === k;
}

function array(a, depth) {
  const length = a.length;
  const keys = Object.keys(a);
  let n = 0;
  // Indices come first, ascending: when key length-1 is the index
  // length-1, the first `length` keys are the indices 0 … length-1.
  if (length > 0 && keys.length >= length && keys[length - 1] === String(length - 1)) n = length;
  while (n < keys.length && isIndex(keys[n])) n++;
  if (n === length) {
    byte(0x17);
    varint(length);
    for (let i = 0; i < length; i++) value(a[i], depth + 1);
  } else {
    byte(0x16);
    varint(length);
    varint(n);
    for (let i = 0; i < n; i++) {
      varint(Number(keys[i]));
      value(a[keys[i]], depth + 1);
    }
  }
  props(a, keys, n, depth);
}

function value(v, depth) {
  if (depth > MAX_DEPTH) throw new Unsupported('the value is nested too deeply');
  switch (typeof v) {
    case 'undefined': byte(0x00); return;
    case 'boolean': byte(v ? 0x03 : 0x02); return;
    case 'number': f64(0x04, v); return;
    case 'string': byte(0x06); str(v); return;
    case 'bigint': byte(0x05); bigint(v); return;
    case 'object':
      if (v === null) {
        byte(0x01);
        return;
      }
      break;
    default:
      throw new Unsupported('functions and symbols cannot be stored');
  }
  const id = seen.get(v);
  if (id !== undefined) {
    byte(0x20);
    varint(id);
    return;
  }
  seen.set(v, next++);
  if (Array.isArray(v)) return array(v, depth);
  if (Object.getPrototypeOf(v) === objectProto && !(Symbol.toStringTag in v)) {
    byte(0x18);
    props(v, Object.keys(v), 0, depth);
    return;
  }
  const tag = toTag.call(v).slice(8, -1);
  switch (tag) {
    case 'Date': f64(0x10, v.getTime()); return;
    case 'RegExp': byte(0x11); str(v.source); str(v.flags); return;
    case 'ArrayBuffer': byte(0x12); bytesBody(new Uint8Array(v)); return;
    case 'Blob':
      byte(0x14);
      str(v.type);
      holes.push(pos);
      bodies.push(v);
      return;
    case 'File':
      byte(0x15);
      str(v.name);
      str(v.type);
      float(v.lastModified);
      holes.push(pos);
      bodies.push(v);
      return;
    case 'Map':
      byte(0x19);
      varint(v.size);
      for (const [k, x] of v) {
        value(k, depth + 1);
        value(x, depth + 1);
      }
      return;
    case 'Set':
      byte(0x1a);
      varint(v.size);
      for (const x of v) value(x, depth + 1);
      return;
    case 'Boolean': byte(0x1b); byte(boolOf.call(v) ? 1 : 0); return;
    case 'Number': f64(0x1c, numberOf.call(v)); return;
    case 'String': byte(0x1e); str(stringOf.call(v)); return;
    case 'BigInt': byte(0x1d); bigint(bigintOf.call(v)); return;
    case 'Error': {
      const { name, message, stack } = v;
      byte(0x1f);
      str(typeof name === 'string' ? name : 'Error');
      str(typeof message === 'string' ? message : '');
      if (typeof stack === 'string') {
        byte(1);
        str(stack);
      } else byte(0);
      return;
    }
    case 'Object':
      byte(0x18);
      props(v, Object.keys(v), 0, depth);
      return;
    default:
      if (ArrayBuffer.isView(v)) {
        // A view with its whole buffer (0x21): the buffer is numbered right
        // after the view, or referred to when met before (another view's,
        // or an ArrayBuffer value), so shared buffers stay shared.
        const kind = VIEW_KINDS[tag];
        if (kind === undefined) throw new Unsupported(`unknown view type ${tag}`);
        const b = v.buffer;
        const bt = toTag.call(b).slice(8, -1);
        if (bt !== 'ArrayBuffer') throw new Unsupported(`views over a ${bt} cannot be backed up`);
        byte(0x21);
        byte(kind);
        varint(v.byteOffset);
        varint(v.byteLength);
        const bid = seen.get(b);
        if (bid !== undefined) {
          byte(0x20);
          varint(bid);
          return;
        }
        seen.set(b, next++);
        byte(0x12);
        bytesBody(new Uint8Array(b));
        return;
      }
      throw new Unsupported(`values of type ${tag} cannot be backed up`);
  }
}

function encodePage(values, bodyThreshold) {
  threshold = bodyThreshold;
  pos = 0;
  holes = [];
  bodies = [];
  const ends = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    seen.clear();
    next = 0;
    try {
      value(values[i], 0);
    } catch (e) {
      seen.clear();
      return [null, i, String(e && e.message !== undefined ? e.message : e), e instanceof Unsupported];
    }
    ends[i] = pos;
  }
  seen.clear();
  const out = [buf.subarray(0, pos), ends, Uint32Array.from(holes), bodies];
  holes = [];
  bodies = [];
  return out;
}

// [primary keys, values] of IDBRecords (what getAllRecords gives).
function splitRecords(records) {
  const n = records.length;
  const keys = new Array(n);
  const values = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = records[i];
    keys[i] = r.primaryKey;
    values[i] = r.value;
  }
  return [keys, values];
}

return [encodePage, splitRecords];
