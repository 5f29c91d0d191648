"""Take a network apart: a layer table, the receptive field as it grows, a block diagram.

The numbers behind lecture 13 and its ``cl.widgets.ArchitectureExplorer``::

    summary = cl.architectures.summarize("VGG-D")   # built shapes-only, then released
    print(cl.architectures.format_table(summary.blocks))
    cl.architectures.winners(cl.data.load_ilsvrc_history())   # ILSVRC, year by year

``summarize`` takes a name from ``cl.zoo.NETWORKS``, a function that returns a model, or a
model you already have (functional or ``keras.Sequential``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from course_lib.conv import grow_receptive_field
from course_lib.core import check_int, check_number, choose, show

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


def _rows(rows, name: str = "rows") -> list[LayerRow]:
    """A list of :class:`LayerRow` (from :func:`analyse` or a summary), else a
    ValueError."""
    if isinstance(rows, (list, tuple)) and all(isinstance(r, LayerRow) for r in rows):
        return list(rows)
    raise ValueError(
        f"{name} must be a list of LayerRow, such as summarize(...).rows or .blocks; "
        f"got {show(rows)}"
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
    import keras

    if not isinstance(layer, keras.layers.Layer):
        raise ValueError(f"layer must be a Keras layer, got {show(layer)}")
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


def _window(layer, in_shape) -> tuple[float, float] | None:
    """(kernel, stride) of a layer that looks at a window, along the height.

    A transposed convolution of kernel k and stride s is a window of ceil(k / s) inputs
    moved by 1/s of an input; an up-sampling by s a window of 1 moved by 1/s.
    """
    kind = type(layer).__name__
    if kind in ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv1D"):
        dilation = layer.dilation_rate[0]
        return dilation * (layer.kernel_size[0] - 1) + 1, layer.strides[0]
    if kind in ("MaxPooling2D", "AveragePooling2D", "MaxPooling1D", "AveragePooling1D"):
        return layer.pool_size[0], layer.strides[0]
    if kind == "Conv2DTranspose":
        kernel, stride = layer.kernel_size[0], layer.strides[0]
        return math.ceil(kernel / stride), 1 / stride
    if kind == "UpSampling2D":
        return 1, 1 / layer.size[0]
    if kind.startswith("Global") or kind == "Flatten":
        if len(in_shape) >= 2:  # sees the whole map at once
            return in_shape[0], in_shape[0]
    return None


def _model_inputs(model) -> list:
    try:
        inputs = model.inputs
    except AttributeError:  # a Sequential model that has never seen its input
        inputs = None
    if not inputs:
        raise ValueError(
            f"model {model.name!r} has no input shape yet: start it with keras.Input(...) "
            "or call model.build(input_shape) first"
        )
    return list(inputs)


def _input_row(tensor, name: str) -> LayerRow:
    return LayerRow(
        name=name,
        kind="InputLayer",
        block=name.split("_")[0],
        output_shape=_shape(tensor),
        parameters=0,
        multiply_adds=0,
        receptive_field=1,
        jump=1.0,
        depth=0,
    )


def analyse(model) -> list[LayerRow]:
    """One :class:`LayerRow` per layer of a built model, in order, input first.

    Works for functional and ``keras.Sequential`` models (a Sequential model needs its
    input shape: ``keras.Input`` as its first entry, or ``model.build(...)``).
    The receptive field r and the jump j follow each tensor through the graph: a window
    of size k and stride s makes r + (k - 1) j and j s
    (:func:`cl.conv.grow_receptive_field`); where branches meet (add, concatenate) the
    largest value wins. An up-sampling by s is a stride of 1/s.

    >>> import keras
    >>> model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 5)])
    >>> [(row.kind, row.output_shape, row.receptive_field) for row in analyse(model)]
    [('InputLayer', (28, 28, 1), 1), ('Conv2D', (24, 24, 8), 5)]
    """
    if not (hasattr(model, "layers") and hasattr(model, "count_params")):
        raise ValueError(f"model must be a Keras model, got {show(model)}")
    seen: dict[int, tuple[int, float, int]] = {}
    rows = []
    if not any(type(layer).__name__ == "InputLayer" for layer in model.layers):
        # keras.Sequential hides its InputLayer: start from the model's inputs instead
        for tensor in _model_inputs(model):
            seen[id(tensor)] = (1, 1.0, 0)
            rows.append(_input_row(tensor, "input"))
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            field, jump, depth = 1, 1.0, 0
        else:
            try:
                inputs = _inputs(layer)
            except (AttributeError, ValueError) as exc:
                raise ValueError(
                    f"layer {layer.name} has never been called on an input: {exc}"
                ) from None
            known = [seen[id(t)] for t in inputs if id(t) in seen]
            if not known:
                raise ValueError(f"layer {layer.name} is not connected to the input")
            field = max(k[0] for k in known)
            jump = max(k[1] for k in known)
            depth = max(k[2] for k in known) + (kind in WEIGHT_LAYERS)
            window = _window(layer, _shape(inputs[0]))
            if window is not None:
                field, jump = grow_receptive_field(field, jump, *window)
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
    rows = _rows(rows)
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
    or a model you already have: functional or ``keras.Sequential``, built (it needs its
    input shape), with or without weights.

    >>> summary = summarize("LeNet-5")
    >>> summary.parameters, summary.depth, summary.input_shape
    (61706, 5, (32, 32, 1))
    """
    from course_lib import zoo

    is_model = hasattr(network, "layers") and hasattr(network, "count_params")
    if name is not None and not isinstance(name, str):
        raise ValueError(f"name must be text (or None), got {show(name)}")
    if callable(network) and not is_model and not isinstance(network, str):
        zoo._no_arguments(network, "network")
    if isinstance(network, str):
        network = choose(network, zoo.NETWORKS, "network")
        name = name or network
    elif not (is_model or callable(network)):
        raise ValueError(
            "network must be a name from cl.zoo.NETWORKS, a function that returns a "
            f"Keras model, or a Keras model; got {type(network).__name__}"
        )
    model = network
    try:
        if not is_model:  # build it shapes-only, released below
            with zoo.shapes_only():
                model = (
                    zoo.NETWORKS[network]() if isinstance(network, str) else network()
                )
            if not (hasattr(model, "layers") and hasattr(model, "count_params")):
                raise ValueError(
                    f"the network function returned {type(model).__name__}, not a model"
                )
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
    finally:
        if not is_model:
            model = None  # forget the shapes-only model, then clear Keras' state
            zoo.release()
    return summary


def receptive_field_growth(rows: list[LayerRow]) -> list[tuple[int, int]]:
    """(depth, receptive field) after each convolution or dense layer on the way."""
    rows = _rows(rows)
    growth: dict[int, int] = {}
    for row in rows:
        if row.kind in WEIGHT_LAYERS:
            growth[row.depth] = max(growth.get(row.depth, 0), row.receptive_field)
    return sorted(growth.items())


def format_shape(shape) -> str:
    """(224, 224, 3) as "224×224×3"."""
    if isinstance(shape, (str, bytes)):
        raise ValueError(f"shape must be a tuple of sizes, got {show(shape)}")
    try:
        sizes = list(shape)
    except TypeError:
        raise ValueError(f"shape must be a tuple of sizes, got {show(shape)}") from None
    return "×".join(str(s) for s in sizes)


def format_count(number: float) -> str:
    """12,345 as "12.3 k", 138,357,544 as "138.4 M", 15.5e9 as "15.5 G"."""
    number = check_number(number, "number")
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
    rows = _rows(rows)
    shown = rows if limit is None else rows[: check_int(limit, "limit", 0)]
    for r in shown:
        lines.append(
            f"{r.name[:24]:24} {r.kind[:19]:19} {format_shape(r.output_shape):>14} "
            f"{r.parameters:>12,} {format_count(r.multiply_adds):>10} "
            f"{r.receptive_field:>6}"
        )
    if len(shown) < len(rows):
        lines.append(f"... and {len(rows) - len(shown)} more rows")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# The block diagram

BLOCK_COLORS = {
    "convolution": "tab:blue",
    "pooling": "tab:gray",
    "dense": "tab:orange",
    "residual": "tab:green",
    "concatenation": "tab:purple",
    "other": "0.8",
}
"""The colour of each kind of block in the diagram."""

BLOCK_GAP = 0.15
"""Space between two boxes of the block diagram."""


def block_boxes(blocks: list[LayerRow]) -> list[tuple[float, float, float]]:
    """``(x, width, height)`` of one box per block, left to right, centred on y = 0.

    The height grows with log2 of the side of the block's output map (a dense output
    counts as one pixel) up to 0.9, the width with log2 of its channels, from 0.3 to 1.

    >>> boxes = block_boxes(summarize("LeNet-5").blocks)   # 32x32x1 in, 10 out
    >>> [round(height, 2) for x, width, height in boxes]
    [0.9, 0.87, 0.72, 0.65, 0.5, 0.15, 0.15, 0.15]
    """
    blocks = _rows(blocks, "blocks")
    if not blocks:
        raise ValueError("blocks is empty: give the blocks of a summary")
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
        boxes.append((x, width, height))
        x += width + BLOCK_GAP
    return boxes


def draw_blocks(axes, blocks: list[LayerRow]) -> list:
    """Draw the block diagram of :func:`block_boxes` on an empty matplotlib axes.

    The colour says what kind of block it is (:data:`BLOCK_COLORS`). Returns the boxes
    (``matplotlib.patches.Rectangle``), one per block.
    """
    from matplotlib.patches import Patch, Rectangle

    if not hasattr(axes, "add_patch"):
        raise ValueError(f"axes must be matplotlib axes, got {show(axes)}")
    boxes = []
    for block, (x, width, height) in zip(blocks, block_boxes(blocks), strict=True):
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
    fontsize = max(4, min(8, 400 // len(blocks)))
    axes.set_xticks([b.get_x() + b.get_width() / 2 for b in boxes])
    axes.set_xticklabels([b.name for b in blocks], rotation=90, fontsize=fontsize)
    axes.set_xlim(-0.2, boxes[-1].get_x() + boxes[-1].get_width() + BLOCK_GAP)
    axes.set_ylim(-0.5, 0.75)
    axes.set_yticks([])
    kinds = {b.kind for b in blocks}
    axes.legend(
        handles=[
            Patch(color=color, label=kind)
            for kind, color in BLOCK_COLORS.items()
            if kind in kinds
        ],
        fontsize=7,
        loc="upper center",
        ncol=6,
        frameon=False,
    )
    axes.set_title(
        "blocks: height = log of the map side, width = log of the channels", fontsize=9
    )
    return boxes


# ---------------------------------------------------------------------------------------
# ILSVRC, year by year (the table is cl.data.load_ilsvrc_history())


def winners(history: list[dict], external_data: bool = False) -> list[dict]:
    """The first-placed entry of each year, by year.

    Only entries trained on the challenge data count, unless ``external_data``; then
    the best first-placed entry of the year, with or without extra data.

    >>> from course_lib.data import load_ilsvrc_history
    >>> [row["top5_error_percent"] for row in winners(load_ilsvrc_history())][:3]
    [25.7, 16.4, 11.7]
    """
    needed = ("year", "place", "external_data", "top5_error_percent")
    if not isinstance(history, (list, tuple)) or not all(
        isinstance(row, dict) and all(key in row for key in needed) for row in history
    ):
        raise ValueError(
            "history must be the rows of cl.data.load_ilsvrc_history(): dicts with "
            f"{', '.join(needed)}; got {show(history)}"
        )
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
