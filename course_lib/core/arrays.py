"""Declared checks for arrays, images, labels and Keras models (see
:mod:`course_lib.core.checks` for the idea and the conventions)."""

from __future__ import annotations

import numpy as np

from course_lib.core.basics import _range_text
from course_lib.core.checks import Constraint


def _floats_or_fail(constraint, value, name):
    if isinstance(value, (str, bytes, dict, set)) or value is None:
        constraint.fail(name, value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        array = value
    else:
        try:
            array = np.asarray(value)
        except (TypeError, ValueError, OverflowError):
            constraint.fail(name, value)
    if array.dtype.kind not in "biuf":
        constraint.fail(name, value, got=f"an array of {array.dtype}")
    return array


def _shape_text(names: str | tuple, sizes: dict) -> str:
    return "(" + ", ".join(str(sizes.get(n, n)) for n in names) + ")"


class Array(Constraint):
    """A finite array of numbers: ``ndim`` (an int or a tuple of allowed ints),
    ``shape`` (ints and None for any size), values from ``low`` to ``high``,
    ``dtype`` "float" (float64 out), "float32", "int" (whole numbers, int64 out) or "number" (the
    array's own dtype kept: integer inputs stay integers); at least ``min_size``
    numbers."""

    def __init__(
        self,
        ndim=None,
        shape: tuple | None = None,
        dtype: str = "float",
        low=None,
        high=None,
        max_size: int = 50_000_000,
        what: str = "an array",
        min_size: int = 1,
    ):
        if shape is not None:
            ndim = len(shape)
        self.ndim = (ndim,) if isinstance(ndim, int) else ndim
        self.shape, self.dtype, self.low, self.high = shape, dtype, low, high
        self.max_size, self.what, self.min_size = max_size, what, min_size

    def describe(self):
        parts = [self.what]
        if self.shape is not None:
            parts.append(
                "of shape ("
                + ", ".join("N" if s is None else str(s) for s in self.shape)
                + ("," if len(self.shape) == 1 else "")
                + ")"
            )
        elif self.ndim is not None and self.what == "an array":
            parts.append("with " + " or ".join(map(str, self.ndim)) + " axes")
        kind = "whole numbers" if self.dtype == "int" else "finite numbers"
        parts.append(f"of {_range_text(self.low, self.high, kind)}")
        return " ".join(parts)

    def convert(self, value, name):
        array = _floats_or_fail(self, value, name)
        if self.ndim is not None and array.ndim not in self.ndim:
            self.fail(name, value, got=f"shape {array.shape}")
        if self.shape is not None and any(
            want is not None and want != got
            for want, got in zip(self.shape, array.shape, strict=False)
        ):
            self.fail(name, value, got=f"shape {array.shape}")
        if array.size > self.max_size:
            self.fail(
                name, value, got=f"{array.size:,} numbers (at most {self.max_size:,})"
            )
        if array.size < self.min_size:
            self.fail(name, value, got=f"{array.size} numbers")
        # Whole numbers are finite; floats are checked where they lie: an array kept in
        # its own dtype ("number") is never copied just to look at it.
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            self.fail(name, value, got="NaN or infinite values")
        if self.dtype != "number":
            array = array.astype(np.float64)
        if self.dtype == "float32":
            with np.errstate(over="ignore"):
                array = array.astype(np.float32)
            if not np.isfinite(array).all():
                self.fail(name, value, got="numbers too large for float32")
        if self.dtype == "int":
            if not (array == np.round(array)).all():
                self.fail(name, value, got="fractions")
            array = array.astype(np.int64)
        if array.size and self.low is not None and array.min() < self.low:
            self.fail(name, value, got=f"a value {array.min():g}")
        if array.size and self.high is not None and array.max() > self.high:
            self.fail(name, value, got=f"a value {array.max():g}")
        return array

    def example(self):
        shape = (
            tuple(2 if s is None else s for s in self.shape)
            if self.shape
            else (2,) * (self.ndim[0] if self.ndim else 1)
        )
        fill = (
            self.low
            if self.low is not None
            else (self.high if self.high is not None else 0)
        )
        return np.full(
            shape, fill, dtype=np.int64 if self.dtype == "int" else np.float64
        )

    def bad_values(self):
        good = self.example()
        bad = [None, "text", np.full(good.shape, np.nan)]
        if self.ndim is not None:
            bad.append(np.zeros((2,) * (max(self.ndim) + 1)))
        if self.low is not None:
            bad.append(good - 1 - abs(self.low))
        if self.high is not None:
            bad.append(good + 1 + abs(self.high))
        return bad


_AXIS_NAMES = {"N": "N", "H": "H", "W": "W", "C": "C"}


class Images(Constraint):
    """Images in a declared ``layout`` ("HW", "HWC", "NHW" or "NHWC"; a tuple allows
    several), as uint8 0-255 or floats 0-1, returned as float32 0-1 (``to="float"``),
    uint8 (``to="uint8"``) or unchanged (``to=None``).

    ``channels``: allowed sizes of the C axis (an int or a tuple); ``size``: (H, W) that
    must match; ``min_side``/``max_side``: bounds on H and W; ``max_count``: at most
    this many images in a batch.
    """

    def __init__(
        self,
        layout="NHW",
        channels=None,
        size: tuple | None = None,
        to: str | None = "float",
        min_side: int = 1,
        max_side: int = 4096,
        max_count: int = 200_000,
    ):
        self.layouts = (layout,) if isinstance(layout, str) else tuple(layout)
        self.channels = (channels,) if isinstance(channels, int) else channels
        self.size, self.to = size, to
        self.min_side, self.max_side, self.max_count = min_side, max_side, max_count

    def _layout_text(self, layout):
        sizes = {}
        if self.size is not None:
            sizes.update(H=self.size[0], W=self.size[1])
        if self.channels is not None:
            sizes["C"] = "/".join(map(str, self.channels))
        return _shape_text(layout, sizes)

    def describe(self):
        shapes = " or ".join(self._layout_text(layout) for layout in self.layouts)
        kind = (
            "images" if any(lay.startswith("N") for lay in self.layouts) else "an image"
        )
        return f"{kind} {shapes} of uint8 0-255 or float 0-1 pixels"

    def _layout_of(self, array, name, value):
        if (
            array.ndim == 3
            and array.shape[-1] == 1
            and "NHW" in self.layouts
            and "HWC" not in self.layouts
        ):  # one (H, W, 1) image, never H images of W x 1 pixels
            self.fail(
                name,
                value,
                "one image with a channel axis: x[None, ..., 0] makes it a batch",
                got=f"shape {array.shape}",
            )
        if (
            array.ndim in (3, 4)
            and array.shape[0] == 1
            and not any(layout.startswith("N") for layout in self.layouts)
            and not any(len(layout) == array.ndim for layout in self.layouts)
        ):
            self.fail(name, value, "a batch of one: x[0]", got=f"shape {array.shape}")
        for layout in self.layouts:
            if array.ndim != len(layout):
                continue
            shape = dict(zip(layout, array.shape, strict=True))
            if "C" not in layout and array.shape[-1] in (3, 4) and array.shape[-2] >= 8:
                self.fail(
                    name,
                    value,
                    "looks like a colour image with channels last; these are grey images",
                    got=f"shape {array.shape}",
                )
            if (
                self.channels is not None
                and "C" in shape
                and shape["C"] not in self.channels
            ):
                continue
            return layout, shape
        # no layout fits: say why, with the fix where we can see one
        hint = ""
        for layout in self.layouts:
            if layout.startswith("N") and array.ndim == len(layout) - 1:
                no_channels = (
                    "C" in layout
                    and self.channels is not None
                    and array.shape[-1] not in self.channels
                )
                hint = (
                    "add a channel axis, e.g. x[..., None]"
                    if no_channels
                    else "one image: add a batch axis, e.g. x[None]"
                )
            if (
                "C" in layout
                and array.ndim == len(layout)
                and array.shape[-1] not in (self.channels or ())
                and (
                    self.channels
                    and array.shape[1 if layout.startswith("N") else 0] in self.channels
                )
            ):
                hint = (
                    "channels go last: np.moveaxis(x, 1, -1)"
                    if layout.startswith("N")
                    else "channels go last: np.moveaxis(x, 0, -1)"
                )
            if "C" in layout and array.ndim == len(layout) - 1 and not hint:
                if self.channels and 1 not in self.channels and 3 in self.channels:
                    hint = "a grey image: make it RGB, e.g. np.stack([x] * 3, axis=-1)"
                else:
                    hint = "add a channel axis, e.g. x[..., None]"
            if (
                "C" in layout
                and array.ndim == len(layout)
                and array.shape[-1] == 4
                and self.channels
                and 3 in self.channels
                and 4 not in self.channels
            ):
                hint = "an RGBA image: keep its colours, e.g. x[..., :3]"
            if (
                "C" not in layout
                and array.ndim == len(layout) + 1
                and array.shape[-1] == 1
            ):
                hint = "drop the channel axis, e.g. x[..., 0]"
        self.fail(name, value, hint, got=f"shape {array.shape}")

    def convert(self, value, name):
        array = _floats_or_fail(self, value, name)
        layout, shape = self._layout_of(array, name, value)
        if "N" in shape and not 1 <= shape["N"] <= self.max_count:
            self.fail(
                name,
                value,
                got=f"{shape['N']:,} images (1 to {self.max_count:,} allowed)",
            )
        for side in ("H", "W"):
            if not self.min_side <= shape[side] <= self.max_side:
                self.fail(
                    name,
                    value,
                    got=f"shape {array.shape} (sides {self.min_side} to {self.max_side} allowed)",
                )
        if self.size is not None and (shape["H"], shape["W"]) != tuple(self.size):
            self.fail(name, value, got=f"shape {array.shape}")
        return self.pixels(array, name, value)

    def pixels(self, array, name: str, value=None):
        """The pixel convention alone, for an array of any shape: uint8 (or int) 0-255
        or float 0-1 in, ``self.to`` out; anything else refused."""
        value = array if value is None else value
        array = _floats_or_fail(self, array, name)
        if array.size == 0:
            self.fail(name, value, got="no pixels")
        if array.dtype.kind == "b":
            self.fail(name, value, got="an array of bools")
        if array.dtype.kind in "iu":
            if array.size and (array.min() < 0 or array.max() > 255):
                self.fail(
                    name,
                    value,
                    got=f"whole numbers from {array.min()} to {array.max()}",
                )
            if self.to == "float":
                return array.astype(np.float32) / np.float32(255)
            return array.astype(np.uint8) if self.to == "uint8" else array
        if not np.isfinite(array).all():
            self.fail(name, value, got="NaN or infinite pixels")
        if array.size and array.max() > 1.5:
            self.fail(
                name,
                value,
                "looks like 0-255 pixels: divide by 255, or pass uint8",
                got=f"floats up to {array.max():g}",
            )
        if array.size and array.min() < -0.5:
            self.fail(name, value, got=f"floats down to {array.min():g}")
        if self.to == "float":
            return array.astype(np.float32, copy=False)
        if self.to == "uint8":
            return np.round(np.clip(array, 0, 1) * 255).astype(np.uint8)
        return array

    def example(self):
        layout = self.layouts[0]
        sizes = {"N": 2, "H": 28, "W": 28, "C": (self.channels or (1,))[0]}
        if self.size is not None:
            sizes.update(H=self.size[0], W=self.size[1])
        sizes["H"] = max(sizes["H"], self.min_side)
        sizes["W"] = max(sizes["W"], self.min_side)
        return np.zeros(tuple(sizes[a] for a in layout), dtype=np.uint8)

    def bad_values(self):
        good = self.example()
        bad = [
            None,
            "text",
            good.astype(np.float32) + 200.0,
            np.full(good.shape, np.nan, np.float32),
            good[None, None],
        ]
        if self.layouts[0].startswith("N"):
            bad.append(good[0])
        return bad


class Labels(Constraint):
    """Class labels: whole numbers in [0, classes), one per example (shape (N,));
    returned as int64. One-hot rows are refused with the fix."""

    def __init__(self, classes: int = 10):
        self.classes = classes

    def describe(self):
        return f"labels (N,) of whole numbers from 0 to {self.classes - 1}"

    def convert(self, value, name):
        array = _floats_or_fail(self, value, name)
        if array.ndim == 2 and array.shape[1] > 1:
            self.fail(
                name,
                value,
                "looks one-hot: pass y.argmax(axis=1)",
                got=f"shape {array.shape}",
            )
        if array.ndim != 1 or array.size == 0:
            self.fail(name, value, got=f"shape {array.shape}")
        values = array.astype(np.float64)
        if not np.isfinite(values).all() or not (values == np.round(values)).all():
            self.fail(name, value, got="fractions, NaN or infinity")
        if values.min() < 0 or values.max() >= self.classes:
            self.fail(
                name, value, got=f"labels from {values.min():g} to {values.max():g}"
            )
        return values.astype(np.int64)

    def example(self):
        return np.zeros(2, dtype=np.int64)

    def bad_values(self):
        return [
            None,
            "text",
            np.array([-1, 0]),
            np.array([0, self.classes]),
            np.eye(2, self.classes),
            np.array([0.5, 1.0]),
            np.array([np.nan, 0.0]),
        ]


def _shape_of(shape) -> str:
    return "(N, " + ", ".join("?" if s is None else str(s) for s in shape) + ")"


class Model(Constraint):
    """A Keras model, built, with inputs of ``input_shape`` and outputs of
    ``output_shape`` (per example, None for any size) and, where given, ``outputs``
    "logits" (no final softmax/sigmoid) or "probabilities" (a final softmax/sigmoid).
    ``what`` names the model in messages ("a generator")."""

    def __init__(
        self,
        input_shape=None,
        output_shape=None,
        outputs: str | None = None,
        what: str = "a Keras model",
    ):
        self.input_shape = None if input_shape is None else tuple(input_shape)
        self.output_shape = None if output_shape is None else tuple(output_shape)
        self.outputs, self.what = outputs, what
        self._example = None

    def describe(self):
        text = self.what
        if self.input_shape is not None or self.output_shape is not None:
            text += " " + (
                _shape_of(self.input_shape)
                if self.input_shape is not None
                else "(N, ...)"
            )
            text += " -> " + (
                _shape_of(self.output_shape)
                if self.output_shape is not None
                else "(N, ...)"
            )
        if self.outputs:
            text += f" {self.outputs}"
        return text

    def convert(self, value, name):
        import keras

        if not isinstance(value, keras.Model):
            self.fail(name, value)
        try:
            inputs, outputs = value.input_shape, value.output_shape
        except (AttributeError, ValueError):
            self.fail(
                name,
                value,
                "give it a keras.Input first, or call it once on a batch",
                got=f"the unbuilt model {value.name!r}",
            )
        got = f"{value.name!r} {_shape_of(inputs[1:]) if isinstance(inputs, tuple) else inputs} -> {_shape_of(outputs[1:]) if isinstance(outputs, tuple) else outputs}"
        for want, have in ((self.input_shape, inputs), (self.output_shape, outputs)):
            if want is None:
                continue
            if (
                not isinstance(have, tuple)
                or len(have) != len(want) + 1
                or any(
                    w is not None and w != h
                    for w, h in zip(want, have[1:], strict=True)
                )
            ):
                self.fail(name, value, got=got)
        if self.outputs is not None:
            squashed = _ends_in_squash(value)
            if squashed and self.outputs == "logits":
                self.fail(
                    name,
                    value,
                    "its last layer applies softmax/sigmoid: drop it",
                    got=got + " probabilities",
                )
            if not squashed and self.outputs == "probabilities":
                self.fail(name, value, "add a softmax at the end", got=got + " logits")
        return value

    def example(self):
        if self._example is None:
            import keras

            shape = tuple(8 if s is None else s for s in (self.input_shape or (4,)))
            out = tuple(8 if s is None else s for s in (self.output_shape or (2,)))
            inputs = keras.Input(shape)
            x = keras.layers.Flatten()(inputs)
            x = keras.layers.Dense(
                int(np.prod(out)),
                activation="softmax" if self.outputs == "probabilities" else None,
            )(x)
            x = keras.layers.Reshape(out)(x)
            self._example = keras.Model(inputs, x, name="example")
        return self._example

    def bad_values(self):
        return [None, "model", 3]


def _ends_in_squash(model) -> bool:
    """True when the model's last layer (inside a nested network, that network's last
    layer) applies softmax or sigmoid."""
    import keras

    layer = model.layers[-1] if model.layers else None
    while isinstance(layer, keras.layers.Reshape) or type(layer).__name__ in {
        "Reshape",
        "Flatten",
    }:
        index = model.layers.index(layer)
        layer = model.layers[index - 1] if index else None
    if layer is None:
        return False
    if isinstance(layer, keras.Model):  # a nested network: its own last layer
        return _ends_in_squash(layer)
    if isinstance(layer, keras.layers.Softmax):
        return True
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", "") in {"softmax", "sigmoid"}


class Examples(Constraint):
    """A pair ``(x, y)``: a batch of inputs and one label each (as ``load_mnist`` gives
    them), each checked by its own constraint, as many of one as of the other; returned
    as a tuple. ``channel_axis``: images (N, H, W) come back as (N, H, W, 1)."""

    def __init__(self, x: Constraint, y: Constraint, channel_axis: bool = False):
        self.x, self.y, self.channel_axis = x, y, channel_axis

    def describe(self):
        return f"a pair (x, y) of {self.x.describe()} and {self.y.describe()}"

    def convert(self, value, name):
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            self.fail(name, value)
        x = self.x.check(value[0], f"{name}[0]")
        y = self.y.check(value[1], f"{name}[1]")
        if len(x) != len(y):
            self.fail(name, value, got=f"{len(x):,} inputs and {len(y):,} labels")
        if self.channel_axis and np.ndim(x) == 3:
            x = x[..., None]
        return x, y

    def example(self):
        return self.x.example(), self.y.example()

    def bad_values(self):
        x, y = self.example()
        return [None, "text", (x,), (x, y[:1]), (np.full(np.shape(x), np.nan), y)]
