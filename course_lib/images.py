"""Lecture 01: an image is an array of numbers. ``ImageInspector`` shows them.

Pure helpers: ``channel_of`` (one colour channel of an image) and ``zoom_window`` (the
square patch the inspector prints). The widget only draws what they return.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.patches import Rectangle

from course_lib.viz import ErrorBanner, FigureImage, new_figure, shows_errors

CHANNELS = ("red", "green", "blue")
MAX_WINDOW = 12
"""The largest zoom window whose values are still readable when printed."""


def default_images(size: int = 96, digit: np.ndarray | None = None) -> dict:
    """Bundled photos (scikit-image, scikit-learn), resized to ``size`` pixels, by name.

    Pass a 28x28 ``digit`` (e.g. from ``cl.data.load_mnist()``) to add it as "digit".
    """
    from course_lib.data import sample_image

    images = {
        "cat (chelsea)": sample_image("chelsea", size=size),
        "coffee": sample_image("coffee", size=size),
        "astronaut": sample_image("astronaut", size=size),
        "camera man (gray)": sample_image("camera", size=size),
    }
    if digit is not None:
        images["digit"] = np.asarray(digit, dtype=np.uint8)
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
    "all" (the RGB image itself), or "gray" for a one-channel image."""
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


# Black (0) to full channel colour (255): how much that channel lights the pixel.
_CMAPS = {
    "red": LinearSegmentedColormap.from_list("black_red", ["black", "red"]),
    "green": LinearSegmentedColormap.from_list("black_green", ["black", "lime"]),
    "blue": LinearSegmentedColormap.from_list("black_blue", ["black", "blue"]),
    "gray": "gray",
}


class ImageInspector(widgets.VBox):
    """Pick an image, move a zoom window over it, read the pixel values under it.

    Left: the whole image with the window drawn on it. Middle: the chosen channel
    ("all" shows the colour image). Right: the window's numbers printed over a heatmap
    (for "all", the red channel's). State for tests: ``.picture`` (the current image) and
    ``.patch`` (the numbers printed).

    Example::

        cl.images.ImageInspector(cl.images.default_images(digit=x_train[0]))
    """

    def __init__(self, images: dict | None = None, window: int = 8):
        self.images = default_images() if images is None else dict(images)
        if not self.images:
            raise ValueError("give at least one image")
        first = next(iter(self.images))
        self.source = widgets.Dropdown(
            options=list(self.images), value=first, description="image"
        )
        self.channel = widgets.Dropdown(
            options=channel_names(self.images[first]), description="channel"
        )
        self.size = widgets.IntSlider(
            value=window, min=2, max=MAX_WINDOW, description="window"
        )
        self.row = widgets.IntSlider(0, 0, 1, description="row")
        self.col = widgets.IntSlider(0, 0, 1, description="column")
        self.caption = widgets.HTML()
        self.error = ErrorBanner()
        figure = new_figure(9.0, 3.2)
        self.axes_whole, self.axes_channel, self.axes_patch = figure.subplots(1, 3)
        self.whole = self.axes_whole.imshow(np.zeros((2, 2)), cmap="gray")
        self.box = Rectangle((0, 0), 1, 1, fill=False, color="yellow", lw=2)
        self.axes_whole.add_patch(self.box)
        self.channel_image = self.axes_channel.imshow(np.zeros((2, 2)), cmap="gray")
        for axes in (self.axes_whole, self.axes_channel):
            axes.set_xticks([])
            axes.set_yticks([])
        self.image = FigureImage(figure)
        self._busy = False
        self.source.observe(self._on_source, names="value")
        self.size.observe(self._on_size, names="value")
        for control in (self.channel, self.row, self.col):
            control.observe(self._redraw, names="value")
        super().__init__(
            [
                widgets.HBox([self.source, self.channel, self.size]),
                widgets.HBox([self.row, self.col]),
                self.image,
                self.caption,
                self.error,
            ]
        )
        self._on_source()

    @property
    def picture(self) -> np.ndarray:
        return self.images[self.source.value]

    @shows_errors
    def _on_source(self, change=None):
        names = channel_names(self.picture)
        self._busy = True  # no redraw while the option list and sliders change
        try:
            kept = self.channel.value if self.channel.value in names else names[0]
            self.channel.options = names
            self.channel.value = kept
            self._limit_sliders()
        finally:
            self._busy = False
        self._draw()

    @shows_errors
    def _on_size(self, change=None):
        self._busy = True
        try:
            self._limit_sliders()
        finally:
            self._busy = False
        self._draw()

    def _limit_sliders(self):
        height, width = self.picture.shape[:2]
        size = min(self.size.value, height, width)
        self.row.max = height - size
        self.col.max = width - size

    @shows_errors
    def _redraw(self, change=None):
        self._draw()

    def _draw(self) -> None:
        picture, name = self.picture, self.channel.value
        if self._busy:
            return
        shown = channel_of(picture, name)
        size = self.size.value
        self.patch = zoom_window(
            shown if shown.ndim == 2 else shown[..., 0],
            self.row.value,
            self.col.value,
            size,
        )
        height, width = picture.shape[:2]
        extent = (-0.5, width - 0.5, height - 0.5, -0.5)
        self.whole.set_data(picture)
        self.whole.set_extent(extent)
        self.whole.set_clim(0, 255)
        self.channel_image.set_data(shown)
        self.channel_image.set_extent(extent)
        self.channel_image.set_clim(0, 255)
        self.channel_image.set_cmap(_CMAPS.get(name, "gray"))
        self.box.set_xy((self.col.value - 0.5, self.row.value - 0.5))
        self.box.set_width(size)
        self.box.set_height(size)
        self.axes_whole.set_title(
            f"{height}x{width}" + ("x3" if picture.ndim == 3 else "")
        )
        self.axes_channel.set_title(name if name != "all" else "all channels")
        self._draw_patch(name)
        self.image.refresh()
        values = shown[self.row.value, self.col.value]
        self.caption.value = (
            f"pixel (row {self.row.value}, column {self.col.value}) holds "
            f"{np.asarray(values).tolist()}; the image is an array of shape "
            f"{picture.shape} and type {picture.dtype}"
        )

    def _draw_patch(self, name: str) -> None:
        axes = self.axes_patch
        axes.cla()
        channel = "red" if name == "all" else name
        axes.imshow(self.patch, cmap=_CMAPS[channel], vmin=0, vmax=255)
        fontsize = 9 if len(self.patch) <= 8 else 6
        for (r, c), value in np.ndenumerate(self.patch):
            axes.text(
                c,
                r,
                str(value),
                ha="center",
                va="center",
                fontsize=fontsize,
                color="black" if value > 150 else "white",
            )
        axes.set_xticks([])
        axes.set_yticks([])
        axes.set_title(f"{channel} values in the window")
