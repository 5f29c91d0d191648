"""Convolution and pooling in NumPy, and their arithmetic (lectures 04 and 05): output
sizes, parameter counts, receptive fields (see ``course_lib.conv``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from course_lib.core import (
    Array,
    Bool,
    Choice,
    Int,
    Items,
    Number,
    OneOf,
    Optional,
    checked,
)

MAX_ELEMENTS = 2**24
"""The most numbers a padded image or an output of ``conv2d`` may hold (16.8 million,
134 MB as float64: a 4096x4096 picture): a padding or size typed by mistake is an
error, not a frozen kernel."""

MAX_MULTIPLY_ADDS = 2 * 10**9
"""The most multiply-adds one ``conv2d`` may do (a few seconds on a laptop)."""


SIZE = Int(1, 10**6)
"""A kernel size, stride or window: a positive int."""

PADDING = OneOf(Choice("valid", "same"), Int(0, 10**6))
"""``"valid"``, ``"same"`` or that many zeros on every side."""

NUMBERS_2D_OR_3D = Array(
    ndim=(2, 3), dtype="number", what="an array (H, W) or (H, W, C)"
)


@checked(size=Int(1, 10**7), kernel_size=SIZE, stride=SIZE, padding=PADDING)
def padding_amounts(
    size: int, kernel_size: int, stride: int, padding: str | int
) -> tuple[int, int]:
    """Zeros added before and after one axis of length ``size``, as (before, after).

    ``"valid"`` adds none; an int ``p`` adds ``p`` on both sides; ``"same"`` adds just
    enough for ``ceil(size / stride)`` outputs, the extra zero (if the total is odd) going
    after, exactly as TensorFlow and Keras do.
    """
    if padding == "valid":
        return 0, 0
    if padding == "same":
        out = -(-size // stride)  # ceil(size / stride)
        total = max((out - 1) * stride + kernel_size - size, 0)
        return total // 2, total - total // 2
    return padding, padding


@checked(
    image=NUMBERS_2D_OR_3D,
    kernel=Array(
        ndim=(2, 4), dtype="number", what="a kernel (kh, kw) or (kh, kw, C_in, C_out)"
    ),
    stride=SIZE,
    padding=PADDING,
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


@checked(
    x=NUMBERS_2D_OR_3D,
    size=SIZE,
    stride=Optional(SIZE),
    mode=Choice("max", "avg"),
    padding=Choice("valid", "same"),
)
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
    stride = size if stride is None else stride
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


@checked(w=SIZE, f=SIZE, p=PADDING, s=SIZE)
def output_size(w: int, f: int, p: int | str = 0, s: int = 1) -> int:
    """Output width of a convolution or pooling: ``(w - f + 2p) // s + 1``.

    ``w`` input width, ``f`` filter width, ``p`` zeros on each side (an int, or
    ``"valid"`` / ``"same"`` as in :func:`padding_amounts`), ``s`` stride. When ``s``
    does not divide ``w - f + 2p``, the last incomplete step is dropped.

    >>> output_size(7, 3, 0, 2), output_size(7, 3, "same", 2)
    (3, 4)
    """
    before, after = padding_amounts(w, f, s, p)
    padded = w + before + after
    if f > padded:
        raise ValueError(f"f={f} is larger than the padded input w + 2p = {padded}")
    return (padded - f) // s + 1


@checked(kh=SIZE, kw=SIZE, c_in=SIZE, c_out=SIZE, bias=Bool())
def conv_params(kh: int, kw: int, c_in: int, c_out: int, bias: bool = True) -> int:
    """Learnable numbers in a Conv2D layer: ``(kh * kw * c_in + bias) * c_out``."""
    return (kh * kw * c_in + int(bool(bias))) * c_out


POSITIVE = OneOf(Int(1), Number(positive=True))
"""A positive number; an int stays an int."""


@checked(field=POSITIVE, jump=POSITIVE, kernel=POSITIVE, stride=POSITIVE)
def grow_receptive_field(field, jump, kernel, stride):
    """One layer's step of the receptive-field arithmetic, the only copy in the course.

    A window of ``kernel`` inputs moved by ``stride`` turns the receptive field ``field``
    and the jump ``jump`` (input pixels between neighbouring outputs) of the layer below
    into ``(field + (kernel - 1) * jump, jump * stride)``.

    >>> grow_receptive_field(3, 1, 2, 2)
    (4, 2)
    """
    return field + (kernel - 1) * jump, jump * stride


@checked(layers=Items(Items(SIZE, 2, 2), 0, 10_000))
def receptive_field(layers: Sequence[tuple[int, int]]) -> int:
    """Width of the input window that one output pixel of a stack of layers sees.

    ``layers`` lists ``(kernel size, stride)`` from the input up; a convolution and a
    pooling layer count the same way. Each layer widens the field by
    ``(kernel size - 1)`` times the product of the strides below it.

    >>> receptive_field([(3, 1), (3, 1), (3, 1)])
    7
    """
    field, jump = 1, 1
    for size, stride in layers:
        field, jump = grow_receptive_field(field, jump, size, stride)
    return field
