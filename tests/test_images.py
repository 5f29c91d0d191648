"""cl.images: the pixel convention, default images, channels and zoom windows."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import images


@pytest.fixture
def rgb():
    """A 20x30 RGB image whose red value is the row, green the column, blue 7."""
    rows, cols = np.mgrid[0:20, 0:30]
    return np.stack([rows, cols, np.full_like(rows, 7)], axis=-1).astype(np.uint8)


def test_to_unit_float_divides_uint8_by_255():
    unit = images.to_unit_float(np.array([[0, 51, 255]], dtype=np.uint8))
    assert unit.dtype == np.float32
    np.testing.assert_allclose(unit, [[0.0, 0.2, 1.0]])


def test_to_unit_float_keeps_floats_in_0_to_1():
    pixels = np.array([0.0, 0.25, 1.0])
    np.testing.assert_array_equal(images.to_unit_float(pixels), pixels)
    assert images.to_unit_float(pixels).dtype == np.float32


def test_to_unit_float_refuses_floats_in_0_to_255():
    with pytest.raises(ValueError, match=r"digit: float pixels must lie in 0-1"):
        images.to_unit_float(np.array([0.0, 128.0, 255.0]), "digit")


@pytest.mark.parametrize(
    ("pixels", "message"),
    [
        (np.array([0.5, np.nan]), "images contains NaN"),
        (np.array([0.5, np.inf]), "images contains NaN or infinite"),
        (np.array(["a", "b"]), "images must be numbers"),
        ("a cat", "images must be numbers"),
        (np.array([True, False]), "images must be numbers"),
        (np.array([-1, 3]), "integer pixels must lie in 0-255"),
        (np.array([0, 256]), "integer pixels must lie in 0-255"),
        (np.zeros((0, 3)), "images is empty"),
    ],
)
def test_to_unit_float_refuses_what_is_not_pixels(pixels, message):
    with pytest.raises(ValueError, match=message):
        images.to_unit_float(pixels)


def test_zoom_window_takes_the_patch_at_row_and_column():
    image = np.arange(16).reshape(4, 4)
    np.testing.assert_array_equal(
        images.zoom_window(image, 1, 2, 2), [[6, 7], [10, 11]]
    )


@pytest.mark.parametrize(("row", "col", "size"), [(3, 0, 2), (0, -1, 2), (0, 0, 5)])
def test_zoom_window_refuses_windows_that_do_not_fit(row, col, size):
    with pytest.raises(ValueError, match="window"):
        images.zoom_window(np.zeros((4, 4)), row, col, size)


def test_channel_of_picks_one_colour(rgb):
    np.testing.assert_array_equal(images.channel_of(rgb, "green")[5], np.arange(30))
    assert images.channel_of(rgb, "blue").max() == 7
    assert images.channel_of(rgb, "all").shape == (20, 30, 3)
    with pytest.raises(ValueError, match="gray image has no channel 'red'"):
        images.channel_of(np.zeros((4, 4)), "red")
    assert images.channel_names(rgb) == ["all", "red", "green", "blue"]
    assert images.channel_names(np.zeros((4, 4))) == ["gray"]


def test_default_images_are_real_photos_plus_a_digit():
    found = images.default_images(size=32, digit=np.zeros((28, 28), dtype=np.uint8))
    assert found["cat (chelsea)"].shape[2] == 3
    assert found["camera man (gray)"].ndim == 2
    assert found["digit"].shape == (28, 28)
    assert all(picture.dtype == np.uint8 for picture in found.values())


def test_default_images_take_a_digit_as_uint8_or_as_float_0_to_1():
    digit = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    as_uint8 = images.default_images(size=16, digit=digit)["digit"]
    as_unit = images.default_images(size=16, digit=digit / 255.0)["digit"]
    np.testing.assert_array_equal(as_uint8, digit)
    np.testing.assert_array_equal(as_unit, digit)
    with pytest.raises(ValueError, match="digit: float pixels must lie in 0-1"):
        images.default_images(size=16, digit=digit * 1.0)
    with pytest.raises(ValueError, match="digit must be a 2-D gray image"):
        images.default_images(size=16, digit=np.zeros((2, 28, 28), dtype=np.uint8))


def test_digit_examples_picks_one_digit_and_checks_it():
    pictures = np.arange(6)[:, None, None] * np.ones((6, 2, 2))
    labels = np.array([1, 2, 1, 3, 1, 2])
    np.testing.assert_array_equal(
        images.digit_examples(pictures, labels, 1)[:, 0, 0], [0, 2, 4]
    )
    assert len(images.digit_examples(pictures, labels, 9)) == 0
    for digit in (12, -1, 2.0, True):
        with pytest.raises(ValueError, match="digit must be an int from 0 to 9"):
            images.digit_examples(pictures, labels, digit)
