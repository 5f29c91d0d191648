"""Bad input to cl.layers (lecture 09) and its widget that the declarations alone do not
cover (tests/test_declared.py generates the rest): issue 33's cases, each pinned."""

from __future__ import annotations

import numpy as np
import pytest
from clear_errors import refused, unclear_reason

import course_lib as cl
from course_lib import layers

# -- LRN: settings that give NaN are refused, and say why ------------------------------


def test_lrn_with_bias_0_is_refused_with_the_reason():
    message = refused(
        lambda: layers.local_response_norm(np.zeros((2, 4)), bias=0), "bias"
    )
    assert "NaN" in message and "zero" in message


def test_lrn_with_a_negative_alpha_is_refused_with_the_reason():
    message = refused(
        lambda: layers.local_response_norm(np.ones((2, 4)), alpha=-0.5), "alpha"
    )
    assert "negative alpha" in message


@pytest.mark.parametrize("convention", ["tensorflow", "caffe"])
def test_lrn_of_zeros_with_allowed_settings_is_never_nan(convention):
    out = layers.local_response_norm(
        np.zeros((2, 3, 3, 8)), bias=1e-9, alpha=0.0, convention=convention
    )
    assert np.isfinite(out).all() and not out.any()


def test_a_plain_wrong_value_gets_no_made_up_reason():
    message = refused(lambda: layers.local_response_norm(np.ones(4), bias="x"), "bias")
    assert "NaN" not in message


# -- dropout and batch norm ------------------------------------------------------------


def test_a_dropout_rate_of_1_is_refused_with_the_reason():
    assert "1 - rate = 0" in refused(lambda: layers.dropout(np.ones(3), 1.0), "rate")


def test_a_negative_variance_is_refused_with_the_reason():
    message = refused(
        lambda: layers.batch_norm(np.ones((2, 3)), np.zeros(3), [1.0, -1.0, 1.0]),
        "variance",
    )
    assert "never negative" in message


def test_batch_norm_with_its_default_gamma_and_beta_normalises():
    x = np.random.default_rng(0).normal(3.0, 2.0, (64, 4))
    mean, variance = layers.batch_statistics(x)
    out = layers.batch_norm(x, mean, variance)  # gamma=1.0, beta=0.0: not declared
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(out.std(axis=0), 1.0, atol=1e-3)


def test_statistics_per_channel_must_match_the_channels():
    assert "one per channel (3)" in refused(
        lambda: layers.batch_norm(np.ones((2, 3)), np.zeros(4), np.ones(3)), "mean"
    )


def test_moving_averages_of_other_shapes_are_not_broadcast():
    message = refused(
        lambda: layers.update_moving(np.zeros(3), np.ones((2, 3))), "moving"
    )
    assert "same shape" in message


def test_an_axis_the_array_lacks_is_refused():
    assert "2 axes" in refused(lambda: layers.softmax(np.ones((2, 3)), axis=2), "axis")


# -- rotated digits: the pixel convention ---------------------------------------------


def test_rotated_digits_are_the_same_for_uint8_and_float_pixels():
    (_, _), (x_test, _) = cl.data.load_mnist()
    as_uint8, angles = layers.rotate_digits(x_test[:4], seed=1)
    as_float, same_angles = layers.rotate_digits(x_test[:4] / 255.0, seed=1)
    np.testing.assert_allclose(as_uint8, as_float, atol=1e-6)
    np.testing.assert_array_equal(angles, same_angles)
    assert "divide by 255" in refused(
        lambda: layers.rotate_digits(x_test[:4] * 1.0), "images"
    )


# -- the remedy experiment: labels and digits are checked before any training --------


@pytest.mark.parametrize("labels", [[-1, 0, 1, 2], [0, 1, 2, 10], np.eye(4, 10)])
def test_labels_out_of_range_or_one_hot_are_refused_before_training(labels):
    digits = np.zeros((4, 28, 28), np.uint8)
    good = (digits, np.arange(4))
    refused(
        lambda: layers.train_with_remedy("none", (digits, labels), good, epochs=1),
        "train",
    )


def test_a_scalar_where_seeds_go_gets_the_fix():
    digits = (np.zeros((4, 28, 28), np.uint8), np.arange(4))
    message = refused(
        lambda: layers.compare_remedies(digits, digits, ("none",), 5), "seeds"
    )
    assert "one value goes in a list, e.g. [5]" in message


# -- RemedyExplorer ---------------------------------------------------------------------


def test_remedy_explorer_with_a_number_for_remedies_gets_the_fix():
    message = refused(lambda: cl.widgets.RemedyExplorer(remedies=3), "remedies")
    assert "one value goes in a list, e.g. [3]" in message
    assert "not iterable" not in message


def test_remedy_explorer_names_an_unknown_remedy():
    assert "unknown remedy 'weight decay'" in refused(
        lambda: cl.widgets.RemedyExplorer(remedies=["weight decay"]), "remedy"
    )


def test_an_unknown_metric_shows_in_the_banner_not_traitlets():
    explorer = cl.widgets.RemedyExplorer()
    explorer.metric.value = "f1 score"
    message = explorer.error.message
    assert "metric must be one of 'accuracy', 'loss'" in message
    assert unclear_reason(message, ("metric",)) is None
    assert explorer.metric.value == "accuracy"
    explorer.metric.value = "LOSS"
    assert explorer.metric.value == "loss" and explorer.error.message == ""
