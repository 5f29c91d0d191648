"""Exercises of lecture 02 (neurons and gradient descent): step sizes, vanishing
products, He initialisation, and the chain rule for one neuron."""

from __future__ import annotations

import numpy as np

from course_lib.exercises import Wrong, exercise
from course_lib.neurons import activate, activation_slope


def _neuron_gradient(x, w, b, y):
    """dL/dw and dL/db of L = (sigmoid(x . w + b) - y)**2, by the chain rule."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    p = activate("sigmoid", x @ w + b)
    d_z = 2 * (p - y) * p * (1 - p)  # dL/dp times sigmoid'(z) = p (1 - p)
    return d_z * x, float(d_z)


def _gradient_cases():
    cases = [
        ([1.0, 2.0], [0.5, -0.25], 0.0, 1.0, ""),
        ([0.5, -1.0, 2.0], [1.0, 0.5, -0.5], 0.2, 0.0, ""),
        ([3.0], [2.0], -1.0, 0.5, " (a saturated neuron)"),
    ]
    return [
        (f"x = {x}, w = {w}, b = {b:g}, y = {y:g}{note}", x, w, b, y)
        for x, w, b, y, note in cases
    ]


def _why(got_w, x, w, b, y) -> str:
    """A hint aimed at the usual slips, found by comparing with their results."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    z = x @ w + b
    p = float(activate("sigmoid", z))
    slope = float(activation_slope("sigmoid", z))
    if np.allclose(got_w, 2 * (p - y) * x):
        return " (the chain rule also multiplies by the sigmoid's slope p (1 - p))"
    if np.allclose(got_w, (p - y) * slope * x):
        return " (the derivative of (p - y)² is 2 (p - y))"
    if np.allclose(got_w, -2 * (p - y) * slope * x):
        return " (check the sign: L grows when p moves away from y)"
    return ""


def _check_neuron_gradient(function):
    if not callable(function):
        raise Wrong("give a function, e.g. def neuron_gradient(x, w, b, y): ...")
    for name, x, w, b, y in _gradient_cases():
        expected_w, expected_b = _neuron_gradient(x, w, b, y)
        got = function(np.array(x), np.array(w), b, y)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise Wrong(f"for {name} it returned {got!r}; return (dL_dw, dL_db)")
        try:
            got_w = np.asarray(got[0], dtype=float)
            got_b = float(got[1])
        except (TypeError, ValueError):
            raise Wrong(f"for {name} it returned {got!r}, not numbers") from None
        if got_w.shape != expected_w.shape:
            raise Wrong(
                f"for {name} dL/dw has shape {got_w.shape}, expected "
                f"{expected_w.shape}: one slope per weight"
            )
        if not np.allclose(got_w, expected_w, atol=1e-9):
            raise Wrong(
                f"for {name} dL/dw is {np.round(got_w, 6).tolist()}, expected "
                f"{np.round(expected_w, 6).tolist()}{_why(got_w, x, w, b, y)}"
            )
        if not abs(got_b - expected_b) < 1e-9:
            raise Wrong(
                f"for {name} dL/db is {got_b:.6g}, expected {expected_b:.6g} "
                "(z = x . w + b, so dz/db = 1)"
            )


def _forgets_the_slope(x, w, b, y):
    p = activate("sigmoid", np.asarray(x) @ np.asarray(w) + b)
    return 2 * (p - y) * np.asarray(x), float(2 * (p - y))


def _forgets_the_two(x, w, b, y):
    d_w, d_b = _neuron_gradient(x, w, b, y)
    return d_w / 2, d_b / 2


exercise(
    "02.1",
    "On the bowl x², the smallest learning rate at which gradient descent stops "
    "converging.",
    expected=lambda: 1.0,
    hints=(
        (
            0.5,
            "at 0.5 one step lands exactly on the minimum: the fastest rate, not the "
            "limit. Where does |1 - 2 lr| reach 1?",
        ),
        (
            1.1,
            "1.1 diverges, but a smaller rate already stops converging: x then jumps "
            "between two points forever. Where is |1 - 2 lr| = 1?",
        ),
        (
            2.0,
            "with lr = 2 each step multiplies x by 1 - 2·2 = -3: solve 1 - 2 lr = -1.",
        ),
    ),
)

exercise(
    "02.2",
    "At most what factor of the gradient is left after 10 sigmoid layers "
    "(slopes only)?",
    expected=lambda: float(activation_slope("sigmoid", 0.0)) ** 10,
    tolerance=1e-9,
    hints=(
        (2.5, "the chain rule multiplies the 10 slopes; it does not add them."),
        (0.25, "that is one layer; there are 10 of them."),
        (0.5**10, "0.5 is the sigmoid's value at 0; its largest slope is smaller."),
    ),
    hint="multiply the sigmoid's largest slope by itself once per layer.",
)

exercise(
    "02.3",
    "The standard deviation of He-normal initial weights for a Dense layer with 128 "
    "inputs.",
    expected=lambda: float(np.sqrt(2 / 128)),
    tolerance=1e-3,
    hints=(
        (2 / 128, "2 / fan_in is the variance; the standard deviation is its root."),
        (
            float(np.sqrt(1 / 128)),
            "sqrt(1 / fan_in) keeps the signal through linear or tanh units; He "
            "doubles the variance because ReLU zeroes about half of the units.",
        ),
    ),
)

exercise(
    "02.4",
    "Write neuron_gradient(x, w, b, y): dL/dw and dL/db for "
    "L = (sigmoid(x·w + b) - y)².",
    checker=_check_neuron_gradient,
    solution=lambda: _neuron_gradient,
    mistakes=(_forgets_the_slope, _forgets_the_two, "not a function"),
)
