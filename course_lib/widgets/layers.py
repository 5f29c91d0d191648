"""The widget of lecture 09: ``RemedyExplorer``, learning curves of the overfitting
remedies side by side.

The curves come from :func:`course_lib.layers.compare_remedies` (measured in the
notebook) or, by default, from the file that ships with the course
(:func:`course_lib.data.load_remedy_curves`)::

    cl.widgets.RemedyExplorer()          # the shipped curves
    cl.widgets.RemedyExplorer(curves)    # the notebook's own
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from course_lib.core import Items, Optional, Text, checked
from course_lib.data import load_remedy_curves
from course_lib.layers import check_remedy_curves, remedy_curve
from course_lib.layers.curves import CURVES
from course_lib.widgets.base import ChoiceDropdown, CourseWidget, new_figure

COLORS = (
    "tab:gray",
    "tab:blue",
    "tab:orange",
    "tab:green",
    "tab:red",
    "tab:purple",
    "tab:brown",
    "tab:pink",
)


def _mean_and_sd(runs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over the runs (axis 0) and the standard deviation (0 for a single run)."""
    sd = runs.std(axis=0, ddof=1) if len(runs) > 1 else np.zeros(runs.shape[1])
    return runs.mean(axis=0), sd


class RemedyExplorer(CourseWidget):
    """Train and validation curves of a small convnet on 500 digits, with each remedy
    against overfitting; the train-validation gap at any epoch, mean ± sd over seeds.

    Tick the remedies to compare, pick the metric and the epoch. Left: the curves (mean
    over the seeds; validation solid with a band of ± one standard deviation, training
    dashed). Right: the gap, training minus validation accuracy, at the chosen epoch for
    every remedy (ticked ones in colour), with ± one standard deviation.

    With the metric on loss, the caption gives each ticked remedy's held-out loss at the
    chosen epoch and the epoch where its mean held-out loss is lowest (``lowest``): a
    remedy whose lowest epoch lies before the chosen one has a loss that turned up.

    ``curves`` is what :func:`cl.layers.compare_remedies` returns; by default the curves
    that ship with the course. ``gaps`` holds the gap (mean, sd) of each remedy at the
    chosen epoch, ``smallest_gap`` the ticked remedy with the smallest mean gap.

    Example::

        cl.widgets.RemedyExplorer(curves, remedies=("none", "dropout"))
    """

    @checked(curves=Optional(CURVES), remedies=Items(Text(200), 0, len(COLORS)))
    def __init__(self, curves: dict | None = None, remedies=("none", "dropout")):
        super().__init__()
        self.curves = check_remedy_curves(
            load_remedy_curves() if curves is None else curves
        )
        self.names = list(self.curves["remedies"])
        if len(self.names) > len(COLORS):
            raise ValueError(f"at most {len(COLORS)} remedies, got {len(self.names)}")
        unknown = [r for r in remedies if r not in self.names]
        if unknown:
            raise ValueError(
                f"unknown remedy {unknown[0]!r}; known: {', '.join(self.names)}"
            )
        self.data = {
            (name, metric): remedy_curve(self.curves, name, metric)
            for name in self.names
            for metric in ("train_accuracy", "val_accuracy", "train_loss", "val_loss")
        }
        self.lowest = {
            name: int(self.data[(name, "val_loss")].mean(axis=0).argmin()) + 1
            for name in self.names
        }
        # per remedy, the epoch (from 1) where its mean held-out loss is lowest
        epochs = {self.data[(name, "val_accuracy")].shape[1] for name in self.names}
        if len(epochs) != 1:
            raise ValueError("every remedy must have the same number of epochs")
        self.epochs = epochs.pop()

        self.checkboxes = {
            name: widgets.Checkbox(
                value=name in remedies or not remedies,
                description=name,
                indent=False,
                layout=widgets.Layout(width="auto"),
            )
            for name in self.names
        }
        self.metric = ChoiceDropdown(
            self,
            "metric",
            options=["accuracy", "loss"],
            value="accuracy",
            description="metric",
        )
        self.epoch = widgets.IntSlider(
            self.epochs,
            1,
            self.epochs,
            description="gap at epoch",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self._build_figure()
        self.watch(metric=self.metric, epoch=self.epoch)
        self.watch(**self.checkboxes)
        self.children = [
            widgets.HBox(list(self.checkboxes.values())),
            widgets.HBox([self.metric, self.epoch]),
            self.figure_image,
            self.caption,
            self.error,
        ]
        self.update()

    def _build_figure(self) -> None:
        figure = self.use_figure(new_figure(9.0, 3.6))
        figure.set_layout_engine("none")  # fixed: only data and visibility change
        self.axes_curves, self.axes_gap = figure.subplots(
            1,
            2,
            gridspec_kw=dict(
                width_ratios=(1.35, 1),
                left=0.08,
                right=0.99,
                bottom=0.22,
                top=0.9,
                wspace=0.3,
            ),
        )
        x = np.arange(1, self.epochs + 1)
        self.lines, self.bands = {}, {}
        for name, color in zip(self.names, COLORS, strict=False):
            (train,) = self.axes_curves.plot(x, x * 0.0, "--", color=color, lw=1.2)
            (val,) = self.axes_curves.plot(x, x * 0.0, "-", color=color, lw=2)
            self.lines[name] = (train, val)
            self.bands[name] = self.axes_curves.fill_between(
                x, x * 0.0, x * 0.0, color=color, alpha=0.2, lw=0
            )
        self.marker = self.axes_curves.axvline(self.epochs, color="black", lw=0.8)
        self.axes_curves.set_xlabel("epoch")
        self.axes_curves.set_xlim(0.5, self.epochs + 0.5)
        self.axes_curves.grid(alpha=0.3)
        self.legend = self.axes_curves.legend(
            handles=[
                Line2D([], [], color="black", ls="--", label="training digits"),
                Line2D([], [], color="black", lw=2, label="held-out digits"),
            ],
            loc="lower right",
            fontsize=8,
        )
        self.curves_title = self.axes_curves.set_title("", fontsize=10, y=1.0)
        positions = np.arange(len(self.names))
        self.bars = self.axes_gap.bar(
            positions, np.zeros(len(self.names)), color=COLORS[: len(self.names)]
        )
        self.whiskers = self.axes_gap.add_collection(
            LineCollection([], colors="black", linewidths=1.5)
        )
        self.axes_gap.axhline(0, color="black", lw=0.8)
        self.axes_gap.set_xticks(positions, self.names, rotation=25, fontsize=8)
        self.axes_gap.set_ylabel("train − validation accuracy")
        self.axes_gap.grid(axis="y", alpha=0.3)
        self.gap_title = self.axes_gap.set_title("", fontsize=10, y=1.0)
        # Fixed places for titles, labels and ticks: working them out again on every
        # redraw would cost more than the drawing itself.
        for axes, left in ((self.axes_curves, -0.13), (self.axes_gap, -0.2)):
            axes.yaxis.set_major_locator(MaxNLocator(5))
            axes.yaxis.set_label_coords(left, 0.5)
            axes.xaxis.set_label_coords(0.5, -0.1)
        self.axes_curves.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        gaps = np.concatenate(
            [
                self.data[(n, "train_accuracy")] - self.data[(n, "val_accuracy")]
                for n in self.names
            ]
        )
        low, high = float(gaps.min()), float(gaps.max())
        margin = 0.1 * (high - low) + 0.01
        self.axes_gap.set_ylim(min(low, 0) - margin, max(high, 0) + margin)

    @property
    def selected(self) -> list[str]:
        """The ticked remedies, in the order of the curves."""
        return [name for name in self.names if self.checkboxes[name].value]

    def _render(self) -> None:
        metric, epoch, selected = self.metric.value, self.epoch.value, self.selected
        x = np.arange(1, self.epochs + 1)
        low, high = math.inf, -math.inf
        for name in self.names:
            train_line, val_line = self.lines[name]
            shown = name in selected
            for artist in (train_line, val_line, self.bands[name]):
                artist.set_visible(shown)
            if not shown:
                continue
            train, _ = _mean_and_sd(self.data[(name, f"train_{metric}")])
            val, sd = _mean_and_sd(self.data[(name, f"val_{metric}")])
            train_line.set_ydata(train)
            val_line.set_ydata(val)
            upper, lower = val + sd, val - sd
            self.bands[name].set_verts(
                [np.column_stack([np.r_[x, x[::-1]], np.r_[upper, lower[::-1]]])]
            )
            low = min(low, float(lower.min()), float(train.min()))
            high = max(high, float(upper.max()), float(train.max()))
        if selected:
            margin = 0.05 * (high - low) + 1e-3
            self.axes_curves.set_ylim(low - margin, high + margin)
        self.axes_curves.set_ylabel(metric)
        # out of the way of the curves: accuracy rises, loss falls
        self.legend.set_loc("upper right" if metric == "loss" else "lower right")
        self.marker.set_xdata([epoch, epoch])
        self.curves_title.set_text(
            f"{metric}, mean of {self._runs_text()}"
            if selected
            else "tick a remedy to see its curves"
        )

        self.gaps = {}
        segments = []
        for position, (name, bar) in enumerate(zip(self.names, self.bars, strict=True)):
            runs = (
                self.data[(name, "train_accuracy")] - self.data[(name, "val_accuracy")]
            )[:, epoch - 1]
            mean = float(runs.mean())
            sd = float(runs.std(ddof=1)) if len(runs) > 1 else math.nan
            self.gaps[name] = (mean, sd)
            bar.set_height(mean)
            bar.set_alpha(1.0 if name in selected else 0.25)
            if math.isfinite(sd):
                segments.append([(position, mean - sd), (position, mean + sd)])
        self.whiskers.set_segments(segments)
        self.gap_title.set_text(f"gap at epoch {epoch} (± 1 sd)")
        self.caption.value = (
            self._loss_caption(epoch, selected)
            if metric == "loss" and selected
            else self._caption(epoch, selected)
        )

    def _runs_text(self) -> str:
        runs = {len(self.data[(n, "val_accuracy")]) for n in self.names}
        count = runs.pop() if len(runs) == 1 else "several"
        return f"{count} run{'s' if count != 1 else ''} (seeds) each"

    @property
    def smallest_gap(self) -> str | None:
        """The ticked remedy whose mean gap at the chosen epoch is smallest (None if
        nothing is ticked)."""
        selected = self.selected
        if not selected:
            return None
        return min(selected, key=lambda name: self.gaps[name][0])

    def _loss_caption(self, epoch: int, selected: list[str]) -> str:
        parts = []
        for name in selected:
            runs = self.data[(name, "val_loss")][:, epoch - 1]
            spread = f" ± {runs.std(ddof=1):.3f}" if len(runs) > 1 else ""
            parts.append(
                f"{name} {runs.mean():.3f}{spread} (lowest at epoch {self.lowest[name]})"
            )
        return (
            f"Held-out loss at epoch {epoch}, mean of the seeds: {'; '.join(parts)}. "
            "A remedy whose lowest epoch lies before this one has a held-out loss that "
            "turned up."
        )

    def _caption(self, epoch: int, selected: list[str]) -> str:
        if not selected:
            return "Nothing ticked: tick one or more remedies above."

        def gap_text(name):
            mean, sd = self.gaps[name]
            spread = f" ± {sd:.1%}" if math.isfinite(sd) else ""
            return f"{name} {mean:.1%}{spread}"

        parts = ", ".join(gap_text(name) for name in selected)
        best = self.smallest_gap
        question = (
            "is its lead larger than the spread between seeds?"
            if math.isfinite(self.gaps[best][1])
            else "one run each: no spread between seeds to compare with"
        )
        return (
            f"Train − validation accuracy at epoch {epoch}: {parts}. Smallest gap among "
            f"the ticked: <b>{best}</b> ({question})."
        )
