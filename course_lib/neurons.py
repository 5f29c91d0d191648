"""Lecture 02: a neuron, its activations, gradient descent in 1-D, backprop, vanishing gradients.

The pure functions (``activate``, ``gradient_descent``, ``random_restarts``,
``backpropagate``, ``gradient_norms_by_layer``) do the work; the widgets
(``NeuronExplorer``, ``GradientDescentPlayground``) only draw what they return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from course_lib.viz import ErrorBanner, FigureImage, new_figure, shows_errors

# --------------------------------------------------------------------------------------
# Activations and a single neuron
# --------------------------------------------------------------------------------------


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
    "leaky_relu": (
        lambda z: np.where(z > 0, z, 0.1 * z),
        lambda z: np.where(z > 0, 1.0, 0.1),
    ),
    "linear": (lambda z: z, lambda z: np.ones_like(z)),
    "step": (lambda z: (z > 0).astype(float), lambda z: np.zeros_like(z)),
}
"""Activation name -> (function, derivative), both acting elementwise on arrays."""


def _activation(name: str) -> tuple[Callable, Callable]:
    if name not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}"
        )
    return ACTIVATIONS[name]


def activate(name: str, z) -> np.ndarray:
    """Apply the activation ``name`` (a key of ``ACTIVATIONS``) to ``z``."""
    return _activation(name)[0](np.asarray(z, dtype=float))


def activation_slope(name: str, z) -> np.ndarray:
    """The derivative of activation ``name`` at ``z`` (what backprop multiplies by)."""
    return _activation(name)[1](np.asarray(z, dtype=float))


def neuron(x, weights, bias: float, activation: str = "sigmoid") -> np.ndarray:
    """Output of one neuron: ``activation(x @ weights + bias)``.

    ``x`` is (n, d) or (d,) inputs, ``weights`` (d,). Example: ``neuron([1, 2], [0.5, -1], 0)``.
    """
    x = np.asarray(x, dtype=float)
    weights = np.asarray(weights, dtype=float)
    if x.shape[-1] != weights.shape[0]:
        raise ValueError(
            f"{x.shape[-1]} inputs but {weights.shape[0]} weights: they must match"
        )
    return activate(activation, x @ weights + bias)


class NeuronExplorer(widgets.VBox):
    """One neuron with one input: pick the activation, move the weight and the bias.

    Plots ``y = activation(w * x + b)`` and, dashed, its slope ``dy/dx``. State for tests:
    ``.x``, ``.y`` and ``.slope`` (arrays).
    """

    def __init__(self, activation: str = "sigmoid", weight: float = 1.0, bias=0.0):
        self.activation = widgets.Dropdown(
            options=list(ACTIVATIONS), value=activation, description="activation"
        )
        self.weight = widgets.FloatSlider(
            value=weight, min=-5, max=5, step=0.1, description="weight w"
        )
        self.bias = widgets.FloatSlider(
            value=bias, min=-5, max=5, step=0.1, description="bias b"
        )
        self.error = ErrorBanner()
        self.x = np.linspace(-6, 6, 241)
        figure = new_figure(6.0, 3.0)
        self.axes = figure.subplots()
        (self.output_line,) = self.axes.plot(self.x, self.x, label="output y")
        (self.slope_line,) = self.axes.plot(
            self.x, self.x, "--", label="slope dy/dx", color="tab:orange"
        )
        self.axes.axhline(0, color="gray", lw=0.5)
        self.axes.axvline(0, color="gray", lw=0.5)
        self.axes.set_xlabel("input x")
        self.axes.legend(loc="upper left")
        self.image = FigureImage(figure)
        for control in (self.activation, self.weight, self.bias):
            control.observe(self._redraw, names="value")
        super().__init__(
            [
                widgets.HBox([self.activation, self.weight, self.bias]),
                self.image,
                self.error,
            ]
        )
        self._redraw()

    @shows_errors
    def _redraw(self, change=None):
        w, b, name = self.weight.value, self.bias.value, self.activation.value
        self.y = neuron(self.x[:, None], [w], b, name)
        self.slope = activation_slope(name, w * self.x + b) * w
        self.output_line.set_ydata(self.y)
        self.slope_line.set_ydata(self.slope)
        low = min(self.y.min(), self.slope.min(), -0.1)
        high = max(self.y.max(), self.slope.max(), 1.1)
        self.axes.set_ylim(low - 0.1 * (high - low), high + 0.1 * (high - low))
        self.axes.set_title(f"y = {name}({w:g}·x + {b:g})")
        self.image.refresh()


# --------------------------------------------------------------------------------------
# Gradient descent on a 1-D loss
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loss:
    """A 1-D loss curve: the function, its slope, and the range we plot and start in."""

    function: Callable[[np.ndarray], np.ndarray]
    slope: Callable[[np.ndarray], np.ndarray]
    low: float
    high: float
    description: str


LOSSES: dict[str, Loss] = {
    "bowl": Loss(
        lambda x: x**2,
        lambda x: 2 * x,
        -3.0,
        3.0,
        "x²: one minimum at 0; steps larger than 1.0 diverge",
    ),
    "two valleys": Loss(
        lambda x: x**4 - 3 * x**2 + x,
        lambda x: 4 * x**3 - 6 * x + 1,
        -2.2,
        2.2,
        "x⁴ − 3x² + x: a deep valley near −1.30 and a shallow one near 1.13",
    ),
    "bumpy": Loss(
        lambda x: x**2 / 4 + np.sin(3 * x),
        lambda x: x / 2 + 3 * np.cos(3 * x),
        -5.0,
        5.0,
        "x²/4 + sin(3x): several local minima",
    ),
}
"""Loss name -> ``Loss``; the playground offers these."""

DIVERGENCE_FACTOR = 10.0
"""A path has diverged when it leaves the plotted range by this factor (or overflows)."""


def _loss(name: str) -> Loss:
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    return LOSSES[name]


def gradient_descent(loss_name: str, lr: float, start: float, steps: int) -> np.ndarray:
    """Positions visited by gradient descent ``x <- x - lr * slope(x)`` on a 1-D loss.

    Returns an array of ``steps + 1`` positions (the start first). The walk stops early,
    with a shorter path, once it has diverged (see ``has_diverged``).

    Example: ``gradient_descent("bowl", lr=0.1, start=2.0, steps=3)`` is
    ``[2.0, 1.6, 1.28, 1.024]``.
    """
    loss = _loss(loss_name)
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"the learning rate must be a positive number, got {lr!r}")
    if not np.isfinite(start):
        raise ValueError(f"the start point must be a finite number, got {start!r}")
    if not isinstance(steps, (int, np.integer)) or not 0 <= steps <= 10_000:
        raise ValueError(f"steps must be an int from 0 to 10,000, got {steps!r}")
    limit = DIVERGENCE_FACTOR * max(abs(loss.low), abs(loss.high))
    path = [float(start)]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            x = path[-1] - lr * float(loss.slope(np.float64(path[-1])))
            path.append(x)
            if not np.isfinite(x) or abs(x) > limit:
                break
    return np.array(path)


def has_diverged(loss_name: str, path: np.ndarray) -> bool:
    """True when ``path`` overflowed or ran far outside the loss's range."""
    loss = _loss(loss_name)
    limit = DIVERGENCE_FACTOR * max(abs(loss.low), abs(loss.high))
    end = path[-1]
    return bool(not np.isfinite(end) or abs(end) > limit)


def random_restarts(
    loss_name: str, lr: float, steps: int, count: int, seed: int = 0
) -> list[np.ndarray]:
    """Run gradient descent from ``count`` random starts, uniform over the loss's range."""
    loss = _loss(loss_name)
    if not isinstance(count, (int, np.integer)) or not 0 <= count <= 100:
        raise ValueError(f"the number of restarts must be from 0 to 100, got {count!r}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"the seed must be a non-negative int, got {seed!r}")
    starts = np.random.default_rng(seed).uniform(loss.low, loss.high, count)
    return [gradient_descent(loss_name, lr, float(s), steps) for s in starts]


def minima_found(
    loss_name: str, paths: list[np.ndarray], decimals: int = 2
) -> list[float]:
    """The distinct end points of the paths that did not diverge, rounded, sorted."""
    ends = [p[-1] for p in paths if not has_diverged(loss_name, p)]
    return sorted({round(float(e), decimals) + 0.0 for e in ends})


class GradientDescentPlayground(widgets.VBox):
    """Gradient descent on a 1-D loss: pick the loss, learning rate, start and steps.

    Draws the loss curve and the path; says when the walk diverged; with restarts > 0 it
    also runs from random starts and marks where each one ended. State for tests:
    ``.path``, ``.restart_paths``, ``.diverged`` and ``.status.value``.
    """

    def __init__(
        self,
        loss: str = "two valleys",
        lr: float = 0.05,
        start: float = 2.0,
        steps: int = 20,
        restarts: int = 0,
    ):
        self.loss = widgets.Dropdown(
            options=list(LOSSES), value=loss, description="loss"
        )
        self.lr = widgets.FloatLogSlider(
            value=lr,
            base=10,
            min=-3,
            max=0.5,
            step=0.05,
            description="learning rate",
            readout_format=".3f",
        )
        self.start = widgets.FloatSlider(
            value=start, min=-5, max=5, step=0.05, description="start"
        )
        self.steps = widgets.IntSlider(value=steps, min=0, max=200, description="steps")
        self.restarts = widgets.IntSlider(
            value=restarts, min=0, max=20, description="restarts"
        )
        self.seed = widgets.IntText(value=0, description="seed")
        self.status = widgets.HTML()
        self.error = ErrorBanner()
        self.path = np.array([start])
        self.restart_paths: list[np.ndarray] = []
        self.diverged = False
        figure = new_figure(6.4, 3.4)
        self.axes = figure.subplots()
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
        self.image = FigureImage(figure)
        for control in (
            self.loss,
            self.lr,
            self.start,
            self.steps,
            self.restarts,
            self.seed,
        ):
            control.observe(self._redraw, names="value")
        super().__init__(
            [
                widgets.HBox([self.loss, self.lr, self.start]),
                widgets.HBox([self.steps, self.restarts, self.seed]),
                self.image,
                self.status,
                self.error,
            ]
        )
        self._redraw()

    @shows_errors
    def _redraw(self, change=None):
        name = self.loss.value
        loss = _loss(name)
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
        self.axes.set_title(loss.description, fontsize=10)
        self.image.refresh()
        end = self.path[-1]
        if self.diverged:
            text = (
                f"<b>Diverged</b> after {len(self.path) - 1} steps: each step overshot "
                f"further (x reached {end:.3g}). Make the learning rate smaller."
            )
        else:
            slope = float(loss.slope(np.float64(end)))
            text = (
                f"after {len(self.path) - 1} steps: x = {end:.4f}, "
                f"loss = {float(loss.function(np.float64(end))):.4f}, slope = {slope:.2g}"
            )
        if self.restart_paths:
            found = minima_found(name, self.restart_paths)
            text += f"<br>{len(self.restart_paths)} random restarts ended at: " + (
                ", ".join(f"{m:g}" for m in found) or "nowhere (all diverged)"
            )
        self.status.value = text


# --------------------------------------------------------------------------------------
# Backpropagation on a tiny network, by hand
# --------------------------------------------------------------------------------------


def tiny_network_parameters(seed: int = 0) -> dict[str, np.ndarray]:
    """Weights of a 2-3-1 network (sigmoid hidden layer, linear output), float64."""
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(0, 1, (2, 3)),
        "b1": rng.normal(0, 0.1, 3),
        "W2": rng.normal(0, 1, (3, 1)),
        "b2": rng.normal(0, 0.1, 1),
    }


def backpropagate(
    params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and gradients of the 2-3-1 network by the chain rule, in numpy.

    Forward: ``h = sigmoid(x W1 + b1)``, ``p = h W2 + b2``, ``loss = mean((p - y)²)``.
    Returns ``(loss, {"W1": dL/dW1, "b1": ..., "W2": ..., "b2": ...})``.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float).reshape(-1, 1)
    if x.ndim != 2 or x.shape[1] != params["W1"].shape[0] or len(x) != len(y):
        raise ValueError("x must be (n, 2) with one target per row")
    # forward pass, keeping what the backward pass needs
    z = x @ params["W1"] + params["b1"]
    h = _sigmoid(z)
    p = h @ params["W2"] + params["b2"]
    loss = float(np.mean((p - y) ** 2))
    # backward pass: each line is one step of the chain rule
    d_p = 2 * (p - y) / len(y)  # dL/dp
    d_W2 = h.T @ d_p  # p = h W2 + b2
    d_b2 = d_p.sum(axis=0)
    d_h = d_p @ params["W2"].T
    d_z = d_h * h * (1 - h)  # sigmoid'(z) = h (1 - h)
    d_W1 = x.T @ d_z  # z = x W1 + b1
    d_b1 = d_z.sum(axis=0)
    return loss, {"W1": d_W1, "b1": d_b1, "W2": d_W2, "b2": d_b2}


def tape_gradients(
    params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    """The same loss and gradients as ``backpropagate``, computed by ``tf.GradientTape``."""
    import tensorflow as tf

    variables = {k: tf.Variable(v, dtype=tf.float64) for k, v in params.items()}
    x = tf.constant(x, tf.float64)
    y = tf.reshape(tf.constant(y, tf.float64), (-1, 1))
    with tf.GradientTape() as tape:
        h = tf.sigmoid(x @ variables["W1"] + variables["b1"])
        p = h @ variables["W2"] + variables["b2"]
        loss = tf.reduce_mean((p - y) ** 2)
    grads = tape.gradient(loss, variables)
    return float(loss), {k: g.numpy() for k, g in grads.items()}


# --------------------------------------------------------------------------------------
# The vanishing gradient, measured
# --------------------------------------------------------------------------------------


def gradient_norms_by_layer(
    activation: str,
    depth: int = 20,
    width: int = 32,
    batch_size: int = 64,
    kernel_initializer: str = "he_normal",
    seed: int = 0,
) -> np.ndarray:
    """Norm of the loss gradient for each hidden layer's kernel, first layer first.

    Builds ``depth`` Dense layers of ``width`` units with ``activation`` plus a linear
    output, feeds one batch of random inputs with random targets (MSE), and measures
    ``||dL/dW||`` per layer with ``tf.GradientTape``. Nothing is trained.
    """
    import keras
    import tensorflow as tf

    if not isinstance(depth, int) or not 1 <= depth <= 200:
        raise ValueError(f"depth must be an int from 1 to 200, got {depth!r}")
    keras.utils.set_random_seed(seed)
    hidden = [
        keras.layers.Dense(
            width, activation=activation, kernel_initializer=kernel_initializer
        )
        for _ in range(depth)
    ]
    model = keras.Sequential([keras.Input((width,)), *hidden, keras.layers.Dense(1)])
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch_size, width)).astype("float32")
    y = rng.normal(size=(batch_size, 1)).astype("float32")
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((model(x) - y) ** 2)
    grads = tape.gradient(loss, [layer.kernel for layer in hidden])
    return np.array([float(tf.norm(g)) for g in grads])
