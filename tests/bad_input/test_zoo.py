"""Bad input to cl.zoo that the declarations alone do not cover (tests/test_declared.py
generates the rest): sizes that must agree, builders that return something else."""

from __future__ import annotations

from clear_errors import refused

from course_lib import zoo


def test_inputs_too_small_for_a_network_say_the_smallest():
    assert "at least 32x32" in refused(lambda: zoo.lenet5((28, 28, 1)), "input_shape")
    assert "U-Net needs inputs of at least" in refused(
        lambda: zoo.unet((40, 40, 1), depth=2, base_filters=2), "input_shape"
    )


def test_the_slides_convnet_checks_what_two_sizes_allow():
    message = refused(lambda: zoo.slides_convnet(kernel_size=15), "kernel_size")
    assert "use 1 to 14" in message
    assert "50,000,000 allowed" in refused(
        lambda: zoo.slides_convnet(dense_units=65536), "dense_units"
    )


def test_a_builder_that_returns_no_model_is_named():
    assert "returned NoneType" in refused(
        lambda: zoo.count_parameters(lambda: None), "name_or_builder"
    )
    assert "a function of no arguments" in refused(
        lambda: zoo.count_parameters(len), "name_or_builder"
    )


def test_local_response_normalization_refuses_a_zero_bias():
    """bias 0 divides zeros by zero (NaN), a negative alpha can too."""
    refused(lambda: zoo.LocalResponseNormalization(bias=0.0), "bias")
    refused(lambda: zoo.LocalResponseNormalization(alpha=-1.0), "alpha")


def test_a_block_refuses_what_is_not_a_keras_tensor():
    import numpy as np

    refused(lambda: zoo.residual_block(np.zeros((1, 8, 8, 4)), 4), "x")
