"""Untrusted image bytes -> 8-bit grayscale numpy array, or a client error.

Rules: the body must be PNG, JPEG, WebP or GIF by its magic bytes, and match
the declared Content-Type; its pixel count must not exceed the limit nor a side
MAX_IMAGE_SIDE (checked from the header before any pixel is decoded, with
Pillow's own decompression bomb guard as a second line); anything Pillow cannot
decode is rejected.
Work per request is bounded before decoding: at most MAX_FRAMES frames, and a
JPEG may carry at most MAX_JPEG_SCANS scans and MAX_SCANS_PER_PIXEL scans per
budgeted pixel (each progressive scan is a pass over the whole image: a few
KiB of scans can keep libjpeg busy for minutes). Decoders are fed
DECODER_BLOCK_BYTES at a time, so the request's time budget (budget.py) is
never more than one short C call away.
Memory: a JPEG is decoded straight to 8-bit grayscale (libjpeg's own colour
conversion, draft mode); other formats are converted band by band, so the
peak is the decoded image plus its 8-bit copy, never several full-size
colour copies.
Animated GIF/WebP: the first frame is analysed. EXIF orientation is applied,
as browsers do when they display the image. Transparent pixels are composited
over white, the canvas they are shown on.
Error messages are ours: a decoder's own text never reaches the client.
"""

from __future__ import annotations

import io
import re
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

# Animated images: only the first frame is decoded, but counting frames walks
# the file; more than this is not an image NSIP analyses.
MAX_FRAMES = 1_000
# Progressive encoders write about 10 scans (libjpeg's default script) and
# rarely more than 20; each scan costs a pass over the coefficients.
MAX_JPEG_SCANS = 32
# scans x pixels may not exceed this many times the pixel limit: a 40 MP JPEG
# gets 16 scans, a 4 MP one all 32.
MAX_SCANS_PER_PIXEL = 16
# Bytes handed to a decoder per call (Pillow's default is 64 KiB, in which a
# scan bomb fits thousands of scans): the time budget can strike between calls.
DECODER_BLOCK_BYTES = 1024
# libwebp decodes into a full RGBA canvas that Pillow copies twice (to bytes,
# then into the image): 12 bytes per pixel against 4 for the costliest other
# format (RGBA PNG). WebP therefore gets this share of the pixel limit.
WEBP_PIXEL_DIVISOR = 3
# Rows converted to grayscale at once: about this many pixels per band.
_BAND_PIXELS = 1 << 20

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

    too_many_pixels = ClientError(413, "too_many_pixels", f"image has more than {max_pixels} pixels")
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse both.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[actual])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels from None
        # Pillow reports broken input with many exception types (OSError,
        # SyntaxError, ValueError, struct.error, ...); all mean "undecodable".
        except Exception:
            raise ClientError(422, "undecodable_image", "the image header cannot be read") from None
        with image:
            _check_budget(image, data, actual, max_pixels, too_many_pixels)
            if actual == "JPEG":
                # libjpeg converts YCbCr to its Y channel itself: 1 byte per pixel, not 3.
                image.draft("L", image.size)
            image.decodermaxblock = DECODER_BLOCK_BYTES
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
            except Exception:
                raise ClientError(422, "undecodable_image", "the image data cannot be decoded") from None


def _check_budget(image: Image.Image, data: bytes, fmt: str, max_pixels: int, too_many_pixels: ClientError) -> None:
    """Everything that bounds the decode, from headers only."""
    width, height = image.size
    if width * height > max_pixels:
        raise too_many_pixels
    if fmt == "WEBP" and width * height > max_pixels // WEBP_PIXEL_DIVISOR:
        raise ClientError(413, "too_many_pixels", f"a WebP image may have at most {max_pixels // WEBP_PIXEL_DIVISOR} pixels")
    if max(width, height) > MAX_IMAGE_SIDE:
        raise ClientError(
            413,
            "dimensions_too_large",
            f"image sides must be at most {MAX_IMAGE_SIDE} pixels, got {width}x{height}",
        )
    if width == 0 or height == 0:
        raise ClientError(422, "undecodable_image", "the image has no pixels")
    if fmt == "GIF":
        # Pillow's n_frames walks every frame of the file: seconds for a few MB of tiny frames.
        frames = count_gif_frames(data, stop_after=MAX_FRAMES)
    else:
        try:
            frames = getattr(image, "n_frames", 1)  # WebP: from libwebp's demuxer, in C
        except Exception:
            raise ClientError(422, "undecodable_image", "the image frames cannot be read") from None
    if frames > MAX_FRAMES:
        raise ClientError(413, "too_many_frames", f"image has more than {MAX_FRAMES} frames")
    if fmt == "JPEG":
        scans = count_jpeg_scans(data, stop_after=MAX_JPEG_SCANS)
        if scans > MAX_JPEG_SCANS or scans * width * height > MAX_SCANS_PER_PIXEL * max_pixels:
            allowed = min(MAX_JPEG_SCANS, MAX_SCANS_PER_PIXEL * max_pixels // (width * height))
            raise ClientError(413, "too_many_scans", f"a JPEG of this size may have at most {allowed} scans")


# The byte after 0xFF that makes a marker inside entropy-coded data: not a
# stuffed zero, not a restart marker (RST0-7), not a fill byte.
_MARKER_IN_SCAN = re.compile(rb"\xff[\x01-\xcf\xd8-\xfe]")
_STANDALONE_MARKERS = {0x01, *range(0xD0, 0xD8)}


def count_jpeg_scans(data: bytes, stop_after: int) -> int:
    """Number of SOS segments (scans) in a JPEG, counting at most stop_after + 1.

    Walks the marker segments by their lengths and skips entropy-coded data
    with a regex (C speed); stops at EOI, at the end of the data or at the
    first thing that is not a marker (the decoder then reports the damage).
    """
    scans, position, end = 0, 2, len(data)
    while position + 4 <= end and scans <= stop_after:
        if data[position] != 0xFF:
            break
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker in _STANDALONE_MARKERS:
            position += 2
            continue
        if marker == 0xD9:  # EOI
            break
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
        if marker == 0xDA:  # SOS: the scan's entropy-coded data follows its header
            scans += 1
            found = _MARKER_IN_SCAN.search(data, position)
            if found is None:
                break
            position = found.start()
    return scans


def count_gif_frames(data: bytes, stop_after: int) -> int:
    """Image descriptors (frames) in a GIF, counting at most stop_after + 1.

    Walks the blocks by their lengths: extensions and images are followed by
    data sub-blocks up to an empty one. Stops at the trailer, at the end of the
    data or at anything unknown (the decoder then reports the damage).
    """

    def colour_table(flags: int) -> int:
        return 3 << ((flags & 0x07) + 1) if flags & 0x80 else 0

    end = len(data)
    if end < 13:
        return 0
    position, frames = 13 + colour_table(data[10]), 0
    while position < end and frames <= stop_after:
        block = data[position]
        if block == 0x21:  # extension: introducer, label, sub-blocks
            position += 2
        elif block == 0x2C:  # image descriptor, local colour table, LZW code size, sub-blocks
            frames += 1
            if position + 10 > end:
                break
            position += 10 + colour_table(data[position + 9]) + 1
        else:  # 0x3B trailer, or damage
            break
        while position < end:
            size = data[position]
            position += 1 + size
            if size == 0:
                break
    return frames


def _to_grayscale(image: Image.Image) -> Image.Image:
    """8-bit grayscale, converted in bands of rows so that no full-size colour copy is made."""
    if image.mode == "L" and "transparency" not in image.info:
        return image
    width, height = image.size
    gray = Image.new("L", image.size)
    rows = max(1, _BAND_PIXELS // width)
    for top in range(0, height, rows):
        band = image.crop((0, top, width, min(height, top + rows)))
        gray.paste(_band_to_grayscale(band), (0, top))
    return gray


def _band_to_grayscale(image: Image.Image) -> Image.Image:
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
