"""The layers toolbox of lecture 09, written out: softmax, batch normalization, local
response normalization, dropout; rotated digits for a regression head; overfitting and
its remedies, measured.

Each layer is a few lines of NumPy that equal the Keras / TensorFlow layer (the tests
check them to 1e-5)::

    cl.layers.softmax([1.2, 0.9, 0.4])            # [0.4566, 0.3383, 0.2052]
    mean, variance = cl.layers.batch_statistics(x)
    y = cl.layers.batch_norm(x, mean, variance, gamma, beta)
    cl.layers.local_response_norm(x, depth_radius=2)   # = tf.nn.local_response_normalization
    cl.layers.dropout(x, rate=0.5, seed=0)        # kept values scaled by 1 / (1 - rate)

The overfitting experiment trains one small convnet on 500 digits with each remedy and
records, after every epoch, loss and accuracy on the training digits and on held-out
digits, both measured the same way (inference mode, no augmentation)::

    curves = cl.layers.compare_remedies(train, validation, seeds=(0, 1, 2))
    for row in cl.layers.summarize_remedies(curves):
        print(row["remedy"], row["gap"], row["gap_sd"])

Early stopping is one of the remedies (``keras.callbacks.EarlyStopping`` with
``restore_best_weights=True``, watching validation digits of its own). Whether a remedy's
effect stands out of the spread between seeds::

    [row["remedy"] for row in cl.layers.remedy_effects(curves) if row["beyond"]]

``load_remedy_curves()`` reads the curves that ship in ``datasets/remedy_curves.json``
(made by ``datasets/build_remedy_curves.py``); ``cl.widgets.RemedyExplorer`` draws them.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from course_lib.core import check_int, check_number, choose, set_seed, show

__all__ = [
    "softmax",
    "sigmoid",
    "batch_statistics",
    "batch_norm",
    "batch_norm_training",
    "update_moving",
    "local_response_norm",
    "LRN_CONVENTIONS",
    "dropout_mask",
    "dropout",
    "rotate_digits",
    "REMEDIES",
    "METRICS",
    "build_remedy_model",
    "train_with_remedy",
    "compare_remedies",
    "remedy_curve",
    "summarize_remedies",
    "format_summary",
    "save_remedy_curves",
    "load_remedy_curves",
    "REMEDY_CURVES_FILE",
    "check_remedy_curves",
    "BN_MOMENTUM",
    "L2_PENALTY",
    "EARLY_STOPPING_PATIENCE",
    "remedy_effects",
    "layer_structure",
    "DROPOUT_RATE",
    "MORE_DATA_FACTOR",
]

# --------------------------------------------------------------------------------------
# Output layers: softmax and sigmoid
# --------------------------------------------------------------------------------------


def _finite_array(values, what: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be numbers, got {values!r}") from None
    if array.size == 0 or not np.all(np.isfinite(array)):
        raise ValueError(f"{what} must be a non-empty array of finite numbers")
    return array


def _axis(axis, ndim: int) -> int:
    """``axis`` as an int that names one of ``ndim`` axes (negative counts from the end)."""
    return check_int(axis, "axis", -max(ndim, 1), max(ndim, 1) - 1)


def softmax(z, axis: int = -1) -> np.ndarray:
    """``exp(z_j) / sum_k exp(z_k)`` along ``axis``: positive outputs that sum to 1.

    The largest value is subtracted first (the result is the same, and ``exp`` cannot
    overflow).

    >>> softmax([1.2, 0.9, 0.4]).round(4)
    array([0.4566, 0.3383, 0.2052])
    """
    z = _finite_array(z, "z")
    axis = _axis(axis, z.ndim)
    shifted = z - z.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(z) -> np.ndarray:
    """``1 / (1 + exp(-z))`` for each value on its own (outputs need not sum to 1).

    >>> sigmoid([0.0]).tolist()
    [0.5]
    """
    z = _finite_array(z, "z")
    # exp of a negative number only: no overflow for large |z|
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


# --------------------------------------------------------------------------------------
# Batch normalization
# --------------------------------------------------------------------------------------


def batch_statistics(x, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (biased, divide-by-m) variance of each channel over a mini-batch.

    ``x`` is channels-last, e.g. (N, features) or (N, H, W, C); the statistics are taken
    over every axis except ``axis`` (the channels), as ``keras.layers.BatchNormalization``
    does. Returns two arrays of shape (C,).
    """
    x = _finite_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must be a batch, (N, ..., C), got shape {x.shape}")
    channel = _axis(axis, x.ndim) % x.ndim
    others = tuple(a for a in range(x.ndim) if a != channel)
    return x.mean(axis=others), x.var(axis=others)


def _channel_vector(value, x: np.ndarray, axis: int, what: str) -> np.ndarray:
    value = _finite_array(value, what)
    channels = x.shape[axis]
    if value.ndim == 0:
        value = np.full(channels, float(value))
    if value.shape != (channels,):
        raise ValueError(
            f"{what} must be one number or one per channel ({channels}), "
            f"got shape {value.shape}"
        )
    shape = [1] * x.ndim
    shape[axis % x.ndim] = channels
    return value.reshape(shape)


def batch_norm(
    x,
    mean,
    variance,
    gamma=1.0,
    beta=0.0,
    epsilon: float = 1e-3,
    axis: int = -1,
) -> np.ndarray:
    """``gamma * (x - mean) / sqrt(variance + epsilon) + beta``, per channel.

    In training, ``mean`` and ``variance`` are the batch's own (:func:`batch_statistics`,
    or :func:`batch_norm_training`); at inference they are the moving averages the layer
    kept (:func:`update_moving`). ``epsilon=1e-3`` is Keras' default.
    """
    x = _finite_array(x, "x")
    if x.ndim == 0:
        raise ValueError("x must be an array with a channel axis, got one number")
    axis = _axis(axis, x.ndim)
    if not (isinstance(epsilon, (int, float)) and epsilon > 0):
        raise ValueError(f"epsilon must be a positive number, got {epsilon!r}")
    mean = _channel_vector(mean, x, axis, "mean")
    variance = _channel_vector(variance, x, axis, "variance")
    if np.any(variance < 0):
        raise ValueError("variance must not be negative")
    gamma = _channel_vector(gamma, x, axis, "gamma")
    beta = _channel_vector(beta, x, axis, "beta")
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta


def batch_norm_training(
    x, gamma=1.0, beta=0.0, epsilon: float = 1e-3, axis: int = -1
) -> np.ndarray:
    """Batch normalization as in training: normalize with the batch's own statistics."""
    mean, variance = batch_statistics(x, axis)
    return batch_norm(x, mean, variance, gamma, beta, epsilon, axis)


def update_moving(moving, batch_value, momentum: float = 0.99) -> np.ndarray:
    """One step of the moving average a BN layer keeps for inference:
    ``momentum * moving + (1 - momentum) * batch_value`` (Keras' default momentum 0.99)."""
    if not (isinstance(momentum, (int, float)) and 0 <= momentum <= 1):
        raise ValueError(f"momentum must be a number from 0 to 1, got {momentum!r}")
    moving = _finite_array(moving, "moving")
    return momentum * moving + (1 - momentum) * _finite_array(
        batch_value, "batch_value"
    )


# --------------------------------------------------------------------------------------
# Local response normalization
# --------------------------------------------------------------------------------------

LRN_CONVENTIONS = ("tensorflow", "caffe")
"""``tensorflow``: alpha times the sum of squares; ``caffe`` (also MATLAB and the
slides' formula): alpha divided by the window size ``2 * depth_radius + 1``."""


def local_response_norm(
    x,
    depth_radius: int = 5,
    bias: float = 1.0,
    alpha: float = 1.0,
    beta: float = 0.5,
    convention: str = "tensorflow",
) -> np.ndarray:
    """Divide each value by ``(bias + alpha * ss) ** beta``, where ``ss`` is the sum of
    squares over the ``2 * depth_radius + 1`` neighbouring channels (fewer at the ends).

    Channels are the last axis. The defaults are those of
    ``tf.nn.local_response_normalization``, which multiplies the sum of squares by
    ``alpha`` as it is; Caffe and MATLAB divide ``alpha`` by the window size
    (``convention="caffe"``).
    """
    x = _finite_array(x, "x")
    if x.ndim == 0:
        raise ValueError(
            "x must have a channel axis (an array of 1 or more axes), got one number"
        )
    if isinstance(depth_radius, bool) or not isinstance(
        depth_radius, (int, np.integer)
    ):
        raise ValueError(f"depth_radius must be an int >= 0, got {depth_radius!r}")
    if not 0 <= depth_radius <= 10_000:
        raise ValueError(
            f"depth_radius must be an int from 0 to 10,000, got {depth_radius!r}"
        )
    bias = check_number(bias, "bias")
    alpha = check_number(alpha, "alpha")
    beta = check_number(beta, "beta")
    convention = choose(convention, LRN_CONVENTIONS, "LRN convention")
    window = 2 * depth_radius + 1
    scale = alpha / window if convention == "caffe" else alpha
    squares = x**2
    channels = x.shape[-1]
    padded = np.concatenate(
        [
            np.zeros((*x.shape[:-1], depth_radius)),
            squares,
            np.zeros((*x.shape[:-1], depth_radius)),
        ],
        axis=-1,
    )
    total = np.cumsum(padded, axis=-1)
    total = np.concatenate([np.zeros((*x.shape[:-1], 1)), total], axis=-1)
    sum_of_squares = total[..., window : window + channels] - total[..., :channels]
    return x / (bias + scale * sum_of_squares) ** beta


# --------------------------------------------------------------------------------------
# Dropout
# --------------------------------------------------------------------------------------


def _check_rate(rate) -> float:
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)):
        raise ValueError(f"rate must be a number from 0 (included) to 1, got {rate!r}")
    if not 0 <= rate < 1:
        raise ValueError(
            f"rate must be from 0 (keep all) up to, not including, 1; got {rate!r}"
        )
    return float(rate)


def dropout_mask(shape, rate: float, seed: int | None = None) -> np.ndarray:
    """A boolean mask of ``shape``: True (kept) with probability ``1 - rate``."""
    rate = _check_rate(rate)
    try:
        sides = tuple(shape) if np.ndim(shape) else (shape,)
        sides = tuple(check_int(n, "shape", 0) for n in sides)
    except (TypeError, ValueError):
        sides = None
    if sides is None or math.prod(sides) > 10**8:
        raise ValueError(
            f"shape must be sizes >= 0 (at most 10**8 values), got {show(shape)}"
        )
    return _rng(seed).random(sides) >= rate


def _rng(seed) -> np.random.Generator:
    """NumPy's generator for ``seed``: None, or an int >= 0."""
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng(check_int(seed, "seed", 0))


def dropout(
    x, rate: float, seed: int | None = None, mask=None, training: bool = True
) -> np.ndarray:
    """Inverted dropout, as ``keras.layers.Dropout``: in training, zero each value with
    probability ``rate`` and divide the kept ones by ``1 - rate`` (so the mean stays);
    at inference (``training=False``) return ``x`` unchanged.

    ``mask`` (True = kept) replaces the random draw, e.g. to reproduce a Keras output.
    """
    x = _finite_array(x, "x")
    rate = _check_rate(rate)
    if not training:
        return x
    if mask is None:
        mask = dropout_mask(x.shape, rate, seed)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != x.shape:
        raise ValueError(f"mask must have the shape of x {x.shape}, got {mask.shape}")
    return np.where(mask, x / (1 - rate), 0.0)


# --------------------------------------------------------------------------------------
# Rotated digits, for a regression head
# --------------------------------------------------------------------------------------


def rotate_digits(
    images, max_angle: float = 45.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Each digit turned by its own random angle, uniform in ``[-max_angle, max_angle]``
    degrees (positive: counter-clockwise as you see it).

    ``images`` are (N, 28, 28) digits, uint8 0-255 or float 0-1. Returns the rotated
    digits as float32 (N, 28, 28, 1) in 0..1 (bilinear, black corners filled with 0) and
    the angles, float32 (N,), in degrees: the targets of a regression head.
    """
    from scipy import ndimage

    from course_lib.images import to_unit_float

    images = to_unit_float(images, "images")
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"images must be (N, H, W), got shape {images.shape}")
    if not (isinstance(max_angle, (int, float)) and 0 <= max_angle <= 180):
        raise ValueError(f"max_angle must be from 0 to 180 degrees, got {max_angle!r}")
    angles = _rng(seed).uniform(-max_angle, max_angle, len(images))
    rotated = np.zeros(images.shape, dtype=np.float32)
    for i, (image, angle) in enumerate(zip(images, angles, strict=True)):
        rotated[i] = ndimage.rotate(image, angle, reshape=False, order=1)
    return np.clip(rotated, 0, 1)[..., None], angles.astype(np.float32)


# --------------------------------------------------------------------------------------
# Overfitting and its remedies, measured
# --------------------------------------------------------------------------------------

REMEDIES: dict[str, str] = {
    "none": "the plain network, nothing against overfitting",
    "early stopping": (
        "stop once the loss on 1,000 validation digits of its own has not improved "
        "for 10 epochs, and keep the best weights"
    ),
    "dropout": "Dropout(0.5) before the output layer",
    "batch norm": (
        "BatchNormalization (momentum 0.9) between each convolution or dense layer "
        "and its ReLU"
    ),
    "L2": "an L2 penalty of 0.01 (Keras' default factor) on every kernel",
    "augmentation": "RandomRotation(±10°) and RandomTranslation(±10 %) of the inputs",
    "more data": "four times the training digits (2,000 instead of 500)",
}
"""Remedy name -> what it changes (the network otherwise stays the same)."""

METRICS = ("train_accuracy", "val_accuracy", "train_loss", "val_loss")
"""What the experiment records after every epoch, per run."""

L2_PENALTY = 1e-2
"""λ of the L2 remedy: the loss gains λ Σ w² over every kernel weight."""
DROPOUT_RATE = 0.5
MORE_DATA_FACTOR = 4
EARLY_STOPPING_PATIENCE = 10
"""Epochs without a better validation loss before early stopping ends a run."""
BN_MOMENTUM = 0.9
"""The moving averages' momentum in the experiment. Keras' default 0.99 needs several
hundred steps before the moving variance (it starts at 1) reaches the batches'
variance; 500 digits in batches of 32 make only 16 steps an epoch."""
REMEDY_CURVES_FILE = (
    Path(__file__).resolve().parent.parent / "datasets" / "remedy_curves.json"
)


def build_remedy_model(remedy: str = "none", seed: int = 0):
    """The small convnet of the overfitting experiment, with ``remedy`` built in.

    Conv(16, 3) - pool - Conv(32, 3) - pool - Dense(128) - Dense(10, softmax), ReLU
    everywhere, compiled with Adam (0.001) and sparse cross-entropy. Only the remedy
    changes: ``"dropout"`` adds ``Dropout(0.5)`` before the output layer, ``"batch
    norm"`` puts ``BatchNormalization`` between each layer and its ReLU, ``"L2"`` adds an
    L2 penalty to every kernel, ``"augmentation"`` puts random rotations and shifts in
    front (active in training only); ``"none"``, ``"more data"`` and ``"early
    stopping"`` build the plain net (early stopping changes the training, not the net).
    """
    import keras
    from keras import layers

    remedy = choose(remedy, REMEDIES, "remedy")
    seed = check_int(seed, "seed", 0, 2**31 - 2)
    penalty = keras.regularizers.L2(L2_PENALTY) if remedy == "L2" else None
    norm = remedy == "batch norm"

    def block(layer) -> list:
        # BN goes between the layer and its ReLU; the layer's bias is then redundant.
        if norm:
            return [
                layer,
                layers.BatchNormalization(momentum=BN_MOMENTUM),
                layers.ReLU(),
            ]
        return [layer, layers.ReLU()]

    stack = [keras.Input((28, 28, 1))]
    if remedy == "augmentation":
        stack += [
            layers.RandomRotation(10 / 360, fill_mode="constant", seed=seed),
            layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=seed + 1),
        ]
    options = dict(kernel_regularizer=penalty, use_bias=not norm)
    stack += block(layers.Conv2D(16, 3, **options))
    stack += [layers.MaxPooling2D()]
    stack += block(layers.Conv2D(32, 3, **options))
    stack += [layers.MaxPooling2D(), layers.Flatten()]
    stack += block(layers.Dense(128, **options))
    if remedy == "dropout":
        stack += [layers.Dropout(DROPOUT_RATE, seed=seed)]
    stack += [layers.Dense(10, activation="softmax", kernel_regularizer=penalty)]
    model = keras.Sequential(stack, name=f"remedy_{remedy.replace(' ', '_')}")
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _as_digits(data, what: str) -> tuple[np.ndarray, np.ndarray]:
    from course_lib.models import prepare_images

    try:
        images, labels = data
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a pair (images, labels)") from None
    images, labels = prepare_images(images), np.asarray(labels).astype(np.int64)
    if len(images) != len(labels):
        raise ValueError(f"{what}: {len(images)} images but {len(labels)} labels")
    return images, labels


class _CleanMetrics:
    """Keras callback body: loss and accuracy on the training and the held-out digits,
    both in inference mode (no dropout, no augmentation, BN's moving statistics), put in
    the epoch's logs (so a LivePlot after it shows them) and kept in ``history``."""

    def __init__(self, train, validation, batch_size: int = 500):
        self.data = {"train": train, "val": validation}
        self.batch_size = batch_size
        self.history = {key: [] for key in METRICS}

    def bind(self, model):
        import keras
        import tensorflow as tf

        forward = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
        self.forward = forward

        class Callback(keras.callbacks.Callback):
            def on_epoch_end(inner, epoch, logs=None):  # noqa: N805
                self.measure(forward, logs if logs is not None else {})

        return Callback()

    def measure(self, forward, logs: dict) -> None:
        for part, (images, labels) in self.data.items():
            probabilities = np.concatenate(
                [
                    forward(images[i : i + self.batch_size]).numpy()
                    for i in range(0, len(images), self.batch_size)
                ]
            )
            picked = probabilities[np.arange(len(labels)), labels]
            loss = float(-np.log(np.clip(picked, 1e-7, 1)).mean())
            accuracy = float((probabilities.argmax(axis=1) == labels).mean())
            self.history[f"{part}_loss"].append(loss)
            self.history[f"{part}_accuracy"].append(accuracy)
        # Keras-style names, for cl.widgets.LivePlot: train numbers as "loss"/"accuracy".
        logs.update(
            loss=self.history["train_loss"][-1],
            accuracy=self.history["train_accuracy"][-1],
            val_loss=self.history["val_loss"][-1],
            val_accuracy=self.history["val_accuracy"][-1],
        )


def _positive_int(value, what: str, high: int | None = None) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < 1
        or (high is not None and value > high)
    ):
        limit = f" up to {high:,}" if high is not None else ""
        raise ValueError(f"{what} must be a positive int{limit}, got {value!r}")
    return int(value)


MAX_EPOCHS = 1000
"""The most epochs :func:`train_with_remedy` and :func:`compare_remedies` accept."""


def train_with_remedy(
    remedy: str,
    train,
    validation,
    epochs: int = 12,
    num_train: int = 500,
    batch_size: int = 32,
    seed: int = 0,
    callbacks: Sequence = (),
) -> dict[str, list[float]]:
    """Train :func:`build_remedy_model` on the first ``num_train`` training digits
    (``MORE_DATA_FACTOR`` times as many for ``"more data"``) and return its curves.

    ``train`` and ``validation`` are ``(images, labels)`` pairs of MNIST digits. The seed
    sets the initial weights, the order of the batches and the random draws of dropout
    and augmentation (``cl.set_seed(seed)``); the digits are the same for every seed.
    After each epoch the loss and accuracy on the training digits and on the validation
    digits are measured the same way, in inference mode. ``"early stopping"`` also
    watches the loss on the ``2 * num_train`` digits after those of ``"more data"``, stops
    after ``EARLY_STOPPING_PATIENCE`` epochs without a better one and keeps the best
    weights (``keras.callbacks.EarlyStopping(restore_best_weights=True)``): the epochs
    after the stop, and the last one, show that kept network. Returns a dict of lists, one
    value per epoch, for each name in ``METRICS``. ``callbacks`` (e.g.
    ``[cl.widgets.LivePlot()]``) see those numbers as ``loss``, ``accuracy``,
    ``val_loss`` and ``val_accuracy``.
    """
    from course_lib.train import check_callbacks

    remedy = choose(remedy, REMEDIES, "remedy")
    epochs = _positive_int(epochs, "epochs", MAX_EPOCHS)
    num_train = _positive_int(num_train, "num_train")
    batch_size = _positive_int(batch_size, "batch_size")
    seed = check_int(seed, "seed", 0, 2**31 - 2)
    callbacks = check_callbacks(callbacks)
    x_train, y_train = _as_digits(train, "train")
    validation = _as_digits(validation, "validation")
    count = num_train * (MORE_DATA_FACTOR if remedy == "more data" else 1)
    watched = 2 * num_train  # early stopping's validation digits
    stopping = remedy == "early stopping"
    needed = num_train * MORE_DATA_FACTOR + watched if stopping else count
    if needed > len(x_train):
        raise ValueError(
            f"{remedy!r} needs {needed} training digits, only {len(x_train)} given"
        )
    set_seed(int(seed))
    model = build_remedy_model(remedy, seed=int(seed))
    subset = (x_train[:count], y_train[:count])
    clean = _CleanMetrics(subset, validation)
    extra = {}
    if stopping:
        import keras

        # Validation digits of its own, never the held-out ones: the digits after
        # those that "more data" trains on. Keras measures its val_loss on them before
        # the callbacks run, so EarlyStopping (first in the list) sees that loss; the
        # clean callback then puts the held-out numbers in the logs.
        start = num_train * MORE_DATA_FACTOR
        extra = dict(
            validation_data=(
                x_train[start : start + watched],
                y_train[start : start + watched],
            )
        )
        callbacks = [
            keras.callbacks.EarlyStopping(
                monitor="val_loss",
                patience=EARLY_STOPPING_PATIENCE,
                restore_best_weights=True,
            ),
            *callbacks,
        ]
        callbacks.insert(1, clean.bind(model))
    else:
        callbacks = [clean.bind(model), *callbacks]
    model.fit(
        *subset,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        verbose=0,
        callbacks=callbacks,
        **extra,
    )
    if stopping:
        # The kept network has the best weights: it stands for every epoch after the
        # stop, and for the last one (Keras restores the best weights at the end).
        trained = len(clean.history["val_loss"])
        final = _CleanMetrics(subset, validation)
        final.measure(clean.forward, {})
        for metric in METRICS:
            values = clean.history[metric][: min(trained, epochs - 1)]
            values += final.history[metric] * (epochs - len(values))
            clean.history[metric] = values
    return clean.history


def compare_remedies(
    train,
    validation,
    remedies: Sequence[str] = tuple(REMEDIES),
    seeds: Sequence[int] = (0, 1, 2),
    epochs: int = 12,
    num_train: int = 500,
    batch_size: int = 32,
    callbacks: Sequence = (),
    report: Callable[[str], None] | None = print,
    reuse: dict | None = None,
) -> dict:
    """Run :func:`train_with_remedy` for every remedy and seed; return the curves as a
    JSON-ready dict: ``{"settings": {...}, "remedies": {name: {"description": ...,
    metric: [[one value per epoch] per seed]}}}``.

    ``report`` gets one line per finished run (``print`` by default; None for silence).
    ``reuse`` maps ``(remedy, seed)`` to the result of a run already made with the same
    settings (what :func:`train_with_remedy` returned): it is used instead of training
    that run again.
    """
    for what, values in (("remedies", remedies), ("seeds", seeds)):
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            raise ValueError(f"{what} must be a list, got {show(values)}")
        if not 1 <= len(values) <= 1000:
            raise ValueError(f"give from 1 to 1,000 {what}, got {len(values):,}")
    remedies = [choose(r, REMEDIES, "remedy") for r in remedies]
    seeds = [check_int(s, "seed", 0, 2**31 - 2) for s in seeds]
    epochs = _positive_int(epochs, "epochs", MAX_EPOCHS)
    num_train = _positive_int(num_train, "num_train")
    batch_size = _positive_int(batch_size, "batch_size")
    validation = _as_digits(validation, "validation")
    if report is not None and not callable(report):
        raise ValueError(f"report must be a function such as print, got {show(report)}")
    if reuse is not None and not isinstance(reuse, dict):
        raise ValueError(
            f"reuse must be a dict {{(remedy, seed): run}}, got {show(reuse)}"
        )
    curves = {
        "settings": {
            "model": "Conv(16,3)-pool-Conv(32,3)-pool-Dense(128)-Dense(10), Adam 0.001",
            "epochs": int(epochs),
            "num_train": int(num_train),
            "more_data": int(num_train) * MORE_DATA_FACTOR,
            "num_validation": len(validation[1]),
            "batch_size": int(batch_size),
            "seeds": [int(s) for s in seeds],
            "l2": L2_PENALTY,
            "dropout": DROPOUT_RATE,
            "early_stopping_patience": EARLY_STOPPING_PATIENCE,
        },
        "remedies": {},
    }
    total, done = len(remedies) * len(seeds), 0
    for remedy in remedies:
        entry = {"description": REMEDIES[remedy], **{m: [] for m in METRICS}}
        for seed in seeds:
            start = time.perf_counter()
            history = (reuse or {}).get((remedy, seed))
            if history is None:
                history = train_with_remedy(
                    remedy,
                    train,
                    validation,
                    epochs=epochs,
                    num_train=num_train,
                    batch_size=batch_size,
                    seed=int(seed),
                    callbacks=callbacks,
                )
                how = f"{time.perf_counter() - start:.0f} s"
            elif not isinstance(history, dict) or any(
                len(history.get(m, ())) != epochs for m in METRICS
            ):
                raise ValueError(
                    f"the reused run ({remedy!r}, {seed}) must hold {epochs} epochs "
                    f"of {', '.join(METRICS)}"
                )
            else:
                how = "reused"
            for metric in METRICS:
                entry[metric].append([round(v, 5) for v in history[metric]])
            done += 1
            if report is not None:
                report(
                    f"run {done}/{total}: {remedy:<12} seed {seed}: train "
                    f"{history['train_accuracy'][-1]:.3f}, validation "
                    f"{history['val_accuracy'][-1]:.3f} ({how})"
                )
        curves["remedies"][remedy] = entry
    return curves


def check_remedy_curves(curves) -> dict:
    """``curves`` itself when it has the shape ``compare_remedies`` returns, else a
    ValueError that says what is missing."""
    if not isinstance(curves, dict) or not isinstance(curves.get("remedies"), dict):
        raise ValueError('curves must be a dict with a "remedies" entry')
    if not curves["remedies"]:
        raise ValueError("the curves hold no remedy")
    for name, entry in curves["remedies"].items():
        if not isinstance(entry, dict):
            raise ValueError(
                f"remedy {name!r} must be a dict of curves, got {show(entry)}"
            )
        shapes = set()
        for metric in METRICS:
            if metric not in entry:
                raise ValueError(f"remedy {name!r} has no {metric!r} curves")
            try:
                array = np.asarray(entry[metric], dtype=float)
            except (TypeError, ValueError):
                array = np.array([])
            if array.ndim != 2 or array.size == 0 or not np.isfinite(array).all():
                raise ValueError(
                    f"{name!r} {metric!r} must be a list of runs, one list of "
                    "epochs each, of finite numbers"
                )
            shapes.add(array.shape)
        if len(shapes) != 1:
            raise ValueError(f"remedy {name!r}: the metrics have different lengths")
    return curves


def remedy_curve(curves: dict, remedy: str, metric: str) -> np.ndarray:
    """One metric of one remedy as an array (seeds, epochs)."""
    entries = check_remedy_curves(curves)["remedies"]
    remedy = choose(remedy, list(entries), "remedy")
    metric = choose(metric, METRICS, "metric")
    return np.asarray(entries[remedy][metric], dtype=float)


def _mean_sd(values: np.ndarray) -> tuple[float, float]:
    sd = float(values.std(ddof=1)) if len(values) > 1 else math.nan
    return float(values.mean()), sd


def summarize_remedies(curves: dict, last: int = 3) -> list[dict]:
    """Per remedy, at the end of training: train and validation accuracy and the gap
    (train minus validation), each the mean over seeds with its standard deviation
    (``*_sd``, NaN for one seed). Each run's value is averaged over its ``last``
    epochs, which smooths the epoch-to-epoch wobble. Also the held-out loss at the
    last epoch (``val_loss``) and how far it lies above the run's own lowest held-out
    loss (``rise``: 0 when the loss never turned up)."""
    last = _positive_int(last, "last")
    rows = []
    for remedy in check_remedy_curves(curves)["remedies"]:
        train = remedy_curve(curves, remedy, "train_accuracy")[:, -last:].mean(axis=1)
        val = remedy_curve(curves, remedy, "val_accuracy")[:, -last:].mean(axis=1)
        loss = remedy_curve(curves, remedy, "val_loss")
        row = {"remedy": remedy, "runs": len(train)}
        for name, values in (
            ("train", train),
            ("val", val),
            ("gap", train - val),
            ("val_loss", loss[:, -1]),
            ("rise", loss[:, -1] - loss.min(axis=1)),
        ):
            row[name], row[f"{name}_sd"] = _mean_sd(values)
        rows.append(row)
    return rows


def remedy_effects(
    curves: dict,
    metric: str = "val_accuracy",
    baseline: str = "none",
    last: int = 3,
    spread: float = 2.0,
) -> list[dict]:
    """Each remedy's effect on ``metric`` against ``baseline``, told apart from noise.

    Per run the metric is averaged over its ``last`` epochs; per remedy the mean and
    standard deviation over the runs (seeds). ``difference`` is the remedy's mean minus
    the baseline's; ``beyond`` is True when it is larger (in size) than ``spread``
    times the larger of the two standard deviations: the remedy's effect then stands
    out of the seed-to-seed spread. Needs at least two runs per remedy.

    Example::

        [row["remedy"] for row in remedy_effects(curves) if row["beyond"]]
    """
    entries = check_remedy_curves(curves)["remedies"]
    metric = choose(metric, METRICS, "metric")
    baseline = choose(baseline, list(entries), "baseline")
    last = _positive_int(last, "last")
    spread = check_number(spread, "spread", 0.0, 100.0)

    def runs(remedy: str) -> np.ndarray:
        values = remedy_curve(curves, remedy, metric)
        if len(values) < 2:
            raise ValueError(f"{remedy!r} has one run: no spread to compare with")
        return values[:, -last:].mean(axis=1)

    base_mean, base_sd = _mean_sd(runs(baseline))
    rows = []
    for remedy in entries:
        if remedy == baseline:
            continue
        mean, sd = _mean_sd(runs(remedy))
        difference = mean - base_mean
        rows.append(
            {
                "remedy": remedy,
                "mean": mean,
                "sd": sd,
                "difference": difference,
                "beyond": bool(abs(difference) > spread * max(sd, base_sd)),
            }
        )
    return rows


def layer_structure(model) -> list[str]:
    """The layers of a Keras model as short strings, with what sets a remedy apart:
    filters and units, an L2 factor, a missing bias, BN's momentum, dropout's rate,
    the random layers' factors. Two models with the same list have the same structure.

    Example::

        layer_structure(cl.layers.build_remedy_model("dropout"))
        # ['Conv2D(16, 3)', 'ReLU', 'MaxPooling2D', ..., 'Dropout(0.5)', 'Dense(10, softmax)']
    """
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a Keras model, got {show(model)}")
    lines = []
    for layer in model.layers:
        config = layer.get_config()
        details = []
        if "filters" in config:
            details += [str(config["filters"]), str(config["kernel_size"][0])]
        if "units" in config:
            details.append(str(config["units"]))
            if config.get("activation") not in (None, "linear"):
                details.append(str(config["activation"]))
        if config.get("use_bias") is False:
            details.append("no bias")
        regularizer = getattr(layer, "kernel_regularizer", None)
        if regularizer is not None:
            details.append(f"L2 {float(regularizer.get_config()['l2']):g}")
        if "momentum" in config:
            details.append(f"momentum {config['momentum']:g}")
        if "rate" in config:
            details.append(f"rate {config['rate']:g}")
        for key in ("factor", "height_factor", "width_factor"):
            if key in config:
                value = np.max(np.abs(config[key]))  # a number or a (low, high) pair
                details.append(f"{key} {value:.3g}")
        name = type(layer).__name__
        lines.append(f"{name}({', '.join(details)})" if details else name)
    return lines


def format_summary(rows: list[dict]) -> str:
    """The rows of :func:`summarize_remedies` as a small text table (mean ± sd): the
    accuracies and the gap averaged over the last epochs, the held-out loss at the
    last epoch."""

    def cell(row, name):
        sd = row[f"{name}_sd"]
        return (
            f"{row[name]:6.1%} ± {sd:4.1%}"
            if math.isfinite(sd)
            else f"{row[name]:6.1%}"
        )

    keys = ("remedy", "train", "train_sd", "val", "val_sd", "gap", "gap_sd")
    try:
        good = not isinstance(rows, (str, dict)) and all(
            isinstance(row, dict)
            and all(key in row for key in keys)
            and all(isinstance(row[key], (int, float)) for key in keys[1:])
            for row in rows
        )
    except TypeError:
        good = False
    if not good:
        raise ValueError(
            "rows must be the list of dicts summarize_remedies returns (remedy, train, "
            f"val, gap and their *_sd), got {show(rows)}"
        )
    with_loss = all("val_loss" in row and "val_loss_sd" in row for row in rows)

    def loss_cell(row):
        sd = row["val_loss_sd"]
        text = f"{row['val_loss']:.3f}"
        return f"{text} ± {sd:.3f}" if math.isfinite(sd) else text

    header = f"{'remedy':<15}{'train':>16}{'validation':>16}{'gap':>16}"
    lines = [header + (f"{'held-out loss':>18}" if with_loss else "")]
    for row in rows:
        lines.append(
            f"{row['remedy']:<15}{cell(row, 'train'):>16}{cell(row, 'val'):>16}"
            f"{cell(row, 'gap'):>16}" + (f"{loss_cell(row):>18}" if with_loss else "")
        )
    return "\n".join(lines)


def save_remedy_curves(curves: dict, path: str | Path) -> Path:
    """Write the curves as JSON and return the path."""
    check_remedy_curves(curves)
    if not isinstance(path, (str, Path)) or not str(path) or Path(path).is_dir():
        raise ValueError(f"path must be a file name (str or Path), got {show(path)}")
    path = Path(path)
    path.write_text(json.dumps(curves, indent=1) + "\n")
    return path


def load_remedy_curves(path: str | Path | None = None) -> dict:
    """The remedy curves in ``path``; by default those that ship with the course
    (``datasets/remedy_curves.json``, made by ``datasets/build_remedy_curves.py``)."""
    if path is not None and not isinstance(path, (str, Path)):
        raise ValueError(f"path must be a file name (str or Path), got {show(path)}")
    path = REMEDY_CURVES_FILE if path is None else Path(path)
    if not path.is_file():
        raise ValueError(
            f"no remedy curves at {path}; make them with datasets/build_remedy_curves.py"
        )
    try:
        curves = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    return check_remedy_curves(curves)
