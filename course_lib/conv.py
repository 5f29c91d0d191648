"""Convolution and pooling in NumPy, written to be read (lectures 04 and 05).

``conv2d`` computes what deep-learning frameworks call a convolution: a cross-correlation
(the kernel is not flipped), with Keras' memory layout (height, width, channels) and
Keras' kernel layout (kh, kw, C_in, C_out). ``pool2d`` is max or average pooling.
Both slide a window over the image with ``sliding_window_view`` (no copy) and then do one
multiply-and-sum for all windows at once (``np.einsum``), which is fast enough for a 512x512 photo.

Example::

    image = np.array([[0, 0, 5], [3, 4, 1], [6, 7, 1]])
    conv2d(image, [[1, 0, -1]] * 3)  # array([[2]])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "conv2d",
    "pool2d",
    "output_size",
    "conv_params",
    "receptive_field",
    "padding_amounts",
]


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int (1, 2, ...), got {value!r}")
    return int(value)


def _as_number_array(values, name: str) -> np.ndarray:
    array = np.asarray(values)
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
    if padding == "valid":
        return 0, 0
    if padding == "same":
        out = -(-size // stride)  # ceil(size / stride)
        total = max((out - 1) * stride + kernel_size - size, 0)
        return total // 2, total - total // 2
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        if padding < 0:
            raise ValueError(f"padding must be >= 0, got {padding}")
        return int(padding), int(padding)
    raise ValueError(f'padding must be "valid", "same" or an int >= 0, got {padding!r}')


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
    top, bottom = padding_amounts(image.shape[0], kh, stride, padding)
    left, right = padding_amounts(image.shape[1], kw, stride, padding)
    padded = np.pad(image.astype(dtype), ((top, bottom), (left, right), (0, 0)))
    if kh > padded.shape[0] or kw > padded.shape[1]:
        raise ValueError(
            f"kernel {kh}x{kw} is larger than the padded image "
            f"{padded.shape[0]}x{padded.shape[1]}: use a smaller kernel or more padding"
        )
    # windows[i, j, c, a, b] = padded[i + a, j + b, c], for every window position (i, j).
    windows = sliding_window_view(padded, (kh, kw), axis=(0, 1))[::stride, ::stride]
    # Multiply each window by the kernel and sum over a, b and c -> (H_out, W_out, C_out).
    output = np.einsum("ijcab,abcd->ijd", windows, kernel.astype(dtype))
    return output[:, :, 0] if flat_output else output


def pool2d(
    x, size: int = 2, stride: int | None = None, mode: str = "max"
) -> np.ndarray:
    """Max or average pooling over ``size`` x ``size`` windows, channel by channel.

    ``x`` is (H, W) or (H, W, C); ``stride`` defaults to ``size`` (windows that do not
    overlap) and no padding is added (Keras' ``padding="valid"``). ``mode`` is ``"max"``
    or ``"avg"``. Max pooling keeps the dtype; average pooling returns floats.
    """
    x = _as_number_array(x, "x")
    size = _check_positive_int(size, "size")
    stride = size if stride is None else _check_positive_int(stride, "stride")
    if mode not in ("max", "avg"):
        raise ValueError(f'mode must be "max" or "avg", got {mode!r}')
    if x.ndim not in (2, 3):
        raise ValueError(f"x must be (H, W) or (H, W, C), got shape {x.shape}")
    if size > x.shape[0] or size > x.shape[1]:
        raise ValueError(
            f"size {size} is larger than the {x.shape[0]}x{x.shape[1]} input"
        )
    windows = sliding_window_view(x, (size, size), axis=(0, 1))[::stride, ::stride]
    if mode == "max":
        return windows.max(axis=(-2, -1))
    return windows.mean(axis=(-2, -1))


def output_size(w: int, f: int, p: int = 0, s: int = 1) -> int:
    """Output width of a convolution or pooling: ``(w - f + 2p) // s + 1``.

    ``w`` input width, ``f`` filter width, ``p`` zeros on each side, ``s`` stride.
    When ``s`` does not divide ``w - f + 2p``, the last incomplete step is dropped.
    """
    for value, name in ((w, "w"), (f, "f"), (s, "s")):
        _check_positive_int(value, name)
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 0:
        raise ValueError(f"p must be an int >= 0, got {p!r}")
    if f > w + 2 * p:
        raise ValueError(f"f={f} is larger than the padded input w + 2p = {w + 2 * p}")
    return (w - f + 2 * p) // s + 1


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
    return field + (kernel - 1) * jump, jump * stride


def receptive_field(layers: Sequence[tuple[int, int]]) -> int:
    """Width of the input window that one output pixel of a stack of layers sees.

    ``layers`` lists ``(kernel size, stride)`` from the input up; a convolution and a
    pooling layer count the same way. Each layer widens the field by
    ``(kernel size - 1)`` times the product of the strides below it.

    >>> receptive_field([(3, 1), (3, 1), (3, 1)])
    7
    """
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
