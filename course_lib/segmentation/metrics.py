"""Scores of a segmentation (lecture 15): the confusion matrix of pixels, pixel accuracy,
IoU per class and its mean, the all-background baseline, the digits mixed up most, and
instances read off a semantic map with the share of true instances found."""

from __future__ import annotations

import numpy as np

from course_lib.core import Array, Int, Number, checked
from course_lib.segmentation.scenes import NUM_CLASSES


class _ClassMap(Array):
    """Class (or instance) ids per pixel: whole numbers 0 to 999, at least one; maps
    (H, W) or (N, H, W) when ``maps``, else any shape."""

    def __init__(self, maps: bool = True):
        super().__init__(ndim=(2, 3) if maps else None, dtype="int", low=0, high=999)

    def describe(self):
        shape = "(H, W) or (N, H, W)" if self.ndim else "(any shape)"
        return f"ids per pixel {shape}, whole numbers from 0 to 999"

    def convert(self, value, name):
        array = super().convert(value, name)
        if array.size == 0:
            self.fail(name, value, got=f"shape {array.shape}")
        return array

    def example(self):
        return np.zeros((1, 2, 2) if self.ndim else (2, 2), np.int64)


CLASS_MAP = _ClassMap()
"""The declaration of a parameter that takes class ids per pixel, (H, W) or (N, H, W)."""
CLASS_IDS = _ClassMap(maps=False)
"""The same in any shape (the scores count pixels, wherever they are)."""
CLASSES = Int(1, 1000)


def _confusion(truth, prediction, num_classes) -> np.ndarray:
    """:func:`confusion_matrix` on checked arrays."""
    if truth.shape != prediction.shape:
        raise ValueError(
            f"truth and prediction must have the same shape, got {truth.shape} and "
            f"{prediction.shape}"
        )
    if max(truth.max(), prediction.max()) >= num_classes:
        raise ValueError(
            f"class ids must be below num_classes = {num_classes}, got "
            f"{max(truth.max(), prediction.max())}"
        )
    # A million pixels at a time: one pass over 500 scenes made int64 copies of every
    # pixel, 0.05 GB at lecture 15's peak.
    truth, prediction = truth.ravel(), prediction.ravel()
    counts = np.zeros(num_classes**2, np.int64)
    for start in range(0, truth.size, _CHUNK):
        flat = truth[start : start + _CHUNK].astype(np.int64) * num_classes
        flat += prediction[start : start + _CHUNK]
        counts += np.bincount(flat, minlength=num_classes**2)
    return counts.reshape(num_classes, num_classes)


_CHUNK = 1 << 20


def _iou(matrix) -> np.ndarray:
    matrix = matrix.astype(np.float64)
    hits = np.diag(matrix)
    union = matrix.sum(axis=0) + matrix.sum(axis=1) - hits
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, hits / union, np.nan)


@checked(truth=CLASS_IDS, prediction=CLASS_IDS, num_classes=CLASSES)
def confusion_matrix(truth, prediction, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Pixel counts: entry [t, p] = pixels of true class t predicted as p."""
    return _confusion(truth, prediction, num_classes)


@checked(truth=CLASS_IDS, prediction=CLASS_IDS, num_classes=CLASSES)
def pixel_accuracy(truth, prediction, num_classes: int = NUM_CLASSES) -> float:
    """The share of pixels whose class is right."""
    matrix = _confusion(truth, prediction, num_classes)
    return float(np.trace(matrix) / matrix.sum())


@checked(truth=CLASS_IDS, prediction=CLASS_IDS, num_classes=CLASSES)
def per_class_iou(truth, prediction, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Intersection over union per class, TP / (TP + FP + FN); NaN for a class that is
    in neither the truth nor the prediction."""
    return _iou(_confusion(truth, prediction, num_classes))


@checked(truth=CLASS_IDS, prediction=CLASS_IDS, num_classes=CLASSES)
def mean_iou(truth, prediction, num_classes: int = NUM_CLASSES) -> float:
    """The mean of :func:`per_class_iou` over the classes present (as
    ``keras.metrics.MeanIoU``)."""
    return float(np.nanmean(_iou(_confusion(truth, prediction, num_classes))))


@checked(truth=CLASS_IDS)
def background_baseline(truth) -> np.ndarray:
    """The prediction "everything is background" (class 0), shaped like ``truth``."""
    return np.zeros_like(truth)


@checked(truth=CLASS_IDS, prediction=CLASS_IDS, num_classes=CLASSES)
def segmentation_report(truth, prediction, num_classes: int = NUM_CLASSES) -> dict:
    """Pixel accuracy, mean IoU and per-class IoU of a prediction and of the
    all-background baseline, as a dict."""
    matrix = _confusion(truth, prediction, num_classes)
    baseline = np.zeros_like(matrix)  # every pixel called background: column 0
    baseline[:, 0] = matrix.sum(axis=1)
    return {
        "pixel_accuracy": float(np.trace(matrix) / matrix.sum()),
        "mean_iou": float(np.nanmean(_iou(matrix))),
        "per_class_iou": _iou(matrix),
        "baseline_pixel_accuracy": float(np.trace(baseline) / baseline.sum()),
        "baseline_mean_iou": float(np.nanmean(_iou(baseline))),
    }


@checked(truth=CLASS_IDS, prediction=CLASS_IDS, top=Int(1, 45))
def confused_pairs(
    truth, prediction, top: int = 5
) -> list[tuple[tuple[int, int], int]]:
    """The digit pairs mixed up most: ((a, b), pixels) with a < b, where pixels counts
    ink of digit a predicted as b plus ink of b predicted as a (background ignored),
    most first."""
    matrix = _confusion(truth, prediction, NUM_CLASSES)[1:, 1:]
    both = matrix + matrix.T
    pairs = [((a, b), int(both[a, b])) for a in range(10) for b in range(a + 1, 10)]
    pairs.sort(key=lambda pair: (-pair[1], pair[0]))
    return pairs[:top]


@checked(semantic=CLASS_MAP)
def instances_from_semantic(semantic) -> np.ndarray:
    """Instances read off a semantic map, the only way it allows: every connected
    region (8-connected) of pixels with the same class > 0 becomes one instance.

    ``semantic`` (H, W) or (N, H, W) class ids; returns int32 ids of the same shape
    (0 = background, 1, 2, ... per region, numbered per image).
    """
    from scipy import ndimage

    flat = semantic.ndim == 2
    maps = semantic[None] if flat else semantic
    found = np.zeros(maps.shape, np.int32)
    eight = np.ones((3, 3), bool)
    for n, image in enumerate(maps):
        total = 0
        for c in np.unique(image[image > 0]):
            regions, count = ndimage.label(image == c, structure=eight)
            found[n][regions > 0] = regions[regions > 0] + total
            total += count
    return found[0] if flat else found


@checked(truth=CLASS_MAP, found=CLASS_MAP, threshold=Number(0.0, 1.0, positive=True))
def instance_recall(truth, found, threshold: float = 0.5) -> float:
    """The share of true instances that some found instance overlaps with an IoU of
    at least ``threshold`` (an object-level score; above 0.5 a found instance can match
    only one true one).

    ``truth`` and ``found``: instance ids, (H, W) or (N, H, W), 0 = background.
    """
    if truth.shape != found.shape:
        raise ValueError(
            f"truth and found must have the same shape, got {truth.shape} and "
            f"{found.shape}"
        )
    if truth.ndim == 2:
        truth, found = truth[None], found[None]
    hits = total = 0
    for true_map, found_map in zip(truth, found, strict=True):
        size = int(max(true_map.max(), found_map.max())) + 1
        pairs = np.bincount(
            true_map.ravel() * size + found_map.ravel(), minlength=size * size
        ).reshape(size, size)
        true_sizes, found_sizes = pairs.sum(axis=1), pairs.sum(axis=0)
        for t in np.flatnonzero(true_sizes[1:]) + 1:
            union = true_sizes[t] + found_sizes[1:] - pairs[t, 1:]
            best = (pairs[t, 1:] / union).max() if size > 1 else 0.0
            hits += bool(best >= threshold)
            total += 1
    if total == 0:
        raise ValueError("truth holds no instances (only background)")
    return hits / total
