"""Exercises of lecture 04 (convolution by hand): output sizes, one window by hand,
counting filter weights, and a kernel of your own."""

from __future__ import annotations

import numpy as np

from course_lib.conv import conv2d, conv_params, kernel_preset, output_size
from course_lib.exercises import Wrong, exercise

SLIDE_IMAGE = np.array(
    [
        [0, 0, 5, 2, 1, 4],
        [3, 4, 1, 1, 1, 3],
        [6, 7, 1, 1, 1, 4],
        [8, 9, 2, 1, 5, 2],
        [2, 0, 0, 0, 2, 1],
        [6, 2, 2, 2, 2, 1],
    ]
)
"""The slides' 6x6 image (002), the notebook's ``image``."""

VALID = "valid padding loses kernel − 1 pixels."


def _shifted_right(image: np.ndarray) -> np.ndarray:
    """``image`` moved one pixel right; a column of zeros comes in on the left."""
    moved = np.zeros_like(image, dtype=float)
    moved[:, 1:] = image[:, :-1]
    return moved


def _shift_cases():
    rng = np.random.default_rng(4)
    dot = np.zeros((5, 5))
    dot[2, 2] = 1.0
    return [
        ("a single bright pixel in the middle of a 5x5 image", dot),
        ("the 6x6 ramp np.arange(36).reshape(6, 6)", np.arange(36.0).reshape(6, 6)),
        ("a random 5x7 image", rng.integers(0, 10, (5, 7)).astype(float)),
    ]


def _check_shift_kernel(kernel):
    try:
        kernel = np.asarray(kernel, dtype=float)
    except (TypeError, ValueError):
        raise Wrong(
            f"give a 3x3 list or array of numbers, not {type(kernel).__name__}"
        ) from None
    if kernel.shape != (3, 3):
        raise Wrong(f"the kernel has shape {kernel.shape}; give a 3x3 kernel")
    for name, image in _shift_cases():
        got = conv2d(image, kernel, padding="same")
        if np.allclose(got, _shifted_right(image)):
            continue
        moved_left = np.zeros_like(image)
        moved_left[:, :-1] = image[:, 1:]
        hint = ""
        if np.allclose(got, moved_left):
            hint = (
                ": it moves the image to the left. conv2d does not flip the kernel, "
                "so output[i, j] reads the input under each kernel cell; which input "
                "pixel should output[i, j] copy?"
            )
        elif np.allclose(got, image):
            hint = ": it leaves the image where it is (that is the identity kernel)"
        raise Wrong(
            f"on {name} the output is not the image moved one pixel right{hint}"
        )


exercise(
    "04.1",
    "The width of a 28x28 digit after a valid 3x3 convolution (stride 1).",
    expected=lambda: output_size(28, 3, 0, 1),
    hints=(
        (28, VALID + ' Keeping 28 needs padding="same".'),
        (27, VALID),
        (25, "valid padding loses kernel − 1 pixels, not a whole kernel's width."),
    ),
)

exercise(
    "04.2",
    "The top-left value when the Sobel kernel slides over the slides' 6x6 image.",
    expected=lambda: float(conv2d(SLIDE_IMAGE, kernel_preset("sobel"))[0, 0]),
    hints=(
        (
            float(conv2d(SLIDE_IMAGE, kernel_preset("sobel")[::-1, ::-1])[0, 0]),
            "that is the flipped kernel (the mathematicians' convolution); "
            "deep-learning convolution puts the kernel on the window as it is.",
        ),
        (
            float(conv2d(SLIDE_IMAGE, kernel_preset("vertical edge"))[0, 0]),
            "that is the vertical-edge kernel; Sobel weights its middle row by 2.",
        ),
    ),
    hint="multiply the top-left 3x3 window by the kernel, cell by cell, and add.",
)

exercise(
    "04.3",
    "How many weights (no biases) do 16 filters of size 3x3 have on an RGB image?",
    expected=lambda: conv_params(3, 3, 3, 16, bias=False),
    hints=(
        (3 * 3 * 16, "each filter spans all 3 colour channels: 3x3x3 weights."),
        (conv_params(3, 3, 3, 16), "count the weights only, without the 16 biases."),
        (3 * 3 * 3, "that is one filter; there are 16."),
    ),
)

exercise(
    "04.4",
    'Write a 3x3 kernel that, with padding="same", moves an image one pixel right.',
    checker=_check_shift_kernel,
    solution=lambda: [[0, 0, 0], [1, 0, 0], [0, 0, 0]],
    mistakes=(
        [[0, 0, 0], [0, 0, 1], [0, 0, 0]],  # moves it left
        kernel_preset("identity"),
        [[1, 0], [0, 0]],
        "a kernel",
    ),
)
