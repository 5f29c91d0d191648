"""A transposed convolution is the transpose of the convolution matrix (lecture 15):
``convolution_matrix`` writes a Keras/TF convolution as a matrix C, and
``transposed_convolution`` multiplies by C transposed, which is what
``tf.nn.conv2d_transpose`` and ``keras.layers.Conv2DTranspose`` compute."""

from __future__ import annotations

import numpy as np

from course_lib.core import Array, Choice, Int, Items, checked

MAX_VALUES = 4096
"""The most values (H * W * channels) an input may have: the matrix grows with the
square."""


class _Kernel(Array):
    """A kernel (kh, kw) or (kh, kw, in_channels, out_channels), sides 1 to 15; returned
    with four axes."""

    def __init__(self):
        super().__init__(ndim=(2, 4))

    def describe(self):
        return (
            "an array of numbers (kh, kw) or (kh, kw, in_channels, out_channels) "
            "with sides 1 to 15"
        )

    def convert(self, value, name):
        kernel = super().convert(value, name)
        if kernel.ndim == 2:
            kernel = kernel[:, :, None, None]
        if min(kernel.shape) < 1 or max(kernel.shape[:2]) > 15:
            self.fail(name, value, got=f"shape {np.shape(value)}")
        return kernel

    def example(self):
        return np.ones((3, 3))


KERNEL = _Kernel()
SHAPE = Items(Int(1, MAX_VALUES), 2, 3)
PADDING = Choice("valid", "same")


def _padding_and_size(size: int, k: int, stride: int, padding: str) -> tuple[int, int]:
    """(output size, padding before) of one axis, as TensorFlow computes them."""
    if padding == "valid":
        return (size - k) // stride + 1, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return out, total // 2


@checked(kernel=KERNEL, input_shape=SHAPE, stride=Int(1, 4), padding=PADDING)
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
    return _matrix(kernel, input_shape, stride, padding)


def _matrix(kernel, shape, stride, padding) -> np.ndarray:
    """:func:`convolution_matrix` on checked arguments (a kernel with four axes)."""
    height, width, channels = (*shape, 1) if len(shape) == 2 else shape
    kh, kw, cin, cout = kernel.shape
    if cin != channels:
        raise ValueError(
            f"kernel has {cin} input channels but input_shape has {channels}"
        )
    if height * width * channels > MAX_VALUES:
        raise ValueError(
            f"input_shape {tuple(shape)} has {height * width * channels:,} values; at "
            f"most {MAX_VALUES:,} (the matrix grows with the square)"
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


def _output_shape(kernel, height, width, stride, padding) -> tuple[int, int, int]:
    out_h, _ = _padding_and_size(height, kernel.shape[0], stride, padding)
    out_w, _ = _padding_and_size(width, kernel.shape[1], stride, padding)
    return out_h, out_w, kernel.shape[3]


@checked(
    x=Array(
        ndim=(2, 3), max_size=MAX_VALUES, what="an array of numbers (H, W) or (H, W, C)"
    ),
    kernel=KERNEL,
    stride=Int(1, 4),
    padding=PADDING,
)
def convolution(x, kernel, stride: int = 1, padding: str = "valid") -> np.ndarray:
    """The convolution of one array ``x`` (H, W) or (H, W, C) of numbers as C @ x."""
    flat = x.ndim == 2
    if flat:
        x = x[:, :, None]
    matrix = _matrix(kernel, x.shape, stride, padding)
    shape = _output_shape(kernel, x.shape[0], x.shape[1], stride, padding)
    y = (matrix @ x.ravel()).reshape(shape)
    return y[:, :, 0] if flat and shape[2] == 1 else y


@checked(
    y=Array(max_size=1_000_000, what="an array of numbers"),
    kernel=KERNEL,
    output_shape=SHAPE,
    stride=Int(1, 4),
    padding=PADDING,
)
def transposed_convolution(
    y, kernel, output_shape, stride: int = 1, padding: str = "valid"
) -> np.ndarray:
    """The transposed convolution of ``y`` as C.T @ y, C the convolution matrix of
    ``kernel`` on an input of ``output_shape`` (H, W) or (H, W, C).

    It equals ``tf.nn.conv2d_transpose(y, kernel, output_shape, stride, padding)`` and
    ``keras.layers.Conv2DTranspose`` with the same kernel. It is *not* an inverse: in
    general ``transposed_convolution(convolution(x)) != x``.
    """
    flat = len(output_shape) == 2
    shape = (*output_shape, 1) if flat else output_shape
    matrix = _matrix(kernel, shape, stride, padding)
    if y.size != matrix.shape[0]:
        raise ValueError(
            f"y has {y.size} values but the convolution of a {tuple(shape)} input "
            f"gives {matrix.shape[0]}"
        )
    x = (matrix.T @ y.ravel()).reshape(shape)
    return x[:, :, 0] if flat else x
