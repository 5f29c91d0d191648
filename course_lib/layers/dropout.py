"""Dropout of lecture 09, written out: the random mask and inverted dropout."""

from __future__ import annotations

import math

import numpy as np

from course_lib.core import check_int, show
from course_lib.layers.outputs import _finite_array

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
