"""Widgets of lectures 04-05: convolution, pooling and receptive fields, explored by hand.

- ``ConvolutionExplorer``: a photo or a digit, a 3x3 kernel (presets or typed in), stride
  and padding; pick one output pixel and see its window and the multiply-and-sum.
- ``PoolingExplorer``: max or average pooling of a feature map, any size and stride.
- ``ReceptiveFieldExplorer``: a stack of conv/pool layers, its output sizes, parameters
  and the receptive field drawn on the input.

The arithmetic lives in ``cl.conv`` and ``cl.stacks``; these classes only draw it.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Rectangle

from course_lib.conv import (
    KERNEL_PRESETS,
    SLIDE_FEATURE_MAP,
    display_gray,
    edge_feature_map,
    explain_pixel,
    explore_convolution,
    format_number,
    gray_image,
    gray_image_names,
    kernel_preset,
    parse_kernel,
    pool_feature_map,
    preset_name,
)
from course_lib.core import Choice, Int, Text, checked, choose
from course_lib.stacks import parse_layers, trace_stack
from course_lib.widgets.base import CourseWidget, new_figure


def _extent(shape) -> tuple[float, float, float, float]:
    """imshow's extent that puts pixel (row, column) at (x=column, y=row)."""
    return (-0.5, shape[1] - 0.5, shape[0] - 0.5, -0.5)


def _html_grid(values: np.ndarray, title: str) -> str:
    cells = "".join(
        "<tr>"
        + "".join(
            '<td style="border:1px solid #999;padding:2px 6px;text-align:right">'
            f"{format_number(v)}</td>"
            for v in row
        )
        + "</tr>"
        for row in values
    )
    return (
        '<div style="display:inline-block;margin-right:16px;vertical-align:top">'
        f"<b>{html.escape(title)}</b>"
        f'<table style="border-collapse:collapse">{cells}</table></div>'
    )


# --------------------------------------------------------------------------------------
# ConvolutionExplorer
# --------------------------------------------------------------------------------------


class ConvolutionExplorer(CourseWidget):
    """Convolve a real photo (or a digit) with a 3x3 kernel and see how one pixel is made.

    Controls: ``photo``, ``preset``, the nine ``kernel_cells`` (FloatText, row by row),
    ``stride``, ``padding``, and the output pixel ``row`` / ``column``.
    State: ``kernel``, ``picture`` (the gray input), ``result`` (the output) and
    ``explanation`` (a ``cl.conv.PixelExplanation`` of the chosen pixel).
    ``size`` is the photo's longer side in pixels (8 to 1024; the digit is 28x28).

    Example::

        explorer = cl.widgets.ConvolutionExplorer("camera", kernel="sobel")
        explorer.stride.value = 2
    """

    PADDINGS = ("valid", "same", 1, 2, 5)
    MAX_SIZE = 1024

    @checked(
        photo=Text(max_length=100),
        kernel=Choice(*KERNEL_PRESETS),
        stride=Int(1, 1024),
        padding=Choice(*PADDINGS),
        size=Int(8, MAX_SIZE),
    )
    def __init__(
        self,
        photo: str = "camera",
        kernel: str = "vertical edge",
        stride: int = 1,
        padding: str | int = "valid",
        size: int = 512,
    ):
        super().__init__()
        names = gray_image_names()
        photo = choose(photo, names, "photo")
        self.size = size
        self.photo = widgets.Dropdown(options=names, value=photo, description="photo")
        self.preset = widgets.Dropdown(
            options=[*KERNEL_PRESETS, "custom"], value=kernel, description="kernel"
        )
        self.stride = widgets.IntText(
            value=int(stride), description="stride", continuous_update=False
        )
        self.padding = widgets.Dropdown(
            options=[(str(p), p) for p in self.PADDINGS],
            value=padding,
            description="padding",
        )
        self.kernel = kernel_preset(kernel)
        self.kernel_cells = [
            widgets.FloatText(
                value=float(value),
                continuous_update=False,
                layout=widgets.Layout(width="70px"),
            )
            for value in self.kernel.ravel()
        ]
        self.row = widgets.IntSlider(
            0, 0, 1, description="output row", continuous_update=False
        )
        self.column = widgets.IntSlider(
            0, 0, 1, description="output col", continuous_update=False
        )
        self.sum_text = widgets.HTML()
        self.picture = gray_image(photo, self.size)
        self.result = np.zeros((2, 2))
        self.explanation = None
        # Caches of the costly steps, keyed by the settings they come from.
        self._picture_key = None
        self._picture32 = None
        self._result_key = None

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
            axes.set_axis_off()
        self.use_figure(figure, jpeg=True)

        self.watch(self._on_preset, preset=self.preset)
        cells = {
            f"kernel_{i // 3}{i % 3}": cell for i, cell in enumerate(self.kernel_cells)
        }
        self.watch(self._on_cell, **cells)
        self.watch(
            photo=self.photo,
            stride=self.stride,
            padding=self.padding,
            row=self.row,
            column=self.column,
        )
        grid = widgets.GridBox(
            self.kernel_cells,
            layout=widgets.Layout(grid_template_columns="repeat(3, 74px)"),
        )
        self.children = [
            widgets.HBox([self.photo, self.preset]),
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
        self.update()
        # Lay the figure out once; redraws then skip the (slow) constrained layout.
        figure.set_layout_engine("none")

    def _on_preset(self, change=None):
        if self.preset.value != "custom":
            values = kernel_preset(self.preset.value).ravel()
            for cell, value in zip(self.kernel_cells, values, strict=True):
                cell.value = float(value)

    def _on_cell(self, change=None):
        values = np.array([cell.value for cell in self.kernel_cells], dtype=float)
        self.preset.value = preset_name(values.reshape(3, 3)) or "custom"

    def _render(self):
        photo, stride, padding = self.photo.value, self.stride.value, self.padding.value
        self.picture = gray_image(photo, self.size)
        if self._picture_key != (photo, self.size):
            # float32 halves the memory traffic: the explorer stays quick at 512x512.
            self._picture32 = self.picture.astype(np.float32)
            self.input_artist.set_data(display_gray(self.picture))
            self.input_artist.set_extent(_extent(self.picture.shape))
            self.axes_input.set_xlim(-0.5, self.picture.shape[1] - 0.5)
            self.axes_input.set_ylim(self.picture.shape[0] - 0.5, -0.5)
            self._picture_key = (photo, self.size)
        self.kernel = parse_kernel([cell.value for cell in self.kernel_cells])
        key = (self._picture_key, self.kernel.tobytes(), stride, padding)
        if self._result_key != key:
            self.result = explore_convolution(
                self._picture32, self.kernel.astype(np.float32), stride, padding
            )
            rows, columns = self.result.shape
            self.output_artist.set_data(display_gray(self.result))
            self.output_artist.set_extent(_extent(self.result.shape))
            self.axes_output.set_xlim(-0.5, columns - 0.5)
            self.axes_output.set_ylim(rows - 0.5, -0.5)
            self._result_key = key
        rows, columns = self.result.shape
        # The pixel sliders follow the output (a value past the new end moves to it).
        self.row.max, self.column.max = rows - 1, columns - 1
        self.explanation = e = explain_pixel(
            self.picture,
            self.kernel,
            stride,
            padding,
            self.row.value,
            self.column.value,
        )
        self.window_box.set_xy((e.left - 0.5, e.top - 0.5))
        self.input_marker.set_data([e.left + 1], [e.top + 1])
        self.output_marker.set_data([e.column], [e.row])
        limit = max(np.abs(self.kernel).max(), 1e-9)
        self.kernel_artist.set_data(self.kernel)
        self.kernel_artist.set_clim(-limit, limit)
        for text, value in zip(self.kernel_texts, self.kernel.ravel(), strict=True):
            text.set_text(format_number(value))
            text.set_color("white" if abs(value) > 0.6 * limit else "black")
        self.caption.value = (
            f"<b>input</b> {self.picture.shape[0]}x{self.picture.shape[1]} "
            f"&rarr; <b>output</b> {rows}x{columns} (3x3 kernel, stride {stride}, "
            f"padding {padding}); output values from "
            f"{format_number(self.result.min())} (black) to "
            f"{format_number(self.result.max())} (white)"
        )
        self.sum_text.value = (
            f"<p>Output pixel (row {e.row}, column {e.column}) comes from the input "
            f"window whose top-left corner is at row {e.top}, column {e.left} "
            "(zeros outside the image are padding):</p>"
            + _html_grid(e.window, "input window")
            + _html_grid(self.kernel, "kernel")
            + f"<p><code>{html.escape(e.formula(self.kernel))}</code></p>"
        )


# --------------------------------------------------------------------------------------
# PoolingExplorer
# --------------------------------------------------------------------------------------


class PoolingExplorer(CourseWidget):
    """Max or average pooling of a feature map, with the window size and stride to choose.

    Controls: ``feature``, ``mode``, ``size``, ``stride`` (their ends follow the feature
    map: every window fits). State: ``feature_map`` and ``result``. Small maps (up to
    8x8) show their numbers.

    Example::

        cl.widgets.PoolingExplorer("camera edges 64x64", mode="avg")
    """

    FEATURES = ("slide map 4x4", "camera edges 64x64", "coins edges 50x64")
    MODES = ("max", "avg")
    NUMBERS_UP_TO = 8  # maps up to 8x8 print their numbers

    @checked(feature=Choice(*FEATURES), mode=Choice(*MODES))
    def __init__(self, feature: str = "slide map 4x4", mode: str = "max"):
        super().__init__()
        self.feature = widgets.Dropdown(
            options=self.FEATURES, value=feature, description="feature map"
        )
        self.mode = widgets.ToggleButtons(options=self.MODES, value=mode)
        self.size = widgets.IntSlider(
            2, 1, 4, description="size", continuous_update=False
        )
        self.stride = widgets.IntSlider(
            2, 1, 4, description="stride", continuous_update=False
        )
        self._feature_maps: dict[str, np.ndarray] = {}
        self.feature_map = SLIDE_FEATURE_MAP
        self.result = np.zeros((2, 2))
        figure = new_figure(7.2, 3.4)
        self.axes_input, self.axes_output = figure.subplots(1, 2)
        self.input_artist = self.axes_input.imshow(self.feature_map, cmap="viridis")
        self.output_artist = self.axes_output.imshow(self.result, cmap="viridis")
        side = self.NUMBERS_UP_TO
        self.input_texts, self.output_texts = (
            [
                axes.text(c, r, "", ha="center", va="center", visible=False)
                for r in range(side)
                for c in range(side)
            ]
            for axes in (self.axes_input, self.axes_output)
        )
        for axes in (self.axes_input, self.axes_output):
            axes.set_xticks([])
            axes.set_yticks([])
        self.input_title = self.axes_input.set_title("")
        self.output_title = self.axes_output.set_title("")
        self.window_box = Rectangle((0, 0), 2, 2, fill=False, color="red", lw=2)
        self.axes_input.add_patch(self.window_box)
        self.use_figure(figure)
        self.watch(self._on_feature, feature=self.feature)
        self.watch(mode=self.mode, size=self.size, stride=self.stride)
        self.children = [
            widgets.HBox([self.feature, self.mode]),
            widgets.HBox([self.size, self.stride]),
            self.figure_image,
            self.caption,
            self.error,
        ]
        self.update(self._on_feature)
        # Lay the figure out once; redraws then skip the (slow) constrained layout.
        figure.set_layout_engine("none")

    @property
    def texts(self) -> list:
        """The numbers printed on the two maps (the visible ones)."""
        return [t for t in self.input_texts + self.output_texts if t.get_visible()]

    def _feature_map_of(self, name: str) -> np.ndarray:
        if name not in self._feature_maps:
            self._feature_maps[name] = (
                SLIDE_FEATURE_MAP
                if name == "slide map 4x4"
                else edge_feature_map(name.split()[0], 64)
            )
        return self._feature_maps[name]

    def _on_feature(self, change=None):
        # Every window size and stride on the sliders fits the chosen map.
        side = min(self._feature_map_of(self.feature.value).shape)
        self.size.max = self.stride.max = side

    def _show_numbers(self, texts: list, values: np.ndarray, middle: float) -> None:
        height, width = values.shape
        small = max(height, width) <= self.NUMBERS_UP_TO
        for index, text in enumerate(texts):
            r, c = divmod(index, self.NUMBERS_UP_TO)
            visible = small and r < height and c < width
            text.set_visible(visible)
            if visible:
                text.set_text(format_number(values[r, c]))
                # readable on viridis: dark numbers on the bright half
                text.set_color("black" if values[r, c] > middle else "white")

    def _render(self):
        self.feature_map = self._feature_map_of(self.feature.value)
        size, stride, mode = self.size.value, self.stride.value, self.mode.value
        self.result = pool_feature_map(self.feature_map, size, stride, mode)
        low, high = self.feature_map.min(), self.feature_map.max()
        for artist, values in (
            (self.input_artist, self.feature_map),
            (self.output_artist, self.result),
        ):
            artist.set_data(values)
            artist.set_extent(_extent(values.shape))
            artist.set_clim(low, high)
        self._show_numbers(self.input_texts, self.feature_map, (low + high) / 2)
        self._show_numbers(self.output_texts, self.result, (low + high) / 2)
        self.window_box.set_bounds(-0.5, -0.5, size, size)
        h, w = self.feature_map.shape
        rows, columns = self.result.shape
        self.input_title.set_text(f"feature map {h}x{w}")
        self.output_title.set_text(
            f"{mode} pool {size}x{size}, stride {stride}: {rows}x{columns}"
        )
        self.caption.value = (
            f"{h}x{w} = {h * w} numbers become {rows}x{columns} = {rows * columns} "
            f"({rows * columns / (h * w):.0%}); the red square is the first window. "
            "Pooling has no weights to learn."
        )


# --------------------------------------------------------------------------------------
# ReceptiveFieldExplorer
# --------------------------------------------------------------------------------------


class ReceptiveFieldExplorer(CourseWidget):
    """A stack of conv/pool layers: output sizes, parameters per layer, receptive fields.

    ``layers`` is text such as ``"conv3, conv3, conv3"`` or the name of a preset.
    Controls: ``preset``, ``layers``, ``input_size``, ``in_channels``, ``filters``,
    ``padding``, ``bias``.
    State: ``trace`` (``cl.stacks.trace_stack``'s answer) and ``total_parameters``.
    The figure draws the receptive field of the centre pixel after each of the last
    ``MAX_BOXES`` layers.

    Example::

        cl.widgets.ReceptiveFieldExplorer("conv7s2, pool3s2, conv3", input_size=64)
    """

    PRESETS = {
        "three 3x3 convs": "conv3, conv3, conv3",
        "one 7x7 conv": "conv7",
        "two 3x3 convs": "conv3, conv3",
        "VGG block": "conv3, conv3, pool2",
        "LeNet-like": "conv5, pool2, conv5, pool2",
        "strided start": "conv7s2, pool3s2, conv3",
    }
    COLORS = ("tab:red", "tab:orange", "gold", "tab:green", "tab:cyan", "tab:blue")
    MAX_BOXES = 8

    @checked(layers=Text(max_length=10_000), input_size=Int(8, 128))
    def __init__(self, layers: str = "conv3, conv3, conv3", input_size: int = 32):
        super().__init__()
        named = {name.casefold(): text for name, text in self.PRESETS.items()}
        layers = named.get(layers.strip().casefold(), layers)  # "VGG block" works too
        self.preset = widgets.Dropdown(
            options=[*self.PRESETS, "custom"],
            value=self._preset_of(layers),
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
        self.table = widgets.HTML()
        self.trace: list = []
        self.total_parameters = 0
        self.picture = gray_image("camera", 128)
        figure = new_figure(4.2, 4.2)
        self.axes = figure.subplots()
        # Fixed margins (room for 3-digit tick labels): no layout pass on each redraw.
        figure.set_layout_engine(None)
        figure.subplots_adjust(left=0.12, right=0.97, bottom=0.07, top=0.93)
        # The 128x128 photo is stretched over the input's pixel grid (set_extent).
        self.picture_artist = self.axes.imshow(
            self.picture, cmap="gray", vmin=0, vmax=255
        )
        self.title = self.axes.set_title("", fontsize=10)
        # One box and one label per layer shown, made once and moved on each change.
        self.boxes, self.labels = [], []
        for index in range(self.MAX_BOXES):
            color = self.COLORS[index % len(self.COLORS)]
            box = Rectangle((0, 0), 1, 1, fill=False, lw=2, color=color, visible=False)
            self.axes.add_patch(box)
            self.boxes.append(box)
            label = self.axes.text(
                0.02,
                0.02,
                "",
                transform=self.axes.transAxes,
                fontsize=8,
                visible=False,
                # black on white, framed in the colour of its box: readable on any photo
                bbox={
                    "facecolor": "white",
                    "alpha": 0.85,
                    "edgecolor": color,
                    "lw": 1.5,
                },
            )
            self.labels.append(label)
        self.use_figure(figure, jpeg=True)  # mostly a photo
        self.watch(self._on_preset, preset=self.preset)
        self.watch(self._on_layers, layers=self.layers)
        self.watch(
            input_size=self.input_size,
            in_channels=self.in_channels,
            filters=self.filters,
            padding=self.padding,
            bias=self.bias,
        )
        self.children = [
            widgets.HBox([self.preset, self.layers]),
            widgets.HBox([self.input_size, self.padding, self.bias]),
            widgets.HBox([self.in_channels, self.filters]),
            widgets.HBox([self.figure_image, self.table]),
            self.caption,
            self.error,
        ]
        self.update()

    def _preset_of(self, text: str) -> str:
        """The preset whose layers are those of ``text``, else "custom"."""
        try:
            layers = parse_layers(text)
        except ValueError:
            return "custom"
        for name, preset in self.PRESETS.items():
            if parse_layers(preset) == layers:
                return name
        return "custom"

    def _on_preset(self, change=None):
        if self.preset.value != "custom":
            self.layers.value = self.PRESETS[self.preset.value]

    def _on_layers(self, change=None):
        self.preset.value = self._preset_of(self.layers.value)

    def _render(self):
        size = self.input_size.value
        self.trace = trace_stack(
            parse_layers(self.layers.value),
            size,
            self.in_channels.value,
            self.filters.value,
            self.padding.value,
            self.bias.value,
        )
        self.total_parameters = sum(step.parameters for step in self.trace)
        self.picture_artist.set_extent(_extent((size, size)))
        first_shown = max(len(self.trace) - self.MAX_BOXES, 0)
        shown = self.trace[first_shown:]
        for index, (box, label) in enumerate(zip(self.boxes, self.labels, strict=True)):
            box.set_visible(index < len(shown))
            label.set_visible(index < len(shown))
            if index < len(shown):
                step = shown[index]
                first, last = step.window
                width = last - first + 1
                box.set_bounds(first - 0.5, first - 0.5, width, width)
                label.set_text(f"after {step.layer}: {step.receptive_field}px")
                label.set_position((0.03, 0.03 + 0.075 * (len(shown) - 1 - index)))
        margin = size * 0.1
        self.axes.set_xlim(-0.5 - margin, size - 0.5 + margin)
        self.axes.set_ylim(size - 0.5 + margin, -0.5 - margin)
        self.title.set_text(
            f"input {size}x{size}: receptive fields of the centre pixel"
        )
        header = "".join(
            f"<th style='padding:2px 8px'>{h}</th>"
            for h in ("layer", "output", "parameters", "receptive field", "jump")
        )
        right = "style='text-align:right'"
        body = "".join(
            "<tr>"
            f"<td>{step.layer}</td>"
            f"<td>{'x'.join(map(str, step.output))}</td>"
            f"<td {right}>{step.parameters:,}</td>"
            f"<td {right}>{step.receptive_field}x{step.receptive_field}</td>"
            f"<td {right}>{step.jump}</td>"
            "</tr>"
            for step in self.trace
        )
        self.table.value = (
            f"<table><tr>{header}</tr>{body}"
            f"<tr><td><b>total</b></td><td></td>"
            f"<td {right}><b>{self.total_parameters:,}</b></td>"
            "<td></td><td></td></tr></table>"
        )
        last = self.trace[-1]
        hidden = f" (boxes for the last {len(shown)})" if first_shown else ""
        self.caption.value = (
            f"{len(self.trace)} layers{hidden}: a pixel of the last output sees "
            f"{last.receptive_field}x{last.receptive_field} input pixels, and its "
            f"neighbour sees a window {last.jump} pixel{'s' * (last.jump != 1)} further; "
            f"{self.total_parameters:,} parameters"
            + (" (biases included)." if self.bias.value else " (weights, no biases).")
        )
