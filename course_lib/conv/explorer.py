"""The convolution explorer's pieces (lectures 04 and 05): kernel presets, gray
pictures, the multiply-and-sum behind one output pixel, pooling a real feature map."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from course_lib.conv.arithmetic import (
    NUMBERS_2D_OR_3D,
    PADDING,
    SIZE,
    conv2d,
    output_size,
    padding_amounts,
    pool2d,
)
from course_lib.core import Anything, Array, Choice, Int, Text, checked, show

# --------------------------------------------------------------------------------------
# Kernels and pictures for the convolution explorer (lecture 04)
# --------------------------------------------------------------------------------------

KERNEL_PRESETS: dict[str, list[list[float]]] = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "vertical edge": [[1, 0, -1], [1, 0, -1], [1, 0, -1]],
    "horizontal edge": [[1, 1, 1], [0, 0, 0], [-1, -1, -1]],
    "sobel": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
    "blur": [[1 / 9] * 3] * 3,
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}
"""3x3 kernels to start from; ``sobel`` finds vertical edges, weighting the middle row."""


@checked(name=Choice(*KERNEL_PRESETS))
def kernel_preset(name: str) -> np.ndarray:
    """The 3x3 kernel called ``name`` (a key of ``KERNEL_PRESETS``) as floats.

    >>> kernel_preset("Sobel")[1]
    array([ 2.,  0., -2.])
    """
    return np.array(KERNEL_PRESETS[name], dtype=float)


@checked(kernel=Anything("any value: None when it is no preset"))
def preset_name(kernel) -> str | None:
    """The name of the preset equal to ``kernel`` (to float rounding), else None."""
    try:
        if np.asarray(kernel).dtype.kind not in "biuf":
            return None  # not real numbers: no preset
        values = np.asarray(kernel, dtype=float)
    except (TypeError, ValueError):  # ragged lists
        return None
    for name, preset in KERNEL_PRESETS.items():
        if values.shape == (3, 3) and np.allclose(values, preset):
            return name
    return None


@checked(values=Anything("nine numbers or numeric strings, each checked below"))
def parse_kernel(values) -> np.ndarray:
    """Nine numbers (a flat list or 3x3, numbers or numeric strings) as a 3x3 kernel.

    Raises ValueError naming the first entry that is not a finite number.
    """
    flat = list(np.asarray(values, dtype=object).ravel())
    if len(flat) != 9:
        raise ValueError(f"the kernel needs 9 values (3x3), got {len(flat)}")
    numbers = []
    for index, value in enumerate(flat):
        row, column = divmod(index, 3)
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            raise ValueError(
                f"kernel value at row {row + 1}, column {column + 1} is not a "
                f"finite number: {value!r}"
            )
        numbers.append(number)
    return np.array(numbers).reshape(3, 3)


DIGIT = "MNIST digit"
"""The name of the one non-photo picture of :func:`gray_image`: the first test digit."""


@checked()
def gray_image_names() -> list[str]:
    """The pictures :func:`gray_image` knows: the sample photos and an MNIST digit."""
    from course_lib.data import sample_image_names

    return [*sample_image_names(), DIGIT]


@checked(name=Text(max_length=100), size=Int(8, 4096))
def gray_image(name: str, size: int = 512) -> np.ndarray:
    """A gray uint8 picture: a ``cl.data.sample_image`` photo or ``"MNIST digit"``.

    Photos are resized so that their longer side is ``size`` pixels (8 to
    ``cl.data.MAX_IMAGE_SIDE``); the digit is the first MNIST test digit (28x28,
    whatever ``size``). The array is read-only (cached).
    """
    from course_lib.data import MAX_IMAGE_SIDE

    if size > MAX_IMAGE_SIDE:
        raise ValueError(f"size must be an int from 8 to {MAX_IMAGE_SIDE}, got {size}")
    if name not in gray_image_names():
        raise ValueError(
            f"name must be one of {', '.join(gray_image_names())}; got {show(name)}"
        )
    return _gray_image(name, size)


@functools.lru_cache(maxsize=16)
def _gray_image(name: str, size: int) -> np.ndarray:
    if name == DIGIT:
        from course_lib.data import load_mnist

        _, (x_test, _) = load_mnist()
        image = x_test[0]
    else:
        from course_lib.data import sample_image

        image = sample_image(name, gray=True, size=size)
    image = np.array(image, dtype=np.uint8)
    image.flags.writeable = False
    return image


@checked(array=Array(ndim=2, what="a picture (H, W)"), max_side=SIZE)
def display_gray(array: np.ndarray, max_side: int = 256) -> np.ndarray:
    """A (h, w, 4) RGBA uint8 picture of ``array`` for the screen, at most ``max_side`` wide.

    Large arrays are shrunk by averaging k x k blocks, and values are stretched from their
    minimum (black) to their maximum (white). Drawing ready-made RGB bytes is several
    times faster in matplotlib than colour-mapping and resampling a 512x512 float array.
    """
    height, width = array.shape
    k = -(-max(height, width) // max_side)  # ceil
    values = np.asarray(array, dtype=float)
    if k > 1:
        values = values[: height // k * k, : width // k * k]
        values = values.reshape(height // k, k, width // k, k).mean(axis=(1, 3))
    low, high = values.min(), values.max()
    rgba = np.full((*values.shape, 4), 255, dtype=np.uint8)
    rgba[:, :, :3] = ((values - low) * (255 / max(high - low, 1e-12)))[:, :, None]
    return rgba


@checked(value=Anything("a number, printed as it is (inf and NaN too)"))
def format_number(value: float) -> str:
    """A number as the explorers print it: 4 significant digits, never ``-0``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"value must be a number, got {show(value)}") from None
    text = f"{number:.4g}"
    return "0" if text == "-0" else text


# --------------------------------------------------------------------------------------
# One output pixel, written out
# --------------------------------------------------------------------------------------


@checked(
    image=NUMBERS_2D_OR_3D,
    kernel=Array(
        ndim=(2, 4), dtype="number", what="a kernel (kh, kw) or (kh, kw, C_in, C_out)"
    ),
    stride=SIZE,
    padding=PADDING,
)
def explore_convolution(
    image: np.ndarray, kernel: np.ndarray, stride: int, padding: str | int
) -> np.ndarray:
    """``conv2d`` for the explorer, which also refuses a stride that leaves one pixel row.

    The output must be at least 2x2 to be a picture: a stride larger than the padded
    image minus the kernel is reported as too large.
    """
    # The padding at stride 1 gives the largest stride that still makes two outputs.
    largest = min(
        sum(padding_amounts(length, k, 1, padding)) + length - k
        for length, k in zip(image.shape[:2], kernel.shape[:2], strict=True)
    )
    rows = output_size(image.shape[0], kernel.shape[0], padding, stride)
    columns = output_size(image.shape[1], kernel.shape[1], padding, stride)
    if min(rows, columns) < 2:
        raise ValueError(
            f"stride {stride} is too large for this {image.shape[0]}x{image.shape[1]} "
            f"image: the output would be a single row or column; use a stride from 1 "
            f"to {max(largest, 1)}"
        )
    return conv2d(image, kernel, stride=stride, padding=padding)


@dataclass
class PixelExplanation:
    """How one output pixel is computed: its input window, the products and their sum."""

    row: int
    column: int
    top: int  # input row of the window's first row (negative inside the padding)
    left: int
    window: np.ndarray  # the padded input under the kernel
    products: np.ndarray  # window * kernel
    value: float  # products.sum()

    def formula(self, kernel: np.ndarray) -> str:
        """The multiply-and-sum written out, e.g. ``0·1 + 0·0 + 5·(-1) + ... = 2``."""
        terms = [
            f"{format_number(x)}·"
            + (format_number(k) if k >= 0 else f"({format_number(k)})")
            for x, k in zip(self.window.ravel(), kernel.ravel(), strict=True)
        ]
        return " + ".join(terms) + f" = {format_number(self.value)}"


@checked(
    image=Array(ndim=2, dtype="number", what="a one-channel image (H, W)"),
    kernel=Array(ndim=2, dtype="number", what="a kernel (kh, kw)"),
    stride=SIZE,
    padding=PADDING,
    row=Int(0),
    column=Int(0),
)
def explain_pixel(
    image: np.ndarray,
    kernel: np.ndarray,
    stride: int,
    padding: str | int,
    row: int,
    column: int,
) -> PixelExplanation:
    """The window of the (zero-padded) ``image`` behind output pixel (row, column)."""
    kh, kw = kernel.shape
    height, width = image.shape
    top_pad, _ = padding_amounts(height, kh, stride, padding)
    left_pad, _ = padding_amounts(width, kw, stride, padding)
    rows = output_size(height, kh, padding, stride)
    columns = output_size(width, kw, padding, stride)
    if not (0 <= row < rows and 0 <= column < columns):
        raise ValueError(
            f"pixel ({row}, {column}) is outside the {rows}x{columns} output"
        )
    top, left = row * stride - top_pad, column * stride - left_pad
    # Copy the part of the window that lies on the image; the rest stays 0 (padding).
    # A window wholly inside the padding (padding >= kernel size) copies nothing.
    window = np.zeros((kh, kw))
    r0, c0 = min(max(top, 0), height), min(max(left, 0), width)
    r1, c1 = max(min(top + kh, height), r0), max(min(left + kw, width), c0)
    window[r0 - top : r1 - top, c0 - left : c1 - left] = image[r0:r1, c0:c1]
    products = window * kernel
    return PixelExplanation(
        row=row,
        column=column,
        top=top,
        left=left,
        window=window,
        products=products,
        value=float(products.sum()),
    )


# --------------------------------------------------------------------------------------
# Pooling a feature map (lecture 05)
# --------------------------------------------------------------------------------------

SLIDE_FEATURE_MAP = np.array(
    [[2, 7, 4, -7], [13, 17, -3, -6], [13, 14, -5, -5], [12, 8, -5, -1]]
)
"""The 4x4 map the slides pool (002): the 6x6 example image after a vertical-edge kernel."""


@checked(name=Text(max_length=100), size=Int(8, 4096))
def edge_feature_map(name: str = "camera", size: int = 64) -> np.ndarray:
    """A real feature map: the Sobel response of a gray photo, negatives set to 0 (ReLU).

    ``size`` (8 to ``cl.data.MAX_IMAGE_SIDE``) is the photo's longer side.
    """
    picture = gray_image(name, size).astype(float) / 255
    return np.maximum(conv2d(picture, kernel_preset("sobel"), padding="same"), 0)


@checked(
    feature_map=NUMBERS_2D_OR_3D, size=SIZE, stride=SIZE, mode=Choice("max", "avg")
)
def pool_feature_map(
    feature_map: np.ndarray, size: int, stride: int, mode: str
) -> np.ndarray:
    """``pool2d`` with a message that speaks of the feature map when the window is too big."""
    height, width = feature_map.shape[:2]
    if size > min(height, width):
        raise ValueError(
            f"a {size}x{size} window does not fit in the {height}x{width} feature map; "
            f"use a size from 1 to {min(height, width)}"
        )
    return pool2d(feature_map, size=size, stride=stride, mode=mode)
