"""Segmentation (lecture 15): label every pixel, classically and with a U-Net.

- ``watershed_coins``: the classic pipeline on scikit-image's ``coins`` photo (an
  elevation map, markers, the watershed, holes filled), giving a *semantic* mask
  (coin or not) and *instances* (which coin);
- ``digit_scenes``: a seeded generator of "digit scenes", 2-4 real MNIST digits on a
  64x64 canvas with per-pixel class labels (semantic: 0 = background, digit + 1 for a
  digit's ink) and per-digit ids (instance: 0 = background, 1, 2, ... per digit);
  ``touching_digit_scenes``: two digits of the same class whose ink touches;
- ``instances_from_semantic`` / ``instance_recall``: instances read off a semantic map
  as connected regions, and the share of true instances found at IoU >= 0.5;
- ``convolution_matrix`` / ``transposed_convolution``: a convolution written as a matrix
  C, and the transposed convolution as C transposed (equal to
  ``tf.nn.conv2d_transpose`` and ``keras.layers.Conv2DTranspose``);
- ``build_unet``: a U-Net (Ronneberger, Fischer and Brox 2015, "U-Net: Convolutional
  Networks for Biomedical Image Segmentation", MICCAI) whose skips *concatenate*
  encoder maps to decoder maps; ``shapes_only=True`` traces the same recipe with
  arithmetic only (no weights), e.g. the paper's 572 -> 388 network;
- metrics: ``confusion_matrix``, ``pixel_accuracy``, ``per_class_iou``, ``mean_iou``,
  ``background_baseline`` and ``confused_pairs`` (which digits the network mixes up);
- ``pretrained_unet``: the small U-Net trained on digit scenes that ships in
  ``datasets/segmentation_unet.npz`` (made by ``datasets/build_segmentation_unet.py``),
  checked against its sha256.

Example::

    scenes = cl.segmentation.digit_scenes(100, seed=0)
    scenes.images.shape, scenes.semantic.shape     # (100, 64, 64), (100, 64, 64)
    model = cl.segmentation.build_unet()            # 64x64x1 -> 64x64x11
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course_lib.core import check_floats, check_int, check_number, choose, show
from course_lib.data.registry import FILES_DIR

__all__ = [
    "NUM_CLASSES",
    "CLASS_NAMES",
    "SCENE_SIZE",
    "INK",
    "Coins",
    "DigitScenes",
    "LayerShape",
    "UNetPlan",
    "watershed_coins",
    "digit_scenes",
    "touching_digit_scenes",
    "instances_from_semantic",
    "instance_recall",
    "convolution_matrix",
    "convolution",
    "transposed_convolution",
    "build_unet",
    "confusion_matrix",
    "pixel_accuracy",
    "per_class_iou",
    "mean_iou",
    "background_baseline",
    "segmentation_report",
    "confused_pairs",
    "predict_labels",
    "ink_weights",
    "compile_unet",
    "train_unet",
    "pretrained_unet",
    "save_unet_weights",
    "UNET_FILE",
    "UNET_SHA256",
    "UNET_SETTINGS",
    "SEEDS_FILE",
]

NUM_CLASSES = 11
"""Background plus the ten digits."""
CLASS_NAMES = ["background", *[f"digit {d}" for d in range(10)]]
"""Class c > 0 is digit c - 1 (semantic label = digit + 1)."""
SCENE_SIZE = 64
INK = 128
"""A digit's pixel belongs to the digit when its MNIST value is at least 128 (of 255);
fainter pixels (the anti-aliased rim) are background."""
MAX_SCENES = 5_000
MAX_PARAMS = 50_000_000
"""The largest U-Net ``build_unet`` creates weights for (the paper's has 31 million);
larger ones can still be traced with ``shapes_only=True``."""

UNET_FILE = FILES_DIR / "segmentation_unet.npz"
UNET_SHA256 = "0b23a602f99af4075a4f6650c00b1253e7abf7b889ff3c6b3c796870f9be3607"
SEEDS_FILE = UNET_FILE.parent / "segmentation_seeds.json"
"""The notebook's full-mode recipe over 3 seeds (``datasets/build_segmentation_seeds.py``)."""
UNET_SETTINGS = {"filters": 8, "depth": 3}
"""The shipped U-Net: ``build_unet(filters=8, depth=3)`` on 64x64 digit scenes."""
BATCH_SIZE = 8
LEARNING_RATE = 3e-3
INK_WEIGHT = 5.0


# --------------------------------------------------------------------------------------
# Classic: watershed on coins
# --------------------------------------------------------------------------------------


@dataclass
class Coins:
    """The result of :func:`watershed_coins`.

    image (303, 384) uint8; elevation the Sobel gradient magnitude; markers (1 = sure
    background, 2 = sure coin, 0 = undecided); semantic (bool, coin or not); instances
    (int, 0 = background, 1..count one id per coin); count the number of coins found.
    """

    image: np.ndarray
    elevation: np.ndarray
    markers: np.ndarray
    semantic: np.ndarray
    instances: np.ndarray
    count: int


def watershed_coins(low: int = 30, high: int = 150, min_size: int = 50) -> Coins:
    """Segment scikit-image's ``coins`` with the classic marker-based watershed.

    Pixels darker than ``low`` are sure background, brighter than ``high`` sure coin;
    the watershed floods the Sobel elevation map from these markers and decides the
    rest. Holes inside coins are filled, connected regions become instances (regions
    smaller than ``min_size`` pixels are dropped).
    """
    import skimage
    from scipy import ndimage

    low = check_int(low, "low", 0, 255)
    high = check_int(high, "high", 0, 255)
    if low >= high:
        raise ValueError(f"low must be below high, got low={low}, high={high}")
    min_size = check_int(min_size, "min_size", 0, 10_000)
    image = skimage.data.coins()
    elevation = skimage.filters.sobel(image)
    markers = np.zeros(image.shape, np.int32)
    markers[image < low] = 1
    markers[image > high] = 2
    flooded = skimage.segmentation.watershed(elevation, markers)
    semantic = ndimage.binary_fill_holes(flooded == 2)
    instances, count = ndimage.label(semantic)
    if min_size:
        sizes = np.bincount(instances.ravel())
        small = np.flatnonzero(sizes < min_size)
        small = small[small > 0]
        semantic = semantic & ~np.isin(instances, small)
        instances, count = ndimage.label(semantic)
    return Coins(image, elevation, markers, semantic, instances.astype(np.int32), count)


# --------------------------------------------------------------------------------------
# Digit scenes
# --------------------------------------------------------------------------------------


@dataclass
class DigitScenes:
    """Scenes made by :func:`digit_scenes`.

    images (N, 64, 64) float32 in 0..1; semantic (N, 64, 64) uint8, 0 = background and
    digit + 1 on a digit's ink; instances (N, 64, 64) uint8, 0 = background and k on
    the ink of the k-th digit placed (1-based); digits a list of N lists of the digits
    placed, in order; boxes a list of N lists of (top, left, height, width).
    """

    images: np.ndarray
    semantic: np.ndarray
    instances: np.ndarray
    digits: list = field(default_factory=list)
    boxes: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)


def _ink_crop(digit: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(digit.max(axis=1) > 0)
    cols = np.flatnonzero(digit.max(axis=0) > 0)
    if len(rows) == 0:
        return digit[:1, :1]
    return digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _overlaps(box, boxes, gap: int = 1) -> bool:
    top, left, height, width = box
    for other_top, other_left, other_height, other_width in boxes:
        if (
            top < other_top + other_height + gap
            and other_top < top + height + gap
            and left < other_left + other_width + gap
            and other_left < left + width + gap
        ):
            return True
    return False


def digit_scenes(
    count: int,
    seed: int = 0,
    split: str = "train",
    min_digits: int = 2,
    max_digits: int = 4,
    digits=None,
) -> DigitScenes:
    """``count`` seeded scenes of 2-4 real MNIST digits on a 64x64 black canvas.

    Each digit is cut to the box around its ink and placed at a random position where
    its box does not touch another's (so every pixel has one true label).

    Parameters
    ----------
    count : number of scenes (1 to 5,000).
    seed : the same seed gives the same scenes.
    split : "train" or "test": which part of ``cl.data.load_mnist()`` the digits come
        from (the test scenes use digits the network never saw).
    min_digits, max_digits : how many digits per scene (1 to 4).
    digits : ``(images, labels)`` to draw from instead (uint8 images (M, 28, 28)).

    Returns
    -------
    DigitScenes
    """
    count = check_int(count, "count", 1, MAX_SCENES)
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    min_digits = check_int(min_digits, "min_digits", 1, 4)
    max_digits = check_int(max_digits, "max_digits", min_digits, 4)
    images, labels = _source_digits(split, digits)
    rng = np.random.default_rng(seed)
    size = SCENE_SIZE
    canvas = np.zeros((count, size, size), np.uint8)
    semantic = np.zeros((count, size, size), np.uint8)
    instances = np.zeros((count, size, size), np.uint8)
    all_digits, all_boxes = [], []
    for n in range(count):
        wanted = int(rng.integers(min_digits, max_digits + 1))
        placed, boxes, restarts = [], [], 0
        while len(placed) < wanted:
            index = int(rng.integers(len(images)))
            ink = _ink_crop(images[index])
            height, width = ink.shape
            for _ in range(50):
                top = int(rng.integers(0, size - height + 1))
                left = int(rng.integers(0, size - width + 1))
                if not _overlaps((top, left, height, width), boxes):
                    break
            else:  # no room left: start the scene again
                restarts += 1
                if restarts > 200:
                    raise ValueError(
                        f"{wanted} digits of these sizes do not fit on a {size}x{size} "
                        "canvas without touching; give fewer or smaller digits"
                    )
                placed, boxes = [], []
                canvas[n] = semantic[n] = instances[n] = 0
                continue
            window = (slice(top, top + height), slice(left, left + width))
            canvas[n][window] = ink
            strong = ink >= INK
            semantic[n][window][strong] = int(labels[index]) + 1
            instances[n][window][strong] = len(placed) + 1
            placed.append(int(labels[index]))
            boxes.append((top, left, height, width))
        all_digits.append(placed)
        all_boxes.append(boxes)
    return DigitScenes(
        canvas.astype(np.float32) / 255, semantic, instances, all_digits, all_boxes
    )


def _source_digits(split, digits):
    if digits is None:
        from course_lib.data import load_mnist

        split = choose(split, ["train", "test"], "split")
        train, test = load_mnist()
        images, labels = train if split == "train" else test
    else:
        try:
            images, labels = digits
            images, labels = np.asarray(images), np.asarray(labels)
        except (TypeError, ValueError):
            raise ValueError(
                f"digits must be (images, labels), got {show(digits)}"
            ) from None
        if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) < 1:
            raise ValueError(
                f"digits' images must be shaped (M, 28, 28), got {images.shape}"
            )
        if labels.shape != (len(images),) or not np.isin(labels, np.arange(10)).all():
            raise ValueError("digits' labels must be one digit 0-9 per image")
    images, labels = np.asarray(images), np.asarray(labels)
    if images.dtype != np.uint8:
        images = np.clip(np.asarray(images, np.float64) * 255, 0, 255).astype(np.uint8)
    return images, labels


def touching_digit_scenes(
    count: int, seed: int = 0, split: str = "test", digits=None
) -> DigitScenes:
    """``count`` seeded 64x64 scenes of two different images of the **same digit**,
    placed side by side so that their ink touches.

    The second digit starts to the right of the first and slides left, one column at
    a time, until one of its ink pixels (MNIST value >= 128) is next to (or on) one of
    the first digit's; where the two overlap, the second is drawn on top. The labels are
    those of :func:`digit_scenes`: semantic (digit + 1 on ink, both digits alike) and
    instance (1 and 2). No per-pixel class can tell the two digits apart: only the
    instance labels do.

    Parameters
    ----------
    count : number of scenes (1 to 5,000).
    seed : the same seed gives the same scenes.
    split : "train" or "test" (default): which digits of ``cl.data.load_mnist()``.
    digits : ``(images, labels)`` to draw from instead (uint8 images (M, 28, 28)); at
        least one class must have two images.

    Returns
    -------
    DigitScenes
    """
    count = check_int(count, "count", 1, MAX_SCENES)
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    images, labels = _source_digits(split, digits)
    by_class = [np.flatnonzero(labels == c) for c in range(10)]
    usable = [c for c in range(10) if len(by_class[c]) >= 2]
    if not usable:
        raise ValueError("digits must hold at least two images of one class")
    rng = np.random.default_rng(seed)
    size = SCENE_SIZE
    canvas = np.zeros((count, size, size), np.uint8)
    semantic = np.zeros((count, size, size), np.uint8)
    instances = np.zeros((count, size, size), np.uint8)
    all_digits, all_boxes = [], []
    for n in range(count):
        label = int(usable[rng.integers(len(usable))])
        first, second = rng.choice(by_class[label], 2, replace=False)
        inks = [_ink_crop(images[first]), _ink_crop(images[second])]
        masks = []
        for ink in inks:  # each digit's ink on its own 64x64 plane, at the left edge
            plane = np.zeros((size, size), np.uint8)
            plane[: ink.shape[0], : ink.shape[1]] = ink
            masks.append(plane)
        top = [int(rng.integers(0, size - ink.shape[0] + 1)) for ink in inks]
        top[1] = int(np.clip(top[0] + rng.integers(-4, 5), 0, size - inks[1].shape[0]))
        planes = [np.roll(masks[k], top[k], axis=0) for k in range(2)]
        strong = planes[0] >= INK
        near = strong.copy()  # the first digit's ink and its 4 neighbours
        near[1:] |= strong[:-1]
        near[:-1] |= strong[1:]
        near[:, 1:] |= strong[:, :-1]
        near[:, :-1] |= strong[:, 1:]
        shift = inks[0].shape[1]
        while shift > 0 and not (near & (np.roll(planes[1], shift, 1) >= INK)).any():
            shift -= 1
        width = max(inks[0].shape[1], shift + inks[1].shape[1])
        left = int(rng.integers(0, size - width + 1))
        planes = [np.roll(planes[0], left, 1), np.roll(planes[1], left + shift, 1)]
        canvas[n] = np.maximum(planes[0], planes[1])
        for k in range(2):
            ink = planes[k] >= INK
            semantic[n][ink] = label + 1
            instances[n][ink] = k + 1
        all_digits.append([label, label])
        all_boxes.append(
            [
                (top[0], left, *inks[0].shape),
                (top[1], left + shift, *inks[1].shape),
            ]
        )
    return DigitScenes(
        canvas.astype(np.float32) / 255, semantic, instances, all_digits, all_boxes
    )


# --------------------------------------------------------------------------------------
# Transposed convolution = the transpose of the convolution matrix
# --------------------------------------------------------------------------------------


def _check_kernel(kernel) -> np.ndarray:
    kernel = check_floats(kernel, "kernel")
    if kernel.ndim == 2:
        kernel = kernel[:, :, None, None]
    if kernel.ndim != 4 or min(kernel.shape) < 1 or max(kernel.shape[:2]) > 15:
        raise ValueError(
            "kernel must be (kh, kw) or (kh, kw, in_channels, out_channels) with sides "
            f"1 to 15, got shape {kernel.shape}"
        )
    if not np.isfinite(kernel).all():
        raise ValueError("kernel must hold finite numbers")
    return kernel


def _padding_and_size(size: int, k: int, stride: int, padding: str) -> tuple[int, int]:
    """(output size, padding before) of one axis, as TensorFlow computes them."""
    if padding == "valid":
        return (size - k) // stride + 1, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return out, total // 2


def convolution_matrix(
    kernel, input_shape, stride: int = 1, padding: str = "valid"
) -> np.ndarray:
    """The matrix C with ``conv(x).ravel() == C @ x.ravel()`` (a Keras/TF convolution,
    i.e. a cross-correlation, no flip).

    Parameters
    ----------
    kernel : (kh, kw) or (kh, kw, in_channels, out_channels), Keras' layout.
    input_shape : (H, W) or (H, W, in_channels), at most 4,096 values.
    stride : 1 to 4; padding : "valid" or "same".

    Returns
    -------
    ndarray (H' * W' * out_channels, H * W * in_channels): row = output value, column =
    input value, both flattened in (row, column, channel) order.
    """
    kernel = _check_kernel(kernel)
    stride = check_int(stride, "stride", 1, 4)
    padding = choose(padding, ["valid", "same"], "padding")
    shape = tuple(np.atleast_1d(np.asarray(input_shape, dtype=object)))
    if len(shape) == 2:
        shape = (*shape, 1)
    try:
        height, width, channels = (check_int(s, "input_shape", 1, 4096) for s in shape)
    except ValueError:
        raise ValueError(
            f"input_shape must be (H, W) or (H, W, channels), got {show(input_shape)}"
        ) from None
    kh, kw, cin, cout = kernel.shape
    if cin != channels:
        raise ValueError(
            f"kernel has {cin} input channels but input_shape has {channels}"
        )
    if height * width * channels > 4096:
        raise ValueError(
            f"input_shape {shape} has {height * width * channels:,} values; at most "
            "4,096 (the matrix grows with the square)"
        )
    out_h, top = _padding_and_size(height, kh, stride, padding)
    out_w, left = _padding_and_size(width, kw, stride, padding)
    if out_h < 1 or out_w < 1:
        raise ValueError(
            f"the kernel {kh}x{kw} is larger than the input {height}x{width}"
        )
    matrix = np.zeros((out_h * out_w * cout, height * width * cin))
    for i in range(out_h):
        for j in range(out_w):
            for a in range(kh):
                for b in range(kw):
                    y, x = i * stride + a - top, j * stride + b - left
                    if 0 <= y < height and 0 <= x < width:
                        rows = ((i * out_w + j) * cout) + np.arange(cout)
                        cols = ((y * width + x) * cin) + np.arange(cin)
                        matrix[np.ix_(rows, cols)] += kernel[a, b].T
    return matrix


def _output_shape(kernel, input_shape, stride, padding) -> tuple[int, int, int]:
    kernel = _check_kernel(kernel)
    padding = choose(padding, ["valid", "same"], "padding")
    height, width = int(input_shape[0]), int(input_shape[1])
    out_h, _ = _padding_and_size(height, kernel.shape[0], stride, padding)
    out_w, _ = _padding_and_size(width, kernel.shape[1], stride, padding)
    return out_h, out_w, kernel.shape[3]


def convolution(x, kernel, stride: int = 1, padding: str = "valid") -> np.ndarray:
    """The convolution of one image ``x`` (H, W) or (H, W, C) as C @ x."""
    x = check_floats(x, "x")
    flat = x.ndim == 2
    if flat:
        x = x[:, :, None]
    if x.ndim != 3:
        raise ValueError(f"x must be an image (H, W) or (H, W, C), got shape {x.shape}")
    matrix = convolution_matrix(kernel, x.shape, stride, padding)
    shape = _output_shape(kernel, x.shape, stride, padding)
    y = (matrix @ x.ravel()).reshape(shape)
    return y[:, :, 0] if flat and shape[2] == 1 else y


def transposed_convolution(
    y, kernel, output_shape, stride: int = 1, padding: str = "valid"
) -> np.ndarray:
    """The transposed convolution of ``y`` as C.T @ y, C the convolution matrix of
    ``kernel`` on an input of ``output_shape`` (H, W) or (H, W, C).

    It equals ``tf.nn.conv2d_transpose(y, kernel, output_shape, stride, padding)`` and
    ``keras.layers.Conv2DTranspose`` with the same kernel. It is *not* an inverse: in
    general ``transposed_convolution(convolution(x)) != x``.
    """
    shape = tuple(np.atleast_1d(np.asarray(output_shape, dtype=object)))
    flat = len(shape) == 2
    if flat:
        shape = (*shape, 1)
    if len(shape) != 3:
        raise ValueError(
            f"output_shape must be (H, W) or (H, W, C), got {show(output_shape)}"
        )
    matrix = convolution_matrix(kernel, shape, stride, padding)
    y = check_floats(y, "y")
    if y.ndim == 2:
        y = y[:, :, None]
    if y.size != matrix.shape[0]:
        raise ValueError(
            f"y has {y.size} values but the convolution of a {shape} input gives "
            f"{matrix.shape[0]}"
        )
    x = (matrix.T @ y.ravel()).reshape(tuple(int(size) for size in shape))
    return x[:, :, 0] if flat else x


# --------------------------------------------------------------------------------------
# U-Net
# --------------------------------------------------------------------------------------


@dataclass
class LayerShape:
    """One layer of a traced U-Net: name, kind, output (H, W, C), parameters."""

    name: str
    kind: str
    shape: tuple[int, int, int]
    params: int


@dataclass
class UNetPlan:
    """A U-Net traced with arithmetic only (``build_unet(..., shapes_only=True)``)."""

    layers: list[LayerShape]

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.layers[0].shape

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return self.layers[-1].shape

    @property
    def convolutions(self) -> int:
        """Convolution layers, the up-convolutions and the final 1x1 included."""
        return sum(layer.kind in {"conv", "up-conv"} for layer in self.layers)

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)


class _ShapeOps:
    """The U-Net recipe's operations on shapes: no weights, just arithmetic."""

    def __init__(self, input_shape):
        self.layers = [LayerShape("input", "input", tuple(input_shape), 0)]

    def _add(self, name, kind, shape, params=0):
        if min(shape[:2]) < 1:
            raise ValueError(
                f"the input {self.layers[0].shape[:2]} is too small for this U-Net: "
                f"{name} would be {shape[0]}x{shape[1]}"
            )
        self.layers.append(LayerShape(name, kind, tuple(int(s) for s in shape), params))
        return self.layers[-1].shape

    def input(self):
        return self.layers[0].shape

    def conv(self, x, filters, size, padding, name, activation="relu"):
        shrink = 0 if padding == "same" else size - 1
        shape = (x[0] - shrink, x[1] - shrink, filters)
        return self._add(name, "conv", shape, size * size * x[2] * filters + filters)

    def pool(self, x, name):
        return self._add(name, "pool", (x[0] // 2, x[1] // 2, x[2]))

    def up(self, x, filters, name):
        shape = (x[0] * 2, x[1] * 2, filters)
        return self._add(name, "up-conv", shape, 4 * x[2] * filters + filters)

    def crop(self, skip, like, name):
        if skip[:2] == like[:2]:
            return skip
        return self._add(name, "crop", (like[0], like[1], skip[2]))

    def concat(self, a, b, name):
        return self._add(name, "concat", (a[0], a[1], a[2] + b[2]))

    def result(self, x):
        return UNetPlan(self.layers)


class _KerasOps:
    """The same operations as Keras layers (a functional model)."""

    def __init__(self, input_shape, name):
        import keras

        self.keras = keras
        self.inputs = keras.Input(input_shape, name="image")
        self.name = name

    def input(self):
        return self.inputs

    def conv(self, x, filters, size, padding, name, activation="relu"):
        return self.keras.layers.Conv2D(
            filters, size, padding=padding, activation=activation, name=name
        )(x)

    def pool(self, x, name):
        return self.keras.layers.MaxPooling2D(2, name=name)(x)

    def up(self, x, filters, name):
        return self.keras.layers.Conv2DTranspose(filters, 2, strides=2, name=name)(x)

    def crop(self, skip, like, name):
        dh, dw = skip.shape[1] - like.shape[1], skip.shape[2] - like.shape[2]
        if dh == 0 and dw == 0:
            return skip
        return self.keras.layers.Cropping2D(
            ((dh // 2, dh - dh // 2), (dw // 2, dw - dw // 2)), name=name
        )(skip)

    def concat(self, a, b, name):
        return self.keras.layers.Concatenate(name=name)([a, b])

    def result(self, x):
        return self.keras.Model(self.inputs, x, name=self.name)


def _spatial(x) -> tuple[int, int]:
    return (x[0], x[1]) if isinstance(x, tuple) else (x.shape[1], x.shape[2])


def build_unet(
    input_shape=(SCENE_SIZE, SCENE_SIZE, 1),
    num_classes: int = NUM_CLASSES,
    filters: int = 8,
    depth: int = 3,
    padding: str = "same",
    shapes_only: bool = False,
    name: str = "unet",
):
    """A U-Net: ``depth`` down steps (two 3x3 convolutions with ReLU, then 2x2 max
    pooling, the filters doubling each step), two convolutions at the bottom, then
    ``depth`` up steps (a 2x2 up-convolution, i.e. ``Conv2DTranspose`` with stride 2,
    halving the filters; the encoder's maps of the same level, centre-cropped when
    ``padding="valid"``, **concatenated** to them; two 3x3 convolutions), and a 1x1
    convolution to ``num_classes`` softmax scores per pixel.

    ``build_unet((572, 572, 1), 2, filters=64, depth=4, padding="valid")`` is the
    network of Ronneberger et al. (2015, Fig. 1). With ``shapes_only=True`` the same
    recipe runs on shapes only and returns a :class:`UNetPlan` (layers, output shape,
    convolution and parameter counts) without creating a single weight.
    """
    shape = tuple(np.atleast_1d(np.asarray(input_shape, dtype=object)))
    if len(shape) != 3:
        raise ValueError(
            f"input_shape must be (H, W, channels), got {show(input_shape)}"
        )
    shape = tuple(check_int(s, "input_shape's sizes", 1, 4096) for s in shape)
    num_classes = check_int(num_classes, "num_classes", 1, 1000)
    filters = check_int(filters, "filters", 1, 512)
    depth = check_int(depth, "depth", 0, 6)
    padding = choose(padding, ["same", "valid"], "padding")
    if not isinstance(shapes_only, bool):
        raise ValueError(f"shapes_only must be True or False, got {show(shapes_only)}")
    if padding == "same" and (shape[0] % 2**depth or shape[1] % 2**depth):
        raise ValueError(
            f"with padding='same' the input sides must be multiples of 2**depth = "
            f"{2**depth}, got {shape[0]}x{shape[1]}"
        )
    plan = _ShapeOps(shape)
    _unet_recipe(plan, num_classes, filters, depth, padding)  # refuses too small inputs
    if shapes_only:
        return plan.result(None)
    if plan.result(None).params > MAX_PARAMS:
        raise ValueError(
            f"this U-Net would have {plan.result(None).params:,} weights, more than "
            f"{MAX_PARAMS:,}; trace it with shapes_only=True instead"
        )
    ops = _KerasOps(shape, name)
    return ops.result(_unet_recipe(ops, num_classes, filters, depth, padding))


def _unet_recipe(ops, num_classes, filters, depth, padding):
    x = ops.input()
    skips = []
    for level in range(depth):
        width = filters * 2**level
        x = ops.conv(x, width, 3, padding, f"down{level + 1}_conv1")
        x = ops.conv(x, width, 3, padding, f"down{level + 1}_conv2")
        skips.append(x)
        if padding == "valid" and any(s % 2 for s in _spatial(x)):
            raise ValueError(
                f"down{level + 1}'s maps are {_spatial(x)}: odd sides cannot be pooled "
                "2x2 and mirrored back (the paper picks 572 for this)"
            )
        x = ops.pool(x, f"down{level + 1}_pool")
    width = filters * 2**depth
    x = ops.conv(x, width, 3, padding, "bottom_conv1")
    x = ops.conv(x, width, 3, padding, "bottom_conv2")
    for level in reversed(range(depth)):
        width = filters * 2**level
        x = ops.up(x, width, f"up{level + 1}_upconv")
        skip = ops.crop(skips[level], x, f"up{level + 1}_crop")
        x = ops.concat(skip, x, f"up{level + 1}_concat")
        x = ops.conv(x, width, 3, padding, f"up{level + 1}_conv1")
        x = ops.conv(x, width, 3, padding, f"up{level + 1}_conv2")
    return ops.conv(x, num_classes, 1, padding, "classes", activation="softmax")


# --------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------


def _labels(values, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.size == 0 or array.dtype.kind not in "iub":
        raise ValueError(f"{name} must be a non-empty array of class ids (ints)")
    if array.min() < 0:
        raise ValueError(f"{name} must hold class ids >= 0, got {array.min()}")
    if array.max() >= 1000:
        raise ValueError(f"{name} must hold class ids below 1,000, got {array.max()}")
    return array.astype(np.int32)  # ids below 1,000: id * num_classes fits in int32


def confusion_matrix(truth, prediction, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Pixel counts: entry [t, p] = pixels of true class t predicted as p."""
    num_classes = check_int(num_classes, "num_classes", 1, 1000)
    truth = _labels(truth, "truth")
    prediction = _labels(prediction, "prediction")
    if truth.shape != prediction.shape:
        raise ValueError(
            f"truth and prediction must have the same shape, got {truth.shape} and "
            f"{prediction.shape}"
        )
    if max(truth.max(), prediction.max()) >= num_classes:
        raise ValueError(f"class ids must be below num_classes = {num_classes}")
    flat = truth.ravel() * num_classes + prediction.ravel()
    return np.bincount(flat, minlength=num_classes**2).reshape(num_classes, num_classes)


def pixel_accuracy(truth, prediction, num_classes: int = NUM_CLASSES) -> float:
    """The share of pixels whose class is right."""
    matrix = confusion_matrix(truth, prediction, num_classes)
    return float(np.trace(matrix) / matrix.sum())


def per_class_iou(truth, prediction, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Intersection over union per class, TP / (TP + FP + FN); NaN for a class that is
    in neither the truth nor the prediction."""
    matrix = confusion_matrix(truth, prediction, num_classes).astype(np.float64)
    hits = np.diag(matrix)
    union = matrix.sum(axis=0) + matrix.sum(axis=1) - hits
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, hits / union, np.nan)


def mean_iou(truth, prediction, num_classes: int = NUM_CLASSES) -> float:
    """The mean of :func:`per_class_iou` over the classes present (as
    ``keras.metrics.MeanIoU``)."""
    return float(np.nanmean(per_class_iou(truth, prediction, num_classes)))


def background_baseline(truth) -> np.ndarray:
    """The prediction "everything is background" (class 0), shaped like ``truth``."""
    return np.zeros_like(_labels(truth, "truth"))


def segmentation_report(truth, prediction, num_classes: int = NUM_CLASSES) -> dict:
    """Pixel accuracy, mean IoU and per-class IoU of a prediction and of the
    all-background baseline, as a dict."""
    baseline = background_baseline(truth)
    return {
        "pixel_accuracy": pixel_accuracy(truth, prediction, num_classes),
        "mean_iou": mean_iou(truth, prediction, num_classes),
        "per_class_iou": per_class_iou(truth, prediction, num_classes),
        "baseline_pixel_accuracy": pixel_accuracy(truth, baseline, num_classes),
        "baseline_mean_iou": mean_iou(truth, baseline, num_classes),
    }


def confused_pairs(
    truth, prediction, top: int = 5
) -> list[tuple[tuple[int, int], int]]:
    """The digit pairs mixed up most: ((a, b), pixels) with a < b, where pixels counts
    ink of digit a predicted as b plus ink of b predicted as a (background ignored),
    most first."""
    top = check_int(top, "top", 1, 45)
    matrix = confusion_matrix(truth, prediction, NUM_CLASSES)[1:, 1:]
    both = matrix + matrix.T
    pairs = [((a, b), int(both[a, b])) for a in range(10) for b in range(a + 1, 10)]
    pairs.sort(key=lambda pair: (-pair[1], pair[0]))
    return pairs[:top]


def instances_from_semantic(semantic) -> np.ndarray:
    """Instances read off a semantic map, the only way it allows: every connected
    region (8-connected) of pixels with the same class > 0 becomes one instance.

    ``semantic`` (H, W) or (N, H, W) class ids; returns int32 ids of the same shape
    (0 = background, 1, 2, ... per region, numbered per image).
    """
    from scipy import ndimage

    semantic = _labels(semantic, "semantic")
    if semantic.ndim not in (2, 3):
        raise ValueError(
            f"semantic must be (H, W) or (N, H, W), got shape {semantic.shape}"
        )
    flat = semantic.ndim == 2
    maps = semantic[None] if flat else semantic
    found = np.zeros(maps.shape, np.int32)
    eight = np.ones((3, 3), bool)
    for n, image in enumerate(maps):
        total = 0
        for c in np.unique(image[image > 0]):
            regions, count = ndimage.label(image == c, structure=eight)
            found[n][regions > 0] = regions[regions > 0] + total
            total += count
    return found[0] if flat else found


def instance_recall(truth, found, threshold: float = 0.5) -> float:
    """The share of true instances that some found instance overlaps with an IoU of
    at least ``threshold`` (an object-level score; above 0.5 a found instance can match
    only one true one).

    ``truth`` and ``found``: instance ids, (H, W) or (N, H, W), 0 = background.
    """
    threshold = check_number(threshold, "threshold", 0.0, 1.0)
    if threshold <= 0:
        raise ValueError(f"threshold must be above 0, got {threshold}")
    truth = _labels(truth, "truth")
    found = _labels(found, "found")
    if truth.shape != found.shape or truth.ndim not in (2, 3):
        raise ValueError(
            "truth and found must have the same shape, (H, W) or (N, H, W); got "
            f"{truth.shape} and {found.shape}"
        )
    if truth.ndim == 2:
        truth, found = truth[None], found[None]
    hits = total = 0
    for true_map, found_map in zip(truth, found, strict=True):
        size = int(max(true_map.max(), found_map.max())) + 1
        pairs = np.bincount(
            true_map.ravel() * size + found_map.ravel(), minlength=size * size
        ).reshape(size, size)
        true_sizes, found_sizes = pairs.sum(axis=1), pairs.sum(axis=0)
        for t in np.flatnonzero(true_sizes[1:]) + 1:
            union = true_sizes[t] + found_sizes[1:] - pairs[t, 1:]
            best = (pairs[t, 1:] / union).max() if size > 1 else 0.0
            hits += bool(best >= threshold)
            total += 1
    if total == 0:
        raise ValueError("truth holds no instances (only background)")
    return hits / total


def predict_labels(model, images, batch_size: int = 16) -> np.ndarray:
    """The class of every pixel: argmax of ``model``'s scores, (N, H, W) uint8."""
    _check_model(model)
    try:
        images = np.asarray(images, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(
            f"images must be an array of numbers, got {show(images)}"
        ) from None
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(
            f"images must be (N, H, W) or (N, H, W, 1), got {images.shape}"
        )
    batch_size = check_int(batch_size, "batch_size", 1, 4096)
    labels = [
        np.asarray(model(images[start : start + batch_size], training=False))
        .argmax(axis=-1)
        .astype(np.uint8)
        for start in range(0, len(images), batch_size)
    ]
    return np.concatenate(labels)


# --------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------


def _check_model(model) -> None:
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a Keras model, got {show(model)}")


def ink_weights(semantic, ink_weight: float = INK_WEIGHT) -> np.ndarray:
    """Per-pixel loss weights: ``ink_weight`` on a digit's ink, 1 on the background.

    Over nine pixels in ten are background, so an unweighted loss is lowest early on
    for "all background"; weighting the ink makes the digits count from the start.
    """
    ink_weight = check_number(ink_weight, "ink_weight", 1.0, 100.0)
    semantic = _labels(semantic, "semantic")
    return np.where(semantic > 0, ink_weight, 1.0).astype(np.float32)


def compile_unet(model, learning_rate: float = LEARNING_RATE) -> None:
    """Adam, per-pixel sparse cross-entropy, and pixel accuracy and mean IoU as metrics
    (``keras.metrics.MeanIoU`` over the 11 classes, unweighted)."""
    _check_model(model)
    learning_rate = check_number(
        learning_rate, "learning_rate", positive=True, high=1.0
    )
    _compile(model, learning_rate)


def _compile(model, learning_rate) -> None:
    import keras

    num_classes = int(model.output_shape[-1])
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=[
            "accuracy",
            keras.metrics.MeanIoU(
                num_classes, name="mean_iou", sparse_y_true=True, sparse_y_pred=False
            ),
        ],
    )


def _warmup_cosine(learning_rate: float, total_steps: int, warmup_steps: int):
    """Linear warm-up from 0 to ``learning_rate`` over ``warmup_steps``, then a cosine
    decay to 0 at ``total_steps``."""
    import keras

    warmup_steps = max(1, min(warmup_steps, total_steps - 1))
    return keras.optimizers.schedules.CosineDecay(
        0.0,
        decay_steps=max(1, total_steps - warmup_steps),
        warmup_target=learning_rate,
        warmup_steps=warmup_steps,
    )


def train_unet(
    model,
    scenes: DigitScenes,
    epochs: int = 1,
    batch_size: int = BATCH_SIZE,
    learning_rate: float = LEARNING_RATE,
    ink_weight: float = INK_WEIGHT,
    validation: DigitScenes | None = None,
    callbacks=(),
):
    """Train ``model`` on digit scenes with ``model.fit`` (per-pixel cross-entropy,
    ink weighted by ``ink_weight``); returns the Keras History.

    Adam's learning rate rises linearly from 0 to ``learning_rate`` over the first half
    epoch, then falls along a cosine to 0 at the last step. Without the warm-up and
    the decay, runs that differ only in the seed end far apart (mean IoU 0.68 and 0.86
    for the same network); with them, the mean IoU varies little across seeds
    (``datasets/build_segmentation_seeds.py`` measures it).
    """
    from course_lib.train import check_callbacks

    _check_model(model)
    if not isinstance(scenes, DigitScenes):
        raise ValueError(f"scenes must be DigitScenes, got {show(scenes)}")
    if validation is not None and not isinstance(validation, DigitScenes):
        raise ValueError(
            f"validation must be DigitScenes or None, got {show(validation)}"
        )
    epochs = check_int(epochs, "epochs", 1, 200)
    batch_size = check_int(batch_size, "batch_size", 1, 1024)
    callbacks = check_callbacks(callbacks)
    learning_rate = check_number(
        learning_rate, "learning_rate", positive=True, high=1.0
    )
    steps_per_epoch = -(-len(scenes) // batch_size)
    _compile(
        model,
        _warmup_cosine(learning_rate, steps_per_epoch * epochs, steps_per_epoch // 2),
    )
    weights = ink_weights(scenes.semantic, ink_weight)
    validation_data = (
        None
        if validation is None
        else (validation.images[..., None], validation.semantic)
    )
    return model.fit(
        scenes.images[..., None],
        scenes.semantic,
        sample_weight=weights,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=validation_data,
        callbacks=callbacks,
        verbose=0,
    )


# --------------------------------------------------------------------------------------
# The shipped U-Net
# --------------------------------------------------------------------------------------


def _as_path(path) -> Path:
    import os

    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ValueError(f"path must be a file name (text or a Path), got {show(path)}")
    if Path(path).is_dir():
        raise ValueError(f"path must be a file name, not a folder: {path}")
    return Path(path)


def save_unet_weights(model, path: str | Path) -> Path:
    """Save ``model``'s weights as an ``.npz`` (``w000``, ``w001``, ...), byte for byte
    the same for the same weights."""
    _check_model(model)
    path = _as_path(path)
    weights = {f"w{i:03d}": w for i, w in enumerate(model.get_weights())}
    with open(path, "wb") as handle:
        np.savez(handle, **weights)
    return path


def pretrained_unet(path: str | Path | None = None):
    """The small U-Net (``build_unet(**UNET_SETTINGS)``) trained on digit scenes, from
    ``datasets/segmentation_unet.npz`` after its sha256 check (a file of your own at
    ``path`` is loaded without it)."""
    shipped = path is None
    path = UNET_FILE if shipped else _as_path(path)
    rebuild = "rebuild it with: .venv/bin/python datasets/build_segmentation_unet.py"
    if not path.is_file():
        raise FileNotFoundError(f"the U-Net weights {path} are missing; {rebuild}")
    if shipped:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != UNET_SHA256:
            raise ValueError(
                f"{path.name} fails its sha256 check (got {digest[:12]}…, expected "
                f"{UNET_SHA256[:12]}…): the file is corrupt or was changed; {rebuild}"
            )
    model = build_unet(**UNET_SETTINGS)
    try:
        with np.load(path) as stored:
            weights = [stored[key] for key in sorted(stored.files)]
    except (OSError, ValueError, AttributeError, EOFError):
        raise ValueError(
            f"{path} is not a weights file saved by save_unet_weights"
        ) from None
    expected = [w.shape for w in model.get_weights()]
    if [w.shape for w in weights] != expected:
        raise ValueError(
            f"the weights in {path} do not fit build_unet(**UNET_SETTINGS)"
        )
    model.set_weights(weights)
    return model
