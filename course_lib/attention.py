"""Lecture 20, reading digit strips: a network that answers with a *sequence* instead of
one class, on real pixels, and attention, which lets each output step look at a part of
the picture.

- ``make_strips``: 1-5 real MNIST digits side by side in a 28 x 140 strip, with the
  digits as a token sequence (``<start>`` d1 ... dk ``<end>`` ``<pad>`` ...);
- ``build_reader``: a captioner in the slides' form (Karpathy and Fei-Fei 2015; Vinyals
  et al. 2015, "Show and Tell"): a CNN encoder turns the strip into 35 column features, a
  GRU decoder writes the digits one token at a time, trained with *teacher forcing* (the
  true previous token is its input) and run *free* by ``greedy_decode`` (its own previous
  guess is its input); with ``attention=True`` each step looks at the columns through
  ``keras.layers.Attention`` (Luong et al. 2015 dot-product attention; Xu et al. 2015,
  "Show, Attend and Tell", for images), written out in ``attention_by_hand``;
- the shipped attention reader (``cl.data.load_attention_reader()``).

CTC, the other way to read a strip (one prediction per column, no decoder), is in
``cl.ctc``; the moving-digit clips for 3D convolution are in ``cl.video``.

Example::

    strips = cl.attention.make_strips(200, seed=0)
    strips.images.shape, strips.digits[0]       # (200, 28, 140), e.g. "5041"
    reader = cl.data.load_attention_reader()
    cl.attention.greedy_decode(reader, strips.images[:3])
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib.core import (
    SEED,
    Array,
    Bool,
    Choice,
    Constraint,
    Images,
    Instance,
    Int,
    Items,
    Labels,
    Model,
    Optional,
    PathIn,
    Text,
    checked,
)

__all__ = [
    "VOCABULARY",
    "START",
    "END",
    "PAD",
    "Strips",
    "make_strips",
    "decoder_sequences",
    "strip_batches",
    "tokens_to_text",
    "build_reader",
    "attention_model",
    "greedy_decode",
    "sequence_accuracy",
    "teacher_forced_accuracy",
    "attention_by_hand",
    "attention_over_pixels",
    "save_reader_weights",
]

VOCABULARY: tuple[str, ...] = (
    *[str(d) for d in range(10)],
    "<start>",
    "<end>",
    "<pad>",
)
"""The tokens of the captioner: the ten digits (ids 0-9), then start, end and pad."""
START, END, PAD = 10, 11, 12
DIGIT_SIDE = 28
MAX_DIGITS = 5
COLUMN_WIDTH = 4
DECODE_BATCH = 100
"""The encoder pools the width by 4: a 140-pixel strip becomes 35 column features."""
READER_SETTINGS = {"max_digits": 5, "units": 64, "attention": True, "seed": 0}


# --------------------------------------------------------------------------------------
# Digit strips
# --------------------------------------------------------------------------------------


@dataclass
class Strips:
    """Digit strips and what they say.

    Attributes
    ----------
    images : (N, 28, 28 * max_digits) float32 in 0..1, or uint8 0-255 (a quarter of
        the memory) from ``make_strips(..., dtype="uint8")``.
    labels : (N, max_digits) int, the digits left to right, padded with -1.
    lengths : (N,) int, how many digits each strip holds (1..max_digits).
    starts : (N, max_digits) int, the left pixel column of each digit (-1 for none).
    """

    images: np.ndarray
    labels: np.ndarray
    lengths: np.ndarray
    starts: np.ndarray

    def __len__(self) -> int:
        return len(self.images)

    @property
    def digits(self) -> list[str]:
        """Each strip's digits as text, e.g. ``"5041"``."""
        return [
            "".join(str(d) for d in row[:n])
            for row, n in zip(self.labels, self.lengths, strict=True)
        ]


class _DigitSets(Constraint):
    """MNIST as ``cl.data.load_mnist()`` gives it, ``((x_train, y_train), (x_test,
    y_test))``: each ``x`` (N, 28, 28) digits of uint8 0-255 or float 0-1 pixels (kept
    as they are), each ``y`` as many labels 0-9."""

    _digits = Images("NHW", size=(DIGIT_SIDE, DIGIT_SIDE), to=None)
    _labels = Labels(10)

    def describe(self):
        return (
            "MNIST as cl.data.load_mnist() gives it: ((x_train, y_train), (x_test, "
            "y_test)), (N, 28, 28) digits and N labels 0-9 each"
        )

    def convert(self, value, name):
        try:
            (x_train, y_train), (x_test, y_test) = value
        except (TypeError, ValueError):
            self.fail(name, value)
        sets = []
        for part, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
            x = self._digits.check(x, f"{name}'s {part} digits")
            y = self._labels.check(y, f"{name}'s {part} labels")
            if len(x) != len(y):
                raise ValueError(
                    f"{name}'s {part} digits and labels must be as many, got {len(x)} "
                    f"digits and {len(y)} labels"
                )
            sets.append((x, y))
        return tuple(sets)

    def example(self):
        digits = self._digits.example()
        return (digits, np.zeros(len(digits), np.int64)), (
            digits,
            np.zeros(2, np.int64),
        )

    def bad_values(self):
        (x, y), _ = self.example()
        return [
            "text",
            (x, y),  # one split, not two
            ((x.astype(np.float32) + 200.0, y), (x, y)),  # 0-255 floats
            ((np.full(x.shape, np.nan, np.float32), y), (x, y)),
            ((x, y + 10), (x, y)),
            ((x, y[:1]), (x, y)),
        ]


MNIST = Optional(_DigitSets())
"""The ``mnist`` argument of the strip and clip makers (None: ``cl.data.load_mnist()``)."""
SPLIT = Choice("train", "test")


def _mnist_split(split: str, mnist=None):
    """The digits and labels of ``split``, and the number to divide the pixels by to
    get 0-1 (255 for integer pixels, 1 for float pixels: never divided twice)."""
    if mnist is None:
        from course_lib.data import load_mnist

        mnist = load_mnist()
    (x_train, y_train), (x_test, y_test) = mnist
    x, y = (x_train, y_train) if split == "train" else (x_test, y_test)
    return x, y, np.float32(255 if x.dtype.kind in "iu" else 1)


@checked(
    count=Int(1, 100_000),
    max_digits=Int(1, MAX_DIGITS),
    min_digits=Int(1, MAX_DIGITS),
    split=SPLIT,
    seed=SEED,
    mnist=MNIST,
    dtype=Choice("float32", "uint8"),
)
def make_strips(
    count: int,
    max_digits: int = MAX_DIGITS,
    min_digits: int = 1,
    split: str = "train",
    seed: int = 0,
    mnist=None,
    dtype: str = "float32",
) -> Strips:
    """``count`` strips of ``min_digits``..``max_digits`` real MNIST digits side by side.

    Each strip is 28 pixels high and ``28 * max_digits`` wide; its k digits keep their
    order left to right, separated by random gaps (the blank width is shared out at
    random), so the position of the i-th digit varies from strip to strip.

    Parameters
    ----------
    count : how many strips (1..100,000).
    max_digits, min_digits : the range of the number of digits (1..5).
    split : ``"train"`` or ``"test"``: whose digits (``cl.data.load_mnist()``).
    seed : the random choice of digits, counts and gaps.
    mnist : ``((x_train, y_train), (x_test, y_test))`` to use instead of
        ``cl.data.load_mnist()``; uint8 0-255 or float 0-1 pixels (the strips are the
        same either way).
    dtype : ``"float32"``, pixels in 0..1, or ``"uint8"``, the same strips as 0-255
        bytes in a quarter of the memory (for training, ``strip_batches`` turns them
        into floats one batch at a time; ``greedy_decode`` takes either).
    """
    if min_digits > max_digits:
        raise ValueError(
            f"min_digits must be at most max_digits ({max_digits}), got {min_digits}"
        )
    x, y, scale = _mnist_split(split, mnist)
    rng = np.random.default_rng(seed)
    width = DIGIT_SIDE * max_digits
    images = np.zeros((count, DIGIT_SIDE, width), dtype)
    labels = np.full((count, max_digits), -1, np.int64)
    starts = np.full((count, max_digits), -1, np.int64)
    lengths = rng.integers(min_digits, max_digits + 1, size=count)
    for n, k in enumerate(lengths):
        picks = rng.integers(0, len(x), size=k)
        gaps = rng.multinomial(width - DIGIT_SIDE * k, np.full(k + 1, 1 / (k + 1)))
        left = 0
        for i, pick in enumerate(picks):
            left += gaps[i]
            digit = x[pick]
            if dtype == "float32":
                digit = digit / scale
            elif scale == 1:  # bytes from 0-1 float digits
                digit = np.round(digit * 255)
            images[n, :, left : left + DIGIT_SIDE] = digit
            labels[n, i] = y[pick]
            starts[n, i] = left
            left += DIGIT_SIDE
    return Strips(images, labels, lengths.astype(np.int64), starts)


def _example_strips() -> Strips:
    return Strips(
        np.zeros((2, DIGIT_SIDE, DIGIT_SIDE), np.float32),
        np.array([[1], [2]]),
        np.array([1, 1]),
        np.array([[0], [0]]),
    )


STRIPS = Instance(Strips, "strips from make_strips", example=_example_strips)
TOKENS = Array(ndim=1, dtype="int", low=0, high=len(VOCABULARY) - 1, what="token ids")


@checked(strips=STRIPS)
def decoder_sequences(strips: Strips) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Teacher forcing's input tokens, target tokens and target weights, each
    (N, max_digits + 1).

    The input is ``<start> d1 ... dk <pad> ...``, the target the same shifted by one,
    ``d1 ... dk <end> <pad> ...``: at every step the decoder is given the *true*
    previous token and asked for the next. The weights are 1 for real targets and 0
    for ``<pad>`` (no loss there).
    """
    count, max_digits = strips.labels.shape
    inputs = np.full((count, max_digits + 1), PAD, np.int32)
    targets = np.full((count, max_digits + 1), PAD, np.int32)
    inputs[:, 0] = START
    for n, k in enumerate(strips.lengths):
        inputs[n, 1 : k + 1] = strips.labels[n, :k]
        targets[n, :k] = strips.labels[n, :k]
        targets[n, k] = END
    return inputs, targets, (targets != PAD).astype(np.float32)


@checked(
    strips=STRIPS, batch_size=Int(1, 4096), seed=SEED, targets=Choice("tokens", "ctc")
)
def strip_batches(
    strips: Strips, batch_size: int = 64, seed: int = 0, targets: str = "tokens"
):
    """The strips in batches for ``model.fit``, pixels made float32 0..1 one batch at a
    time.

    ``model.fit(images, ...)`` first copies the arrays whole into TensorFlow, as float32;
    these batches are cut from the strips (uint8 from ``make_strips(..., dtype="uint8")``,
    or float32) when Keras asks, so the strips sit in memory once, as bytes. The order
    is reshuffled every epoch from a fixed ``seed``.

    ``targets="tokens"``: a reader's batches from ``build_reader``, ``((images, input
    tokens), target tokens, weights)`` as ``decoder_sequences`` makes them (teacher
    forcing; ``<pad>`` weighs 0). ``targets="ctc"``: a CTC reader's, ``(images,
    digits)`` as ``cl.ctc.ctc_targets`` makes them.

    Example::

        reader.fit(cl.attention.strip_batches(strips, 64), epochs=12)
    """
    from course_lib.train import array_batches  # here: it loads TensorFlow

    if targets == "tokens":
        inputs, outputs, weights = decoder_sequences(strips)
        x = (strips.images, inputs)
    else:
        x, outputs, weights = strips.images, strips.labels.astype(np.int32), None
    return array_batches(x, outputs, batch_size, seed=seed, weight=weights, pixels=True)


@checked(tokens=TOKENS)
def tokens_to_text(tokens) -> str:
    """The digits of a token sequence up to its first ``<end>``, e.g. ``"504"``."""
    return _text_of(tokens.tolist())


def _text_of(tokens: list[int]) -> str:
    text = []
    for token in tokens:
        if token == END:
            break
        if token < 10:
            text.append(str(token))
    return "".join(text)


# --------------------------------------------------------------------------------------
# The captioner: a CNN encoder and a GRU decoder, with or without attention
# --------------------------------------------------------------------------------------


def _position_embedding_class():
    import keras

    class PositionEmbedding(keras.layers.Layer):
        """Adds a learned vector per column, so that a column's feature says where
        it is (attention compares contents; without this it cannot tell first from
        third)."""

        def build(self, input_shape):
            self.positions = self.add_weight(
                shape=tuple(input_shape[1:]), initializer="zeros", name="positions"
            )

        def call(self, x):
            return x + self.positions

    return PositionEmbedding


def _encoder(image, units: int):
    """Strip (28, W) -> W/4 column features: two conv + pool blocks, a conv that sums
    the 7 remaining rows, and a 1-D conv across neighbouring columns."""
    from keras import layers

    PositionEmbedding = _position_embedding_class()  # noqa: N806
    x = layers.Reshape((*image.shape[1:], 1), name="add_channel")(image)
    x = layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(x)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Conv2D(units, (7, 1), activation="relu", name="rows")(x)
    x = layers.Reshape((x.shape[2], units), name="columns")(x)
    x = layers.Conv1D(units, 5, padding="same", activation="relu", name="neighbours")(x)
    return PositionEmbedding(name="where")(x)


@checked(max_digits=Int(1, MAX_DIGITS), units=Int(4, 512), attention=Bool(), seed=SEED)
def build_reader(
    max_digits: int = MAX_DIGITS, units: int = 64, attention: bool = True, seed: int = 0
):
    """The captioner: strip and previous tokens -> next-token probabilities.

    Inputs ``[images (N, 28, 28 * max_digits), tokens (N, max_digits + 1)]``, output
    (N, max_digits + 1, 13) softmax over ``VOCABULARY``. The GRU decoder starts from a
    summary of the columns; with ``attention`` every step also gets a *context*: the
    columns averaged with the softmax weights of their dot products with the GRU's
    output (``keras.layers.Attention``, layer ``"attention"``). Compiled with Adam and
    cross-entropy that ignores ``<pad>``.
    """
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    image = keras.Input((DIGIT_SIDE, DIGIT_SIDE * max_digits), name="strip")
    tokens = keras.Input((max_digits + 1,), dtype="int32", name="tokens")
    columns = _encoder(image, units)
    if attention:
        summary = layers.GlobalAveragePooling1D(name="mean_column")(columns)
    else:
        summary = layers.Flatten(name="all_columns")(columns)
    state = layers.Dense(units, activation="tanh", name="initial_state")(summary)
    embedded = layers.Embedding(len(VOCABULARY), 16, name="embedding")(tokens)
    decoded = layers.GRU(units, return_sequences=True, name="decoder")(
        embedded, initial_state=state
    )
    if attention:
        values = layers.Dense(units, name="values")(columns)
        context, _ = layers.Attention(name="attention")(
            [decoded, values], return_attention_scores=True
        )
        decoded = layers.Concatenate(name="with_context")([decoded, context])
    probabilities = layers.Dense(len(VOCABULARY), activation="softmax", name="next")(
        decoded
    )
    name = "attention_reader" if attention else "plain_reader"
    model = keras.Model([image, tokens], probabilities, name=name)
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="sparse_categorical_crossentropy",
        weighted_metrics=["accuracy"],
    )
    return model


READER = Model(
    output_shape=(None, len(VOCABULARY)),
    outputs="probabilities",
    what="a reader from build_reader",
)
"""Strips and the tokens so far in, the next token's probabilities at every step out."""
STRIP_IMAGES = Images("NHW", to="float", max_count=100_000)


def _strip_shape(reader) -> tuple[int, int]:
    """The (height, width) of the strips ``reader`` reads; a ValueError when it is not
    a reader (two inputs: strips and tokens)."""
    shapes = [tuple(x.shape[1:]) for x in reader.inputs]
    if len(shapes) != 2 or len(shapes[0]) != 2 or len(shapes[1]) != 1:
        raise ValueError(
            "reader must be a reader from build_reader, with two inputs (strips (N, "
            f"28, W) and tokens (N, steps)), got {reader.name!r} with inputs "
            f"{', '.join(str(s) for s in shapes)}"
        )
    return shapes[0]


def _fit_strips(reader, images, name: str = "images") -> np.ndarray:
    height, width = _strip_shape(reader)
    if images.shape[1:] != (height, width):
        raise ValueError(
            f"{name} must be strips (N, {height}, {width}) for this reader, got shape "
            f"{images.shape}"
        )
    return images


@checked(reader=READER)
def attention_model(reader):
    """A model with the reader's inputs whose output is the attention weights,
    (N, steps, columns): how much each decoding step looks at each column."""
    import keras

    _strip_shape(reader)
    try:
        layer = reader.get_layer("attention")
    except ValueError:
        raise ValueError(
            "this reader has no attention layer (build it with attention=True)"
        ) from None
    _, weights = layer.output
    return keras.Model(reader.inputs, weights, name="attention_weights")


@checked(reader=READER, images=STRIP_IMAGES, return_tokens=Bool())
def greedy_decode(reader, images, return_tokens: bool = False):
    """Free-running decoding: feed back the most likely token until ``<end>``.

    Step t runs the whole reader on the tokens chosen so far (the GRU only looks
    back, so later positions do not change step t). Returns the digits as text, one
    string per strip, or with ``return_tokens`` the chosen tokens (N, steps) too.
    The strips go through the reader 100 at a time, to keep the memory small.
    ``images``: uint8 0-255 or float 0-1 strips (the same strip reads the same).
    """
    images = _fit_strips(reader, images)
    steps = int(reader.inputs[1].shape[1])
    tokens = np.full((len(images), steps), PAD, np.int32)
    tokens[:, 0] = START
    chosen = np.zeros((len(images), steps), np.int32)
    for t in range(steps):
        for first in range(0, len(images), DECODE_BATCH):
            block = slice(first, first + DECODE_BATCH)
            probabilities = reader.predict_on_batch([images[block], tokens[block]])
            chosen[block, t] = np.asarray(probabilities)[:, t].argmax(axis=-1)
        if t + 1 < steps:
            tokens[:, t + 1] = chosen[:, t]
    texts = [_text_of(row) for row in chosen.tolist()]
    return (texts, chosen) if return_tokens else texts


PREDICTED = Items(Text(max_length=1000, empty=True), 1, 100_000)
"""What a reader read: one text per strip ("" where it wrote nothing)."""


@checked(predicted=PREDICTED, strips=STRIPS)
def sequence_accuracy(predicted: list[str], strips: Strips) -> float:
    """The fraction of strips whose digits are *all* read right (and no more)."""
    if len(predicted) != len(strips):
        raise ValueError(
            f"predicted must hold one text per strip ({len(strips)}), got "
            f"{len(predicted)}"
        )
    return float(
        np.mean([p == t for p, t in zip(predicted, strips.digits, strict=True)])
    )


@checked(reader=READER, strips=STRIPS)
def teacher_forced_accuracy(reader, strips: Strips) -> float:
    """Token accuracy when every step is given the true previous token (as in
    training), over the non-pad targets."""
    inputs, targets, _ = decoder_sequences(strips)
    images = STRIP_IMAGES.check(strips.images, "strips.images")
    images = _fit_strips(reader, images, "strips.images")
    probabilities = np.asarray(reader.predict([images, inputs], verbose=0))
    keep = targets != PAD
    return float((probabilities.argmax(-1) == targets)[keep].mean())


# --------------------------------------------------------------------------------------
# Attention written out
# --------------------------------------------------------------------------------------


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


@checked(
    query=Array(what="queries (..., Tq, d)"),
    value=Array(what="values (..., Tv, d)"),
    key=Optional(Array(what="keys (..., Tv, d)")),
)
def attention_by_hand(
    query, value, key=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dot-product attention, as ``keras.layers.Attention()`` computes it.

    ``scores = query @ key^T`` (one score per query step and value step), ``weights =
    softmax(scores)`` over the value steps, ``context = weights @ value``.

    Parameters
    ----------
    query : (..., Tq, d).
    value : (..., Tv, d).
    key : (..., Tv, d), by default ``value``.

    Returns
    -------
    (context (..., Tq, d), weights (..., Tq, Tv), scores (..., Tq, Tv))
    """
    key = value if key is None else key
    if query.ndim < 2 or value.ndim != query.ndim or key.shape != value.shape:
        raise ValueError(
            "query must be (..., Tq, d) and value and key (..., Tv, d) with the same "
            f"leading axes, got {query.shape}, {value.shape}, {key.shape}"
        )
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"query and key must have the same last axis, got {query.shape[-1]} and "
            f"{key.shape[-1]}"
        )
    scores = query @ np.swapaxes(key, -1, -2)
    weights = _softmax(scores, axis=-1)
    return weights @ value, weights, scores


@checked(
    weights=Array(low=0, high=1, what="attention weights (..., columns)"),
    width=Int(1, 10_000),
)
def attention_over_pixels(weights, width: int) -> np.ndarray:
    """Spread column weights (..., columns) over pixel columns (..., width): each
    column feature stands for ``width / columns`` pixels."""
    if weights.ndim == 0 or weights.shape[-1] == 0:
        raise ValueError(f"weights must be (..., columns), got shape {weights.shape}")
    columns = weights.shape[-1]
    if width % columns:
        raise ValueError(
            f"width must be a multiple of the {columns} columns, got {width}"
        )
    return np.repeat(weights, width // columns, axis=-1)


# --------------------------------------------------------------------------------------
# The shipped attention reader
# --------------------------------------------------------------------------------------


@checked(reader=READER, path=PathIn())
def save_reader_weights(reader, path: str | Path) -> Path:
    """Save a reader's weights as an .npz (arrays ``w00``, ``w01``, ...), byte for
    byte the same for the same weights."""
    arrays = {f"w{i:02d}": np.asarray(w) for i, w in enumerate(reader.get_weights())}
    np.savez(path, **arrays)
    return path
