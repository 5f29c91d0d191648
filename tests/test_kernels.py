"""course_lib.kernels: five convolutions that agree with tf.nn.conv2d, and the timer."""

from __future__ import annotations

import numpy as np
import pytest
from slide_examples import SLIDE_IMAGE, SLIDE_MAP

import course_lib as cl


@pytest.mark.parametrize("name", cl.kernels.KERNEL_NAMES)
def test_every_kernel_reproduces_the_slide_example(name):
    image = np.array(SLIDE_IMAGE, np.float32)[None, :, :, None]
    kernel = np.array([[1, 0, -1]] * 3, np.float32)[:, :, None, None]
    out = np.asarray(cl.kernels.kernels()[name](image, kernel))
    np.testing.assert_allclose(out[0, :, :, 0], SLIDE_MAP, atol=1e-5)


@pytest.mark.parametrize("shape", [(3, 9, 7, 2, 3, 2, 4), (2, 6, 6, 3, 1, 5, 2)])
def test_all_kernels_agree_with_tf_conv2d_on_random_input(shape):
    import tensorflow as tf

    n, h, w, c, kh, kw, f = shape
    rng = np.random.default_rng(1)
    images = rng.standard_normal((n, h, w, c)).astype(np.float32)
    bank = rng.standard_normal((kh, kw, c, f)).astype(np.float32)
    expected = tf.nn.conv2d(images, bank, 1, "VALID").numpy()
    assert expected.shape == (n, h - kh + 1, w - kw + 1, f)
    for name, kernel in cl.kernels.kernels().items():
        out = np.asarray(kernel(images, bank))
        assert out.shape == expected.shape, name
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4, err_msg=name)


def test_kernels_are_cross_correlations_not_flipped_convolutions():
    image = np.zeros((1, 3, 3, 1), np.float32)
    image[0, 0, 0, 0] = 1.0  # a single bright pixel in the top-left corner
    kernel = np.arange(9, dtype=np.float32).reshape(3, 3, 1, 1)
    for name, function in cl.kernels.kernels().items():
        assert float(np.asarray(function(image, kernel)).squeeze()) == 0.0, name


def test_im2col_rows_are_the_patches():
    images = np.arange(2 * 4 * 4 * 1, dtype=np.float32).reshape(2, 4, 4, 1)
    rows = cl.kernels.im2col(images, 2, 2)
    assert rows.shape == (2 * 3 * 3, 4)
    np.testing.assert_array_equal(rows[0], [0, 1, 4, 5])
    np.testing.assert_array_equal(rows[9 + 8], images[1, 2:4, 2:4, 0].ravel())


@pytest.mark.parametrize(
    ("images", "kernel", "message"),
    [
        ((4, 4), (3, 3, 1, 1), "images must be"),
        ((1, 4, 4, 1), (3, 3, 1), "kernels must be"),
        ((1, 4, 4, 2), (3, 3, 1, 1), "2 channels"),
        ((1, 2, 2, 1), (3, 3, 1, 1), "does not fit"),
    ],
)
def test_bad_shapes_give_clear_messages(images, kernel, message):
    for name in ("naive", "numpy"):
        with pytest.raises(ValueError, match=message):
            cl.kernels.kernels()[name](np.zeros(images), np.zeros(kernel))


def test_time_call_measures_seconds_per_call():
    import time

    seconds = cl.kernels.time_call(time.sleep, 0.01, repeat=2, min_seconds=0.02)
    assert 0.009 < seconds < 0.1
    with pytest.raises(ValueError):
        cl.kernels.time_call(time.sleep, 0, repeat=0)


def test_benchmark_reports_every_kernel_and_numpy_beats_loops():
    results = cl.kernels.benchmark_kernels(batch=8, filters=4, naive_batch=1, repeat=2)
    assert list(results) == list(cl.kernels.KERNEL_NAMES)
    assert all(np.isfinite(s) and 0 < s < 60 for s in results.values()), results
    # The vectorized kernel is much faster than loops even on a loaded machine.
    assert results["numpy"] * 10 < results["naive"]


# --- issue 12: limits, TensorFlow's errors, wrong types ------------------------------


def _refused_quickly(call, match, seconds=2.0, **kwargs):
    """``call(**kwargs)`` raises a one-line ValueError matching ``match`` at once."""
    import time

    start = time.perf_counter()
    with pytest.raises(ValueError, match=match) as error:
        call(**kwargs)
    assert time.perf_counter() - start < seconds
    assert "\n" not in str(error.value)
    return str(error.value)


def test_time_call_refuses_durations_above_its_limits():
    def nothing():
        return None

    for kwargs, match in [
        ({"min_seconds": 1e9}, "min_seconds must be a finite number from 0 to 10"),
        ({"repeat": 10**6}, "repeat must be an int from 1 to 100"),
        ({"repeat": 100, "min_seconds": 10}, "longer than the 120 s allowed"),
        ({"warmup": -1}, "warmup must be an int from 0 to 100"),
        ({"min_seconds": "0.2x"}, "min_seconds must be"),
    ]:
        _refused_quickly(cl.kernels.time_call, match, function=nothing, **kwargs)
    with pytest.raises(ValueError, match="function must be a function"):
        cl.kernels.time_call("nothing")
    assert cl.kernels.time_call(nothing, repeat=2, min_seconds="0.001") >= 0


def test_benchmark_kernels_checks_names_sizes_and_devices_first():
    benchmark = cl.kernels.benchmark_kernels
    _refused_quickly(
        benchmark, "naive_batch must be an int from 1 to 2,", naive_batch=3, batch=2
    )
    _refused_quickly(
        benchmark,
        r"names\[0\] must be one of 'naive', 'numpy', .* got 'sobel'",
        names=("sobel",),
    )
    _refused_quickly(
        benchmark, "the naive kernel would do", naive_batch=128, filters=256
    )
    _refused_quickly(benchmark, "batch must be an int from 1 to 4,096", batch=10**6)
    _refused_quickly(
        benchmark, "device must be one of this machine's devices", device="/XPU:7"
    )
    results = benchmark(batch=2, filters=2, naive_batch=1, repeat=1, names=("NumPy",))
    assert list(results) == ["numpy"] and results["numpy"] > 0


@pytest.mark.parametrize("name", cl.kernels.KERNEL_NAMES)
def test_every_kernel_names_a_channel_mismatch_in_one_line(name):
    import tensorflow as tf

    images, bank = (
        np.zeros((1, 6, 6, 3), np.float32),
        np.zeros((3, 3, 1, 2), np.float32),
    )
    for first, second in [(images, bank), (tf.constant(images), tf.constant(bank))]:
        with pytest.raises(
            ValueError, match="images have 3 channels but kernels expect 1"
        ) as error:
            cl.kernels.kernels()[name](first, second)
        assert "\n" not in str(error.value)


def test_kernels_refuse_what_is_not_numbers_or_too_big():
    with pytest.raises(
        ValueError,
        match=r"images must be images \(N, H, W, C\) of finite numbers, got an array of",
    ):
        cl.kernels.conv2d_numpy([["a"]], np.zeros((1, 1, 1, 1)))
    with pytest.raises(ValueError, match="numbers too large for float32"):
        cl.kernels.conv2d_numpy(np.full((1, 3, 3, 1), 1e300), np.ones((1, 1, 1, 1)))
    _refused_quickly(
        cl.kernels.example_inputs, "the images would hold", batch=10**6, size=512
    )
    _refused_quickly(
        cl.kernels.im2col,
        "would need more than",
        images=np.zeros((64, 512, 512, 1)),
        k_height=8,
        k_width=8,
    )
    # A list is converted, as an array would be.
    nested = np.ones((1, 3, 3, 1)).tolist()
    np.testing.assert_array_equal(
        cl.kernels.conv2d_numpy(nested, np.ones((3, 3, 1, 1))), [[[[9.0]]]]
    )
