"""Lecture 02: a neuron, its activations, gradient descent in 1-D, backprop, vanishing.

Compute only: ``activate``, ``neuron``, ``gradient_descent``, ``random_restarts``,
``backpropagate``, ``gradient_norms_by_layer``. The widgets that draw them,
``cl.widgets.NeuronExplorer`` and ``cl.widgets.GradientDescentPlayground``, live in
``course_lib/widgets/neurons.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from course_lib.core import (
    SEED,
    Anything,
    Array,
    Choice,
    Constraint,
    Instance,
    Int,
    Items,
    Number,
    checked,
    show,
)

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


ACTIVATION = Choice(*ACTIVATIONS)
NUMBERS = Array()


@checked(name=ACTIVATION, z=NUMBERS)
def activate(name: str, z) -> np.ndarray:
    """Apply the activation ``name`` (a key of ``ACTIVATIONS``) to ``z``."""
    function = ACTIVATIONS[name][0]
    with np.errstate(over="ignore"):  # exp(-z) overflows to inf: sigmoid is then 0
        return function(z)


@checked(name=ACTIVATION, z=NUMBERS)
def activation_slope(name: str, z) -> np.ndarray:
    """The derivative of activation ``name`` at ``z`` (what backprop multiplies by)."""
    function = ACTIVATIONS[name][1]
    with np.errstate(over="ignore", invalid="ignore"):
        return function(z)


@checked(
    x=Array(ndim=(1, 2)), weights=Array(ndim=1), bias=Number(), activation=ACTIVATION
)
def neuron(x, weights, bias: float, activation: str = "sigmoid") -> np.ndarray:
    """Output of one neuron: ``activation(x @ weights + bias)``.

    ``x`` is (n, d) or (d,) inputs, ``weights`` (d,). Example: ``neuron([1, 2], [0.5, -1], 0)``.
    """
    if x.shape[-1] != weights.shape[0]:
        raise ValueError(
            f"{x.shape[-1]} inputs but {weights.shape[0]} weights: they must match"
        )
    with np.errstate(over="ignore", invalid="ignore"):  # huge inputs: inf, as floats do
        return activate(activation, x @ weights + bias)


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


LOSS = Choice(*LOSSES)


class _Path(Constraint):
    """The positions of one walk: numbers (N,), inf or NaN where it overflowed."""

    def describe(self):
        return "a list of positions (N,)"

    def convert(self, value, name):
        try:
            path = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            self.fail(name, value)
        if path.ndim != 1 or len(path) == 0:
            self.fail(name, value, got=f"shape {path.shape}")
        return path

    def example(self):
        return np.zeros(2)

    def bad_values(self):
        return [None, "text", np.zeros((2, 2)), []]


PATH = _Path()


@checked(
    loss_name=LOSS,
    lr=Number(positive=True),
    start=Number(),
    steps=Int(0, 10_000),
)
def gradient_descent(loss_name: str, lr: float, start: float, steps: int) -> np.ndarray:
    """Positions visited by gradient descent ``x <- x - lr * slope(x)`` on a 1-D loss.

    Returns an array of ``steps + 1`` positions (the start first). The walk stops early,
    with a shorter path, once it has diverged (see ``has_diverged``).

    Example: ``gradient_descent("bowl", lr=0.1, start=2.0, steps=3)`` is
    ``[2.0, 1.6, 1.28, 1.024]``.
    """
    loss = LOSSES[loss_name]
    limit = DIVERGENCE_FACTOR * max(abs(loss.low), abs(loss.high))
    path = [float(start)]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            x = path[-1] - lr * float(loss.slope(np.float64(path[-1])))
            path.append(x)
            if not np.isfinite(x) or abs(x) > limit:
                break
    return np.array(path)


@checked(loss_name=LOSS, path=PATH)
def has_diverged(loss_name: str, path: np.ndarray) -> bool:
    """True when ``path`` overflowed or ran far outside the loss's range."""
    loss = LOSSES[loss_name]
    limit = DIVERGENCE_FACTOR * max(abs(loss.low), abs(loss.high))
    end = path[-1]
    return bool(not np.isfinite(end) or abs(end) > limit)


@checked(
    loss_name=LOSS,
    lr=Number(positive=True),
    steps=Int(0, 10_000),
    count=Int(0, 100),
    seed=SEED,
)
def random_restarts(
    loss_name: str, lr: float, steps: int, count: int, seed: int = 0
) -> list[np.ndarray]:
    """Run gradient descent from ``count`` random starts, uniform over the loss's range."""
    loss = LOSSES[loss_name]
    starts = np.random.default_rng(seed).uniform(loss.low, loss.high, count)
    return [gradient_descent(loss_name, lr, float(s), steps) for s in starts]


@checked(
    loss_name=LOSS,
    paths=Items(PATH, min_length=0, max_length=10_000),
    decimals=Int(0, 15),
)
def minima_found(
    loss_name: str, paths: list[np.ndarray], decimals: int = 2
) -> list[float]:
    """The distinct end points of the paths that did not diverge, rounded, sorted."""
    ends = [p[-1] for p in paths if not has_diverged(loss_name, p)]
    return sorted({round(float(e), decimals) + 0.0 for e in ends})


# --------------------------------------------------------------------------------------
# Backpropagation on a tiny network, by hand
# --------------------------------------------------------------------------------------


@checked(seed=SEED)
def tiny_network_parameters(seed: int = 0) -> dict[str, np.ndarray]:
    """Weights of a 2-3-1 network (sigmoid hidden layer, linear output), float64."""
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(0, 1, (2, 3)),
        "b1": rng.normal(0, 0.1, 3),
        "W2": rng.normal(0, 1, (3, 1)),
        "b2": rng.normal(0, 0.1, 1),
    }


NETWORK = dict(
    params=Instance(
        dict,
        "a dict of W1 (2, h), b1 (h,), W2 (h, 1), b2 (1,)",
        example=lambda: tiny_network_parameters(0),
    ),
    x=Array(shape=(None, 2)),
    y=Array(ndim=(1, 2)),
)


@checked(**NETWORK)
def backpropagate(
    params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and gradients of the 2-3-1 network by the chain rule, in numpy.

    Forward: ``h = sigmoid(x W1 + b1)``, ``p = h W2 + b2``, ``loss = mean((p - y)²)``.
    Returns ``(loss, {"W1": dL/dW1, "b1": ..., "W2": ..., "b2": ...})``.
    """
    params, x, y = _network_inputs(params, x, y)
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


@checked(**NETWORK)
def tape_gradients(
    params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    """The same loss and gradients as ``backpropagate``, computed by ``tf.GradientTape``."""
    import tensorflow as tf

    params, x, y = _network_inputs(params, x, y)
    variables = {k: tf.Variable(v, dtype=tf.float64) for k, v in params.items()}
    x = tf.constant(x, tf.float64)
    y = tf.reshape(tf.constant(y, tf.float64), (-1, 1))
    with tf.GradientTape() as tape:
        h = tf.sigmoid(x @ variables["W1"] + variables["b1"])
        p = h @ variables["W2"] + variables["b2"]
        loss = tf.reduce_mean((p - y) ** 2)
    grads = tape.gradient(loss, variables)
    return float(loss), {k: g.numpy() for k, g in grads.items()}


def _network_inputs(params, x, y):
    """Check the 2-h-1 network's weights and a batch for it; return them as floats."""
    shapes = "W1 (2, h), b1 (h,), W2 (h, 1), b2 (1,)"
    expected_keys = ("W1", "b1", "W2", "b2")
    if not isinstance(params, dict) or not {"W1", "b1", "W2", "b2"} <= set(params):
        raise ValueError(f"params must be a dict of {shapes}, got {show(params)}")
    params = {
        key: Array().check(params[key], f"params[{key!r}]") for key in expected_keys
    }
    hidden = params["W1"].shape[-1] if params["W1"].ndim == 2 else -1
    expected = {"W1": (2, hidden), "b1": (hidden,), "W2": (hidden, 1), "b2": (1,)}
    if hidden < 1 or any(params[key].shape != expected[key] for key in expected):
        raise ValueError(
            f"params must be {shapes}, got "
            + ", ".join(f"{key} {params[key].shape}" for key in expected)
        )
    y = y.reshape(-1, 1)
    if len(x) != len(y):
        raise ValueError("x must be (n, 2) with one target per row")
    return params, x, y


# --------------------------------------------------------------------------------------
# The vanishing gradient, measured
# --------------------------------------------------------------------------------------


@checked(
    activation=Anything("a Keras activation name, checked by Keras below"),
    depth=Int(1, 200),
    width=Int(1, 4096),
    batch_size=Int(1, 4096),
    kernel_initializer=Anything("a Keras initializer or its name, checked below"),
    seed=SEED,
    of=Choice("kernel", "output"),
)
def gradient_norms_by_layer(
    activation: str,
    depth: int = 20,
    width: int = 32,
    batch_size: int = 64,
    kernel_initializer: str = "he_normal",
    seed: int = 0,
    of: str = "kernel",
) -> np.ndarray:
    """Norm of the loss gradient for each hidden layer, first layer first.

    Builds ``depth`` Dense layers of ``width`` units with ``activation`` plus a linear
    output, feeds one batch of random inputs with random targets (MSE), and measures
    with ``tf.GradientTape``, per layer, ``||dL/dW||`` for its kernel (``of="kernel"``)
    or ``||dL/dh||`` for its output ``h`` (``of="output"``: the error signal that
    backpropagation carries back to that layer). Nothing is trained.
    ``kernel_initializer`` is a Keras name ("he_normal", "glorot_uniform", Keras'
    default for Dense) or initializer.

    ``seed`` fixes the initial weights (each layer's initializer gets its own seed) and
    the batch (a local generator), so the same call gives the same numbers twice without
    touching the global random state of Python, NumPy or TensorFlow.
    """
    import keras
    import tensorflow as tf

    try:
        keras.activations.get(activation)
        if not isinstance(kernel_initializer, str):
            kernel_initializer.get_config()
    except (TypeError, ValueError, AttributeError):
        raise ValueError(
            "activation and kernel_initializer must be Keras names (such as 'relu' "
            f"and 'he_normal'), got {show(activation)} and {show(kernel_initializer)}"
        ) from None
    hidden = [
        keras.layers.Dense(
            width,
            activation=activation,
            kernel_initializer=_seeded(kernel_initializer, seed + layer),
        )
        for layer in range(depth)
    ]
    output = keras.layers.Dense(
        1, kernel_initializer=_seeded("glorot_uniform", seed + depth)
    )
    keras.Sequential([keras.Input((width,)), *hidden, output])  # builds the layers
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch_size, width)).astype("float32")
    y = rng.normal(size=(batch_size, 1)).astype("float32")
    with tf.GradientTape() as tape:
        outputs, h = [], tf.constant(x)
        for layer in hidden:  # layer by layer, to keep each output h
            h = layer(h)
            outputs.append(h)
        loss = tf.reduce_mean((output(h) - y) ** 2)
    sources = [layer.kernel for layer in hidden] if of == "kernel" else outputs
    grads = tape.gradient(loss, sources)
    return np.array([float(tf.norm(g)) for g in grads])


GRADIENTS_OF = ("kernel", "output")
"""What ``gradient_norms_by_layer`` measures per layer: dL/dW or dL/d(output)."""


def _seeded(initializer, seed: int):
    """The Keras initializer ``initializer`` (a name or an instance) with its own seed.

    Built with the seed from the start: an unseeded Keras initializer draws its seed from
    Python's global ``random``, which would change the student's random state.
    """
    import keras

    if isinstance(initializer, str):
        try:
            return keras.initializers.deserialize(
                {"class_name": initializer, "config": {"seed": int(seed)}}
            )
        except (TypeError, ValueError):  # zeros, ones: nothing random to seed
            return keras.initializers.get(initializer)
    config = initializer.get_config()
    if "seed" not in config:
        return initializer
    return type(initializer).from_config({**config, "seed": int(seed)})
