"""Looking inside a trained convnet (lectures 06-07): drawings, filters, feature maps.

The compute behind ``cl.widgets.DigitSketchpad``, ``FilterViewer`` and
``ActivationViewer``, as plain functions that take a model and arrays:

- ``rasterize_strokes``: pen strokes (lists of points) -> a gray image;
- ``predict_drawing``: a drawing -> the 28x28 image the network sees and what it says;
- ``classify``: MNIST digits -> the network's probabilities;
- ``conv_kernels`` and ``filter_grid``: a convolution layer's kernels as small images;
- ``feature_map_layers`` and ``feature_maps``: a layer's output for one digit;
- ``grid_shape`` and ``tile``: many small maps laid out side by side as one image.

Each works with a Keras model (``cl.models.pretrained("mnist_convnet")``) and with the
same weights run by NumPy (``cl.models.pretrained_numpy("mnist_convnet")``).

Example::

    model = cl.models.pretrained_numpy("mnist_convnet")
    (_, _), (x_test, _) = cl.data.load_mnist()
    cl.inside.feature_maps(model, x_test[0], "pool").shape   # (10, 10, 32)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from course_lib.core import check_int, check_number, show
from course_lib.images import prepare_images, preprocess_drawing, shrink_drawing

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


# --------------------------------------------------------------------------------------
# Drawings
# --------------------------------------------------------------------------------------


def check_stroke(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """One pen stroke as a list of (x, y) floats; a ValueError if it is empty or has a
    point that is not a finite number (NaN, infinity, text)."""
    try:
        if np.asarray(points).dtype.kind == "c":
            raise TypeError  # complex numbers are not points
        array = np.asarray(points, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"a stroke must be a list of (x, y) number pairs, got {str(points)[:60]}"
        ) from None
    if array.size == 0:
        raise ValueError("a stroke needs at least one (x, y) point")
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(
            f"a stroke must be a list of (x, y) pairs, got shape {array.shape}"
        )
    if not np.isfinite(array).all():
        raise ValueError("a stroke's points must be finite numbers (no NaN)")
    return [(float(x), float(y)) for x, y in array]


def rasterize_strokes(
    strokes: Sequence[Sequence[tuple[float, float]]],
    size: int = 280,
    line_width: float = 20.0,
) -> np.ndarray:
    """Draw pen strokes into a (size, size) float32 image in 0..1 (ink = 1).

    Each stroke is a list of (x, y) points in pixels, x to the right and y down, as the
    canvas reports them; consecutive points are joined by a round-capped line of
    ``line_width`` pixels (the edges are anti-aliased over one pixel).

    >>> rasterize_strokes([[(5, 5), (5, 10)]], size=16, line_width=2).max()
    np.float32(1.0)

    ``size`` is from 8 to ``MAX_CANVAS`` pixels, ``line_width`` above 0 and at most
    ``MAX_CANVAS``; all strokes together have at most ``MAX_POINTS`` points.
    """
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool) and size < 8:
        raise ValueError(f"size must be an int >= 8, got {size!r}")
    size = check_int(size, "size", 8, MAX_CANVAS)
    if isinstance(line_width, (int, float)) and not line_width > 0:
        raise ValueError(f"line_width must be positive, got {line_width!r}")
    line_width = check_number(line_width, "line_width", high=MAX_CANVAS, positive=True)
    if isinstance(strokes, np.ndarray) and strokes.ndim == 3:
        strokes = list(strokes)  # strokes of equal length, as one array
    if isinstance(strokes, (str, bytes, np.ndarray)) or not isinstance(
        strokes, Sequence
    ):
        raise ValueError(
            f"strokes must be a list of strokes, each a list of (x, y) points; got "
            f"{show(strokes)}"
        )
    strokes = [np.asarray(check_stroke(stroke)) for stroke in strokes]
    if sum(len(points) for points in strokes) > MAX_POINTS:
        raise ValueError(
            f"the strokes have more than {MAX_POINTS:,} points in all: draw less"
        )
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


def classify(model, digits) -> np.ndarray:
    """The model's probabilities for MNIST digits, (N, 10) float.

    ``digits`` is one digit (28, 28) or a batch, uint8 0..255 or float 0..1
    (see ``cl.images.prepare_images``); ``model`` a Keras model or a NumPy convnet.
    """
    _check_model(model)
    output = model(prepare_images(digits), training=False)
    return np.asarray(output, dtype=float)


def predict_drawing(
    model, drawing: np.ndarray, centre: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Turn a drawing into an MNIST-like digit and classify it.

    With ``centre`` (the default) the drawing is cropped, scaled and centred as MNIST's
    digits were (``cl.images.preprocess_drawing``); without, it is only shrunk to 28x28
    (``cl.images.shrink_drawing``). Returns the (28, 28) image the model sees (0..1,
    ink = 1) and its ten probabilities. Raises ValueError for an empty drawing.
    """
    _check_model(model)
    image = preprocess_drawing(drawing) if centre else shrink_drawing(drawing)
    if not image.any():
        raise ValueError("the drawing is empty: draw a digit first")
    return image, classify(model, image)[0]


def _check_model(model) -> None:
    """A Keras model or a ``cl.scratch.NumpyConvnet``, else a ValueError."""
    layers = getattr(model, "layers", None)
    if not callable(model) or not isinstance(layers, list):
        raise ValueError(
            "model must be a Keras model or cl.models.pretrained_numpy(...), got "
            f"{show(model)}"
        )


# --------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------


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
        for layer in getattr(model, "layers", [])
        if isinstance(layer, keras.layers.Conv2D)
    }


def filter_grid(kernel: np.ndarray, input_channel: int = 0) -> np.ndarray:
    """The kernels of a conv layer seen through one input channel: (C_out, kh, kw).

    ``kernel`` is (kh, kw, C_in, C_out) as Keras stores it. A first layer on gray images
    has C_in = 1; a second layer has one slice per feature map of the layer before.
    """
    kernel = np.asarray(kernel)
    if kernel.ndim != 4:
        raise ValueError(
            f"a conv kernel is (kh, kw, C_in, C_out), got shape {kernel.shape}"
        )
    c_in = kernel.shape[2]
    if (
        isinstance(input_channel, bool)
        or not isinstance(input_channel, (int, np.integer))
        or not 0 <= input_channel < c_in
    ):
        raise ValueError(
            f"input_channel must be an int from 0 to {c_in - 1}, got {input_channel!r}"
        )
    return np.moveaxis(kernel[:, :, input_channel, :], -1, 0)


# --------------------------------------------------------------------------------------
# Feature maps
# --------------------------------------------------------------------------------------


def feature_map_layers(model) -> list[str]:
    """Names of the layers whose output is a stack of feature maps (H, W, C)."""
    _check_model(model)
    return [
        layer.name
        for layer in model.layers
        if len(layer.output.shape) == 4
        and "dropout" not in type(layer).__name__.lower()
    ]


def feature_maps(
    model, image: np.ndarray, layer_name: str, cache: dict | None = None
) -> np.ndarray:
    """The output of ``layer_name`` for one digit, as (H, W, C) float32.

    ``image`` is one digit (28, 28) or (28, 28, 1), uint8 0..255 or float 0..1. For a
    Keras model a sub-model that stops at the layer is built; pass the same dict as
    ``cache`` to keep those sub-models between calls.
    """
    names = feature_map_layers(model)
    if not isinstance(layer_name, str) or layer_name not in names:
        raise ValueError(
            f"layer {show(layer_name)} has no feature maps; pick one of "
            f"{', '.join(names)}"
        )
    x = prepare_images(image)
    if len(x) != 1:
        raise ValueError(f"image must be one digit, got {len(x)} of them")
    if hasattr(model, "feature_maps"):  # cl.scratch.NumpyConvnet: no Keras needed
        return np.asarray(model.feature_maps(x, layer_name), dtype=np.float32)[0]
    import keras

    if cache is not None and not isinstance(cache, dict):
        raise ValueError(f"cache must be a dict (or None), got {show(cache)}")
    cache = {} if cache is None else cache
    key = (id(model), layer_name)
    if key not in cache:
        cache[key] = keras.Model(model.inputs[0], model.get_layer(layer_name).output)
    return np.asarray(cache[key](x, training=False), dtype=np.float32)[0]


def grid_shape(count: int) -> tuple[int, int]:
    """Rows and columns of a grid for ``count`` small images, about twice as wide.

    >>> grid_shape(32)
    (4, 8)
    """
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"count must be a positive int, got {count!r}")
    count = check_int(count, "count", 1, MAX_MOSAIC)
    columns = int(np.ceil(np.sqrt(count * 2)))
    return int(np.ceil(count / columns)), columns


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
    try:
        if np.asarray(stack).dtype.kind not in "biuf":
            raise TypeError
        stack = np.asarray(stack, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"stack must be numbers (C, H, W), got {show(stack)}"
        ) from None
    if stack.ndim != 3 or len(stack) == 0:
        raise ValueError(f"stack must be (C, H, W) with C >= 1, got {stack.shape}")
    count, height, width = stack.shape
    if isinstance(columns, bool) or not isinstance(columns, (int, np.integer)):
        raise ValueError(f"columns must be a positive int, got {columns!r}")
    if columns < 1:
        raise ValueError(f"columns must be a positive int, got {columns!r}")
    needed = -(-count // columns)
    rows = needed if rows is None else check_int(rows, "rows", 1)
    if rows < needed:
        raise ValueError(f"{count} images need {needed} rows of {columns}, got {rows}")
    if isinstance(gap, bool) or not isinstance(gap, (int, np.integer)) or gap < 0:
        raise ValueError(f"gap must be an int >= 0, got {gap!r}")
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
