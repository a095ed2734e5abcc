"""Time the analyzer on a generated image: `/usr/bin/python3 bench.py [--runs N] [--size PX]`.

Reports the median (and min/max) of N runs for the analysis alone (grayscale
array -> metrics) and for the full request path (encoded bytes -> decode ->
metrics) with a PNG and a JPEG. Exits 1 if a median misses --target-ms.

`bench.py --memory [--write memory-peaks.json]` measures memory instead: the
peak RSS of a worker answering the costliest accepted input of each kind at
MAX_IMAGE_PIXELS (corpus.accepted_worst), each in a fresh process that has
already served one small request (as a warm worker has), and the RSS of a
real gunicorn master. `--write` stores the figures that the profile test
(test/resource-budget.test.ts) holds the pod limits to.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import signal
import socket
import subprocess
import tempfile
import urllib.request
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

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


def proc_status_mib(pid: int | str, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def peak_of(path: Path) -> dict[str, object]:
    """In this (fresh) process: serve one small request, then `path`; RSS before and peak after."""
    from analyzer.app import create_app
    from analyzer.config import load_settings

    client = create_app(load_settings()).test_client()
    client.post("/analyze", data=encoded(layout_image(256), "PNG"), content_type="image/png")
    idle = proc_status_mib("self", "VmRSS")
    content_type = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}[path.suffix[1:]]
    started = time.perf_counter()
    response = client.post("/analyze", data=path.read_bytes(), content_type=content_type)
    return {
        "status": response.status_code,
        "idleMiB": round(idle, 1),
        "peakMiB": round(proc_status_mib("self", "VmHWM"), 1),
        "seconds": round(time.perf_counter() - started, 2),
    }


def gunicorn_master_mib() -> float:
    """VmHWM of a real gunicorn master (one worker) once it serves /health."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        metrics_port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as metrics_dir:
        env = {**os.environ, "PORT": str(port), "METRICS_PORT": str(metrics_port), "BIND_HOST": "127.0.0.1",
               "GUNICORN_WORKERS": "1", "PROMETHEUS_MULTIPROC_DIR": metrics_dir}
        master = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"],
                                  cwd=Path(__file__).parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or master.poll() is not None:
                        raise RuntimeError("gunicorn did not start") from None
                    time.sleep(0.2)
            return round(proc_status_mib(master.pid, "VmHWM"), 1)
        finally:
            master.send_signal(signal.SIGTERM)
            master.wait(timeout=30)


def memory(write: Path | None) -> int:
    import corpus
    from analyzer.config import load_settings

    max_pixels = load_settings().max_image_pixels
    print(f"analyzer memory: costliest accepted inputs at MAX_IMAGE_PIXELS={max_pixels}, one fresh warm worker each")
    print(f"python {platform.python_version()}, numpy {np.__version__}, Pillow {PIL.__version__}, {platform.machine()}")
    per_input: dict[str, float] = {}
    idle: list[float] = []
    with tempfile.TemporaryDirectory() as directory:
        for path in corpus.write(Path(directory), max_pixels, "accepted"):
            # The longest budget: a busy machine must not cut the measurement short.
            env = {**os.environ, "ANALYSIS_TIME_LIMIT_MS": "25000"}
            result = subprocess.run(
                [sys.executable, __file__, "--peak-of", str(path)], capture_output=True, text=True, timeout=300, env=env
            )
            if result.returncode != 0:
                print(result.stderr, file=sys.stderr)
                return 1
            figures = json.loads(result.stdout)
            if figures["status"] != 200:
                print(f"{path.name}: HTTP {figures['status']}, not a measurement of an accepted input", file=sys.stderr)
                return 1
            name = path.stem.removeprefix("accepted-")
            per_input[name] = figures["peakMiB"]
            idle.append(figures["idleMiB"])
            print(f"  {name:<16} {path.stat().st_size:>9} bytes  HTTP {figures['status']}  worker peak {figures['peakMiB']:6.1f} MiB  ({figures['seconds']} s)")
    master = gunicorn_master_mib()
    worker_peak = max(per_input.values())
    print(f"  gunicorn master  {master:.1f} MiB; idle worker {max(idle):.1f} MiB; worker peak {worker_peak:.1f} MiB")
    if write:
        write.write_text(json.dumps({
            "generatedBy": "apps/analyzer/bench.py --memory --write",
            "maxImagePixels": max_pixels,
            "pillow": PIL.__version__,
            "numpy": np.__version__,
            "masterPeakMiB": master,
            "workerIdleMiB": max(idle),
            "workerPeakMiB": worker_peak,
            "workerPeakMiBByInput": per_input,
        }, indent=2) + "\n")
        print(f"wrote {write}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--target-ms", type=float, default=200.0)
    parser.add_argument("--memory", action="store_true", help="measure peak RSS per worker instead of time")
    parser.add_argument("--write", type=Path, help="with --memory: store the figures as JSON here")
    parser.add_argument("--peak-of", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_of:
        print(json.dumps(peak_of(args.peak_of)))
        return 0
    if args.memory:
        return memory(args.write)

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
