#!/usr/bin/env python3
"""Draws Coffer's app icons (a chest on the accent colour) as PNG files in
public/icons/, with the standard library only. Run it again after changing
the design; the PNGs are checked in."""
import os
import struct
import zlib

ACCENT = (0x6B, 0x4F, 0x3A)
LIGHT = (0xFA, 0xF8, 0xF5)
LOCK = (0xE0, 0xB0, 0x60)


def png(size, pixel):
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter: none
        for x in range(size):
            rows.extend(pixel(x / size, y / size))

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    head = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")


def icon(maskable):
    # Content inside the safe zone (80 %) for maskable icons.
    inset = 0.2 if maskable else 0.12

    def pixel(u, v):
        if not maskable:
            # Rounded square background.
            r = 0.18
            cx = min(max(u, r), 1 - r)
            cy = min(max(v, r), 1 - r)
            if (u - cx) ** 2 + (v - cy) ** 2 > r * r:
                return (0, 0, 0, 0)
        a, b = inset, 1 - inset
        x = (u - a) / (b - a)
        y = (v - a) / (b - a)
        if 0.1 <= x <= 0.9 and 0.22 <= y <= 0.85:
            if 0.42 <= y <= 0.47:
                return ACCENT + (255,)  # the lid's seam
            if 0.43 <= x <= 0.57 and 0.47 <= y <= 0.62:
                return LOCK + (255,)  # the lock
            return LIGHT + (255,)
        return ACCENT + (255,)

    return pixel


def main():
    out = os.path.join(os.path.dirname(__file__), "..", "public", "icons")
    os.makedirs(out, exist_ok=True)
    for size in (48, 72, 96, 144, 180, 192, 256, 512):
        with open(os.path.join(out, f"icon-{size}.png"), "wb") as f:
            f.write(png(size, icon(False)))
    for size in (192, 512):
        with open(os.path.join(out, f"maskable-{size}.png"), "wb") as f:
            f.write(png(size, icon(True)))


if __name__ == "__main__":
    main()
