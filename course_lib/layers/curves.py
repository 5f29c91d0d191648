"""The remedy curves of lecture 09 read back: checked, summarised, told apart from the
spread between seeds, printed, saved and loaded (the shipped ones too)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from course_lib.core import (
    Choice,
    Instance,
    Int,
    Items,
    Number,
    PathIn,
    Text,
    checked,
    choose,
    show,
)
from course_lib.layers.remedies import METRICS

CURVES = Instance(
    dict, "remedy curves (the dict compare_remedies returns)", example=dict
)
"""The curves; their inside is checked by check_remedy_curves."""

LAST = Int(1, 1000)
"""Epochs at the end of each run to average over."""


@checked(curves=CURVES)
def check_remedy_curves(curves) -> dict:
    """``curves`` itself when it has the shape ``compare_remedies`` returns, else a
    ValueError that says what is missing."""
    if not isinstance(curves, dict) or not isinstance(curves.get("remedies"), dict):
        raise ValueError('curves must be a dict with a "remedies" entry')
    if not curves["remedies"]:
        raise ValueError("the curves hold no remedy")
    for name, entry in curves["remedies"].items():
        if not isinstance(entry, dict):
            raise ValueError(
                f"remedy {name!r} must be a dict of curves, got {show(entry)}"
            )
        shapes = set()
        for metric in METRICS:
            if metric not in entry:
                raise ValueError(f"remedy {name!r} has no {metric!r} curves")
            try:
                array = np.asarray(entry[metric], dtype=float)
            except (TypeError, ValueError):
                array = np.array([])
            if array.ndim != 2 or array.size == 0 or not np.isfinite(array).all():
                raise ValueError(
                    f"{name!r} {metric!r} must be a list of runs, one list of "
                    "epochs each, of finite numbers"
                )
            shapes.add(array.shape)
        if len(shapes) != 1:
            raise ValueError(f"remedy {name!r}: the metrics have different lengths")
    return curves


@checked(curves=CURVES, remedy=Text(200), metric=Choice(*METRICS))
def remedy_curve(curves: dict, remedy: str, metric: str) -> np.ndarray:
    """One metric of one remedy as an array (seeds, epochs)."""
    entries = check_remedy_curves(curves)["remedies"]
    remedy = choose(remedy, list(entries), "remedy")
    return np.asarray(entries[remedy][metric], dtype=float)


def _mean_sd(values: np.ndarray) -> tuple[float, float]:
    sd = float(values.std(ddof=1)) if len(values) > 1 else math.nan
    return float(values.mean()), sd


@checked(curves=CURVES, last=LAST)
def summarize_remedies(curves: dict, last: int = 3) -> list[dict]:
    """Per remedy, at the end of training: train and validation accuracy and the gap
    (train minus validation), each the mean over seeds with its standard deviation
    (``*_sd``, NaN for one seed). Each run's value is averaged over its ``last``
    epochs, which smooths the epoch-to-epoch wobble. Also the held-out loss at the
    last epoch (``val_loss``) and how far it lies above the run's own lowest held-out
    loss (``rise``: 0 when the loss never turned up)."""
    rows = []
    for remedy in check_remedy_curves(curves)["remedies"]:
        train = remedy_curve(curves, remedy, "train_accuracy")[:, -last:].mean(axis=1)
        val = remedy_curve(curves, remedy, "val_accuracy")[:, -last:].mean(axis=1)
        loss = remedy_curve(curves, remedy, "val_loss")
        row = {"remedy": remedy, "runs": len(train)}
        for name, values in (
            ("train", train),
            ("val", val),
            ("gap", train - val),
            ("val_loss", loss[:, -1]),
            ("rise", loss[:, -1] - loss.min(axis=1)),
        ):
            row[name], row[f"{name}_sd"] = _mean_sd(values)
        rows.append(row)
    return rows


@checked(
    curves=CURVES,
    metric=Choice(*METRICS),
    baseline=Text(200),
    last=LAST,
    spread=Number(0, 100),
)
def remedy_effects(
    curves: dict,
    metric: str = "val_accuracy",
    baseline: str = "none",
    last: int = 3,
    spread: float = 2.0,
) -> list[dict]:
    """Each remedy's effect on ``metric`` against ``baseline``, told apart from noise.

    Per run the metric is averaged over its ``last`` epochs; per remedy the mean and
    standard deviation over the runs (seeds). ``difference`` is the remedy's mean minus
    the baseline's; ``beyond`` is True when it is larger (in size) than ``spread``
    times the larger of the two standard deviations: the remedy's effect then stands
    out of the seed-to-seed spread. Needs at least two runs per remedy.

    Example::

        [row["remedy"] for row in remedy_effects(curves) if row["beyond"]]
    """
    entries = check_remedy_curves(curves)["remedies"]
    baseline = choose(baseline, list(entries), "baseline")

    def runs(remedy: str) -> np.ndarray:
        values = remedy_curve(curves, remedy, metric)
        if len(values) < 2:
            raise ValueError(f"{remedy!r} has one run: no spread to compare with")
        return values[:, -last:].mean(axis=1)

    base_mean, base_sd = _mean_sd(runs(baseline))
    rows = []
    for remedy in entries:
        if remedy == baseline:
            continue
        mean, sd = _mean_sd(runs(remedy))
        difference = mean - base_mean
        rows.append(
            {
                "remedy": remedy,
                "mean": mean,
                "sd": sd,
                "difference": difference,
                "beyond": bool(abs(difference) > spread * max(sd, base_sd)),
            }
        )
    return rows


@checked(rows=Items(Instance(dict, "a row of summarize_remedies", example=dict)))
def format_summary(rows: list[dict]) -> str:
    """The rows of :func:`summarize_remedies` as a small text table (mean ± sd): the
    accuracies and the gap averaged over the last epochs, the held-out loss at the
    last epoch."""

    def cell(row, name):
        sd = row[f"{name}_sd"]
        return (
            f"{row[name]:6.1%} ± {sd:4.1%}"
            if math.isfinite(sd)
            else f"{row[name]:6.1%}"
        )

    keys = ("remedy", "train", "train_sd", "val", "val_sd", "gap", "gap_sd")
    for row in rows:
        if not all(key in row for key in keys) or not all(
            isinstance(row[key], (int, float)) for key in keys[1:]
        ):
            raise ValueError(
                "each of rows must be a dict summarize_remedies returns (remedy, "
                f"train, val, gap and their *_sd as numbers), got {show(row)}"
            )
    with_loss = all("val_loss" in row and "val_loss_sd" in row for row in rows)

    def loss_cell(row):
        sd = row["val_loss_sd"]
        text = f"{row['val_loss']:.3f}"
        return f"{text} ± {sd:.3f}" if math.isfinite(sd) else text

    header = f"{'remedy':<15}{'train':>16}{'validation':>16}{'gap':>16}"
    lines = [header + (f"{'held-out loss':>18}" if with_loss else "")]
    for row in rows:
        lines.append(
            f"{row['remedy']:<15}{cell(row, 'train'):>16}{cell(row, 'val'):>16}"
            f"{cell(row, 'gap'):>16}" + (f"{loss_cell(row):>18}" if with_loss else "")
        )
    return "\n".join(lines)


@checked(curves=CURVES, path=PathIn())
def save_remedy_curves(curves: dict, path: str | Path) -> Path:
    """Write the curves as JSON and return the path."""
    check_remedy_curves(curves)
    path.write_text(json.dumps(curves, indent=1) + "\n")
    return path
