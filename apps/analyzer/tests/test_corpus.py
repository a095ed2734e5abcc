"""The generated corpus is what it claims: rejected inputs are refused, the worst accepted ones accepted."""

import pytest
from PIL import Image

import corpus
from analyzer.errors import ClientError
from analyzer.imaging import decode_grayscale

MAX_PIXELS = 40_000_000


@pytest.fixture(autouse=True)
def pillow_pixel_limit(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", MAX_PIXELS)


@pytest.mark.parametrize("name", sorted(corpus.rejected(MAX_PIXELS)))
def test_every_hostile_input_is_refused_with_a_4xx(name):
    extension, generate = corpus.rejected(MAX_PIXELS)[name]
    with pytest.raises(ClientError) as caught:
        decode_grayscale(generate(), corpus.CONTENT_TYPES[extension], MAX_PIXELS)
    assert 400 <= caught.value.status < 500


@pytest.mark.parametrize("name", sorted(corpus.accepted_worst(250_000)))
def test_the_worst_accepted_inputs_are_accepted(name):
    extension, generate = corpus.accepted_worst(250_000)[name]
    gray = decode_grayscale(generate(), corpus.CONTENT_TYPES[extension], 250_000)
    assert gray.size <= 250_000 and gray.size >= 250_000 // 3 - 1_000
