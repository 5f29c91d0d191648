"""Normalization layers of lecture 09, written out: batch normalization (training and
inference, the moving averages) and local response normalization."""

from __future__ import annotations

import numpy as np

from course_lib.core import check_number, choose
from course_lib.layers.outputs import _axis, _finite_array

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
