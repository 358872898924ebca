#!/usr/bin/env python3
"""Draws the app icons (public/icons/*.png, public/favicon.ico) with the standard library only.

The mark: a dark tile, two dashed price levels, and a green price path crossing them. Run it
again after changing the drawing; the outputs are committed so builds never need it.
"""
import math
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "public"
BG = (11, 18, 32)
LEVEL = (148, 163, 184)
PRICE = (34, 197, 94)


def png(width, height, pixels):
    raw = b"".join(b"\x00" + bytes(v for px in row for v in px) for row in pixels)
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def seg_dist(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def draw(size, inset, rounded):
    """inset: fraction of the tile kept clear around the mark (maskable icons need 10 %+)."""
    s = size
    radius = s * 0.22 if rounded else 0
    path = [(0.12, 0.78), (0.34, 0.56), (0.48, 0.66), (0.66, 0.34), (0.80, 0.44), (0.90, 0.20)]
    scale = 1 - 2 * inset
    pts = [((inset + x * scale) * s, (inset + y * scale) * s) for x, y in path]
    levels = [(inset + 0.40 * scale) * s, (inset + 0.62 * scale) * s]
    width = max(1.5, s * 0.055 * scale)
    rows = []
    for y in range(s):
        row = []
        for x in range(s):
            cx, cy = x + 0.5, y + 0.5
            # Rounded-corner tile (transparent outside) or full square.
            if rounded:
                qx = max(radius - cx, 0, cx - (s - radius))
                qy = max(radius - cy, 0, cy - (s - radius))
                if math.hypot(qx, qy) > radius:
                    row.append((0, 0, 0, 0))
                    continue
            color = BG
            for ly in levels:
                dash = int((cx / (s * 0.08))) % 2 == 0
                if dash and abs(cy - ly) < max(1.0, s * 0.018):
                    color = LEVEL
            d = min(seg_dist(cx, cy, *pts[i], *pts[i + 1]) for i in range(len(pts) - 1))
            if d < width / 2:
                color = PRICE
            elif d < width / 2 + 1:
                a = width / 2 + 1 - d
                color = tuple(int(c * (1 - a) + p * a) for c, p in zip(color, PRICE))
            row.append(color + (255,))
        rows.append(row)
    return png(s, s, rows)


def main():
    (OUT / "icons").mkdir(parents=True, exist_ok=True)
    for size in (180, 192, 512):
        (OUT / "icons" / f"icon-{size}.png").write_bytes(draw(size, 0.06, rounded=size != 180))
    (OUT / "icons" / "icon-maskable-512.png").write_bytes(draw(512, 0.16, rounded=False))
    fav = draw(32, 0.04, rounded=True)
    # An ICO holding one PNG image.
    ico = struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 32, 32, 0, 0, 1, 32, len(fav), 22) + fav
    (OUT / "favicon.ico").write_bytes(ico)


if __name__ == "__main__":
    main()
