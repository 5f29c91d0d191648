"""Bad input to cl.scratch that the declarations alone do not cover (tests/test_declared.py
generates the rest): the pixel convention of the from-scratch pass, the wrong model."""

from __future__ import annotations

import numpy as np
import pytest
from clear_errors import refused

import course_lib as cl


@pytest.fixture(scope="module")
def model():
    return cl.data.load_mnist_convnet()


@pytest.fixture(scope="module")
def digits():
    _, (x_test, y_test) = cl.data.load_mnist()
    return x_test[:8], y_test[:8]


def test_uint8_and_0_1_floats_give_the_same_answer(model, digits):
    x, y = digits
    as_uint8 = cl.scratch.forward(model, x)
    as_float = cl.scratch.forward(model, x / 255.0)
    np.testing.assert_allclose(as_uint8, as_float, atol=1e-6)
    assert (as_uint8.argmax(1) == y).mean() >= 0.75  # it reads the digits


def test_0_255_floats_and_nan_are_refused(model, digits):
    x, _ = digits
    assert "divide by 255" in refused(lambda: cl.scratch.forward(model, x * 1.0), "x")
    nan = x / 255.0
    nan[0, 0, 0] = np.nan
    refused(lambda: cl.scratch.forward(model, nan), "x")


def test_a_model_that_is_not_sequential_is_named(model):
    import keras

    inputs = keras.Input((28, 28, 1))
    functional = keras.Model(inputs, keras.layers.Conv2D(2, 3)(inputs))
    message = refused(
        lambda: cl.scratch.forward(functional, np.zeros((1, 28, 28))), "model"
    )
    assert "keras.Sequential" in message
    refused(lambda: cl.scratch.steps("convnet", np.zeros((1, 28, 28))), "model")


def test_shapes_that_must_agree(model):
    refused(lambda: cl.scratch.forward(model, np.zeros((2, 20, 20, 1))), "x")
    refused(
        lambda: cl.scratch.dense(np.ones((2, 3)), np.ones((4, 2)), np.zeros(2)), "x"
    )
    refused(
        lambda: cl.scratch.convolve(
            np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 2)), bias=np.ones(3)
        ),
        "bias",
    )
