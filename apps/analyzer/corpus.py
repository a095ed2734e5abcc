"""Hostile and worst-case inputs for the analyzer, generated (nothing binary is committed).

`accepted_worst(max_pixels)`: per format, the input the analyzer accepts that costs the most
memory at the pixel limit (a square of isqrt(max_pixels) sides, the widest decoded mode):
what bench.py measures and the hostile suite sends at once to every worker.
`rejected(max_pixels)`: bombs of every accepted format, scan and frame bombs, truncated and
corrupt files; each must be refused with a 4xx before it costs anything.

`/usr/bin/python3 corpus.py OUT_DIR [--max-pixels N]` writes them as
`accepted-<name>.<ext>` and `rejected-<name>.<ext>` files (extension = format).
Not part of the image: only tests and benchmarks use it.
"""

from __future__ import annotations

import argparse
import io
import math
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

from PIL import Image

EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png(width: int, height: int, bit_depth: int, colour_type: int, fill: int = 0xFF, rows: int | None = None) -> bytes:
    """A PNG of one repeated byte value, compressed row by row (never whole in memory).

    `rows` < height leaves the image data short: a header that claims more than it holds.
    """
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    row = b"\x00" + bytes([fill]) * (width * channels * bit_depth // 8)
    compressor = zlib.compressobj(6)
    data = b"".join(compressor.compress(row) for _ in range(height if rows is None else rows)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb)."""
    return png(width, height, 8, 0, rows=1)  # one row only: the rest is "missing"


def gif_screen(width: int, height: int, frames: int = 1) -> bytes:
    """A GIF whose logical screen is width x height, drawn by `frames` frames of 1x1 pixel.

    Decoders allocate the whole screen: a few dozen bytes become width x height pixels.
    """
    out = bytearray(b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff")
    for _ in range(frames):
        out += b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0)  # image descriptor: 1x1 at 0,0
        out += b"\x02\x02\x44\x01\x00"  # LZW min code size 2, one sub-block: clear, 1, end
    return bytes(out + b"\x3b")


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg_segments(data: bytes) -> list[bytes]:
    """The marker segments of a JPEG after SOI, each SOS with its entropy-coded data."""
    segments, position = [], 2
    while position < len(data):
        marker = data[position + 1]
        if marker == 0xD9:
            segments.append(data[position : position + 2])
            break
        end = position + 2 + struct.unpack(">H", data[position + 2 : position + 4])[0]
        if marker == 0xDA:
            while not (data[end] == 0xFF and data[end + 1] != 0 and not 0xD0 <= data[end + 1] <= 0xD7):
                end += 1
        segments.append(data[position:end])
        position = end
    return segments


def jpeg_scan_bomb(width: int, height: int, scans: int) -> bytes:
    """A progressive grayscale JPEG of a blank page whose last scan is repeated until there are `scans`.

    Every repeat is a full pass of libjpeg over all blocks for a dozen bytes of
    input: 3000 scans of 2000x2000 keep a decoder busy for about a minute.
    libjpeg only warns about the bogus progression and goes on.
    """
    data = encode(Image.new("L", (width, height), 255), "JPEG", progressive=True, quality=90)
    segments = jpeg_segments(data)
    sos = [segment for segment in segments if segment[1] == 0xDA]
    return data[:2] + b"".join(segments[:-1]) + sos[-1] * max(0, scans - len(sos)) + b"\xff\xd9"


def jpeg_claiming_size(width: int, height: int) -> bytes:
    """A small baseline JPEG whose frame header (SOF0) claims width x height."""
    data = bytearray(encode(Image.new("L", (16, 16), 255), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_claiming_size(width: int, height: int) -> bytes:
    """A small extended WebP (VP8X) whose canvas claims width x height."""
    data = bytearray(encode(Image.new("RGBA", (16, 16), (255, 255, 255, 128)), "WEBP", lossless=True))
    if data[12:16] != b"VP8X":  # wrap the simple format in a VP8X header
        chunk = bytes(data[12:])
        vp8x = b"VP8X" + struct.pack("<I", 10) + bytes([0x10, 0, 0, 0]) + (15).to_bytes(3, "little") * 2
        data = bytearray(b"RIFF" + struct.pack("<I", 4 + len(vp8x) + len(chunk)) + b"WEBP" + vp8x + chunk)
    data[24:27] = (width - 1).to_bytes(3, "little")
    data[27:30] = (height - 1).to_bytes(3, "little")
    return bytes(data)


def accepted_worst(max_pixels: int) -> dict[str, tuple[str, Callable[[], bytes]]]:
    """name -> (extension, generator) of the costliest accepted input of each kind."""
    side = math.isqrt(max_pixels)
    webp_side = math.isqrt(max_pixels // 3)
    return {
        "png-rgba8": ("png", lambda: png(side, side, 8, 6, fill=0x80)),
        "png-rgba16": ("png", lambda: png(side, side, 16, 6, fill=0x80)),
        "png-gray16": ("png", lambda: png(side, side, 16, 0)),
        "gif-screen": ("gif", lambda: gif_screen(side, side)),
        # WebP gets a third of the pixel limit (imaging.WEBP_PIXEL_DIVISOR).
        "webp-rgba": ("webp", lambda: encode(Image.new("RGBA", (webp_side, webp_side), (255, 255, 255, 128)), "WEBP", lossless=True, method=0)),
        "jpeg-cmyk": ("jpg", lambda: encode(Image.new("CMYK", (side, side), (0, 0, 0, 0)), "JPEG", quality=90)),
        # 16 scans are all a JPEG of max_pixels may have (imaging.MAX_SCANS_PER_PIXEL).
        "jpeg-16-scans": ("jpg", lambda: jpeg_scan_bomb(side, side, 16)),
    }


def rejected(max_pixels: int) -> dict[str, tuple[str, Callable[[], bytes]]]:
    """name -> (extension, generator) of inputs that must be refused with a 4xx."""
    big = math.isqrt(max_pixels) * 3  # nine times the pixel limit, sides within 32767 and 16383 (WebP)
    small_png = png(64, 64, 8, 2, fill=0x40)
    return {
        "png-bomb": ("png", lambda: png_claiming_size(big, big)),
        "png-gigapixel-bomb": ("png", lambda: png_claiming_size(100_000, 100_000)),
        "gif-screen-bomb": ("gif", lambda: gif_screen(big, big)),
        "gif-frame-bomb": ("gif", lambda: gif_screen(16, 16, frames=1_001)),
        "jpeg-bomb": ("jpg", lambda: jpeg_claiming_size(big, big)),
        "jpeg-scan-bomb": ("jpg", lambda: jpeg_scan_bomb(2000, 2000, 3000)),
        "webp-bomb": ("webp", lambda: webp_claiming_size(min(big, 16383), min(big, 16383))),
        "png-truncated": ("png", lambda: small_png[: len(small_png) // 2]),
        "png-corrupt": ("png", lambda: small_png[:40] + b"\xff" * 32 + small_png[72:]),
        "jpeg-truncated": ("jpg", lambda: encode(Image.new("RGB", (64, 64), (9, 99, 199)), "JPEG")[:300]),
        "gif-truncated": ("gif", lambda: gif_screen(64, 64)[:20]),
        "webp-truncated": ("webp", lambda: encode(Image.new("RGB", (64, 64), (9, 99, 199)), "WEBP")[:40]),
        "png-magic-only": ("png", lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 200),
    }


def write(directory: Path, max_pixels: int, which: str = "all") -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    groups = {"accepted": accepted_worst, "rejected": rejected}
    written = []
    for group, cases in groups.items():
        if which not in ("all", group):
            continue
        for name, (extension, generate) in cases(max_pixels).items():
            path = directory / f"{group}-{name}.{extension}"
            path.write_bytes(generate())
            written.append(path)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--max-pixels", type=int, default=40_000_000)
    parser.add_argument("--only", choices=["all", "accepted", "rejected"], default="all")
    args = parser.parse_args()
    for path in write(args.out, args.max_pixels, args.only):
        print(f"{path.name} {path.stat().st_size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
