"""Overfitting and its remedies, measured (lecture 09): the small convnet with each
remedy built in, one training run per remedy and seed, all runs compared."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from course_lib.core import (
    Callbacks,
    Choice,
    Examples,
    Function,
    Images,
    Instance,
    Int,
    Items,
    Labels,
    Model,
    Optional,
    checked,
    set_seed,
)

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


REMEDY = Choice(*REMEDIES)
RUN_SEED = Int(0, 2**31 - 2)
"""A run's seed (Keras' layers take seeds below 2**31 - 1)."""


DIGITS = Examples(
    Images(("NHW", "NHWC"), channels=1, size=(28, 28)), Labels(10), channel_axis=True
)
"""A pair (images, labels) of MNIST digits: images (N, 28, 28) or (N, 28, 28, 1), uint8
0-255 or float 0-1, and one label 0-9 each; returned as float32 (N, 28, 28, 1) 0..1 and
int64 labels."""


@checked(remedy=REMEDY, seed=RUN_SEED)
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


MAX_EPOCHS = 1000
"""The most epochs :func:`train_with_remedy` and :func:`compare_remedies` accept."""


@checked(
    remedy=REMEDY,
    train=DIGITS,
    validation=DIGITS,
    epochs=Int(1, MAX_EPOCHS),
    num_train=Int(1, 100_000),
    batch_size=Int(1, 10_000),
    seed=RUN_SEED,
    callbacks=Callbacks(),
)
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
    x_train, y_train = train
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


@checked(
    train=DIGITS,
    validation=DIGITS,
    remedies=Items(REMEDY, 1, 1000),
    seeds=Items(RUN_SEED, 1, 1000),
    epochs=Int(1, MAX_EPOCHS),
    num_train=Int(1, 100_000),
    batch_size=Int(1, 10_000),
    callbacks=Callbacks(),
    report=Optional(Function()),
    reuse=Optional(Instance(dict, "a dict {(remedy, seed): run}", example=dict)),
)
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


@checked(model=Model())
def layer_structure(model) -> list[str]:
    """The layers of a Keras model as short strings, with what sets a remedy apart:
    filters and units, an L2 factor, a missing bias, BN's momentum, dropout's rate,
    the random layers' factors. Two models with the same list have the same structure.

    Example::

        layer_structure(cl.layers.build_remedy_model("dropout"))
        # ['Conv2D(16, 3)', 'ReLU', 'MaxPooling2D', ..., 'Dropout(0.5)', 'Dense(10, softmax)']
    """

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
