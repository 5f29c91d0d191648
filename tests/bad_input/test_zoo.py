"""Bad input to cl.zoo that the declarations alone do not cover (tests/test_declared.py
generates the rest): sizes that must agree, builders that return something else."""

from __future__ import annotations

import pytest
from clear_errors import assert_clear

from course_lib import zoo


def _error(call, *names):
    with pytest.raises(ValueError) as info:
        call()
    assert_clear(info.value, *names)
    return str(info.value)


def test_inputs_too_small_for_a_network_say_the_smallest():
    assert "at least 32x32" in _error(lambda: zoo.lenet5((28, 28, 1)), "input_shape")
    assert "U-Net needs inputs of at least" in _error(
        lambda: zoo.unet((40, 40, 1), depth=2, base_filters=2), "input_shape"
    )


def test_the_slides_convnet_checks_what_two_sizes_allow():
    message = _error(lambda: zoo.slides_convnet(kernel_size=15), "kernel_size")
    assert "use 1 to 14" in message
    assert "50,000,000 allowed" in _error(
        lambda: zoo.slides_convnet(dense_units=65536), "dense_units"
    )


def test_a_builder_that_returns_no_model_is_named():
    assert "returned NoneType" in _error(
        lambda: zoo.count_parameters(lambda: None), "name_or_builder"
    )
    assert "a function of no arguments" in _error(
        lambda: zoo.count_parameters(len), "name_or_builder"
    )


def test_local_response_normalization_refuses_a_zero_bias():
    """bias 0 divides zeros by zero (NaN), a negative alpha can too."""
    _error(lambda: zoo.LocalResponseNormalization(bias=0.0), "bias")
    _error(lambda: zoo.LocalResponseNormalization(alpha=-1.0), "alpha")


def test_a_block_refuses_what_is_not_a_keras_tensor():
    import numpy as np

    _error(lambda: zoo.residual_block(np.zeros((1, 8, 8, 4)), 4), "x")
