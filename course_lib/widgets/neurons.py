"""Widgets of lecture 02: one neuron, and gradient descent on a 1-D loss.

The compute behind them (``neuron``, ``activation_slope``, ``gradient_descent``,
``random_restarts``, ...) lives in ``course_lib/neurons.py``.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course_lib.core import SEED, Choice, Int, Number, checked
from course_lib.neurons import (
    ACTIVATIONS,
    LOSSES,
    activation_slope,
    gradient_descent,
    has_diverged,
    minima_found,
    neuron,
    random_restarts,
)
from course_lib.widgets.base import CourseWidget, new_figure, set_in_range


def _fixed_axes(figure: Figure) -> Axes:
    """One axes at a fixed place with room for the labels: the constrained layout
    would measure every tick label on each render (half of a render's time)."""
    figure.set_layout_engine("none")
    return figure.add_axes((0.1, 0.15, 0.87, 0.75))


class NeuronExplorer(CourseWidget):
    """One neuron with one input: pick the activation, move the weight and the bias.

    Plots ``y = activation(w * x + b)`` and, dashed, its slope ``dy/dx``. State for tests:
    ``.x``, ``.y`` and ``.slope`` (arrays).

    Example::

        cl.widgets.NeuronExplorer(activation="relu", weight=2.0, bias=-1.0)
    """

    @checked(activation=Choice(*ACTIVATIONS), weight=Number(), bias=Number())
    def __init__(
        self, activation: str = "sigmoid", weight: float = 1.0, bias: float = 0.0
    ):
        super().__init__()
        self.activation = widgets.Dropdown(
            options=list(ACTIVATIONS),
            value=activation,
            description="activation",
        )
        # A render (figure to PNG) takes ~30 ms: redraw when a slider is released.
        self.weight = widgets.FloatSlider(
            value=0.0,
            min=-5,
            max=5,
            step=0.1,
            description="weight w",
            continuous_update=False,
        )
        set_in_range(self.weight, weight, "weight")
        self.bias = widgets.FloatSlider(
            value=0.0,
            min=-5,
            max=5,
            step=0.1,
            description="bias b",
            continuous_update=False,
        )
        set_in_range(self.bias, bias, "bias")
        self.x = np.linspace(-6, 6, 241)
        self.axes = _fixed_axes(self.use_figure(new_figure(6.0, 3.0)))
        (self.output_line,) = self.axes.plot(self.x, self.x, label="output y")
        (self.slope_line,) = self.axes.plot(
            self.x, self.x, "--", label="slope dy/dx", color="tab:orange"
        )
        self.axes.axhline(0, color="gray", lw=0.5)
        self.axes.axvline(0, color="gray", lw=0.5)
        self.axes.set_xlabel("input x")
        self.axes.legend(loc="upper left")
        self.title = self.axes.set_title("")
        self.watch(activation=self.activation, weight=self.weight, bias=self.bias)
        self.children = [
            widgets.HBox([self.activation, self.weight, self.bias]),
            self.figure_image,
            self.caption,
            self.error,
        ]
        self.update()

    def _render(self) -> None:
        w, b, name = self.weight.value, self.bias.value, self.activation.value
        self.y = neuron(self.x[:, None], [w], b, name)
        self.slope = activation_slope(name, w * self.x + b) * w
        self.output_line.set_ydata(self.y)
        self.slope_line.set_ydata(self.slope)
        low = min(self.y.min(), self.slope.min(), -0.1)
        high = max(self.y.max(), self.slope.max(), 1.1)
        self.axes.set_ylim(low - 0.1 * (high - low), high + 0.1 * (high - low))
        self.title.set_text(f"y = {name}({w:g}·x + {b:g})")
        steepest = int(np.argmax(np.abs(self.slope)))
        self.caption.value = (
            f"at x = 0 the output is {float(self.y[len(self.x) // 2]):.3f}; the slope "
            f"is steepest at x = {self.x[steepest]:.2f} "
            f"(dy/dx = {self.slope[steepest]:.3f})"
        )


class GradientDescentPlayground(CourseWidget):
    """Gradient descent on a 1-D loss: pick the loss, learning rate, start and steps.

    Draws the loss curve and the path; the caption says when the walk diverged; with
    restarts > 0 it also runs from random starts and marks where each one ended. The
    start slider spans the chosen loss's plotted range. State for tests: ``.path``,
    ``.restart_paths`` and ``.diverged``.

    Example::

        cl.widgets.GradientDescentPlayground(loss="bowl", lr=0.1, start=2.0, steps=10)
    """

    @checked(
        loss=Choice(*LOSSES),
        lr=Number(),
        start=Number(),
        steps=Int(0, 200),
        restarts=Int(0, 20),
        seed=SEED,
    )
    def __init__(
        self,
        loss: str = "two valleys",
        lr: float = 0.05,
        start: float = 2.0,
        steps: int = 20,
        restarts: int = 0,
        seed: int = 0,
    ):
        super().__init__()
        self.loss = widgets.Dropdown(
            options=list(LOSSES), value=loss, description="loss"
        )
        # Up to 20 restarts x 200 steps: each control recomputes only when released.
        self.lr = widgets.FloatLogSlider(
            value=0.1,
            base=10,
            min=-3,
            max=0.5,
            step=0.05,
            description="learning rate",
            readout_format=".3f",
            continuous_update=False,
        )
        set_in_range(self.lr, lr, "the learning rate lr")
        self.start = widgets.FloatSlider(
            value=0.0,
            min=LOSSES[loss].low,
            max=LOSSES[loss].high,
            step=0.05,
            description="start",
            continuous_update=False,
        )
        set_in_range(self.start, start, f"start (for the {loss} loss)")
        self.steps = widgets.IntSlider(
            0, 0, 200, description="steps", continuous_update=False
        )
        set_in_range(self.steps, steps, "steps")
        self.restarts = widgets.IntSlider(
            0, 0, 20, description="restarts", continuous_update=False
        )
        set_in_range(self.restarts, restarts, "restarts")
        if (
            isinstance(seed, bool)
            or not isinstance(seed, (int, np.integer))
            or seed < 0
        ):
            raise ValueError(f"the seed must be a non-negative int, got {seed!r}")
        self.seed = widgets.IntText(value=seed, description="seed")
        self.path = np.array([float(start)])
        self.restart_paths: list[np.ndarray] = []
        self.diverged = False
        self.axes = _fixed_axes(self.use_figure(new_figure(6.4, 3.4)))
        (self.curve,) = self.axes.plot([], [], color="black", lw=1)
        (self.path_line,) = self.axes.plot(
            [], [], "o-", color="tab:red", ms=4, lw=1, label="path"
        )
        (self.start_dot,) = self.axes.plot(
            [], [], "s", color="tab:green", ms=8, label="start"
        )
        (self.restart_dots,) = self.axes.plot(
            [], [], "v", color="tab:purple", ms=8, label="restart ends"
        )
        self.axes.set_xlabel("weight x")
        self.axes.set_ylabel("loss")
        self.axes.legend(loc="upper center", fontsize=8)
        self.title = self.axes.set_title("", fontsize=10)
        self.watch(self._on_loss, loss=self.loss)
        self.watch(
            lr=self.lr,
            start=self.start,
            steps=self.steps,
            restarts=self.restarts,
            seed=self.seed,
        )
        self.children = [
            widgets.HBox([self.loss, self.lr, self.start]),
            widgets.HBox([self.steps, self.restarts, self.seed]),
            self.figure_image,
            self.caption,
            self.error,
        ]
        self.update()

    def _on_loss(self, change=None) -> None:
        """The start slider spans the new loss's range (a start outside is clamped)."""
        loss = LOSSES[self.loss.value]
        if loss.low > self.start.max:  # a slider refuses min > max even for a moment
            self.start.max, self.start.min = loss.high, loss.low
        else:
            self.start.min, self.start.max = loss.low, loss.high

    def _render(self) -> None:
        name = self.loss.value
        loss = LOSSES[name]
        self.path = gradient_descent(
            name, self.lr.value, self.start.value, self.steps.value
        )
        self.diverged = has_diverged(name, self.path)
        self.restart_paths = random_restarts(
            name, self.lr.value, self.steps.value, self.restarts.value, self.seed.value
        )
        xs = np.linspace(loss.low, loss.high, 400)
        ys = loss.function(xs)
        self.curve.set_data(xs, ys)
        # a diverging path leaves the plot: draw it up to the edge
        shown = np.clip(np.nan_to_num(self.path), loss.low, loss.high)
        self.path_line.set_data(shown, loss.function(shown))
        self.start_dot.set_data([self.path[0]], [loss.function(self.path[0])])
        ends = np.array(
            [p[-1] for p in self.restart_paths if not has_diverged(name, p)]
        )
        self.restart_dots.set_data(ends, loss.function(ends))
        margin = 0.1 * (ys.max() - ys.min())
        self.axes.set_xlim(loss.low, loss.high)
        self.axes.set_ylim(ys.min() - margin, ys.max() + margin)
        self.title.set_text(loss.description)
        self.caption.value = self._summary(name)

    def _summary(self, name: str) -> str:
        loss = LOSSES[name]
        end = self.path[-1]
        if self.diverged:
            text = (
                f"<b>Diverged</b> after {len(self.path) - 1} steps: each step overshot "
                f"further (x reached {end:.3g}). Make the learning rate smaller."
            )
        else:
            slope = float(loss.slope(np.float64(end)))
            value = float(loss.function(np.float64(end)))
            text = (
                f"after {len(self.path) - 1} steps: x = {end:.4f}, "
                f"loss = {value:.4f}, slope = {slope:.2g}"
            )
        if self.restart_paths:
            found = minima_found(name, self.restart_paths)
            text += f"<br>{len(self.restart_paths)} random restarts ended at: " + (
                ", ".join(f"{m:g}" for m in found) or "nowhere (all diverged)"
            )
        return text
