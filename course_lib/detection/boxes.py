"""Boxes: IoU, non-maximum suppression, RoI pooling (Fast R-CNN) and anchors (Faster
R-CNN).

- ``iou`` / ``iou_matrix`` and ``non_max_suppression`` (greedy, equal to
  ``tf.image.non_max_suppression``);
- ``roi_pool`` (Fast R-CNN's RoI pooling, sampled as ``tf.image.crop_and_resize`` does)
  and ``roi_max_pool`` (Girshick's quantized original);
- ``anchor_shapes`` / ``anchor_boxes`` (3 scales x 3 ratios = 9 anchors per position).

Boxes are ``(y0, x0, y1, x1)`` in pixels, rows first, as TensorFlow writes them: ``y``
is the row, ``x`` the column, the box covers ``y0 <= row < y1`` and ``x0 <= col < x1``
and its area is ``(y1 - y0) * (x1 - x0)``. Where one box is wanted a list of four
numbers will do; where boxes are wanted, an array (N, 4).
"""

from __future__ import annotations

import numpy as np

from course_lib.core import Array, Int, Items, Number, OneOf, Optional, checked, show
from course_lib.detection._checks import SCORES, Boxes

MAX_ANCHORS = 2_000_000
"""The most anchors ``anchor_boxes`` makes (64 MB)."""
MAX_PAIRS = 10_000_000
"""The most box pairs ``iou_matrix`` compares at once (80 MB per intermediate array)."""
MAX_NMS = 20_000
"""The most boxes ``non_max_suppression`` takes (its time grows with boxes x kept)."""
FEATURE_MAP = Array(ndim=(3, 2), what="a feature map (H, W, C) or (H, W)")
OUTPUT_SIZE = OneOf(Int(1, 256), Items(Int(1, 256), 2, 2))
"""An int (a square grid) or (rows, cols)."""

# --------------------------------------------------------------------------------------
# IoU and non-maximum suppression
# --------------------------------------------------------------------------------------


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of boxes ``a`` (..., 4) and ``b`` (..., 4), broadcast against each other."""
    height = np.clip(
        np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None
    )
    width = np.clip(
        np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None
    )
    inter = height * width
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    empty = (area_a <= 0) | (area_b <= 0)
    return np.where(empty, 0.0, inter / np.where(empty, 1.0, union))


@checked(boxes_a=Boxes(empty=True), boxes_b=Boxes(empty=True))
def iou_matrix(boxes_a, boxes_b) -> np.ndarray:
    """IoU of every box of ``boxes_a`` (N, 4) with every box of ``boxes_b`` (M, 4): (N, M).

    Intersection over union = area(A and B) / (area(A) + area(B) - area(A and B)); 0
    when a box has no area (as TensorFlow does). At most ``MAX_PAIRS`` pairs.
    """
    pairs = len(boxes_a) * len(boxes_b)
    if pairs > MAX_PAIRS:
        raise ValueError(
            f"boxes_a and boxes_b make {pairs:,} pairs, at most {MAX_PAIRS:,}: "
            "compare fewer boxes at a time"
        )
    return _iou(boxes_a[:, None, :], boxes_b[None, :, :])


@checked(box_a=Boxes(), box_b=Boxes())
def iou(box_a, box_b):
    """IoU of two boxes (y0, x0, y1, x1): a float.

    Lists of boxes are paired up in order: N boxes with N boxes, or N boxes with one
    box, give the (N,) IoUs of the pairs. Other counts are refused (for every box of
    one list with every box of another, use ``iou_matrix``).

    >>> round(iou([0, 0, 10, 10], [5, 5, 15, 15]), 4)   # 25 / 175
    0.1429
    >>> iou([[0, 0, 10, 10], [0, 0, 5, 10]], [0, 0, 10, 10]).tolist()
    [1.0, 0.5]
    """
    if len(box_a) != len(box_b) and 1 not in (len(box_a), len(box_b)):
        raise ValueError(
            f"box_a and box_b must pair up: got {len(box_a)} boxes and {len(box_b)} "
            "(give one box, or the same number of boxes; for every pair of two lists "
            "use iou_matrix)"
        )
    values = _iou(box_a, box_b)
    return float(values[0]) if len(values) == 1 else values


@checked(
    boxes=Boxes(empty=True, max_count=MAX_NMS),
    scores=SCORES,
    iou_threshold=Number(0, 1),
    max_output=Optional(Int(0, 100_000)),
    score_threshold=Optional(Number()),
)
def non_max_suppression(
    boxes,
    scores,
    iou_threshold: float = 0.5,
    max_output: int | None = None,
    score_threshold: float | None = None,
) -> np.ndarray:
    """Greedy non-maximum suppression: indices of the kept boxes, best first.

    Drop the boxes scoring below ``score_threshold`` (None: keep all); then repeat:
    keep the best box left, and drop every box left whose IoU with it is *above*
    ``iou_threshold``. The same rule as ``tf.image.non_max_suppression`` (equal ties
    broken by index). NaN scores and thresholds are refused; at most ``MAX_NMS`` boxes.
    """
    if len(scores) != len(boxes):
        raise ValueError(
            f"scores must have one value per box ({len(boxes)}), got {len(scores)}"
        )
    limit = len(boxes) if max_output is None else max_output
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    if score_threshold is not None:
        order = [i for i in order if scores[i] >= score_threshold]
    kept: list[int] = []
    for index in order:
        if len(kept) >= limit:
            break
        overlaps = _iou(boxes[index], boxes[kept])
        if (overlaps <= iou_threshold).all():
            kept.append(index)
    return np.array(kept, dtype=np.int64)


# --------------------------------------------------------------------------------------
# Fast R-CNN: RoI pooling
# --------------------------------------------------------------------------------------


def _grid(output_size) -> tuple[int, int]:
    if isinstance(output_size, int):
        return output_size, output_size
    return output_size


def _bilinear(feature_map: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Values at real positions (ys[i], xs[j]): (len(ys), len(xs), C); 0 outside."""
    height, width = feature_map.shape[:2]
    y0 = np.floor(ys).astype(np.int64)
    x0 = np.floor(xs).astype(np.int64)
    dy = (ys - y0)[:, None, None]
    dx = (xs - x0)[None, :, None]
    y1 = np.minimum(y0 + 1, height - 1)
    x1 = np.minimum(x0 + 1, width - 1)
    yc, xc = np.clip(y0, 0, height - 1), np.clip(x0, 0, width - 1)
    top = feature_map[yc][:, xc] * (1 - dx) + feature_map[yc][:, x1] * dx
    bottom = feature_map[y1][:, xc] * (1 - dx) + feature_map[y1][:, x1] * dx
    values = top * (1 - dy) + bottom * dy
    inside = ((ys >= 0) & (ys <= height - 1))[:, None] & (
        (xs >= 0) & (xs <= width - 1)
    )[None, :]
    return np.where(inside[..., None], values, 0.0)


@checked(
    feature_map=FEATURE_MAP, boxes=Boxes(), output_size=OUTPUT_SIZE, samples=Int(1, 16)
)
def roi_pool(feature_map, boxes, output_size=(7, 7), samples: int = 2) -> np.ndarray:
    """RoI pooling: every box of a feature map to a fixed (rows, cols) grid, by max.

    Each box (y0, x0, y1, x1), in the map's pixel coordinates (y1, x1 included), is
    sampled bilinearly on a grid of ``rows * samples`` by ``cols * samples`` evenly spread
    points from corner to corner (as ``tf.image.crop_and_resize``; points outside the
    map count 0), and each block of ``samples * samples`` points gives the max. Returns
    (N, rows, cols, C).
    """
    if feature_map.ndim == 2:
        feature_map = feature_map[..., None]
    rows, cols = _grid(output_size)
    out = np.empty((len(boxes), rows, cols, feature_map.shape[2]))
    for n, (y0, x0, y1, x1) in enumerate(boxes):
        count_y, count_x = rows * samples, cols * samples
        ys = y0 + np.arange(count_y) * ((y1 - y0) / (count_y - 1) if count_y > 1 else 0)
        xs = x0 + np.arange(count_x) * ((x1 - x0) / (count_x - 1) if count_x > 1 else 0)
        if count_y == 1:
            ys = np.array([(y0 + y1) / 2])
        if count_x == 1:
            xs = np.array([(x0 + x1) / 2])
        grid = _bilinear(feature_map, ys, xs)
        blocks = grid.reshape(rows, samples, cols, samples, -1)
        out[n] = blocks.max(axis=(1, 3))
    return out


@checked(
    feature_map=FEATURE_MAP, boxes=Boxes(), output_size=OUTPUT_SIZE, samples=Int(1, 16)
)
def roi_pool_tf(feature_map, boxes, output_size=(7, 7), samples: int = 2) -> np.ndarray:
    """The same as ``roi_pool`` in TensorFlow: ``tf.image.crop_and_resize`` to
    (rows * samples, cols * samples), then ``tf.nn.max_pool2d`` with a
    ``samples``-wide window and stride."""
    import tensorflow as tf

    if feature_map.ndim == 2:
        feature_map = feature_map[..., None]
    rows, cols = _grid(output_size)
    height, width = feature_map.shape[:2]
    scale = np.array([max(height - 1, 1), max(width - 1, 1)] * 2, dtype=np.float64)
    crops = tf.image.crop_and_resize(
        feature_map[None].astype(np.float32),
        (boxes / scale).astype(np.float32),
        tf.zeros(len(boxes), tf.int32),
        (rows * samples, cols * samples),
        method="bilinear",
        extrapolation_value=0.0,
    )
    return tf.nn.max_pool2d(crops, samples, samples, "VALID").numpy()


@checked(feature_map=FEATURE_MAP, boxes=Boxes(), output_size=OUTPUT_SIZE)
def roi_max_pool(feature_map, boxes, output_size=(7, 7)) -> np.ndarray:
    """Girshick's original RoI max pooling (Fast R-CNN, 2015, section 2.1).

    The box (y0, x0, y1, x1), rounded to whole cells (y1, x1 included), is cut into
    rows x cols sub-windows of about (h / rows) x (w / cols) cells, bounds rounded down
    at the start and up at the end; each gives the max of its cells. Every box must lie
    inside the map (cells 0 to H - 1 and 0 to W - 1).
    """
    if feature_map.ndim == 2:
        feature_map = feature_map[..., None]
    rows, cols = _grid(output_size)
    height, width = feature_map.shape[:2]
    cells = np.round(boxes).astype(np.int64)
    outside = (cells[:, :2] < 0).any(axis=1) | (cells[:, 2] > height - 1)
    outside |= cells[:, 3] > width - 1
    if outside.any():
        k = int(np.flatnonzero(outside)[0])
        raise ValueError(
            f"boxes must lie inside the {height} x {width} feature map (rows 0 to "
            f"{height - 1}, columns 0 to {width - 1}, y1 and x1 included), got box {k} "
            f"= {show(boxes[k].tolist())} (in image pixels? divide by the stride)"
        )
    out = np.zeros((len(boxes), rows, cols, feature_map.shape[2]))
    for n, (y0, x0, y1, x1) in enumerate(cells):
        bin_h = (y1 - y0 + 1) / rows
        bin_w = (x1 - x0 + 1) / cols
        for i in range(rows):
            top = y0 + int(np.floor(i * bin_h))
            bottom = max(y0 + int(np.ceil((i + 1) * bin_h)), top + 1)
            for j in range(cols):
                left = x0 + int(np.floor(j * bin_w))
                right = max(x0 + int(np.ceil((j + 1) * bin_w)), left + 1)
                out[n, i, j] = feature_map[top:bottom, left:right].max(axis=(0, 1))
    return out


# --------------------------------------------------------------------------------------
# Faster R-CNN: anchors
# --------------------------------------------------------------------------------------

SCALES = Items(Number(0, 100_000, positive=True), max_length=100)
RATIOS = Items(Number(0.01, 100), max_length=100)


@checked(scales=SCALES, ratios=RATIOS)
def anchor_shapes(scales=(128, 256, 512), ratios=(0.5, 1.0, 2.0)) -> np.ndarray:
    """(height, width) of each anchor: area scale**2, height / width = ratio, as in
    Ren et al. (2015, "Faster R-CNN"): 3 scales x 3 ratios = 9 anchors.

    ``scales`` and ``ratios`` are lists (ratios from 0.01 to 100)."""
    return np.array(
        [(s * np.sqrt(r), s / np.sqrt(r)) for s in scales for r in ratios],
        dtype=np.float64,
    )


@checked(
    feature_shape=Items(Int(1, 10_000), 2, 2),
    stride=Int(1, 10_000),
    scales=SCALES,
    ratios=RATIOS,
)
def anchor_boxes(
    feature_shape: tuple[int, int],
    stride: int = 16,
    scales=(128, 256, 512),
    ratios=(0.5, 1.0, 2.0),
) -> np.ndarray:
    """Every anchor of a Region Proposal Network: (H * W * len(scales) * len(ratios), 4).

    ``feature_shape`` is (rows, cols) of the feature map. Position (i, j) looks at the
    image point ((i + 0.5) * stride, (j + 0.5) * stride); each anchor shape is centred
    there. At most ``MAX_ANCHORS`` anchors.
    """
    rows, cols = feature_shape
    shapes = anchor_shapes(scales, ratios)
    if rows * cols * len(shapes) > MAX_ANCHORS:
        raise ValueError(
            f"feature_shape {rows} x {cols} with {len(shapes)} anchor shapes would make "
            f"{rows * cols * len(shapes):,} anchors, at most {MAX_ANCHORS:,}"
        )
    cy = (np.arange(rows) + 0.5) * stride
    cx = (np.arange(cols) + 0.5) * stride
    cy, cx = np.meshgrid(cy, cx, indexing="ij")
    centres = np.stack([cy.ravel(), cx.ravel()], axis=1)[:, None, :]
    half = shapes[None, :, :] / 2
    return np.concatenate([centres - half, centres + half], axis=2).reshape(-1, 4)
