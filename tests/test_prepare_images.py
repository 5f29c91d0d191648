"""cl.images.prepare_images (digits for the networks) and the drawn-digit preparation
(preprocess_drawing, shrink_drawing) of lectures 06-07."""

from __future__ import annotations

import numpy as np
import pytest

import course_lib as cl


@pytest.fixture(scope="module")
def held_out():
    """The bundled 1,000 held-out digits."""
    _, (x_test, y_test) = cl.data.load_mnist()
    return x_test[:200], y_test[:200]


def test_prepare_images_scales_and_adds_the_channel_axis():
    digits = np.full((3, 28, 28), 255, dtype=np.uint8)
    x = cl.images.prepare_images(digits)
    assert x.shape == (3, 28, 28, 1) and x.dtype == np.float32 and x.max() == 1.0
    ramp = np.arange(784).reshape(1, 28, 28) % 256
    np.testing.assert_allclose(
        cl.images.prepare_images(ramp.astype(np.uint8))[..., 0], ramp / 255, rtol=1e-6
    )
    assert cl.images.prepare_images(digits[0]).shape == (1, 28, 28, 1)
    assert cl.images.prepare_images(x).shape == (3, 28, 28, 1)  # already prepared
    halves = np.full((2, 28, 28, 1), 0.5)
    np.testing.assert_array_equal(cl.images.prepare_images(halves), halves)
    with pytest.raises(ValueError, match=r"images must be images \(28, 28\) or"):
        cl.images.prepare_images(np.zeros((2, 28, 28, 3)))
    with pytest.raises(ValueError, match=r"got shape \(2, 20, 20\)"):
        cl.images.prepare_images(np.zeros((2, 20, 20), dtype=np.uint8))


def test_prepare_images_refuses_what_it_would_have_to_guess():
    # floats in 0..255 used to be divided by 255 when their max was above 1: a digit
    # with only faint ink (max 0.9 on a 0..255 scale) came out 255 times too bright.
    with pytest.raises(ValueError, match="looks like 0-255 pixels: divide by 255"):
        cl.images.prepare_images(np.full((2, 28, 28), 200.0))
    with pytest.raises(ValueError, match="whole numbers from 300 to 300"):
        cl.images.prepare_images(np.full((2, 28, 28), 300))
    with pytest.raises(ValueError, match="NaN"):
        cl.images.prepare_images(np.full((2, 28, 28), np.nan))
    with pytest.raises(ValueError, match="got an array of <U3"):
        cl.images.prepare_images(np.full((2, 28, 28), "ink"))


def _blob(canvas=280, top=10, left=30, height=120, width=60):
    image = np.zeros((canvas, canvas))
    image[top : top + height, left : left + width] = 1.0
    return image


def test_preprocess_fits_the_ink_in_20x20_and_centres_its_mass():
    out = cl.images.preprocess_drawing(_blob())
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.max() == pytest.approx(1.0) and out.min() >= 0
    rows = np.flatnonzero(out.max(axis=1) > 0.5)
    cols = np.flatnonzero(out.max(axis=0) > 0.5)
    assert rows[-1] - rows[0] + 1 == pytest.approx(20, abs=1)  # the long side
    assert cols[-1] - cols[0] + 1 == pytest.approx(10, abs=1)  # aspect ratio kept
    ys, xs = np.indices(out.shape)
    assert (ys * out).sum() / out.sum() == pytest.approx(14.0, abs=0.3)
    assert (xs * out).sum() / out.sum() == pytest.approx(14.0, abs=0.3)


def test_preprocess_ignores_where_and_how_big_the_digit_was_drawn():
    small = cl.images.preprocess_drawing(_blob(top=150, left=200, height=40, width=20))
    large = cl.images.preprocess_drawing(_blob())
    assert np.abs(small - large).max() < 0.2


def test_preprocess_keeps_mnist_digits_recognisable(held_out):
    x_test, y_test = held_out
    model = cl.data.load_mnist_convnet()
    redone = np.stack([cl.images.preprocess_drawing(x) for x in x_test[:200]])
    accuracy = (
        model.predict(redone[..., None], verbose=0).argmax(1) == y_test[:200]
    ).mean()
    assert accuracy >= 0.95


def test_preprocess_of_an_empty_drawing_is_blank_and_bad_input_fails():
    assert not cl.images.preprocess_drawing(np.zeros((50, 50))).any()
    rgb = np.zeros((50, 50, 3))
    rgb[10:30, 20:25, 1] = 0.8
    assert cl.images.preprocess_drawing(rgb).max() == pytest.approx(1.0)
    assert cl.images.preprocess_drawing((rgb * 255).astype(np.uint8)) == pytest.approx(
        cl.images.preprocess_drawing(rgb), abs=1e-6
    )
    with pytest.raises(ValueError, match="looks like 0-255 pixels"):
        cl.images.preprocess_drawing(rgb * 255)
    with pytest.raises(ValueError, match=r"array must be an image \(H, W\)"):
        cl.images.preprocess_drawing(np.zeros(10))
    with pytest.raises(ValueError, match="NaN"):
        cl.images.preprocess_drawing(np.full((5, 5), np.nan))


def test_shrink_drawing_keeps_place_and_size():
    out = cl.images.shrink_drawing(_blob(top=150, left=200, height=40, width=20))
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.max() == pytest.approx(1.0)
    rows = np.flatnonzero(out.max(axis=1) > 0.5)
    cols = np.flatnonzero(out.max(axis=0) > 0.5)
    assert rows[0] == pytest.approx(15, abs=1) and len(rows) == pytest.approx(4, abs=1)
    assert cols[0] == pytest.approx(20, abs=1) and len(cols) == pytest.approx(2, abs=1)
    assert not cl.images.shrink_drawing(np.zeros((50, 50))).any()
    with pytest.raises(ValueError, match="NaN"):
        cl.images.shrink_drawing(np.full((5, 5), np.nan))


def test_drawings_refuse_what_is_not_an_image():
    for function in (cl.images.preprocess_drawing, cl.images.shrink_drawing):
        with pytest.raises(ValueError, match=r"array must be an image \(H, W\)"):
            function({"not": "a drawing"})


def test_prepare_images_gives_the_same_numbers_for_uint8_and_0_1_floats():
    digits = np.random.default_rng(0).integers(0, 256, (4, 28, 28), dtype=np.uint8)
    np.testing.assert_allclose(
        cl.images.prepare_images(digits), cl.images.prepare_images(digits / 255.0)
    )
