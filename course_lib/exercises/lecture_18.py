"""Exercises of lecture 18 (autoencoders and VAEs): a KL divergence by hand, the size of
an autoencoder, and the reparameterisation trick and the KL term written as functions."""

from __future__ import annotations

import math

import numpy as np

from course_lib.exercises import Wrong, exercise

# ---- 18.1: a KL divergence by hand ------------------------------------------------------

_MEAN = (1.0, 0.0)
_LOG_VAR = (0.0, math.log(2.0))


def _kl_expected():
    from course_lib.autoencoders import kl_divergence

    return round(float(kl_divergence(_MEAN, _LOG_VAR)), 4)


exercise(
    "18.1",
    "An encoder outputs z_mean = [1, 0] and z_log_var = [0, ln 2] for one digit. What is "
    "KL( N(z_mean, exp(z_log_var)) || N(0, 1) ), summed over the two dimensions (4 "
    "decimals)?",
    expected=_kl_expected,
    tolerance=1e-3,
    hints=(
        (
            round(math.log(2) / 2 - 1, 4),
            "a KL divergence is never negative: mind the -1/2 in front of the sum",
        ),
        (round(2 - math.log(2), 4), "you left out the factor 1/2"),
        (0.5, "that is only the first dimension; the second has variance 2, not 1"),
        (0.0, "the variance is exp(z_log_var) = 2, not z_log_var = ln 2 itself"),
        (1.0, "you left out the z_log_var term (ln 2 in the second dimension)"),
    ),
    hint="per dimension: -1/2 * (1 + z_log_var - z_mean**2 - exp(z_log_var)); then add.",
)

# ---- 18.2: the size of a dense autoencoder ----------------------------------------------

exercise(
    "18.2",
    "A dense autoencoder without hidden layers: 784 pixels -> Dense(32) code -> "
    "Dense(784) pixels, both with biases. How many parameters does it have?",
    expected=lambda: (784 * 32 + 32) + (32 * 784 + 784),
    hints=(
        (784 * 32 * 2, "you forgot the biases: 32 in the encoder, 784 in the decoder"),
        (784 * 32 + 32, "that is only the encoder; the decoder maps 32 back to 784"),
        (784 * 32 * 2 + 32 * 2, "the decoder's bias has one entry per OUTPUT: 784"),
    ),
    hint="each Dense layer has inputs x outputs weights plus one bias per output.",
)

# ---- 18.3: the reparameterisation trick -------------------------------------------------


def _reference_sample(z_mean, z_log_var, epsilon):
    return z_mean + np.exp(0.5 * z_log_var) * epsilon


def _check_sample(function) -> None:
    if not callable(function):
        raise Wrong("give a function, e.g. def sample(z_mean, z_log_var, epsilon): ...")
    rng = np.random.default_rng(18)
    for shape in [(2,), (5, 2), (3, 16)]:
        mean, log_var = rng.normal(size=shape), rng.normal(size=shape)
        epsilon = rng.normal(size=shape)
        result = function(mean, log_var, epsilon)
        if result is None:
            raise Wrong("sample returned None: write its body")
        answer = np.asarray(result, dtype=float)
        if answer.shape != shape:
            raise Wrong(
                f"for codes shaped {shape} return the same shape, got {answer.shape}"
            )
        if not np.allclose(answer, _reference_sample(mean, log_var, epsilon)):
            raise Wrong(
                f"for codes shaped {shape} the values differ: the standard deviation "
                "is exp(z_log_var / 2), the square root of exp(z_log_var)"
            )


def _sample_solution():
    def sample(z_mean, z_log_var, epsilon):
        return z_mean + np.exp(0.5 * z_log_var) * epsilon

    return sample


exercise(
    "18.3",
    "Write sample(z_mean, z_log_var, epsilon): the reparameterisation trick, a code drawn "
    "from N(z_mean, exp(z_log_var)) using the standard normal noise epsilon.",
    checker=_check_sample,
    solution=_sample_solution,
    mistakes=(
        lambda m, v, e: m + np.exp(v) * e,  # the variance, not the standard deviation
        lambda m, v, e: m + v * e,  # the log-variance used as a standard deviation
        lambda m, v, e: m + np.sqrt(np.abs(v)) * e,
        lambda m, v, e: None,
        "not a function",
    ),
)

# ---- 18.4: the KL term as a function ----------------------------------------------------


def _check_kl(function) -> None:
    from course_lib.autoencoders import kl_divergence

    if not callable(function):
        raise Wrong("give a function, e.g. def kl(z_mean, z_log_var): ...")
    rng = np.random.default_rng(4)
    for rows, dims in [(1, 1), (4, 2), (3, 16)]:
        mean, log_var = rng.normal(size=(rows, dims)), rng.normal(size=(rows, dims))
        result = function(mean, log_var)
        if result is None:
            raise Wrong("kl returned None: write its body")
        answer = np.asarray(result, dtype=float)
        if answer.shape != (rows,):
            raise Wrong(
                f"for {rows} codes of {dims} dimensions return {rows} values "
                f"(one per code, summed over the dimensions), got shape "
                f"{answer.shape}"
            )
        expected = kl_divergence(mean, log_var)
        if np.any(answer < -1e-9):
            raise Wrong("a KL divergence is never negative: check the sign")
        if not np.allclose(answer, expected):
            raise Wrong(
                f"for codes shaped {(rows, dims)} the values differ from the "
                "closed form -1/2 * sum(1 + log var - mean^2 - var)"
            )


def _kl_solution():
    def kl(z_mean, z_log_var):
        terms = 1 + z_log_var - z_mean**2 - np.exp(z_log_var)
        return -0.5 * terms.sum(axis=1)

    return kl


exercise(
    "18.4",
    "Write kl(z_mean, z_log_var) for arrays (N, d): the KL divergence of each code's "
    "N(z_mean, exp(z_log_var)) from N(0, 1), one value per code.",
    checker=_check_kl,
    solution=_kl_solution,
    mistakes=(
        lambda m, v: -0.5 * (1 + v - m**2 - np.exp(v)).mean(axis=1),  # mean, not sum
        lambda m, v: 0.5 * (1 + v - m**2 - np.exp(v)).sum(axis=1),  # sign
        lambda m, v: -0.5 * (1 + v - m**2 - np.exp(v)).sum(),  # one number
        lambda m, v: -0.5 * (1 + np.log(v**2) - m**2 - v**2).sum(axis=1),
        "not a function",
    ),
)
