"""Time the analyzer on a generated image: `/usr/bin/python3 bench.py [--runs N] [--size PX]`.

Reports the median (and min/max) of N runs for the analysis alone (grayscale
array -> metrics) and for the full request path (encoded bytes -> decode ->
metrics) with a PNG and a JPEG. Exits 1 if a median misses --target-ms.
"""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import PIL
from PIL import Image

from analyzer.imaging import decode_grayscale
from analyzer.negative_space import analyze


def layout_image(size: int) -> np.ndarray:
    """RGB: light paper with a soft gradient and noise, dark blocks and bars."""
    rng = np.random.default_rng(2048)
    paper = np.linspace(225, 250, size)[:, None, None]  # top-to-bottom gradient
    rgb = paper + rng.normal(0, 4, size=(size, size, 3))
    for _ in range(25):
        x, y = rng.integers(0, size - size // 8, size=2)
        w, h = rng.integers(size // 64, size // 6, size=2)
        rgb[y : y + h, x : x + w] = rng.integers(0, 120, size=3)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def encoded(rgb: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def measure(run: Callable[[], object], runs: int) -> list[float]:
    run()  # warm-up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--target-ms", type=float, default=200.0)
    args = parser.parse_args()

    rgb = layout_image(args.size)
    gray = np.asarray(Image.fromarray(rgb).convert("L"))
    png, jpeg = encoded(rgb, "PNG"), encoded(rgb, "JPEG")
    limit = args.size * args.size
    cases = [
        ("analysis only (grayscale array -> metrics)", lambda: analyze(gray)),
        (f"PNG {len(png) // 1024} KiB -> decode + analysis", lambda: analyze(decode_grayscale(png, "image/png", limit))),
        (f"JPEG {len(jpeg) // 1024} KiB -> decode + analysis", lambda: analyze(decode_grayscale(jpeg, "image/jpeg", limit))),
    ]

    print(f"analyzer benchmark: {args.size}x{args.size} RGB image, {args.runs} runs per case")
    print(f"python {platform.python_version()}, numpy {np.__version__}, Pillow {PIL.__version__}, {platform.machine()}")
    missed = False
    for label, run in cases:
        timings = measure(run, args.runs)
        median = statistics.median(timings)
        missed |= median > args.target_ms
        print(f"  {label:<44} median {median:7.1f} ms   min {min(timings):7.1f}   max {max(timings):7.1f}")
    print(f"target: median under {args.target_ms:.0f} ms -> {'MISSED' if missed else 'met'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
