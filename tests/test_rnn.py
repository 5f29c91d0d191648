"""cl.rnn (lecture 17): one-hot text, RNN and LSTM cells equal to Keras, parameter
counts, the corpus (bundled and online), sampling, generation and the shipped model."""

from __future__ import annotations

import dataclasses
import hashlib
import math

import keras
import numpy as np
import pytest

import course_lib as cl
from course_lib import data, rnn

# The slides' matrix (001, "Text Modeling"), columns " dehlorw".
HELLO_WORLD = [
    [0, 0, 0, 1, 0, 0, 0, 0],
    [0, 0, 1, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 1, 0, 0, 0],
    [0, 0, 0, 0, 1, 0, 0, 0],
    [0, 0, 0, 0, 0, 1, 0, 0],
    [1, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 1, 0],
    [0, 0, 0, 0, 1, 0, 0, 0],
    [0, 1, 0, 0, 0, 0, 0, 0],
]


def _with_bias(layer, rng):
    """Give a Keras layer a random (non-zero) bias so that the bias is tested too."""
    weights = layer.get_weights()
    weights[-1] = rng.normal(size=weights[-1].shape).astype("float32")
    layer.set_weights(weights)
    return weights


# -- one-hot -------------------------------------------------------------------------


def test_hello_world_is_the_slides_matrix():
    matrix, symbols = rnn.one_hot("hello world")
    assert matrix.shape == (11, 8)
    assert "".join(symbols) == " dehlorw"
    assert matrix.tolist() == HELLO_WORLD


@pytest.mark.parametrize("bad", ["", "ab", "aaaa", None, 3, ["h", "e"]])
def test_one_hot_refuses_what_it_cannot_code(bad):
    with pytest.raises(ValueError):
        rnn.one_hot(bad)


# -- cells -------------------------------------------------------------------------


def test_the_simple_rnn_equals_keras():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 7, 5)).astype("float32")
    layer = keras.layers.SimpleRNN(4, return_sequences=True)
    layer.build(x.shape)
    weights = _with_bias(layer, rng)
    expected = layer(x).numpy()
    assert np.allclose(rnn.rnn_forward(x, *weights), expected, atol=1e-5)
    assert np.allclose(rnn.rnn_forward(x[1], *weights), expected[1], atol=1e-5)
    h0 = rng.normal(size=(3, 4)).astype("float32")
    with_state = layer(x, initial_state=[h0]).numpy()
    assert np.allclose(rnn.rnn_forward(x, *weights, h0=h0), with_state, atol=1e-5)


def test_the_lstm_equals_keras_outputs_and_both_states():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 9, 6)).astype("float32")
    layer = keras.layers.LSTM(5, return_sequences=True, return_state=True)
    layer.build(x.shape)
    weights = _with_bias(layer, rng)
    outputs, h, c = (t.numpy() for t in layer(x))
    mine = rnn.lstm_forward(x, *weights)
    for a, b in zip(mine, (outputs, h, c), strict=True):
        assert np.allclose(a, b, atol=1e-5)
    assert not np.allclose(h, c, atol=1e-3)  # two different states
    h0, c0 = rng.normal(size=(2, 2, 5)).astype("float32")
    outputs, h, c = (t.numpy() for t in layer(x, initial_state=[h0, c0]))
    mine = rnn.lstm_forward(x, *weights, h0=h0, c0=c0)
    for a, b in zip(mine, (outputs, h, c), strict=True):
        assert np.allclose(a, b, atol=1e-5)


def test_one_lstm_step_is_the_first_output_of_keras():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 1, 3)).astype("float32")
    layer = keras.layers.LSTM(2, return_state=True)
    layer.build(x.shape)
    weights = _with_bias(layer, rng)
    _, h, c = (t.numpy() for t in layer(x))
    h1, c1 = rnn.lstm_step(x[:, 0], np.zeros(2), np.zeros(2), *weights)
    assert np.allclose(h1, h, atol=1e-5) and np.allclose(c1, c, atol=1e-5)


def test_the_lstm_gates_by_hand_on_a_tiny_case():
    # one unit, one input: kernel blocks i, f, g, o; h0 = 0, c0 = 1
    kernel = np.array([[0.0, 0.0, 1.0, 0.0]])
    recurrent = np.zeros((1, 4))
    bias = np.array([0.0, 100.0, 0.0, 0.0])  # forget gate fully open
    h, c = rnn.lstm_step([[2.0]], [[0.0]], [[1.0]], kernel, recurrent, bias)
    expected_c = 1.0 + 0.5 * math.tanh(2.0)  # f = 1 keeps c, i = 0.5 writes half of g
    assert c[0, 0] == pytest.approx(expected_c)
    assert h[0, 0] == pytest.approx(0.5 * math.tanh(expected_c))


@pytest.mark.parametrize(
    "kernel, recurrent, bias",
    [
        (np.zeros((3, 8)), np.zeros((2, 8)), np.zeros(7)),  # bias too short
        (np.zeros((3, 4)), np.zeros((2, 8)), np.zeros(8)),  # kernel width
        (np.zeros((3, 8)), np.zeros((2, 6)), np.zeros(8)),  # recurrent shape
        (np.full((3, 8), np.nan), np.zeros((2, 8)), np.zeros(8)),
        ("kernel", np.zeros((2, 8)), np.zeros(8)),
    ],
)
def test_the_cells_refuse_weights_that_do_not_fit(kernel, recurrent, bias):
    with pytest.raises(ValueError):
        rnn.lstm_forward(np.zeros((4, 3)), kernel, recurrent, bias)


def test_the_cells_refuse_input_of_the_wrong_width():
    kernel, recurrent, bias = np.zeros((3, 2)), np.zeros((2, 2)), np.zeros(2)
    with pytest.raises(ValueError, match="x must be"):
        rnn.rnn_forward(np.zeros((4, 5)), kernel, recurrent, bias)
    with pytest.raises(ValueError, match="x must be .* got shape"):
        rnn.rnn_forward(np.zeros(3), kernel, recurrent, bias)


# -- counts ------------------------------------------------------------------------


def test_the_slides_model_has_3300923_parameters():
    counts = rnn.stacked_parameters()
    assert counts == {
        "LSTM 1": 1_171_456,
        "LSTM 2": 2_099_200,
        "Dense": 30_267,
        "total": 3_300_923,
    }
    model = rnn.slide_model()
    assert model.count_params() == 3_300_923
    assert [layer.count_params() for layer in model.layers] == [
        1_171_456,
        0,
        2_099_200,
        0,
        30_267,
    ]


def test_bidirectional_and_stacked_counts_equal_keras():
    assert (
        rnn.slide_model(bidirectional=True).count_params()
        == rnn.stacked_parameters(bidirectional=True)["total"]
    )
    stacked = rnn.stacked_parameters(50, [64, 32, 16])
    model = keras.Sequential(
        [
            keras.Input((10, 50)),
            keras.layers.LSTM(64, return_sequences=True),
            keras.layers.LSTM(32, return_sequences=True),
            keras.layers.LSTM(16),
            keras.layers.Dense(50),
        ]
    )
    assert model.count_params() == stacked["total"]


@pytest.mark.parametrize("kind", ["SimpleRNN", "GRU", "LSTM"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_one_layers_count_equals_keras(kind, bidirectional):
    layer = getattr(keras.layers, kind)(7)
    if bidirectional:
        layer = keras.layers.Bidirectional(layer)
    model = keras.Sequential([keras.Input((4, 11)), layer])
    assert model.count_params() == rnn.recurrent_parameters(kind, 11, 7, bidirectional)


def test_counts_refuse_bad_sizes():
    with pytest.raises(ValueError, match="kind must be one of"):
        rnn.recurrent_parameters("Transformer", 5, 5)
    with pytest.raises(ValueError, match="units"):
        rnn.stacked_parameters(59, [])
    with pytest.raises(ValueError, match="units"):
        rnn.recurrent_parameters("LSTM", 5, 0)


# -- corpus ------------------------------------------------------------------------


def test_the_bundled_corpus_is_three_plays_counted():
    corpus = rnn.load_corpus("shakespeare")
    stats = rnn.corpus_stats(corpus)
    assert (stats.characters, stats.symbols, stats.lowercase_symbols) == (
        343_624,
        76,
        50,
    )
    assert corpus.startswith("MACBETH\n\nby William Shakespeare")
    for title in ("THE TEMPEST", "ROMEO AND JULIET"):
        assert title in corpus
    entry = data.REGISTRY["shakespeare"]
    assert data.sha256_of(data.bundle_path("shakespeare")) == entry.bundle_sha256
    assert len(corpus.encode()) == entry.size


def test_nietzsche_falls_back_to_shakespeare_offline(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    corpus = rnn.load_corpus("nietzsche")
    assert corpus == rnn.load_corpus("shakespeare")
    assert data.source("nietzsche") == "bundled"
    assert "Shakespeare" in capsys.readouterr().out


STAND_IN = (
    b"SUPPOSING that Truth is a woman--what then? Is there not ground\n"
    b"for suspecting that all philosophers, in so far as they have been\n"
    b"dogmatists, have failed to understand women\n"
)


def _point_nietzsche_at(monkeypatch, url, payload, sha256=None):
    entry = dataclasses.replace(
        data.REGISTRY["nietzsche"],
        urls=(url,),
        sha256=hashlib.sha256(payload).hexdigest() if sha256 is None else sha256,
        size=len(payload),
    )
    monkeypatch.setitem(data.REGISTRY, "nietzsche", entry)


def test_nietzsche_online_is_downloaded_checked_and_counted(monkeypatch, cache, server):
    server.routes["/nietzsche.txt"] = STAND_IN
    _point_nietzsche_at(monkeypatch, server.base + "/nietzsche.txt", STAND_IN)
    corpus = rnn.load_corpus("nietzsche")
    assert corpus == STAND_IN.decode() and data.source("nietzsche") == "full"
    stats = rnn.corpus_stats(corpus)
    assert stats.characters == len(STAND_IN) and stats.lowercase_symbols < stats.symbols
    assert rnn.load_corpus("nietzsche") == corpus  # from the cache
    assert server.hits == ["/nietzsche.txt"]


@pytest.mark.parametrize("sha256", ["0" * 64, ""])
def test_a_wrong_or_unrecorded_checksum_falls_back_to_shakespeare(
    monkeypatch, cache, server, sha256
):
    server.routes["/nietzsche.txt"] = STAND_IN
    _point_nietzsche_at(monkeypatch, server.base + "/nietzsche.txt", STAND_IN, sha256)
    assert rnn.load_corpus("nietzsche") == rnn.load_corpus("shakespeare")
    assert data.source("nietzsche") == "bundled"
    assert list(cache.glob("*")) == []  # nothing unchecked is kept


def test_the_registry_entries_say_where_the_text_comes_from():
    entry = data.REGISTRY["nietzsche"]
    assert entry.urls == ("https://s3.amazonaws.com/text-datasets/nietzsche.txt",)
    assert entry.bundle == "shakespeare.txt"
    assert data.REGISTRY["shakespeare"].urls == ()
    with pytest.raises(
        ValueError, match="name must be one of .shakespeare., .nietzsche."
    ):
        rnn.load_corpus("hamlet")


def test_vocabulary_and_sequences():
    vocab = rnn.Vocabulary("hello world")
    assert vocab.symbols == list(" dehlorw") and len(vocab) == 8
    ids = vocab.encode("hello world")
    assert vocab.decode(ids) == "hello world"
    with pytest.raises(ValueError, match="'X'"):
        vocab.encode("heXlo")
    x, y = rnn.make_sequences(ids, 4, step=2)
    assert x.shape == y.shape == (4, 4)
    assert np.array_equal(x[:, 1:], y[:, :-1])  # the target is the input moved by one
    assert vocab.decode(x[1]) == "llo " and vocab.decode(y[1]) == "lo w"
    with pytest.raises(ValueError, match="longer than length"):
        rnn.make_sequences(ids, 11)
    hot = rnn.one_hot_ids(x, 8)
    assert hot.shape == (4, 4, 8) and np.array_equal(hot.argmax(-1), x)
    with pytest.raises(ValueError):
        rnn.Vocabulary(["a", "a"])


def test_unigram_entropy():
    assert rnn.unigram_entropy([0, 1, 2, 3]) == pytest.approx(math.log(4))
    assert rnn.unigram_entropy([5, 5, 5]) == 0.0
    with pytest.raises(ValueError):
        rnn.unigram_entropy([])


# -- sampling ----------------------------------------------------------------------


def test_temperature_and_top_k():
    logits = np.array([2.0, 1.0, 0.0, -1.0])
    softmax = np.exp(logits) / np.exp(logits).sum()
    assert np.allclose(rnn.sampling_probabilities(logits), softmax)
    cold = rnn.sampling_probabilities(logits, 0.05)
    hot = rnn.sampling_probabilities(logits, 100.0)
    assert cold[0] > 0.999 and np.allclose(hot, 0.25, atol=0.01)
    half = rnn.sampling_probabilities(logits, 0.5)
    assert np.allclose(half, np.exp(2 * logits) / np.exp(2 * logits).sum())
    top2 = rnn.sampling_probabilities(logits, 1.0, 2)
    assert np.count_nonzero(top2) == 2
    assert np.allclose(top2[:2], softmax[:2] / softmax[:2].sum())
    ties = rnn.sampling_probabilities(np.zeros(5), 1.0, 3)
    assert np.count_nonzero(ties) == 3  # exactly k, even with ties
    big = rnn.sampling_probabilities(np.array([1000.0, 0.0]))
    assert np.isfinite(big).all()


@pytest.mark.parametrize(
    "kwargs",
    [{"temperature": 0}, {"temperature": -1}, {"temperature": math.nan}, {"top_k": -1}],
)
def test_sampling_refuses_bad_settings(kwargs):
    with pytest.raises(ValueError):
        rnn.sampling_probabilities(np.zeros(3), **kwargs)


def test_draws_follow_the_probabilities():
    logits = np.array([1.0, 0.0, -1.0, 0.5])
    p = rnn.sampling_probabilities(logits, 0.8, 3)
    rng = np.random.default_rng(0)
    draws = [rnn.sample_next(logits, 0.8, 3, rng) for _ in range(20_000)]
    counts = np.bincount(draws, minlength=4) / len(draws)
    assert counts[2] == 0  # outside the top 3
    assert np.allclose(counts, p, atol=0.015)
    fast = np.random.default_rng(1)
    fast_draws = [rnn.sampling._draw(logits, 0.8, 3, fast) for _ in range(20_000)]
    assert np.allclose(np.bincount(fast_draws, minlength=4) / 20_000, p, atol=0.015)


# -- the NumPy character model -----------------------------------------------------


@pytest.fixture(scope="module")
def small_model():
    cl.set_seed(0)
    vocab = rnn.Vocabulary("abcdefgh ")
    model = rnn.char_model(len(vocab), units=6, layers=2)
    rng = np.random.default_rng(3)
    model.set_weights([rng.normal(0, 0.5, w.shape) for w in model.get_weights()])
    return model, vocab


def test_the_numpy_model_reads_like_keras(small_model):
    model, vocab = small_model
    ids = vocab.encode("a bad cafe hedge")
    keras_logits = model(rnn.one_hot_ids(np.array([ids]), len(vocab))).numpy()[0]
    numpy_model = rnn.model_from_keras(model, vocab)
    states = numpy_model.start()
    for t, i in enumerate(ids):
        logits, states = numpy_model.step(i, states)
        assert np.allclose(logits, keras_logits[t], atol=1e-5)
    back = rnn.model_to_keras(numpy_model)
    assert np.allclose(
        back.predict(rnn.one_hot_ids(np.array([ids]), 9), verbose=0)[0],
        keras_logits,
        atol=1e-5,
    )


def test_generation_is_seeded_and_streamed(small_model):
    model, vocab = small_model
    numpy_model = rnn.model_from_keras(model, vocab)
    first = rnn.generate(numpy_model, "abc", 50, 1.0, seed=4)
    assert len(first) == 50 and set(first) <= set(vocab.symbols)
    assert first == rnn.generate(numpy_model, "abc", 50, 1.0, seed=4)
    assert first != rnn.generate(numpy_model, "abc", 50, 1.0, seed=5)
    assert "".join(rnn.generate_stream(numpy_model, "abc", 50, 1.0, 0, 4)) == first
    greedy = rnn.generate(numpy_model, "abc", 30, 0.01, top_k=1, seed=0)
    assert greedy == rnn.generate(numpy_model, "abc", 30, 0.01, top_k=1, seed=9)
    with pytest.raises(ValueError, match="does not know"):
        rnn.generate(numpy_model, "xyz", 5)
    with pytest.raises(ValueError, match="length"):
        rnn.generate(numpy_model, "abc", rnn.MAX_GENERATE + 1)


def test_save_and_read_give_the_same_model(small_model, tmp_path):
    model, vocab = small_model
    numpy_model = rnn.model_from_keras(model, vocab)
    rnn.save_text_model(numpy_model, tmp_path / "m.npz", history={"loss": [2.0, 1.5]})
    again = rnn.read_text_model(tmp_path / "m.npz")
    assert again.vocab.symbols == vocab.symbols and again.history == {
        "loss": [2.0, 1.5]
    }
    assert rnn.generate(again, "ab", 40, seed=1) == rnn.generate(
        numpy_model, "ab", 40, seed=1
    )


def test_the_shipped_model_learned_shakespeare():
    shipped = cl.data.load_text_model()
    assert shipped.units == 192 and len(shipped.vocab) == 50
    assert shipped.parameters() == rnn.stacked_parameters(50, [192])["total"]
    val_loss = shipped.history["val_loss"][-1]
    assert val_loss < 0.6 * shipped.history["unigram_entropy"][0]
    sample = rnn.generate(shipped, "to be, or not to be", 300, 0.3, seed=0)
    corpus_words = set(rnn.load_corpus().lower().split())
    words = sample.split()[:-1]
    assert sum(w.strip(".,;:!?'-") in corpus_words for w in words) > 0.7 * len(words)


def test_a_small_char_model_learns_on_a_seeded_run():
    cl.set_seed(0)
    corpus = rnn.load_corpus().lower()[:30_000]
    vocab = rnn.Vocabulary(corpus)
    ids = np.array(vocab.encode(corpus))
    x, y = rnn.make_sequences(ids, 32)
    model = rnn.char_model(len(vocab), units=48)
    history = model.fit(
        rnn.one_hot_ids(x, len(vocab)), y, batch_size=32, epochs=3, verbose=0
    )
    unigram = rnn.unigram_entropy(ids, len(vocab))
    assert history.history["loss"][-1] < 0.9 * unigram


def test_char_model_refuses_bad_sizes():
    with pytest.raises(ValueError, match="symbols"):
        rnn.char_model(1)
    with pytest.raises(ValueError, match="layers"):
        rnn.char_model(10, layers=9)
    with pytest.raises(ValueError, match="model must be a character model"):
        rnn.model_from_keras("model", "abc")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: cl.rnn.sigmoid({"a": 1}), "z must be numbers"),
        (lambda: cl.rnn.unigram_entropy([0, 1], symbols=10**9), "symbols must be"),
        (lambda: cl.rnn.unigram_entropy([0, 1], symbols=2**63), "symbols must be"),
        (lambda: cl.rnn.save_text_model(None, "x.npz"), "text_model must be"),
        (lambda: cl.rnn.read_text_model(3), "path must be a file name"),
        (lambda: cl.data.load_text_model(3), "path must be a file name"),
    ],
)
def test_bad_input_found_by_the_property_test_is_a_value_error(call, message):
    """Regression: TypeError, OverflowError, a 7 GB bincount, AttributeError."""
    with pytest.raises(ValueError, match=message):
        call()


def test_a_folder_or_an_empty_file_as_model_path_is_a_value_error(tmp_path):
    """Regression: a folder gave IsADirectoryError, an empty file numpy's EOFError."""
    model = cl.data.load_text_model()
    with pytest.raises(ValueError, match="path must be a file name"):
        cl.rnn.save_text_model(model, tmp_path)
    with pytest.raises(ValueError, match="path must be a file name"):
        cl.rnn.read_text_model(tmp_path)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="not a file written by save_text_model"):
        cl.rnn.read_text_model(empty)
    with pytest.raises(FileNotFoundError):
        cl.rnn.read_text_model(tmp_path / "missing.npz")
