"""Exercises of lecture 19 (GANs): the entropy of a collapsed generator, the minimax
gradient when the discriminator wins, and the non-saturating loss written stably."""

from __future__ import annotations

import math

import numpy as np

from course_lib.exercises import Wrong, exercise

_CASES = (
    np.array([0.0]),
    np.array([-2.0, 0.5, 3.0]),
    np.array([-30.0, 30.0]),
    np.array([-800.0, 5.0]),  # D wins by far: exp(800) overflows
)


def _reference(logits):
    logits = np.asarray(logits, dtype=np.float64)
    # -log sigmoid(l) = softplus(-l) = max(-l, 0) + log(1 + exp(-|l|))
    return float(np.mean(np.maximum(-logits, 0) + np.log1p(np.exp(-np.abs(logits)))))


def _check_loss(function) -> None:
    if not callable(function):
        raise Wrong("give a function, e.g. def non_saturating_loss(fake_logits): ...")
    for logits in _CASES:
        with np.errstate(all="ignore"):
            result = function(logits.copy())
        if result is None:
            raise Wrong("non_saturating_loss returned None: write its body")
        try:
            value = float(np.asarray(result, dtype=np.float64))
        except (TypeError, ValueError):
            raise Wrong(
                f"for logits {logits.tolist()} it returned {result!r}, not one number "
                "(take the mean over the batch)"
            ) from None
        expected = _reference(logits)
        if not math.isfinite(value):
            raise Wrong(
                f"for logits {logits.tolist()} it returned {value}: exp or log "
                "overflowed. Write -log(sigmoid(l)) as max(-l, 0) + log1p(exp(-|l|))"
            )
        if not math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-6):
            raise Wrong(
                f"for logits {logits.tolist()} it returned {value:.6g}: the loss is "
                "the MEAN over the batch of -log D, with D = sigmoid(logit); it is 0 "
                "when D says 'real' (large logit) and grows when D says 'fake'"
            )


def _solution():
    def non_saturating_loss(fake_logits):
        logits = np.asarray(fake_logits, dtype=np.float64)
        return np.mean(np.maximum(-logits, 0) + np.log1p(np.exp(-np.abs(logits))))

    return non_saturating_loss


def _naive(fake_logits):
    return np.mean(-np.log(1 / (1 + np.exp(-fake_logits))))


def _minimax(fake_logits):
    return np.mean(np.log(1 - 1 / (1 + np.exp(-np.clip(fake_logits, -30, 30)))))


def _summed(fake_logits):
    logits = np.asarray(fake_logits, dtype=np.float64)
    return np.sum(np.maximum(-logits, 0) + np.log1p(np.exp(-np.abs(logits))))


def _sign_flipped(fake_logits):
    logits = -np.asarray(fake_logits, dtype=np.float64)
    return np.mean(np.maximum(-logits, 0) + np.log1p(np.exp(-np.abs(logits))))


exercise(
    "19.1",
    "A collapsed generator makes only 0s, 1s and 7s, a third each. What is the entropy, "
    "in nats (natural log), of the classifier's class histogram over its samples?",
    expected=lambda: math.log(3),
    tolerance=1e-3,
    hints=(
        (math.log2(3), "that is in bits (log base 2); the course uses the natural log"),
        (math.log(10), "that is the most, for all ten classes equally often"),
        (0.0, "0 is one class alone; here three classes share the samples"),
        (3, "that is the number of classes; the entropy is -sum p ln p"),
    ),
    hint="-sum p ln p over the classes that occur, with p = 1/3 three times.",
)

exercise(
    "19.2",
    "The discriminator says D(G(z)) = 0.04 for a generated digit. With the minimax "
    "generator loss log(1 - D) and D = sigmoid(logit), what is d loss / d logit, the "
    "signal that flows back into the generator?",
    expected=lambda: -0.04,
    tolerance=1e-4,
    hints=(
        (-0.96, "that is the non-saturating loss -log D, whose gradient is D - 1"),
        (0.04, "check the sign: log(1 - D) falls as the logit grows"),
        (-25, "that is d(-log D)/dD; the question asks for the gradient per logit"),
        (-1 / 0.96, "that is d log(1 - D) / dD; multiply by dD/dlogit = D(1 - D)"),
    ),
    hint="d log(1 - sigmoid(l)) / dl = -sigmoid(l) = -D.",
)

exercise(
    "19.3",
    "Write non_saturating_loss(fake_logits) in NumPy: the mean over the batch of "
    "-log D(G(z)), with D = sigmoid(logit), finite even for a logit of -800.",
    checker=_check_loss,
    solution=_solution,
    mistakes=(_naive, _minimax, _summed, _sign_flipped, "not a function"),
)
