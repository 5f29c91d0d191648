"""Exercises of lecture 03 (dense networks on images): counting parameters, and a
small dense network of your own that still reads digits."""

from __future__ import annotations

import contextlib
import io

import numpy as np

from course_lib.dense import dense_parameter_formula
from course_lib.exercises import Wrong, exercise

MAX_PARAMETERS = 25_000  # exercise 03.4
FLOOR = 0.88  # exercise 03.4: test accuracy to reach


def _mnist_test_set():
    """The test digits the notebook uses, as float 0-1 (the loading line is hidden)."""
    from course_lib.data import load_mnist

    with contextlib.redirect_stdout(io.StringIO()):
        _, (x_test, y_test) = load_mnist()
    return x_test.astype("float32") / 255, y_test


def _check_small_model(model):
    if not (hasattr(model, "count_params") and hasattr(model, "predict")):
        raise Wrong("give a Keras model, e.g. net = keras.Sequential([...]), trained")
    count = int(model.count_params())
    if count > MAX_PARAMETERS:
        raise Wrong(
            f"the parameter count is {count:,}, above {MAX_PARAMETERS:,}: make the "
            "hidden layer smaller (the first layer has (784 + 1) x units)"
        )
    x_test, y_test = _mnist_test_set()
    probabilities = np.asarray(model.predict(x_test, verbose=0))
    if probabilities.shape != (len(x_test), 10):
        raise Wrong(
            f"on the {len(x_test):,} test digits (28x28, 0-1) it returned shape "
            f"{probabilities.shape}, expected ({len(x_test)}, 10): one probability "
            "per class"
        )
    accuracy = float((probabilities.argmax(axis=1) == y_test).mean())
    if accuracy < FLOOR:
        raise Wrong(
            f"on the {len(x_test):,} test digits it scores {accuracy:.1%}, below "
            f"{FLOOR:.0%} (did you train it with net.fit on x_train scaled to 0-1?)"
        )


def _small_trained_model():
    import keras

    from course_lib.data import load_mnist

    keras.utils.set_random_seed(0)
    with contextlib.redirect_stdout(io.StringIO()):
        (x_train, y_train), _ = load_mnist()
    net = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(30, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    net.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    net.fit(x_train.astype("float32") / 255, y_train, epochs=5, verbose=0)
    return net


class _UntrainedModel:
    """Stands in for an untrained network: the right shapes, chance-level answers."""

    def __init__(self, parameters: int):
        self.parameters = parameters

    def count_params(self) -> int:
        return self.parameters

    def predict(self, x, verbose=0):
        return np.full((len(x), 10), 0.1)


exercise(
    "03.1",
    "How many parameters does a Dense layer with 784 inputs and 100 units have?",
    expected=lambda: dense_parameter_formula(784, hidden=(), num_classes=100),
    hints=(
        (784 * 100, "each of the 100 units also has a bias."),
        (784 * 100 + 784, "there is one bias per unit, not one per input."),
        (784 + 100, "every unit has a weight for every input: multiply."),
    ),
)

exercise(
    "03.2",
    "How many parameters does a 1000-500-10 dense network have on 1024x1024x3 images?",
    expected=lambda: dense_parameter_formula(1024 * 1024 * 3, (1000, 500), 10),
    hints=(
        (
            dense_parameter_formula(1024 * 1024 * 3, (100, 50), 10),
            "that is the 100-50-10 network; change hidden to (1000, 500).",
        ),
        (
            1024 * 1024 * 3 * 1000 + 1000 * 500 + 500 * 10,
            "close: add one bias per unit in every layer.",
        ),
    ),
    hint="count with cl.dense.count_dense_parameters((1024, 1024, 3), hidden=...).",
)

exercise(
    "03.3",
    "How many parameters (weights and biases) does the logistic regression of "
    "section 2 have on MNIST?",
    expected=lambda: dense_parameter_formula(784, hidden=(), num_classes=10),
    hints=(
        (784, "that is one class; it learns one weight per pixel and class."),
        (784 * 10, "each of the 10 classes also has a bias (the intercept)."),
    ),
    hint="look at linear.coef_.shape and linear.intercept_.shape.",
)

exercise(
    "03.4",
    f"Build and train a dense network with at most {MAX_PARAMETERS:,} parameters that "
    f"scores at least {FLOOR:.0%} on the MNIST test digits.",
    checker=_check_small_model,
    solution=_small_trained_model,
    mistakes=(
        _UntrainedModel(23_860),  # the right size, never trained
        _UntrainedModel(84_060),  # the 100-50-10 network: too big
        "not a model",
    ),
)
