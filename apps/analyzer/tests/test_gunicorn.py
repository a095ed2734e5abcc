"""The analyzer as it runs in the image: real gunicorn, 2 workers, multiprocess metrics."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from analyzer.negative_space import analyze
from sample_images import canvas, encode, jpeg_scan_bomb, with_square

ANALYZER_DIR = Path(__file__).resolve().parent.parent
IMAGE = with_square(canvas(160, 80), x=40, y=20, width=40, height=30)
PNG = encode(IMAGE, "PNG")
STARTUP_SECONDS = 30


def subdir(path: Path) -> Path:
    path.mkdir()
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Gunicorn:
    process: subprocess.Popen
    port: int
    metrics_port: int
    metrics_dir: Path
    stdout: Path
    stderr: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def post_image(self, data: bytes = PNG, content_type: str = "image/png") -> tuple[int, dict]:
        request = urllib.request.Request(self.url("/analyze"), data=data, headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def scrape(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=30) as response:
            return response.read().decode()

    def sample(self, name: str, **labels: str) -> float:
        for family in text_string_to_metric_families(self.scrape()):
            for sample in family.samples:
                if sample.name == name and sample.labels == labels:
                    return sample.value
        return 0.0

    def workers(self) -> set[int]:
        children = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    children.add(int(entry.name))
        return children

    def access_log(self) -> list[dict]:
        # A worker logs after its response is sent, so the last line may still be
        # half written (a write across a page boundary is visible in parts): read
        # complete lines only, as a log shipper does.
        text = self.stdout.read_text()
        complete = text[: text.rfind("\n") + 1]
        return [json.loads(line) for line in complete.splitlines() if line.strip()]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def launch(tmp_path: Path, metrics_dir: Path | None = None, **env: str) -> tuple[subprocess.Popen, dict[str, str]]:
    environment = {
        **os.environ,
        "PORT": str(free_port()),
        "METRICS_PORT": str(free_port()),
        "BIND_HOST": "127.0.0.1",
        "GUNICORN_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir or tmp_path / "metrics"),
        **env,
    }
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with open(stdout, "ab") as out, open(stderr, "ab") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"],
            cwd=ANALYZER_DIR,
            env=environment,
            stdout=out,
            stderr=err,
        )
    return process, environment


def start(tmp_path: Path, metrics_dir: Path | None = None, **extra_env: str) -> Gunicorn:
    process, env = launch(tmp_path, metrics_dir, **extra_env)
    server = Gunicorn(
        process,
        int(env["PORT"]),
        int(env["METRICS_PORT"]),
        Path(env["PROMETHEUS_MULTIPROC_DIR"]),
        tmp_path / "stdout.log",
        tmp_path / "stderr.log",
    )
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{server.stderr.read_text()}")
        try:
            urllib.request.urlopen(server.url("/health"), timeout=2).close()
            server.scrape()
            if len(server.workers()) == 2:
                return server
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    pytest.fail(f"gunicorn did not become healthy:\n{server.stderr.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = start(tmp_path_factory.mktemp("gunicorn"))
    yield running
    running.stop()


def test_analyzes_images(server):
    status, result = server.post_image()
    assert status == 200
    assert result == analyze(IMAGE).to_json()


def test_rejects_bad_input_with_json_errors(server):
    assert server.post_image(b"plain text") == (
        415,
        {"error": {"code": "not_an_image", "message": "body is not a PNG, JPEG, WebP or GIF image"}},
    )
    status, body = server.post_image(PNG[:-40])
    assert (status, body["error"]["code"]) == (422, "undecodable_image")


def test_refuses_an_oversized_content_length_before_reading_the_body(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.putrequest("POST", "/analyze")
    connection.putheader("Content-Type", "image/png")
    connection.putheader("Content-Length", str(10**9))
    connection.endheaders()  # no body follows
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["error"]["code"] == "payload_too_large"
    connection.close()


def test_probes(server):
    for path, expected in [("/health", {"status": "ok"}), ("/ready", {"status": "ready"})]:
        with urllib.request.urlopen(server.url(path), timeout=30) as response:
            assert response.status == 200
            assert json.loads(response.read()) == expected


def test_scrape_lists_exactly_the_exported_metric_families(server):
    server.post_image()  # the histogram has series once a request was timed
    scraped = {line.split()[2] for line in server.scrape().splitlines() if line.startswith("# TYPE ")}
    listed = {
        line.strip()
        for line in (ANALYZER_DIR / "exported-metrics.txt").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }
    assert scraped == listed


def test_metrics_aggregate_every_worker(server):
    ok_before = server.sample("nsip_analyzer_analyses_total", outcome="ok")
    image = encode(with_square(canvas(768, 768), 100, 100, 300, 200), "PNG")
    sent = 0
    for _ in range(10):
        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = list(pool.map(lambda _: server.post_image(image)[0], range(8)))
        assert statuses == [200] * 8
        sent += 8
        pids = {entry["pid"] for entry in server.access_log() if entry["path"] == "/analyze"}
        if len(pids) >= 2:
            break
    assert len(pids) >= 2, "both workers should have served requests"
    assert server.sample("nsip_analyzer_analyses_total", outcome="ok") == ok_before + sent
    assert server.sample(
        "nsip_analyzer_request_duration_seconds_count", endpoint="/analyze", method="POST", status="200"
    ) >= sent


def test_counts_survive_a_killed_worker(server):
    server.post_image()
    ok_before = server.sample("nsip_analyzer_analyses_total", outcome="ok")
    workers_before = server.workers()
    victim = min(workers_before)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        workers = server.workers()
        if victim not in workers and len(workers) == 2:
            break
        time.sleep(0.1)
    assert victim not in server.workers() and len(server.workers()) == 2, "gunicorn should replace the worker"
    assert server.sample("nsip_analyzer_analyses_total", outcome="ok") == ok_before
    assert server.post_image()[0] == 200
    assert server.sample("nsip_analyzer_analyses_total", outcome="ok") == ok_before + 1


def test_access_log_is_one_json_object_per_request(server):
    request = urllib.request.Request(server.url("/health"), headers={"X-Request-Id": "req-42"})
    urllib.request.urlopen(request, timeout=30).close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        entries = [entry for entry in server.access_log() if entry.get("request_id") == "req-42"]
        if entries:
            break
        time.sleep(0.05)
    assert entries and entries[0]["path"] == "/health" and entries[0]["status"] == 200
    assert {"time", "method", "duration_ms", "remote", "user_agent", "pid"} <= set(entries[0])


def test_container_healthcheck_command(server):
    command = [sys.executable, "-m", "analyzer.healthcheck"]
    healthy = subprocess.run(command, cwd=ANALYZER_DIR, env={**os.environ, "PORT": str(server.port)}, timeout=10)
    assert healthy.returncode == 0
    unused = subprocess.run(
        command, cwd=ANALYZER_DIR, env={**os.environ, "PORT": str(free_port())}, capture_output=True, timeout=10
    )
    assert unused.returncode == 1
    assert b"healthcheck" in unused.stderr


def test_sigterm_lets_in_flight_requests_finish_and_exits_cleanly(tmp_path):
    server = start(tmp_path)
    try:
        body = encode(IMAGE, "PNG")
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        head = (
            f"POST /analyze HTTP/1.1\r\nHost: analyzer\r\nContent-Type: image/png\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        connection.sendall(head + body[:100])
        time.sleep(0.5)  # a worker has accepted the connection and waits for the rest of the body
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)

        time.sleep(0.5)  # the signal reaches the workers while the request is in flight
        connection.sendall(body[100:])
        response = b""
        while chunk := connection.recv(65536):
            response += chunk
        connection.close()
        assert response.startswith(b"HTTP/1.1 200 ")
        assert json.loads(response.split(b"\r\n\r\n", 1)[1])["width"] == 160

        assert server.process.wait(timeout=30) == 0
        assert time.monotonic() - started < 25
    finally:
        server.stop()


def test_startup_clears_metric_files_left_by_a_previous_run(tmp_path):
    metrics_dir = tmp_path / "shared-metrics"
    first = start(subdir(tmp_path / "first"), metrics_dir)
    try:
        assert first.post_image()[0] == 200
        assert first.sample("nsip_analyzer_analyses_total", outcome="ok") == 1
    finally:
        first.stop()
    assert any(metrics_dir.glob("counter_*.db"))

    second = start(subdir(tmp_path / "second"), metrics_dir)
    try:
        assert second.sample("nsip_analyzer_analyses_total", outcome="ok") == 0
    finally:
        second.stop()


@pytest.mark.parametrize(
    "env, message",
    [
        ({"PORT": "abc"}, "PORT must be an integer from 1 to 65535, got 'abc'"),
        ({"GUNICORN_WORKERS": "0"}, "GUNICORN_WORKERS must be an integer from 1 to 64, got '0'"),
        ({"PROMETHEUS_MULTIPROC_DIR": ""}, "PROMETHEUS_MULTIPROC_DIR must be set"),
    ],
)
def test_invalid_environment_stops_startup_naming_the_variable(tmp_path, env, message):
    process, _ = launch(tmp_path, **env)
    assert process.wait(timeout=STARTUP_SECONDS) == 1
    assert message in (tmp_path / "stderr.log").read_text()


def test_a_request_over_the_time_budget_gets_503_and_the_worker_lives_on(tmp_path):
    server = start(tmp_path, ANALYSIS_TIME_LIMIT_MS="100")
    try:
        workers = server.workers()
        slow = jpeg_scan_bomb(2000, 2000, 16)  # within the scan limits; far more than 100 ms of decoding
        for _ in range(3):
            status, body = server.post_image(slow, "image/jpeg")
            assert (status, body["error"]["code"]) == (503, "analysis_timeout")
        assert server.post_image()[0] == 200
        assert server.workers() == workers, "no worker was killed or replaced"
        assert "WORKER TIMEOUT" not in server.stderr.read_text()
    finally:
        server.stop()
