"""The grid generator and the bilinear sampler of a spatial transformer (lecture 16), and
the θ of a rotation, a scale and a shift.

Coordinates: x runs along the columns (left to right), y along the rows (top to bottom);
-1 and +1 are the centres of the first and last pixel (so the identity θ returns every
pixel exactly, and a 90° rotation equals ``np.rot90``). :func:`affine_grid` and
:func:`bilinear_sample` are written with ``keras.ops`` (they run inside a model, with
gradients); :func:`sample_numpy` and :func:`transform` are the same in NumPy.
"""

from __future__ import annotations

import math

import numpy as np

from course_lib.core import (
    Array,
    Constraint,
    Images,
    Int,
    Items,
    Number,
    OneOf,
    Optional,
    checked,
)

CANVAS = 60
"""Side of the distorted-MNIST canvas, in pixels (as in the paper's cluttered MNIST)."""
DIGIT = 28
"""Side of an MNIST digit."""
IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], np.float32)
"""The identity θ: every output point reads the same point of the input."""
MAX_PIXELS = 20_000_000
"""The most output values :func:`transform` makes at once (80 MB of float32)."""


class _Theta(Array):
    """θ, (2, 3) or a batch (B, 2, 3); returned as float32 (B, 2, 3)."""

    def __init__(self):
        super().__init__(ndim=(2, 3), low=-1e6, high=1e6)

    def describe(self):
        return "an array (2, 3) or (B, 2, 3) of finite numbers (θ)"

    def convert(self, value, name):
        theta = super().convert(value, name)
        if theta.ndim == 2:
            theta = theta[None]
        if theta.shape[1:] != (2, 3) or len(theta) == 0:
            self.fail(name, value, got=f"shape {np.shape(value)}")
        return theta.astype(np.float32)

    def example(self):
        return IDENTITY.copy()

    def bad_values(self):
        return [None, "text", np.full((2, 3), np.nan), np.ones((3, 2)), IDENTITY * 1e30]


def _is_tensor(value) -> bool:
    """True for a backend or symbolic tensor (not numbers, text, lists, NumPy arrays or
    scalars): those are checked, tensors are left to Keras (they carry gradients)."""
    if isinstance(value, np.ndarray | np.generic):
        return False
    return hasattr(value, "shape") and hasattr(value, "dtype")


class _TensorOr(Constraint):
    """A tensor (passed to Keras as it is, gradients and all), or a value ``inner``
    checks and converts."""

    def __init__(self, inner: Constraint):
        self.inner = inner

    def describe(self):
        return f"{self.inner.describe()}, or a tensor"

    def convert(self, value, name):
        return value if _is_tensor(value) else self.inner.check(value, name)

    def example(self):
        return self.inner.example()

    def bad_values(self):
        return self.inner.bad_values()


THETA = _Theta()
"""The declaration of a parameter that takes θ."""
BATCH = Images("NHWC", min_side=2)
GRID = Array(shape=(None, None, None, 2), what="a grid of (x, y) points")


@checked(angle=Number())
def rotation_theta(angle: float) -> np.ndarray:
    """The θ (2×3) that rotates an image counterclockwise by ``angle`` degrees.

    θ maps *output* points to the *input* points they read, so it holds the rotation
    matrix of +angle: the output point (x_t, y_t) reads the input at
    ``(cos a · x_t − sin a · y_t, sin a · x_t + cos a · y_t)`` (y points down).

    >>> rotation_theta(90).round(6).tolist()
    [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]
    """
    return _rotation(angle)


def _rotation(angle: float) -> np.ndarray:
    angle = math.radians(angle)
    cos, sin = math.cos(angle), math.sin(angle)
    # round away the 6e-17 of cos(90°), so that 90° is exactly a permutation of pixels
    cos, sin = round(cos, 12), round(sin, 12)
    return np.array([[cos, -sin, 0.0], [sin, cos, 0.0]], np.float32)


@checked(
    angle=Number(),
    scale=Number(0.05, 20.0),
    shift=Items(Number(-4096, 4096), 2, 2),
    canvas=Int(2, 4096),
    digit=Int(2, 4096),
)
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
    rotation = _rotation(angle)[:, :2].astype(np.float64)
    half_canvas, half_digit = (canvas - 1) / 2, (digit - 1) / 2
    matrix = rotation * half_canvas / (scale * half_digit)
    offset = -rotation @ np.asarray(shift) / (scale * half_digit)
    return np.concatenate([matrix, offset[:, None]], axis=1).astype(np.float32)


@checked(height=Int(2, 4096), width=Int(2, 4096))
def regular_grid(height: int, width: int) -> np.ndarray:
    """The output's pixel centres in normalised coordinates, as homogeneous (x_t, y_t, 1):
    shape (height, width, 3)."""
    return _regular_grid(height, width)


def _regular_grid(height: int, width: int) -> np.ndarray:
    ys, xs = np.meshgrid(
        np.linspace(-1, 1, height), np.linspace(-1, 1, width), indexing="ij"
    )
    return np.stack([xs, ys, np.ones_like(xs)], axis=-1).astype(np.float32)


@checked(theta=_TensorOr(THETA), height=Int(2, 4096), width=Int(2, 4096))
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

    grid = keras.ops.convert_to_tensor(_regular_grid(height, width).reshape(-1, 3))
    theta = keras.ops.cast(theta, "float32")
    points = keras.ops.einsum("bij,nj->bni", theta, grid)  # (B, H*W, 2)
    return keras.ops.reshape(points, (-1, height, width, 2))


def _check_batch(images, grid) -> None:
    if len(grid) != len(images):
        raise ValueError(
            f"grid must hold one grid per image: {len(images)} images, got "
            f"{len(grid)} grids"
        )


@checked(images=_TensorOr(BATCH), grid=_TensorOr(GRID))
def bilinear_sample(images, grid):
    """The sampler: ``images`` read at the normalised points ``grid``, bilinearly.

    Each point (x, y) becomes pixel coordinates ``((x + 1)(W − 1)/2, (y + 1)(H − 1)/2)``;
    its value is the weighted sum of its four neighbours, weights (1 − dx)(1 − dy),
    dx(1 − dy), (1 − dx)dy and dx·dy; neighbours outside the image count as 0.

    Parameters
    ----------
    images : (B, H, W, C) tensor, or array of uint8 0-255 or float 0-1 pixels.
    grid : (B, H_out, W_out, 2) tensor or array of (x, y) points.

    Returns
    -------
    (B, H_out, W_out, C) tensor.
    """
    from keras import ops

    if not _is_tensor(images) and not _is_tensor(grid):
        _check_batch(images, grid)
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


@checked(images=BATCH, grid=GRID)
def sample_numpy(images: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """:func:`bilinear_sample` in NumPy (the same formula, for arrays outside a model:
    the data generator and the widget). ``images`` (B, H, W, C) of uint8 0-255 or float
    0-1 pixels, ``grid`` (B, H_out, W_out, 2) -> (B, H_out, W_out, C) float32 0-1."""
    _check_batch(images, grid)
    return _sample(images, grid.astype(np.float32))


def _sample(images: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """:func:`sample_numpy` on checked float32 arrays."""
    grid = np.clip(grid, -4.0, 4.0)  # beyond ±(1 + one pixel) every point reads 0
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


@checked(
    images=Images(("HW", "NHW", "NHWC"), min_side=2),
    theta=THETA,
    size=Optional(OneOf(Int(2, 4096), Items(Int(2, 4096), 2, 2))),
)
def transform(images, theta, size: int | tuple[int, int] | None = None) -> np.ndarray:
    """Grid generator + sampler on arrays (in NumPy): ``images`` resampled by ``theta``.

    Parameters
    ----------
    images : grey images (H, W), (B, H, W) or (B, H, W, C), uint8 0-255 or float 0-1
        (a colour photo (H, W, 3) is refused, not read as H images: pass it as
        ``photo[None]``, (1, H, W, 3)).
    theta : (2, 3) or (B, 2, 3); one θ is used for every image.
    size : the output's (height, width), or one int for a square; default the input's.

    Returns
    -------
    float32 0-1 pixels shaped like ``images`` (with the output's height and width).

    >>> image = np.arange(12.0).reshape(3, 4) / 11
    >>> np.allclose(transform(image, IDENTITY), image)
    True
    """
    ndim = images.ndim
    batch = images[None, :, :, None] if ndim == 2 else images
    batch = batch[..., None] if ndim == 3 else batch
    if len(theta) == 1 and len(batch) > 1:
        theta = np.repeat(theta, len(batch), axis=0)
    if len(theta) != len(batch):
        raise ValueError(
            f"theta must be one θ or one per image: {len(batch)} images, got "
            f"{len(theta)} θ"
        )
    if size is None:
        size = batch.shape[1:3]
    height, width = (size, size) if isinstance(size, int) else size
    if batch.shape[0] * height * width * batch.shape[3] > MAX_PIXELS:
        raise ValueError(
            f"size must be smaller: {len(batch):,} images of {height}x{width} would "
            f"be more than {MAX_PIXELS:,} values; transform fewer images at once"
        )
    out = _transform(batch, theta, height, width)
    if ndim == 2:
        return out[0, :, :, 0]
    if ndim == 3:
        return out[..., 0]
    return out


def _transform(batch, theta, height: int, width: int) -> np.ndarray:
    """:func:`transform` of checked float32 (B, H, W, C) images and (B, 2, 3) θ."""
    grid = _regular_grid(height, width) @ theta[:, None].transpose(0, 1, 3, 2)
    return _sample(batch, grid)


@checked(
    image=Array(ndim=2, max_size=16_000_000, what="a 2-D array"),
    x=Number(-1e6, 1e6),
    y=Number(-1e6, 1e6),
)
def bilinear_by_hand(image: np.ndarray, x: float, y: float) -> float:
    """One bilinear read of a 2-D array ``image`` of numbers at pixel coordinates
    (x = column, y = row), written out with four weights; zero outside the image. The
    value is in the array's own units (0-255 for uint8 pixels)."""
    if image.size == 0:
        raise ValueError(f"image must be a 2-D array, got shape {image.shape}")
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


@checked(thetas=THETA)
def read_theta(thetas) -> dict:
    """What a batch of θ (B, 2, 3) does to the canvas, in numbers a person can check.

    Returns a dict of arrays: ``undone`` (degrees), the rotation θ takes away, −atan2(θ₁₀,
    θ₀₀): the view shows a digit turned by a (counterclockwise) upright when ``undone``
    is a; ``side``, the square root of the absolute determinant of θ's 2×2 part, the
    fraction of the canvas width the view covers (1 is all of it); ``centre`` (B, 2),
    θ's last column, the canvas point at the view's centre (normalised: x right, y down).

    >>> read_theta(rotation_theta(-30))["undone"].round(3).tolist()
    [30.0]
    """
    return {
        "undone": -np.degrees(np.arctan2(thetas[:, 1, 0], thetas[:, 0, 0])),
        "side": np.sqrt(np.abs(np.linalg.det(thetas[:, :, :2].astype(np.float64)))),
        "centre": thetas[:, :, 2],
    }
