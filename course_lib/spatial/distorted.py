"""Distorted MNIST (lecture 16): real MNIST digits rotated (±45°), scaled (0.7-1.2) and
shifted on a 60×60 canvas with clutter (8×8 fragments of other digits), the distortions
of the paper's "RTS" and cluttered MNIST experiments; :func:`distorted_batches` streams
fresh ones for training."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from course_lib.core import (
    SEED,
    Anything,
    Images,
    Instance,
    Int,
    Items,
    Labels,
    Number,
    Optional,
    checked,
)
from course_lib.spatial.sampling import CANVAS, DIGIT, _transform

MAX_ANGLE = 45.0
SCALES = (0.7, 1.2)
CLUTTER = 4
"""Fragments of other digits on each canvas."""
CLUTTER_SIZE = 8
MAX_COUNT = 5_000
"""The most 60×60 canvases :func:`distorted_mnist` makes at once: 5,000 take 72 MB of
float32 (about twice that while they are made). Larger canvases allow fewer, the same
number of pixels (``MAX_COUNT * 60 * 60``). For longer training, draw fresh batches with
:func:`distorted_batches` instead."""
MAX_PIXELS = MAX_COUNT * CANVAS * CANVAS

OPTIONS = {
    "max_angle": Number(0.0, 180.0),
    "scales": Items(Number(0.2, 2.0), 2, 2),
    "clutter": Int(0, 64),
    "canvas": Int(DIGIT, 512),
}
"""The declarations of the distortion options (of :func:`distorted_mnist` and
:func:`distorted_batches`)."""

DIGITS = Images("NHW", size=(DIGIT, DIGIT), to="uint8")
"""The declaration of MNIST digits to distort: (N, 28, 28), uint8 0-255 or float 0-1
(kept as uint8: 47 MB for all 60,000, a quarter of float32)."""


class _Count(Int):
    """How many canvases at once: 1 to :data:`MAX_COUNT`, with the way out."""

    def __init__(self):
        super().__init__(1, MAX_COUNT)

    def describe(self):
        return (
            f"an int from 1 to {MAX_COUNT:,} (each 60x60 canvas takes 14 kB; to "
            "train on more, draw fresh batches with cl.spatial.distorted_batches)"
        )

    def convert(self, value, name):
        try:
            return super().convert(value, name)
        except ValueError:
            self.fail(name, value)


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


def _floats(digits: np.ndarray) -> np.ndarray:
    """uint8 digits as float32 0-1 (float ones as they are)."""
    if digits.dtype == np.uint8:
        return digits.astype(np.float32) / np.float32(255)
    return digits


@checked(
    canvases=Images("NHW", min_side=CLUTTER_SIZE),
    digits=Images("NHW", size=(DIGIT, DIGIT)),
    rng=Instance(
        np.random.Generator,
        "a NumPy random Generator (np.random.default_rng(seed))",
        lambda: np.random.default_rng(0),
    ),
    count=Int(0, 64),
    size=Int(1, DIGIT - 8),
)
def add_clutter(
    canvases: np.ndarray,
    digits: np.ndarray,
    rng: np.random.Generator,
    count: int = CLUTTER,
    size: int = CLUTTER_SIZE,
) -> np.ndarray:
    """Paste ``count`` random ``size``×``size`` crops of random ``digits`` (from their
    central 20×20, where the ink is) at random places of each canvas (pixelwise max).

    ``canvases`` (N, side, side) and ``digits`` (M, 28, 28): uint8 0-255 or float 0-1
    pixels; returns float32 0-1 canvases (the ones given are left as they were)."""
    if canvases.shape[1] != canvases.shape[2]:
        raise ValueError(
            f"canvases must be square, (N, side, side), got shape {canvases.shape}"
        )
    if size > canvases.shape[1]:
        raise ValueError(
            f"size must be at most the canvas side {canvases.shape[1]}, got {size}"
        )
    return _add_clutter(canvases.copy(), digits, rng, count, size)


def _add_clutter(out, digits, rng, count, size) -> np.ndarray:
    """:func:`add_clutter` into float32 canvases ``out`` (changed in place), from uint8
    or float digits."""
    n, side = out.shape[:2]
    steps = np.arange(size)
    everyone = np.arange(n)[:, None, None]
    for _ in range(count):  # one fragment per canvas at a time, all canvases at once
        picks = rng.integers(0, len(digits), n)
        crop_y = rng.integers(4, DIGIT - 4 - size + 1, n)
        crop_x = rng.integers(4, DIGIT - 4 - size + 1, n)
        place_y = rng.integers(0, side - size + 1, n)
        place_x = rng.integers(0, side - size + 1, n)
        fragments = _floats(
            digits[
                picks[:, None, None],
                (crop_y[:, None] + steps)[:, :, None],
                (crop_x[:, None] + steps)[:, None, :],
            ]
        )
        rows = (place_y[:, None] + steps)[:, :, None]
        columns = (place_x[:, None] + steps)[:, None, :]
        out[everyone, rows, columns] = np.maximum(
            out[everyone, rows, columns], fragments
        )
    return out


def _check_labels(images, labels) -> None:
    if len(labels) != len(images):
        raise ValueError(
            f"labels must be one per image: {len(images)} images, got "
            f"{len(labels)} labels"
        )


def _check_pixels(count: int, canvas: int, what: str) -> None:
    """Refuse more canvas pixels at once than MAX_COUNT canvases of 60x60 hold."""
    if count * canvas * canvas > MAX_PIXELS:
        raise ValueError(
            f"{what} must be at most {MAX_PIXELS // (canvas * canvas):,} canvases of "
            f"{canvas}x{canvas} at once (as many pixels as {MAX_COUNT:,} of 60x60), "
            f"got {count:,}"
        )


@checked(
    images=DIGITS,
    labels=Labels(10),
    count=_Count(),
    seed=SEED,
    **OPTIONS,
    angle=Optional(Number(-360.0, 360.0)),
)
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

    ``images``: digits (N, 28, 28), uint8 0-255 or float 0-1 (the same canvases either
    way); ``labels`` 0-9, one per digit.

    ``angle`` (degrees), when given, turns every digit by exactly that angle; the
    digits, scales, shifts and clutter stay those of the same seed, so canvases made
    with different ``angle`` differ in the rotation only.

    At most :data:`MAX_COUNT` canvases of 60×60 at once (72 MB; fewer larger ones); for
    more, use :func:`distorted_batches`.

    >>> (x, y), _ = cl.data.load_mnist()                  # doctest: +SKIP
    >>> data = distorted_mnist(x, y, 1000, seed=0)        # doctest: +SKIP
    >>> data.images.shape                                 # doctest: +SKIP
    (1000, 60, 60)
    """
    _check_labels(images, labels)
    _check_pixels(count, canvas, "count")
    low, high = _check_scales(scales)
    return _distort(
        images,
        labels,
        count,
        np.random.default_rng(seed),
        max_angle,
        (low, high),
        clutter,
        canvas,
        angle,
    )


def _check_scales(scales) -> tuple[float, float]:
    low, high = scales
    if low > high:
        raise ValueError(
            f"scales must be (low, high) with low <= high, got {tuple(scales)}"
        )
    return low, high


def _placement_thetas(angles, factors, shifts, canvas: int) -> np.ndarray:
    """``placement_theta`` for many digits at once (float32 (N, 2, 3))."""
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
    """The body of :func:`distorted_mnist`, on checked arguments (uint8 digits)."""
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
        chosen = _floats(digits[sources[part]])[..., None]
        out[part] = _transform(chosen, thetas[part], canvas, canvas)[..., 0]
    if clutter:
        out = _add_clutter(out, digits, rng, clutter, CLUTTER_SIZE)
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


@checked(
    images=DIGITS,
    labels=Labels(10),
    batch_size=Int(1, 4096),
    seed=SEED,
    distortion=Anything(
        "options of distorted_mnist (max_angle, scales, clutter, canvas), checked by it"
    ),
)
def distorted_batches(
    images, labels, batch_size: int = 64, seed: int = 0, **distortion
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """An endless stream of ``(inputs (B, 60, 60, 1), labels (B,))`` batches, each made
    by :func:`distorted_mnist` with fresh random digits, poses and clutter: no canvas
    is ever shown twice. Seeded: the same ``seed`` gives the same stream.

    ``images``: digits (N, 28, 28), uint8 0-255 or float 0-1; ``distortion``: the
    keyword arguments of :func:`distorted_mnist` (``max_angle``, ``scales``,
    ``clutter``, ``canvas``).

    >>> batches = distorted_batches(x_train, y_train, 64, seed=0)  # doctest: +SKIP
    >>> inputs, labels = next(batches)                             # doctest: +SKIP
    """
    _check_labels(images, labels)
    allowed = {"max_angle", "scales", "clutter", "canvas"}
    if not set(distortion) <= allowed:
        raise ValueError(
            f"distortion options must be among {sorted(allowed)}, "
            f"got {sorted(set(distortion) - allowed)}"
        )
    options = {name: OPTIONS[name].check(v, name) for name, v in distortion.items()}
    if "scales" in options:
        _check_scales(options["scales"])
    _check_pixels(batch_size, options.get("canvas", CANVAS), "batch_size")
    return _batches(images, labels, batch_size, seed, options)


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
