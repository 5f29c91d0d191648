"""Lectures 00-01: an image is an array of numbers.

Compute only: ``to_unit_float`` (the course's one pixel convention), ``default_images``,
``digit_examples``, ``channel_of`` (one colour channel of an image) and ``zoom_window``
(the square patch whose numbers ``cl.widgets.ImageInspector`` prints). The widgets live
in ``course_lib/widgets/images.py``.
"""

from __future__ import annotations

import numpy as np

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
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
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
    return np.asarray(images)[np.asarray(labels) == digit]


def channel_names(image: np.ndarray) -> list[str]:
    """The channels ``channel_of`` accepts for this image."""
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
    height, width = image.shape[:2]
    if not isinstance(size, (int, np.integer)) or not 1 <= size <= min(height, width):
        raise ValueError(
            f"the window size must be from 1 to {min(height, width)} pixels, got {size!r}"
        )
    if not 0 <= row <= height - size or not 0 <= col <= width - size:
        raise ValueError(
            f"a {size}x{size} window at row {row}, column {col} does not fit "
            f"in a {height}x{width} image"
        )
    return image[row : row + size, col : col + size]
