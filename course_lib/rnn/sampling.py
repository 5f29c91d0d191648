"""Lecture 17, sampling: temperature and top-k sampling written out, a character
LSTM in NumPy that generates text (fast enough for a widget, no TensorFlow needed), its
copies to and from Keras, and the small trained model shipped in
``course_lib/data/files/text_model.npz``."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course_lib.core import (
    SEED,
    Array,
    Instance,
    Int,
    Items,
    Model,
    Number,
    OneOf,
    Optional,
    PathIn,
    Text,
    checked,
)
from course_lib.rnn.corpus import CORPUS, Vocabulary, _Character, char_model

MAX_GENERATE = 5000
"""The most characters one call of ``generate`` writes."""
LOGITS = Array(ndim=1, what="logits (one per symbol)")
TEMPERATURE = Number(0.01, 100.0)
TOP_K = Int(0, 10**6)
RANDOM = OneOf(SEED, Instance(np.random.Generator, "a numpy random Generator"))
SEED_TEXT = Text(max_length=10_000)

# --------------------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------------------


@checked(logits=LOGITS, temperature=TEMPERATURE, top_k=TOP_K)
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
    if logits.size == 0:
        raise ValueError("logits must hold at least one number, got an empty list")
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
    """``seed`` as RANDOM converted it: a Generator as it is, an int seeds a new one."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


@checked(logits=LOGITS, temperature=TEMPERATURE, top_k=TOP_K, seed=RANDOM)
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

    @checked(text=SEED_TEXT)
    def read(self, text: str):
        """Read a text; return the logits after its last character and the states."""
        ids = self.vocab.encode(text)
        states = self.start()
        logits = None
        for i in ids:
            logits, states = self.step(i, states)
        return logits, states


VOCABULARY = OneOf(
    Instance(Vocabulary, "a Vocabulary", example=lambda: Vocabulary("abc")),
    Items(_Character(), 1, 100_000),
    CORPUS,
)
"""A Vocabulary, or the symbols or text to make one from."""
CHAR_MODEL = Model(
    (None, None), (None, None), outputs="logits", what="a character model (char_model)"
)
"""One-hot characters in, a score (logit) per symbol at every step out."""


@checked(model=CHAR_MODEL, vocab=VOCABULARY)
def model_from_keras(model, vocab: Vocabulary | Sequence[str]) -> TextModel:
    """The NumPy copy of a Keras ``char_model`` (its LSTM layers and the Dense layer).

    The model must end in logits, as ``char_model`` does: sampling divides logits by
    the temperature, and a final softmax would be sampled as if its probabilities were
    logits.
    """
    import keras

    vocab = vocab if isinstance(vocab, Vocabulary) else Vocabulary(vocab)
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


TEXT_MODEL = Instance(
    TextModel,
    "a TextModel (cl.data.load_text_model() or cl.rnn.model_from_keras(...))",
    example=lambda: _shipped(),
)


@functools.cache
def _shipped() -> TextModel:
    from course_lib.data import load_text_model

    return load_text_model()


@checked(text_model=TEXT_MODEL)
def model_to_keras(text_model: TextModel):
    """A Keras ``char_model`` carrying the weights of a ``TextModel``."""
    model = char_model(len(text_model.vocab), text_model.units, len(text_model.layers))
    weights = [w for layer in text_model.layers for w in layer]
    model.set_weights([*weights, text_model.dense_kernel, text_model.dense_bias])
    return model


GENERATION = {
    "text_model": TEXT_MODEL,
    "seed_text": SEED_TEXT,
    "length": Int(0, MAX_GENERATE),
    "temperature": TEMPERATURE,
    "top_k": TOP_K,
    "seed": RANDOM,
}
"""What ``generate`` and ``generate_stream`` take."""


@checked(**GENERATION)
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
    if top_k > len(text_model.vocab):
        raise ValueError(
            f"top_k must be from 0 to {len(text_model.vocab)} (the model's symbols), "
            f"got {top_k}"
        )
    rng = _random(seed)
    logits, states = text_model.read(seed_text)
    for _ in range(length):
        char_id = _draw(logits, temperature, top_k, rng)
        yield text_model.vocab.symbols[char_id]
        logits, states = text_model.step(char_id, states)


@checked(**GENERATION)
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


@checked(
    text_model=TEXT_MODEL,
    path=PathIn(),
    history=Optional(Instance(dict, "a dict of lists of numbers by name")),
)
def save_text_model(text_model: TextModel, path, history: dict | None = None) -> None:
    """Write a ``TextModel`` as a float32 ``.npz`` (the symbols stored as one string;
    ``history``, lists of numbers by name, stored as ``history_<name>``)."""
    arrays = {"symbols": np.array("".join(text_model.vocab.symbols))}
    for name, values in (history or {}).items():
        curve = Array(ndim=1, what="a list of numbers").check(
            values, f"history[{name!r}]"
        )
        arrays[f"history_{name}"] = curve
    for n, layer in enumerate(text_model.layers):
        for name, w in zip(("kernel", "recurrent_kernel", "bias"), layer, strict=True):
            arrays[f"lstm{n}_{name}"] = w.astype(np.float32)
    arrays["dense_kernel"] = text_model.dense_kernel.astype(np.float32)
    arrays["dense_bias"] = text_model.dense_bias.astype(np.float32)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


@checked(path=PathIn())
def read_text_model(path) -> TextModel:
    """Read a ``TextModel`` written by ``save_text_model`` (no checksum check)."""
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
