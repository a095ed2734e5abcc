"""Settings from the environment, validated once at start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


# gunicorn kills a worker silent for `timeout` (30 s, gunicorn.conf.py); the
# budget must leave room for reading the body and writing the answer.
MAX_TIME_LIMIT_MS = 25_000


class ConfigError(ValueError):
    """One or more environment variables are invalid; the message names each."""


@dataclass(frozen=True)
class Settings:
    port: int = 5000
    metrics_port: int = 9100
    bind_host: str = "0.0.0.0"
    workers: int = 4
    max_image_bytes: int = 20_971_520
    max_image_pixels: int = 40_000_000
    # Wall-clock budget for decoding and analysing one image. Below the api's
    # ANALYZER_TIMEOUT_MS (10 s), so the api hears a 503 rather than timing
    # out, and well below gunicorn's timeout (30 s), which kills the worker.
    time_limit_ms: int = 8_000
    # prometheus_client reads PROMETHEUS_MULTIPROC_DIR itself; it is kept here
    # so that startup can validate, create and clean it.
    multiproc_dir: str | None = None


def load_settings(environ: Mapping[str, str] = os.environ) -> Settings:
    errors: list[str] = []

    def integer(name: str, default: int, low: int, high: int) -> int:
        raw = environ.get(name, "").strip()
        if raw == "":
            return default
        try:
            value = int(raw, 10)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            errors.append(f"{name} must be an integer from {low} to {high}, got {raw!r}")
            return default
        return value

    defaults = Settings()
    port = integer("PORT", defaults.port, 1, 65535)
    metrics_port = integer("METRICS_PORT", defaults.metrics_port, 1, 65535)
    if port == metrics_port:
        errors.append(f"METRICS_PORT must differ from PORT, both are {port}")
    workers = integer("GUNICORN_WORKERS", defaults.workers, 1, 64)
    max_image_bytes = integer("MAX_IMAGE_BYTES", defaults.max_image_bytes, 1, 1 << 30)
    max_image_pixels = integer("MAX_IMAGE_PIXELS", defaults.max_image_pixels, 1, 1 << 30)
    time_limit_ms = integer("ANALYSIS_TIME_LIMIT_MS", defaults.time_limit_ms, 100, MAX_TIME_LIMIT_MS)

    bind_host = environ.get("BIND_HOST", "").strip() or defaults.bind_host
    multiproc_dir = environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip() or None
    if multiproc_dir is not None and not os.path.isabs(multiproc_dir):
        errors.append(f"PROMETHEUS_MULTIPROC_DIR must be an absolute path, got {multiproc_dir!r}")

    if errors:
        raise ConfigError("invalid environment: " + "; ".join(errors))
    return Settings(
        port=port,
        metrics_port=metrics_port,
        bind_host=bind_host,
        workers=workers,
        max_image_bytes=max_image_bytes,
        max_image_pixels=max_image_pixels,
        time_limit_ms=time_limit_ms,
        multiproc_dir=multiproc_dir,
    )
