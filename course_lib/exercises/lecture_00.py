"""Exercises of lecture 00 (welcome): what a digit is made of."""

from __future__ import annotations

import numpy as np

from course_lib.exercises import Wrong, exercise


def _ink_cases():
    half = np.zeros((28, 28), dtype=np.uint8)
    half[:14] = 200
    edge = np.full((2, 2), 127, dtype=np.uint8)
    edge[0, 0] = 128
    return [
        ("a blank image", np.zeros((28, 28), dtype=np.uint8), 0.0),
        ("a black image", np.full((28, 28), 255, dtype=np.uint8), 1.0),
        ("the top half inked", half, 0.5),
        ("values 127 and 128 (only 128 is above 127)", edge, 0.25),
    ]


def _check_ink_fraction(function):
    if not callable(function):
        raise Wrong("give a function, e.g. def ink_fraction(image): ...")
    for name, image, expected in _ink_cases():
        got = function(image.copy())
        try:
            value = float(got)
        except (TypeError, ValueError):
            raise Wrong(f"for {name} it returned {got!r}, not a number") from None
        if not abs(value - expected) < 1e-9:
            hint = (
                " (a count, not a fraction: divide by the number of pixels)"
                if value > 1
                else ""
            )
            raise Wrong(
                f"for {name} it returned {value:g}, expected {expected:g}{hint}"
            )


exercise(
    "00.1",
    "How many pixels does one MNIST image have?",
    expected=lambda: 28 * 28,
    hints=(
        (28, "28 is one side of the image; count rows times columns."),
        (56, "28 + 28 adds the two sides; a grid has rows × columns pixels."),
    ),
)

exercise(
    "00.2",
    "How many different labels (classes) does MNIST have?",
    expected=lambda: 10,
    hints=((9, "the digits run from 0 to 9: count both ends."),),
)

exercise(
    "00.3",
    "Write ink_fraction(image): the fraction of pixels above 127.",
    checker=_check_ink_fraction,
    solution=lambda: lambda image: float((np.asarray(image) > 127).mean()),
    mistakes=(
        lambda image: float((np.asarray(image) >= 127).mean()),
        lambda image: int((np.asarray(image) > 127).sum()),
        "not a function",
    ),
)
