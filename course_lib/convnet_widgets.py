"""Widgets for lectures 06-07: draw a digit, look at filters, look at feature maps.

- ``DigitSketchpad``: draw a digit with the mouse (an ``ipycanvas`` canvas); it is
  preprocessed like MNIST and the convnet's ten probabilities update as you draw.
- ``FilterViewer``: the kernels of a convolution layer as small images.
- ``ActivationViewer``: pick an image and a layer, see that layer's feature maps.

The compute parts are plain functions (``rasterize_strokes``, ``predict_drawing``,
``filter_grid``, ``feature_maps``), tested without a browser.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np

from course_lib.models import prepare_images, preprocess_drawing
from course_lib.viz import ErrorBanner, FigureImage, new_figure, shows_errors

# --------------------------------------------------------------------------------------
# Pure functions
# --------------------------------------------------------------------------------------


def rasterize_strokes(
    strokes: Sequence[Sequence[tuple[float, float]]],
    size: int = 280,
    line_width: float = 20.0,
) -> np.ndarray:
    """Draw pen strokes into a (size, size) float image in 0..1 (ink = 1).

    Each stroke is a list of (x, y) points in pixels, x to the right and y down, as the
    canvas reports them; consecutive points are joined by a round-capped line of
    ``line_width`` pixels (the edges are anti-aliased over one pixel).
    """
    if not isinstance(size, int) or size < 8:
        raise ValueError(f"size must be an int >= 8, got {size!r}")
    if not line_width > 0:
        raise ValueError(f"line_width must be positive, got {line_width!r}")
    image = np.zeros((size, size), dtype=np.float32)
    radius = line_width / 2
    for stroke in strokes:
        points = np.asarray(stroke, dtype=float).reshape(-1, 2)
        if len(points) == 0:
            continue
        if not np.isfinite(points).all():
            raise ValueError("stroke points must be finite numbers")
        segments = (
            zip(points[:-1], points[1:], strict=True)
            if len(points) > 1
            else [(points[0], points[0])]
        )
        for start, end in segments:
            low = np.floor(np.minimum(start, end) - radius - 1).astype(int)
            high = np.ceil(np.maximum(start, end) + radius + 2).astype(int)
            x0, y0 = np.clip(low, 0, size)
            x1, y1 = np.clip(high, 0, size)
            if x0 >= x1 or y0 >= y1:
                continue  # the segment is outside the canvas
            ys, xs = np.mgrid[y0:y1, x0:x1] + 0.5  # pixel centres
            direction = end - start
            length2 = float(direction @ direction)
            t = (
                np.clip(
                    ((xs - start[0]) * direction[0] + (ys - start[1]) * direction[1])
                    / length2,
                    0,
                    1,
                )
                if length2 > 0
                else 0.0
            )
            distance = np.hypot(
                xs - (start[0] + t * direction[0]), ys - (start[1] + t * direction[1])
            )
            ink = np.clip(radius + 0.5 - distance, 0, 1)
            np.maximum(image[y0:y1, x0:x1], ink, out=image[y0:y1, x0:x1])
    return image


def predict_drawing(model, drawing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Preprocess a drawing like MNIST and classify it.

    Returns the (28, 28) image the model sees (0..1, ink = 1) and its ten probabilities.
    Raises ValueError for an empty drawing.
    """
    image = preprocess_drawing(drawing)
    if not image.any():
        raise ValueError("the drawing is empty: draw a digit first")
    probabilities = np.asarray(model(image[None, :, :, None], training=False))[0]
    return image, probabilities.astype(float)


def _conv_layers(model) -> dict:
    import keras

    return {
        layer.name: layer
        for layer in model.layers
        if isinstance(layer, keras.layers.Conv2D)
    }


def filter_grid(kernel: np.ndarray, input_channel: int = 0) -> np.ndarray:
    """The kernels of a conv layer seen through one input channel: (C_out, kh, kw).

    ``kernel`` is (kh, kw, C_in, C_out) as Keras stores it. A first layer on gray images
    has C_in = 1; a second layer has one slice per feature map of the layer before.
    """
    kernel = np.asarray(kernel)
    if kernel.ndim != 4:
        raise ValueError(
            f"a conv kernel is (kh, kw, C_in, C_out), got shape {kernel.shape}"
        )
    c_in = kernel.shape[2]
    if not isinstance(input_channel, (int, np.integer)) or not (
        0 <= input_channel < c_in
    ):
        raise ValueError(
            f"input_channel must be an int from 0 to {c_in - 1}, got {input_channel!r}"
        )
    return np.moveaxis(kernel[:, :, input_channel, :], -1, 0)


def feature_map_layers(model) -> list[str]:
    """Names of the layers whose output is a stack of feature maps (H, W, C)."""
    return [
        layer.name
        for layer in model.layers
        if len(layer.output.shape) == 4
        and "dropout" not in type(layer).__name__.lower()
    ]


def feature_maps(model, image: np.ndarray, layer_name: str, _cache=None) -> np.ndarray:
    """The output of ``layer_name`` for one image, as (H, W, C) float32.

    ``image`` is one digit (28, 28) in 0..255 or 0..1, or (28, 28, 1).
    """
    names = feature_map_layers(model)
    if layer_name not in names:
        raise ValueError(
            f"layer {layer_name!r} has no feature maps; pick one of {', '.join(names)}"
        )
    if hasattr(model, "feature_maps"):  # cl.scratch.NumpyConvnet: no Keras needed
        x = prepare_images(np.asarray(image)[None])
        return np.asarray(model.feature_maps(x, layer_name), dtype=np.float32)[0]
    import keras

    cache = {} if _cache is None else _cache
    if layer_name not in cache:
        cache[layer_name] = keras.Model(
            model.inputs[0], model.get_layer(layer_name).output
        )
    x = prepare_images(np.asarray(image)[None])
    return np.asarray(cache[layer_name](x, training=False))[0]


def _grid_shape(count: int) -> tuple[int, int]:
    columns = int(np.ceil(np.sqrt(count * 2)))  # wider than tall
    return int(np.ceil(count / columns)), columns


def _bare(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


# --------------------------------------------------------------------------------------
# DigitSketchpad
# --------------------------------------------------------------------------------------


class DigitSketchpad(widgets.VBox):
    """Draw a digit with the mouse and watch the convnet classify it.

    The drawing is preprocessed like MNIST (``cl.models.preprocess_drawing``): cropped to
    its ink, scaled into 20x20 and centred by its centre of mass in 28x28. Then the ten
    probabilities update (while you draw, at most a few times a second, and when you
    lift the pen).

    Example::

        pad = cl.convnet_widgets.DigitSketchpad(cl.models.pretrained("mnist_convnet"))
        pad                      # draw in the black square
        pad.add_stroke([(140, 40), (140, 240)])   # or draw from code: a "1"
        pad.prediction           # 1

    State: ``strokes``, ``drawing`` (size x size), ``image`` (28x28), ``probabilities``
    (10,) or None when the pad is empty, ``prediction`` (int or None).
    """

    def __init__(
        self,
        model,
        size: int = 280,
        line_width: float = 20.0,
        update_every: float = 0.4,
    ):
        import ipycanvas

        self.model = model
        self.size = size
        self.line_width = line_width
        self.update_every = update_every
        self.strokes: list[list[tuple[float, float]]] = []
        self.drawing = np.zeros((size, size), dtype=np.float32)
        self.image = np.zeros((28, 28), dtype=np.float32)
        self.probabilities: np.ndarray | None = None
        self.prediction: int | None = None
        self._pen_down = False
        self._last_update = 0.0
        self.on_update: list = []  # functions called with the pad after each prediction
        # Draw commands sent before the browser's canvas exists are lost, and in Voila they
        # raise errors in the page: paint only once the client says it is ready.
        self._client_ready = False

        self.canvas = ipycanvas.Canvas(width=size, height=size)
        self.canvas.layout.width = f"{size}px"
        self.canvas.layout.height = f"{size}px"
        self.canvas.layout.border = "1px solid #888"
        self.clear_button = widgets.Button(description="clear", icon="eraser")
        self.error = ErrorBanner()
        self.caption = widgets.HTML()

        figure = new_figure(5.2, 2.6)
        self.axes_image, self.axes_bars = figure.subplots(
            1, 2, gridspec_kw={"width_ratios": [1, 1.6]}
        )
        self.image_artist = self.axes_image.imshow(
            self.image, cmap="gray_r", vmin=0, vmax=1
        )
        self.axes_image.set_title("what the network sees (28x28)", fontsize=9)
        _bare(self.axes_image)
        self.bars = self.axes_bars.bar(range(10), np.zeros(10), color="tab:gray")
        self.axes_bars.set_xticks(range(10))
        self.axes_bars.set_ylim(0, 1)
        self.axes_bars.set_xlabel("digit")
        self.axes_bars.set_ylabel("probability")
        self.preview = FigureImage(figure)

        self.canvas.on_mouse_down(self._on_mouse_down)
        self.canvas.on_mouse_move(self._on_mouse_move)
        self.canvas.on_mouse_up(self._on_mouse_up)
        self.canvas.on_mouse_out(self._on_mouse_up)
        self.canvas.on_touch_start(lambda points: self._on_mouse_down(*points[0]))
        self.canvas.on_touch_move(lambda points: self._on_mouse_move(*points[0]))
        self.canvas.on_touch_end(lambda points: self._on_mouse_up())
        self.canvas.on_client_ready(self._on_client_ready)
        self.clear_button.on_click(lambda button: self.clear())
        super().__init__(
            [
                widgets.HBox(
                    [
                        widgets.VBox([self.canvas, self.clear_button]),
                        widgets.VBox([self.preview, self.caption]),
                    ]
                ),
                self.error,
            ]
        )
        self._repaint()
        self._update()

    # -- drawing on the canvas -----------------------------------------------------------

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
            elif self.drawing.any():
                gray = (self.drawing * 255).astype(np.uint8)
                self.canvas.put_image_data(np.dstack([gray] * 3), 0, 0)

    def _paint_stroke(self, stroke) -> None:
        if not self._client_ready:
            return
        if len(stroke) == 1:
            x, y = stroke[0]
            self.canvas.fill_circle(x, y, self.line_width / 2)
        else:
            self.canvas.stroke_lines(stroke)

    def _on_mouse_down(self, x, y):
        self._client_ready = True  # a mouse event comes from a live canvas
        if (
            not self.strokes and self.drawing.any()
        ):  # a test digit is shown: start afresh
            self.drawing = np.zeros((self.size, self.size), dtype=np.float32)
            self._repaint()
        self._pen_down = True
        self.strokes.append([(float(x), float(y))])
        self._style()
        self._paint_stroke(self.strokes[-1])

    def _on_mouse_move(self, x, y):
        if not self._pen_down:
            return
        previous = self.strokes[-1][-1]
        self.strokes[-1].append((float(x), float(y)))
        if self._client_ready:
            self.canvas.stroke_line(previous[0], previous[1], float(x), float(y))
        if time.perf_counter() - self._last_update > self.update_every:
            self._update()

    def _on_mouse_up(self, x=None, y=None):
        if self._pen_down:
            self._pen_down = False
            self._update()

    # -- public API ----------------------------------------------------------------------

    def add_stroke(self, points: Sequence[tuple[float, float]]) -> None:
        """Draw one stroke from code: a list of (x, y) canvas pixels, then classify."""
        points = [(float(x), float(y)) for x, y in points]
        if not points:
            raise ValueError("a stroke needs at least one (x, y) point")
        self.strokes.append(points)
        self._style()
        self._paint_stroke(points)
        self._update()

    def show_digit(self, digit: np.ndarray) -> None:
        """Put a 28x28 digit (e.g. from MNIST, 0..255) on the pad, scaled up, and classify it."""
        digit = np.asarray(digit, dtype=float)
        if digit.shape != (28, 28):
            raise ValueError(f"a digit must be 28x28, got shape {digit.shape}")
        scale = self.size // 28
        big = np.kron(digit / max(digit.max(), 1e-9), np.ones((scale, scale)))
        self.strokes = []
        self.drawing = np.zeros((self.size, self.size), dtype=np.float32)
        self.drawing[: big.shape[0], : big.shape[1]] = big
        self._repaint()
        self._update(from_strokes=False)

    def clear(self) -> None:
        """Wipe the pad."""
        self.strokes = []
        self.drawing = np.zeros((self.size, self.size), dtype=np.float32)
        self._repaint()
        self._update()

    @shows_errors
    def _update(self, from_strokes: bool = True) -> None:
        self._last_update = time.perf_counter()
        if from_strokes:
            self.drawing = rasterize_strokes(self.strokes, self.size, self.line_width)
        if not self.drawing.any():
            self.image = np.zeros((28, 28), dtype=np.float32)
            self.probabilities, self.prediction = None, None
            self.caption.value = "Draw a digit in the black square."
            heights = np.zeros(10)
        else:
            self.image, self.probabilities = predict_drawing(self.model, self.drawing)
            self.prediction = int(np.argmax(self.probabilities))
            heights = self.probabilities
            self.caption.value = (
                f"The network says <b>{self.prediction}</b> with probability "
                f"{self.probabilities[self.prediction]:.1%}."
            )
        self.image_artist.set_data(self.image)
        for digit, bar in enumerate(self.bars):
            bar.set_height(heights[digit])
            is_best = digit == self.prediction
            bar.set_color("tab:red" if is_best else "tab:gray")
        self.preview.refresh()
        for listener in self.on_update:
            listener(self)


# --------------------------------------------------------------------------------------
# FilterViewer
# --------------------------------------------------------------------------------------


class FilterViewer(widgets.VBox):
    """The kernels of a convolution layer, one small image per output feature map.

    For the first layer of the MNIST convnet that is 32 kernels of 5x5: the patterns it
    looks for. A second layer's kernels are 5x5x32: pick which input channel (which
    feature map of the first layer) to look through.

    State: ``kernels`` (C_out, kh, kw) on show, ``layer`` (the Keras layer).
    """

    def __init__(self, model, cmap: str = "gray"):
        self.model = model
        self.layers = _conv_layers(model)
        if not self.layers:
            raise ValueError("the model has no Conv2D layer")
        names = list(self.layers)
        self.layer_name = widgets.Dropdown(
            options=names, value=names[0], description="layer"
        )
        self.input_channel = widgets.IntSlider(
            0, 0, 0, description="input channel", continuous_update=False
        )
        self.error = ErrorBanner()
        self.caption = widgets.HTML()
        most = max(layer.filters for layer in self.layers.values())
        rows, columns = _grid_shape(most)
        figure = new_figure(1.0 * columns, 1.0 * rows)
        # A fixed layout: "constrained" re-solves 32 axes at every draw and is slow.
        figure.set_layout_engine("none")
        self.axes = figure.subplots(
            rows,
            columns,
            squeeze=False,
            gridspec_kw=dict(left=0.01, right=0.99, bottom=0.01, top=0.99),
        ).ravel()
        kh, kw = self.layers[names[0]].kernel.shape[:2]
        self.artists = []
        for ax in self.axes:
            self.artists.append(ax.imshow(np.zeros((kh, kw)), cmap=cmap))
            _bare(ax)
        self.image = FigureImage(figure)
        self.layer_name.observe(self._on_layer, names="value")
        self.input_channel.observe(self._redraw, names="value")
        super().__init__(
            [
                widgets.HBox([self.layer_name, self.input_channel]),
                self.caption,
                self.image,
                self.error,
            ]
        )
        self._on_layer()

    @property
    def layer(self):
        return self.layers[self.layer_name.value]

    @shows_errors
    def _on_layer(self, change=None):
        c_in = self.layer.kernel.shape[2]
        self.input_channel.max = c_in - 1
        self.input_channel.disabled = c_in == 1
        self._redraw()

    @shows_errors
    def _redraw(self, change=None):
        kernel = np.asarray(self.layer.kernel)
        self.kernels = filter_grid(kernel, self.input_channel.value)
        # One colour scale for the kernels on show: bright = positive, dark = negative.
        limit = float(np.abs(self.kernels).max()) or 1.0
        for index, (ax, artist) in enumerate(zip(self.axes, self.artists, strict=True)):
            visible = index < len(self.kernels)
            ax.set_visible(visible)
            if visible:
                artist.set_data(self.kernels[index])
                artist.set_extent(
                    (
                        -0.5,
                        self.kernels.shape[2] - 0.5,
                        self.kernels.shape[1] - 0.5,
                        -0.5,
                    )
                )
                artist.set_clim(-limit, limit)
        kh, kw, c_in, c_out = kernel.shape
        seen = (
            f"slice {self.input_channel.value} of {c_in} (one per feature map "
            "of the layer before)"
            if c_in > 1
            else "the whole kernel (one input channel)"
        )
        self.caption.value = (
            f"<b>{self.layer.name}</b>: kernel {kh}x{kw}x{c_in}x{c_out}, "
            f"{c_out} filters; showing {seen}. Bright = positive, dark = negative, "
            f"scale ±{limit:.2f}."
        )
        self.image.refresh()


# --------------------------------------------------------------------------------------
# ActivationViewer
# --------------------------------------------------------------------------------------


class ActivationViewer(widgets.VBox):
    """Feature maps of one image at one layer: what each filter responded to, and where.

    Example::

        viewer = cl.convnet_widgets.ActivationViewer(model, x_test, y_test)
        viewer.layer_name.value = "pool"   # 10x10 maps after max pooling

    State: ``maps`` (H, W, C) on show, ``probabilities`` (10,) for the picked image.
    """

    def __init__(self, model, images: np.ndarray, labels: np.ndarray | None = None):
        images = np.asarray(images)
        if images.ndim == 4 and images.shape[-1] == 1:
            images = images[..., 0]
        if images.ndim != 3 or len(images) == 0:
            raise ValueError(f"images must be (N, H, W), got shape {images.shape}")
        if labels is not None and len(labels) != len(images):
            raise ValueError("give one label per image")
        self.model, self.images, self.labels = model, images, labels
        self._extractors: dict = {}
        names = feature_map_layers(model)
        if not names:
            raise ValueError("the model has no layer with feature maps")
        self.index = widgets.IntSlider(
            0, 0, len(images) - 1, description="image", continuous_update=False
        )
        self.layer_name = widgets.Dropdown(
            options=names, value=names[0], description="layer"
        )
        self.error = ErrorBanner()
        self.caption = widgets.HTML()
        most = max(model.get_layer(name).output.shape[-1] for name in names)
        rows, columns = _grid_shape(most)
        figure = new_figure(1.0 * columns + 2.0, 1.0 * rows + 0.2)
        figure.set_layout_engine(
            "none"
        )  # fixed layout: constrained is slow for 33 axes
        grid = figure.add_gridspec(
            rows, columns + 2, left=0.01, right=0.99, bottom=0.01, top=0.93
        )
        self.axes_input = figure.add_subplot(grid[:, :2])
        self.input_artist = self.axes_input.imshow(
            images[0], cmap="gray_r", vmin=0, vmax=images.max() or 1
        )
        _bare(self.axes_input)
        self.axes, self.artists = [], []
        for index in range(rows * columns):
            ax = figure.add_subplot(grid[index // columns, 2 + index % columns])
            self.artists.append(ax.imshow(np.zeros((2, 2)), cmap="viridis"))
            _bare(ax)
            self.axes.append(ax)
        self.image = FigureImage(figure)
        self.index.observe(self._redraw, names="value")
        self.layer_name.observe(self._redraw, names="value")
        super().__init__(
            [
                widgets.HBox([self.index, self.layer_name]),
                self.caption,
                self.image,
                self.error,
            ]
        )
        self._redraw()

    @shows_errors
    def _redraw(self, change=None):
        picture = self.images[self.index.value]
        self.maps = feature_maps(
            self.model, picture, self.layer_name.value, self._extractors
        )
        self.probabilities = np.asarray(
            self.model(prepare_images(picture[None]), training=False)
        )[0]
        self.input_artist.set_data(picture)
        height, width, channels = self.maps.shape
        for index, (ax, artist) in enumerate(zip(self.axes, self.artists, strict=True)):
            visible = index < channels
            ax.set_visible(visible)
            if visible:
                feature = self.maps[:, :, index]
                artist.set_data(feature)
                artist.set_extent((-0.5, width - 0.5, height - 0.5, -0.5))
                artist.set_clim(0, max(float(feature.max()), 1e-6))
        guess = int(np.argmax(self.probabilities))
        truth = (
            f", true label {int(self.labels[self.index.value])}"
            if self.labels is not None
            else ""
        )
        silent = int((self.maps.reshape(-1, channels).max(axis=0) <= 0).sum())
        self.axes_input.set_title(f"predicted {guess}{truth}", fontsize=9)
        self.caption.value = (
            f"<b>{self.layer_name.value}</b>: {channels} feature maps of "
            f"{height}x{width} (each scaled to its own maximum; yellow = strong); "
            f"{silent} of them are all zero for this image. The network predicts "
            f"<b>{guess}</b> ({self.probabilities[guess]:.1%}){truth}."
        )
        self.image.refresh()


# --------------------------------------------------------------------------------------
# MnistDashboard: the sketchpad and the activations of what was drawn, side by side
# --------------------------------------------------------------------------------------


class MnistDashboard(widgets.VBox):
    """Draw a digit (or pick a test digit) and see the probabilities and the activations.

    The activations shown are those of the 28x28 image the network actually sees.

    Example::

        (_, _), (x_test, y_test) = cl.data.load_mnist()
        cl.convnet_widgets.MnistDashboard(cl.models.pretrained("mnist_convnet"), x_test)
    """

    def __init__(self, model, images: np.ndarray):
        images = np.asarray(images)
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ValueError(f"images must be (N, 28, 28), got shape {images.shape}")
        self.images = images
        self.pad = DigitSketchpad(model)
        self.example = widgets.IntSlider(
            0,
            0,
            len(images) - 1,
            description="test digit",
            continuous_update=False,
        )
        self.viewer = ActivationViewer(model, np.zeros((1, 28, 28), dtype=np.float32))
        self.viewer.index.layout.display = "none"  # it shows the pad's one image
        self.error = self.pad.error
        self.pad.on_update.append(self._show_activations)
        self.example.observe(self._on_example, names="value")
        super().__init__(
            [
                widgets.HTML(
                    "Draw a digit in the black square, or put a test digit on it:"
                ),
                self.example,
                self.pad,
                self.viewer,
            ]
        )
        self._on_example()

    def _on_example(self, change=None):
        self.pad.strokes = []
        self.pad.show_digit(self.images[self.example.value])

    def _show_activations(self, pad):
        self.viewer.images = pad.image[None].astype(np.float32)
        self.viewer._redraw()
