"""Output layers of lecture 09, written out: softmax and sigmoid, and rotated digits
for a regression head."""

from __future__ import annotations

import numpy as np

from course_lib.core import SEED, Array, Images, Int, Number, Optional, checked

NUMBERS = Array(what="numbers")
"""Any array (or one number, or a list) of finite numbers, at least one."""

AXIS = Int(-32, 31)
"""An axis; negative counts from the end (checked against the array in the body)."""

# --------------------------------------------------------------------------------------
# Output layers: softmax and sigmoid
# --------------------------------------------------------------------------------------


def _axis(axis: int, ndim: int) -> int:
    """A declared ``axis`` that must name one of ``ndim`` axes."""
    ndim = max(ndim, 1)
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"axis must be from {-ndim} to {ndim - 1} for an array with {ndim} "
            f"axes, got {axis}"
        )
    return axis


@checked(z=NUMBERS, axis=AXIS)
def softmax(z, axis: int = -1) -> np.ndarray:
    """``exp(z_j) / sum_k exp(z_k)`` along ``axis``: positive outputs that sum to 1.

    The largest value is subtracted first (the result is the same, and ``exp`` cannot
    overflow).

    >>> softmax([1.2, 0.9, 0.4]).round(4)
    array([0.4566, 0.3383, 0.2052])
    """
    axis = _axis(axis, z.ndim)
    shifted = z - z.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


@checked(z=NUMBERS)
def sigmoid(z) -> np.ndarray:
    """``1 / (1 + exp(-z))`` for each value on its own (outputs need not sum to 1).

    >>> sigmoid([0.0]).tolist()
    [0.5]
    """
    # exp of a negative number only: no overflow for large |z|
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


# --------------------------------------------------------------------------------------
# Rotated digits, for a regression head
# --------------------------------------------------------------------------------------


@checked(
    images=Images(("NHW", "NHWC"), channels=1),
    max_angle=Number(0, 180),
    seed=Optional(SEED),
)
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

    images = images.reshape(images.shape[:3])
    angles = np.random.default_rng(seed).uniform(-max_angle, max_angle, len(images))
    rotated = np.zeros(images.shape, dtype=np.float32)
    for i, (image, angle) in enumerate(zip(images, angles, strict=True)):
        rotated[i] = ndimage.rotate(image, angle, reshape=False, order=1)
    return np.clip(rotated, 0, 1)[..., None], angles.astype(np.float32)
