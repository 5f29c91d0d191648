"""cl.widgets DigitBrowser and ImageInspector (course_lib/widgets/images.py).

The last two tests check shared parts (the dashboard helper's page, the exercise
self-check) until they move to tests/widgets/test_dashboard.py and tests/test_exercises.py.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import pytest

import course_lib as cl
from course_lib.widgets.base import STALE_OPACITY
from course_lib.widgets.images import set_in_range


@pytest.fixture(scope="module")
def digits():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (50, 28, 28), dtype=np.uint8)
    return images, np.arange(50) % 10


@pytest.fixture
def rgb():
    """A 20x30 RGB image whose red value is the row, green the column, blue 7."""
    rows, cols = np.mgrid[0:20, 0:30]
    return np.stack([rows, cols, np.full_like(rows, 7)], axis=-1).astype(np.uint8)


@pytest.fixture
def two_images(rgb):
    return {"test": rgb, "gray": (np.eye(10) * 255).astype(np.uint8)}


# -- DigitBrowser ----------------------------------------------------------------------


def test_digit_browser_follows_its_controls(digits):
    images, labels = digits
    browser = cl.widgets.DigitBrowser(images, labels)
    first_png = browser.figure_image.value
    assert browser.example.max == 4  # five examples of each digit
    browser.digit.value = 7
    np.testing.assert_array_equal(browser.current, images[labels == 7][0])
    browser.example.value = 3
    np.testing.assert_array_equal(browser.current, images[labels == 7][3])
    assert browser.figure_image.value != first_png
    assert "example 4 of 5" in browser.caption.value
    assert browser.error.message == ""
    assert set(browser.controls) == {"digit", "example"}


def test_digit_browser_shows_a_missing_digit_in_the_banner_until_a_valid_one(digits):
    images, labels = digits
    browser = cl.widgets.DigitBrowser(images[labels != 3], labels[labels != 3])
    shown = browser.figure_image.value
    browser.digit.value = 3
    assert browser.error.message.startswith("there is no example of the digit 3")
    assert browser.stale
    assert browser.figure_image.layout.opacity == STALE_OPACITY
    assert browser.figure_image.value == shown  # the last valid picture stays
    browser.digit.value = 4
    assert browser.error.message == ""
    assert not browser.stale
    assert browser.figure_image.layout.opacity is None
    np.testing.assert_array_equal(browser.current, images[labels == 4][0])


def test_digit_browser_rejects_bad_arrays():
    with pytest.raises(ValueError, match="images must be"):
        cl.widgets.DigitBrowser(np.zeros((3, 28)), np.zeros(3))


# -- ImageInspector --------------------------------------------------------------------


def test_inspector_prints_the_numbers_under_the_window(two_images):
    inspector = cl.widgets.ImageInspector(two_images, window=4)
    assert inspector.channel.options == ("all", "red", "green", "blue")
    assert inspector.patch.shape == (4, 4)
    inspector.channel.value = "green"
    inspector.column.value = 9
    np.testing.assert_array_equal(inspector.patch[0], [9, 10, 11, 12])
    inspector.channel.value = "red"
    inspector.row.value = 3
    np.testing.assert_array_equal(inspector.patch[:, 0], [3, 4, 5, 6])
    assert "holds 3" in inspector.caption.value
    assert inspector.error.message == ""
    # one outline per number, centred on its cell
    assert len(inspector.numbers.get_paths()) == 16
    np.testing.assert_array_equal(inspector.numbers.get_offsets()[5], [1, 1])


def test_inspector_switches_to_a_gray_image_and_limits_the_sliders(two_images):
    inspector = cl.widgets.ImageInspector(two_images, window=4)
    inspector.row.value = 15
    before = inspector.figure_image.value
    inspector.source.value = "gray"
    assert inspector.channel.options == ("gray",)
    assert inspector.row.max == 6  # 10 rows, window of 4
    assert inspector.row.value <= 6
    assert inspector.figure_image.value != before
    inspector.row.value, inspector.column.value = 2, 2
    np.testing.assert_array_equal(np.diag(inspector.patch), [255] * 4)
    assert inspector.window.max == 10  # the window never outgrows the 10x10 image
    inspector.window.value = 10
    assert inspector.row.max == inspector.column.max == 0
    assert inspector.patch.shape == (10, 10)
    inspector.source.value = "test"
    assert inspector.window.max == 12
    assert inspector.error.message == ""


def test_inspector_shows_float_images_with_their_own_numbers(rgb):
    inspector = cl.widgets.ImageInspector({"unit": rgb / 255.0}, window=2)
    assert inspector.patch.dtype == np.float64
    assert "float64" in inspector.caption.value
    assert inspector.error.message == ""


@pytest.mark.parametrize(
    ("images", "window", "message"),
    [
        (None, 50, "window must be an int from 2 to 12, got 50"),
        (None, 1, "window must be an int from 2 to 12, got 1"),
        (None, 4.5, "window must be an int from 2 to 12, got 4.5"),
        ({"small": np.zeros((6, 6), np.uint8)}, 8, "window must be an int from 2 to 6"),
        ({}, 8, "give at least one image"),
        (
            {"x": np.zeros((4, 4, 4), np.uint8)},
            2,
            r"image 'x' must be an image \(H, W\)",
        ),
        (
            {"x": np.zeros((1, 4), np.uint8)},
            2,
            r"image 'x' must be .* got shape \(1, 4\) \(sides 2 to",
        ),
        (
            {"x": np.full((4, 4), 200.0)},
            2,
            "image 'x' must be .*looks like 0-255 pixels",
        ),
    ],
)
def test_inspector_refuses_bad_arguments_instead_of_clamping(images, window, message):
    with pytest.raises(ValueError, match=message):
        cl.widgets.ImageInspector(images, window=window)


def test_inspector_without_arguments_shows_the_default_photos():
    inspector = cl.widgets.ImageInspector()
    assert list(inspector.source.options) == list(cl.images.default_images())
    assert inspector.window.value == 8
    assert inspector.error.message == ""


def test_set_in_range_refuses_values_a_slider_would_clamp():
    slider = widgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0.5)
    set_in_range(slider, 0.5, "lr")
    assert slider.value == 0.5
    with pytest.raises(ValueError, match=r"lr must be a number from 0.001 to 3.16228"):
        set_in_range(slider, 0.0, "lr")
    with pytest.raises(ValueError, match="got nan"):
        set_in_range(slider, float("nan"), "lr")
    steps = widgets.IntSlider(0, 0, 200)
    with pytest.raises(ValueError, match="steps must be an int from 0 to 200"):
        set_in_range(steps, 10**6, "steps")
    with pytest.raises(ValueError, match="steps must be an int"):
        set_in_range(steps, True, "steps")
    assert steps.value == 0


# -- shared parts (to move to their own test files) ------------------------------------


# -- issue 12: one pixel convention, clear errors --------------------------------------


def test_digit_browser_draws_digits_scaled_to_0_1_like_the_uint8_ones(digits):
    images, labels = digits
    as_bytes = cl.widgets.DigitBrowser(images, labels)
    as_unit = cl.widgets.DigitBrowser(images / 255.0, labels)
    for browser in (as_bytes, as_unit):
        browser.digit.value, browser.example.value = 7, 2
    assert as_unit.error.message == ""
    assert as_unit.artist.get_clim() == (0, 1)  # not 0..255: the picture is not blank
    assert as_bytes.artist.get_clim() == (0, 255)
    ink = as_bytes.caption.value.split(";")[1]
    assert ink.split("%")[0] == as_unit.caption.value.split(";")[1].split("%")[0]
    assert 0 < int(ink.split("%")[0]) < 100
    heights = [[bar.get_height() for bar in b.bars] for b in (as_bytes, as_unit)]
    assert heights[0] == heights[1]
    assert as_unit.axes_hist.get_xlim() == (0, 1)
    # the drawn pixels are the same; only the axis under the histogram differs
    drawn = [b.artist.to_rgba(b.artist.get_array()) for b in (as_bytes, as_unit)]
    np.testing.assert_allclose(drawn[0], drawn[1], atol=1 / 255)


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (np.full((3, 28, 28), 200.0), [0, 1, 2], "looks like 0-255 pixels"),
        (np.full((3, 28, 28), 300, np.int16), [0, 1, 2], "got whole numbers from 300"),
        (np.full((3, 28, 28), np.nan), [0, 1, 2], "got NaN or infinite pixels"),
        (
            np.full((3, 28, 28), "a"),
            [0, 1, 2],
            "images must be images .* got an array of <U1",
        ),
        (np.zeros((0, 28, 28)), [], r"got 0 images \(1 to"),
        (
            np.zeros((3, 28, 28)),
            ["a", "b", "c"],
            "labels must be labels .* got an array of <U1",
        ),
        (
            np.zeros((3, 28, 28)),
            [0.5, 1, 2],
            "labels must be labels .* got fractions",
        ),
        (
            np.zeros((3, 28, 28)),
            [[0], [1], [2]],
            r"labels must be .* got shape \(3, 1\)",
        ),
        (np.zeros((3, 28, 28)), None, "give the labels too"),
        (
            [np.zeros((2, 2)), np.zeros((3, 3))],
            [0, 1],
            r"images must be images \(N, H, W\)",
        ),
    ],
)
def test_digit_browser_refuses_what_it_cannot_draw(images, labels, message):
    with pytest.raises(ValueError, match=message):
        cl.widgets.DigitBrowser(images, labels)


def test_digit_browser_takes_lists_and_a_channel_axis(digits):
    images, labels = digits
    browser = cl.widgets.DigitBrowser(images[..., None].tolist(), labels.tolist())
    assert browser.images.shape == (50, 28, 28) and browser.error.message == ""
    assert browser.labels.dtype.kind == "i"


@pytest.mark.parametrize(
    ("images", "message"),
    [
        ([np.zeros((4, 4))], "images must be a dict of name -> image"),
        ("cat", "images must be a dict of name -> image"),
        ({"x": np.full((4, 4), -1.0)}, "got floats down to -1"),
        ({"x": np.zeros((4, 4), bool)}, "got an array of bools"),
    ],
)
def test_inspector_refuses_what_is_not_a_dict_of_images(images, message):
    with pytest.raises(ValueError, match=message):
        cl.widgets.ImageInspector(images, window=2)


def test_inspector_takes_one_image_array(rgb):
    inspector = cl.widgets.ImageInspector(rgb, window=4)
    assert list(inspector.source.options) == ["image"]
    assert inspector.channel.options == ("all", "red", "green", "blue")
