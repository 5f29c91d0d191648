"""Lectures 00-01: an image is an array of numbers.

Compute only: ``to_unit_float`` (the course's one pixel convention), ``default_images``,
``digit_examples``, ``channel_of`` (one colour channel of an image), ``zoom_window``
(the square patch whose numbers ``cl.widgets.ImageInspector`` prints) and
``hog_features`` (a hand-made feature for lecture 01's baseline). The widgets live
in ``course_lib/widgets/images.py``.
"""

from __future__ import annotations

import numpy as np

from course_lib.core import (
    Anything,
    Choice,
    Images,
    Int,
    Labels,
    Optional,
    Text,
    checked,
)

CHANNELS = ("red", "green", "blue")


@checked(size=Int(8, 2048), digit=Optional(Images("HW")))
def default_images(size: int = 96, digit: np.ndarray | None = None) -> dict:
    """Bundled photos (scikit-image, scikit-learn), resized to ``size`` pixels, by name.

    Pass a gray ``digit`` (e.g. ``x_train[0]`` of ``cl.data.load_mnist()``, uint8 0-255
    or float 0-1) to add it as "digit", stored as uint8 0-255 like the photos.

    Example::

        cl.widgets.ImageInspector(cl.images.default_images(digit=x_train[0]))
    """
    from course_lib.data import sample_image

    images = {
        "cat (chelsea)": sample_image("chelsea", size=size),
        "coffee": sample_image("coffee", size=size),
        "astronaut": sample_image("astronaut", size=size),
        "camera man (gray)": sample_image("camera", size=size),
    }
    if digit is not None:
        images["digit"] = np.round(digit * 255).astype(np.uint8)
    return images


@checked(images=Anything("any shape: checked below"), name=Text(max_length=60))
def to_unit_float(images, name: str = "images") -> np.ndarray:
    """The one pixel convention of the course: float32 values in 0..1.

    Accepts uint8 (or other integer) pixels in 0..255, divided by 255, and float pixels
    already in 0..1, kept. Anything else (floats above 1.5, that is 0-255 floats, NaN,
    text) raises a ValueError naming ``name`` (see ``cl.core.Images``).
    """
    return Images().pixels(images, name)


@checked(images=Images(("NHW", "NHWC"), to=None), labels=Labels(10), digit=Int(0, 9))
def digit_examples(images: np.ndarray, labels: np.ndarray, digit: int) -> np.ndarray:
    """The images whose label is ``digit`` (0-9)."""
    images = np.asarray(images)
    if len(images) != len(labels):
        raise ValueError(
            f"images and labels must have one label per image, got shapes "
            f"{images.shape} and {labels.shape}"
        )
    return images[labels == digit]


GRAY_OR_RGB = Images(("HW", "HWC"), channels=3, to=None)


@checked(image=GRAY_OR_RGB)
def channel_names(image: np.ndarray) -> list[str]:
    """The channels ``channel_of`` accepts for this image."""
    return ["gray"] if image.ndim == 2 else ["all", *CHANNELS]


@checked(image=GRAY_OR_RGB, channel=Choice("gray", "all", *CHANNELS))
def channel_of(image: np.ndarray, channel: str) -> np.ndarray:
    """One channel of an image: "red", "green" or "blue" of an RGB image (2-D result),
    "all" (the RGB image itself), or "gray" for a one-channel image.

    Example: ``channel_of(cat, "green")[100, 200]`` is the green value of one pixel.
    """
    image = np.asarray(image)
    if channel not in channel_names(image):
        kind = "a gray" if image.ndim == 2 else "an RGB"
        raise ValueError(
            f"{kind} image has no channel {channel!r}; "
            f"choose one of {', '.join(channel_names(image))}"
        )
    if channel in ("gray", "all"):
        return image
    return image[..., CHANNELS.index(channel)]


@checked(
    image=Images(("HW", "HWC"), to=None), row=Int(0), col=Int(0), size=Int(1, 4096)
)
def zoom_window(image: np.ndarray, row: int, col: int, size: int) -> np.ndarray:
    """The ``size`` x ``size`` patch whose top-left pixel is (``row``, ``col``).

    Example: ``zoom_window(np.arange(16).reshape(4, 4), 1, 2, 2)`` is ``[[6, 7], [10, 11]]``.
    """
    image = np.asarray(image)
    height, width = image.shape[:2]
    if size > min(height, width):
        raise ValueError(
            f"the window size must be from 1 to {min(height, width)} pixels, got {size!r}"
        )
    if not 0 <= row <= height - size or not 0 <= col <= width - size:
        raise ValueError(
            f"a {size}x{size} window at row {row}, column {col} does not fit "
            f"in a {height}x{width} image"
        )
    return image[row : row + size, col : col + size]


MAX_HOG_PIXELS = 2**22
"""The most pixels (all images together) ``hog_features`` takes: about 3 µs each."""


@checked(
    images=Images("NHW"),
    orientations=Int(1, 180),
    pixels_per_cell=Int(1, 64),
    cells_per_block=Int(1, 64),
)
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

    pictures = images
    if pictures.size > MAX_HOG_PIXELS:
        raise ValueError(
            f"images hold {pictures.size:,} pixels, more than the {MAX_HOG_PIXELS:,} "
            "hog_features takes (about 15 s of work): use fewer or smaller images"
        )
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


# --------------------------------------------------------------------------------------
# Digits for the networks, and a drawn digit made MNIST-like (lectures 06-09)

DIGITS = Images(("HW", "NHW", "NHWC"), channels=1, size=(28, 28))
"""MNIST digits: one (28, 28), a batch (N, 28, 28) or (N, 28, 28, 1), uint8 or 0-1."""

DRAWING = Images(("HW", "HWC"), min_side=2)
"""A drawing: a (H, W) gray image or (H, W, C), uint8 0-255 or float 0-1."""


@checked(images=DIGITS)
def prepare_images(images) -> np.ndarray:
    """MNIST digits -> the network's input: float32 (N, 28, 28, 1) in 0..1.

    Accepts one digit (28, 28) or a batch (N, 28, 28) or (N, 28, 28, 1), as uint8 pixels
    in 0..255 (divided by 255) or float pixels already in 0..1 (kept), the course's one
    pixel convention (``cl.core.Images``). Anything else, e.g. floats in 0..255, raises
    a ValueError that says what is allowed.

    Examples
    --------
    >>> prepare_images(np.full((2, 28, 28), 255, dtype=np.uint8)).max()
    np.float32(1.0)
    """
    if images.ndim == 2:
        images = images[None]
    if images.ndim == 3:
        images = images[..., None]
    return images


def _resize(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    from skimage.transform import resize

    return resize(image, shape, order=1, anti_aliasing=True, mode="constant")


def _ink(drawing: np.ndarray) -> np.ndarray:
    """A drawing as a 2-D float image with its ink stretched to 0..1 (zeros if blank)."""
    image = drawing.max(axis=2) if drawing.ndim == 3 else drawing
    image = image.astype(float) - image.min()
    peak = image.max()
    return image / peak if peak > 0 else image


@checked(array=DRAWING)
def shrink_drawing(array: np.ndarray) -> np.ndarray:
    """A drawn digit scaled down to 28x28 as it is: no cropping, no centring.

    What a network would see without MNIST's recipe (``preprocess_drawing``): a digit
    drawn small or in a corner stays small or in the corner. Same input and output as
    ``preprocess_drawing``.
    """
    small = np.clip(_resize(_ink(array), (28, 28)), 0, 1)
    peak = small.max()
    return (small / peak if peak > 0 else small).astype(np.float32)


@checked(array=DRAWING)
def preprocess_drawing(array: np.ndarray) -> np.ndarray:
    """Centre and scale a drawn digit the way MNIST digits were prepared.

    MNIST's recipe: crop the ink's bounding box, scale it (keeping the aspect ratio) to fit
    a 20x20 box, put it in a 28x28 image so that its centre of mass is at the centre.

    Parameters
    ----------
    array : (H, W) gray image (or (H, W, C), reduced to its brightest channel), ink bright
        on a dark background, uint8 0-255 or float 0-1. The ink is stretched to 0..1.

    Returns
    -------
    (28, 28) float32 in 0..1, ink = 1. An empty drawing gives all zeros.
    """
    image = _ink(array)
    out = np.zeros((28, 28), dtype=np.float32)
    if not image.any():
        return out
    rows = np.flatnonzero(image.max(axis=1) > 0.05)
    cols = np.flatnonzero(image.max(axis=0) > 0.05)
    crop = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = crop.shape
    scale = 20.0 / max(height, width)
    new_h = max(1, round(height * scale))
    new_w = max(1, round(width * scale))
    small = np.clip(_resize(crop, (new_h, new_w)), 0, 1)
    # Place the 20x20-fitted digit, then shift it so that its centre of mass is centred.
    top, left = (28 - new_h) // 2, (28 - new_w) // 2
    out[top : top + new_h, left : left + new_w] = small
    total = out.sum()
    if total > 0:
        ys, xs = np.indices(out.shape)
        cy, cx = (ys * out).sum() / total, (xs * out).sum() / total
        from scipy.ndimage import shift

        # MNIST's digits have their centre of mass at pixel (14, 14) on average (measured
        # on the bundled digits: 13.98, 14.01), so that is where ours goes.
        out = shift(out, (14.0 - cy, 14.0 - cx), order=1, mode="constant")
    peak = out.max()
    if peak > 0:
        out = out / peak
    return np.clip(out, 0, 1).astype(np.float32)
