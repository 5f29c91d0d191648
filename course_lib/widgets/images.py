"""Widgets of lectures 00-01: browse digits, inspect the numbers of an image.

The compute behind them (``digit_examples``, ``channel_of``, ``zoom_window``,
``to_unit_float``) lives in ``course_lib/images.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.patches import Rectangle
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D

from course_lib.core import (
    Images,
    Instance,
    Int,
    Labels,
    OneOf,
    Optional,
    checked,
)
from course_lib.images import (
    channel_names,
    channel_of,
    default_images,
    digit_examples,
    to_unit_float,
    zoom_window,
)
from course_lib.widgets.base import CourseWidget, new_figure, set_in_range

MAX_WINDOW = 12
"""The largest zoom window whose values are still readable when printed."""


class DigitBrowser(CourseWidget):
    """Browse handwritten digits: pick a digit and an example, see the 28x28 image and its values.

    Without arguments it shows the MNIST training digits of ``cl.data.load_mnist()``.
    ``images`` (N, H, W) are uint8 0-255 or float 0-1 (``x_train / 255``), drawn on
    their own scale; ``labels`` are their digits.

    Example::

        (x_train, y_train), _ = cl.data.load_mnist()
        cl.widgets.DigitBrowser(x_train, y_train)
    """

    @checked(
        images=Optional(Images(("NHW", "NHWC"), channels=1, to=None)),
        labels=Optional(Labels(10)),
    )
    def __init__(self, images: np.ndarray | None = None, labels=None):
        super().__init__()
        if images is None:
            from course_lib.data import load_mnist

            (images, labels), _ = load_mnist()
        elif labels is None:
            raise ValueError("give the labels too: DigitBrowser(images, labels)")
        elif len(labels) != len(images):
            raise ValueError(
                f"give one label per image: {len(images)} images, {len(labels)} labels"
            )
        images = np.asarray(images)
        self.images = images[..., 0] if images.ndim == 4 else images
        self.labels = np.asarray(labels).astype(int)
        # uint8 images are drawn 0..255, float images (already 0..1) 0..1
        self.top = 1.0 if np.issubdtype(self.images.dtype, np.floating) else 255
        self.digit = widgets.Dropdown(
            options=list(range(10)), value=0, description="digit"
        )
        self.example = widgets.IntSlider(
            0, 0, 10, description="example", continuous_update=False
        )
        figure = self.use_figure(new_figure(6.4, 3.0))
        figure.set_layout_engine(
            "none"
        )  # fixed: measuring the labels took half a render
        self.axes_image, self.axes_hist = figure.subplots(
            1, 2, gridspec_kw=dict(left=0.02, right=0.98, bottom=0.16, top=0.9)
        )
        first = self.images[0]
        self.artist = self.axes_image.imshow(
            first, cmap="gray_r", vmin=0, vmax=self.top
        )
        self.axes_image.set_xticks([])
        self.axes_image.set_yticks([])
        self.title = self.axes_image.set_title("")
        # 16 bins over 0..256 (uint8) or 0..1 (float)
        self.bins = np.linspace(0, 256 if self.top == 255 else 1.0, 17)
        self.bars = self.axes_hist.bar(
            self.bins[:-1],
            np.ones(16),
            width=self.bins[1],
            align="edge",
            color="tab:blue",
        )
        self.axes_hist.set_yscale("log")
        self.axes_hist.set_ylim(0.8, first.size)
        self.axes_hist.set_xlim(0, self.bins[-1])
        self.axes_hist.set_xlabel(f"pixel value (0 = white, {self.top:g} = black)")
        self.axes_hist.set_ylabel("pixels")
        self.current = first
        self.watch(self._on_digit, digit=self.digit)
        self.watch(example=self.example)
        self.children = [
            widgets.HBox([self.digit, self.example]),
            self.figure_image,
            self.caption,
            self.error,
        ]
        self.update(self._on_digit)

    def _on_digit(self, change=None):
        count = len(digit_examples(self.images, self.labels, self.digit.value))
        self.example.max = max(count - 1, 0)

    def _render(self):
        examples = digit_examples(self.images, self.labels, self.digit.value)
        if len(examples) == 0:
            raise ValueError(f"there is no example of the digit {self.digit.value}")
        picture = examples[min(self.example.value, len(examples) - 1)]
        self.current = picture
        self.artist.set_data(picture)
        self.title.set_text(
            f"a {self.digit.value}: {picture.shape[0]}x{picture.shape[1]}"
        )
        counts, _ = np.histogram(picture.ravel(), bins=self.bins)
        for bar, count in zip(self.bars, counts, strict=True):
            bar.set_height(max(count, 0.8))  # an empty bin stays below the log axis
        half = 127 if self.top == 255 else 0.5
        ink = (picture > half).mean()
        self.caption.value = (
            f"example {self.example.value + 1} of {self.example.max + 1}; "
            f"{ink:.0%} of the pixels are ink (value above {half}); "
            f"brightest value {picture.max():g}"
        )


# Black (0) to full channel colour (255): how much that channel lights the pixel.
CHANNEL_COLOURS = {
    "red": LinearSegmentedColormap.from_list("black_red", ["black", "red"]),
    "green": LinearSegmentedColormap.from_list("black_green", ["black", "lime"]),
    "blue": LinearSegmentedColormap.from_list("black_blue", ["black", "blue"]),
    "gray": "gray",
}


@functools.lru_cache(maxsize=4096)
def _number_outline(label: str, fontsize: float) -> Path:
    """The outline of ``label`` in points, centred on (0, 0) (cached: labels repeat)."""
    path = TextPath((0, 0), label, size=fontsize)
    box = path.get_extents()
    return path.transformed(
        Affine2D().translate(-(box.x0 + box.x1) / 2, -(box.y0 + box.y1) / 2)
    )


class ImageInspector(CourseWidget):
    """Pick an image, move a zoom window over it, read the pixel values under it.

    Left: the whole image with the window drawn on it. Middle: the chosen channel
    ("all" shows the colour image). Right: the window's numbers printed over a heatmap
    (for "all", the red channel's). Images are (H, W) or (H, W, 3), uint8 0-255 or float
    0-1 (see ``cl.images.to_unit_float``); the numbers printed are the image's own.
    Without arguments it shows ``cl.images.default_images()``; one array is shown as
    "image". State for tests:
    ``.picture`` (the current image) and ``.patch`` (the numbers printed).

    Example::

        cl.widgets.ImageInspector(cl.images.default_images(digit=x_train[0]))
    """

    @checked(
        images=Optional(
            OneOf(
                Instance(Mapping, "a dict of name -> image"),
                Images(("HW", "HWC"), channels=3, to=None),
            )
        ),
        window=Int(2, MAX_WINDOW),
    )
    def __init__(self, images: dict | None = None, window: int = 8):
        super().__init__()
        if images is None:
            images = default_images()
        elif isinstance(images, np.ndarray):
            images = {"image": images}  # one image: its name does not matter
        self.images = dict(images)
        if not self.images:
            raise ValueError("give at least one image")
        self.unit_images = {}  # the same images as float 0-1, for drawing
        one_image = Images(("HW", "HWC"), channels=3, min_side=2, to=None)
        for name, picture in self.images.items():
            picture = one_image.check(picture, f"image {name!r}")
            self.images[name] = picture
            self.unit_images[name] = to_unit_float(picture, f"image {name!r}")
        first = next(iter(self.images))
        self.source = widgets.Dropdown(
            options=list(self.images), value=first, description="image"
        )
        self.channel = widgets.Dropdown(
            options=channel_names(self.images[first]), description="channel"
        )
        self.window = widgets.IntSlider(
            2, 2, self._largest_window(), description="window", continuous_update=False
        )
        set_in_range(self.window, window, "window")
        self.row = widgets.IntSlider(
            0, 0, 1, description="row", continuous_update=False
        )
        self.column = widgets.IntSlider(
            0, 0, 1, description="column", continuous_update=False
        )
        self._build_figure()
        self.watch(self._on_source, source=self.source)
        self.watch(self._limit_position, window=self.window)
        self.watch(channel=self.channel, row=self.row, column=self.column)
        self.children = [
            widgets.HBox([self.source, self.channel, self.window]),
            widgets.HBox([self.row, self.column]),
            self.figure_image,
            self.caption,
            self.error,
        ]
        self.update(self._on_source)

    def _build_figure(self) -> None:
        figure = self.use_figure(new_figure(9.0, 3.2))
        figure.set_layout_engine("none")  # fixed: nothing in it changes size
        self.axes_whole, self.axes_channel, self.axes_patch = figure.subplots(
            1, 3, gridspec_kw=dict(left=0.01, right=0.99, bottom=0.02, top=0.9)
        )
        self.whole = self.axes_whole.imshow(np.zeros((2, 2)), cmap="gray")
        self.box = Rectangle((0, 0), 1, 1, fill=False, color="yellow", lw=2)
        self.axes_whole.add_patch(self.box)
        self.channel_image = self.axes_channel.imshow(np.zeros((2, 2)), cmap="gray")
        self.patch_image = self.axes_patch.imshow(np.zeros((2, 2)), vmin=0, vmax=1)
        # The window's numbers are one collection of glyph outlines, centred on the
        # cells: drawn in one go, about 5x faster than up to 144 Text artists.
        self.numbers = PathCollection(
            [],
            offset_transform=self.axes_patch.transData,
            transform=Affine2D().scale(figure.dpi / 72),  # points -> pixels
            edgecolors="none",
        )
        self.axes_patch.add_collection(self.numbers, autolim=False)
        for axes in (self.axes_whole, self.axes_channel, self.axes_patch):
            axes.set_xticks([])
            axes.set_yticks([])
        self.title_whole = self.axes_whole.set_title("")
        self.title_channel = self.axes_channel.set_title("")
        self.title_patch = self.axes_patch.set_title("")

    @property
    def picture(self) -> np.ndarray:
        """The image chosen in ``source``, as it was given."""
        return self.images[self.source.value]

    def _largest_window(self) -> int:
        return min(MAX_WINDOW, *self.images[self.source.value].shape[:2])

    def _on_source(self, change=None) -> None:
        names = channel_names(self.picture)
        kept = self.channel.value if self.channel.value in names else names[0]
        self.channel.options = names
        self.channel.value = kept
        self.window.max = self._largest_window()
        self._limit_position()

    def _limit_position(self, change=None) -> None:
        height, width = self.picture.shape[:2]
        self.row.max = height - self.window.value
        self.column.max = width - self.window.value

    def _render(self) -> None:
        picture, name = self.picture, self.channel.value
        unit = self.unit_images[self.source.value]
        row, column, size = self.row.value, self.column.value, self.window.value
        shown, unit_shown = channel_of(picture, name), channel_of(unit, name)
        printed = "red" if name == "all" else name  # the window prints one channel
        self.patch = zoom_window(channel_of(picture, printed), row, column, size)
        unit_patch = zoom_window(channel_of(unit, printed), row, column, size)
        height, width = picture.shape[:2]
        extent = (-0.5, width - 0.5, height - 0.5, -0.5)
        for artist, data in ((self.whole, unit), (self.channel_image, unit_shown)):
            artist.set_data(data)
            artist.set_extent(extent)
            artist.set_clim(0, 1)
        self.channel_image.set_cmap(CHANNEL_COLOURS.get(name, "gray"))
        self.box.set_xy((column - 0.5, row - 0.5))
        self.box.set_width(size)
        self.box.set_height(size)
        self.title_whole.set_text(
            f"{height}x{width}" + ("x3" if picture.ndim == 3 else "")
        )
        self.title_channel.set_text(name if name != "all" else "all channels")
        self._render_patch(unit_patch, printed)
        values = np.asarray(shown[row, column]).tolist()
        self.caption.value = (
            f"pixel (row {row}, column {column}) holds {values}; the image is an "
            f"array of shape {picture.shape} and type {picture.dtype}"
        )

    def _render_patch(self, unit_patch: np.ndarray, channel: str) -> None:
        size = len(self.patch)
        self.patch_image.set_data(unit_patch)
        self.patch_image.set_cmap(CHANNEL_COLOURS[channel])
        self.patch_image.set_extent((-0.5, size - 0.5, size - 0.5, -0.5))
        self.axes_patch.set_xlim(-0.5, size - 0.5)
        self.axes_patch.set_ylim(size - 0.5, -0.5)
        fontsize = 9 if size <= 8 else 6
        integer = np.issubdtype(self.patch.dtype, np.integer)
        labels = [str(v) if integer else f"{v:.2f}" for v in self.patch.ravel()]
        self.numbers.set_paths([_number_outline(label, fontsize) for label in labels])
        rows, columns = np.indices(self.patch.shape)
        self.numbers.set_offsets(np.c_[columns.ravel(), rows.ravel()])
        colours = self.patch_image.cmap(unit_patch.ravel())[:, :3]
        bright = colours @ [0.299, 0.587, 0.114] > 0.5  # luminance: dark text on it
        self.numbers.set_facecolors(np.where(bright, "black", "white"))
        self.title_patch.set_text(f"{channel} values in the window")
