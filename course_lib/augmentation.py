"""Lecture 10: data augmentation with Keras 3 preprocessing layers, measured.

Three parts:

- **Views in NumPy.** :func:`augment` applies one :class:`View` (a flip, a rotation, a
  zoom, a shift, a contrast factor) to an image the way Keras 3's ``RandomFlip``,
  ``RandomRotation``, ``RandomZoom``, ``RandomTranslation`` and ``RandomContrast`` do, in
  that order, with the same parameters and the same fill modes: :func:`warp` is a NumPy
  port of ``ImageProjectiveTransformV3``, the TensorFlow op behind the geometric layers
  (bilinear interpolation). :func:`keras_view` computes the same view with the Keras
  layers; the tests check that the two agree to 1e-4. :func:`random_views` draws views the
  way the layers draw them, from a seed, so a view can be reproduced. The explorer widget
  (``cl.widgets.AugmentationExplorer``) uses only this part and never starts TensorFlow.
- **Pipelines in Keras 3.** :func:`augmentation_layers` builds the layers as a
  ``keras.Sequential`` (inside a model or in a ``tf.data`` pipeline, see
  :func:`augmented_dataset`); :func:`slides_pipeline` is the slides' ``ImageDataGenerator``
  written with them.
- **The measured effect.** :func:`train_small` trains a small convnet on a small data set
  (500 MNIST digits, or faces vs non-faces from ``skimage.data.lfw_subset()``) with or
  without augmentation; :func:`compare` repeats it over seeds.

A rotation factor is a fraction of a full turn (``RandomRotation(0.25)`` turns by up to
90 degrees either way); a zoom factor of +0.2 zooms *out* by 20 %; a shift of +0.1 moves
the content down (rows) or right (columns) by a tenth of the image.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course_lib.core import choose
from course_lib.data.registry import FILES_DIR

__all__ = [
    "FILL_MODES",
    "FLIPS",
    "PIPELINE_ORDER",
    "TASKS",
    "View",
    "rotation_in_degrees",
    "alexnet_crop_factor",
    "distinct_crops",
    "rotation_matrix",
    "zoom_matrix",
    "translation_matrix",
    "warp",
    "flip",
    "adjust_contrast",
    "augment",
    "random_views",
    "keras_view",
    "explorer_images",
    "augmentation_layers",
    "slides_pipeline",
    "digit_augmentation",
    "face_augmentation",
    "small_digit_set",
    "face_data",
    "export_image_folders",
    "augmented_dataset",
    "small_convnet",
    "rotate_batch",
    "TrainingResult",
    "train_small",
    "compare",
    "predict_over_views",
    "RESULTS_FILE",
    "load_augmentation_results",
    "mean_and_sd",
    "format_spread",
]

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
"""How the geometric layers fill the pixels that come from outside the image (Keras' names)."""

FLIPS = ("none", "horizontal", "vertical", "horizontal_and_vertical")
"""The flips of a view; the last three are the modes of ``keras.layers.RandomFlip``."""

PIPELINE_ORDER = (
    "RandomFlip",
    "RandomRotation",
    "RandomZoom",
    "RandomTranslation",
    "RandomContrast",
)
"""The order in which :func:`augment` and :func:`augmentation_layers` apply the layers."""

TASKS = ("digits", "faces")
"""The small-data tasks of :func:`train_small`."""


# --------------------------------------------------------------------------------------
# Facts
# --------------------------------------------------------------------------------------


def _check_number(value, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(
            f"{name} must be a number from {low:g} to {high:g}, got {value!r}"
        )
    value = float(value)
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{name} must be from {low:g} to {high:g}, got {value!r}")
    return value


def _check_int(value, name: str, low: int = 1, high: int = 2**31 - 1) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or not low <= value <= high
    ):
        raise ValueError(f"{name} must be an int from {low} to {high}, got {value!r}")
    return int(value)


def rotation_in_degrees(factor: float) -> float:
    """The angle ``RandomRotation`` turns by for a ``factor``: a fraction of a full turn.

    >>> rotation_in_degrees(0.25)
    90.0
    """
    return _check_number(factor, "factor", -1.0, 1.0) * 360.0


def alexnet_crop_factor(
    image_size: int = 256, crop_size: int = 224, flips: bool = True
) -> int:
    """How much AlexNet's crops and flips enlarge the training set, as the paper counts it:
    (image_size - crop_size)² crop positions, times 2 for the mirror images.

    >>> alexnet_crop_factor()
    2048
    """
    image_size, crop_size = (
        _check_int(image_size, "image_size"),
        _check_int(crop_size, "crop_size"),
    )
    if crop_size > image_size:
        raise ValueError(
            f"crop_size ({crop_size}) must not exceed image_size ({image_size})"
        )
    return (image_size - crop_size) ** 2 * (2 if flips else 1)


def distinct_crops(
    image_size: int = 256, crop_size: int = 224, flips: bool = True
) -> int:
    """The number of different crops (and mirror images): a crop may start at any of
    image_size - crop_size + 1 positions along each side.

    >>> distinct_crops()
    2178
    """
    image_size, crop_size = (
        _check_int(image_size, "image_size"),
        _check_int(crop_size, "crop_size"),
    )
    if crop_size > image_size:
        raise ValueError(
            f"crop_size ({crop_size}) must not exceed image_size ({image_size})"
        )
    return (image_size - crop_size + 1) ** 2 * (2 if flips else 1)


# --------------------------------------------------------------------------------------
# One view
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """The parameters of one augmented view, as the Keras layers draw them.

    Parameters
    ----------
    flip : one of :data:`FLIPS`.
    rotation : a fraction of a full turn, -1 to 1; positive turns counter-clockwise
        (``RandomRotation``'s convention: 0.25 is 90 degrees).
    zoom : -0.9 to 1; the image is scaled by 1 / (1 + zoom): +0.2 zooms out, -0.2 in
        (``RandomZoom``'s convention, the same for height and width).
    shift_x, shift_y : fractions of the width and height, -1 to 1; positive moves the
        content right and down (``RandomTranslation``).
    contrast : the contrast factor, 0 to 2: each channel becomes
        (x - mean) * contrast + mean (``RandomContrast``); 1 keeps the image.
    """

    flip: str = "none"
    rotation: float = 0.0
    zoom: float = 0.0
    shift_x: float = 0.0
    shift_y: float = 0.0
    contrast: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "flip", choose(self.flip, FLIPS, "flip"))
        for name, low, high in (
            ("rotation", -1.0, 1.0),
            ("zoom", -0.9, 1.0),
            ("shift_x", -1.0, 1.0),
            ("shift_y", -1.0, 1.0),
            ("contrast", 0.0, 2.0),
        ):
            object.__setattr__(
                self, name, _check_number(getattr(self, name), name, low, high)
            )

    @property
    def degrees(self) -> float:
        """The rotation in degrees (``rotation`` × 360)."""
        return self.rotation * 360.0

    def describe(self) -> str:
        """One line: the view's parameters, e.g. ``rotation 0.50 turn (180°), ...``."""
        parts = [f"flip {self.flip}"] if self.flip != "none" else []
        parts.append(f"rotation {self.rotation:+.3f} turn ({self.degrees:+.1f}°)")
        parts.append(f"zoom {self.zoom:+.2f}")
        parts.append(f"shift x {self.shift_x:+.2f}, y {self.shift_y:+.2f}")
        parts.append(f"contrast ×{self.contrast:.2f}")
        return ", ".join(parts)


def rotation_matrix(turns: float, height: int, width: int) -> np.ndarray:
    """``RandomRotation``'s 8 numbers (a0 a1 a2 b0 b1 b2 c0 c1) for a turn about the centre.

    They map an output pixel (x, y) to the input point (a0 x + a1 y + a2, b0 x + b1 y + b2).
    """
    turns = _check_number(turns, "turns", -1.0, 1.0)
    height, width = _check_int(height, "height"), _check_int(width, "width")
    angle = np.float32(turns * 360.0) * np.float32(math.pi / 180.0)
    cos, sin = np.cos(angle), np.sin(angle)
    cx, cy = np.float32(0.5 * (width - 1)), np.float32(0.5 * (height - 1))
    a0, a1, b0, b1 = cos, -sin, sin, cos
    return np.array(
        [a0, a1, cx - cx * a0 - cy * a1, b0, b1, cy - cx * b0 - cy * b1, 0, 0],
        dtype=np.float32,
    )


def zoom_matrix(zoom: float, height: int, width: int) -> np.ndarray:
    """``RandomZoom``'s matrix: scale the sampling grid by 1 + zoom about the centre."""
    zoom = _check_number(zoom, "zoom", -0.9, 1.0)
    height, width = _check_int(height, "height"), _check_int(width, "width")
    scale = np.float32(1.0 + zoom)
    return np.array(
        [
            scale,
            0,
            (width - 1) / 2 * (1 - scale),
            0,
            scale,
            (height - 1) / 2 * (1 - scale),
            0,
            0,
        ],
        dtype=np.float32,
    )


def translation_matrix(shift_x: float, shift_y: float, height: int, width: int):
    """``RandomTranslation``'s matrix: sample from (x - shift_x·W, y - shift_y·H)."""
    shift_x = _check_number(shift_x, "shift_x", -1.0, 1.0)
    shift_y = _check_number(shift_y, "shift_y", -1.0, 1.0)
    height, width = _check_int(height, "height"), _check_int(width, "width")
    dx = np.float32(shift_x) * np.float32(width)
    dy = np.float32(shift_y) * np.float32(height)
    return np.array([1, 0, -dx, 0, 1, -dy, 0, 0], dtype=np.float32)


def _map_coordinate(coord: np.ndarray, length: int, fill_mode: str) -> np.ndarray:
    """Bring input coordinates that fall outside [0, length - 1] back inside, as
    TensorFlow's ``MapCoordinate`` does for each fill mode ("constant" keeps them)."""
    if fill_mode == "constant":
        return coord
    if length <= 1:
        return np.zeros_like(coord)
    if fill_mode == "nearest":
        return np.clip(coord, 0, length - 1)
    out = coord.copy()
    below, above = coord < 0, coord > length - 1
    x, y = coord[below], coord[above]
    if fill_mode == "reflect":  # d c b a | a b c d | d c b a
        period = 2 * length
        x = period * np.trunc(-x / period) + x
        x = np.where(x < -length, x + period, -x - 1)
        y = y - period * np.trunc(y / period)
        y = np.where(y >= length, period - y - 1, y)
    else:  # wrap: a b c d | a b c d | a b c d
        x = x + length * (np.trunc(-x / (length - 1)) + 1)
        y = y - length * np.trunc(y / (length - 1))
    out[below], out[above] = x, y
    return np.clip(out, 0, length - 1)


def _as_float_image(image, name: str = "image") -> np.ndarray:
    try:
        array = np.asarray(image)
    except (TypeError, ValueError):
        array = None
    if array is None or array.dtype.kind not in "uif":
        raise ValueError(f"{name} must be an array of numbers (uint8 or float)")
    array = array.astype(np.float32, copy=False)
    if array.ndim not in (2, 3) or min(array.shape[:2]) < 1:
        raise ValueError(
            f"{name} must be (height, width) or (height, width, channels), "
            f"got shape {array.shape}"
        )
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def warp(
    image,
    matrix,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
) -> np.ndarray:
    """Resample ``image`` through an affine ``matrix`` (8 numbers, as the Keras layers
    make them), with bilinear interpolation and one of :data:`FILL_MODES`.

    A NumPy port of TensorFlow's ``ImageProjectiveTransformV3`` for one image: the output
    pixel (x, y) is read at the input point (a0 x + a1 y + a2, b0 x + b1 y + b2), brought
    inside by the fill mode; "constant" reads ``fill_value`` outside the image.
    """
    array = _as_float_image(image)
    fill_mode = choose(fill_mode, FILL_MODES, "fill_mode")
    fill_value = _check_number(fill_value, "fill_value", -1e30, 1e30)
    try:
        numbers = np.asarray(matrix)
    except (TypeError, ValueError):
        numbers = np.array([])
    numbers = numbers.ravel() if numbers.dtype.kind in "uif" else np.array([])
    if numbers.size not in (6, 8) or not np.isfinite(numbers).all():
        raise ValueError(
            "matrix must be 8 finite numbers (a0 a1 a2 b0 b1 b2 c0 c1), as the Keras "
            f"layers make them, got {matrix!r}"
        )
    a0, a1, a2, b0, b1, b2 = numbers[:6]
    gray = array.ndim == 2
    if gray:
        array = array[:, :, np.newaxis]
    height, width, channels = array.shape
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
    x = _map_coordinate(a0 * columns + a1 * rows + a2, width, fill_mode)
    y = _map_coordinate(b0 * columns + b1 * rows + b2, height, fill_mode)
    # One border of fill_value around the image: every neighbour index lands inside.
    padded = np.pad(
        array, ((1, 1), (1, 1), (0, 0)), constant_values=np.float32(fill_value)
    ).reshape(-1, channels)
    x0, y0 = np.floor(x), np.floor(y)
    wx, wy = (x - x0)[..., None], (y - y0)[..., None]
    # Neighbours outside the image are clipped onto the border of fill_value.
    ix = np.clip(x0, -1, width).astype(np.intp) + 1
    iy = np.clip(y0, -1, height).astype(np.intp) + 1
    ix1 = np.clip(x0 + 1, -1, width).astype(np.intp) + 1
    iy1 = np.clip(y0 + 1, -1, height).astype(np.intp) + 1
    stride = width + 2
    top = (1 - wx) * padded[iy * stride + ix] + wx * padded[iy * stride + ix1]
    bottom = (1 - wx) * padded[iy1 * stride + ix] + wx * padded[iy1 * stride + ix1]
    result = ((1 - wy) * top + wy * bottom).astype(np.float32)
    return result[:, :, 0] if gray else result


def flip(image, mode: str = "horizontal") -> np.ndarray:
    """Mirror ``image`` left-right ("horizontal"), upside down ("vertical"), or both."""
    mode = choose(mode, FLIPS, "flip")
    array = _as_float_image(image)
    if mode in ("horizontal", "horizontal_and_vertical"):
        array = array[:, ::-1]
    if mode in ("vertical", "horizontal_and_vertical"):
        array = array[::-1]
    return np.ascontiguousarray(array)


def adjust_contrast(
    image, factor: float, value_range: Sequence[float] = (0, 255)
) -> np.ndarray:
    """``RandomContrast``'s step: (x - channel mean) × factor + channel mean, clipped to
    ``value_range``."""
    factor = _check_number(factor, "contrast", 0.0, 2.0)
    low, high = _check_range(value_range)
    array = _as_float_image(image)
    mean = array.mean(axis=(0, 1), keepdims=True)
    return np.clip((array - mean) * np.float32(factor) + mean, low, high)


def _check_range(value_range) -> tuple[float, float]:
    try:
        low, high = (_check_number(v, "value_range", -1e30, 1e30) for v in value_range)
    except (TypeError, ValueError):
        raise ValueError(
            f"value_range must be two numbers (low, high), got {value_range!r}"
        ) from None
    if not low < high:
        raise ValueError(f"value_range must have low < high, got {value_range!r}")
    return low, high


def augment(
    image,
    view: View,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    value_range: Sequence[float] = (0, 255),
) -> np.ndarray:
    """``image`` seen through one :class:`View`, as the Keras layers would make it.

    The steps run in :data:`PIPELINE_ORDER` (flip, rotation, zoom, translation,
    contrast), each resampling the result of the one before, exactly like a
    ``keras.Sequential`` of those layers; a step that changes nothing is skipped.
    ``fill_mode`` and ``fill_value`` are the geometric layers' (Keras' default is
    "reflect"); ``value_range`` is ``RandomContrast``'s (Keras' default (0, 255); give
    (0, 1) for images in 0..1). Returns float32, the shape of ``image``.

    Example::

        six = x_train[y_train == 6][0]
        nine = augment(six, View(rotation=0.5), fill_mode="constant")
    """
    if not isinstance(view, View):
        raise ValueError(f"view must be a cl.augmentation.View, got {view!r}")
    array = _as_float_image(image)
    fill_mode = choose(fill_mode, FILL_MODES, "fill_mode")
    height, width = array.shape[:2]
    if view.flip != "none":
        array = flip(array, view.flip)
    steps = (
        (view.rotation != 0, lambda: rotation_matrix(view.rotation, height, width)),
        (view.zoom != 0, lambda: zoom_matrix(view.zoom, height, width)),
        (
            view.shift_x != 0 or view.shift_y != 0,
            lambda: translation_matrix(view.shift_x, view.shift_y, height, width),
        ),
    )
    for needed, matrix in steps:
        if needed:
            array = warp(array, matrix(), fill_mode, fill_value)
    if view.contrast != 1:
        array = adjust_contrast(array, view.contrast, value_range)
    return array.astype(np.float32, copy=False)


def random_views(
    count: int,
    seed: int = 0,
    rotation: float = 0.0,
    zoom: float = 0.0,
    shift_x: float = 0.0,
    shift_y: float = 0.0,
    flip: str = "none",
    contrast: float = 0.0,
) -> list[View]:
    """``count`` views drawn from a seed the way the Keras layers draw them.

    The factors mean what they mean for the layers: ``RandomRotation(rotation)`` turns by
    a uniform amount in [-rotation, rotation] of a turn, ``RandomZoom(zoom)`` zooms by
    [-zoom, zoom], ``RandomTranslation(shift_y, shift_x)`` shifts within ± those
    fractions, ``RandomFlip(flip)`` flips with probability 1/2 and
    ``RandomContrast(contrast)`` picks a factor in [1 - contrast, 1 + contrast]. The same
    seed gives the same views (NumPy's generator: the Keras layers' own draws differ, but
    each view can be reproduced exactly with :func:`augment` or :func:`keras_view`).
    """
    count = _check_int(count, "count", high=10_000)
    seed = _check_int(seed, "seed", low=0)
    rotation = abs(_check_number(rotation, "rotation", -1.0, 1.0))
    zoom = abs(_check_number(zoom, "zoom", -0.9, 0.9))
    shift_x = abs(_check_number(shift_x, "shift_x", -1.0, 1.0))
    shift_y = abs(_check_number(shift_y, "shift_y", -1.0, 1.0))
    contrast = abs(_check_number(contrast, "contrast", 0.0, 1.0))
    flip_mode = choose(flip, FLIPS, "flip")
    rng = np.random.default_rng(seed)
    views = []
    for _ in range(count):
        flipped = rng.uniform() <= 0.5
        views.append(
            View(
                flip=flip_mode if flipped else "none",
                rotation=float(rng.uniform(-rotation, rotation)),
                zoom=float(rng.uniform(-zoom, zoom)),
                shift_x=float(rng.uniform(-shift_x, shift_x)),
                shift_y=float(rng.uniform(-shift_y, shift_y)),
                contrast=float(rng.uniform(1 - contrast, 1 + contrast)),
            )
        )
    return views


def keras_view(
    image,
    view: View,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    value_range: Sequence[float] = (0, 255),
) -> np.ndarray:
    """The same view as :func:`augment`, computed by the Keras 3 layers themselves.

    A factor given as a pair (a, a) makes a random layer draw exactly a:
    ``RandomRotation((0.5, 0.5))`` always turns by half a turn. ``RandomContrast`` and
    ``RandomFlip`` cannot be pinned that way, so their ``transform_images`` method is
    called with the view's own contrast factor and flip.
    """
    import keras

    if not isinstance(view, View):
        raise ValueError(f"view must be a cl.augmentation.View, got {view!r}")
    fill_mode = choose(fill_mode, FILL_MODES, "fill_mode")
    fill_value = _check_number(fill_value, "fill_value", -1e30, 1e30)
    value_range = _check_range(value_range)
    array = _as_float_image(image)
    gray = array.ndim == 2
    x = array[:, :, np.newaxis] if gray else array
    geometry = {"fill_mode": fill_mode, "fill_value": fill_value}
    if view.flip != "none":
        layer = keras.layers.RandomFlip(view.flip)
        x = layer.transform_images(
            x[np.newaxis],
            {"flips": np.ones((1, 1, 1, 1), bool), "input_shape": (1, *x.shape)},
        )[0]
    if view.rotation != 0:
        pinned = (view.rotation, view.rotation)
        x = keras.layers.RandomRotation(pinned, **geometry)(x, training=True)
    if view.zoom != 0:
        x = keras.layers.RandomZoom((view.zoom, view.zoom), **geometry)(
            x, training=True
        )
    if view.shift_x != 0 or view.shift_y != 0:
        x = keras.layers.RandomTranslation(
            (view.shift_y, view.shift_y), (view.shift_x, view.shift_x), **geometry
        )(x, training=True)
    if view.contrast != 1:
        layer = keras.layers.RandomContrast(0.5, value_range=tuple(value_range))
        factor = np.full((1, 1, 1), view.contrast, np.float32)
        x = layer.transform_images(x, {"contrast_factor": factor}, training=True)
    result = np.asarray(x, dtype=np.float32)
    return result[:, :, 0] if gray else result


def explorer_images(size: int = 96) -> dict[str, np.ndarray]:
    """The pictures of ``cl.widgets.AugmentationExplorer``, float32 0..1, by name: an
    MNIST 6 (the first in ``cl.data.load_mnist()``'s training set), three photos from
    scikit-image resized to ``size`` pixels on the longer side, and a face from
    ``skimage.data.lfw_subset()``."""
    from skimage.data import lfw_subset

    from course_lib.data import sample_image
    from course_lib.images import to_unit_float

    size = _check_int(size, "size", low=8, high=1024)
    (x_train, y_train), _ = _mnist()
    images = {"digit 6": to_unit_float(x_train[np.flatnonzero(y_train == 6)[0]])}
    for label, name in (
        ("astronaut", "astronaut"),
        ("cat (chelsea)", "chelsea"),
        ("coffee", "coffee"),
    ):
        images[label] = to_unit_float(sample_image(name, size=size))
    images["face (lfw)"] = lfw_subset()[0].astype(np.float32)
    return images


# --------------------------------------------------------------------------------------
# Keras 3 pipelines
# --------------------------------------------------------------------------------------


def augmentation_layers(
    rotation: float = 0.0,
    zoom: float = 0.0,
    shift_x: float = 0.0,
    shift_y: float = 0.0,
    flip: str = "none",
    contrast: float = 0.0,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    value_range: Sequence[float] = (0, 255),
    seed: int | None = None,
):
    """A ``keras.Sequential`` of the random layers whose factor is not zero, in
    :data:`PIPELINE_ORDER`. Active only when called with ``training=True`` (``fit``
    does that); at inference it passes images through unchanged.

    Example: ``augmentation_layers(rotation=0.05, shift_x=0.1, shift_y=0.1)``.
    """
    import keras

    fill_mode = choose(fill_mode, FILL_MODES, "fill_mode")
    flip = choose(flip, FLIPS, "flip")
    rotation = _check_number(rotation, "rotation", 0.0, 1.0)
    zoom = _check_number(zoom, "zoom", 0.0, 0.9)
    shift_x = _check_number(shift_x, "shift_x", 0.0, 1.0)
    shift_y = _check_number(shift_y, "shift_y", 0.0, 1.0)
    contrast = _check_number(contrast, "contrast", 0.0, 1.0)
    fill_value = _check_number(fill_value, "fill_value", -1e30, 1e30)
    value_range = _check_range(value_range)
    if seed is not None:
        seed = _check_int(seed, "seed", low=0)
    geometry = {"fill_mode": fill_mode, "fill_value": fill_value, "seed": seed}
    layers = []
    if flip != "none":
        layers.append(keras.layers.RandomFlip(flip, seed=seed))
    if rotation:
        layers.append(keras.layers.RandomRotation(rotation, **geometry))
    if zoom:
        layers.append(keras.layers.RandomZoom(zoom, **geometry))
    if shift_x or shift_y:
        layers.append(keras.layers.RandomTranslation(shift_y, shift_x, **geometry))
    if contrast:
        layers.append(
            keras.layers.RandomContrast(
                contrast, value_range=tuple(value_range), seed=seed
            )
        )
    return keras.Sequential(layers, name="augmentation")


def slides_pipeline(seed: int | None = None):
    """The slides' ``ImageDataGenerator`` (002) as Keras 3 layers.

    ``ImageDataGenerator(rotation_range=60, zoom_range=0.2, width_shift_range=0.4,
    height_shift_range=0.2, horizontal_flip=True, fill_mode='nearest')`` becomes
    ``RandomFlip("horizontal")``, ``RandomRotation(60 / 360)`` (degrees become a
    fraction of a turn), ``RandomZoom(0.2, 0.2)`` (height and width drawn separately,
    as the generator did) and ``RandomTranslation(0.2, 0.4)``, all with
    ``fill_mode="nearest"``. The slides call these values exaggerated for the picture.
    """
    import keras

    if seed is not None:
        seed = _check_int(seed, "seed", low=0)
    geometry = {"fill_mode": "nearest", "seed": seed}
    return keras.Sequential(
        [
            keras.layers.RandomFlip("horizontal", seed=seed),
            keras.layers.RandomRotation(60 / 360, **geometry),
            keras.layers.RandomZoom(0.2, 0.2, **geometry),
            keras.layers.RandomTranslation(0.2, 0.4, **geometry),
        ],
        name="slides_augmentation",
    )


def digit_augmentation(seed: int | None = None):
    """The course's augmentation for digits: small turns (±0.04 turn = ±14.4°), zooms
    (±10 %) and shifts (±10 %), filled with black (0); never a flip."""
    return augmentation_layers(
        rotation=0.04,
        zoom=0.1,
        shift_x=0.1,
        shift_y=0.1,
        fill_mode="constant",
        value_range=(0, 1),
        seed=seed,
    )


def face_augmentation(seed: int | None = None):
    """The course's augmentation for faces vs non-faces: left-right flips only."""
    return augmentation_layers(flip="horizontal", seed=seed)


# --------------------------------------------------------------------------------------
# Small data sets
# --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _mnist():
    """``cl.data.load_mnist()``, loaded once (it says once which data it uses)."""
    from course_lib.data import load_mnist

    return load_mnist()


def small_digit_set(size: int = 500, seed: int = 0):
    """``size`` training digits (the same number of each digit) drawn from
    ``cl.data.load_mnist()``'s training set, and its whole test set; float32 0..1 with a
    channel axis: ``((x, y), (x_test, y_test))``."""
    size = _check_int(size, "size", low=10)
    if size % 10:
        raise ValueError(
            f"size must be a multiple of 10 (one share per digit), got {size}"
        )
    (x_train, y_train), (x_test, y_test) = _mnist()
    smallest = min(np.bincount(y_train, minlength=10))
    if size // 10 > smallest:
        raise ValueError(
            f"size must be at most {10 * smallest} (the data has {smallest} examples "
            f"of its rarest digit), got {size}"
        )
    rng = np.random.default_rng(_check_int(seed, "seed", low=0))
    chosen = np.concatenate(
        [
            rng.choice(np.flatnonzero(y_train == digit), size // 10, replace=False)
            for digit in range(10)
        ]
    )
    chosen = rng.permutation(chosen)

    def prepare(images):
        return (images.astype(np.float32) / 255.0)[..., np.newaxis]

    return (prepare(x_train[chosen]), y_train[chosen].astype(np.int64)), (
        prepare(x_test),
        y_test.astype(np.int64),
    )


def face_data(train_size: int = 20, seed: int = 0):
    """Faces (label 1) vs non-faces (label 0) from ``skimage.data.lfw_subset()``: 200
    gray 25x25 images, the first 100 faces. ``train_size`` images (half of each) are
    drawn for training, the rest are the test set: ``((x, y), (x_test, y_test))``,
    float32 0..1 with a channel axis."""
    from skimage.data import lfw_subset

    train_size = _check_int(train_size, "train_size", low=2)
    if train_size % 2 or train_size > 180:
        raise ValueError(f"train_size must be even and at most 180, got {train_size}")
    images = lfw_subset().astype(np.float32)[..., np.newaxis]
    labels = np.r_[np.ones(100), np.zeros(100)].astype(np.int64)
    rng = np.random.default_rng(_check_int(seed, "seed", low=0))
    faces, others = rng.permutation(100), 100 + rng.permutation(100)
    half = train_size // 2
    train = rng.permutation(np.r_[faces[:half], others[:half]])
    test = np.r_[faces[half:], others[half:]]
    return (images[train], labels[train]), (images[test], labels[test])


def export_image_folders(
    root, images, labels, class_names: Sequence[str]
) -> dict[str, int]:
    """Write ``images`` as PNG files into one sub-folder per class under ``root`` (the
    layout ``keras.utils.image_dataset_from_directory`` reads); return the counts.

    ``images`` are gray or RGB, uint8 0-255 or float 0-1.
    """
    from skimage.io import imsave

    from course_lib.images import to_unit_float

    if not isinstance(root, (str, Path)) or not str(root):
        raise ValueError(f"root must be a folder name (str or Path), got {root!r}")
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise ValueError(f"root must be a folder, but {root} is a file")
    try:
        names = [] if isinstance(class_names, str) else list(class_names)
    except TypeError:
        names = []
    if not names or not all(
        isinstance(n, str) and n.strip() and n.strip(".") and not set(n) & set("/\\")
        for n in names
    ):
        raise ValueError(
            "class_names must be a list of folder names (no '/', '\\' or dots only), "
            f"got {class_names!r}"
        )
    if np.asarray(images).dtype.kind not in "uif":
        raise ValueError("images must be numbers: uint8 0-255 or float 0-1")
    unit = to_unit_float(images, "images")
    if unit.ndim not in (3, 4):
        raise ValueError(f"images must be (N, H, W) or (N, H, W, C), got {unit.shape}")
    if unit.ndim == 4 and unit.shape[-1] == 1:
        unit = unit[..., 0]
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or len(unit) != len(labels):
        raise ValueError(f"give one int label per image ({len(unit)} images)")
    if labels.min() < 0 or labels.max() >= len(names):
        raise ValueError(f"labels must lie in 0..{len(names) - 1}")
    counts = {}
    for index, name in enumerate(names):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        chosen = np.flatnonzero(labels == index)
        for number, i in enumerate(chosen):
            pixels = np.round(unit[i] * 255).astype(np.uint8)
            imsave(folder / f"{name}_{number:04d}.png", pixels, check_contrast=False)
        counts[name] = len(chosen)
    return counts


def _as_batch(images, name: str = "images") -> np.ndarray:
    """A batch of images (N, H, W, C) of finite numbers, as float32."""
    try:
        array = np.asarray(images)
    except (TypeError, ValueError):
        array = None
    if array is None or array.dtype.kind not in "uif" or array.ndim != 4:
        raise ValueError(f"{name} must be a batch of images (N, H, W, C) of numbers")
    if array.size == 0 or not np.isfinite(array).all():
        raise ValueError(f"{name} must be non-empty and finite")
    return array.astype(np.float32, copy=False)


def augmented_dataset(
    x,
    y,
    augmentation=None,
    batch_size: int = 16,
    repeats: int = 1,
    seed: int = 0,
):
    """A ``tf.data`` pipeline: shuffle, repeat ``repeats`` times, batch, and (when given)
    run ``augmentation`` on every batch with ``training=True``, then prefetch.

    With augmentation, each repetition of an image is a different view of it.
    """
    import tensorflow as tf

    repeats = _check_int(repeats, "repeats", high=10_000)
    batch_size = _check_int(batch_size, "batch_size", high=100_000)
    seed = _check_int(seed, "seed", low=0)
    x = _as_batch(x, "x")
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iuf" or len(y) != len(x):
        raise ValueError(f"y must be one number per image ({len(x)} images)")
    if augmentation is not None and not callable(augmentation):
        raise ValueError("augmentation must be a Keras layer or model (or None)")
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    dataset = dataset.shuffle(len(x), seed=seed).repeat(repeats).batch(batch_size)
    if augmentation is not None:

        def augment_batch(images, labels):
            return augmentation(images, training=True), labels

        dataset = dataset.map(augment_batch, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


# --------------------------------------------------------------------------------------
# The small-data experiment
# --------------------------------------------------------------------------------------


def small_convnet(
    input_shape: Sequence[int],
    num_classes: int,
    augmentation=None,
    filters: Sequence[int] = (16, 32),
    dropout: float = 0.3,
    learning_rate: float = 1e-3,
):
    """A small compiled convnet: [augmentation], (Conv2D 3x3 + ReLU, MaxPool) per entry
    of ``filters``, Flatten, Dropout, and a softmax (or, for 2 classes, a sigmoid).

    The augmentation layers sit inside the model, so they run in ``fit`` and are skipped
    by ``evaluate`` and ``predict``.
    """
    import keras

    num_classes = _check_int(num_classes, "num_classes", low=2, high=100_000)
    try:
        shape = tuple(int(n) for n in input_shape)
        counts = [int(n) for n in filters]
    except (TypeError, ValueError):
        shape, counts = (), []
    if len(shape) != 3 or min(shape) < 1 or max(shape) > 4096:
        raise ValueError(
            f"input_shape must be (height, width, channels), got {input_shape!r}"
        )
    if not counts or not all(1 <= n <= 1024 for n in counts):
        raise ValueError(f"filters must be counts from 1 to 1024, got {filters!r}")
    dropout = _check_number(dropout, "dropout", 0.0, 0.99)
    learning_rate = _check_number(learning_rate, "learning_rate", 1e-8, 10.0)
    if augmentation is not None and not callable(augmentation):
        raise ValueError("augmentation must be a Keras layer or model (or None)")
    height, width = shape[:2]
    for _ in counts:  # each 3x3 convolution loses 2 pixels, each pool halves
        height, width = (height - 2) // 2, (width - 2) // 2
    if min(height, width) < 1:
        raise ValueError(
            f"input_shape {shape} is too small for {len(counts)} convolution(s) and "
            "pooling(s)"
        )
    dense = height * width * counts[-1] * (1 if num_classes == 2 else num_classes)
    if dense > 10**8:
        raise ValueError(
            f"the output layer would have {dense:,} weights (at most 100,000,000): "
            "give a smaller input_shape or fewer classes"
        )
    layers = [keras.Input(shape)]
    if augmentation is not None:
        layers.append(augmentation)
    for count in counts:
        layers += [
            keras.layers.Conv2D(count, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
        ]
    layers += [keras.layers.Flatten(), keras.layers.Dropout(dropout)]
    binary = num_classes == 2
    layers.append(
        keras.layers.Dense(1, activation="sigmoid")
        if binary
        else keras.layers.Dense(num_classes, activation="softmax")
    )
    model = keras.Sequential(layers)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="binary_crossentropy" if binary else "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def rotate_batch(images, turns: float, fill_mode: str = "constant") -> np.ndarray:
    """Every image of a batch turned by the same ``turns`` (a fraction of a full turn),
    with ``keras.layers.RandomRotation((turns, turns))``."""
    import keras

    turns = _check_number(turns, "turns", -1.0, 1.0)
    fill_mode = choose(fill_mode, FILL_MODES, "fill_mode")
    batch = _as_batch(images)
    layer = keras.layers.RandomRotation((turns, turns), fill_mode=fill_mode)
    return np.asarray(layer(batch, training=True))


@dataclass
class TrainingResult:
    """What one training run measured (accuracies in 0..1).

    ``train_accuracy`` is measured like ``test_accuracy``: in inference mode
    (``training=False``: no augmentation, no dropout) on the clean training images, so
    the two compare like for like. ``fit_accuracy`` is the last epoch's accuracy as
    ``fit`` reports it: on the augmented views, with dropout on. ``model`` is the
    trained network (for test-time augmentation, say).
    """

    task: str
    augmented: bool
    seed: int
    epochs: int
    test_accuracy: float
    train_accuracy: float
    fit_accuracy: float
    rotated_accuracy: float | None = None
    history: dict = field(default_factory=dict, repr=False)
    model: object = field(default=None, repr=False, compare=False)


def train_small(
    task: str = "digits",
    augmented: bool = True,
    seed: int = 0,
    epochs: int = 30,
    size: int | None = None,
    callbacks: Sequence = (),
    rotated_turns: float = 0.04,
) -> TrainingResult:
    """Train :func:`small_convnet` on a small data set, with or without augmentation.

    - "digits": ``size`` (default 500) MNIST digits, :func:`digit_augmentation` inside
      the model, batches of 32; besides the test accuracy it measures the accuracy on
      the test digits turned by ``rotated_turns`` of a turn (default 0.04 = 14.4°).
    - "faces": ``size`` (default 20) faces and non-faces, :func:`face_augmentation`
      (flips) in a ``tf.data`` pipeline (:func:`augmented_dataset`); each epoch shows
      every image 8 times.

    ``seed`` picks the training images, the initial weights and the random views.
    """
    import keras

    from course_lib.core import set_seed

    task = choose(task, TASKS, "task")
    try:
        callbacks = list(callbacks)
    except TypeError:
        raise ValueError(f"callbacks must be a list, got {callbacks!r}") from None
    epochs = _check_int(epochs, "epochs", high=1000)
    if size is not None:
        size = _check_int(size, "size", low=2)
    rotated_turns = _check_number(rotated_turns, "rotated_turns", -1.0, 1.0)
    seed = _check_int(seed, "seed", low=0)
    set_seed(seed)
    if task == "digits":
        (x, y), (x_test, y_test) = small_digit_set(size or 500, seed)
        augmentation = digit_augmentation(seed) if augmented else None
        model = small_convnet(x.shape[1:], 10, augmentation)
        history = model.fit(
            x,
            y,
            epochs=epochs,
            batch_size=32,
            callbacks=callbacks,
            verbose=0,
        )
        rotated = rotate_batch(x_test, rotated_turns)
        rotated_accuracy = float(model.evaluate(rotated, y_test, verbose=0)[1])
    else:
        (x, y), (x_test, y_test) = face_data(size or 20, seed)
        model = small_convnet(
            x.shape[1:], 2, filters=(8, 16), dropout=0.0, learning_rate=3e-3
        )
        augmentation = face_augmentation(seed) if augmented else None
        dataset = augmented_dataset(x, y, augmentation, repeats=8, seed=seed)
        history = model.fit(
            dataset,
            epochs=epochs,
            shuffle=False,  # the pipeline shuffles
            callbacks=callbacks,
            verbose=0,
        )
        rotated_accuracy = None
    test_accuracy = float(model.evaluate(x_test, y_test, verbose=0)[1])
    # the clean training images in inference mode, exactly as the test images
    train_accuracy = float(model.evaluate(x, y, verbose=0)[1])
    keras.backend.clear_session()
    return TrainingResult(
        task=task,
        augmented=bool(augmented),
        seed=seed,
        epochs=epochs,
        test_accuracy=test_accuracy,
        train_accuracy=train_accuracy,
        fit_accuracy=float(history.history["accuracy"][-1]),
        rotated_accuracy=rotated_accuracy,
        history=dict(history.history),
        model=model,
    )


def compare(
    task: str = "digits",
    seeds: Sequence[int] = (0, 1, 2),
    epochs: int = 30,
    size: int | None = None,
    callbacks: Sequence = (),
) -> dict[str, list[TrainingResult]]:
    """:func:`train_small` without and with augmentation for every seed:
    ``{"without": [...], "with": [...]}``, one result per seed."""
    try:
        seeds = [_check_int(seed, "seed", low=0) for seed in seeds]
    except TypeError:
        seeds = []
    if not seeds:
        raise ValueError(f"seeds must be a list of ints >= 0, got {seeds!r}")
    choose(task, TASKS, "task")
    results: dict[str, list[TrainingResult]] = {"without": [], "with": []}
    for seed in seeds:
        for name, augmented in (("without", False), ("with", True)):
            results[name].append(
                train_small(task, augmented, seed, epochs, size, callbacks)
            )
    return results


def predict_over_views(
    model, images, augmentation, views: int = 8, seed: int = 0
) -> np.ndarray:
    """Test-time augmentation: the model's predicted probabilities averaged over the
    image as it is and ``views`` random views of it drawn by ``augmentation`` (Keras
    layers, called with ``training=True``). Returns (N, classes); for a one-output
    sigmoid model, (N, 2) as [1 - p, p].
    """
    import keras

    from course_lib.core import set_seed

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a Keras model, got {type(model).__name__}")
    if augmentation is None or not callable(augmentation):
        raise ValueError("augmentation must be a Keras layer or model")
    views = _check_int(views, "views", low=0, high=1000)
    seed = _check_int(seed, "seed", low=0)
    batch = _as_batch(images, "images")
    if tuple(batch.shape[1:]) != tuple(model.input_shape[1:]):
        raise ValueError(
            f"images must be shaped (N, {', '.join(map(str, model.input_shape[1:]))})"
            f" for this model, got {batch.shape}"
        )

    def probabilities(x):
        p = np.asarray(model.predict(x, verbose=0, batch_size=256), np.float64)
        return np.concatenate([1 - p, p], axis=1) if p.shape[1] == 1 else p

    set_seed(seed)
    total = probabilities(batch)
    for _ in range(views):
        total += probabilities(np.asarray(augmentation(batch, training=True)))
    return total / (views + 1)


RESULTS_FILE = FILES_DIR / "augmentation_results.json"
"""The full-budget results that ship with the course (``datasets/``)."""


def load_augmentation_results(path: str | Path | None = None) -> dict:
    """The shipped results of the augmentation experiment (3 seeds, both tasks,
    with and without augmentation), made by ``datasets/build_augmentation_results.py``.

    Returns the JSON as a dict: ``settings``, and per task (``"digits"``, ``"faces"``)
    and arm (``"without"``, ``"with"``) lists over seeds of ``test_accuracy``,
    ``train_accuracy`` (inference mode) and, for digits, ``rotated_accuracy``; and for
    digits ``"tta"``: the augmented model's test accuracy with test-time augmentation.
    """
    import json

    if path is not None and not isinstance(path, (str, Path)):
        raise ValueError(f"path must be a file name (str or Path), got {path!r}")
    path = RESULTS_FILE if path is None else Path(path)
    if not path.is_file():
        raise ValueError(
            f"no results at {path}; make them with "
            "datasets/build_augmentation_results.py"
        )
    try:
        results = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    for task in TASKS:
        arms = results.get(task) if isinstance(results, dict) else None
        if not isinstance(arms, dict) or not {"without", "with"} <= set(arms):
            raise ValueError(f"{path} has no results for {task!r} with both arms")
    return results


def mean_and_sd(values: Sequence[float]) -> tuple[float, float]:
    """The mean and the sample standard deviation (ddof = 1; 0 for one value)."""
    try:
        array = np.asarray(list(values))
    except (TypeError, ValueError):
        array = np.array([np.nan])
    array = array.astype(float) if array.dtype.kind in "uif" else np.array([np.nan])
    if array.ndim != 1 or array.size == 0 or not np.isfinite(array).all():
        raise ValueError(f"give a list of finite numbers, got {values!r}")
    sd = float(array.std(ddof=1)) if array.size > 1 else 0.0
    return float(array.mean()), sd


def format_spread(values: Sequence[float], percent: bool = True) -> str:
    """``"92.3 % ± 0.4 (3 seeds)"``: the mean ± the sample standard deviation."""
    mean, sd = mean_and_sd(values)
    count = len(list(values))
    seeds = f"({count} seed{'s' if count != 1 else ''})"
    if percent:
        return f"{100 * mean:.1f} % ± {100 * sd:.1f} {seeds}"
    return f"{mean:.4f} ± {sd:.4f} {seeds}"
