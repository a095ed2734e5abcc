import itertools
import json
from fractions import Fraction

import numpy as np
import pytest

from analyzer import negative_space
from analyzer.negative_space import Rectangle, analyze, largest_empty_rectangle, otsu_threshold
from sample_images import BLACK, canvas, with_square


def brute_force_rectangle(background: np.ndarray) -> Rectangle:
    """Every rectangle, checked with a summed-area table; same tie rule."""
    height, width = background.shape
    blocked = np.zeros((height + 1, width + 1), dtype=np.int64)
    blocked[1:, 1:] = np.cumsum(np.cumsum(~background, axis=0), axis=1)
    best = None
    for y, x in itertools.product(range(height), range(width)):
        for bottom, right in itertools.product(range(y + 1, height + 1), range(x + 1, width + 1)):
            inside = blocked[bottom, right] - blocked[y, right] - blocked[bottom, x] + blocked[y, x]
            if inside == 0:
                h, w = bottom - y, right - x
                key = (-h * w, y, x, h)
                if best is None or key < best:
                    best = key
    if best is None:
        return Rectangle(0, 0, 0, 0)
    return Rectangle(x=best[2], y=best[1], width=-best[0] // best[3], height=best[3])


def definition_otsu(histogram: np.ndarray) -> int:
    """Otsu by its definition, with exact fractions: the smallest maximising t."""
    levels = range(256)
    best_t, best_variance = None, Fraction(-1)
    total = int(histogram.sum())
    for t in range(255):
        below = int(histogram[: t + 1].sum())
        above = total - below
        if below == 0 or above == 0:
            continue
        mean_below = Fraction(sum(i * int(histogram[i]) for i in levels if i <= t), below)
        mean_above = Fraction(sum(i * int(histogram[i]) for i in levels if i > t), above)
        variance = Fraction(below * above, total * total) * (mean_below - mean_above) ** 2
        if variance > best_variance:
            best_t, best_variance = t, variance
    return best_t


class TestKnownAnswers:
    def test_black_square_on_white_aligned_with_the_grid(self):
        # 160 x 80 with an 8 x 8 grid: cells are 20 x 10 pixels. The square
        # covers columns 40..79 and rows 20..49, i.e. grid cells [2..4] x [2..3].
        gray = with_square(canvas(160, 80), x=40, y=20, width=40, height=30)
        result = analyze(gray).to_json()

        assert result["width"] == 160
        assert result["height"] == 80
        assert result["threshold"] == 0
        assert result["backgroundRatio"] == (160 * 80 - 40 * 30) / (160 * 80)
        # Right of the square: x 80..159, full height = 80 * 80 = 6400 pixels.
        assert result["largestEmptyRectangle"] == {
            "x": 80, "y": 0, "width": 80, "height": 80, "areaRatio": 0.5,
        }
        expected = [[1.0 if 2 <= r <= 4 and 2 <= c <= 3 else 0.0 for c in range(8)] for r in range(8)]
        assert result["occupancyGrid"] == {"rows": 8, "cols": 8, "cells": expected}

    def test_partial_cells_hold_the_exact_foreground_share(self):
        # 200 x 100, square x 60..99, y 30..69. Row edges k*100//8: 0,12,25,37,50,62,75,87,100;
        # column edges every 25 pixels.
        gray = with_square(canvas(200, 100), x=60, y=30, width=40, height=40)
        result = analyze(gray).to_json()

        row_heights = [12, 13, 12, 13, 12, 13, 12, 13]
        rows_covered = [0, 0, 7, 13, 12, 8, 0, 0]  # rows 30..36, 37..49, 50..61, 62..69
        cols_covered = [0, 0, 15, 25, 0, 0, 0, 0]  # columns 60..74, 75..99
        expected = [
            [rows_covered[r] * cols_covered[c] / (row_heights[r] * 25) for c in range(8)] for r in range(8)
        ]
        assert result["occupancyGrid"]["cells"] == expected
        assert result["occupancyGrid"]["cells"][2][2] == 0.35
        assert result["backgroundRatio"] == 0.92
        assert result["largestEmptyRectangle"] == {
            "x": 100, "y": 0, "width": 100, "height": 100, "areaRatio": 0.5,
        }

    def test_threshold_separates_two_gray_levels_at_the_darker_one(self):
        gray = with_square(canvas(50, 40, value=200), x=0, y=0, width=10, height=40, value=50)
        result = analyze(gray)
        assert result.threshold == 50
        assert result.background_ratio == 0.8  # the 200-level pixels are brighter
        assert result.largest_empty_rectangle == Rectangle(x=10, y=0, width=40, height=40)

    def test_dark_subject_on_light_noise_with_three_levels(self):
        gray = canvas(64, 64, value=230)
        gray[::2, ::2] = 210  # light texture stays background
        gray = with_square(gray, x=8, y=8, width=16, height=16, value=20)
        result = analyze(gray)
        assert result.threshold == 20
        assert result.background_ratio == (64 * 64 - 16 * 16) / (64 * 64)

    def test_uniform_image_is_all_background(self):
        for value in (0, 128, 255):
            result = analyze(canvas(30, 20, value=value))
            assert result.threshold == value
            assert result.background_ratio == 1.0
            assert result.largest_empty_rectangle == Rectangle(0, 0, 30, 20)
            assert result.occupancy == [[0.0] * 8 for _ in range(8)]

    def test_grid_is_capped_at_one_cell_per_pixel(self):
        gray = with_square(canvas(3, 2), x=1, y=1, width=1, height=1)
        result = analyze(gray, grid_rows=8, grid_cols=8)
        assert (result.grid_rows, result.grid_cols) == (2, 3)
        assert result.occupancy == [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0]]

    def test_custom_grid_dimensions(self):
        gray = with_square(canvas(90, 60), x=0, y=0, width=30, height=60)
        result = analyze(gray, grid_rows=2, grid_cols=3)
        assert result.occupancy == [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]

    def test_single_pixel_image(self):
        result = analyze(canvas(1, 1, value=BLACK)).to_json()
        assert result["largestEmptyRectangle"] == {"x": 0, "y": 0, "width": 1, "height": 1, "areaRatio": 1.0}
        assert result["occupancyGrid"] == {"rows": 1, "cols": 1, "cells": [[0.0]]}

    def test_rejects_arrays_that_are_not_2d_uint8(self):
        with pytest.raises(ValueError):
            analyze(np.zeros((4, 4, 3), dtype=np.uint8))
        with pytest.raises(ValueError):
            analyze(np.zeros((4, 4), dtype=np.float64))
        with pytest.raises(ValueError):
            analyze(np.zeros((0, 4), dtype=np.uint8))


class TestOtsu:
    @pytest.mark.parametrize("seed", range(20))
    def test_matches_the_definition_on_random_histograms(self, seed):
        rng = np.random.default_rng(seed)
        histogram = np.zeros(256, dtype=np.int64)
        levels = rng.choice(256, size=rng.integers(2, 12), replace=False)
        histogram[levels] = rng.integers(1, 5000, size=levels.size)
        assert otsu_threshold(histogram) == definition_otsu(histogram)

    def test_plateau_of_equal_variance_resolves_to_its_smallest_threshold(self):
        histogram = np.zeros(256, dtype=np.int64)
        histogram[[0, 255]] = [10, 10]
        assert otsu_threshold(histogram) == 0


class TestLargestEmptyRectangle:
    @pytest.mark.parametrize("seed", range(80))
    def test_matches_brute_force_on_random_masks(self, seed):
        rng = np.random.default_rng(seed)
        height, width = rng.integers(1, 11, size=2)
        mask = rng.random((height, width)) < rng.uniform(0.3, 0.95)
        assert largest_empty_rectangle(mask) == brute_force_rectangle(mask)

    @pytest.mark.parametrize("band_pixels", [1, 7, 23, 64])
    @pytest.mark.parametrize("shape", [(9, 8), (8, 9)])
    def test_bands_carry_state_across_their_boundaries(self, monkeypatch, band_pixels, shape):
        monkeypatch.setattr(negative_space, "_BAND_PIXELS", band_pixels)
        rng = np.random.default_rng(band_pixels)
        for _ in range(10):
            mask = rng.random(shape) < 0.8
            assert largest_empty_rectangle(mask) == brute_force_rectangle(mask)

    @pytest.mark.parametrize("length", [40_000, 70_000])  # beyond int16 indices
    def test_long_thin_masks(self, length):
        row = np.ones((1, length), dtype=bool)
        row[0, 10_000] = False
        assert largest_empty_rectangle(row) == Rectangle(x=10_001, y=0, width=length - 10_001, height=1)
        assert largest_empty_rectangle(row.T.copy()) == Rectangle(x=0, y=10_001, width=1, height=length - 10_001)

    def test_no_background_gives_an_empty_rectangle(self):
        assert largest_empty_rectangle(np.zeros((5, 7), dtype=bool)) == Rectangle(0, 0, 0, 0)

    def test_ties_go_to_the_topmost_then_leftmost(self):
        mask = np.ones((5, 5), dtype=bool)
        mask[:, 2] = False  # two 2 x 5 halves
        assert largest_empty_rectangle(mask) == Rectangle(x=0, y=0, width=2, height=5)
        mask = np.ones((5, 5), dtype=bool)
        mask[2, :] = False  # two 5 x 2 halves
        assert largest_empty_rectangle(mask) == Rectangle(x=0, y=0, width=5, height=2)

    def test_area_decides_before_position(self):
        mask = np.ones((4, 6), dtype=bool)
        mask[0, 0] = False  # columns 1..5 at full height (20) beat rows 1..3 at full width (18)
        assert largest_empty_rectangle(mask) == Rectangle(x=1, y=0, width=5, height=4)

    def test_tie_rule_holds_for_tall_masks_too(self):
        # The same free region in a tall mask (scanned transposed) and a wide one:
        # a 4 x 2 bar and a 2 x 4 bar from the same corner, equal areas.
        tall = np.zeros((6, 4), dtype=bool)
        tall[0:2, 0:4] = True
        tall[0:4, 0:2] = True
        wide = np.zeros((4, 6), dtype=bool)
        wide[0:4, 0:2] = True
        wide[0:2, 0:4] = True
        assert largest_empty_rectangle(tall) == Rectangle(x=0, y=0, width=4, height=2)
        assert largest_empty_rectangle(wide) == Rectangle(x=0, y=0, width=4, height=2)

    def test_equal_area_shapes_sharing_a_corner_prefer_the_shorter(self):
        # Free region: a 6 x 2 bar on top of a 3 x 2 block at the left, so the
        # rectangles from (0, 0) of 6 x 2 and 3 x 4 both have area 12.
        mask = np.zeros((4, 6), dtype=bool)
        mask[0:2, 0:6] = True
        mask[2:4, 0:3] = True
        assert largest_empty_rectangle(mask) == Rectangle(x=0, y=0, width=6, height=2)


class TestDeterminism:
    def test_same_input_gives_byte_identical_json(self):
        rng = np.random.default_rng(7)
        gray = rng.integers(0, 256, size=(120, 170), dtype=np.uint8)
        first = json.dumps(analyze(gray, 5, 7).to_json())
        second = json.dumps(analyze(gray.copy(), 5, 7).to_json())
        assert first == second

    def test_band_size_does_not_change_the_result(self, monkeypatch):
        rng = np.random.default_rng(11)
        gray = np.where(rng.random((97, 131)) < 0.97, 240, 10).astype(np.uint8)
        whole = analyze(gray).to_json()
        monkeypatch.setattr(negative_space, "_BAND_PIXELS", 500)
        assert analyze(gray).to_json() == whole
