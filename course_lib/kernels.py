"""2-D convolution five ways, from Python loops to XLA, and a fair timer to compare them.

Every kernel computes the same thing as ``tf.nn.conv2d(images, kernels, 1, "VALID")``:
a batch of images ``(N, H, W, C)`` and a filter bank ``(KH, KW, C, F)`` (Keras' layout) give
feature maps ``(N, H - KH + 1, W - KW + 1, F)``. Like every deep-learning library, they
compute a cross-correlation (the filter is not flipped).

============== ===========================================================================
``naive``       seven nested Python loops, one multiply-add at a time
``numpy``       im2col with ``sliding_window_view``, then one matrix product
``tf_eager``    ``tf.nn.conv2d``, op by op (eager execution)
``tf_function`` the same inside ``tf.function`` (a traced graph)
``xla``         the same with ``tf.function(jit_compile=True)`` (compiled by XLA)
============== ===========================================================================

The three TensorFlow kernels run on a GPU when TensorFlow sees one (TensorFlow places
``tf.nn.conv2d`` there by itself); the two NumPy kernels always run on the CPU.

Example::

    images = np.random.rand(8, 28, 28, 1).astype("float32")
    kernels = np.random.rand(3, 3, 1, 32).astype("float32")
    maps = cl.kernels.conv2d_numpy(images, kernels)  # (8, 26, 26, 32)
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

KERNEL_NAMES = ("naive", "numpy", "tf_eager", "tf_function", "xla")
"""The five ways, slowest first; keys of ``kernels()`` and of ``benchmark_kernels()``."""


def _check_shapes(images, kernels) -> tuple[np.ndarray, np.ndarray]:
    images = np.asarray(images, dtype=np.float32)
    kernels = np.asarray(kernels, dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(f"images must be (N, H, W, C), got shape {images.shape}")
    if kernels.ndim != 4:
        raise ValueError(f"kernels must be (KH, KW, C, F), got shape {kernels.shape}")
    if images.shape[3] != kernels.shape[2]:
        raise ValueError(
            f"images have {images.shape[3]} channels but kernels expect "
            f"{kernels.shape[2]}"
        )
    if kernels.shape[0] > images.shape[1] or kernels.shape[1] > images.shape[2]:
        raise ValueError(
            f"a {kernels.shape[0]}x{kernels.shape[1]} filter does not fit in "
            f"{images.shape[1]}x{images.shape[2]} images"
        )
    return images, kernels


def conv2d_naive(images, kernels) -> np.ndarray:
    """Convolution with plain Python loops: one multiply-add per innermost iteration.

    Slow on purpose: it shows the arithmetic a convolution layer does.
    """
    images, kernels = _check_shapes(images, kernels)
    n_images, height, width, channels = images.shape
    k_height, k_width, _, n_filters = kernels.shape
    out_h, out_w = height - k_height + 1, width - k_width + 1
    # Python lists of floats: indexing them is cheaper than indexing NumPy scalars.
    image_list = images.tolist()
    kernel_list = kernels.tolist()
    out = np.zeros((n_images, out_h, out_w, n_filters), dtype=np.float32)
    for n in range(n_images):
        image = image_list[n]
        for row in range(out_h):
            for col in range(out_w):
                for f in range(n_filters):
                    total = 0.0
                    for dy in range(k_height):
                        for dx in range(k_width):
                            pixel = image[row + dy][col + dx]
                            weights = kernel_list[dy][dx]
                            for c in range(channels):
                                total += pixel[c] * weights[c][f]
                    out[n, row, col, f] = total
    return out


def im2col(images, k_height: int, k_width: int) -> np.ndarray:
    """Every ``k_height x k_width`` patch of every image as one row: ``(N*H'*W', KH*KW*C)``.

    The patches are views into ``images`` until the final ``reshape`` copies them.
    """
    images = np.asarray(images)
    windows = np.lib.stride_tricks.sliding_window_view(
        images, (k_height, k_width), axis=(1, 2)
    )  # (N, H', W', C, KH, KW): a view, no copy yet
    n_images, out_h, out_w = windows.shape[:3]
    # Order the patch as (KH, KW, C) to match the kernel layout, then flatten.
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(n_images * out_h * out_w, -1)


def conv2d_numpy(images, kernels) -> np.ndarray:
    """Vectorized convolution: im2col, then one matrix product with the filter bank."""
    images, kernels = _check_shapes(images, kernels)
    n_images, height, width, _ = images.shape
    k_height, k_width, _, n_filters = kernels.shape
    out_h, out_w = height - k_height + 1, width - k_width + 1
    patches = im2col(images, k_height, k_width)  # (N*H'*W', KH*KW*C)
    maps = patches @ kernels.reshape(-1, n_filters)  # (N*H'*W', F)
    return maps.reshape(n_images, out_h, out_w, n_filters)


def conv2d_tf_eager(images, kernels):
    """``tf.nn.conv2d`` called eagerly (op by op); returns a ``tf.Tensor``."""
    import tensorflow as tf

    return tf.nn.conv2d(images, kernels, strides=1, padding="VALID")


_compiled: dict[str, Callable] = {}


def _tf_kernel(jit_compile: bool) -> Callable:
    key = "xla" if jit_compile else "tf_function"
    if key not in _compiled:
        import tensorflow as tf

        _compiled[key] = tf.function(conv2d_tf_eager, jit_compile=jit_compile)
    return _compiled[key]


def conv2d_tf_function(images, kernels):
    """``tf.nn.conv2d`` inside ``tf.function``: traced once per input shape, then a graph."""
    return _tf_kernel(jit_compile=False)(images, kernels)


def conv2d_xla(images, kernels):
    """``tf.nn.conv2d`` inside ``tf.function(jit_compile=True)``: compiled by XLA."""
    return _tf_kernel(jit_compile=True)(images, kernels)


def kernels() -> dict[str, Callable]:
    """The five kernels by name, in the order of ``KERNEL_NAMES``."""
    return {
        "naive": conv2d_naive,
        "numpy": conv2d_numpy,
        "tf_eager": conv2d_tf_eager,
        "tf_function": conv2d_tf_function,
        "xla": conv2d_xla,
    }


def time_call(
    function: Callable,
    *args,
    repeat: int = 5,
    min_seconds: float = 0.2,
    warmup: int = 1,
) -> float:
    """Seconds per call of ``function(*args)``: the best of ``repeat`` timed rounds.

    Each round calls the function as many times as fit in about ``min_seconds`` (at
    least once). ``warmup`` untimed calls first pay for tracing and compiling. A result
    that is a ``tf.Tensor`` is copied to host memory (``.numpy()``), so asynchronous GPU
    work is inside the timing. The best round is the least disturbed by other programs.
    """
    if repeat < 1 or warmup < 0:
        raise ValueError("repeat must be >= 1 and warmup >= 0")

    def call():
        result = function(*args)
        if hasattr(result, "numpy"):
            result.numpy()

    for _ in range(warmup):
        call()
    start = time.perf_counter()
    call()
    once = time.perf_counter() - start
    number = max(1, int(min_seconds / max(once, 1e-9)))
    best = once
    for _ in range(repeat - 1):
        start = time.perf_counter()
        for _ in range(number):
            call()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def example_inputs(
    batch: int = 128,
    size: int = 28,
    channels: int = 1,
    filters: int = 32,
    kernel_size: int = 3,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Random float32 images ``(batch, size, size, channels)`` and a filter bank."""
    rng = np.random.default_rng(seed)
    images = rng.random((batch, size, size, channels), dtype=np.float32)
    kernels = rng.standard_normal(
        (kernel_size, kernel_size, channels, filters), dtype=np.float32
    )
    return images, kernels


def benchmark_kernels(
    batch: int = 128,
    filters: int = 32,
    kernel_size: int = 3,
    naive_batch: int = 2,
    repeat: int = 5,
    device: str | None = None,
    names: tuple[str, ...] = KERNEL_NAMES,
) -> dict[str, float]:
    """Seconds per call of each kernel on a ``(batch, 28, 28, 1)`` batch into ``filters``.

    The naive kernel runs on ``naive_batch`` images and its time is scaled up to
    ``batch`` (its cost grows exactly linearly with the number of images). ``device``
    (e.g. ``"/CPU:0"`` or ``"/GPU:0"``) pins the TensorFlow kernels; by default
    TensorFlow chooses (a GPU when there is one).
    """
    import contextlib

    import tensorflow as tf

    images, bank = example_inputs(batch, filters=filters, kernel_size=kernel_size)
    images_tf, bank_tf = tf.constant(images), tf.constant(bank)
    functions = kernels()
    results = {}
    for name in names:
        if name == "naive":
            small = images[:naive_batch]
            seconds = time_call(conv2d_naive, small, bank, repeat=1, warmup=0)
            results[name] = seconds * batch / naive_batch
        elif name == "numpy":
            results[name] = time_call(conv2d_numpy, images, bank, repeat=repeat)
        else:
            place = tf.device(device) if device else contextlib.nullcontext()
            with place:
                results[name] = time_call(
                    functions[name], images_tf, bank_tf, repeat=repeat, warmup=2
                )
    return results
