"""Convolution and pooling in NumPy, written to be read (lectures 04 and 05).

``conv2d`` computes what deep-learning frameworks call a convolution: a cross-correlation
(the kernel is not flipped), with Keras' memory layout (height, width, channels) and
Keras' kernel layout (kh, kw, C_in, C_out). ``pool2d`` is max or average pooling.
Both slide a window over the image with ``sliding_window_view`` (no copy) and then do one
multiply-and-sum for all windows at once (``np.einsum``), which is fast enough for a 512x512 photo.

The rest is the arithmetic behind the lectures' explorers (``cl.widgets.ConvolutionExplorer``,
``PoolingExplorer``, ``ReceptiveFieldExplorer``): output sizes, parameter counts,
receptive fields (``grow_receptive_field`` is the one copy of that step), kernel presets
and the multiply-and-sum behind one output pixel. ``cl.stacks.trace_stack`` follows a
whole stack of conv/pool layers with these functions.

Example::

    image = np.array([[0, 0, 5], [3, 4, 1], [6, 7, 1]])
    conv2d(image, [[1, 0, -1]] * 3)  # array([[2]])
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from course_lib.core import choose, lookup, show

__all__ = [
    "conv2d",
    "pool2d",
    "output_size",
    "conv_params",
    "grow_receptive_field",
    "receptive_field",
    "padding_amounts",
    "KERNEL_PRESETS",
    "kernel_preset",
    "preset_name",
    "parse_kernel",
    "DIGIT",
    "gray_image",
    "gray_image_names",
    "display_gray",
    "format_number",
    "explore_convolution",
    "PixelExplanation",
    "explain_pixel",
    "SLIDE_FEATURE_MAP",
    "edge_feature_map",
    "pool_feature_map",
]


MAX_ELEMENTS = 2**24
"""The most numbers a padded image or an output of ``conv2d`` may hold (16.8 million,
134 MB as float64: a 4096x4096 picture): a padding or size typed by mistake is an
error, not a frozen kernel."""

MAX_MULTIPLY_ADDS = 2 * 10**9
"""The most multiply-adds one ``conv2d`` may do (a few seconds on a laptop)."""


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int (1, 2, ...), got {value!r}")
    return int(value)


def _as_number_array(values, name: str) -> np.ndarray:
    try:
        array = np.asarray(values)
    except ValueError:  # ragged nested lists
        array = np.asarray(values, dtype=object)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == bool
    ):
        raise ValueError(f"{name} must hold numbers, got an array of {array.dtype}")
    return array


def padding_amounts(
    size: int, kernel_size: int, stride: int, padding: str | int
) -> tuple[int, int]:
    """Zeros added before and after one axis of length ``size``, as (before, after).

    ``"valid"`` adds none; an int ``p`` adds ``p`` on both sides; ``"same"`` adds just
    enough for ``ceil(size / stride)`` outputs, the extra zero (if the total is odd) going
    after, exactly as TensorFlow and Keras do.
    """
    size = _check_positive_int(size, "size")
    kernel_size = _check_positive_int(kernel_size, "kernel_size")
    stride = _check_positive_int(stride, "stride")
    padding = _padding(padding)
    if padding == "valid":
        return 0, 0
    if padding == "same":
        out = -(-size // stride)  # ceil(size / stride)
        total = max((out - 1) * stride + kernel_size - size, 0)
        return total // 2, total - total // 2
    return padding, padding


def _padding(padding) -> str | int:
    """``"valid"``, ``"same"`` (any case) or an int >= 0, else a ValueError."""
    if isinstance(padding, str):
        for name in ("valid", "same"):
            if padding.strip().casefold() == name:
                return name
    elif isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        if padding < 0:
            raise ValueError(f"padding must be >= 0, got {padding}")
        return int(padding)
    raise ValueError(
        f'padding must be "valid", "same" or an int >= 0, got {show(padding)}'
    )


def conv2d(image, kernel, stride: int = 1, padding: str | int = "valid") -> np.ndarray:
    """Slide ``kernel`` over ``image`` and multiply-and-sum at every position.

    Parameters
    ----------
    image : array, (H, W) or (H, W, C_in)
    kernel : array, (kh, kw) or (kh, kw, C_in, C_out) as Keras stores it.
        A 2-D kernel works on one channel: a 2-D image or an (H, W, 1) one.
    stride : int
        Steps the window moves, the same along rows and columns.
    padding : ``"valid"`` (no zeros), ``"same"`` (as many outputs as ``H / stride``)
        or an int (that many rows/columns of zeros on every side).

    Returns
    -------
    array, (H_out, W_out) for a 2-D image with a 2-D kernel, else (H_out, W_out, C_out).
    Integer inputs give integers; anything else gives floats.
    """
    image = _as_number_array(image, "image")
    kernel = _as_number_array(kernel, "kernel")
    stride = _check_positive_int(stride, "stride")
    if image.ndim not in (2, 3):
        raise ValueError(
            f"image must be (H, W) or (H, W, C_in), got shape {image.shape}"
        )
    if kernel.ndim not in (2, 4):
        raise ValueError(
            f"kernel must be (kh, kw) or (kh, kw, C_in, C_out), got shape {kernel.shape}"
        )
    flat_output = image.ndim == 2 and kernel.ndim == 2
    if image.ndim == 2:
        image = image[:, :, np.newaxis]
    if kernel.ndim == 2:
        kernel = kernel[:, :, np.newaxis, np.newaxis]
    kh, kw, c_in, c_out = kernel.shape
    if kh < 1 or kw < 1 or c_out < 1:
        raise ValueError(f"kernel must not be empty, got shape {kernel.shape}")
    if image.shape[2] != c_in:
        raise ValueError(
            f"channel mismatch: the image has {image.shape[2]} channels but the kernel "
            f"expects C_in={c_in}; give a (kh, kw, {image.shape[2]}, C_out) kernel"
        )
    integers = np.issubdtype(image.dtype, np.integer) and np.issubdtype(
        kernel.dtype, np.integer
    )
    dtype = np.int64 if integers else np.result_type(image, kernel, np.float32)
    if min(image.shape) < 1:
        raise ValueError(f"image must not be empty, got shape {image.shape}")
    top, bottom = padding_amounts(image.shape[0], kh, stride, padding)
    left, right = padding_amounts(image.shape[1], kw, stride, padding)
    height, width = image.shape[0] + top + bottom, image.shape[1] + left + right
    if kh > height or kw > width:
        raise ValueError(
            f"kernel {kh}x{kw} is larger than the padded image "
            f"{height}x{width}: use a smaller kernel or more padding"
        )
    rows, columns = (height - kh) // stride + 1, (width - kw) // stride + 1
    _check_work(
        height * width * c_in,
        rows * columns * c_out,
        rows * columns * c_out * kh * kw * c_in,
    )
    padded = np.pad(image.astype(dtype), ((top, bottom), (left, right), (0, 0)))
    # windows[i, j, c, a, b] = padded[i + a, j + b, c], for every window position (i, j).
    windows = sliding_window_view(padded, (kh, kw), axis=(0, 1))[::stride, ::stride]
    # Multiply each window by the kernel and sum over a, b and c -> (H_out, W_out, C_out).
    output = np.einsum("ijcab,abcd->ijd", windows, kernel.astype(dtype))
    return output[:, :, 0] if flat_output else output


def pool2d(
    x, size: int = 2, stride: int | None = None, mode: str = "max", padding="valid"
) -> np.ndarray:
    """Max or average pooling over ``size`` x ``size`` windows, channel by channel.

    ``x`` is (H, W) or (H, W, C); ``stride`` defaults to ``size`` (windows that do not
    overlap). ``mode`` is ``"max"`` or ``"avg"``. Max pooling keeps the dtype; average
    pooling returns floats. ``padding="valid"`` (the default) uses only windows inside
    ``x``; ``"same"`` gives ``ceil(H / stride)`` rows as Keras does: windows may reach
    past the edges, where nothing counts (the maximum and the mean are taken over the
    part of the window inside ``x``).
    """
    x = _as_number_array(x, "x")
    size = _check_positive_int(size, "size")
    stride = size if stride is None else _check_positive_int(stride, "stride")
    if isinstance(mode, str) and mode.strip().casefold() in ("max", "avg"):
        mode = mode.strip().casefold()
    else:
        raise ValueError(f'mode must be "max" or "avg", got {show(mode)}')
    padding = choose(padding, ("valid", "same"), "padding")
    if x.ndim not in (2, 3):
        raise ValueError(f"x must be (H, W) or (H, W, C), got shape {x.shape}")
    if min(x.shape) < 1:
        raise ValueError(f"x must not be empty, got shape {x.shape}")
    if padding == "valid" and (size > x.shape[0] or size > x.shape[1]):
        raise ValueError(
            f"size {size} is larger than the {x.shape[0]}x{x.shape[1]} input"
        )
    if padding == "same":
        return _pool_same(x, size, stride, mode)
    windows = sliding_window_view(x, (size, size), axis=(0, 1))[::stride, ::stride]
    if mode == "max":
        return windows.max(axis=(-2, -1))
    return windows.mean(axis=(-2, -1))


def _pool_same(x: np.ndarray, size: int, stride: int, mode: str) -> np.ndarray:
    """Pooling with "same" padding: the padding never wins a maximum (it is the lowest
    value of the dtype) and never counts in a mean (divided by the pixels inside)."""
    top, bottom = padding_amounts(x.shape[0], size, stride, "same")
    left, right = padding_amounts(x.shape[1], size, stride, "same")
    widths = ((top, bottom), (left, right)) + ((0, 0),) * (x.ndim - 2)
    _check_work((x.shape[0] + top + bottom) * (x.shape[1] + left + right), 0, 0)

    def windows(array):
        view = sliding_window_view(array, (size, size), axis=(0, 1))
        return view[::stride, ::stride]

    if mode == "max":
        if x.dtype == bool:
            lowest = False
        elif np.issubdtype(x.dtype, np.integer):
            lowest = np.iinfo(x.dtype).min
        else:
            lowest = -np.inf
        return windows(np.pad(x, widths, constant_values=lowest)).max(axis=(-2, -1))
    total = windows(np.pad(x.astype(float), widths)).sum(axis=(-2, -1))
    inside = windows(np.pad(np.ones(x.shape[:2]), widths[:2])).sum(axis=(-2, -1))
    return total / (inside[..., np.newaxis] if x.ndim == 3 else inside)


def _check_work(padded: int, outputs: int, multiply_adds: int) -> None:
    """Refuse a convolution or pooling whose arrays or work pass the module's caps."""
    if max(padded, outputs) > MAX_ELEMENTS:
        raise ValueError(
            f"this would make an array of {max(padded, outputs):,} numbers, more than "
            f"the {MAX_ELEMENTS:,} allowed: use less padding, a larger stride or a "
            "smaller image"
        )
    if multiply_adds > MAX_MULTIPLY_ADDS:
        raise ValueError(
            f"this needs {multiply_adds:,} multiply-adds, more than the "
            f"{MAX_MULTIPLY_ADDS:,} allowed: use a smaller image, kernel or fewer filters"
        )


def output_size(w: int, f: int, p: int | str = 0, s: int = 1) -> int:
    """Output width of a convolution or pooling: ``(w - f + 2p) // s + 1``.

    ``w`` input width, ``f`` filter width, ``p`` zeros on each side (an int, or
    ``"valid"`` / ``"same"`` as in :func:`padding_amounts`), ``s`` stride. When ``s``
    does not divide ``w - f + 2p``, the last incomplete step is dropped.

    >>> output_size(7, 3, 0, 2), output_size(7, 3, "same", 2)
    (3, 4)
    """
    for value, name in ((w, "w"), (f, "f"), (s, "s")):
        _check_positive_int(value, name)
    if isinstance(p, str):
        if p.strip().casefold() not in ("valid", "same"):
            raise ValueError(f'p must be an int >= 0, "valid" or "same", got {p!r}')
        before, after = padding_amounts(w, f, s, p)
    elif isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 0:
        raise ValueError(f"p must be an int >= 0, got {p!r}")
    else:
        before = after = int(p)
    padded = w + before + after
    if f > padded:
        raise ValueError(f"f={f} is larger than the padded input w + 2p = {padded}")
    return (padded - f) // s + 1


def conv_params(kh: int, kw: int, c_in: int, c_out: int, bias: bool = True) -> int:
    """Learnable numbers in a Conv2D layer: ``(kh * kw * c_in + bias) * c_out``."""
    for value, name in ((kh, "kh"), (kw, "kw"), (c_in, "c_in"), (c_out, "c_out")):
        _check_positive_int(value, name)
    return (kh * kw * c_in + int(bool(bias))) * c_out


def grow_receptive_field(field, jump, kernel, stride):
    """One layer's step of the receptive-field arithmetic, the only copy in the course.

    A window of ``kernel`` inputs moved by ``stride`` turns the receptive field ``field``
    and the jump ``jump`` (input pixels between neighbouring outputs) of the layer below
    into ``(field + (kernel - 1) * jump, jump * stride)``.

    >>> grow_receptive_field(3, 1, 2, 2)
    (4, 2)
    """
    for value, name in (
        (field, "field"),
        (jump, "jump"),
        (kernel, "kernel"),
        (stride, "stride"),
    ):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float, np.integer, np.floating))
            or not math.isfinite(value)
            or value <= 0
        ):
            raise ValueError(f"{name} must be a positive number, got {show(value)}")
    return field + (kernel - 1) * jump, jump * stride


def receptive_field(layers: Sequence[tuple[int, int]]) -> int:
    """Width of the input window that one output pixel of a stack of layers sees.

    ``layers`` lists ``(kernel size, stride)`` from the input up; a convolution and a
    pooling layer count the same way. Each layer widens the field by
    ``(kernel size - 1)`` times the product of the strides below it.

    >>> receptive_field([(3, 1), (3, 1), (3, 1)])
    7
    """
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Iterable):
        raise ValueError(
            f"layers must be a list of (kernel size, stride) pairs, got {show(layers)}"
        )
    try:
        layers = list(layers)
    except TypeError:  # a 0-d array
        raise ValueError(
            f"layers must be a list of (kernel size, stride) pairs, got {show(layers)}"
        ) from None
    field, jump = 1, 1
    for index, layer in enumerate(layers):
        try:
            size, stride = layer
        except (TypeError, ValueError):
            raise ValueError(
                f"layer {index} must be a (kernel size, stride) pair, got {layer!r}"
            ) from None
        size = _check_positive_int(size, f"kernel size of layer {index}")
        stride = _check_positive_int(stride, f"stride of layer {index}")
        field, jump = grow_receptive_field(field, jump, size, stride)
    return field


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


def kernel_preset(name: str) -> np.ndarray:
    """The 3x3 kernel called ``name`` (a key of ``KERNEL_PRESETS``) as floats.

    >>> kernel_preset("Sobel")[1]
    array([ 2.,  0., -2.])
    """
    return np.array(lookup(KERNEL_PRESETS, name, "kernel"), dtype=float)


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


def gray_image_names() -> list[str]:
    """The pictures :func:`gray_image` knows: the sample photos and an MNIST digit."""
    from course_lib.data import sample_image_names

    return [*sample_image_names(), DIGIT]


def gray_image(name: str, size: int = 512) -> np.ndarray:
    """A gray uint8 picture: a ``cl.data.sample_image`` photo or ``"MNIST digit"``.

    Photos are resized so that their longer side is ``size`` pixels (8 to
    ``cl.data.MAX_IMAGE_SIDE``); the digit is the first MNIST test digit (28x28,
    whatever ``size``). The array is read-only (cached).
    """
    from course_lib.data import MAX_IMAGE_SIDE

    size = _check_positive_int(size, "size")
    if not 8 <= size <= MAX_IMAGE_SIDE:
        raise ValueError(f"size must be an int from 8 to {MAX_IMAGE_SIDE}, got {size}")
    if not isinstance(name, str):
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


def display_gray(array: np.ndarray, max_side: int = 256) -> np.ndarray:
    """A (h, w, 4) RGBA uint8 picture of ``array`` for the screen, at most ``max_side`` wide.

    Large arrays are shrunk by averaging k x k blocks, and values are stretched from their
    minimum (black) to their maximum (white). Drawing ready-made RGB bytes is several
    times faster in matplotlib than colour-mapping and resampling a 512x512 float array.
    """
    array = _as_number_array(array, "array")
    if array.ndim != 2 or min(array.shape) < 1:
        raise ValueError(f"array must be a 2-D picture (H, W), got shape {array.shape}")
    if array.dtype.kind == "c":
        raise ValueError("array must hold real numbers, not complex ones")
    max_side = _check_positive_int(max_side, "max_side")
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


def explore_convolution(
    image: np.ndarray, kernel: np.ndarray, stride: int, padding: str | int
) -> np.ndarray:
    """``conv2d`` for the explorer, which also refuses a stride that leaves one pixel row.

    The output must be at least 2x2 to be a picture: a stride larger than the padded
    image minus the kernel is reported as too large.
    """
    image, kernel = _as_number_array(image, "image"), _as_number_array(kernel, "kernel")
    if image.ndim not in (2, 3) or kernel.ndim not in (2, 4) or not image.size:
        raise ValueError(
            f"image must be (H, W) or (H, W, C) and kernel (kh, kw) or "
            f"(kh, kw, C_in, C_out); got shapes {image.shape} and {kernel.shape}"
        )
    if min(kernel.shape) < 1:
        raise ValueError(f"kernel must not be empty, got shape {kernel.shape}")
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)):
        raise ValueError(f"stride must be a whole number, got {stride!r}")
    if stride < 1:
        raise ValueError(f"stride must be 1 or more, got {stride}")
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


def explain_pixel(
    image: np.ndarray,
    kernel: np.ndarray,
    stride: int,
    padding: str | int,
    row: int,
    column: int,
) -> PixelExplanation:
    """The window of the (zero-padded) ``image`` behind output pixel (row, column)."""
    image, kernel = _as_number_array(image, "image"), _as_number_array(kernel, "kernel")
    if image.ndim != 2 or kernel.ndim != 2 or not image.size or not kernel.size:
        raise ValueError(
            f"image and kernel must be 2-D (one channel), got shapes {image.shape} "
            f"and {kernel.shape}"
        )
    stride = _check_positive_int(stride, "stride")
    for value, name in ((row, "row"), (column, "column")):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be a whole number, got {show(value)}")
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


def edge_feature_map(name: str = "camera", size: int = 64) -> np.ndarray:
    """A real feature map: the Sobel response of a gray photo, negatives set to 0 (ReLU).

    ``size`` (8 to ``cl.data.MAX_IMAGE_SIDE``) is the photo's longer side.
    """
    picture = gray_image(name, size).astype(float) / 255
    return np.maximum(conv2d(picture, kernel_preset("sobel"), padding="same"), 0)


def pool_feature_map(
    feature_map: np.ndarray, size: int, stride: int, mode: str
) -> np.ndarray:
    """``pool2d`` with a message that speaks of the feature map when the window is too big."""
    feature_map = _as_number_array(feature_map, "feature_map")
    if feature_map.ndim not in (2, 3):
        raise ValueError(
            f"feature_map must be (H, W) or (H, W, C), got shape {feature_map.shape}"
        )
    height, width = feature_map.shape[:2]
    if isinstance(size, (int, np.integer)) and size > min(height, width):
        raise ValueError(
            f"a {size}x{size} window does not fit in the {height}x{width} feature map; "
            f"use a size from 1 to {min(height, width)}"
        )
    return pool2d(feature_map, size=size, stride=stride, mode=mode)
