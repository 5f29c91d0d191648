"""Looking inside a trained convnet (lectures 06-07): drawings, filters, feature maps.

The compute behind ``cl.widgets.DigitSketchpad``, ``FilterViewer`` and
``ActivationViewer``, as plain functions that take a model and arrays:

- ``rasterize_strokes``: pen strokes (lists of points) -> a gray image;
- ``predict_drawing``: a drawing -> the 28x28 image the network sees and what it says;
- ``classify``: MNIST digits -> the network's probabilities;
- ``conv_kernels`` and ``filter_grid``: a convolution layer's kernels as small images;
- ``feature_map_layers`` and ``feature_maps``: a layer's output for one digit;
- ``grid_shape`` and ``tile``: many small maps laid out side by side as one image.

Each works with a Keras model (``cl.data.load_mnist_convnet()``) and with the
same weights run by NumPy (``cl.models.pretrained_numpy("mnist_convnet")``).

Example::

    model = cl.models.pretrained_numpy("mnist_convnet")
    (_, _), (x_test, _) = cl.data.load_mnist()
    cl.inside.feature_maps(model, x_test[0], "pool").shape   # (10, 10, 32)
"""

from __future__ import annotations

import numpy as np

from course_lib.core import (
    Array,
    Bool,
    Constraint,
    Images,
    Instance,
    Int,
    Items,
    Model,
    Number,
    Optional,
    Text,
    checked,
    choose,
    show,
)
from course_lib.images import DIGITS, DRAWING, preprocess_drawing, shrink_drawing

MAX_CANVAS = 2048
"""The largest side of a canvas ``rasterize_strokes`` draws (the sketchpad uses 280)."""

MAX_POINTS = 100_000
"""The most points all strokes together may have (a second of drawing is ~100)."""

MAX_MOSAIC = 2**24
"""The most pixels a ``tile`` mosaic may have (16.8 million, 134 MB as float64)."""

__all__ = [
    "check_stroke",
    "rasterize_strokes",
    "classify",
    "predict_drawing",
    "conv_kernels",
    "filter_grid",
    "feature_map_layers",
    "feature_maps",
    "grid_shape",
    "tile",
]


class _Convnet(Constraint):
    """A Keras model that meets ``keras_model`` (a :class:`~course_lib.core.Model`), or
    the same weights run by NumPy (``cl.models.pretrained_numpy(...)``), which is taken
    as it is: it is always the shipped digit convnet."""

    def __init__(self, keras_model: Model, names: tuple[str, ...] = ()):
        self.keras_model, self.names = keras_model, tuple(names)

    def describe(self):
        text = f"{self.keras_model.describe()}, or cl.models.pretrained_numpy(...)"
        if not self.names:
            return text
        return (
            text
            + " or a shipped checkpoint's name ("
            + ", ".join(map(repr, self.names))
            + ")"
        )

    def convert(self, value, name):
        import sys

        from course_lib.scratch import NumpyConvnet  # NumPy only: no TensorFlow

        if isinstance(value, NumpyConvnet):
            return value
        if self.names and isinstance(value, str):
            try:
                return choose(value, self.names, "checkpoint")
            except ValueError:
                self.fail(
                    name, value
                )  # this constraint's message: what else is allowed
        keras = sys.modules.get("keras")  # not imported yet: value is no Keras model
        if keras is None or not isinstance(value, keras.Model):
            self.fail(name, value)
        return self.keras_model.check(value, name)

    def example(self):
        return self.keras_model.example()

    def bad_values(self):
        return [None, "model", 3]


ANY_CONVNET = _Convnet(Model(what="a Keras model"))
"""Any built model: kernels and feature maps are read from its layers."""

CLASSIFIER = _Convnet(
    Model((28, 28, 1), (10,), outputs="probabilities", what="a digit classifier")
)
"""A digit classifier: (N, 28, 28, 1) digits in, ten probabilities out."""

DIGIT_NET = _Convnet(Model((28, 28, 1), what="a network on 28x28 digits"))
"""A network that takes 28x28 digits (its feature maps are asked for)."""

STROKE = Array(
    shape=(None, 2), max_size=20 * MAX_POINTS, what="a stroke, a list of (x, y) points"
)
"""One pen stroke: (x, y) points, finite numbers, at least one."""

ONE_DIGIT = Images(("HW", "HWC"), channels=1, size=(28, 28))
"""One MNIST digit, (28, 28) or (28, 28, 1), uint8 0-255 or float 0-1."""


# --------------------------------------------------------------------------------------
# Drawings
# --------------------------------------------------------------------------------------


@checked(points=STROKE)
def check_stroke(points) -> list[tuple[float, float]]:
    """One pen stroke as a list of (x, y) floats; a ValueError if it is empty or has a
    point that is not a finite number (NaN, infinity, text)."""
    return [(float(x), float(y)) for x, y in points]


@checked(
    strokes=Items(STROKE, 0, MAX_POINTS),
    size=Int(8, MAX_CANVAS),
    line_width=Number(high=MAX_CANVAS, positive=True),
)
def rasterize_strokes(strokes, size: int = 280, line_width: float = 20.0) -> np.ndarray:
    """Draw pen strokes into a (size, size) float32 image in 0..1 (ink = 1).

    Each stroke is a list of (x, y) points in pixels, x to the right and y down, as the
    canvas reports them; consecutive points are joined by a round-capped line of
    ``line_width`` pixels (the edges are anti-aliased over one pixel).

    >>> rasterize_strokes([[(5, 5), (5, 10)]], size=16, line_width=2).max()
    np.float32(1.0)

    ``size`` is from 8 to ``MAX_CANVAS`` pixels, ``line_width`` above 0 and at most
    ``MAX_CANVAS``; all strokes together have at most ``MAX_POINTS`` points.
    """
    if sum(len(points) for points in strokes) > MAX_POINTS:
        raise ValueError(
            f"the strokes have more than {MAX_POINTS:,} points in all: draw less"
        )
    strokes = [np.asarray(points) for points in strokes]
    image = np.zeros((size, size), dtype=np.float32)
    radius = line_width / 2
    for points in strokes:
        segments = (
            zip(points[:-1], points[1:], strict=True)
            if len(points) > 1
            else [(points[0], points[0])]
        )
        for start, end in segments:
            low = np.floor(np.minimum(start, end) - radius - 1).astype(int)
            high = np.ceil(np.maximum(start, end) + radius + 2).astype(int)
            x0, y0 = np.clip(low, 0, size)
            x1, y1 = np.clip(high, 0, size)
            if x0 >= x1 or y0 >= y1:
                continue  # the segment is outside the canvas
            ys, xs = np.mgrid[y0:y1, x0:x1] + 0.5  # pixel centres
            direction = end - start
            length2 = float(direction @ direction)
            t = (
                np.clip(
                    ((xs - start[0]) * direction[0] + (ys - start[1]) * direction[1])
                    / length2,
                    0,
                    1,
                )
                if length2 > 0
                else 0.0
            )
            distance = np.hypot(
                xs - (start[0] + t * direction[0]), ys - (start[1] + t * direction[1])
            )
            ink = np.clip(radius + 0.5 - distance, 0, 1)
            np.maximum(image[y0:y1, x0:x1], ink, out=image[y0:y1, x0:x1])
    return image


@checked(model=CLASSIFIER, digits=DIGITS)
def classify(model, digits) -> np.ndarray:
    """The model's probabilities for MNIST digits, (N, 10) float.

    ``digits`` is one digit (28, 28) or a batch (N, 28, 28) or (N, 28, 28, 1), uint8
    0..255 or float 0..1 (the course's pixel convention); ``model`` a Keras digit
    classifier or ``cl.models.pretrained_numpy("mnist_convnet")``.
    """
    x = digits.reshape(-1, 28, 28, 1)
    return np.asarray(model(x, training=False), dtype=float)


@checked(model=CLASSIFIER, drawing=DRAWING, centre=Bool())
def predict_drawing(
    model, drawing: np.ndarray, centre: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Turn a drawing into an MNIST-like digit and classify it.

    With ``centre`` (the default) the drawing is cropped, scaled and centred as MNIST's
    digits were (``cl.images.preprocess_drawing``); without, it is only shrunk to 28x28
    (``cl.images.shrink_drawing``). ``drawing`` is a gray (H, W) or colour (H, W, C)
    image, uint8 0-255 or float 0-1, ink bright. Returns the (28, 28) image the model
    sees (0..1, ink = 1) and its ten probabilities. Raises ValueError for an empty
    drawing.
    """
    image = preprocess_drawing(drawing) if centre else shrink_drawing(drawing)
    if not image.any():
        raise ValueError("the drawing is empty: draw a digit first")
    return image, classify(model, image)[0]


# --------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------


@checked(model=ANY_CONVNET)
def conv_kernels(model) -> dict[str, np.ndarray]:
    """The kernels of a model's convolution layers by layer name, each (kh, kw, C_in,
    C_out) as Keras stores them."""
    from course_lib.scratch import NumpyConvnet

    if isinstance(model, NumpyConvnet):
        return {
            layer.name: np.asarray(layer.weights[0])
            for layer in model.layers
            if layer.kind == "conv"
        }
    import keras

    return {
        layer.name: np.asarray(layer.kernel)
        for layer in model.layers
        if isinstance(layer, keras.layers.Conv2D)
    }


@checked(
    kernel=Array(ndim=4, what="a conv kernel (kh, kw, C_in, C_out)"),
    input_channel=Int(0, 65_535),
)
def filter_grid(kernel: np.ndarray, input_channel: int = 0) -> np.ndarray:
    """The kernels of a conv layer seen through one input channel: (C_out, kh, kw).

    ``kernel`` is (kh, kw, C_in, C_out) as Keras stores it. A first layer on gray images
    has C_in = 1; a second layer has one slice per feature map of the layer before.
    """
    c_in = kernel.shape[2]
    if input_channel >= c_in:
        raise ValueError(
            f"input_channel must be an int from 0 to {c_in - 1} (the kernel has "
            f"{c_in} input channels), got {input_channel}"
        )
    return np.moveaxis(kernel[:, :, input_channel, :], -1, 0)


# --------------------------------------------------------------------------------------
# Feature maps
# --------------------------------------------------------------------------------------


@checked(model=ANY_CONVNET)
def feature_map_layers(model) -> list[str]:
    """Names of the layers whose output is a stack of feature maps (H, W, C)."""
    return [
        layer.name
        for layer in model.layers
        if len(layer.output.shape) == 4
        and "dropout" not in type(layer).__name__.lower()
    ]


@checked(
    model=DIGIT_NET,
    image=ONE_DIGIT,
    layer_name=Text(200),
    cache=Optional(Instance(dict, "a dict (kept between calls)", example=dict)),
)
def feature_maps(
    model, image: np.ndarray, layer_name: str, cache: dict | None = None
) -> np.ndarray:
    """The output of ``layer_name`` for one digit, as (H, W, C) float32.

    ``image`` is one digit (28, 28) or (28, 28, 1), uint8 0..255 or float 0..1. For a
    Keras model a sub-model that stops at the layer is built; pass the same dict as
    ``cache`` to keep those sub-models between calls.
    """
    names = feature_map_layers(model)
    if layer_name not in names:
        raise ValueError(
            f"layer {show(layer_name)} has no feature maps; pick one of "
            f"{', '.join(names)}"
        )
    x = image.reshape(1, 28, 28, 1)
    if hasattr(model, "feature_maps"):  # cl.scratch.NumpyConvnet: no Keras needed
        return np.asarray(model.feature_maps(x, layer_name), dtype=np.float32)[0]
    import keras

    cache = {} if cache is None else cache
    key = (id(model), layer_name)
    if key not in cache:
        cache[key] = keras.Model(model.inputs[0], model.get_layer(layer_name).output)
    return np.asarray(cache[key](x, training=False), dtype=np.float32)[0]


@checked(count=Int(1, MAX_MOSAIC))
def grid_shape(count: int) -> tuple[int, int]:
    """Rows and columns of a grid for ``count`` small images, about twice as wide.

    >>> grid_shape(32)
    (4, 8)
    """
    columns = int(np.ceil(np.sqrt(count * 2)))
    return int(np.ceil(count / columns)), columns


@checked(
    stack=Array(ndim=3, what="a stack of small images (C, H, W)"),
    columns=Int(1, MAX_MOSAIC),
    rows=Optional(Int(1, MAX_MOSAIC)),
    gap=Int(0, 1000),
)
def tile(
    stack: np.ndarray, columns: int, rows: int | None = None, gap: int = 1
) -> np.ndarray:
    """Small images side by side: a (C, H, W) stack -> one 2-D float array.

    Image ``k`` goes to row ``k // columns``, column ``k % columns``; ``gap`` pixels of
    NaN (drawn as background) separate them, and the cells of a ``rows`` x ``columns``
    grid left over stay NaN, so the layout does not change with the number of images.

    >>> tile(np.ones((3, 2, 2)), columns=2).shape  # 2 rows of 2x2 images, 1 apart
    (5, 5)
    """
    count, height, width = stack.shape
    needed = -(-count // columns)
    rows = needed if rows is None else rows
    if rows < needed:
        raise ValueError(f"{count} images need {needed} rows of {columns}, got {rows}")
    pixels = (rows * (height + gap) - gap) * (columns * (width + gap) - gap)
    if pixels > MAX_MOSAIC:
        raise ValueError(
            f"a {rows}x{columns} grid of {height}x{width} images would have {pixels:,} "
            f"pixels, more than the {MAX_MOSAIC:,} allowed: use fewer rows or columns"
        )
    mosaic = np.full(
        (rows * (height + gap) - gap, columns * (width + gap) - gap), np.nan
    )
    for index, image in enumerate(stack):
        row, column = divmod(index, columns)
        top, left = row * (height + gap), column * (width + gap)
        mosaic[top : top + height, left : left + width] = image
    return mosaic
