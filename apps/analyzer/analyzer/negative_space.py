"""Negative-space metrics of an 8-bit grayscale image, computed with numpy.

Definitions (README.md documents them for the API's users):

* threshold: Otsu's threshold t, the smallest t in 0..254 that maximises the
  between-class variance of the two classes {gray <= t} and {gray > t}.
* background: the pixels strictly brighter than t (gray > t). Negative space in
  the images NSIP targets (layouts, documents, product shots, drawings) is the
  light canvas around darker subjects, so the brighter class is the empty space.
  An image with a single gray level has nothing to separate: its threshold is
  that level and every pixel counts as background.
* largest empty rectangle: the axis-aligned rectangle of maximum area whose
  pixels are all background, found exactly at full resolution. Ties go to the
  smallest y, then the smallest x, then the smallest height.
* occupancy grid: the image split into rows x cols cells with edges at
  floor(k * size / n); each cell holds its share of foreground (non-background)
  pixels, 0..1. The grid is capped at one cell per pixel in each direction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Rows are processed in bands of about this many pixels, which bounds the
# temporary arrays of the rectangle search for large images.
_BAND_PIXELS = 1 << 20


@dataclass(frozen=True)
class Rectangle:
    x: int
    y: int
    width: int
    height: int

    @property
    def area(self) -> int:
        return self.width * self.height


@dataclass(frozen=True)
class NegativeSpace:
    width: int
    height: int
    threshold: int
    background_ratio: float
    largest_empty_rectangle: Rectangle
    grid_rows: int
    grid_cols: int
    occupancy: list[list[float]]

    def to_json(self) -> dict[str, object]:
        rect = self.largest_empty_rectangle
        return {
            "width": self.width,
            "height": self.height,
            "threshold": self.threshold,
            "backgroundRatio": self.background_ratio,
            "largestEmptyRectangle": {
                "x": rect.x,
                "y": rect.y,
                "width": rect.width,
                "height": rect.height,
                "areaRatio": rect.area / (self.width * self.height),
            },
            "occupancyGrid": {
                "rows": self.grid_rows,
                "cols": self.grid_cols,
                "cells": self.occupancy,
            },
        }


def analyze(gray: np.ndarray, grid_rows: int = 8, grid_cols: int = 8) -> NegativeSpace:
    """Negative-space metrics of a 2-D uint8 array (height x width)."""
    if gray.ndim != 2 or gray.dtype != np.uint8 or gray.size == 0:
        raise ValueError("expected a non-empty 2-D uint8 array")
    if grid_rows < 1 or grid_cols < 1:
        raise ValueError("grid dimensions must be positive")
    height, width = gray.shape
    histogram = gray_histogram(gray)
    threshold = otsu_threshold(histogram)
    if np.count_nonzero(histogram) == 1:
        background = np.ones(gray.shape, dtype=bool)
    else:
        background = gray > threshold
    rows, cols, cells = occupancy_grid(background, grid_rows, grid_cols)
    return NegativeSpace(
        width=width,
        height=height,
        threshold=threshold,
        background_ratio=int(np.count_nonzero(background)) / gray.size,
        largest_empty_rectangle=largest_empty_rectangle(background),
        grid_rows=rows,
        grid_cols=cols,
        occupancy=cells,
    )


def gray_histogram(gray: np.ndarray) -> np.ndarray:
    """256-bin histogram; by bands, as bincount copies its input to 64-bit ints."""
    flat = gray.ravel()
    histogram = np.zeros(256, dtype=np.int64)
    for start in range(0, flat.size, _BAND_PIXELS):
        histogram += np.bincount(flat[start : start + _BAND_PIXELS], minlength=256)
    return histogram


def otsu_threshold(histogram: np.ndarray) -> int:
    """Otsu's threshold of a 256-bin histogram (see the module docstring)."""
    counts = histogram.astype(np.float64)
    if np.count_nonzero(counts) <= 1:
        return int(np.argmax(counts))
    levels = np.arange(256, dtype=np.float64)
    total = counts.sum()
    total_sum = (counts * levels).sum()
    below = np.cumsum(counts)[:-1]  # pixels with gray <= t, for t = 0..254
    below_sum = np.cumsum(counts * levels)[:-1]
    above = total - below
    separable = (below > 0) & (above > 0)
    # Between-class variance up to the constant factor 1 / total**2:
    # (mean difference * below * above)**2 / (below * above).
    spread = below_sum * total - total_sum * below
    variance = np.zeros_like(below)
    variance[separable] = spread[separable] ** 2 / (below[separable] * above[separable])
    return int(np.argmax(variance))


def largest_empty_rectangle(background: np.ndarray) -> Rectangle:
    """Exact maximum-area all-True axis-aligned rectangle of a 2-D bool mask.

    The classic row-by-row method: for each cell, `height` counts the
    consecutive background cells ending there in its column, and `left` /
    `right` bound the widest span of columns that this full height covers.
    Every maximum rectangle shows up as height * (right - left) at a cell of its
    bottom row below its blocked top edge. The horizontal runs are computed for
    a band of rows at once; only the downward recurrences step row by row, each
    step one numpy operation over a whole row. A tall mask is scanned
    transposed, so that there are never more than sqrt(pixels) steps.
    """
    height, width = background.shape
    if height > width:
        found = _scan_rows(np.ascontiguousarray(background.T), transposed=True)
        return Rectangle(x=found.y, y=found.x, width=found.height, height=found.width)
    return _scan_rows(background, transposed=False)


def _scan_rows(background: np.ndarray, transposed: bool) -> Rectangle:
    """The search of largest_empty_rectangle, with its tie rule applied as if
    the mask were transposed back when `transposed` is set."""
    height, width = background.shape
    # The smallest integer types that hold the heights/edges and the areas: less memory traffic.
    dtype = np.int16 if max(height, width) < 2**15 else np.int32
    area_dtype = np.int32 if height * width < 2**31 else np.int64
    band_rows = max(1, _BAND_PIXELS // width)
    starts_at = np.arange(1, width + 1, dtype=dtype)  # column + 1
    ends_at = np.arange(width, 0, -1, dtype=dtype)  # width - column
    run_height = np.zeros(width, dtype=dtype)  # state carried from the row above
    # Stacked per column: left edge, and width - right edge. Both only grow down
    # a vertical run of background cells, so one cumulative max serves both.
    run_edges = np.zeros((2, width), dtype=dtype)
    scratch = np.empty((2, width), dtype=dtype)
    best_key: tuple[int, int, int, int] | None = None  # (-area, y, x, height) as finally oriented
    best = Rectangle(0, 0, 0, 0)
    for top in range(0, height, band_rows):
        band = background[top : top + band_rows]
        open_cells = band.astype(dtype)
        blocked = ~band
        edges = np.empty((band.shape[0], 2, width), dtype=dtype)
        # Start of the horizontal background run through each cell, and width
        # minus its end; 0 on blocked cells so that they reset the column max.
        np.maximum.accumulate(blocked * starts_at, axis=1, out=edges[:, 0])
        np.maximum.accumulate((blocked * ends_at)[:, ::-1], axis=1, out=edges[:, 1, ::-1])
        edges *= open_cells[:, None, :]
        heights = np.empty_like(open_cells)
        for row in range(band.shape[0]):
            is_open = open_cells[row]
            np.multiply(run_height, is_open, out=heights[row])
            heights[row] += is_open
            np.multiply(run_edges, is_open, out=scratch)
            np.maximum(scratch, edges[row], out=edges[row])
            run_height, run_edges = heights[row], edges[row]

        areas = np.multiply(heights, width - edges[:, 0] - edges[:, 1], dtype=area_dtype)
        band_best = int(areas.max())
        if band_best == 0 or (best_key is not None and band_best < -best_key[0]):
            continue
        r, c = np.nonzero(areas == band_best)
        hs = heights[r, c].astype(np.int64)
        ys = top + r - hs + 1
        xs = edges[r, 0, c].astype(np.int64)
        ws = band_best // hs
        # Tie rule on the final orientation: smallest y, then x, then height.
        y, x, h = (xs, ys, ws) if transposed else (ys, xs, hs)
        pick = np.lexsort((h, x, y))[0]
        key = (-band_best, int(y[pick]), int(x[pick]), int(h[pick]))
        if best_key is None or key < best_key:
            best_key = key
            best = Rectangle(x=int(xs[pick]), y=int(ys[pick]), width=int(ws[pick]), height=int(hs[pick]))
    return best


def occupancy_grid(background: np.ndarray, rows: int, cols: int) -> tuple[int, int, list[list[float]]]:
    """Share of foreground pixels per cell; returns (rows, cols, cells)."""
    height, width = background.shape
    rows, cols = min(rows, height), min(cols, width)
    row_edges = np.arange(rows + 1, dtype=np.int64) * height // rows
    col_edges = np.arange(cols + 1, dtype=np.int64) * width // cols
    foreground = (~background).view(np.uint8)
    # Summing each band down its rows is far faster than reduceat along axis 0.
    band_counts = np.stack(
        [foreground[r0:r1].sum(axis=0, dtype=np.int64) for r0, r1 in zip(row_edges[:-1], row_edges[1:])]
    )
    cell_counts = np.add.reduceat(band_counts, col_edges[:-1], axis=1)
    cell_sizes = np.outer(np.diff(row_edges), np.diff(col_edges))
    return rows, cols, (cell_counts / cell_sizes).tolist()
