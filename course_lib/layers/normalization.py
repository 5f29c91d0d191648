"""Normalization layers of lecture 09, written out: batch normalization (training and
inference, the moving averages) and local response normalization."""

from __future__ import annotations

import numpy as np

from course_lib.core import Array, Choice, Constraint, Int, Number, checked
from course_lib.layers.outputs import AXIS, NUMBERS, _axis

BATCH = Array(ndim=(5, 4, 3, 2), what="a batch (N, ..., C), channels last")
"""A mini-batch: examples first, channels last."""

WITH_CHANNELS = Array(ndim=(5, 4, 3, 2, 1), what="an array with channels last")
"""Values with a channel axis (the last unless ``axis`` says otherwise)."""

PER_CHANNEL = Array(ndim=(1, 0), what="one number or one per channel")
"""A statistic or a parameter of BN: one number for all channels, or one each."""


class _Because(Constraint):
    """``inner``, and for a refused value that ``when(value)`` picks out, the reason
    why that value would go wrong, in the message."""

    def __init__(self, inner: Constraint, why: str, when):
        self.inner, self.why, self.when = inner, why, when

    def describe(self):
        return self.inner.describe()

    def convert(self, value, name):
        try:
            return self.inner.check(value, name)
        except ValueError as error:
            try:
                explained = not isinstance(value, (bool, str)) and bool(
                    self.when(np.asarray(value, dtype=float))
                )
            except (TypeError, ValueError):
                explained = False
            if not explained:
                raise
            raise ValueError(f"{error}: {self.why}") from None

    def example(self):
        return self.inner.example()

    def bad_values(self):
        return self.inner.bad_values()


# --------------------------------------------------------------------------------------
# Batch normalization
# --------------------------------------------------------------------------------------


@checked(x=BATCH, axis=AXIS)
def batch_statistics(x, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (biased, divide-by-m) variance of each channel over a mini-batch.

    ``x`` is channels-last, e.g. (N, features) or (N, H, W, C); the statistics are taken
    over every axis except ``axis`` (the channels), as ``keras.layers.BatchNormalization``
    does. Returns two arrays of shape (C,).
    """
    channel = _axis(axis, x.ndim) % x.ndim
    others = tuple(a for a in range(x.ndim) if a != channel)
    return x.mean(axis=others), x.var(axis=others)


def _channel_vector(value, x: np.ndarray, axis: int, what: str) -> np.ndarray:
    channels = x.shape[axis]
    value = np.asarray(value, dtype=float)  # a default (1.0, 0.0) is not converted
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


@checked(
    x=WITH_CHANNELS,
    mean=PER_CHANNEL,
    variance=_Because(
        Array(ndim=(1, 0), low=0, what="one number or one per channel"),
        "a variance is never negative (its square root divides)",
        lambda v: (v < 0).any(),
    ),
    gamma=PER_CHANNEL,
    beta=PER_CHANNEL,
    epsilon=Number(high=1.0, positive=True),
    axis=AXIS,
)
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
    axis = _axis(axis, x.ndim)
    mean = _channel_vector(mean, x, axis, "mean")
    variance = _channel_vector(variance, x, axis, "variance")
    gamma = _channel_vector(gamma, x, axis, "gamma")
    beta = _channel_vector(beta, x, axis, "beta")
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta


@checked(
    x=BATCH,
    gamma=PER_CHANNEL,
    beta=PER_CHANNEL,
    epsilon=Number(high=1.0, positive=True),
    axis=AXIS,
)
def batch_norm_training(
    x, gamma=1.0, beta=0.0, epsilon: float = 1e-3, axis: int = -1
) -> np.ndarray:
    """Batch normalization as in training: normalize with the batch's own statistics."""
    mean, variance = batch_statistics(x, axis)
    return batch_norm(x, mean, variance, gamma, beta, epsilon, axis)


@checked(moving=NUMBERS, batch_value=NUMBERS, momentum=Number(0, 1))
def update_moving(moving, batch_value, momentum: float = 0.99) -> np.ndarray:
    """One step of the moving average a BN layer keeps for inference:
    ``momentum * moving + (1 - momentum) * batch_value`` (Keras' default momentum 0.99)."""
    if moving.shape != batch_value.shape:
        raise ValueError(
            f"moving and batch_value must have the same shape (one value per channel), "
            f"got {moving.shape} and {batch_value.shape}"
        )
    return momentum * moving + (1 - momentum) * batch_value


# --------------------------------------------------------------------------------------
# Local response normalization
# --------------------------------------------------------------------------------------

LRN_CONVENTIONS = ("tensorflow", "caffe")
"""``tensorflow``: alpha times the sum of squares; ``caffe`` (also MATLAB and the
slides' formula): alpha divided by the window size ``2 * depth_radius + 1``."""


@checked(
    x=WITH_CHANNELS,
    depth_radius=Int(0, 10_000),
    bias=_Because(
        Number(high=1e6, positive=True),
        "with bias 0 or below, channels that are all zero divide by zero: NaN",
        lambda v: v <= 0,
    ),
    alpha=_Because(
        Number(0, 1e6),
        "a negative alpha can make bias + alpha * (sum of squares) zero or negative: "
        "a division by zero, or NaN",
        lambda v: v < 0,
    ),
    beta=Number(0, 100),
    convention=Choice(*LRN_CONVENTIONS),
)
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
