"""Take a network apart: a layer table, the receptive field as it grows, a block diagram.

Pure functions first, then the :class:`ArchitectureExplorer` widget::

    summary = cl.architecture.summarize("VGG-D")   # built shapes-only, then released
    print(cl.architecture.format_table(summary.blocks))
    cl.architecture.ArchitectureExplorer()
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from course_lib.viz import ErrorBanner, FigureImage, new_figure, shows_errors

# ---------------------------------------------------------------------------------------
# The numbers


@dataclass(frozen=True)
class LayerRow:
    """One layer (or one block of layers) of a network."""

    name: str
    kind: str
    block: str
    output_shape: tuple
    parameters: int
    multiply_adds: int
    receptive_field: int  # side of the input square one output value can see
    jump: float  # distance in input pixels between neighbouring output values
    depth: int  # convolution and dense layers on the longest path from the input
    layers: int = 1


@dataclass(frozen=True)
class Architecture:
    """What :func:`summarize` finds out about a network."""

    name: str
    rows: list[LayerRow]
    blocks: list[LayerRow]
    parameters: int
    multiply_adds: int
    depth: int
    input_shape: tuple
    output_shape: tuple


WEIGHT_LAYERS = (
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "DepthwiseConv2D",
    "SeparableConv2D",
    "Dense",
)


def _shape(tensor) -> tuple:
    return tuple(tensor.shape[1:])


def _inputs(layer) -> list:
    inputs = layer.input
    return list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]


def multiply_adds(layer) -> int:
    """Multiply-add operations of one layer for one input image.

    Counted for convolutions and dense layers, the layers that do nearly all the work;
    pooling, normalization, activations and additions count as zero.
    """
    kind = type(layer).__name__
    if kind not in WEIGHT_LAYERS:
        return 0
    in_shape, out_shape = _shape(_inputs(layer)[0]), _shape(layer.output)
    if kind == "Dense":
        return int(np.prod(out_shape) * in_shape[-1])
    kernel = int(np.prod(layer.kernel_size))
    in_channels, out_positions = in_shape[-1], int(np.prod(out_shape[:-1]))
    if kind == "Conv2DTranspose":  # every input value is spread over a kernel
        return int(np.prod(in_shape[:-1]) * in_channels * kernel * out_shape[-1])
    if kind == "DepthwiseConv2D":
        return out_positions * out_shape[-1] * kernel
    if kind == "SeparableConv2D":
        middle = in_channels * layer.depth_multiplier
        return out_positions * (middle * kernel + middle * out_shape[-1])
    return out_positions * out_shape[-1] * kernel * in_channels // layer.groups


def _window(layer, in_shape) -> tuple[int, int] | None:
    """(kernel, stride) of a layer that looks at a window, along the height."""
    kind = type(layer).__name__
    if kind in ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv1D"):
        dilation = layer.dilation_rate[0]
        return dilation * (layer.kernel_size[0] - 1) + 1, layer.strides[0]
    if kind in ("MaxPooling2D", "AveragePooling2D", "MaxPooling1D", "AveragePooling1D"):
        return layer.pool_size[0], layer.strides[0]
    if kind.startswith("Global") or kind == "Flatten":
        if len(in_shape) >= 2:  # sees the whole map at once
            return in_shape[0], in_shape[0]
    return None


def analyse(model) -> list[LayerRow]:
    """One :class:`LayerRow` per layer of a functional model, in order.

    The receptive field r and the jump j follow each tensor through the graph:
    a window of size k and stride s makes r + (k - 1) j and j s; where branches meet
    (add, concatenate) the largest value wins.
    """
    seen: dict[int, tuple[int, float, int]] = {}
    rows = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            field, jump, depth = 1, 1.0, 0
        else:
            known = [seen[id(t)] for t in _inputs(layer) if id(t) in seen]
            if not known:
                raise ValueError(f"layer {layer.name} is not connected to the input")
            field = max(k[0] for k in known)
            jump = max(k[1] for k in known)
            depth = max(k[2] for k in known) + (kind in WEIGHT_LAYERS)
            in_shape = _shape(_inputs(layer)[0])
            window = _window(layer, in_shape)
            if window is not None:
                kernel, stride = window
                field, jump = field + (kernel - 1) * jump, jump * stride
            elif kind == "Conv2DTranspose":
                kernel, stride = layer.kernel_size[0], layer.strides[0]
                field += (math.ceil(kernel / stride) - 1) * jump
                jump /= stride
            elif kind == "UpSampling2D":
                jump /= layer.size[0]
        seen[id(layer.output)] = (int(round(field)), jump, depth)
        rows.append(
            LayerRow(
                name=layer.name,
                kind=kind,
                block=layer.name.split("_")[0],
                output_shape=_shape(layer.output),
                parameters=layer.count_params(),
                multiply_adds=0 if kind == "InputLayer" else multiply_adds(layer),
                receptive_field=int(round(field)),
                jump=jump,
                depth=depth,
            )
        )
    return rows


def _block_kind(kinds: set[str]) -> str:
    if "Add" in kinds:
        return "residual"
    if "Concatenate" in kinds:
        return "concatenation"
    if kinds & {"Conv2D", "DepthwiseConv2D", "Conv2DTranspose", "SeparableConv2D"}:
        return "convolution"
    if "Dense" in kinds:
        return "dense"
    if any("Pooling" in k for k in kinds):
        return "pooling"
    return "other"


def group_blocks(rows: list[LayerRow]) -> list[LayerRow]:
    """Merge consecutive layers of the same block (the name before the first ``_``)."""
    groups: list[list[LayerRow]] = []
    for row in rows:
        if groups and groups[-1][0].block == row.block:
            groups[-1].append(row)
        else:
            groups.append([row])
    return [
        LayerRow(
            name=group[0].block,
            kind=_block_kind({r.kind for r in group}),
            block=group[0].block,
            output_shape=group[-1].output_shape,
            parameters=sum(r.parameters for r in group),
            multiply_adds=sum(r.multiply_adds for r in group),
            receptive_field=max(r.receptive_field for r in group),
            jump=group[-1].jump,
            depth=max(r.depth for r in group),
            layers=len(group),
        )
        for group in groups
    ]


def summarize(
    network: str | Callable | object, name: str | None = None
) -> Architecture:
    """Layer table and totals of a network.

    ``network`` is a name from ``cl.zoo.NETWORKS`` or a function returning a model (both
    built shapes-only and released afterwards, so even VGG19 costs next to no memory),
    or a model you already have.
    """
    from course_lib import zoo

    built_here = isinstance(network, str) or (
        callable(network) and not hasattr(network, "layers")
    )
    if isinstance(network, str):
        name = name or network
        model = zoo.build(network, allocate=False)
    elif built_here:
        with zoo.shapes_only():
            model = network()
    else:
        model = network
    rows = analyse(model)
    summary = Architecture(
        name=name or model.name,
        rows=rows,
        blocks=group_blocks(rows),
        parameters=model.count_params(),
        multiply_adds=sum(r.multiply_adds for r in rows),
        depth=max(r.depth for r in rows),
        input_shape=rows[0].output_shape,
        output_shape=rows[-1].output_shape,
    )
    if built_here:
        del model
        zoo.release()
    return summary


def receptive_field_growth(rows: list[LayerRow]) -> list[tuple[int, int]]:
    """(depth, receptive field) after each convolution or dense layer on the way."""
    growth: dict[int, int] = {}
    for row in rows:
        if row.kind in WEIGHT_LAYERS:
            growth[row.depth] = max(growth.get(row.depth, 0), row.receptive_field)
    return sorted(growth.items())


def _shape_text(shape) -> str:
    return "×".join(str(s) for s in shape)


def format_count(number: float) -> str:
    """12,345 as "12.3 k", 138,357,544 as "138.4 M", 15.5e9 as "15.5 G"."""
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= size:
            return f"{number / size:.1f} {unit}"
    return str(int(number))


def format_table(rows: list[LayerRow], limit: int | None = None) -> str:
    """A plain-text table: name, kind, output shape, parameters, multiply-adds, field."""
    header = (
        f"{'name':24} {'kind':19} {'output':>14} {'params':>12} "
        f"{'mult-adds':>10} {'field':>6}"
    )
    lines = [header, "-" * len(header)]
    shown = rows if limit is None else rows[:limit]
    for r in shown:
        lines.append(
            f"{r.name[:24]:24} {r.kind[:19]:19} {_shape_text(r.output_shape):>14} "
            f"{r.parameters:>12,} {format_count(r.multiply_adds):>10} "
            f"{r.receptive_field:>6}"
        )
    if len(shown) < len(rows):
        lines.append(f"... and {len(rows) - len(shown)} more rows")
    return "\n".join(lines)


def _table_html(rows: list[LayerRow]) -> str:
    head = "".join(
        f"<th style='text-align:{a};padding:0 6px'>{t}</th>"
        for t, a in [
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
        f"<td style='text-align:right'>{_shape_text(r.output_shape)}</td>"
        f"<td style='text-align:right'>{r.parameters:,}</td>"
        f"<td style='text-align:right'>{format_count(r.multiply_adds)}</td>"
        f"<td style='text-align:right'>{r.receptive_field}</td></tr>"
        for r in rows
    )
    return (
        "<div style='max-height:260px;overflow-y:auto;font-size:12px'>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


# ---------------------------------------------------------------------------------------
# Drawing

BLOCK_COLORS = {
    "convolution": "tab:blue",
    "pooling": "tab:gray",
    "dense": "tab:orange",
    "residual": "tab:green",
    "concatenation": "tab:purple",
    "other": "0.8",
}


def draw_blocks(axes, blocks: list[LayerRow]) -> list:
    """A compact block diagram: one box per block, left to right.

    Box height grows with log2 of the side of the block's output map (a dense output
    counts as one pixel), box width with log2 of its channels; the colour says what kind
    of block it is. Returns the boxes drawn.
    """
    from matplotlib.patches import Rectangle

    axes.cla()
    first = blocks[0].output_shape
    levels = math.log2(first[0]) + 1 if len(first) > 1 else 1.0
    most_channels = max(b.output_shape[-1] for b in blocks)
    boxes = []
    x = 0.0
    for block in blocks:
        shape = block.output_shape
        side = shape[0] if len(shape) > 1 else 1
        height = 0.9 * (math.log2(max(side, 1)) + 1) / levels
        width = 0.3 + 0.7 * math.log2(shape[-1] + 1) / math.log2(most_channels + 1)
        box = Rectangle(
            (x, -height / 2),
            width,
            height,
            facecolor=BLOCK_COLORS[block.kind],
            edgecolor="black",
            linewidth=0.5,
        )
        axes.add_patch(box)
        boxes.append(box)
        x += width + 0.15
    centers = [b.get_x() + b.get_width() / 2 for b in boxes]
    fontsize = max(4, min(8, 400 // max(len(blocks), 1)))
    axes.set_xticks(centers)
    axes.set_xticklabels([b.name for b in blocks], rotation=90, fontsize=fontsize)
    axes.set_xlim(-0.2, x)
    axes.set_ylim(-0.5, 0.75)
    axes.set_yticks([])
    for name, color in BLOCK_COLORS.items():
        if any(b.kind == name for b in blocks):
            axes.bar(0, 0, color=color, label=name)
    axes.legend(fontsize=7, loc="upper center", ncol=6, frameon=False)
    axes.set_title(
        "blocks: height = log of the map side, width = log of the channels", fontsize=9
    )
    return boxes


# ---------------------------------------------------------------------------------------
# The widget


class ArchitectureExplorer(widgets.VBox):
    """Pick a famous network: its layers, totals, receptive field and block diagram.

    Networks are built shapes-only and released at once (only the summary is kept),
    so even the big ones cost next to no memory. ``summary`` is the current
    :class:`Architecture`.
    """

    def __init__(
        self, networks: dict[str, Callable] | None = None, value: str | None = None
    ):
        from course_lib import zoo

        self.networks = dict(zoo.NETWORKS if networks is None else networks)
        if not self.networks:
            raise ValueError("give at least one network")
        value = value or next(iter(self.networks))
        if value not in self.networks:
            raise ValueError(
                f"unknown network {value!r}; known: {', '.join(self.networks)}"
            )
        self._cache: dict[str, Architecture] = {}
        self.summary: Architecture | None = None
        self.network = widgets.Dropdown(
            options=list(self.networks), value=value, description="network"
        )
        self.detail = widgets.ToggleButtons(
            options=["blocks", "layers"], value="blocks", description="table"
        )
        self.totals = widgets.HTML()
        self.table = widgets.HTML()
        self.error = ErrorBanner()
        figure = new_figure(7.5, 5.0)
        self.axes_field, self.axes_blocks = figure.subplots(
            2, 1, height_ratios=[1, 1.2]
        )
        (self.field_line,) = self.axes_field.plot([], [], "o-", markersize=3)
        self.axes_field.set_xlabel("convolution and dense layers from the input")
        self.axes_field.set_ylabel("receptive field (pixels)")
        self.axes_field.set_yscale("log")
        self.image = FigureImage(figure)
        self.network.observe(self._on_network, names="value")
        self.detail.observe(self._show_table, names="value")
        super().__init__(
            [
                widgets.HBox([self.network, self.detail]),
                self.totals,
                self.error,
                self.image,
                self.table,
            ]
        )
        self._on_network()

    @shows_errors
    def _on_network(self, change=None):
        name = self.network.value
        if name not in self._cache:
            self.totals.value = f"building {html.escape(name)} (shapes only)…"
            self._cache[name] = summarize(self.networks[name], name=name)
        self.summary = summary = self._cache[name]
        self.totals.value = (
            f"<b>{html.escape(name)}</b>: input {_shape_text(summary.input_shape)}, "
            f"output {_shape_text(summary.output_shape)}; "
            f"<b>{summary.parameters:,}</b> parameters "
            f"({format_count(summary.parameters)}, "
            f"{summary.parameters * 4 / 1e6:,.0f} MB in float32); "
            f"<b>{format_count(summary.multiply_adds)}</b> multiply-adds per image; "
            f"depth <b>{summary.depth}</b> (convolution and dense layers); "
            f"final receptive field {summary.rows[-1].receptive_field} pixels"
        )
        growth = receptive_field_growth(summary.rows)
        depths, fields = np.array(growth).T
        self.field_line.set_data(depths, fields)
        input_side = summary.input_shape[0]
        for line in self.axes_field.lines[1:]:
            line.remove()
        self.axes_field.axhline(input_side, color="tab:red", linestyle="--", lw=0.8)
        self.axes_field.relim()
        self.axes_field.autoscale_view()
        self.axes_field.set_title(
            f"{name}: receptive field layer by layer (dashed: the input side)",
            fontsize=9,
        )
        draw_blocks(self.axes_blocks, summary.blocks)
        self.image.refresh()
        self._show_table()

    @shows_errors
    def _show_table(self, change=None):
        if self.summary is None:
            return
        rows = (
            self.summary.blocks if self.detail.value == "blocks" else self.summary.rows
        )
        self.table.value = _table_html(rows)
