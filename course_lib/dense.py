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
from course_lib.core import (
    SEED,
    Anything,
    Callbacks,
    Function,
    Images,
    Int,
    Items,
    Labels,
    Optional,
    checked,
    set_seed,
    show,
)

MAX_SIDE = 10**6
"""The largest size along one axis of ``input_shape`` (counting needs no memory)."""

MAX_UNITS = 10**6
"""The most units in one layer (``hidden`` entries and ``num_classes``)."""

MAX_PARAMETERS = 50_000_000
"""The most parameters ``build_dense_network`` makes (200 MB of float32): beyond,
count them with :func:`count_dense_parameters`, which allocates nothing."""


INPUT_SHAPE = Items(Int(1, MAX_SIDE), 1, 4)
HIDDEN = Items(Int(1, MAX_UNITS), 0, 100)
CLASSES = Int(1, MAX_UNITS)
ACTIVATION = Anything("a Keras activation name such as 'relu', checked by Keras below")


def _check_activation(activation) -> None:
    try:
        keras.activations.get(activation)
    except (TypeError, ValueError, AttributeError):
        raise ValueError(
            f"activation must be a Keras activation such as 'relu', got "
            f"{show(activation)}"
        ) from None


@checked(
    input_shape=INPUT_SHAPE, hidden=HIDDEN, num_classes=CLASSES, activation=ACTIVATION
)
def build_dense_network(
    input_shape: Sequence[int],
    hidden: Sequence[int] = (100, 50),
    num_classes: int = 10,
    activation: str = "relu",
):
    """A Keras ``Sequential``: Flatten, one Dense layer per entry of ``hidden``, softmax.

    At most ``MAX_PARAMETERS`` parameters are made (count bigger ones with
    :func:`count_dense_parameters`). Example: ``build_dense_network((28, 28))`` is the
    784-100-50-10 network.
    """
    count = dense_parameter_formula(int(np.prod(input_shape)), hidden, num_classes)
    if count > MAX_PARAMETERS:
        raise ValueError(
            f"this network has {count:,} parameters, more than the {MAX_PARAMETERS:,} "
            "build_dense_network makes (200 MB); count them without allocating with "
            "cl.dense.count_dense_parameters"
        )
    return _dense_network(input_shape, hidden, num_classes, activation)


def _dense_network(input_shape, hidden, num_classes, activation="relu"):
    """``build_dense_network`` without the parameter cap (for shapes-only builds)."""
    _check_activation(activation)
    layers = [keras.Input(tuple(input_shape)), keras.layers.Flatten()]
    layers += [keras.layers.Dense(units, activation=activation) for units in hidden]
    layers.append(keras.layers.Dense(num_classes, activation="softmax"))
    return keras.Sequential(layers)


@checked(n_inputs=Int(1, MAX_SIDE**4), hidden=HIDDEN, num_classes=CLASSES)
def dense_parameter_formula(
    n_inputs: int, hidden: Sequence[int] = (100, 50), num_classes: int = 10
) -> int:
    """Parameters of a dense stack by arithmetic: each layer has (inputs + 1) x units."""
    sizes = [n_inputs, *hidden, num_classes]
    return sum((a + 1) * b for a, b in pairwise(sizes))


@checked(input_shape=INPUT_SHAPE, hidden=HIDDEN, num_classes=CLASSES)
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
        model = _dense_network(input_shape, hidden, num_classes)
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


@checked(input_shape=INPUT_SHAPE, hidden=HIDDEN, num_classes=CLASSES)
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


@checked(n_pixels=Int(1, 2**24), seed=SEED)
def fixed_permutation(n_pixels: int, seed: int = 0) -> np.ndarray:
    """A fixed random order of ``n_pixels`` pixel positions (at most 2**24: a
    4096x4096 image)."""
    return np.random.default_rng(seed).permutation(n_pixels)


@checked(
    images=Images(("NHW", "NHWC"), to=None),
    permutation=Items(Int(0, 2**24), 1, 2**24),
)
def permute_pixels(images: np.ndarray, permutation: np.ndarray) -> np.ndarray:
    """Shuffle the pixels of every image the same way; the shape is kept.

    ``images`` is (N, H, W) or (N, H, W, C); ``permutation`` orders the H*W positions.
    """
    images = np.asarray(images)
    n, height, width = images.shape[:3]
    permutation = np.asarray(permutation, dtype=np.int64)
    if sorted(permutation.tolist()) != list(range(height * width)):
        raise ValueError(
            f"permutation must reorder all {height * width} pixel positions exactly once"
        )
    flat = images.reshape(n, height * width, *images.shape[3:])
    return flat[:, permutation].reshape(images.shape)


TRAINING = dict(
    x_train=Images(("NHW", "NHWC")),
    y_train=Labels(10),
    x_test=Images(("NHW", "NHWC")),
    y_test=Labels(10),
    num_epochs=Int(1, 1000),
    hidden=HIDDEN,
    batch_size=Int(1, 65536),
)


@checked(**TRAINING, seed=SEED, callbacks=Callbacks())
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
    for x, y, names in (
        (x_train, y_train, "x_train and y_train"),
        (x_test, y_test, "x_test and y_test"),
    ):
        if len(x) != len(y):
            raise ValueError(
                f"{names} must hold one label per image, got {len(x)} and {len(y)}"
            )
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(
            f"x_train and x_test must hold images of one shape, got "
            f"{x_train.shape[1:]} and {x_test.shape[1:]}"
        )
    num_classes = int(max(y_train.max(), y_test.max())) + 1
    set_seed(seed)
    net = build_dense_network(x_train.shape[1:], hidden, num_classes)
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
        callbacks=callbacks,
    )
    _, test_accuracy = net.evaluate(x_test, y_test, verbose=0)
    return net, history, float(test_accuracy)


@checked(
    **TRAINING,
    seeds=Items(SEED, 2, 100),
    report=Optional(Function()),
)
def accuracy_over_seeds(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    seeds: Sequence[int] = (0, 1, 2),
    num_epochs: int = 5,
    hidden: Sequence[int] = (100, 50),
    batch_size: int = 64,
    report=None,
) -> np.ndarray:
    """Test accuracy of :func:`train_dense_classifier` once per seed, as an array.

    Each seed gives other initial weights (and another order of the batches), so the
    spread of the accuracies is what chance alone changes. ``report(seed, accuracy)``,
    if given, is called after each run (e.g. to print progress). Summarise with
    ``accuracies.mean()`` and ``accuracies.std(ddof=1)``.

    Example::

        accuracies = cl.dense.accuracy_over_seeds(
            x_train, y_train, x_test, y_test, seeds=(0, 1, 2)
        )
    """
    if len(set(seeds)) != len(seeds):
        raise ValueError(
            f"give at least two different seeds to measure a spread, got {seeds!r}"
        )
    accuracies = []
    for seed in seeds:
        _, _, accuracy = train_dense_classifier(
            x_train,
            y_train,
            x_test,
            y_test,
            num_epochs=num_epochs,
            hidden=hidden,
            batch_size=batch_size,
            seed=seed,
        )
        accuracies.append(accuracy)
        if report is not None:
            report(seed, accuracy)
    return np.array(accuracies)
