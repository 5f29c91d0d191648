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
    with pytest.raises(
        ValueError,
        match=r"digit must be .* got floats up to 255 \(looks like 0-255 pixels: divide by 255",
    ):
        images.to_unit_float(np.array([0.0, 128.0, 255.0]), "digit")


@pytest.mark.parametrize(
    ("pixels", "message"),
    [
        (np.array([0.5, np.nan]), "images must be .* got NaN or infinite pixels"),
        (np.array([0.5, np.inf]), "got NaN or infinite pixels"),
        (np.array(["a", "b"]), "got an array of <U1"),
        ("a cat", "images must be .* got 'a cat'"),
        (np.array([True, False]), "got an array of bools"),
        (np.array([-1, 3]), "got whole numbers from -1 to 3"),
        (np.array([0, 256]), "got whole numbers from 0 to 256"),
        (np.zeros((0, 3)), "got no pixels"),
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
    with pytest.raises(ValueError, match="window|col must be an int >= 0"):
        images.zoom_window(np.zeros((4, 4)), row, col, size)


def test_channel_of_picks_one_colour(rgb):
    np.testing.assert_array_equal(images.channel_of(rgb, "green")[5], np.arange(30))
    np.testing.assert_array_equal(images.channel_of(rgb, "red")[:, 4], np.arange(20))
    np.testing.assert_array_equal(images.channel_of(rgb, "blue"), np.full((20, 30), 7))
    np.testing.assert_array_equal(images.channel_of(rgb, "all"), rgb)
    with pytest.raises(ValueError, match="gray image has no channel 'red'"):
        images.channel_of(np.zeros((4, 4)), "red")
    assert images.channel_names(rgb) == ["all", "red", "green", "blue"]
    assert images.channel_names(np.zeros((4, 4))) == ["gray"]


@pytest.fixture(scope="module")
def real_digit():
    """The first digit of the bundled real MNIST subset (read without the network)."""
    from course_lib import data

    with np.load(data.bundle_path("mnist")) as bundle:
        return bundle["x"][0]


def check_is_a_digit(picture, original):
    """The digit's content: the same pixels, ink like handwriting, centred like MNIST."""
    assert picture.shape == (28, 28) and picture.dtype == np.uint8
    np.testing.assert_array_equal(picture, original)
    assert 0.05 < (picture > 127).mean() < 0.35  # ink on about a fifth of the pixels
    assert picture[0].max() == 0 and picture[:, 0].max() == 0  # an empty border
    assert picture.max() >= 250  # the pen's stroke is (nearly) white
    rows, cols = np.indices(picture.shape)
    ink = picture.astype(float) / picture.sum()
    # MNIST centres each digit's mass in the 28x28 field (to the nearest pixel).
    assert abs((rows * ink).sum() - 14) <= 0.51 and abs((cols * ink).sum() - 14) <= 0.51


def check_is_the_photo(picture, name, size):
    """The photo's content: close to the original shrunk by an independent box filter."""
    import skimage.data
    from PIL import Image

    original = getattr(skimage.data, name)()
    height, width = picture.shape[:2]
    assert max(height, width) == size
    assert height / width == pytest.approx(original.shape[0] / original.shape[1], 0.05)
    reference = np.asarray(
        Image.fromarray(original).resize((width, height), Image.BOX), dtype=float
    )
    assert picture.shape == reference.shape and picture.dtype == np.uint8
    assert np.abs(picture - reference).mean() < 10
    assert np.corrcoef(picture.ravel(), reference.ravel())[0, 1] > 0.98


def test_default_images_are_real_photos_plus_a_digit(real_digit):
    found = images.default_images(size=32, digit=real_digit)
    assert list(found) == [
        "cat (chelsea)",
        "coffee",
        "astronaut",
        "camera man (gray)",
        "digit",
    ]
    check_is_the_photo(found["cat (chelsea)"], "chelsea", 32)
    check_is_the_photo(found["coffee"], "coffee", 32)
    check_is_the_photo(found["astronaut"], "astronaut", 32)
    check_is_the_photo(found["camera man (gray)"], "camera", 32)
    assert found["camera man (gray)"].ndim == 2
    check_is_a_digit(found["digit"], real_digit)
    assert "digit" not in images.default_images(size=32)


def test_the_content_checks_catch_a_wrong_picture(real_digit):
    """The checks above bite: a shifted, inverted or blank digit and a wrong photo fail."""
    found = images.default_images(size=32, digit=real_digit)
    for wrong in (
        np.roll(real_digit, 3, axis=1),  # moved off centre
        255 - real_digit,  # white background
        np.zeros_like(real_digit),  # no ink
    ):
        with pytest.raises(AssertionError):
            check_is_a_digit(wrong, wrong)
    with pytest.raises(AssertionError):
        check_is_a_digit(found["digit"][::-1], real_digit)  # upside down
    with pytest.raises(AssertionError):
        check_is_the_photo(found["coffee"], "chelsea", 32)
    with pytest.raises(AssertionError):
        check_is_the_photo(found["astronaut"][::-1], "astronaut", 32)


def test_default_images_take_a_digit_as_uint8_or_as_float_0_to_1():
    digit = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    as_uint8 = images.default_images(size=16, digit=digit)["digit"]
    as_unit = images.default_images(size=16, digit=digit / 255.0)["digit"]
    np.testing.assert_array_equal(as_uint8, digit)
    np.testing.assert_array_equal(as_unit, digit)
    with pytest.raises(ValueError, match="looks like 0-255 pixels: divide by 255"):
        images.default_images(size=16, digit=digit * 1.0)
    with pytest.raises(ValueError, match=r"digit must be .*\(H, W\).* got shape"):
        images.default_images(size=16, digit=np.zeros((2, 28, 28), dtype=np.uint8))


def test_digit_examples_picks_one_digit_and_checks_it():
    pictures = (np.arange(6)[:, None, None] * np.ones((6, 2, 2))).astype(np.uint8)
    labels = np.array([1, 2, 1, 3, 1, 2])
    np.testing.assert_array_equal(
        images.digit_examples(pictures, labels, 1)[:, 0, 0], [0, 2, 4]
    )
    assert len(images.digit_examples(pictures, labels, 9)) == 0
    for digit in (12, -1, 2.5, True):
        with pytest.raises(ValueError, match="digit must be an int from 0 to 9"):
            images.digit_examples(pictures, labels, digit)


def test_hog_features_count_edges_by_direction():
    vertical = np.zeros((1, 8, 8))
    vertical[:, :, 4:] = 1.0  # dark left half, bright right half: a vertical edge
    horizontal = vertical.transpose(0, 2, 1)
    by_cell_v = images.hog_features(vertical).reshape(4, 4, 9)  # 4x4 cells, 9 bins
    by_cell_h = images.hog_features(horizontal).reshape(4, 4, 9)
    # the cells on the edge put all their weight in one direction: 0 deg (a gradient
    # across a vertical edge) and 90 deg (bin 4 of 20-degree bins) for a horizontal one
    assert by_cell_v[:, 1:3].sum(axis=(0, 1)).argmax() == 0
    assert by_cell_h[1:3, :].sum(axis=(0, 1)).argmax() == 4
    np.testing.assert_allclose(by_cell_v[:, 1:3, 1:].sum(), 0, atol=1e-6)
    np.testing.assert_allclose(by_cell_v[:, 0].sum(), 0)  # flat cells: no edge
    # uint8 0-255 and float 0-1 give the same features; it is skimage's hog per image
    from skimage.feature import hog

    rng = np.random.default_rng(0)
    pictures = rng.integers(0, 256, (3, 8, 8), dtype=np.uint8)
    features = images.hog_features(pictures)
    np.testing.assert_allclose(features, images.hog_features(pictures / 255.0))
    reference = hog(pictures[1] / 255.0, 9, (2, 2), (1, 1))
    np.testing.assert_allclose(features[1], reference, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"images": np.zeros((8, 8))}, r"add a batch axis, e\.g\. x\[None\]"),
        ({"images": np.zeros((2, 8, 8)), "pixels_per_cell": 0}, "pixels_per_cell must"),
        ({"images": np.zeros((2, 8, 8)), "orientations": 2.5}, "orientations must be"),
        (
            {"images": np.zeros((2, 4, 4)), "pixels_per_cell": 4, "cells_per_block": 2},
            "fewer than a block",
        ),
        ({"images": np.full((2, 8, 8), 300)}, "got whole numbers from 300 to 300"),
    ],
)
def test_hog_features_refuse_what_they_cannot_use(arguments, message):
    with pytest.raises(ValueError, match=message):
        images.hog_features(**arguments)


# --- issue 12: lists where arrays are expected, clear errors, a limit on HOG -------------


def test_lists_work_where_arrays_do():
    picture = np.arange(16).reshape(4, 4)
    np.testing.assert_array_equal(
        images.zoom_window(picture.tolist(), 1, 2, 2), [[6, 7], [10, 11]]
    )
    assert images.channel_names(picture.tolist()) == ["gray"]
    assert (
        len(images.digit_examples(np.zeros((5, 2, 2)).tolist(), [1, 3, 3, 0, 3], 3))
        == 3
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: images.channel_names([]),
            r"image must be an image \(H, W\) or \(H, W, 3\)",
        ),
        (
            lambda: images.zoom_window([], 0, 0, 1),
            r"image must be an image \(H, W\) or",
        ),
        (
            lambda: images.zoom_window(np.zeros((4, 4)), "1", 0, 2),
            "row must be an int >= 0",
        ),
        (
            lambda: images.digit_examples(np.zeros((2, 4, 4)), np.arange(5), 3),
            "one label per image",
        ),
        (lambda: images.to_unit_float(np.ones(3) * 0.5j), "got an array of complex"),
        (
            lambda: images.hog_features(np.zeros((2, 4000, 4000), np.uint8)),
            "more than the 4,194,304 hog_features takes",
        ),
    ],
)
def test_wrong_input_gives_a_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_default_images_refuse_a_huge_size_at_once():
    import time

    start = time.perf_counter()
    with pytest.raises(ValueError, match="size must be an int from 8 to 2,048"):
        images.default_images(size=20_000)
    assert time.perf_counter() - start < 1
