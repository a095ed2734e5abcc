import io
import os
import time

import pytest
from prometheus_client import CollectorRegistry, multiprocess

from analyzer.app import create_app
from analyzer.config import Settings
from sample_images import canvas, encode, jpeg_scan_bomb, png_claiming_size, with_square

IMAGE = with_square(canvas(160, 80), x=40, y=20, width=40, height=30)
PNG = encode(IMAGE, "PNG")


def client_for(**overrides):
    settings = Settings(multiproc_dir=os.environ["PROMETHEUS_MULTIPROC_DIR"], **overrides)
    return create_app(settings).test_client()


@pytest.fixture
def client():
    return client_for()


def metric_value(name: str, **labels: str) -> float:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=os.environ["PROMETHEUS_MULTIPROC_DIR"])
    return registry.get_sample_value(name, labels) or 0.0


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


class TestAnalyze:
    def test_returns_the_analyzer_result(self, client):
        response = client.post("/analyze", data=PNG, content_type="image/png")
        assert response.status_code == 200
        result = response.get_json()
        assert result["width"] == 160 and result["height"] == 80
        assert result["threshold"] == 0
        assert result["backgroundRatio"] == (160 * 80 - 40 * 30) / (160 * 80)
        assert result["largestEmptyRectangle"] == {"x": 80, "y": 0, "width": 80, "height": 80, "areaRatio": 0.5}
        assert result["occupancyGrid"]["rows"] == 8 and result["occupancyGrid"]["cols"] == 8
        assert result["occupancyGrid"]["cells"][2][2] == 1.0

    def test_grid_size_from_query(self, client):
        response = client.post("/analyze?rows=2&cols=4", data=PNG, content_type="image/png")
        grid = response.get_json()["occupancyGrid"]
        assert (grid["rows"], grid["cols"]) == (2, 4)
        assert grid["cells"] == [[0.0, 0.5, 0.0, 0.0], [0.0, 0.25, 0.0, 0.0]]

    def test_content_type_parameters_are_ignored(self, client):
        response = client.post("/analyze", data=PNG, content_type="image/png; charset=binary")
        assert response.status_code == 200

    def test_every_supported_format(self, client):
        for fmt, content_type in [("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp")]:
            response = client.post("/analyze", data=encode(IMAGE, fmt), content_type=content_type)
            assert response.status_code == 200, fmt
            assert response.get_json()["width"] == 160

    def test_is_deterministic(self, client):
        first = client.post("/analyze", data=PNG, content_type="image/png").get_data()
        second = client.post("/analyze", data=PNG, content_type="image/png").get_data()
        assert first == second

    def test_counts_outcomes(self, client):
        ok_before = metric_value("nsip_analyzer_analyses_total", outcome="ok")
        rejected_before = metric_value("nsip_analyzer_analyses_total", outcome="rejected")
        client.post("/analyze", data=PNG, content_type="image/png")
        client.post("/analyze", data=b"not an image", content_type="image/png")
        assert metric_value("nsip_analyzer_analyses_total", outcome="ok") == ok_before + 1
        assert metric_value("nsip_analyzer_analyses_total", outcome="rejected") == rejected_before + 1

    def test_times_requests_by_route_method_and_status(self, client):
        labels = {"endpoint": "/analyze", "method": "POST", "status": "415"}
        before = metric_value("nsip_analyzer_request_duration_seconds_count", **labels)
        client.post("/analyze", data=b"x", content_type="text/plain")
        assert metric_value("nsip_analyzer_request_duration_seconds_count", **labels) == before + 1
        unmatched = {"endpoint": "unmatched", "method": "GET", "status": "404"}
        before = metric_value("nsip_analyzer_request_duration_seconds_count", **unmatched)
        client.get("/no/such/path/123")
        assert metric_value("nsip_analyzer_request_duration_seconds_count", **unmatched) == before + 1


class TestClientErrors:
    def test_missing_content_type(self, client):
        assert_error(client.post("/analyze", data=PNG), 415, "unsupported_media_type")

    def test_non_image_content_type(self, client):
        assert_error(client.post("/analyze", data=b"{}", content_type="application/json"), 415, "unsupported_media_type")

    def test_non_image_body(self, client):
        assert_error(client.post("/analyze", data=b"GIF? no.", content_type="image/gif"), 415, "not_an_image")

    def test_mismatched_body(self, client):
        assert_error(client.post("/analyze", data=PNG, content_type="image/webp"), 415, "content_type_mismatch")

    def test_empty_body(self, client):
        assert_error(client.post("/analyze", data=b"", content_type="image/png"), 400, "empty_body")

    @pytest.mark.parametrize("query", ["rows=0", "rows=65", "cols=abc", "cols=-1", "rows=", "rows=1.5", "cols=%C2%B2"])
    def test_invalid_grid(self, client, query):
        assert_error(client.post(f"/analyze?{query}", data=PNG, content_type="image/png"), 400, "invalid_grid")

    def test_oversized_body_with_content_length(self):
        client = client_for(max_image_bytes=len(PNG) - 1)
        assert_error(client.post("/analyze", data=PNG, content_type="image/png"), 413, "payload_too_large")

    def test_body_of_exactly_the_limit_is_accepted(self):
        client = client_for(max_image_bytes=len(PNG))
        assert client.post("/analyze", data=PNG, content_type="image/png").status_code == 200

    def test_oversized_chunked_body(self):
        client = client_for(max_image_bytes=len(PNG) - 1)
        response = client.post(
            "/analyze",
            input_stream=io.BytesIO(PNG),
            content_type="image/png",
            headers={"Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True},
        )
        assert_error(response, 413, "payload_too_large")

    def test_chunked_body_within_the_limit(self, client):
        response = client.post(
            "/analyze",
            input_stream=io.BytesIO(PNG),
            content_type="image/png",
            headers={"Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True},
        )
        assert response.status_code == 200

    def test_too_many_pixels(self):
        client = client_for(max_image_pixels=160 * 80 - 1)
        assert_error(client.post("/analyze", data=PNG, content_type="image/png"), 413, "too_many_pixels")

    def test_decompression_bomb(self, client):
        bomb = png_claiming_size(50_000, 50_000)
        assert_error(client.post("/analyze", data=bomb, content_type="image/png"), 413, "too_many_pixels")

    def test_truncated_image(self, client):
        assert_error(client.post("/analyze", data=PNG[:-30], content_type="image/png"), 422, "undecodable_image")

    def test_unknown_path(self, client):
        assert_error(client.get("/nope"), 404, "not_found")

    def test_wrong_method(self, client):
        response = client.get("/analyze")
        assert_error(response, 405, "method_not_allowed")
        assert "POST" in response.headers["Allow"]


class TestProbes:
    def test_health(self, client):
        response = client.get("/health")
        assert response.status_code == 200
        assert response.get_json() == {"status": "ok"}

    def test_ready(self, client):
        response = client.get("/ready")
        assert response.status_code == 200
        assert response.get_json() == {"status": "ready"}

    def test_not_ready_without_a_writable_metrics_directory(self, tmp_path):
        client = create_app(Settings(multiproc_dir=str(tmp_path / "missing"))).test_client()
        assert_error(client.get("/ready"), 503, "not_ready")
        assert client.get("/health").status_code == 200


def test_unexpected_errors_are_json_500s(client, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("analyzer.app.analyze", explode)
    assert_error(client.post("/analyze", data=PNG, content_type="image/png"), 500, "internal_error")


def test_analysis_over_the_time_budget_is_a_503_and_the_app_goes_on(monkeypatch):
    # Let a scan bomb through the scan limits so that only the time budget can stop it.
    monkeypatch.setattr("analyzer.imaging.MAX_JPEG_SCANS", 10**6)
    monkeypatch.setattr("analyzer.imaging.MAX_SCANS_PER_PIXEL", 10**6)
    client = client_for(time_limit_ms=200)
    bomb = jpeg_scan_bomb(2000, 2000, 3000)  # about a minute of decoding unbounded
    started = time.monotonic()
    response = client.post("/analyze", data=bomb, content_type="image/jpeg")
    assert time.monotonic() - started < 30
    assert_error(response, 503, "analysis_timeout")
    assert response.headers["Retry-After"] == "1"
    assert client.post("/analyze", data=PNG, content_type="image/png").status_code == 200


def test_messages_are_plain_text_of_ours(client):
    response = client.get("/nope")
    assert response.get_json()["error"] == {"code": "not_found", "message": "not found"}
    body = client.post("/analyze", data=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png").get_json()
    assert body["error"] == {"code": "undecodable_image", "message": "the image header cannot be read"}
