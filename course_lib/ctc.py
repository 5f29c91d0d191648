"""Lecture 20, CTC: reading a strip with one prediction per column and no decoder, and a
LipNet-style CTC reader (CNN columns, a bidirectional GRU, CTC).

CTC (Graves et al. 2006) is the loss of LipNet (Assael et al. 2016), which reads lips with
spatio-temporal convolutions, two bidirectional GRUs and a softmax over the characters
and a blank at every frame. Here the "frames" are the 35 four-pixel columns of a digit
strip (``cl.attention.make_strips``):

- ``collapse``: CTC's many-to-one map (merge repeats, drop blanks);
  ``ctc_probability_by_hand`` sums the probability of *every* alignment that collapses
  to the label (``ctc_alignments``), equal to ``keras.ops.ctc_loss``; ``ctc_loss`` and
  ``ctc_greedy_decode`` train and read a CTC reader without any alignment;
- ``build_ctc_reader``: the captioner's CNN encoder (one feature per column), a
  bidirectional GRU across the columns, and a softmax over the 10 digits and the blank
  (``BLANK``) per column, compiled with ``ctc_loss``; trained from scratch;
- ``escape_epoch``: when a CTC loss curve leaves the *blank plateau* (the stretch where
  the reader answers "blank" everywhere and writes nothing);
- ``accuracy_by_length``: sequence accuracy of any reader split by how many digits a
  strip holds (1..5);
- ``check_sequence_results``: the layout of the full-budget runs over 3 seeds that
  ship with the course (attention against none; CTC from scratch; made by
  ``datasets/build_sequence_results.py``, read by ``cl.data.load_sequence_results``).

Example::

    strips = cl.attention.make_strips(2000, seed=0)
    reader = cl.ctc.build_ctc_reader()
    history = reader.fit(strips.images, cl.ctc.ctc_targets(strips), epochs=20)
    cl.ctc.escape_epoch(history.history["loss"])
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from course_lib.attention import (
    DIGIT_SIDE,
    MAX_DIGITS,
    PREDICTED,
    STRIPS,
    Strips,
    _encoder,
)
from course_lib.core import (
    SEED,
    Anything,
    Array,
    Instance,
    Int,
    Items,
    Number,
    checked,
)

__all__ = [
    "BLANK",
    "collapse",
    "ctc_alignments",
    "ctc_probability_by_hand",
    "ctc_targets",
    "ctc_loss",
    "ctc_greedy_decode",
    "build_ctc_reader",
    "escape_epoch",
    "accuracy_by_length",
    "check_sequence_results",
]

BLANK = 10
"""The CTC blank: the CTC reader predicts 11 symbols, the digits 0-9 and the blank."""
SYMBOL = Int(0, 39)
LABEL = Items(SYMBOL, 0, 12)
"""A label for the by-hand CTC: up to 12 symbol ids (the blank is not one of them)."""
LOGITS = Array(shape=(None, None, 11), what="logits or probabilities")


# --------------------------------------------------------------------------------------
# CTC
# --------------------------------------------------------------------------------------


@checked(
    path=Array(ndim=1, dtype="int", low=0, what="a path of symbol ids"),
    blank=Int(0, 10_000),
)
def collapse(path, blank: int = BLANK) -> tuple[int, ...]:
    """CTC's many-to-one map: merge repeated symbols, then drop blanks.

    >>> collapse([1, 1, 10, 1, 2, 2], blank=10)
    (1, 1, 2)
    """
    return _collapse(path.tolist(), blank)


def _collapse(path, blank: int) -> tuple[int, ...]:
    merged = [symbol for symbol, _ in itertools.groupby(path)]
    return tuple(symbol for symbol in merged if symbol != blank)


@checked(label=LABEL, frames=Int(1, 12), symbols=Int(2, 40), blank=SYMBOL)
def ctc_alignments(label, frames: int, symbols: int, blank: int) -> list[tuple]:
    """Every path of ``frames`` symbols (of ``symbols``, one the blank) that collapses
    to ``label``. Enumerates all ``symbols ** frames`` paths: for small cases only."""
    if blank >= symbols:
        raise ValueError(
            f"blank must be from 0 to {symbols - 1} (symbols - 1), got {blank}"
        )
    if symbols**frames > 2_000_000:
        raise ValueError(
            f"symbols ** frames must be at most 2,000,000 paths to enumerate, got "
            f"{symbols}**{frames}"
        )
    if any(s >= symbols or s == blank for s in label):
        raise ValueError(
            f"label symbols must be 0-{symbols - 1} and not the blank {blank}, got "
            f"{label}"
        )
    return [
        path
        for path in itertools.product(range(symbols), repeat=frames)
        if _collapse(path, blank) == label
    ]


@checked(
    probabilities=Array(ndim=2, low=0, high=1, what="probabilities (frames, symbols)"),
    label=LABEL,
    blank=SYMBOL,
)
def ctc_probability_by_hand(probabilities, label, blank: int) -> float:
    """P(label) under CTC: the sum over every alignment of the product of its
    per-frame probabilities. ``probabilities`` is (frames, symbols), rows sum to 1."""
    frames, symbols = probabilities.shape
    if symbols < 2 or not np.allclose(probabilities.sum(axis=1), 1):
        raise ValueError(
            "probabilities must be (frames, symbols) with at least 2 symbols and each "
            f"frame's row summing to 1, got shape {probabilities.shape}"
        )
    total = 0.0
    for path in ctc_alignments(label, frames, symbols, blank):
        total += math.prod(probabilities[t, s] for t, s in enumerate(path))
    return total


@checked(strips=STRIPS)
def ctc_targets(strips: Strips) -> np.ndarray:
    """CTC's targets: the digits, padded with -1 (``ctc_loss`` reads the lengths)."""
    return strips.labels.astype(np.int32)


@checked(
    targets=Anything(
        "targets (N, digits) padded with -1 (tensors go to Keras as they are)"
    ),
    logits=Anything("logits (N, frames, 11) (tensors go to Keras as they are)"),
)
def ctc_loss(targets, logits):
    """Keras loss: ``keras.ops.ctc_loss`` with the blank at ``BLANK``; targets padded
    with -1, logits (N, frames, 11) before the softmax."""
    import keras
    from keras import ops

    arrays = [
        isinstance(value, np.ndarray | np.generic) or not hasattr(value, "dtype")
        for value in (targets, logits)
    ]
    if all(arrays):  # NumPy or lists: checked here (tensors are left to Keras)
        targets = Array(ndim=2, dtype="int", low=-1, what="targets").check(
            targets, "targets"
        )
        shape_t, shape_l = targets.shape, LOGITS.check(logits, "logits").shape
        if (
            len(shape_t) != 2
            or len(shape_l) != 3
            or shape_l[2] != 11
            or shape_t[0] != shape_l[0]
            or 0 in shape_t + shape_l
        ):
            raise ValueError(
                f"targets (N, digits) and logits (N, frames, 11) must fit, got shapes "
                f"{shape_t} and {shape_l}"
            )
    targets = ops.cast(targets, "int32")
    target_length = ops.sum(ops.cast(targets >= 0, "int32"), axis=-1)
    frames = ops.shape(logits)[1]
    output_length = ops.full((ops.shape(logits)[0],), frames, dtype="int32")
    return keras.ops.ctc_loss(
        ops.maximum(targets, 0), logits, target_length, output_length, mask_index=BLANK
    )


@checked(logits=LOGITS)
def ctc_greedy_decode(logits) -> list[str]:
    """Best path decoding: the most likely symbol per frame, collapsed (repeats merged,
    blanks dropped). ``logits`` or probabilities (N, frames, 11)."""
    return [
        "".join(str(s) for s in _collapse(path, BLANK))
        for path in logits.argmax(-1).tolist()
    ]


# --------------------------------------------------------------------------------------
# The CTC reader
# --------------------------------------------------------------------------------------


@checked(
    max_digits=Int(1, MAX_DIGITS),
    units=Int(4, 512),
    recurrent_units=Int(2, 512),
    learning_rate=Number(0, 1, positive=True),
    seed=SEED,
)
def build_ctc_reader(
    max_digits: int = MAX_DIGITS,
    units: int = 64,
    recurrent_units: int = 32,
    learning_rate: float = 2e-3,
    seed: int = 0,
):
    """Strip (N, 28, 28 * max_digits) -> logits (N, columns, 11): digits and the blank.

    The CNN encoder of ``cl.attention.build_reader`` turns the strip into one
    ``units``-number feature per 4-pixel column; a bidirectional GRU
    (``recurrent_units`` each way, layer ``"bidirectional_gru"``) reads the columns
    left to right and right to left, so every column's answer can depend on its
    neighbours; a Dense layer (``"per_column"``) gives 11 logits per column. Compiled
    with Adam and ``ctc_loss``. No weights are borrowed from another model.
    """
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    image = keras.Input((DIGIT_SIDE, DIGIT_SIDE * max_digits), name="strip")
    columns = _encoder(image, units)
    sequence = layers.Bidirectional(
        layers.GRU(recurrent_units, return_sequences=True), name="bidirectional_gru"
    )(columns)
    logits = layers.Dense(11, name="per_column")(sequence)
    model = keras.Model(image, logits, name="ctc_reader")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=ctc_loss)
    return model


@checked(
    losses=Array(ndim=1, what="losses (one per epoch)"),
    drop=Number(0.01, 0.99),
    settle=Int(1, 100),
)
def escape_epoch(losses, drop: float = 0.25, settle: int = 2) -> int | None:
    """The first epoch (1-based) whose loss is ``drop`` below the plateau, or None.

    The plateau is the lowest loss of the first ``settle`` epochs, when a CTC reader
    has learned to answer "blank" everywhere; the reader has escaped it at the first
    later epoch whose loss is at most ``(1 - drop)`` times that level. None: it never
    did (or the curve is not longer than ``settle`` epochs).

    >>> escape_epoch([9.0, 8.9, 8.8, 6.0, 2.0])
    4
    """
    if len(losses) == 0:
        raise ValueError("losses must hold one number per epoch, got an empty list")
    level = (1 - drop) * losses[:settle].min()
    below = np.nonzero(losses[settle:] <= level)[0]
    return int(below[0]) + settle + 1 if len(below) else None


@checked(predicted=PREDICTED, strips=STRIPS)
def accuracy_by_length(predicted, strips: Strips) -> dict[int, float]:
    """Sequence accuracy per strip length: ``{digits in the strip: fraction read
    right}``, for the lengths present in ``strips``."""
    if len(predicted) != len(strips):
        raise ValueError(
            f"predicted must hold one text per strip ({len(strips)}), got "
            f"{len(predicted)}"
        )
    right = np.array(
        [p == t for p, t in zip(predicted, strips.digits, strict=True)], bool
    )
    return {
        int(k): float(right[strips.lengths == k].mean())
        for k in np.unique(strips.lengths)
    }


def _example_sequence_results() -> dict:
    run = {k: 1.0 for k in range(1, 6)}
    return {
        "readers": {"plain": [0.5], "attention": [0.9], "plain_by_length": [run]},
        "ctc": {"escape_epoch": [4], "by_length": [run]},
    }


@checked(
    results=Instance(
        dict, "the dict cl.data.load_sequence_results gives", _example_sequence_results
    )
)
def check_sequence_results(results: dict) -> dict:
    """A copy of ``results`` (lecture 20's full-budget runs, as JSON gives them) with
    the strip lengths of every ``by_length`` back to ints, or a ValueError when a part
    is missing.

    It holds ``settings``, ``machine``; ``readers`` with lists over seeds of the
    sequence accuracy of the reader without attention (``"plain"``) and with
    (``"attention"``), and each by strip length; ``ctc`` with, per seed, the loss, the
    share of test strips with anything written and the sequence accuracy after every
    epoch, the ``escape_epoch`` and the accuracy ``by_length`` at the end.
    """
    if not {"readers", "ctc"} <= set(results) or not all(
        isinstance(results[part], dict) for part in ("readers", "ctc")
    ):
        raise ValueError("results must hold 'readers' and 'ctc' (dicts of runs)")
    results = dict(results)  # a copy: the caller's dict stays as it was
    for part in ("readers", "ctc"):  # JSON keys are text: lengths back to ints
        results[part] = {
            key: [{int(k): v for k, v in run.items()} for run in runs]
            if key.endswith("by_length")
            else runs
            for key, runs in results[part].items()
        }
    return results
