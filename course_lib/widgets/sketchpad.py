"""Widgets of lectures 06-07: draw a digit and watch the convnet classify it.

- ``DigitSketchpad``: draw a digit with the mouse (an ``ipycanvas`` canvas); it is
  preprocessed like MNIST and the convnet's ten probabilities update as you draw. The
  28x28 image the network sees is its ``drawing`` traitlet.
- ``MnistDashboard``: the sketchpad and the feature maps of what was drawn, together.

Without arguments each runs the shipped checkpoint with NumPy
(``cl.models.pretrained_numpy("mnist_convnet")``) on the bundled test digits; a Keras
model works the same. The compute lives in ``cl.inside``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
import traitlets

from course_lib.core import Int, Number, Optional, checked
from course_lib.inside import (
    ONE_DIGIT,
    check_stroke,
    predict_drawing,
    rasterize_strokes,
)
from course_lib.widgets.base import CourseWidget, new_figure
from course_lib.widgets.inside import (
    CLASSIFIER_OR_NAME,
    DIGIT_BATCH,
    DIGIT_SHAPE,
    LABELS,
    ActivationViewer,
    _bare,
    _model_or_default,
    _one_label_each,
    _test_digits,
)

# --------------------------------------------------------------------------------------
# DigitSketchpad
# --------------------------------------------------------------------------------------


class DigitSketchpad(CourseWidget):
    """Draw a digit with the mouse and watch the convnet classify it.

    The drawing is preprocessed like MNIST (``cl.images.preprocess_drawing``): cropped
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

    @checked(
        model=CLASSIFIER_OR_NAME,
        size=Int(28, MAX_SIZE),
        line_width=Number(high=MAX_SIZE, positive=True),
        update_every=Number(0, MAX_WAIT),
    )
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
        if line_width >= size:
            raise ValueError(
                f"line_width must be less than the canvas size {size}, got {line_width:g}"
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
        # The digit, its title and the bars change; the rest is drawn once (the
        # frames too: they are drawn over the digit and the bars).
        self.figure_image.animate(
            self.image_artist,
            self.title,
            *self.bars,
            *self.axes_image.spines.values(),
            *self.axes_bars.spines.values(),
        )

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

    @checked(digit=ONE_DIGIT)
    def show_digit(self, digit: np.ndarray) -> bool:
        """Put a 28x28 digit (e.g. from MNIST: uint8 0..255 or float 0..1) on the pad,
        scaled up, and classify it. Raises ValueError for anything else."""
        self.shown_digit = digit.reshape(DIGIT_SHAPE)
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
# MnistDashboard: the sketchpad and the activations of what was drawn, together
# --------------------------------------------------------------------------------------


class MnistDashboard(CourseWidget):
    """Draw a digit (or pick a test digit), see the probabilities and the activations.

    The activations shown are those of the 28x28 image the network actually sees: the
    viewer follows the sketchpad's ``drawing``. Without arguments it runs the shipped
    checkpoint with NumPy on the bundled test digits.

    Example::

        cl.widgets.MnistDashboard()
        cl.widgets.MnistDashboard(cl.data.load_mnist_convnet(), x_test, y_test)

    Controls: ``example`` (the test digit put on the pad). Parts: ``pad`` (a
    ``DigitSketchpad``), ``viewer`` (an ``ActivationViewer``); the dashboard's
    ``figure_image`` is the pad's picture.
    """

    @checked(model=CLASSIFIER_OR_NAME, images=Optional(DIGIT_BATCH), labels=LABELS)
    def __init__(self, model=None, images=None, labels=None):
        super().__init__()
        model = _model_or_default(model)
        if images is None:
            images, test_labels = _test_digits()
            images = DIGIT_BATCH.check(images, "images")
            labels = test_labels if labels is None else labels
        self.images, self.labels = _one_label_each(images, labels), labels
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
