"""gunicorn settings for the analyzer; everything comes from the environment.

Run: `gunicorn --config gunicorn.conf.py` from this directory (the image does).
Writable paths: PROMETHEUS_MULTIPROC_DIR (under /tmp) for the metric files and
/dev/shm for the workers' heartbeat files; nothing else is written.
"""

from __future__ import annotations

import glob
import os
import sys

from prometheus_client import multiprocess

from analyzer.config import ConfigError, load_settings
from analyzer.metrics import start_multiprocess_metrics_server

try:
    _settings = load_settings()
except ConfigError as error:
    sys.exit(f"analyzer: {error}")
if _settings.multiproc_dir is None:
    sys.exit("analyzer: PROMETHEUS_MULTIPROC_DIR must be set to an absolute path (e.g. /tmp/prometheus)")

wsgi_app = "analyzer.wsgi:app"
bind = [f"{_settings.bind_host}:{_settings.port}"]
workers = _settings.workers
# Analysis is CPU-bound numpy work: one request at a time per process.
worker_class = "sync"
# The heartbeat file of each worker is touched constantly: keep it in memory
# (an emptyDir with medium Memory in Kubernetes), off the read-only root.
worker_tmp_dir = "/dev/shm"
timeout = 30
# Below the pod's terminationGracePeriodSeconds (30 s), leaving room for preStop.
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
loglevel = "info"
logger_class = "analyzer.gunicorn_logging.JsonAccessLogger"
# gunicorn >= 25.1 otherwise creates a control socket under $HOME, which is
# read-only in the pod (older releases ignore this unknown name).
control_socket_disable = True

_metrics_server = None


def on_starting(server):
    """Start from an empty metrics directory: an emptyDir outlives container restarts."""
    directory = _settings.multiproc_dir
    try:
        os.makedirs(directory, exist_ok=True)
        for path in glob.glob(os.path.join(directory, "*.db")):
            os.remove(path)
    except OSError as error:
        sys.exit(f"analyzer: PROMETHEUS_MULTIPROC_DIR {directory} is not usable: {error}")


def when_ready(server):
    """Serve /metrics from the master, once, aggregating every worker's files."""
    global _metrics_server
    try:
        _metrics_server = start_multiprocess_metrics_server(_settings.bind_host, _settings.metrics_port)
    except OSError as error:
        sys.exit(f"analyzer: cannot serve metrics on {_settings.bind_host}:{_settings.metrics_port}: {error}")
    server.log.info("Serving metrics at http://%s:%d/metrics", _settings.bind_host, _settings.metrics_port)


def post_fork(server, worker):
    # Workers inherit the master's metrics listening socket; only the master serves it.
    if _metrics_server is not None:
        _metrics_server.socket.close()


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)
