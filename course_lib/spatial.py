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
distortions of the paper's "RTS" and cluttered MNIST experiments. Models:
:func:`build_cnn` (a plain convnet) and :func:`build_stn` (the same convnet behind a
spatial transformer); small trained copies ship in ``datasets/`` (made by
``datasets/build_spatial_models.py``) and load with :func:`pretrained`, sha256-checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib.core import check_int, check_number, choose, show

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

DATA_DIR = Path(__file__).resolve().parent.parent / "datasets"
SHIPPED = {
    "cnn": (
        "spatial_cnn.weights.h5",
        "97e6114356e1f0286554d60d2b8ebcaf380b444e8c4c8923cf83cfbc93c2c0ae",
    ),
    "stn": (
        "spatial_stn.weights.h5",
        "afce50c4b211b33bde8ba120e321cc56ae369dc73dfd149232d80625d81002ba",
    ),
}
"""Shipped models: name -> (file in ``datasets/``, sha256)."""


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
    for _ in range(count):
        picks = rng.integers(0, len(digits), n)
        crop_y = rng.integers(4, DIGIT - 4 - size + 1, n)
        crop_x = rng.integers(4, DIGIT - 4 - size + 1, n)
        place_y = rng.integers(0, side - size + 1, n)
        place_x = rng.integers(0, side - size + 1, n)
        for i in range(n):
            fragment = digits[
                picks[i], crop_y[i] : crop_y[i] + size, crop_x[i] : crop_x[i] + size
            ]
            window = out[
                i, place_y[i] : place_y[i] + size, place_x[i] : place_x[i] + size
            ]
            np.maximum(window, fragment, out=window)
    return out


def distorted_mnist(
    images,
    labels,
    count: int,
    seed: int = 0,
    max_angle: float = MAX_ANGLE,
    scales: tuple[float, float] = SCALES,
    clutter: int = CLUTTER,
    canvas: int = CANVAS,
) -> DistortedDigits:
    """``count`` distorted digits drawn (with replacement) from ``images``: each rotated by
    a uniform angle in ±``max_angle`` degrees, scaled by a uniform factor in ``scales``,
    shifted uniformly as far as keeps the scaled digit's box on the canvas, drawn with
    the bilinear sampler onto a ``canvas``×``canvas`` image, plus ``clutter`` 8×8
    fragments of other digits. Seeded: the same arguments give the same images.

    >>> (x, y), _ = cl.data.load_mnist()                  # doctest: +SKIP
    >>> data = distorted_mnist(x, y, 1000, seed=0)        # doctest: +SKIP
    >>> data.images.shape                                 # doctest: +SKIP
    (1000, 60, 60)
    """
    digits, digit_labels = _as_digits(images, labels)
    count = check_int(count, "count", 1, 200_000)
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    max_angle = check_number(max_angle, "max_angle", 0.0, 180.0)
    low, high = _pair(scales, "scales")
    if not 0.2 <= low <= high <= 2.0:
        raise ValueError(
            f"scales must be (low, high) with 0.2 <= low <= high <= 2, got {scales}"
        )
    clutter = check_int(clutter, "clutter", 0, 64)
    canvas = check_int(canvas, "canvas", DIGIT, 512)
    rng = np.random.default_rng(seed)
    sources = rng.integers(0, len(digits), count)
    angles = rng.uniform(-max_angle, max_angle, count)
    factors = rng.uniform(low, high, count)
    room = np.maximum((canvas - 1) / 2 - factors * (DIGIT - 1) / 2, 0.0)
    shifts = rng.uniform(-1, 1, (count, 2)) * room[:, None]
    thetas = np.stack(
        [
            placement_theta(a, s, (dx, dy), canvas)
            for a, s, (dx, dy) in zip(angles, factors, shifts, strict=True)
        ]
    )
    out = np.empty((count, canvas, canvas), np.float32)
    # 200 at a time: the NumPy sampler's float64 grids for 1,000 canvases of 60x60
    # briefly took about 0.4 GB (lecture 16's kernel peak); 200 take a fifth of that.
    for start in range(0, count, 200):
        part = slice(start, start + 200)
        out[part] = transform(digits[sources[part]], thetas[part], canvas)
    if clutter:
        out = add_clutter(out, digits, rng, clutter)
    return DistortedDigits(
        images=np.clip(out, 0.0, 1.0),
        labels=digit_labels[sources],
        angles=angles.astype(np.float32),
        scales=factors.astype(np.float32),
        shifts=shifts.astype(np.float32),
        thetas=thetas,
        sources=sources,
    )


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


def _sampler_layer_class():
    import keras

    class AffineSampler(keras.layers.Layer):
        """Grid generator + bilinear sampler as a layer: ``[images, theta] -> images``."""

        def __init__(self, size: int, **kwargs):
            super().__init__(**kwargs)
            self.size = size

        def call(self, inputs):
            images, theta = inputs
            theta = keras.ops.reshape(theta, (-1, 2, 3))
            grid = affine_grid(theta, self.size, self.size)
            return bilinear_sample(images, grid)

        def compute_output_shape(self, input_shape):
            return (input_shape[0][0], self.size, self.size, input_shape[0][-1])

        def get_config(self):
            return {**super().get_config(), "size": self.size}

    return AffineSampler


def build_stn(input_size: int = CANVAS, output_size: int = OUTPUT_SIZE, seed: int = 0):
    """The plain convnet (:func:`build_cnn` on ``output_size``) behind a spatial
    transformer: localisation network -> θ -> grid generator and sampler ->
    an ``output_size``×``output_size`` image -> convnet.

    Layers by name: ``localisation``, ``sampler``, ``classifier``.
    """
    import keras

    input_size = check_int(input_size, "input_size", 32, 512)
    output_size = check_int(output_size, "output_size", 18, 512)
    inputs = keras.Input((input_size, input_size, 1), name="image")
    theta = build_localisation(input_size, seed)(inputs)
    sampled = _sampler_layer_class()(output_size, name="sampler")([inputs, theta])
    outputs = build_cnn(output_size, seed, name="classifier")(sampled)
    return keras.Model(inputs, outputs, name="stn")


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


def build(kind: str, seed: int = 0, compile: bool = True):
    """``"cnn"`` (:func:`build_cnn` on the 60×60 canvas) or ``"stn"`` (:func:`build_stn`),
    compiled for training unless ``compile=False``."""
    kind = choose(kind, list(SHIPPED), "model kind")
    model = (
        build_cnn(CANVAS, seed)
        if kind == "cnn"
        else build_stn(CANVAS, OUTPUT_SIZE, seed)
    )
    return compile_model(model) if compile else model


def as_inputs(images) -> np.ndarray:
    """Canvases (N, H, W) in 0…1 as model inputs (N, H, W, 1) float32."""
    images = _check_images(images)
    if images.shape[-1] != 1:
        raise ValueError(f"images must have one channel, got {images.shape[-1]}")
    return images


def shipped_path(kind: str) -> Path:
    """Where the shipped weights of ``"cnn"`` or ``"stn"`` live."""
    kind = choose(kind, list(SHIPPED), "model kind")
    return DATA_DIR / SHIPPED[kind][0]


def pretrained(kind: str):
    """The shipped, trained ``"cnn"`` or ``"stn"`` (sha256-checked), for prediction
    (not compiled: ``cl.spatial.compile_model(model)`` to train it further).

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
