"""Exercises of lecture 07 (inside the convnet): what conv2 costs, the slides' figure,
and a softmax that never overflows."""

from __future__ import annotations

import numpy as np

from course_lib import conv
from course_lib.exercises import Wrong, exercise


def _conv2_multiply_adds() -> int:
    from course_lib.architectures import multiply_adds
    from course_lib.zoo import slides_convnet

    return multiply_adds(slides_convnet().get_layer("conv2"))


def _flatten_if_pooled_first() -> int:
    """conv1 -> pool -> conv2 -> Flatten, all 5x5 convolutions without padding."""
    side = conv.output_size(28, 5)  # conv1
    side = conv.output_size(side, 2, s=2)  # pool: the 12x12 maps of the slides' figure
    side = conv.output_size(side, 5)  # conv2
    return side * side * 32


def _reference_log_softmax(x):
    x = np.asarray(x, dtype=float)
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _log_softmax_cases():
    return [
        ("the slides' scores [1.2, 0.9, 0.4]", np.array([1.2, 0.9, 0.4])),
        (
            "a batch of two rows, [[1, 2, 3], [3, 2, 1]] (one answer per row)",
            np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]),
        ),
        ("large scores [1000, 999, 998] (exp overflows)", np.array([1000.0, 999, 998])),
        ("far-apart scores [0, -1000] (exp(-1000) is 0.0)", np.array([0.0, -1000.0])),
    ]


def _check_log_softmax(function):
    if not callable(function):
        raise Wrong("give a function, e.g. def log_softmax(x): ...")
    for name, x in _log_softmax_cases():
        expected = _reference_log_softmax(x)
        got = function(x.copy())
        if got is None:
            raise Wrong(f"for {name} it returned None: return the array")
        got = np.asarray(got, dtype=float)
        if got.shape != expected.shape:
            raise Wrong(
                f"for {name} the shape is {got.shape}, expected {expected.shape} "
                "(sum over the last axis only, keepdims=True)"
            )
        if not np.all(np.isfinite(got)):
            raise Wrong(
                f"for {name} it returned {np.round(got, 4)}: subtract the largest score "
                "first, and take the log of a sum, never of a tiny probability"
            )
        if not np.allclose(got, expected, atol=1e-6):
            hint = (
                " (one softmax per row: reduce over axis=-1 with keepdims=True)"
                if x.ndim > 1
                else ""
            )
            raise Wrong(
                f"for {name} it returned {np.round(got, 4).tolist()}, "
                f"expected {np.round(expected, 4).tolist()}{hint}"
            )


def _naive_log_softmax(x):
    with np.errstate(all="ignore"):
        return np.log(np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True))


def _log_of_stable_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    with np.errstate(divide="ignore"):
        return np.log(e / e.sum(axis=-1, keepdims=True))


def _sums_over_everything(x):
    shifted = x - x.max()
    return shifted - np.log(np.exp(shifted).sum())


exercise(
    "07.1",
    "How many weights (without biases) does the second convolution layer have?",
    expected=lambda: conv.conv_params(5, 5, 32, 32, bias=False),
    hints=(
        (conv.conv_params(5, 5, 32, 32), "without the 32 biases."),
        (5 * 5 * 32, "that is one filter; the layer has 32 of them."),
        (
            conv.conv_params(5, 5, 1, 32),
            "that is the first layer, on one gray channel.",
        ),
    ),
    hint="kh x kw x C_in x C_out: each filter spans all 32 maps of conv1.",
)

exercise(
    "07.2",
    "How many multiply-adds does conv2 do for one digit?",
    expected=_conv2_multiply_adds,
    hints=(
        (
            conv.conv_params(5, 5, 32, 32, bias=False),
            "every weight is used once at every output position.",
        ),
        (24 * 24 * 32 * 5 * 5 * 32, "conv2's output is 20x20, not its 24x24 input."),
        (
            20 * 20 * 32 * 5 * 5,
            "each output value sums over all 32 input maps: 5 x 5 x 32 products.",
        ),
    ),
    hint="output positions x filters x (5 x 5 x 32) products each.",
)

exercise(
    "07.3",
    "If the network pooled right after conv1 (conv1, pool, conv2), what would Flatten "
    "give?",
    expected=_flatten_if_pooled_first,
    hints=(
        (10 * 10 * 32, "that is the order of the slides' code: conv, conv, pool."),
        (
            12 * 12 * 32,
            "after pooling, the 12x12 maps still go through conv2, a 5x5 convolution "
            "without padding.",
        ),
    ),
    hint="28 -> conv1 -> pool -> conv2, then times 32 channels.",
)

exercise(
    "07.4",
    "Write log_softmax(x) over the last axis that stays finite for any finite scores.",
    checker=_check_log_softmax,
    solution=lambda: _reference_log_softmax,
    mistakes=(
        _naive_log_softmax,
        _log_of_stable_softmax,
        _sums_over_everything,
        "not a function",
    ),
)
