#!/usr/bin/env python3
"""Differential test: the independent Python reader against the reference CLI.

From a fixed seed, derives many files from the accepted vectors of
FORMAT.md §10.8 (and from backups/locked backups this script writes itself,
following FORMAT.md), runs both readers on each and reports every file where
they disagree on accept/reject, on the error code, or on the authentication.

    python3 differential.py [--count N] [--seed S] [--out DIR] [--json FILE]
                            [--coffer PATH] [--jobs J]

Exit status 1 if any disagreement.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import hashlib
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import coffer_reader as cr  # noqa: E402
from Crypto.Cipher import ChaCha20_Poly1305  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
VEC = os.path.join(ROOT, "crates", "coffer-engine", "tests", "vectors")
MASTER = bytes(range(32))
OTHER = b"\x5a" * 32
KID = cr.key_id_of(MASTER)
PASS = b"correct horse battery staple"
WRONG_PASS = b"not the passphrase"
KEYFILES = {"master": os.path.join(VEC, "keyfile-plain.json"), "other": os.path.join(VEC, "keyfile-other.json")}
KEYS = {"master": MASTER, "other": OTHER, None: None}

# ---------------------------------------------------------------------------
# Encoders (FORMAT.md §1.2, §4)
# ---------------------------------------------------------------------------


def varint(n: int) -> bytes:
    return cr._varint_bytes(n)


def enc_str(s) -> bytes:
    """str → §4.3 str.  A tuple/list of UTF-16 units with a lone surrogate
    uses the UTF-16 form."""
    if isinstance(s, str):
        b = s.encode("utf-8")
        return varint(2 * len(b)) + b
    body = struct.pack(f"<{len(s)}H", *s)
    return varint(2 * len(s) + 1) + body


def f64(x: float) -> bytes:
    return struct.pack("<d", x)


def key_num(x):
    return b"\x01" + f64(x)


def key_str(s):
    return b"\x03" + enc_str(s)


def key_sort_token(kb: bytes):
    c = cr.Cursor(kb, 0, len(kb))
    return cr.decode_key(c)


class ValueGen:
    """Random canonical values (§4.3)."""

    def __init__(self, rng, blobs=None, allow_external=True):
        self.rng = rng
        self.numbered = 0
        self.blobs = blobs if blobs is not None else []
        self.allow_external = allow_external

    def rstr(self):
        r = self.rng.random()
        if r < 0.1:
            return ""
        if r < 0.2:
            return (0x61, 0xD800) if self.rng.random() < 0.5 else (0xDC00,)
        if r < 0.3:
            return "é😀\u00ff"
        return "".join(self.rng.choice("abcxyz_") for _ in range(self.rng.randint(1, 6)))

    def binary(self):
        rng = self.rng
        if self.allow_external and rng.random() < 0.25:
            body = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40)))
            idx = len(self.blobs)
            self.blobs.append(body)
            return b"\x01" + varint(idx) + varint(len(body)), len(body)
        n = rng.choice([0, 1, 2, 4, 8, 16])
        return b"\x00" + varint(n) + bytes(rng.getrandbits(8) for _ in range(n)), n

    def bigint(self):
        rng = self.rng
        m = rng.choice([0, 1, 2, 9])
        if m == 0:
            return b"\x00\x00"
        mag = bytes(rng.getrandbits(8) for _ in range(m - 1)) + bytes([rng.randint(1, 255)])
        return bytes([rng.randint(0, 1)]) + varint(m) + mag

    def value(self, depth=0):
        rng = self.rng
        leaf = depth >= 4 or rng.random() < 0.45
        if leaf:
            t = rng.choice([0, 1, 2, 3, 4, 5, 6, 6, 0x10, 0x11, 0x12, 0x13, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20])
        else:
            t = rng.choice([0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x17, 0x18])
        if t <= 3:
            return bytes([t])
        if t == 4:
            return b"\x04" + f64(rng.choice([0.0, -0.0, 1.5, float("inf"), float("nan"), 1e300]))
        if t == 5:
            return b"\x05" + self.bigint()
        if t == 6:
            return b"\x06" + enc_str(self.rstr())
        if t == 0x20:
            if self.numbered == 0:
                return b"\x01"
            return b"\x20" + varint(rng.randrange(self.numbered))
        self.numbered += 1
        if t == 0x10:
            return b"\x10" + f64(rng.choice([0.0, float("nan"), 1.7e12]))
        if t == 0x11:
            return b"\x11" + enc_str(self.rstr()) + enc_str(rng.choice(["", "g", "gi"]))
        if t == 0x12:
            return b"\x12" + self.binary()[0]
        if t == 0x13:
            kind = rng.randint(1, 13)
            es = {1: 1, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 4, 8: 4, 9: 8, 10: 8, 11: 8, 12: 1, 13: 2}[kind]
            n = es * rng.randint(0, 3)
            off = es * rng.randint(0, 2)
            body = b"\x00" + varint(n) + bytes(rng.getrandbits(8) for _ in range(n))
            return b"\x13" + bytes([kind]) + varint(off) + varint(off + n + es * rng.randint(0, 2)) + body
        if t == 0x14:
            return b"\x14" + enc_str("text/plain") + self.binary()[0]
        if t == 0x15:
            return b"\x15" + enc_str("a.txt") + enc_str("") + f64(0.0) + self.binary()[0]
        if t == 0x16:
            length = rng.randint(2, 6)
            idxs = sorted(rng.sample(range(length), rng.randint(0, length - 1)))
            out = b"\x16" + varint(length) + varint(len(idxs))
            for i in idxs:
                out += varint(i) + self.value(depth + 1)
            return out + self.props(depth)
        if t == 0x17:
            n = rng.randint(0, 3)
            return b"\x17" + varint(n) + b"".join(self.value(depth + 1) for _ in range(n)) + self.props(depth, 0.2)
        if t == 0x18:
            return b"\x18" + self.props(depth, 1.0)
        if t == 0x19:
            n = rng.randint(0, 2)
            return b"\x19" + varint(n) + b"".join(self.value(depth + 1) + self.value(depth + 1) for _ in range(n))
        if t == 0x1a:
            n = rng.randint(0, 3)
            return b"\x1a" + varint(n) + b"".join(self.value(depth + 1) for _ in range(n))
        if t == 0x1b:
            return b"\x1b" + bytes([rng.randint(0, 1)])
        if t == 0x1c:
            return b"\x1c" + f64(-0.0)
        if t == 0x1d:
            return b"\x1d" + self.bigint()
        if t == 0x1e:
            return b"\x1e" + enc_str(self.rstr())
        if t == 0x1f:
            st = b"\x00" if rng.random() < 0.5 else b"\x01" + enc_str("at x")
            return b"\x1f" + enc_str("TypeError") + enc_str("bad") + st
        raise AssertionError(t)

    def props(self, depth, p=0.3):
        if self.rng.random() >= p:
            return b"\x00"
        n = self.rng.randint(1, 3)
        return varint(n) + b"".join(enc_str(self.rstr()) + self.value(depth + 1) for _ in range(n))


def gen_key(rng, level=0):
    t = rng.choice([1, 1, 2, 3, 3, 4, 5]) if level < 2 else rng.choice([1, 3, 4])
    if t == 1:
        return key_num(rng.choice([0.0, -0.0, 1.0, -1.0, 2.5, float("inf"), float("-inf"), float(rng.randint(-99, 99))]))
    if t == 2:
        return b"\x02" + f64(float(rng.randint(-5, 5)))
    if t == 3:
        return key_str(rng.choice(["", "a", "b", "ab", "\uff61", "😀", "é", (0xD800,), (0x61, 0xDC00)]))
    if t == 4:
        n = rng.randint(0, 3)
        return b"\x04" + varint(n) + bytes(rng.choice([0, 1, 0x80, 0xff]) for _ in range(n))
    n = rng.randint(0, 3)
    return b"\x05" + varint(n) + b"".join(gen_key(rng, level + 1) for _ in range(n))


def sorted_unique_keys(rng, n):
    seen = {}
    for _ in range(n * 4):
        k = gen_key(rng)
        tok = key_sort_token(k)
        if tok not in seen:
            seen[tok] = k
        if len(seen) >= n:
            break
    return [seen[t] for t in sorted(seen)]


def frame(k: bytes, v: bytes) -> bytes:
    return varint(len(k)) + k + varint(len(v)) + v


def seal(plaintext: bytes, db: str, store: str, key_bytes: bytes, nonce: bytes, master=MASTER,
         version=1, kid=None) -> bytes:
    kid = kid if kid is not None else cr.key_id_of(master)
    sk = cr.derive_key(cr.SEAL_KEY_CONTEXT, master)
    dbb, stb = db.encode(), store.encode()
    aad = (b"coffer-sealed-record" + bytes([version]) + kid + varint(len(dbb)) + dbb
           + varint(len(stb)) + stb + varint(len(key_bytes)) + key_bytes)
    c = ChaCha20_Poly1305.new(key=sk, nonce=nonce)
    c.update(aad)
    ct, tag = c.encrypt_and_digest(plaintext)
    return bytes([version]) + kid + nonce + ct + tag


# ---------------------------------------------------------------------------
# ZIP writer (FORMAT.md §3.1) with region bookkeeping
# ---------------------------------------------------------------------------


def deflate(data: bytes, level=1) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def write_zip(entries, opts=None):
    """entries: list of dicts {name: bytes, data: bytes, method: 0/8}.
    Returns (bytes, regions) where regions maps a region name to a list of
    (start, end, entry_name)."""
    o = dict(streaming=True, zip64_cd=False, zip64_eocd=False, zip64_local=False, extra=False,
             flags_extra=0, level=1, zip64_cd_mode="all", zip64_local_stream=False, dd8=True,
             zip64_local_partial=False)
    o.update(opts or {})
    out = bytearray()
    regions = collections.defaultdict(list)
    cd_records = []
    for e in entries:
        name, data, method = e["name"], e["data"], e.get("method", 0)
        comp = deflate(data, o["level"]) if method == 8 else data
        crc = zlib.crc32(data)
        flags = (0x8 if o["streaming"] else 0) | o["flags_extra"] | e.get("flags_or", 0)
        off = len(out)
        lextra = b""
        if o["extra"]:
            lextra += struct.pack("<HH", 0x5455, 5) + b"\x01\x00\x00\x00\x00"
        if o["streaming"]:
            lcrc, lcomp, luncomp = 0, 0, 0
            if o["zip64_local_stream"]:
                lextra += struct.pack("<HHQQ", 1, 16, 0, 0)
                lcomp, luncomp = 0xFFFFFFFF, 0xFFFFFFFF
        elif o["zip64_local_partial"]:
            lcrc, lcomp, luncomp = crc, len(comp), 0xFFFFFFFF
            lextra += struct.pack("<HHQ", 1, 8, len(data))
        else:
            lcrc, lcomp, luncomp = crc, len(comp), len(data)
            if o["zip64_local"]:
                lextra += struct.pack("<HHQQ", 1, 16, len(data), len(comp))
                lcomp, luncomp = 0xFFFFFFFF, 0xFFFFFFFF
        lh = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, flags, method, 0, 0x5B7A, lcrc, lcomp, luncomp,
                         len(name), len(lextra)) + name + lextra
        out += lh
        regions["local_header"].append((off, len(out), name))
        ds = len(out)
        out += comp
        regions["data"].append((ds, len(out), name))
        if o["streaming"] and o["zip64_local_stream"] and o["dd8"]:
            dd = struct.pack("<4sIQQ", b"PK\x07\x08", crc, len(comp), len(data))
            s = len(out)
            out += dd
            regions["descriptor"].append((s, len(out), name))
        elif o["streaming"]:
            dd = struct.pack("<4sIII", b"PK\x07\x08", crc, len(comp), len(data))
            s = len(out)
            out += dd
            regions["descriptor"].append((s, len(out), name))
        cd_records.append((name, flags, method, crc, len(comp), len(data), off))
    cd_start = len(out)
    for (name, flags, method, crc, clen, ulen, off) in cd_records:
        extra = b""
        if o["extra"]:
            extra += struct.pack("<HH", 0x5455, 5) + b"\x01\x00\x00\x00\x00"
        c_comp, c_uncomp, c_off = clen, ulen, off
        if o["zip64_cd"]:
            mode = o["zip64_cd_mode"]
            if mode == "all":
                extra += struct.pack("<HHQQQ", 1, 24, ulen, clen, off)
                c_comp, c_uncomp, c_off = 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF
            elif mode == "comp":
                extra += struct.pack("<HHQ", 1, 8, clen)
                c_comp = 0xFFFFFFFF
            elif mode == "offset":
                extra += struct.pack("<HHQ", 1, 8, off)
                c_off = 0xFFFFFFFF
            elif mode == "comp+offset":
                extra += struct.pack("<HHQQ", 1, 16, clen, off)
                c_comp, c_off = 0xFFFFFFFF, 0xFFFFFFFF
            elif mode == "disk":
                extra += struct.pack("<HHI", 1, 4, 0)
        s = len(out)
        disk = 0xFFFF if (o["zip64_cd"] and o["zip64_cd_mode"] == "disk") else 0
        out += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 0x0314, 20, flags, method, 0, 0x5B7A, crc,
                           c_comp, c_uncomp, len(name), len(extra), 0, disk, 0, 0o100644 << 16, c_off) + name + extra
        regions["cd_header"].append((s, len(out), name))
    cd_end = len(out)
    n = len(cd_records)
    if o["zip64_eocd"]:
        z = len(out)
        out += struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, n, n, cd_end - cd_start, cd_start)
        out += struct.pack("<4sIQI", b"PK\x06\x07", 0, z, 1)
        regions["zip64"].append((z, len(out), b""))
        e_n, e_size, e_off = 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF
    else:
        e_n, e_size, e_off = n, cd_end - cd_start, cd_start
    s = len(out)
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, e_n, e_n, e_size, e_off, 0)
    regions["eocd"].append((s, len(out), b""))
    return bytes(out), regions


def read_zip_entries(data: bytes):
    z = cr.Archive(data)
    z.open()
    return [{"name": e.name, "data": z.read(e), "method": e.method} for e in z.entries]


# ---------------------------------------------------------------------------
# Backup documents: manifest + entries, rendered with a recomputed MAC
# ---------------------------------------------------------------------------


class Doc:
    def __init__(self, manifest, data_entries, mac_key=MASTER):
        self.manifest = manifest          # python dict (json-able)
        self.data = data_entries          # list of dicts name/data/method
        self.mac_key = mac_key
        self.mtext = None                 # manifest bytes override
        self.mac = "auto"                 # auto | none | force | bytes
        self.zopts = {}
        self.manifest_method = 8
        self.extra_entries_front = []     # rarely used

    def copy(self):
        d = Doc(json.loads(json.dumps(self.manifest)), [dict(e) for e in self.data], self.mac_key)
        d.mtext, d.mac, d.zopts, d.manifest_method = self.mtext, self.mac, dict(self.zopts), self.manifest_method
        return d

    def manifest_bytes(self):
        if self.mtext is not None:
            return self.mtext
        return (json.dumps(self.manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    def entry_infos(self):
        for d in self.manifest["databases"]:
            for s in d["stores"]:
                for e in s["parts"] + s["blobs"]:
                    yield e
        # §3.5 (version 2): the parts' entries
        if isinstance(self.manifest.get("local_storage"), dict):
            yield self.manifest["local_storage"]
        if isinstance(self.manifest.get("opfs"), dict):
            yield from self.manifest["opfs"].get("files", [])
        for c in self.manifest.get("caches") or []:
            yield from c.get("entries", [])

    def rehash(self, names=None):
        by = {e["name"]: e["data"] for e in self.data}
        for info in self.entry_infos():
            if not isinstance(info, dict) or not isinstance(info.get("entry"), str):
                continue
            nm = info["entry"].encode()
            if nm in by and (names is None or nm in names):
                info["size"] = len(by[nm])
                info["blake3"] = cr.blake3_hash(by[nm]).hex()

    def entries(self):
        mb = self.manifest_bytes()
        out = [{"name": b"manifest.json", "data": mb, "method": self.manifest_method}]
        mac = None
        if isinstance(self.mac, bytes):
            mac = self.mac
        elif self.mac == "force" or (self.mac == "auto" and self.manifest.get("key_id")):
            mac = cr.blake3_keyed(cr.derive_key(cr.MANIFEST_MAC_CONTEXT, self.mac_key), mb).hex().encode()
        if mac is not None:
            out.append({"name": b"manifest.mac", "data": mac, "method": 0})
        return out + self.extra_entries_front + [dict(e) for e in self.data]

    def render(self):
        return write_zip(self.entries(), self.zopts)


def doc_from_zip(path):
    with open(path, "rb") as f:
        ents = read_zip_entries(f.read())
    m = json.loads(ents[0]["data"])
    data = [e for e in ents[1:] if e["name"] != b"manifest.mac"]
    d = Doc(m, data)
    d.manifest_method = ents[0]["method"]
    return d


def make_doc(stores, key_id=True, db_name="db", part_records=None):
    """stores: list of dicts {name, encrypted, records:[(k,v)], blobs:[bytes],
    schema overrides}.  Builds a canonical backup."""
    dbs = [{"name": db_name, "version": 1, "stores": []}]
    data = []
    for si, st in enumerate(stores):
        recs = st["records"]
        per = st.get("per_part") or max(1, len(recs))
        parts = []
        for pi, i in enumerate(range(0, len(recs), per)):
            chunk = recs[i:i + per]
            body = b"".join(frame(k, v) for k, v in chunk)
            name = f"databases/0/stores/{si}/records/{pi:06d}.bin"
            data.append({"name": name.encode(), "data": body, "method": st.get("method", 0)})
            parts.append({"entry": name, "size": len(body), "blake3": cr.blake3_hash(body).hex(),
                          "records": len(chunk)})
        blobs = []
        for bi, b in enumerate(st.get("blobs", [])):
            name = f"databases/0/stores/{si}/blobs/{bi:06d}.bin"
            data.append({"name": name.encode(), "data": b, "method": st.get("method", 0)})
            blobs.append({"entry": name, "size": len(b), "blake3": cr.blake3_hash(b).hex()})
        schema = {"name": st["name"], "key_path": None, "auto_increment": False, "key_generator": None,
                  "indexes": [], "encrypted": st.get("encrypted", False)}
        schema.update(st.get("schema", {}))
        dbs[0]["stores"].append({"schema": schema, "records": len(recs), "parts": parts, "blobs": blobs})
    m = {"format": "coffer-backup", "format_version": 1, "coffer_version": "0.1.0",
         "created": "2026-11-26T12:00:00Z", "key_id": KID.hex() if key_id else None, "hash": "blake3",
         "databases": dbs}
    return Doc(m, data)


# ---------------------------------------------------------------------------
# Locked backups (FORMAT.md §6), written from the specification
# ---------------------------------------------------------------------------

FILE_KEY = bytes(range(0xC0, 0xE0))
PAYLOAD_SALT = bytes(range(0xE0, 0xF0))
PW_SALT = bytes(range(0x60, 0x70))


def pw_stanza(file_key, m=1024, t=1, p=1, passphrase=PASS, salt=PW_SALT, nonce=bytes(range(0x80, 0x98))):
    head = b"\x01" + struct.pack("<III", m, t, p) + salt
    wk = cr.argon2id(passphrase, salt, max(m, 8 * max(p, 1)), max(t, 1), max(p, 1)) if (p >= 1 and t >= 1 and m >= 8 * p and m <= 65536) else b"\x00" * 32
    c = ChaCha20_Poly1305.new(key=wk, nonce=nonce)
    c.update(b"coffer-locked-stanza v1" + head)
    ct, tag = c.encrypt_and_digest(file_key)
    return head + nonce + ct + tag


def mk_stanza(file_key, master=MASTER, nonce=bytes(range(0x90, 0xA8))):
    head = b"\x02" + cr.key_id_of(master)
    wk = cr.derive_key(cr.LOCK_WRAP_CONTEXT, master)
    c = ChaCha20_Poly1305.new(key=wk, nonce=nonce)
    c.update(b"coffer-locked-stanza v1" + head)
    ct, tag = c.encrypt_and_digest(file_key)
    return head + nonce + ct + tag


def stream_encrypt(pkey, plaintext, chunk=65536):
    chunks = [plaintext[i:i + chunk] for i in range(0, len(plaintext), chunk)] or [b""]
    out = []
    for i, p in enumerate(chunks):
        nonce = b"\x00\x00\x00" + struct.pack(">Q", i) + (b"\x01" if i == len(chunks) - 1 else b"\x00")
        c = ChaCha20_Poly1305.new(key=pkey, nonce=nonce)
        ct, tag = c.encrypt_and_digest(p)
        out.append(ct + tag)
    return out


_STANZA_CACHE = {}


def lock(inner: bytes, stanzas=("pw", "mk"), version=1, count=None, file_key=FILE_KEY, salt=PAYLOAD_SALT,
         pw_params=(1024, 1, 1), mac_ok=True, want_parts=False):
    sts = b""
    for s in stanzas:
        if s == "pw":
            ck = ("pw", pw_params, file_key)
            if ck not in _STANZA_CACHE:
                _STANZA_CACHE[ck] = pw_stanza(file_key, *pw_params)
            sts += _STANZA_CACHE[ck]
        elif s == "mk":
            sts += mk_stanza(file_key)
        elif s == "mk-other":
            sts += mk_stanza(file_key, OTHER)
        else:
            sts += s
    n = len(stanzas) if count is None else count
    head = b"COFFERLK" + bytes([version, n]) + sts + salt
    mac = cr.blake3_keyed(cr.derive_key(cr.LOCK_HEADER_MAC_CONTEXT, file_key), head)
    if not mac_ok:
        mac = bytes([mac[0] ^ 1]) + mac[1:]
    header = head + mac
    pkey = cr.derive_key(cr.LOCK_PAYLOAD_CONTEXT, file_key + salt)
    chunks = stream_encrypt(pkey, inner)
    if want_parts:
        return header, chunks, pkey
    return header + b"".join(chunks)


# ---------------------------------------------------------------------------
# Case generation
# ---------------------------------------------------------------------------


class Case:
    __slots__ = ("data", "key", "pw", "kind", "desc", "keyfile", "key_pw")

    def __init__(self, data, key, pw, kind, desc, keyfile=None, key_pw=None):
        self.data, self.key, self.pw, self.kind, self.desc = data, key, pw, kind, desc
        self.keyfile, self.key_pw = keyfile, key_pw  # key-file bytes written for this case


def flip(rng, b: bytes, start, end):
    if end <= start:
        return b, "empty region"
    i = rng.randrange(start, end)
    mode = rng.random()
    ba = bytearray(b)
    if mode < 0.6:
        bit = rng.randrange(8)
        ba[i] ^= 1 << bit
        return bytes(ba), f"flip bit {bit} of byte {i}"
    v = rng.choice([0x00, 0xFF, 0x80, 0x7F, 0x01, rng.randrange(256)])
    old = ba[i]
    ba[i] = v
    return bytes(ba), f"set byte {i} from {old:#04x} to {v:#04x}"


def random_zopts(rng):
    o = {"streaming": rng.random() < 0.7}
    if rng.random() < 0.15:
        o["zip64_cd"] = True
    if rng.random() < 0.15:
        o["zip64_eocd"] = True
    if not o["streaming"] and rng.random() < 0.2:
        o["zip64_local"] = True
    if rng.random() < 0.15:
        o["extra"] = True
    if rng.random() < 0.15:
        o["flags_extra"] = rng.choice([0x800, 0x2, 0x4, 0x6])
    return o


def random_creds(rng, doc_has_key=True):
    if not doc_has_key:
        return rng.choice(["master", None])
    r = rng.random()
    return "master" if r < 0.7 else None if r < 0.93 else "other"


class Bases:
    def __init__(self):
        self.backup = doc_from_zip(os.path.join(VEC, "backup.zip"))
        self.restored = doc_from_zip(os.path.join(VEC, "files", "restored.zip"))
        self.unauth = doc_from_zip(os.path.join(VEC, "files", "unauthenticated.zip"))
        self.parts = doc_from_zip(os.path.join(VEC, "files", "parts.zip"))
        for d in (self.restored, self.unauth, self.parts):
            d.manifest_method = 0
            for e in d.data:
                e["method"] = 0
        with open(os.path.join(VEC, "locked.zip"), "rb") as f:
            self.locked = f.read()
        with open(os.path.join(VEC, "files", "locked-passphrase.bin"), "rb") as f:
            self.locked_pw = f.read()
        self.vector_files = []
        with open(os.path.join(VEC, "vectors.json")) as f:
            for v in json.load(f)["vectors"]:
                if v["outcome"] == "accept":
                    with open(os.path.join(VEC, v["file"]), "rb") as g:
                        kf = {"keyfile-plain.json": "master", "keyfile-other.json": "other"}.get(v["key_file"])
                        self.vector_files.append((g.read(), kf, v["passphrase"], v["file"]))

    def doc(self, rng):
        return rng.choice([self.backup, self.restored, self.restored, self.unauth, self.parts]).copy()


# ---- byte-level mutations of rendered archives -----------------------------


def gen_bitflip(rng, B):
    doc = B.doc(rng)
    doc.zopts = random_zopts(rng) if rng.random() < 0.4 else {}
    data, regions = doc.render()
    cands = []
    for rname, lst in regions.items():
        for (s, e, nm) in lst:
            label = rname
            if rname == "data":
                n = nm.decode()
                label = "data:" + ("manifest" if n == "manifest.json" else "mac" if n == "manifest.mac"
                                   else "part" if "/records/" in n else "blob")
            cands.append((label, s, e))
    label, s, e = rng.choice(cands)
    out, how = flip(rng, data, s, e)
    key = random_creds(rng, doc.manifest.get("key_id") is not None)
    return Case(out, key, None, f"bitflip:{label}", f"{how} in {label} (zopts {doc.zopts})")


def gen_truncate(rng, B):
    doc = B.doc(rng)
    data, regions = doc.render()
    if rng.random() < 0.5:
        r = rng.choice(list(regions))
        s, e, _ = rng.choice(regions[r])
        cut = rng.choice([s, e, rng.randint(s, e)])
    else:
        cut = rng.randrange(0, len(data))
    return Case(data[:cut], random_creds(rng), None, "truncate", f"cut to {cut} of {len(data)} bytes")


def gen_append_insert(rng, B):
    doc = B.doc(rng)
    data, regions = doc.render()
    ins = bytes(rng.getrandbits(8) for _ in range(rng.choice([1, 2, 4, 8, 22])))
    if rng.random() < 0.2:
        ins = rng.choice([b"PK\x05\x06", b"PK\x01\x02", b"PK\x03\x04", b"\x00" * 22])
    if rng.random() < 0.4:
        return Case(data + ins, random_creds(rng), None, "append", f"append {ins.hex()}")
    r = rng.choice(list(regions))
    s, e, _ = rng.choice(regions[r])
    at = rng.choice([s, e, rng.randint(s, e)])
    return Case(data[:at] + ins + data[at:], random_creds(rng), None, f"insert:{r}", f"insert {ins.hex()} at {at} ({r})")


# ---- entry-level operations, re-zipped consistently ------------------------

UNSAFE_NAMES = [b"../evil", b"/abs", b"databases/0/stores/0/records/0.bin", b"databases/00/stores/0/records/000000.bin",
                b"databases/0/stores/0/records/000000.bin/", b"databases\\0\\stores\\0\\records\\000000.bin",
                b"databases/0/stores/0/records/0000000.bin", b"databases/0/stores/0/other/000000.bin",
                b"manifest.json\x00", b"Manifest.json", b"databases/4294967296/stores/0/records/000000.bin",
                b"databases/0/stores/0/records/4294967296.bin", b"databases/0/stores/0/records/4294967295.bin",
                b"databases/0/stores/0/records/1000000.bin", b"databases/0/stores/0/blobs/000001.bin",
                b"\xc3\xa9", b"\xff", b"", b"databases/0/stores/0/records/-00001.bin",
                b"databases/0/stores/0/records/+00001.bin", b"databases/0/stores/0/records/000000.BIN"]


def gen_entries(rng, B):
    doc = B.doc(rng)
    doc.zopts = random_zopts(rng) if rng.random() < 0.3 else {}
    ents = doc.entries()
    op = rng.choice(["dup", "dup", "reorder-data", "reorder-any", "remove", "add-unlisted", "rename",
                     "swap-manifest-mac", "move-mac", "add-mac", "empty"])
    desc = op
    if op == "dup":
        i = rng.randrange(len(ents))
        j = rng.randrange(len(ents) + 1)
        ents.insert(j, dict(ents[i]))
        desc = f"duplicate entry {ents[i]['name'].decode()} at {j}"
    elif op == "reorder-data":
        data = ents[2:] if ents[1]["name"] == b"manifest.mac" else ents[1:]
        head = ents[:len(ents) - len(data)]
        rng.shuffle(data)
        ents = head + data
        desc = "data entries shuffled: " + ",".join(e["name"].decode()[-22:] for e in data)
    elif op == "reorder-any":
        rng.shuffle(ents)
        desc = "all entries shuffled: " + ",".join(e["name"].decode()[-22:] for e in ents)
    elif op == "remove":
        i = rng.randrange(len(ents))
        desc = f"remove {ents[i]['name'].decode()}"
        del ents[i]
    elif op == "add-unlisted":
        nm = rng.choice([b"databases/0/stores/0/records/000001.bin", b"databases/0/stores/5/blobs/000000.bin",
                         b"databases/3/stores/0/records/000000.bin", b"databases/0/stores/1/blobs/000000.bin"])
        ents.insert(rng.randint(1, len(ents)), {"name": nm, "data": b"x" * rng.randint(0, 5), "method": 0})
        desc = f"add unlisted {nm.decode()}"
    elif op == "rename":
        i = rng.randrange(len(ents))
        nm = rng.choice(UNSAFE_NAMES + [b"manifest.json", b"manifest.mac"])
        desc = f"rename entry {i} {ents[i]['name'].decode()} -> {nm!r}"
        ents[i] = dict(ents[i], name=nm)
    elif op == "swap-manifest-mac":
        if len(ents) > 1:
            ents[0], ents[1] = ents[1], ents[0]
    elif op == "move-mac":
        if ents[1]["name"] == b"manifest.mac":
            m = ents.pop(1)
            ents.insert(rng.randint(2, len(ents)), m)
    elif op == "add-mac":
        ents.insert(1, {"name": b"manifest.mac", "data": b"0" * 64, "method": 0})
    elif op == "empty":
        ents = []
    data, _ = write_zip(ents, doc.zopts)
    return Case(data, random_creds(rng, doc.manifest.get("key_id") is not None), None, f"entries:{op}", desc)


# ---- manifest rewrites ---------------------------------------------------------


def _store_paths(m):
    out = []
    for di, d in enumerate(m["databases"]):
        for si, s in enumerate(d["stores"]):
            out.append((di, si, s))
    return out


def manifest_mutation(rng, doc):
    m = doc.manifest
    stores = _store_paths(m)
    di, si, st = rng.choice(stores)
    sc = st["schema"]
    infos = list(doc.entry_infos())
    ops = [
        ("format", lambda: m.__setitem__("format", rng.choice(["coffer-backup ", "Coffer-backup", "", 1, None]))),
        ("format-missing", lambda: m.pop("format")),
        ("format_version", lambda: m.__setitem__("format_version", rng.choice([0, 2, 3, 1.0, -1, "1", None, True, 2 ** 64, 2 ** 64 - 1, 1.5]))),
        ("format_version-missing", lambda: m.pop("format_version")),
        ("coffer_version", lambda: m.__setitem__("coffer_version", rng.choice(["", 1, None, "9.9.9"]))),
        ("created", lambda: m.__setitem__("created", rng.choice([
            "2026-11-26T12:00:00.123456789Z", "2026-11-26T12:00:00.1234567890Z", "2026-11-26T12:00:00+14:00",
            "2026-11-26T12:00:00-00:00", "2026-02-29T12:00:00Z", "2024-02-29T12:00:00Z", "2026-11-26t12:00:00Z",
            "2026-11-26T12:00:60Z", "2026-11-26T24:00:00Z", "2026-11-26T12:00:00z", "0000-01-01T00:00:00Z",
            "2026-11-26T12:00:00+24:00", "2026-11-26T12:00:00.Z", "2026-11-26T12:00Z", "2026-11-31T00:00:00Z",
            "1900-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "9999-12-31T23:59:59Z", "2026-11-26T12:00:00+0100",
            " 2026-11-26T12:00:00Z", "2026-11-26T12:00:00Z\n", 20261126]))),
        ("key_id", lambda: m.__setitem__("key_id", rng.choice([None, KID.hex().upper(), KID.hex()[:31], "", 5, cr.key_id_of(OTHER).hex()]))),
        ("key_id-absent", lambda: m.pop("key_id", None)),
        ("hash", lambda: m.__setitem__("hash", rng.choice(["BLAKE3", "sha256", "", None]))),
        ("unknown-top", lambda: m.__setitem__(rng.choice(["extra", "Format", "key_id2"]), rng.choice([None, 1, "x"]))),
        ("databases-type", lambda: m.__setitem__("databases", rng.choice([{}, None, "x"]))),
        ("db-name", lambda: m["databases"][di].__setitem__("name", rng.choice(["", 7, None, "notes", "Notes", "n\u0000"]))),
        ("db-version", lambda: m["databases"][di].__setitem__("version", rng.choice([0, 2, -1, 1.0, 2 ** 53, 2 ** 53 + 1, 2 ** 64 - 1, None]))),
        ("db-dup", lambda: m["databases"].append(json.loads(json.dumps(m["databases"][di])))),
        ("store-dup", lambda: m["databases"][di]["stores"].append(json.loads(json.dumps(st)))),
        ("store-records", lambda: st.__setitem__("records", rng.choice([0, 2, st["records"] + 1, -1, None]))),
        ("key_path", lambda: sc.__setitem__("key_path", rng.choice(["", [], [""], ["a", ""], ["a", "b"], "a.b", 5, [1], None,
                                                                   "a..b", " ", "1a", ".", "a b", ["a", "a"], "\u00e9"]))),
        ("key_path-absent", lambda: sc.pop("key_path", None)),
        ("auto_increment", lambda: sc.__setitem__("auto_increment", rng.choice([True, False, 1, None]))),
        ("key_generator", lambda: sc.__setitem__("key_generator", rng.choice([None, 0, 1, 2 ** 53, 2 ** 53 + 1, -1, 1.0]))),
        ("key_generator-absent", lambda: sc.pop("key_generator", None)),
        ("encrypted", lambda: sc.__setitem__("encrypted", rng.choice([True, False, 0]))),
        ("schema-unknown", lambda: sc.__setitem__("unique", False)),
        ("store-name", lambda: sc.__setitem__("name", rng.choice(["notes", "secrets", "", None, "NOTES"]))),
        ("index-add", lambda: sc["indexes"].append({"name": rng.choice(["by_title", "i2", ""]),
                                                   "key_path": rng.choice(["t", "", ["a", "b"], [], [""], None, ["a"]]),
                                                   "unique": rng.choice([True, False]),
                                                   "multi_entry": rng.choice([True, False, None])})),
        ("index-unknown", lambda: sc["indexes"].append({"name": "x", "key_path": "x", "unique": False, "multi_entry": False, "extra": 1})),
        ("indexes-type", lambda: sc.__setitem__("indexes", rng.choice([None, {}, [1]]))),
        ("parts-empty", lambda: st.__setitem__("parts", [])),
        ("blob-in-encrypted", lambda: st["blobs"].append({"entry": f"databases/{di}/stores/{si}/blobs/{len(st['blobs']):06d}.bin",
                                                         "size": 1, "blake3": "0" * 64})),
    ]
    if infos:
        inf = rng.choice(infos)
        ops += [
            ("entry-name", lambda: inf.__setitem__("entry", rng.choice([inf["entry"].replace("000000", "000001"),
                                                                       inf["entry"].replace("databases/0", "databases/1"),
                                                                       inf["entry"] + " ", "../x"]))),
            ("entry-size", lambda: inf.__setitem__("size", rng.choice([inf["size"] + 1, max(0, inf["size"] - 1), 0,
                                                                     2 ** 34, 2 ** 34 + 1, 2 ** 30 + 1, 2 ** 36, -1, 1.0, 2 ** 64]))),
            ("entry-blake3", lambda: inf.__setitem__("blake3", rng.choice([inf["blake3"].upper(), inf["blake3"][:63],
                                                                         "0" * 64, inf["blake3"] + "0"]))),
            ("entry-records", lambda: inf.__setitem__("records", rng.choice([0, 1, 2, None, -1, 1.0]))),
            ("entry-records-absent", lambda: inf.pop("records", None)),
            ("entry-unknown", lambda: inf.__setitem__("extra", 1)),
        ]
    name, fn = rng.choice(ops)
    fn()
    return name


TEXT_EDITS = [
    ("dup-format_version-2-then-1", lambda t: t.replace('"format_version": 1,', '"format_version": 2,\n  "format_version": 1,', 1)),
    ("dup-format_version-1-then-2", lambda t: t.replace('"format_version": 1,', '"format_version": 1,\n  "format_version": 2,', 1)),
    ("dup-format-bad-then-good", lambda t: t.replace('"format": "coffer-backup",', '"format": "x",\n  "format": "coffer-backup",', 1)),
    ("dup-format-good-then-bad", lambda t: t.replace('"format": "coffer-backup",', '"format": "coffer-backup",\n  "format": "x",', 1)),
    ("dup-hash", lambda t: t.replace('"hash": "blake3",', '"hash": "blake3",\n  "hash": "blake3",', 1)),
    ("dup-escaped-hash", lambda t: t.replace('"hash": "blake3",', '"hash": "blake3",\n  "h\\u0061sh": "blake3",', 1)),
    ("dup-key_id-null-then-value", lambda t: t.replace('"key_id":', '"key_id": null,\n  "key_id":', 1)),
    ("formfeed-ws", lambda t: t.replace('{\n', '{\f\n', 1)),
    ("nul-escape-in-string", lambda t: t.replace('"0.1.0"', '"0.1.0\\u0000"', 1)),
    ("dup-version-2-both", lambda t: t.replace('"format_version": 1,', '"format_version": 2,\n  "format_version": 2,', 1)),
    ("format_version--0", lambda t: t.replace('"format_version": 1,', '"format_version": -0,', 1)),
    ("format_version-1e0", lambda t: t.replace('"format_version": 1,', '"format_version": 1e0,', 1)),
    ("format_version-01", lambda t: t.replace('"format_version": 1,', '"format_version": 01,', 1)),
    ("format_version-2^64", lambda t: t.replace('"format_version": 1,', '"format_version": 18446744073709551616,', 1)),
    ("format_version-2^64-1", lambda t: t.replace('"format_version": 1,', '"format_version": 18446744073709551615,', 1)),
    ("format_version-huge-exp", lambda t: t.replace('"format_version": 1,', '"format_version": 1e400,', 1)),
    ("bom", lambda t: "\ufeff" + t),
    ("trailing-garbage", lambda t: t + "x"),
    ("trailing-ws", lambda t: t + " \t\r\n"),
    ("compact", lambda t: json.dumps(json.loads(t), separators=(",", ":"))),
    ("member-order-reversed", lambda t: json.dumps(dict(reversed(list(json.loads(t).items()))), indent=1)),
    ("escaped-format", lambda t: t.replace('"format": "coffer-backup"', '"format": "coffer\\u002dbackup"', 1)),
    ("escaped-member-name", lambda t: t.replace('"hash":', '"h\\u0061sh":', 1)),
    ("lone-surrogate-coffer_version", lambda t: t.replace('"coffer_version": "0.1.0"', '"coffer_version": "\\ud800"', 1)),
    ("lone-surrogate-v3", lambda t: t.replace('"format_version": 1,', '"format_version": 3,', 1).replace('"coffer_version": "0.1.0"', '"coffer_version": "\\udc00x"', 1)),
    ("surrogate-pair-ok", lambda t: t.replace('"coffer_version": "0.1.0"', '"coffer_version": "\\ud83d\\ude00"', 1)),
    ("deep-nesting-v3", lambda t: t.replace('"format_version": 1,', '"format_version": 3, "zz": ' + "[" * 200 + "]" * 200 + ",", 1)),
    ("deep-nesting-100-v3", lambda t: t.replace('"format_version": 1,', '"format_version": 3, "zz": ' + "[" * 100 + "]" * 100 + ",", 1)),
    ("deep-nesting-130-v3", lambda t: t.replace('"format_version": 1,', '"format_version": 3, "zz": ' + "[" * 130 + "]" * 130 + ",", 1)),
    ("nan-in-v3", lambda t: t.replace('"format_version": 1,', '"format_version": 3, "zz": NaN,', 1)),
    ("control-char-in-string", lambda t: t.replace('"0.1.0"', '"0.1\t0"', 1)),
    ("invalid-utf8", lambda t: t.replace('"0.1.0"', '"0.1\udcff0"', 1)),
    ("unknown-member-v3", lambda t: t.replace('"format_version": 1,', '"format_version": 3, "zz": 1,', 1)),
    ("missing-member-v3", lambda t: t.replace('"format_version": 1,', '"format_version": 3,', 1).replace('"hash": "blake3",', '', 1)),
    ("format_version-string-2", lambda t: t.replace('"format_version": 1,', '"format_version": "2",', 1)),
    ("format_version-neg-2", lambda t: t.replace('"format_version": 1,', '"format_version": -2,', 1)),
    ("format_version-2.0", lambda t: t.replace('"format_version": 1,', '"format_version": 2.0,', 1)),
    ("format-null-version-2", lambda t: t.replace('"format": "coffer-backup",', '"format": null,', 1).replace('"format_version": 1,', '"format_version": 2,', 1)),
    ("top-array", lambda t: "[" + t + "]"),
    ("size-exp-form", lambda t: t.replace('"size": ', '"size": 0e0+', 1)),
    ("records-1.0", lambda t: t.replace('"records": 1,', '"records": 1.0,', 1)),
    ("records-neg0", lambda t: t.replace('"records": 1,', '"records": -0,', 1)),
]


def gen_manifest(rng, B):
    doc = B.doc(rng)
    doc.zopts = random_zopts(rng) if rng.random() < 0.2 else {}
    if rng.random() < 0.3:
        name, fn = rng.choice(TEXT_EDITS)
        t = doc.manifest_bytes().decode("utf-8")
        t2 = fn(t)
        doc.mtext = t2.encode("utf-8", "surrogateescape")
        desc = f"manifest text edit {name}"
        kind = "manifest-text:" + name
    else:
        names = [manifest_mutation(rng, doc)]
        if rng.random() < 0.2:
            try:
                names.append(manifest_mutation(rng, doc))
            except (TypeError, KeyError, IndexError, AttributeError, ValueError):
                pass
        desc = f"manifest fields {names}: " + json.dumps(doc.manifest)[:4000]
        kind = "manifest:" + "+".join(names)
    data, _ = doc.render()
    return Case(data, random_creds(rng, True), None, kind, desc)


# ---- localStorage, OPFS and Cache Storage (§3.5, format version 2) ----------


def _ls_items(items):
    out = b""
    for k, v in items:
        for x in (k, v):
            if any(0xD800 <= ord(c) <= 0xDFFF for c in x):
                units = x.encode("utf-16-le", "surrogatepass")
                out += varint(len(units) + 1) + units
            else:
                b = x.encode("utf-8")
                out += varint(2 * len(b)) + b
    return out


PART_PATHS = ["a", "db/x", ".", "..", "a/../b", "a//b", "/a", "a/", "a\\b", "a\x00b", "a\x7fb", "a\x85b",
              ".coffer-staging", ".coffer-staging/x", "x/.coffer-staging", "é", "e\u0301", "a" * 1024,
              "a" * 1025, "/".join(["d"] * 128), "/".join(["d"] * 129), "db", "readme.txt", "db/empty",
              "db/main.sqlite3", "Z", "\ud800"]
HEADER_NAMES = ["content-type", "Content-Type", "x y", "", "x:y", "etag", "a" * 65537, "é", "x-\u0100"]
HEADER_VALUES = ["ok", " lead", "trail ", "\t", "a\x00b", "a\rb", "a\nb", "\u00ff", "\u0100", "", "v" * 65537]
URLS = ["https://example.com/app.js", "http://x", "https://", "ftp://x/y", "data:,x", "https://x/ y", "https://x/é",
        "HTTPS://x", "https://x/" + "a" * 65536, "https://x/\x7f"]
METHODS = ["GET", "POST", "get", "", "G T", "M" * 64, "M" * 65, "GET\u00e9"]


def parts_mutation(rng, doc):
    m = doc.manifest
    ls, op, cs = m["local_storage"], m["opfs"], m["caches"]
    e0 = cs[0]["entries"][0]
    by = {e["name"]: e for e in doc.data}
    choices = [
        ("ls-items", lambda: ls.__setitem__("items", rng.choice([0, 2, 4, 2 ** 64 - 1, -1, "3", None]))),
        ("ls-size", lambda: ls.__setitem__("size", rng.choice([0, 2 ** 30, 2 ** 30 + 1, 2 ** 34 + 1, 2 ** 64]))),
        ("ls-entry", lambda: ls.__setitem__("entry", rng.choice(["local-storage.bin ", "opfs/000000.bin", "localStorage.bin"]))),
        ("ls-member", lambda: ls.__setitem__(rng.choice(["extra", "records"]), 1)),
        ("ls-missing", lambda: ls.pop(rng.choice(["entry", "size", "blake3", "items"]))),
        ("ls-null", lambda: m.__setitem__(rng.choice(["local_storage", "opfs", "caches"]), None)),
        ("ls-drop", lambda: m.pop(rng.choice(["local_storage", "opfs", "caches"]))),
        ("version-1", lambda: m.__setitem__("format_version", 1)),
        ("ls-content", lambda: by[b"local-storage.bin"].__setitem__("data", _ls_items(rng.choice([
            [("", ""), ("a", "1"), ("theme", "dark")], [("a", "1"), ("", ""), ("theme", "dark")],
            [("", ""), ("a", "1"), ("a", "2")], [("", ""), ("\ud800", "x"), ("\uffff", "y")],
            [("", ""), ("\uffff", "y"), ("\ud800", "x")], [("", ""), ("a", "1"), ("theme", "\udc00")]]))
            + rng.choice([b"", b"", b"\x02", b"\x02a", b"\x04a"]))),
        ("opfs-dirs", lambda: op.__setitem__("directories", rng.sample(PART_PATHS, rng.randint(0, 4)))),
        ("opfs-dir", lambda: op["directories"].__setitem__(rng.randrange(2), rng.choice(PART_PATHS))),
        ("opfs-path", lambda: op["files"][rng.randrange(2)].__setitem__("path", rng.choice(PART_PATHS))),
        ("opfs-swap", lambda: op.__setitem__("files", op["files"][::-1])),
        ("opfs-file-size", lambda: op["files"][1].__setitem__("size", rng.choice([0, 5, 7, 2 ** 34 + 1]))),
        ("opfs-file-entry", lambda: op["files"][1].__setitem__("entry", rng.choice(["opfs/000000.bin", "opfs/000002.bin", "opfs/1.bin"]))),
        ("opfs-content", lambda: by[b"opfs/000001.bin"].__setitem__("data", rng.choice([b"hellO\n", b"", b"hello\n\n"]))),
        ("cache-url", lambda: e0.__setitem__("url", rng.choice(URLS))),
        ("cache-method", lambda: e0.__setitem__("method", rng.choice(METHODS))),
        ("cache-status", lambda: e0.__setitem__("status", rng.choice([199, 200, 204, 205, 304, 599, 600, 65536, 2 ** 64, 200.0, "200"]))),
        ("cache-status-text", lambda: e0.__setitem__("status_text", rng.choice(["", "OK", "a\tb", "\x7f", "\u00e9", "\u0100", "a\nb", "x" * 65537]))),
        ("cache-header", lambda: e0[rng.choice(["request_headers", "response_headers"])].append(
            [rng.choice(HEADER_NAMES), rng.choice(HEADER_VALUES)])),
        ("cache-header-shape", lambda: e0["response_headers"].__setitem__(0, rng.choice([["a"], ["a", "b", "c"], ["a", 1], "a: b", None]))),
        ("cache-headers-many", lambda: e0.__setitem__(rng.choice(["request_headers", "response_headers"]),
            [[f"x-{i}", "1"] for i in range(rng.choice([1024, 1025]))] + rng.choice([[], [["Bad", "1"]]]))),
        ("cache-name-dup", lambda: cs.append({"name": cs[0]["name"], "entries": [], "skipped": []})),
        ("cache-second", lambda: cs.append({"name": rng.choice(["app-v2", "", "\ud800"]), "entries": [], "skipped": []})),
        ("cache-skipped", lambda: cs[0]["skipped"][0].__setitem__(rng.choice(["url", "method", "reason"]),
            rng.choice(URLS + METHODS + ["opaque", "opaqueredirect", "cors", None]))),
        ("cache-body", lambda: by[b"caches/0/000000.bin"].__setitem__("data", rng.choice([b"", b"x", b"console.log('CACHED');\n"]))),
        ("cache-entry-name", lambda: e0.__setitem__("entry", rng.choice(["caches/0/000001.bin", "caches/1/000000.bin", "caches/00/000000.bin"]))),
    ]
    name, fn = rng.choice(choices)
    fn()
    return name


def gen_parts(rng, B):
    doc = B.parts.copy()
    doc.zopts = random_zopts(rng) if rng.random() < 0.2 else {}
    names = [parts_mutation(rng, doc)]
    if rng.random() < 0.3:
        try:
            names.append(parts_mutation(rng, doc))
        except (TypeError, KeyError, IndexError, AttributeError, ValueError):
            pass
    if rng.random() < 0.7:
        doc.rehash()
    if rng.random() < 0.15:
        doc.data.append({"name": rng.choice([b"opfs/000002.bin", b"caches/0/000001.bin", b"caches/1/000000.bin",
                                             b"opfs/00000.bin", b"local-storage.bin"]), "data": b"x", "method": 0})
        names.append("extra-entry")
    try:
        doc.manifest_bytes()
    except UnicodeEncodeError:  # a lone surrogate: written as a \\u escape
        doc.mtext = (json.dumps(doc.manifest, indent=2, ensure_ascii=True) + "\n").encode()
    data, _ = doc.render()
    return Case(data, random_creds(rng, True), None, "parts:" + "+".join(names),
                f"parts {names}: " + json.dumps(doc.manifest, ensure_ascii=True)[:4000])


# ---- record-level rewrites (entries re-hashed) --------------------------------

CRAFTED_VALUES = [
    # (label, value hex) — valid and invalid edge cases of §4.3
    ("bigint-8192", "0500" + varint(8192).hex() + "01" * 8192),
    ("bigint-8193", "0500" + varint(8193).hex() + "01" * 8193),
    ("bigint-8193-declared-short", "0500" + varint(8193).hex() + "01" * 10),
    ("bigint-huge-declared", "0500" + varint(2 ** 40).hex() + "01"),
    ("bigint-8193-msb-zero", "0500" + varint(8193).hex() + "01" * 8192 + "00"),
    ("bigint-sign-2-over", "0502" + varint(8193).hex() + "01" * 8193),
    ("bigint-negzero", "050100"),
    ("bigint-msb0", "0500020100"),
    ("bigobj-8193-then-bad-tag", "17021d00" + varint(8193).hex() + "01" * 8193 + "ff00"),
    ("bad-tag-then-bigint", "1702ff0500" + varint(8193).hex() + "01" * 8193 + "00"),
    ("sparse-full-with-big-bigint", "160101000500" + varint(8193).hex() + "01" * 8193 + "00"),
    ("sparse-full", "1601010001" + "00"),
    ("sparse-n-gt-len", "16010200010101"),
    ("sparse-len-2^32", "16" + varint(2 ** 32).hex() + "0000"),
    ("dense-len-2^32", "17" + varint(2 ** 32).hex()),
    ("sparse-empty", "16000000"),
    ("sparse-idx-eq-len", "160201020100"),
    ("dense-huge-count", "17" + varint(2 ** 31).hex() + "00"),
    ("map-huge-count", "19" + varint(2 ** 60).hex() + "0000"),
    ("ref-2^32", "170120" + varint(2 ** 32).hex() + "00"),
    ("ref-self", "1701" + "2000" + "00"),
    ("ref-forward", "1701200100"),
    ("ref-big", "170120" + varint(2 ** 40).hex() + "00"),
    ("depth-256-ok", "17 01" * 256 + "00" + "00" * 256),
    ("depth-257", "17 01" * 257 + "00" + "00" * 257),
    ("depth-257-bigint", "17 01" * 257 + "0500" + varint(8193).hex() + "01" * 8193 + "00" * 257),
    ("depth-256-empty-array", "17 01" * 255 + "1700" + "00" + "00" * 255),
    ("depth-via-map", "19 01 01" * 129 + "01"),
    ("props-depth", "18 01 0261" * 257 + "01"),
    ("str-utf16-no-lone", "0605610062 00"),
    ("str-utf16-pair", "06053dd800de"),
    ("str-utf16-pair-plus-lone", "060d3dd800de00d8"),
    ("str-utf16-reversed-pair", "060500de3dd8"),
    ("str-odd-1", "0601"),
    ("str-bad-utf8", "0602ff"),
    ("str-cesu", "060ceda080eda080"),
    ("str-overlong", "0604c080"),
    ("str-noncanon-len", "068a0068656c6c6f"),
    ("regexp-flags-utf16", "11 00 0300d8"),
    ("regexp-source-utf16", "11 0300d8 00"),
    ("view-kind-0", "1300000000000000"),
    ("view-kind-14", "130e0000000000"),
    ("view-misaligned-off", "13 05 01 04 00 02 0102"),
    ("view-misaligned-len", "13 05 00 04 00 01 01"),
    ("view-oob", "13 05 02 03 00 02 0102"),
    ("view-ok-dataview", "13 0c 01 03 00 02 0102"),
    ("view-float16", "13 0d 02 04 00 02 0102"),
    ("view-off-huge", "13 02" + varint(2 ** 64 - 1).hex() + varint(2 ** 64 - 1).hex() + "0000"),
    ("view-overflow-sum", "13 02" + varint(2 ** 64 - 1).hex() + varint(2 ** 64 - 1).hex() + "000101"),
    ("bool-obj-2", "1b02"),
    ("error-flag-2", "1f000002"),
    ("error-stack", "1f0000010261"),
    ("binary-form-2", "120200"),
    ("varint-10th-byte-2", "06ffffffffffffffffff02"),
    ("varint-10th-byte-1-len", "06ffffffffffffffffff01"),
    ("varint-11-bytes", "06ffffffffffffffffff8100"),
    ("varint-noncanon-0", "068000"),
    ("number-nan-payload", "04010000000000f87f"),
    ("date-nan", "10010000000000f0ff"),
    ("tag-07", "07"), ("tag-0f", "0f"), ("tag-21", "21"), ("tag-ff", "ff"),
    ("trailing", "0000"),
    ("empty-value", ""),
    ("boxed-bigint-negzero", "1d0100"),
    ("file-ok", "15 00 00 0000000000000000 0000"),
    ("set-with-ref-to-self", "1a01 2000"),
    ("map-key-ref", "1901 2000 00"),
    ("dup-props-ok", "18020261010261 01"),
    ("index-prop-ok", "1801023001"),
]


def _hex(s):
    return bytes.fromhex(s.replace(" ", ""))


CRAFTED_KEYS = [
    ("nan", "01000000000000f87f"),
    ("date-nan", "02000000000000f87f"),
    ("trailing", "01000000000000f03f00"),
    ("short", "01000000"),
    ("tag-0", "00"), ("tag-6", "06"),
    ("empty", ""),
    ("str-utf16-no-lone", "03056100"),
    ("nest-64-ok", "0501" * 64 + "0300"),
    ("nest-65", "0501" * 65 + "0300"),
    ("nest-64-empty", "0501" * 64 + "0500"),
    ("array-count-over", "0502" + "0300"),
    ("binary-over", "0405ab"),
    ("noncanon-varint", "048000"),
    ("inf", "01000000000000f07f"),
]

KEY_ORDER_PAIRS = [
    ("-0 then 0", key_num(-0.0), key_num(0.0)),
    ("0 then -0", key_num(0.0), key_num(-0.0)),
    ("number then date", key_num(5.0), b"\x02" + f64(1.0)),
    ("date then number", b"\x02" + f64(1.0), key_num(5.0)),
    ("-inf then inf", key_num(float("-inf")), key_num(float("inf"))),
    ("U+1F600 then U+FF61", key_str("😀"), key_str("\uff61")),
    ("U+FF61 then U+1F600", key_str("\uff61"), key_str("😀")),
    ("lone D800 then U+E000", key_str((0xD800,)), key_str("\ue000")),
    ("U+E000 then lone D800", key_str("\ue000"), key_str((0xD800,))),
    ("lone DC00 then U+1F600", key_str((0xDC00,)), key_str("😀")),
    ("U+1F600 then lone DC00", key_str("😀"), key_str((0xDC00,))),
    ("string prefix", key_str("a"), key_str("ab")),
    ("string then binary", key_str("z"), b"\x04\x00"),
    ("binary prefix", b"\x04\x01\x01", b"\x04\x02\x01\x00"),
    ("binary unsigned", b"\x04\x01\x7f", b"\x04\x01\x80"),
    ("binary signed-order", b"\x04\x01\x80", b"\x04\x01\x7f"),
    ("array shorter first", b"\x05\x01" + key_num(1.0), b"\x05\x02" + key_num(1.0) + key_num(0.0)),
    ("array elementwise", b"\x05\x02" + key_num(1.0) + key_num(9.0), b"\x05\x01" + key_num(2.0)),
    ("binary then array", b"\x04\x00", b"\x05\x00"),
    ("array then string", b"\x05\x00", key_str("")),
    ("equal strings", key_str("a"), key_str("a")),
]


def plain_doc_with_records(rng, records, blobs=None, per_part=None, key_id=True, extra_store=None):
    stores = [{"name": "s", "records": records, "blobs": blobs or [], "per_part": per_part}]
    if extra_store:
        stores.append(extra_store)
    return make_doc(stores, key_id=key_id)


def gen_records(rng, B):
    """Random valid records, then one fault (or none), entries re-hashed."""
    vg_blobs = []
    n = rng.randint(1, 6)
    keys = sorted_unique_keys(rng, n)
    vals = []
    for _ in keys:
        g = ValueGen(rng, vg_blobs)
        vals.append(g.value())
    recs = list(zip(keys, vals))
    per = rng.choice([None, 1, 2])
    mode = rng.choice(["valid", "flip", "flip", "crafted-value", "crafted-key", "key-order", "framing", "blobs",
                       "count", "truncate-value"])
    desc = mode
    blobs = list(vg_blobs)
    if mode == "flip" or mode == "truncate-value":
        i = rng.randrange(len(recs))
        k, v = recs[i]
        if mode == "flip" and v:
            j = rng.randrange(len(v))
            vb = bytearray(v)
            vb[j] = rng.choice([vb[j] ^ (1 << rng.randrange(8)), 0x00, 0xff, 0x80, 0x20, 0x05])
            recs[i] = (k, bytes(vb))
            desc = f"record {i} value byte {j} changed: {v.hex()} -> {bytes(vb).hex()}"
        elif v:
            cut = rng.randrange(len(v))
            recs[i] = (k, v[:cut])
            desc = f"record {i} value cut to {cut}: {v.hex()}"
    elif mode == "crafted-value":
        label, h = rng.choice(CRAFTED_VALUES)
        i = rng.randrange(len(recs))
        recs[i] = (recs[i][0], _hex(h))
        # external bodies of later records keep their indices only if this one had none
        blobs = None
        desc = f"record {i} value = crafted {label}"
        kind_label = label
    elif mode == "crafted-key":
        label, h = rng.choice(CRAFTED_KEYS)
        recs = [(_hex(h), b"\x01")]
        blobs = []
        desc = f"single record, key = crafted {label}"
    elif mode == "key-order":
        label, k1, k2 = rng.choice(KEY_ORDER_PAIRS)
        recs = [(k1, b"\x01"), (k2, b"\x01")]
        blobs = []
        per = rng.choice([None, 1])
        desc = f"two records, keys {label} (per_part {per})"
    elif mode == "framing":
        i = rng.randrange(len(recs))
        k, v = recs[i]
        how = rng.choice(["klen+1", "vlen+1", "vlen-1", "klen-noncanon", "extra-byte", "klen-huge"])
        desc = f"record {i} framing {how}"
    elif mode == "blobs":
        how = rng.choice(["twice", "unreferenced", "swap", "wrong-len", "index-oob", "extra-blob", "in-sealed"])
        desc = f"blob refs {how}"
    elif mode == "count":
        desc = "part records claimed +1"

    if blobs is None:
        # recompute the blob list from the crafted value set: simplest is to
        # drop external bodies by re-generating other values without them
        recs2 = []
        for k, v in recs:
            recs2.append((k, v))
        # keep vg_blobs only if all external refs still consistent: rebuild values
        blobs = []
        recs = []
        g = ValueGen(rng, blobs, allow_external=False)
        for k, v in recs2:
            recs.append((k, v if v in [_hex(h) for _, h in CRAFTED_VALUES] else g.value()))
    doc = plain_doc_with_records(rng, recs, blobs, per_part=per, key_id=rng.random() < 0.7)
    if mode == "framing":
        part = doc.data[0]
        body = b""
        recs_in = recs[:(per or len(recs))]
        for j, (k, v) in enumerate(recs_in):
            if j == (i if i < len(recs_in) else 0):
                if how == "klen+1":
                    body += varint(len(k) + 1) + k + varint(len(v)) + v
                elif how == "vlen+1":
                    body += varint(len(k)) + k + varint(len(v) + 1) + v
                elif how == "vlen-1":
                    body += varint(len(k)) + k + varint(max(0, len(v) - 1)) + v
                elif how == "klen-noncanon":
                    body += bytes([0x80 | len(k), 0x00]) + k + varint(len(v)) + v
                elif how == "extra-byte":
                    body += frame(k, v) + b"\x00"
                else:
                    body += varint(2 ** 40) + k + varint(len(v)) + v
            else:
                body += frame(k, v)
        part["data"] = body
        doc.rehash()
    elif mode == "blobs":
        g = ValueGen(rng, [], allow_external=False)
        b0, b1 = b"first blob", b"second!"
        ext = lambda idx, ln: b"\x12\x01" + varint(idx) + varint(ln)  # ArrayBuffer external
        if how == "twice":
            recs = [(key_num(1.0), ext(0, len(b0))), (key_num(2.0), ext(0, len(b0)))]
            blobs = [b0]
        elif how == "unreferenced":
            recs = [(key_num(1.0), ext(0, len(b0)))]
            blobs = [b0, b1]
        elif how == "swap":
            recs = [(key_num(1.0), ext(1, len(b1))), (key_num(2.0), ext(0, len(b0)))]
            blobs = [b0, b1]
        elif how == "wrong-len":
            recs = [(key_num(1.0), ext(0, len(b0) + 1))]
            blobs = [b0]
        elif how == "index-oob":
            recs = [(key_num(1.0), ext(1, len(b0)))]
            blobs = [b0]
        elif how == "extra-blob":
            recs = [(key_num(1.0), b"\x01")]
            blobs = [b0]
        else:
            recs = [(key_num(1.0), b"\x01")]
            blobs = []
        doc = plain_doc_with_records(rng, recs, blobs, per_part=rng.choice([None, 1]))
        if rng.random() < 0.3 and blobs:
            # also damage the blob's hash: 14b vs 15 precedence
            doc.data[-1]["data"] = doc.data[-1]["data"] + b"!"
            doc.rehash([doc.data[-1]["name"]])
            doc.manifest["databases"][0]["stores"][0]["blobs"][-1]["blake3"] = "0" * 64
            desc += " + last blob hash wrong"
    elif mode == "count":
        doc.manifest["databases"][0]["stores"][0]["parts"][0]["records"] += 1
        doc.manifest["databases"][0]["stores"][0]["records"] += 1
    if rng.random() < 0.3:
        for e in doc.data:
            e["method"] = 8
    doc.zopts = random_zopts(rng) if rng.random() < 0.3 else {}
    data, _ = doc.render()
    kind = "records:" + mode + (":" + desc.split("crafted ")[1] if "crafted" in desc else "")
    return Case(data, random_creds(rng, doc.manifest.get("key_id") is not None), None, kind, desc)


def gen_sealed(rng, B):
    """An encrypted store with envelopes built from FORMAT.md §5."""
    n = rng.randint(1, 3)
    keys = sorted_unique_keys(rng, n)
    recs = []
    for k in keys:
        g = ValueGen(rng, None, allow_external=False)
        recs.append([k, g.value()])
    mode = rng.choice(["valid", "crafted-plaintext", "crafted-plaintext", "flip-plaintext", "external",
                       "short", "version", "other-kid", "aad-store", "tag", "empty-plaintext", "aad-key"])
    desc = mode
    envs = []
    for i, (k, pt) in enumerate(recs):
        nonce = bytes(rng.getrandbits(8) for _ in range(24))
        db, store = "db", "enc"
        version, kid = 1, None
        if i == 0:
            if mode == "crafted-plaintext":
                label, h = rng.choice(CRAFTED_VALUES)
                pt = _hex(h)
                desc = f"sealed plaintext = crafted {label}"
            elif mode == "flip-plaintext" and pt:
                j = rng.randrange(len(pt))
                pb = bytearray(pt)
                pb[j] = rng.choice([0x00, 0xff, 0x80, pb[j] ^ 1])
                desc = f"sealed plaintext byte {j}: {pt.hex()} -> {bytes(pb).hex()}"
                pt = bytes(pb)
            elif mode == "external":
                pt = b"\x12\x01\x00\x03"
            elif mode == "empty-plaintext":
                pt = b""
            elif mode == "version":
                version = rng.choice([0, 2, 0xff])
            elif mode == "other-kid":
                kid = cr.key_id_of(OTHER)
            elif mode == "aad-store":
                store = "other"
            elif mode == "aad-key":
                k2 = key_num(99.0)
                env = seal(pt, db, store, k2, nonce)
                envs.append(env)
                continue
        env = seal(pt, db, store, k, nonce, version=version, kid=kid)
        if i == 0 and mode == "short":
            env = env[:rng.choice([0, 1, 17, 41, 56])]
        if i == 0 and mode == "tag":
            env = env[:-1] + bytes([env[-1] ^ 1])
        envs.append(env)
    st = {"name": "enc", "encrypted": True, "records": list(zip(keys, envs)), "per_part": rng.choice([None, 1])}
    doc = make_doc([st], key_id=True)
    data, _ = doc.render()
    creds = rng.choice(["master", "master", None])
    return Case(data, creds, None, "sealed:" + (desc.split("crafted ")[1] if "crafted" in desc else mode), desc)


# ---- ZIP-form variants (should mostly be accepted) ----------------------------


def gen_zipforms(rng, B):
    doc = B.doc(rng)
    o = random_zopts(rng)
    o.update(rng.choice([{"zip64_cd": True}, {"zip64_eocd": True}, {"streaming": False, "zip64_local": True},
                         {"extra": True}, {"flags_extra": 0x800}, {"level": 9}, {"streaming": False}, {},
                         {"zip64_cd": True, "zip64_cd_mode": "comp"}, {"zip64_cd": True, "zip64_cd_mode": "offset"},
                         {"zip64_cd": True, "zip64_cd_mode": "comp+offset"}, {"zip64_cd": True, "zip64_cd_mode": "disk"},
                         {"streaming": True, "zip64_local_stream": True},
                         {"streaming": True, "zip64_local_stream": True, "dd8": False},
                         {"streaming": False, "zip64_local_partial": True}]))
    doc.zopts = o
    if rng.random() < 0.5:
        for e in doc.data:
            e["method"] = rng.choice([0, 8])
        doc.manifest_method = rng.choice([0, 8])
    data, regions = doc.render()
    desc = f"zip form {o}"
    form = ",".join(f"{k}={v}" for k, v in sorted(o.items()) if k in ("zip64_cd_mode", "zip64_local_stream", "dd8", "zip64_local_partial") and (k != "zip64_cd_mode" or o.get("zip64_cd")))
    # a few hand-made structural faults
    fault = rng.choice([None, None, "zip64-locator-disk", "zip64-locator-total0", "zip64-locator-total2",
                        "zip64-eocd-size", "zip64-eocd-count", "eocd-counts-differ", "cd-disk-ffff",
                        "zip64-extra-extra-bytes", "zip64-extra-missing", "zip64-extra-unneeded",
                        "extra-not-filling", "two-zip64", "local-extra-bad", "descriptor-no-sig",
                        "eocd-disk-1", "flag-bit-4", "flag-bit-13", "method-8-stored-data",
                        "cd-offset-off", "cd-size-off"])
    if fault:
        ba = bytearray(data)
        desc += f" + {fault}"
        if fault.startswith("zip64") and "regions" and not regions.get("zip64") and "extra" not in fault:
            doc.zopts["zip64_eocd"] = True
            data, regions = doc.render()
            ba = bytearray(data)
        if fault == "zip64-locator-disk":
            s = regions["zip64"][0][0] + 56
            struct.pack_into("<I", ba, s + 4, 1)
        elif fault == "zip64-locator-total0":
            s = regions["zip64"][0][0] + 56
            struct.pack_into("<I", ba, s + 16, 0)
        elif fault == "zip64-locator-total2":
            s = regions["zip64"][0][0] + 56
            struct.pack_into("<I", ba, s + 16, 2)
        elif fault == "zip64-eocd-size":
            s = regions["zip64"][0][0]
            struct.pack_into("<Q", ba, s + 4, 45)
        elif fault == "zip64-eocd-count":
            s = regions["zip64"][0][0]
            struct.pack_into("<Q", ba, s + 32, struct.unpack_from("<Q", ba, s + 32)[0] + 1)
        elif fault == "eocd-counts-differ":
            s = regions["eocd"][0][0]
            struct.pack_into("<H", ba, s + 8, struct.unpack_from("<H", ba, s + 8)[0] ^ 1)
        elif fault == "eocd-disk-1":
            s = regions["eocd"][0][0]
            struct.pack_into("<H", ba, s + 4, 1)
        elif fault in ("zip64-extra-extra-bytes", "zip64-extra-missing", "zip64-extra-unneeded", "two-zip64",
                       "extra-not-filling"):
            ents = doc.entries()
            data2 = _zip_with_custom_cd_extra(ents, doc.zopts, fault, rng)
            return Case(data2, random_creds(rng, doc.manifest.get("key_id") is not None), None,
                        f"zipform:{fault}", desc)
        elif fault == "cd-disk-ffff":
            s = regions["cd_header"][0][0]
            struct.pack_into("<H", ba, s + 34, 0xFFFF)
        elif fault == "local-extra-bad":
            s = regions["local_header"][-1][0]
            el = struct.unpack_from("<H", ba, s + 28)[0]
            if el == 0:
                fault = None
            else:
                nl = struct.unpack_from("<H", ba, s + 26)[0]
                struct.pack_into("<H", ba, s + 30 + nl + 2, el)  # declared length runs past
        elif fault == "descriptor-no-sig":
            if regions.get("descriptor"):
                s = regions["descriptor"][-1][0]
                ba[s:s + 4] = b"XXXX"
        elif fault in ("flag-bit-4", "flag-bit-13"):
            bit = 0x10 if fault == "flag-bit-4" else 0x2000
            for (s, _, _) in regions["cd_header"][-1:]:
                struct.pack_into("<H", ba, s + 8, struct.unpack_from("<H", ba, s + 8)[0] | bit)
            for (s, _, _) in regions["local_header"][-1:]:
                struct.pack_into("<H", ba, s + 6, struct.unpack_from("<H", ba, s + 6)[0] | bit)
        elif fault == "method-8-stored-data":
            for (s, _, _) in regions["cd_header"][-1:]:
                struct.pack_into("<H", ba, s + 10, 8)
            for (s, _, _) in regions["local_header"][-1:]:
                struct.pack_into("<H", ba, s + 8, 8)
        elif fault in ("cd-offset-off", "cd-size-off"):
            s = regions["eocd"][0][0]
            f = s + (16 if fault == "cd-offset-off" else 12)
            v = struct.unpack_from("<I", ba, f)[0]
            if v != 0xFFFFFFFF:
                struct.pack_into("<I", ba, f, v + rng.choice([-1, 1]))
        data = bytes(ba)
    return Case(data, random_creds(rng, doc.manifest.get("key_id") is not None), None,
                f"zipform:{fault or 'valid'}" + (f":{form}" if form else ""), desc)


def _zip_with_custom_cd_extra(ents, zopts, fault, rng):
    """Rewrites the last entry's directory extra field."""
    o = dict(zopts)
    o["zip64_cd"] = False
    data, regions = write_zip(ents, o)
    s, e, name = regions["cd_header"][-1]
    hdr = bytearray(data[s:e])
    nl = struct.unpack_from("<H", hdr, 28)[0]
    el = struct.unpack_from("<H", hdr, 30)[0]
    comp, uncomp, off = struct.unpack_from("<I", hdr, 20)[0], struct.unpack_from("<I", hdr, 24)[0], struct.unpack_from("<I", hdr, 42)[0]
    base_extra = bytes(hdr[46 + nl:46 + nl + el])
    if fault == "zip64-extra-extra-bytes":
        struct.pack_into("<I", hdr, 24, 0xFFFFFFFF)
        extra = struct.pack("<HHQQ", 1, 16, uncomp, comp)  # compressed present though not all ones
    elif fault == "zip64-extra-missing":
        struct.pack_into("<I", hdr, 24, 0xFFFFFFFF)
        struct.pack_into("<I", hdr, 42, 0xFFFFFFFF)
        extra = struct.pack("<HHQ", 1, 8, uncomp)  # offset missing
    elif fault == "zip64-extra-unneeded":
        extra = struct.pack("<HH", 1, 0) if rng.random() < 0.5 else struct.pack("<HHQ", 1, 8, uncomp)
    elif fault == "two-zip64":
        struct.pack_into("<I", hdr, 24, 0xFFFFFFFF)
        extra = struct.pack("<HHQ", 1, 8, uncomp) + struct.pack("<HHQ", 1, 8, uncomp)
    else:
        extra = struct.pack("<HH", 0x5455, 9) + b"\x01\x00"
    extra = base_extra + extra
    struct.pack_into("<H", hdr, 30, len(extra))
    new_hdr = bytes(hdr[:46 + nl]) + extra + bytes(hdr[46 + nl + el:])
    out = bytearray(data[:s] + new_hdr + data[e:])
    eo = len(out) - 22
    if o.get("zip64_eocd"):
        z = regions["zip64"][0][0] + (len(new_hdr) - (e - s))
        struct.pack_into("<Q", out, z + 40, struct.unpack_from("<Q", out, z + 40)[0] + len(new_hdr) - (e - s))
        struct.pack_into("<Q", out, z + 56 + 8, z)
    else:
        struct.pack_into("<I", out, eo + 12, struct.unpack_from("<I", out, eo + 12)[0] + len(new_hdr) - (e - s))
    return bytes(out)


# ---- locked backups -------------------------------------------------------------


def _inner(rng, B):
    r = rng.random()
    if r < 0.5:
        return B.restored.render()[0]
    if r < 0.7:
        return B.unauth.render()[0]
    # a bigger backup so the payload spans several STREAM chunks
    big = bytes(rng.getrandbits(8) for _ in range(rng.choice([70000, 131000, 131072 - 300, 200000])))
    recs = [(key_num(1.0), b"\x12\x01\x00" + varint(len(big)))]
    doc = make_doc([{"name": "s", "records": recs, "blobs": [big]}])
    return doc.render()[0]


def gen_locked(rng, B):
    inner = _inner(rng, B)
    creds = rng.choice([("master", None), ("master", None), (None, PASS), (None, PASS), (None, PASS), ("master", PASS),
                        ("other", PASS), ("other", None), (None, None), (None, WRONG_PASS), ("other", WRONG_PASS)])
    stanzas = rng.choice([("pw", "mk"), ("mk", "pw"), ("pw",), ("mk",), ("mk-other",), ("pw", "mk-other")])
    mode = rng.choice(["valid", "valid", "header-flip", "header-cut", "payload-flip", "payload-cut",
                       "payload-append", "chunks", "version", "count", "stanza-type", "argon", "header-mac",
                       "inner-fault", "empty", "nested", "short-payload"])
    desc = f"{mode} stanzas={stanzas} creds={creds[0]},{creds[1]!r}"
    if mode == "argon":
        params = rng.choice([(1024, 1, 0), (1024, 0, 1), (7, 1, 1), (15, 1, 2), (16, 1, 2), (2 ** 21, 1, 1),
                             (1024, 17, 1), (1024, 1, 9), (0, 0, 0), (2 ** 32 - 1, 1, 1), (1048576 + 1, 0, 1),
                             (8 * 9, 1, 9), (1024, 16, 8)])
        stanzas = rng.choice([("pw",), ("pw", "mk"), ("mk", "pw")])
        data = lock(inner, stanzas=stanzas, pw_params=params)
        desc += f" argon2 m,t,p={params} stanzas={stanzas}"
        return Case(data, creds[0], creds[1], f"locked:argon:{params}", desc)
    if mode == "version":
        data = lock(inner, stanzas=stanzas, version=rng.choice([0, 2, 0xff]))
        if rng.random() < 0.5:
            data = data[:rng.randint(9, 40)]
            desc += " + cut"
        return Case(data, creds[0], creds[1], "locked:version" + (":cut" if "cut" in desc else ""), desc)
    if mode == "count":
        c = rng.choice([0, 3, 255, 1 if len(stanzas) == 2 else 2])
        data = lock(inner, stanzas=stanzas, count=c)
        if rng.random() < 0.4:
            data = data[:rng.randint(10, 60)]
            desc += " + cut"
        return Case(data, creds[0], creds[1], f"locked:count{'-cut' if 'cut' in desc else ''}", desc + f" count={c}")
    if mode == "stanza-type":
        bad = rng.choice([b"\x03" + b"\x00" * 88, b"\x00" + b"\x00" * 88, "dup-pw", "dup-mk"])
        if bad == "dup-pw":
            st = ("pw", "pw")
        elif bad == "dup-mk":
            st = ("mk", "mk")
        else:
            st = (stanzas[0], bad)
        data = lock(inner, stanzas=st)
        if rng.random() < 0.3:
            data = data[:rng.randint(10, 200)]
            desc += " + cut"
        return Case(data, creds[0], creds[1], "locked:stanza-type", desc + f" {bad if isinstance(bad, str) else bad[:1].hex()}")
    if mode == "header-mac":
        data = lock(inner, stanzas=stanzas, mac_ok=False)
        return Case(data, creds[0], creds[1], "locked:header-mac", desc)
    if mode == "inner-fault":
        sub = rng.choice([gen_bitflip, gen_manifest, gen_records, gen_entries, gen_truncate])
        c = sub(rng, B)
        data = lock(c.data, stanzas=stanzas)
        return Case(data, c.key if creds[0] else None, creds[1] or PASS, "locked-inner:" + c.kind, desc + " inner: " + c.desc)
    if mode == "empty":
        return Case(lock(b"", stanzas=stanzas), creds[0], creds[1], "locked:empty-payload", desc)
    if mode == "nested":
        inner2 = lock(inner, stanzas=stanzas)
        if rng.random() < 0.5:
            inner2 = b"COFFERLK"
        return Case(lock(inner2, stanzas=stanzas), creds[0], creds[1], "locked:nested", desc)
    if mode == "short-payload":
        payload = rng.choice([b"PK", b"P", b"COFFERL", b"\x00" * 10, b"PK\x03\x04"])
        return Case(lock(payload, stanzas=stanzas), creds[0], creds[1], "locked:tiny-payload", desc + f" payload {payload!r}")
    header, chunks, pkey = lock(inner, stanzas=stanzas, want_parts=True)
    data = header + b"".join(chunks)
    kind = "locked:" + mode
    if mode == "header-flip":
        data, how = flip(rng, data, 0, len(header))
        # keep Argon2id cost bounded: skip memory values between 64 MiB and the cap
        if "pw" in stanzas and data[10] == 1:
            m = struct.unpack_from("<I", data, 11)[0]
            if 65536 < m <= cr.MAX_KDF_MEMORY_KIB:
                data = header + b"".join(chunks)
                how = "no-op (argon memory guard)"
        desc += " " + how
    elif mode == "header-cut":
        cut = rng.randint(0, len(header))
        data = data[:cut]
        desc += f" cut to {cut} of header {len(header)}"
    elif mode == "payload-flip":
        data, how = flip(rng, data, len(header), len(data))
        desc += " " + how + f" (chunks {len(chunks)})"
    elif mode == "payload-cut":
        cut = rng.choice([len(header) + rng.randint(0, 40), len(data) - rng.randint(1, 40),
                          len(header) + 65552 + rng.randint(-2, 20), rng.randint(len(header), len(data))])
        data = data[:max(len(header), min(cut, len(data)))]
        desc += f" payload cut to {len(data) - len(header)} (chunks {len(chunks)})"
    elif mode == "payload-append":
        data = data + bytes(rng.getrandbits(8) for _ in range(rng.choice([1, 16, 17, 65552])))
        desc += f" appended, payload {len(data) - len(header)}"
    elif mode == "chunks":
        if len(chunks) < 2:
            chunks = stream_encrypt(pkey, _inner_big(rng))
        op = rng.choice(["swap", "drop-first", "drop-last", "dup-first", "final-as-middle"])
        ch = list(chunks)
        if op == "swap":
            ch[0], ch[1] = ch[1], ch[0]
        elif op == "drop-first":
            ch = ch[1:]
        elif op == "drop-last":
            ch = ch[:-1]
        elif op == "dup-first":
            ch = [ch[0]] + ch
        else:
            ch = ch[:-1]
        data = header + b"".join(ch)
        desc += f" chunks {op} ({len(chunks)} → {len(ch)})"
        kind += ":" + op
    return Case(data, creds[0], creds[1], kind, desc)


def _inner_big(rng):
    big = bytes(rng.getrandbits(8) for _ in range(140000))
    recs = [(key_num(1.0), b"\x12\x01\x00" + varint(len(big)))]
    return make_doc([{"name": "s", "records": recs, "blobs": [big]}]).render()[0]


def gen_vector_flip(rng, B):
    """Bit flip anywhere in an accepted vector file, with its own credentials."""
    data, kf, pw, name = rng.choice(B.vector_files)
    if rng.random() < 0.5:
        data, how = flip(rng, data, 0, len(data))
    else:
        cut = rng.randrange(len(data))
        data, how = data[:cut], f"cut to {cut}"
    if name.endswith("locked-passphrase.bin") and len(data) > 20 and data[10] == 1:
        m = struct.unpack_from("<I", data, 11)[0]
        if 65536 < m <= cr.MAX_KDF_MEMORY_KIB:
            return gen_vector_flip(rng, B)
    return Case(data, kf, pw.encode() if pw else None, "vector:" + os.path.basename(name), f"{name}: {how}")



# ---- key files (FORMAT.md §2.2) -------------------------------------------------

def _keyfile_variants(rng):
    with open(KEYFILES["master"]) as f:
        plain = json.load(f)
    with open(os.path.join(VEC, "keyfile-argon2id.json")) as f:
        a2 = json.load(f)
    base = json.loads(json.dumps(rng.choice([plain, plain, a2])))
    ops = [
        ("type", lambda d: d.__setitem__("type", rng.choice(["coffer-master-key ", "x", None, 1]))),
        ("type-missing", lambda d: d.pop("type")),
        ("version", lambda d: d.__setitem__("version", rng.choice([0, 2, 1.0, -1, "1", None, 2 ** 64]))),
        ("version-missing", lambda d: d.pop("version")),
        ("key_id", lambda d: d.__setitem__("key_id", rng.choice([d["key_id"].upper(), d["key_id"][:31], cr.key_id_of(OTHER).hex(), 5]))),
        ("created", lambda d: d.__setitem__("created", rng.choice(["2026-11-26 12:00:00Z", "2026-11-26T12:00:00.5Z", "0000-01-01T00:00:00Z", "2026-13-01T00:00:00Z"]))),
        ("protection", lambda d: d.__setitem__("protection", rng.choice(["None", "argon2id", "none", ""]))),
        ("unknown", lambda d: d.__setitem__("comment", "x")),
        ("key", lambda d: d.__setitem__("key", rng.choice([plain["key"].rstrip("="), plain["key"] + "\n", plain["key"][:-2] + "x=",
                                                            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", plain["key"].replace("8=", "9="), "AAAA"]))),
        ("key-missing", lambda d: d.pop("key", None)),
        ("kdf", lambda d: d.__setitem__("kdf", rng.choice([{"memory_kib": 1024, "iterations": 1, "parallelism": 0},
                                                            {"memory_kib": 7, "iterations": 1, "parallelism": 1},
                                                            {"memory_kib": 2 ** 21, "iterations": 1, "parallelism": 1},
                                                            {"memory_kib": 2 ** 21, "iterations": 0, "parallelism": 1},
                                                            {"memory_kib": 1024, "iterations": 17, "parallelism": 0},
                                                            {"memory_kib": 1024, "iterations": 1},
                                                            {"memory_kib": 1024, "iterations": 1, "parallelism": 1, "x": 1},
                                                            {"memory_kib": 2 ** 32, "iterations": 1, "parallelism": 1},
                                                            {"memory_kib": 1024, "iterations": 2, "parallelism": 1}]))),
        ("salt", lambda d: d.__setitem__("salt", rng.choice(["YGFiY2RlZmdoaWprbG1u", "YGFiY2RlZmdoaWprbG1ubw", "YGFiY2RlZmdoaWprbG1ubx=="]))),
        ("wrapped_key", lambda d: d.__setitem__("wrapped_key", d.get("wrapped_key", "")[:-4] + "AAAA")),
        ("add-kdf-to-plain", lambda d: d.__setitem__("kdf", {"memory_kib": 1024, "iterations": 1, "parallelism": 1})),
    ]
    name, fn = rng.choice(ops)
    fn(base)
    text = json.dumps(base, indent=2) + "\n"
    if rng.random() < 0.15:
        name, text = rng.choice([
            ("dup-version", text.replace('"version": 1,', '"version": 2,\n  "version": 1,', 1)),
            ("dup-type", text.replace('"type": "coffer-master-key",', '"type": "x",\n  "type": "coffer-master-key",', 1)),
            ("bom", "\ufeff" + text), ("too-big", text + " " * 16384), ("exactly-16384", text + " " * (16384 - len(text))),
            ("not-object", "[]"), ("version-neg0", text.replace('"version": 1,', '"version": -0,', 1)),
            ("version-1e0", text.replace('"version": 1,', '"version": 1e0,', 1)),
            ("type-missing-version-2", text.replace('"version": 1,', '"version": 2,', 1).replace('"type": "coffer-master-key",', '', 1)),
        ])
    return name, text.encode("utf-8"), base.get("protection") == "argon2id"


def gen_keyfile(rng, B):
    name, kf, is_a2 = _keyfile_variants(rng)
    kpw = rng.choice([PASS, None, WRONG_PASS]) if is_a2 else None
    data = B.restored.render()[0]
    return Case(data, None, None, "keyfile:" + name, f"key file {name}: {kf[:300]!r} key-pw {kpw!r}",
                keyfile=kf, key_pw=kpw)


# ---- precedence between steps, limits and ratios ------------------------------------

def _blob_store_doc(blobs_data, method=8, key_id=True):
    recs = [(key_num(float(i + 1)), b"\x12\x01" + varint(i) + varint(len(b))) for i, b in enumerate(blobs_data)]
    d = make_doc([{"name": "s", "records": recs, "blobs": blobs_data, "method": method}], key_id=key_id)
    return d


def _ratio_blob(target_ratio, size):
    """A blob of `size` bytes whose level-1 raw deflate gives size // comp == target."""
    rnd = random.Random(size)
    noise = bytes(rnd.getrandbits(8) for _ in range(size))
    lo, hi = 0, size
    best = None
    for _ in range(40):
        mid = (lo + hi) // 2
        data = noise[:mid] + b"\x00" * (size - mid)
        r = size // max(1, len(deflate(data, 9)))
        if r == target_ratio:
            return data
        if r > target_ratio:
            lo = mid + 1
        else:
            hi = mid - 1
        best = data
    return None


def fixed_cases2(B):
    out = []
    # ratio limit boundaries (§7.3: > 1 MiB, integer division, > 500)
    for ratio in (500, 501):
        blob = _ratio_blob(ratio, (1 << 20) + 4096)
        if blob is not None:
            d = _blob_store_doc([blob])
            d.zopts = {"level": 9}
            out.append(Case(d.render()[0], "master", None, f"fixed:ratio:{ratio}", f"blob ratio {ratio}"))
    z = b"\x00" * (1 << 20)
    for n in (0, 1):
        d = _blob_store_doc([z + b"\x00" * n])
        d.zopts = {"level": 9}
        out.append(Case(d.render()[0], "master", None, f"fixed:ratio:2^20+{n}-zeros-level9", ""))
    # end-record search range: exactly 65,557 bytes from the end, and one more
    base = B.unauth.render()[0]
    out.append(Case(base + b"\x00" * 65535, None, None, "fixed:eocd-search:65535-appended", ""))
    out.append(Case(base + b"\x00" * 65536, None, None, "fixed:eocd-search:65536-appended", ""))
    # repeated stanza type with the header cut inside the repeated stanza
    inner = B.unauth.render()[0]
    for st, cuts in ((("pw", "pw"), (112, 150, 211)), (("mk", "mk"), (100, 120, 188))):
        full = lock(inner, stanzas=st)
        for cut in cuts + (len(full) - len(inner) - 20,):
            out.append(Case(full[:cut], None, PASS, f"fixed:locked:repeated-{st[0]}-cut{cut}", ""))
        out.append(Case(full, None, PASS, f"fixed:locked:repeated-{st[0]}-full", ""))
    # manifest over the ratio threshold: pad with whitespace
    d = B.restored.copy()
    d.mtext = d.manifest_bytes()[:-1] + b" " * (1 << 20) + b"\n"
    d.manifest_method = 8
    out.append(Case(d.render()[0], "master", None, "fixed:ratio:manifest-whitespace", "manifest 1 MiB of spaces"))
    # a ratio fault together with a manifest fault: 5b before 6
    d.mtext = d.mtext.replace(b'"format_version": 1', b'"format_version": 3')
    out.append(Case(d.render()[0], "master", None, "fixed:ratio:manifest-whitespace+v3", ""))
    # count limits and their order against schema faults (6e < 6g < 6h)
    for extra in ("none", "unknown-member-last-db", "dup-name", "version-0"):
        d = B.unauth.copy()
        dbs = [{"name": f"d{i}", "version": 1, "stores": []} for i in range(10001)]
        if extra == "unknown-member-last-db":
            dbs[-1]["x"] = 1
        elif extra == "dup-name":
            dbs[-1]["name"] = "d0"
        elif extra == "version-0":
            dbs[5]["version"] = 0
        d.manifest["databases"] = d.manifest["databases"] + dbs
        out.append(Case(d.render()[0], None, None, f"fixed:limits:10001-databases:{extra}", ""))
    d = B.unauth.copy()
    d.manifest["databases"] += [{"name": f"d{i}", "version": 1, "stores": []} for i in range(9999)]
    out.append(Case(d.render()[0], None, None, "fixed:limits:10000-databases", ""))
    # 6h / 6i interleaving per entry
    d = B.restored.copy()
    parts0 = d.manifest["databases"][0]["stores"][0]["parts"]
    blobs0 = d.manifest["databases"][0]["stores"][0]["blobs"]
    parts0[0]["size"] = 2 ** 30 + 1
    blobs0[0]["blake3"] = "X" * 64
    out.append(Case(d.render()[0], "master", None, "fixed:order:part-size-then-blob-hex", "6i on part 0, 6h on blob 0"))
    d = B.restored.copy()
    st = d.manifest["databases"][0]["stores"]
    st[0]["blobs"][0]["size"] = 2 ** 34 + 1
    st[1]["schema"]["name"] = "notes"
    out.append(Case(d.render()[0], "master", None, "fixed:order:blob-size-then-store-name", ""))
    d = B.restored.copy()
    st = d.manifest["databases"][0]["stores"]
    st[0]["records"] = 5
    st[1]["parts"][0]["size"] = 2 ** 30 + 1
    out.append(Case(d.render()[0], "master", None, "fixed:order:6j-store0-then-6i-store1", ""))
    d = B.restored.copy()
    st = d.manifest["databases"][0]["stores"]
    st[1]["schema"]["encrypted"] = False
    d.manifest["key_id"] = None
    st[0]["parts"][0]["size"] = 2 ** 36
    out.append(Case(d.render()[0], None, None, "fixed:order:6i-vs-6k", ""))
    # 6k vs 6l
    d = B.restored.copy()
    d.manifest["key_id"] = None
    st = d.manifest["databases"][0]["stores"]
    st[0]["blobs"][0]["size"] = 2 ** 34
    st[0]["blobs"].append({"entry": "databases/0/stores/0/blobs/000001.bin", "size": 2 ** 34, "blake3": "0" * 64})
    st[0]["blobs"].append({"entry": "databases/0/stores/0/blobs/000002.bin", "size": 2 ** 34, "blake3": "0" * 64})
    st[0]["blobs"].append({"entry": "databases/0/stores/0/blobs/000003.bin", "size": 2 ** 34, "blake3": "0" * 64})
    out.append(Case(d.render()[0], None, None, "fixed:order:6k-vs-6l", "total > 2^36 and encrypted store without key_id"))
    # step 7 vs step 8/9, step 8 vs 9
    d = B.restored.copy()
    d.mac = b"X" * 64
    d.data = d.data[:-1]
    out.append(Case(d.render()[0], "master", None, "fixed:order:7c-vs-8a", ""))
    d = B.restored.copy()
    d.mac = b"0" * 65
    out.append(Case(d.render()[0], "master", None, "fixed:mac:65-bytes", ""))
    d = B.restored.copy()
    d.mac = b"0" * 63
    out.append(Case(d.render()[0], "master", None, "fixed:mac:63-bytes", ""))
    d = B.restored.copy()
    d.mac = cr.blake3_keyed(cr.derive_key(cr.MANIFEST_MAC_CONTEXT, MASTER), d.manifest_bytes()).hex().encode() + b"\n"
    out.append(Case(d.render()[0], "master", None, "fixed:mac:trailing-lf", ""))
    d = B.restored.copy()
    ents = d.entries()
    ents[1]["method"] = 8
    out.append(Case(write_zip(ents)[0], "master", None, "fixed:mac:deflated", ""))
    d = B.unauth.copy()
    d.mac = b"X" * 64
    out.append(Case(d.render()[0], "master", None, "fixed:order:7c-vs-7d", "bad MAC text and no key_id"))
    d = B.restored.copy()
    d.manifest["databases"][0]["stores"][0]["parts"][0]["size"] += 1
    d.data.append({"name": b"databases/0/stores/9/records/000000.bin", "data": b"", "method": 0})
    out.append(Case(d.render()[0], "master", None, "fixed:order:8b-vs-9", ""))
    d = B.restored.copy()
    d.data.insert(0, {"name": b"databases/0/stores/9/records/000000.bin", "data": b"", "method": 0})
    d.data = [e for e in d.data if not e["name"].endswith(b"stores/1/records/000000.bin")]
    out.append(Case(d.render()[0], "master", None, "fixed:order:8a-vs-9-unlisted-first", ""))
    # step 10 vs 7/8: wrong key and a missing entry
    d = B.restored.copy()
    d.data = d.data[:-1]
    out.append(Case(d.render()[0], "other", None, "fixed:order:8a-vs-10a", ""))
    # 2i over all headers before 3 (names)
    d = B.restored.copy()
    ents = d.entries()
    ents[2]["name"] = b"../evil"
    ents[-1]["flags_or"] = 0x1
    out.append(Case(write_zip(ents)[0], "master", None, "fixed:order:3b-entry2-vs-2i-entry4", ""))
    ents = d.entries()
    ents[-1]["name"] = b"../evil"
    zb, regions = write_zip(ents)
    zb = bytearray(zb)
    s0 = regions["local_header"][2][0]
    zb[s0] = ord("X")
    out.append(Case(bytes(zb), "master", None, "fixed:order:4-entry2-vs-3b-entry4", ""))
    # blob precedence: 14b before 15
    d = _blob_store_doc([b"abc", b"def"])
    d.manifest["databases"][0]["stores"][0]["records"] = 1
    d.manifest["databases"][0]["stores"][0]["parts"][0]["records"] = 1
    body = frame(key_num(1.0), b"\x12\x01\x00\x03")
    d.data[0]["data"] = body
    d.rehash([d.data[0]["name"]])
    d.manifest["databases"][0]["stores"][0]["blobs"][0]["blake3"] = "0" * 64
    out.append(Case(d.render()[0], "master", None, "fixed:order:14b-vs-15", "blob 1 unreferenced, blob 0 hash wrong"))
    # 13 vs 12 of the next part
    recs = [(key_num(1.0), b"\x01"), (key_num(2.0), b"\xff")]
    d = make_doc([{"name": "s", "records": recs, "per_part": 1}])
    d.manifest["databases"][0]["stores"][0]["parts"][0]["records"] = 2
    d.manifest["databases"][0]["stores"][0]["parts"][1]["records"] = 0 + 1
    d.manifest["databases"][0]["stores"][0]["records"] = 3
    out.append(Case(d.render()[0], "master", None, "fixed:order:13-part0-vs-12-part1", ""))
    # 12b: a record over max_key_size is impractical; skip.  12e-12g order
    env = seal(b"\x01", "db", "enc", key_num(1.0), bytes(24))
    for label, v in (("short-and-v2", b"\x02" + b"\x00" * 10), ("v2-and-other-kid", b"\x02" + cr.key_id_of(OTHER) + env[17:]),
                     ("other-kid-and-tag", b"\x01" + cr.key_id_of(OTHER) + env[17:-1] + b"\x00")):
        d = make_doc([{"name": "enc", "encrypted": True, "records": [(key_num(1.0), v)]}])
        out.append(Case(d.render()[0], "master", None, f"fixed:sealed-order:{label}", ""))
        out.append(Case(d.render()[0], None, None, f"fixed:sealed-order:{label}:nokey", ""))
    # a key that does not decode vs. the envelope
    d = make_doc([{"name": "enc", "encrypted": True, "records": [(b"\x09", b"\x00")]}])
    out.append(Case(d.render()[0], "master", None, "fixed:sealed-order:bad-key-short-env", ""))
    # store names in the AAD: non-ASCII and empty
    for dbn, stn in (("é", "😀"), ("", "")):
        env = seal(b"\x01", dbn, stn, key_num(1.0), bytes(24))
        d = make_doc([{"name": stn, "encrypted": True, "records": [(key_num(1.0), env)]}], db_name=dbn)
        out.append(Case(d.render()[0], "master", None, f"fixed:sealed-aad:{dbn!r}", ""))
    # created: year 0000 and other §1.2 edge times
    for t in ("0000-01-01T00:00:00Z", "0000-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-11-26T12:00:00.000000000+23:59"):
        d = B.unauth.copy()
        d.manifest["created"] = t
        out.append(Case(d.render()[0], None, None, f"fixed:created:{t}", ""))
    # very deep JSON nesting in an unknown member of a manifest of an
    # unsupported version (3)
    for depth in (1000, 100000):
        d = B.unauth.copy()
        t = d.manifest_bytes().decode()
        d.mtext = t.replace('"format_version": 1,', '"format_version": 3, "zz": ' + "[" * depth + "]" * depth + ",", 1).encode()
        out.append(Case(d.render()[0], None, None, f"fixed:json-depth-{depth}-v3", ""))
    # key files: order of the §2.2 step-6 checks
    with open(os.path.join(VEC, "keyfile-argon2id.json")) as f:
        a2 = json.load(f)
    for label, kdf, salt in (("min-and-cap", {"memory_kib": 2 ** 21, "iterations": 0, "parallelism": 1}, None),
                             ("cap-and-bad-salt", {"memory_kib": 2 ** 21, "iterations": 1, "parallelism": 1}, "AA=="),
                             ("min-and-bad-salt", {"memory_kib": 4, "iterations": 1, "parallelism": 1}, "AA==")):
        k = json.loads(json.dumps(a2))
        k["kdf"] = kdf
        if salt:
            k["salt"] = salt
        out.append(Case(B.restored.render()[0], None, None, f"fixed:keyfile:{label}", "",
                        keyfile=(json.dumps(k, indent=2) + "\n").encode(), key_pw=PASS))
    for v in ("-1", "-0", "18446744073709551615", "18446744073709551616", "1e0"):
        with open(KEYFILES["master"]) as f:
            t = f.read().replace('"version": 1,', f'"version": {v},')
        out.append(Case(B.restored.render()[0], None, None, f"fixed:keyfile:version{v}", "", keyfile=t.encode()))
    # locked, 3 chunks, the middle chunk damaged: it lies inside the last
    # 65,557 bytes that the end-record search may read (SPEC-Q14)
    big = bytes(random.Random(3).getrandbits(8) for _ in range(131000))
    inner3 = make_doc([{"name": "s", "records": [(key_num(1.0), b"\x12\x01\x00" + varint(len(big)))],
                        "blobs": [big]}]).render()[0]
    header, chunks, _ = lock(inner3, stanzas=("mk-other",), want_parts=True)
    assert len(chunks) == 3
    bad = bytearray(chunks[1])
    bad[100] ^= 1
    data3 = header + chunks[0] + bytes(bad) + chunks[2]
    out.append(Case(data3, "other", None, "fixed:locked:middle-chunk-in-eocd-window:wrong-inner-key", ""))
    out.append(Case(data3, "master", PASS, "fixed:locked:middle-chunk-in-eocd-window:unlocks-not", ""))
    header, chunks, _ = lock(inner3, stanzas=("pw",), want_parts=True)
    data3 = header + chunks[0] + bytes(bytearray(chunks[1][:100]) + bytes([chunks[1][100] ^ 1]) + chunks[1][101:]) + chunks[2]
    out.append(Case(data3, "master", PASS, "fixed:locked:middle-chunk-in-eocd-window:key", ""))
    out.append(Case(data3, "other", PASS, "fixed:locked:middle-chunk-in-eocd-window:other-key", ""))
    # locked: multi-chunk boundary sizes
    for n in (65536, 65536 * 2, 65537):
        big = _exact_size_backup(n)
        if big is not None:
            out.append(Case(lock(big, stanzas=("mk",)), "master", None, f"fixed:locked:inner-size-{n}", ""))
    return out


def _exact_size_backup(n):
    """A plain backup of exactly n bytes (padding a stored blob)."""
    guess = n - len(_blob_store_doc([b""], method=0, key_id=False).render()[0])
    for delta in range(-16, 17):
        blob = b"\x00" * max(0, guess + delta)
        data = _blob_store_doc([blob], method=0, key_id=False).render()[0]
        if len(data) == n:
            return data
    return None

GENERATORS = [
    (gen_bitflip, 22), (gen_truncate, 6), (gen_append_insert, 6), (gen_entries, 9), (gen_manifest, 16),
    (gen_records, 18), (gen_sealed, 8), (gen_zipforms, 8), (gen_locked, 10), (gen_vector_flip, 5),
    (gen_keyfile, 4), (gen_parts, 14),
]


def fixed_cases(B):
    """Targeted cases for the questions of SPEC-QUESTIONS.md; always run."""
    rng = random.Random(12345)
    out = []
    t = B.restored.manifest_bytes().decode()
    for name, fn in TEXT_EDITS:
        d = B.restored.copy()
        d.mtext = fn(t).encode("utf-8", "surrogateescape")
        out.append(Case(d.render()[0], "master", None, "fixed:manifest-text:" + name, name))
    for label, h in CRAFTED_VALUES:
        recs = [(key_num(1.0), _hex(h))]
        d = plain_doc_with_records(rng, recs, [])
        out.append(Case(d.render()[0], "master", None, "fixed:value:" + label, label))
    for label, h in CRAFTED_KEYS:
        d = plain_doc_with_records(rng, [(_hex(h), b"\x01")], [])
        out.append(Case(d.render()[0], "master", None, "fixed:key:" + label, label))
    for label, k1, k2 in KEY_ORDER_PAIRS:
        for per in (None, 1):
            d = plain_doc_with_records(rng, [(k1, b"\x01"), (k2, b"\x01")], [], per_part=per)
            out.append(Case(d.render()[0], "master", None, f"fixed:key-order:{label}:{per}", label))
    for label, h in CRAFTED_VALUES:
        env = seal(_hex(h), "db", "enc", key_num(1.0), bytes(24))
        d = make_doc([{"name": "enc", "encrypted": True, "records": [(key_num(1.0), env)]}])
        out.append(Case(d.render()[0], "master", None, "fixed:sealed:" + label, label))
    # locked header: truncation vs field checks (SPEC-Q1)
    inner = B.restored.render()[0]
    full = lock(inner, stanzas=("pw", "mk"))
    for ver in (2,):
        d = bytearray(full)
        d[8] = ver
        for cut in (9, 10, 50):
            out.append(Case(bytes(d[:cut]), None, PASS, f"fixed:locked:version{ver}-cut{cut}", ""))
    for cnt in (0, 3):
        d = bytearray(full)
        d[9] = cnt
        for cut in (10, 11, 60):
            out.append(Case(bytes(d[:cut]), None, PASS, f"fixed:locked:count{cnt}-cut{cut}", ""))
    for params in ((1024, 1, 0), (2 ** 21, 1, 1)):
        d = lock(inner, stanzas=("pw", "mk"), pw_params=params)
        for cut in (24, 40, 120, 200):
            out.append(Case(d[:cut], None, PASS, f"fixed:locked:argon{params}-cut{cut}", ""))
    for bad in (b"\x03", b"\x01\x01"):
        d = full[:10] + bad
        out.append(Case(d, None, PASS, f"fixed:locked:stanza{bad.hex()}-cut", ""))
    for c in ("COFF", "COFFERL", "PK\x03", "PK"):
        out.append(Case(c.encode(), None, None, f"fixed:prefix:{c!r}", ""))
    # total size: listed entries only vs with the manifest (SPEC-Q5)
    d = B.unauth.copy()
    st = d.manifest["databases"][0]["stores"][0]
    s0 = sum(e["size"] for e in d.entry_infos())
    for k in range(4):
        st["blobs"].append({"entry": f"databases/0/stores/0/blobs/{len(st['blobs']):06d}.bin",
                            "size": 2 ** 34 - (s0 if k == 0 else 0), "blake3": "0" * 64})
    assert sum(e["size"] for e in d.entry_infos()) == 2 ** 36
    out.append(Case(d.render()[0], None, None, "fixed:total-size-exactly-2^36-listed", "sum listed = 2^36"))
    return out


# ---------------------------------------------------------------------------
# Running the two readers
# ---------------------------------------------------------------------------


def run_reference(coffer, path, key, pw_path, keyfile_path=None, key_pw_path=None):
    cmd = [coffer, "verify", "-q", path]
    if keyfile_path:
        cmd += ["--key", keyfile_path]
    elif key:
        cmd += ["--key", KEYFILES[key]]
    if pw_path:
        cmd += ["--passphrase-file", pw_path]
    if key_pw_path:
        cmd += ["--key-passphrase-file", key_pw_path]
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        return "timeout"
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode == 0:
        if "authenticated: manifest MAC verified" in out and "UNAUTHENTICATED" not in out:
            return "accept verified"
        if "carries no manifest MAC" in out:
            return "accept no-mac"
        if "was not checked" in out:
            return "accept key-not-given"
        return "accept ?" + out.strip().replace("\n", " | ")[:200]
    for line in err.splitlines():
        if line.startswith("code: "):
            return "reject " + line[6:].strip()
    return f"error rc={p.returncode} " + err.strip().replace("\n", " | ")[:200]


def run_mine(case):
    if case.keyfile is not None:
        try:
            key = cr.read_key_file(case.keyfile, case.key_pw)
        except cr.Reject as r:
            return f"reject {r.code}", "key file: " + r.detail
    else:
        key = KEYS[case.key]
    r = cr.verify(case.data, key, case.pw)
    return r.line(), r.detail


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--out", help="keep disagreeing files here")
    ap.add_argument("--json", help="write a summary here")
    ap.add_argument("--coffer", default=os.environ.get("COFFER_BIN", os.path.join(ROOT, "target", "release", "coffer")))
    ap.add_argument("--jobs", type=int, default=max(2, os.cpu_count() or 2))
    ap.add_argument("--no-fixed", action="store_true", help="skip the targeted cases")
    ap.add_argument("--all", help="write every case's results here (JSON lines)")
    ap.add_argument("--known", help="JSON list of {kind_contains, issue}: disagreements already reported; "
                                    "they are listed but do not make the exit status 1")
    a = ap.parse_args(argv)
    t0 = time.time()
    rng = random.Random(a.seed)
    B = Bases()
    cases = [] if a.no_fixed else fixed_cases(B) + fixed_cases2(B)
    gens = [g for g, w in GENERATORS for _ in range(w)]
    cases = cases[:a.count]
    while len(cases) < a.count:
        g = rng.choice(gens)
        cases.append(g(rng, B))
    tgen = time.time() - t0
    tmp = tempfile.mkdtemp(prefix="coffer-diff-")
    pw_paths = {}

    def pw_path(pw):
        if pw is None:
            return None
        if pw not in pw_paths:
            p = os.path.join(tmp, f"pw{len(pw_paths)}.txt")
            with open(p, "wb") as f:
                f.write(pw + b"\n")
            pw_paths[pw] = p
        return pw_paths[pw]

    paths = []
    kpaths = {}
    for i, c in enumerate(cases):
        p = os.path.join(tmp, f"case{i:05d}.bin")
        with open(p, "wb") as f:
            f.write(c.data)
        paths.append(p)
        if c.keyfile is not None:
            kp = os.path.join(tmp, f"case{i:05d}.key.json")
            with open(kp, "wb") as f:
                f.write(c.keyfile)
            kpaths[i] = kp
    for c in cases:
        pw_path(c.pw)
        pw_path(c.key_pw)
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        futs = [ex.submit(run_reference, a.coffer, paths[i], c.key, pw_path(c.pw), kpaths.get(i), pw_path(c.key_pw))
                for i, c in enumerate(cases)]
        mine = [run_mine(c) for c in cases]
        refs = [f.result() for f in futs]
    by_kind = collections.defaultdict(lambda: {"files": 0, "agree": 0, "disagree": 0})
    classes = collections.OrderedDict()
    examples = []
    for i, c in enumerate(cases):
        fam = c.kind.split(":")[0]
        by_kind[fam]["files"] += 1
        m, detail = mine[i]
        r = refs[i]
        if m == r:
            by_kind[fam]["agree"] += 1
            continue
        by_kind[fam]["disagree"] += 1
        ckey = f"{c.kind} | reference: {r} | second reader: {m}"
        ex = {"case": i, "kind": c.kind, "reference": r, "second_reader": m, "second_reader_detail": detail,
              "desc": c.desc[:600], "key": c.key, "passphrase": c.pw.decode() if c.pw else None,
              "size": len(c.data), "sha256": hashlib.sha256(c.data).hexdigest()[:16]}
        if ckey not in classes:
            classes[ckey] = {"count": 0, "example": ex}
        classes[ckey]["count"] += 1
        if a.out:
            os.makedirs(a.out, exist_ok=True)
            base = os.path.join(a.out, f"case{i:05d}")
            if classes[ckey]["count"] == 1 and len(c.data) <= 64 * 1024:
                with open(base + ".bin", "wb") as f:
                    f.write(c.data)
                if c.keyfile is not None:
                    with open(base + ".key.json", "wb") as f:
                        f.write(c.keyfile)
                with open(base + ".json", "w") as f:
                    json.dump(ex, f, indent=2)
    dis = sum(v["disagree"] for v in by_kind.values())
    known = []
    if a.known:
        with open(a.known) as f:
            known = json.load(f)

    def is_known(ex):
        for k in known:
            if "kind_contains" in k and k["kind_contains"] not in ex["kind"]:
                continue
            if "detail_contains" in k and k["detail_contains"] not in (ex.get("second_reader_detail") or ""):
                continue
            if "reference" in k and k["reference"] != ex["reference"]:
                continue
            return True
        return False
    unknown = 0
    for ck, v in classes.items():
        kn = is_known(v["example"])
        if not kn:
            unknown += v["count"]
        examples.append(dict(v["example"], class_count=v["count"], known=kn))
    summary = {"seed": a.seed, "files": len(cases), "agree": len(cases) - dis, "disagree": dis,
               "disagree_not_known": unknown if a.known else dis,
               "by_kind": dict(sorted(by_kind.items())), "classes": len(classes), "examples": examples,
               "seconds": round(time.time() - t0, 1), "generation_seconds": round(tgen, 1)}
    summary["runs"] = previous_runs(a.json, summary)
    summary.update(reliability_section(summary))
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=2)
            f.write("\n")
    print(f"differential: {len(cases)} files, {len(cases) - dis} agree, {dis} disagree "
          f"({len(classes)} classes), {summary['seconds']} s")
    for ck, v in classes.items():
        tag = " (known)" if is_known(v["example"]) else ""
        print(f"  [{v['count']:4d}] {ck}{tag}")
        print(f"         e.g. case {v['example']['case']}: {v['example']['desc'][:300]}")
    if a.all:
        with open(a.all, "w") as f:
            for i, c in enumerate(cases):
                f.write(json.dumps({"case": i, "kind": c.kind, "reference": refs[i], "second_reader": mine[i][0],
                                    "detail": mine[i][1], "desc": c.desc[:300]}) + "\n")
    for p in paths + list(kpaths.values()):
        os.unlink(p)
    for p in pw_paths.values():
        os.unlink(p)
    os.rmdir(tmp)
    if a.known:
        return 1 if unknown else 0
    return 1 if dis else 0


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip() or "?"
    except OSError:
        return "?"


def previous_runs(path, sm):
    """The runs recorded in `path` before, plus this one (the last 12; one per
    seed, size and commit)."""
    runs = []
    if path and os.path.exists(path):
        try:
            with open(path) as f:
                runs = json.load(f).get("runs", [])
        except (OSError, ValueError):
            runs = []
    run = {"seed": sm["seed"], "files": sm["files"], "agree": sm["agree"], "disagree": sm["disagree"],
           "classes": sm["classes"], "commit": git_commit()}
    runs = [r for r in runs if (r["seed"], r["files"], r["commit"]) != (run["seed"], run["files"], run["commit"])]
    return (runs + [run])[-12:]


def reliability_section(sm):
    """Fields read by scripts/reliability.py (title, text, tables)."""
    fams = sm["by_kind"]
    rows = [[k, v["files"], v["agree"], v["disagree"]] for k, v in fams.items()]
    groups = collections.OrderedDict()
    for ex in sm["examples"]:
        g = ex["kind"].replace("fixed:", "").split(":")
        g = ":".join(g[:2]) if g[0] not in ("manifest-text", "value", "sealed", "records") else ":".join(g[:3])
        groups.setdefault(g, [0, ex["reference"], ex["second_reader"]])
        groups[g][0] += ex["class_count"]
    return {
        "title": "Second implementation (differential)",
        "text": [
            "An independent reader written in Python from FORMAT.md and the test vectors alone "
            "(`tests/second-reader/`, never looking at the Rust code) is run against the reference CLI "
            "(`coffer verify`) on files derived from the accepted vectors: bit flips in every region, "
            "truncations, inserted bytes, reordered/duplicated/removed entries, rewritten manifests, "
            "re-hashed records and values, sealed records, locked backups and ZIP64 forms "
            "(`scripts/second-reader.sh`). Every file where the two disagree on accept/reject, the "
            "error code or the authentication is a place where FORMAT.md is silent, ambiguous or "
            "where one of the readers is wrong; see `tests/second-reader/SPEC-QUESTIONS.md`.",
            "Seven disagreement classes found earlier (D1-D7: a repeated probed JSON member, "
            "lone-surrogate escapes, the bigint limit against bounds, full sparse arrays, a repeated "
            "locked stanza type, surplus ZIP64 values, which STREAM chunks the end-record search reads) "
            "are resolved in FORMAT.md; both readers follow it, each class has a whole-file vector "
            "(FORMAT.md §10.8), and no disagreement is tolerated (`known-disagreements.json` is empty).",
            f"Seed {sm['seed']}: {sm['files']} files, {sm['agree']} agree, {sm['disagree']} disagree "
            f"in {sm['classes']} classes.",
        ],
        "tables": [
            {"title": "Runs (latest last)", "columns": ["seed", "files", "agree", "disagree", "commit"],
             "rows": [[r["seed"], r["files"], r["agree"], r["disagree"], r["commit"]] for r in sm.get("runs", [])]},
            {"title": "Files by kind", "columns": ["kind", "files", "agree", "disagree"], "rows": rows},
            {"title": "Disagreements by group", "columns": ["group", "files", "reference", "second reader"],
             "rows": [[g, v[0], v[1], v[2]] for g, v in groups.items()]},
        ],
    }


if __name__ == "__main__":
    sys.exit(main())
