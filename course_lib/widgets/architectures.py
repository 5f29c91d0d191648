"""Widgets of lecture 13: the famous networks taken apart, and the ImageNet years.

The numbers come from :mod:`course_lib.architectures` (summaries, block diagram,
``winners``) and :mod:`course_lib.data` (the ILSVRC table)::

    cl.widgets.ArchitectureExplorer("VGG-D")
    cl.widgets.HistoryChart()
"""

from __future__ import annotations

import html
from collections.abc import Callable, Hashable, Mapping

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.patches import Patch

from course_lib.architectures import (
    BLOCK_COLORS,
    BLOCK_GAP,
    HISTORY,
    ROWS,
    Architecture,
    LayerRow,
    block_boxes,
    format_count,
    format_shape,
    receptive_field_growth,
    summarize,
    winners,
)
from course_lib.core import Constraint, Optional, Text, checked, choose
from course_lib.data import HUMAN_SOURCE, HUMAN_TOP5_ERROR, load_ilsvrc_history
from course_lib.widgets.base import (
    ChoiceDropdown,
    ChoiceToggleButtons,
    CourseWidget,
    new_figure,
)

# Summaries by (name, function that builds the network), shared by every explorer: each
# network is built (shapes only) once per kernel, and only its summary (a few kB) is kept.
_SUMMARIES: dict[tuple[str, Callable], Architecture] = {}


class _Builders(Constraint):
    """A dict of network name -> function of no arguments that returns a model."""

    def describe(self):
        return (
            "a dict of name -> function that returns a model, e.g. "
            "{'LeNet-5': cl.zoo.lenet5}, with at least one network"
        )

    def convert(self, value, name):
        from course_lib.zoo import BUILDER

        if not isinstance(value, Mapping) or not value:
            self.fail(name, value)
        for key, build in value.items():
            if not isinstance(key, str) or not key.strip():
                self.fail(name, value, got=f"the name {key!r}")
            BUILDER.check(build, f"{name}[{key!r}]")
        return dict(value)

    def example(self):
        from course_lib import zoo

        return {"LeNet-5": zoo.lenet5}

    def bad_values(self):
        return [{}, "text", 3, {"net": 3}, {"net": len}]


@checked(rows=ROWS)
def table_html(rows: list[LayerRow]) -> str:
    """The layer table as a scrolling HTML table (name, kind, layers, shape, counts)."""
    head = "".join(
        f"<th style='text-align:{align};padding:0 6px'>{title}</th>"
        for title, align in [
            ("name", "left"),
            ("kind", "left"),
            ("layers", "right"),
            ("output shape", "right"),
            ("parameters", "right"),
            ("multiply-adds", "right"),
            ("receptive field", "right"),
        ]
    )
    body = "".join(
        "<tr>"
        f"<td>{html.escape(r.name)}</td><td>{r.kind}</td>"
        f"<td style='text-align:right'>{r.layers}</td>"
        f"<td style='text-align:right'>{format_shape(r.output_shape)}</td>"
        f"<td style='text-align:right'>{r.parameters:,}</td>"
        f"<td style='text-align:right'>{format_count(r.multiply_adds)}</td>"
        f"<td style='text-align:right'>{r.receptive_field}</td></tr>"
        for r in rows
    )
    return (
        "<div style='max-height:260px;overflow-y:auto;font-size:12px'>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


class ArchitectureExplorer(CourseWidget):
    """Pick a famous network: its totals, receptive field, block diagram and layer table.

    ``networks`` maps names to functions that return a model (default: every network of
    ``cl.zoo.NETWORKS``). Each is built shapes-only the first time it is picked (by any
    explorer: define a function again to see it changed) and released at once; only its
    summary is kept, so even the big ones cost next to no memory. ``summary`` is the
    current :class:`~course_lib.architectures.Architecture`.

    Example::

        cl.widgets.ArchitectureExplorer("ResNet-50")
    """

    MAX_NAMES = 30
    NAME_LENGTH = 14  # longer block names are cut to fit under the diagram

    @checked(network=Optional(Text(max_length=100)), networks=Optional(_Builders()))
    def __init__(
        self,
        network: str | None = None,
        networks: dict[str, Callable] | None = None,
    ):
        super().__init__()
        from course_lib import zoo

        self.networks = dict(zoo.NETWORKS if networks is None else networks)
        network = next(iter(self.networks)) if network is None else network
        network = choose(network, self.networks, "network")
        self.summary: Architecture | None = None
        self._drawn: Architecture | None = None  # the summary the picture shows
        self.network = ChoiceDropdown(
            self,
            "network",
            options=list(self.networks),
            value=network,
            description="network",
        )
        self.detail = ChoiceToggleButtons(
            self,
            "detail",
            options=["blocks", "layers"],
            value="blocks",
            description="table",
        )
        self.table = widgets.HTML()

        figure = self.use_figure(new_figure(7.5, 5.0))
        # A fixed layout: the block names change with the network, and laying the
        # figure out again on every change would double the time of a redraw.
        figure.set_layout_engine("none")
        self.axes_field = figure.add_axes((0.09, 0.69, 0.895, 0.265))
        self.axes_blocks = figure.add_axes((0.09, 0.2, 0.895, 0.33))
        axes = self.axes_field
        (self.field_line,) = axes.plot([], [], "o-", markersize=3)
        self.input_line = axes.axhline(1, color="tab:red", linestyle="--", lw=0.8)
        axes.set_xlabel("convolution and dense layers from the input")
        axes.set_ylabel("receptive field (pixels)")
        axes.set_yscale("log")
        self.field_title = axes.set_title("", fontsize=9)
        # The diagram: one collection of boxes, made once; each network sets its boxes.
        axes = self.axes_blocks
        self.diagram = axes.add_collection(
            PolyCollection([], edgecolor="black", linewidth=0.5)
        )
        axes.set_ylim(-0.5, 0.75)
        axes.set_yticks([])
        axes.legend(
            handles=[Patch(color=c, label=k) for k, c in BLOCK_COLORS.items()],
            fontsize=7,
            loc="upper center",
            ncol=6,
            frameon=False,
        )
        axes.set_title(
            "blocks: height = log of the map side, width = log of the channels",
            fontsize=9,
        )

        self.watch(network=self.network, detail=self.detail)
        self.children = [
            widgets.HBox([self.network, self.detail]),
            self.caption,
            self.error,
            self.figure_image,
            self.table,
        ]
        self.update()

    def _summary(self, name: str) -> Architecture:
        build = self.networks[name]
        if not isinstance(build, Hashable):  # e.g. an object with __eq__ only
            return summarize(build, name=name)
        if (name, build) not in _SUMMARIES:
            _SUMMARIES[name, build] = summarize(build, name=name)
        return _SUMMARIES[name, build]

    def _render(self):
        name = self.network.value
        summary = self._summary(name)
        self.summary = summary
        if summary is not self._drawn:  # else only the table changes
            self._draw_network(name, summary)
            self._drawn = summary
        rows = summary.blocks if self.detail.value == "blocks" else summary.rows
        self.table.value = table_html(rows)

    def _draw_network(self, name: str, summary: Architecture) -> None:
        build = self.networks[name]
        # The picture depends on the network only: it is drawn once per network.
        self.figure_image.key = (name, build) if isinstance(build, Hashable) else None
        growth = receptive_field_growth(summary.rows)
        if not growth:
            raise ValueError(f"{name} has no convolution or dense layer to show")
        depths, fields = np.array(growth).T
        self.field_line.set_data(depths, fields)
        self.input_line.set_ydata([summary.input_shape[0]] * 2)
        self.axes_field.relim()
        self.axes_field.autoscale_view()
        self.field_title.set_text(
            f"{name}: receptive field layer by layer (dashed: the input side)"
        )
        self._draw_blocks(summary.blocks)
        self.caption.value = (
            f"<b>{html.escape(name)}</b>: input {format_shape(summary.input_shape)}, "
            f"output {format_shape(summary.output_shape)}; "
            f"<b>{summary.parameters:,}</b> parameters "
            f"({format_count(summary.parameters)}, "
            f"{summary.parameters * 4 / 1e6:,.0f} MB in float32); "
            f"<b>{format_count(summary.multiply_adds)}</b> multiply-adds per image; "
            f"depth <b>{summary.depth}</b> (convolution and dense layers); "
            f"final receptive field {summary.rows[-1].receptive_field} pixels"
        )

    def _draw_blocks(self, blocks: list[LayerRow]) -> None:
        layout = block_boxes(blocks)
        self.diagram.set_verts(
            [
                [(x, -h / 2), (x + w, -h / 2), (x + w, h / 2), (x, h / 2)]
                for x, w, h in layout
            ]
        )
        self.diagram.set_facecolor([BLOCK_COLORS[block.kind] for block in blocks])
        # At most MAX_NAMES names under the boxes: more would be unreadable (and slow).
        step = -(-len(blocks) // self.MAX_NAMES)
        named = range(0, len(blocks), step)
        self.axes_blocks.set_xticks(
            [layout[i][0] + layout[i][1] / 2 for i in named],
            [blocks[i].name[: self.NAME_LENGTH] for i in named],
            rotation=90,
            fontsize=7,
        )
        self.axes_blocks.set_xlabel(
            f"{len(blocks)} blocks" + (f", one name every {step}" if step > 1 else ""),
            fontsize=8,
        )
        x, width, _ = layout[-1]
        self.axes_blocks.set_xlim(-0.2, x + width + BLOCK_GAP)


class HistoryChart(CourseWidget):
    """Top-5 error of the ILSVRC winners by year, with the winners' depth and size.

    Without arguments it shows the course's table, ``cl.data.load_ilsvrc_history()``.
    Toggle the depth and parameter curves, the human-level line and the entries that used
    extra training data; a hidden curve stays in the legend, greyed. ``visible`` says
    which parts are drawn.
    """

    COLUMNS = HISTORY.columns

    @checked(history=Optional(HISTORY))
    def __init__(self, history: list[dict] | None = None):
        super().__init__()
        self.history = load_ilsvrc_history() if history is None else history
        self.show_depth = widgets.Checkbox(True, description="depth (layers)")
        self.show_parameters = widgets.Checkbox(True, description="parameters (M)")
        self.show_human = widgets.Checkbox(True, description="human level")
        self.show_external = widgets.Checkbox(False, description="extra-data entries")
        figure = self.use_figure(new_figure(7.0, 5.0))
        self.axes_error, self.axes_size = figure.subplots(2, 1, sharex=True)
        self._draw_once()
        self.watch(
            depth=self.show_depth,
            parameters=self.show_parameters,
            human=self.show_human,
            external=self.show_external,
        )
        self.children = [
            widgets.HBox(
                [
                    self.show_depth,
                    self.show_parameters,
                    self.show_human,
                    self.show_external,
                ]
            ),
            self.figure_image,
            self.caption,
            self.error,
        ]
        self.update()
        # The chart's parts never move: keep the layout of the first picture, so that
        # a change redraws without laying the figure out again.
        figure.set_layout_engine("none")

    def _draw_once(self):
        top = winners(self.history)
        axes = self.axes_error
        axes.plot(
            [row["year"] for row in top],
            [row["top5_error_percent"] for row in top],
            "o-",
            color="tab:blue",
            label="winner (challenge data only)",
        )
        self.annotations = [
            axes.annotate(
                f"{row['network'].split(' (')[0]}\n{row['top5_error_percent']} %",
                (row["year"], row["top5_error_percent"]),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize=7,
            )
            for row in top
        ]
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
        (self.external_points,) = axes.plot(
            [r["year"] for r in external],
            [r["top5_error_percent"] for r in external],
            "s",
            color="tab:green",
            markersize=5,
            label="with extra training data",
        )
        self.human_line = axes.axhline(
            HUMAN_TOP5_ERROR,
            color="tab:red",
            linestyle="--",
            label=f"human, {HUMAN_TOP5_ERROR} % (Russakovsky et al. 2015)",
        )
        axes.set_ylabel("top-5 error (%)")
        top_error = max(r["top5_error_percent"] for r in self.history)
        axes.set_ylim(0, max(33, 1.25 * top_error))
        years = sorted({r["year"] for r in self.history})
        axes.set_xlim(years[0] - 0.5, years[-1] + 0.5)
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
        self.axes_size.set_xticks(years)
        # One legend per axes, made once; _render greys the entries of hidden curves.
        self.legend_error = axes.legend(fontsize=7, loc="upper right")
        self.legend_size = self.axes_size.legend(fontsize=7, loc="lower right")
        self.toggled = {
            "depth": (self.depth_line, self.show_depth),
            "parameters": (self.parameters_line, self.show_parameters),
            "human": (self.human_line, self.show_human),
            "external": (self.external_points, self.show_external),
        }
        # Only these change: they are drawn over a saved picture of the rest (with
        # the labels of the winners, which must stay above the human line).
        self.figure_image.animate(
            *(line for line, _ in self.toggled.values()),
            *self.annotations,
            self.legend_error,
            self.legend_size,
        )

    def _render(self):
        for line, checkbox in self.toggled.values():
            line.set_visible(checkbox.value)
        for legend in (self.legend_error, self.legend_size):
            lines = {line.get_label(): line for line in legend.axes.get_lines()}
            for handle, text in zip(
                legend.legend_handles, legend.get_texts(), strict=True
            ):
                alpha = 1.0 if lines[text.get_text()].get_visible() else 0.3
                handle.set_alpha(alpha)
                text.set_alpha(alpha)
        self.legend_size.set_visible(
            self.depth_line.get_visible() or self.parameters_line.get_visible()
        )
        shown = [name for name, (line, _) in self.toggled.items() if line.get_visible()]
        self.caption.value = (
            f"<small>Shown besides the winners: {', '.join(shown) or 'nothing'}. "
            f"Human level {HUMAN_TOP5_ERROR} %: {html.escape(HUMAN_SOURCE)}. "
            "Errors: slide set 000; depth and parameters: the papers "
            "(see the <code>source</code> column of the data).</small>"
        )

    @property
    def visible(self) -> dict[str, bool]:
        """Which optional parts of the chart are drawn now."""
        return {name: line.get_visible() for name, (line, _) in self.toggled.items()}
