"""Exercises of lecture 12 (what convnets see): a receptive field after pooling, a
Grad-CAM weight by hand, and Grad-CAM's counterfactual map (Selvaraju et al. 2017)
written from feature maps and gradients."""

from __future__ import annotations

import numpy as np

from course_lib.exercises import Wrong, exercise


def _reference_grad_cam(maps, gradients, sign: float = 1.0):
    weights = sign * np.mean(gradients, axis=(0, 1))
    return np.maximum(np.tensordot(maps, weights, axes=([2], [0])), 0)


def _check_counterfactual(function) -> None:
    if not callable(function):
        raise Wrong(
            "give a function, e.g. def counterfactual_map(maps, gradients): ..."
        )
    rng = np.random.default_rng(12)
    for height, width, channels in [(3, 3, 1), (4, 5, 2), (20, 20, 32)]:
        maps = np.maximum(rng.normal(size=(height, width, channels)), 0)
        gradients = rng.normal(size=(height, width, channels))
        result = function(maps, gradients)
        if result is None:
            raise Wrong("counterfactual_map returned None: write its body")
        answer = np.asarray(result, dtype=float)
        expected = _reference_grad_cam(maps, gradients, sign=-1.0)
        if answer.shape != expected.shape:
            raise Wrong(
                f"for maps shaped {maps.shape} the map must be {expected.shape}, got "
                f"{answer.shape}"
            )
        if answer.min() < 0:
            raise Wrong(
                "it has negative values: the map ends with a ReLU, as Grad-CAM's"
            )
        if not np.allclose(answer, expected, atol=1e-6) and np.allclose(
            answer, _reference_grad_cam(maps, gradients), atol=1e-6
        ):
            raise Wrong(
                "that is the ordinary Grad-CAM map, the evidence FOR the class; the "
                "counterfactual map keeps the evidence against it"
            )
        if not np.allclose(answer, expected, atol=1e-6):
            raise Wrong(
                f"for maps shaped {maps.shape} the values differ: each channel's weight "
                "is the MEAN of its gradient over all positions (eq. 1 of the paper)"
            )


def _counterfactual_solution():
    def counterfactual_map(maps, gradients):
        weights = -gradients.mean(axis=(0, 1))
        return np.maximum((maps * weights).sum(axis=-1), 0)

    return counterfactual_map


def _plain_grad_cam(maps, gradients):
    return np.maximum((maps * gradients.mean(axis=(0, 1))).sum(axis=-1), 0)


def _no_relu(maps, gradients):
    return (maps * -gradients.mean(axis=(0, 1))).sum(axis=-1)


def _negated_after_relu(maps, gradients):
    return -np.maximum((maps * gradients.mean(axis=(0, 1))).sum(axis=-1), 0)


def _summed_weights(maps, gradients):
    return np.maximum((maps * -gradients.sum(axis=(0, 1))).sum(axis=-1), 0)


def _pixelwise(maps, gradients):
    return np.maximum((maps * -gradients).sum(axis=-1), 0)


exercise(
    "12.1",
    "The shipped MNIST convnet has conv1 and conv2 (5x5, stride 1), then pool (2x2, "
    "stride 2). Add a 3x3 convolution (stride 1) after pool: how many input pixels wide "
    "is the square that one position of its map sees (its receptive field)?",
    expected=lambda: 14,
    hints=(
        (12, "after pool, neighbouring positions are 2 input pixels apart, not 1"),
        (11, "pool widens the field too: 2x2 positions of conv2, one pixel apart"),
        (
            13,
            "pool adds 1 pixel (2 positions of conv2, 1 apart), then the 3x3 adds 2 x 2",
        ),
        (196, "the question asks for the side of the square, not its area"),
    ),
    hint="conv2 sees 9 pixels; pool adds 1; after pool one step is 2 pixels wide.",
)

exercise(
    "12.2",
    "A network ends in global average pooling and a dense layer: score = sum_k w_k * "
    "mean(A_k) over 20x20 maps A_k. For w_k = 0.8, what is Grad-CAM's channel weight "
    "alpha_k (the mean over the map of d score / d A_k)?",
    expected=lambda: 0.8 / 400,
    tolerance=1e-6,
    hints=(
        (0.8, "that is w_k; d mean(A_k) / d A_k(i, j) is 1/400 at every position"),
        (0.8 / 20, "the map has 20 x 20 = 400 positions, not 20"),
        (0.8 * 400, "the mean divides by the number of positions"),
    ),
    hint="differentiate the mean over 400 positions, then average the gradient.",
)

exercise(
    "12.3",
    "Write counterfactual_map(maps, gradients): from a feature map (h, w, K) and the "
    "class score's gradient with respect to it (h, w, K), return Grad-CAM's "
    "counterfactual map (h, w): the places whose removal would raise the score.",
    checker=_check_counterfactual,
    solution=_counterfactual_solution,
    mistakes=(
        _plain_grad_cam,
        _no_relu,
        _negated_after_relu,
        _summed_weights,
        _pixelwise,
        "not a function",
    ),
)
