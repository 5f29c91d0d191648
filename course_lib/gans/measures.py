"""Measuring what a generator makes (lecture 19).

- ``sample_quality``: the shipped MNIST classifier's verdict on generated digits: mean
  top probability and the entropy of its class histogram (at most ln 10 = 2.303 nats);
  a collapsed generator makes few classes and a low entropy.
- ``within_class_diversity`` and ``nearest_distances``: collapse *within* a class (the
  mean distance between digits of one class) and memorisation (the distance from each
  sample to its nearest training digit).
- ``image_grid``: digits tiled into one picture.
"""

from __future__ import annotations

import math

import numpy as np

from course_lib.core import Array, Images, Int, checked
from course_lib.gans.networks import CLASSIFIER, DIGITS

MAX_ENTROPY = math.log(10)
"""The entropy of a uniform histogram over 10 classes: ln 10 = 2.303 nats."""


@checked(counts=Array(ndim=1, low=0, what="counts"))
def class_entropy(counts) -> float:
    """The entropy, in nats, of a class histogram (counts or probabilities).

    10 equal classes give ln 10 = 2.303, one class alone gives 0.

    >>> round(class_entropy([5, 5, 0, 0]), 4)   # two equal classes: ln 2
    0.6931
    """
    total = counts.sum()
    if total <= 0:
        raise ValueError("counts must not all be zero (no class was counted)")
    p = counts[counts > 0] / total
    return float(-(p * np.log(p)).sum()) + 0.0


@checked(images=DIGITS, classifier=CLASSIFIER)
def sample_quality(images, classifier) -> dict:
    """The classifier's verdict on (generated) digits.

    Returns a dict: ``predictions`` (N,), ``confidence`` (N,) the top probability,
    ``mean_confidence``, ``histogram`` (10,) counts of predicted classes,
    ``entropy`` (nats, ``class_entropy`` of the histogram), ``max_entropy`` (ln 10) and
    ``effective_classes`` = exp(entropy) (1 to 10).
    """
    images = images.reshape(-1, 28, 28, 1)
    # Called eagerly, 250 digits at a time: model.predict would build a tf.data
    # pipeline and trace (and keep) a predict function, far more memory for a verdict.
    probabilities = np.concatenate(
        [
            np.asarray(classifier(images[start : start + 250], training=False))
            for start in range(0, len(images), 250)
        ]
    )
    predictions = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    histogram = np.bincount(predictions, minlength=10)
    entropy = class_entropy(histogram)
    return {
        "predictions": predictions,
        "confidence": confidence,
        "mean_confidence": float(confidence.mean()),
        "histogram": histogram,
        "entropy": entropy,
        "max_entropy": MAX_ENTROPY,
        "effective_classes": math.exp(entropy),
    }


def _rows(images: np.ndarray) -> np.ndarray:
    """Digits (N, 28, 28[, 1]) in 0..1 as float64 rows of 784 values."""
    return images.reshape(len(images), -1).astype(np.float64)


@checked(images=DIGITS, reference=DIGITS, batch_size=Int(1, 100_000))
def nearest_distances(images, reference, batch_size: int = 100) -> np.ndarray:
    """For each image, the Euclidean distance (pixels 0..1) to its nearest image in
    ``reference``: a memorisation check. A generator that copies its training digits
    scores near 0 against them; real test digits show what "new" looks like.

    >>> digits = np.random.default_rng(0).random((3, 28, 28))
    >>> nearest_distances(digits, digits).round(6).tolist()
    [0.0, 0.0, 0.0]
    """
    flat = _rows(images)
    squares = (flat**2).sum(axis=1)
    best = np.full(len(flat), np.inf)
    # The reference in blocks too: float64 copies of a block at a time, never of all.
    for first in range(0, len(reference), 10 * batch_size):
        ref = _rows(reference[first : first + 10 * batch_size])
        ref_squares = (ref**2).sum(axis=1)
        for start in range(0, len(flat), batch_size):
            chunk = flat[start : start + batch_size]
            squared = squares[start : start + batch_size, None] + ref_squares[None]
            squared -= 2 * chunk @ ref.T
            best[start : start + batch_size] = np.minimum(
                best[start : start + batch_size], squared.min(axis=1)
            )
    return np.sqrt(np.maximum(best, 0.0))


@checked(
    images=DIGITS,
    classes=Array(ndim=1, dtype="int", low=0, what="class ids (N,)"),
    num_classes=Int(1, 1000),
)
def within_class_diversity(images, classes, num_classes: int = 10) -> np.ndarray:
    """Mean Euclidean distance (pixels 0..1) between two different images of the same
    class, one value per class (NaN where a class has fewer than 2 images).

    The class histogram's entropy misses collapse *within* a class (every 7 the same
    7); this measure sees it: identical images score 0.
    """
    flat = _rows(images)
    if classes.shape != (len(flat),):
        raise ValueError(
            f"classes must be one class id per image ({len(flat)}), got {len(classes)}"
        )
    if classes.max() >= num_classes:
        raise ValueError(
            f"classes must lie in 0..{num_classes - 1} (num_classes={num_classes}), "
            f"got {classes.max()}"
        )
    result = np.full(num_classes, np.nan)
    for label in range(num_classes):
        members = flat[classes == label]
        count = len(members)
        if count < 2:
            continue
        squares = (members**2).sum(axis=1)
        squared = squares[:, None] + squares[None] - 2 * members @ members.T
        distances = np.sqrt(np.maximum(squared, 0.0))
        result[label] = distances.sum() / (count * (count - 1))
    return result


@checked(
    images=Images(("NHW", "NHWC"), channels=1),
    columns=Int(1, 1000),
    gap=Int(0, 100),
)
def image_grid(images, columns: int = 8, gap: int = 1) -> np.ndarray:
    """Tile digits (N, h, w) into one picture, ``columns`` wide, ``gap`` pixels apart
    (the gaps are 1.0, white). Empty cells of the last row stay 1.0."""
    if images.ndim == 4:
        images = images[..., 0]
    count, height, width = images.shape
    columns = min(columns, count)
    rows = -(-count // columns)
    grid = np.ones(
        (rows * height + (rows - 1) * gap, columns * width + (columns - 1) * gap),
        np.float32,
    )
    for index, image in enumerate(images):
        r, c = divmod(index, columns)
        top, left = r * (height + gap), c * (width + gap)
        grid[top : top + height, left : left + width] = image
    return grid
