#!/usr/bin/env python3
"""Independent Coffer backup reader, written from FORMAT.md alone.

This module never imports, reads or mirrors the Rust code in crates/.  Every
accept/reject decision below cites the FORMAT.md section it comes from.  Where
FORMAT.md leaves a choice open, the reading picked is marked ``SPEC-Q<n>`` and
the question is written down in SPEC-QUESTIONS.md.

Library use:  ``verify(data, key=None, passphrase=None) -> Result``
CLI use:      ``python3 coffer_reader.py verify FILE [--key K] [--passphrase-file P]
                                                  [--key-passphrase-file KP]``
prints ``accept <authentication>`` or ``reject <code>``.
"""

from __future__ import annotations

import base64
import hmac
import struct
import sys
import zlib
from dataclasses import dataclass

import blake3 as _blake3
from Crypto.Cipher import ChaCha20_Poly1305

sys.setrecursionlimit(10000)

# ---------------------------------------------------------------------------
# Errors and limits (§7.3, §7.4)
# ---------------------------------------------------------------------------


class Reject(Exception):
    """A file fault; ``code`` is one of the stable codes of §7.4."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class Refused(Exception):
    """A command-line refusal that is not a file code (§8.3)."""


MAX_ENTRIES = 1_000_000
MAX_TOTAL_SIZE = 1 << 36
MAX_ENTRY_SIZE = 1 << 34
MAX_PART_SIZE = 1 << 30
MAX_MANIFEST_SIZE = 1 << 26
MAX_RECORD_SIZE = 1 << 29
MAX_KEY_SIZE = 1 << 24
MAX_COMPRESSION_RATIO = 500
RATIO_THRESHOLD = 1 << 20
MAX_DEPTH = 256
MAX_BIGINT_BYTES = 8192
# §4.3 "Views": ArrayBuffers one revision-2 value may hold
MAX_VALUE_BUFFERS = 1 << 22
# §9: the archive format versions and envelope versions this reader knows
FORMAT_VERSIONS = (1, 2)
ENVELOPE_VERSIONS = (1, 2)
MAX_DATABASES = 10_000
MAX_STORES = 100_000
MAX_INDEXES = 100_000
MAX_KDF_MEMORY_KIB = 1_048_576
MAX_KDF_ITERATIONS = 16
MAX_KDF_PARALLELISM = 8
MAX_KEY_NESTING = 64
KEY_FILE_MAX = 16384
MAC_ENTRY_MAX = 64
U32_MAX = 0xFFFFFFFF
U64_MAX = 0xFFFFFFFFFFFFFFFF

# §2.1 derivation contexts
KEY_ID_CONTEXT = "coffer 2026-11 master key id v1"
SEAL_KEY_CONTEXT = "coffer 2026-11 record seal key v1"
MANIFEST_MAC_CONTEXT = "coffer 2026-11 manifest mac key v1"
LOCK_WRAP_CONTEXT = "coffer 2026-11 locked backup wrap key v1"
LOCK_HEADER_MAC_CONTEXT = "coffer 2026-11 locked backup header mac v1"
LOCK_PAYLOAD_CONTEXT = "coffer 2026-11 locked backup payload key v1"

LOCKED_MAGIC = b"COFFERLK"
ZIP_LOCAL_SIG = b"PK\x03\x04"
ZIP_CD_SIG = b"PK\x01\x02"
ZIP_EOCD_SIG = b"PK\x05\x06"
ZIP64_EOCD_SIG = b"PK\x06\x06"
ZIP64_LOC_SIG = b"PK\x06\x07"
ZIP_DD_SIG = b"PK\x07\x08"

CHUNK = 65536
CHUNK_CT = CHUNK + 16

# ---------------------------------------------------------------------------
# Primitives (§1.3)
# ---------------------------------------------------------------------------


def blake3_hash(data: bytes) -> bytes:
    return _blake3.blake3(data).digest()


def blake3_keyed(key: bytes, data: bytes) -> bytes:
    return _blake3.blake3(data, key=key).digest()


def derive_key(ctx: str, ikm: bytes) -> bytes:
    return _blake3.blake3(ikm, derive_key_context=ctx).digest()


def key_id_of(master: bytes) -> bytes:
    return derive_key(KEY_ID_CONTEXT, master)[:16]


def xchacha_open(key: bytes, nonce: bytes, aad: bytes, ct_tag: bytes) -> bytes | None:
    c = ChaCha20_Poly1305.new(key=key, nonce=nonce)
    c.update(aad)
    try:
        return c.decrypt_and_verify(ct_tag[:-16], ct_tag[-16:])
    except ValueError:
        return None


def chacha_open(key: bytes, nonce: bytes, ct_tag: bytes) -> bytes | None:
    c = ChaCha20_Poly1305.new(key=key, nonce=nonce)
    try:
        return c.decrypt_and_verify(ct_tag[:-16], ct_tag[-16:])
    except ValueError:
        return None


def argon2id(passphrase: bytes, salt: bytes, m: int, t: int, p: int) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(passphrase, salt, time_cost=t, memory_cost=m, parallelism=p,
                           hash_len=32, type=Type.ID, version=0x13)


def is_lower_hex(s: str, n: int) -> bool:
    return len(s) == n and all(c in "0123456789abcdef" for c in s)


def canonical_b64(s: str) -> bytes | None:
    """§1.2: standard alphabet, '=' padding, decode-then-encode identical."""
    try:
        raw = base64.b64decode(s.encode("ascii"), validate=True)
    except Exception:
        return None
    if base64.b64encode(raw).decode("ascii") != s:
        return None
    return raw


# ---------------------------------------------------------------------------
# Strict JSON (§1.2: RFC 8259, UTF-8, no BOM; closed objects; u64 integers)
# Own parser so that duplicates, number forms, lone surrogates and nesting are
# under our control.  Iterative: no nesting limit (SPEC-Q7).
# ---------------------------------------------------------------------------


class JSONError(Exception):
    pass


class LoneSurrogate:
    """A JSON string holding a lone surrogate (§1.2): grammatical JSON, but
    not a string any schema accepts (it is not valid Unicode)."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def __eq__(self, other):
        return isinstance(other, LoneSurrogate) and other.text == self.text

    def __hash__(self):
        return hash(("lone-surrogate", self.text))

    def __repr__(self):
        return f"LoneSurrogate({self.text!r})"


class JObj:
    """A JSON object as its list of members (duplicates kept)."""

    __slots__ = ("pairs",)

    def __init__(self, pairs):
        self.pairs = pairs

    def names(self):
        return [k for k, _ in self.pairs]

    def has_dup(self):
        n = self.names()
        return len(set(n)) != len(n)

    def count(self, name):
        return sum(1 for k, _ in self.pairs if k == name)

    def get_last(self, name, default=None):
        # The probes (format, format_version, type, version) reject a
        # repeated probed member first (§7.1 6b-6c, §2.2 steps 3-4).
        v = default
        for k, val in self.pairs:
            if k == name:
                v = val
        return v

    def has(self, name):
        return any(k == name for k, _ in self.pairs)


class JNum:
    """A JSON number that is not a non-negative integer (fraction, exponent,
    or a minus sign: SPEC-Q8 treats "-0" as negative, so not a u64)."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


_WS = " \t\n\r"


def parse_json(raw: bytes):
    if raw.startswith(b"\xef\xbb\xbf"):
        raise JSONError("byte-order mark")
    try:
        s = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise JSONError("not UTF-8")
    n = len(s)
    i = 0

    def ws(i):
        while i < n and s[i] in _WS:
            i += 1
        return i

    def parse_string(i):
        # s[i] == '"'
        i += 1
        out = []
        while True:
            if i >= n:
                raise JSONError("unterminated string")
            c = s[i]
            if c == '"':
                i += 1
                break
            if c == "\\":
                i += 1
                if i >= n:
                    raise JSONError("bad escape")
                e = s[i]
                if e in '"\\/':
                    out.append(e)
                    i += 1
                elif e in "bfnrt":
                    out.append({"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}[e])
                    i += 1
                elif e == "u":
                    h = s[i + 1:i + 5]
                    if len(h) != 4 or not all(x in "0123456789abcdefABCDEF" for x in h):
                        raise JSONError("bad \\u escape")
                    out.append(chr(int(h, 16)))
                    i += 5
                else:
                    raise JSONError("bad escape")
            elif ord(c) < 0x20:
                raise JSONError("control character in string")
            else:
                out.append(c)
                i += 1
        text = "".join(out)
        # combine surrogate pairs written as escapes.  §7.1 6a: an escaped
        # lone surrogate is grammatical RFC 8259 JSON; the string is kept as
        # a LoneSurrogate, which no schema type accepts (6e)
        try:
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        except UnicodeDecodeError:
            return LoneSurrogate(text), i
        return text, i

    num_chars = "0123456789+-.eE"

    def parse_number(i):
        j = i
        while j < n and s[j] in num_chars:
            j += 1
        t = s[i:j]
        # grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
        k = 0
        neg = False
        if k < len(t) and t[k] == "-":
            neg = True
            k += 1
        if k >= len(t) or not t[k].isdigit():
            raise JSONError("bad number")
        if t[k] == "0":
            k += 1
        else:
            while k < len(t) and t[k].isdigit():
                k += 1
        integer = True
        if k < len(t) and t[k] == ".":
            integer = False
            k += 1
            st = k
            while k < len(t) and t[k].isdigit():
                k += 1
            if k == st:
                raise JSONError("bad number")
        if k < len(t) and t[k] in "eE":
            integer = False
            k += 1
            if k < len(t) and t[k] in "+-":
                k += 1
            st = k
            while k < len(t) and t[k].isdigit():
                k += 1
            if k == st:
                raise JSONError("bad number")
        if k != len(t):
            raise JSONError("bad number")
        if integer and not neg:
            return int(t), j
        return JNum(t), j

    # iterative value parser with an explicit stack
    # stack frames: ["arr", list] or ["obj", pairs, pending_key]
    stack = []
    i = ws(i)
    result = None
    have_result = False
    while True:
        # parse a value at i
        if i >= n:
            raise JSONError("unexpected end")
        c = s[i]
        val = None
        complete = True
        if c == "{":
            i = ws(i + 1)
            if i < n and s[i] == "}":
                val = JObj([])
                i += 1
            else:
                if i >= n or s[i] != '"':
                    raise JSONError("expected member name")
                key, i = parse_string(i)
                i = ws(i)
                if i >= n or s[i] != ":":
                    raise JSONError("expected ':'")
                i = ws(i + 1)
                stack.append(["obj", [], key])
                complete = False
        elif c == "[":
            i = ws(i + 1)
            if i < n and s[i] == "]":
                val = []
                i += 1
            else:
                stack.append(["arr", []])
                complete = False
        elif c == '"':
            val, i = parse_string(i)
        elif c == "t" and s.startswith("true", i):
            val, i = True, i + 4
        elif c == "f" and s.startswith("false", i):
            val, i = False, i + 5
        elif c == "n" and s.startswith("null", i):
            val, i = None, i + 4
        elif c == "-" or c.isdigit():
            val, i = parse_number(i)
        else:
            raise JSONError("unexpected character")
        if not complete:
            continue
        # attach val to containers, closing as many as possible
        while True:
            if not stack:
                result = val
                have_result = True
                break
            top = stack[-1]
            if top[0] == "arr":
                top[1].append(val)
            else:
                top[1].append((top[2], val))
            i = ws(i)
            if i >= n:
                raise JSONError("unexpected end")
            if s[i] == ",":
                i = ws(i + 1)
                if top[0] == "obj":
                    if i >= n or s[i] != '"':
                        raise JSONError("expected member name")
                    key, i = parse_string(i)
                    i = ws(i)
                    if i >= n or s[i] != ":":
                        raise JSONError("expected ':'")
                    i = ws(i + 1)
                    top[2] = key
                break  # parse next value
            closer = "]" if top[0] == "arr" else "}"
            if s[i] != closer:
                raise JSONError("expected ',' or closer")
            i += 1
            stack.pop()
            val = top[1] if top[0] == "arr" else JObj(top[1])
        if have_result:
            break
    i = ws(i)
    if i != n:
        raise JSONError("trailing data")
    return result


def is_u64(v) -> bool:
    return type(v) is int and 0 <= v <= U64_MAX


def is_u32(v) -> bool:
    return type(v) is int and 0 <= v <= U32_MAX


# ---------------------------------------------------------------------------
# Time (§1.2)
# ---------------------------------------------------------------------------


def _days_in_month(y, m):
    if m == 2:
        leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
        return 29 if leap else 28
    return 31 if m in (1, 3, 5, 7, 8, 10, 12) else 30


def is_time(s: str) -> bool:
    def digits(a, b):
        part = s[a:b]
        return len(part) == b - a and all("0" <= c <= "9" for c in part)

    if len(s) < 20:
        return False
    if not (digits(0, 4) and s[4] == "-" and digits(5, 7) and s[7] == "-" and digits(8, 10)
            and s[10] == "T" and digits(11, 13) and s[13] == ":" and digits(14, 16)
            and s[16] == ":" and digits(17, 19)):
        return False
    y, mo, d = int(s[0:4]), int(s[5:7]), int(s[8:10])
    hh, mm, ss = int(s[11:13]), int(s[14:16]), int(s[17:19])
    # SPEC-Q10: year 0000 is accepted (proleptic Gregorian, ISO 8601 year 0).
    if not (1 <= mo <= 12 and 1 <= d <= _days_in_month(y, mo)):
        return False
    if hh > 23 or mm > 59 or ss > 59:
        return False
    i = 19
    if i < len(s) and s[i] == ".":
        j = i + 1
        while j < len(s) and "0" <= s[j] <= "9":
            j += 1
        if not 1 <= j - i - 1 <= 9:
            return False
        i = j
    rest = s[i:]
    if rest == "Z":
        return True
    if len(rest) == 6 and rest[0] in "+-" and rest[3] == ":":
        oh, om = rest[1:3], rest[4:6]
        if all("0" <= c <= "9" for c in oh + om) and int(oh) <= 23 and int(om) <= 59:
            return True
    return False


# ---------------------------------------------------------------------------
# Key files (§2.2)
# ---------------------------------------------------------------------------

KEYFILE_MEMBERS = {"type", "version", "key_id", "created", "protection", "key", "kdf",
                   "salt", "wrapped_key"}


def read_key_file(raw: bytes, passphrase: bytes | None = None) -> bytes:
    """Returns the 32-byte master key, or raises Reject (§2.2 steps 1-7)."""
    if len(raw) > KEY_FILE_MAX:
        raise Reject("invalid-key-file", "over 16384 bytes")
    try:
        doc = parse_json(raw)
    except JSONError as e:
        raise Reject("invalid-key-file", f"JSON: {e}")
    if not isinstance(doc, JObj):
        raise Reject("invalid-key-file", "not an object")
    if doc.count("type") > 1 or doc.get_last("type") != "coffer-master-key":
        raise Reject("invalid-key-file", "type")
    if not doc.has("version") or doc.count("version") > 1:
        raise Reject("invalid-key-file", "version missing or repeated")
    v = doc.get_last("version")
    # SPEC-Q8: JSON integers are u64 (§1.2); -1, -0 and 2^64 are "not an integer"
    if not is_u64(v):
        raise Reject("invalid-key-file", "version not an integer")
    if v != 1:
        raise Reject("unsupported-version", "key file version")
    # step 5: closed schema, types, key_id, created
    if doc.has_dup():
        raise Reject("invalid-key-file", "duplicate member")
    d = dict(doc.pairs)
    for k in d:
        if k not in KEYFILE_MEMBERS:
            raise Reject("invalid-key-file", f"unknown member {k}")
    for req in ("key_id", "created", "protection"):
        if req not in d:
            raise Reject("invalid-key-file", f"missing {req}")
    for k in ("key_id", "created", "protection", "key", "salt", "wrapped_key"):
        if k in d and not isinstance(d[k], str):
            raise Reject("invalid-key-file", f"{k} type")
    if "kdf" in d:
        kdf = d["kdf"]
        if not isinstance(kdf, JObj) or kdf.has_dup():
            raise Reject("invalid-key-file", "kdf type")
        kd = dict(kdf.pairs)
        if set(kd) != {"memory_kib", "iterations", "parallelism"}:
            raise Reject("invalid-key-file", "kdf members")
        if not all(is_u32(x) for x in kd.values()):
            raise Reject("invalid-key-file", "kdf not u32")
    if d["protection"] not in ("none", "argon2id"):
        raise Reject("invalid-key-file", "protection")
    if not is_lower_hex(d["key_id"], 32):
        raise Reject("invalid-key-file", "key_id")
    if not is_time(d["created"]):
        raise Reject("invalid-key-file", "created")
    # step 6
    if d["protection"] == "none":
        for k in ("kdf", "salt", "wrapped_key"):
            if k in d:
                raise Reject("invalid-key-file", f"{k} with protection none")
        key = canonical_b64(d["key"]) if "key" in d else None
        if key is None or len(key) != 32:
            raise Reject("invalid-key-file", "key")
    else:
        if "key" in d:
            raise Reject("invalid-key-file", "key with argon2id")
        if "kdf" not in d:
            raise Reject("invalid-key-file", "kdf missing")
        kd = dict(d["kdf"].pairs)
        m, t, p = kd["memory_kib"], kd["iterations"], kd["parallelism"]
        # SPEC-Q13: the minimum rules (invalid-key-file) before the caps (limit-exceeded)
        if p < 1 or t < 1 or m < 8 * p:
            raise Reject("invalid-key-file", "kdf minimum")
        if m > MAX_KDF_MEMORY_KIB or t > MAX_KDF_ITERATIONS or p > MAX_KDF_PARALLELISM:
            raise Reject("limit-exceeded", "kdf caps")
        salt = canonical_b64(d["salt"]) if "salt" in d else None
        if salt is None or len(salt) != 16:
            raise Reject("invalid-key-file", "salt")
        wrapped = canonical_b64(d["wrapped_key"]) if "wrapped_key" in d else None
        if wrapped is None or len(wrapped) != 72:
            raise Reject("invalid-key-file", "wrapped_key")
        if passphrase is None:
            raise Reject("passphrase-required", "key file")
        wk = argon2id(passphrase, salt, m, t, p)
        created = d["created"].encode("utf-8")
        aad = (b"coffer-key-file v1" + bytes.fromhex(d["key_id"])
               + struct.pack("<I", len(created)) + created
               + struct.pack("<III", m, t, p) + salt)
        key = xchacha_open(wk, wrapped[:24], aad, wrapped[24:])
        if key is None:
            raise Reject("wrong-passphrase", "key file")
    # step 7
    if key_id_of(key).hex() != d["key_id"]:
        raise Reject("invalid-key-file", "checksum mismatch")
    return key


# ---------------------------------------------------------------------------
# ZIP profile (§3.1, §7.1 steps 2-5)
# ---------------------------------------------------------------------------


@dataclass
class CDEntry:
    index: int
    flags: int
    method: int
    crc: int
    comp: int
    uncomp: int
    name: bytes
    offset: int
    data_start: int = 0


# Byte access goes through slices so that the same ZIP reader works on a
# locked backup's payload, whose STREAM chunks are decrypted only when a check
# reads their bytes (§6.3: "a chunk that fails authentication at any later
# read surfaces as decryption-failed", at the step that reads it, §7.2 11/15).
def u16(b, o):
    return int.from_bytes(b[o:o + 2], "little")


def u32(b, o):
    return int.from_bytes(b[o:o + 4], "little")


def u64(b, o):
    return int.from_bytes(b[o:o + 8], "little")


def parse_extra(area: bytes):
    """§3.1 "Extra fields": the area is empty or one ZIP64 (0x0001) field,
    id(2) len(2) data(len), exactly filling it.  Returns the ZIP64 data or None."""
    o = 0
    z64 = None
    seen = False
    while o < len(area):
        if o + 4 > len(area):
            raise Reject("damaged-zip", "extra field header cut")
        fid, flen = u16(area, o), u16(area, o + 2)
        if o + 4 + flen > len(area):
            raise Reject("damaged-zip", "extra field overruns")
        if fid != 0x0001:
            raise Reject("damaged-zip", "extra field other than ZIP64")
        if fid == 0x0001:
            if seen:
                raise Reject("damaged-zip", "two ZIP64 fields")
            seen = True
            z64 = area[o + 4:o + 4 + flen]
        o += 4 + flen
    return z64


def resolve_zip64(z64, fields):
    """fields: list of (value, width_in_bytes, all_ones).  §3.1: values in the
    order uncompressed, compressed, offset, disk, each present only when its
    field is all ones.  SPEC-Q3: the ZIP64 field must hold exactly those
    values (no more, no fewer)."""
    need = [w for (v, w, ones) in fields if v == ones]
    if z64 is None:
        if need:
            raise Reject("damaged-zip", "all-ones field without ZIP64 value")
        return [v for (v, _, _) in fields]
    if sum(need) != len(z64):
        raise Reject("damaged-zip", "ZIP64 field length")
    out = []
    o = 0
    for (v, w, ones) in fields:
        if v == ones:
            if w == 8:
                out.append(u64(z64, o))
                o += 8
            else:
                out.append(u32(z64, o))
                o += 4
        else:
            out.append(v)
    if o != len(z64):
        raise Reject("damaged-zip", "ZIP64 field length")
    return out


def inflate_entry(data: bytes, e: CDEntry) -> bytes:
    """§3.1 entry data / §7.1 5c / §7.2 11: deflate damage, exact length, no
    bytes after the stream, then CRC-32."""
    if e.method == 0:
        out = data
    else:
        d = zlib.decompressobj(-15)
        try:
            out = d.decompress(data, e.uncomp + 1)
        except zlib.error:
            raise Reject("damaged-zip", "deflate data damaged")
        if len(out) > e.uncomp:
            raise Reject("damaged-zip", "more bytes than the directory's size")
        if not d.eof:
            raise Reject("damaged-zip", "deflate stream does not end")
        if d.unused_data:
            raise Reject("damaged-zip", "bytes after the deflate stream")
        if len(out) != e.uncomp:
            raise Reject("damaged-zip", "fewer bytes than the directory's size")
    if zlib.crc32(out) != e.crc:
        raise Reject("damaged-zip", "CRC-32 mismatch")
    return out


def over_ratio(e: CDEntry) -> bool:
    # §7.3: integer division, compressed at least 1, entries larger than 1 MiB
    return e.uncomp > RATIO_THRESHOLD and e.uncomp // max(e.comp, 1) > MAX_COMPRESSION_RATIO


class Archive:
    def __init__(self, data: bytes):
        self.data = data
        self.entries: list[CDEntry] = []
        self.cd_offset = 0

    def open(self):
        b = self.data
        L = len(b)
        # 2a
        if L < 22:
            raise Reject("truncated", "shorter than an end record")
        lo = max(0, L - 65557)
        pos = b.rfind(ZIP_EOCD_SIG, lo, L - 22 + 4)
        if pos < 0 or pos > L - 22:
            raise Reject("truncated", "no end record")
        # 2b
        if pos != L - 22:
            raise Reject("damaged-zip", "bytes after the end record")
        if u16(b, pos + 20) != 0:
            raise Reject("damaged-zip", "archive comment")
        disk, disk_cd, n_disk, n_total = u16(b, pos + 4), u16(b, pos + 6), u16(b, pos + 8), u16(b, pos + 10)
        cd_size, cd_off = u32(b, pos + 12), u32(b, pos + 16)
        # 2c
        if disk != 0 or disk_cd != 0 or n_disk != n_total:
            raise Reject("damaged-zip", "disk numbers / entry counts")
        count = n_total
        end_start = pos
        # 2d
        if pos >= 20 and b[pos - 20:pos - 16] == ZIP64_LOC_SIG:
            loc = pos - 20
            loc_disk, z_off, tot_disks = u32(b, loc + 4), u64(b, loc + 8), u32(b, loc + 16)
            # SPEC-Q2: "malformed" locator = disk field not 0 or total disks not 1
            if loc_disk != 0 or tot_disks != 1:
                raise Reject("damaged-zip", "ZIP64 locator malformed")
            if loc < 56 or z_off != loc - 56:
                raise Reject("damaged-zip", "ZIP64 end record not right before the locator")
            z = loc - 56
            if b[z:z + 4] != ZIP64_EOCD_SIG or u64(b, z + 4) != 44:
                raise Reject("damaged-zip", "ZIP64 end record malformed")
            zdisk, zdisk_cd = u32(b, z + 16), u32(b, z + 20)
            zn_disk, zn_total, zcd_size, zcd_off = u64(b, z + 24), u64(b, z + 32), u64(b, z + 40), u64(b, z + 48)
            if zdisk != 0 or zdisk_cd != 0 or zn_disk != zn_total:
                raise Reject("damaged-zip", "ZIP64 disk numbers / counts")
            for (v16, ones, zv) in ((disk, 0xFFFF, zdisk), (disk_cd, 0xFFFF, zdisk_cd),
                                    (n_disk, 0xFFFF, zn_disk), (n_total, 0xFFFF, zn_total),
                                    (cd_size, 0xFFFFFFFF, zcd_size), (cd_off, 0xFFFFFFFF, zcd_off)):
                if v16 != ones and v16 != zv:
                    raise Reject("damaged-zip", "end record disagrees with ZIP64 end record")
            count, cd_size, cd_off = zn_total, zcd_size, zcd_off
            end_start = z
        # 2e
        if cd_off + cd_size != end_start:
            raise Reject("damaged-zip", "central directory does not end at the end record")
        # 2f
        if count > MAX_ENTRIES:
            raise Reject("limit-exceeded", "max_entries")
        # 2g
        if count == 0:
            raise Reject("invalid-manifest", "no entries")
        # 2h
        if cd_size < 46 * count:
            raise Reject("damaged-zip", "directory too small for its count")
        self.cd_offset = cd_off
        cd_end = cd_off + cd_size
        # 2i
        o = cd_off
        for idx in range(count):
            if o + 46 > cd_end or b[o:o + 4] != ZIP_CD_SIG:
                raise Reject("damaged-zip", "directory header signature / cut short")
            flags, method = u16(b, o + 8), u16(b, o + 10)
            crc, comp, uncomp = u32(b, o + 16), u32(b, o + 20), u32(b, o + 24)
            nl, el, cl = u16(b, o + 28), u16(b, o + 30), u16(b, o + 32)
            dstart = u16(b, o + 34)
            off = u32(b, o + 42)
            if o + 46 + nl + el + cl > cd_end:
                raise Reject("damaged-zip", "directory header cut short")
            if flags & 1:
                raise Reject("damaged-zip", "encrypted entry")
            if flags & ~(0x2 | 0x4 | 0x8 | 0x800):
                raise Reject("damaged-zip", "flag bits")
            if method not in (0, 8):
                raise Reject("damaged-zip", "method")
            name = b[o + 46:o + 46 + nl]
            z64 = parse_extra(b[o + 46 + nl:o + 46 + nl + el])
            uncomp, comp, off = resolve_zip64(z64, [
                (uncomp, 8, 0xFFFFFFFF), (comp, 8, 0xFFFFFFFF), (off, 8, 0xFFFFFFFF)])
            if dstart != 0:  # §3.1: the disk number is 0 (not ffff)
                raise Reject("damaged-zip", "disk number")
            if method == 0 and comp != uncomp:
                raise Reject("damaged-zip", "stored sizes differ")
            self.entries.append(CDEntry(idx, flags, method, crc, comp, uncomp, name, off))
            o += 46 + nl + el + cl
        # 2j
        if o != cd_end:
            raise Reject("damaged-zip", "bytes left in the central directory")
        # 3a-3d
        seen = set()
        self.names = []
        for e in self.entries:
            nm = e.name
            if nm == b"manifest.json" and e.index != 0:
                raise Reject("invalid-manifest", "manifest.json not entry 0")
            if nm == b"manifest.mac" and e.index != 1:
                raise Reject("invalid-manifest", "manifest.mac not entry 1")
            if (nm not in (b"manifest.json", b"manifest.mac") and parse_data_name(nm) is None
                    and parse_part_name(nm) is None):
                raise Reject("unsafe-entry-name", repr(nm))
            if nm in seen:
                raise Reject("duplicate-entry", repr(nm))
            seen.add(nm)
        if self.entries[0].name != b"manifest.json":
            raise Reject("invalid-manifest", "entry 0 is not manifest.json")
        # 4
        expected = 0
        for e in self.entries:
            if e.offset != expected:
                raise Reject("damaged-zip", "entry does not start where the previous ended")
            o = e.offset
            if o + 30 > cd_off:
                raise Reject("damaged-zip", "local header runs into the directory")
            if b[o:o + 4] != ZIP_LOCAL_SIG:
                raise Reject("damaged-zip", "local signature")
            lflags, lmethod = u16(b, o + 6), u16(b, o + 8)
            lcrc, lcomp, luncomp = u32(b, o + 14), u32(b, o + 18), u32(b, o + 22)
            nl, el = u16(b, o + 26), u16(b, o + 28)
            if o + 30 + nl + el > cd_off:
                raise Reject("damaged-zip", "local header runs into the directory")
            if lflags != e.flags or lmethod != e.method or b[o + 30:o + 30 + nl] != e.name:
                raise Reject("damaged-zip", "local header differs from the directory")
            lz64 = parse_extra(b[o + 30 + nl:o + 30 + nl + el])
            ds = o + 30 + nl + el
            de = ds + e.comp
            if de > cd_off:
                raise Reject("damaged-zip", "data runs into the directory")
            e.data_start = ds
            if e.flags & 0x8:
                # SPEC-Q3: with bit 3 the local ZIP64 field's content is ignored
                w = 8 if lz64 is not None else 4
                dl = 4 + 4 + 2 * w
                if de + dl > cd_off:
                    raise Reject("damaged-zip", "descriptor runs into the directory")
                if b[de:de + 4] != ZIP_DD_SIG:
                    raise Reject("damaged-zip", "descriptor signature")
                dcrc = u32(b, de + 4)
                if w == 8:
                    dcomp, duncomp = u64(b, de + 8), u64(b, de + 16)
                else:
                    dcomp, duncomp = u32(b, de + 8), u32(b, de + 12)
                if dcrc != e.crc or dcomp != e.comp or duncomp != e.uncomp:
                    raise Reject("damaged-zip", "descriptor disagrees with the directory")
                expected = de + dl
            else:
                luncomp, lcomp = resolve_zip64(lz64, [(luncomp, 8, 0xFFFFFFFF), (lcomp, 8, 0xFFFFFFFF)])
                if lcrc != e.crc or lcomp != e.comp or luncomp != e.uncomp:
                    raise Reject("damaged-zip", "local CRC/sizes differ")
                expected = de
        if expected != cd_off:
            raise Reject("damaged-zip", "last entry does not end at the directory")
        self.by_name = {e.name: e for e in self.entries}

    def read(self, e: CDEntry) -> bytes:
        return inflate_entry(self.data[e.data_start:e.data_start + e.comp], e)


def parse_data_name(nm: bytes):
    """§3.2: parse, re-format, compare byte for byte."""
    try:
        s = nm.decode("ascii")
    except UnicodeDecodeError:
        return None
    parts = s.split("/")
    if len(parts) != 6 or parts[0] != "databases" or parts[2] != "stores":
        return None
    if parts[4] not in ("records", "blobs") or not parts[5].endswith(".bin"):
        return None
    d, st, f = parts[1], parts[3], parts[5][:-4]
    for x in (d, st, f):
        if not x or not all("0" <= c <= "9" for c in x):
            return None
    di, si, fi = int(d), int(st), int(f)
    if max(di, si, fi) > U32_MAX:
        return None
    canon = f"databases/{di}/stores/{si}/{parts[4]}/{fi:06d}.bin"
    if canon != s:
        return None
    return di, si, parts[4], fi


def _index(x: str, file: bool):
    """§3.2 `index` (file=False) or `file` (file=True): decimal digits, <= u32."""
    if not x or not all("0" <= c <= "9" for c in x):
        return None
    if int(x) > U32_MAX:
        return None
    return int(x)


def parse_part_name(nm: bytes):
    """§3.2 part-name (version 2, §3.5): parse, re-format, compare."""
    try:
        s = nm.decode("ascii")
    except UnicodeDecodeError:
        return None
    if s == "local-storage.bin":
        return ("local",)
    parts = s.split("/")
    if len(parts) == 2 and parts[0] == "opfs" and parts[1].endswith(".bin"):
        f = _index(parts[1][:-4], True)
        if f is not None and f"opfs/{f:06d}.bin" == s:
            return ("opfs", f)
        return None
    if len(parts) == 3 and parts[0] == "caches" and parts[2].endswith(".bin"):
        c = _index(parts[1], False)
        f = _index(parts[2][:-4], True)
        if c is not None and f is not None and f"caches/{c}/{f:06d}.bin" == s:
            return ("cache", c, f)
    return None


# ---------------------------------------------------------------------------
# Manifest (§3.3, §7.1 step 6)
# ---------------------------------------------------------------------------

PART_MEMBERS = ("local_storage", "opfs", "caches")  # §3.3, version 2 (§3.5)
TOP = {"format", "format_version", "coffer_version", "created", "key_id", "hash", "databases",
       *PART_MEMBERS}
TOP_REQ = TOP - {"key_id", *PART_MEMBERS}
LOCAL = {"entry", "size", "blake3", "items"}
OPFS = {"directories", "files"}
OPFS_FILE = {"path", "entry", "size", "blake3"}
CACHE = {"name", "entries", "skipped"}
CACHE_ENTRY = {"url", "method", "request_headers", "status", "status_text", "response_headers",
               "entry", "size", "blake3"}
SKIPPED = {"url", "method", "reason"}
DB = {"name", "version", "stores"}
STORE = {"schema", "records", "parts", "blobs"}
SCHEMA = {"name", "key_path", "auto_increment", "key_generator", "indexes", "encrypted"}
SCHEMA_REQ = {"name", "auto_increment", "indexes", "encrypted"}
INDEX = {"name", "key_path", "unique", "multi_entry"}
ENTRY = {"entry", "size", "blake3", "records"}
ENTRY_REQ = {"entry", "size", "blake3"}


def _closed(obj, members, required, what):
    if not isinstance(obj, JObj):
        raise Reject("invalid-manifest", f"{what} not an object")
    if obj.has_dup():
        raise Reject("invalid-manifest", f"{what}: duplicate member")
    d = dict(obj.pairs)
    for k in d:
        if k not in members:
            raise Reject("invalid-manifest", f"{what}: unknown member {k}")
    for k in required:
        if k not in d:
            raise Reject("invalid-manifest", f"{what}: missing member {k}")
    return d


def _want(cond, what):
    if not cond:
        raise Reject("invalid-manifest", what)


def _is_key_path(v, allow_null):
    if v is None:
        return allow_null
    if isinstance(v, str):
        return True
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def check_manifest_schema(doc):
    """§7.1 6e: the closed schema of §3.3 (types), whole tree."""
    top = _closed(doc, TOP, TOP_REQ, "manifest")
    _want(isinstance(top["coffer_version"], str), "coffer_version type")
    _want(isinstance(top["created"], str), "created type")
    _want(isinstance(top["hash"], str), "hash type")
    kid = top.get("key_id")
    _want(kid is None or (isinstance(kid, str) and is_lower_hex(kid, 32)), "key_id")
    _want(isinstance(top["databases"], list), "databases type")
    out = {"created": top["created"], "hash": top["hash"], "key_id": kid, "databases": []}
    for db in top["databases"]:
        d = _closed(db, DB, DB, "database")
        _want(isinstance(d["name"], str), "database name type")
        _want(is_u64(d["version"]), "database version type")
        _want(isinstance(d["stores"], list), "stores type")
        stores = []
        for st in d["stores"]:
            s = _closed(st, STORE, STORE, "store")
            sc = _closed(s["schema"], SCHEMA, SCHEMA_REQ, "schema")
            _want(isinstance(sc["name"], str), "store name type")
            kp = sc.get("key_path")
            _want(_is_key_path(kp, True), "key_path type")
            _want(isinstance(sc["auto_increment"], bool), "auto_increment type")
            kg = sc.get("key_generator")
            _want(kg is None or is_u64(kg), "key_generator type")
            _want(isinstance(sc["indexes"], list), "indexes type")
            _want(isinstance(sc["encrypted"], bool), "encrypted type")
            idxs = []
            for ix in sc["indexes"]:
                i = _closed(ix, INDEX, INDEX, "index")
                _want(isinstance(i["name"], str), "index name type")
                # SPEC-Q11: an index key_path of null is a type error (6e)
                _want(_is_key_path(i["key_path"], False), "index key_path type")
                _want(isinstance(i["unique"], bool), "unique type")
                _want(isinstance(i["multi_entry"], bool), "multi_entry type")
                idxs.append(i)
            _want(is_u64(s["records"]), "store records type")
            _want(isinstance(s["parts"], list), "parts type")
            _want(isinstance(s["blobs"], list), "blobs type")
            ents = {"parts": [], "blobs": []}
            for kind in ("parts", "blobs"):
                for en in s[kind]:
                    e = _closed(en, ENTRY, ENTRY_REQ, "entry info")
                    _want(isinstance(e["entry"], str), "entry type")
                    _want(is_u64(e["size"]), "size type")
                    _want(isinstance(e["blake3"], str), "blake3 type")
                    r = e.get("records")
                    _want(r is None or is_u64(r), "records type")
                    ents[kind].append(e)
            stores.append({"name": sc["name"], "key_path": kp, "auto_increment": sc["auto_increment"],
                           "key_generator": kg, "indexes": idxs, "encrypted": sc["encrypted"],
                           "records": s["records"], "parts": ents["parts"], "blobs": ents["blobs"]})
        out["databases"].append({"name": d["name"], "version": d["version"], "stores": stores})
    # §3.5: each part member absent, or of its type (never null, §3.3)
    out["present"] = [k for k in PART_MEMBERS if k in top]
    out["local_storage"] = out["opfs"] = out["caches"] = None
    if "local_storage" in top:
        ls = _closed(top["local_storage"], LOCAL, LOCAL, "local_storage")
        _want(isinstance(ls["entry"], str), "local_storage entry type")
        _want(is_u64(ls["size"]), "local_storage size type")
        _want(isinstance(ls["blake3"], str), "local_storage blake3 type")
        _want(is_u64(ls["items"]), "local_storage items type")
        out["local_storage"] = ls
    if "opfs" in top:
        o = _closed(top["opfs"], OPFS, OPFS, "opfs")
        _want(isinstance(o["directories"], list) and all(isinstance(x, str) for x in o["directories"]),
              "opfs directories type")
        _want(isinstance(o["files"], list), "opfs files type")
        files = []
        for f in o["files"]:
            fd = _closed(f, OPFS_FILE, OPFS_FILE, "opfs file")
            _want(isinstance(fd["path"], str), "opfs path type")
            _want(isinstance(fd["entry"], str), "opfs entry type")
            _want(is_u64(fd["size"]), "opfs size type")
            _want(isinstance(fd["blake3"], str), "opfs blake3 type")
            files.append(fd)
        out["opfs"] = {"directories": o["directories"], "files": files}
    if "caches" in top:
        _want(isinstance(top["caches"], list), "caches type")
        caches = []
        for c in top["caches"]:
            cd = _closed(c, CACHE, CACHE, "cache")
            _want(isinstance(cd["name"], str), "cache name type")
            _want(isinstance(cd["entries"], list), "cache entries type")
            _want(isinstance(cd["skipped"], list), "cache skipped type")
            ents = []
            for e in cd["entries"]:
                ed = _closed(e, CACHE_ENTRY, CACHE_ENTRY, "cache entry")
                for k in ("url", "method", "status_text", "entry", "blake3"):
                    _want(isinstance(ed[k], str), f"cache entry {k} type")
                _want(is_u64(ed["status"]), "status type")
                _want(is_u64(ed["size"]), "cache entry size type")
                for k in ("request_headers", "response_headers"):
                    hs = ed[k]
                    _want(isinstance(hs, list), f"{k} type")
                    for h in hs:
                        # a header is [name, value]: exactly two strings
                        _want(isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h),
                              "header type")
                ents.append(ed)
            skipped = []
            for sk in cd["skipped"]:
                sd = _closed(sk, SKIPPED, SKIPPED, "skipped response")
                _want(isinstance(sd["url"], str) and isinstance(sd["method"], str), "skipped type")
                _want(sd["reason"] in ("opaque", "opaqueredirect"), "skipped reason")
                skipped.append(sd)
            caches.append({"name": cd["name"], "entries": ents, "skipped": skipped})
        out["caches"] = caches
    return out


# §3.5.2 paths, §3.5.3 requests and responses
OPFS_STAGING = ".coffer-staging"
TCHAR = set(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def opfs_path_ok(p: str) -> bool:
    b = p.encode("utf-8")
    if not 1 <= len(b) <= 16384:
        return False
    comps = p.split("/")
    if not 1 <= len(comps) <= 128:
        return False
    for c in comps:
        if c in ("", ".", "..") or len(c.encode("utf-8")) > 1024:
            return False
        if any(ch == "\\" or ord(ch) <= 0x1F or 0x7F <= ord(ch) <= 0x9F for ch in c):
            return False
    return comps[0] != OPFS_STAGING


def opfs_parent(p: str):
    return p.rsplit("/", 1)[0] if "/" in p else None


def is_token(s: str, lower: bool) -> bool:
    return len(s) >= 1 and all(ord(ch) < 128 and ord(ch) in TCHAR and not (lower and "A" <= ch <= "Z")
                               for ch in s)


def url_ok(u: str) -> bool:
    return ((u.startswith("http://") or u.startswith("https://")) and len(u.encode("utf-8")) <= 65536
            and all(0x21 <= ord(ch) <= 0x7E for ch in u))


def method_ok(m: str) -> bool:
    return is_token(m, False) and len(m) <= 64


def header_value_ok(v: str) -> bool:
    return (len(v) <= 65536 and all(ord(ch) <= 0xFF and ch not in "\0\r\n" for ch in v)
            and not v[:1] in (" ", "\t") and not v[-1:] in (" ", "\t"))


def status_text_ok(t: str) -> bool:
    return len(t) <= 65536 and all(ch == "\t" or 0x20 <= ord(ch) <= 0x7E or 0x80 <= ord(ch) <= 0xFF for ch in t)


def check_parts(m, listed):
    """§7.1 steps 6m-6p.  Appends the parts' entries to `listed`."""
    n_db_entries = len(listed)
    ls = m["local_storage"]
    if ls is not None:  # 6m
        _want(ls["entry"] == "local-storage.bin", "local_storage entry name")
        _want(is_lower_hex(ls["blake3"], 64), "local_storage blake3 hex")
        if ls["size"] > MAX_PART_SIZE or ls["size"] > MAX_ENTRY_SIZE:
            raise Reject("limit-exceeded", "local-storage.bin size")
        listed.append(ls)
    o = m["opfs"]
    if o is not None:  # 6n
        dirs = set()
        prev = None
        for d in o["directories"]:
            _want(opfs_path_ok(d), "opfs directory path")
            _want(prev is None or prev < d.encode("utf-8"), "opfs directories order")
            par = opfs_parent(d)
            _want(par is None or par in dirs, "opfs directory parent")
            dirs.add(d)
            prev = d.encode("utf-8")
        prev = None
        for f, fl in enumerate(o["files"]):
            _want(fl["entry"] == f"opfs/{f:06d}.bin", "opfs entry name")
            _want(is_lower_hex(fl["blake3"], 64), "opfs blake3 hex")
            _want(opfs_path_ok(fl["path"]), "opfs file path")
            _want(prev is None or prev < fl["path"].encode("utf-8"), "opfs files order")
            _want(fl["path"] not in dirs, "opfs path both file and directory")
            par = opfs_parent(fl["path"])
            _want(par is None or par in dirs, "opfs file parent")
            prev = fl["path"].encode("utf-8")
            if fl["size"] > MAX_ENTRY_SIZE:
                raise Reject("limit-exceeded", "opfs file size")
            listed.append(fl)
    cs = m["caches"]
    if cs is not None:  # 6o
        names = set()
        for c, cache in enumerate(cs):
            _want(cache["name"] not in names, "cache name repeated")
            names.add(cache["name"])
            for e, en in enumerate(cache["entries"]):
                _want(en["entry"] == f"caches/{c}/{e:06d}.bin", "cache entry name")
                _want(is_lower_hex(en["blake3"], 64), "cache blake3 hex")
                _want(url_ok(en["url"]), "cache url")
                _want(method_ok(en["method"]), "cache method")
                for k in ("request_headers", "response_headers"):
                    hs = en[k]
                    if len(hs) > 1024:
                        raise Reject("limit-exceeded", "headers")
                    seen = set()
                    for name, value in hs:
                        _want(is_token(name, True) and len(name) <= 65536, "header name")
                        _want(name not in seen, "header repeated")
                        seen.add(name)
                        _want(header_value_ok(value), "header value")
                _want(200 <= en["status"] <= 599, "status")
                _want(status_text_ok(en["status_text"]), "status text")
                if en["status"] in (204, 205, 304):
                    _want(en["size"] == 0, "null-body status with a body")
                if en["size"] > MAX_ENTRY_SIZE:
                    raise Reject("limit-exceeded", "cache body size")
                listed.append(en)
            for sk in cache["skipped"]:
                _want(url_ok(sk["url"]) and method_ok(sk["method"]), "skipped url/method")
    if len(listed) > n_db_entries:  # 6p
        if len(listed) + 2 > MAX_ENTRIES:
            raise Reject("limit-exceeded", "max_entries (with parts)")
        if sum(e["size"] for e in listed) > MAX_TOTAL_SIZE:
            raise Reject("limit-exceeded", "max_total_size (with parts)")


def _key_path_ok(kp):
    if isinstance(kp, list):
        return len(kp) > 0 and all(x != "" for x in kp)
    return True


def validate_manifest(raw: bytes):
    """§7.1 step 6 (6a-6l).  Returns the manifest model."""
    try:
        doc = parse_json(raw)
    except JSONError as e:
        raise Reject("invalid-manifest", f"JSON: {e}")
    if not isinstance(doc, JObj):
        raise Reject("invalid-manifest", "not an object")  # 6a
    if doc.count("format") > 1 or doc.get_last("format") != "coffer-backup":  # 6b
        raise Reject("invalid-manifest", "format")
    if not doc.has("format_version") or doc.count("format_version") > 1:  # 6c
        raise Reject("invalid-manifest", "format_version missing or repeated")
    fv = doc.get_last("format_version")
    # SPEC-Q8: an integer beyond u64 is "not an integer" (invalid-manifest)
    if not is_u64(fv):
        raise Reject("invalid-manifest", "format_version not a non-negative integer")
    if fv not in FORMAT_VERSIONS:  # 6d
        raise Reject("unsupported-version", f"format_version {fv}")
    m = check_manifest_schema(doc)  # 6e
    if fv == 1 and m["present"]:  # 6e: version 1 has no §3.5 members
        raise Reject("invalid-manifest", "version 1 with " + ", ".join(m["present"]))
    m["format_version"] = fv
    if m["hash"] != "blake3":  # 6f
        raise Reject("invalid-manifest", "hash")
    if not is_time(m["created"]):
        raise Reject("invalid-manifest", "created")
    # 6g
    dbs = m["databases"]
    if len(dbs) > MAX_DATABASES:
        raise Reject("limit-exceeded", "max_databases")
    if sum(len(d["stores"]) for d in dbs) > MAX_STORES:
        raise Reject("limit-exceeded", "max_stores")
    if sum(len(s["indexes"]) for d in dbs for s in d["stores"]) > MAX_INDEXES:
        raise Reject("limit-exceeded", "max_indexes")
    # 6h-6j
    db_names = set()
    listed = []
    for di, d in enumerate(dbs):
        _want(d["name"] not in db_names, "database name repeated")
        db_names.add(d["name"])
        _want(d["version"] >= 1, "database version 0")
        st_names = set()
        for si, s in enumerate(d["stores"]):
            _want(s["name"] not in st_names, "store name repeated")
            st_names.add(s["name"])
            kp = s["key_path"]
            _want(_key_path_ok(kp), "key path")
            if s["auto_increment"]:
                _want(not (kp == "" or isinstance(kp, list)), "auto_increment with key path")
            _want((s["key_generator"] is not None) == s["auto_increment"], "key_generator iff auto_increment")
            if s["key_generator"] is not None:
                _want(s["key_generator"] <= (1 << 53), "key_generator over 2^53")
            ix_names = set()
            for ix in s["indexes"]:
                _want(ix["name"] not in ix_names, "index name repeated")
                ix_names.add(ix["name"])
                _want(_key_path_ok(ix["key_path"]), "index key path")
                if isinstance(ix["key_path"], list):
                    _want(not ix["multi_entry"], "multi_entry with array key path")
            _want(not (s["encrypted"] and s["blobs"]), "blobs in an encrypted store")
            for kind, dirname in (("parts", "records"), ("blobs", "blobs")):
                for k, e in enumerate(s[kind]):
                    _want(e["entry"] == f"databases/{di}/stores/{si}/{dirname}/{k:06d}.bin", "entry name")
                    _want(is_lower_hex(e["blake3"], 64), "blake3 hex")
                    r = e.get("records")
                    if kind == "parts":
                        _want(r is not None, "part without records")
                        _want(r >= 1, "part with records 0")
                    else:
                        _want(r is None, "blob with records")
                    if e["size"] > MAX_ENTRY_SIZE:  # 6i
                        raise Reject("limit-exceeded", "max_entry_size")
                    if kind == "parts" and e["size"] > MAX_PART_SIZE:
                        raise Reject("limit-exceeded", "max_part_size")
                    listed.append(e)
            _want(sum(p["records"] for p in s["parts"]) == s["records"], "parts' records sum")  # 6j
    # 6k  (SPEC-Q5: the total is over the listed entries only)
    if len(listed) + 2 > MAX_ENTRIES:
        raise Reject("limit-exceeded", "max_entries (listed)")
    if sum(e["size"] for e in listed) > MAX_TOTAL_SIZE:
        raise Reject("limit-exceeded", "max_total_size")
    # 6l
    if m["key_id"] is None and any(s["encrypted"] for d in dbs for s in d["stores"]):
        raise Reject("invalid-manifest", "encrypted store without key_id")
    check_parts(m, listed)  # 6m-6p
    return m


def _part_entries(m):
    """The parts' listed entries in manifest order (§7.1 8a)."""
    if m["local_storage"] is not None:
        yield m["local_storage"]
    if m["opfs"] is not None:
        yield from m["opfs"]["files"]
    for c in m["caches"] or []:
        yield from c["entries"]


# ---------------------------------------------------------------------------
# Record, key and value decoding (§4)
# ---------------------------------------------------------------------------


class Fault(Exception):
    def __init__(self, kind="invalid", detail=""):
        # kind: "invalid" (code of the context), "bigint" or "limit" (limit-exceeded)
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class Cursor:
    __slots__ = ("b", "pos", "end")

    def __init__(self, b, pos, end):
        self.b, self.pos, self.end = b, pos, end

    def byte(self):
        if self.pos >= self.end:
            raise Fault(detail="unexpected end")
        v = self.b[self.pos]
        self.pos += 1
        return v

    def take(self, n):
        if n > self.end - self.pos:
            raise Fault(detail="length beyond the bytes that remain")
        v = self.b[self.pos:self.pos + n]
        self.pos += n
        return v

    def varint(self):
        """§1.2 canonical LEB128, at most 64 bits."""
        val = 0
        for i in range(10):
            c = self.byte()
            if i == 9 and c > 0x01:
                raise Fault(detail="varint overflow")
            val |= (c & 0x7F) << (7 * i)
            if not c & 0x80:
                if c == 0 and i > 0:
                    raise Fault(detail="non-canonical varint")
                return val
        raise Fault(detail="varint too long")  # unreachable (10th byte <= 1)

    def varint32(self):
        v = self.varint()
        if v > U32_MAX:
            raise Fault(detail="count/index/length over 2^32-1")
        return v


def read_str(c: Cursor):
    """§4.3 Strings.  Returns the tuple of UTF-16 code units."""
    h = c.varint()
    if h % 2 == 0:
        body = c.take(h // 2)
        try:
            s = bytes(body).decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            raise Fault(detail="invalid UTF-8")
        enc = s.encode("utf-16-le")
        return struct.unpack(f"<{len(enc) // 2}H", enc), True
    body = c.take(h - 1)
    units = struct.unpack(f"<{len(body) // 2}H", body)
    lone = False
    i = 0
    while i < len(units):
        u = units[i]
        if 0xD800 <= u <= 0xDBFF and i + 1 < len(units) and 0xDC00 <= units[i + 1] <= 0xDFFF:
            i += 2
            continue
        if 0xD800 <= u <= 0xDFFF:
            lone = True
            break
        i += 1
    if not lone:
        raise Fault(detail="UTF-16 form without a lone surrogate")
    return units, False


def read_f64(c: Cursor):
    return struct.unpack("<d", bytes(c.take(8)))[0]


def decode_key(c: Cursor, level=0):
    """§4.2.  Returns a comparable tuple (§4.1 key order)."""
    if level > MAX_KEY_NESTING:
        raise Fault(detail="key nested deeper than 64")
    tag = c.byte()
    if tag in (1, 2):
        v = read_f64(c)
        if v != v:
            raise Fault(detail="NaN key")
        return (tag - 1, v + 0.0)  # -0 equals 0
    if tag == 3:
        units, _ = read_str(c)
        return (2, tuple(units))
    if tag == 4:
        n = c.varint()
        return (3, bytes(c.take(n)))
    if tag == 5:
        n = c.varint()
        items = []
        for _ in range(n):
            items.append(decode_key(c, level + 1))
        return (4, tuple(items))
    raise Fault(detail=f"unknown key tag {tag:#x}")


# §4.3 view kinds -> element size
VIEW_SIZES = {1: 1, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 4, 8: 4, 9: 8, 10: 8, 11: 8, 12: 1, 13: 2}


class BlobState:
    def __init__(self, sizes):
        self.sizes = sizes
        self.next = 0


class ValueDecoder:
    """§4.3.  ``blobs`` is the store's BlobState, or None inside an envelope
    plaintext (external bodies forbidden).  ``revision`` is the value
    encoding's revision (1 or 2, §4.3 "Revisions")."""

    def __init__(self, c: Cursor, blobs: BlobState | None, revision: int):
        self.c = c
        self.blobs = blobs
        self.numbered = 0
        self.revision = revision
        # revision 2: number -> length of every ArrayBuffer met so far
        self.buffers = {}

    def array_buffer(self):
        """An ArrayBuffer's body, its tag just read (and numbered)."""
        if self.revision >= 2:
            # §4.3 "Views": the limit is checked at the tag, before the body
            if len(self.buffers) + 1 > MAX_VALUE_BUFFERS:
                raise Fault("limit", "more than 2^22 ArrayBuffers in one value")
            n = self.binary()
            self.buffers[self.numbered - 1] = n
            return n
        return self.binary()

    def binary(self):
        c = self.c
        form = c.byte()
        if form == 0:
            n = c.varint()
            c.take(n)
            return n
        if form == 1:
            idx = c.varint()
            n = c.varint()
            if self.blobs is None:
                raise Fault(detail="external body in an envelope plaintext")
            # §4.3 Binary bodies / §7.2 12l
            if idx >= len(self.blobs.sizes) or n != self.blobs.sizes[idx] or idx != self.blobs.next:
                raise Fault(detail="external body reference")
            self.blobs.next += 1
            return n
        raise Fault(detail="binary form byte")

    def bigint(self):
        c = self.c
        sign = c.byte()
        if sign not in (0, 1):
            raise Fault(detail="bigint sign")
        m = c.varint()
        # SPEC-Q4: the limit is checked on the declared length, before the
        # bytes-remaining check
        if m > MAX_BIGINT_BYTES:
            raise Fault("bigint", "bigint over max_bigint_bytes")
        mag = c.take(m)
        if m == 0 and sign == 1:
            raise Fault(detail="negative zero bigint")
        if m > 0 and mag[-1] == 0:
            raise Fault(detail="bigint with a most significant zero byte")

    def props(self, depth):
        n = self.c.varint()
        for _ in range(n):
            read_str(self.c)
            self.value(depth + 1)

    def value(self, depth=0):
        if depth > MAX_DEPTH:
            raise Fault(detail="value deeper than max_depth")
        c = self.c
        tag = c.byte()
        if tag <= 0x03:
            return
        if tag == 0x04:
            c.take(8)
            return
        if tag == 0x05:
            self.bigint()
            return
        if tag == 0x06:
            read_str(c)
            return
        if tag == 0x20:
            n = c.varint()
            if n > U32_MAX or n >= self.numbered:
                raise Fault(detail="reference not backwards")
            return
        if not (0x10 <= tag <= 0x1F or (tag == 0x21 and self.revision >= 2)):
            raise Fault(detail=f"reserved tag {tag:#x}")
        self.numbered += 1  # pre-order numbering, at the moment the tag is read
        if tag == 0x21:
            # §4.3 "Views": kind, byteOffset, byteLength, then the buffer as
            # a child (depth + 1): an ArrayBuffer or a reference to one
            kind = c.byte()
            if kind not in VIEW_SIZES:
                raise Fault(detail="view kind")
            off = c.varint()
            length = c.varint()
            if depth + 1 > MAX_DEPTH:
                raise Fault(detail="value deeper than max_depth")
            btag = c.byte()
            if btag == 0x12:
                self.numbered += 1
                buflen = self.array_buffer()
            elif btag == 0x20:
                n = c.varint()
                if n > U32_MAX or n >= self.numbered:
                    raise Fault(detail="reference not backwards")
                if n not in self.buffers:
                    raise Fault(detail="a view's buffer refers to something not an ArrayBuffer")
                buflen = self.buffers[n]
            else:
                raise Fault(detail=f"a view's buffer with tag {btag:#x}")
            es = VIEW_SIZES[kind]
            if off % es or length % es or off + length > buflen:
                raise Fault(detail="view not aligned or out of bounds")
        elif tag == 0x10:
            c.take(8)
        elif tag == 0x11:
            read_str(c)
            _, utf8 = read_str(c)
            if not utf8:
                raise Fault(detail="regexp flags in the UTF-16 form")
        elif tag == 0x12:
            self.array_buffer()
        elif tag == 0x13:
            kind = c.byte()
            if kind not in VIEW_SIZES:
                raise Fault(detail="view kind")
            off = c.varint()
            buflen = c.varint()
            n = self.binary()
            es = VIEW_SIZES[kind]
            if off % es or n % es or off + n > buflen:
                raise Fault(detail="view not aligned or out of bounds")
        elif tag == 0x14:
            read_str(c)
            self.binary()
        elif tag == 0x15:
            read_str(c)
            read_str(c)
            c.take(8)
            self.binary()
        elif tag == 0x16:
            length = c.varint32()
            n = c.varint()
            # §4.3: n >= length is rejected as soon as n is read
            if n >= length:
                raise Fault(detail="sparse array with every element present")
            prev = -1
            for _ in range(n):
                idx = c.varint32()
                if idx <= prev or idx >= length:
                    raise Fault(detail="sparse indices not increasing / not below length")
                prev = idx
                self.value(depth + 1)
            self.props(depth)
        elif tag == 0x17:
            length = c.varint32()
            for _ in range(length):
                self.value(depth + 1)
            self.props(depth)
        elif tag == 0x18:
            self.props(depth)
        elif tag == 0x19:
            n = c.varint()
            for _ in range(n):
                self.value(depth + 1)
                self.value(depth + 1)
        elif tag == 0x1A:
            n = c.varint()
            for _ in range(n):
                self.value(depth + 1)
        elif tag == 0x1B:
            if c.byte() not in (0, 1):
                raise Fault(detail="Boolean object byte")
        elif tag == 0x1C:
            c.take(8)
        elif tag == 0x1D:
            self.bigint()
        elif tag == 0x1E:
            read_str(c)
        elif tag == 0x1F:
            read_str(c)
            read_str(c)
            flag = c.byte()
            if flag == 1:
                read_str(c)
            elif flag != 0:
                raise Fault(detail="Error stack flag")


def check_value(data: bytes, start: int, end: int, blobs: BlobState | None, code: str,
                revision: int):
    """A whole top-level value of ``revision`` spanning exactly [start, end)."""
    c = Cursor(data, start, end)
    try:
        ValueDecoder(c, blobs, revision).value(0)
        if c.pos != end:
            raise Fault(detail="bytes left after the top-level value")
    except Fault as f:
        if f.kind in ("bigint", "limit"):
            raise Reject("limit-exceeded", f.detail)
        raise Reject(code, f.detail)


# ---------------------------------------------------------------------------
# Sealed envelope (§5)
# ---------------------------------------------------------------------------


def _varint_bytes(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def check_envelope(env: bytes, manifest_key_id: bytes, key: bytes | None,
                   db_name: str, store_name: str, key_bytes: bytes):
    """§7.2 12e-12i."""
    if len(env) < 57:
        raise Reject("invalid-sealed-record", "envelope shorter than 57 bytes")
    version = env[0]
    if version not in ENVELOPE_VERSIONS:
        raise Reject("unsupported-version", "envelope version")
    if env[1:17] != manifest_key_id:
        raise Reject("corrupt-record", "envelope names another key id")
    if key is None:
        return
    seal_key = derive_key(SEAL_KEY_CONTEXT, key)
    dbb, stb = db_name.encode("utf-8"), store_name.encode("utf-8")
    aad = (b"coffer-sealed-record" + bytes([version]) + env[1:17]
           + _varint_bytes(len(dbb)) + dbb + _varint_bytes(len(stb)) + stb
           + _varint_bytes(len(key_bytes)) + key_bytes)
    pt = xchacha_open(seal_key, env[17:41], aad, env[41:])
    if pt is None:
        raise Reject("decryption-failed", "envelope does not open")
    # §5: the plaintext's revision is the envelope's version
    check_value(pt, 0, len(pt), None, "invalid-sealed-record", version)


# ---------------------------------------------------------------------------
# Plain backup: §7.1 steps 2-9 and §7.2 steps 10-15
# ---------------------------------------------------------------------------


def verify_plain(data, key: bytes | None) -> str:
    # 1c
    if data[:4] != ZIP_LOCAL_SIG:
        raise Reject("not-a-backup", "not PK\\3\\4")
    z = Archive(data)
    z.open()  # steps 2-4
    me = z.entries[0]
    # 5
    if me.uncomp > MAX_MANIFEST_SIZE:
        raise Reject("limit-exceeded", "max_manifest_size")
    if over_ratio(me):
        raise Reject("limit-exceeded", "manifest compression ratio")
    mraw = z.read(me)
    # 6
    m = validate_manifest(mraw)
    # 7
    mac_entry = z.entries[1] if len(z.entries) > 1 and z.entries[1].name == b"manifest.mac" else None
    mac_hex = None
    if mac_entry is not None:
        if mac_entry.uncomp > MAC_ENTRY_MAX:
            raise Reject("limit-exceeded", "manifest.mac over 64 bytes")
        mraw_mac = z.read(mac_entry)
        try:
            mac_hex = mraw_mac.decode("ascii")
        except UnicodeDecodeError:
            mac_hex = ""
        if not is_lower_hex(mac_hex, 64):
            raise Reject("invalid-manifest", "manifest.mac not 64 lowercase hex")
        if m["key_id"] is None:
            raise Reject("unexpected-entry", "manifest.mac without key_id")
    elif m["key_id"] is not None:
        raise Reject("mac-missing", "key_id but no manifest.mac")
    # 8
    listed_names = set()
    db_entries = [e for d in m["databases"] for s in d["stores"] for e in s["parts"] + s["blobs"]]
    for e in db_entries + list(_part_entries(m)):
        nm = e["entry"].encode("ascii")
        listed_names.add(nm)
        ce = z.by_name.get(nm)
        if ce is None:
            raise Reject("missing-entry", e["entry"])
        if ce.uncomp != e["size"]:
            raise Reject("size-mismatch", e["entry"])
        if over_ratio(ce):
            raise Reject("limit-exceeded", "entry compression ratio")
    # 9
    for ce in z.entries[1:]:
        if ce.name in (b"manifest.mac",):
            continue
        if ce.name not in listed_names:
            raise Reject("unexpected-entry", ce.name.decode("ascii", "replace"))
    # 10
    kid = bytes.fromhex(m["key_id"]) if m["key_id"] is not None else None
    if kid is None:
        auth = "no-mac"
    elif key is None:
        auth = "key-not-given"
    else:
        if key_id_of(key) != kid:
            raise Reject("wrong-key", "key id differs")
        mac = blake3_keyed(derive_key(MANIFEST_MAC_CONTEXT, key), mraw).hex()
        if not hmac.compare_digest(mac, mac_hex):
            raise Reject("mac-mismatch", "manifest MAC")
        auth = "verified"

    def read_listed(e):
        ce = z.by_name[e["entry"].encode("ascii")]
        raw = z.read(ce)
        if blake3_hash(raw).hex() != e["blake3"]:
            raise Reject("hash-mismatch", e["entry"])
        return raw

    # 11-15
    for d in m["databases"]:
        for s in d["stores"]:
            blobs = BlobState([b["size"] for b in s["blobs"]])
            prev_key = None
            total = 0
            for p in s["parts"]:
                raw = read_listed(p)  # 11
                c = Cursor(raw, 0, len(raw))
                count = 0
                while c.pos < c.end:
                    # 12a
                    try:
                        klen = c.varint()
                        kstart = c.pos
                        c.take(klen)
                        vlen = c.varint()
                        vstart = c.pos
                        c.take(vlen)
                    except Fault as f:
                        raise Reject("corrupt-record", "framing: " + f.detail)
                    # 12b
                    if klen + vlen > MAX_RECORD_SIZE or klen > MAX_KEY_SIZE:
                        raise Reject("limit-exceeded", "record/key size")
                    # 12c
                    kc = Cursor(raw, kstart, kstart + klen)
                    try:
                        k = decode_key(kc)
                        if kc.pos != kc.end:
                            raise Fault(detail="key does not span its framing length")
                    except Fault as f:
                        raise Reject("corrupt-record", "key: " + f.detail)
                    # 12d
                    if prev_key is not None and not k > prev_key:
                        raise Reject("corrupt-record", "keys not ascending")
                    prev_key = k
                    if s["encrypted"]:
                        check_envelope(bytes(raw[vstart:vstart + vlen]), kid, key if auth == "verified" else None,
                                       d["name"], s["name"], bytes(raw[kstart:kstart + klen]))
                    else:
                        # §9: plain values use the revision of format_version
                        check_value(raw, vstart, vstart + vlen, blobs, "corrupt-record",
                                    m["format_version"])
                    count += 1
                if count != p["records"]:  # 13
                    raise Reject("record-count-mismatch", p["entry"])
                total += count
            if total != s["records"]:  # 14a
                raise Reject("record-count-mismatch", "store")
            if blobs.next != len(blobs.sizes):  # 14b
                raise Reject("corrupt-record", "a blob no record referred to")
            for b in s["blobs"]:  # 15
                read_listed(b)
    ls = m["local_storage"]
    if ls is not None:
        raw = read_listed(ls)  # 16a
        c = Cursor(raw, 0, len(raw))
        prev = None
        n = 0
        while c.pos < c.end:  # 16b
            try:
                k, _ = read_str(c)
                read_str(c)
            except Fault as f:
                raise Reject("corrupt-record", "localStorage: " + f.detail)
            if prev is not None and not tuple(k) > tuple(prev):
                raise Reject("corrupt-record", "localStorage keys not ascending")
            prev = k
            n += 1
        if n != ls["items"]:  # 16d
            raise Reject("record-count-mismatch", "localStorage items")
    if m["opfs"] is not None:
        for f in m["opfs"]["files"]:  # 17
            read_listed(f)
    for cache in m["caches"] or []:
        for e in cache["entries"]:  # 18
            read_listed(e)
    return auth


# ---------------------------------------------------------------------------
# Locked backups (§6, §7.1 1b)
# ---------------------------------------------------------------------------


def open_locked(data: bytes, key: bytes | None, passphrase: bytes | None) -> bytes:
    """Returns the decrypted payload (the inner plain backup)."""
    L = len(data)

    def need(n):
        if L < n:
            raise Reject("truncated", "locked header cut short")

    # SPEC-Q1: each header field is checked as it is read ("fields in the
    # order they are read", §7): cut short → truncated only when the field
    # about to be read is missing.
    need(9)
    if data[8] != 0x01:
        raise Reject("unsupported-version", "locked header version")
    need(10)
    count = data[9]
    if count not in (1, 2):
        raise Reject("not-a-backup", "stanza count")
    o = 10
    pw_stanza = None
    mk_stanza = None
    for _ in range(count):
        need(o + 1)
        t = data[o]
        if t == 0x01:
            if pw_stanza is not None:
                raise Reject("not-a-backup", "repeated stanza type")
            need(o + 101)
            m, tt, p = struct.unpack_from("<III", data, o + 1)
            # §6.2: p >= 1, t >= 1, m >= 8p (checked as the header is parsed)
            if p < 1 or tt < 1 or m < 8 * p:
                raise Reject("not-a-backup", "Argon2id parameters")
            pw_stanza = (o, m, tt, p, data[o + 13:o + 29], data[o + 29:o + 101])
            o += 101
        elif t == 0x02:
            if mk_stanza is not None:
                raise Reject("not-a-backup", "repeated stanza type")
            need(o + 89)
            mk_stanza = (o, data[o + 1:o + 17], data[o + 17:o + 89])
            o += 89
        else:
            raise Reject("not-a-backup", "unknown stanza type")
    need(o + 48)
    salt = data[o:o + 16]
    mac = data[o + 16:o + 48]
    hlen = o + 48
    if pw_stanza is not None:
        _, m, tt, p, _, _ = pw_stanza
        if m > MAX_KDF_MEMORY_KIB or tt > MAX_KDF_ITERATIONS or p > MAX_KDF_PARALLELISM:
            raise Reject("limit-exceeded", "Argon2id parameters over the caps")
    # §6.2 Unlocking
    file_key = None
    label = b"coffer-locked-stanza v1"
    if key is not None and mk_stanza is not None and mk_stanza[1] == key_id_of(key):
        so, kid, wrapped = mk_stanza
        wk = derive_key(LOCK_WRAP_CONTEXT, key)
        file_key = xchacha_open(wk, wrapped[:24], label + data[so:so + 17], wrapped[24:])
        if file_key is None:
            raise Reject("decryption-failed", "master-key stanza")
    elif passphrase is not None and pw_stanza is not None:
        so, m, tt, p, psalt, wrapped = pw_stanza
        wk = argon2id(passphrase, psalt, m, tt, p)
        file_key = xchacha_open(wk, wrapped[:24], label + data[so:so + 29], wrapped[24:])
        if file_key is None:
            raise Reject("wrong-passphrase", "passphrase stanza")
    else:
        if key is not None and mk_stanza is not None and (passphrase is None or pw_stanza is None):
            raise Reject("wrong-key", "master-key stanza names another key")
        if pw_stanza is not None:
            raise Reject("passphrase-required", "locked with a passphrase")
        raise Reject("key-required", "locked with a master key")
    mac_key = derive_key(LOCK_HEADER_MAC_CONTEXT, file_key)
    if not hmac.compare_digest(blake3_keyed(mac_key, data[:hlen - 32]), mac):
        raise Reject("decryption-failed", "header MAC")
    pkey = derive_key(LOCK_PAYLOAD_CONTEXT, file_key + salt)
    # §6.3 payload length
    P = L - hlen
    if P < 16:
        raise Reject("truncated", "payload under 16 bytes")
    n = -(-P // CHUNK_CT)
    last_len = P - (n - 1) * CHUNK_CT
    if n > 1 and last_len <= 16:
        raise Reject("truncated", "final chunk of 16 bytes or fewer")

    def chunk(i):
        st = hlen + i * CHUNK_CT
        ct = data[st:min(st + CHUNK_CT, L)]
        nonce = b"\x00\x00\x00" + struct.pack(">Q", i) + (b"\x01" if i == n - 1 else b"\x00")
        pt = chacha_open(pkey, nonce, ct)
        if pt is None:
            raise Reject("decryption-failed", f"STREAM chunk {i}")
        return pt

    payload = LazyPayload(chunk, n, (n - 1) * CHUNK + (last_len - 16))
    payload.get(n - 1)  # §6.3: the final chunk is authenticated first
    if len(payload) == 0:
        raise Reject("not-a-backup", "empty payload")
    if payload[:8] == LOCKED_MAGIC:
        raise Reject("not-a-backup", "locked payload (nested)")
    return payload


class LazyPayload:
    """The plaintext of a STREAM payload, decrypted chunk by chunk on first
    read, as a check needs one of its bytes.  §3.1: the end-record search
    reads the whole window, max(0, length - 65,557) to the end, so every
    chunk that window touches is authenticated at §7.1 step 2a."""

    def __init__(self, chunk_fn, n, length):
        self.chunk_fn, self.n, self.length = chunk_fn, n, length
        self.cache = {}

    def __len__(self):
        return self.length

    def get(self, i):
        if i not in self.cache:
            self.cache[i] = self.chunk_fn(i)
        return self.cache[i]

    def __getitem__(self, sl):
        if not isinstance(sl, slice):
            return self[sl:sl + 1][0]
        start, stop, _ = sl.indices(self.length)
        if stop <= start:
            return b""
        out = []
        for i in range(start // CHUNK, (stop - 1) // CHUNK + 1):
            c = self.get(i)
            base = i * CHUNK
            out.append(c[max(start - base, 0):stop - base])
        return b"".join(out)

    def rfind(self, sub, lo, hi):
        hi = min(hi, self.length)
        r = self[lo:hi].rfind(sub)
        return r + lo if r >= 0 else -1


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


@dataclass
class Result:
    outcome: str  # "accept" / "reject"
    code: str | None = None
    authentication: str | None = None
    detail: str = ""

    def line(self):
        return f"accept {self.authentication}" if self.outcome == "accept" else f"reject {self.code}"


def verify(data: bytes, key: bytes | None = None, passphrase: bytes | None = None) -> Result:
    try:
        if len(data) == 0:  # 1a
            raise Reject("not-a-backup", "empty file")
        if data[:8] == LOCKED_MAGIC:  # 1b
            data = open_locked(data, key, passphrase)
        auth = verify_plain(data, key)
        return Result("accept", authentication=auth)
    except Reject as r:
        return Result("reject", code=r.code, detail=r.detail)


def read_passphrase_file(path: str) -> bytes:
    """§8.3: first line without LF/CRLF; over 64 KiB or empty first line refused."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) > 65536:
        raise Refused("passphrase file over 64 KiB")
    line = raw.split(b"\n", 1)[0]
    if line.endswith(b"\r") and b"\n" in raw:
        line = line[:-1]
    if not line:
        raise Refused("empty passphrase")
    return line


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="coffer_reader.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("verify")
    v.add_argument("file")
    v.add_argument("--key")
    v.add_argument("--passphrase-file")
    v.add_argument("--key-passphrase-file")
    v.add_argument("--detail", action="store_true", help="print the reason too")
    a = ap.parse_args(argv)
    try:
        pw = read_passphrase_file(a.passphrase_file) if a.passphrase_file else None
        kpw = read_passphrase_file(a.key_passphrase_file) if a.key_passphrase_file else None
    except Refused as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    key = None
    if a.key:
        with open(a.key, "rb") as f:
            try:
                key = read_key_file(f.read(), kpw)
            except Reject as r:
                print(f"reject {r.code}" + (f"  ({r.detail})" if a.detail else ""))
                return 1
    with open(a.file, "rb") as f:
        data = f.read()
    r = verify(data, key, pw)
    print(r.line() + (f"  ({r.detail})" if a.detail and r.detail else ""))
    return 0 if r.outcome == "accept" else 1


if __name__ == "__main__":
    sys.exit(main())
