"""The ImageNet challenge (ILSVRC) year by year: the slides' table as data, and a chart.

``datasets/ilsvrc_history.csv`` holds the top-5 errors from slide set 000, with the depth
and parameter count of each winner and a ``source`` for every row::

    history = cl.ilsvrc.load_history()
    cl.ilsvrc.HistoryChart(history)
"""

from __future__ import annotations

import csv
from pathlib import Path

import ipywidgets as widgets

from course_lib.viz import ErrorBanner, FigureImage, new_figure, shows_errors

HISTORY_FILE = (
    Path(__file__).resolve().parent.parent / "datasets" / "ilsvrc_history.csv"
)

HUMAN_TOP5_ERROR = 5.1
"""Top-5 error of a trained human annotator (Andrej Karpathy) on 1,500 test images."""

HUMAN_SOURCE = (
    "Russakovsky et al. 2015, ImageNet Large Scale Visual Recognition Challenge, "
    "IJCV 115, section 6.4 (A. Karpathy's own annotations)"
)


def load_history(path: Path | str = HISTORY_FILE) -> list[dict]:
    """The ILSVRC entries as a list of dicts, numbers converted (``None`` where unknown)."""
    rows = []
    with open(path, newline="") as file:
        for row in csv.DictReader(file):
            rows.append(
                {
                    **row,
                    "year": int(row["year"]),
                    "place": int(row["place"]),
                    "top5_error_percent": float(row["top5_error_percent"]),
                    "depth": int(row["depth"]) if row["depth"] else None,
                    "parameters_millions": (
                        float(row["parameters_millions"])
                        if row["parameters_millions"]
                        else None
                    ),
                }
            )
    return rows


def winners(history: list[dict], external_data: bool = False) -> list[dict]:
    """The first-placed entry of each year (trained on the challenge data only, unless
    ``external_data``; then the best first-placed entry of the year)."""
    best: dict[int, dict] = {}
    for row in history:
        if row["place"] != 1 or (not external_data and row["external_data"] != "no"):
            continue
        year = row["year"]
        if (
            year not in best
            or row["top5_error_percent"] < best[year]["top5_error_percent"]
        ):
            best[year] = row
    return [best[year] for year in sorted(best)]


class HistoryChart(widgets.VBox):
    """Top-5 error of the ILSVRC winners by year, with the winners' depth and size.

    Toggle the depth and parameter curves, the human-level line and the entries that used
    extra training data. ``visible`` says which parts are drawn.
    """

    def __init__(self, history: list[dict] | None = None):
        self.history = load_history() if history is None else history
        if not self.history:
            raise ValueError("the history is empty")
        self.show_depth = widgets.Checkbox(True, description="depth (layers)")
        self.show_parameters = widgets.Checkbox(True, description="parameters (M)")
        self.show_human = widgets.Checkbox(True, description="human level")
        self.show_external = widgets.Checkbox(False, description="extra-data entries")
        self.error = ErrorBanner()
        figure = new_figure(7.0, 5.0)
        self.axes_error, self.axes_size = figure.subplots(2, 1, sharex=True)
        self._draw_static()
        self.image = FigureImage(figure)
        self.caption = widgets.HTML(
            f"<small>Human level {HUMAN_TOP5_ERROR} %: {HUMAN_SOURCE}. "
            "Errors: slide set 000; depth and parameters: the papers "
            "(see the <code>source</code> column of the data).</small>"
        )
        controls = [
            self.show_depth,
            self.show_parameters,
            self.show_human,
            self.show_external,
        ]
        for control in controls:
            control.observe(self._update, names="value")
        super().__init__([widgets.HBox(controls), self.image, self.caption, self.error])
        self._update()

    def _draw_static(self):
        top = winners(self.history)
        years = [row["year"] for row in top]
        errors = [row["top5_error_percent"] for row in top]
        axes = self.axes_error
        (self.winner_line,) = axes.plot(
            years, errors, "o-", color="tab:blue", label="winner (challenge data only)"
        )
        for row in top:
            axes.annotate(
                f"{row['network'].split(' (')[0]}\n{row['top5_error_percent']} %",
                (row["year"], row["top5_error_percent"]),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize=7,
            )
        others = [
            r for r in self.history if r not in top and r["external_data"] == "no"
        ]
        axes.plot(
            [r["year"] for r in others],
            [r["top5_error_percent"] for r in others],
            "o",
            color="0.6",
            markersize=4,
            label="other entries",
        )
        external = [r for r in self.history if r["external_data"] != "no"]
        self.external_points = axes.plot(
            [r["year"] for r in external],
            [r["top5_error_percent"] for r in external],
            "s",
            color="tab:green",
            markersize=5,
            label="with extra training data",
        )[0]
        self.human_line = axes.axhline(
            HUMAN_TOP5_ERROR,
            color="tab:red",
            linestyle="--",
            label=f"human, {HUMAN_TOP5_ERROR} % (Russakovsky et al. 2015)",
        )
        axes.set_ylabel("top-5 error (%)")
        axes.set_ylim(0, 33)
        axes.set_xlim(2010.5, 2017.5)
        axes.set_title("ILSVRC classification: top-5 error of the winners")
        sized = [r for r in top if r["depth"] is not None]
        (self.depth_line,) = self.axes_size.plot(
            [r["year"] for r in sized],
            [r["depth"] for r in sized],
            "^-",
            color="tab:purple",
            label="depth (layers)",
        )
        counted = [r for r in top if r["parameters_millions"] is not None]
        (self.parameters_line,) = self.axes_size.plot(
            [r["year"] for r in counted],
            [r["parameters_millions"] for r in counted],
            "s-",
            color="tab:orange",
            label="parameters (millions)",
        )
        self.axes_size.set_yscale("log")
        self.axes_size.set_xlabel("year")
        self.axes_size.set_ylabel("count (log scale)")
        self.axes_size.set_xticks(sorted({r["year"] for r in self.history}))

    @shows_errors
    def _update(self, change=None):
        self.depth_line.set_visible(self.show_depth.value)
        self.parameters_line.set_visible(self.show_parameters.value)
        self.human_line.set_visible(self.show_human.value)
        self.external_points.set_visible(self.show_external.value)
        for axes, where in (
            (self.axes_error, "upper right"),
            (self.axes_size, "lower right"),
        ):
            handles = [h for h in axes.get_lines() if h.get_visible()]
            handles = [h for h in handles if not h.get_label().startswith("_")]
            if handles:
                axes.legend(handles=handles, fontsize=7, loc=where)
            elif axes.get_legend() is not None:
                axes.get_legend().remove()
        self.image.refresh()

    @property
    def visible(self) -> dict[str, bool]:
        """Which optional parts of the chart are drawn now."""
        return {
            "depth": self.depth_line.get_visible(),
            "parameters": self.parameters_line.get_visible(),
            "human": self.human_line.get_visible(),
            "external": self.external_points.get_visible(),
        }
