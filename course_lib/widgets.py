"""Small general widgets. Topic widgets live in their lecture's module (conv, zoo, ...)."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course_lib.viz import ErrorBanner, FigureImage, new_figure, shows_errors


def digit_examples(images: np.ndarray, labels: np.ndarray, digit: int) -> np.ndarray:
    """The images whose label is ``digit`` (0-9)."""
    if not isinstance(digit, (int, np.integer)) or not 0 <= digit <= 9:
        raise ValueError(f"digit must be an int from 0 to 9, got {digit!r}")
    return images[labels == digit]


class DigitBrowser(widgets.VBox):
    """Browse handwritten digits: pick a digit and an example, see the 28x28 image and its values.

    Example::

        (x_train, y_train), _ = cl.data.load_mnist()
        cl.widgets.DigitBrowser(x_train, y_train)
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        if images.ndim != 3 or len(images) != len(labels):
            raise ValueError("images must be (N, H, W) with one label per image")
        self.images, self.labels = images, labels
        self.digit = widgets.Dropdown(
            options=list(range(10)), value=0, description="digit"
        )
        self.example = widgets.IntSlider(
            0, 0, 10, description="example", continuous_update=False
        )
        self.error = ErrorBanner()
        figure = new_figure(6.4, 3.0)
        self.axes_image, self.axes_hist = figure.subplots(1, 2)
        self.artist = self.axes_image.imshow(images[0], cmap="gray_r", vmin=0, vmax=255)
        self.axes_image.set_xticks([])
        self.axes_image.set_yticks([])
        self.axes_hist.set_xlabel("pixel value (0 = white, 255 = black)")
        self.axes_hist.set_ylabel("pixels")
        self.caption = widgets.HTML()
        self.image = FigureImage(figure)
        self.digit.observe(self._on_digit, names="value")
        self.example.observe(self._redraw, names="value")
        super().__init__(
            [
                widgets.HBox([self.digit, self.example]),
                self.image,
                self.caption,
                self.error,
            ]
        )
        self._on_digit()

    @shows_errors
    def _on_digit(self, change=None):
        examples = digit_examples(self.images, self.labels, self.digit.value)
        if len(examples) == 0:
            raise ValueError(f"there is no example of the digit {self.digit.value}")
        self.example.max = len(examples) - 1
        self.example.value = min(self.example.value, self.example.max)
        self._redraw()

    @shows_errors
    def _redraw(self, change=None):
        picture = digit_examples(self.images, self.labels, self.digit.value)[
            self.example.value
        ]
        self.current = picture
        self.artist.set_data(picture)
        self.axes_image.set_title(
            f"a {self.digit.value}: {picture.shape[0]}x{picture.shape[1]}"
        )
        self.axes_hist.cla()
        self.axes_hist.hist(picture.ravel(), bins=16, range=(0, 256), color="tab:blue")
        self.axes_hist.set_yscale("log")
        self.axes_hist.set_xlabel("pixel value (0 = white, 255 = black)")
        self.image.refresh()
        ink = (picture > 127).mean()
        self.caption.value = (
            f"example {self.example.value + 1} of {self.example.max + 1}; "
            f"{ink:.0%} of the pixels are ink (value above 127); "
            f"brightest value {picture.max()}"
        )
