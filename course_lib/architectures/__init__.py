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

import numpy as np

from course_lib.architectures.diagram import (
    BLOCK_COLORS,
    BLOCK_GAP,
    block_boxes,
    draw_blocks,
)
from course_lib.architectures.history import HISTORY, WINNERS_HISTORY, winners
from course_lib.architectures.rows import (
    BLOCKS,
    LAYER,
    ROW,
    ROWS,
    WEIGHT_LAYERS,
    Architecture,
    LayerRow,
)
from course_lib.conv import grow_receptive_field
from course_lib.core import (
    Constraint,
    Int,
    Items,
    Model,
    Number,
    Optional,
    Text,
    checked,
)

MODEL = Model(what="a built Keras model")


def _shape(tensor) -> tuple:
    return tuple(tensor.shape[1:])


def _inputs(layer) -> list:
    inputs = layer.input
    return list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]


@checked(layer=LAYER)
def multiply_adds(layer) -> int:
    """Multiply-add operations of one layer for one input image.

    Counted for convolutions and dense layers, the layers that do nearly all the work;
    pooling, normalization, activations and additions count as zero.
    """
    kind = type(layer).__name__
    if kind not in WEIGHT_LAYERS:
        return 0
    try:
        _inputs(layer)
    except (AttributeError, ValueError):
        raise ValueError(
            f"layer {layer.name!r} has not been used on an input yet: it has no shapes "
            "to count with"
        ) from None
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


@checked(model=MODEL)
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


@checked(rows=ROWS)
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


def _is_model(value) -> bool:
    return hasattr(value, "layers") and hasattr(value, "count_params")


class _Network(Constraint):
    """A network to summarize: a name from ``cl.zoo.NETWORKS``, a model builder, or a
    built Keras model (the zoo is imported only when one comes)."""

    def describe(self):
        return (
            "a name from cl.zoo.NETWORKS, a function of no arguments that returns a "
            "model, or a built Keras model"
        )

    def convert(self, value, name):
        from course_lib import zoo

        if isinstance(value, str):
            return zoo.NETWORK.check(value, name)  # lists the known names
        if _is_model(value):
            return MODEL.check(value, name)
        if callable(value):
            return zoo.BUILDER.check(value, name)
        self.fail(name, value)

    def example(self):
        return "LeNet-5"

    def bad_values(self):
        return [None, "no such network", 3, len]


@checked(network=_Network(), name=Optional(Text(max_length=200)))
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

    is_model = _is_model(network)
    if isinstance(network, str):
        name = name or network
    model = network
    try:
        if not is_model:  # build it shapes-only, released below
            with zoo.shapes_only():
                model = (
                    zoo.NETWORKS[network]() if isinstance(network, str) else network()
                )
            if not _is_model(model):
                raise ValueError(
                    f"the network function returned {type(model).__name__}, not a model"
                )
            MODEL.check(model, "the model the network function returns")
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


@checked(rows=ROWS)
def receptive_field_growth(rows: list[LayerRow]) -> list[tuple[int, int]]:
    """(depth, receptive field) after each convolution or dense layer on the way."""
    growth: dict[int, int] = {}
    for row in rows:
        if row.kind in WEIGHT_LAYERS:
            growth[row.depth] = max(growth.get(row.depth, 0), row.receptive_field)
    return sorted(growth.items())


class _Shape(Items):
    """A shape: sizes, None where a size is not known (a Keras batch axis)."""

    def bad_values(self):
        return [None, "text", 3, ["a"], [-1]]


@checked(shape=_Shape(Optional(Int(0, 10**12)), 0, 16))
def format_shape(shape) -> str:
    """(224, 224, 3) as "224×224×3" (an unknown size, None, as "?")."""
    return "×".join("?" if s is None else str(s) for s in shape)


@checked(number=Number())
def format_count(number: float) -> str:
    """12,345 as "12.3 k", 138,357,544 as "138.4 M", 15.5e9 as "15.5 G"."""
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= size:
            return f"{number / size:.1f} {unit}"
    return str(int(number))


@checked(rows=ROWS, limit=Optional(Int(0, 10**6)))
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
            f"{r.name[:24]:24} {r.kind[:19]:19} {format_shape(r.output_shape):>14} "
            f"{r.parameters:>12,} {format_count(r.multiply_adds):>10} "
            f"{r.receptive_field:>6}"
        )
    if len(shown) < len(rows):
        lines.append(f"... and {len(rows) - len(shown)} more rows")
    return "\n".join(lines)


__all__ = [
    "BLOCKS",
    "BLOCK_COLORS",
    "BLOCK_GAP",
    "HISTORY",
    "ROW",
    "ROWS",
    "WEIGHT_LAYERS",
    "WINNERS_HISTORY",
    "Architecture",
    "LayerRow",
    "analyse",
    "block_boxes",
    "draw_blocks",
    "format_count",
    "format_shape",
    "format_table",
    "group_blocks",
    "multiply_adds",
    "receptive_field_growth",
    "summarize",
    "winners",
]
