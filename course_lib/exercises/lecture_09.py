"""Exercises of lecture 09 (the layers toolbox): BN's scale and shift, dropout's factor,
BN's parameters, a softmax that cannot overflow, and the remedy that closes the gap."""

from __future__ import annotations

import warnings

import numpy as np

from course_lib.exercises import Wrong, exercise


def _bn_output_mean_and_sd():
    """Normalize a large batch with gamma 2, beta 1 and measure the output."""
    from course_lib.layers import batch_norm_training

    x = np.random.default_rng(0).normal(5.0, 3.0, size=(100_000, 1))
    y = batch_norm_training(x, gamma=2.0, beta=1.0)
    return (round(float(y.mean()), 2), round(float(y.std()), 2))


def _dropout_factor():
    """What Keras-style dropout multiplies a kept value by, at rate 0.2."""
    from course_lib.layers import dropout

    kept = dropout(np.ones(1000), 0.2, seed=0)
    return round(float(kept.max()), 6)


def _bn_parameters():
    """(all, trainable) parameters of BatchNormalization on 32 channels, from Keras."""
    import keras

    layer = keras.layers.BatchNormalization()
    layer.build((None, 8, 8, 32))
    trainable = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
    return (layer.count_params(), trainable)


def _smallest_shipped_gap():
    """The remedy with the smallest train-validation gap in the shipped curves."""
    from course_lib.layers import load_remedy_curves, summarize_remedies

    rows = summarize_remedies(load_remedy_curves())
    return min(rows, key=lambda row: row["gap"])["remedy"]


def _softmax_cases():
    return [
        ("the slides' scores [1.2, 0.9, 0.4]", np.array([1.2, 0.9, 0.4])),
        ("large scores [1000, 1001, 1002]", np.array([1000.0, 1001.0, 1002.0])),
        ("very negative scores [-1000, 0]", np.array([-1000.0, 0.0])),
        ("a single score [5]", np.array([5.0])),
        ("ten random scores", np.random.default_rng(1).normal(size=10) * 20),
    ]


def _check_softmax(function):
    from course_lib.layers import softmax

    if not callable(function):
        raise Wrong("give a function, e.g. def softmax(z): ...")
    for name, z in _softmax_cases():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow: judged below
            got = function(z.copy())
        if got is None:
            raise Wrong("it returned None: replace `return None` with your code")
        try:
            values = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            raise Wrong(f"for {name} it returned {got!r}, not numbers") from None
        if values.shape != z.shape:
            raise Wrong(f"for {name} it returned shape {values.shape}, not {z.shape}")
        if not np.all(np.isfinite(values)):
            raise Wrong(
                f"for {name} it returned {values.round(4).tolist()}: exp overflowed; "
                "subtract the largest score first"
            )
        if not abs(values.sum() - 1) < 1e-9:
            raise Wrong(f"for {name} the outputs sum to {values.sum():.4g}, not 1")
        if not np.allclose(values, softmax(z), atol=1e-9):
            raise Wrong(f"for {name} it returned {values.round(4).tolist()}")


def _stable_softmax(z):
    e = np.exp(np.asarray(z, dtype=float) - np.max(z))
    return e / e.sum()


def _naive_softmax(z):
    e = np.exp(np.asarray(z, dtype=float))
    return e / e.sum()


exercise(
    "09.1",
    "BN with gamma 2 and beta 1: mean and standard deviation of the output over a "
    "large batch, as (mean, sd)?",
    expected=_bn_output_mean_and_sd,
    tolerance=0.01,
    hints=(
        ((0, 1), "0 and 1 hold for x̂, before the scale γ and the shift β."),
        ((2, 1), "β shifts (it becomes the mean), γ scales (it becomes the sd)."),
    ),
    hint="the output is γ·x̂ + β, and x̂ has mean 0 and sd 1 over the batch.",
)

exercise(
    "09.2",
    "Dropout(0.2) in training: by what factor are the values it keeps multiplied?",
    expected=_dropout_factor,
    hints=(
        (0.8, "0.8 is the chance of being kept; Keras divides the kept values by it."),
        (0.2, "0.2 is the rate of values set to 0, not the factor of the others."),
        (
            1,
            "Keras scales the kept values in training so that the mean stays the same.",
        ),
    ),
)

exercise(
    "09.3",
    "BatchNormalization after Conv2D(32, ...): how many parameters, and how many of "
    "them trainable? Answer (all, trainable).",
    expected=_bn_parameters,
    hints=(
        ((64, 64), "Keras also counts the moving mean and variance (not trained)."),
        ((128, 128), "the moving mean and variance are averaged, not trained."),
        ((32, 32), "each channel has γ and β, plus a moving mean and a variance."),
    ),
    hint="count γ, β, the moving mean and the moving variance, one each per channel.",
)

exercise(
    "09.4",
    "Write softmax(z) for a 1-D array that works for z = [1000, 1001, 1002] too.",
    checker=_check_softmax,
    solution=lambda: _stable_softmax,
    mistakes=(
        _naive_softmax,
        lambda z: 1 / (1 + np.exp(-np.asarray(z, dtype=float))),
        "not a function",
    ),
)

exercise(
    "09.5",
    "In the shipped curves (cl.widgets.RemedyExplorer()), which remedy leaves the "
    "smallest train-validation gap at the last epoch?",
    expected=_smallest_shipped_gap,
    hints=(
        ("none", "none is the network without a remedy: tick the others too."),
        (
            "more data",
            "close, but another bar is lower; is the difference larger than the "
            "whiskers (± one sd)?",
        ),
    ),
    hint="tick every remedy and read the bars at the last epoch.",
)
