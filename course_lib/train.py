"""A training step written out with ``tf.GradientTape``, and a small ``fit`` loop around it.

The step runs three ways (``mode``):

- ``"eager"``: plain Python, op by op (easy to debug, slow);
- ``"tf_function"``: traced once into a TensorFlow graph by ``tf.function``;
- ``"xla"``: the graph compiled by XLA (``tf.function(jit_compile=True)``).

``fit`` calls the same Keras callback hooks as ``model.fit`` (``on_train_begin``,
``on_epoch_begin``, ``on_train_batch_end``, ``on_epoch_end(epoch, logs)`` with ``loss``,
``accuracy``, ``val_loss``, ``val_accuracy``, ``on_train_end``), so any
``keras.callbacks.Callback`` (a live plot, ``EarlyStopping``, ...) works with both.
Like ``model.fit`` it ends by giving the model its optimizer's moving average of the
weights when the optimizer keeps one (``use_ema=True``); ``averaged_weights`` lends the
model that average for a moment during training (to evaluate it).

Pass a ``tf.distribute.Strategy`` (and build the model and optimizer inside
``strategy.scope()``) and the same code trains data-parallel: each replica gets a slice of
every batch, computes its gradients, and the optimizer sums them across replicas before
updating the mirrored weights. ``MirroredStrategy`` does this on several GPUs of one
machine, ``MultiWorkerMirroredStrategy`` on several machines.

Example::

    model = keras.Sequential([...])
    history = cl.train.fit(model, (x_train, y_train), epochs=2, batch_size=128,
                           optimizer=keras.optimizers.Adam(1e-3),
                           validation_data=(x_test, y_test), mode="xla")
    history.history["val_accuracy"]
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

import numpy as np

from course_lib.core import check_int, show

MODES = ("eager", "tf_function", "xla")
"""How the step runs: op by op, as a traced graph, or compiled by XLA."""

MAX_BATCH = 65536
MAX_EPOCHS = 10_000


def _mode(mode) -> str:
    """One of ``MODES`` (any case), else a ValueError."""
    if isinstance(mode, str):
        for known in MODES:
            if mode.strip().casefold() == known:
                return known
    raise ValueError(f"mode must be one of {MODES}, got {show(mode)}")


def _check_model(model) -> None:
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a Keras model, got {show(model)}")


def _check_strategy(strategy) -> None:
    import tensorflow as tf

    if strategy is not None and not isinstance(strategy, tf.distribute.Strategy):
        raise ValueError(
            f"strategy must be a tf.distribute.Strategy (or None), got {show(strategy)}"
        )


def _is_sparse(loss) -> bool | None:
    """True for sparse categorical cross-entropy, False for the one-hot kind, else None."""
    import keras

    name = loss if isinstance(loss, str) else type(loss).__name__
    if isinstance(loss, keras.losses.Loss) or isinstance(loss, str):
        name = name.replace("_", "").casefold()
        if name == "sparsecategoricalcrossentropy":
            return True
        if name == "categoricalcrossentropy":
            return False
    return None


def _check_data(
    model, data, loss="sparse_categorical_crossentropy", name: str = "data"
):
    """Check ``(x, y)`` arrays against ``model`` before TensorFlow sees them.

    ``x`` must have the model's input shape (after the batch axis). For the
    cross-entropy losses, ``y`` must be one class label per example, an int from 0 to
    the number of outputs minus 1 (sparse), or one row of that many values per example
    (one-hot). Returns ``(x, y)`` as arrays (float32 and as given); a
    ``tf.data.Dataset`` is returned as it is. Each mistake is one ValueError that says
    what is wrong.
    """
    import tensorflow as tf

    if isinstance(data, tf.data.Dataset):
        return data
    if not (isinstance(data, tuple | list) and len(data) == 2):
        raise ValueError(f"{name} must be a tf.data.Dataset or a tuple (x, y)")
    x, y = data
    try:
        with np.errstate(over="ignore"):  # too large for float32: refused below
            x = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(f"x must be an array of numbers, got {show(x)}") from None
    try:
        y = np.asarray(y)
    except ValueError:
        y = np.asarray(y, dtype=object)
    if y.dtype.kind not in "biuf":
        raise ValueError(f"y must be an array of numbers, got {show(y)}")
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(
            f"x and y must have one entry per example, got shapes {x.shape} and {y.shape}"
        )
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} examples but y has {len(y)}")
    if len(x) == 0:
        raise ValueError(f"{name} has no examples")
    if not np.isfinite(x).all():
        raise ValueError(
            "x contains NaN, infinite values or numbers too big for float32"
        )
    if not isinstance(model, list) and getattr(model, "inputs", None):
        expected = tuple(model.inputs[0].shape[1:])
        if len(expected) != x.ndim - 1 or any(
            e is not None and e != n
            for e, n in zip(expected, x.shape[1:], strict=False)
        ):
            wanted = ", ".join("?" if e is None else str(e) for e in expected)
            raise ValueError(
                f"x must be shaped (N, {wanted}) for this model, got {x.shape}"
            )
    sparse = _is_sparse(loss)
    outputs = getattr(model, "outputs", None)
    classes = outputs[0].shape[-1] if outputs else None
    if sparse is None or classes is None:
        return x, y
    if sparse:
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        whole = y.dtype.kind in "biu" or (
            np.isfinite(y).all() and (y == np.round(y)).all()
        )
        if y.ndim != 1 or not whole:
            raise ValueError(
                f"y must be one whole-number class label per example (shape (N,)), "
                f"got shape {y.shape} of {y.dtype}"
            )
        low, high = int(y.min()), int(y.max())
        if low < 0 or high >= classes:
            raise ValueError(
                f"y has the label {low if low < 0 else high}, but the model has "
                f"{classes} outputs: labels must be 0 to {classes - 1}"
            )
    elif y.shape[1:] != (classes,):
        raise ValueError(
            f"y must be one-hot, shaped (N, {classes}) for this model's {classes} "
            f"outputs, got {y.shape}"
        )
    return x, y


def per_example_loss(loss) -> Callable:
    """A function ``(y_true, y_pred) -> one loss per example`` from a Keras loss.

    ``loss`` may be a name (``"sparse_categorical_crossentropy"``), a
    ``keras.losses.Loss`` object or such a function already.
    """
    import keras

    if isinstance(loss, str):
        try:
            function = keras.losses.get(loss)
        except (TypeError, ValueError):
            raise ValueError(
                f"loss must be a Keras loss name such as "
                f"'sparse_categorical_crossentropy', got {show(loss)}"
            ) from None
        if isinstance(function, keras.losses.Loss):
            return function.call
        return function
    if isinstance(loss, keras.losses.Loss):
        return loss.call  # the unreduced per-example values
    if callable(loss):
        return loss
    raise ValueError(f"loss must be a name, a keras Loss or a function, got {loss!r}")


def _count_correct(y_true, y_pred):
    """Number of examples whose arg-max prediction equals the label (sparse or one-hot)."""
    import tensorflow as tf

    predicted = tf.argmax(y_pred, axis=-1, output_type=tf.int64)
    if len(y_true.shape) == len(y_pred.shape):  # one-hot labels
        labels = tf.argmax(y_true, axis=-1, output_type=tf.int64)
    else:
        labels = tf.cast(tf.reshape(y_true, tf.shape(predicted)), tf.int64)
    return tf.reduce_sum(tf.cast(tf.equal(predicted, labels), tf.float32))


class TrainStep:
    """One optimization step on a batch, ``step(x, y) -> {"loss", "accuracy", "count"}``.

    Parameters
    ----------
    model, optimizer:
        A built Keras model and a Keras optimizer (both created inside
        ``strategy.scope()`` when a strategy is given).
    loss:
        Anything ``per_example_loss`` accepts.
    mode:
        ``"eager"``, ``"tf_function"`` or ``"xla"`` (see ``MODES``).
    strategy:
        A ``tf.distribute.Strategy``; ``x`` and ``y`` are then per-replica values from
        ``strategy.experimental_distribute_dataset``.

    The results are scalar tensors: the batch's mean loss and accuracy and its number of
    examples (the global batch under a strategy). ``traces`` counts how many times the
    Python body ran: once per trace under ``tf.function``, once per call when eager.
    """

    def __init__(
        self,
        model,
        optimizer,
        loss="sparse_categorical_crossentropy",
        mode: str = "tf_function",
        strategy=None,
    ):
        import keras
        import tensorflow as tf

        mode = _mode(mode)
        _check_model(model)
        _check_strategy(strategy)
        if not isinstance(optimizer, keras.optimizers.Optimizer):
            raise ValueError(
                f"optimizer must be a Keras optimizer, got {show(optimizer)}"
            )
        self.model = model
        self.optimizer = optimizer
        self.loss_function = per_example_loss(loss)
        self.mode = mode
        self.strategy = strategy
        self.traces = 0
        _build_optimizer(model, optimizer, strategy)

        _check_xla_devices(mode, strategy)
        self._gradients = self._compute_gradients
        replica_step = self._replica_step
        if mode == "xla" and strategy is None:
            replica_step = tf.function(replica_step, jit_compile=True)
        elif mode == "xla":
            # Under a strategy XLA compiles the forward and backward pass; the update,
            # which talks to the other replicas, stays outside the compiled function.
            self._gradients = tf.function(self._compute_gradients, jit_compile=True)
        self._step = _wrap(replica_step, mode, strategy)

    def _compute_gradients(self, x, y):
        """Loss and gradients on one replica's share of the batch; sums, not means."""
        import tensorflow as tf

        self.traces += 1  # a Python side effect: runs only while tracing
        model = self.model
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            losses = self.loss_function(y, y_pred)
            # Mean over the *global* batch: the optimizer sums the replicas' gradients.
            loss = tf.nn.compute_average_loss(losses)
            if model.losses:  # weight decay and other regularizers
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
        gradients = tape.gradient(loss, model.trainable_variables)
        count = tf.cast(tf.shape(losses)[0], tf.float32)
        sums = (tf.reduce_sum(losses), _count_correct(y, y_pred), count)
        return gradients, sums

    def _replica_step(self, x, y):
        """The step on one replica: gradients, then the (cross-replica) update."""
        gradients, sums = self._gradients(x, y)
        self.optimizer.apply_gradients(
            zip(gradients, self.model.trainable_variables, strict=True)
        )
        return sums

    def __call__(self, x, y) -> dict:
        loss_sum, correct, count = self._step(x, y)
        return {"loss": loss_sum / count, "accuracy": correct / count, "count": count}


class EvaluateStep:
    """Forward pass only: ``evaluate(x, y) -> {"loss", "accuracy", "count"}`` on a batch."""

    def __init__(
        self,
        model,
        loss="sparse_categorical_crossentropy",
        mode="tf_function",
        strategy=None,
    ):
        import tensorflow as tf

        mode = _mode(mode)
        _check_model(model)
        _check_strategy(strategy)
        self.model = model
        self.loss_function = per_example_loss(loss)
        self.mode = mode
        self.loss = loss
        self.strategy = strategy
        _check_xla_devices(mode, strategy)
        replica_step = self._replica_step
        if mode == "xla":
            replica_step = tf.function(replica_step, jit_compile=True)
        self._step = _wrap(replica_step, mode, strategy)

    def _replica_step(self, x, y):
        import tensorflow as tf

        y_pred = self.model(x, training=False)
        losses = self.loss_function(y, y_pred)
        count = tf.cast(tf.shape(losses)[0], tf.float32)
        return tf.reduce_sum(losses), _count_correct(y, y_pred), count

    def __call__(self, x, y) -> dict:
        loss_sum, correct, count = self._step(x, y)
        return {"loss": loss_sum / count, "accuracy": correct / count, "count": count}


def _wrap(replica_step: Callable, mode: str, strategy) -> Callable:
    """The whole step: on every replica under a strategy, traced unless eager."""
    import tensorflow as tf

    def step(x, y):  # a fresh function per step object: its own trace cache
        if strategy is None:
            return replica_step(x, y)
        sums = strategy.run(replica_step, args=(x, y))
        return [strategy.reduce("SUM", s, axis=None) for s in sums]

    return step if mode == "eager" else tf.function(step)


def _check_xla_devices(mode: str, strategy) -> None:
    """XLA has one host device: it cannot compile for several logical CPU replicas."""
    if mode != "xla" or strategy is None:
        return
    devices = list(getattr(strategy.extended, "worker_devices", ()))
    if len(devices) > 1 and all("CPU" in d.upper() for d in devices):
        raise ValueError(
            "XLA cannot compile for several logical CPU devices (they share one XLA "
            "host device); use mode='tf_function' with this strategy"
        )


def _build_optimizer(model, optimizer, strategy) -> None:
    """Create the model's and the optimizer's variables up front (not inside a graph)."""
    import contextlib

    if not model.built:
        raise ValueError(
            "build the model first: give it a keras.Input(shape=...) or call it once"
        )
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        if not optimizer.built:
            optimizer.build(model.trainable_variables)


def as_dataset(data, batch_size: int = 32, shuffle: bool = True, seed: int = 0):
    """A batched ``tf.data.Dataset`` from ``(x, y)`` arrays, or a dataset as it is.

    Arrays are converted to float32 (x) and kept as given (y); the order is reshuffled
    every epoch from a fixed ``seed``.
    """
    import tensorflow as tf

    if isinstance(batch_size, (int, np.integer)) and batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    batch_size = check_int(batch_size, "batch_size", 1, MAX_BATCH)
    seed = check_int(seed, "seed", 0)
    if isinstance(data, tf.data.Dataset):
        return data
    x, y = _check_data([], data, loss=None)  # shapes and numbers; no model to fit
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _mean(totals: dict) -> dict:
    count = max(totals["count"], 1.0)
    return {"loss": totals["loss"] / count, "accuracy": totals["accuracy"] / count}


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
        data = _check_data(step.model, data, step.loss)
    else:
        step = EvaluateStep(model, loss, mode, strategy)
        data = _check_data(model, data, loss)
    dataset = as_dataset(data, batch_size, shuffle=False)
    if strategy is not None:
        dataset = strategy.experimental_distribute_dataset(dataset)
    return _evaluate_with(step, dataset)


def _evaluate_with(step, dataset) -> dict:
    """Run an ``EvaluateStep`` over a dataset: loss and accuracy weighted by batch size."""
    totals = {"loss": 0.0, "accuracy": 0.0, "count": 0.0}
    for x, y in dataset:
        out = step(x, y)
        count = float(out["count"])
        totals["loss"] += float(out["loss"]) * count
        totals["accuracy"] += float(out["accuracy"]) * count
        totals["count"] += count
    return _mean(totals)


def check_callbacks(callbacks) -> list:
    """``callbacks`` as a list of Keras callbacks, or a ValueError saying what is wrong
    (the one check used by ``fit``, ``cl.dense`` and ``cl.recipes``)."""
    import keras

    if isinstance(callbacks, (str, bytes)) or not isinstance(callbacks, Sequence):
        raise ValueError(f"callbacks must be a list, got {show(callbacks)}")
    for callback in callbacks:
        if not isinstance(callback, keras.callbacks.Callback):
            raise ValueError(
                "callbacks must be keras.callbacks.Callback objects (such as "
                f"cl.widgets.LivePlot()), got {show(callback)}"
            )
    return list(callbacks)


def fit(
    model,
    data,
    epochs: int = 1,
    optimizer=None,
    loss="sparse_categorical_crossentropy",
    batch_size: int = 32,
    validation_data=None,
    callbacks: Sequence = (),
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
        ``tf.data.Dataset`` of ``(x, y)``.
    optimizer:
        A Keras optimizer; by default the model's compiled one, else Adam.
    validation_data:
        ``(x, y)`` or a dataset, evaluated at the end of every epoch.
    callbacks:
        ``keras.callbacks.Callback`` objects; setting ``model.stop_training = True`` in
        one of them stops after the current batch.
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

    if isinstance(epochs, (int, np.integer)) and epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    epochs = check_int(epochs, "epochs", 1, MAX_EPOCHS)
    verbose = check_int(verbose, "verbose", 0, 2)
    mode = _mode(mode)
    _check_model(model)
    _check_strategy(strategy)
    per_example_loss(loss)
    data = _check_data(model, data, loss)
    if validation_data is not None:
        validation_data = _check_data(model, validation_data, loss, "validation_data")
    check_callbacks(callbacks)
    if isinstance(optimizer, str):
        try:
            optimizer = keras.optimizers.get(optimizer)
        except ValueError:
            raise ValueError(
                f"optimizer must be a Keras optimizer or its name (such as 'adam'), "
                f"got {show(optimizer)}"
            ) from None
    if optimizer is None:
        optimizer = getattr(model, "optimizer", None)
        if optimizer is None:
            import contextlib

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
        list(callbacks),
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
    import keras

    _check_model(model)
    if optimizer is None:
        optimizer = getattr(model, "optimizer", None)
    elif not isinstance(optimizer, keras.optimizers.Optimizer):
        raise ValueError(
            f"optimizer must be a Keras optimizer or None, got {show(optimizer)}"
        )
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


def benchmark_train_step(
    build_model: Callable,
    batch_size: int = 128,
    modes: Sequence[str] = MODES,
    repeat: int = 5,
    min_seconds: float = 0.3,
    seed: int = 0,
) -> dict[str, float]:
    """Seconds per training step of a fresh ``build_model()`` in each mode.

    One batch of random 28x28x1 images and labels is used; warm-up calls pay for
    tracing and compiling outside the timing (see ``cl.kernels.time_call``).
    """
    import keras
    import tensorflow as tf

    from course_lib.kernels import check_timing, time_call
    from course_lib.zoo import _no_arguments

    _no_arguments(build_model, "build_model")
    batch_size = check_int(batch_size, "batch_size", 1, 4096)
    repeat, min_seconds, _ = check_timing(repeat, min_seconds)
    seed = check_int(seed, "seed", 0)
    if isinstance(modes, str):
        modes = (modes,)
    try:
        modes = [_mode(mode) for mode in modes]
    except TypeError:
        raise ValueError(
            f"modes must be a list of {MODES}, got {show(modes)}"
        ) from None
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.random((batch_size, 28, 28, 1), dtype=np.float32))
    y = tf.constant(rng.integers(0, 10, batch_size))
    results = {}
    for mode in modes:
        keras.utils.set_random_seed(seed)
        model = build_model()
        _check_model(model)
        _check_data(model, (x[:1], y[:1]), "sparse_categorical_crossentropy")
        step = TrainStep(model, keras.optimizers.SGD(0.01), mode=mode)
        results[mode] = time_call(
            lambda step=step: step(x, y)["loss"],
            repeat=repeat,
            min_seconds=min_seconds,
            warmup=2,
        )
    return results
