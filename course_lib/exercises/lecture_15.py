"""Exercises of lecture 15 (segmentation): the all-background baseline's mean IoU, the
U-Net's output size, a convolution as a matrix, and mean IoU by hand."""

from __future__ import annotations

import numpy as np

from course_lib.exercises import Wrong, exercise

# -- 15.1 and 15.2: closed ---------------------------------------------------------------


def _unet_side(side: int) -> int:
    from course_lib.segmentation import build_unet

    plan = build_unet(
        (side, side, 1), 2, filters=64, depth=4, padding="valid", shapes_only=True
    )
    return plan.output_shape[0]


exercise(
    "15.1",
    "A scene is 92 % background and holds three different digits. What is the mean IoU "
    "(over the 4 classes present) of the prediction 'everything is background'?",
    expected=lambda: 0.92 / 4,
    tolerance=1e-3,
    hints=(
        (0.92, "that is the pixel accuracy (and the background's IoU); average the IoU "
         "over all 4 classes present"),
        (0.92 / 11, "only the classes present count: background and three digits"),
        (0.0, "the background class is found perfectly: its IoU is 0.92 / 1, not 0"),
        (0.08, "that is the share of ink; what is the IoU of each class?"),
    ),
    hint="IoU of the background = 0.92 (all 92 % hit, 8 % false positives); each digit's "
    "IoU = 0 (never predicted); then the mean over the classes present.",
)  # fmt: skip

exercise(
    "15.2",
    "The paper's U-Net (depth 4, valid 3x3 convolutions) maps 572x572 to 388x388. What "
    "output side does a 252x252 input give?",
    expected=lambda: _unet_side(252),
    hints=(
        (
            252,
            "that would be 'same' padding; each valid 3x3 convolution trims 2 pixels",
        ),
        (68 + 4, "do not forget the two convolutions after the last concatenation"),
        (
            24,
            "that is the last encoder level (after its two convolutions), before the "
            "4th pooling; below it the bottom of the U goes 12 -> 8, and the expanding "
            "path grows it back",
        ),
        (
            28,
            "that is the last encoder level before its convolutions; keep going down "
            "to the bottom of the U, then back up",
        ),
        (8, "that is the bottom of the U (12 -> 8); the expanding path grows it back"),
        (12, "that is the bottom of the U before its two convolutions; keep going"),
    ),
    hint="Trace it level by level: each valid 3x3 convolution trims 2 pixels, each "
    "2x2 pooling halves the side, each up-convolution doubles it; or let "
    "build_unet((252, 252, 1), 2, filters=64, depth=4, padding='valid', "
    "shapes_only=True) trace it.",
)

# -- 15.3: a 1-D convolution as a matrix (open) -------------------------------------------


def _reference_matrix(kernel, n):
    kernel = np.asarray(kernel, dtype=float)
    out = n - len(kernel) + 1
    matrix = np.zeros((out, n))
    for i in range(out):
        matrix[i, i : i + len(kernel)] = kernel
    return matrix


def _check_matrix(function) -> None:
    if not callable(function):
        raise Wrong("give a function, e.g. def conv_matrix_1d(kernel, n): ...")
    for kernel, n in [
        ([1.0, 2.0, 3.0], 5),
        ([0.5, -1.0], 4),
        ([2.0], 3),
        ([1, 0, -1], 8),
    ]:
        result = function(np.array(kernel), n)
        if result is None:
            raise Wrong("conv_matrix_1d returned None: write its body")
        answer = np.asarray(result, dtype=float)
        expected = _reference_matrix(kernel, n)
        if answer.shape != expected.shape:
            raise Wrong(
                f"for a kernel of {len(kernel)} and n = {n} the matrix must be "
                f"{expected.shape} (one row per output, one column per input), got "
                f"{answer.shape}"
            )
        if not np.allclose(answer, expected):
            flipped = _reference_matrix(kernel[::-1], n)
            if np.allclose(answer, flipped):
                raise Wrong(
                    "the kernel is flipped: Keras' convolution slides the kernel as it "
                    "is (a cross-correlation)"
                )
            raise Wrong(
                f"for kernel {kernel} and n = {n} the matrix is wrong: row i holds the "
                "kernel starting at column i"
            )
    signal = np.arange(6.0)
    matrix = np.asarray(function(np.array([1.0, -1.0]), 6), dtype=float)
    if not np.allclose(matrix @ signal, -np.ones(5)):
        raise Wrong("C @ signal should be the sliding dot product")


def _matrix_solution():
    def conv_matrix_1d(kernel, n):
        out = n - len(kernel) + 1
        matrix = np.zeros((out, n))
        for i in range(out):
            matrix[i, i : i + len(kernel)] = kernel
        return matrix

    return conv_matrix_1d


def _flipped(kernel, n):
    return _reference_matrix(np.asarray(kernel)[::-1], n)


def _transposed(kernel, n):
    return _reference_matrix(kernel, n).T


def _square(kernel, n):
    matrix = np.zeros((n, n))
    for i in range(n):
        part = kernel[: n - i]
        matrix[i, i : i + len(part)] = part
    return matrix


exercise(
    "15.3",
    "Write conv_matrix_1d(kernel, n): the matrix C of the valid 1-D convolution (Keras' "
    "sliding dot product) of a length-n signal, shaped (n - len(kernel) + 1, n).",
    checker=_check_matrix,
    solution=_matrix_solution,
    mistakes=(_flipped, _transposed, _square, "not a function"),
)

# -- 15.4: mean IoU by hand (open) --------------------------------------------------------


def _reference_mean_iou(truth, prediction, num_classes):
    ious = []
    for c in range(num_classes):
        union = np.sum((truth == c) | (prediction == c))
        if union:
            ious.append(np.sum((truth == c) & (prediction == c)) / union)
    return float(np.mean(ious))


def _check_mean_iou(function) -> None:
    if not callable(function):
        raise Wrong(
            "give a function, e.g. def mean_iou_by_hand(truth, prediction, k): ..."
        )
    rng = np.random.default_rng(15)
    cases = [
        (np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 2),
        (
            np.array([[0, 0, 1, 1], [0, 2, 2, 1]]),
            np.array([[0, 1, 1, 1], [0, 2, 0, 0]]),
            4,
        ),
        (rng.integers(0, 3, (8, 8)), rng.integers(0, 3, (8, 8)), 11),
        (np.zeros((4, 4), int), np.zeros((4, 4), int), 3),
    ]
    for truth, prediction, num_classes in cases:
        result = function(truth, prediction, num_classes)
        if result is None:
            raise Wrong("mean_iou_by_hand returned None: write its body")
        expected = _reference_mean_iou(truth, prediction, num_classes)
        try:
            value = float(result)
        except (TypeError, ValueError):
            raise Wrong(f"return one number, got {result!r}") from None
        if not np.isfinite(value):
            raise Wrong(
                f"with {num_classes} classes some are absent from truth and prediction "
                "(0 / 0): leave them out of the mean instead of returning nan"
            )
        if abs(value - expected) > 1e-6:
            raise Wrong(
                f"for truth {truth.ravel()[:8].tolist()}... with {num_classes} classes "
                f"the mean IoU is wrong: IoU = TP / (TP + FP + FN) per class, averaged "
                "over the classes that appear in the truth or the prediction"
            )


def _mean_iou_solution():
    def mean_iou_by_hand(truth, prediction, num_classes):
        ious = []
        for c in range(num_classes):
            intersection = np.sum((truth == c) & (prediction == c))
            union = np.sum((truth == c) | (prediction == c))
            if union > 0:
                ious.append(intersection / union)
        return float(np.mean(ious))

    return mean_iou_by_hand


def _over_all_classes(truth, prediction, num_classes):
    total = 0.0
    for c in range(num_classes):
        union = np.sum((truth == c) | (prediction == c))
        total += np.sum((truth == c) & (prediction == c)) / union if union else 0.0
    return total / num_classes


def _dice(truth, prediction, num_classes):
    scores = []
    for c in range(num_classes):
        size = np.sum(truth == c) + np.sum(prediction == c)
        if size:
            scores.append(2 * np.sum((truth == c) & (prediction == c)) / size)
    return float(np.mean(scores))


def _pixel_accuracy(truth, prediction, num_classes):
    return float(np.mean(truth == prediction))


exercise(
    "15.4",
    "Write mean_iou_by_hand(truth, prediction, num_classes): the mean over the classes "
    "present (in truth or prediction) of TP / (TP + FP + FN).",
    checker=_check_mean_iou,
    solution=_mean_iou_solution,
    mistakes=(_over_all_classes, _dice, _pixel_accuracy, "not a function"),
)
