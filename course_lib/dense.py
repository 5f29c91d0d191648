"""Lecture 03: dense networks on images: building, counting, training, shuffling pixels.

Compute only (Keras and NumPy): the live training chart is ``cl.widgets.LivePlot``, which
the notebook passes to :func:`train_dense_classifier` as a callback.

Counting the parameters of a big dense network without allocating it
--------------------------------------------------------------------
A 100-50-10 network on 1024x1024x3 images has a first kernel of 3,145,728 x 100
float32 numbers: 1.26 GB, and its random initialisation needs temporary copies on top.
Keras 3 lets us build the model without creating those numbers: a variable created
inside ``keras.StatelessScope(initialize_variables=False)`` (the course's
``cl.zoo.shapes_only()``) is only *registered*, never made. The layers, their shapes
and ``count_params()`` are all real; only the values are missing.
``dense_parameters_by_layer`` counts inside such a scope, then deletes the model and
calls ``cl.zoo.release()`` (``keras.backend.clear_session()``), which also forgets the
list of registered variables, so that no later scope can initialise them by surprise.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import keras
import numpy as np

from course_lib import zoo
from course_lib.core import set_seed


def build_dense_network(
    input_shape: Sequence[int],
    hidden: Sequence[int] = (100, 50),
    num_classes: int = 10,
    activation: str = "relu",
):
    """A Keras ``Sequential``: Flatten, one Dense layer per entry of ``hidden``, softmax.

    Example: ``build_dense_network((28, 28))`` is the 784-100-50-10 network.
    """
    if not input_shape or any(int(n) < 1 for n in input_shape):
        raise ValueError(f"input_shape must be positive sizes, got {input_shape!r}")
    if any(int(n) < 1 for n in hidden) or num_classes < 1:
        raise ValueError("every layer needs at least one unit")
    layers = [keras.Input(tuple(input_shape)), keras.layers.Flatten()]
    layers += [keras.layers.Dense(units, activation=activation) for units in hidden]
    layers.append(keras.layers.Dense(num_classes, activation="softmax"))
    return keras.Sequential(layers)


def dense_parameter_formula(
    n_inputs: int, hidden: Sequence[int] = (100, 50), num_classes: int = 10
) -> int:
    """Parameters of a dense stack by arithmetic: each layer has (inputs + 1) x units."""
    sizes = [n_inputs, *hidden, num_classes]
    return sum((a + 1) * b for a, b in pairwise(sizes))


def dense_parameters_by_layer(
    input_shape: Sequence[int],
    hidden: Sequence[int] = (100, 50),
    num_classes: int = 10,
) -> list[tuple[str, tuple[int, ...], int]]:
    """(layer, kernel shape, parameters) for each layer of ``build_dense_network``.

    The weights are never allocated (see the module docstring), so this is safe for any
    image size: memory stays flat even for 314 million parameters.
    """
    with zoo.shapes_only():
        model = build_dense_network(input_shape, hidden, num_classes)
        rows = [
            (
                layer.__class__.__name__,
                tuple(layer.kernel.shape) if hasattr(layer, "kernel") else (),
                layer.count_params(),
            )
            for layer in model.layers
        ]
    del model
    zoo.release()  # forget the registered, never-made variables
    return rows


def count_dense_parameters(
    input_shape: Sequence[int],
    hidden: Sequence[int] = (100, 50),
    num_classes: int = 10,
) -> int:
    """Total parameters of ``build_dense_network(input_shape, ...)``, without allocating them.

    Example: ``count_dense_parameters((64, 64, 3))`` is 1,234,460.
    """
    return sum(
        row[2] for row in dense_parameters_by_layer(input_shape, hidden, num_classes)
    )


def fixed_permutation(n_pixels: int, seed: int = 0) -> np.ndarray:
    """A fixed random order of ``n_pixels`` pixel positions."""
    if not isinstance(n_pixels, (int, np.integer)) or n_pixels < 1:
        raise ValueError(f"n_pixels must be a positive int, got {n_pixels!r}")
    return np.random.default_rng(seed).permutation(n_pixels)


def permute_pixels(images: np.ndarray, permutation: np.ndarray) -> np.ndarray:
    """Shuffle the pixels of every image the same way; the shape is kept.

    ``images`` is (N, H, W) or (N, H, W, C); ``permutation`` orders the H*W positions.
    """
    images = np.asarray(images)
    n, height, width = images.shape[:3]
    if sorted(permutation.tolist()) != list(range(height * width)):
        raise ValueError(
            f"permutation must reorder all {height * width} pixel positions exactly once"
        )
    flat = images.reshape(n, height * width, *images.shape[3:])
    return flat[:, permutation].reshape(images.shape)


def train_dense_classifier(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    num_epochs: int = 5,
    hidden: Sequence[int] = (100, 50),
    batch_size: int = 64,
    seed: int = 0,
    callbacks: Sequence = (),
):
    """Build, compile (Adam, cross-entropy) and fit a dense network; report test accuracy.

    Inputs are images already scaled to [0, 1]. ``callbacks`` go to ``net.fit``: pass
    ``[cl.widgets.LivePlot()]`` to watch the training. Returns
    ``(net, history, test_accuracy)``.

    Example::

        net, history, accuracy = cl.dense.train_dense_classifier(
            x_train, y_train, x_test, y_test, callbacks=[cl.widgets.LivePlot()]
        )
    """
    set_seed(seed)
    net = build_dense_network(x_train.shape[1:], hidden, int(np.max(y_train)) + 1)
    net.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    history = net.fit(
        x_train,
        y_train,
        epochs=num_epochs,
        batch_size=batch_size,
        validation_data=(x_test, y_test),
        verbose=0,
        callbacks=list(callbacks),
    )
    _, test_accuracy = net.evaluate(x_test, y_test, verbose=0)
    return net, history, float(test_accuracy)
