"""Lectures 00-01: an image is an array of numbers.

Compute only: ``to_unit_float`` (the course's one pixel convention), ``default_images``,
``digit_examples``, ``channel_of`` (one colour channel of an image), ``zoom_window``
(the square patch whose numbers ``cl.widgets.ImageInspector`` prints) and
``hog_features`` (a hand-made feature for lecture 01's baseline). The widgets live
in ``course_lib/widgets/images.py``.
"""

from __future__ import annotations

import numpy as np

from course_lib.core import check_int

CHANNELS = ("red", "green", "blue")


def default_images(size: int = 96, digit: np.ndarray | None = None) -> dict:
    """Bundled photos (scikit-image, scikit-learn), resized to ``size`` pixels, by name.

    Pass a gray ``digit`` (e.g. ``x_train[0]`` of ``cl.data.load_mnist()``, uint8 0-255
    or float 0-1) to add it as "digit", stored as uint8 0-255 like the photos.

    Example::

        cl.widgets.ImageInspector(cl.images.default_images(digit=x_train[0]))
    """
    from course_lib.data import sample_image

    if digit is not None:
        digit = to_unit_float(digit, "digit")
        if digit.ndim != 2:
            raise ValueError(f"digit must be a 2-D gray image, got shape {digit.shape}")
    images = {
        "cat (chelsea)": sample_image("chelsea", size=size),
        "coffee": sample_image("coffee", size=size),
        "astronaut": sample_image("astronaut", size=size),
        "camera man (gray)": sample_image("camera", size=size),
    }
    if digit is not None:
        images["digit"] = np.round(digit * 255).astype(np.uint8)
    return images


def to_unit_float(images, name: str = "images") -> np.ndarray:
    """The one pixel convention of the course: float32 values in 0..1.

    Accepts uint8 (or other integer) pixels in 0..255, divided by 255, and float pixels
    already in 0..1, kept. Anything else (floats above 1, negative values, NaN, text)
    raises a ValueError naming ``name`` and the two accepted ranges.
    """
    try:
        array = np.asarray(images)
    except Exception:  # noqa: BLE001 - ragged lists and the like
        array = np.asarray(images, dtype=object)
    if array.dtype.kind not in "iuf":  # not bool, complex, text or objects
        raise ValueError(
            f"{name} must be numbers: uint8 0-255 or float 0-1, got {array.dtype}"
        )
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    if np.issubdtype(array.dtype, np.integer):
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 255:
            raise ValueError(
                f"{name}: integer pixels must lie in 0-255, found {low} to {high}"
            )
        return array.astype(np.float32) / 255.0
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    low, high = float(array.min()), float(array.max())
    if low < 0 or high > 1:
        raise ValueError(
            f"{name}: float pixels must lie in 0-1 (found {low:g} to {high:g}); "
            "divide 0-255 images by 255 or pass them as uint8"
        )
    return array.astype(np.float32)


def digit_examples(images: np.ndarray, labels: np.ndarray, digit: int) -> np.ndarray:
    """The images whose label is ``digit`` (0-9)."""
    if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)):
        raise ValueError(f"digit must be an int from 0 to 9, got {digit!r}")
    if not 0 <= digit <= 9:
        raise ValueError(f"digit must be an int from 0 to 9, got {digit!r}")
    images, labels = np.asarray(images), np.asarray(labels)
    if labels.ndim != 1 or images.ndim < 1 or len(images) != len(labels):
        raise ValueError(
            f"images and labels must have one label per image, got shapes "
            f"{images.shape} and {labels.shape}"
        )
    return images[labels == digit]


def channel_names(image: np.ndarray) -> list[str]:
    """The channels ``channel_of`` accepts for this image."""
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"expected an (H, W) or (H, W, 3) image, got {image.shape}")
    return ["gray"] if image.ndim == 2 else ["all", *CHANNELS]


def channel_of(image: np.ndarray, channel: str) -> np.ndarray:
    """One channel of an image: "red", "green" or "blue" of an RGB image (2-D result),
    "all" (the RGB image itself), or "gray" for a one-channel image.

    Example: ``channel_of(cat, "green")[100, 200]`` is the green value of one pixel.
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError(f"expected an (H, W) or (H, W, 3) image, got {image.shape}")
    if channel not in channel_names(image):
        kind = "a gray" if image.ndim == 2 else "an RGB"
        raise ValueError(
            f"{kind} image has no channel {channel!r}; "
            f"choose one of {', '.join(channel_names(image))}"
        )
    if channel in ("gray", "all"):
        return image
    return image[..., CHANNELS.index(channel)]


def zoom_window(image: np.ndarray, row: int, col: int, size: int) -> np.ndarray:
    """The ``size`` x ``size`` patch whose top-left pixel is (``row``, ``col``).

    Example: ``zoom_window(np.arange(16).reshape(4, 4), 1, 2, 2)`` is ``[[6, 7], [10, 11]]``.
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"expected an (H, W) or (H, W, C) image, got {image.shape}")
    height, width = image.shape[:2]
    if not isinstance(size, (int, np.integer)) or not 1 <= size <= min(height, width):
        raise ValueError(
            f"the window size must be from 1 to {min(height, width)} pixels, got {size!r}"
        )
    for name, value in (("row", row), ("col", col)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
    if not 0 <= row <= height - size or not 0 <= col <= width - size:
        raise ValueError(
            f"a {size}x{size} window at row {row}, column {col} does not fit "
            f"in a {height}x{width} image"
        )
    return image[row : row + size, col : col + size]


MAX_HOG_PIXELS = 2**22
"""The most pixels (all images together) ``hog_features`` takes: about 3 µs each."""


def hog_features(
    images, orientations: int = 9, pixels_per_cell: int = 2, cells_per_block: int = 1
) -> np.ndarray:
    """Histogram-of-oriented-gradients features of gray images, one row per image.

    HOG (Dalal and Triggs, 2005) is a classic hand-made feature: split the image into
    cells of ``pixels_per_cell`` x ``pixels_per_cell`` pixels and, in each, count how much
    edge (gradient) there is in each of ``orientations`` directions, normalised over
    blocks of ``cells_per_block`` x ``cells_per_block`` cells. This runs
    ``skimage.feature.hog`` on every image of ``images`` (N, H, W), uint8 0-255 or
    float 0-1 (see ``to_unit_float``).

    Example: ``hog_features(np.zeros((5, 8, 8)))`` has shape (5, 144): 4 x 4 cells of
    9 directions each.
    """
    from skimage.feature import hog

    pictures = to_unit_float(images, "images")
    if pictures.ndim != 3:
        raise ValueError(
            f"images must be a stack of gray images (N, H, W), got shape {pictures.shape}"
        )
    if pictures.size > MAX_HOG_PIXELS:
        raise ValueError(
            f"images hold {pictures.size:,} pixels, more than the {MAX_HOG_PIXELS:,} "
            "hog_features takes (about 15 s of work): use fewer or smaller images"
        )
    orientations = check_int(orientations, "orientations", 1, 180)
    pixels_per_cell = check_int(pixels_per_cell, "pixels_per_cell", 1)
    cells_per_block = check_int(cells_per_block, "cells_per_block", 1)
    cells = min(pictures.shape[1:]) // pixels_per_cell
    if cells < cells_per_block:
        raise ValueError(
            f"{pictures.shape[1]}x{pictures.shape[2]} images hold {cells} cells of "
            f"{pixels_per_cell} pixels per side, fewer than a block of "
            f"{cells_per_block}: use smaller cells or blocks"
        )
    return np.array(
        [
            hog(
                picture,
                orientations=orientations,
                pixels_per_cell=(pixels_per_cell, pixels_per_cell),
                cells_per_block=(cells_per_block, cells_per_block),
            )
            for picture in pictures
        ],
        dtype=np.float32,
    )
