"""Generated test images with known content."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

WHITE = 255
BLACK = 0


def canvas(width: int, height: int, value: int = WHITE) -> np.ndarray:
    return np.full((height, width), value, dtype=np.uint8)


def with_square(gray: np.ndarray, x: int, y: int, width: int, height: int, value: int = BLACK) -> np.ndarray:
    out = gray.copy()
    out[y : y + height, x : x + width] = value
    return out


def encode(image: np.ndarray | Image.Image, fmt: str, **options: object) -> bytes:
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb)."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    row = b"\x00" + b"\xff" * width
    data = zlib.compress(row, 9)  # one row only: the rest is "missing"
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


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
    """A progressive JPEG of a blank page whose last scan is repeated until there are `scans`.

    Every repeat is a full pass of libjpeg over all blocks for a dozen bytes of
    input: 3000 scans of 2000x2000 keep a decoder busy for about a minute.
    libjpeg only warns about the bogus progression and goes on.
    """
    data = encode(canvas(width, height), "JPEG", progressive=True, quality=90)
    segments = jpeg_segments(data)
    sos = [segment for segment in segments if segment[1] == 0xDA]
    repeats = scans - len(sos)
    return data[:2] + b"".join(segments[:-1]) + sos[-1] * max(0, repeats) + b"\xff\xd9"
