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
    assert all(seconds > 0 for seconds in results.values())
    # The vectorized kernel is much faster than loops even on a loaded machine.
    assert results["numpy"] * 10 < results["naive"]
