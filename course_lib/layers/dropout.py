"""Dropout of lecture 09, written out: the random mask and inverted dropout."""

from __future__ import annotations

import math

import numpy as np

from course_lib.core import (
    SEED,
    Array,
    Bool,
    Int,
    Items,
    Number,
    OneOf,
    Optional,
    checked,
)
from course_lib.layers.normalization import _Because
from course_lib.layers.outputs import NUMBERS

RATE = _Because(
    Number(0, 0.999),
    "a rate of 1 drops every value, and dividing the kept ones by 1 - rate = 0 fails",
    lambda v: v >= 1,
)
"""The fraction of values dropped in training."""

MAX_MASK = 10**8
"""The most values one mask may have (800 MB of random numbers)."""

# --------------------------------------------------------------------------------------
# Dropout
# --------------------------------------------------------------------------------------


@checked(
    shape=OneOf(Int(0, MAX_MASK), Items(Int(0, MAX_MASK), 0, 32)),
    rate=RATE,
    seed=Optional(SEED),
)
def dropout_mask(shape, rate: float, seed: int | None = None) -> np.ndarray:
    """A boolean mask of ``shape``: True (kept) with probability ``1 - rate``."""
    sides = tuple(shape) if isinstance(shape, tuple) else (shape,)
    if math.prod(sides) > MAX_MASK:
        raise ValueError(
            f"shape must have at most {MAX_MASK:,} values in all, got {sides}"
        )
    return np.random.default_rng(seed).random(sides) >= rate


@checked(
    x=NUMBERS,
    rate=RATE,
    seed=Optional(SEED),
    mask=Optional(Array(low=0, high=1, what="a mask of True (kept) and False")),
    training=Bool(),
)
def dropout(
    x, rate: float, seed: int | None = None, mask=None, training: bool = True
) -> np.ndarray:
    """Inverted dropout, as ``keras.layers.Dropout``: in training, zero each value with
    probability ``rate`` and divide the kept ones by ``1 - rate`` (so the mean stays);
    at inference (``training=False``) return ``x`` unchanged.

    ``mask`` (True = kept) replaces the random draw, e.g. to reproduce a Keras output.
    """
    if not training:
        return x
    if mask is None:
        mask = dropout_mask(x.shape, rate, seed)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != x.shape:
        raise ValueError(f"mask must have the shape of x {x.shape}, got {mask.shape}")
    return np.where(mask, x / (1 - rate), 0.0)
