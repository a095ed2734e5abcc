"""Prometheus metrics (names are part of the platform contract).

Under gunicorn, PROMETHEUS_MULTIPROC_DIR is set before this module is imported,
so every worker writes its values to files there and the master serves their
aggregate on METRICS_PORT (see gunicorn.conf.py).
"""

from __future__ import annotations

import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app, multiprocess

REQUEST_DURATION = Histogram(
    "nsip_analyzer_request_duration_seconds",
    "Time spent handling HTTP requests.",
    ["endpoint", "method", "status"],
)
ANALYSES = Counter(
    "nsip_analyzer_analyses_total",
    "Images submitted to /analyze, by outcome: ok, or rejected as invalid client input.",
    ["outcome"],
)


def initialise_series() -> None:
    """Create both outcomes at zero so that dashboards see them before traffic."""
    for outcome in ("ok", "rejected"):
        ANALYSES.labels(outcome=outcome)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def start_multiprocess_metrics_server(host: str, port: int) -> WSGIServer:
    """Serve the aggregate of all workers' metric files from a daemon thread."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    server = make_server(host, port, make_wsgi_app(registry), _ThreadingWSGIServer, _QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics-server", daemon=True).start()
    return server
