"""Sliding windows: how many windows a sliding-window detector must classify."""

from __future__ import annotations

import numpy as np

from course_lib.core import Int, Items, Number, checked

MAX_SIDE = 1_000_000
"""The largest image side or window side counted (pixels)."""


@checked(size=Int(1, MAX_SIDE), window=Int(1, MAX_SIDE), stride=Int(1, MAX_SIDE))
def window_count(size: int, window: int, stride: int) -> int:
    """Positions of a ``window`` sliding with ``stride`` along ``size`` pixels
    (``(size - window) // stride + 1``; 0 when the window does not fit).

    >>> window_count(512, 64, 16)
    29
    """
    return _count(size, window, stride)


@checked(
    image_shape=Items(Int(1, MAX_SIDE), 2, 2),
    window_sizes=Items(Int(1, MAX_SIDE), max_length=100),
    aspect_ratios=Items(Number(0.01, 100), max_length=100),
    stride_fraction=Number(0, 1, positive=True),
)
def sliding_window_count(
    image_shape: tuple[int, int],
    window_sizes=(64,),
    aspect_ratios=(1.0,),
    stride_fraction: float = 0.25,
) -> int:
    """Windows a sliding-window detector classifies on one image.

    Parameters
    ----------
    image_shape : (height, width) of the image in pixels.
    window_sizes : a list of window sides ``s`` (each window's area is ``s * s``).
    aspect_ratios : a list of ratios ``r`` = height / width, as for ``anchor_shapes``
        (0.01 to 100): the window is ``s * sqrt(r)`` high and ``s / sqrt(r)`` wide,
        rounded.
    stride_fraction : each window slides by this fraction of its own height and width.

    >>> sliding_window_count((512, 512), (64,), (1.0,), 0.25)
    841
    """
    height, width = image_shape
    total = 0
    for size in window_sizes:
        for ratio in aspect_ratios:
            box_h = max(1, round(size * np.sqrt(ratio)))
            box_w = max(1, round(size / np.sqrt(ratio)))
            step_h = max(1, round(box_h * stride_fraction))
            step_w = max(1, round(box_w * stride_fraction))
            total += _count(height, box_h, step_h) * _count(width, box_w, step_w)
    return total


def _count(size: int, window: int, stride: int) -> int:
    return 0 if window > size else (size - window) // stride + 1
