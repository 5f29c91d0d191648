"""Exercises of lecture 20 (beyond classification): CTC by counting alignments, a GRU's
and a Conv3D's parameters, attention written out, and CTC's collapse."""

from __future__ import annotations

import itertools

import numpy as np

from course_lib.exercises import Wrong, exercise


def _reference_attention(query, value):
    scores = query @ value.T
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    return weights @ value, weights


def _check_attention(function) -> None:
    if not callable(function):
        raise Wrong("give a function, e.g. def attend(query, value): ...")
    rng = np.random.default_rng(20)
    for steps, columns, size in [(1, 3, 2), (4, 7, 5), (6, 35, 64)]:
        query = rng.normal(size=(steps, size))
        value = rng.normal(size=(columns, size))
        result = function(query, value)
        if result is None:
            raise Wrong("attend returned None: write its body")
        if not isinstance(result, tuple) or len(result) != 2:
            raise Wrong("return two arrays: (context, weights)")
        context, weights = (np.asarray(part, dtype=float) for part in result)
        expected_context, expected_weights = _reference_attention(query, value)
        if weights.shape != expected_weights.shape:
            raise Wrong(
                f"for {steps} query steps and {columns} columns the weights must be "
                f"{expected_weights.shape}, got {weights.shape}"
            )
        if not np.allclose(weights.sum(axis=1), 1, atol=1e-6):
            raise Wrong(
                "each query step's weights must sum to 1: a softmax over the columns "
                "(axis 1 of the scores)"
            )
        if not np.allclose(weights, expected_weights, atol=1e-6):
            raise Wrong(
                f"for {steps} query steps and {columns} columns the weights differ: "
                "scores are query @ value.T (dot products), then a softmax per row"
            )
        if context.shape != expected_context.shape or not np.allclose(
            context, expected_context, atol=1e-6
        ):
            raise Wrong("the context is weights @ value: the columns, averaged")


def _attention_solution():
    def attend(query, value):
        scores = query @ value.T
        weights = np.exp(scores - scores.max(axis=1, keepdims=True))
        weights = weights / weights.sum(axis=1, keepdims=True)
        return weights @ value, weights

    return attend


def _no_softmax(query, value):
    scores = query @ value.T
    return scores @ value, scores


def _softmax_over_steps(query, value):
    scores = query @ value.T
    weights = np.exp(scores) / np.exp(scores).sum(axis=0, keepdims=True)
    return weights @ value, weights


def _context_from_scores(query, value):
    scores = query @ value.T
    weights = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    return scores @ value, weights


def _check_collapse(function) -> None:
    if not callable(function):
        raise Wrong("give a function, e.g. def collapse(path): ...")
    cases = [
        ("aa-", "a"),
        ("a-a", "aa"),
        ("-hh-e-ll-llo", "hello"),
        ("---", ""),
        ("ab", "ab"),
        ("aab-bb", "abb"),
    ]
    for path, expected in cases:
        result = function(path)
        if result is None:
            raise Wrong("collapse returned None: write its body")
        if not isinstance(result, str):
            raise Wrong(f"return text, e.g. 'a'; for {path!r} got {result!r}")
        if result != expected:
            raise Wrong(
                f"collapse({path!r}) should be {expected!r}, got {result!r}: first "
                "merge repeated symbols, THEN drop the blanks '-'"
            )


def _collapse_solution():
    def collapse(path):
        merged = [symbol for symbol, _ in itertools.groupby(path)]
        return "".join(symbol for symbol in merged if symbol != "-")

    return collapse


def _blanks_first(path):
    kept = path.replace("-", "")
    return "".join(symbol for symbol, _ in itertools.groupby(kept))


def _no_merging(path):
    return path.replace("-", "")


exercise(
    "20.1",
    "CTC with 3 frames and one symbol 'a' besides the blank '-': every frame gives "
    "P('a') = 0.5 and P('-') = 0.5. What is P(label 'a'), the sum over every path "
    "that collapses to 'a'?",
    expected=lambda: 0.75,
    tolerance=1e-9,
    hints=(
        (0.125, "that is one path; CTC sums over ALL alignments (a--, -a-, --a, ...)"),
        (0.375, "you counted the paths with one 'a'; aa-, -aa and aaa collapse to 'a'"),
        (0.875, "'a-a' collapses to 'aa', not 'a': a blank keeps repeats apart"),
        (0.5, "list the 8 paths of 3 frames and collapse each"),
    ),
    hint="write out the 8 paths of three frames, collapse each, add up 0.125 per path "
    "that gives 'a'.",
)

exercise(
    "20.2",
    "How many weights has keras.layers.GRU(32) on inputs of 16 features, in Keras 3's "
    "default (reset_after=True)?",
    expected=lambda: 3 * (32 * (16 + 32) + 2 * 32),
    hints=(
        (
            3 * (32 * 48 + 32),
            "that is reset_after=False; Keras 3 keeps two biases per gate",
        ),
        (
            4 * (32 * 48 + 32),
            "an LSTM has four blocks; a GRU has three (update, reset, candidate)",
        ),
        (3 * 32 * 48, "add the biases: two vectors of 32 per gate"),
        (32 * 48 + 64, "that is one gate; a GRU has three"),
    ),
    hint="3 gates x (input matrix 16x32 + recurrent matrix 32x32 + two biases of 32).",
)

exercise(
    "20.3",
    "Write attend(query, value): query (steps, d) and value (columns, d) -> (context "
    "(steps, d), weights (steps, columns)), dot-product attention as "
    "keras.layers.Attention computes it.",
    checker=_check_attention,
    solution=_attention_solution,
    mistakes=(_no_softmax, _softmax_over_steps, _context_from_scores, "not a function"),
)

exercise(
    "20.4",
    "Write collapse(path): CTC's map from a path of symbols ('-' is the blank) to its "
    "label, e.g. collapse('-hh-e-ll-llo') == 'hello'.",
    checker=_check_collapse,
    solution=_collapse_solution,
    mistakes=(_blanks_first, _no_merging, "not a function"),
)
