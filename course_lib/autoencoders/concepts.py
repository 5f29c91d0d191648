"""What a latent space holds (lecture 18): how many kinds of digit its prior samples
decode to (``class_entropy``), a grid over the plane (``latent_grid``), and a concept
direction found from the data: stroke thickness (``ink``, ``concept_vector``)."""

from __future__ import annotations

import numpy as np

from course_lib.autoencoders.plain import DIGITS
from course_lib.core import Array, Int, Labels, Number, checked


@checked(
    classes=Array(ndim=1, dtype="int", low=0, what="class ids (N,)"),
    num_classes=Int(1, 10_000),
)
def class_entropy(classes, num_classes: int = 10) -> float:
    """The entropy (in nats) of the histogram of ``classes``: ln(num_classes) when all
    classes are equally common, 0 when one class takes all.

    Applied to the classes a classifier gives decoded prior samples, it measures how
    many kinds of digit a generative model draws.
    """
    if classes.size == 0 or classes.max() >= num_classes:
        raise ValueError(
            f"classes must be class ids from 0 to {num_classes - 1} (num_classes="
            f"{num_classes}), got "
            + (f"ids up to {classes.max()}" if classes.size else "none")
        )
    shares = np.bincount(classes, minlength=num_classes) / classes.size
    shares = shares[shares > 0]
    return float(-np.sum(shares * np.log(shares)))


@checked(low=Number(-1000, 1000), high=Number(-1000, 1000), steps=Int(2, 100))
def latent_grid(low: float = -3.0, high: float = 3.0, steps: int = 15) -> np.ndarray:
    """Points of a square grid over the latent plane, ``(steps * steps, 2)``, row by
    row from the top (``z2 = high``) so that decoded digits tile like the plane."""
    if not low < high:
        raise ValueError(f"low must be below high, got {low} and {high}")
    values = np.linspace(low, high, steps)
    z1, z2 = np.meshgrid(values, values[::-1])
    return np.stack([z1.ravel(), z2.ravel()], axis=1).astype(np.float32)


@checked(images=DIGITS, threshold=Number(0.0, 1.0))
def ink(images, threshold: float = 0.5) -> np.ndarray:
    """Stroke thickness as ink: the number of pixels above ``threshold``, per image."""
    return (images > threshold).reshape(len(images), -1).sum(axis=1)


@checked(
    codes=Array(ndim=2, what="codes (N, d)"),
    images=DIGITS,
    labels=Labels(10),
    fraction=Number(0.01, 0.5),
)
def concept_vector(codes, images, labels, fraction: float = 0.25) -> np.ndarray:
    """The "thickness" direction in code space, found from the data.

    Within each class, the mean code of the ``fraction`` of digits with the most ink
    minus the mean code of the ``fraction`` with the least; averaged over the classes
    (so that the vector does not also point from thin 1s to thick 8s).
    """
    amounts = ink(images)
    if not len(codes) == len(amounts) == len(labels):
        raise ValueError(
            f"codes (N, d), images (N, 28, 28) and labels (N,) must agree, got "
            f"{codes.shape}, {len(amounts)} images and labels {labels.shape}"
        )
    differences = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        count = int(len(members) * fraction)
        if count < 1:
            continue
        order = members[np.argsort(amounts[members], kind="stable")]
        differences.append(codes[order[-count:]].mean(0) - codes[order[:count]].mean(0))
    if not differences:
        raise ValueError(
            f"fraction {fraction} of each class is less than one digit: give more "
            "digits per class or a larger fraction"
        )
    return np.mean(differences, axis=0)
