import subprocess
import sys
from pathlib import Path

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
