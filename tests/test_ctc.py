"""cl.ctc: CTC by hand = Keras (the slides' toy case, a random case), collapsing and
greedy decoding, the LipNet-style CTC reader (bidirectional GRU), its blank plateau, and
accuracy by strip length."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import course_lib as cl
from course_lib import attention as seq
from course_lib import ctc


def test_the_slides_ctc_toy_case_by_hand_and_in_keras():
    import keras

    probabilities = np.array([[0.4, 0.6], [0.3, 0.7]])  # blank 0, "a" 1
    paths = ctc.ctc_alignments([1], frames=2, symbols=2, blank=0)
    assert sorted(paths) == [(0, 1), (1, 0), (1, 1)]
    p = ctc.ctc_probability_by_hand(probabilities, [1], blank=0)
    assert p == pytest.approx(0.6 * 0.7 + 0.6 * 0.3 + 0.4 * 0.7) == 0.88
    assert -math.log(p) == pytest.approx(0.1278, abs=1e-4)
    loss = keras.ops.ctc_loss(
        np.array([[1]]), np.log(probabilities)[None], np.array([1]), np.array([2]), 0
    )
    assert float(loss[0]) == pytest.approx(-math.log(0.88), abs=1e-5)


def test_ctc_by_hand_equals_keras_on_a_random_case():
    import keras

    rng = np.random.default_rng(1)
    logits = rng.normal(size=(5, 4))
    probabilities = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    label = [1, 1, 2]  # a repeat needs a blank between
    p = ctc.ctc_probability_by_hand(probabilities, label, blank=3)
    loss = keras.ops.ctc_loss(
        np.array([label]),
        logits[None].astype(np.float32),
        np.array([3]),
        np.array([5]),
        mask_index=3,
    )
    assert float(loss[0]) == pytest.approx(-math.log(p), abs=1e-5)


def test_collapse_and_greedy_ctc_decoding():
    assert ctc.collapse([1, 1, 10, 1, 2, 2], blank=10) == (1, 1, 2)
    assert ctc.collapse([10, 10], blank=10) == ()
    path = [3, 3, 10, 3, 10, 10, 7, 7]
    logits = np.full((1, len(path), 11), -5.0)
    logits[0, np.arange(len(path)), path] = 5.0
    assert ctc.ctc_greedy_decode(logits) == ["337"]


def test_the_reader_is_cnn_columns_then_a_bidirectional_gru():
    import keras

    reader = ctc.build_ctc_reader(max_digits=3, units=16, recurrent_units=8)
    assert reader.output_shape == (None, 21, 11)  # 84 pixels / 4, digits + blank
    layer = reader.get_layer("bidirectional_gru")
    assert isinstance(layer, keras.layers.Bidirectional)
    assert layer.output.shape[-1] == 16  # 8 units each way
    # two GRUs, one per direction, each on the 16 column features
    assert layer.count_params() == 2 * cl.rnn.gru_parameters(8, 16)
    # from scratch: another seed, other weights
    again = ctc.build_ctc_reader(max_digits=3, units=16, recurrent_units=8, seed=1)
    assert not np.array_equal(
        reader.get_layer("per_column").get_weights()[0],
        again.get_layer("per_column").get_weights()[0],
    )


def test_escape_epoch_finds_where_the_loss_leaves_the_plateau():
    assert ctc.escape_epoch([9.0, 8.9, 8.8, 6.0, 2.0]) == 4
    # the first epochs set the plateau; a fall inside them does not count
    assert ctc.escape_epoch([11.0, 8.4, 8.4, 8.3, 7.3, 4.4, 2.0]) == 6
    assert ctc.escape_epoch([9.0, 8.9, 8.8, 8.7]) is None
    assert ctc.escape_epoch([9.0, 8.9]) is None
    assert ctc.escape_epoch([9.0, 8.0, 7.0], drop=0.1, settle=1) == 2
    with pytest.raises(ValueError, match="drop must be"):
        ctc.escape_epoch([1.0, 2.0], drop=1.5)
    with pytest.raises(ValueError, match="losses must be"):
        ctc.escape_epoch([])


def test_accuracy_by_length_splits_by_digits():
    strips = seq.make_strips(60, seed=2)
    truth = list(strips.digits)
    right = ctc.accuracy_by_length(truth, strips)
    assert set(right) == set(np.unique(strips.lengths).tolist())
    assert all(v == 1.0 for v in right.values())
    # read every 3-digit strip wrong
    wrong = [t if len(t) != 3 else "" for t in truth]
    result = ctc.accuracy_by_length(wrong, strips)
    assert result[3] == 0.0 and result[1] == 1.0
    with pytest.raises(ValueError, match="one text per strip"):
        ctc.accuracy_by_length(truth[:-1], strips)


def test_the_shipped_results_load_and_agree_with_their_settings():
    results = cl.data.load_sequence_results()
    readers, runs = results["readers"], results["ctc"]
    seeds = results["settings"]["reader_seeds"]
    assert len(readers["plain"]) == len(readers["attention"]) == len(seeds)
    assert len(runs["loss"]) == len(results["settings"]["ctc_seeds"])
    assert all(0 <= a <= 1 for a in readers["plain"] + readers["attention"])
    assert set(readers["attention_by_length"][0]) <= {1, 2, 3, 4, 5}
    epochs = results["settings"]["ctc_epochs"]
    assert all(len(loss) == epochs for loss in runs["loss"])
    for loss, escape in zip(runs["loss"], runs["escape_epoch"], strict=True):
        assert escape == ctc.escape_epoch(loss)


def test_results_that_are_not_ours_are_refused(tmp_path):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"readers": {}}))
    with pytest.raises(ValueError, match="must hold 'readers' and 'ctc'"):
        cl.data.load_sequence_results(other)
    with pytest.raises(ValueError, match="missing.json', which does not exist"):
        cl.data.load_sequence_results(tmp_path / "missing.json")


def test_ctc_from_scratch_first_answers_blank_everywhere():
    """The blank plateau: after a few dozen steps from random weights the loss has
    fallen a long way, and the reader writes nothing at all."""
    cl.set_seed(0)
    train = seq.make_strips(1500, max_digits=2, seed=0)
    test = seq.make_strips(200, max_digits=2, split="test", seed=1)
    reader = ctc.build_ctc_reader(max_digits=2, units=32, recurrent_units=16)
    history = reader.fit(
        train.images, ctc.ctc_targets(train), epochs=3, batch_size=32, verbose=0
    )
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0], losses
    read = ctc.ctc_greedy_decode(reader.predict(test.images, verbose=0))
    written = np.mean([len(text) > 0 for text in read])
    assert written < 0.1, (written, losses)
    assert ctc.escape_epoch(losses) is None  # not left yet
