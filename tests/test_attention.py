"""cl.attention: digit strips, the captioner and attention by hand = Keras."""

from __future__ import annotations

import math

import numpy as np
import pytest

import course_lib as cl
from course_lib import attention as seq
from course_lib import ctc, video


@pytest.fixture(scope="module")
def strips():
    return seq.make_strips(40, seed=3)


def test_strips_hold_the_digits_where_they_say(strips):
    (x_train, y_train), _ = cl.data.load_mnist()
    assert strips.images.shape == (40, 28, 140)
    assert strips.images.dtype == np.float32
    assert 0 <= strips.images.min() and strips.images.max() <= 1
    assert set(strips.lengths) <= {1, 2, 3, 4, 5}
    for n in range(len(strips)):
        k = strips.lengths[n]
        assert len(strips.digits[n]) == k
        assert (strips.labels[n, k:] == -1).all()
        starts = strips.starts[n, :k]
        assert (np.diff(starts) >= 28).all() and starts[-1] + 28 <= 140
        # blank outside the digits
        covered = np.zeros(140, bool)
        for s in starts:
            covered[s : s + 28] = True
        assert not strips.images[n][:, ~covered].any()
    # same seed, same strips; another seed, others
    again = seq.make_strips(40, seed=3)
    assert np.array_equal(again.images, strips.images)
    assert seq.make_strips(40, seed=4).digits != strips.digits


def test_decoder_sequences_shift_by_one(strips):
    inputs, targets, weights = seq.decoder_sequences(strips)
    assert inputs.shape == targets.shape == (40, 6)
    assert (inputs[:, 0] == seq.START).all()
    for n in range(len(strips)):
        k = strips.lengths[n]
        assert np.array_equal(inputs[n, 1 : k + 1], targets[n, :k])
        assert targets[n, k] == seq.END
        assert weights[n].sum() == k + 1
        assert seq.tokens_to_text(targets[n]) == strips.digits[n]


def test_uint8_strips_are_the_float_strips_as_bytes(strips):
    bytes_ = seq.make_strips(40, seed=3, dtype="uint8")
    assert bytes_.images.dtype == np.uint8
    assert np.array_equal(bytes_.images / np.float32(255), strips.images)
    assert bytes_.digits == strips.digits


def test_strip_batches_cover_every_strip_once_with_float_pixels(strips):
    bytes_ = seq.make_strips(40, seed=3, dtype="uint8")
    inputs, targets, weights = seq.decoder_sequences(strips)
    batches = seq.strip_batches(bytes_, batch_size=16, seed=1)
    assert len(batches) == 3
    seen = []
    for index in range(len(batches)):
        (images, tokens), target, weight = batches[index]
        assert images.dtype == np.float32
        rows = [
            int(np.flatnonzero((strips.images == im).all(axis=(1, 2)))[0])
            for im in images
        ]
        assert np.array_equal(tokens, inputs[rows]) and np.array_equal(
            target, targets[rows]
        )
        assert np.array_equal(weight, weights[rows])
        seen += rows
    assert sorted(seen) == list(range(40))
    images, digits = seq.strip_batches(bytes_, 8, targets="ctc")[0]
    assert images.shape == (8, 28, 140) and digits.dtype == np.int32
    rows = [
        int(np.flatnonzero((strips.images == im).all(axis=(1, 2)))[0]) for im in images
    ]
    assert np.array_equal(digits, ctc.ctc_targets(strips)[rows])


def test_attention_by_hand_equals_keras():
    import keras

    rng = np.random.default_rng(0)
    query = rng.normal(size=(2, 4, 8)).astype(np.float32)
    value = rng.normal(size=(2, 7, 8)).astype(np.float32)
    context, weights, scores = seq.attention_by_hand(query, value)
    assert weights.shape == (2, 4, 7) and np.allclose(weights.sum(-1), 1)
    assert np.allclose(scores[0, 1, 2], query[0, 1] @ value[0, 2], atol=1e-5)
    keras_context, keras_weights = keras.layers.Attention()(
        [query, value], return_attention_scores=True
    )
    assert np.allclose(context, keras_context, atol=1e-5)
    assert np.allclose(weights, keras_weights, atol=1e-5)


def test_parameter_counts_equal_keras():
    import keras

    lipnet = keras.layers.Conv3D(32, (3, 5, 5), strides=(1, 2, 2))
    padded = keras.Sequential(
        [keras.Input((75, 50, 100, 3)), keras.layers.ZeroPadding3D((1, 2, 2)), lipnet]
    )
    assert lipnet.count_params() == video.conv3d_parameters((3, 5, 5), 3, 32) == 7232
    assert padded.output_shape == (None, 75, 25, 50, 32)
    for units, inputs in [(64, 16), (256, 96), (3, 5)]:
        gru = keras.layers.GRU(units)
        gru.build((None, 7, inputs))
        assert gru.count_params() == cl.rnn.gru_parameters(units, inputs)
        assert gru.count_params() == 3 * (units * (inputs + units) + 2 * units)
        old = keras.layers.GRU(units, reset_after=False)
        old.build((None, 7, inputs))
        assert old.count_params() == cl.rnn.gru_parameters(units, inputs, False)


def test_the_readers_have_the_expected_shapes():
    reader = seq.build_reader(max_digits=3, units=16)
    assert reader.output_shape == (None, 4, 13)
    weights = seq.attention_model(reader)
    assert weights.output_shape == (None, 4, 21)
    plain = seq.build_reader(max_digits=3, units=16, attention=False)
    with pytest.raises(ValueError, match="no attention layer"):
        seq.attention_model(plain)


def test_greedy_decoding_feeds_back_its_own_tokens():
    reader = seq.build_reader(max_digits=2, units=8, seed=1)
    strips = seq.make_strips(5, max_digits=2, seed=0)
    texts, tokens = seq.greedy_decode(reader, strips.images, return_tokens=True)
    fed = np.full_like(tokens, seq.PAD)
    fed[:, 0] = seq.START
    fed[:, 1:] = tokens[:, :-1]
    again = np.asarray(reader.predict_on_batch([strips.images, fed])).argmax(-1)
    assert np.array_equal(again, tokens)
    assert texts == [seq.tokens_to_text(row) for row in tokens]


def test_the_attention_reader_learns_to_read_short_strips():
    cl.set_seed(0)
    train = seq.make_strips(1200, max_digits=2, seed=0)
    test = seq.make_strips(200, max_digits=2, split="test", seed=1)
    reader = seq.build_reader(max_digits=2, units=32)
    inputs, targets, weights = seq.decoder_sequences(train)
    reader.fit(
        [train.images, inputs],
        targets,
        sample_weight=weights,
        epochs=6,
        batch_size=32,
        verbose=0,
    )
    accuracy = seq.sequence_accuracy(seq.greedy_decode(reader, test.images), test)
    # guessing: 1 in 10 for a one-digit strip, 1 in 100 for two; this seed gets 0.47
    assert accuracy > 0.3


def test_the_shipped_reader_loads_and_reads():
    reader = cl.data.load_attention_reader()
    strips = seq.make_strips(100, split="test", seed=1)
    accuracy = seq.sequence_accuracy(seq.greedy_decode(reader, strips.images), strips)
    assert accuracy > 0.8


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="count must be an int"):
        seq.make_strips(0)
    with pytest.raises(ValueError, match="max_digits must be an int from 1 to 5"):
        seq.make_strips(3, max_digits=6)
    with pytest.raises(ValueError, match="split must be one of .train., .test."):
        seq.make_strips(3, split="valid")
    with pytest.raises(ValueError, match="same last axis"):
        seq.attention_by_hand(np.zeros((2, 3)), np.zeros((4, 5)))
    with pytest.raises(ValueError, match="summing to 1"):
        ctc.ctc_probability_by_hand([[0.5, 0.6]], [1], blank=0)
    with pytest.raises(ValueError, match="not the blank"):
        ctc.ctc_alignments([0], 2, 2, blank=0)
    with pytest.raises(
        ValueError, match="kernel must be an int from 1 to 1,000 or a list of 3 values"
    ):
        video.conv3d_parameters((3, 5), 3, 32)
    with pytest.raises(ValueError, match="tokens must be token ids .* got a value 99"):
        seq.tokens_to_text([1, 99])
    with pytest.raises(ValueError, match="logits must be"):
        ctc.ctc_greedy_decode(np.zeros((2, 5, 13)))
    reader = seq.build_reader(max_digits=2, units=8)
    with pytest.raises(
        ValueError, match=r"images must be strips \(N, 28, 56\) for this reader"
    ):
        seq.greedy_decode(reader, np.zeros((3, 28, 140)))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: video.conv3d_parameters(1.5, 3, 8), "kernel must be an int"),
        (lambda: ctc.ctc_alignments(None, 3, 3, 0), "label must be a list"),
        (lambda: ctc.collapse(None), "path must be a path of symbol ids"),
        (lambda: seq.tokens_to_text([math.nan]), "tokens must be token ids .*NaN"),
        (lambda: seq.attention_over_pixels(np.float64(1.0), 8), "weights must be"),
        (lambda: seq.attention_by_hand({"a": 1}, np.ones((2, 2))), "query must be"),
        (
            lambda: ctc.ctc_greedy_decode({"a": 1}),
            "logits must be logits or probabilities",
        ),
        (
            lambda: ctc.ctc_loss(np.array([[1, -1]]), np.zeros((0, 0, 0))),
            "logits must be .* got shape",
        ),
        (lambda: seq.sequence_accuracy(3, None), "predicted must be a list"),
        (lambda: seq.greedy_decode(None, np.zeros((1, 28, 28))), "reader must be"),
        (
            lambda: seq.attention_model(None),
            "reader must be a reader from build_reader",
        ),
        (lambda: seq.save_reader_weights(None, "x.npz"), "reader must be"),
        (lambda: cl.data.load_attention_reader(3), "path must be a file name"),
    ],
)
def test_bad_input_found_by_the_property_test_is_a_value_error(call, message):
    """Regression: these crashed with TypeError, IndexError, OverflowError,
    AttributeError or TensorFlow's InvalidArgumentError (and frames 3 and 4 with
    Keras' "Computed output size would be zero or negative")."""
    with pytest.raises(ValueError, match=message):
        call()


def test_a_folder_or_an_empty_file_as_reader_path_is_a_value_error(tmp_path):
    """Regression: a folder gave IsADirectoryError, an empty file numpy's EOFError."""
    reader = seq.build_reader(max_digits=1, units=4)
    with pytest.raises(ValueError, match="path must be a file name"):
        seq.save_reader_weights(reader, tmp_path)
    with pytest.raises(ValueError, match="got the folder"):
        cl.data.load_attention_reader(tmp_path)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="is not a weights file"):
        cl.data.load_attention_reader(empty)
