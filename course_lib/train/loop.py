"""The loops around the step: ``fit`` (Keras' callback hooks, like ``model.fit``),
``evaluate``, the optimizer's moving average, and a benchmark of the step's modes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

import numpy as np

from course_lib.core import (
    SEED,
    Array,
    Bool,
    Callbacks,
    Choice,
    Function,
    Instance,
    Int,
    Items,
    Model,
    Number,
    OneOf,
    Optional,
    checked,
)
from course_lib.kernels import MAX_MIN_SECONDS, MAX_REPEAT
from course_lib.train.inputs import (
    DATA,
    LOSS,
    MAX_BATCH,
    MAX_EPOCHS,
    MODE,
    MODEL,
    MODES,
    OPTIMIZER,
    OPTIMIZER_NAMES,
    STRATEGY,
    _fit_model,
)
from course_lib.train.steps import EvaluateStep, TrainStep
from course_lib.zoo import BUILDER

BATCH_SIZE = Int(1, MAX_BATCH)


@checked(data=DATA, batch_size=BATCH_SIZE, shuffle=Bool(), seed=SEED)
def as_dataset(data, batch_size: int = 32, shuffle: bool = True, seed: int = 0):
    """A batched ``tf.data.Dataset`` from ``(x, y)`` arrays, or a dataset as it is.

    Image batches ``x`` (3 or 4 axes) follow the pixel convention (uint8 0-255 or float
    0-1, given as float32 0-1); other ``x`` become float32 (uint8 divided by 255); ``y``
    is kept as given. The order is reshuffled every epoch from a fixed ``seed``.
    """
    import tensorflow as tf

    if isinstance(data, tf.data.Dataset):
        return data
    x, y = data
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


MAX_ARRAY = 200_000_000
"""The most numbers ``array_batches`` takes in one array."""


INPUTS = Array(dtype="number", max_size=MAX_ARRAY, what="inputs (N, ...)")


@checked(
    x=OneOf(Items(INPUTS, 2, 16, split_arrays=False), INPUTS),
    y=Array(dtype="number", max_size=MAX_ARRAY, what="targets (N, ...)"),
    batch_size=BATCH_SIZE,
    shuffle=Bool(),
    seed=SEED,
    weight=Optional(
        OneOf(Function(), Array(dtype="number", max_size=MAX_ARRAY, what="weights"))
    ),
    pixels=Bool(),
)
def array_batches(
    x,
    y,
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int = 0,
    weight=None,
    pixels: bool = False,
):
    """Batches of the arrays ``x`` and ``y`` for ``model.fit``, cut when Keras asks.

    ``model.fit(x, y)`` first copies both arrays whole into TensorFlow (and
    ``tf.data.Dataset.from_tensor_slices`` does too); these batches are cut from the
    arrays one at a time, so the data sits in memory once. ``x`` is an array, or a
    tuple of arrays for a model with several inputs; every first axis has the same
    length. The order is reshuffled every epoch from a fixed ``seed``. ``weight``
    gives each example (or pixel) its weight in the loss, as ``sample_weight`` does:
    an array with one row per example, or a function of a batch of ``y``.

    The arrays keep their dtypes, except with ``pixels=True``: ``x`` (or its first
    array) holds pixels, and bytes 0..255 become float32 0..1 one batch at a time, so
    the whole set can stay in memory as bytes, a quarter of the floats' size.

    Example::

        model.fit(cl.train.array_batches(x_train, y_train, 32), epochs=3)
        model.fit(cl.train.array_batches((images, tokens), targets, pixels=True))
    """
    arrays = [*(x if isinstance(x, tuple) else (x,)), y]
    if weight is not None and not callable(weight):
        arrays.append(weight)
    if len({len(a) for a in arrays}) > 1:
        raise ValueError(
            "x, y (and weight) must have the same number of examples, got "
            + ", ".join(str(len(a)) for a in arrays)
        )
    return _array_batches_class()(x, y, batch_size, shuffle, seed, weight, pixels)


def _array_batches_class():
    import keras

    class ArrayBatches(keras.utils.PyDataset):
        """``array_batches``: a Keras ``PyDataset`` over arrays."""

        def __init__(self, x, y, batch_size, shuffle, seed, weight, pixels):
            super().__init__()
            self.y, self.batch_size, self.weight = y, batch_size, weight
            self.shuffle, self.rng = shuffle, np.random.default_rng(seed)
            self.several = isinstance(x, tuple)  # a tuple of inputs in every batch
            self.inputs = x if self.several else (x,)
            first = self.inputs[0]
            self.scale = (
                np.float32(255 if first.dtype.kind in "iu" else 1) if pixels else None
            )
            self.order = self._order()

        def _order(self):
            count = len(self.y)
            return self.rng.permutation(count) if self.shuffle else np.arange(count)

        def __len__(self):
            return -(-len(self.y) // self.batch_size)

        def __getitem__(self, index):
            start = index * self.batch_size
            rows = np.sort(self.order[start : start + self.batch_size])
            x = [a[rows] for a in self.inputs]
            if self.scale is not None:
                x[0] = x[0].astype(np.float32) / self.scale
            x = tuple(x) if self.several else x[0]
            y = self.y[rows]
            if self.weight is None:
                return x, y
            weight = self.weight(y) if callable(self.weight) else self.weight[rows]
            return x, y, weight

        def on_epoch_end(self):
            self.order = self._order()

    return ArrayBatches


def _mean(totals: dict) -> dict:
    count = max(totals["count"], 1.0)
    return {"loss": totals["loss"] / count, "accuracy": totals["accuracy"] / count}


@checked(
    model=OneOf(MODEL, Instance(EvaluateStep, "an EvaluateStep")),
    data=DATA,
    loss=LOSS,
    batch_size=BATCH_SIZE,
    mode=MODE,
    strategy=STRATEGY,
)
def evaluate(
    model,
    data,
    loss="sparse_categorical_crossentropy",
    batch_size: int = 256,
    mode: str = "tf_function",
    strategy=None,
) -> dict:
    """Mean loss and accuracy of ``model`` on ``data`` (``(x, y)`` arrays or a dataset).

    ``model`` may also be an :class:`EvaluateStep` made once: evaluating the same model
    again and again (every half second of a race, every epoch) then reuses its traced
    graph instead of tracing a new one each time; ``loss``, ``mode`` and ``strategy``
    are then the step's own.

    Example::

        cl.train.evaluate(model, (x_test, y_test))["accuracy"]
        step = cl.train.EvaluateStep(model)  # trace once ...
        cl.train.evaluate(step, (x_test, y_test))  # ... evaluate many times
    """
    if isinstance(model, EvaluateStep):
        step, strategy = model, model.strategy
        data = _fit_model(step.model, data, step.loss)
    else:
        step = EvaluateStep(model, loss, mode, strategy)
        data = _fit_model(model, data, loss)
    dataset = as_dataset(data, batch_size, shuffle=False)
    if strategy is not None:
        dataset = strategy.experimental_distribute_dataset(dataset)
    return _evaluate_with(step, dataset)


def _evaluate_with(step, dataset) -> dict:
    """Run an ``EvaluateStep`` over a dataset (or a list of ``(x, y)`` batches): the loss
    weighted by batch size, the accuracy from whole counts of examples right (a float32
    accuracy times its batch size can land a hair under the count: 970 of 1,000 would
    read 0.96999...)."""
    totals = {"loss": 0.0, "accuracy": 0.0, "count": 0.0}
    for x, y in dataset:
        out = step(x, y)
        count = float(out["count"])
        totals["loss"] += float(out["loss"]) * count
        totals["accuracy"] += float(out["correct"])
        totals["count"] += count
    return _mean(totals)


@checked(callbacks=Callbacks())
def check_callbacks(callbacks) -> list:
    """``callbacks`` (None, one Keras callback or a list of them) as a list. Kept for
    the modules that still call it; new code declares ``callbacks=Callbacks()``."""
    return callbacks


@checked(
    model=MODEL,
    data=DATA,
    epochs=Int(1, MAX_EPOCHS),
    optimizer=Optional(OneOf(Choice(*OPTIMIZER_NAMES), OPTIMIZER)),
    loss=LOSS,
    batch_size=BATCH_SIZE,
    validation_data=Optional(DATA),
    callbacks=Callbacks(),
    mode=MODE,
    strategy=STRATEGY,
    verbose=Int(0, 2),
    seed=SEED,
)
def fit(
    model,
    data,
    epochs: int = 1,
    optimizer=None,
    loss="sparse_categorical_crossentropy",
    batch_size: int = 32,
    validation_data=None,
    callbacks=None,
    mode: str = "tf_function",
    strategy=None,
    verbose: int = 0,
    seed: int = 0,
):
    """Train ``model`` with ``TrainStep``, calling Keras callbacks like ``model.fit``.

    Parameters
    ----------
    model:
        A built Keras model (created in ``strategy.scope()`` when a strategy is given).
    data:
        ``(x, y)`` arrays (batched by ``batch_size``, reshuffled each epoch) or a batched
        ``tf.data.Dataset`` of ``(x, y)``. Images ``x`` are uint8 0-255 or float 0-1
        (both train on the same 0-1 numbers); labels ``y`` are 0 to the number of
        outputs - 1 for ``sparse_categorical_crossentropy``, one-hot rows for
        ``categorical_crossentropy``.
    optimizer:
        A Keras optimizer; by default the model's compiled one, else Adam.
    validation_data:
        ``(x, y)`` or a dataset, evaluated at the end of every epoch.
    callbacks:
        None, a ``keras.callbacks.Callback`` or a list of them; setting
        ``model.stop_training = True`` in one of them stops after the current batch.
    mode, strategy:
        As in ``TrainStep``.
    verbose:
        1 shows Keras' progress bar.

    Returns
    -------
    keras.callbacks.History
        ``history.history`` maps ``"loss"``, ``"accuracy"`` (and ``"val_loss"``,
        ``"val_accuracy"``) to one value per epoch.
    """
    import keras

    data = _fit_model(model, data, loss)
    if validation_data is not None:
        validation_data = _fit_model(model, validation_data, loss, "validation_data")
    if isinstance(optimizer, str):
        optimizer = keras.optimizers.get(optimizer)
    if optimizer is None:
        optimizer = getattr(model, "optimizer", None)
        if optimizer is None:
            with strategy.scope() if strategy else contextlib.nullcontext():
                optimizer = keras.optimizers.Adam()
    dataset = as_dataset(data, batch_size, shuffle=True, seed=seed)
    steps = int(dataset.cardinality())
    steps = steps if steps > 0 else None
    if strategy is not None:
        dataset = strategy.experimental_distribute_dataset(dataset)
    step = TrainStep(model, optimizer, loss, mode, strategy)
    evaluate_step = None
    if validation_data is not None:
        validation = as_dataset(validation_data, 256, shuffle=False)
        if strategy is not None:
            validation = strategy.experimental_distribute_dataset(validation)
        evaluate_step = EvaluateStep(model, loss, mode, strategy)

    callback_list = keras.callbacks.CallbackList(
        list(callbacks or ()),
        add_history=True,
        add_progbar=verbose != 0,
        model=model,
        verbose=verbose,
        epochs=epochs,
        steps=steps,
    )
    model.stop_training = False
    callback_list.on_train_begin()
    logs: dict = {}
    for epoch in range(epochs):
        callback_list.on_epoch_begin(epoch)
        totals = {"loss": 0.0, "accuracy": 0.0, "count": 0.0}
        for batch, (x, y) in enumerate(dataset):
            callback_list.on_train_batch_begin(batch)
            out = step(x, y)
            count = float(out["count"])
            totals["loss"] += float(out["loss"]) * count
            totals["accuracy"] += float(out["accuracy"]) * count
            totals["count"] += count
            logs = _mean(totals)
            callback_list.on_train_batch_end(batch, logs)
            if model.stop_training:
                break
        logs = dict(_mean(totals))
        if evaluate_step is not None:
            val = _evaluate_with(evaluate_step, validation)
            logs.update({f"val_{k}": v for k, v in val.items()})
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    if getattr(optimizer, "use_ema", False):  # as model.fit does, before on_train_end
        optimizer.finalize_variable_values(model.trainable_variables)
    callback_list.on_train_end(logs)
    return model.history


@checked(model=MODEL, optimizer=Optional(OPTIMIZER))
def averaged_weights(model, optimizer=None):
    """Inside the ``with`` block ``model`` holds the moving average of its weights that
    its optimizer keeps (Polyak averaging: ``keras.optimizers.Adam(..., use_ema=True,
    ema_momentum=0.9)``); its own weights come back on exit. Training at a high
    learning rate makes the weights jump about; their average is steadier, and often
    more accurate on held-out data, than the weights of the last step.

    ``optimizer`` defaults to the model's compiled one. An optimizer without an average
    (``use_ema=False``), or one that has taken no step yet, leaves the model as it is.

    Example::

        with cl.train.averaged_weights(model):
            cl.train.evaluate(model, (x_test, y_test))
    """
    if optimizer is None:
        optimizer = getattr(model, "optimizer", None)
    return _lend_average(optimizer)


@contextlib.contextmanager
def _lend_average(optimizer):
    # Keras keeps the averages beside the variables the optimizer was built for.
    averages = getattr(optimizer, "_model_variables_moving_average", None)
    if (
        not getattr(optimizer, "use_ema", False)
        or not averages
        or int(optimizer.iterations) == 0
    ):
        yield
        return
    pairs = [
        (variable, average)
        for variable, average in zip(
            optimizer._trainable_variables, averages, strict=True
        )
        if average is not None
    ]
    saved = [variable.numpy() for variable, _ in pairs]
    try:
        for variable, average in pairs:
            variable.assign(average)
        yield
    finally:
        for (variable, _), value in zip(pairs, saved, strict=True):
            variable.assign(value)


@checked(
    build_model=BUILDER,
    batch_size=Int(1, 4096),
    modes=Items(MODE, 1, len(MODES)),
    repeat=Int(1, MAX_REPEAT),
    min_seconds=Number(0, MAX_MIN_SECONDS),
    seed=SEED,
)
def benchmark_train_step(
    build_model: Callable,
    batch_size: int = 128,
    modes: Sequence[str] = MODES,
    repeat: int = 5,
    min_seconds: float = 0.3,
    seed: int = 0,
) -> dict[str, float]:
    """Seconds per training step of a fresh ``build_model()`` in each mode.

    One batch of random 28x28x1 images and labels 0-9 is used, so ``build_model`` must
    return a model for them; warm-up calls pay for tracing and compiling outside the
    timing (see ``cl.kernels.time_call``).
    """
    import keras
    import tensorflow as tf

    from course_lib.kernels import check_timing, time_call

    check_timing(repeat, min_seconds)  # their product, too, has a limit
    want = Model((28, 28, 1), (10,), what="a model for 28x28x1 digits and 10 classes")
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.random((batch_size, 28, 28, 1), dtype=np.float32))
    y = tf.constant(rng.integers(0, 10, batch_size))
    results = {}
    for mode in modes:
        keras.utils.set_random_seed(seed)
        model = want.check(build_model(), "the model build_model returns")
        step = TrainStep(model, keras.optimizers.SGD(0.01), mode=mode)
        results[mode] = time_call(
            lambda step=step: step(x, y)["loss"],
            repeat=repeat,
            min_seconds=min_seconds,
            warmup=2,
        )
    return results


@checked(
    model=MODEL,
    optimizer=OneOf(Choice(*OPTIMIZER_NAMES), OPTIMIZER),
)
def compile_for_classification(model, optimizer="adam") -> None:
    """Compile with sparse categorical cross-entropy and accuracy (labels are 0..9 ints).

    ``optimizer``: a Keras optimizer or its name (such as ``"adam"``).
    """
    import keras

    model.compile(
        optimizer=keras.optimizers.get(optimizer),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
