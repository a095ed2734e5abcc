import json
import os
import subprocess
import sys
from pathlib import Path

import corpus
from analyzer.config import Settings

ANALYZER_DIR = Path(__file__).resolve().parent.parent


def test_bench_script_runs_and_reports_each_case():
    result = subprocess.run(
        [sys.executable, "bench.py", "--runs", "2", "--size", "128", "--target-ms", "10000"],
        cwd=ANALYZER_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "128x128" in result.stdout
    cases = [line for line in result.stdout.splitlines() if line.startswith("  ") and " median " in line]
    assert len(cases) == 3
    assert "-> met" in result.stdout


def test_bench_fails_when_the_target_is_missed():
    result = subprocess.run(
        [sys.executable, "bench.py", "--runs", "1", "--size", "128", "--target-ms", "0"],
        cwd=ANALYZER_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "MISSED" in result.stdout


def test_memory_bench_measures_every_worst_input_and_writes_the_figures(tmp_path):
    figures = tmp_path / "peaks.json"
    result = subprocess.run(
        [sys.executable, "bench.py", "--memory", "--write", str(figures)],
        cwd=ANALYZER_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MAX_IMAGE_PIXELS": "250000"},  # small: the real run takes a minute
    )
    assert result.returncode == 0, result.stderr
    written = json.loads(figures.read_text())
    assert written["maxImagePixels"] == 250_000
    assert set(written["workerPeakMiBByInput"]) == set(corpus.accepted_worst(250_000))
    assert written["workerPeakMiB"] == max(written["workerPeakMiBByInput"].values())
    assert 0 < written["workerIdleMiB"] < written["workerPeakMiB"]
    assert written["masterPeakMiB"] > 0
    assert "gunicorn master" in result.stdout


def test_committed_figures_are_for_the_default_pixel_limit():
    committed = json.loads((ANALYZER_DIR / "memory-peaks.json").read_text())
    assert committed["maxImagePixels"] == Settings().max_image_pixels
