"""Widgets of lecture 07: look inside the convnet, at its filters and feature maps.

- ``FilterViewer``: the kernels of a convolution layer as small images.
- ``ActivationViewer``: pick an image and a layer, see that layer's feature maps.

Without arguments each runs the shipped checkpoint with NumPy
(``cl.models.pretrained_numpy("mnist_convnet")``, ready in a fraction of a second) on
the bundled test digits; a Keras model works the same. The compute lives in
``cl.inside``; the drawing widgets of lectures 06-07 are in ``widgets/sketchpad.py``.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course_lib.core import Images, Labels, Model, Optional, Text, checked, choose
from course_lib.inside import (
    _Convnet,
    classify,
    conv_kernels,
    feature_map_layers,
    feature_maps,
    filter_grid,
    grid_shape,
    tile,
)
from course_lib.widgets.base import ChoiceDropdown, CourseWidget, new_figure

DIGIT_SHAPE = (28, 28)

DIGIT_BATCH = Images(("NHW", "NHWC"), channels=1, size=DIGIT_SHAPE)
"""Test digits for a viewer: (N, 28, 28) or (N, 28, 28, 1), uint8 0-255 or float 0-1."""

LABELS = Optional(Labels(10))
"""Their labels, digits 0-9 (or None)."""

CLASSIFIER_OR_NAME = Optional(
    _Convnet(
        Model((28, 28, 1), (10,), outputs="probabilities", what="a digit classifier"),
        names=("mnist_convnet",),
    )
)
"""None (the shipped checkpoint), its name, a Keras digit classifier or a NumPy one."""

CONVNET_OR_NAME = Optional(
    _Convnet(Model(what="a Keras model"), names=("mnist_convnet",))
)
"""None (the shipped checkpoint), its name, or any model with convolution layers."""


def _model_or_default(model):
    """The model to use: the shipped checkpoint (run by NumPy) when ``model`` is None or
    a checkpoint name, else ``model`` itself (declared by the caller)."""
    from course_lib.models import pretrained_numpy

    if model is None:
        return pretrained_numpy("mnist_convnet")
    if isinstance(model, str):
        return pretrained_numpy(model)
    return model


def _test_digits():
    from course_lib.data import load_mnist

    (_, _), (images, labels) = load_mnist()
    return images, labels


def _one_label_each(images: np.ndarray, labels) -> np.ndarray:
    """``images`` as (N, 28, 28) after the declaration, checked against its labels."""
    images = images.reshape(-1, *DIGIT_SHAPE)
    if labels is not None and len(labels) != len(images):
        raise ValueError(
            f"give one label per image: {len(images)} images, {len(labels)} labels"
        )
    return images


def _bare(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def _colormap(name: str, bad: str = "white"):
    """A matplotlib colour map by name, NaN drawn as ``bad`` (the gaps of a mosaic)."""
    import matplotlib

    try:  # "Gray" is gray: no two colour maps differ only in case
        name = choose(name, list(matplotlib.colormaps), "colour map")
    except ValueError:
        raise ValueError(
            f"unknown colour map {name!r}; e.g. gray, viridis, magma "
            "(any name in matplotlib.colormaps)"
        ) from None
    return matplotlib.colormaps[name].with_extremes(bad=bad)


class _Mosaic:
    """One image artist for a grid of small maps (``cl.inside.tile``): one artist
    made once, instead of an Axes per map, draws about five times faster."""

    def __init__(self, ax, count: int, cmap: str, gap: int = 1):
        self.rows, self.columns = grid_shape(count)
        self.gap = gap
        ax.set_xlim(0, self.columns)
        ax.set_ylim(self.rows, 0)
        ax.set_autoscale_on(False)  # the maps' size changes, the grid does not
        ax.axis("off")
        self.artist = ax.imshow(
            np.full((1, 1), np.nan), cmap=_colormap(cmap), interpolation="nearest"
        )

    def show(self, stack: np.ndarray, low: float, high: float) -> None:
        """Show a (C, H, W) stack, colours from ``low`` to ``high``."""
        _, height, width = stack.shape
        mosaic = tile(stack, self.columns, self.rows, self.gap)
        self.artist.set_data(mosaic)
        # One cell is one unit: H + gap pixels tall, W + gap wide.
        self.artist.set_extent(
            (
                0,
                mosaic.shape[1] / (width + self.gap),
                mosaic.shape[0] / (height + self.gap),
                0,
            )
        )
        self.artist.set_clim(low, high)


# --------------------------------------------------------------------------------------
# FilterViewer
# --------------------------------------------------------------------------------------


class FilterViewer(CourseWidget):
    """The kernels of a convolution layer, one small image per output feature map.

    For the first layer of the MNIST convnet that is 32 kernels of 5x5: the patterns it
    looks for. A second layer's kernels are 5x5x32: pick which input channel (which
    feature map of the first layer) to look through. Without a model it shows the
    shipped checkpoint's.

    Example::

        viewer = cl.widgets.FilterViewer(layer="conv2")
        viewer.input_channel.value = 7

    Controls: ``layer``, ``input_channel``. State: ``kernels`` (C_out, kh, kw) on show.
    """

    @checked(model=CONVNET_OR_NAME, layer=Optional(Text(200)), cmap=Text(100))
    def __init__(self, model=None, layer: str | None = None, cmap: str = "gray"):
        super().__init__()
        self.model = _model_or_default(model)
        kernels = conv_kernels(self.model)
        if not kernels:
            raise ValueError("model has no Conv2D layer: give a convnet")
        names = list(kernels)
        layer = names[0] if layer is None else choose(layer, names, "conv layer")
        self.layer = ChoiceDropdown(
            self, "layer", options=names, value=layer, description="layer"
        )
        self.input_channel = widgets.IntSlider(
            0, 0, 0, description="input channel", continuous_update=False
        )
        self.kernels = filter_grid(kernels[layer])
        most = max(kernel.shape[-1] for kernel in kernels.values())
        rows, columns = grid_shape(most)
        figure = self.use_figure(new_figure(0.8 * columns, 0.8 * rows))
        figure.set_layout_engine("none")  # a fixed layout: one axes, nothing to solve
        self.axes = figure.add_axes((0.01, 0.01, 0.98, 0.98))
        self.mosaic = _Mosaic(self.axes, most, cmap)
        self.watch(self._on_layer, layer=self.layer)
        self.watch(input_channel=self.input_channel)
        self.children = [
            widgets.HBox([self.layer, self.input_channel]),
            self.caption,
            self.figure_image,
            self.error,
        ]
        self.update(self._on_layer)

    def _kernel(self) -> np.ndarray:
        return conv_kernels(self.model)[self.layer.value]

    def _on_layer(self, change=None):
        c_in = self._kernel().shape[2]
        self.input_channel.max = c_in - 1
        self.input_channel.disabled = c_in == 1

    def _render(self):
        kernel = self._kernel()
        self.kernels = filter_grid(kernel, self.input_channel.value)
        count, kh, kw = self.kernels.shape
        # One colour scale for the kernels on show: bright = positive, dark = negative.
        limit = float(np.abs(self.kernels).max()) or 1.0
        self.mosaic.show(self.kernels, -limit, limit)
        c_in = kernel.shape[2]
        seen = (
            f"slice {self.input_channel.value} of {c_in} (one per feature map "
            "of the layer before)"
            if c_in > 1
            else "the whole kernel (one input channel)"
        )
        self.caption.value = (
            f"<b>{self.layer.value}</b>: kernel {kh}x{kw}x{c_in}x{count}, "
            f"{count} filters; showing {seen}. Bright = positive, dark = negative, "
            f"scale ±{limit:.2f}."
        )


# --------------------------------------------------------------------------------------
# ActivationViewer
# --------------------------------------------------------------------------------------


class ActivationViewer(CourseWidget):
    """Feature maps of one image at one layer: what each filter responded to, and where.

    Without arguments it shows the shipped checkpoint on the bundled test digits.

    Example::

        viewer = cl.widgets.ActivationViewer(model, x_test, y_test)
        viewer.layer.value = "pool"   # 10x10 maps after max pooling
        viewer.show(other_digits)     # other images: the index slider follows

    Controls: ``index`` (which image), ``layer``. State: ``images`` (N, 28, 28) in 0..1,
    ``labels`` (or None), ``maps`` (H, W, C) on show, ``probabilities`` (10,) for the
    image on show.
    """

    @checked(
        model=CLASSIFIER_OR_NAME,
        images=Optional(DIGIT_BATCH),
        labels=LABELS,
        layer=Optional(Text(200)),
    )
    def __init__(self, model=None, images=None, labels=None, layer: str | None = None):
        super().__init__()
        self.model = _model_or_default(model)
        if images is None:
            images, test_labels = _test_digits()
            images = DIGIT_BATCH.check(images, "images")
            labels = test_labels if labels is None else labels
        self.images, self.labels = _one_label_each(images, labels), labels
        names = feature_map_layers(self.model)
        if not names:
            raise ValueError("model has no layer with feature maps: give a convnet")
        layer = names[0] if layer is None else choose(layer, names, "layer")
        self.index = widgets.IntSlider(
            0, 0, len(self.images) - 1, description="image", continuous_update=False
        )
        self.layer = ChoiceDropdown(
            self, "layer", options=names, value=layer, description="layer"
        )
        self.maps = np.zeros((1, 1, 1), dtype=np.float32)
        self.probabilities = np.zeros(10)
        self._sub_models: dict = {}  # Keras models that stop at a layer, made once

        most = max(self.model.get_layer(name).output.shape[-1] for name in names)
        rows, columns = grid_shape(most)
        figure = self.use_figure(new_figure(0.9 * columns + 2.0, 0.9 * rows + 0.3))
        figure.set_layout_engine("none")  # a fixed layout: nothing to solve per draw
        self.axes_input = figure.add_axes((0.01, 0.02, 0.19, 0.86))
        self.input_artist = self.axes_input.imshow(
            np.zeros(DIGIT_SHAPE), cmap="gray_r", vmin=0, vmax=1
        )
        self.title = self.axes_input.set_title("", fontsize=9)
        self.axes_input.axis("off")
        self.axes = figure.add_axes((0.22, 0.01, 0.77, 0.98))
        self.mosaic = _Mosaic(self.axes, most, "viridis")
        self.watch(index=self.index, layer=self.layer)
        self.children = [
            widgets.HBox([self.index, self.layer]),
            self.caption,
            self.figure_image,
            self.error,
        ]
        self.update()

    @checked(images=DIGIT_BATCH, labels=LABELS)
    def show(self, images, labels=None) -> bool:
        """Look at other images (N, 28, 28), uint8 0..255 or float 0..1 (and labels).

        The index slider's range follows. Raises ValueError for images of another shape.
        Returns True when the picture is up to date.
        """
        self.images, self.labels = _one_label_each(images, labels), labels
        with self.hold():  # the slider's own change must not render the old state
            self.index.max = len(images) - 1
        return self.update()

    def _render(self):
        picture = self.images[self.index.value]
        self.maps = feature_maps(
            self.model, picture, self.layer.value, self._sub_models
        )
        self.probabilities = classify(self.model, picture)[0]
        self.input_artist.set_data(picture)
        height, width, channels = self.maps.shape
        # Each map scaled to its own maximum, so that weak filters show their pattern.
        peaks = self.maps.max(axis=(0, 1))
        scaled = self.maps / np.maximum(peaks, 1e-6)
        self.mosaic.show(np.moveaxis(scaled, -1, 0), 0.0, 1.0)
        guess = int(np.argmax(self.probabilities))
        truth = (
            f", true label {int(self.labels[self.index.value])}"
            if self.labels is not None
            else ""
        )
        silent = int((peaks <= 0).sum())
        self.title.set_text(f"predicted {guess}{truth}")
        self.caption.value = (
            f"<b>{self.layer.value}</b>: {channels} feature maps of "
            f"{height}x{width} (each scaled to its own maximum; yellow = strong); "
            f"{silent} of them are all zero for this image. The network predicts "
            f"<b>{guess}</b> ({self.probabilities[guess]:.1%}){truth}."
        )
