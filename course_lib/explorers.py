"""Widgets for lectures 04-05: convolution, pooling and receptive fields, explored by hand.

Each widget keeps its pure computation in a function of this module (tested on its own)
and only draws in the widget:

- ``ConvolutionExplorer``: a photo or a digit, a 3x3 kernel (presets or typed in), stride
  and padding; pick one output pixel and see its window and the multiply-and-sum.
- ``PoolingExplorer``: max or average pooling of a feature map, any size and stride.
- ``ReceptiveFieldExplorer``: a stack of conv/pool layers, its output sizes, parameters
  and the receptive field drawn on the input.
"""

from __future__ import annotations

import functools
import html
import math
import re
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Rectangle

from course_lib.conv import conv2d, conv_params, padding_amounts, pool2d
from course_lib.viz import ErrorBanner, FigureImage, new_figure, shows_errors

# --------------------------------------------------------------------------------------
# Kernels and images
# --------------------------------------------------------------------------------------

KERNEL_PRESETS: dict[str, list[list[float]]] = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "vertical edge": [[1, 0, -1], [1, 0, -1], [1, 0, -1]],
    "horizontal edge": [[1, 1, 1], [0, 0, 0], [-1, -1, -1]],
    "sobel": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
    "blur": [[1 / 9] * 3] * 3,
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}
"""3x3 kernels to start from; ``sobel`` finds vertical edges, weighting the middle row."""

DIGIT = "MNIST digit"


def kernel_preset(name: str) -> np.ndarray:
    """The 3x3 kernel called ``name`` (a key of ``KERNEL_PRESETS``) as floats."""
    if name not in KERNEL_PRESETS:
        raise ValueError(
            f"unknown kernel {name!r}; known: {', '.join(sorted(KERNEL_PRESETS))}"
        )
    return np.array(KERNEL_PRESETS[name], dtype=float)


def parse_kernel(values) -> np.ndarray:
    """Nine numbers (a flat list or 3x3, numbers or numeric strings) as a 3x3 kernel.

    Raises ValueError naming the first entry that is not a finite number.
    """
    flat = list(np.asarray(values, dtype=object).ravel())
    if len(flat) != 9:
        raise ValueError(f"the kernel needs 9 values (3x3), got {len(flat)}")
    numbers = []
    for index, value in enumerate(flat):
        row, column = divmod(index, 3)
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            raise ValueError(
                f"kernel value at row {row + 1}, column {column + 1} is not a "
                f"finite number: {value!r}"
            )
        numbers.append(number)
    return np.array(numbers).reshape(3, 3)


@functools.lru_cache(maxsize=16)
def explorer_image(name: str, size: int = 512) -> np.ndarray:
    """A gray image for the explorers: a ``cl.data.sample_image`` photo or an MNIST digit.

    Photos are resized so that their longer side is ``size`` pixels; ``"MNIST digit"``
    is the first test digit (28x28). The array is read-only (it is cached).
    """
    if name == DIGIT:
        from course_lib.data import load_mnist

        _, (x_test, _) = load_mnist()
        image = x_test[0]
    else:
        from course_lib.data import sample_image

        image = sample_image(name, gray=True, size=size)
    image = np.array(image, dtype=np.uint8)
    image.flags.writeable = False
    return image


def image_names() -> list[str]:
    """The images the ConvolutionExplorer offers: the sample photos and an MNIST digit."""
    from course_lib.data import sample_image_names

    return [*sample_image_names(), DIGIT]


def display_gray(array: np.ndarray, max_side: int = 256) -> np.ndarray:
    """A (h, w, 4) RGBA uint8 picture of ``array`` for the screen, at most ``max_side`` wide.

    Large arrays are shrunk by averaging k x k blocks, and values are stretched from their
    minimum (black) to their maximum (white). Drawing ready-made RGB bytes is several
    times faster in matplotlib than colour-mapping and resampling a 512x512 float array.
    """
    height, width = array.shape
    k = -(-max(height, width) // max_side)  # ceil
    values = np.asarray(array, dtype=float)
    if k > 1:
        values = values[: height // k * k, : width // k * k]
        values = values.reshape(height // k, k, width // k, k).mean(axis=(1, 3))
    low, high = values.min(), values.max()
    rgba = np.full((*values.shape, 4), 255, dtype=np.uint8)
    rgba[:, :, :3] = ((values - low) * (255 / max(high - low, 1e-12)))[:, :, None]
    return rgba


class JpegFigureImage(FigureImage):
    """A ``FigureImage`` sent as JPEG: a photo encodes ~10x faster than as PNG."""

    def refresh(self) -> None:
        import io

        buffer = io.BytesIO()
        self.figure.canvas.print_jpg(buffer, pil_kwargs={"quality": 90})
        self.format = "jpeg"
        self.value = buffer.getvalue()


# --------------------------------------------------------------------------------------
# ConvolutionExplorer
# --------------------------------------------------------------------------------------


def explore_convolution(
    image: np.ndarray, kernel: np.ndarray, stride: int, padding: str | int
) -> np.ndarray:
    """``conv2d`` for the explorer, which also refuses a stride that leaves one pixel row.

    The output must be at least 2x2 to be a picture: a stride larger than the padded
    image minus the kernel is reported as too large.
    """
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)):
        raise ValueError(f"stride must be a whole number, got {stride!r}")
    if stride < 1:
        raise ValueError(f"stride must be 1 or more, got {stride}")
    kh, kw = kernel.shape
    top, bottom = padding_amounts(image.shape[0], kh, stride, padding)
    left, right = padding_amounts(image.shape[1], kw, stride, padding)
    largest = min(
        image.shape[0] + top + bottom - kh, image.shape[1] + left + right - kw
    )
    if stride > largest:
        raise ValueError(
            f"stride {stride} is too large for this {image.shape[0]}x{image.shape[1]} "
            f"image: the output would be a single row or column; use a stride from 1 "
            f"to {max(largest, 1)}"
        )
    return conv2d(image, kernel, stride=stride, padding=padding)


@dataclass
class PixelExplanation:
    """How one output pixel is computed: its input window, the products and their sum."""

    row: int
    column: int
    top: int  # input row of the window's first row (negative inside the padding)
    left: int
    window: np.ndarray  # the padded input under the kernel
    products: np.ndarray  # window * kernel
    value: float  # products.sum()

    def formula(self, kernel: np.ndarray) -> str:
        """The multiply-and-sum written out, e.g. ``0·1 + 0·0 + 5·(-1) + ... = 2``."""
        terms = [
            f"{_number(x)}·{_number(k) if k >= 0 else f'({_number(k)})'}"
            for x, k in zip(self.window.ravel(), kernel.ravel(), strict=True)
        ]
        return " + ".join(terms) + f" = {_number(self.value)}"


def _number(value: float) -> str:
    text = f"{float(value):.4g}"
    return "0" if text == "-0" else text


def explain_pixel(
    image: np.ndarray,
    kernel: np.ndarray,
    stride: int,
    padding: str | int,
    row: int,
    column: int,
) -> PixelExplanation:
    """The window of the (zero-padded) ``image`` behind output pixel (row, column)."""
    kh, kw = kernel.shape
    height, width = image.shape
    top_pad, bottom_pad = padding_amounts(height, kh, stride, padding)
    left_pad, right_pad = padding_amounts(width, kw, stride, padding)
    rows = (height + top_pad + bottom_pad - kh) // stride + 1
    columns = (width + left_pad + right_pad - kw) // stride + 1
    if not (0 <= row < rows and 0 <= column < columns):
        raise ValueError(
            f"pixel ({row}, {column}) is outside the {rows}x{columns} output"
        )
    top, left = row * stride - top_pad, column * stride - left_pad
    # Copy the part of the window that lies on the image; the rest stays 0 (padding).
    window = np.zeros((kh, kw))
    r0, r1 = max(top, 0), min(top + kh, height)
    c0, c1 = max(left, 0), min(left + kw, width)
    window[r0 - top : r1 - top, c0 - left : c1 - left] = image[r0:r1, c0:c1]
    products = window * kernel
    return PixelExplanation(
        row=row,
        column=column,
        top=top,
        left=left,
        window=window,
        products=products,
        value=float(products.sum()),
    )


def _html_grid(values: np.ndarray, title: str) -> str:
    cells = "".join(
        "<tr>"
        + "".join(
            f'<td style="border:1px solid #999;padding:2px 6px;text-align:right">'
            f"{_number(v)}</td>"
            for v in row
        )
        + "</tr>"
        for row in values
    )
    return (
        f'<div style="display:inline-block;margin-right:16px;vertical-align:top">'
        f"<b>{html.escape(title)}</b>"
        f'<table style="border-collapse:collapse">{cells}</table></div>'
    )


class ConvolutionExplorer(widgets.VBox):
    """Convolve a real photo (or a digit) with a 3x3 kernel and see how one pixel is made.

    Controls: ``image``, ``preset``, the nine ``kernel_cells`` (FloatText, row by row),
    ``stride``, ``padding``, and the output pixel ``row`` / ``column``.
    State: ``kernel``, ``picture`` (the gray input), ``result`` (the output) and
    ``explanation`` (a ``PixelExplanation`` of the chosen pixel).

    Example::

        explorer = cl.explorers.ConvolutionExplorer("camera", kernel="sobel")
        explorer.stride.value = 2
    """

    def __init__(
        self,
        image: str = "camera",
        kernel: str = "vertical edge",
        stride: int = 1,
        padding: str | int = "valid",
        size: int = 512,
    ):
        self.size = size
        self.image = widgets.Dropdown(
            options=image_names(), value=image, description="image"
        )
        self.preset = widgets.Dropdown(
            options=[*KERNEL_PRESETS, "custom"], value=kernel, description="kernel"
        )
        self.stride = widgets.IntText(value=stride, description="stride")
        self.padding = widgets.Dropdown(
            options=[
                ("valid", "valid"),
                ("same", "same"),
                ("1", 1),
                ("2", 2),
                ("5", 5),
            ],
            value=padding,
            description="padding",
        )
        self.kernel_cells = [
            widgets.FloatText(value=0.0, layout=widgets.Layout(width="70px"))
            for _ in range(9)
        ]
        self.row = widgets.IntSlider(0, 0, 1, description="output row")
        self.column = widgets.IntSlider(0, 0, 1, description="output col")
        for control in (self.stride, self.row, self.column):
            control.continuous_update = False
        self.error = ErrorBanner()
        self.sum_text = widgets.HTML()
        self.kernel = kernel_preset(kernel)
        self.picture = explorer_image(image, size)
        self.result = np.zeros((1, 1))
        self.explanation: PixelExplanation | None = None
        self._quiet = False  # True while the code itself sets controls

        figure = new_figure(9.6, 3.4)
        self.axes_input, self.axes_kernel, self.axes_output = figure.subplots(
            1, 3, gridspec_kw={"width_ratios": [4, 2, 4]}
        )
        self.input_artist = self.axes_input.imshow(
            display_gray(self.picture), interpolation="nearest"
        )
        self.kernel_artist = self.axes_kernel.imshow(
            self.kernel, cmap="RdBu", vmin=-1, vmax=1
        )
        self.kernel_texts = [
            self.axes_kernel.text(c, r, "", ha="center", va="center", fontsize=11)
            for r in range(3)
            for c in range(3)
        ]
        self.output_artist = self.axes_output.imshow(
            display_gray(self.result), interpolation="nearest"
        )
        self.window_box = Rectangle((0, 0), 3, 3, fill=False, color="red", lw=1.5)
        self.axes_input.add_patch(self.window_box)
        (self.input_marker,) = self.axes_input.plot(
            [], [], "o", mfc="none", mec="red", ms=14
        )
        (self.output_marker,) = self.axes_output.plot(
            [], [], "o", mfc="none", mec="red", ms=14
        )
        # Labels as plain text, no ticks and no axes: titles and tick labels cost more
        # to place than everything else together, so the sizes go into the HTML caption.
        for axes, label in (
            (self.axes_input, "input"),
            (self.axes_kernel, "kernel"),
            (self.axes_output, "output"),
        ):
            axes.text(0.5, 1.02, label, transform=axes.transAxes, ha="center")
            axes.set_xticks([])
            axes.set_yticks([])
            axes.set_axis_off()
        self.caption = widgets.HTML()
        self.figure_image = JpegFigureImage(figure)
        self._figure = figure

        self.image.observe(self._on_image, names="value")
        self.preset.observe(self._on_preset, names="value")
        for cell in self.kernel_cells:
            cell.observe(self._on_cell, names="value")
        for control in (self.stride, self.padding):
            control.observe(self._recompute, names="value")
        for control in (self.row, self.column):
            control.observe(self._on_pixel, names="value")

        grid = widgets.GridBox(
            self.kernel_cells,
            layout=widgets.Layout(grid_template_columns="repeat(3, 74px)"),
        )
        super().__init__(
            [
                widgets.HBox([self.image, self.preset]),
                widgets.HBox([self.stride, self.padding]),
                widgets.HBox(
                    [
                        widgets.VBox([widgets.HTML("<b>kernel (editable)</b>"), grid]),
                        widgets.VBox([self.row, self.column]),
                    ]
                ),
                self.caption,
                self.figure_image,
                self.sum_text,
                self.error,
            ]
        )
        self._set_cells(self.kernel)
        self._on_image()
        # Lay the figure out once; redraws then skip the (slow) constrained layout.
        figure.set_layout_engine("none")

    # -- callbacks ------------------------------------------------------------------

    def _set_cells(self, kernel: np.ndarray) -> None:
        self._quiet = True
        try:
            for cell, value in zip(self.kernel_cells, kernel.ravel(), strict=True):
                cell.value = float(value)
        finally:
            self._quiet = False

    @shows_errors
    def _on_image(self, change=None):
        self.picture = explorer_image(self.image.value, self.size)
        self._picture32 = self.picture.astype(np.float32)
        self.input_artist.set_data(display_gray(self.picture))
        self.input_artist.set_extent(_extent(self.picture.shape))
        self.axes_input.set_xlim(-0.5, self.picture.shape[1] - 0.5)
        self.axes_input.set_ylim(self.picture.shape[0] - 0.5, -0.5)
        self._recompute()

    @shows_errors
    def _on_preset(self, change=None):
        if self._quiet or self.preset.value == "custom":
            return
        self._set_cells(kernel_preset(self.preset.value))
        self._recompute()

    def _on_cell(self, change=None):
        if self._quiet:
            return
        matching = [
            name
            for name in KERNEL_PRESETS
            if np.allclose(
                kernel_preset(name).ravel(), [c.value for c in self.kernel_cells]
            )
        ]
        self._quiet = True
        try:
            self.preset.value = matching[0] if matching else "custom"
        finally:
            self._quiet = False
        self._recompute()

    @shows_errors
    def _recompute(self, change=None):
        if self._quiet:
            return
        self.kernel = parse_kernel([cell.value for cell in self.kernel_cells])
        # float32 halves the memory traffic: the explorer stays interactive at 512x512.
        self.result = explore_convolution(
            self._picture32,
            self.kernel.astype(np.float32),
            self.stride.value,
            self.padding.value,
        )
        rows, columns = self.result.shape
        self._quiet = True
        try:
            self.row.max, self.column.max = rows - 1, columns - 1
        finally:
            self._quiet = False
        self.output_artist.set_data(display_gray(self.result))
        self.output_artist.set_extent(_extent(self.result.shape))
        self.axes_output.set_xlim(-0.5, columns - 0.5)
        self.axes_output.set_ylim(rows - 0.5, -0.5)
        self.caption.value = (
            f"<b>input</b> {self.picture.shape[0]}x{self.picture.shape[1]} "
            f"&rarr; <b>output</b> {rows}x{columns} (3x3 kernel, stride "
            f"{self.stride.value}, padding {self.padding.value}); output values from "
            f"{_number(self.result.min())} (black) to {_number(self.result.max())} "
            "(white)"
        )
        limit = max(np.abs(self.kernel).max(), 1e-9)
        self.kernel_artist.set_data(self.kernel)
        self.kernel_artist.set_clim(-limit, limit)
        for text, value in zip(self.kernel_texts, self.kernel.ravel(), strict=True):
            text.set_text(_number(value))
            text.set_color("white" if abs(value) > 0.6 * limit else "black")
        self._show_pixel()

    @shows_errors
    def _on_pixel(self, change=None):
        if self._quiet:
            return
        self._show_pixel()

    def _show_pixel(self) -> None:
        self.explanation = explain_pixel(
            self.picture,
            self.kernel,
            self.stride.value,
            self.padding.value,
            self.row.value,
            self.column.value,
        )
        e = self.explanation
        self.window_box.set_xy((e.left - 0.5, e.top - 0.5))
        self.input_marker.set_data([e.left + 1], [e.top + 1])
        self.output_marker.set_data([e.column], [e.row])
        self.figure_image.refresh()
        self.sum_text.value = (
            f"<p>Output pixel (row {e.row}, column {e.column}) comes from the input "
            f"window whose top-left corner is at row {e.top}, column {e.left} "
            f"(zeros outside the image are padding):</p>"
            + _html_grid(e.window, "input window")
            + _html_grid(self.kernel, "kernel")
            + f"<p><code>{html.escape(e.formula(self.kernel))}</code></p>"
        )


def _extent(shape) -> tuple[float, float, float, float]:
    return (-0.5, shape[1] - 0.5, shape[0] - 0.5, -0.5)


# --------------------------------------------------------------------------------------
# PoolingExplorer
# --------------------------------------------------------------------------------------

SLIDE_FEATURE_MAP = np.array(
    [[2, 7, 4, -7], [13, 17, -3, -6], [13, 14, -5, -5], [12, 8, -5, -1]]
)
"""The 4x4 map the slides pool (002): the 6x6 example image after a vertical-edge kernel."""


def edge_feature_map(name: str = "camera", size: int = 64) -> np.ndarray:
    """A real feature map: the Sobel response of a gray photo, negatives set to 0 (ReLU)."""
    picture = explorer_image(name, size).astype(float) / 255
    return np.maximum(conv2d(picture, kernel_preset("sobel"), padding="same"), 0)


def pool_feature_map(
    feature_map: np.ndarray, size: int, stride: int, mode: str
) -> np.ndarray:
    """``pool2d`` with a message that speaks of the feature map when the window is too big."""
    height, width = feature_map.shape[:2]
    if isinstance(size, (int, np.integer)) and size > min(height, width):
        raise ValueError(
            f"a {size}x{size} window does not fit in the {height}x{width} feature map; "
            f"use a size from 1 to {min(height, width)}"
        )
    return pool2d(feature_map, size=size, stride=stride, mode=mode)


class PoolingExplorer(widgets.VBox):
    """Max or average pooling of a feature map, with the window size and stride to choose.

    Controls: ``feature``, ``mode``, ``size``, ``stride``. State: ``feature_map`` and
    ``result``. Small maps (up to 8x8) show their numbers.
    """

    FEATURES = ("slide map 4x4", "camera edges 64x64", "coins edges 64x64")

    def __init__(self, feature: str = "slide map 4x4", mode: str = "max"):
        self.feature = widgets.Dropdown(
            options=self.FEATURES, value=feature, description="feature map"
        )
        self.mode = widgets.ToggleButtons(options=["max", "avg"], value=mode)
        self.size = widgets.IntSlider(2, 1, 8, description="size")
        self.stride = widgets.IntSlider(2, 1, 8, description="stride")
        self.error = ErrorBanner()
        self.caption = widgets.HTML()
        self.feature_map = SLIDE_FEATURE_MAP
        self.result = pool2d(self.feature_map, 2)
        figure = new_figure(7.2, 3.4)
        self.axes_input, self.axes_output = figure.subplots(1, 2)
        self.input_artist = self.axes_input.imshow(self.feature_map, cmap="viridis")
        self.output_artist = self.axes_output.imshow(self.result, cmap="viridis")
        for axes in (self.axes_input, self.axes_output):
            axes.set_xticks([])
            axes.set_yticks([])
        self.texts: list = []
        self.window_box = Rectangle((0, 0), 2, 2, fill=False, color="red", lw=2)
        self.axes_input.add_patch(self.window_box)
        self.figure_image = FigureImage(figure)
        self.feature.observe(self._on_feature, names="value")
        for control in (self.mode, self.size, self.stride):
            control.observe(self._redraw, names="value")
        super().__init__(
            [
                widgets.HBox([self.feature, self.mode]),
                widgets.HBox([self.size, self.stride]),
                self.figure_image,
                self.caption,
                self.error,
            ]
        )
        self._on_feature()

    @shows_errors
    def _on_feature(self, change=None):
        name = self.feature.value
        if name == "slide map 4x4":
            self.feature_map = SLIDE_FEATURE_MAP
        else:
            self.feature_map = edge_feature_map(name.split()[0], 64)
        self.input_artist.set_data(self.feature_map)
        self.input_artist.set_extent(_extent(self.feature_map.shape))
        self.input_artist.set_clim(self.feature_map.min(), self.feature_map.max())
        self._redraw()

    @shows_errors
    def _redraw(self, change=None):
        self.result = pool_feature_map(
            self.feature_map, self.size.value, self.stride.value, self.mode.value
        )
        self.output_artist.set_data(self.result)
        self.output_artist.set_extent(_extent(self.result.shape))
        self.output_artist.set_clim(self.feature_map.min(), self.feature_map.max())
        for text in self.texts:
            text.remove()
        self.texts = []
        low, high = self.feature_map.min(), self.feature_map.max()
        middle = (low + high) / 2
        for axes, values in (
            (self.axes_input, self.feature_map),
            (self.axes_output, self.result),
        ):
            if max(values.shape) <= 8:
                for (r, c), value in np.ndenumerate(values):
                    color = (
                        "black" if value > middle else "white"
                    )  # readable on viridis
                    self.texts.append(
                        axes.text(
                            c, r, _number(value), ha="center", va="center", color=color
                        )
                    )
        self.window_box.set_bounds(-0.5, -0.5, self.size.value, self.size.value)
        h, w = self.feature_map.shape
        rows, columns = self.result.shape
        self.axes_input.set_title(f"feature map {h}x{w}")
        self.axes_output.set_title(
            f"{self.mode.value} pool {self.size.value}x{self.size.value}, "
            f"stride {self.stride.value}: {rows}x{columns}"
        )
        self.figure_image.refresh()
        self.caption.value = (
            f"{h}x{w} = {h * w} numbers become {rows}x{columns} = {rows * columns} "
            f"({rows * columns / (h * w):.0%}); the red square is the first window. "
            "Pooling has no weights to learn."
        )


# --------------------------------------------------------------------------------------
# ReceptiveFieldExplorer
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    """One layer of a stack: ``kind`` is "conv" or "pool"."""

    kind: str
    size: int
    stride: int

    @property
    def name(self) -> str:
        default = 1 if self.kind == "conv" else self.size
        suffix = "" if self.stride == default else f"s{self.stride}"
        return f"{self.kind}{self.size}{suffix}"


_LAYER_PATTERN = re.compile(r"^(conv|pool)(\d+)(?:s(\d+))?$")


def parse_layers(text: str) -> list[Layer]:
    """Read a stack like ``"conv3, conv3, pool2"``: ``conv<k>`` (stride 1),
    ``pool<k>`` (stride k), and ``s<n>`` after either for another stride (``conv7s2``)."""
    tokens = [t.strip().lower() for t in text.replace(";", ",").split(",") if t.strip()]
    if not tokens:
        raise ValueError('layers: write at least one layer, e.g. "conv3, conv3, pool2"')
    layers = []
    for token in tokens:
        match = _LAYER_PATTERN.match(token.replace(" ", ""))
        if not match or int(match.group(2)) < 1 or match.group(3) == "0":
            raise ValueError(
                f"layers: cannot read {token!r}; write conv<k>, pool<k> or add s<stride>, "
                'e.g. "conv3, conv7s2, pool2"'
            )
        kind, size = match.group(1), int(match.group(2))
        default = 1 if kind == "conv" else size
        stride = int(match.group(3)) if match.group(3) else default
        layers.append(Layer(kind, size, stride))
    return layers


def describe_stack(
    layers: list[Layer],
    input_size: int = 32,
    in_channels: int = 3,
    filters: int = 64,
    padding: str = "same",
    bias: bool = False,
) -> list[dict]:
    """Per layer: output size, channels, weights, receptive field and its input window.

    Convolutions have ``filters`` output channels and use ``padding``; pooling uses no
    padding. ``window`` is (first, last) input row (or column) seen by the centre pixel
    of that layer's output; it may reach into the padding (below 0 or past the input).
    """
    if padding not in ("same", "valid"):
        raise ValueError(f'padding must be "same" or "valid", got {padding!r}')
    rows = []
    size, channels, field, jump = input_size, in_channels, 1, 1
    pads_and_strides = []  # (pad before, stride, kernel) for every layer so far
    for index, layer in enumerate(layers):
        pad = padding if layer.kind == "conv" else "valid"
        before, after = padding_amounts(size, layer.size, layer.stride, pad)
        if layer.size > size + before + after:
            raise ValueError(
                f"layer {index + 1} ({layer.name}) gets a {size}x{size} input, smaller "
                f"than its {layer.size}x{layer.size} window; use fewer layers, "
                '"same" padding or a larger input'
            )
        size = (size + before + after - layer.size) // layer.stride + 1
        weights = 0
        if layer.kind == "conv":
            weights = conv_params(layer.size, layer.size, channels, filters, bias)
            channels = filters
        field += (layer.size - 1) * jump
        jump *= layer.stride
        pads_and_strides.append((before, layer.stride, layer.size))
        first = last = (size - 1) // 2  # the centre pixel of this layer's output
        for before_l, stride_l, kernel_l in reversed(pads_and_strides):
            first, last = (
                first * stride_l - before_l,
                last * stride_l - before_l + kernel_l - 1,
            )
        rows.append(
            {
                "layer": layer.name,
                "output": (size, size, channels),
                "weights": weights,
                "receptive_field": field,
                "window": (first, last),
            }
        )
    return rows


class ReceptiveFieldExplorer(widgets.VBox):
    """A stack of conv/pool layers: output sizes, weights per layer, and receptive fields.

    Controls: ``preset``, ``layers`` (text such as ``"conv3, conv3, conv3"``),
    ``input_size``, ``in_channels``, ``filters``, ``padding``, ``bias``.
    State: ``rows`` (``describe_stack``'s answer) and ``total_weights``.
    """

    PRESETS = {
        "three 3x3 convs": "conv3, conv3, conv3",
        "one 7x7 conv": "conv7",
        "two 3x3 convs": "conv3, conv3",
        "VGG block": "conv3, conv3, pool2",
        "LeNet-like": "conv5, pool2, conv5, pool2",
        "strided start": "conv7s2, pool3s2, conv3",
    }

    def __init__(self, layers: str = "conv3, conv3, conv3", input_size: int = 32):
        self.preset = widgets.Dropdown(
            options=[*self.PRESETS, "custom"],
            value=next((k for k, v in self.PRESETS.items() if v == layers), "custom"),
            description="preset",
        )
        self.layers = widgets.Text(
            value=layers, description="layers", continuous_update=False
        )
        self.input_size = widgets.IntSlider(
            input_size, 8, 128, description="input size", continuous_update=False
        )
        self.in_channels = widgets.BoundedIntText(3, 1, 512, description="channels C")
        self.filters = widgets.BoundedIntText(64, 1, 1024, description="filters K")
        self.padding = widgets.Dropdown(
            options=["same", "valid"], value="same", description="conv padding"
        )
        self.bias = widgets.Checkbox(value=False, description="count biases")
        self.error = ErrorBanner()
        self.table = widgets.HTML()
        self.rows: list[dict] = []
        self.total_weights = 0
        self.picture = explorer_image("camera", 128)
        figure = new_figure(4.2, 4.2)
        self.axes = figure.subplots()
        self.picture_artist = self.axes.imshow(self.picture, cmap="gray")
        self.boxes: list = []
        self.figure_image = FigureImage(figure)
        self.preset.observe(self._on_preset, names="value")
        for control in (
            self.layers,
            self.input_size,
            self.in_channels,
            self.filters,
            self.padding,
            self.bias,
        ):
            control.observe(self._redraw, names="value")
        super().__init__(
            [
                widgets.HBox([self.preset, self.layers]),
                widgets.HBox([self.input_size, self.padding, self.bias]),
                widgets.HBox([self.in_channels, self.filters]),
                widgets.HBox([self.figure_image, self.table]),
                self.error,
            ]
        )
        self._redraw()

    @shows_errors
    def _on_preset(self, change=None):
        if self.preset.value != "custom":
            self.layers.value = self.PRESETS[self.preset.value]

    @shows_errors
    def _redraw(self, change=None):
        layers = parse_layers(self.layers.value)
        self.preset.value = next(
            (k for k, v in self.PRESETS.items() if v == self.layers.value), "custom"
        )
        self.rows = describe_stack(
            layers,
            self.input_size.value,
            self.in_channels.value,
            self.filters.value,
            self.padding.value,
            self.bias.value,
        )
        self.total_weights = sum(row["weights"] for row in self.rows)
        size = self.input_size.value
        from skimage.transform import resize

        shown = resize(self.picture, (size, size), anti_aliasing=True)
        self.picture_artist.set_data(shown)
        self.picture_artist.set_extent(_extent(shown.shape))
        self.picture_artist.set_clim(0, 1)
        for box in self.boxes:
            box.remove()
        self.boxes = []
        colors = ["tab:red", "tab:orange", "gold", "tab:green", "tab:cyan", "tab:blue"]
        for index, row in enumerate(self.rows):
            first, last = row["window"]
            box = Rectangle(
                (first - 0.5, first - 0.5),
                last - first + 1,
                last - first + 1,
                fill=False,
                lw=2,
                color=colors[index % len(colors)],
                label=f"after {row['layer']}: {row['receptive_field']}px",
            )
            self.axes.add_patch(box)
            self.boxes.append(box)
        self.axes.set_xlim(-0.5 - size * 0.1, size - 0.5 + size * 0.1)
        self.axes.set_ylim(size - 0.5 + size * 0.1, -0.5 - size * 0.1)
        self.axes.set_title(
            f"input {size}x{size}: receptive fields of the centre pixel"
        )
        self.axes.legend(handles=self.boxes, loc="lower left", fontsize=7)
        self.figure_image.refresh()
        header = "".join(
            f"<th style='padding:2px 8px'>{h}</th>"
            for h in ("layer", "output", "weights", "receptive field")
        )
        body = "".join(
            "<tr>"
            f"<td>{row['layer']}</td>"
            f"<td>{'x'.join(map(str, row['output']))}</td>"
            f"<td style='text-align:right'>{row['weights']:,}</td>"
            f"<td style='text-align:right'>{row['receptive_field']}x{row['receptive_field']}</td>"
            "</tr>"
            for row in self.rows
        )
        self.table.value = (
            f"<table><tr>{header}</tr>{body}"
            f"<tr><td><b>total</b></td><td></td>"
            f"<td style='text-align:right'><b>{self.total_weights:,}</b></td>"
            "<td></td></tr></table>"
        )
