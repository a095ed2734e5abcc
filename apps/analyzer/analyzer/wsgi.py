"""WSGI entry point for gunicorn: `analyzer.wsgi:app`."""

from __future__ import annotations

import sys

from analyzer.app import create_app
from analyzer.config import ConfigError, load_settings

try:
    settings = load_settings()
except ConfigError as error:
    sys.exit(f"analyzer: {error}")

app = create_app(settings)
