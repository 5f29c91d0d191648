"""Exercises of lecture 14 (object detection): an IoU, a sliding-window count, the
anchors of a Region Proposal Network, and non-maximum suppression written out."""

from __future__ import annotations

import numpy as np

from course_lib.exercises import Wrong, exercise


def _reference_nms(boxes, scores, threshold):
    from course_lib.detection import non_max_suppression

    return non_max_suppression(boxes, scores, threshold).tolist()


def _check_nms(function) -> None:
    if not callable(function):
        raise Wrong("give a function, e.g. def nms(boxes, scores, iou_threshold): ...")
    rng = np.random.default_rng(14)
    # a chain: A overlaps B, B overlaps C, A and C do not touch; B is suppressed by A,
    # so it must not suppress C
    chain = np.array([[0, 12, 10, 22], [0, 0, 10, 10], [0, 6, 10, 16]], float)
    cases = [(chain, np.array([0.7, 0.9, 0.8]), 0.2)]
    for count, threshold in [(2, 0.5), (6, 0.3), (25, 0.5), (40, 0.7)]:
        corner = rng.uniform(0, 50, (count, 2))
        boxes = np.concatenate([corner, corner + rng.uniform(5, 30, (count, 2))], 1)
        cases.append((boxes, rng.permutation(count) / count, threshold))
    for boxes, scores, threshold in cases:
        count = len(boxes)
        result = function(boxes, scores, threshold)
        if result is None:
            raise Wrong("nms returned None: write its body")
        answer = [int(i) for i in np.asarray(result).reshape(-1)]
        expected = _reference_nms(boxes, scores, threshold)
        if sorted(answer) == sorted(expected) and answer != expected:
            raise Wrong(
                f"for {count} boxes the right boxes are kept but in the wrong order: "
                "return them best score first"
            )
        if answer != expected:
            raise Wrong(
                f"for {count} boxes at IoU threshold {threshold} you keep {answer[:8]}"
                f"{'...' if len(answer) > 8 else ''}: take the boxes best score first, "
                "keep one unless its IoU with a box ALREADY KEPT is above the threshold"
            )


def _iou(a, b):
    height = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    width = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = height * width
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _nms_solution():
    def nms(boxes, scores, iou_threshold):
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        kept = []
        for i in order:
            if all(_iou(boxes[i], boxes[k]) <= iou_threshold for k in kept):
                kept.append(i)
        return kept

    return nms


def _unsorted(boxes, scores, iou_threshold):
    kept = []
    for i in range(len(scores)):
        if all(_iou(boxes[i], boxes[k]) <= iou_threshold for k in kept):
            kept.append(i)
    return kept


def _against_all(boxes, scores, iou_threshold):
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    return [
        i
        for n, i in enumerate(order)
        if all(_iou(boxes[i], boxes[k]) <= iou_threshold for k in order[:n])
    ]


def _reversed_threshold(boxes, scores, iou_threshold):
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    kept = []
    for i in order:
        if all(_iou(boxes[i], boxes[k]) > iou_threshold for k in kept):
            kept.append(i)
    return kept


def _ascending(boxes, scores, iou_threshold):
    return sorted(_nms_solution()(boxes, scores, iou_threshold))


exercise(
    "14.1",
    "Boxes (y0, x0, y1, x1) = (0, 0, 10, 10) and (0, 5, 10, 15): what is their IoU?",
    expected=lambda: 50 / 150,
    tolerance=1e-3,
    hints=(
        (0.5, "that is the overlap over ONE box's area; divide by the union"),
        (50, "that is the overlap (intersection) in pixels; divide it by the union"),
        (150, "that is the union; IoU is the overlap divided by it"),
        (50 / 200, "the union counts the overlap once: 100 + 100 - 50"),
    ),
    hint="overlap = 10 x 5; union = area A + area B - overlap.",
)

exercise(
    "14.2",
    "A 64 x 64 window slides over a 256 x 256 image with a stride of 16 pixels, in "
    "both directions. How many windows are classified?",
    expected=lambda: 169,
    hints=(
        (256, "256 / 16 = 16 steps per side would let the window run off the image"),
        (144, "count the positions: (256 - 64) / 16 + 1 per side"),
        (13, "13 positions per side, but the window moves in both directions"),
        (16, "the window must stay inside: (256 - 64) / 16 + 1 per side"),
    ),
    hint="positions per side = (image - window) / stride + 1, squared.",
)

exercise(
    "14.3",
    "Faster R-CNN puts 3 scales x 3 aspect ratios of anchors at every position of a "
    "40 x 60 feature map. How many anchors are there?",
    expected=lambda: 40 * 60 * 9,
    hints=(
        (40 * 60, "that is one anchor per position; each position has 3 x 3 of them"),
        (9, "that is per position; multiply by the 40 x 60 positions"),
        (40 * 60 * 6, "3 scales x 3 ratios is 9 anchors, not 6"),
        (40 * 60 * 3, "3 scales x 3 ratios is 9 anchors, not 3"),
    ),
    hint="anchors = positions x scales x ratios.",
)

exercise(
    "14.4",
    "Write nms(boxes, scores, iou_threshold): greedy non-maximum suppression, returning "
    "the indices of the kept boxes, best score first.",
    checker=_check_nms,
    solution=_nms_solution,
    mistakes=(
        _unsorted,
        _against_all,
        _reversed_threshold,
        _ascending,
        "not a function",
    ),
)
