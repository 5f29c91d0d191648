"""Output layers of lecture 09, written out: softmax and sigmoid, and rotated digits
for a regression head."""

from __future__ import annotations

import numpy as np

from course_lib.core import check_int

# --------------------------------------------------------------------------------------
# Output layers: softmax and sigmoid
# --------------------------------------------------------------------------------------


def _finite_array(values, what: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be numbers, got {values!r}") from None
    if array.size == 0 or not np.all(np.isfinite(array)):
        raise ValueError(f"{what} must be a non-empty array of finite numbers")
    return array


def _axis(axis, ndim: int) -> int:
    """``axis`` as an int that names one of ``ndim`` axes (negative counts from the end)."""
    return check_int(axis, "axis", -max(ndim, 1), max(ndim, 1) - 1)


def softmax(z, axis: int = -1) -> np.ndarray:
    """``exp(z_j) / sum_k exp(z_k)`` along ``axis``: positive outputs that sum to 1.

    The largest value is subtracted first (the result is the same, and ``exp`` cannot
    overflow).

    >>> softmax([1.2, 0.9, 0.4]).round(4)
    array([0.4566, 0.3383, 0.2052])
    """
    z = _finite_array(z, "z")
    axis = _axis(axis, z.ndim)
    shifted = z - z.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(z) -> np.ndarray:
    """``1 / (1 + exp(-z))`` for each value on its own (outputs need not sum to 1).

    >>> sigmoid([0.0]).tolist()
    [0.5]
    """
    z = _finite_array(z, "z")
    # exp of a negative number only: no overflow for large |z|
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


# --------------------------------------------------------------------------------------
# Rotated digits, for a regression head
# --------------------------------------------------------------------------------------


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

    from course_lib.images import to_unit_float
    from course_lib.layers.dropout import _rng

    images = to_unit_float(images, "images")
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"images must be (N, H, W), got shape {images.shape}")
    if not (isinstance(max_angle, (int, float)) and 0 <= max_angle <= 180):
        raise ValueError(f"max_angle must be from 0 to 180 degrees, got {max_angle!r}")
    angles = _rng(seed).uniform(-max_angle, max_angle, len(images))
    rotated = np.zeros(images.shape, dtype=np.float32)
    for i, (image, angle) in enumerate(zip(images, angles, strict=True)):
        rotated[i] = ndimage.rotate(image, angle, reshape=False, order=1)
    return np.clip(rotated, 0, 1)[..., None], angles.astype(np.float32)
