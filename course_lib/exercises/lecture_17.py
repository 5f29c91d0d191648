"""Exercises of lecture 17 (recurrent networks): an LSTM's parameters, a temperature by
hand, temperature with top-k sampling written out, and a GRU's parameters."""

from __future__ import annotations

import math

import numpy as np

from course_lib.exercises import Wrong, exercise


def _reference(logits, temperature, top_k):
    scaled = np.asarray(logits, dtype=float) / temperature
    if 0 < top_k < scaled.size:
        order = np.argsort(-scaled, kind="stable")
        scaled[order[top_k:]] = -np.inf
    p = np.exp(scaled - scaled.max())
    return p / p.sum()


def _check_sampling(function) -> None:
    if not callable(function):
        raise Wrong(
            "give a function, e.g. def sampling_probabilities(logits, temperature, "
            "top_k): ..."
        )
    cases = [
        ([2.0, 1.0, 0.0], 1.0, 0),
        ([2.0, 1.0, 0.0], 0.5, 0),
        ([2.0, 1.0, 0.0], 2.0, 0),
        ([0.5, 3.0, -1.0, 2.0], 1.0, 2),
        ([0.5, 3.0, -1.0, 2.0], 0.7, 1),
        ([800.0, 0.0, 1.0], 1.0, 0),  # large logits: subtract the max first
    ]
    for logits, temperature, top_k in cases:
        result = function(np.array(logits), temperature, top_k)
        if result is None:
            raise Wrong("sampling_probabilities returned None: write its body")
        answer = np.asarray(result, dtype=float)
        expected = _reference(logits, temperature, top_k)
        if answer.shape != expected.shape:
            raise Wrong(
                f"for {len(logits)} logits give {len(logits)} probabilities, got shape "
                f"{answer.shape}"
            )
        if not np.isfinite(answer).all():
            raise Wrong(
                f"for logits {logits} some probabilities are NaN or infinite: subtract "
                "the largest scaled logit before exp (softmax does not change)"
            )
        if not math.isclose(answer.sum(), 1.0, abs_tol=1e-6):
            raise Wrong(
                f"the probabilities sum to {answer.sum():.4f}, not 1: divide by the sum"
            )
        if not np.allclose(answer, expected, atol=1e-6):
            if top_k and np.count_nonzero(answer > 1e-12) != top_k:
                raise Wrong(
                    f"with top_k={top_k} exactly {top_k} characters may keep a "
                    "probability above 0: the others get logit -infinity"
                )
            raise Wrong(
                f"for logits {logits}, temperature {temperature}, top_k {top_k} the "
                f"values differ (expected {np.round(expected, 4).tolist()}): divide "
                "the logits by the temperature, then softmax"
            )


def _sampling_solution():
    def sampling_probabilities(logits, temperature, top_k):
        scaled = np.asarray(logits, dtype=float) / temperature
        if 0 < top_k < scaled.size:
            scaled[np.argsort(-scaled, kind="stable")[top_k:]] = -np.inf
        p = np.exp(scaled - scaled.max())
        return p / p.sum()

    return sampling_probabilities


def _times_temperature(logits, temperature, top_k):
    return _reference(np.asarray(logits) * temperature**2, temperature, top_k)


def _no_top_k(logits, temperature, top_k):
    return _reference(logits, temperature, 0)


def _bottom_k(logits, temperature, top_k):
    return _reference(-np.asarray(logits, dtype=float), temperature, top_k)


def _not_normalised(logits, temperature, top_k):
    return _reference(logits, temperature, top_k) * 2


def _overflows(logits, temperature, top_k):
    scaled = np.asarray(logits, dtype=float) / temperature
    if 0 < top_k < scaled.size:
        scaled[np.argsort(-scaled, kind="stable")[top_k:]] = -np.inf
    with np.errstate(over="ignore", invalid="ignore"):
        p = np.exp(scaled)
        return p / p.sum()


exercise(
    "17.1",
    "How many parameters has keras.layers.LSTM(256) reading one-hot characters of 50 "
    "symbols (kernel, recurrent kernel and bias of its four gates)?",
    expected=lambda: 4 * 256 * (50 + 256 + 1),
    hints=(
        (4 * 256 * (50 + 256), "each of the 4 gates also has a bias of 256 values"),
        (256 * (50 + 256 + 1), "that is one gate; an LSTM has four (i, f, g, o)"),
        (
            2 * 4 * 256 * (50 + 256 + 1),
            "that is a bidirectional LSTM; one direction only",
        ),
        (4 * 256 * (50 + 1), "the recurrent kernel (256 x 256 per gate) is missing"),
        (3 * 256 * (50 + 256 + 1), "that is a GRU-like count; an LSTM has 4 blocks"),
    ),
    hint="per gate: inputs x units + units x units + units; then times 4.",
)

exercise(
    "17.2",
    "A model gives two characters the logits 2 and 0. At temperature 0.5, with what "
    "probability does the sampler pick the first one?",
    expected=lambda: math.exp(4) / (math.exp(4) + 1),
    tolerance=1e-3,
    hints=(
        (
            math.exp(2) / (math.exp(2) + 1),
            "that is temperature 1: divide logits by 0.5",
        ),
        (math.exp(1) / (math.exp(1) + 1), "that multiplies by 0.5: divide by it"),
        (1.0, "temperature 0.5 sharpens, but only T -> 0 picks the first always"),
        (2 / 3, "softmax uses exp of the scaled logits, not the logits themselves"),
    ),
    hint="softmax of (2 / 0.5, 0 / 0.5) = (4, 0).",
)

exercise(
    "17.3",
    "Write sampling_probabilities(logits, temperature, top_k): keep only the top_k "
    "largest logits (top_k 0: all), divide by the temperature, softmax. Return the "
    "probabilities (the same length as logits).",
    checker=_check_sampling,
    solution=_sampling_solution,
    mistakes=(
        _times_temperature,
        _no_top_k,
        _bottom_k,
        _not_normalised,
        _overflows,
        "not a function",
    ),
)

exercise(
    "17.4",
    "How many parameters has keras.layers.GRU(64) (Keras 3's default "
    "reset_after=True) reading one-hot characters of 50 symbols?",
    expected=lambda: 3 * 64 * (50 + 64 + 2),
    hints=(
        (
            3 * 64 * (50 + 64 + 1),
            "that is reset_after=False, one bias per block; Keras 3 keeps two (input "
            "and recurrent)",
        ),
        (4 * 64 * (50 + 64 + 1), "that is an LSTM; a GRU has three blocks (z, r, h)"),
        (3 * 64 * (50 + 64), "the biases are missing: two per block and unit"),
        (64 * (50 + 64 + 2), "that is one block; a GRU has three (z, r and candidate)"),
    ),
    hint="per block: inputs x units + units x units + 2 x units; then times 3.",
)
