import io

import numpy as np
import pytest
from PIL import Image, ImageOps

from analyzer.errors import ClientError
from analyzer.imaging import MAX_IMAGE_SIDE, count_gif_frames, count_jpeg_scans, decode_grayscale, sniff_format
from analyzer.negative_space import analyze
from corpus import gif_screen
from sample_images import canvas, encode, jpeg_scan_bomb, png_claiming_size, with_square

LIMIT = 1_000_000


@pytest.fixture(autouse=True)
def pillow_pixel_limit(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", LIMIT)


def rejected(data: bytes, content_type: str, max_pixels: int = LIMIT) -> ClientError:
    with pytest.raises(ClientError) as caught:
        decode_grayscale(data, content_type, max_pixels)
    return caught.value


SQUARE = with_square(canvas(64, 48), x=16, y=8, width=24, height=20)


class TestFormats:
    def test_png_round_trips_exactly(self):
        assert np.array_equal(decode_grayscale(encode(SQUARE, "PNG"), "image/png", LIMIT), SQUARE)

    def test_gif_round_trips_exactly(self):
        assert np.array_equal(decode_grayscale(encode(SQUARE, "GIF"), "image/gif", LIMIT), SQUARE)

    def test_lossless_webp_round_trips_exactly(self):
        data = encode(SQUARE, "WEBP", lossless=True)
        assert np.array_equal(decode_grayscale(data, "image/webp", LIMIT), SQUARE)

    def test_jpeg_keeps_the_analysis_of_a_sharp_square(self):
        gray = decode_grayscale(encode(SQUARE, "JPEG", quality=95), "image/jpeg", LIMIT)
        assert gray.shape == (48, 64)
        result = analyze(gray)
        assert abs(result.background_ratio - analyze(SQUARE).background_ratio) < 0.02

    def test_rgb_uses_luma(self):
        rgb = np.zeros((2, 2, 3), dtype=np.uint8)
        rgb[..., 0] = 255  # pure red: L = 255 * 299 / 1000 = 76.2
        gray = decode_grayscale(encode(rgb, "PNG"), "image/png", LIMIT)
        assert gray.tolist() == [[76, 76], [76, 76]]

    def test_transparent_pixels_are_white_canvas(self):
        rgba = np.zeros((4, 4, 4), dtype=np.uint8)  # black, fully transparent
        rgba[0, 0] = (0, 0, 0, 255)  # one opaque black pixel
        gray = decode_grayscale(encode(Image.fromarray(rgba), "PNG"), "image/png", LIMIT)
        expected = np.full((4, 4), 255, dtype=np.uint8)
        expected[0, 0] = 0
        assert np.array_equal(gray, expected)

    def test_gif_transparency_is_white_canvas(self):
        image = Image.fromarray(SQUARE).convert("P")
        black_index = image.getpixel((20, 10))
        data = encode(image, "GIF", transparency=black_index)
        assert np.array_equal(decode_grayscale(data, "image/gif", LIMIT), canvas(64, 48))

    def test_sixteen_bit_png_is_scaled_not_clipped(self):
        values = np.array([[0, 257, 32896, 65535]], dtype=np.uint16)
        data = encode(Image.fromarray(values), "PNG")
        assert decode_grayscale(data, "image/png", LIMIT).tolist() == [[0, 1, 128, 255]]

    @pytest.mark.parametrize("orientation", range(1, 9))
    def test_exif_orientation_is_applied_as_pillow_displays_it(self, orientation):
        exif = Image.Exif()
        exif[0x0112] = orientation
        data = encode(Image.fromarray(SQUARE), "PNG", exif=exif.tobytes())
        upright = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("L"))
        gray = decode_grayscale(data, "image/png", LIMIT)
        assert gray.shape == ((64, 48) if orientation >= 5 else (48, 64))
        assert np.array_equal(gray, upright)

    def test_exif_orientation_of_a_jpeg(self):
        exif = Image.Exif()
        exif[0x0112] = 6  # rotate 90 degrees clockwise for display
        data = encode(Image.fromarray(SQUARE), "JPEG", exif=exif.tobytes())
        assert decode_grayscale(data, "image/jpeg", LIMIT).shape == (64, 48)

    def test_first_frame_of_an_animated_gif(self):
        frames = [Image.fromarray(SQUARE), Image.fromarray(canvas(64, 48, value=0))]
        data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
        assert np.array_equal(decode_grayscale(data, "image/gif", LIMIT), SQUARE)


class TestSniffing:
    @pytest.mark.parametrize(
        "fmt, name", [("PNG", "PNG"), ("JPEG", "JPEG"), ("GIF", "GIF"), ("WEBP", "WEBP")]
    )
    def test_recognises_supported_formats(self, fmt, name):
        assert sniff_format(encode(SQUARE, fmt)) == name

    def test_ignores_other_formats(self):
        assert sniff_format(encode(SQUARE, "BMP")) is None
        assert sniff_format(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None
        assert sniff_format(b"") is None


class TestRejections:
    def test_unsupported_content_type(self):
        error = rejected(encode(SQUARE, "PNG"), "image/bmp")
        assert (error.status, error.code) == (415, "unsupported_media_type")

    def test_text_is_not_an_image(self):
        error = rejected(b"hello, world", "image/png")
        assert (error.status, error.code) == (415, "not_an_image")

    def test_other_image_formats_are_not_accepted(self):
        error = rejected(encode(SQUARE, "BMP"), "image/png")
        assert (error.status, error.code) == (415, "not_an_image")

    def test_declared_type_must_match_the_bytes(self):
        error = rejected(encode(SQUARE, "PNG"), "image/jpeg")
        assert (error.status, error.code) == (415, "content_type_mismatch")

    def test_truncated_png(self):
        data = encode(np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8), "PNG")
        error = rejected(data[: len(data) // 2], "image/png")
        assert (error.status, error.code) == (422, "undecodable_image")

    def test_truncated_jpeg(self):
        data = encode(np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8), "JPEG")
        error = rejected(data[: len(data) // 2], "image/jpeg")
        assert (error.status, error.code) == (422, "undecodable_image")

    def test_corrupt_header_after_valid_magic(self):
        error = rejected(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
        assert (error.status, error.code) == (422, "undecodable_image")

    def test_corrupt_pixel_data(self):
        data = bytearray(encode(with_square(canvas(64, 64), 5, 5, 30, 30), "PNG"))
        idat = data.index(b"IDAT")
        data[idat + 8 : idat + 40] = b"\xff" * 32  # garble the deflate stream
        error = rejected(bytes(data), "image/png")
        assert (error.status, error.code) == (422, "undecodable_image")

    def test_more_pixels_than_the_limit(self):
        error = rejected(encode(canvas(101, 100), "PNG"), "image/png", max_pixels=10_000)
        assert (error.status, error.code) == (413, "too_many_pixels")

    def test_sides_longer_than_the_limit(self):
        error = rejected(png_claiming_size(MAX_IMAGE_SIDE + 1, 1), "image/png")
        assert (error.status, error.code) == (413, "dimensions_too_large")
        error = rejected(png_claiming_size(1, MAX_IMAGE_SIDE + 1), "image/png")
        assert (error.status, error.code) == (413, "dimensions_too_large")

    def test_longest_side_is_accepted(self):
        data = encode(canvas(MAX_IMAGE_SIDE, 2), "PNG")
        assert decode_grayscale(data, "image/png", LIMIT).shape == (2, MAX_IMAGE_SIDE)

    def test_exactly_the_limit_is_accepted(self):
        assert decode_grayscale(encode(canvas(100, 100), "PNG"), "image/png", 10_000).shape == (100, 100)

    @pytest.mark.parametrize("side", [1_001, 1_500])  # Pillow warns above 1e6 and raises above 2e6
    def test_pillow_bomb_guard_is_a_rejection_too(self, side):
        error = rejected(png_claiming_size(side, side), "image/png", max_pixels=10**9)
        assert (error.status, error.code) == (413, "too_many_pixels")

    def test_decompression_bomb_header_is_refused_before_decoding(self):
        data = png_claiming_size(100_000, 100_000)  # 10 gigapixels in a few hundred bytes
        assert len(data) < 1_000
        error = rejected(data, "image/png")
        assert (error.status, error.code) == (413, "too_many_pixels")


class TestWorkBounds:
    def test_counts_the_scans_of_a_jpeg(self):
        rgb = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
        assert count_jpeg_scans(encode(rgb, "JPEG"), stop_after=99) == 1
        assert count_jpeg_scans(encode(rgb, "JPEG", progressive=True), stop_after=99) == 10  # libjpeg's script
        assert count_jpeg_scans(jpeg_scan_bomb(64, 64, 500), stop_after=99) == 100  # stops counting early

    def test_scan_bomb_is_refused_before_decoding(self):
        bomb = jpeg_scan_bomb(1000, 1000, 3000)  # tens of seconds of libjpeg if decoded
        assert len(bomb) < 100_000
        error = rejected(bomb, "image/jpeg")
        assert (error.status, error.code) == (413, "too_many_scans")

    def test_allowed_scans_shrink_as_pixels_grow(self):
        progressive = encode(SQUARE, "JPEG", progressive=True)  # 6 scans (grayscale), 3072 pixels
        assert decode_grayscale(progressive, "image/jpeg", 3072).shape == (48, 64)
        # 16 scan-passes per budgeted pixel: 6 scans over 3072 pixels need a budget of 1152.
        assert decode_grayscale(progressive, "image/jpeg", 1152 * 3).shape == (48, 64)
        error = rejected(jpeg_scan_bomb(64, 48, 17), "image/jpeg", max_pixels=3072)
        assert (error.status, error.code) == (413, "too_many_scans")
        assert decode_grayscale(jpeg_scan_bomb(64, 48, 16), "image/jpeg", 3072).shape == (48, 64)

    def test_counts_the_frames_of_a_gif_without_walking_past_the_limit(self):
        frames = [Image.fromarray(canvas(8, 8, value)) for value in (0, 128, 255)]
        animated = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
        assert count_gif_frames(animated, stop_after=99) == Image.open(io.BytesIO(animated)).n_frames == 3
        assert count_gif_frames(encode(SQUARE, "GIF"), stop_after=99) == 1
        bomb = gif_screen(16, 16, frames=500_000)  # Pillow's n_frames takes seconds over this
        assert count_gif_frames(bomb, stop_after=1_000) == 1_001

    def test_too_many_frames(self, monkeypatch):
        monkeypatch.setattr("analyzer.imaging.MAX_FRAMES", 2)
        frames = [Image.fromarray(canvas(8, 8, value)) for value in (0, 128, 255)]
        data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
        error = rejected(data, "image/gif")
        assert (error.status, error.code) == (413, "too_many_frames")
        monkeypatch.setattr("analyzer.imaging.MAX_FRAMES", 3)
        assert decode_grayscale(data, "image/gif", LIMIT).shape == (8, 8)

    def test_jpeg_is_decoded_straight_to_grayscale(self, monkeypatch):
        modes = []
        original = Image.Image.load

        def spy(image):
            loaded = original(image)
            modes.append(image.mode)
            return loaded

        monkeypatch.setattr(Image.Image, "load", spy)
        rgb = np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8)
        data = encode(rgb, "JPEG")
        modes.clear()
        decode_grayscale(data, "image/jpeg", LIMIT)
        assert modes and set(modes) == {"L"}

    def test_colour_images_are_converted_in_bands(self, monkeypatch):
        monkeypatch.setattr("analyzer.imaging._BAND_PIXELS", 64 * 5)  # 5 rows per band
        rgba = np.zeros((48, 64, 4), dtype=np.uint8)
        rgba[..., 3] = 255
        rgba[10:30, 20:40, :3] = 200
        expected = np.asarray(Image.alpha_composite(Image.new("RGBA", (64, 48), "white"), Image.fromarray(rgba)).convert("L"))
        assert np.array_equal(decode_grayscale(encode(Image.fromarray(rgba), "PNG"), "image/png", LIMIT), expected)


class TestErrorMessagesAreOurs:
    @pytest.mark.parametrize(
        "data",
        [
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
            encode(SQUARE, "PNG")[:-30],
            b"\xff\xd8\xff\xe0" + b"\x00" * 40,
            b"GIF89a" + b"\xff" * 20,
            b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 20,
        ],
    )
    def test_decoder_text_never_reaches_the_message(self, data):
        error = rejected(data, {b"\x89P": "image/png", b"\xff\xd8": "image/jpeg", b"GI": "image/gif", b"RI": "image/webp"}[data[:2]])
        assert error.code == "undecodable_image"
        assert error.message in {"the image header cannot be read", "the image data cannot be decoded"}


def test_webp_gets_a_third_of_the_pixel_limit():
    data = encode(canvas(60, 50), "WEBP", lossless=True)
    assert decode_grayscale(data, "image/webp", 9_000).shape == (50, 60)
    error = rejected(data, "image/webp", max_pixels=8_999)
    assert (error.status, error.code) == (413, "too_many_pixels")
