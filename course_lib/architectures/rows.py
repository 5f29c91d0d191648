"""The rows of a layer table (:class:`LayerRow`, :class:`Architecture`) and their
declarations, shared by the analysis, the diagram and the widgets."""

from __future__ import annotations

from dataclasses import dataclass

from course_lib.core import Constraint, Instance, Items

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


def _example_row() -> LayerRow:
    return LayerRow("input", "InputLayer", "input", (8, 8, 1), 0, 0, 1, 1.0, 0)


ROW = Instance(LayerRow, "a LayerRow", _example_row)


class _Rows(Items):
    """A list of :class:`LayerRow`, such as ``summarize(...).rows`` or ``.blocks``."""

    def describe(self):
        return "a list of LayerRow, such as summarize(...).rows or .blocks" + (
            ", not empty" if self.min_length else ""
        )

    def convert(self, value, name):
        return list(super().convert(value, name))


ROWS = _Rows(ROW, 0, 1_000_000)
BLOCKS = _Rows(ROW, 1, 1_000_000)


class _Lazy(Constraint):
    """An instance of a Keras or matplotlib class, looked up when a value comes (so that
    importing this module starts neither)."""

    def __init__(self, module: str, kind: str, what: str, example):
        self.module, self.kind, self.what, self._example = module, kind, what, example

    def describe(self):
        return self.what

    def convert(self, value, name):
        import importlib

        if not isinstance(
            value, getattr(importlib.import_module(self.module), self.kind)
        ):
            self.fail(name, value)
        return value

    def example(self):
        return self._example()

    def bad_values(self):
        return [None, "text", 3]


def _example_layer():
    import keras

    return keras.layers.Dense(2)


def _example_axes():
    from matplotlib.figure import Figure

    return Figure().add_subplot()


LAYER = _Lazy("keras.layers", "Layer", "a Keras layer", _example_layer)
AXES = _Lazy("matplotlib.axes", "Axes", "matplotlib axes", _example_axes)
