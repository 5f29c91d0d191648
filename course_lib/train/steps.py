"""One training (or evaluation) step written out with ``tf.GradientTape``, in three
modes and under an optional ``tf.distribute.Strategy`` (see :mod:`course_lib.train`)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from course_lib.core import checked
from course_lib.train.inputs import LOSS, MODE, MODEL, OPTIMIZER, STRATEGY


@checked(loss=LOSS)
def per_example_loss(loss) -> Callable:
    """A function ``(y_true, y_pred) -> one loss per example`` from a Keras loss.

    ``loss`` may be a name (``"sparse_categorical_crossentropy"``), a
    ``keras.losses.Loss`` object or such a function already.
    """
    import keras

    if isinstance(loss, str):
        loss = keras.losses.get(loss)
    if isinstance(loss, keras.losses.Loss):
        return loss.call  # the unreduced per-example values
    return loss


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

    @checked(model=MODEL, optimizer=OPTIMIZER, loss=LOSS, mode=MODE, strategy=STRATEGY)
    def __init__(
        self,
        model,
        optimizer,
        loss="sparse_categorical_crossentropy",
        mode: str = "tf_function",
        strategy=None,
    ):
        import tensorflow as tf

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
    """Forward pass only: ``evaluate(x, y) -> {"loss", "accuracy", "count", "correct"}``
    on a batch (``correct``: how many of its examples the model got right)."""

    @checked(model=MODEL, loss=LOSS, mode=MODE, strategy=STRATEGY)
    def __init__(
        self,
        model,
        loss="sparse_categorical_crossentropy",
        mode="tf_function",
        strategy=None,
    ):
        import tensorflow as tf

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
        return {
            "loss": loss_sum / count,
            "accuracy": correct / count,
            "count": count,
            "correct": correct,
        }


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
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
