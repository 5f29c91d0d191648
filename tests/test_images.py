"""cl.images: channels, zoom windows and the ImageInspector widget."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import images


@pytest.fixture
def rgb():
    """A 20x30 RGB image whose red value is the row, green the column, blue 7."""
    rows, cols = np.mgrid[0:20, 0:30]
    return np.stack([rows, cols, np.full_like(rows, 7)], axis=-1).astype(np.uint8)


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


def test_inspector_prints_the_numbers_under_the_window(rgb):
    inspector = images.ImageInspector({"test": rgb, "gray": np.eye(10) * 255}, window=4)
    assert inspector.channel.options == ("all", "red", "green", "blue")
    assert inspector.patch.shape == (4, 4)
    inspector.channel.value = "green"
    inspector.col.value = 9
    np.testing.assert_array_equal(inspector.patch[0], [9, 10, 11, 12])
    inspector.channel.value = "red"
    inspector.row.value = 3
    np.testing.assert_array_equal(inspector.patch[:, 0], [3, 4, 5, 6])
    assert "holds 3" in inspector.caption.value
    assert inspector.error.message == ""


def test_inspector_switches_to_a_gray_image_and_limits_the_sliders(rgb):
    inspector = images.ImageInspector({"test": rgb, "gray": np.eye(10) * 255}, window=4)
    inspector.row.value = 15
    before = inspector.image.value
    inspector.source.value = "gray"
    assert inspector.channel.options == ("gray",)
    assert inspector.row.max == 6  # 10 rows, window of 4
    assert inspector.row.value <= 6
    assert inspector.image.value != before
    inspector.row.value, inspector.col.value = 2, 2
    np.testing.assert_array_equal(np.diag(inspector.patch), [255] * 4)
    inspector.size.value = 12  # larger than the 10x10 image
    assert "window size must be from 1 to 10" in inspector.error.message


def test_default_images_are_real_photos_plus_a_digit():
    found = images.default_images(size=32, digit=np.zeros((28, 28)))
    assert found["cat (chelsea)"].shape[2] == 3
    assert found["camera man (gray)"].ndim == 2
    assert found["digit"].shape == (28, 28)
