"""Bad input to cl.transfer and its widget that the declarations alone do not cover
(tests/test_declared.py generates the rest): issue 33's cases, each pinned."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from clear_errors import assert_clear, refused

import course_lib as cl
from course_lib import transfer


@pytest.fixture(scope="module")
def base():
    return transfer.digit_base(5, seed=0)


@pytest.fixture(scope="module")
def task():
    """20 digits in 5 classes (labels 0-4) and 10 held out."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)
    return x, np.arange(20) % 5, x[:10], np.arange(10) % 5


@pytest.fixture(scope="module")
def digits():
    (x, y), (x_test, y_test) = cl.data.load_mnist()
    return x[:2000], y[:2000], x_test[:500], y_test[:500]


class NoTraining:
    """Patched over the training steps: a call means the check came too late."""

    def __call__(self, *args, **kwargs):
        raise AssertionError("trained before refusing")


# -- to_images: one digit is never read as 28 images of 28 x 1 -----------------------


def test_one_digit_with_a_channel_axis_is_refused_with_the_fix():
    message = refused(lambda: transfer.to_images(np.zeros((28, 28, 1))), "x")
    assert "x[None]" in message and "(28, 28, 1)" in message


def test_one_digit_without_a_batch_axis_is_refused():
    assert "x[None]" in refused(lambda: transfer.to_images(np.zeros((28, 28))), "x")


def test_uint8_and_float_digits_give_the_same_images():
    x = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    as_uint8, as_float = transfer.to_images(x), transfer.to_images(x / 255.0)
    assert as_uint8.shape == (3, 28, 28, 1) and as_uint8.dtype == np.float32
    np.testing.assert_allclose(as_uint8, as_float, atol=1e-6)
    assert "divide by 255" in refused(lambda: transfer.to_images(x * 1.0), "x")


def test_the_same_digits_as_uint8_and_float_give_the_same_accuracy(base, task):
    x, y, x_test, y_test = task
    kwargs = dict(mode="frozen", steps=2, seed=0)
    as_uint8 = transfer.transfer(base, x, y, x_test, y_test, **kwargs)
    as_float = transfer.transfer(base, x / 255.0, y, x_test / 255.0, y_test, **kwargs)
    assert as_uint8["accuracy"] == pytest.approx(as_float["accuracy"], abs=1e-6)


# -- labels: out of range, one-hot, -1, renumbering -----------------------------------


def test_labels_10_to_19_are_refused_before_training(base, task, monkeypatch):
    x, y, x_test, y_test = task
    monkeypatch.setattr(transfer.training, "_fit_steps", NoTraining())
    message = refused(lambda: transfer.transfer(base, x, y + 10, x_test, y_test), "y")
    assert "every label from 0" in message and "split_digits" in message
    model = transfer.digit_base(5, seed=0)
    assert "5 outputs" in refused(
        lambda: transfer.fit_steps(model, x, y + 10, steps=1), "y"
    )


def test_one_hot_labels_are_refused_with_the_fix(base, task):
    x, y, x_test, y_test = task
    one_hot = np.eye(5)[y]
    message = refused(lambda: transfer.transfer(base, x, one_hot, x_test, y_test), "y")
    assert "y.argmax(axis=1)" in message
    model = transfer.digit_base(5, seed=0)
    assert "argmax" in refused(lambda: transfer.fit_steps(model, x, one_hot, 1), "y")


def test_validation_labels_minus_one_are_refused(base, task):
    x, y, x_test, y_test = task
    bad = y_test.copy()
    bad[0] = -1
    assert "-1" in refused(lambda: transfer.transfer(base, x, y, x_test, bad), "y_test")
    refused(lambda: transfer.transfer(base, x, y, x_test, y_test + 5), "y_test")


def test_labels_and_images_of_different_lengths(base, task):
    x, y, x_test, y_test = task
    refused(lambda: transfer.transfer(base, x, y[:-1], x_test, y_test), "label")
    refused(lambda: transfer.split_digits(x, y[:-1], (0, 1)), "label")


# -- models: a Sequential base works; a model without blocks is named -----------------


def _sequential_base():
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(4, 3, padding="same", name="block1_conv"),
            keras.layers.MaxPooling2D(2, name="block1_pool"),
            keras.layers.Conv2D(4, 3, padding="same", name="block2_conv"),
            keras.layers.MaxPooling2D(2, name="block2_pool"),
            keras.layers.Flatten(),
            keras.layers.Dense(5, activation="softmax"),
        ]
    )


def test_a_sequential_base_with_named_blocks_works(task):
    x, y, x_test, y_test = task
    for mode in ("frozen", "fine-tune"):
        run = transfer.transfer(_sequential_base(), x, y, x_test, y_test, mode, 1, 2)
        assert run["steps"] == 2 and 0 <= run["accuracy"] <= 1
    features = transfer.features_of(_sequential_base())
    assert tuple(features.output.shape[1:]) == (7, 7, 4)
    assert transfer.with_head(_sequential_base(), 3).output.shape[-1] == 3


def test_a_sequential_base_without_blocks_gets_a_clear_message(task):
    x, y, x_test, y_test = task
    plain = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(5)]
    )
    message = refused(
        lambda: transfer.transfer(plain, x, y, x_test, y_test), "model", "base"
    )
    assert "block1_" in message


def test_an_unbuilt_sequential_base_gets_the_fix(task):
    x, y, x_test, y_test = task
    unbuilt = keras.Sequential([keras.layers.Conv2D(4, 3, name="block1_conv")])
    message = refused(
        lambda: transfer.transfer(unbuilt, x, y, x_test, y_test), "base_model"
    )
    assert "keras.Input" in message


def test_images_of_another_size_than_the_base(base, task):
    _, y, _, y_test = task
    small = np.zeros((20, 16, 16), np.uint8)
    assert "the base takes" in refused(
        lambda: transfer.transfer(base, small, y, small[:10], y_test), "x"
    )


# -- lists where one value was given, callbacks=None ----------------------------------


def test_label_sweep_refuses_a_single_seed_with_the_fix(base, digits, monkeypatch):
    x, y, x_test, y_test = digits
    monkeypatch.setattr(transfer.training, "_fit_steps", NoTraining())
    message = refused(
        lambda: transfer.label_sweep(base, x, y, x_test, y_test, seeds=5), "seeds"
    )
    assert "[5]" in message
    assert "[2]" in refused(
        lambda: transfer.label_sweep(base, x, y, x_test, y_test, per_class=2),
        "per_class",
    )
    refused(
        lambda: transfer.label_sweep(base, x, y, x_test, y_test, modes="frozen"),
        "modes",
    )


def test_label_sweep_refuses_too_many_labels_before_training(base, digits, monkeypatch):
    x, y, x_test, y_test = digits
    monkeypatch.setattr(transfer.training, "_fit_steps", NoTraining())
    message = refused(
        lambda: transfer.label_sweep(base, x, y, x_test, y_test, (1, 10_000)),
        "per_class",
    )
    assert "at most" in message


def test_callbacks_none_and_one_callback_train(digits):
    x, y, _, _ = digits
    for callbacks in (None, keras.callbacks.Callback()):
        model = transfer.train_digit_base(
            x[:64], y[:64], (0, 1), epochs=1, callbacks=callbacks
        )
        assert model.output_shape == (None, 2)
    refused(lambda: transfer.train_digit_base(x, y, callbacks="plot"), "callbacks")


# -- the widget -----------------------------------------------------------------------


def test_the_explorer_refuses_bad_settings_in_words():
    explorer = cl.widgets.FineTuneExplorer
    refused(lambda: explorer(vgg16_blocks=np.nan), "vgg16_blocks")
    refused(lambda: explorer(labels_per_class=3), "labels_per_class")
    refused(lambda: explorer(results="results.json"), "results")
    refused(lambda: explorer(results={"labels": None, "vgg16_trainable": 1}), "sweep")


def test_a_label_count_not_in_the_results_shows_in_the_widget():
    explorer = cl.widgets.FineTuneExplorer()
    explorer.labels.value = 3  # never traitlets' "Invalid selection"
    assert_clear(ValueError(explorer.error.message), "labels_per_class")
    assert "1, 2, 5, 20, 400" in explorer.error.message
    explorer.labels.value = "20"  # the count as text picks it
    assert explorer.labels.value == 20 and explorer.error.message == ""
