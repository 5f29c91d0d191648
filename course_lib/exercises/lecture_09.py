"""Exercises of lecture 09 (the layers toolbox): one value through BN at inference, one
value through dropout, BN's parameters, a softmax that cannot overflow, and the remedies
whose effect stands out of the seed spread."""

from __future__ import annotations

import warnings

import numpy as np

from course_lib.exercises import Wrong, exercise


def _bn_at_inference():
    """x = 11 through BN at inference: moving mean 5, moving variance 9, gamma 2, beta 1."""
    from course_lib.layers import batch_norm

    y = batch_norm(np.array([[11.0]]), [5.0], [9.0], gamma=2.0, beta=1.0)
    return round(float(y[0, 0]), 3)


def _dropout_kept_value():
    """What Keras-style dropout at rate 0.25 makes of a kept 3.0 in training."""
    from course_lib.layers import dropout

    kept = dropout(np.full(1000, 3.0), 0.25, seed=0)
    return round(float(kept.max()), 6)


def _bn_parameters():
    """(all, trainable) parameters of BatchNormalization on 32 channels, from Keras."""
    import keras

    layer = keras.layers.BatchNormalization()
    layer.build((None, 8, 8, 32))
    trainable = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
    return (layer.count_params(), trainable)


SPREAD = 3.0
"""How many standard deviations an effect must exceed in exercise 09.5. In the shipped
curves no remedy lies near it: the effects on the held-out loss are below 2.5 or above
4.5 times the larger sd (``tests/test_layers.py`` checks the margin)."""


def _beyond_the_spread() -> set[str]:
    """The remedies whose held-out loss after the last epoch differs from the plain
    network's by more than 3 sd over the seeds, in the shipped curves."""
    from course_lib.data import load_remedy_curves
    from course_lib.layers import remedy_effects

    rows = remedy_effects(load_remedy_curves(), "val_loss", last=1, spread=SPREAD)
    return {row["remedy"] for row in rows if row["beyond"]}


def _remedy_names(answer) -> set[str]:
    """A student's answer as a set of remedy names (one name or a list of names)."""
    from course_lib.layers import REMEDIES

    if isinstance(answer, str):
        answer = [answer]
    try:
        names = list(answer)
    except TypeError:
        raise Wrong(
            'give a list of remedy names, e.g. ["dropout", "L2"] (or [] for none)'
        ) from None
    known = {name.casefold(): name for name in REMEDIES}
    chosen = set()
    for name in names:
        if not isinstance(name, str) or name.strip().casefold() not in known:
            raise Wrong(f"{name!r} is not a remedy; the names: {', '.join(REMEDIES)}")
        chosen.add(known[name.strip().casefold()])
    return chosen


def _check_beyond_the_spread(answer) -> None:
    chosen, expected = _remedy_names(answer), _beyond_the_spread()
    if "none" in chosen:
        raise Wrong('"none" is the plain network itself: compare the others with it')
    missing, extra = expected - chosen, chosen - expected
    if extra:
        raise Wrong(
            f"{sorted(extra)[0]}: its difference from none is not larger than 3 sd "
            "(take the larger sd of the two)"
        )
    if missing:
        count = (
            "one more remedy differs"
            if len(missing) == 1
            else (f"{len(missing)} more remedies differ")
        )
        raise Wrong(
            f"{count} from none by more than 3 sd; compare each difference with "
            "three times the larger sd"
        )


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
    "BN at inference with moving mean 5, moving variance 9, gamma 2, beta 1: what "
    "does the value 11 become (epsilon aside)?",
    expected=_bn_at_inference,
    tolerance=0.01,
    hints=(
        (2, "2 is x̂, the normalized value: γ and β still scale and shift it."),
        (5.0 / 3, "divide by the standard deviation √9 = 3, not by the variance."),
        (13, "the moving statistics normalize first: x̂ = (11 − 5) / √9."),
        (4, "β is added after the scaling: γ·x̂ + β."),
    ),
    hint="x̂ = (x − moving mean) / √(moving variance), then γ·x̂ + β.",
)

exercise(
    "09.2",
    "Dropout(0.25) in training: what does a kept input of 3.0 become?",
    expected=_dropout_kept_value,
    hints=(
        (
            3,
            "Keras scales the kept values in training so that the mean stays the same.",
        ),
        (2.25, "that is 3 · 0.75; Keras divides by the chance of being kept instead."),
        (3.75, "Keras divides by 1 − rate; it does not multiply by 1 + rate."),
        (12, "the rate 0.25 is dropped: divide by the chance of being kept, 0.75."),
    ),
    hint="the kept values are divided by 1 − rate.",
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
    "In the shipped curves, which remedies change the held-out loss after the last "
    "epoch by more than 3 sd from none (the larger sd of the two)? A list.",
    checker=_check_beyond_the_spread,
    solution=lambda: sorted(_beyond_the_spread()),
    mistakes=(
        ["none"],
        ["sobel"],
        42,
        lambda: None,
    ),
)
