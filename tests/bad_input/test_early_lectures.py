"""Bad input to the modules of lectures 00-08 (cl.images, cl.neurons, cl.dense, cl.conv,
cl.stacks, cl.kernels, cl.core) that the declarations alone do not cover
(tests/test_declared.py generates the rest): arguments that must agree with each other,
and sizes that would fill the memory or run for minutes. Each answers at once, in a
clear sentence naming what was wrong."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest
from clear_errors import assert_clear

import course_lib as cl


def _error(call, *names, seconds: float = 15.0):
    start = time.perf_counter()
    with pytest.raises(ValueError) as info:
        call()
    assert time.perf_counter() - start < seconds, "refused, but only after the work"
    assert_clear(info.value, *names)
    return str(info.value)


# -- arguments that must agree -----------------------------------------------------------


def test_images_and_labels_must_be_as_many():
    _error(lambda: cl.images.digit_examples(np.zeros((3, 4, 4)), [0, 1], 1), "label")
    x = np.zeros((4, 3, 3), np.uint8)
    _error(
        lambda: cl.dense.train_dense_classifier(x, [0, 1, 0], x, [0, 1, 0, 1]),
        "x_train",
    )


def test_a_window_must_fit_its_image():
    _error(lambda: cl.images.zoom_window(np.zeros((4, 4)), 3, 0, 2), "window")
    _error(
        lambda: cl.conv.explain_pixel(np.zeros((5, 5)), np.ones((3, 3)), 1, 0, 9, 0),
        "pixel",
    )
    _error(lambda: cl.conv.pool_feature_map(np.zeros((4, 4)), 5, 1, "max"), "window")


def test_a_kernel_must_match_the_image_channels():
    _error(
        lambda: cl.conv.conv2d(np.zeros((5, 5, 3)), np.ones((3, 3, 1, 2))), "channel"
    )
    _error(
        lambda: cl.kernels.conv2d_numpy(np.zeros((1, 6, 6, 3)), np.zeros((3, 3, 1, 2))),
        "channels",
    )


def test_a_permutation_must_reorder_every_pixel_once():
    _error(
        lambda: cl.dense.permute_pixels(np.zeros((2, 3, 3)), np.arange(8)),
        "permutation",
    )
    _error(lambda: cl.dense.permute_pixels(np.zeros((2, 3, 3)), [0] * 9), "permutation")


def test_neuron_inputs_and_weights_must_match():
    _error(lambda: cl.neurons.neuron([1.0, 2.0, 3.0], [0.5, 1.0], 0.0), "weights")
    params = cl.neurons.tiny_network_parameters(0)
    _error(lambda: cl.neurons.backpropagate(params, np.ones((4, 2)), np.ones(3)), "x")
    _error(
        lambda: cl.neurons.backpropagate(
            {"W1": np.ones((3, 3))}, np.ones((4, 2)), np.ones(4)
        ),
        "params",
    )


def test_stack_layers_must_fit_their_input():
    _error(
        lambda: cl.stacks.trace_stack(
            "conv9, conv9, conv9, conv9", input_size=32, padding="valid"
        ),
        "layer",
    )
    _error(lambda: cl.stacks.parse_layers("conv3, dense5"), "layers")


def test_seeds_for_a_spread_must_differ():
    x = np.zeros((4, 3, 3), np.uint8)
    _error(
        lambda: cl.dense.accuracy_over_seeds(
            x, [0, 1, 0, 1], x, [0, 1, 0, 1], seeds=(0, 0)
        ),
        "seeds",
    )


# -- sizes that would fill the memory or run for minutes ---------------------------------


def test_huge_work_is_refused_before_it_starts():
    _error(
        lambda: cl.conv.conv2d(np.zeros((8, 8)), np.ones((3, 3)), padding=10**5),
        "allowed",
    )
    _error(
        lambda: cl.images.hog_features(np.zeros((2, 4000, 4000), np.uint8)),
        "hog_features",
    )
    _error(
        lambda: cl.dense.build_dense_network((10**4, 10**4, 3)),
        "count_dense_parameters",
    )
    _error(
        lambda: cl.kernels.example_inputs(batch=10**6, size=64, channels=64), "allowed"
    )
    _error(
        lambda: cl.kernels.conv2d_naive(
            *cl.kernels.example_inputs(batch=64, filters=64)
        ),
        "naive",
    )
    _error(
        lambda: cl.kernels.time_call(print, repeat=100, min_seconds=10), "min_seconds"
    )
    _error(lambda: cl.neurons.gradient_descent("bowl", 0.1, 1.0, 10**9), "steps")


def test_counting_a_huge_dense_network_allocates_nothing():
    """The numbers are counted, not made: 300 million parameters without allocating
    them (the weights would be 1.2 GB; NumPy reports its arrays to tracemalloc)."""
    tracemalloc.start()
    try:
        count = cl.dense.count_dense_parameters(
            (10**4, 10**4, 3), hidden=(1,), num_classes=2
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 300_000_000 + 1 + 2 * 2
    assert peak < 1_000_000, f"{peak:,} bytes allocated to count parameters"


def test_nan_never_becomes_an_answer():
    _error(lambda: cl.conv.conv2d(np.full((5, 5), np.nan), np.ones((3, 3))), "image")
    _error(lambda: cl.neurons.activate("relu", [np.nan]), "z")
    _error(lambda: cl.images.hog_features(np.full((2, 8, 8), np.nan)), "images")
    _error(lambda: cl.neurons.gradient_descent("bowl", float("nan"), 1.0, 3), "lr")
