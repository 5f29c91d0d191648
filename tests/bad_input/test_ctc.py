"""Bad input to cl.ctc (lecture 20, CTC) that the declarations alone do not cover
(tests/test_declared.py generates the rest): the checks between arguments, and NaN
never read as a confident answer."""

from __future__ import annotations

import numpy as np
from clear_errors import refused

from course_lib import attention, ctc


def test_the_blank_must_be_one_of_the_symbols_and_not_in_the_label():
    refused(lambda: ctc.ctc_alignments([1], 3, 3, blank=3), "blank")
    assert "not the blank" in refused(lambda: ctc.ctc_alignments([0], 2, 2, 0), "label")
    refused(lambda: ctc.ctc_alignments([5], 2, 3, 0), "label")


def test_too_many_paths_to_enumerate_is_refused_not_a_hang():
    assert "2,000,000" in refused(lambda: ctc.ctc_alignments([1], 12, 40, 0), "frames")


def test_probabilities_must_be_rows_that_sum_to_1():
    refused(lambda: ctc.ctc_probability_by_hand([[0.5, 0.6]], [1], 0), "probabilities")
    refused(lambda: ctc.ctc_probability_by_hand([[1.0], [1.0]], [], 0), "probabilities")
    refused(
        lambda: ctc.ctc_probability_by_hand([[np.nan, 1.0]], [1], 0), "probabilities"
    )
    even = np.full((3, 3), 1 / 3)
    assert 0 < ctc.ctc_probability_by_hand(even, [1], 0) < 1


def test_nan_logits_are_refused_never_decoded():
    logits = np.zeros((2, 5, 11))
    logits[0, 2, 3] = np.nan
    assert "NaN" in refused(lambda: ctc.ctc_greedy_decode(logits), "logits")
    refused(lambda: ctc.ctc_greedy_decode(np.zeros((2, 5, 13))), "logits")


def test_the_loss_checks_arrays_that_do_not_fit():
    refused(lambda: ctc.ctc_loss(np.array([[1, -1]]), np.zeros((2, 4, 11))), "targets")
    refused(
        lambda: ctc.ctc_loss(np.array([[1.5, -1]]), np.zeros((1, 4, 11))), "targets"
    )
    refused(lambda: ctc.ctc_loss(np.array([[1, -1]]), np.zeros((1, 4, 12))), "logits")
    loss = np.asarray(
        ctc.ctc_loss(np.array([[1, -1]]), np.zeros((1, 4, 11), np.float32))
    )
    assert loss.shape == (1,) and np.isfinite(loss).all()


def test_one_text_per_strip_and_at_least_one_loss():
    strips = attention.make_strips(4, max_digits=2, seed=0)
    refused(lambda: ctc.accuracy_by_length(["1"], strips), "predicted")
    assert set(ctc.accuracy_by_length(strips.digits, strips).values()) == {1.0}
    refused(lambda: ctc.escape_epoch([]), "losses")
    refused(lambda: ctc.escape_epoch([9.0, np.nan, 1.0]), "losses")
    refused(lambda: ctc.escape_epoch([9.0, 8.0], drop=1.0), "drop")


def test_a_learning_rate_out_of_range_or_text_is_refused():
    for rate in (0, -1e-3, 2.0, "fast", float("nan")):
        refused(lambda r=rate: ctc.build_ctc_reader(learning_rate=r), "learning_rate")
