"""Exercises of lecture 05 (pooling and receptive fields)."""

from __future__ import annotations

import numpy as np

from course_lib import conv
from course_lib.exercises import Wrong, exercise

# conv3, pool2, conv3, pool2, conv3 as (kernel size, stride) pairs
_STACK = [(3, 1), (2, 2), (3, 1), (2, 2), (3, 1)]


def _pool_cases():
    rng = np.random.default_rng(5)
    slide = conv.SLIDE_FEATURE_MAP
    negative = -rng.integers(1, 10, size=(4, 6))
    return [
        ("the slide map, size 2, stride 2", slide, 2, 2),
        ("the slide map, size 2, stride 1 (windows overlap)", slide, 2, 1),
        ("the slide map, size 3, stride 3 (a window that does not fit)", slide, 3, 3),
        ("a 4x6 map of negative numbers, size 2, stride 2", negative, 2, 2),
        ("a 7x7 map, size 3, stride 2", rng.integers(-9, 10, size=(7, 7)), 3, 2),
    ]


def _check_max_pool(function):
    if not callable(function):
        raise Wrong(
            "give a function, e.g. def max_pool(feature_map, size, stride): ..."
        )
    for name, feature_map, size, stride in _pool_cases():
        expected = conv.pool2d(feature_map, size, stride=stride)
        got = function(feature_map.copy(), size, stride)
        if got is None:
            raise Wrong(f"for {name} it returned None: return the pooled map")
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            raise Wrong(f"for {name} it returned {got!r}, not an array") from None
        if got.shape != expected.shape:
            if stride != size and got.shape == conv.pool2d(feature_map, size).shape:
                hint = " (a window starts every `stride` pixels, not every `size`)"
            elif got.size < expected.size:
                hint = (
                    " (the last window that fits starts at row H - size: "
                    "range(0, H - size + 1, stride))"
                )
            else:
                hint = " (keep only the windows that fit entirely)"
            raise Wrong(
                f"for {name} the output has shape {got.shape}, "
                f"expected {expected.shape}{hint}"
            )
        wrong = np.argwhere(~np.isclose(got, expected))
        if len(wrong):
            r, c = wrong[0]
            hint = (
                " (a running maximum that starts at 0 never goes below 0)"
                if expected[r, c] < 0 and got[r, c] == 0
                else ""
            )
            raise Wrong(
                f"for {name} output [{r}, {c}] is {got[r, c]:g}, "
                f"expected {expected[r, c]:g}{hint}"
            )


def _max_pool(feature_map, size, stride):
    feature_map = np.asarray(feature_map)
    rows = (feature_map.shape[0] - size) // stride + 1
    cols = (feature_map.shape[1] - size) // stride + 1
    out = np.empty((rows, cols), dtype=feature_map.dtype)
    for i in range(rows):
        for j in range(cols):
            top, left = i * stride, j * stride
            out[i, j] = feature_map[top : top + size, left : left + size].max()
    return out


def _ignores_stride(feature_map, size, stride):
    return _max_pool(feature_map, size, size)


def _drops_the_last_window(feature_map, size, stride):
    feature_map = np.asarray(feature_map)
    h, w = feature_map.shape
    return np.array(
        [
            [
                feature_map[i : i + size, j : j + size].max()
                for j in range(0, w - size, stride)
            ]
            for i in range(0, h - size, stride)
        ]
    )


def _starts_at_zero(feature_map, size, stride):
    out = _max_pool(feature_map, size, stride)
    return np.maximum(out, 0)


exercise(
    "05.1",
    "What shape does 3x3 max pooling with stride 3 give on the 4x4 slide map?",
    expected=lambda: conv.pool2d(conv.SLIDE_FEATURE_MAP, 3, stride=3).shape,
    hints=(
        (
            (2, 2),
            "a second window would need columns 3 to 5, but the map ends at column 3: "
            "a window that does not fit is dropped (the formula rounds down).",
        ),
        ((4, 4), "pooling shrinks the map: count where 3x3 windows moved by 3 fit."),
    ),
    hint="give (rows, columns) as a tuple, e.g. (3, 3).",
)

exercise(
    "05.2",
    "How many parameters does Conv2D(32, 3) have on a 28x28x1 MNIST digit?",
    expected=lambda: conv.conv_params(3, 3, 1, 32),
    hints=(
        (
            conv.conv_params(3, 3, 1, 32, bias=False),
            "each of the 32 filters has a bias too.",
        ),
        (
            conv.conv_params(3, 3, 3, 32),
            "an MNIST digit is gray: one input channel, not three.",
        ),
        (
            conv.conv_params(3, 3, 32, 32),
            "that is a layer with 32 input channels; the digit has one.",
        ),
        (
            26 * 26 * 32,
            "that counts the output values; the parameters do not depend on the "
            "image size.",
        ),
    ),
    hint="(kh * kw * C_in + 1) * C_out.",
)

exercise(
    "05.3",
    "What is the receptive field of conv3, pool2, conv3, pool2, conv3?",
    expected=lambda: conv.receptive_field(_STACK),
    hints=(
        (
            conv.receptive_field([(3, 1)] * 3),
            "the pooling layers count too: a 2x2 window widens the field, and its "
            "stride doubles the step of every layer above it.",
        ),
        (
            1 + sum(k - 1 for k, _ in _STACK),
            "after a stride-2 layer, neighbouring values are 2 input pixels apart: "
            "each later layer widens the field by (kernel - 1) times the jump.",
        ),
        (3 * 2 * 3 * 2 * 3, "fields grow by adding, not by multiplying."),
    ),
    hint="follow r -> r + (k - 1) * j and j -> j * s layer by layer, from r = j = 1.",
)

exercise(
    "05.4",
    "Write max_pool(feature_map, size, stride) for any stride, windows that fit only.",
    checker=_check_max_pool,
    solution=lambda: _max_pool,
    mistakes=(_ignores_stride, _drops_the_last_window, _starts_at_zero, "a string"),
)
