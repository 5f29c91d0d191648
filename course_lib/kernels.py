"""2-D convolution five ways, from Python loops to XLA, and a fair timer to compare them.

Every kernel computes the same thing as ``tf.nn.conv2d(images, kernels, 1, "VALID")``:
a batch of images ``(N, H, W, C)`` and a filter bank ``(KH, KW, C, F)`` (Keras' layout) give
feature maps ``(N, H - KH + 1, W - KW + 1, F)``. Like every deep-learning library, they
compute a cross-correlation (the filter is not flipped).

=============== ===========================================================================
``naive``       seven nested Python loops, one multiply-add at a time
``numpy``       im2col with ``sliding_window_view``, then one matrix product
``tf_eager``    ``tf.nn.conv2d``, op by op (eager execution)
``tf_function`` the same inside ``tf.function`` (a traced graph)
``xla``         the same with ``tf.function(jit_compile=True)`` (compiled by XLA)
=============== ===========================================================================

The three TensorFlow kernels run on a GPU when TensorFlow sees one (TensorFlow places
``tf.nn.conv2d`` there by itself); the two NumPy kernels always run on the CPU.

Example::

    images = np.random.rand(8, 28, 28, 1).astype("float32")
    kernels = np.random.rand(3, 3, 1, 32).astype("float32")
    maps = cl.kernels.conv2d_numpy(images, kernels)  # (8, 26, 26, 32)
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import numpy as np

from course_lib.core import (
    SEED,
    Anything,
    Array,
    Choice,
    Function,
    Int,
    Items,
    Number,
    Optional,
    Text,
    checked,
    show,
)

KERNEL_NAMES = ("naive", "numpy", "tf_eager", "tf_function", "xla")
"""The five ways, slowest first; keys of ``kernels()`` and of ``benchmark_kernels()``."""

MAX_ELEMENTS = 2**25
"""The most numbers an input, an output or the im2col matrix may hold (33.5 million,
128 MB of float32): a size typed by mistake is an error, not a frozen kernel."""

MAX_MULTIPLY_ADDS = 10**10
"""The most multiply-adds one call of a vectorized kernel may do (seconds on a laptop)."""

MAX_NAIVE_MULTIPLY_ADDS = 2 * 10**7
"""The most multiply-adds the naive kernel may do: Python loops, about 10 s."""

MAX_REPEAT = 100
MAX_MIN_SECONDS = 10.0
MAX_TIMING_SECONDS = 120.0
"""``time_call``: at most 100 rounds of at most 10 s each, and 120 s in all."""


def _check_shape_values(images: tuple, kernels: tuple) -> tuple[int, int]:
    """Check the shapes of a batch and a filter bank; return the multiply-adds."""
    if len(images) != 4:
        raise ValueError(f"images must be (N, H, W, C), got shape {images}")
    if len(kernels) != 4:
        raise ValueError(f"kernels must be (KH, KW, C, F), got shape {kernels}")
    if min(kernels) < 1 or min(images) < 1:
        raise ValueError(
            f"images {images} and kernels {kernels} must not be empty (sizes >= 1)"
        )
    if images[3] != kernels[2]:
        raise ValueError(
            f"images have {images[3]} channels but kernels expect {kernels[2]}"
        )
    if kernels[0] > images[1] or kernels[1] > images[2]:
        raise ValueError(
            f"a {kernels[0]}x{kernels[1]} filter does not fit in "
            f"{images[1]}x{images[2]} images"
        )
    out_h, out_w = images[1] - kernels[0] + 1, images[2] - kernels[1] + 1
    outputs = images[0] * out_h * out_w * kernels[3]
    patches = images[0] * out_h * out_w * kernels[0] * kernels[1] * kernels[2]
    if max(outputs, patches, int(np.prod(images))) > MAX_ELEMENTS:
        raise ValueError(
            f"images {images} with kernels {kernels} would need more than "
            f"{MAX_ELEMENTS:,} numbers: use fewer or smaller images or filters"
        )
    work = outputs * kernels[0] * kernels[1] * kernels[2]
    if work > MAX_MULTIPLY_ADDS:
        raise ValueError(
            f"images {images} with kernels {kernels} need {work:,} multiply-adds, "
            f"more than the {MAX_MULTIPLY_ADDS:,} allowed: use a smaller batch"
        )
    return outputs, work


IMAGES = Array(ndim=4, dtype="float32", what="images (N, H, W, C)")
KERNELS = Array(ndim=4, dtype="float32", what="kernels (KH, KW, C, F)")
TENSORS = Anything("float tensors of one dtype or arrays; checked below")


def _check_shapes(images, kernels) -> tuple[np.ndarray, np.ndarray]:
    images = IMAGES.check(images, "images")
    kernels = KERNELS.check(kernels, "kernels")
    _check_shape_values(images.shape, kernels.shape)
    return images, kernels


def _check_tensors(images, kernels):
    """The TensorFlow kernels' inputs: two float tensors of the same dtype as they are
    (only their shapes are checked, so a timing loop pays next to nothing), anything
    else as float32 arrays through ``_check_shapes``."""
    import tensorflow as tf

    if not (tf.is_tensor(images) and tf.is_tensor(kernels)):
        return _check_shapes(images, kernels)
    if images.dtype != kernels.dtype or not images.dtype.is_floating:
        raise ValueError(
            f"images and kernels must be float tensors of one dtype, got "
            f"{images.dtype.name} and {kernels.dtype.name}"
        )
    _check_shape_values(tuple(images.shape), tuple(kernels.shape))
    return images, kernels


@checked(images=IMAGES, kernels=KERNELS)
def conv2d_naive(images, kernels) -> np.ndarray:
    """Convolution with plain Python loops: one multiply-add per innermost iteration.

    Slow on purpose: it shows the arithmetic a convolution layer does.
    """
    images, kernels = _check_shapes(images, kernels)
    _, work = _check_shape_values(images.shape, kernels.shape)
    if work > MAX_NAIVE_MULTIPLY_ADDS:
        raise ValueError(
            f"the naive kernel would do {work:,} multiply-adds in Python loops, more "
            f"than the {MAX_NAIVE_MULTIPLY_ADDS:,} allowed (about 10 s): use fewer images"
        )
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


@checked(
    images=Array(ndim=4, dtype="number", what="images (N, H, W, C)"),
    k_height=Int(1, 4096),
    k_width=Int(1, 4096),
)
def im2col(images, k_height: int, k_width: int) -> np.ndarray:
    """Every ``k_height x k_width`` patch of every image as one row: ``(N*H'*W', KH*KW*C)``.

    The patches are views into ``images`` until the final ``reshape`` copies them.
    """
    # the images are kept as they are: the patches are views
    for name, value, side in (("k_height", k_height, 1), ("k_width", k_width, 2)):
        if value > images.shape[side]:
            raise ValueError(
                f"{name} must be an int from 1 to {images.shape[side]}, got {value}"
            )
    _check_shape_values(images.shape, (k_height, k_width, images.shape[3], 1))
    windows = np.lib.stride_tricks.sliding_window_view(
        images, (k_height, k_width), axis=(1, 2)
    )  # (N, H', W', C, KH, KW): a view, no copy yet
    n_images, out_h, out_w = windows.shape[:3]
    # Order the patch as (KH, KW, C) to match the kernel layout, then flatten.
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(n_images * out_h * out_w, -1)


@checked(images=IMAGES, kernels=KERNELS)
def conv2d_numpy(images, kernels) -> np.ndarray:
    """Vectorized convolution: im2col, then one matrix product with the filter bank."""
    images, kernels = _check_shapes(images, kernels)
    n_images, height, width, _ = images.shape
    k_height, k_width, _, n_filters = kernels.shape
    out_h, out_w = height - k_height + 1, width - k_width + 1
    patches = im2col(images, k_height, k_width)  # (N*H'*W', KH*KW*C)
    maps = patches @ kernels.reshape(-1, n_filters)  # (N*H'*W', F)
    return maps.reshape(n_images, out_h, out_w, n_filters)


def _conv2d_tf(images, kernels):
    import tensorflow as tf

    return tf.nn.conv2d(images, kernels, strides=1, padding="VALID")


@checked(images=TENSORS, kernels=TENSORS)
def conv2d_tf_eager(images, kernels):
    """``tf.nn.conv2d`` called eagerly (op by op); returns a ``tf.Tensor``."""
    return _conv2d_tf(*_check_tensors(images, kernels))


_compiled: dict[str, Callable] = {}


def _tf_kernel(jit_compile: bool) -> Callable:
    key = "xla" if jit_compile else "tf_function"
    if key not in _compiled:
        import tensorflow as tf

        _compiled[key] = tf.function(_conv2d_tf, jit_compile=jit_compile)
    return _compiled[key]


@checked(images=TENSORS, kernels=TENSORS)
def conv2d_tf_function(images, kernels):
    """``tf.nn.conv2d`` inside ``tf.function``: traced once per input shape, then a graph."""
    return _tf_kernel(jit_compile=False)(*_check_tensors(images, kernels))


@checked(images=TENSORS, kernels=TENSORS)
def conv2d_xla(images, kernels):
    """``tf.nn.conv2d`` inside ``tf.function(jit_compile=True)``: compiled by XLA."""
    return _tf_kernel(jit_compile=True)(*_check_tensors(images, kernels))


@checked()
def kernels() -> dict[str, Callable]:
    """The five kernels by name, in the order of ``KERNEL_NAMES``."""
    return {
        "naive": conv2d_naive,
        "numpy": conv2d_numpy,
        "tf_eager": conv2d_tf_eager,
        "tf_function": conv2d_tf_function,
        "xla": conv2d_xla,
    }


TIMING = dict(
    repeat=Int(1, MAX_REPEAT),
    min_seconds=Number(0, MAX_MIN_SECONDS),
    warmup=Int(0, MAX_REPEAT),
)


@checked(function=Function(), args=Anything("the arguments of function"), **TIMING)
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

    ``repeat`` is at most 100, ``min_seconds`` at most 10 and ``repeat * min_seconds``
    at most 120 (``MAX_TIMING_SECONDS``), so a typo cannot keep the kernel busy for hours.
    """
    repeat, min_seconds, warmup = check_timing(repeat, min_seconds, warmup)

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


@checked(**TIMING)
def check_timing(repeat, min_seconds, warmup=0) -> tuple[int, float, int]:
    """``time_call``'s settings as (int, float, int), checked against the limits."""
    if repeat * min_seconds > MAX_TIMING_SECONDS:
        raise ValueError(
            f"repeat * min_seconds = {repeat * min_seconds:g} s is longer than the "
            f"{MAX_TIMING_SECONDS:g} s allowed: use fewer rounds or shorter ones"
        )
    return repeat, min_seconds, warmup


@checked(
    batch=Int(1, MAX_ELEMENTS),
    size=Int(1, 4096),
    channels=Int(1, 4096),
    filters=Int(1, 4096),
    kernel_size=Int(1, 4096),
    seed=SEED,
)
def example_inputs(
    batch: int = 128,
    size: int = 28,
    channels: int = 1,
    filters: int = 32,
    kernel_size: int = 3,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Random float32 images ``(batch, size, size, channels)`` and a filter bank.

    Each size is at least 1 and ``kernel_size`` at most ``size``; the images and the
    bank may hold at most ``MAX_ELEMENTS`` numbers each.
    """
    if kernel_size > size:
        raise ValueError(
            f"kernel_size must be an int from 1 to {size}, got {kernel_size}"
        )
    for name, count in (
        ("the images", batch * size * size * channels),
        ("the filter bank", kernel_size * kernel_size * channels * filters),
    ):
        if count > MAX_ELEMENTS:
            raise ValueError(
                f"{name} would hold {count:,} numbers, more than the {MAX_ELEMENTS:,} "
                "allowed: use smaller sizes"
            )
    rng = np.random.default_rng(seed)
    images = rng.random((batch, size, size, channels), dtype=np.float32)
    kernels = rng.standard_normal(
        (kernel_size, kernel_size, channels, filters), dtype=np.float32
    )
    return images, kernels


@checked(
    batch=Int(1, 4096),
    filters=Int(1, 1024),
    kernel_size=Int(1, 28),
    naive_batch=Int(1, 4096),
    repeat=Int(1, MAX_REPEAT),
    device=Optional(Text(max_length=100)),
    names=Items(Choice(*KERNEL_NAMES), 1, len(KERNEL_NAMES)),
)
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

    ``names`` is a list of ``KERNEL_NAMES`` (case does not matter). ``batch`` is at
    most 4096, ``filters`` at most 1024, ``naive_batch`` from 1 to ``batch`` and small
    enough for the naive kernel's ``MAX_NAIVE_MULTIPLY_ADDS``; ``repeat`` is at most 100.
    """
    import contextlib

    import tensorflow as tf

    if naive_batch > batch:
        raise ValueError(
            f"naive_batch must be an int from 1 to {batch}, got {naive_batch}"
        )
    if device is not None:
        device = _check_device(device)
    out = 28 - kernel_size + 1
    naive_work = naive_batch * out * out * filters * kernel_size**2
    if "naive" in names and naive_work > MAX_NAIVE_MULTIPLY_ADDS:
        raise ValueError(
            f"the naive kernel would do {naive_work:,} multiply-adds on {naive_batch} "
            f"images, more than the {MAX_NAIVE_MULTIPLY_ADDS:,} allowed (about 10 s): "
            "use a smaller naive_batch or fewer filters"
        )
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


def _check_device(device) -> str:
    """A TensorFlow device this machine has, such as ``"/CPU:0"`` or ``"/GPU:0"``."""
    import tensorflow as tf

    known = [d.name for d in tf.config.list_logical_devices()]
    short = {name.split("device:")[-1].upper(): name for name in known}
    if isinstance(device, str):
        match = re.fullmatch(r"\s*/?(?:device:)?([a-zA-Z]+):(\d+)\s*", device)
        if match and f"{match[1].upper()}:{match[2]}" in short:
            return short[f"{match[1].upper()}:{match[2]}"]
    raise ValueError(
        f"device must be one of this machine's devices, "
        f"{', '.join('/' + name for name in short)}; got {show(device)}"
    )
