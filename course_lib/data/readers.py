"""How the registry's files are read: MNIST (the download and the bundled subset with its
fixed split), text, JSON and the ILSVRC table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from course_lib.core import SEED, Anything, Int, PathIn, check_int, checked, show


@checked(path=PathIn())
def as_path(path: Path) -> Path:
    """The file itself (weights, archives: the caller reads them)."""
    return path


@checked(path=PathIn())
def read_text(path: Path) -> str:
    """A UTF-8 text file as one string (lecture 17's corpora)."""
    return Path(path).read_text(encoding="utf-8")


@checked(path=PathIn())
def read_json(path: Path):
    """A JSON file."""
    with open(path, encoding="utf-8") as file:
        return json.load(file)


@checked(path=PathIn())
def mnist_npz(path: Path):
    """keras' ``mnist.npz``: ``((x_train, y_train), (x_test, y_test))``."""
    with np.load(path) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


@checked(
    labels=Anything("integer class labels, checked in the body", [0, 1, 0, 1]),
    test_size=Int(1),
    seed=SEED,
)
def stratified_split(labels: np.ndarray, test_size: int, seed: int = 0):
    """Indices ``(train, test)`` with every class in the same proportion in both parts."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0 or labels.dtype.kind not in "biu":
        raise ValueError(
            f"labels must be a non-empty list of integer class labels, got {show(labels)}"
        )
    test_size = check_int(test_size, "test_size", 1, len(labels))
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    classes, counts = np.unique(labels, return_counts=True)
    per_class = test_size // len(classes)
    if per_class * len(classes) != test_size:
        raise ValueError(
            f"test_size must be a multiple of {len(classes)}, got {test_size}"
        )
    if counts.min() < per_class:
        raise ValueError(
            f"class {classes[counts.argmin()]} has only {counts.min()} examples, fewer "
            f"than the {per_class} per class a test set of {test_size} needs"
        )
    test = np.concatenate(
        [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in classes]
    )
    test = rng.permutation(test)
    train = rng.permutation(np.setdiff1d(np.arange(len(labels)), test))
    return train, test


@checked(path=PathIn())
def mnist_bundle(path: Path):
    """The bundled 5,000 digits, split 4,000 / 1,000: stratified (400 / 100 per class),
    seed 0, the same split every time."""
    with np.load(path) as f:
        x, y = f["x"], f["y"]
    train, test = stratified_split(y, test_size=1000, seed=0)
    return (x[train], y[train]), (x[test], y[test])


# --------------------------------------------------------------------------------------
# The ILSVRC table (slide set 000)

HUMAN_TOP5_ERROR = 5.1
"""Top-5 error of a trained human annotator (Andrej Karpathy) on 1,500 test images."""

HUMAN_SOURCE = (
    "Russakovsky et al. 2015, ImageNet Large Scale Visual Recognition Challenge, "
    "IJCV 115, section 6.4 (A. Karpathy's own annotations)"
)


@checked(path=PathIn())
def ilsvrc_rows(path: Path) -> list[dict]:
    """The ILSVRC table at ``path`` as a list of dicts (a ValueError for another file)."""
    import csv

    with open(path, newline="") as file:
        try:
            return [_ilsvrc_row(row) for row in csv.DictReader(file)]
        except (KeyError, ValueError, TypeError, csv.Error) as error:
            raise ValueError(
                f"{path} is not the ILSVRC table (year, team, network, place, "
                f"top5_error_percent, depth, parameters_millions, external_data, "
                f"source): {type(error).__name__} {error}"
            ) from None


def _ilsvrc_row(row: dict) -> dict:
    """One row with its numbers converted (``None`` where unknown)."""
    return {
        **row,
        "year": int(row["year"]),
        "place": int(row["place"]),
        "top5_error_percent": float(row["top5_error_percent"]),
        "depth": int(row["depth"]) if row["depth"] else None,
        "parameters_millions": (
            float(row["parameters_millions"]) if row["parameters_millions"] else None
        ),
    }
