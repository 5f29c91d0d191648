"""Widget of lecture 16: ``DistortionExplorer``, a digit distorted by sliders, read by a
plain network and by the same network behind a spatial transformer.

Rotate, scale and shift a test digit on the 60×60 canvas (with or without clutter), and
pick the pair to compare: the convnet (CNN against ST-CNN, the default) or the fully
connected network (FC against ST-FC). The picture shows the canvas with the spatial
transformer's sampling grid (where its output pixels read the canvas), the 30×30 view the
transformer hands to its classifier, and both networks' class probabilities. The four
small networks ship in ``datasets/`` (``cl.spatial.pretrained``); nothing is trained here.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

import course_lib as cl
from course_lib.core import Choice, Int, Items, Number, checked
from course_lib.widgets.base import (
    ChoiceToggleButtons,
    CourseWidget,
    new_figure,
    set_in_range,
)

GRID_POINTS = 7
"""Grid points per side drawn on the canvas (of the transformer's 30×30)."""


def _outline(theta: np.ndarray, canvas: int) -> np.ndarray:
    """The output's border, mapped by θ into canvas pixel coordinates: (5, 2)."""
    corners = np.array([[-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1], [-1, -1, 1]])
    return (corners @ theta.T + 1.0) * (canvas - 1) / 2


def _grid_points(theta: np.ndarray, canvas: int) -> np.ndarray:
    """A GRID_POINTS × GRID_POINTS subset of the sampling grid, in canvas pixels."""
    from course_lib.spatial import regular_grid

    points = regular_grid(GRID_POINTS, GRID_POINTS).reshape(-1, 3) @ theta.T
    return (points + 1.0) * (canvas - 1) / 2


PAIRS = {"cnn": ("CNN", "ST-CNN"), "fc": ("FC", "ST-FC")}
"""The pairs the explorer compares: classifier -> (plain name, with-transformer name)."""


class DistortionExplorer(CourseWidget):
    """Distort a digit with sliders; see how a plain network and the same network behind
    a spatial transformer read it.

    Without arguments: the first 100 bundled test digits and the shipped networks
    (``cl.spatial.pretrained``), the convnet pair first.

    Example::

        explorer = cl.widgets.DistortionExplorer()
        explorer.shift_x.value = 15           # the digit near the right edge
        explorer.plain_prediction, explorer.st_prediction

    Controls: ``pair`` (``"cnn"``: CNN and ST-CNN; ``"fc"``: FC and ST-FC), ``digit``
    (which test digit), ``rotation`` (degrees, counterclockwise), ``scale``,
    ``shift_x``, ``shift_y`` (canvas pixels), ``clutter`` (on or off).
    State: ``canvas`` (60×60), ``theta`` (the transformer's θ, 2×3), ``resampled``
    (30×30), ``plain_probabilities``, ``st_probabilities`` (10 each),
    ``plain_prediction``, ``st_prediction``, ``label``.
    """

    @checked(
        digit=Int(0, 999),
        pair=Choice(*PAIRS),
        rotation=Number(-180, 180),
        scale=Number(0.5, 1.6),
        shift=Items(Int(-20, 20), 2, 2),
        count=Int(1, 1000),
    )
    def __init__(
        self,
        digit: int = 0,
        pair: str = "cnn",
        rotation: float = 0.0,
        scale: float = 1.0,
        shift: tuple[float, float] = (0, 0),
        count: int = 100,
    ):
        super().__init__()

        from course_lib import spatial
        from course_lib.data import load_mnist

        _, (images, labels) = load_mnist()
        self.digits = images[:count].astype(np.float32) / 255.0
        self.labels = labels[:count].astype(int)
        self._predict = {}  # one traced function per pair, made at its first render
        self._clutter = {}

        self.pair = ChoiceToggleButtons(
            self,
            "pair",
            options=[("CNN vs ST-CNN", "cnn"), ("FC vs ST-FC", "fc")],
            value=pair,
            description="networks",
        )
        self.digit = widgets.IntSlider(0, 0, count - 1, description="digit")
        self.rotation = widgets.FloatSlider(
            0.0, min=-180.0, max=180.0, step=5.0, description="rotation °"
        )
        self.scale = widgets.FloatSlider(
            1.0, min=0.5, max=1.6, step=0.05, description="scale"
        )
        self.shift_x = widgets.IntSlider(0, -20, 20, description="shift x")
        self.shift_y = widgets.IntSlider(0, -20, 20, description="shift y")
        self.clutter = widgets.Checkbox(True, description="clutter")
        set_in_range(self.digit, digit, "digit")
        set_in_range(self.rotation, rotation, "rotation")
        set_in_range(self.scale, scale, "scale")
        shift_x, shift_y = shift
        set_in_range(self.shift_x, shift_x, "shift x")
        set_in_range(self.shift_y, shift_y, "shift y")

        figure = self.use_figure(new_figure(9.0, 3.0))
        grid = figure.add_gridspec(1, 3, width_ratios=[1, 1, 1.4])
        ax_canvas = figure.add_subplot(grid[0])
        ax_out = figure.add_subplot(grid[1])
        ax_bars = figure.add_subplot(grid[2])
        side = spatial.CANVAS
        self.canvas_artist = ax_canvas.imshow(
            np.zeros((side, side)), cmap="gray", vmin=0, vmax=1
        )
        (self.outline_artist,) = ax_canvas.plot([], [], color="tab:orange", lw=1.5)
        (self.points_artist,) = ax_canvas.plot(
            [], [], ".", color="tab:orange", markersize=3
        )
        ax_canvas.set_xlim(-0.5, side - 0.5)
        ax_canvas.set_ylim(side - 0.5, -0.5)
        size = spatial.OUTPUT_SIZE
        self.out_artist = ax_out.imshow(
            np.zeros((size, size)), cmap="gray", vmin=0, vmax=1
        )
        classes = np.arange(10)
        self.plain_bars = ax_bars.bar(classes - 0.2, np.zeros(10), 0.4, label="plain")
        self.st_bars = ax_bars.bar(
            classes + 0.2, np.zeros(10), 0.4, label="with transformer"
        )
        ax_bars.set_xticks(classes)
        ax_bars.set_ylim(0, 1)
        ax_bars.set_ylabel("probability")
        ax_bars.legend(fontsize=8, loc="upper right")
        self.titles = [
            ax_canvas.set_title("canvas", fontsize=9),
            ax_out.set_title("transformer output", fontsize=9),
            ax_bars.set_title("class probabilities", fontsize=9),
        ]
        for ax in (ax_canvas, ax_out):
            ax.axis("off")
        self.legend = ax_bars.get_legend()
        # Only the pictures, the bars, the legend's names and two titles change: they
        # are drawn over a saved picture of the rest.
        self.figure_image.animate(
            self.canvas_artist,
            self.outline_artist,
            self.points_artist,
            self.out_artist,
            *self.plain_bars,
            *self.st_bars,
            self.legend,
            *self.titles[:2],
        )
        self.watch(
            pair=self.pair,
            digit=self.digit,
            rotation=self.rotation,
            scale=self.scale,
            shift_x=self.shift_x,
            shift_y=self.shift_y,
            clutter=self.clutter,
        )
        self.children = [
            self.pair,
            widgets.HBox([self.digit, self.rotation, self.scale]),
            widgets.HBox([self.shift_x, self.shift_y, self.clutter]),
            self.figure_image,
            self.caption,
            self.error,
        ]
        self.update()

    def predictor(self, pair: str):
        """The traced function canvas -> (plain probabilities, θ, view, transformer
        probabilities) for ``pair``, loading its two shipped networks on first use."""
        import keras
        import tensorflow as tf

        from course_lib import spatial

        if pair not in self._predict:
            plain = cl.data.load_spatial_model(pair)
            st = cl.data.load_spatial_model(f"st_{pair}")
            parts = spatial.transformer_outputs(st)
            both = keras.Model(st.input, [plain(st.input), *parts.outputs, st.output])
            # traced once: a call then takes milliseconds, not 0.2 s
            self._predict[pair] = tf.function(lambda x: both(x, training=False))
        return self._predict[pair]

    def outputs(self, pair: str, canvas: np.ndarray) -> tuple[np.ndarray, ...]:
        """The pair's (plain probabilities, θ, view 30×30×1, transformer probabilities)
        on ``canvas`` (60×60).

        The shipped CNN pair's outputs on the first picture (the default digit and
        sliders) ship with the course (``cl.data.precomputed("spatial", …)``), so the
        dashboard starts without TensorFlow; any other canvas runs the networks.
        """
        batch = canvas[None, :, :, None].astype(np.float32)
        if pair == "cnn" and pair not in self._predict:
            shipped = cl.data.precomputed("spatial", batch)
            if shipped is not None:
                return tuple(shipped[key] for key in ("plain", "theta", "view", "st"))
        outputs = self.predictor(pair)(batch)
        return tuple(np.asarray(output)[0] for output in outputs)

    def clutter_for(self, index: int) -> np.ndarray:
        """The fixed clutter of digit ``index`` (seeded by the index)."""
        from course_lib import spatial

        if index not in self._clutter:
            rng = np.random.default_rng(1000 + index)
            empty = np.zeros((1, spatial.CANVAS, spatial.CANVAS), np.float32)
            self._clutter[index] = spatial.add_clutter(empty, self.digits, rng)[0]
        return self._clutter[index]

    def distorted(self) -> np.ndarray:
        """The canvas for the current sliders (60×60, 0…1)."""
        from course_lib import spatial

        index = self.digit.value
        theta = spatial.placement_theta(
            self.rotation.value,
            self.scale.value,
            (self.shift_x.value, self.shift_y.value),
        )
        canvas = spatial.transform(self.digits[index], theta, spatial.CANVAS)
        if self.clutter.value:
            canvas = np.maximum(canvas, self.clutter_for(index))
        return np.clip(canvas, 0.0, 1.0)

    def _render(self):
        from course_lib import spatial

        self.canvas = self.distorted()
        plain, theta, resampled, st = self.outputs(self.pair.value, self.canvas)
        self.plain_probabilities, self.st_probabilities = plain, st
        self.theta, self.resampled = theta, resampled[:, :, 0]
        self.plain_prediction = int(plain.argmax())
        self.st_prediction = int(st.argmax())
        self.label = int(self.labels[self.digit.value])
        plain_name, st_name = PAIRS[self.pair.value]
        self.canvas_artist.set_data(self.canvas)
        outline = _outline(theta, spatial.CANVAS)
        self.outline_artist.set_data(outline[:, 0], outline[:, 1])
        points = _grid_points(theta, spatial.CANVAS)
        self.points_artist.set_data(points[:, 0], points[:, 1])
        self.out_artist.set_data(self.resampled)
        for text, name in zip(
            self.legend.get_texts(), PAIRS[self.pair.value], strict=True
        ):
            text.set_text(name)
        for bars, values in ((self.plain_bars, plain), (self.st_bars, st)):
            for bar, value in zip(bars, values, strict=True):
                bar.set_height(float(value))
        self.titles[0].set_text(f"canvas, true label {self.label}")
        self.titles[1].set_text("what the transformer passes on")

        def verdict(name, prediction, probabilities):
            mark = "right" if prediction == self.label else "<b>wrong</b>"
            return (
                f"{name} says <b>{prediction}</b> "
                f"({probabilities[prediction]:.0%}, {mark})"
            )

        self.caption.value = (
            f"Digit {self.digit.value}, true label <b>{self.label}</b>: "
            + verdict(plain_name, self.plain_prediction, plain)
            + "; "
            + verdict(st_name, self.st_prediction, st)
            + ". Orange: where the transformer's 30×30 output reads the canvas, θ = "
            + np.array2string(theta, precision=2, suppress_small=True).replace("\n", "")
            + "."
        )
