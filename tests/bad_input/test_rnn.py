"""Bad input to cl.rnn (lecture 17) and its widget that the declarations alone do not
cover (tests/test_declared.py generates the rest): issue 33's case (a model ending in
softmax sampled as if its probabilities were logits), the checks between arguments,
and the widget's controls set out of range."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from clear_errors import assert_clear, refused

import course_lib as cl
from course_lib import rnn


@pytest.fixture(scope="module")
def shipped():
    return cl.data.load_text_model()


def _char_model(symbols: int, squash: str | None):
    inputs = keras.Input((None, symbols))
    x = keras.layers.LSTM(4, return_sequences=True)(inputs)
    x = keras.layers.Dense(symbols, activation=squash)(x)
    return keras.Model(inputs, x, name=f"chars_{squash}")


# -- model_from_keras: logits only ---------------------------------------------------


@pytest.mark.parametrize("squash", ["softmax", "sigmoid"])
def test_a_model_ending_in_softmax_is_refused_with_the_fix(squash):
    """Issue 33: its probabilities were sampled as logits (a flatter, wrong distribution)."""
    message = refused(
        lambda: rnn.model_from_keras(_char_model(4, squash), "abcd"), "model"
    )
    assert "softmax/sigmoid: drop it" in message


def test_a_softmax_layer_at_the_end_is_refused_too():
    inputs = keras.Input((None, 4))
    x = keras.layers.Dense(4)(keras.layers.LSTM(4, return_sequences=True)(inputs))
    model = keras.Model(inputs, keras.layers.Softmax()(x))
    refused(lambda: rnn.model_from_keras(model, "abcd"), "model")


def test_a_logits_model_is_copied_and_samples_its_own_distribution():
    model = _char_model(4, None)
    text_model = rnn.model_from_keras(model, "abcd")
    x = np.eye(4, dtype=np.float32)[[[0, 1, 2]]]
    keras_logits = model.predict(x, verbose=0)[0, -1]
    numpy_logits, _ = text_model.read("abc")
    assert np.allclose(keras_logits, numpy_logits, atol=1e-5)
    p = rnn.sampling_probabilities(numpy_logits)
    expected = np.exp(keras_logits - keras_logits.max())
    assert np.allclose(p, expected / expected.sum(), atol=1e-5)


def test_a_model_without_one_output_per_symbol_is_refused():
    message = refused(
        lambda: rnn.model_from_keras(_char_model(4, None), "abc"), "model"
    )
    assert "one output per symbol (3)" in message


def test_a_model_with_the_wrong_shapes_is_refused_by_its_shape():
    image_model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten()])
    message = refused(lambda: rnn.model_from_keras(image_model, "abcd"), "model")
    assert "(N, 28, 28, 1)" in message


# -- checks between arguments ---------------------------------------------------------


def test_generate_refuses_top_k_above_the_symbols(shipped):
    symbols = len(shipped.vocab)
    message = refused(
        lambda: rnn.generate(shipped, "to be", 5, top_k=symbols + 1), "top_k"
    )
    assert f"from 0 to {symbols}" in message
    assert len(rnn.generate(shipped, "to be", 5, top_k=symbols)) == 5


@pytest.mark.parametrize("seed_text", ["§", "to be §", "x" * 20_000, ""])
def test_generate_refuses_a_seed_text_it_cannot_read(shipped, seed_text):
    refused(lambda: rnn.generate(shipped, seed_text, 5), "seed_text", "text")


def test_generate_refuses_nan_temperature_never_writes_from_it(shipped):
    for temperature in (math.nan, math.inf, 0.0, -1.0):
        refused(
            lambda t=temperature: rnn.generate(shipped, "to be", 5, t), "temperature"
        )


def test_the_stream_checks_its_arguments_when_called_not_when_read(shipped):
    with pytest.raises(ValueError, match="length"):
        rnn.generate_stream(shipped, "to be", length=-1)  # no next() needed


def test_vocabulary_refuses_repeated_symbols_and_long_symbols():
    assert "'a'" in refused(lambda: rnn.Vocabulary(["a", "b", "a"]), "text_or_symbols")
    refused(lambda: rnn.Vocabulary(["ab", "c"]), "text_or_symbols")
    refused(lambda: rnn.Vocabulary([]), "text_or_symbols")
    vocab = rnn.Vocabulary("abc")
    assert "'z'" in refused(lambda: vocab.encode("abz"), "text")
    assert "0 to 2" in refused(lambda: vocab.decode([0, 3]), "ids")
    refused(lambda: vocab.decode([0.5]), "ids")


def test_ids_must_fit_the_symbols():
    refused(lambda: rnn.one_hot_ids([0, 4], 4), "ids")
    refused(lambda: rnn.unigram_entropy([0, 4], 4), "ids")
    refused(lambda: rnn.unigram_entropy([]), "ids")
    refused(lambda: rnn.make_sequences([0, 1, 2], 3), "length")
    refused(lambda: rnn.make_sequences([[0, 1], [2, 3]], 1), "ids")


def test_one_hot_needs_three_symbols():
    assert "3 distinct" in refused(lambda: rnn.one_hot("abab"), "text")


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: rnn.rnn_forward(np.ones((4, 5)), np.ones((3, 2)), np.eye(2), np.zeros(2)), "x"),
        (lambda: rnn.rnn_forward(np.ones((4, 3)), np.ones((3, 2)), np.eye(3), np.zeros(2)), "recurrent_kernel"),
        (lambda: rnn.rnn_forward(np.ones((4, 3)), np.ones((3, 2)), np.eye(2), np.zeros(3)), "bias"),
        (lambda: rnn.rnn_forward(np.ones((4, 3)), np.ones((3, 2)), np.eye(2), np.zeros(2), np.zeros(3)), "h0"),
        (lambda: rnn.lstm_step(np.ones(3), np.zeros(2), np.zeros(3), np.ones((3, 8)), np.ones((2, 8)), np.zeros(8)), "c"),
        (lambda: rnn.lstm_forward(np.ones((2, 4, 3)), np.ones((3, 8)), np.ones((2, 8)), np.zeros(8), np.zeros((3, 2))), "h0"),
    ],
)  # fmt: skip
def test_cell_weights_and_states_must_fit_together(call, name):
    refused(call, name)


def test_save_refuses_a_folder_and_a_history_that_is_not_numbers(shipped, tmp_path):
    refused(lambda: rnn.save_text_model(shipped, tmp_path), "path")
    bad = {"loss": "x"}
    refused(lambda: rnn.save_text_model(shipped, tmp_path / "m.npz", bad), "history")
    refused(lambda: rnn.save_text_model(shipped, tmp_path / "m.npz", [1.0]), "history")


# -- the widget: constructor arguments and controls -------------------------------------


@pytest.fixture(scope="module")
def generator():
    return cl.widgets.TextGenerator()


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0])
def test_a_temperature_out_of_range_shows_in_the_widget(generator, value):
    generator.temperature.value = value
    if generator.error.message:  # NaN gets through the slider: the banner says why
        assert "temperature" in generator.error.message
        assert_clear(ValueError(generator.error.message), "temperature")
        assert generator.stale
    else:  # the slider clamped it into range
        assert 0.1 <= generator.temperature.value <= 2.5
        assert np.isfinite(generator.probabilities).all()
    generator.temperature.value = 0.6
    assert generator.error.message == ""


def test_an_unknown_seed_text_shows_in_the_widget(generator):
    generator.seed_text.value = "to be §"
    assert "§" in generator.error.message
    generator.seed_text.value = "to be"
    assert generator.error.message == ""


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"temperature": math.nan}, "temperature"),
        ({"top_k": 10_000}, "top_k"),
        ({"top_k": 1.5}, "top_k"),
        ({"length": 10}, "length"),
        ({"seed_text": ""}, "seed_text"),
        ({"text_model": rnn.Vocabulary("abc")}, "text_model"),
    ],
)
def test_bad_constructor_arguments_are_clear(kwargs, name):
    refused(lambda: cl.widgets.TextGenerator(**kwargs), name)
