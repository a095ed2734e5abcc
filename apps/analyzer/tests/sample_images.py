"""Generated test images with known content."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

# The hostile inputs live with the corpus that the gunicorn and api suites send.
from corpus import jpeg_scan_bomb, png_claiming_size  # noqa: F401  (re-exported for the tests)

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
