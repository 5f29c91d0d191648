"""Bad input to cl.recipes that the declarations alone do not cover (tests/test_declared.py
generates the rest): issue 33's cases for the race, each pinned."""

from __future__ import annotations

import numpy as np
import pytest
from clear_errors import refused

import course_lib as cl
from course_lib import recipes


@pytest.fixture(scope="module")
def digits():
    (x_train, y_train), _ = cl.data.load_mnist()
    return x_train[:32], y_train[:32]


def _race(train, test, **kwargs):
    return recipes.race("keras_io", train, test, budget=0.5, epochs=1, **kwargs)


@pytest.mark.parametrize("which", ["train", "test"])
def test_labels_10_to_19_one_hot_and_minus_one_are_refused(digits, which):
    x, y = digits
    for labels, phrase in [
        (y + 10, "got labels from 10"),
        (np.full(len(y), -1), "got labels from -1"),
        (np.eye(10)[y], "looks one-hot: pass y.argmax(axis=1)"),
    ]:
        pairs = {"train": (x, y), "test": (x, y), which: (x, labels)}
        message = refused(lambda p=pairs: _race(p["train"], p["test"]), which)
        assert phrase in message


def test_digits_and_labels_of_two_lengths_are_refused(digits):
    x, y = digits
    assert "32 inputs and 31 labels" in refused(
        lambda: _race((x, y[:-1]), (x, y)), "train"
    )


def test_uint8_and_0_1_floats_give_the_race_the_same_numbers(digits):
    x, y = digits
    as_uint8 = recipes.DIGITS_AND_LABELS.check((x, y), "train")
    as_float = recipes.DIGITS_AND_LABELS.check((x / 255.0, y), "train")
    np.testing.assert_array_equal(as_uint8[0], as_float[0].astype(np.float32))
    assert as_uint8[0].shape == (32, 28, 28, 1) and as_uint8[0].dtype == np.float32
    message = refused(lambda: _race((x * 1.0, y), (x, y)), "train")
    assert "divide by 255" in message


def test_callbacks_none_races(digits):
    x, y = digits
    result = _race((x, y), (x, y), callbacks=None)
    assert 0.0 <= result["final_accuracy"] <= 1.0


def test_the_race_clock_checks_its_held_out_digits(digits):
    x, y = digits
    prepared = cl.images.prepare_images(x)
    refused(lambda: recipes.RaceClock(prepared, y[:-1]), "x_test")
    refused(lambda: recipes.RaceClock(prepared * 255.0, y), "x_test")
    refused(lambda: recipes.RaceClock(prepared, y + 10), "y_test")


def test_an_unknown_recipe_lists_the_known_ones():
    message = refused(lambda: recipes.get("fastest"), "name")
    assert "'fast', 'course', 'keras_io', 'slides'" in message
