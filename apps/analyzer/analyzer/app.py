"""HTTP API of the analyzer: POST /analyze, GET /health, GET /ready."""

from __future__ import annotations

import os
import re
import time

from flask import Flask, Response, g, jsonify, request
from PIL import Image
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from analyzer import metrics
from analyzer.budget import TimeBudgetExceeded, time_budget
from analyzer.config import Settings
from analyzer.errors import ClientError
from analyzer.imaging import SUPPORTED_TYPES, decode_grayscale
from analyzer.negative_space import analyze

GRID_DEFAULT = 8
GRID_MAX = 64
_GRID_VALUE = re.compile(r"[0-9]{1,3}")
_READ_CHUNK = 1 << 16
_KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def create_app(settings: Settings) -> Flask:
    Image.MAX_IMAGE_PIXELS = settings.max_image_pixels
    metrics.initialise_series()
    app = Flask(__name__)
    # Werkzeug >= 2.3 enforces this on every body read, chunked ones included;
    # read_body() enforces the same limit for older Werkzeug (Debian's 2.2).
    app.config["MAX_CONTENT_LENGTH"] = settings.max_image_bytes

    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def record_metrics(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        method = request.method if request.method in _KNOWN_METHODS else "OTHER"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        metrics.REQUEST_DURATION.labels(endpoint, method, str(response.status_code)).observe(elapsed)
        if endpoint == "/analyze" and method == "POST" and response.status_code < 500:
            outcome = "ok" if response.status_code < 400 else "rejected"
            metrics.ANALYSES.labels(outcome=outcome).inc()
        return response

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready")
    def ready() -> Response | dict[str, str]:
        directory = settings.multiproc_dir
        if directory and not (os.path.isdir(directory) and os.access(directory, os.W_OK)):
            return error_response(503, "not_ready", f"metrics directory {directory} is not writable")
        return {"status": "ready"}

    @app.post("/analyze")
    def analyze_image() -> Response | dict[str, object]:
        rows, cols = grid_param("rows"), grid_param("cols")
        content_type = request.mimetype
        if content_type not in SUPPORTED_TYPES:
            raise ClientError(
                415, "unsupported_media_type", f"Content-Type must be one of {', '.join(SUPPORTED_TYPES)}"
            )
        body = read_body(settings.max_image_bytes)
        if not body:
            raise ClientError(400, "empty_body", "request body is empty")
        try:
            with time_budget(settings.time_limit_ms / 1000):
                gray = decode_grayscale(body, content_type, settings.max_image_pixels)
                return analyze(gray, rows, cols).to_json()
        except TimeBudgetExceeded:
            # Not necessarily the image's fault (the node may be busy): 503, worth a retry elsewhere.
            response = error_response(
                503, "analysis_timeout", f"the analysis did not finish within {settings.time_limit_ms} ms"
            )
            response.headers["Retry-After"] = "1"
            return response

    @app.errorhandler(ClientError)
    def client_error(error: ClientError) -> Response:
        return error_response(error.status, error.code, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        if isinstance(error, RequestEntityTooLarge):
            return too_large(settings.max_image_bytes)
        code = (error.name or "error").lower().replace(" ", "_")
        # Werkzeug's descriptions are long HTML-minded prose; the status name says it plainly.
        response = error_response(status, code, (error.name or "error").lower())
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Response:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "internal error")

    return app


def grid_param(name: str) -> int:
    raw = request.args.get(name)
    if raw is None:
        return GRID_DEFAULT
    if not _GRID_VALUE.fullmatch(raw) or not 1 <= int(raw) <= GRID_MAX:
        raise ClientError(400, "invalid_grid", f"{name} must be an integer from 1 to {GRID_MAX}, got {raw!r}")
    return int(raw)


def read_body(limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes even when chunked."""
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = request.stream.read(min(_READ_CHUNK, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise RequestEntityTooLarge()
    return b"".join(chunks)


def too_large(limit: int) -> Response:
    return error_response(413, "payload_too_large", f"request body exceeds the limit of {limit} bytes")
