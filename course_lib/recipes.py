"""Three MNIST training recipes and a fair race between them.

- ``"slides"``: the lecture slides' convnet (two 5x5 convolutions with 32 filters, 2x2
  max pooling, dropout 0.25, dense 128, dropout 0.5, softmax) trained with Adadelta at
  Keras 1's learning rate 1.0 and Keras 1's default batch of 32.
- ``"keras_io"``: the keras-io "Simple MNIST convnet" example, rebuilt from its
  published description: 3x3 convolutions with 32 and 64 filters each followed by 2x2
  max pooling, dropout 0.5, softmax; Adam, batch 128, 15 epochs.
- ``"fast"``: the course's fastest recipe: a small batch-normalized convnet (24,282
  parameters, no dense layer, pooling before batch normalization), batch 32, a one-cycle learning rate up to 7e-3 after a
  short warm-up, trained by ``cl.train.fit``'s plain ``tf.function`` step instead of
  ``model.fit``, and judged by a moving average of its weights (Polyak averaging,
  ``cl.train.averaged_weights``), which is steadier than the last step's weights.
- ``"course"``: this course's faster recipe (see ``build_course_model``): the same
  cheap layers, small batches (many updates per second), a one-cycle learning-rate
  schedule that peaks at 3x Adam's default, and random shifts and rotations so that
  4,000 digits go further.

``race(name, train, test)`` trains one recipe against a wall clock that stops while the
held-out accuracy is measured, and reports when it first reached a target accuracy and
the best accuracy within a time budget.

Example::

    (x_train, y_train), (x_test, y_test) = cl.data.load_mnist()
    result = cl.recipes.race("course", (x_train, y_train), (x_test, y_test), budget=60)
    result["time_to_target"], result["best_accuracy"]
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from course_lib.core import (
    SEED,
    Bool,
    Callbacks,
    Choice,
    Examples,
    Images,
    Instance,
    Int,
    Labels,
    Number,
    OneOf,
    Optional,
    checked,
    set_seed,
)

TARGET_ACCURACY = 0.97

EVAL_EVERY = 0.1
"""Seconds of training between two held-out measurements of a race. A recipe's time to
the target is read at the first measurement at or above it, so it is late by up to this
much (plus one step): 0.1 s tells a 2.2 s race from a 2.6 s one, where 0.5 s could not.
The clock is paused while measuring, so measuring often costs wall time, not race time."""

EVAL_EVERY_AFTER_TARGET = 0.5
"""Once a recipe has reached its target, a race measures only every 0.5 s (or every
``eval_every`` if that is longer): the time to the target is then known, and the best
accuracy within the budget needs no finer grid. Every recipe follows the same rule."""

EVAL_CHUNK = 250
"""A race measures the held-out digits in pieces of at most 250 (1,000 digits: four calls
of one traced step). One call over all of them made TensorFlow's allocator keep room for
every intermediate map of 1,000 digits (70 MB for the fast model) for the rest of the
session; the accuracy is the same."""

MAX_BUDGET = 3600.0
"""The longest race, in seconds of training (an hour)."""

MAX_EPOCHS = 1000

SECONDS = Number(high=MAX_BUDGET, positive=True)
EPOCHS = Int(1, MAX_EPOCHS)
STEPS_PER_EPOCH = Int(1, 10**7)


@dataclass(frozen=True)
class Recipe:
    """A model, its optimizer and how long and in which batches it trains."""

    name: str
    description: str
    build_model: Callable  # () -> keras.Model
    make_optimizer: Callable  # (steps_per_epoch, epochs) -> keras optimizer
    batch_size: int
    epochs: int
    label_smoothing: float = 0.0
    trainer: str = "fit"  # "fit": Keras' model.fit; "step": cl.train.fit's plain step


# --------------------------------------------------------------------------------------
# The slides' recipe
# --------------------------------------------------------------------------------------


@checked()
def build_slides_model():
    """The slides' MNIST convnet, ``cl.zoo.slides_convnet()`` (437,482 parameters)."""
    from course_lib.zoo import slides_convnet

    return slides_convnet(input_shape=(28, 28, 1), num_classes=10)


def _adadelta_keras1(steps_per_epoch: int, epochs: int):
    import keras

    # Keras 1's Adadelta default was learning_rate=1.0; Keras 3's is 0.001.
    return keras.optimizers.Adadelta(learning_rate=1.0, rho=0.95, epsilon=1e-7)


# --------------------------------------------------------------------------------------
# The keras-io "Simple MNIST convnet" recipe
# --------------------------------------------------------------------------------------


@checked()
def build_keras_io_model():
    """The keras-io "Simple MNIST convnet" (34,826 parameters)."""
    import keras

    return keras.Sequential(
        [keras.Input((28, 28, 1)), *_keras_io_layers(dropout=0.5)], name="keras_io"
    )


def _keras_io_layers(dropout: float) -> list:
    """The keras-io convnet's layers: two conv + pool blocks, dropout, softmax."""
    from keras import layers

    return [
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dropout(dropout),
        layers.Dense(10, activation="softmax"),
    ]


def _adam(steps_per_epoch: int, epochs: int):
    import keras

    return keras.optimizers.Adam()


# --------------------------------------------------------------------------------------
# The course's faster recipe
# --------------------------------------------------------------------------------------


@checked()
def build_course_model():
    """The course's fast convnet: the keras-io layers, light augmentation, less dropout.

    Random shifts (up to 2 pixels) and rotations (up to 8 degrees) act only in training;
    they cost little and let 4,000 digits go further.
    """
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.RandomRotation(8 / 360, fill_mode="constant", seed=1),
            layers.RandomTranslation(2 / 28, 2 / 28, fill_mode="constant", seed=2),
            *_keras_io_layers(dropout=0.3),
        ],
        name="course",
    )


@checked(
    steps=Int(1, 10**9),
    peak=Number(high=10.0, positive=True),
    warmup_fraction=Number(0.0, 1.0),
    final=Number(0.0, 1.0),
)
def one_cycle(
    steps: int, peak: float, warmup_fraction: float = 0.2, final: float = 1e-3
):
    """Learning rate rising linearly to ``peak``, then a cosine decay to ``peak*final``."""
    import keras

    warmup = max(1, int(steps * warmup_fraction))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak / 10,
        decay_steps=max(1, steps - warmup),
        alpha=final,
        warmup_target=peak,
        warmup_steps=warmup,
    )


@checked(batch_norm=Bool())
def build_fast_model(batch_norm: bool = True):
    """The course's small, quick convnet (24,282 parameters): three 3x3 convolutions
    (16, 32, 64 filters) each followed by batch normalization and ReLU, with 2x2 max
    pooling straight after the first two convolutions, global average pooling,
    softmax. Batch normalization lets it train at a high learning rate; few parameters
    and no dense layer keep each step cheap. Pooling *before* batch normalization and
    ReLU (conv, pool, BN, ReLU) lets them work on a quarter of the pixels: on a CPU,
    batch normalization's passes over the 26x26 maps cost more than the convolutions,
    and this order made the training step about 35 % cheaper. ``batch_norm=False``
    gives the same network without it (biases instead), for the benchmark that
    measures what batch normalization is worth."""
    import keras
    from keras import layers

    blocks = []
    for filters, pool in ((16, True), (32, True), (64, False)):
        if batch_norm:
            blocks.append(layers.Conv2D(filters, 3, use_bias=False))
            if pool:
                blocks.append(layers.MaxPooling2D(2))
            blocks += [
                # momentum 0.9 (Keras' default is 0.99): a run of a few hundred steps
                # needs moving statistics that keep up with the weights.
                layers.BatchNormalization(momentum=0.9),
                layers.ReLU(),
            ]
        else:
            blocks.append(layers.Conv2D(filters, 3, activation="relu"))
            if pool:
                blocks.append(layers.MaxPooling2D(2))
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            *blocks,
            layers.GlobalAveragePooling2D(),
            layers.Dense(10, activation="softmax"),
        ],
        name="fast" if batch_norm else "fast_without_bn",
    )


FAST_EMA_MOMENTUM = 0.9
"""The fast recipe's moving average of the weights: each step moves it 10 % of the way
to the new weights, so it spans about the last 10 steps."""


@checked(
    steps_per_epoch=STEPS_PER_EPOCH, epochs=EPOCHS, schedule=Bool(), average=Bool()
)
def fast_optimizer(
    steps_per_epoch: int, epochs: int, schedule: bool = True, average: bool = True
):
    """The fast recipe's optimizer: Adam with a one-cycle schedule up to 7e-3 (2.5 %
    warm-up), keeping a moving average of the weights (``use_ema``) that the race
    evaluates and that training ends with. ``schedule=False`` (a constant 1e-3) and
    ``average=False`` take one part away, for the benchmark that measures each part."""
    import keras

    # Tuned by racing on the bundle, 3 seeds each. Without the average (batch 32-128,
    # peak 3e-3 to 2e-2, warm-up 2-20 %, 8-24 epochs) the best was peak 5e-3 (median
    # 3.2-4.5 s to 97 %): higher peaks made the held-out accuracy jump about. With it
    # (momentum 0.8-0.98, peak 5e-3 to 1e-2, batch 32 or 64), momentum 0.9 and peak
    # 7e-3 took a median 2.1-2.7 s over three repeats.
    learning_rate = (
        one_cycle(steps_per_epoch * epochs, peak=7e-3, warmup_fraction=0.025)
        if schedule
        else 1e-3
    )
    if not average:
        return keras.optimizers.Adam(learning_rate)
    return keras.optimizers.Adam(
        learning_rate, use_ema=True, ema_momentum=FAST_EMA_MOMENTUM
    )


def _course_optimizer(steps_per_epoch: int, epochs: int):
    import keras

    return keras.optimizers.Adam(one_cycle(steps_per_epoch * epochs, peak=3e-3))


RECIPES: dict[str, Recipe] = {
    "fast": Recipe(
        name="fast",
        description=(
            "small BN convnet (3 conv 3x3 16/32/64, each pooled before BN + ReLU but "
            "the last, global average pooling, 24.3k parameters); Adam with a one-cycle schedule to 7e-3 (2.5 % warm-up), batch "
            "32, 24 epochs; judged by a moving average of its weights (momentum 0.9); "
            "trained by cl.train.fit's tf.function step, not model.fit"
        ),
        build_model=build_fast_model,
        make_optimizer=fast_optimizer,
        batch_size=32,
        epochs=24,
        trainer="step",
    ),
    "course": Recipe(
        name="course",
        description=(
            "keras-io layers + shifts/rotations, dropout 0.3; Adam with a one-cycle "
            "schedule (warm-up 20 % to 3e-3, cosine decay), batch 32, 12 epochs"
        ),
        build_model=build_course_model,
        make_optimizer=_course_optimizer,
        batch_size=32,
        epochs=12,
    ),
    "keras_io": Recipe(
        name="keras_io",
        description=(
            "keras-io Simple MNIST convnet: Conv 32 3x3, pool, Conv 64 3x3, pool, "
            "dropout 0.5, softmax; Adam, batch 128, 15 epochs"
        ),
        build_model=build_keras_io_model,
        make_optimizer=_adam,
        batch_size=128,
        epochs=15,
    ),
    "slides": Recipe(
        name="slides",
        description=(
            "slides: Conv 32 5x5 x2, pool, dropout .25, dense 128, dropout .5, softmax; "
            "Adadelta lr 1.0, batch 32, 100 epochs"
        ),
        build_model=build_slides_model,
        make_optimizer=_adadelta_keras1,
        batch_size=32,
        epochs=100,
    ),
}
"""The recipes by name."""


RECIPE = OneOf(Choice(*RECIPES), Instance(Recipe, "a Recipe"))
"""The declaration of a recipe: its name in ``RECIPES`` (any case) or a ``Recipe``."""


@checked(name=RECIPE)
def get(name) -> Recipe:
    """The recipe called ``name`` (one of ``RECIPES``); a ``Recipe`` is returned as is."""
    return name if isinstance(name, Recipe) else RECIPES[name]


@checked(name=RECIPE, steps_per_epoch=STEPS_PER_EPOCH, epochs=Optional(EPOCHS))
def build(name: str, steps_per_epoch: int, epochs: int | None = None):
    """A fresh model of recipe ``name``, compiled with its optimizer and loss."""
    import keras

    recipe = get(name)
    model = recipe.build_model()
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing)
    model.compile(
        optimizer=recipe.make_optimizer(steps_per_epoch, epochs or recipe.epochs),
        loss=loss,
        metrics=["accuracy"],
    )
    return model


class RaceClock:
    """A Keras callback that races training against a wall clock.

    Every ``eval_every`` seconds of training (``EVAL_EVERY``, 0.1 s, by default) it
    pauses the clock, measures the accuracy on ``(x_test, y_test)`` with a
    ``cl.train.EvaluateStep`` (traced once per model) called on pieces of
    ``EVAL_CHUNK`` digits, and records
    ``(seconds, accuracy)`` in ``curve``; once ``target`` is reached, only every
    ``EVAL_EVERY_AFTER_TARGET`` seconds (0.5 s) or ``eval_every``, whichever is longer.
    It stops training once the clock passes ``budget`` seconds and either ``target``
    was reached or the clock passed ``target_budget`` seconds. The clock includes
    everything training costs (tracing, the input pipeline, Keras' own work, keeping a
    moving average of the weights) but not evaluation. When the optimizer keeps that average (``use_ema=True``) the
    average is what is evaluated, as ``model.fit`` would leave it at the end.
    """

    @checked(
        x_test=Images("NHWC", channels=1, size=(28, 28)),
        y_test=Labels(10),
        target=Number(0.0, 1.0),
        budget=SECONDS,
        target_budget=Optional(SECONDS),
        eval_every=Number(0.0, MAX_BUDGET),
    )
    def __init__(
        self,
        x_test,
        y_test,
        target: float = TARGET_ACCURACY,
        budget: float = 60.0,
        target_budget: float | None = None,
        eval_every: float = EVAL_EVERY,
    ):
        import keras
        import tensorflow as tf

        if len(x_test) != len(y_test):
            raise ValueError(
                f"x_test has {len(x_test)} digits but y_test has {len(y_test)} labels"
            )
        self._keras_callback = keras.callbacks.Callback
        self.x_test = x_test
        self.y_test = y_test
        # Made once: the held-out digits as tensors in pieces of EVAL_CHUNK, and (per
        # model) one traced evaluation step that takes a piece per call. Iterating a
        # tf.data pipeline instead cost several times the forward pass itself at every
        # measurement.
        x_all = tf.convert_to_tensor(x_test, tf.float32)
        y_all = tf.convert_to_tensor(y_test, tf.int64)
        self._test_tensors = [
            (x_all[start : start + EVAL_CHUNK], y_all[start : start + EVAL_CHUNK])
            for start in range(0, len(x_test), EVAL_CHUNK)
        ]
        self._evaluate_step = None
        self.target = target
        self.budget = budget
        self.target_budget = max(budget, target_budget or budget)
        self.eval_every = eval_every
        self.curve: list[tuple[float, float]] = []
        self.time_to_target: float | None = None

    def start(self) -> None:
        self._start = time.perf_counter()
        self._paused = 0.0
        self._next_eval = self.eval_every

    def elapsed(self) -> float:
        return time.perf_counter() - self._start - self._paused

    def check(self, model) -> bool:
        """Evaluate if it is time; return True when training should stop."""
        seconds = self.elapsed()
        if seconds >= self._next_eval or seconds >= self.budget:
            self.measure(model, seconds)
            every = self.eval_every
            if self.time_to_target is not None:
                every = max(every, EVAL_EVERY_AFTER_TARGET)
            self._next_eval = seconds + every
        reached = self.time_to_target is not None
        return seconds >= self.target_budget or (seconds >= self.budget and reached)

    def measure(self, model, seconds: float) -> None:
        """Record the held-out accuracy of ``model`` after ``seconds`` of training."""
        from course_lib.train import EvaluateStep, averaged_weights
        from course_lib.train.loop import _evaluate_with

        began = time.perf_counter()
        if self._evaluate_step is None or self._evaluate_step.model is not model:
            self._evaluate_step = EvaluateStep(model)  # traced once, reused every time
        # A recipe whose optimizer averages the weights is judged by that average.
        with averaged_weights(model):
            accuracy = _evaluate_with(self._evaluate_step, self._test_tensors)[
                "accuracy"
            ]
        self.curve.append((seconds, accuracy))
        if self.time_to_target is None and accuracy >= self.target:
            self.time_to_target = seconds
        self._paused += time.perf_counter() - began

    def best_within(self, seconds: float) -> float | None:
        """Best accuracy measured at or before ``seconds`` of training."""
        values = [a for s, a in self.curve if s <= seconds]
        return max(values) if values else None

    def callback(self):
        """This clock as a ``keras.callbacks.Callback`` for ``model.fit``/``cl.train.fit``."""
        clock = self

        class _Clock(self._keras_callback):
            def on_train_begin(self, logs=None):
                clock.start()

            def on_train_batch_end(self, batch, logs=None):
                if clock.check(self.model):
                    self.model.stop_training = True

            def on_train_end(self, logs=None):
                clock.measure(self.model, clock.elapsed())

        return _Clock()


DIGITS_AND_LABELS = Examples(
    Images(("NHW", "NHWC"), channels=1, size=(28, 28)), Labels(10), channel_axis=True
)
"""A pair (images, labels): MNIST digits (N, 28, 28) or (N, 28, 28, 1), uint8 0-255 or
float 0-1, and one label 0-9 per digit; the digits come back (N, 28, 28, 1)."""


@checked(
    name=RECIPE,
    train=DIGITS_AND_LABELS,
    test=DIGITS_AND_LABELS,
    budget=SECONDS,
    target=Number(0.0, 1.0),
    target_budget=Optional(SECONDS),
    eval_every=SECONDS,
    seed=SEED,
    epochs=Optional(EPOCHS),
    callbacks=Callbacks(),
)
def race(
    name: str,
    train,
    test,
    budget: float = 60.0,
    target: float = TARGET_ACCURACY,
    target_budget: float | None = None,
    eval_every: float = 0.5,
    seed: int = 0,
    epochs: int | None = None,
    callbacks=None,
) -> dict:
    """Train recipe ``name`` on ``train`` and time it against held-out ``test``.

    ``train`` and ``test`` are ``(images, labels)``: MNIST digits as
    ``cl.images.prepare_images`` accepts them (uint8 0..255 or float 0..1: both train
    on the same 0..1 numbers) and their labels 0-9.

    Returns a dict with ``time_to_target`` (seconds of training until the held-out
    accuracy first reached ``target``, or None), ``best_accuracy`` (best held-out
    accuracy within ``budget`` seconds), ``final_accuracy``, ``seconds`` (training time
    used), ``epochs`` and ``curve`` (a list of ``(seconds, accuracy)``).
    """
    import keras

    recipe = get(name)
    (x_train, y_train), (x_test, y_test) = train, test
    set_seed(seed)
    epochs = epochs or recipe.epochs
    steps_per_epoch = math.ceil(len(x_train) / recipe.batch_size)
    model = build(name, steps_per_epoch, epochs)
    clock = RaceClock(x_test, y_test, target, budget, target_budget, eval_every)
    if recipe.trainer == "step":  # a plain tf.function step, no model.fit machinery
        from course_lib.train import fit

        history = fit(
            model,
            (x_train, y_train),
            epochs=epochs,
            optimizer=model.optimizer,
            loss=keras.losses.SparseCategoricalCrossentropy(),
            batch_size=recipe.batch_size,
            callbacks=[clock.callback(), *(callbacks or ())],
            seed=seed,
        )
    else:
        history = model.fit(
            x_train,
            keras.utils.to_categorical(y_train, 10),
            batch_size=recipe.batch_size,
            epochs=epochs,
            verbose=0,
            callbacks=[clock.callback(), *(callbacks or ())],
        )
    return {
        "recipe": recipe.name,
        "time_to_target": clock.time_to_target,
        "best_accuracy": clock.best_within(budget),
        "final_accuracy": clock.curve[-1][1],
        "seconds": clock.curve[-1][0],
        "epochs": len(history.epoch),
        "curve": clock.curve,
        "model": model,
    }
