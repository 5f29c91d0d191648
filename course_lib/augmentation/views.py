"""One augmented view in NumPy, exactly as the Keras 3 layers make it (lecture 10).

:func:`augment` applies one :class:`View` (a flip, a rotation, a zoom, a shift, a
contrast factor) to an image the way ``RandomFlip``, ``RandomRotation``, ``RandomZoom``,
``RandomTranslation`` and ``RandomContrast`` do, in that order, with the same parameters
and the same fill modes: :func:`warp` is a NumPy port of ``ImageProjectiveTransformV3``,
the TensorFlow op behind the geometric layers (bilinear interpolation).
:func:`keras_view` computes the same view with the Keras layers; the tests check that the
two agree to 1e-4. :func:`random_views` draws views the way the layers draw them, from a
seed. Nothing here starts TensorFlow but :func:`keras_view`.

Images follow the course's pixel convention (uint8 0-255 or float 0-1, see
``cl.core``): a view is always returned as float32 0-1, so a uint8 picture and the same
picture divided by 255 give the same view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from course_lib.core import (
    SEED,
    Array,
    Bool,
    Choice,
    Images,
    Instance,
    Int,
    Number,
    checked,
)

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
"""The order in which :func:`augment` and ``augmentation_layers`` apply the layers."""

IMAGE = Images(("HW", "HWC"), channels=(1, 3))
"""One gray (H, W) or (H, W, 1), or one RGB (H, W, 3) picture."""
ROTATION = Number(-1, 1)
ZOOM = Number(-0.9, 1)
SHIFT = Number(-1, 1)
CONTRAST = Number(0, 2)
SIDE = Int(1, 4096)
FILL_MODE = Choice(*FILL_MODES)
FILL_VALUE = Number(0, 1)
"""A pixel value in 0..1, as every image here is once checked."""


# --------------------------------------------------------------------------------------
# Facts


@checked(factor=ROTATION)
def rotation_in_degrees(factor: float) -> float:
    """The angle ``RandomRotation`` turns by for a ``factor``: a fraction of a full turn.

    >>> rotation_in_degrees(0.25)
    90.0
    """
    return factor * 360.0


def _crop_sizes(image_size: int, crop_size: int) -> None:
    if crop_size > image_size:
        raise ValueError(
            f"crop_size ({crop_size}) must not exceed image_size ({image_size})"
        )


@checked(image_size=Int(1, 100_000), crop_size=Int(1, 100_000), flips=Bool())
def alexnet_crop_factor(
    image_size: int = 256, crop_size: int = 224, flips: bool = True
) -> int:
    """How much AlexNet's crops and flips enlarge the training set, as the paper counts it:
    (image_size - crop_size)² crop positions, times 2 for the mirror images.

    >>> alexnet_crop_factor()
    2048
    """
    _crop_sizes(image_size, crop_size)
    return (image_size - crop_size) ** 2 * (2 if flips else 1)


@checked(image_size=Int(1, 100_000), crop_size=Int(1, 100_000), flips=Bool())
def distinct_crops(
    image_size: int = 256, crop_size: int = 224, flips: bool = True
) -> int:
    """The number of different crops (and mirror images): a crop may start at any of
    image_size - crop_size + 1 positions along each side.

    >>> distinct_crops()
    2178
    """
    _crop_sizes(image_size, crop_size)
    return (image_size - crop_size + 1) ** 2 * (2 if flips else 1)


# --------------------------------------------------------------------------------------
# One view


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
        for name, constraint in (
            ("flip", Choice(*FLIPS)),
            ("rotation", ROTATION),
            ("zoom", ZOOM),
            ("shift_x", SHIFT),
            ("shift_y", SHIFT),
            ("contrast", CONTRAST),
        ):
            value = constraint.check(getattr(self, name), name)
            object.__setattr__(self, name, value)

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


VIEW = Instance(View, "a cl.augmentation.View", example=View)


def _rotation_matrix(turns, height, width) -> np.ndarray:
    angle = np.float32(turns * 360.0) * np.float32(math.pi / 180.0)
    cos, sin = np.cos(angle), np.sin(angle)
    cx, cy = np.float32(0.5 * (width - 1)), np.float32(0.5 * (height - 1))
    a0, a1, b0, b1 = cos, -sin, sin, cos
    return np.array(
        [a0, a1, cx - cx * a0 - cy * a1, b0, b1, cy - cx * b0 - cy * b1, 0, 0],
        dtype=np.float32,
    )


@checked(turns=ROTATION, height=SIDE, width=SIDE)
def rotation_matrix(turns: float, height: int, width: int) -> np.ndarray:
    """``RandomRotation``'s 8 numbers (a0 a1 a2 b0 b1 b2 c0 c1) for a turn about the centre.

    They map an output pixel (x, y) to the input point (a0 x + a1 y + a2, b0 x + b1 y + b2).
    """
    return _rotation_matrix(turns, height, width)


def _zoom_matrix(zoom, height, width) -> np.ndarray:
    scale = np.float32(1.0 + zoom)
    x0, y0 = (width - 1) / 2 * (1 - scale), (height - 1) / 2 * (1 - scale)
    return np.array([scale, 0, x0, 0, scale, y0, 0, 0], dtype=np.float32)


@checked(zoom=ZOOM, height=SIDE, width=SIDE)
def zoom_matrix(zoom: float, height: int, width: int) -> np.ndarray:
    """``RandomZoom``'s matrix: scale the sampling grid by 1 + zoom about the centre."""
    return _zoom_matrix(zoom, height, width)


def _translation_matrix(shift_x, shift_y, height, width) -> np.ndarray:
    dx = np.float32(shift_x) * np.float32(width)
    dy = np.float32(shift_y) * np.float32(height)
    return np.array([1, 0, -dx, 0, 1, -dy, 0, 0], dtype=np.float32)


@checked(shift_x=SHIFT, shift_y=SHIFT, height=SIDE, width=SIDE)
def translation_matrix(shift_x: float, shift_y: float, height: int, width: int):
    """``RandomTranslation``'s matrix: sample from (x - shift_x·W, y - shift_y·H)."""
    return _translation_matrix(shift_x, shift_y, height, width)


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


def _warp(array, numbers, fill_mode, fill_value) -> np.ndarray:
    a0, a1, a2, b0, b1, b2 = np.asarray(numbers, np.float32)[:6]
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


@checked(
    image=IMAGE,
    matrix=Array(shape=(8,), what="8 numbers (a0 a1 a2 b0 b1 b2 c0 c1)"),
    fill_mode=FILL_MODE,
    fill_value=FILL_VALUE,
)
def warp(image, matrix, fill_mode: str = "reflect", fill_value: float = 0.0):
    """Resample ``image`` through an affine ``matrix`` (8 numbers, as the Keras layers
    make them), with bilinear interpolation and one of :data:`FILL_MODES`.

    A NumPy port of TensorFlow's ``ImageProjectiveTransformV3`` for one image: the output
    pixel (x, y) is read at the input point (a0 x + a1 y + a2, b0 x + b1 y + b2), brought
    inside by the fill mode; "constant" reads ``fill_value`` (0..1) outside the image.
    Returns float32 0..1.
    """
    return _warp(image, matrix, fill_mode, fill_value)


def _flip(array, mode) -> np.ndarray:
    if mode in ("horizontal", "horizontal_and_vertical"):
        array = array[:, ::-1]
    if mode in ("vertical", "horizontal_and_vertical"):
        array = array[::-1]
    return np.ascontiguousarray(array)


@checked(image=IMAGE, mode=Choice(*FLIPS))
def flip(image, mode: str = "horizontal") -> np.ndarray:
    """Mirror ``image`` left-right ("horizontal"), upside down ("vertical"), or both;
    float32 0..1."""
    return _flip(image, mode)


def _contrast(array, factor) -> np.ndarray:
    mean = array.mean(axis=(0, 1), keepdims=True)
    return np.clip((array - mean) * np.float32(factor) + mean, 0, 1)


@checked(image=IMAGE, factor=CONTRAST)
def adjust_contrast(image, factor: float) -> np.ndarray:
    """``RandomContrast``'s step on 0..1 pixels: (x - channel mean) × factor + channel
    mean, clipped to 0..1."""
    return _contrast(image, factor)


@checked(image=IMAGE, view=VIEW, fill_mode=FILL_MODE, fill_value=FILL_VALUE)
def augment(
    image, view: View, fill_mode: str = "reflect", fill_value: float = 0.0
) -> np.ndarray:
    """``image`` seen through one :class:`View`, as the Keras layers would make it.

    The steps run in :data:`PIPELINE_ORDER` (flip, rotation, zoom, translation,
    contrast), each resampling the result of the one before, exactly like a
    ``keras.Sequential`` of those layers; a step that changes nothing is skipped.
    ``fill_mode`` and ``fill_value`` (a pixel value, 0..1) are the geometric layers'
    (Keras' default is "reflect"). ``image`` is one picture: (H, W), (H, W, 1) or
    (H, W, 3), uint8 0-255 or float 0-1. Returns float32 0..1, the shape of ``image``.

    Example::

        six = x_train[y_train == 6][0]
        nine = augment(six, View(rotation=0.5), fill_mode="constant")
    """
    array = image
    height, width = array.shape[:2]
    if view.flip != "none":
        array = _flip(array, view.flip)
    steps = (
        (view.rotation != 0, lambda: _rotation_matrix(view.rotation, height, width)),
        (view.zoom != 0, lambda: _zoom_matrix(view.zoom, height, width)),
        (
            view.shift_x != 0 or view.shift_y != 0,
            lambda: _translation_matrix(view.shift_x, view.shift_y, height, width),
        ),
    )
    for needed, matrix in steps:
        if needed:
            array = _warp(array, matrix(), fill_mode, fill_value)
    if view.contrast != 1:
        array = _contrast(array, view.contrast)
    return np.array(array, dtype=np.float32)  # a copy: never the caller's own array


@checked(
    count=Int(1, 10_000),
    seed=SEED,
    rotation=ROTATION,
    zoom=Number(-0.9, 0.9),
    shift_x=SHIFT,
    shift_y=SHIFT,
    flip=Choice(*FLIPS),
    contrast=Number(0, 1),
)
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
    rotation, zoom, shift_x, shift_y = map(abs, (rotation, zoom, shift_x, shift_y))
    rng = np.random.default_rng(seed)
    views = []
    for _ in range(count):
        flipped = rng.uniform() <= 0.5
        views.append(
            View(
                flip=flip if flipped else "none",
                rotation=float(rng.uniform(-rotation, rotation)),
                zoom=float(rng.uniform(-zoom, zoom)),
                shift_x=float(rng.uniform(-shift_x, shift_x)),
                shift_y=float(rng.uniform(-shift_y, shift_y)),
                contrast=float(rng.uniform(1 - contrast, 1 + contrast)),
            )
        )
    return views


@checked(image=IMAGE, view=VIEW, fill_mode=FILL_MODE, fill_value=FILL_VALUE)
def keras_view(
    image, view: View, fill_mode: str = "reflect", fill_value: float = 0.0
) -> np.ndarray:
    """The same view as :func:`augment`, computed by the Keras 3 layers themselves
    (on the 0..1 picture; ``RandomContrast`` with ``value_range=(0, 1)``).

    A factor given as a pair (a, a) makes a random layer draw exactly a:
    ``RandomRotation((0.5, 0.5))`` always turns by half a turn. ``RandomContrast`` and
    ``RandomFlip`` cannot be pinned that way, so their ``transform_images`` method is
    called with the view's own contrast factor and flip.
    """
    import keras

    gray = image.ndim == 2
    x = image[:, :, np.newaxis] if gray else image
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
        layer = keras.layers.RandomContrast(0.5, value_range=(0, 1))
        factor = np.full((1, 1, 1), view.contrast, np.float32)
        x = layer.transform_images(x, {"contrast_factor": factor}, training=True)
    result = np.asarray(x, dtype=np.float32)
    return result[:, :, 0] if gray else result
