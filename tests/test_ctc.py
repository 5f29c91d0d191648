"""cl.ctc: the LipNet-style CTC reader (bidirectional GRU), its blank plateau, and
accuracy by strip length."""

from __future__ import annotations

import json

import numpy as np
import pytest

import course_lib as cl
from course_lib import attention as seq
from course_lib import ctc


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
    results = ctc.load_sequence_results()
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
    with pytest.raises(ValueError, match="no readers and ctc"):
        ctc.load_sequence_results(other)
    with pytest.raises(ValueError, match="no results at"):
        ctc.load_sequence_results(tmp_path / "missing.json")


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
