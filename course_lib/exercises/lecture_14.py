"""Exercises of lecture 14 (object detection): an IoU, a sliding-window count, the
anchors of a Region Proposal Network, and non-maximum suppression per class."""

from __future__ import annotations

import numpy as np

from course_lib.exercises import Wrong, exercise


def _reference_nms(boxes, scores, classes, threshold):
    from course_lib.detection import non_max_suppression

    kept = []
    for value in np.unique(classes):
        members = np.flatnonzero(classes == value)
        chosen = non_max_suppression(boxes[members], scores[members], threshold)
        kept.extend(members[chosen].tolist())
    return sorted((int(i) for i in kept), key=lambda i: -scores[i])


def _check_nms(function) -> None:
    if not callable(function):
        raise Wrong(
            "give a function, e.g. def nms_per_class(boxes, scores, classes, "
            "iou_threshold): ..."
        )
    rng = np.random.default_rng(14)
    # two classes on the same spot: neither may suppress the other
    pair = np.array(
        [[0, 0, 10, 10], [1, 1, 11, 11], [0, 1, 10, 11], [1, 0, 11, 10]], float
    )
    cases = [(pair, np.array([0.9, 0.8, 0.7, 0.6]), np.array([0, 1, 0, 1]), 0.5)]
    for count, threshold in [(6, 0.3), (25, 0.5), (40, 0.7)]:
        corner = rng.uniform(0, 50, (count, 2))
        boxes = np.concatenate([corner, corner + rng.uniform(5, 30, (count, 2))], 1)
        classes = rng.integers(0, 3, count)
        cases.append((boxes, rng.permutation(count) / count, classes, threshold))
    for boxes, scores, classes, threshold in cases:
        count = len(boxes)
        result = function(boxes, scores, classes, threshold)
        if result is None:
            raise Wrong("nms_per_class returned None: write its body")
        answer = [int(i) for i in np.asarray(result).reshape(-1)]
        expected = _reference_nms(boxes, scores, classes, threshold)
        if sorted(answer) == sorted(expected) and answer != expected:
            raise Wrong(
                f"for {count} boxes the right boxes are kept but in the wrong order: "
                "return them best score first, over all classes together"
            )
        if answer != expected:
            raise Wrong(
                f"for {count} boxes at IoU threshold {threshold} you keep {answer[:8]}"
                f"{'...' if len(answer) > 8 else ''}: within each class, take the boxes "
                "best score first and keep one unless its IoU with a box of the SAME "
                "class already kept is above the threshold"
            )


def _iou(a, b):
    height = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    width = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = height * width
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _greedy(boxes, scores, classes, iou_threshold, same_class=True):
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    kept = []
    for i in order:
        rivals = [k for k in kept if classes[k] == classes[i] or not same_class]
        if all(_iou(boxes[i], boxes[k]) <= iou_threshold for k in rivals):
            kept.append(i)
    return kept


def _nms_solution():
    def nms_per_class(boxes, scores, classes, iou_threshold):
        return _greedy(boxes, scores, classes, iou_threshold)

    return nms_per_class


def _ignores_classes(boxes, scores, classes, iou_threshold):
    return _greedy(boxes, scores, classes, iou_threshold, same_class=False)


def _grouped_by_class(boxes, scores, classes, iou_threshold):
    kept = _greedy(boxes, scores, classes, iou_threshold)
    return sorted(kept, key=lambda i: (classes[i], -scores[i]))


def _ascending(boxes, scores, classes, iou_threshold):
    return sorted(_greedy(boxes, scores, classes, iou_threshold))


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
    "Write nms_per_class(boxes, scores, classes, iou_threshold): non-maximum "
    "suppression in which a box is only suppressed by a kept box of the same class; "
    "return the indices of the kept boxes, best score first over all classes.",
    checker=_check_nms,
    solution=_nms_solution,
    mistakes=(
        _ignores_classes,
        _grouped_by_class,
        _ascending,
        "not a function",
    ),
)
