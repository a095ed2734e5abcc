import pytest

from analyzer.config import ConfigError, Settings, load_settings


def test_defaults_match_the_platform_contract():
    assert load_settings({}) == Settings(
        port=5000,
        metrics_port=9100,
        bind_host="0.0.0.0",
        workers=4,
        max_image_bytes=20_971_520,
        max_image_pixels=40_000_000,
        time_limit_ms=8_000,
        multiproc_dir=None,
    )


def test_reads_every_variable():
    settings = load_settings(
        {
            "PORT": "8000",
            "METRICS_PORT": "9200",
            "BIND_HOST": "127.0.0.1",
            "GUNICORN_WORKERS": "2",
            "MAX_IMAGE_BYTES": "1024",
            "MAX_IMAGE_PIXELS": "4096",
            "ANALYSIS_TIME_LIMIT_MS": "2500",
            "PROMETHEUS_MULTIPROC_DIR": "/tmp/prometheus",
        }
    )
    assert settings == Settings(8000, 9200, "127.0.0.1", 2, 1024, 4096, 2500, "/tmp/prometheus")


@pytest.mark.parametrize(
    "name, value",
    [
        ("PORT", "abc"),
        ("PORT", "0"),
        ("PORT", "70000"),
        ("METRICS_PORT", "-1"),
        ("GUNICORN_WORKERS", "0"),
        ("ANALYSIS_TIME_LIMIT_MS", "99"),
        ("ANALYSIS_TIME_LIMIT_MS", "25001"),
        ("GUNICORN_WORKERS", "four"),
        ("MAX_IMAGE_BYTES", "1.5"),
        ("MAX_IMAGE_PIXELS", "0"),
    ],
)
def test_invalid_values_are_named_in_the_error(name, value):
    with pytest.raises(ConfigError, match=rf"{name} must be an integer .* got '{value}'"):
        load_settings({name: value})


def test_ports_must_differ():
    with pytest.raises(ConfigError, match="METRICS_PORT must differ from PORT"):
        load_settings({"PORT": "9100"})


def test_multiproc_dir_must_be_absolute():
    with pytest.raises(ConfigError, match="PROMETHEUS_MULTIPROC_DIR must be an absolute path"):
        load_settings({"PROMETHEUS_MULTIPROC_DIR": "relative/dir"})


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as caught:
        load_settings({"PORT": "x", "GUNICORN_WORKERS": "y"})
    assert "PORT" in str(caught.value) and "GUNICORN_WORKERS" in str(caught.value)
