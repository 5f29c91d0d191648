"""The networks of lecture 11: the slides' network 1 and network 2 (VGG16 + a head),
the course's small digit base, and the freezing that fine-tuning needs.

Blocks are found by name: a layer named ``blockN_...`` (VGG16's convention, which the
digit base copies) belongs to block N. The parameter counts need no download:
``weights=None`` builds the same shapes.
"""

from __future__ import annotations

import numpy as np

from course_lib.core import (
    SEED,
    Choice,
    Constraint,
    Int,
    Items,
    Model,
    Optional,
    checked,
)

MODES = ("scratch", "frozen", "fine-tune")
DIGIT_BLOCKS = 3
VGG16_BLOCKS = 5
MAX_CLASSES = 1000
"""The most classes a digit base's head may have."""


class _InputShape(Items):
    """An input shape (height, width, channels) with sides from ``smallest`` to
    ``largest`` and 1 to 64 channels; returned as a tuple of ints."""

    def __init__(self, smallest: int, largest: int):
        super().__init__(Int(1, largest), 3, 3)
        self.smallest, self.largest = smallest, largest

    def describe(self):
        return (
            f"(height, width, channels) with sides from {self.smallest} to "
            f"{self.largest:,} and 1 to 64 channels"
        )

    def convert(self, value, name):
        shape = super().convert(value, name)
        if min(shape[:2]) < self.smallest or shape[2] > 64:
            self.fail(name, value)
        return shape

    def example(self):
        return (self.smallest, self.smallest, 1)

    def bad_values(self):
        side = self.smallest
        return [None, 3, (side - 1, side, 1), (side, side, 65), (self.largest + 1,) * 3]


class _Layer(Constraint):
    """A Keras layer (anything with a ``name`` that is text)."""

    def describe(self):
        return "a Keras layer"

    def convert(self, value, name):
        if not isinstance(getattr(value, "name", None), str):
            self.fail(name, value)
        return value

    def example(self):
        import keras

        return keras.layers.Dense(1, name="block1_dense")

    def bad_values(self):
        return [None, "text", 3]


BASE = Model(what="a convolutional base")
ANY_MODEL = Model()


def _graph(model):
    """``(inputs, outputs)`` of a built model; a Sequential (which Keras 3 gives no
    ``input`` until it is called) is called once on a new ``keras.Input``."""
    import keras

    try:
        return model.input, model.output
    except (AttributeError, ValueError):
        inputs = keras.Input(model.input_shape[1:])
        return inputs, model(inputs)


# --------------------------------------------------------------------------------------
# The slides' two networks and VGG16 (counted without any download)


@checked(input_shape=_InputShape(8, 512))  # run_cats_vs_dogs' largest
def network1(input_shape=(64, 64, 3)):
    """The slides' network 1 (000): six 3x3 convolutions, a pool after every second,
    Flatten, Dense(128), Dropout(0.5), Dense(1, sigmoid)."""
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input(input_shape)], name="network1")
    for filters in (32, 48, 64):
        model.add(layers.Conv2D(filters, 3, padding="same", activation="relu"))
        model.add(layers.Conv2D(filters, 3, padding="same", activation="relu"))
        model.add(layers.MaxPooling2D(2))
    model.add(layers.Flatten())
    model.add(layers.Dense(128, activation="relu"))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(1, activation="sigmoid"))
    return model


@checked(weights=Optional(Choice("imagenet")), input_shape=_InputShape(32, 1024))
def vgg16_base(weights=None, input_shape=(64, 64, 3)):
    """VGG16 without its dense top; ``weights=None`` (no download) or ``"imagenet"``."""
    import keras

    if weights == "imagenet":
        from course_lib import data

        # Keras' own file and md5, through the course's checked, cached download.
        weights = str(data.fetch("vgg16_notop_imagenet"))
    return keras.applications.VGG16(
        include_top=False, weights=weights, input_shape=tuple(input_shape)
    )


@checked(base=BASE)
def network2(base):
    """The slides' network 2: ``base``, Flatten, Dense(128, relu), Dense(1, sigmoid)."""
    import keras
    from keras import layers

    inputs, features = _graph(base)
    x = layers.Flatten()(features)
    x = layers.Dense(128, activation="relu")(x)
    output = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, output, name="network2")


@checked(layer=_Layer())
def block_of(layer) -> int | None:
    """The block number of a layer named ``blockN_...`` (VGG16's and the digit base's
    convention), None for any other layer."""
    name = layer.name
    if name.startswith("block") and "_" in name:
        number = name[5 : name.index("_")]
        if number.isdigit():
            return int(number)
    return None


def _count_blocks(base) -> int:
    numbers = [block_of(layer) for layer in base.layers]
    numbers = [n for n in numbers if n is not None]
    if not numbers:
        raise ValueError(
            f"base must have layers named block1_..., block2_, ...; "
            f"{base.name!r} has none"
        )
    return max(numbers)


@checked(base=BASE)
def count_blocks(base) -> int:
    """How many ``blockN_`` blocks ``base`` has."""
    return _count_blocks(base)


@checked(base=BASE, blocks=Int(0, 100))
def unfreeze_top_blocks(base, blocks: int) -> None:
    """Freeze ``base``, then make its top ``blocks`` blocks trainable again.

    This is the fine-tuning recipe written correctly: the whole base is frozen first
    (the slides' network 2 never did that), and the loop decides for each layer
    (slides 002 used ``set_trainable`` before giving it a value). Recompile the model
    afterwards: ``trainable`` takes effect at ``compile``.
    """
    total = _count_blocks(base)
    if blocks > total:
        raise ValueError(
            f"blocks must be from 0 to {total} (the base's blocks), got {blocks}"
        )
    base.trainable = True
    for layer in base.layers:
        number = block_of(layer)
        layer.trainable = number is not None and number > total - blocks


@checked(model=ANY_MODEL)
def trainable_parameters(model) -> int:
    """The number of parameters that training changes (``model.trainable_weights``)."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


@checked(input_shape=_InputShape(32, 1024))
def vgg16_trainable_by_blocks(input_shape=(64, 64, 3)) -> list[int]:
    """Trainable parameters of the slides' network 2 with 0, 1, ..., 5 of VGG16's
    blocks unfrozen (the head always trains), counted on a shapes-only model."""
    from course_lib.zoo import release, shapes_only

    with shapes_only():
        base = vgg16_base(None, input_shape)
        model = network2(base)
        counts = []
        for blocks in range(VGG16_BLOCKS + 1):
            unfreeze_top_blocks(base, blocks)
            counts.append(trainable_parameters(model))
    release()
    return counts


# --------------------------------------------------------------------------------------
# The course's digit base


@checked(num_classes=Int(2, MAX_CLASSES), input_shape=_InputShape(8, 256), seed=SEED)
def digit_base(num_classes: int = 5, input_shape=(28, 28, 1), seed: int = 0):
    """The course's small base: three blocks (3x3 convolution, ReLU, 2x2 max pool) of
    16, 32 and 64 filters, named ``block1_conv`` ... like VGG16's, then Flatten and a
    softmax head. Compiled with Adam."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    inputs = keras.Input(input_shape)
    x = inputs
    for block, filters in enumerate((16, 32, 64), start=1):
        x = layers.Conv2D(
            filters, 3, padding="same", activation="relu", name=f"block{block}_conv"
        )(x)
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    base = keras.Model(inputs, x, name="digit_base")
    model = with_head(base, num_classes)
    _compile(model, 1e-3)
    return model


@checked(base=BASE, num_classes=Int(2, MAX_CLASSES))
def with_head(base, num_classes: int):
    """``base`` with a new head: Flatten, Dropout(0.3), Dense(``num_classes``, softmax).

    The model shares the base's layers: freezing ``base`` freezes them in the model.
    """
    import keras
    from keras import layers

    inputs, features = _graph(base)
    x = layers.Flatten(name="flatten")(features)
    x = layers.Dropout(0.3, name="head_dropout")(x)
    output = layers.Dense(num_classes, activation="softmax", name="head")(x)
    return keras.Model(inputs, output)


def _compile(model, learning_rate: float) -> None:
    """Adam, sparse categorical cross-entropy, accuracy."""
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


@checked(model=Model(what="a model built by digit_base"))
def features_of(model):
    """The convolutional part of a model built by :func:`digit_base` (up to the last
    pool): a model that shares its layers and weights. A ``keras.Sequential`` with
    layers named ``blockN_...`` works too."""
    import keras

    blocks = [layer for layer in model.layers if block_of(layer) is not None]
    if not blocks:
        raise ValueError(
            f"model must have layers named block1_..., block2_, ... (as digit_base "
            f"makes them); {model.name!r} has none"
        )
    last = blocks[-1]
    try:
        return keras.Model(model.input, last.output, name="features")
    except (AttributeError, ValueError):  # a Sequential: call its layers in order
        inputs = keras.Input(model.input_shape[1:])
        x = inputs
        for layer in model.layers[: model.layers.index(last) + 1]:
            x = layer(x)
        return keras.Model(inputs, x, name="features")
