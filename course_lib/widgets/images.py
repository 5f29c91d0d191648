"""Widgets of lectures 00-01: browse digits, inspect the numbers of an image."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course_lib.images import digit_examples
from course_lib.widgets.base import CourseWidget, new_figure


class DigitBrowser(CourseWidget):
    """Browse handwritten digits: pick a digit and an example, see the 28x28 image and its values.

    Without arguments it shows the MNIST training digits of ``cl.data.load_mnist()``.

    Example::

        (x_train, y_train), _ = cl.data.load_mnist()
        cl.widgets.DigitBrowser(x_train, y_train)
    """

    def __init__(self, images: np.ndarray | None = None, labels=None):
        super().__init__()
        if images is None:
            from course_lib.data import load_mnist

            (images, labels), _ = load_mnist()
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim != 3 or len(images) != len(labels):
            raise ValueError("images must be (N, H, W) with one label per image")
        self.images, self.labels = images, labels
        self.digit = widgets.Dropdown(
            options=list(range(10)), value=0, description="digit"
        )
        self.example = widgets.IntSlider(
            0, 0, 10, description="example", continuous_update=False
        )
        figure = self.use_figure(new_figure(6.4, 3.0))
        self.axes_image, self.axes_hist = figure.subplots(1, 2)
        self.artist = self.axes_image.imshow(images[0], cmap="gray_r", vmin=0, vmax=255)
        self.axes_image.set_xticks([])
        self.axes_image.set_yticks([])
        self.title = self.axes_image.set_title("")
        self.bins = np.linspace(0, 256, 17)
        self.bars = self.axes_hist.bar(
            self.bins[:-1], np.ones(16), width=16, align="edge", color="tab:blue"
        )
        self.axes_hist.set_yscale("log")
        self.axes_hist.set_ylim(0.8, images[0].size)
        self.axes_hist.set_xlim(0, 256)
        self.axes_hist.set_xlabel("pixel value (0 = white, 255 = black)")
        self.axes_hist.set_ylabel("pixels")
        self.current = images[0]
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
        ink = (picture > 127).mean()
        self.caption.value = (
            f"example {self.example.value + 1} of {self.example.max + 1}; "
            f"{ink:.0%} of the pixels are ink (value above 127); "
            f"brightest value {picture.max()}"
        )
