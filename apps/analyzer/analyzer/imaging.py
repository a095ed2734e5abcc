"""Untrusted image bytes -> 8-bit grayscale numpy array, or a client error.

Rules: the body must be PNG, JPEG, WebP or GIF by its magic bytes, and match
the declared Content-Type; its pixel count must not exceed the limit nor a side
MAX_IMAGE_SIDE (checked from the header before any pixel is decoded, with
Pillow's own decompression bomb guard as a second line); anything Pillow cannot
decode is rejected.
Animated GIF/WebP: the first frame is analysed. EXIF orientation is applied,
as browsers do when they display the image. Transparent pixels are composited
over white, the canvas they are shown on.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image

from analyzer.errors import ClientError

# Content-Type -> Pillow format name.
SUPPORTED_TYPES = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/webp": "WEBP",
    "image/gif": "GIF",
}

# Longest accepted side. With MAX_IMAGE_PIXELS this bounds the work and memory
# per row of the rectangle search (and keeps its indices in 16 bits).
MAX_IMAGE_SIDE = 32_767

_SIXTEEN_BIT_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N"}

# EXIF Orientation value -> the transpose that displays the image upright.
_EXIF_ORIENTATION = 0x0112
_EXIF_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def sniff_format(data: bytes) -> str | None:
    """Pillow format name from the magic bytes, for the supported formats only."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def decode_grayscale(data: bytes, content_type: str, max_pixels: int) -> np.ndarray:
    declared = SUPPORTED_TYPES.get(content_type)
    if declared is None:
        raise ClientError(
            415, "unsupported_media_type", f"Content-Type must be one of {', '.join(SUPPORTED_TYPES)}"
        )
    actual = sniff_format(data)
    if actual is None:
        raise ClientError(415, "not_an_image", "body is not a PNG, JPEG, WebP or GIF image")
    if actual != declared:
        raise ClientError(
            415, "content_type_mismatch", f"Content-Type is {content_type} but the body is {actual}"
        )

    too_many_pixels = ClientError(
        413, "too_many_pixels", f"image has more than {max_pixels} pixels"
    )
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse both.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[actual])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels from None
        # Pillow reports broken input with many exception types (OSError,
        # SyntaxError, ValueError, struct.error, ...); all mean "undecodable".
        except Exception as error:
            raise ClientError(422, "undecodable_image", f"cannot read image header: {error}") from None
        with image:
            width, height = image.size
            if width * height > max_pixels:
                raise too_many_pixels
            if max(width, height) > MAX_IMAGE_SIDE:
                raise ClientError(
                    413,
                    "dimensions_too_large",
                    f"image sides must be at most {MAX_IMAGE_SIDE} pixels, got {width}x{height}",
                )
            if width == 0 or height == 0:
                raise ClientError(422, "undecodable_image", "image has no pixels")
            try:
                image.load()
                gray = _to_grayscale(image)
                # Orient the 8-bit result: cheaper than transposing the decoded colour image.
                transpose = _EXIF_TRANSPOSE.get(image.getexif().get(_EXIF_ORIENTATION, 1))
                if transpose is not None:
                    gray = gray.transpose(transpose)
                return np.asarray(gray, dtype=np.uint8)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise too_many_pixels from None
            except Exception as error:
                raise ClientError(422, "undecodable_image", f"cannot decode image: {error}") from None


def _to_grayscale(image: Image.Image) -> Image.Image:
    if image.mode in _SIXTEEN_BIT_MODES:
        # 16-bit grayscale PNG: Pillow's own conversion to "L" clips instead of
        # scaling in older releases, so scale 0..65535 -> 0..255 here.
        values = np.clip(np.asarray(image, dtype=np.int64), 0, 65535)
        return Image.fromarray(((values * 255 + 32767) // 65535).astype(np.uint8))
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(canvas, rgba)
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    return image if image.mode == "L" else image.convert("L")  # ITU-R 601-2 luma
