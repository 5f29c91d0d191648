"""Stacks of conv and pooling layers: output sizes, parameters, receptive fields (lecture 05).

``trace_stack`` is the course's one stack tracer: it follows a square input up a stack
of layers written as text (``"conv3, conv3, pool2"``) and tells, per layer, the output
size and channels, the learnable parameters, the receptive field, the jump and the input
window that the centre pixel sees. It builds on ``cl.conv``: ``output_size`` and
``padding_amounts`` for the sizes, ``conv_params`` for the parameters and
``grow_receptive_field`` (the one copy of the receptive-field step) for the fields.

Example::

    for step in cl.stacks.trace_stack("conv3, conv3, conv3", input_size=32):
        print(step.layer, step.output, step.parameters, step.receptive_field)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from course_lib.conv import (
    SIZE,
    conv_params,
    grow_receptive_field,
    output_size,
    padding_amounts,
)
from course_lib.core import (
    Bool,
    Choice,
    Instance,
    Int,
    Items,
    OneOf,
    Text,
    checked,
)

__all__ = ["Layer", "parse_layers", "LayerTrace", "trace_stack"]


@dataclass(frozen=True)
class Layer:
    """One layer of a stack: ``kind`` is "conv" or "pool", a ``size`` x ``size`` window."""

    kind: str
    size: int
    stride: int

    def __post_init__(self):
        if self.kind not in ("conv", "pool"):
            raise ValueError(f'kind must be "conv" or "pool", got {self.kind!r}')
        SIZE.check(self.size, "size")
        SIZE.check(self.stride, "stride")

    @property
    def name(self) -> str:
        """``conv3``, ``pool2``, ``conv7s2``: the way :func:`parse_layers` reads it."""
        default = 1 if self.kind == "conv" else self.size
        suffix = "" if self.stride == default else f"s{self.stride}"
        return f"{self.kind}{self.size}{suffix}"


_LAYER_PATTERN = re.compile(r"^(conv|pool)(\d+)(?:s(\d+))?$")
_LAYERS_EXAMPLE = 'e.g. "conv3, conv7s2, pool2"'


@checked(text=Text(max_length=10_000, empty=True))
def parse_layers(text: str) -> list[Layer]:
    """Read a stack like ``"conv3, conv3, pool2"``: ``conv<k>`` (stride 1),
    ``pool<k>`` (stride k), and ``s<n>`` after either for another stride (``conv7s2``).

    >>> [layer.stride for layer in parse_layers("conv7s2, pool3")]
    [2, 3]
    """
    tokens = [t.strip().lower() for t in text.replace(";", ",").split(",") if t.strip()]
    if not tokens:
        raise ValueError(f"layers: write at least one layer, {_LAYERS_EXAMPLE}")
    layers = []
    for token in tokens:
        match = _LAYER_PATTERN.match(token.replace(" ", ""))
        if not match:
            raise ValueError(
                f"layers: cannot read {token!r}; write conv<k>, pool<k> or add "
                f"s<stride>, {_LAYERS_EXAMPLE}"
            )
        kind, size = match.group(1), int(match.group(2))
        stride = (
            int(match.group(3)) if match.group(3) else (1 if kind == "conv" else size)
        )
        if size < 1:
            raise ValueError(
                f"layers: {token!r} has a {size}x{size} window; the size must be 1 or more"
            )
        if stride < 1:
            raise ValueError(
                f"layers: {token!r} has stride {stride}; the stride must be 1 or more"
            )
        layers.append(Layer(kind, size, stride))
    return layers


@dataclass(frozen=True)
class LayerTrace:
    """What one layer of a stack does (one entry of :func:`trace_stack`'s answer).

    ``window`` is the (first, last) input row (or column) seen by the centre pixel of
    the layer's output; it may reach into the padding (below 0 or past the input).
    ``jump`` is the number of input pixels between neighbouring outputs of the layer.
    """

    layer: str
    output_size: int
    channels: int
    parameters: int
    receptive_field: int
    jump: int
    window: tuple[int, int]

    @property
    def output(self) -> tuple[int, int, int]:
        """The output shape (height, width, channels)."""
        return (self.output_size, self.output_size, self.channels)


@checked(
    layers=OneOf(
        Text(max_length=10_000),
        Items(Instance(Layer, "a Layer"), 0, 1_000),
    ),
    input_size=Int(1, 10**6),
    in_channels=SIZE,
    filters=SIZE,
    padding=Choice("same", "valid"),
    bias=Bool(),
)
def trace_stack(
    layers: str | Sequence[Layer],
    input_size: int = 32,
    in_channels: int = 3,
    filters: int = 64,
    padding: str = "same",
    bias: bool = False,
) -> list[LayerTrace]:
    """Follow a square input through a stack of conv/pool layers, layer by layer.

    ``layers`` is text for :func:`parse_layers` or a list of :class:`Layer`.
    Convolutions have ``filters`` output channels and use ``padding`` ("same" or
    "valid"); pooling uses no padding. ``bias`` counts the biases as parameters.

    >>> [t.receptive_field for t in trace_stack("conv3, conv3, conv3")]
    [3, 5, 7]
    """
    if isinstance(layers, str):
        layers = parse_layers(layers)
    size, channels = input_size, in_channels
    field, jump = 1, 1
    start = 0  # input coordinate of the first window's first pixel, at this layer
    trace = []
    for index, layer in enumerate(layers):
        pad = padding if layer.kind == "conv" else "valid"
        before, after = padding_amounts(size, layer.size, layer.stride, pad)
        if layer.size > size + before + after:
            raise ValueError(
                f"layer {index + 1} ({layer.name}) gets a {size}x{size} input, smaller "
                f"than its {layer.size}x{layer.size} window; use fewer layers, "
                '"same" padding or a larger input'
            )
        size = output_size(size, layer.size, pad, layer.stride)
        parameters = 0
        if layer.kind == "conv":
            parameters = conv_params(layer.size, layer.size, channels, filters, bias)
            channels = filters
        start -= before * jump
        field, jump = grow_receptive_field(field, jump, layer.size, layer.stride)
        first = start + (size - 1) // 2 * jump  # the centre pixel of this output
        trace.append(
            LayerTrace(
                layer=layer.name,
                output_size=size,
                channels=channels,
                parameters=parameters,
                receptive_field=field,
                jump=jump,
                window=(first, first + field - 1),
            )
        )
    return trace
