"""Spatial transformer networks (lecture 16): distorted MNIST and the three parts of a
spatial transformer, written with ``keras.ops``.

A spatial transformer (Jaderberg, Simonyan, Zisserman and Kavukcuoglu 2015, "Spatial
Transformer Networks", NeurIPS) has three parts:

1. a **localisation network** that looks at the input and outputs the parameters θ of a
   transformation (here affine: a 2×3 matrix). Its last layer starts at the identity θ
   (zero weights, bias ``[1, 0, 0, 0, 1, 0]``), so before training the transformer
   passes the image through unchanged;
2. a **grid generator** (:func:`affine_grid`): for every pixel of the output, in
   normalised coordinates (-1 … 1 across the image), the point of the input to read,
   ``(x_s, y_s) = θ · (x_t, y_t, 1)``;
3. a **bilinear sampler** (:func:`bilinear_sample`): the input's value at those points,
   interpolated from the four nearest pixels (zero outside the image). It is
   differentiable in the image and in the points, hence in θ: the whole network trains
   end to end from class labels alone.

Coordinates: x runs along the columns (left to right), y along the rows (top to bottom);
-1 and +1 are the centres of the first and last pixel (so the identity θ returns every
pixel exactly, and a 90° rotation equals ``np.rot90``).

Data: :func:`distorted_mnist` places real MNIST digits, rotated (±45°), scaled (0.7–1.2)
and shifted, on a 60×60 canvas with clutter (8×8 fragments of other digits), the
distortions of the paper's "RTS" and cluttered MNIST experiments;
:func:`distorted_batches` streams fresh ones for training. Models (:data:`KINDS`): a
fully connected network and a convnet (:func:`build_fc`, :func:`build_cnn`), each seeing
a 30×30 view of the canvas, chosen either by the identity θ (the whole canvas) or by a
spatial transformer (:func:`build_stn`); :func:`train_steps` trains several side by side
on the same batches. The four trained networks and the three-seed comparison ship in
``datasets/`` (made by ``datasets/build_spatial_models.py``) and load with
:func:`pretrained` and :func:`load_results`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib.core import check_int, check_number, choose, show
from course_lib.data.registry import FILES_DIR

CANVAS = 60
"""Side of the distorted-MNIST canvas, in pixels (as in the paper's cluttered MNIST)."""
DIGIT = 28
"""Side of an MNIST digit."""
OUTPUT_SIZE = 30
"""Side of the spatial transformer's output, the image the classifier sees."""
MAX_ANGLE = 45.0
SCALES = (0.7, 1.2)
CLUTTER = 4
"""Fragments of other digits on each canvas."""
CLUTTER_SIZE = 8
IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], np.float32)
"""The identity θ: every output point reads the same point of the input."""

DATA_DIR = FILES_DIR
SHIPPED = {
    "fc": (
        "spatial_fc.weights.h5",
        "bee0e4864288b65ced255c5d893dfa490620cdf2895d223a27250798b7ff84dc",
    ),
    "st_fc": (
        "spatial_st_fc.weights.h5",
        "540cea186096e66f2f05aab48947ce2325bb6eacd302da4252afdd15ff8a953d",
    ),
    "cnn": (
        "spatial_cnn.weights.h5",
        "ec8bc879768b32724350943bb6e8d059b845c64e5a81885c8cd26e5ab585bb1c",
    ),
    "st_cnn": (
        "spatial_st_cnn.weights.h5",
        "f8636857809e68ac5fac627e3ffe07fcd7d501b229a5410c1a2996053aa91a6c",
    ),
    "fc_behind_st": (
        "spatial_fc_behind_st.weights.h5",
        "3c920a66c4d3767151cab014ef7fe817376978134502f57a6e89a42ed009b475",
    ),
}
"""Shipped models (seed 0 of the comparison): kind -> (file in ``datasets/``, sha256)."""
RESULTS = (
    "spatial_results.json",
    "b982147feffe76cd70d30509f287b6e82b259329b8492ba520f5855fedba660f",
)
"""The shipped comparison (3 seeds of every kind): (file in ``datasets/``, sha256)."""


# --------------------------------------------------------------------------------------
# θ for a rotation, a scale and a shift
# --------------------------------------------------------------------------------------


def rotation_theta(angle: float) -> np.ndarray:
    """The θ (2×3) that rotates an image counterclockwise by ``angle`` degrees.

    θ maps *output* points to the *input* points they read, so it holds the rotation
    matrix of +angle: the output point (x_t, y_t) reads the input at
    ``(cos a · x_t − sin a · y_t, sin a · x_t + cos a · y_t)`` (y points down).

    >>> rotation_theta(90).round(6).tolist()
    [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]
    """
    angle = math.radians(check_number(angle, "angle (degrees)"))
    cos, sin = math.cos(angle), math.sin(angle)
    # round away the 6e-17 of cos(90°), so that 90° is exactly a permutation of pixels
    cos, sin = round(cos, 12), round(sin, 12)
    return np.array([[cos, -sin, 0.0], [sin, cos, 0.0]], np.float32)


def placement_theta(
    angle: float = 0.0,
    scale: float = 1.0,
    shift: tuple[float, float] = (0.0, 0.0),
    canvas: int = CANVAS,
    digit: int = DIGIT,
) -> np.ndarray:
    """θ that draws a ``digit``×``digit`` image on a ``canvas``×``canvas`` one, rotated
    counterclockwise by ``angle`` degrees, scaled by ``scale`` and its centre moved by
    ``shift = (right, down)`` canvas pixels.

    In pixels from the centres: a canvas point p shows the digit's point
    q = R(angle) (p − shift) / scale. Dividing by the half-widths ((n − 1)/2) turns this
    into normalised coordinates: θ = [h_c / (s h_d) R | −R shift / (s h_d)].
    """
    scale = check_number(scale, "scale", 0.05, 20.0)
    canvas = check_int(canvas, "canvas", 2, 4096)
    digit = check_int(digit, "digit", 2, 4096)
    shift = _pair(shift, "shift")
    rotation = rotation_theta(angle)[:, :2].astype(np.float64)
    half_canvas, half_digit = (canvas - 1) / 2, (digit - 1) / 2
    matrix = rotation * half_canvas / (scale * half_digit)
    offset = -rotation @ np.asarray(shift) / (scale * half_digit)
    return np.concatenate([matrix, offset[:, None]], axis=1).astype(np.float32)


def _pair(value, what: str) -> tuple[float, float]:
    try:
        x, y = value
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a pair (x, y), got {show(value)}") from None
    return check_number(x, f"{what} x"), check_number(y, f"{what} y")


def _check_theta(theta) -> np.ndarray:
    """θ as float32 (B, 2, 3) (one θ (2, 3) gets a batch axis)."""
    try:
        theta = np.asarray(theta, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(
            f"theta must be numbers shaped (2, 3), got {show(theta)}"
        ) from None
    if theta.ndim == 2:
        theta = theta[None]
    if theta.ndim != 3 or theta.shape[1:] != (2, 3):
        raise ValueError(f"theta must be shaped (2, 3) or (B, 2, 3), got {theta.shape}")
    if not np.isfinite(theta).all():
        raise ValueError("theta must be finite numbers")
    return theta


def _check_grid(grid, batch: int) -> np.ndarray:
    """A grid of points as float32 (B, H_out, W_out, 2) for ``batch`` images."""
    try:
        grid = np.asarray(grid, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(
            f"grid must be an array of numbers, got {show(grid)}"
        ) from None
    if grid.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != batch:
        raise ValueError(
            f"grid must be shaped ({batch}, H_out, W_out, 2) for {batch} images, "
            f"got {grid.shape}"
        )
    if not np.isfinite(grid).all():
        raise ValueError("grid must be finite numbers")
    return grid


def _not_a_tensor(value) -> bool:
    """True for anything but a backend or symbolic tensor (numbers, text, lists, NumPy
    arrays and scalars): those are checked here, tensors are left to Keras."""
    if isinstance(value, np.ndarray | np.generic):
        return True
    return not (hasattr(value, "shape") and hasattr(value, "dtype"))


def _check_images(images) -> np.ndarray:
    """Images as float32 (B, H, W, C): (H, W) gets batch and channel axes, (B, H, W) a
    channel axis."""
    try:
        images = np.asarray(images, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(
            f"images must be an array of numbers, got {show(images)}"
        ) from None
    if images.ndim == 2:
        images = images[None, :, :, None]
    elif images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or min(images.shape[1:3]) < 2:
        raise ValueError(
            "images must be shaped (H, W), (B, H, W) or (B, H, W, C) with H, W >= 2, "
            f"got {images.shape}"
        )
    if not np.isfinite(images).all():
        raise ValueError("images must be finite numbers")
    return images


# --------------------------------------------------------------------------------------
# The grid generator and the sampler (keras.ops: they run inside a model, with gradients)
# --------------------------------------------------------------------------------------


def regular_grid(height: int, width: int) -> np.ndarray:
    """The output's pixel centres in normalised coordinates, as homogeneous (x_t, y_t, 1):
    shape (height, width, 3)."""
    height = check_int(height, "height", 2, 4096)
    width = check_int(width, "width", 2, 4096)
    ys, xs = np.meshgrid(
        np.linspace(-1, 1, height), np.linspace(-1, 1, width), indexing="ij"
    )
    return np.stack([xs, ys, np.ones_like(xs)], axis=-1).astype(np.float32)


def affine_grid(theta, height: int, width: int):
    """The grid generator: for each output pixel, the input point it reads.

    Parameters
    ----------
    theta : (B, 2, 3) tensor or array (one θ (2, 3) is allowed for arrays).
    height, width : the output's size.

    Returns
    -------
    (B, height, width, 2) tensor of ``(x_s, y_s) = θ · (x_t, y_t, 1)``.
    """
    import keras

    if _not_a_tensor(theta):
        theta = _check_theta(theta)
    grid = keras.ops.convert_to_tensor(regular_grid(height, width).reshape(-1, 3))
    theta = keras.ops.cast(theta, "float32")
    points = keras.ops.einsum("bij,nj->bni", theta, grid)  # (B, H*W, 2)
    return keras.ops.reshape(points, (-1, height, width, 2))


def bilinear_sample(images, grid):
    """The sampler: ``images`` read at the normalised points ``grid``, bilinearly.

    Each point (x, y) becomes pixel coordinates ``((x + 1)(W − 1)/2, (y + 1)(H − 1)/2)``;
    its value is the weighted sum of its four neighbours, weights (1 − dx)(1 − dy),
    dx(1 − dy), (1 − dx)dy and dx·dy; neighbours outside the image count as 0.

    Parameters
    ----------
    images : (B, H, W, C) tensor or array.
    grid : (B, H_out, W_out, 2) tensor or array of (x, y) points.

    Returns
    -------
    (B, H_out, W_out, C) tensor.
    """
    from keras import ops

    if _not_a_tensor(images):
        images = _check_images(images)
        if _not_a_tensor(grid):
            grid = _check_grid(grid, len(images))
    images = ops.cast(images, "float32")
    grid = ops.cast(grid, "float32")
    shape = ops.shape(images)
    batch, height, width, channels = shape[0], shape[1], shape[2], shape[3]
    out_shape = ops.shape(grid)
    x = (grid[..., 0] + 1.0) * (ops.cast(width, "float32") - 1.0) / 2.0
    y = (grid[..., 1] + 1.0) * (ops.cast(height, "float32") - 1.0) / 2.0
    x0, y0 = ops.floor(x), ops.floor(y)
    dx, dy = x - x0, y - y0  # the weights carry the gradient with respect to the grid
    flat = ops.reshape(images, (-1, channels))
    base = ops.reshape(ops.arange(batch, dtype="int32") * height * width, (-1, 1, 1))

    def corner(xc, yc):
        inside = (xc >= 0) & (xc <= ops.cast(width - 1, "float32"))
        inside = inside & (yc >= 0) & (yc <= ops.cast(height - 1, "float32"))
        xi = ops.cast(ops.clip(xc, 0, ops.cast(width - 1, "float32")), "int32")
        yi = ops.cast(ops.clip(yc, 0, ops.cast(height - 1, "float32")), "int32")
        values = ops.take(flat, ops.reshape(base + yi * width + xi, (-1,)), axis=0)
        values = ops.reshape(
            values, (out_shape[0], out_shape[1], out_shape[2], channels)
        )
        return values * ops.cast(inside, "float32")[..., None]

    w00 = ((1 - dx) * (1 - dy))[..., None]
    w10 = (dx * (1 - dy))[..., None]
    w01 = ((1 - dx) * dy)[..., None]
    w11 = (dx * dy)[..., None]
    return (
        w00 * corner(x0, y0)
        + w10 * corner(x0 + 1, y0)
        + w01 * corner(x0, y0 + 1)
        + w11 * corner(x0 + 1, y0 + 1)
    )


def sample_numpy(images: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """:func:`bilinear_sample` in NumPy (the same formula, for arrays outside a model:
    the data generator and the widget). ``images`` (B, H, W, C), ``grid``
    (B, H_out, W_out, 2) -> (B, H_out, W_out, C) float32."""
    images = _check_images(images)
    grid = _check_grid(grid, len(images))
    grid = np.clip(
        grid, -4.0, 4.0
    )  # beyond ±(1 + one pixel) every point reads 0 anyway
    batch, height, width, channels = images.shape
    flat = np.concatenate(
        [images.reshape(-1, channels), np.zeros((1, channels), np.float32)]
    )
    outside = len(flat) - 1  # the index of a zero pixel, read for points outside
    x = (grid[..., 0] + 1.0) * ((width - 1) / 2.0)
    y = (grid[..., 1] + 1.0) * ((height - 1) / 2.0)
    x0, y0 = np.floor(x), np.floor(y)
    dx, dy = x - x0, y - y0
    x0, y0 = x0.astype(np.int32), y0.astype(np.int32)
    base = (np.arange(batch, dtype=np.int32) * (height * width)).reshape(-1, 1, 1)
    out = np.zeros((*grid.shape[:3], channels), np.float32)
    for xc, yc, weight in [
        (x0, y0, (1 - dx) * (1 - dy)),
        (x0 + 1, y0, dx * (1 - dy)),
        (x0, y0 + 1, (1 - dx) * dy),
        (x0 + 1, y0 + 1, dx * dy),
    ]:
        inside = (xc >= 0) & (xc < width) & (yc >= 0) & (yc < height)
        index = np.where(inside, base + yc * width + xc, outside)
        out += weight[..., None] * flat[index]
    return out


def transform(images, theta, size: int | tuple[int, int] | None = None) -> np.ndarray:
    """Grid generator + sampler on arrays (in NumPy): ``images`` resampled by ``theta``.

    Parameters
    ----------
    images : (H, W), (B, H, W) or (B, H, W, C) array.
    theta : (2, 3) or (B, 2, 3); one θ is used for every image.
    size : the output's (height, width), or one int for a square; default the input's.

    Returns
    -------
    float32 array shaped like ``images`` (with the output's height and width).

    >>> image = np.arange(12.0).reshape(3, 4)
    >>> np.array_equal(transform(image, IDENTITY), image)
    True
    """
    raw = np.asarray(images)
    batch = _check_images(images)
    theta = _check_theta(theta)
    if len(theta) == 1 and len(batch) > 1:
        theta = np.repeat(theta, len(batch), axis=0)
    if len(theta) != len(batch):
        raise ValueError(f"got {len(theta)} θ for {len(batch)} images")
    if size is None:
        size = batch.shape[1:3]
    elif isinstance(size, int | np.integer):
        size = (size, size)
    height, width = _pair(size, "size")
    height = check_int(height, "size (height)", 2, 4096)
    width = check_int(width, "size (width)", 2, 4096)
    grid = regular_grid(height, width) @ theta[:, None].transpose(0, 1, 3, 2)
    out = sample_numpy(batch, grid)
    if raw.ndim == 2:
        return out[0, :, :, 0]
    if raw.ndim == 3:
        return out[..., 0]
    return out


def bilinear_by_hand(image: np.ndarray, x: float, y: float) -> float:
    """One bilinear read of a 2-D ``image`` at pixel coordinates (x = column, y = row),
    written out with four weights; zero outside the image."""
    try:
        image = np.asarray(image, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"image must be a 2-D array of numbers, got {show(image)}"
        ) from None
    if image.ndim != 2 or image.size == 0:
        raise ValueError(f"image must be a 2-D array, got shape {image.shape}")
    x = check_number(x, "x (column)", -1e6, 1e6)
    y = check_number(y, "y (row)", -1e6, 1e6)
    x0, y0 = math.floor(x), math.floor(y)
    dx, dy = x - x0, y - y0
    total = 0.0
    for xc, yc, weight in [
        (x0, y0, (1 - dx) * (1 - dy)),
        (x0 + 1, y0, dx * (1 - dy)),
        (x0, y0 + 1, (1 - dx) * dy),
        (x0 + 1, y0 + 1, dx * dy),
    ]:
        if 0 <= xc < image.shape[1] and 0 <= yc < image.shape[0]:
            total += weight * image[yc, xc]
    return total


# --------------------------------------------------------------------------------------
# Distorted MNIST
# --------------------------------------------------------------------------------------


@dataclass
class DistortedDigits:
    """Digits placed on a canvas. ``images`` (N, canvas, canvas) float32 in 0…1,
    ``labels`` (N,), and how each was placed: ``angles`` (degrees, counterclockwise),
    ``scales``, ``shifts`` (N, 2) in canvas pixels (right, down), ``thetas`` (N, 2, 3)
    (canvas point -> digit point), ``sources`` (N,) index of the digit used."""

    images: np.ndarray
    labels: np.ndarray
    angles: np.ndarray
    scales: np.ndarray
    shifts: np.ndarray
    thetas: np.ndarray
    sources: np.ndarray

    def __len__(self) -> int:
        return len(self.images)


def _as_digits(images, labels) -> tuple[np.ndarray, np.ndarray]:
    try:
        images = np.asarray(images)
        labels = np.asarray(labels)
    except (TypeError, ValueError):
        raise ValueError("images and labels must be arrays") from None
    if images.ndim != 3 or images.shape[1:] != (DIGIT, DIGIT) or len(images) < 2:
        raise ValueError(
            f"images must be at least 2 digits shaped (N, 28, 28), got {images.shape}"
        )
    if labels.shape != (len(images),):
        raise ValueError(
            f"labels must be one per image, shape ({len(images)},), got {labels.shape}"
        )
    images = images.astype(np.float32)
    if images.max() > 1.0:  # uint8 0…255
        images = images / 255.0
    return images, labels.astype(np.int64)


def add_clutter(
    canvases: np.ndarray,
    digits: np.ndarray,
    rng: np.random.Generator,
    count: int = CLUTTER,
    size: int = CLUTTER_SIZE,
) -> np.ndarray:
    """Paste ``count`` random ``size``×``size`` crops of random ``digits`` (from their
    central 20×20, where the ink is) at random places of each canvas (pixelwise max)."""
    try:
        out = np.array(canvases, dtype=np.float32)
        digits = np.asarray(digits, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(
            "canvases and digits must be arrays of numbers, got "
            f"{show(canvases)} and {show(digits)}"
        ) from None
    if out.ndim != 3 or out.shape[1] != out.shape[2] or out.shape[1] < CLUTTER_SIZE:
        raise ValueError(
            f"canvases must be shaped (N, side, side) with side >= {CLUTTER_SIZE}, "
            f"got {out.shape}"
        )
    if digits.ndim != 3 or digits.shape[1:] != (DIGIT, DIGIT) or len(digits) == 0:
        raise ValueError(f"digits must be shaped (N, 28, 28), got {digits.shape}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a np.random.Generator, got {show(rng)}")
    count = check_int(count, "count", 0, 64)
    size = check_int(size, "size", 1, DIGIT - 8)
    if size > out.shape[1]:
        raise ValueError(
            f"size must be at most the canvas side {out.shape[1]}, got {size}"
        )
    n, side = out.shape[:2]
    steps = np.arange(size)
    everyone = np.arange(n)[:, None, None]
    for _ in range(count):  # one fragment per canvas at a time, all canvases at once
        picks = rng.integers(0, len(digits), n)
        crop_y = rng.integers(4, DIGIT - 4 - size + 1, n)
        crop_x = rng.integers(4, DIGIT - 4 - size + 1, n)
        place_y = rng.integers(0, side - size + 1, n)
        place_x = rng.integers(0, side - size + 1, n)
        fragments = digits[
            picks[:, None, None],
            (crop_y[:, None] + steps)[:, :, None],
            (crop_x[:, None] + steps)[:, None, :],
        ]
        rows = (place_y[:, None] + steps)[:, :, None]
        columns = (place_x[:, None] + steps)[:, None, :]
        out[everyone, rows, columns] = np.maximum(
            out[everyone, rows, columns], fragments
        )
    return out


MAX_COUNT = 5_000
"""The most canvases :func:`distorted_mnist` makes at once: 5,000 canvases of 60×60
float32 take 72 MB (twice that while they are made). For longer training, draw fresh
batches with :func:`distorted_batches` instead."""


def distorted_mnist(
    images,
    labels,
    count: int,
    seed: int = 0,
    max_angle: float = MAX_ANGLE,
    scales: tuple[float, float] = SCALES,
    clutter: int = CLUTTER,
    canvas: int = CANVAS,
    angle: float | None = None,
) -> DistortedDigits:
    """``count`` distorted digits drawn (with replacement) from ``images``: each rotated by
    a uniform angle in ±``max_angle`` degrees, scaled by a uniform factor in ``scales``,
    shifted uniformly as far as keeps the scaled digit's box on the canvas, drawn with
    the bilinear sampler onto a ``canvas``×``canvas`` image, plus ``clutter`` 8×8
    fragments of other digits. Seeded: the same arguments give the same images.

    ``angle`` (degrees), when given, turns every digit by exactly that angle; the
    digits, scales, shifts and clutter stay those of the same seed, so canvases made
    with different ``angle`` differ in the rotation only.

    At most :data:`MAX_COUNT` canvases at once; for more, use :func:`distorted_batches`.

    >>> (x, y), _ = cl.data.load_mnist()                  # doctest: +SKIP
    >>> data = distorted_mnist(x, y, 1000, seed=0)        # doctest: +SKIP
    >>> data.images.shape                                 # doctest: +SKIP
    (1000, 60, 60)
    """
    digits, digit_labels = _as_digits(images, labels)
    count = check_int(count, "count", 1, None)
    if count > MAX_COUNT:
        raise ValueError(
            f"count must be at most {MAX_COUNT:,} canvases at once (each 60x60 canvas "
            f"takes 14 kB, twice that while it is made), got {count:,}; to train on "
            "more, draw fresh batches with cl.spatial.distorted_batches"
        )
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    max_angle = check_number(max_angle, "max_angle", 0.0, 180.0)
    if angle is not None:
        angle = check_number(angle, "angle", -360.0, 360.0)
    low, high = _pair(scales, "scales")
    if not 0.2 <= low <= high <= 2.0:
        raise ValueError(
            f"scales must be (low, high) with 0.2 <= low <= high <= 2, got {scales}"
        )
    clutter = check_int(clutter, "clutter", 0, 64)
    canvas = check_int(canvas, "canvas", DIGIT, 512)
    return _distort(
        digits,
        digit_labels,
        count,
        np.random.default_rng(seed),
        max_angle,
        (low, high),
        clutter,
        canvas,
        angle,
    )


def _placement_thetas(angles, factors, shifts, canvas: int) -> np.ndarray:
    """:func:`placement_theta` for many digits at once (float32 (N, 2, 3))."""
    radians = np.radians(angles)
    cos, sin = np.round(np.cos(radians), 12), np.round(np.sin(radians), 12)
    rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    half_canvas, half_digit = (canvas - 1) / 2, (DIGIT - 1) / 2
    matrix = rotation * (half_canvas / (factors * half_digit))[:, None, None]
    offset = (
        -np.einsum("nij,nj->ni", rotation, shifts) / (factors * half_digit)[:, None]
    )
    return np.concatenate([matrix, offset[:, :, None]], axis=2).astype(np.float32)


def _distort(
    digits, digit_labels, count, rng, max_angle, scales, clutter, canvas, angle
):
    """The body of :func:`distorted_mnist`, on checked arguments (float32 digits)."""
    sources = rng.integers(0, len(digits), count)
    angles = rng.uniform(-max_angle, max_angle, count)
    if angle is not None:
        angles = np.full(count, angle)
    factors = rng.uniform(scales[0], scales[1], count)
    room = np.maximum((canvas - 1) / 2 - factors * (DIGIT - 1) / 2, 0.0)
    shifts = rng.uniform(-1, 1, (count, 2)) * room[:, None]
    thetas = _placement_thetas(angles, factors, shifts, canvas)
    out = np.empty((count, canvas, canvas), np.float32)
    # 200 at a time: the NumPy sampler's float64 grids for 1,000 canvases of 60x60
    # briefly took about 0.4 GB (lecture 16's kernel peak); 200 take a fifth of that.
    for start in range(0, count, 200):
        part = slice(start, start + 200)
        out[part] = transform(digits[sources[part]], thetas[part], canvas)
    if clutter:
        out = add_clutter(out, digits, rng, clutter)
    np.clip(out, 0.0, 1.0, out=out)
    return DistortedDigits(
        images=out,
        labels=digit_labels[sources],
        angles=angles.astype(np.float32),
        scales=factors.astype(np.float32),
        shifts=shifts.astype(np.float32),
        thetas=thetas,
        sources=sources,
    )


def distorted_batches(
    images, labels, batch_size: int = 64, seed: int = 0, **distortion
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """An endless stream of ``(inputs (B, 60, 60, 1), labels (B,))`` batches, each made
    by :func:`distorted_mnist` with fresh random digits, poses and clutter: no canvas
    is ever shown twice. Seeded: the same ``seed`` gives the same stream.

    ``distortion``: the keyword arguments of :func:`distorted_mnist` (``max_angle``,
    ``scales``, ``clutter``, ``canvas``).

    >>> batches = distorted_batches(x_train, y_train, 64, seed=0)  # doctest: +SKIP
    >>> inputs, labels = next(batches)                             # doctest: +SKIP
    """
    digits, digit_labels = _as_digits(images, labels)
    batch_size = check_int(batch_size, "batch_size", 1, 4096)
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    allowed = {"max_angle", "scales", "clutter", "canvas"}
    if not set(distortion) <= allowed:
        raise ValueError(
            f"distortion options must be among {sorted(allowed)}, "
            f"got {sorted(set(distortion) - allowed)}"
        )
    distorted_mnist(digits[:2], digit_labels[:2], 1, 0, **distortion)  # check them now
    return _batches(digits, digit_labels, batch_size, seed, distortion)


def _batches(digits, labels, batch_size, seed, distortion):
    options = {
        "max_angle": MAX_ANGLE,
        "scales": SCALES,
        "clutter": CLUTTER,
        "canvas": CANVAS,
        **distortion,
    }
    rng = np.random.default_rng(seed)
    while True:
        batch = _distort(digits, labels, batch_size, rng, angle=None, **options)
        yield batch.images[..., None], batch.labels


# --------------------------------------------------------------------------------------
# Models: a plain convnet, and the same convnet behind a spatial transformer
# --------------------------------------------------------------------------------------


def build_cnn(input_size: int = CANVAS, seed: int = 0, name: str = "cnn"):
    """The plain convnet: three 3×3 convolutions (16, 32, 64 filters) with 2×2 max
    pooling after the first two, global max pooling, and a softmax over 10 classes.

    Global max pooling asks "is this feature anywhere?", so the convnet is already
    fairly tolerant of *where* the digit is; turning and resizing it is harder.
    """
    import keras
    from keras import layers

    input_size = check_int(input_size, "input_size", 18, 512)  # 2 pools, 3 convs
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    init = keras.initializers.GlorotUniform

    return keras.Sequential(
        [
            keras.Input((input_size, input_size, 1)),
            layers.Conv2D(16, 3, activation="relu", kernel_initializer=init(seed)),
            layers.MaxPooling2D(2),
            layers.Conv2D(32, 3, activation="relu", kernel_initializer=init(seed + 1)),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu", kernel_initializer=init(seed + 2)),
            layers.GlobalMaxPooling2D(),
            layers.Dense(10, activation="softmax", kernel_initializer=init(seed + 3)),
        ],
        name=name,
    )


def build_localisation(input_size: int = CANVAS, seed: int = 0):
    """The localisation network: 6 numbers (θ) from the image. It halves the image
    (2×2 max pooling), then two 5×5 convolutions with pooling and a dense layer of 32;
    its last dense layer has zero weights and the identity θ as bias, so every image
    gets θ = identity before training."""
    import keras
    from keras import layers

    input_size = check_int(input_size, "input_size", 32, 512)  # 3 pools, 2 convs
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    init = keras.initializers.GlorotUniform
    return keras.Sequential(
        [
            keras.Input((input_size, input_size, 1)),
            layers.MaxPooling2D(2),
            layers.Conv2D(8, 5, activation="relu", kernel_initializer=init(seed + 10)),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 5, activation="relu", kernel_initializer=init(seed + 11)),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(32, activation="relu", kernel_initializer=init(seed + 12)),
            layers.Dense(
                6,
                kernel_initializer="zeros",
                bias_initializer=keras.initializers.Constant(IDENTITY.reshape(-1)),
                name="theta",
            ),
        ],
        name="localisation",
    )


def build_fc(input_size: int = OUTPUT_SIZE, seed: int = 0, name: str = "fc"):
    """The fully connected baseline (the paper's "FCN"): the image flattened, two dense
    layers of 128 ReLU units and a softmax over 10 classes. It has no notion of
    neighbouring pixels: a digit moved by a few pixels is a new input to it."""
    import keras
    from keras import layers

    input_size = check_int(input_size, "input_size", 2, 512)
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    init = keras.initializers.GlorotUniform
    return keras.Sequential(
        [
            keras.Input((input_size, input_size, 1)),
            layers.Flatten(),
            layers.Dense(128, activation="relu", kernel_initializer=init(seed + 20)),
            layers.Dense(128, activation="relu", kernel_initializer=init(seed + 21)),
            layers.Dense(10, activation="softmax", kernel_initializer=init(seed + 22)),
        ],
        name=name,
    )


CLASSIFIERS = {"fc": build_fc, "cnn": build_cnn}
"""The two classifiers, by name: ``"fc"`` (:func:`build_fc`), ``"cnn"``
(:func:`build_cnn`)."""


def _sampler_layer_class():
    import keras

    class AffineSampler(keras.layers.Layer):
        """Grid generator + bilinear sampler as a layer: ``[images, theta] -> images``;
        given the images alone it uses the identity θ (the whole image, resampled)."""

        def __init__(self, size: int, **kwargs):
            super().__init__(**kwargs)
            self.size = size

        def call(self, inputs):
            if isinstance(inputs, list | tuple):
                images, theta = inputs
                theta = keras.ops.reshape(theta, (-1, 2, 3))
            else:
                images = inputs
                identity = keras.ops.convert_to_tensor(IDENTITY[None])
                theta = keras.ops.tile(identity, (keras.ops.shape(images)[0], 1, 1))
            grid = affine_grid(theta, self.size, self.size)
            return bilinear_sample(images, grid)

        def compute_output_shape(self, input_shape):
            if isinstance(input_shape, list | tuple) and isinstance(
                input_shape[0], list | tuple
            ):
                input_shape = input_shape[0]
            return (input_shape[0], self.size, self.size, input_shape[-1])

        def get_config(self):
            return {**super().get_config(), "size": self.size}

    return AffineSampler


def build_stn(
    input_size: int = CANVAS,
    output_size: int = OUTPUT_SIZE,
    seed: int = 0,
    classifier: str = "cnn",
    transformer: bool = True,
):
    """A classifier (``"cnn"``: :func:`build_cnn`, ``"fc"``: :func:`build_fc`) that sees an
    ``output_size``×``output_size`` view of the ``input_size`` canvas, made by the grid
    generator and sampler.

    With ``transformer=True`` the view's θ comes from the localisation network (a
    spatial transformer: it learns where to look); with ``transformer=False`` θ is fixed
    at the identity (the whole canvas, resampled). Both see the same number of pixels
    through the same sampler; they differ only in who chooses θ.

    Layers by name: ``localisation`` (with a transformer), ``sampler``, ``classifier``.
    """
    import keras

    input_size = check_int(input_size, "input_size", 32, 512)
    output_size = check_int(output_size, "output_size", 18, 512)
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    classifier = choose(classifier, list(CLASSIFIERS), "classifier")
    if not isinstance(transformer, bool | np.bool_):
        raise ValueError(f"transformer must be True or False, got {show(transformer)}")
    inputs = keras.Input((input_size, input_size, 1), name="image")
    sampler = _sampler_layer_class()(output_size, name="sampler")
    if transformer:
        theta = build_localisation(input_size, seed)(inputs)
        view = sampler([inputs, theta])
    else:
        view = sampler(inputs)
    outputs = CLASSIFIERS[classifier](output_size, seed, name="classifier")(view)
    name = f"st_{classifier}" if transformer else classifier
    return keras.Model(inputs, outputs, name=name)


def transformer_outputs(stn) -> object:
    """A model from the STN's input to ``[theta (B, 2, 3), resampled image]``."""
    import keras

    names = {layer.name for layer in getattr(stn, "layers", [])}
    if not isinstance(stn, keras.Model) or not {"localisation", "sampler"} <= names:
        raise ValueError(
            "stn must be a model made by cl.spatial.build_stn (with layers "
            f"'localisation' and 'sampler'), got {show(stn)}"
        )
    theta = stn.get_layer("localisation").output
    return keras.Model(
        stn.input,
        [keras.ops.reshape(theta, (-1, 2, 3)), stn.get_layer("sampler").output],
    )


def compile_model(model, learning_rate: float = 1e-3):
    """Adam and sparse categorical cross-entropy with accuracy."""
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a Keras model, got {show(model)}")
    learning_rate = check_number(learning_rate, "learning_rate", positive=True)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


KINDS = {
    "fc": "FC",
    "st_fc": "ST-FC",
    "cnn": "CNN",
    "st_cnn": "ST-CNN",
}
"""The four networks compared, by name: FC and CNN see the whole 60×60 canvas at 30×30
(the identity θ); ST-FC and ST-CNN see a 30×30 view chosen by a spatial transformer.
Same classifier, same pixels, same sampler: only who chooses θ differs."""


BEHIND = "fc_behind_st"
"""One more network: the FC behind a spatial transformer that was trained elsewhere
(the ST-CNN's localisation network, frozen); only the FC learns."""


def build(kind: str, seed: int = 0, compile: bool = True):
    """One of :data:`KINDS`, compiled for training unless ``compile=False``:
    ``"fc"``/``"cnn"`` (:func:`build_stn` with ``transformer=False``), ``"st_fc"``/
    ``"st_cnn"`` (with a transformer); or ``"fc_behind_st"`` (:data:`BEHIND`: the ST-FC
    with its localisation network frozen, to receive a trained one)."""
    kind = choose(kind, [*KINDS, BEHIND], "model kind")
    if kind == BEHIND:
        model = build_stn(CANVAS, OUTPUT_SIZE, seed, "fc", transformer=True)
        model.get_layer("localisation").trainable = False
    else:
        classifier = kind.removeprefix("st_")
        model = build_stn(
            CANVAS, OUTPUT_SIZE, seed, classifier, transformer=kind.startswith("st_")
        )
    return compile_model(model) if compile else model


def train_steps(
    models: dict,
    images,
    labels,
    steps: int,
    batch_size: int = 64,
    seed: int = 0,
    every: int = 100,
    callback=None,
) -> dict:
    """Train several compiled ``models`` side by side on the same stream of fresh
    distorted batches (:func:`distorted_batches`): every model sees the same canvases
    in the same order, each canvas once.

    Parameters
    ----------
    models : ``{name: compiled keras model}``.
    images, labels : the digits to distort (N, 28, 28) and their labels.
    steps : gradient steps for each model.
    every : steps per point of the history (the mean training loss and accuracy).
    callback : called as ``callback(step, history)`` after every ``every`` steps.

    Returns
    -------
    ``{name: {"loss": [...], "accuracy": [...]}}``, one value per ``every`` steps.
    """
    import keras

    if not isinstance(models, dict) or not models:
        raise ValueError(
            f"models must be a non-empty dict name -> model, got {show(models)}"
        )
    for name, model in models.items():
        if (
            not isinstance(model, keras.Model)
            or getattr(model, "optimizer", None) is None
        ):
            raise ValueError(f"models[{name!r}] must be a compiled Keras model")
    steps = check_int(steps, "steps", 1, 5000)
    every = check_int(every, "every", 1, 5000)
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be callable, got {show(callback)}")
    batches = distorted_batches(images, labels, batch_size, seed)
    history = {name: {"loss": [], "accuracy": []} for name in models}
    for step in range(1, steps + 1):
        inputs, targets = next(batches)
        for name, model in models.items():
            if (step - 1) % every == 0:
                model.reset_metrics()  # the history holds the mean over each chunk
            loss, accuracy = model.train_on_batch(inputs, targets)
            if step % every == 0 or step == steps:
                history[name]["loss"].append(float(loss))
                history[name]["accuracy"].append(float(accuracy))
        if callback is not None and (step % every == 0 or step == steps):
            callback(step, history)
    return history


def accuracy(model, images, labels, batch_size: int = 500) -> float:
    """The fraction of ``images`` (canvases (N, H, W) or inputs (N, H, W, 1)) that
    ``model`` classifies as ``labels``."""
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a Keras model, got {show(model)}")
    inputs = as_inputs(images)
    labels = np.asarray(labels)
    if labels.shape != (len(inputs),):
        raise ValueError(
            f"labels must be one per image, shape ({len(inputs)},), got {labels.shape}"
        )
    batch_size = check_int(batch_size, "batch_size", 1, 10_000)
    predictions = model.predict(inputs, batch_size=batch_size, verbose=0).argmax(1)
    return float((predictions == labels).mean())


def accuracy_by_angle(
    models: dict, images, labels, angles, count: int = 500, seed: int = 3
) -> dict:
    """Each model's accuracy on ``count`` distorted canvases turned by exactly each of
    ``angles`` (degrees); the digits, scales, shifts and clutter are the same at every
    angle (:func:`distorted_mnist` with ``angle=``), so only the rotation changes.

    Returns ``{name: [accuracy at each angle]}``."""
    try:
        angles = [float(a) for a in angles]
    except (TypeError, ValueError):
        raise ValueError(
            f"angles must be a list of numbers, got {show(angles)}"
        ) from None
    if not 1 <= len(angles) <= 36 or not all(-360 <= a <= 360 for a in angles):
        raise ValueError(
            f"angles must be 1 to 36 angles from -360 to 360 degrees, got {show(angles)}"
        )
    if not isinstance(models, dict) or not models:
        raise ValueError(
            f"models must be a non-empty dict name -> model, got {show(models)}"
        )
    result = {name: [] for name in models}
    for angle in angles:
        data = distorted_mnist(images, labels, count, seed=seed, angle=angle)
        for name, model in models.items():
            result[name].append(accuracy(model, data.images, data.labels))
    return result


def read_theta(thetas) -> dict:
    """What a batch of θ (B, 2, 3) does to the canvas, in numbers a person can check.

    Returns a dict of arrays: ``undone`` (degrees), the rotation θ takes away, −atan2(θ₁₀,
    θ₀₀): the view shows a digit turned by a (counterclockwise) upright when ``undone``
    is a; ``side``, the square root of the absolute determinant of θ's 2×2 part, the fraction of the canvas
    width the view covers (1 is all of it); ``centre`` (B, 2), θ's last column, the
    canvas point at the view's centre (normalised: x right, y down).

    >>> read_theta(rotation_theta(-30))["undone"].round(3).tolist()
    [30.0]
    """
    thetas = _check_theta(thetas)
    return {
        "undone": -np.degrees(np.arctan2(thetas[:, 1, 0], thetas[:, 0, 0])),
        "side": np.sqrt(np.abs(np.linalg.det(thetas[:, :, :2].astype(np.float64)))),
        "centre": thetas[:, :, 2],
    }


def as_inputs(images) -> np.ndarray:
    """Canvases (N, H, W) in 0…1 as model inputs (N, H, W, 1) float32."""
    images = _check_images(images)
    if images.shape[-1] != 1:
        raise ValueError(f"images must have one channel, got {images.shape[-1]}")
    return images


def shipped_path(kind: str) -> Path:
    """Where the shipped weights of one of :data:`KINDS` live."""
    kind = choose(kind, list(SHIPPED), "model kind")
    return DATA_DIR / SHIPPED[kind][0]


def pretrained(kind: str):
    """The shipped, trained network of one of :data:`KINDS` (seed 0 of the shipped
    comparison; sha256-checked), for prediction (not compiled:
    ``cl.spatial.compile_model(model)`` to train it further).

    Made by ``datasets/build_spatial_models.py``; see its docstring for the training.
    """
    from course_lib.data import sha256_of

    kind = choose(kind, list(SHIPPED), "model kind")
    path = shipped_path(kind)
    rebuild = "rebuild it with: .venv/bin/python datasets/build_spatial_models.py"
    if not path.exists():
        raise FileNotFoundError(
            f"the shipped {kind} weights are missing: {path}; {rebuild}"
        )
    digest = sha256_of(path)
    if digest != SHIPPED[kind][1]:
        raise ValueError(
            f"{path.name} fails its sha256 check (got {digest[:12]}…, expected "
            f"{SHIPPED[kind][1][:12]}…): the file is corrupt or was changed; {rebuild}"
        )
    model = build(kind, compile=False)
    model.load_weights(path)
    return model


def load_results() -> dict:
    """The shipped comparison of the four :data:`KINDS` over three seeds (made by
    ``datasets/build_spatial_models.py``): ``settings``, ``machine``, ``summary``
    (``{kind: {"mean", "sd"}}`` of the test accuracy) and ``runs`` (``{kind: [one
    dict per seed: accuracy, accuracy_by_angle, history, theta (transformers)]}``)."""
    import json

    from course_lib.data import sha256_of

    path = DATA_DIR / RESULTS[0]
    rebuild = "rebuild it with: .venv/bin/python datasets/build_spatial_models.py"
    if not path.exists():
        raise FileNotFoundError(f"the shipped results are missing: {path}; {rebuild}")
    digest = sha256_of(path)
    if digest != RESULTS[1]:
        raise ValueError(
            f"{path.name} fails its sha256 check (got {digest[:12]}…, expected "
            f"{RESULTS[1][:12]}…): the file is corrupt or was changed; {rebuild}"
        )
    return json.loads(path.read_text())
