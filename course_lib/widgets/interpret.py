"""Widgets of lectures 06-07: draw a digit, look at filters, look at feature maps.

- ``DigitSketchpad``: draw a digit with the mouse (an ``ipycanvas`` canvas); it is
  preprocessed like MNIST and the convnet's ten probabilities update as you draw. The
  28x28 image the network sees is its ``drawing`` traitlet.
- ``FilterViewer``: the kernels of a convolution layer as small images.
- ``ActivationViewer``: pick an image and a layer, see that layer's feature maps.
- ``MnistDashboard``: the sketchpad and the feature maps of what was drawn, together.

Without arguments each runs the shipped checkpoint with NumPy
(``cl.models.pretrained_numpy("mnist_convnet")``, ready in a fraction of a second) on
the bundled test digits; a Keras model works the same. The compute lives in
``cl.interpret``.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
import traitlets

from course_lib.core import choose
from course_lib.images import to_unit_float
from course_lib.interpret import (
    check_stroke,
    classify,
    conv_kernels,
    feature_map_layers,
    feature_maps,
    filter_grid,
    grid_shape,
    predict_drawing,
    rasterize_strokes,
    tile,
)
from course_lib.widgets.base import CourseWidget, new_figure

DIGIT_SHAPE = (28, 28)


def _model_or_default(model):
    """The model to use: the shipped checkpoint (run by NumPy) when ``model`` is None or
    a checkpoint name, else ``model`` itself once it looks like a model (callable, with
    a list of ``layers``, as ``cl.interpret`` checks)."""
    from course_lib.models import pretrained_numpy

    if model is None:
        return pretrained_numpy("mnist_convnet")
    if isinstance(model, str):
        return pretrained_numpy(model)
    if not callable(model) or not isinstance(getattr(model, "layers", None), list):
        raise ValueError(
            "model must be a Keras model, a cl.scratch.NumpyConvnet or the name of a "
            f"shipped checkpoint ('mnist_convnet'), got {type(model).__name__}"
        )
    return model


def _test_digits():
    from course_lib.data import load_mnist

    (_, _), (images, labels) = load_mnist()
    return images, labels


def _checked_digits(images, labels=None) -> tuple[np.ndarray, np.ndarray | None]:
    """Digits as float32 (N, 28, 28) in 0..1 and their labels, or a clear ValueError."""
    shape = np.shape(images)
    if len(shape) == 4 and shape[-1] == 1:
        images = np.asarray(images)[..., 0]
    if len(np.shape(images)) != 3 or np.shape(images)[1:] != DIGIT_SHAPE:
        raise ValueError(f"images must be digits shaped (N, 28, 28), got shape {shape}")
    images = to_unit_float(images, "images")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (len(images),):
            raise ValueError(
                f"give one label per image: {len(images)} images, "
                f"labels shaped {labels.shape}"
            )
        if labels.dtype.kind not in "iuf" or (
            labels.dtype.kind == "f" and not np.array_equal(labels, np.round(labels))
        ):
            raise ValueError(
                f"labels must be whole numbers (digits 0-9), got {labels[:3]}"
            )
        labels = labels.astype(int)
    return images, labels


def _is_number(value) -> bool:
    """A real, finite number (not a bool, not text)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


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
    """One image artist for a grid of small maps (``cl.interpret.tile``): one artist
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
# DigitSketchpad
# --------------------------------------------------------------------------------------


class DigitSketchpad(CourseWidget):
    """Draw a digit with the mouse and watch the convnet classify it.

    The drawing is preprocessed like MNIST (``cl.models.preprocess_drawing``): cropped
    to its ink, scaled into 20x20 and centred by its centre of mass in 28x28. Then the
    ten probabilities update (while you draw, at most a few times a second, and when
    you lift the pen). Without a model it runs the shipped checkpoint.

    Example::

        pad = cl.widgets.DigitSketchpad()
        pad                      # draw in the black square
        pad.add_stroke([(140, 40), (140, 240)])   # or draw from code: a "1"
        pad.prediction           # 1

    Control: ``centre`` (off: the drawing is only shrunk to 28x28, as it is; compare
    the answers). State: ``strokes`` (lists of canvas points), ``shown_digit`` (a 28x28
    digit put on the pad by ``show_digit``, or None), ``raster`` (size x size, what is
    on the canvas), ``probabilities`` (10,) and ``prediction`` (None while the pad is
    empty). The traitlet ``drawing`` is the 28x28 image the network sees (float32,
    ink = 1), or None while the pad is empty: observe it to follow the pad from another
    widget.
    """

    drawing = traitlets.Any(None, allow_none=True)
    MAX_SIZE = 1000  # the canvas side in pixels: a float32 raster of it is 4 MB
    MAX_WAIT = 10.0  # seconds between two predictions while the pen moves

    def __init__(
        self,
        model=None,
        size: int = 280,
        line_width: float = 20.0,
        update_every: float = 0.4,
    ):
        super().__init__()
        import ipycanvas

        self.model = _model_or_default(model)
        if (
            isinstance(size, bool)
            or not isinstance(size, (int, np.integer))
            or not 28 <= size <= self.MAX_SIZE
        ):
            raise ValueError(
                f"size must be an int of at least 28 and at most {self.MAX_SIZE} "
                f"pixels, got {size!r}"
            )
        size = int(size)
        if not (_is_number(line_width) and 0 < line_width < size):
            raise ValueError(
                f"line_width must be a number from 0 to {size}, got {line_width!r}"
            )
        if not (_is_number(update_every) and 0 <= update_every <= self.MAX_WAIT):
            raise ValueError(
                f"update_every must be a number of seconds from 0 to {self.MAX_WAIT:g}, "
                f"got {update_every!r}"
            )
        self.size, self.line_width = size, float(line_width)
        self.update_every = float(update_every)
        self.strokes: list[list[tuple[float, float]]] = []
        self.shown_digit: np.ndarray | None = None
        self.raster = np.zeros((size, size), dtype=np.float32)
        self.probabilities: np.ndarray | None = None
        self.prediction: int | None = None
        self._pen_down = False
        self._last_update = 0.0
        # Draw commands sent before the browser's canvas exists are lost, and in Voila
        # they raise errors in the page: paint only once the client says it is ready.
        self._client_ready = False

        self.canvas = ipycanvas.Canvas(width=size, height=size)
        self.canvas.layout.width = f"{size}px"
        self.canvas.layout.height = f"{size}px"
        self.canvas.layout.border = "1px solid #888"
        self.clear_button = widgets.Button(description="clear", icon="eraser")
        self.centre = widgets.Checkbox(
            True, description="crop and centre like MNIST", indent=False
        )

        figure = self.use_figure(new_figure(5.2, 2.6))
        figure.set_layout_engine("none")  # fixed: "constrained" doubles the draw time
        self.axes_image, self.axes_bars = figure.subplots(
            1,
            2,
            gridspec_kw=dict(
                width_ratios=[1, 1.6],
                left=0.02,
                right=0.98,
                bottom=0.17,
                top=0.9,
                wspace=0.35,
            ),
        )
        self.image_artist = self.axes_image.imshow(
            np.zeros(DIGIT_SHAPE), cmap="gray_r", vmin=0, vmax=1
        )
        self.title = self.axes_image.set_title("", fontsize=9)
        _bare(self.axes_image)
        self.bars = self.axes_bars.bar(range(10), np.zeros(10), color="tab:gray")
        self.axes_bars.set_xticks(range(10))
        self.axes_bars.set_ylim(0, 1)
        self.axes_bars.set_xlabel("digit")
        self.axes_bars.set_ylabel("probability")

        self.canvas.on_mouse_down(self._on_mouse_down)
        self.canvas.on_mouse_move(self._on_mouse_move)
        self.canvas.on_mouse_up(self._on_mouse_up)
        self.canvas.on_mouse_out(self._on_mouse_up)
        self.canvas.on_touch_start(lambda points: self._on_mouse_down(*points[0]))
        self.canvas.on_touch_move(lambda points: self._on_mouse_move(*points[0]))
        self.canvas.on_touch_end(lambda points: self._on_mouse_up())
        self.canvas.on_client_ready(self._on_client_ready)
        self.clear_button.on_click(lambda button: self.clear())
        self.watch(centre=self.centre)
        self.children = [
            widgets.HBox(
                [
                    widgets.VBox(
                        [self.canvas, widgets.HBox([self.clear_button, self.centre])]
                    ),
                    widgets.VBox([self.figure_image, self.caption]),
                ]
            ),
            self.error,
        ]
        self.update()

    # -- public API --------------------------------------------------------------------

    def add_stroke(self, points: Sequence[tuple[float, float]]) -> bool:
        """Draw one stroke from code: a list of (x, y) canvas pixels, then classify.

        A stroke that is empty or has a point that is not a finite number is left out
        and the banner says why. Returns True when the picture is up to date.
        """

        def add(change=None):
            stroke = check_stroke(points)
            self._start_afresh_on_a_shown_digit()
            self.strokes.append(stroke)
            self._style()
            self._paint_stroke(stroke)

        return self.update(add)

    def show_digit(self, digit: np.ndarray) -> bool:
        """Put a 28x28 digit (e.g. from MNIST: uint8 0..255 or float 0..1) on the pad,
        scaled up, and classify it. Raises ValueError for anything else."""
        if np.shape(digit) != DIGIT_SHAPE:
            raise ValueError(f"a digit must be 28x28, got shape {np.shape(digit)}")
        self.shown_digit = to_unit_float(digit, "digit")
        self.strokes = []
        self._repaint()
        return self.update()

    def clear(self) -> bool:
        """Wipe the pad."""
        self.strokes = []
        self.shown_digit = None
        self._repaint()
        return self.update()

    # -- the picture -------------------------------------------------------------------

    def _render(self):
        self._last_update = time.perf_counter()
        if self.strokes:
            self.raster = rasterize_strokes(self.strokes, self.size, self.line_width)
        elif self.shown_digit is not None:
            self.raster = self._scaled_up(self.shown_digit)
        else:
            self.raster = np.zeros((self.size, self.size), dtype=np.float32)
        if not self.raster.any():
            seen, self.probabilities, self.prediction = None, None, None
            heights = np.zeros(10)
            self.caption.value = "Draw a digit in the black square."
        else:
            seen, self.probabilities = predict_drawing(
                self.model, self.raster, self.centre.value
            )
            self.prediction = int(np.argmax(self.probabilities))
            heights = self.probabilities
            self.caption.value = (
                f"The network says <b>{self.prediction}</b> with probability "
                f"{self.probabilities[self.prediction]:.1%}."
            )
        self.image_artist.set_data(np.zeros(DIGIT_SHAPE) if seen is None else seen)
        self.title.set_text(
            "what it sees: centred" if self.centre.value else "what it sees: shrunk"
        )
        for digit, bar in enumerate(self.bars):
            bar.set_height(heights[digit])
            bar.set_color("tab:red" if digit == self.prediction else "tab:gray")
        self.drawing = seen

    def _scaled_up(self, digit: np.ndarray) -> np.ndarray:
        scale = self.size // DIGIT_SHAPE[0]
        raster = np.zeros((self.size, self.size), dtype=np.float32)
        big = np.kron(digit, np.ones((scale, scale), dtype=np.float32))
        raster[: big.shape[0], : big.shape[1]] = big
        return raster

    # -- drawing on the canvas ---------------------------------------------------------

    def _style(self) -> None:
        self.canvas.stroke_style = "white"
        self.canvas.fill_style = "white"
        self.canvas.line_width = self.line_width
        self.canvas.line_cap = "round"
        self.canvas.line_join = "round"

    def _on_client_ready(self) -> None:
        self._client_ready = True
        self._repaint()

    def _repaint(self) -> None:
        """Paint the background and the current drawing (also when a view appears)."""
        import ipycanvas

        if not self._client_ready:
            return
        with ipycanvas.hold_canvas():
            self.canvas.clear()
            self.canvas.fill_style = "black"
            self.canvas.fill_rect(0, 0, self.size, self.size)
            if self.strokes:
                self._style()
                for stroke in self.strokes:
                    self._paint_stroke(stroke)
            elif self.shown_digit is not None:
                gray = (self._scaled_up(self.shown_digit) * 255).astype(np.uint8)
                self.canvas.put_image_data(np.dstack([gray] * 3), 0, 0)

    def _paint_stroke(self, stroke) -> None:
        if not self._client_ready or not np.isfinite(stroke).all():
            return  # a stroke with NaN is never sent to the browser
        if len(stroke) == 1:
            x, y = stroke[0]
            self.canvas.fill_circle(x, y, self.line_width / 2)
        else:
            self.canvas.stroke_lines(stroke)

    def _start_afresh_on_a_shown_digit(self) -> None:
        if self.shown_digit is not None:
            self.shown_digit = None
            self._repaint()

    def _on_mouse_down(self, x, y):
        self._client_ready = True  # a mouse event comes from a live canvas
        self._start_afresh_on_a_shown_digit()
        self._pen_down = True
        self.strokes.append([(float(x), float(y))])
        self._style()
        self._paint_stroke(self.strokes[-1])

    def _on_mouse_move(self, x, y):
        if not self._pen_down:
            return
        previous = self.strokes[-1][-1]
        self.strokes[-1].append((float(x), float(y)))
        if self._client_ready and np.isfinite([*previous, x, y]).all():
            self.canvas.stroke_line(previous[0], previous[1], float(x), float(y))
        if time.perf_counter() - self._last_update > self.update_every:
            self.update()

    def _on_mouse_up(self, x=None, y=None):
        if self._pen_down:
            self._pen_down = False
            self.update(self._check_last_stroke)

    def _check_last_stroke(self, change=None) -> None:
        """Leave out the stroke just drawn if it has a point that is not a number: the
        picture shows the strokes kept (not a part of the bad one drawn while the pen
        moved), and the banner says what was left out."""
        try:
            check_stroke(self.strokes[-1])
        except ValueError as exc:
            self.strokes.pop()
            self._repaint()
            self._render()
            self.figure_image.refresh()
            raise ValueError(f"the last stroke was left out: {exc}") from None


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

    def __init__(self, model=None, layer: str | None = None, cmap: str = "gray"):
        super().__init__()
        self.model = _model_or_default(model)
        kernels = conv_kernels(self.model)
        if not kernels:
            raise ValueError("the model has no Conv2D layer")
        names = list(kernels)
        layer = names[0] if layer is None else choose(layer, names, "conv layer")
        self.layer = widgets.Dropdown(options=names, value=layer, description="layer")
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

    def __init__(self, model=None, images=None, labels=None, layer: str | None = None):
        super().__init__()
        self.model = _model_or_default(model)
        if images is None:
            images, test_labels = _test_digits()
            labels = test_labels if labels is None else labels
        self.images, self.labels = _checked_digits(images, labels)
        names = feature_map_layers(self.model)
        if not names:
            raise ValueError("the model has no layer with feature maps")
        layer = names[0] if layer is None else choose(layer, names, "layer")
        self.index = widgets.IntSlider(
            0, 0, len(self.images) - 1, description="image", continuous_update=False
        )
        self.layer = widgets.Dropdown(options=names, value=layer, description="layer")
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

    def show(self, images, labels=None) -> bool:
        """Look at other images (N, 28, 28), uint8 0..255 or float 0..1 (and labels).

        The index slider's range follows. Raises ValueError for images of another shape.
        Returns True when the picture is up to date.
        """
        images, labels = _checked_digits(images, labels)
        self.images, self.labels = images, labels
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


# --------------------------------------------------------------------------------------
# MnistDashboard: the sketchpad and the activations of what was drawn, together
# --------------------------------------------------------------------------------------


class MnistDashboard(CourseWidget):
    """Draw a digit (or pick a test digit), see the probabilities and the activations.

    The activations shown are those of the 28x28 image the network actually sees: the
    viewer follows the sketchpad's ``drawing``. Without arguments it runs the shipped
    checkpoint with NumPy on the bundled test digits.

    Example::

        cl.widgets.MnistDashboard()
        cl.widgets.MnistDashboard(cl.models.pretrained("mnist_convnet"), x_test, y_test)

    Controls: ``example`` (the test digit put on the pad). Parts: ``pad`` (a
    ``DigitSketchpad``), ``viewer`` (an ``ActivationViewer``); the dashboard's
    ``figure_image`` is the pad's picture.
    """

    def __init__(self, model=None, images=None, labels=None):
        super().__init__()
        model = _model_or_default(model)
        if images is None:
            images, test_labels = _test_digits()
            labels = test_labels if labels is None else labels
        self.images, self.labels = _checked_digits(images, labels)
        self.example = widgets.IntSlider(
            0,
            0,
            len(self.images) - 1,
            description="test digit",
            continuous_update=False,
        )
        self.pad = DigitSketchpad(model)
        self.viewer = ActivationViewer(model, np.zeros((1, *DIGIT_SHAPE), np.float32))
        self.viewer.index.layout.display = "none"  # it shows the pad's one image
        # The dashboard draws nothing itself: its picture is the pad's.
        self.figure, self.figure_image = self.pad.figure, self.pad.figure_image
        self.pad.observe(self._show_activations, names="drawing")
        self.watch(example=self.example)
        self.children = [
            widgets.HTML(
                "Draw a digit in the black square, or put a test digit on it:"
            ),
            self.example,
            self.caption,
            self.pad,
            self.viewer,
            self.error,
        ]
        self.update()

    def _show_activations(self, change):
        drawing = change.new
        blank = np.zeros((1, *DIGIT_SHAPE), dtype=np.float32)
        self.viewer.show(blank if drawing is None else drawing[None])

    def _render(self):
        self.pad.show_digit(self.images[self.example.value])
        label = (
            f" (labelled {int(self.labels[self.example.value])})"
            if self.labels is not None
            else ""
        )
        self.caption.value = (
            f"test digit {self.example.value + 1} of {len(self.images):,}{label}"
        )
