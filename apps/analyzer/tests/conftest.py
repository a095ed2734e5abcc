import os
import shutil
import tempfile

# prometheus_client chooses single- or multi-process mode when it is first
# imported, so this must run before anything imports the analyzer: in-process
# tests then write metrics the way gunicorn workers do.
METRICS_DIR = tempfile.mkdtemp(prefix="analyzer-test-metrics-")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = METRICS_DIR


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
