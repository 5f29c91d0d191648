"""Exercises of lecture 08 (making it fast): counting the work, retracing, and a
vectorized convolution of your own."""

from __future__ import annotations

import time

import numpy as np

from course_lib import conv, kernels
from course_lib.exercises import Wrong, exercise

SPEED_CASE = (64, 16)  # images of 28x28x1 and 3x3 filters for the timed case
SPEED_LIMIT_SECONDS = 0.5


def _multiply_adds() -> int:
    side = conv.output_size(28, 3)  # valid padding
    return side * side * 32 * (3 * 3 * 1)


def _conv_cases():
    rng = np.random.default_rng(8)
    image = np.array(
        [
            [0, 0, 5, 2, 1, 4],
            [3, 4, 1, 1, 1, 3],
            [6, 7, 1, 1, 1, 4],
            [8, 9, 2, 1, 5, 2],
            [2, 0, 0, 0, 2, 1],
            [6, 2, 2, 2, 2, 1],
        ],
        dtype=np.float32,
    )[None, :, :, None]
    edge = np.array([[1, 0, -1]] * 3, dtype=np.float32)[:, :, None, None]
    return [
        ("the slides' 6x6 image and vertical-edge kernel", image, edge),
        (
            "2 images of 7x5x3 and 4 filters of 2x3 (not square)",
            rng.standard_normal((2, 7, 5, 3)).astype(np.float32),
            rng.standard_normal((2, 3, 3, 4)).astype(np.float32),
        ),
        (
            "3 images of 9x9x2 and 5 filters of 3x3x2",
            rng.standard_normal((3, 9, 9, 2)).astype(np.float32),
            rng.standard_normal((3, 3, 2, 5)).astype(np.float32),
        ),
    ]


def _check_conv2d(function):
    if not callable(function):
        raise Wrong("give a function, e.g. def conv2d_im2col(images, kernels): ...")
    for name, images, bank in _conv_cases():
        expected = kernels.conv2d_naive(images, bank)
        got = function(images.copy(), bank.copy())
        if got is None:
            raise Wrong(f"for {name} it returned None: return the feature maps")
        got = np.asarray(got, dtype=float)
        if got.shape != expected.shape:
            raise Wrong(
                f"for {name} the output has shape {got.shape}, expected "
                f"{expected.shape} = (N, H - KH + 1, W - KW + 1, F)"
            )
        if not np.allclose(got, expected, atol=1e-3):
            flipped = kernels.conv2d_naive(images, bank[::-1, ::-1])
            hint = (
                " (the kernel is flipped: a convnet's 'convolution' does not flip it)"
                if np.allclose(got, flipped, atol=1e-3)
                else " (order each patch as (KH, KW, C), like kernels.reshape(-1, F))"
            )
            raise Wrong(f"for {name} the values differ from the loops{hint}")
    count, filters = SPEED_CASE
    images, bank = kernels.example_inputs(batch=count, filters=filters)
    start = time.perf_counter()
    function(images, bank)
    seconds = time.perf_counter() - start
    if seconds > SPEED_LIMIT_SECONDS:
        raise Wrong(
            f"{count} images of 28x28 into {filters} filters took {seconds:.2f} s, "
            f"more than {SPEED_LIMIT_SECONDS} s: no Python loop over the pixels"
        )


def _im2col_conv(images, bank):
    n, h, w, c = images.shape
    kh, kw, _, f = bank.shape
    windows = np.lib.stride_tricks.sliding_window_view(images, (kh, kw), axis=(1, 2))
    patches = windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, kh * kw * c)
    return (patches @ bank.reshape(-1, f)).reshape(n, h - kh + 1, w - kw + 1, f)


def _flipped(images, bank):
    return _im2col_conv(images, bank[::-1, ::-1].copy())


def _patches_in_the_wrong_order(images, bank):
    n, h, w, c = images.shape
    kh, kw, _, f = bank.shape
    windows = np.lib.stride_tricks.sliding_window_view(images, (kh, kw), axis=(1, 2))
    patches = windows.reshape(-1, kh * kw * c)  # (C, KH, KW): not the kernel's order
    return (patches @ bank.reshape(-1, f)).reshape(n, h - kh + 1, w - kw + 1, f)


def _right_but_slow(images, bank):
    time.sleep(SPEED_LIMIT_SECONDS + 0.1)
    return _im2col_conv(images, bank)


exercise(
    "08.1",
    "How many multiply-adds does the naive kernel do for one 28x28x1 image and 32 "
    "filters of 3x3 (valid padding)?",
    expected=_multiply_adds,
    hints=(
        (28 * 28 * 32 * 9, "with valid padding the output is smaller than the input."),
        (
            conv.output_size(28, 3) ** 2 * 32,
            "each output value needs 3 x 3 x 1 multiply-adds.",
        ),
        (conv.output_size(28, 3) ** 2 * 9, "and that for each of the 32 filters."),
    ),
    hint="output positions x filters x weights per filter.",
)

exercise(
    "08.2",
    "How many traces does scaled_sum(x_small, 0.5) make, called ten times with the "
    "same Python float?",
    expected=lambda: 1,
    hints=(
        (
            10,
            "the same Python value gives the same signature: TensorFlow reuses the "
            "graph it traced.",
        ),
        (0, "the first call has no graph yet: it traces."),
    ),
    hint="a new graph is traced only for a new input signature.",
)

exercise(
    "08.3",
    "Write conv2d_im2col(images, kernels) in NumPy: valid padding, stride 1, no loop "
    "over pixels.",
    checker=_check_conv2d,
    solution=lambda: _im2col_conv,
    mistakes=(
        _flipped,
        _patches_in_the_wrong_order,
        _right_but_slow,
        lambda images, bank: None,
        "not a function",
    ),
)
