"""Bad input to cl.train that the declarations alone do not cover (tests/test_declared.py
generates the rest): issue 33's cases for the training loop, each pinned."""

from __future__ import annotations

import numpy as np
import pytest
from clear_errors import refused

import course_lib as cl


def _digit_model(seed=0):
    import keras

    cl.set_seed(seed)
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(2, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


@pytest.fixture(scope="module")
def digits():
    (x_train, y_train), _ = cl.data.load_mnist()
    return x_train[:64, ..., None], y_train[:64]


# -- callbacks=None -------------------------------------------------------------------


def test_callbacks_none_or_one_callback_train(digits):
    import keras

    x, y = digits
    history = cl.train.fit(_digit_model(), (x, y), callbacks=None, batch_size=32)
    assert len(history.history["loss"]) == 1
    stopper = keras.callbacks.EarlyStopping(monitor="loss", patience=0)
    history = cl.train.fit(_digit_model(), (x, y), callbacks=stopper, batch_size=32)
    assert np.isfinite(history.history["loss"]).all()
    refused(
        lambda: cl.train.fit(_digit_model(), (x, y), callbacks=[print]), "callbacks"
    )


# -- labels ---------------------------------------------------------------------------


@pytest.mark.parametrize("shift", [10, -1])
def test_labels_outside_0_to_9_are_refused_before_tensorflow(digits, shift):
    x, y = digits
    bad = y + 10 if shift == 10 else np.full(len(y), -1)
    message = refused(lambda: cl.train.fit(_digit_model(), (x, bad)), "data")
    assert "from 0 to 9" in message
    refused(lambda: cl.train.evaluate(_digit_model(), (x, bad)), "data")


def test_one_hot_labels_get_the_fix(digits):
    x, y = digits
    one_hot = np.eye(10)[y]
    message = refused(lambda: cl.train.fit(_digit_model(), (x, one_hot)), "data")
    assert "looks one-hot: pass y.argmax(axis=1)" in message
    # with the one-hot loss they are right
    history = cl.train.fit(
        _digit_model(), (x, one_hot), loss="categorical_crossentropy", batch_size=32
    )
    assert np.isfinite(history.history["loss"]).all()


def test_validation_labels_minus_one_never_give_a_silent_zero(digits):
    x, y = digits
    message = refused(
        lambda: cl.train.fit(
            _digit_model(), (x, y), validation_data=(x, np.full(len(y), -1))
        ),
        "validation_data",
    )
    assert "got labels from -1 to -1" in message


# -- the wrong model ------------------------------------------------------------------


def test_the_wrong_model_is_named(digits):
    import keras

    x, y = digits
    message = refused(lambda: cl.train.fit("convnet", (x, y)), "model")
    assert "model must be a built Keras model" in message
    unbuilt = keras.Sequential([keras.layers.Dense(10)])
    assert "keras.Input" in refused(lambda: cl.train.fit(unbuilt, (x, y)), "model")
    dense = keras.Sequential([keras.Input((8,)), keras.layers.Dense(10, "softmax")])
    message = refused(lambda: cl.train.fit(dense, (x, y)), "data")
    assert "(N, 8) for this model" in message
    three = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    assert "from 0 to 2" in refused(lambda: cl.train.fit(three, (x, y)), "data")
    refused(lambda: cl.train.TrainStep(x, keras.optimizers.SGD()), "model")
    refused(lambda: cl.train.benchmark_train_step(lambda: dense, repeat=1), "model")


# -- the pixel convention -------------------------------------------------------------


def test_uint8_and_0_1_floats_train_on_the_same_numbers(digits):
    x, y = digits
    assert x.dtype == np.uint8
    as_uint8 = cl.train.fit(_digit_model(), (x, y), batch_size=32, mode="eager")
    as_float = cl.train.fit(_digit_model(), (x / 255.0, y), batch_size=32, mode="eager")
    np.testing.assert_allclose(
        as_uint8.history["loss"], as_float.history["loss"], rtol=1e-5
    )
    model = _digit_model()
    np.testing.assert_allclose(
        cl.train.evaluate(model, (x, y))["loss"],
        cl.train.evaluate(model, (x / 255.0, y))["loss"],
        rtol=1e-5,
    )


def test_0_255_floats_and_nan_are_refused(digits):
    x, y = digits
    message = refused(lambda: cl.train.fit(_digit_model(), (x * 1.0, y)), "data")
    assert "divide by 255" in message
    nan = x / 255.0
    nan[0, 0, 0, 0] = np.nan
    refused(lambda: cl.train.fit(_digit_model(), (nan, y)), "data")
    refused(lambda: cl.train.evaluate(_digit_model(), (nan, y)), "data")
    refused(lambda: cl.train.as_dataset((x * 1.0, y)), "data")


def test_compile_for_classification_refuses_an_unknown_optimizer():
    refused(
        lambda: cl.train.compile_for_classification(_digit_model(), "fastest"),
        "optimizer",
    )
    refused(lambda: cl.train.compile_for_classification([]), "model")


def test_flattened_uint8_pixels_are_pixels_too(digits):
    import keras

    x, y = digits
    flat = x.reshape(len(x), -1)

    def dense():
        cl.set_seed(0)
        return keras.Sequential(
            [keras.Input((784,)), keras.layers.Dense(10, activation="softmax")]
        )

    as_uint8 = cl.train.fit(dense(), (flat, y), batch_size=32, mode="eager")
    as_float = cl.train.fit(dense(), (flat / 255.0, y), batch_size=32, mode="eager")
    np.testing.assert_allclose(
        as_uint8.history["loss"], as_float.history["loss"], rtol=1e-5
    )
