"""Lecture 17, the cells: one-hot text, a simple RNN and an LSTM written out in NumPy
(equal to ``keras.layers.SimpleRNN`` / ``LSTM`` with the same weights), and parameter
counts of recurrent layers, stacked and bidirectional (the slides' 2 x LSTM(512) on 59
symbols has 3,300,923 parameters).

Keras' gate order in an LSTM kernel is input, forget, cell candidate, output
(``i, f, g, o``), each ``units`` columns wide; this module uses the same layout.
"""

from __future__ import annotations

import numpy as np

from course_lib.core import (
    Array,
    Bool,
    Choice,
    Int,
    Items,
    OneOf,
    Optional,
    Text,
    checked,
)

# --------------------------------------------------------------------------------------
# One-hot text
# --------------------------------------------------------------------------------------


@checked(text=Text(max_length=100_000))
def one_hot(text: str) -> tuple[np.ndarray, list[str]]:
    """One row per character, one column per symbol, as the slides do it with
    scikit-learn's ``LabelBinarizer``.

    Returns ``(matrix, symbols)``: ``matrix`` is (len(text), len(symbols)) of 0/1 ints,
    ``symbols`` the sorted distinct characters (the columns).

    >>> matrix, symbols = one_hot("hello world")
    >>> matrix.shape, "".join(symbols)
    ((11, 8), ' dehlorw')
    """
    from sklearn.preprocessing import LabelBinarizer

    if len(set(text)) < 3:
        # LabelBinarizer gives one column (not two) for two classes: refuse, not mislead.
        raise ValueError(
            f"text must have at least 3 distinct characters, got {len(set(text))}"
        )
    binarizer = LabelBinarizer()
    matrix = binarizer.fit_transform(list(text))
    return matrix, [str(s) for s in binarizer.classes_]


# --------------------------------------------------------------------------------------
# Cells written out
# --------------------------------------------------------------------------------------

WEIGHTS = Array(ndim=2, what="a weight matrix")
BIAS = Array(ndim=1, what="a bias vector")
SEQUENCE = Array(ndim=(2, 3), what="a sequence (time, inputs) or a batch of them")
STATE = Array(ndim=(1, 2), what="a state (units,) or (batch, units)")


def _weights(kernel, recurrent_kernel, bias, gates: int) -> None:
    """Refuse weight arrays that do not fit together (the kernels' rows are the inputs
    and the units, their columns ``gates * units``)."""
    units = recurrent_kernel.shape[0]
    if units == 0 or recurrent_kernel.shape != (units, gates * units):
        raise ValueError(
            f"recurrent_kernel must be (units, {gates} * units), "
            f"got {recurrent_kernel.shape}"
        )
    if kernel.shape[1] != gates * units or kernel.shape[0] == 0:
        raise ValueError(
            f"kernel must be (inputs, {gates * units}) to match recurrent_kernel, "
            f"got {kernel.shape}"
        )
    if bias.shape != (gates * units,):
        raise ValueError(f"bias must have {gates * units} values, got {bias.shape}")


def _sequences(x, inputs: int) -> tuple[np.ndarray, bool]:
    """x as (batch, time, inputs); True when it came without a batch axis."""
    single = x.ndim == 2
    if single:
        x = x[None]
    if x.shape[-1] != inputs or x.shape[1] == 0:
        raise ValueError(
            f"x must be (time, {inputs}) or (batch, time, {inputs}) with time >= 1, "
            f"got {x.shape[1:] if single else x.shape}"
        )
    return x, single


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -z))


@checked(z=Array(what="numbers"))
def sigmoid(z):
    """The logistic function 1 / (1 + e^-z), computed without overflow."""
    return _sigmoid(z)


@checked(
    x=SEQUENCE, kernel=WEIGHTS, recurrent_kernel=WEIGHTS, bias=BIAS, h0=Optional(STATE)
)
def rnn_forward(x, kernel, recurrent_kernel, bias, h0=None) -> np.ndarray:
    """A simple RNN over a sequence: ``h_t = tanh(x_t W + h_{t-1} U + b)``.

    ``x`` is (time, inputs) or (batch, time, inputs); returns every hidden state,
    (time, units) or (batch, time, units), as ``SimpleRNN(return_sequences=True)``.
    """
    x, single = _sequences(x, kernel.shape[0])
    units = recurrent_kernel.shape[0]
    h = np.zeros((x.shape[0], units)) if h0 is None else _state(h0, len(x), units, "h0")
    _weights(kernel, recurrent_kernel, bias, 1)
    states = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        states.append(h)
    out = np.stack(states, axis=1)
    return out[0] if single else out


def _state(state: np.ndarray, batch: int, units: int, name: str) -> np.ndarray:
    if state.shape[-1] != units or (
        state.ndim == 2 and state.shape[0] not in (1, batch)
    ):
        raise ValueError(
            f"{name} must be ({units},) or ({batch}, {units}), one state per sequence, "
            f"got shape {state.shape}"
        )
    return np.array(np.broadcast_to(state, (batch, units)))


@checked(
    x=Array(ndim=(1, 2), what="inputs (inputs,) or (batch, inputs)"),
    h=STATE,
    c=STATE,
    kernel=WEIGHTS,
    recurrent_kernel=WEIGHTS,
    bias=BIAS,
)
def lstm_step(x, h, c, kernel, recurrent_kernel, bias):
    """One LSTM step: four gates from the input and the previous hidden state.

    ::

        z = x W + h U + b            (4 blocks: i, f, g, o)
        i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)   # input, forget, output gates
        g = tanh(z_g)                                        # candidate cell values
        c' = f * c + i * g           # the cell state: forget some, write some
        h' = o * tanh(c')            # the hidden state: what the cell shows

    Returns ``(h', c')``. Shapes: x (batch, inputs), h and c (batch, units).
    """
    x = x[None] if x.ndim == 1 else x
    if x.shape[1] != kernel.shape[0]:
        raise ValueError(
            f"x must have {kernel.shape[0]} inputs (the kernel's rows), got shape {x.shape}"
        )
    units = recurrent_kernel.shape[0]
    h, c = _state(h, x.shape[0], units, "h"), _state(c, x.shape[0], units, "c")
    _weights(kernel, recurrent_kernel, bias, 4)
    return _lstm_step(x, h, c, kernel, recurrent_kernel, bias)


def _lstm_step(x, h, c, kernel, recurrent_kernel, bias):
    z = x @ kernel + h @ recurrent_kernel + bias
    i, f, g, o = np.split(z, 4, axis=-1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h = _sigmoid(o) * np.tanh(c)
    return h, c


@checked(
    x=SEQUENCE,
    kernel=WEIGHTS,
    recurrent_kernel=WEIGHTS,
    bias=BIAS,
    h0=Optional(STATE),
    c0=Optional(STATE),
)
def lstm_forward(x, kernel, recurrent_kernel, bias, h0=None, c0=None):
    """An LSTM over a sequence; returns ``(outputs, h, c)``.

    ``outputs`` holds every hidden state, (time, units) or (batch, time, units), as
    ``LSTM(return_sequences=True, return_state=True)`` gives; ``h`` and ``c`` are the
    two states after the last step (an LSTM carries two states, a simple RNN one).
    """
    x, single = _sequences(x, kernel.shape[0])
    batch, units = x.shape[0], recurrent_kernel.shape[0]
    h = np.zeros((batch, units)) if h0 is None else _state(h0, batch, units, "h0")
    c = np.zeros((batch, units)) if c0 is None else _state(c0, batch, units, "c0")
    _weights(kernel, recurrent_kernel, bias, 4)
    outputs = []
    for t in range(x.shape[1]):
        h, c = _lstm_step(x[:, t], h, c, kernel, recurrent_kernel, bias)
        outputs.append(h)
    out = np.stack(outputs, axis=1)
    return (out[0], h[0], c[0]) if single else (out, h, c)


# --------------------------------------------------------------------------------------
# Parameter counts
# --------------------------------------------------------------------------------------

LAYER_KINDS = ("SimpleRNN", "GRU", "LSTM")
_GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}
KIND = Choice(*LAYER_KINDS)
UNITS = Int(1, 10**5)


@checked(kind=KIND, inputs=Int(1, 10**6), units=UNITS, bidirectional=Bool())
def recurrent_parameters(
    kind: str, inputs: int, units: int, bidirectional: bool = False
) -> int:
    """Weights of one recurrent layer: ``gates * units * (inputs + units + 1)``.

    Each gate has a kernel (inputs x units), a recurrent kernel (units x units) and a
    bias; an LSTM has 4 such blocks, a simple RNN 1. (Keras' GRU, with
    ``reset_after=True``, has a second bias: 3 more ``units`` per gate row.) A
    bidirectional layer is two of them, one reading backwards.

    >>> recurrent_parameters("LSTM", 59, 512)
    1171456
    """
    gates = _GATES[kind]
    count = gates * units * (inputs + units + 1)
    if kind == "GRU":
        count += gates * units  # reset_after: a second (recurrent) bias
    return 2 * count if bidirectional else count


@checked(units=UNITS, inputs=Int(1, 10**6), reset_after=Bool())
def gru_parameters(units: int, inputs: int, reset_after: bool = True) -> int:
    """Weights of a Keras GRU layer: three gates, each with input and recurrent
    matrices and biases. Keras 3's default ``reset_after=True`` keeps two biases per
    gate: 3 * (u * (i + u) + 2 * u); with ``reset_after=False`` one: 3 * (u * (i + u) + u)
    (lecture 20's decoder is a GRU).

    >>> gru_parameters(64, 16)
    15744
    """
    biases = 2 if reset_after else 1
    return 3 * (units * (inputs + units) + biases * units)


@checked(
    symbols=Int(2, 10**6),
    units=OneOf(UNITS, Items(UNITS, 1, 10)),
    bidirectional=Bool(),
    kind=KIND,
)
def stacked_parameters(
    symbols: int = 59,
    units: int | list[int] = (512, 512),
    bidirectional: bool = False,
    kind: str = "LSTM",
) -> dict[str, int]:
    """Parameters of a stack of recurrent layers with a softmax over ``symbols`` on top,
    layer by layer (dropout has none). The slides' model is the default:

    >>> counts = stacked_parameters()
    >>> counts["LSTM 1"], counts["LSTM 2"], counts["Dense"], counts["total"]
    (1171456, 2099200, 30267, 3300923)

    A bidirectional layer passes ``2 * units`` features to the next layer.
    """
    units = [units] if isinstance(units, int) else list(units)
    counts: dict[str, int] = {}
    inputs = symbols
    for n, width in enumerate(units, 1):
        name = f"{'Bidirectional ' if bidirectional else ''}{kind} {n}"
        counts[name] = recurrent_parameters(kind, inputs, width, bidirectional)
        inputs = width * (2 if bidirectional else 1)
    counts["Dense"] = inputs * symbols + symbols
    counts["total"] = sum(counts.values())
    return counts


@checked(symbols=Int(2, 1000), maxlen=Int(1, 1000), bidirectional=Bool())
def slide_model(symbols: int = 59, maxlen: int = 40, bidirectional: bool = False):
    """The slides' model in Keras 3: LSTM(512) -> Dropout -> LSTM(512) -> Dropout ->
    Dense(symbols, softmax), on one-hot input of ``maxlen`` steps (built, not trained).

    The slides' Keras 1 code gives ``input_shape=`` to the first layer; Keras 3 starts
    with ``keras.Input``. ``bidirectional=True`` wraps both LSTMs in ``Bidirectional``.
    """
    import keras

    def wrap(layer):
        return keras.layers.Bidirectional(layer) if bidirectional else layer

    return keras.Sequential(
        [
            keras.Input((maxlen, symbols)),
            wrap(keras.layers.LSTM(512, return_sequences=True)),
            keras.layers.Dropout(0.2),
            wrap(keras.layers.LSTM(512)),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(symbols, activation="softmax"),
        ],
        name="slides_lstm" + ("_bidirectional" if bidirectional else ""),
    )
