"""Bad input to cl.inside (lecture 07) and its widgets that the declarations alone do
not cover (tests/test_declared.py generates the rest): issue 33's cases, each pinned."""

from __future__ import annotations

import hypothesis_profiles  # noqa: F401 - loads the Hypothesis profile
import keras
import numpy as np
import pytest
from clear_errors import refused, unclear_reason
from hypothesis import given, settings
from hypothesis import strategies as st

import course_lib as cl
from course_lib import inside


@pytest.fixture(scope="module")
def numpy_model():
    return cl.models.pretrained_numpy("mnist_convnet")


@pytest.fixture(scope="module")
def digits():
    (_, _), (x_test, y_test) = cl.data.load_mnist()
    return x_test[:8], y_test[:8]


# -- the pixel convention: uint8 and float 0-1 agree, 0-255 floats and NaN refused ----


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1), layer=st.sampled_from(["conv1", "conv2", "pool"])
)
def test_feature_maps_are_the_same_for_uint8_and_float_pixels(seed, layer):
    numpy_model = cl.models.pretrained_numpy("mnist_convnet")
    digit = np.random.default_rng(seed).integers(0, 256, (28, 28), dtype=np.uint8)
    as_uint8 = inside.feature_maps(numpy_model, digit, layer)
    as_float = inside.feature_maps(numpy_model, digit / 255.0, layer)
    np.testing.assert_allclose(as_uint8, as_float, atol=1e-5)


def test_probabilities_are_the_same_for_uint8_and_float_pixels(numpy_model, digits):
    x, _ = digits
    np.testing.assert_allclose(
        inside.classify(numpy_model, x),
        inside.classify(numpy_model, x / 255.0),
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: inside.classify(m, x * 1.0),
        lambda m, x: inside.feature_maps(m, x[0] * 1.0, "conv1"),
    ],
)
def test_0_255_floats_are_refused_with_the_fix(numpy_model, digits, call):
    x, _ = digits
    with pytest.raises(ValueError) as info:
        call(numpy_model, x)
    assert "divide by 255" in str(info.value)
    assert unclear_reason(str(info.value)) is None


def test_nan_pixels_never_give_a_confident_answer(numpy_model, digits):
    x, _ = digits
    broken = x / 255.0
    broken[0, 3, 3] = np.nan
    assert "NaN" in refused(lambda: inside.classify(numpy_model, broken), "digits")
    assert "NaN" in refused(
        lambda: inside.feature_maps(numpy_model, broken[0], "conv1"), "image"
    )


def test_one_digit_with_a_batch_axis_is_not_taken_for_28_images(numpy_model, digits):
    x, _ = digits
    message = refused(lambda: inside.feature_maps(numpy_model, x[:2], "pool"), "image")
    assert "(2, 28, 28)" in message


# -- models: the wrong one is named, with what was expected -------------------------


def test_a_model_with_the_wrong_output_is_named():
    inputs = keras.Input((28, 28, 1))
    score = keras.layers.Dense(1)(keras.layers.Flatten()(inputs))
    critic = keras.Model(inputs, score, name="critic")
    message = refused(lambda: inside.classify(critic, np.zeros((28, 28))), "model")
    assert "a digit classifier (N, 28, 28, 1) -> (N, 10)" in message
    assert "'critic' (N, 28, 28, 1) -> (N, 1)" in message


def test_a_logits_model_is_refused_where_probabilities_are_read():
    inputs = keras.Input((28, 28, 1))
    logits = keras.layers.Dense(10)(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, logits, name="logits")
    assert "softmax" in refused(
        lambda: inside.classify(model, np.zeros((28, 28))), "model"
    )


# -- filter_grid and tile: what the declarations cannot say -------------------------


def test_an_input_channel_the_kernel_lacks_names_its_range():
    assert "from 0 to 1" in refused(
        lambda: inside.filter_grid(np.zeros((3, 3, 2, 4)), 2), "input_channel"
    )


def test_a_grid_too_small_for_its_images_is_refused():
    assert "need 2 rows" in refused(
        lambda: inside.tile(np.ones((3, 2, 2)), columns=2, rows=1), "rows"
    )


# -- widgets: an unknown dropdown value shows in the widget, never traitlets' words --


@pytest.mark.parametrize("widget", ["FilterViewer", "ActivationViewer"])
def test_an_unknown_layer_shows_in_the_banner(widget):
    viewer = getattr(cl.widgets, widget)()
    before = viewer.layer.value
    viewer.layer.value = "dense_9"
    message = viewer.error.message
    assert "layer must be one of" in message and "'dense_9'" in message
    assert unclear_reason(message, ("layer",)) is None
    assert viewer.layer.value == before and viewer.stale
    viewer.layer.value = viewer.layer.options[-1]  # a valid move clears the banner
    assert viewer.error.message == "" and not viewer.stale


def test_layer_names_are_matched_without_regard_to_case():
    viewer = cl.widgets.ActivationViewer()
    viewer.layer.value = " POOL "
    assert viewer.layer.value == "pool" and viewer.error.message == ""


@pytest.mark.parametrize("widget", ["ActivationViewer", "MnistDashboard"])
def test_labels_out_of_range_are_refused(widget, digits):
    x, y = digits
    labels = y.astype(np.int64)
    labels[0] = -1
    message = refused(
        lambda: getattr(cl.widgets, widget)(images=x, labels=labels), "labels"
    )
    assert "from 0 to 9" in message


def test_a_colour_image_is_not_taken_for_digits(digits):
    photos = np.zeros((2, 28, 28, 3), np.uint8)
    assert "(2, 28, 28, 3)" in refused(
        lambda: cl.widgets.ActivationViewer(images=photos), "images"
    )
