"""Draw the Teams app icons, deterministically, with the standard library only.

    .venv/bin/python teams/make_icons.py        # rewrites teams/color.png and teams/outline.png

- ``color.png``: 192x192, the accent colour with a white "share" glyph in the middle.
- ``outline.png``: 32x32, the same glyph in white on a transparent background (Teams draws
  it on its own bars; only white and transparency are allowed).

The same input always gives the same bytes, so the committed PNGs can be checked against
this script (tests/advocacy_bot/test_teams_package.py does).
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from pathlib import Path

ACCENT = (0x25, 0x63, 0xEB)  # keep equal to ACCENT_COLOR in advocacy_bot/teams_package.py
HERE = Path(__file__).resolve().parent
SUPERSAMPLE = 4  # 4x4 samples per pixel: smooth edges without any imaging library

# The glyph in unit coordinates: three nodes joined by two strokes (the usual "share" sign).
_NODES = ((0.72, 0.22), (0.28, 0.50), (0.72, 0.78))
_NODE_RADIUS = 0.14
_STROKE_HALF_WIDTH = 0.045
_STROKES = ((_NODES[0], _NODES[1]), (_NODES[1], _NODES[2]))

Pixel = tuple[int, int, int, int]


def _segment_distance(x: float, y: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(x - (ax + t * dx), y - (ay + t * dy))


def _inside(x: float, y: float) -> bool:
    if any(math.hypot(x - nx, y - ny) <= _NODE_RADIUS for nx, ny in _NODES):
        return True
    return any(_segment_distance(x, y, a, b) <= _STROKE_HALF_WIDTH for a, b in _STROKES)


def glyph_coverage(size: int, box: tuple[float, float]) -> list[list[float]]:
    """How much of each pixel of a ``size``x``size`` image the glyph covers (0 to 1), the
    glyph's unit square being drawn from ``box[0]`` to ``box[1]`` pixels on both axes."""
    start, end = box
    scale = end - start
    n = SUPERSAMPLE
    rows = []
    for py in range(size):
        row = []
        for px in range(size):
            hits = 0
            for sy in range(n):
                for sx in range(n):
                    x = (px + (sx + 0.5) / n - start) / scale
                    y = (py + (sy + 0.5) / n - start) / scale
                    hits += _inside(x, y)
            row.append(hits / (n * n))
        rows.append(row)
    return rows


def color_pixels() -> list[list[Pixel]]:
    """192x192: the glyph (about 104 px wide, centred) in white over the accent colour."""
    coverage = glyph_coverage(192, (44.0, 148.0))

    def over_accent(a: float) -> Pixel:
        red, green, blue = (round(channel * (1 - a) + 255 * a) for channel in ACCENT)
        return (red, green, blue, 255)

    return [[over_accent(a) for a in row] for row in coverage]


def outline_pixels() -> list[list[Pixel]]:
    """32x32: white, the glyph's coverage as alpha, transparent elsewhere."""
    coverage = glyph_coverage(32, (1.0, 31.0))
    return [[(255, 255, 255, round(255 * a)) for a in row] for row in coverage]


def encode_png(pixels: list[list[Pixel]]) -> bytes:
    """An 8-bit RGBA PNG, no filtering, fixed compression: the same pixels, the same bytes."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(channel for pixel in row for channel in pixel) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main(directory: Path = HERE) -> None:
    """Write color.png and outline.png into ``directory``."""
    (directory / "color.png").write_bytes(encode_png(color_pixels()))
    (directory / "outline.png").write_bytes(encode_png(outline_pixels()))
    sys.stdout.write(f"wrote {directory / 'color.png'} and {directory / 'outline.png'}\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
