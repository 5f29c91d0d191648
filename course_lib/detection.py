"""Object detection (lecture 14): from sliding windows to Faster R-CNN, by hand.

- ``sliding_window_count``: how many windows a sliding-window detector must classify;
- ``selective_search``: region proposals as Uijlings et al. describe them (2013, "Selective
  Search for Object Recognition", IJCV 104): a Felzenszwalb over-segmentation
  (``skimage.segmentation.felzenszwalb``), then greedy hierarchical grouping by colour,
  texture, size and fill similarity, in several colour spaces;
- ``iou`` / ``iou_matrix`` and ``non_max_suppression`` (greedy, equal to
  ``tf.image.non_max_suppression``);
- ``roi_pool`` (Fast R-CNN's RoI pooling, sampled as ``tf.image.crop_and_resize`` does)
  and ``roi_max_pool`` (Girshick's quantized original);
- ``anchor_boxes`` (Faster R-CNN: 3 scales x 3 ratios = 9 anchors per position);
- a small face / non-face convnet on ``skimage.data.lfw_subset()``: ``face_data``,
  ``build_face_model``, ``score_boxes``, ``detect``, ``precision_recall``, and the
  shipped ``load_face_detector`` / ``load_proposal_scores``; ``cascade_faces`` runs
  scikit-image's LBP face cascade as a baseline.

Boxes are ``(y0, x0, y1, x1)`` in pixels, rows first, as TensorFlow writes them
(``tf.image.non_max_suppression``): ``y`` is the row, ``x`` the column, the box covers
``y0 <= row < y1`` and ``x0 <= col < x1`` and its area is ``(y1 - y0) * (x1 - x0)``.

Example::

    iou([0, 0, 10, 10], [5, 5, 15, 15])   # 25 / 175 = 0.142857...
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course_lib.core import check_floats, check_int, check_number, choose, show
from course_lib.data.registry import FILES_DIR

__all__ = [
    "window_count",
    "sliding_window_count",
    "COLOUR_SPACES",
    "SIMILARITIES",
    "Region",
    "Grouping",
    "initial_regions",
    "group_regions",
    "selective_search",
    "check_boxes",
    "iou",
    "iou_matrix",
    "non_max_suppression",
    "roi_pool",
    "roi_pool_tf",
    "roi_max_pool",
    "anchor_shapes",
    "anchor_boxes",
    "FACE_SIZE",
    "face_data",
    "build_face_model",
    "train_face_model",
    "hard_negatives",
    "face_shaped",
    "crop_boxes",
    "score_boxes",
    "Detections",
    "detect",
    "precision_recall",
    "cascade_faces",
    "load_face_boxes",
    "load_face_detector",
    "load_proposal_scores",
]

MAX_ANCHORS = 2_000_000
"""The most anchors ``anchor_boxes`` makes (64 MB)."""
DATASETS = FILES_DIR

# --------------------------------------------------------------------------------------
# Sliding windows
# --------------------------------------------------------------------------------------


def _is_pair(value) -> bool:
    """True for a list or tuple (or array) of two items."""
    try:
        return not isinstance(value, str | bytes) and len(value) == 2
    except TypeError:
        return False


def _check_model(model) -> None:
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a Keras model, got {show(model)}")


def window_count(size: int, window: int, stride: int) -> int:
    """Positions of a ``window`` sliding with ``stride`` along ``size`` pixels
    (``(size - window) // stride + 1``; 0 when the window does not fit)."""
    size = check_int(size, "size", 1)
    window = check_int(window, "window", 1)
    stride = check_int(stride, "stride", 1)
    return 0 if window > size else (size - window) // stride + 1


def sliding_window_count(
    image_shape: tuple[int, int],
    window_sizes=(64,),
    aspect_ratios=(1.0,),
    stride_fraction: float = 0.25,
) -> int:
    """Windows a sliding-window detector classifies on one image.

    Each window of side ``s`` (its area ``s * s``) in each aspect ratio ``r`` (height /
    width, as for ``anchor_shapes``; height ``s * sqrt(r)``, width ``s / sqrt(r)``,
    rounded) slides with a stride
    of ``stride_fraction`` of its own height and width.

    >>> sliding_window_count((512, 512), (64,), (1.0,), 0.25)
    841
    """
    if not _is_pair(image_shape):
        raise ValueError(
            f"image_shape must be (height, width), got {show(image_shape)}"
        )
    height = check_int(image_shape[0], "image height", 1)
    width = check_int(image_shape[1], "image width", 1)
    fraction = check_number(stride_fraction, "stride_fraction", 0, 1, positive=True)
    total = 0
    for size in window_sizes:
        size = check_int(size, "window size", 1)
        for ratio in aspect_ratios:
            ratio = check_number(ratio, "aspect ratio", positive=True)
            box_h = max(1, round(size * np.sqrt(ratio)))
            box_w = max(1, round(size / np.sqrt(ratio)))
            step_h = max(1, round(box_h * fraction))
            step_w = max(1, round(box_w * fraction))
            total += window_count(height, box_h, step_h) * window_count(
                width, box_w, step_w
            )
    return total


# --------------------------------------------------------------------------------------
# Selective search
# --------------------------------------------------------------------------------------

COLOUR_SPACES = ("rgb", "hsv", "lab")
SIMILARITIES = ("colour", "texture", "size", "fill")
COLOUR_BINS = 25  # per channel, as in Uijlings et al. (2013), section 3.2
TEXTURE_BINS = 10  # per orientation and channel
ORIENTATIONS = 8


def _to_colour_space(image: np.ndarray, space: str) -> np.ndarray:
    """The image in ``space``, each channel scaled to 0..1."""
    from skimage import color

    rgb = image.astype(np.float64) / 255.0
    if space == "rgb":
        return rgb
    if space == "hsv":
        return color.rgb2hsv(rgb)
    lab = color.rgb2lab(rgb)
    return np.stack(
        [lab[..., 0] / 100, (lab[..., 1] + 128) / 255, (lab[..., 2] + 128) / 255], -1
    )


def _texture_codes(channels: np.ndarray) -> np.ndarray:
    """For every pixel and channel, the bin of (orientation, gradient size): an int
    array (H, W, C) of codes in 0 .. ORIENTATIONS * TEXTURE_BINS - 1.

    A simplification of the paper's Gaussian derivatives (sigma 1, eight orientations,
    ten bins): Sobel gradients after a Gaussian blur, binned by direction and size.
    """
    from scipy import ndimage

    codes = np.empty(channels.shape, np.int64)
    for c in range(channels.shape[-1]):
        smooth = ndimage.gaussian_filter(channels[..., c], 1.0)
        gy = ndimage.sobel(smooth, axis=0)
        gx = ndimage.sobel(smooth, axis=1)
        angle = np.mod(np.arctan2(gy, gx), 2 * np.pi)
        direction = np.minimum(
            (angle / (2 * np.pi) * ORIENTATIONS).astype(np.int64), ORIENTATIONS - 1
        )
        magnitude = np.hypot(gx, gy)
        magnitude = magnitude / (magnitude.max() + 1e-12)
        size = np.minimum((magnitude * TEXTURE_BINS).astype(np.int64), TEXTURE_BINS - 1)
        codes[..., c] = direction * TEXTURE_BINS + size
    return codes


def _histograms(labels, values, bins, count) -> np.ndarray:
    """Per region, per channel histograms of integer ``values`` in 0..bins-1, each
    region's row L1-normalised (rows: regions, columns: channel-major bins)."""
    channels = values.shape[-1]
    flat_labels = labels.ravel()
    rows = []
    for c in range(channels):
        index = flat_labels * bins + values[..., c].ravel()
        rows.append(np.bincount(index, minlength=count * bins).reshape(count, bins))
    hist = np.concatenate(rows, axis=1).astype(np.float64)
    return hist / np.maximum(hist.sum(axis=1, keepdims=True), 1e-12)


@dataclass
class Region:
    """One region of the hierarchy: its box, size (pixels), histograms and the step of
    the grouping at which it was made (0 for the initial regions)."""

    box: tuple[int, int, int, int]
    size: int
    colour: np.ndarray = field(repr=False)
    texture: np.ndarray = field(repr=False)
    step: int = 0


@dataclass
class Grouping:
    """What ``group_regions`` returns.

    ``regions``: every region in the order made (the initial ones first, then one per
    merge); ``merges``: (i, j, similarity) per step; ``labels``: the initial
    segmentation; ``boxes`` (N, 4): each region's box, in the order made.
    """

    regions: list[Region]
    merges: list[tuple[int, int, float]]
    labels: np.ndarray = field(repr=False)

    @property
    def boxes(self) -> np.ndarray:
        return np.array([r.box for r in self.regions], dtype=np.float64).reshape(-1, 4)


def initial_regions(
    image: np.ndarray, scale: float = 100, sigma: float = 0.8, min_size: int = 50
) -> np.ndarray:
    """Felzenszwalb and Huttenlocher's (2004) graph-based over-segmentation, from
    scikit-image: an int label image, labels 0..n-1."""
    from skimage.segmentation import felzenszwalb

    image = _check_image(image)
    scale = check_number(scale, "scale", positive=True)
    sigma = check_number(sigma, "sigma", low=0)
    min_size = check_int(min_size, "min_size", 1, 10**6)
    labels = felzenszwalb(image, scale=scale, sigma=sigma, min_size=min_size)
    _, labels = np.unique(labels, return_inverse=True)
    return labels.reshape(image.shape[:2])


def _check_image(image) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 2:
        raise ValueError(
            "image must be an RGB photo shaped (H, W, 3), got shape "
            f"{getattr(image, 'shape', None)}"
        )
    if image.dtype != np.uint8:
        image = np.clip(np.asarray(image, dtype=np.float64), 0, 255).astype(np.uint8)
    return image


def _adjacent_pairs(labels: np.ndarray) -> set[tuple[int, int]]:
    """Pairs (i < j) of labels that touch (4-neighbourhood)."""
    pairs = set()
    for a, b in (
        (labels[:, :-1], labels[:, 1:]),
        (labels[:-1, :], labels[1:, :]),
    ):
        differ = a != b
        low = np.minimum(a[differ], b[differ])
        high = np.maximum(a[differ], b[differ])
        pairs.update(zip(low.tolist(), high.tolist(), strict=True))
    return pairs


def _similarity(a: Region, b: Region, image_size: int, use) -> float:
    """Sum of the chosen similarities, each in 0..1 (Uijlings et al. 2013, eq. 1-5)."""
    total = 0.0
    if "colour" in use:  # histogram intersection
        total += float(np.minimum(a.colour, b.colour).sum() / (a.colour.sum() or 1))
    if "texture" in use:
        total += float(np.minimum(a.texture, b.texture).sum() / (a.texture.sum() or 1))
    if "size" in use:  # small regions merge first
        total += 1.0 - (a.size + b.size) / image_size
    if "fill" in use:  # regions whose joint box they fill well merge first
        box = _union_box(a.box, b.box)
        box_size = (box[2] - box[0]) * (box[3] - box[1])
        total += 1.0 - (box_size - a.size - b.size) / image_size
    return total


def _union_box(a, b) -> tuple[int, int, int, int]:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _merge(a: Region, b: Region, step: int) -> Region:
    size = a.size + b.size
    return Region(
        box=_union_box(a.box, b.box),
        size=size,
        colour=(a.size * a.colour + b.size * b.colour) / size,
        texture=(a.size * a.texture + b.size * b.texture) / size,
        step=step,
    )


def group_regions(
    image: np.ndarray,
    labels: np.ndarray,
    colour_space: str = "hsv",
    similarities=SIMILARITIES,
) -> Grouping:
    """Selective search's greedy grouping of an over-segmentation ``labels``.

    Repeat until one region is left: find the two *adjacent* regions that are most
    similar (``_similarity``: a sum of the chosen ``similarities``), merge them into
    one (its histograms are the size-weighted mean of theirs, its box the union), and
    give the new region the neighbours of both.
    """
    image = _check_image(image)
    space = choose(colour_space, COLOUR_SPACES, "colour_space")
    use = tuple(similarities)
    if not use or any(s not in SIMILARITIES for s in use):
        raise ValueError(
            f"similarities must be a non-empty subset of {SIMILARITIES}, got {show(use)}"
        )
    labels = np.asarray(labels)
    if labels.shape != image.shape[:2] or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"labels must be an int array shaped {image.shape[:2]}, got "
            f"{labels.dtype} {labels.shape}"
        )
    _, labels = np.unique(labels, return_inverse=True)
    labels = labels.reshape(image.shape[:2])
    count = int(labels.max()) + 1
    channels = _to_colour_space(image, space)
    colour_values = np.minimum(
        (channels * COLOUR_BINS).astype(np.int64), COLOUR_BINS - 1
    )
    colour = _histograms(labels, colour_values, COLOUR_BINS, count)
    texture = _histograms(
        labels, _texture_codes(channels), ORIENTATIONS * TEXTURE_BINS, count
    )
    sizes = np.bincount(labels.ravel(), minlength=count)
    rows, cols = np.indices(labels.shape)
    flat = labels.ravel()
    y0 = np.full(count, labels.shape[0])
    x0 = np.full(count, labels.shape[1])
    np.minimum.at(y0, flat, rows.ravel())
    np.minimum.at(x0, flat, cols.ravel())
    y1 = np.zeros(count, np.int64)
    x1 = np.zeros(count, np.int64)
    np.maximum.at(y1, flat, rows.ravel() + 1)
    np.maximum.at(x1, flat, cols.ravel() + 1)
    regions = [
        Region(
            (int(y0[i]), int(x0[i]), int(y1[i]), int(x1[i])),
            int(sizes[i]),
            colour[i],
            texture[i],
        )
        for i in range(count)
    ]
    image_size = labels.size
    neighbours: dict[int, set[int]] = {i: set() for i in range(count)}
    similarity: dict[tuple[int, int], float] = {}
    for i, j in _adjacent_pairs(labels):
        neighbours[i].add(j)
        neighbours[j].add(i)
        similarity[(i, j)] = _similarity(regions[i], regions[j], image_size, use)
    merges = []
    while similarity:
        (i, j), value = max(similarity.items(), key=lambda item: (item[1], item[0]))
        new = len(regions)
        regions.append(_merge(regions[i], regions[j], len(merges) + 1))
        merges.append((i, j, value))
        around = (neighbours.pop(i) | neighbours.pop(j)) - {i, j}
        for k in list(similarity):
            if i in k or j in k:
                del similarity[k]
        neighbours[new] = around
        for k in around:
            neighbours[k] -= {i, j}
            neighbours[k].add(new)
            similarity[(k, new)] = _similarity(
                regions[k], regions[new], image_size, use
            )
    return Grouping(regions, merges, labels)


def selective_search(
    image: np.ndarray,
    colour_spaces=("rgb", "hsv", "lab"),
    scales=(100,),
    max_side: int = 128,
    min_size: int = 30,
    seed: int = 0,
) -> np.ndarray:
    """Region proposals for ``image`` (H, W, 3), as boxes (N, 4) in its pixels.

    The photo is shrunk so that its longer side is ``max_side`` (fast; set it to the
    image's size to work at full resolution). For each Felzenszwalb ``scale`` and each
    colour space, the regions are grouped with all four similarities; the boxes of all
    the hierarchies are pooled, ranked as Uijlings et al. do (a region's place in its
    hierarchy, counted from the top, times a seeded random number in 0..1, smallest
    first) and duplicates are dropped.
    """
    from skimage.transform import resize

    image = _check_image(image)
    max_side = check_int(max_side, "max_side", 16, 4096)
    seed = check_int(seed, "seed", 0)
    if not colour_spaces:
        raise ValueError(f"colour_spaces must name some of {COLOUR_SPACES}")
    factor = min(1.0, max_side / max(image.shape[:2]))
    small = image
    if factor < 1:
        shape = (
            max(2, round(image.shape[0] * factor)),
            max(2, round(image.shape[1] * factor)),
        )
        small = (
            (resize(image, shape, anti_aliasing=True) * 255).round().astype(np.uint8)
        )
    rng = np.random.default_rng(seed)
    boxes, ranks = [], []
    for scale in scales:
        labels = initial_regions(small, scale=scale, min_size=min_size)
        for space in colour_spaces:
            grouping = group_regions(small, labels, space)
            made = grouping.boxes
            # position in the hierarchy counted from the top: the last merge is 1
            place = np.arange(len(made), 0, -1, dtype=np.float64)
            boxes.append(made)
            ranks.append(place * rng.random(len(made)))
    boxes = np.concatenate(boxes)
    order = np.argsort(np.concatenate(ranks), kind="stable")
    scale_back = np.array(
        [
            image.shape[0] / small.shape[0],
            image.shape[1] / small.shape[1],
        ]
        * 2
    )
    boxes = np.round(boxes[order] * scale_back)
    _, first = np.unique(boxes, axis=0, return_index=True)
    return boxes[np.sort(first)]


# --------------------------------------------------------------------------------------
# IoU and non-maximum suppression
# --------------------------------------------------------------------------------------


def check_boxes(boxes, name: str = "boxes") -> np.ndarray:
    """``boxes`` as a float array (N, 4) of (y0, x0, y1, x1) with y0 <= y1, x0 <= x1."""
    array = check_floats(boxes, name)
    if array.ndim == 1 and array.shape[0] == 4:
        array = array[None]
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(
            f"{name} must be shaped (N, 4) as (y0, x0, y1, x1), got shape "
            f"{np.shape(boxes)}"
        )
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite numbers")
    if (array[:, 2] < array[:, 0]).any() or (array[:, 3] < array[:, 1]).any():
        raise ValueError(f"{name} must have y0 <= y1 and x0 <= x1 (y0, x0, y1, x1)")
    return array


def iou_matrix(boxes_a, boxes_b) -> np.ndarray:
    """IoU of every box of ``boxes_a`` (N, 4) with every box of ``boxes_b`` (M, 4): (N, M).

    Intersection over union = area(A and B) / (area(A) + area(B) - area(A and B)); 0
    when a box has no area (as TensorFlow does).
    """
    a = check_boxes(boxes_a, "boxes_a")
    b = check_boxes(boxes_b, "boxes_b")
    height = np.clip(
        np.minimum(a[:, None, 2], b[None, :, 2])
        - np.maximum(a[:, None, 0], b[None, :, 0]),
        0,
        None,
    )
    width = np.clip(
        np.minimum(a[:, None, 3], b[None, :, 3])
        - np.maximum(a[:, None, 1], b[None, :, 1]),
        0,
        None,
    )
    inter = height * width
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    empty = (area_a[:, None] <= 0) | (area_b[None, :] <= 0)
    return np.where(empty, 0.0, inter / np.where(empty, 1.0, union))


def iou(box_a, box_b) -> float:
    """IoU of two boxes (y0, x0, y1, x1).

    >>> round(iou([0, 0, 10, 10], [5, 5, 15, 15]), 4)   # 25 / 175
    0.1429
    """
    return float(iou_matrix(box_a, box_b)[0, 0])


def non_max_suppression(
    boxes,
    scores,
    iou_threshold: float = 0.5,
    max_output: int | None = None,
    score_threshold: float = -np.inf,
) -> np.ndarray:
    """Greedy non-maximum suppression: indices of the kept boxes, best first.

    Drop the boxes scoring below ``score_threshold``; then repeat: keep the best box
    left, and drop every box left whose IoU with it is *above* ``iou_threshold``.
    The same rule as ``tf.image.non_max_suppression`` (equal ties broken by index).
    """
    boxes = check_boxes(boxes)
    scores = check_floats(scores, "scores").reshape(-1)
    if scores.shape[0] != boxes.shape[0]:
        raise ValueError(
            f"scores must have one value per box ({boxes.shape[0]}), got "
            f"{scores.shape[0]}"
        )
    threshold = check_number(iou_threshold, "iou_threshold", 0, 1)
    limit = len(boxes) if max_output is None else check_int(max_output, "max_output", 0)
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    order = [i for i in order if scores[i] >= score_threshold]
    overlaps = iou_matrix(boxes, boxes) if order else None
    kept: list[int] = []
    for index in order:
        if len(kept) >= limit:
            break
        if all(overlaps[index, k] <= threshold for k in kept):
            kept.append(index)
    return np.array(kept, dtype=np.int64)


# --------------------------------------------------------------------------------------
# Fast R-CNN: RoI pooling
# --------------------------------------------------------------------------------------


def _check_feature_map(feature_map) -> np.ndarray:
    array = check_floats(feature_map, "feature_map")
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or min(array.shape[:2]) < 1:
        raise ValueError(
            f"feature_map must be shaped (H, W) or (H, W, C), got {np.shape(feature_map)}"
        )
    return array


def _output_size(output_size) -> tuple[int, int]:
    if isinstance(output_size, int | np.integer):
        output_size = (output_size, output_size)
    if not _is_pair(output_size):
        raise ValueError(
            f"output_size must be an int or (rows, cols), got {output_size}"
        )
    return (
        check_int(output_size[0], "output rows", 1, 256),
        check_int(output_size[1], "output cols", 1, 256),
    )


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


def roi_pool(feature_map, boxes, output_size=(7, 7), samples: int = 2) -> np.ndarray:
    """RoI pooling: every box of a feature map to a fixed (rows, cols) grid, by max.

    Each box (y0, x0, y1, x1), in the map's pixel coordinates (y1, x1 included), is
    sampled bilinearly on a grid of ``rows * samples`` by ``cols * samples`` evenly spread
    points from corner to corner (as ``tf.image.crop_and_resize``), and each block of
    ``samples * samples`` points gives the max. Returns (N, rows, cols, C).
    """
    feature_map = _check_feature_map(feature_map)
    boxes = check_boxes(boxes)
    rows, cols = _output_size(output_size)
    samples = check_int(samples, "samples", 1, 16)
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


def roi_pool_tf(feature_map, boxes, output_size=(7, 7), samples: int = 2) -> np.ndarray:
    """The same as ``roi_pool`` in TensorFlow: ``tf.image.crop_and_resize`` to
    (rows * samples, cols * samples), then ``tf.nn.max_pool2d`` with a
    ``samples``-wide window and stride."""
    import tensorflow as tf

    feature_map = _check_feature_map(feature_map)
    boxes = check_boxes(boxes)
    rows, cols = _output_size(output_size)
    samples = check_int(samples, "samples", 1, 16)
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


def roi_max_pool(feature_map, boxes, output_size=(7, 7)) -> np.ndarray:
    """Girshick's original RoI max pooling (Fast R-CNN, 2015, section 2.1).

    The box (y0, x0, y1, x1), rounded to whole cells (y1, x1 included), is cut into
    rows x cols sub-windows of about (h / rows) x (w / cols) cells, bounds rounded down
    at the start and up at the end; each gives the max of its cells.
    """
    feature_map = _check_feature_map(feature_map)
    boxes = check_boxes(boxes)
    rows, cols = _output_size(output_size)
    height, width = feature_map.shape[:2]
    out = np.zeros((len(boxes), rows, cols, feature_map.shape[2]))
    for n, box in enumerate(np.round(boxes).astype(np.int64)):
        y0, x0 = min(max(box[0], 0), height - 1), min(max(box[1], 0), width - 1)
        y1, x1 = min(max(box[2], y0), height - 1), min(max(box[3], x0), width - 1)
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


def _some(values, name: str, most: int = 100) -> list:
    """``values`` as a list of at most ``most`` items, else a ValueError."""
    try:
        count = len(values)
    except TypeError:
        raise ValueError(
            f"{name} must be a list of numbers, got {show(values)}"
        ) from None
    if count > most:
        raise ValueError(f"{name} must hold at most {most} values, got {count:,}")
    return list(values)


def anchor_shapes(scales=(128, 256, 512), ratios=(0.5, 1.0, 2.0)) -> np.ndarray:
    """(height, width) of each anchor: area scale**2, height / width = ratio, as in
    Ren et al. (2015, "Faster R-CNN"): 3 scales x 3 ratios = 9 anchors."""
    shapes = []
    scales, ratios = _some(scales, "scales"), _some(ratios, "ratios")
    for scale in scales:
        scale = check_number(scale, "scale", positive=True)
        for ratio in ratios:
            ratio = check_number(ratio, "ratio", positive=True)
            shapes.append((scale * np.sqrt(ratio), scale / np.sqrt(ratio)))
    if not shapes:
        raise ValueError("give at least one scale and one ratio")
    return np.array(shapes)


def anchor_boxes(
    feature_shape: tuple[int, int],
    stride: int = 16,
    scales=(128, 256, 512),
    ratios=(0.5, 1.0, 2.0),
) -> np.ndarray:
    """Every anchor of a Region Proposal Network: (H * W * len(scales) * len(ratios), 4).

    Position (i, j) of the feature map looks at the image point
    ((i + 0.5) * stride, (j + 0.5) * stride); each anchor shape is centred there.
    """
    if not _is_pair(feature_shape):
        raise ValueError(
            f"feature_shape must be (rows, cols), got {show(feature_shape)}"
        )
    rows = check_int(feature_shape[0], "feature rows", 1, 10_000)
    cols = check_int(feature_shape[1], "feature cols", 1, 10_000)
    stride = check_int(stride, "stride", 1)
    shapes = anchor_shapes(scales, ratios)
    if rows * cols * len(shapes) > MAX_ANCHORS:
        raise ValueError(
            f"{rows} x {cols} positions x {len(shapes)} shapes would make more than "
            f"{MAX_ANCHORS:,} anchors"
        )
    cy = (np.arange(rows) + 0.5) * stride
    cx = (np.arange(cols) + 0.5) * stride
    cy, cx = np.meshgrid(cy, cx, indexing="ij")
    centres = np.stack([cy.ravel(), cx.ravel()], axis=1)[:, None, :]
    half = shapes[None, :, :] / 2
    return np.concatenate([centres - half, centres + half], axis=2).reshape(-1, 4)


# --------------------------------------------------------------------------------------
# A small face detector
# --------------------------------------------------------------------------------------

FACE_SIZE = 25  # lfw_subset's images are 25 x 25
# photos without faces, for negatives; coffee and chelsea are kept out to test on them
NEGATIVE_PHOTOS = (
    "rocket",
    "coins",
    "horse",
    "hubble_deep_field",
    "brick",
    "grass",
    "gravel",
    "moon",
    "text",
    "page",
    "clock",
    "immunohistochemistry",
    "colorwheel",
)


def face_data(
    extra_negatives: int = 600, validation: int = 50, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Training and validation data of the face detector, gray 25 x 25 in 0..1.

    ``skimage.data.lfw_subset()``: 100 faces (label 1) and 100 non-faces (label 0); a
    seeded ``validation`` of them (half faces) is held out. The training part gets its
    left-right mirror images, and ``extra_negatives`` random crops (heights 16 to 256
    pixels, width / height from 1/2 to 2, warped to 25 x 25 as proposals are) of photos
    without faces (``NEGATIVE_PHOTOS``; never the astronaut, coffee or chelsea, the test
    photos).
    """
    import skimage.data

    extra = check_int(extra_negatives, "extra_negatives", 0, 20_000)
    validation = check_int(validation, "validation", 2, 100)
    seed = check_int(seed, "seed", 0)
    rng = np.random.default_rng(seed)
    images = skimage.data.lfw_subset().astype(np.float32)
    labels = np.r_[np.ones(100), np.zeros(100)].astype(np.float32)
    held = np.r_[
        rng.permutation(100)[: validation // 2],
        100 + rng.permutation(100)[: validation - validation // 2],
    ]
    train = np.setdiff1d(np.arange(200), held)
    x_train = np.concatenate([images[train], images[train][:, :, ::-1]])
    y_train = np.concatenate([labels[train], labels[train]])
    crops = _random_crops(extra, rng)
    if len(crops):
        x_train = np.concatenate([x_train, crops[..., 0]])
        y_train = np.concatenate([y_train, np.zeros(len(crops), np.float32)])
    order = rng.permutation(len(x_train))
    return (x_train[order, ..., None], y_train[order]), (
        images[held, ..., None],
        labels[held],
    )


def build_face_model():
    """A small face / non-face convnet for 25 x 25 gray patches (sigmoid output)."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((FACE_SIZE, FACE_SIZE, 1)),
            layers.Conv2D(8, 3, activation="relu", name="conv1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(16, 3, activation="relu", name="conv2"),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(32, activation="relu", name="dense"),
            layers.Dense(1, activation="sigmoid", name="face"),
        ],
        name="face_detector",
    )


def _random_crops(count: int, rng, seed_photos=NEGATIVE_PHOTOS) -> np.ndarray:
    """``count`` random crops of the face-free photos, warped to 25 x 25 gray."""
    import skimage.data
    from skimage.color import rgb2gray
    from skimage.transform import resize
    from skimage.util import img_as_float

    photos = []
    for name in seed_photos:
        photo = img_as_float(getattr(skimage.data, name)())
        photos.append(rgb2gray(photo[..., :3]) if photo.ndim == 3 else photo)
    crops = []
    for _ in range(count):
        photo = photos[rng.integers(len(photos))]
        side = rng.uniform(16, min(256, *photo.shape[:2]))
        ratio = np.exp(rng.uniform(np.log(0.5), np.log(2.0)))
        height = int(min(photo.shape[0], max(8, side / np.sqrt(ratio))))
        width = int(min(photo.shape[1], max(8, side * np.sqrt(ratio))))
        top = int(rng.integers(photo.shape[0] - height + 1))
        left = int(rng.integers(photo.shape[1] - width + 1))
        crop = photo[top : top + height, left : left + width]
        crops.append(resize(crop, (FACE_SIZE, FACE_SIZE), anti_aliasing=True))
    return np.array(crops, np.float32).reshape(-1, FACE_SIZE, FACE_SIZE, 1)


def train_face_model(model, train, validation, epochs: int = 20, callbacks=()):
    """Train the face model with Adam and binary cross-entropy, batch 32, the faces
    weighted by (non-faces / faces) so that both classes count the same. Returns the
    Keras history."""
    import keras

    _check_model(model)
    epochs = check_int(epochs, "epochs", 1, 1000)
    x_train, y_train = train
    faces = float((y_train == 1).sum())
    if faces == 0 or faces == len(y_train):
        raise ValueError("train must hold both faces (1) and non-faces (0)")
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model.fit(
        x_train,
        y_train,
        epochs=epochs,
        batch_size=32,
        validation_data=validation,
        class_weight={0: 1.0, 1: (len(y_train) - faces) / faces},
        callbacks=list(callbacks),
        verbose=0,
    )


def hard_negatives(model, count: int = 300, pool: int = 4000, seed: int = 1):
    """Hard-negative mining (as R-CNN trains its SVMs): score ``pool`` fresh random
    crops of the face-free photos and return the ``count`` the model most believes
    are faces, (count, 25, 25, 1)."""
    _check_model(model)
    count = check_int(count, "count", 1, 100_000)
    pool = check_int(pool, "pool", count, 100_000)
    crops = _random_crops(pool, np.random.default_rng(check_int(seed, "seed", 0)))
    scores = np.asarray(model.predict(crops, batch_size=256, verbose=0)).reshape(-1)
    return crops[np.argsort(-scores, kind="stable")[:count]]


def face_shaped(boxes, min_side: int = 24, ratios=(0.8, 1.6)) -> np.ndarray:
    """Indices of the boxes shaped like a face: both sides at least ``min_side``
    pixels, height / width from ``ratios[0]`` to ``ratios[1]``."""
    boxes = check_boxes(boxes)
    height = boxes[:, 2] - boxes[:, 0]
    width = boxes[:, 3] - boxes[:, 1]
    min_side = check_number(min_side, "min_side", low=0)
    if not _is_pair(ratios):
        raise ValueError(f"ratios must be (low, high), got {show(ratios)}")
    low = check_number(ratios[0], "ratios[0]", positive=True)
    high = check_number(ratios[1], "ratios[1]", low, None)
    ratio = height / np.maximum(width, 1e-9)
    keep = (np.minimum(height, width) >= min_side) & (ratio >= low) & (ratio <= high)
    return np.flatnonzero(keep)


def _gray(image: np.ndarray) -> np.ndarray:
    from skimage.color import rgb2gray

    image = np.asarray(image)
    if image.ndim == 3:
        return rgb2gray(image[..., :3]).astype(np.float32)
    if image.ndim == 2:
        return (image / 255.0 if image.dtype == np.uint8 else image).astype(np.float32)
    raise ValueError(f"image must be (H, W) or (H, W, 3), got shape {image.shape}")


def crop_boxes(image: np.ndarray, boxes, size: int = FACE_SIZE) -> np.ndarray:
    """Every box of ``image`` cut out and warped to size x size gray (as R-CNN warps
    each proposal to the network's input): (N, size, size, 1)."""
    import tensorflow as tf

    gray = _gray(image)
    boxes = check_boxes(boxes)
    size = check_int(size, "size", 1, 512)
    height, width = gray.shape
    if min(height, width) < 2:
        raise ValueError(f"image must be at least 2 x 2 pixels, got {height} x {width}")
    # crop_and_resize samples corner to corner: the box's outermost pixel centres
    scale = np.array([height - 1, width - 1] * 2, dtype=np.float64)
    inner = boxes + np.array([0, 0, -1, -1])
    crops = tf.image.crop_and_resize(
        gray[None, ..., None],
        (np.maximum(inner, boxes[:, [0, 1, 0, 1]]) / scale).astype(np.float32),
        tf.zeros(len(boxes), tf.int32),
        (size, size),
        method="bilinear",
    )
    return crops.numpy()


def score_boxes(model, image: np.ndarray, boxes, batch_size: int = 256) -> np.ndarray:
    """The face model's probability for each box of ``image``: (N,)."""
    _check_model(model)
    boxes = check_boxes(boxes)
    if len(boxes) == 0:
        return np.zeros(0)
    crops = crop_boxes(image, boxes)
    return np.asarray(model.predict(crops, batch_size=batch_size, verbose=0)).reshape(
        -1
    )


@dataclass
class Detections:
    """Kept boxes (K, 4) and their scores (K,), best first; ``indices`` into the
    proposals."""

    boxes: np.ndarray
    scores: np.ndarray
    indices: np.ndarray


def detect(
    boxes,
    scores,
    score_threshold: float = 0.5,
    iou_threshold: float = 0.3,
    max_output: int = 100,
) -> Detections:
    """R-CNN's last step: keep the scored proposals above ``score_threshold``, then
    non-maximum suppression at ``iou_threshold``."""
    boxes = check_boxes(boxes)
    scores = check_floats(scores, "scores").reshape(-1)
    score_threshold = check_number(score_threshold, "score_threshold", 0, 1)
    kept = non_max_suppression(
        boxes, scores, iou_threshold, max_output, score_threshold=score_threshold
    )
    return Detections(boxes[kept], scores[kept], kept)


def precision_recall(
    detections, truth, iou_threshold: float = 0.5
) -> tuple[float, float, int]:
    """(precision, recall, true positives) of detected boxes against true boxes.

    Detections, best first, are matched greedily: one is a true positive when its IoU
    with a true box not matched yet is at least ``iou_threshold`` (PASCAL VOC's rule).
    Precision is 1 with no detection, recall is 1 with no true box.
    """
    found = check_boxes(np.reshape(detections, (-1, 4)), "detections")
    truth = check_boxes(np.reshape(truth, (-1, 4)), "truth")
    threshold = check_number(iou_threshold, "iou_threshold", 0, 1)
    overlaps = iou_matrix(found, truth) if len(found) and len(truth) else None
    matched = set()
    hits = 0
    for n in range(len(found)):
        if overlaps is None:
            break
        free = [k for k in range(len(truth)) if k not in matched]
        if not free:
            break
        best = max(free, key=lambda k: overlaps[n, k])
        if overlaps[n, best] >= threshold:
            matched.add(best)
            hits += 1
    precision = hits / len(found) if len(found) else 1.0
    recall = hits / len(truth) if len(truth) else 1.0
    return precision, recall, hits


def cascade_faces(
    image: np.ndarray, min_size: int = 60, max_size: int = 123, scale_factor=1.2
) -> np.ndarray:
    """scikit-image's bundled LBP frontal-face cascade (a Viola-Jones style detector)
    run over the image: boxes (N, 4). The defaults are those of scikit-image's own
    face-detection example (scale factor 1.2, step ratio 1, windows 60 to 123 px)."""
    import skimage.data
    from skimage.feature import Cascade

    min_size = check_int(min_size, "min_size", 8)
    max_size = check_int(max_size, "max_size", min_size)
    detector = Cascade(skimage.data.lbp_frontal_face_cascade_filename())
    found = detector.detect_multi_scale(
        img=np.asarray(image),
        scale_factor=check_number(scale_factor, "scale_factor", 1.01, 3),
        step_ratio=1,
        min_size=(min_size, min_size),
        max_size=(max_size, max_size),
    )
    return np.array(
        [[f["r"], f["c"], f["r"] + f["height"], f["c"] + f["width"]] for f in found],
        dtype=np.float64,
    ).reshape(-1, 4)


# --------------------------------------------------------------------------------------
# Shipped files
# --------------------------------------------------------------------------------------

FACE_BOXES = DATASETS / "astronaut_faces.json"
FACE_WEIGHTS = DATASETS / "face_detector.weights.h5"
PROPOSAL_SCORES = DATASETS / "astronaut_proposals.json"
SHA256 = {
    "astronaut_faces.json": (
        "8ddff8acd5a60ba78cf8521f2062acd7c8969d50ad3e9cbeb19b57a68fa72248"
    ),
    "face_detector.weights.h5": (
        "0f7599ae13bdd6853a8142ce1f7b5b88ced9e0825e4da25c760bddd266998b77"
    ),
    "astronaut_proposals.json": (
        "6260aa1c56ec1471bc616ec8c0cbe573b7bf82c49245ebe987942e032d34487c"
    ),
}


def _checked(path: Path) -> Path:
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: rebuild it with datasets/build_face_detector.py"
        )
    expected = SHA256.get(path.name)
    if expected is not None:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != expected:
            raise ValueError(
                f"{path.name} has sha256 {digest}, expected {expected}: rebuild it "
                "with datasets/build_face_detector.py"
            )
    return path


def load_face_boxes(photo: str = "astronaut") -> np.ndarray:
    """The hand-drawn face boxes of a photo (``datasets/astronaut_faces.json``): (N, 4)
    as (y0, x0, y1, x1)."""
    data = json.loads(_checked(FACE_BOXES).read_text())
    photos = data["photos"]
    name = choose(photo, sorted(photos), "photo")
    return np.array(photos[name]["faces"], dtype=np.float64).reshape(-1, 4)


def load_face_detector():
    """The shipped face / non-face convnet (``datasets/face_detector.weights.h5``, made
    by ``datasets/build_face_detector.py``)."""
    model = build_face_model()
    model.load_weights(_checked(FACE_WEIGHTS))
    return model


def load_proposal_scores() -> dict:
    """The astronaut's selective-search proposals, scored by the shipped face model
    (``datasets/astronaut_proposals.json``): ``boxes`` (N, 4), ``scores`` (N,), and the
    settings that made them."""
    data = json.loads(_checked(PROPOSAL_SCORES).read_text())
    data["boxes"] = np.array(data["boxes"], dtype=np.float64).reshape(-1, 4)
    data["scores"] = np.array(data["scores"], dtype=np.float64)
    return data
