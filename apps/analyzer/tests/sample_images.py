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
