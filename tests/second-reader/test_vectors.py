#!/usr/bin/env python3
"""Runs every entry of crates/coffer-engine/tests/vectors/vectors.json
(FORMAT.md §10.8) through the independent Python reader."""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import coffer_reader as cr  # noqa: E402

VEC_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "crates", "coffer-engine", "tests", "vectors"))


def load():
    with open(os.path.join(VEC_DIR, "vectors.json"), "rb") as f:
        return json.load(f)["vectors"]


def run_vector(v):
    key = None
    if v.get("key_file"):
        with open(os.path.join(VEC_DIR, v["key_file"]), "rb") as f:
            key = cr.read_key_file(f.read())
    pw = v["passphrase"].encode("utf-8") if v.get("passphrase") is not None else None
    with open(os.path.join(VEC_DIR, v["file"]), "rb") as f:
        data = f.read()
    return cr.verify(data, key, pw)


class Vectors(unittest.TestCase):
    def test_every_vector(self):
        vecs = load()
        self.assertGreater(len(vecs), 40)
        for v in vecs:
            with self.subTest(file=v["file"], key=v.get("key_file"), pw=v.get("passphrase")):
                r = run_vector(v)
                self.assertEqual(r.outcome, v["outcome"], r.detail)
                if v["outcome"] == "reject":
                    self.assertEqual(r.code, v["code"], r.detail)
                else:
                    self.assertEqual(r.authentication, v["authentication"])

    def test_key_files(self):
        with open(os.path.join(VEC_DIR, "keyfile-plain.json"), "rb") as f:
            k1 = cr.read_key_file(f.read())
        self.assertEqual(k1, bytes(range(32)))
        self.assertEqual(cr.key_id_of(k1).hex(), "e16732d6dbec146ab23c6adda904b5b3")
        with open(os.path.join(VEC_DIR, "keyfile-argon2id.json"), "rb") as f:
            raw = f.read()
        self.assertEqual(cr.read_key_file(raw, b"correct horse battery staple"), k1)
        with self.assertRaises(cr.Reject) as c:
            cr.read_key_file(raw, None)
        self.assertEqual(c.exception.code, "passphrase-required")
        with self.assertRaises(cr.Reject) as c:
            cr.read_key_file(raw, b"nope")
        self.assertEqual(c.exception.code, "wrong-passphrase")

    def test_plain_backup_and_locked(self):
        k = bytes(range(32))
        with open(os.path.join(VEC_DIR, "backup.zip"), "rb") as f:
            self.assertEqual(cr.verify(f.read(), k).line(), "accept verified")
        with open(os.path.join(VEC_DIR, "locked.zip"), "rb") as f:
            data = f.read()
        self.assertEqual(cr.verify(data, k).line(), "accept verified")
        self.assertEqual(cr.verify(data, None, b"correct horse battery staple").line(), "accept key-not-given")
        self.assertEqual(cr.verify(data).line(), "reject passphrase-required")

    def test_value_vectors(self):
        # FORMAT.md §10.2 values that MUST be accepted / rejected
        good = ["00", "01", "04000000000000f83f", "050000", "0501020001", "060a68656c6c6f", "0605610000d8",
                "1104612b046769", "1200020102", "13050208000401000200", "17020106027800",
                "160501030301027001", "1801026104000000000000f03f", "190104000000000000f03f06066f6e65",
                "17021800200100", "18010873656c662000", "17021b011c000000000000008000",
                "1f12547970654572726f720662616400"]
        for h in good:
            b = bytes.fromhex(h)
            cr.check_value(b, 0, len(b), cr.BlobState([]), "corrupt-record")
        bad = ["0680006100", "0603610000", "0500020100", "050100", "1601010001", "1605020101010100",
               "2000", "0100"]
        for h in bad:
            b = bytes.fromhex(h)
            with self.assertRaises(cr.Reject, msg=h):
                cr.check_value(b, 0, len(b), cr.BlobState([]), "corrupt-record")


if __name__ == "__main__":
    unittest.main()
