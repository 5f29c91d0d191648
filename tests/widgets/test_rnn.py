"""cl.widgets.TextGenerator (the generic contract test is in test_base.py)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import course_lib as cl
from course_lib import rnn


@pytest.fixture(scope="module")
def generator():
    return cl.widgets.TextGenerator()


def test_it_constructs_from_the_shipped_model_without_training(monkeypatch):
    def train(*args, **kwargs):
        raise AssertionError("the widget trains a network")

    monkeypatch.setattr(keras.Model, "fit", train)
    monkeypatch.setattr(keras.Model, "train_on_batch", train)
    widget = cl.widgets.TextGenerator()
    assert widget.error.message == "" and widget.figure_image.value
    assert len(widget.sample) == widget.length.value == 200
    assert widget.text_model.units == 192


def test_the_sample_is_the_library_generation(generator):
    generator.temperature.value = 0.6
    generator.top_k.value = 0
    generator.draw.value = 3
    expected = rnn.generate(
        generator.text_model, "to be, or not to be", 200, 0.6, 0, seed=3
    )
    assert generator.sample == expected
    assert "to be, or not to be" in generator.output.value


def test_temperature_reshapes_the_distribution(generator):
    generator.top_k.value = 0
    generator.temperature.value = 0.2
    cold = generator.probabilities.copy()
    generator.temperature.value = 2.5
    hot = generator.probabilities.copy()
    assert cold.max() > hot.max()
    assert np.isclose(cold.sum(), 1) and np.isclose(hot.sum(), 1)
    assert "Temperature <b>2.5</b>" in generator.caption.value


def test_cold_text_has_more_real_words_than_hot_text(generator):
    generator.top_k.value = 0
    generator.length.value = 400
    shares = []
    for temperature in (0.3, 2.0):
        generator.temperature.value = temperature
        shares.append(generator.real_words)
    assert shares[0] > 0.7 > shares[1]
    generator.length.value = 200


def test_top_k_keeps_k_characters(generator):
    generator.temperature.value = 1.0
    generator.top_k.value = 5
    assert np.count_nonzero(generator.probabilities) == 5
    assert "drawn from 5 symbols" in generator.caption.value
    generator.top_k.value = 0


def test_the_seed_text_is_lowercased_and_checked(generator):
    generator.seed_text.value = "ROMEO."
    assert generator.error.message == ""
    assert "romeo." in generator.output.value
    generator.seed_text.value = "42 ..."
    assert "at least one letter" in generator.error.message and generator.stale
    generator.seed_text.value = "hello @ world"
    assert "'@'" in generator.error.message
    generator.seed_text.value = "to be, or not to be"
    assert generator.error.message == "" and not generator.stale


def test_generate_streams_a_new_draw(generator):
    generator.draw.value = 10
    shown = []
    generator.output.observe(lambda change: shown.append(change["new"]), names="value")
    generator.generate_button.click()
    assert generator.draw.value == 11
    assert len(shown) > 10  # written piece by piece, not at once
    assert generator.sample == rnn.generate(
        generator.text_model,
        "to be, or not to be",
        generator.length.value,
        generator.temperature.value,
        generator.top_k.value,
        seed=11,
    )


def test_a_change_redraws_the_picture(generator):
    # the latency target (100 ms p95) lives in benchmarks/widget_latency.py
    for control, value in [(generator.temperature, 0.9), (generator.top_k, 10)]:
        before = generator.figure_image.value
        control.value = value
        assert generator.error.message == "", control.description
        assert generator.figure_image.value != before, control.description
    sample = generator.sample
    generator.draw.value = 2  # another draw: another text, the same distribution
    assert generator.sample != sample and generator.error.message == ""


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"temperature": 9}, "temperature must be a .*number from 0.1 to 2.5"),
        ({"top_k": -1}, "top_k must be an int"),
        ({"length": 5000}, "length must be an int"),
        ({"seed_text": 3}, "seed_text must be .*text"),
        ({"text_model": "model"}, "text_model must be"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cl.widgets.TextGenerator(**kwargs)
